"""The per-article inference path works on sets of triples, not rdflib graphs: the closure
(``infer.close``) and the rules (``infer.new_triples``, a CONSTRUCT of one basic graph pattern
evaluated by ``infer._construct``). Both must give exactly what the graph path gives — the
closure of an rdflib graph, and rdflib's SPARQL engine running the rules on it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.sparql import prepareQuery

from kg import build, cache as cachemod, infer, load, shard
from kg.build import ROOT, SEEDS

X = "http://example.org/"


def _inputs(seeds):
    ctx, *_ = build._context(load.Sources.of(seeds), cachemod.Cache(None))
    shard.init(ctx)
    for key in sorted(ctx.src.annotations):
        p = shard.parts(ctx, key)
        given = infer.reasoner_triples(ctx.ontology_triples, [p.graph, p.context], ctx.reasoned)
        yield key, given, given | set(p.graph) | set(p.context) | set(p.prov)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("sets") / "seeds"
    subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), "6", "--out", str(out), "--jobs", "1"],
                   check=True, capture_output=True)
    return out


@pytest.mark.parametrize("engine", list(infer.Engine))
@pytest.mark.parametrize("which", ["seeds", "corpus"])
def test_the_set_path_equals_the_graph_path_on_every_article(which, engine, corpus, monkeypatch):
    monkeypatch.setenv("KG_REASONER", engine.value)
    ruled = 0
    for key, given, asserted in _inputs(SEEDS if which == "seeds" else corpus):
        g = Graph()
        for t in given:
            g.add(t)
        infer.expand(g)
        closed = infer.close(given)
        assert closed == set(g), key
        graph_path = infer.new_triples(g, asserted)
        set_path = infer.new_triples(closed, asserted)
        monkeypatch.setenv("KG_RULES", "rdflib")
        assert infer.new_triples(closed, asserted) == graph_path, key
        monkeypatch.delenv("KG_RULES")
        assert set_path == graph_path, key
        ruled += sum(1 for t in set_path if str(t[1]).endswith(("raisedIssueWith", "urgedToRaiseIssueWith")))
    assert ruled > 0   # the rules did produce something to compare


DATA = [
    (URIRef(X + "a"), URIRef(X + "p"), URIRef(X + "b")),
    (URIRef(X + "b"), URIRef(X + "p"), URIRef(X + "c")),
    (URIRef(X + "c"), URIRef(X + "p"), URIRef(X + "c")),
    (URIRef(X + "a"), URIRef(X + "q"), Literal("a literal")),
    (URIRef(X + "a"), URIRef(X + "q"), Literal("5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"))),
    (URIRef(X + "b"), RDF.type, URIRef(X + "T")),
    (URIRef(X + "c"), RDF.type, URIRef(X + "T")),
]

RULES = {
    "a chain": "CONSTRUCT { ?x <{X}r> ?z } WHERE { ?x <{X}p> ?y . ?y <{X}p> ?z }",
    "a repeated variable": "CONSTRUCT { ?x <{X}self> <{X}yes> } WHERE { ?x <{X}p> ?x }",
    "a literal bound as subject (kept, as rdflib keeps it)": "CONSTRUCT { ?v <{X}of> ?x . ?x <{X}has> ?v } WHERE { ?x <{X}q> ?v }",
    "a constant subject and object": "CONSTRUCT { <{X}a> <{X}seen> ?t } WHERE { <{X}b> a ?t . <{X}a> <{X}p> <{X}b> }",
    "a template variable the pattern never binds": "CONSTRUCT { ?x <{X}r> ?nothing . ?x <{X}r> ?y } WHERE { ?x <{X}p> ?y }",
    "no solution": "CONSTRUCT { ?x <{X}r> ?y } WHERE { ?x <{X}p> ?y . ?y <{X}missing> ?x }",
    "a type join": "CONSTRUCT { ?x <{X}linksTo> ?t } WHERE { ?x <{X}p> ?y . ?y a ?t . ?t a ?u }",
}


@pytest.mark.parametrize("name", sorted(RULES))
def test_the_rule_evaluator_answers_as_rdflib_does(name):
    query = prepareQuery(RULES[name].replace("{X}", X))
    plain = infer._bgp_construct(query.algebra)
    assert plain is not None
    g = Graph()
    for t in DATA:
        g.add(t)
    index = infer._Index(DATA, {p for _, p, _ in plain[0]})
    assert infer._construct(*plain, index) == set(g.query(query))


@pytest.mark.parametrize("text", [
    "CONSTRUCT { ?x <{X}r> ?y } WHERE { ?x <{X}p> ?y FILTER(?x != ?y) }",
    "CONSTRUCT { ?x <{X}r> ?y } WHERE { ?x <{X}p> ?y OPTIONAL { ?y <{X}q> ?z } }",
    "CONSTRUCT { ?x <{X}r> ?y } WHERE { ?x <{X}p>+ ?y }",
    "CONSTRUCT { ?x ?p ?y } WHERE { ?x ?p ?y }",
    "CONSTRUCT { ?x <{X}r> [] } WHERE { ?x <{X}p> ?y }",
])
def test_anything_but_one_plain_pattern_is_left_to_rdflib(text):
    assert infer._bgp_construct(prepareQuery(text.replace("{X}", X)).algebra) is None
