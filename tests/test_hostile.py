"""Hostile input (issue 12, the input-side rows): each row is a clean, located error, in bounded
time, with nothing written; or, where the input is fine, a build.

Each case is named after its row of the issue's table.  Loader cases run ``kg build`` on a
copy of the seeds (one article) into an output directory that must not appear; Turtle cases
run ``kg validate`` with the addition; query cases run on one real build of the seeds.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from kg import cli, limits, query as q

from conftest import ROOT, SEEDS, copy_seeds, snapshot

ANN = "annotations/000.yaml"
ARTICLE = "articles/000_ee038c59db45252e.txt"
TEXT = (SEEDS / ARTICLE).read_text(encoding="utf-8")
SECONDS = 10  # "nothing a curator writes takes more than a few seconds to refuse" (with a margin for a busy CI)


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _edit(rel: str, old: str, new: str):
    def mutate(seeds: Path) -> None:
        path = seeds / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture text not found: {old!r}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return mutate


def _append(rel: str, text: str):
    def mutate(seeds: Path) -> None:
        with open(seeds / rel, "a", encoding="utf-8") as f:
            f.write(text)
    return mutate


def _write_article(data: bytes):
    """Replace article 000 by ``data`` and record its sha256, so only the size (or content) is wrong."""
    def mutate(seeds: Path) -> None:
        (seeds / ARTICLE).write_bytes(data)
        old = hashlib.sha256((SEEDS / ARTICLE).read_bytes()).hexdigest()
        _edit(ANN, old, hashlib.sha256(data).hexdigest())(seeds)
    return mutate


def _mistyped(n: int) -> str:
    """``n`` characters of the article with every 40th one wrong, as a YAML double-quoted string."""
    passage = list(" ".join(TEXT.split())[200:200 + n])
    assert len(passage) == n
    for i in range(20, n, 40):
        passage[i] = "#"
    return json.dumps("".join(passage))


def _mkdir(rel: str):
    return lambda seeds: (seeds / rel).mkdir()


def _link_out(seeds: Path) -> None:
    elsewhere = seeds.parent / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(SEEDS / "annotations" / "001.yaml", elsewhere / "001.yaml")
    (seeds / "annotations" / "001.yaml").symlink_to(elsewhere / "001.yaml")


def _link_registry_out(seeds: Path) -> None:
    elsewhere = seeds.parent / "elsewhere.yaml"
    (seeds / "entities.yaml").rename(elsewhere)
    (seeds / "entities.yaml").symlink_to(elsewhere)


def _bom(rel: str):
    def mutate(seeds: Path) -> None:
        path = seeds / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return mutate


def _chain_registry(n: int) -> str:
    lines = ["\n"]
    for i in range(n):
        up = f", located_in: [chain-{i + 1}]" if i + 1 < n else ", located_in: [chechnya]"
        lines.append(f"chain-{i}: {{type: Place, label: Chain place {i}{up}}}\n")
    return "".join(lines)


# name: (mutation of a seeds copy, regex the message must match, text of the line it must point at or None)
LOADER = {
    "yaml-nested-990-deep": (_edit(ANN, "    holder: putin\n", "    holder: " + "[" * 990 + "]" * 990 + "\n"),
                             r"YAML nested more than 64 levels deep", "holder: [[["),
    "nul-character-in-annotation": (_edit(ANN, "holder: putin", "holder: pu\0tin"), r"a NUL character \(U\+0000\)", "holder: pu"),
    "nul-character-in-article": (_write_article(TEXT.replace("Chechnya", "Chech\0nya", 1).encode()),
                                 r"articles/000_ee038c59db45252e\.txt:\d+:\d+: a NUL character", None),
    "count-of-5000-digits": (_edit(ANN, "value: 100\n", "value: " + "1" * 5000 + "\n"),
                             r"`value` has 5,000 digits, over the limit of 15", "value: 1111"),
    "occurrence-of-5000-digits": (_edit(ANN, "evidence: Russian President Vladimir Putin\n",
                                        "evidence: {exact: Vladimir Putin, occurrence: " + "9" * 5000 + "}\n"),
                                  r"`occurrence` has 5,000 digits, over the limit of 15", "occurrence: 999"),
    "arabic-indic-digit-is-not-3": (_edit(ANN, "value: 3\n", "value: \u0663\n"),
                                    r"`value` is not a whole number \('\u0663'\) — write digits 0-9 only", "value: \u0663"),
    "article-path-is-a-directory": (_mkdir("articles/005_folder.txt"), r"articles/005_folder\.txt: is not a file", None),
    "article-of-20-mb": (_write_article(b"x" * (20 * 1024 * 1024)),
                         r"000_ee038c59db45252e\.txt: the file is 20,971,520 bytes, over the limit of 4 MiB", None),
    "yaml-scalar-of-50-mb": (_edit(ANN, "holder: putin", "holder: " + "p" * (50 * 1024 * 1024)),
                             r"annotations/000\.yaml: the file is [\d,]+ bytes, over the limit of 4 MiB", None),
    "yaml-scalar-of-2-mb": (_edit(ANN, "holder: putin", "holder: " + "p" * (2 * 1024 * 1024)),
                            r"a value of 2,097,152 characters, over the limit of 1,048,576", "holder: ppp"),
    "mistyped-quote-of-500": (_edit(ANN, "evidence: Russian President Vladimir Putin\n", f"evidence: {_mistyped(500)}\n"),
                              r"quote not found in .*closest passage \(.*:\d+:\d+\) is '", "evidence: \""),
    "mistyped-quote-of-1000": (_edit(ANN, "evidence: Russian President Vladimir Putin\n", f"evidence: {_mistyped(1000)}\n"),
                               r"quote not found in .*closest passage \(.*:\d+:\d+\) is '", "evidence: \""),
    "mistyped-quote-of-10000": (_edit(ANN, "evidence: Russian President Vladimir Putin\n", f"evidence: \"{'x' * 10000}\"\n"),
                                r"a quote of 10,000 characters, over the limit of 5,000", "evidence: \"xxx"),
    "bom-in-registry": (_bom("entities.yaml"), r"entities\.yaml:1:1: the file starts with a byte-order mark \(U\+FEFF\) — save it as UTF-8 without a BOM", None),
    "registry-id-with-newline": (_append("entities.yaml", '\n"eps-person\\n": {type: Person, label: Eps Person}\n'),
                                 r"entity id 'eps-person\\n' is not a lower-case slug", '"eps-person\\n"'),
    "located-in-chain-of-400-places": (_append("entities.yaml", _chain_registry(400)),
                                       r"`located_in` chain has 402 links, over the limit of 32", "chain-0:"),
    "symlinked-registry-leaving-the-seeds": (_link_registry_out, r"entities\.yaml: a symbolic link to .*elsewhere\.yaml, outside the seeds", None),
    "symlink-leaving-the-seeds": (_link_out, r"annotations/001\.yaml: a symbolic link to .*elsewhere/001\.yaml, outside the seeds", None),
}


def test_every_loader_row_is_listed():
    assert len(LOADER) >= 18


@pytest.mark.parametrize("name", sorted(LOADER))
def test_hostile_seeds_are_refused_cleanly(name, tmp_path, capsys):
    mutate, pattern, points_at = LOADER[name]
    seeds = copy_seeds(tmp_path)
    mutate(seeds)
    before = snapshot(seeds)
    out = tmp_path / "out"
    started = time.monotonic()
    code, _, err = run(capsys, "build", "--seeds", seeds, "--out", out, "--quiet")
    assert time.monotonic() - started < SECONDS
    assert code == 2, err
    assert "Traceback" not in err
    assert re.search(pattern, err), err
    assert not out.exists(), "a refused build wrote its output directory"
    assert snapshot(seeds) == before
    if points_at is not None:
        loc = re.search(rf"{re.escape(str(seeds))}/(\S+?):(\d+):(\d+): ", err)
        assert loc, err
        line = (seeds / loc.group(1)).read_bytes().decode("utf-8", "replace").splitlines()[int(loc.group(2)) - 1]
        assert points_at in line, line[:200]


def test_upper_case_extensions_in_the_seeds_are_built(tmp_path, capsys):
    # `kg add` classifies `.YAML` as YAML; the seeds glob must agree, or an added file is never built
    seeds = copy_seeds(tmp_path)
    (seeds / ANN).rename(seeds / "annotations" / "000.YAML")
    out = tmp_path / "out"
    assert run(capsys, "build", "--seeds", seeds, "--out", out, "--quiet")[0] == 0
    assert "graph/article/000>" in (out / "kg.trig").read_text(encoding="utf-8")


def test_kg_add_of_upper_case_extensions_builds_them(tmp_path, capsys):
    seeds, out, work = copy_seeds(tmp_path), tmp_path / "out", tmp_path / "work"
    work.mkdir()
    fixture = Path(__file__).parent / "fixtures" / "curation"
    shutil.copy(fixture / "005_fixture.txt", work / "005_fixture.txt")
    shutil.copy(fixture / "entities-005.yaml", work / "entities-005.YAML")
    shutil.copy(fixture / "005.yaml", work / "005.YAML")
    ttl = work / "fix.TTL"
    ttl.write_text(TURTLE_HEAD + 'entity:upper-group a hrr:Group ; rdfs:label "Upper group"@en .\n', encoding="utf-8")
    code, _, err = run(capsys, "add", "--seeds", seeds, "--out", out, work / "005_fixture.txt",
                       work / "entities-005.YAML", work / "005.YAML", ttl)
    assert code == 0, err
    trig = (out / "kg.trig").read_text(encoding="utf-8")
    assert "graph/article/005>" in trig and "graph/addition/fix>" in trig and "upper-group" in trig


SEPARATORS = "\u2028\u0085\f"   # line separator, next line, form feed: str.splitlines() splits at each


def test_line_separators_in_an_article_a_registry_value_and_a_literal_survive_the_build(tmp_path, capsys):
    """Row "U+2028, U+0085 or a form feed … the build fails with `kg.nq does not re-parse`": what
    validates builds, every dump re-parses, and the characters are kept as the sources have them."""
    import pyoxigraph as ox

    seeds, out, work = copy_seeds(tmp_path), tmp_path / "out", tmp_path / "work"
    shutil.copytree(Path(__file__).parent / "fixtures" / "curation", work)
    text = (work / "005_fixture.txt").read_text(encoding="utf-8").replace(
        "she would consider it.", "she\u2028would consider it.\u0085Later:\fnothing.")
    (work / "005_fixture.txt").write_text(text, encoding="utf-8")
    ann = (work / "005.yaml").read_text(encoding="utf-8")
    (work / "005.yaml").write_text(re.sub(r"sha256: [0-9a-f]+", "sha256: " + hashlib.sha256(text.encode()).hexdigest(), ann),
                                   encoding="utf-8")
    reg = (work / "entities-005.yaml").read_text(encoding="utf-8")
    (work / "entities-005.yaml").write_text(reg.replace(
        "label: Example Rights Group", 'label: Example Rights Group\n  description: "A group\\u2028with\\x85odd\\fseparators"'),
        encoding="utf-8")
    ttl = work / "fix.ttl"
    ttl.write_text(TURTLE_HEAD + f'entity:putin rdfs:comment "line{SEPARATORS}end"@en .\n', encoding="utf-8")
    files = [work / "005_fixture.txt", work / "entities-005.yaml", work / "005.yaml", ttl]
    assert run(capsys, "validate", "--seeds", seeds, *files)[0] == 0
    code, _, err = run(capsys, "add", "--seeds", seeds, "--out", out, *files)
    assert code == 0, err
    values = {q.object.value for q in ox.parse((out / "kg.nq").read_bytes(), format=ox.RdfFormat.N_QUADS)
              if isinstance(q.object, ox.Literal)}
    assert f"line{SEPARATORS}end" in values
    assert "A group\u2028with\u0085odd\fseparators" in values
    assert "Jane Example said she\u2028would consider it." in values      # the quote as the article has it
    for dump, fmt in (("kg.trig", ox.RdfFormat.TRIG), ("kg.ttl", ox.RdfFormat.TURTLE), ("kg.jsonld", ox.RdfFormat.JSON_LD)):
        assert f"line{SEPARATORS}end" in {t.object.value for t in ox.parse((out / dump).read_bytes(), format=fmt)
                                          if isinstance(t.object, ox.Literal)}, dump


def test_a_turtle_addition_in_a_foreign_namespace_builds_and_every_dump_declares_it(tmp_path, capsys):
    """Row "a Turtle addition with a predicate outside the project's prefixes": `kg validate`
    conformed and `kg add` then failed (`The prefix ns1: has not been declared`)."""
    import pyoxigraph as ox

    seeds, out = copy_seeds(tmp_path), tmp_path / "out"
    ttl = tmp_path / "fix.ttl"
    ttl.write_text(TURTLE_HEAD + "@prefix fx: <https://foreign.example/vocab#> .\n"
                   'entity:putin fx:nickname "VVP"@en ; <https://other.example/ns/p> <https://other.example/thing> .\n',
                   encoding="utf-8")
    assert run(capsys, "validate", "--seeds", seeds, ttl)[0] == 0
    code, _, err = run(capsys, "add", "--seeds", seeds, "--out", out, ttl)
    assert code == 0, err
    for dump, fmt in (("kg.trig", ox.RdfFormat.TRIG), ("kg.ttl", ox.RdfFormat.TURTLE), ("kg.nq", ox.RdfFormat.N_QUADS)):
        preds = {t.predicate.value for t in ox.parse((out / dump).read_bytes(), format=fmt)}
        assert {"https://foreign.example/vocab#nickname", "https://other.example/ns/p"} <= preds, dump


# ---------------------------------------------------------------- curator Turtle

TURTLE_HEAD = ("@prefix entity: <https://hrkg.example.org/chechnya-2017/entity/> .\n"
               "@prefix hrr: <https://hrkg.example.org/ontology/> .\n"
               "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
               "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
               "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
               "@prefix schema: <https://schema.org/> .\n")
GROUP = 'entity:new-group a hrr:Group ; rdfs:label "A new group"@en ;\n'
DATA = "https://hrkg.example.org/chechnya-2017/"


def _chain_turtle(n: int) -> str:
    return "".join(f'entity:p{i} a hrr:Place ; rdfs:label "Place {i}"@en ; hrr:locatedIn entity:p{i + 1} .\n'
                   for i in range(n)) + f'entity:p{n} a hrr:Place ; rdfs:label "Place {n}"@en .\n'


# name: (body after TURTLE_HEAD, regex the message must match, text of the line it must point at or None)
TURTLE = {
    "literal-of-100-mb": (GROUP + '  rdfs:comment "' + "x" * (100 * 1024 * 1024) + '" .',
                          r"the file is [\d,]+ bytes, over the limit of 4 MiB", None),
    "literal-of-2-mb": (GROUP + '  rdfs:comment "' + "x" * (2 * 1024 * 1024) + '" .',
                        r"a literal of 2,097,152 characters, over the limit of 1,048,576", "entity:new-group"),
    "collection-of-100000-items": (GROUP + "  rdfs:seeAlso ( " + "entity:putin " * 100_000 + ") .",
                                   r"collections \( … \) of 100,000 items, over the limit of 10,000", "rdfs:seeAlso ("),
    "located-in-chain-of-400-places": (_chain_turtle(400), r"a chain of 400 <https://hrkg.example.org/ontology/locatedIn> links, over the limit of 32",
                                       "entity:p0 a hrr:Place"),
    "abc-as-xsd-integer": (GROUP + '  hrr:memberCount "abc"^^xsd:integer .', r'"abc" is not a valid xsd:integer', "entity:new-group"),
    "impossible-xsd-date": ('entity:new-meeting a hrr:Meeting ;\n  hrr:date "2017-13-45"^^xsd:date .',
                            r'"2017-13-45" is not a valid xsd:date', "entity:new-meeting"),
    "integer-of-5000-digits": (GROUP + '  hrr:memberCount "' + "7" * 5000 + '"^^xsd:integer .',
                               r"an integer of 5,000 digits, over the limit of 15", "entity:new-group"),
    "prov-about-an-article-graph": (f"<{DATA}graph/article/000> prov:wasAttributedTo entity:putin .",
                                    r"PROV-O statements are not allowed", "graph/article/000"),
    "triple-about-a-seeds-claim": (f'<{DATA}article/000/claim/merkel-raised-issue> rdfs:comment "rewritten" .',
                                   r"articles, claims and their annotations are minted from the annotation files; a curator addition may not add to them",
                                   "claim/merkel-raised-issue"),
    "triple-about-an-annotation": (f'<{DATA}article/000/claim/merkel-raised-issue/evidence/1> rdfs:comment "moved" .',
                                   r"minted from the annotation files", "evidence/1"),
    "triple-about-the-provenance-graph": (f'<{DATA}graph/provenance> rdfs:label "mine" .',
                                          r"named graphs are described by the build", "graph/provenance"),
    "property-on-a-vocabulary-term": ('schema:Person rdfs:label "Mensch"@de .', r"terms of a standard vocabulary are not allowed", "schema:Person"),
    "direction-en-ltr": (GROUP + '  rdfs:comment "x"@en--ltr .', r"the base direction --ltr .* is not kept", "entity:new-group"),
    "bom-in-turtle": ("", r":1:1: the file starts with a byte-order mark", None),
}


def test_every_turtle_row_is_listed():
    assert len(TURTLE) >= 14


@pytest.fixture(scope="module")
def small_seeds(tmp_path_factory) -> Path:
    return copy_seeds(tmp_path_factory.mktemp("hostile-seeds"))


@pytest.mark.parametrize("name", sorted(TURTLE))
def test_hostile_turtle_is_refused_at_its_line(name, small_seeds, tmp_path, capsys):
    body, pattern, points_at = TURTLE[name]
    ttl = tmp_path / "addition.ttl"
    ttl.write_text(TURTLE_HEAD + body + "\n", encoding="utf-8")
    if name == "bom-in-turtle":
        ttl.write_bytes(b"\xef\xbb\xbf" + ttl.read_bytes())
    started = time.monotonic()
    code, out, err = run(capsys, "validate", "--seeds", small_seeds, ttl)
    assert time.monotonic() - started < SECONDS
    assert code == 2, out + err
    assert "Traceback" not in err and "Failed to convert" not in err
    assert re.search(pattern, err), err[:2000]
    if points_at is not None:
        loc = re.search(rf"{re.escape(str(ttl))}:(\d+):\d+: ", err)
        assert loc, err[:2000]
        assert points_at in ttl.read_text(encoding="utf-8").splitlines()[int(loc.group(1)) - 1][:500]


def test_a_chain_made_long_by_the_registry_and_turtle_together_is_refused(tmp_path, capsys):
    """Each file alone is under the limit; together they make one chain of 42 links (20 + 20 + chechnya, russia)."""
    seeds = copy_seeds(tmp_path)
    with open(seeds / "entities.yaml", "a", encoding="utf-8") as fh:
        fh.write(_chain_registry(20))
    ttl = tmp_path / "chain.ttl"
    links = "".join(f"entity:t-{i} a hrr:Place ; rdfs:label \"T {i}\"@en ; hrr:locatedIn entity:{'t-' + str(i + 1) if i < 19 else 'chain-0'} .\n"
                    for i in range(20))
    ttl.write_text(TURTLE_HEAD + links, encoding="utf-8")
    t = time.monotonic()
    code, _, err = run(capsys, "validate", "--seeds", seeds, ttl)
    assert time.monotonic() - t < SECONDS
    assert code == 2, err
    assert re.search(rf"{re.escape(str(ttl))}:\d+:1: with the registry and the other Turtle additions, this makes a chain "
                     r"of 42 <https://hrkg.example.org/ontology/locatedIn> links, over the limit of 32", err), err
    assert "Traceback" not in err
    # each alone is accepted
    ttl.write_text(TURTLE_HEAD + links.replace("entity:chain-0", "entity:chechnya"), encoding="utf-8")
    assert run(capsys, "validate", "--seeds", seeds, ttl)[0] == 0


def test_a_literal_line_starting_with_base_is_not_a_base_directive(small_seeds, tmp_path, capsys):
    ttl = tmp_path / "base-word.ttl"
    ttl.write_text(TURTLE_HEAD + GROUP + '  rdfs:comment """Their camp\nbase was near Argun.""" .\n', encoding="utf-8")
    code, out, err = run(capsys, "validate", "--seeds", small_seeds, ttl)
    assert code == 0, out + err


def test_many_refused_triples_are_counted_not_all_listed(small_seeds, tmp_path, capsys):
    ttl = tmp_path / "blank.ttl"
    ttl.write_text(TURTLE_HEAD + "".join(f"[] rdfs:seeAlso entity:p{i} .\n" for i in range(20_000)), encoding="utf-8")
    started = time.monotonic()
    code, _, err = run(capsys, "validate", "--seeds", small_seeds, ttl)
    assert time.monotonic() - started < SECONDS
    assert code == 2
    assert err.count("blank nodes are not accepted") == limits.REPORTED_ERRORS
    assert f"and {20_000 - limits.REPORTED_ERRORS:,} more errors like these" in err


def test_a_refused_add_changes_nothing_and_leaves_no_directory(tmp_path, capsys):
    seeds = copy_seeds(tmp_path)
    before = snapshot(seeds)
    ttl = tmp_path / "bad.ttl"
    ttl.write_text(TURTLE_HEAD + GROUP + '  hrr:memberCount "abc"^^xsd:integer .\n', encoding="utf-8")
    code, _, err = run(capsys, "add", "--seeds", seeds, "--out", tmp_path / "out", ttl)
    assert code == 2 and "is not a valid xsd:integer" in err
    assert snapshot(seeds) == before and not (seeds / "additions").exists() and not (tmp_path / "out").exists()


# ---------------------------------------------------------------- queries and options

def _dump_file(tmp: Path, data: bytes) -> str:
    path = tmp / "dump.nq"
    path.write_bytes(data)
    return str(path)


def _query_file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "my.rq"
    path.write_bytes(data)
    return path


QUERY = {
    # name: (arguments after `kg`, given tmp_path and the build directory; regex of the message)
    "query-file-not-utf8": (lambda t, b: ["query", "--out", b, "--file", _query_file(t, b"#+ summary: caf\xe9\nSELECT * {}\n")],
                            r"my\.rq:1:16: not valid UTF-8 \(byte 0xe9\)"),
    "defaults-5": (lambda t, b: ["query", "--out", b, "--file", _query_file(t, b"#+ summary: x\n#+ defaults: 5\nSELECT * {}\n")],
                   r"my\.rq:2:14: `#\+ defaults:` must be a list of `- name: value`"),
    "param-claim-iri-with-space": (lambda t, b: ["query", "evidence", "--out", b, "--param", "claim=https://x y"],
                                   r"--param claim='https://x y': not a valid IRI"),
    "data-garbage": (lambda t, b: ["query", "sources", "--data", _dump_file(t, b"garbage <<<\n")],
                     r"dump\.nq:1:\d+: not valid N-Quads"),
    "data-truncated": (lambda t, b: ["query", "sources", "--data", _dump_file(t, (b / "kg.nq").read_bytes()[:5000])],
                       r"dump\.nq:\d+:\d+: not valid N-Quads: .*(end of file|[Uu]nexpected)"),
    "entities-type-persn": (lambda t, b: ["entities", "--type", "Persn"], r"--type Persn: no such entity type — did you mean Person\?"),
    "out-is-a-file": (lambda t, b: ["build", "--out", _query_file(t, b"")], r"--out .*my\.rq: is a file, not a directory"),
    "out-under-a-file": (lambda t, b: ["build", "--out", _query_file(t, b"") / "sub"], r"my\.rq is a file, so nothing can be created under it"),
    "add-an-article-path-that-is-a-directory": (lambda t, b: ["add", "--seeds", t / "no-seeds", "--out", t / "out",
                                                             _mkdir("005_folder.txt")(t) or t / "005_folder.txt"],
                                                r"005_folder\.txt: is a directory, not a file"),
    "from-a-graph-not-in-the-store": (lambda t, b: ["query", "--out", b, "--file", _query_file(
        t, b"#+ summary: x\nSELECT * FROM <https://hrkg.example.org/chechnya-2017/graph/article/009> WHERE { ?s ?p ?o }\n")],
        r"my\.rq:2:10: FROM <\S+/graph/article/009>: no graph of that name in the store — did you mean <\S+/graph/article/00\d>\?"),
    "out-not-writable": (lambda t, b: ["build", "--out", "/proc/kg-out"], r"--out /proc/kg-out: cannot write in /proc"),
}


@pytest.mark.parametrize("name", sorted(QUERY))
def test_hostile_query_input_is_a_message(name, built_dir, tmp_path, capsys):
    args, pattern = QUERY[name]
    before = snapshot(built_dir)
    code, out, err = run(capsys, *args(tmp_path, built_dir))
    assert code == 2, out + err
    assert "Traceback" not in err
    assert re.search(pattern, err), err
    assert snapshot(built_dir) == before
    assert not Path("/proc/kg-out").exists()


def test_a_query_returning_a_triple_term_is_rendered(built_dir, tmp_path, capsys):
    rq = _query_file(tmp_path, b"#+ summary: a triple term\nSELECT ?t WHERE { BIND(<<( <https://a.example/s> "
                               b"<https://a.example/p> \"o\" )>> AS ?t) }\n")
    code, out, err = run(capsys, "query", "--out", built_dir, "--file", rq)
    assert code == 0, err
    assert '<<( <https://a.example/s> <https://a.example/p> "o" )>>' in out
    code, out, _ = run(capsys, "query", "--out", built_dir, "--file", rq, "--format", "json")
    term = json.loads(out)["results"]["bindings"][0]["t"]
    assert term["type"] == "triple" and term["value"]["predicate"] == {"type": "uri", "value": "https://a.example/p"}


def test_summary_no_is_the_word_no(tmp_path):
    cq = q.load_query(_query_file(tmp_path, b"#+ summary: no\n#+ tags:\n#+   - yes\nSELECT * {}\n"))
    assert cq.summary == "no" and cq.tags == ["yes"]


# ---------------------------------------------------------------- the limits are documented

def test_every_limit_is_in_the_readme():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Limits and safety", 1)[1].split("\n## ", 1)[0]
    for name, value in limits.ALL.items():
        shown = limits.size(value) if name.endswith("BYTES") else f"{value:,}" if isinstance(value, int) else f"{value:g}"
        assert f"`{name}`" in section and shown in section, f"README 'Limits and safety' lacks {name} = {shown}"


def test_ctrl_c_stops_a_running_query_at_once(tmp_path, built_dir):
    """A cartesian product of all triples runs for minutes in native code; SIGINT must end it now."""
    import signal
    import subprocess
    import sys
    import time
    rq = tmp_path / "slow.rq"
    rq.write_text("#+ summary: every triple with every triple with every triple\n"
                  "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "query", "--file", str(rq), "--out", str(built_dir)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    assert proc.poll() is None, "the query should still be running"
    t = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert time.monotonic() - t < 5
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
