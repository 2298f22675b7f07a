"""The native OWL 2 RL engine (kg.rl) against the reference (owlrl) and reasonable.

What the build keeps of a closure (triples about the dataset's resources, noise left out) and the
inconsistencies it reports must be the same whichever engine closes it: on every seed article, a
generated corpus, and random data over an ontology that uses every rule the engine draws. Where
the engine steps aside it says so (kg.rl.Unsupported) and kg.infer.close reasons with another.
"""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg import build, cache as cachemod, infer, iris, load, rl, shard
from kg.build import ROOT, SEEDS
from kg.errors import InconsistencyError

O = "http://example.org/onto#"
D = "http://example.org/data/"


def o(name: str) -> URIRef:
    return URIRef(O + name)


def d(name: str) -> URIRef:
    return URIRef(D + name)


# an ontology drawing on every rule of kg.rl: class and property hierarchies with equivalences,
# domains and ranges (also of super-properties), inverses, symmetric, transitive, functional and
# inverse-functional properties, a disjointness, and individuals declared different
ONTOLOGY = [
    (o("A"), RDFS.subClassOf, o("B")), (o("B"), RDFS.subClassOf, o("C")), (o("A2"), OWL.equivalentClass, o("A")),
    (o("D"), RDFS.subClassOf, o("E")), (o("G"), RDFS.subClassOf, o("H")), (o("C"), OWL.disjointWith, o("H")),
    (o("p"), RDFS.subPropertyOf, o("q")), (o("q"), RDFS.subPropertyOf, o("r")), (o("p2"), OWL.equivalentProperty, o("p")),
    (o("q"), RDFS.domain, o("A")), (o("r"), RDFS.range, o("B")), (o("s"), RDFS.domain, o("D")),
    (o("p"), OWL.inverseOf, o("pinv")), (o("pinv"), RDFS.range, o("C")),
    (o("sym"), RDF.type, OWL.SymmetricProperty), (o("sym"), RDF.type, OWL.ObjectProperty),
    (o("t"), RDF.type, OWL.TransitiveProperty), (o("t"), RDFS.subPropertyOf, o("s")),
    (o("f"), RDF.type, OWL.FunctionalProperty), (o("f"), RDF.type, OWL.ObjectProperty),
    (o("i"), RDF.type, OWL.InverseFunctionalProperty),
    (o("v"), RDF.type, OWL.DatatypeProperty), (o("v"), RDFS.domain, o("B")), (o("v"), RDFS.range, XSD.string),
    (o("x1"), RDF.type, o("E")), (o("x2"), RDF.type, o("E")), (o("x1"), OWL.differentFrom, o("x2")),
    (o("A"), RDF.type, OWL.Class), (o("onto"), RDF.type, OWL.Ontology),
]
PROPERTIES = [o(n) for n in ("p", "p2", "q", "r", "s", "pinv", "sym", "t", "f", "i", "plain")]
CLASSES = [o(n) for n in ("A", "A2", "B", "C", "D", "E", "F")]


def kept(closed, given) -> set:
    return {t for t in closed if infer._keep(t, D) and t not in given}


def closure(triples: set, engine: infer.Engine) -> tuple[set | None, str | None]:
    try:
        return kept(infer.close(triples, engine), triples), None
    except InconsistencyError as exc:
        return None, str(exc)


def random_data(rng: random.Random) -> set:
    people = [d(f"n{i}") for i in range(rng.randint(3, 9))] + [o("x1"), o("x2")]
    data = set()
    for _ in range(rng.randint(5, 30)):
        roll = rng.random()
        s = rng.choice(people[:-2])
        if roll < 0.02:
            data.add((s, RDF.type, o("G")))   # disjoint with C, which most resources come to be
        elif roll < 0.25:
            data.add((s, RDF.type, rng.choice(CLASSES)))
        elif roll < 0.32:
            data.add((s, o("v"), Literal(rng.choice(["one", "two"]))))
        elif roll < 0.36:
            data.add((s, OWL.sameAs, rng.choice(people[:-2])))
        else:
            data.add((s, rng.choice(PROPERTIES), rng.choice(people)))
    return data


def test_random_data_over_every_rule_equals_owlrl():
    """Hundreds of random data sets: the kept conclusions and the inconsistencies of the native engine
    are owlrl's. (reasonable's are not, on about one in ten of these: mostly a different list of
    clashing individuals, once a conclusion owlrl does not draw, once a clash missed.)"""
    rng = random.Random(20261204)
    ran = clashed = same = 0
    for case in range(400):
        triples = set(ONTOLOGY) | random_data(rng)
        try:
            rl.conclusions(triples)
        except rl.Unsupported:
            continue
        ran += 1
        native = closure(triples, infer.Engine.NATIVE)
        assert native == closure(triples, infer.Engine.OWLRL), (case, sorted(triples))
        clashed += native[1] is not None
        same += any(p == OWL.sameAs for _, p, _ in triples) or native[1] is not None and "sameAs" in native[1]
    assert ran == 400 and clashed > 50 and ran - clashed > 200 and same > 100, (ran, clashed, same)


def _articles(seeds):
    ctx, *_ = build._context(load.Sources.of(seeds), cachemod.Cache(None))
    shard.init(ctx)
    for key in sorted(ctx.src.annotations):
        p = shard.parts(ctx, key)
        given = infer.reasoner_triples(ctx.ontology_triples, [p.graph, p.context], ctx.reasoned)
        yield key, given, given | set(p.graph) | set(p.context) | set(p.prov)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("rl") / "seeds"
    subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), "8", "--out", str(out), "--jobs", "1"],
                   check=True, capture_output=True)
    return out


@pytest.mark.parametrize("which", ["seeds", "corpus"])
def test_every_article_is_reasoned_natively_and_as_owlrl_does(which, corpus):
    n = 0
    for key, given, asserted in _articles(SEEDS if which == "seeds" else corpus):
        assert rl.conclusions(given), key   # the engine does not step aside on the project's own data
        native = infer.new_triples(infer.close(given, infer.Engine.NATIVE), asserted)
        assert native == infer.new_triples(infer.close(given, infer.Engine.OWLRL), asserted), key
        assert native == infer.new_triples(infer.close(given, infer.Engine.REASONABLE), asserted), key
        n += 1
    assert n >= 5


def test_the_whole_seed_corpus_pass_is_native_and_equal():
    """The corpus-wide pass (the registry, the ontology as a graph, every article's data) in one go."""
    ctx, *_ = build._context(load.Sources.of(SEEDS), cachemod.Cache(None))
    shard.init(ctx)
    given = set(infer.axioms(ctx.ontology, ctx.reasoned))
    for _, g, _ in _articles(SEEDS):
        given |= g
    assert rl.conclusions(given)
    assert kept(infer.close(given, infer.Engine.NATIVE), given) == kept(infer.close(given, infer.Engine.OWLRL), given)


STEPS_ASIDE = {
    "a class expression": [(o("A"), OWL.equivalentClass, o("R")), (o("R"), RDF.type, OWL.Restriction),
                           (o("R"), OWL.onProperty, o("p")), (o("R"), OWL.someValuesFrom, o("B"))],
    "a property chain": [(o("r"), OWL.propertyChainAxiom, RDF.nil)],
    "owl:Nothing": [(o("F"), RDFS.subClassOf, OWL.Nothing)],
    "a superclass of owl:Thing": [(OWL.Thing, RDFS.subClassOf, o("F"))],
    "a class equivalent to owl:Thing": [(o("F"), OWL.equivalentClass, OWL.Thing), (d("n1"), RDF.type, o("F"))],
    "a range that is a property characteristic": [(o("plain"), RDFS.range, OWL.TransitiveProperty),
                                                  (d("n1"), o("plain"), d("n2"))],
    "owl:sameAs of a class": [(d("n1"), OWL.sameAs, o("A"))],
    "owl:sameAs of literals by a functional property": [
        (o("v"), RDF.type, OWL.FunctionalProperty), (d("n1"), o("v"), Literal("a")), (d("n1"), o("v"), Literal("b"))],
    "an asymmetric property": [(o("sym2"), RDF.type, OWL.AsymmetricProperty)],
    "owl:AllDifferent": [(o("all"), RDF.type, OWL.AllDifferent)],
}


@pytest.mark.parametrize("name", sorted(STEPS_ASIDE))
def test_the_engine_steps_aside_where_it_would_not_give_owlrls_answer(name):
    triples = set(ONTOLOGY) | {(d("n1"), o("p"), d("n2"))} | set(STEPS_ASIDE[name])
    with pytest.raises(rl.Unsupported):
        rl.conclusions(triples)
    # and the closure is still reasoned (by reasonable, or owlrl for what reasonable cannot check)
    native, ref = closure(triples, infer.Engine.NATIVE), closure(triples, infer.Engine.REASONABLE)
    assert native == ref


def test_a_clash_is_found_and_worded_as_owlrl_words_it():
    data = {(d("a"), o("f"), o("x1")), (d("a"), o("f"), o("x2")),                      # prp-fp, eq-diff1
            (d("b"), RDF.type, o("A2")), (d("b"), RDF.type, o("G"))}                       # cax-eqc, cax-sco, cax-dw
    native, ref = closure(set(ONTOLOGY) | data, infer.Engine.NATIVE), closure(set(ONTOLOGY) | data, infer.Engine.OWLRL)
    assert native[0] is None and native == ref
    assert "'sameAs' and 'differentFrom'" in native[1] and f"common individual {d('b')}" in native[1]


def test_the_engine_is_chosen_by_kg_reasoner(monkeypatch):
    monkeypatch.delenv("KG_REASONER", raising=False)
    assert infer.engine() is infer.Engine.NATIVE
    monkeypatch.setenv("KG_REASONER", "pellet")
    with pytest.raises(Exception, match="KG_REASONER='pellet': use 'native'"):
        infer.engine()

