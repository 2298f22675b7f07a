"""The curators' gate: kg validate and kg add, from a curator's side.

Uses a fictional fixture article (tests/fixtures/curation/) so that a sixth article can be
added the way the README's walkthrough says, on a copy of the seeds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import SH

from kg import cli

from conftest import ROOT, copy_seeds, snapshot

FIXTURES = ROOT / "tests" / "fixtures" / "curation"
ARTICLE, REGISTRY, ANNOTATION = "005_fixture.txt", "entities-005.yaml", "005.yaml"


@pytest.fixture
def work(tmp_path) -> Path:
    """A copy of the fixture files the test may break."""
    d = tmp_path / "additions"
    shutil.copytree(FIXTURES, d)
    return d


def run(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def additions(d: Path) -> list[Path]:
    return [d / ARTICLE, d / REGISTRY, d / ANNOTATION]


def test_validate_seeds_conforms(capsys):
    code, out, _ = run(capsys, "validate")
    assert code == 0
    assert re.search(r"^conforms: 0 violations", out, re.M)


def test_validate_good_additions_conform(capsys, work):
    code, out, _ = run(capsys, "validate", *additions(work))
    assert code == 0, out
    assert "conforms: 0 violations, 0 warnings" in out


def test_validate_reports_a_shape_violation_at_the_yaml_line(capsys, work):
    ann = work / ANNOTATION
    text = ann.read_text(encoding="utf-8")
    ann.write_text(text.replace("    speaker: jane-example\n", ""), encoding="utf-8")
    line = next(i for i, l in enumerate(ann.read_text(encoding="utf-8").splitlines(), 1) if "- id: jane-will-consider" in l)
    code, out, _ = run(capsys, "validate", *additions(work))
    assert code == 1
    assert f"{ann}:{line}:5: violation: A speech act that occurred needs a speaker" in out
    assert "does not conform: 1 violation" in out, "only what the addition introduces is reported"


def test_validate_input_error_in_an_addition_names_its_file(capsys, work):
    ann = work / ANNOTATION
    ann.write_text(ann.read_text(encoding="utf-8").replace("said she would consider it.", "said she would think about it."), encoding="utf-8")
    code, _, err = run(capsys, "validate", *additions(work))
    assert code == 2
    assert re.search(rf"{re.escape(str(ann))}:\d+:\d+: quote not found in {re.escape(str(work / ARTICLE))}", err), err


def test_validate_formats(capsys, work):
    ann = work / ANNOTATION
    ann.write_text(ann.read_text(encoding="utf-8").replace("    speaker: jane-example\n", ""), encoding="utf-8")
    code, out, _ = run(capsys, "validate", "--format", "ttl", *additions(work))
    assert code == 1
    g = rdflib.Graph().parse(data=out, format="turtle")
    report = next(g.subjects(rdflib.RDF.type, SH.ValidationReport))
    assert g.value(report, SH.conforms) == rdflib.Literal(False)
    code, out, _ = run(capsys, "validate", "--format", "json", *additions(work))
    doc = json.loads(out)
    assert doc["conforms"] is False and doc["results"][0]["where"].startswith(str(ann))


def test_usage_errors_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "validate", tmp_path / "missing.ttl")
    assert code == 2 and "no such file" in err
    (tmp_path / "x.jsonld").write_text("{}")
    code, _, err = run(capsys, "validate", tmp_path / "x.jsonld")
    assert code == 2 and "other RDF formats are not accepted" in err
    with pytest.raises(SystemExit) as exc:
        cli.main(["add"])
    assert exc.value.code == 2


def test_rejected_addition_leaves_seeds_and_dumps_byte_identical(capsys, tmp_path, work):
    seeds = copy_seeds(tmp_path)
    out = tmp_path / "out"
    assert run(capsys, "build", "--seeds", seeds, "--out", out, "--quiet")[0] == 0
    before_seeds, before_out = snapshot(seeds), snapshot(out)
    ann = work / ANNOTATION
    ann.write_text(ann.read_text(encoding="utf-8").replace("    speaker: jane-example\n", ""), encoding="utf-8")
    code, stdout, err = run(capsys, "add", "--seeds", seeds, "--out", out, *additions(work))
    assert code == 1
    assert "rejected: nothing was changed" in err and "needs a speaker" in stdout
    assert snapshot(seeds) == before_seeds
    assert snapshot(out) == before_out


def test_accepted_addition_is_applied_and_built(capsys, tmp_path, work):
    seeds = copy_seeds(tmp_path)
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "add", "--seeds", seeds, "--out", out, *additions(work))
    assert code == 0, stdout
    assert (seeds / "articles" / ARTICLE).read_bytes() == (work / ARTICLE).read_bytes()
    assert (seeds / "annotations" / ANNOTATION).read_bytes() == (work / ANNOTATION).read_bytes()
    assert "jane-example:" in (seeds / "entities.yaml").read_text(encoding="utf-8")
    assert "graph/article/005>" in (out / "kg.trig").read_text(encoding="utf-8")
    # and the seeds still validate as a whole afterwards
    assert run(capsys, "validate", "--seeds", seeds)[0] == 0


TURTLE_HEAD = ("@prefix entity: <https://hrkg.example.org/chechnya-2017/entity/> .\n"
               "@prefix hrr: <https://hrkg.example.org/ontology/> .\n"
               "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
               "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
               "@prefix sh: <http://www.w3.org/ns/shacl#> .\n")
UNTRUSTED = {
    "relative-iri": ("<putin-friend> hrr:memberOf entity:g20-leaders .", r"relative IRIs are not accepted|absolute IRI"),
    "base-directive": ("@base <https://evil.example/> .\n<x> a hrr:Person .", r"base IRI \(@base / BASE\) is not allowed"),
    "owl-imports": ("entity:putin owl:imports <https://evil.example/ontology.ttl> .", r"owl:imports is not allowed"),
    "shacl-shape": ("entity:myshape a sh:NodeShape ; sh:targetClass hrr:Person .", r"SHACL terms are not allowed"),
    "ontology-axiom": ("entity:putin rdfs:subClassOf hrr:Person .", r"ontology axioms \(subClassOf\) are not allowed"),
    "class-declaration": ("entity:newthing a owl:Class .", r"declaring a Class is not allowed"),
    "ontology-namespace": ("hrr:Person rdfs:label \"Mensch\"@de .", r"triples about ontology terms are not allowed"),
    "unknown-ontology-term": ("entity:putin hrr:raisedIsueWith entity:merkel .", r"is not a term of the ontology"),
    "undefined-prefix": ("ex:putin a hrr:Person .", r"The prefix ex: has not been declared — declare it with @prefix"),
    "blank-node": ("[] hrr:memberOf entity:g20-leaders .", r"blank nodes are not accepted"),
}


def test_every_untrusted_case_is_listed():
    assert len(UNTRUSTED) >= 10


@pytest.mark.parametrize("name", sorted(UNTRUSTED))
def test_untrusted_turtle_is_refused(capsys, tmp_path, name):
    body, pattern = UNTRUSTED[name]
    ttl = tmp_path / f"{name}.ttl"
    ttl.write_text(TURTLE_HEAD + body + "\n", encoding="utf-8")
    code, _, err = run(capsys, "validate", ttl)
    assert code == 2, err
    assert re.search(pattern, err), err
    assert re.search(rf"{re.escape(str(ttl))}:\d+", err), "the message names the file and line"


def test_good_turtle_addition_is_checked_against_the_shapes(capsys, tmp_path):
    ttl = tmp_path / "extra.ttl"
    ttl.write_text(TURTLE_HEAD + "entity:new-group a hrr:Group .\n", encoding="utf-8")
    code, out, _ = run(capsys, "validate", ttl)
    assert code == 1
    assert f"{ttl}:6:1: violation: An actor needs a label" in out
    ttl.write_text(TURTLE_HEAD + 'entity:new-group a hrr:Group ; rdfs:label "a new group"@en .\n', encoding="utf-8")
    assert run(capsys, "validate", ttl)[0] == 0


def test_ill_formed_literal_in_turtle_is_refused_at_its_line(capsys, tmp_path):
    # once reached the shapes (and rdflib logged a conversion traceback); now the gate names the line
    ttl = tmp_path / "date.ttl"
    ttl.write_text(TURTLE_HEAD + 'entity:new-meeting a hrr:Meeting ;\n'
                   '    hrr:date "2017-07-07T12:00:00"^^<http://www.w3.org/2001/XMLSchema#date> .\n', encoding="utf-8")
    code, _, err = run(capsys, "validate", ttl)
    assert code == 2
    assert f"{ttl}:6:1: subject <https://hrkg.example.org/chechnya-2017/entity/new-meeting>: " \
           '"2017-07-07T12:00:00" is not a valid xsd:date' in err
    assert "Traceback" not in err


def test_turtle_parsing_fetches_nothing(capsys, tmp_path, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    ttl = tmp_path / "imports.ttl"
    ttl.write_text(TURTLE_HEAD + "entity:putin owl:imports <https://evil.example/x.ttl> .\n", encoding="utf-8")
    assert run(capsys, "validate", ttl)[0] == 2


def test_registry_addition_that_cannot_be_appended_is_refused(capsys, tmp_path):
    seeds = copy_seeds(tmp_path)
    before = snapshot(seeds)
    reg = tmp_path / "reg.yaml"
    reg.write_text("---\nnew-person:\n  type: Person\n  label: New Person\n", encoding="utf-8")
    code, _, err = run(capsys, "add", "--seeds", seeds, "--out", tmp_path / "out", reg)
    assert code == 2 and "cannot be appended to the registry as it is" in err
    assert snapshot(seeds) == before


# ---------------------------------------------------------------- no silent replacement (issue 11.1)

def test_add_refuses_a_taken_annotation_name(capsys, tmp_path, work):
    """The issue's reproduction: 005's annotations saved as 003.yaml must not replace 003."""
    seeds = copy_seeds(tmp_path, ("000.yaml", "003.yaml"))
    before = snapshot(seeds)
    taken = tmp_path / "x" / "003.yaml"
    taken.parent.mkdir()
    shutil.copy(work / ANNOTATION, taken)
    code, out, err = run(capsys, "add", "--seeds", seeds, "--out", tmp_path / "out", work / ARTICLE, work / REGISTRY, taken)
    assert code == 2, out + err
    assert f"{seeds}/annotations/003.yaml already exists" in err and "--replace" in err
    assert snapshot(seeds) == before


def test_annotation_named_after_another_articles_number_is_an_error(capsys, tmp_path, work):
    taken = tmp_path / "x" / "003.yaml"
    taken.parent.mkdir()
    shutil.copy(work / ANNOTATION, taken)
    code, _, err = run(capsys, "validate", work / ARTICLE, work / REGISTRY, taken)
    assert code == 2
    assert re.search(r"003\.yaml:3:9: annotation file 003\.yaml names article 005_fixture\.txt, whose number is 005"
                     r" — .*name it 005\.yaml", err), err


def test_article_without_annotation_file_is_an_error(capsys, work):
    code, _, err = run(capsys, "validate", work / ARTICLE, work / REGISTRY)
    assert code == 2
    assert f"{work / ARTICLE}: article 005_fixture.txt has no annotation file — write seeds/annotations/005.yaml" in err


def test_replace_validates_and_reports_claims_removed_and_added(capsys, tmp_path, work):
    seeds = copy_seeds(tmp_path)
    out = tmp_path / "out"
    assert run(capsys, "add", "--seeds", seeds, "--out", out, *additions(work))[0] == 0
    ann = work / ANNOTATION
    text = ann.read_text(encoding="utf-8")
    new = text.replace("- id: jane-will-consider", "- id: jane-said-she-would-consider")
    ann.write_text(new, encoding="utf-8")
    code, _, err = run(capsys, "add", "--seeds", seeds, "--out", out, ann)
    assert code == 2 and "annotations/005.yaml already exists" in err
    # a broken replacement is still refused with --replace
    ann.write_text(new.replace("    speaker: jane-example\n", ""), encoding="utf-8")
    code, stdout, _ = run(capsys, "add", "--seeds", seeds, "--out", out, "--replace", ann)
    assert code == 1 and "needs a speaker" in stdout
    assert (seeds / "annotations" / ANNOTATION).read_text(encoding="utf-8") == text
    ann.write_text(new, encoding="utf-8")
    code, stdout, _ = run(capsys, "add", "--seeds", seeds, "--out", out, "--replace", ann)
    assert code == 0, stdout
    assert (f"replaces {seeds}/annotations/005.yaml: removes 1 claim(s) (jane-will-consider), "
            "adds 1 (jane-said-she-would-consider), keeps 2 id(s)") in stdout
    assert (seeds / "annotations" / ANNOTATION).read_text(encoding="utf-8") == new
    assert "claim/jane-said-she-would-consider>" in (out / "kg.nq").read_text(encoding="utf-8")


def test_add_keeps_seed_file_permissions(capsys, tmp_path, work):
    seeds = copy_seeds(tmp_path)
    (seeds / "entities.yaml").chmod(0o664)
    old = os.umask(0o022)
    try:
        code, stdout, _ = run(capsys, "add", "--seeds", seeds, "--out", tmp_path / "out", *additions(work))
    finally:
        os.umask(old)
    assert code == 0, stdout
    assert (seeds / "entities.yaml").stat().st_mode & 0o777 == 0o664
    assert (seeds / "annotations" / ANNOTATION).stat().st_mode & 0o777 == 0o644   # under umask 022
    assert (seeds / "articles" / ARTICLE).stat().st_mode & 0o777 == 0o644


def test_wrong_sha256_of_a_new_article_says_record_this(capsys, work):
    ann = work / ANNOTATION
    ann.write_text(ann.read_text(encoding="utf-8").replace("sha256: 253bc77e", "sha256: 353bc77e"), encoding="utf-8")
    code, _, err = run(capsys, "validate", *additions(work))
    assert code == 2
    assert "record this sha256: 253bc77edd122d59beed994b1308a941167ee2d2c7354dbe3faf2cab38dbad00" in err
    assert "restore the original text" not in err


# ---------------------------------------------------------------- the registry for curators (issue 11.5)

PATCH = """# names and a position for entities the registry has
alvi-karimov:
  aliases: [Chechen government spokesperson Alvi Karimov]
  positions:
    press-secretary: {role: press secretary of Ramzan Kadyrov, of: chechen-government}
new-person-x:
  type: Person
  label: New Person X
"""


def test_entities_lists_positions_with_their_keys(capsys):
    code, out, _ = run(capsys, "entities", "--type", "Person")
    assert code == 0
    assert re.search(r"^alvi-karimov .*\n +position +government-spokesperson: official government spokesperson "
                     r"\(of chechen-government\)$", out, re.M)


def test_registry_patch_adds_alias_and_position(capsys, tmp_path):
    seeds = copy_seeds(tmp_path)
    patch = tmp_path / "patch.yaml"
    patch.write_text(PATCH, encoding="utf-8")
    code, out, err = run(capsys, "add", "--seeds", seeds, "--out", tmp_path / "out", patch)
    assert code == 0, out + err
    text = (seeds / "entities.yaml").read_text(encoding="utf-8")
    assert text.count("alvi-karimov:") == 1 and "new-person-x:" in text
    assert "aliases: [Karimov, Chechen government spokesperson Alvi Karimov]" in text
    code, out, _ = run(capsys, "entities", "--seeds", seeds, "--type", "Person")
    assert "press-secretary: press secretary of Ramzan Kadyrov (of chechen-government)" in out
    assert "Chechen government spokesperson Alvi Karimov" in out
    assert run(capsys, "validate", "--seeds", seeds)[0] == 0


@pytest.mark.parametrize("entry, message", [
    ("alvi-karimov:\n  type: Person\n  label: Alvi Karimov\n",
     r"entity `alvi-karimov` is already in the registry .* give only `alvi-karimov: \{aliases: \[…\]\}`"),
    ("alvi-karimov:\n  aliases: [Karimov]\n", r"`alvi-karimov` already has the name 'Karimov'"),
    ("alvi-karimov:\n  positions:\n    government-spokesperson: {role: x}\n", r"already has a position `government-spokesperson`"),
    ("alvi-karimow:\n  aliases: [AK]\n", r"the registry has no entity of that id — did you mean `alvi-karimov`"),
    ("moscow:\n  positions:\n    mayor: {role: mayor}\n", r"a Place holds no positions"),
])
def test_registry_patch_errors(capsys, tmp_path, entry, message):
    patch = tmp_path / "patch.yaml"
    patch.write_text(entry, encoding="utf-8")
    code, _, err = run(capsys, "validate", patch)
    assert code == 2
    assert re.search(message, err), err


# ---------------------------------------------------------------- small answers (issue 11.6)

def test_whitespace_runs_show_as_one_space_in_csv_tsv_and_table():
    import pyoxigraph as ox

    from kg import query as q

    st = ox.Store()
    st.add(ox.Quad(ox.NamedNode("https://x.example/c"), ox.NamedNode("https://x.example/exact"),
                   ox.Literal("told the Blade he “was not told that” Chechn\n\nya came up,\u2028  said\tAnton")))
    text = "SELECT ?exact WHERE { ?c <https://x.example/exact> ?exact }"
    one = "told the Blade he “was not told that” Chechn ya came up, said Anton"
    assert q.render(st.query(text), q.Format.CSV) == f"exact\r\n\"{one}\"\r\n"
    assert q.render(st.query(text), q.Format.TSV) == f"exact\n{one}\n"
    assert q.render(st.query(text), q.Format.TABLE).splitlines()[2] == one[:59] + "…"
    # JSON gives the literal as it is (the article's own characters)
    assert "Chechn\\n\\nya" in q.render(st.query(text), q.Format.JSON)


def test_statements_by_includes_what_an_actor_reported(built_dir):
    from kg import query as q

    st = q.open_built(built_dir)
    cq = q.catalogue()["statements-by"]
    rows = q.render(q.run(st, cq.text, q.bind_params(cq, st, {"actor": "chad-griffin"})), q.Format.CSV)
    assert "Detention report,alleged" in rows and "hrc-at-least-three-killed" in rows


def test_replace_of_a_turtle_file_is_refused_then_reported(capsys, tmp_path):
    seeds = copy_seeds(tmp_path)
    out = tmp_path / "out"
    ttl = tmp_path / "fix.ttl"
    head = ("@prefix entity: <https://hrkg.example.org/chechnya-2017/entity/> .\n"
            "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n")
    ttl.write_text(head + 'entity:putin rdfs:comment "first"@en .\n', encoding="utf-8")
    assert run(capsys, "add", "--seeds", seeds, "--out", out, ttl)[0] == 0
    ttl.write_text(head + 'entity:putin rdfs:comment "second"@en .\n', encoding="utf-8")
    code, _, err = run(capsys, "add", "--seeds", seeds, "--out", out, ttl)
    assert code == 2 and "additions/fix.ttl already exists" in err
    code, stdout, _ = run(capsys, "add", "--seeds", seeds, "--out", out, "--replace", ttl)
    assert code == 0, stdout
    assert f"replaces {seeds}/additions/fix.ttl\n" in stdout and "second" in (seeds / "additions" / "fix.ttl").read_text()
