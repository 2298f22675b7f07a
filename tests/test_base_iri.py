"""The dataset base is the user's: `base:` in seeds/dataset.yaml.  The seeds built under another
base give the same graph with the IRIs swapped — in every dump, every canned query, `kg serve`,
`kg publish` and `kg query --endpoint` — and a bad base is refused with its line."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import SEEDS
from kg import build as builder, cli, iris, query as q
from kg.registry import load_dataset_meta
from test_queries import QUERIES, all_cases, expected_path, parse_csv

OLD = load_dataset_meta(SEEDS / "dataset.yaml", "seeds/dataset.yaml")["base"]
NEW = "https://w3id.org/hrkg-test/chechnya/"
# any IRI on the old host but the ontology's (which stays with the vocabulary)
OLD_HOST = re.compile(re.escape(OLD.split("/", 3)[0] + "//" + OLD.split("/", 3)[2] + "/") + r"(?!ontology[/>\"#]|ontology$)")


def seeds_with_base(dest: Path, base: str) -> Path:
    """A copy of the whole seeds directory whose dataset.yaml says ``base: BASE``."""
    seeds = dest / "seeds"
    shutil.copytree(SEEDS, seeds)
    path = seeds / "dataset.yaml"
    text = path.read_text(encoding="utf-8")
    assert f"base: {OLD}\n" in text
    path.write_text(text.replace(f"base: {OLD}\n", f"base: {base}\n"), encoding="utf-8")
    return seeds


@pytest.fixture(scope="module")
def other(tmp_path_factory) -> Path:
    """The seeds built under NEW (cold, one process)."""
    tmp = tmp_path_factory.mktemp("other-base")
    out = tmp / "out"
    assert cli.main(["build", "--seeds", str(seeds_with_base(tmp, NEW)), "--out", str(out), "--quiet", "--jobs", "1"]) == 0
    return out


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and p.name != builder.RECORD}


# ---------------------------------------------------------------- a bad base

BAD = [
    ("hrkg.example.org/x/", "not an absolute http(s) IRI"),
    ("ftp://example.org/x/", "not an absolute http(s) IRI"),
    ("https://example.org/x", "does not end with `/`"),
    ("https://example.org/x/?v=1/", "query or a fragment"),
    ("https://example.org/x/#/", "query or a fragment"),
    ("https://example.org/a b/", "which no IRI may contain"),
    ("https://hrkg.example.org/ontology/data/", "overlaps the ontology's namespace"),
    ("https://hrkg.example.org/", "overlaps the ontology's namespace"),
]


@pytest.mark.parametrize("value, problem", BAD, ids=[b[0] for b in BAD])
def test_a_bad_base_is_refused_with_its_line(tmp_path, capsys, value, problem):
    seeds = seeds_with_base(tmp_path, value)
    line = 1 + next(i for i, t in enumerate((seeds / "dataset.yaml").read_text().splitlines()) if t.startswith("base:"))
    out = tmp_path / "out"
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert re.search(rf"dataset\.yaml:{line}:\d+: `base: .*` is not a usable dataset base: .*{re.escape(problem)}", err), err
    assert "write an absolute http(s) IRI ending with `/`" in err
    assert not out.exists() or not any(out.iterdir())  # nothing half-written


def test_a_missing_base_is_refused(tmp_path, capsys):
    seeds = seeds_with_base(tmp_path, NEW)
    path = seeds / "dataset.yaml"
    path.write_text("".join(t for t in path.read_text().splitlines(keepends=True) if not t.startswith("base:")))
    assert cli.main(["validate", "--seeds", str(seeds)]) == 2
    assert "lacks required `base`" in capsys.readouterr().err


def test_a_bad_sparql_endpoint_is_refused(tmp_path, capsys):
    seeds = seeds_with_base(tmp_path, NEW)
    with (seeds / "dataset.yaml").open("a") as fh:
        fh.write("sparql_endpoint: not a url\n")
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "`sparql_endpoint: not a url` is not an absolute http(s) URL" in capsys.readouterr().err


# ---------------------------------------------------------------- the dumps

def test_no_iri_of_the_old_base_remains_in_any_dump(other):
    checked = []
    for name, data in files(other).items():
        text = (gzip.decompress(data) if name.endswith(".gz") else data).decode("utf-8")
        assert OLD not in text, name
        assert not OLD_HOST.search(text), (name, OLD_HOST.search(text))
        assert name == "SHA256SUMS" or NEW in text, name
        checked.append(name)
    assert {"kg.nq", "kg.nq.gz", "kg.trig", "kg.trig.gz", "kg.ttl", "kg.jsonld", "context.jsonld", "void.ttl"} <= set(checked)
    st = q.open_built(other)
    assert iris.base() == NEW  # read back from the build
    for quad in st:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode):
                assert not term.value.startswith(OLD) and not OLD_HOST.match(term.value), quad


def test_the_dumps_are_the_seeds_dumps_with_the_base_swapped(other, built_dir):
    """Same quads, IRI for IRI: nothing else depends on the base."""
    def quads(out: Path, base: str) -> set[str]:
        return {line.replace(base, "BASE/") for line in (out / "kg.nq").read_text(encoding="utf-8").splitlines()}
    assert quads(other, NEW) == quads(built_dir, OLD)


def test_void_names_the_new_dataset(other):
    g = {(t.subject.value, t.predicate.value, t.object.value) for t in ox.parse(path=str(other / "void.ttl"), format=ox.RdfFormat.TURTLE)}
    assert (NEW, "http://rdfs.org/ns/void#uriSpace", NEW) in g
    assert (NEW, "http://rdfs.org/ns/void#dataDump", NEW + "dump/kg.nq.gz") in g


# ---------------------------------------------------------------- the canned queries

@pytest.mark.parametrize("slug, params", all_cases(), ids=lambda v: v if isinstance(v, str) else ",".join(f"{k}={x}" for k, x in v.items()))
def test_canned_queries_give_the_same_rows_with_the_iris_swapped(other, slug, params):
    st = q.open_built(other)
    cq = q.load_query(QUERIES / f"{slug}.rq")
    got = q.render(q.run(st, cq.text, q.bind_params(cq, st, params)), q.Format.CSV)
    want = expected_path(slug, params).read_text(encoding="utf-8").replace(OLD, NEW)
    header, rows = parse_csv(got)
    want_header, want_rows = parse_csv(want)
    assert header == want_header
    assert sorted(rows) == sorted(want_rows)


def test_kg_query_on_the_dump_resolves_names_under_its_base(other, capsys):
    iris.configure(OLD)  # whatever the process had: the dump's base wins
    assert cli.main(["query", "evidence", "--param", "claim=002/trump-raising-with-putin-unknown",
                     "--data", str(other / "kg.nq.gz"), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert f"{NEW}article/002/claim/trump-raising-with-putin-unknown" in out and OLD not in out


# ---------------------------------------------------------------- the cache and the workers

def test_the_cache_does_not_mix_bases(tmp_path, other, built_dir):
    cache = tmp_path / "cache"
    a = builder.build(SEEDS, tmp_path / "a", "seeds", jobs=1, cache_dir=cache)
    assert a.rebuilt == 5
    b = builder.build(seeds_with_base(tmp_path, NEW), tmp_path / "b", "seeds", jobs=1, cache_dir=cache)
    assert (b.cached, b.rebuilt) == (0, 5)  # nothing of the other base's reused
    assert files(tmp_path / "b") == files(other)
    again = builder.build(SEEDS, tmp_path / "a2", "seeds", jobs=1, cache_dir=cache)
    assert (again.cached, again.rebuilt) == (5, 0)
    assert files(tmp_path / "a2") == files(tmp_path / "a") == files(built_dir)


def test_pool_workers_mint_under_the_configured_base(tmp_path, other):
    iris.configure(OLD)  # the parent's base before the build: the workers must use the seeds' own
    out = tmp_path / "out"
    summary = builder.build(seeds_with_base(tmp_path, NEW), out, "seeds", jobs=2, cache_dir=tmp_path / "cache")
    assert summary.rebuilt == 5
    assert files(out) == files(other)


def test_checks_use_the_configured_base(tmp_path, capsys):
    """entity-minted-twice names the entity namespace through ?_base: under another base it still fires."""
    seeds = seeds_with_base(tmp_path, NEW)
    with (seeds / "entities.yaml").open("a") as fh:
        fh.write("\nputin-again:\n  type: Person\n  label: Vladimir Putin\n")
    assert cli.main(["validate", "--seeds", str(seeds)]) == 1
    out = capsys.readouterr().out
    assert "minted twice" in out and f"{NEW}entity/putin" in out


# ---------------------------------------------------------------- kg serve

def test_kg_serve_resolves_the_new_iris(other):
    from test_serve import Served
    s = Served(other, "--workers", "1")
    try:
        c = s.client
        ent = c.get("/hrkg-test/chechnya/entity/putin", headers={"Accept": "application/n-triples"})
        assert ent.status_code == 200 and f"<{NEW}entity/putin> <http://www.w3.org/2000/01/rdf-schema#label>" in ent.text
        assert OLD not in ent.text
        assert c.get("/chechnya-2017/entity/putin", headers={"Accept": "text/turtle"}).status_code == 404
        html = c.get("/hrkg-test/chechnya/entity/putin", headers={"Accept": "text/html"}).text
        assert f'href="{s.url}hrkg-test/chechnya/article/' in html  # links on this server, at the IRI's own path
        assert c.get("/ontology/Denial", headers={"Accept": "text/turtle"}).status_code == 200  # the vocabulary stays
        void = c.get("/.well-known/void", headers={"Accept": "application/n-triples"}).text
        assert f"<{NEW}> <http://rdfs.org/ns/void#sparqlEndpoint> <{s.url}sparql> ." in void
        assert c.get("/hrkg-test/chechnya/", headers={"Accept": "application/n-triples"}).text == void  # the dataset IRI
        dump = c.get("/hrkg-test/chechnya/dump/kg.nq.gz")
        assert dump.status_code == 200 and dump.content == (other / "kg.nq.gz").read_bytes()
        csv = c.get("/queries/evidence", params={"claim": "002/trump-raising-with-putin-unknown", "format": "csv"}).text
        assert f"{NEW}article/002/claim/trump-raising-with-putin-unknown" in csv
        ev = c.get("/evidence", params={"claim": f"{NEW}article/000/claim/merkel-raised-issue"})
        assert ev.status_code == 200 and "Merkel" in ev.text
        page = c.get("/", headers={"Accept": "text/html"}).text
        assert '<meta name="hrkg-dataset" content="https://w3id.org/">' in page
        assert f'<meta name="hrkg-base" content="{NEW}">' in page   # the editor's entity:/article: prefixes, short names
        editor = c.get("/static/editor.js").text
        assert "hrkg.example.org" not in editor and "chechnya-2017" not in c.get("/static/dom.js").text
    finally:
        assert s.stop() == 0


# ---------------------------------------------------------------- kg publish and kg query --endpoint

def test_publish_and_query_a_store_under_the_new_base(other, tmp_path, capsys, monkeypatch):
    from test_remote import oxigraph, stop
    proc, st = oxigraph(None, union=True)
    try:
        iris.configure(OLD)
        assert cli.main(["publish", "--to", st.gsp, "--sparql", st.sparql, "--out", str(other), "--quiet"]) == 0
        counts = st.counts()  # under the namespace of the dump just published
        assert counts and all(g.startswith(NEW + "graph/") for g in counts)
        assert sum(counts.values()) == sum(1 for _ in (other / "kg.nq").open())
        capsys.readouterr()
        monkeypatch.chdir(tmp_path)  # no build here: the base is read from the endpoint's data
        iris.configure(OLD)
        assert cli.main(["query", "who-urged", "--param", "actor=putin", "--endpoint", st.sparql, "--format", "csv",
                         "--out", str(tmp_path / "none")]) == 0
        remote_rows = parse_csv(capsys.readouterr().out)
        want = parse_csv(expected_path("who-urged", {"actor": "putin"}).read_text(encoding="utf-8").replace(OLD, NEW))
        assert remote_rows[0] == want[0] and sorted(remote_rows[1]) == sorted(want[1])
    finally:
        stop(proc)
