"""The built graph: dumps, determinism, evidence selectors, provenance, IRIs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pyoxigraph as ox
import rdflib

from kg import build, iris, load
from kg.publish import Dump

from conftest import ROOT, SEEDS, select


def test_all_dumps_written_with_checksums(built_dir):
    for dump in (Dump.TRIG, Dump.NQUADS, Dump.TURTLE, Dump.JSONLD, Dump.CONTEXT, Dump.SUMS):
        assert (built_dir / dump.value).stat().st_size > 0, dump
    for line in (built_dir / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((built_dir / name).read_bytes()).hexdigest() == digest, name
    assert not list(built_dir.glob(".*.tmp")), "temporary files left behind"


def test_two_builds_are_byte_identical(tmp_path):
    """Two separate processes (different hash seeds) give identical bytes."""
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "kg.cli", "build", "--out", str(out), "--quiet"],
                       check=True, cwd=ROOT, env=env, capture_output=True)
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and not p.is_symlink()
                     and p.name != build.RECORD})
    assert outs[0].keys() == outs[1].keys()
    for name in outs[0]:
        assert outs[0][name] == outs[1][name], f"{name} differs between two builds"


def test_trig_and_nquads_hold_the_same_quads(built_dir):
    trig = set(ox.parse(path=str(built_dir / "kg.trig"), format=ox.RdfFormat.TRIG))
    nq = set(ox.parse(path=str(built_dir / "kg.nq"), format=ox.RdfFormat.N_QUADS))
    assert len(trig) == len(nq) > 1000
    assert trig == nq


def test_nquads_are_grouped_by_graph_and_sorted(built_dir):
    """Graphs in IRI order, each graph's lines sorted: assembled from per-graph fragments, still a total order."""
    lines = (built_dir / "kg.nq").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and lines[0], "no empty first line, one line end at the end"
    graphs = [line.rsplit(" ", 2)[-2] for line in lines[:-1]]
    order = list(dict.fromkeys(graphs))
    assert order == sorted(order) and len(order) > 5
    for g in order:
        group = [line for line, name in zip(lines, graphs) if name == g]
        assert group == sorted(group), g


def test_turtle_is_the_asserted_union(built_dir):
    ttl = {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=str(built_dir / "kg.ttl"), format=ox.RdfFormat.TURTLE)}
    union = {ox.Triple(q.subject, q.predicate, q.object)
             for q in ox.parse(path=str(built_dir / "kg.nq"), format=ox.RdfFormat.N_QUADS)
             if q.graph_name.value != str(iris.G.INFERRED)}
    assert ttl == union


def test_jsonld_holds_the_same_quads_without_fetching_anything(built_dir):
    doc = json.loads((built_dir / "kg.jsonld").read_text(encoding="utf-8"))
    assert isinstance(doc["@context"], dict), "the context must be inline (no remote fetch)"
    assert doc["@context"] == json.loads((built_dir / "context.jsonld").read_text())["@context"]
    ds = rdflib.Dataset()
    ds.parse(data=json.dumps(doc), format="json-ld")
    nq = sum(1 for _ in ox.parse(path=str(built_dir / "kg.nq"), format=ox.RdfFormat.N_QUADS))
    assert len(list(ds.quads((None, None, None, None)))) == nq


def test_named_graphs(store):
    names = {g.value for g in store.named_graphs()}
    expected = {str(iris.G.ONTOLOGY), str(iris.G.ENTITIES), str(iris.G.PROVENANCE), str(iris.G.INFERRED)}
    expected |= {str(iris.G.article(p.stem)) for p in (SEEDS / "annotations").glob("*.yaml")}
    assert names == expected


def test_every_selector_selects_its_exact_quote(store):
    rows = select(store, """
        SELECT ?claim ?exact ?prefix ?suffix ?start ?end ?text WHERE {
          ?claim hrr:evidence ?ann .
          ?ann oa:hasTarget ?t . ?t oa:hasSource ?article ;
             oa:hasSelector ?q, ?p .
          ?q a oa:TextQuoteSelector ; oa:exact ?exact ; oa:prefix ?prefix ; oa:suffix ?suffix .
          ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
          ?article schema:text ?text .
        }""")
    assert len(rows) > 200
    for r in rows:
        start, end, text = int(r["start"]), int(r["end"]), r["text"]
        assert text[start:end] == r["exact"], r["claim"]
        assert text[:start].endswith(r["prefix"]) and text[end:].startswith(r["suffix"]), r["claim"]


def test_article_text_in_graph_is_the_file_verbatim(store):
    for r in select(store, "SELECT ?id ?text WHERE { ?a a hrr:Article ; dcterms:identifier ?id ; schema:text ?text }"):
        ann = load.source.parse((SEEDS / "annotations" / f"{r['id']}.yaml").read_text(encoding="utf-8"), "x")
        file = ann.get("article").get("file").value
        assert (SEEDS / "articles" / file).read_text(encoding="utf-8") == r["text"]


def test_every_claim_has_evidence_article_and_its_own_graph(store):
    rows = select(store, """
        SELECT ?claim (COUNT(DISTINCT ?ann) AS ?n) (SAMPLE(?g) AS ?graph) (SAMPLE(?art) AS ?article) WHERE {
          GRAPH ?g { ?claim a ?cls ; hrr:statedIn ?art }
          OPTIONAL { ?claim hrr:evidence ?ann }
        } GROUP BY ?claim""")
    assert len(rows) > 100
    for r in rows:
        assert int(r["n"]) >= 1, r["claim"]
        key = r["article"].rsplit("/", 1)[1]
        assert r["graph"] == str(iris.G.article(key)), r["claim"]
        assert r["claim"].startswith(f"{iris.base()}article/{key}/claim/")


def test_provenance_names_files_and_their_sha256(store):
    rows = select(store, """
        SELECT ?graph ?path ?sha ?when ?who WHERE {
          GRAPH <%s> {
            ?graph prov:wasDerivedFrom ?file ; prov:generatedAtTime ?when ; prov:wasAttributedTo ?who .
            ?file dcterms:identifier ?path ; hrr:sha256 ?sha .
          }
        }""" % iris.G.PROVENANCE)
    graphs = {r["graph"] for r in rows}
    assert {str(iris.G.ONTOLOGY), str(iris.G.ENTITIES)} <= graphs
    assert sum(g.startswith(f"{iris.base()}graph/article/") for g in graphs) == len(list((SEEDS / "annotations").glob("*.yaml")))
    for r in rows:
        assert hashlib.sha256((ROOT / r["path"]).read_bytes()).hexdigest() == r["sha"], r["path"]
        assert r["when"].endswith("T00:00:00Z") or r["when"].endswith("T00:00:00+00:00")


def test_all_minted_iris_are_https_under_the_base(store):
    for q in store:
        for term in (q.subject, q.object):
            if isinstance(term, ox.BlankNode):
                raise AssertionError(f"blank node in the graph: {q}")
        if isinstance(q.subject, ox.NamedNode) and "hrkg" in q.subject.value:
            assert q.subject.value.startswith((iris.base(), iris.ONTOLOGY_IRI)), q.subject


def test_entities_are_described_only_in_the_entity_graph(store):
    rows = select(store, f"""
        SELECT DISTINCT ?g ?e WHERE {{
          GRAPH ?g {{ ?e rdfs:label ?l }}
          FILTER(STRSTARTS(STR(?e), "{iris.base()}entity/") && ?g != <{iris.G.ENTITIES}>)
        }}""")
    assert rows == []


def test_void_describes_the_dumps_and_graphs(built_dir, store):
    g = rdflib.Graph().parse(built_dir / "void.ttl", format="turtle")
    void, dcat, spdx = (rdflib.Namespace(ns) for ns in ("http://rdfs.org/ns/void#", "http://www.w3.org/ns/dcat#", "http://spdx.org/rdf/terms#"))
    d = iris.dataset()
    dists = list(g.objects(d, dcat.distribution))
    assert len(dists) >= 6
    for dist in dists:
        name = str(g.value(dist, rdflib.namespace.DCTERMS.title))
        data = (built_dir / name).read_bytes()
        assert int(g.value(dist, dcat.byteSize)) == len(data), name
        checksum = g.value(dist, spdx.checksum)
        assert str(g.value(checksum, spdx.checksumValue)) == hashlib.sha256(data).hexdigest(), name
    sizes = {}
    for q in store:
        sizes[q.graph_name.value] = sizes.get(q.graph_name.value, 0) + 1
    for subset in g.objects(d, void.subset):
        name = str(g.value(subset, rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#name")))
        assert int(g.value(subset, void.triples)) == sizes[name], name
    assert int(g.value(d, void.triples)) == sum(n for k, n in sizes.items() if k != str(iris.G.INFERRED))


def test_nquads_of_sorted_lines_are_the_serialisers_bytes(built_dir):
    """The provenance graph's N-Quads are made from its N-Triples lines by adding the graph name;
    they must be the bytes pyoxigraph's N-Quads serialiser gives, sorted, on tricky literals too."""
    from kg import publish, shard
    from kg.store import ox_triples, rdflib_term
    prov = [(rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object))
            for q in ox.parse(path=str(built_dir / "kg.nq"), format=ox.RdfFormat.N_QUADS)
            if q.graph_name.value == str(iris.G.PROVENANCE)]
    s, p = rdflib.URIRef("https://example.org/s"), rdflib.URIRef("https://example.org/p")
    odd = [(s, p, rdflib.Literal(text, lang=lang)) for text in ("ab", "ab c", "ab\n", 'a"b', "a\u2028b", "zé", "")
           for lang in (None, "en")]
    odd += [(s, p, rdflib.URIRef("https://example.org/o")), (s, p, rdflib.Literal("1", datatype=rdflib.XSD.integer))]
    for triples in (prov, odd):
        graph = str(iris.G.PROVENANCE)
        expected = publish.nquads(graph, publish.sorted_triples(ox_triples(triples)))
        assert publish.nquads_of_lines(graph, shard.nt_lines(triples)) == expected
    assert len(prov) > 50


def test_sorted_triples_and_nquads_are_the_serialisers_order_and_bytes(built_dir):
    """publish.sorted_triples sorts by the N-Triples lines and publish.nquads adds the graph name to
    them: the same order as sorting by (str(subject), str(predicate), str(object)), and the bytes of
    pyoxigraph's N-Quads serialiser, sorted, on the seeds' graphs and on terms whose text is a
    prefix of another's (IRIs, blank nodes, languages, escapes, datatypes)."""
    import random
    from kg import publish
    seeds = [ox.Triple(q.subject, q.predicate, q.object)
             for q in ox.parse(path=str(built_dir / "kg.nq"), format=ox.RdfFormat.N_QUADS)]
    objects = [ox.Literal(t) for t in ("a", "a b", "a\tb", "a\nb", "a\x01", "a\u2028", 'a"q', "a\\", "", "zé")]
    objects += [ox.Literal("a", language=lang) for lang in ("en", "en-gb")]
    objects += [ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))]
    subjects = [ox.NamedNode(iri) for iri in ("http://a/b", "http://a/b/c", "http://a/b%20c", "http://a/bc")]
    subjects += [ox.BlankNode("b1"), ox.BlankNode("b10")]
    odd = [ox.Triple(s, ox.NamedNode("http://p/" + p), o)
           for s in subjects for p in ("a", "ab", "a/b") for o in objects + subjects]
    random.Random(7).shuffle(odd)
    graph = ox.NamedNode("https://example.org/graph")
    for triples in (seeds, odd + odd[:5]):
        expected = sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
        assert publish.sorted_triples(triples) == expected
        quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in expected]
        serialised = sorted(line + b"\n" for line in ox.serialize(quads, format=ox.RdfFormat.N_QUADS).split(b"\n") if line)
        assert publish.nquads(graph.value, expected) == b"".join(serialised)
    assert len(seeds) > 5_000
