"""OWL 2 RL inference: one test per rule the ontology relies on, named after the rule.

Small graphs isolate each rule (ontology + a few data triples); the real build shows
the shortcuts researchers use and that inferred triples stay in their own graph.
"""

from __future__ import annotations

import re
import sys

import pyoxigraph as ox
import pytest
from rdflib import URIRef
from rdflib.namespace import RDF

from kg import build, cli, infer, iris, map as mapper
from kg.build import ONTOLOGY
from kg.errors import InconsistencyError
from kg.store import Store
from kg.vocab import HRR

from conftest import copy_seeds, select, snapshot

E = lambda name: iris.entity(name)  # noqa: E731
C = lambda name: iris.claim("t", name)  # noqa: E731


@pytest.fixture(params=[e.value for e in infer.Engine], autouse=True)
def reasoner(request, monkeypatch):
    """Every rule test runs on the reference engine (owlrl) and on the fast ones (reasonable, native)."""
    monkeypatch.setenv("KG_REASONER", request.param)
    return request.param


def inferred(*triples) -> set:
    store = Store()
    mapper.map_ontology(store, ONTOLOGY)
    g = store.graph(iris.G.article("t"))
    for t in triples:
        g.add(t)
    return set(infer.infer(store))


def test_every_rule_named_in_the_ontology_has_a_test():
    named = set(re.findall(r"# RULE ([a-z0-9-]+(?:, [a-z0-9-]+)*)", ONTOLOGY.read_text()))
    rules = {r for group in named for r in group.split(", ")}
    tests = {name for name in dir(sys.modules[__name__]) if name.startswith("test_")}
    for rule in rules:
        assert any(rule.replace("-", "_") in t for t in tests), f"no test for {rule}"


def test_cax_sco_a_person_is_an_actor_and_pressure_is_a_raising():
    got = inferred((E("p"), RDF.type, HRR.Person), (C("x"), RDF.type, HRR.Pressure))
    assert (E("p"), RDF.type, HRR.Actor) in got
    assert (E("p"), RDF.type, URIRef("http://xmlns.com/foaf/0.1/Person")) in got
    assert (C("x"), RDF.type, HRR.RaisingOfIssue) in got
    assert (C("x"), RDF.type, HRR.SpeechAct) in got


def test_prp_spo1_a_speaker_is_an_agent():
    got = inferred((C("x"), HRR.speaker, E("p")), (E("g"), HRR.member, E("p")))
    assert (C("x"), HRR.agent, E("p")) in got
    assert (E("g"), URIRef("http://xmlns.com/foaf/0.1/member"), E("p")) in got


def test_prp_dom_whoever_has_a_speaker_is_a_speech_act():
    got = inferred((C("x"), HRR.speaker, E("p")))
    assert (C("x"), RDF.type, HRR.SpeechAct) in got


def test_prp_rng_a_place_is_a_place():
    got = inferred((C("x"), HRR.place, E("somewhere")))
    assert (E("somewhere"), RDF.type, HRR.Place) in got


def test_prp_inv1_prp_inv2_inverses():
    got = inferred((C("x"), HRR.statedIn, iris.article("t")),
                   (iris.position("p", "k"), HRR.holder, E("p")))
    assert (iris.article("t"), HRR.supports, C("x")) in got
    assert (E("p"), HRR.holds, iris.position("p", "k")) in got


def test_prp_trp_located_in_is_transitive():
    got = inferred((E("a"), HRR.locatedIn, E("b")), (E("b"), HRR.locatedIn, E("c")))
    assert (E("a"), HRR.locatedIn, E("c")) in got


def test_cax_dw_a_person_that_is_an_organisation_is_inconsistent():
    with pytest.raises(InconsistencyError, match="Disjoint classes"):
        inferred((E("p"), RDF.type, HRR.Person), (E("p"), RDF.type, HRR.Organisation))


def test_prp_fp_eq_diff1_two_factualities_are_inconsistent():
    with pytest.raises(InconsistencyError):
        inferred((C("x"), HRR.factuality, HRR.Occurred), (C("x"), HRR.factuality, HRR.NotOccurred))


def test_consistent_data_passes():
    assert inferred((C("x"), HRR.factuality, HRR.Occurred))


def test_rule_raised_issue_with_only_for_raisings_that_occurred():
    got = inferred(
        (C("a"), RDF.type, HRR.Pressure), (C("a"), HRR.factuality, HRR.Occurred),
        (C("a"), HRR.speaker, E("merkel")), (C("a"), HRR.addressee, E("putin")),
        (C("b"), RDF.type, HRR.RaisingOfIssue), (C("b"), HRR.factuality, HRR.NotOccurred),
        (C("b"), HRR.speaker, E("tillerson")), (C("b"), HRR.addressee, E("putin")),
    )
    assert (E("merkel"), HRR.raisedIssueWith, E("putin")) in got
    assert (E("tillerson"), HRR.raisedIssueWith, E("putin")) not in got


# ---------------------------------------------------------------- on the real build

def test_shortcuts_on_the_seeds(store):
    raised = select(store, "SELECT ?who WHERE { ?w hrr:raisedIssueWith entity:putin ; rdfs:label ?who }")
    assert {r["who"] for r in raised} == {"Angela Merkel", "Emmanuel Macron"}
    urged = select(store, "SELECT ?who WHERE { ?w hrr:urgedToRaiseIssueWith entity:putin ; rdfs:label ?who }")
    assert "Donald Trump" in {r["who"] for r in urged}
    chain = select(store, "SELECT ?x WHERE { entity:argun hrr:locatedIn entity:russia BIND(1 AS ?x) }")
    assert chain, "Argun -> Chechnya -> North Caucasus -> Russia"


def test_inferred_graph_is_separate_in_the_dumps(built_dir):
    inferred_graph = str(iris.G.INFERRED)
    quads = list(ox.parse(path=str(built_dir / "kg.trig"), format=ox.RdfFormat.TRIG))
    inf = {ox.Triple(q.subject, q.predicate, q.object) for q in quads if q.graph_name.value == inferred_graph}
    asserted = {ox.Triple(q.subject, q.predicate, q.object) for q in quads if q.graph_name.value != inferred_graph}
    assert len(inf) > 500
    assert not (inf & asserted), "an inferred triple is also asserted"
    triples = lambda name: {ox.Triple(q.subject, q.predicate, q.object)  # noqa: E731
                            for q in ox.parse(path=str(built_dir / name), format=ox.RdfFormat.TURTLE)}
    assert not (inf & triples("kg.ttl")), "kg.ttl is the asserted union; it must not hold inferred triples"
    assert triples("kg-inferred.ttl") == inf
    text = (built_dir / "kg.nq").read_text(encoding="utf-8")
    assert "agent-ont#" not in text, "owlrl error triples reached a dump"


@pytest.mark.parametrize("beside", [False, True], ids=["inline", "beside"])
def test_an_inconsistency_fails_the_build_and_writes_nothing(tmp_path, capsys, monkeypatch, beside):
    # the corpus-wide pass finds it, whether run in this process or in one forked beside the validation
    monkeypatch.setattr(build, "_BESIDE_FROM", 0 if beside else 10 ** 9)
    seeds = copy_seeds(tmp_path)
    out = tmp_path / "out"
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out), "--quiet"]) == 0
    before = snapshot(out)
    (seeds / "additions").mkdir()
    (seeds / "additions" / "oops.ttl").write_text(
        "@prefix entity: <https://hrkg.example.org/chechnya-2017/entity/> .\n"
        "@prefix hrr: <https://hrkg.example.org/ontology/> .\n"
        "entity:trump a hrr:Organisation .\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out), "--quiet", "--jobs", "2"]) == 1
    err = capsys.readouterr().err
    assert "inconsistent" in err and "Disjoint classes" in err and "entity/trump" in err
    assert "Traceback" not in err
    assert snapshot(out) == before
