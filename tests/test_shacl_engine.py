"""The native SHACL engine (kg/shacl.py) gives exactly pyshacl's results (issue 7, item 4).

pyshacl is the reference: every test runs both engines on the same data and compares the complete,
ordered result lists (severity, message, focus, path, value, source and the traced place):

* every SHACL validation a real build makes: each seed article's graph with its context, the
  registry, provenance and curator additions, and the whole union ``kg validate`` checks;
* the same on a generated corpus (bench/corpus.py);
* every case under tests/shapes/, with the shapes' own messages and with pyshacl's default ones;
* random mutations of a seed article (hypothesis: triples dropped, values duplicated, datatypes
  and lexical forms changed, classes swapped);
* shapes using the components ontology/shapes.ttl does not (yet) use but the engine implements;
* what the engine does not implement falls back to pyshacl, and says so.

``HYPOTHESIS_PROFILE=long`` runs many more mutations (by hand; the default keeps CI to seconds).
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pyshacl.errors import ReportableRuntimeError
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, SH

from kg import build, cache as cachemod, cli, load, shacl, shard, validate

from conftest import ROOT, SEEDS
from test_shapes import INVALID, VALID, ontology, rdflib_datatypes

NATIVE, PYSHACL = validate.Engine.NATIVE, validate.Engine.PYSHACL
HRR = Namespace("https://hrkg.example.org/ontology/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")   # rdflib's closed XSD warns when pytest inspects it
LONG = os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci"


def keys(report: validate.Report) -> list[tuple]:
    return [r.key() + (r.where,) for r in report.results]


def both(data, shapes: Graph | None = None, tracer: validate.Tracer | None = None) -> tuple[list, list]:
    tracer = tracer or validate.Tracer()
    native, _ = validate.shacl(data, tracer, shapes, NATIVE)
    reference, _ = validate.shacl(data, tracer, shapes, PYSHACL)
    return keys(native), keys(reference)


@pytest.fixture
def native_only(monkeypatch):
    """The native engine must really run: a fallback to pyshacl fails the test."""
    def refuse(why: str) -> None:
        raise AssertionError(f"the native engine fell back to pyshacl: {why}")
    monkeypatch.setattr(validate, "_fall_back", refuse)


@pytest.fixture
def compared(monkeypatch, native_only):
    """Every validate.shacl call of whatever runs next is made with both engines; the native
    results are returned (so a build goes on), the pairs recorded for the test to compare."""
    calls: list[tuple[list, list, int]] = []
    real = validate.shacl

    def shacl_both(data, tracer, shapes=None, which=None):
        parts = data if isinstance(data, Graph) else list(data)
        native, graph = real(parts, tracer, shapes, NATIVE)
        reference, _ = real(parts, tracer, shapes, PYSHACL)
        size = len(parts) if isinstance(parts, Graph) else sum(len(list(p)) for p in parts)
        calls.append((keys(native), keys(reference), size))
        return native, graph

    monkeypatch.setattr(validate, "shacl", shacl_both)
    return calls


def assert_equal(calls: list, least_calls: int) -> None:
    assert len(calls) >= least_calls, f"expected at least {least_calls} SHACL validations, saw {len(calls)}"
    for i, (native, reference, size) in enumerate(calls):
        assert native == reference, f"validation {i} ({size} triples): the engines differ"
    assert sum(len(n) for n, _, _ in calls) > 0, "no results at all: the comparison would prove little"


# ---------------------------------------------------------------- what a build validates

def test_the_project_shapes_compile():
    compiled = shacl.compile_shapes(validate.shapes_graph())
    assert len(compiled.top) >= 28
    used = {type(c).__name__ for s in compiled.shapes.values() for c in s.constraints}
    assert {"ClassC", "DatatypeC", "MinCountC", "MaxCountC", "HasValueC", "InC", "PatternC", "MinLengthC",
            "LessThanC", "LessThanOrEqualsC", "NodeC", "PropertyC", "AndC", "OrC", "NotC", "QualifiedC"} <= used


def _seeds_with_additions(tmp_path: Path) -> Path:
    """The seeds, the curation fixture's article and registry entries, and a Turtle addition that
    breaks shapes on the registry and on an article (so that article is validated with it)."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    fixture = ROOT / "tests" / "fixtures" / "curation"
    shutil.copy(fixture / "005_fixture.txt", seeds / "articles")
    shutil.copy(fixture / "005.yaml", seeds / "annotations")
    with open(seeds / "entities.yaml", "a", encoding="utf-8") as fh:
        fh.write("\n" + (fixture / "entities-005.yaml").read_text(encoding="utf-8"))
    (seeds / "additions").mkdir()
    (seeds / "additions" / "extra.ttl").write_text(
        "@prefix hrr: <https://hrkg.example.org/ontology/> .\n"
        "@prefix entity: <https://hrkg.example.org/chechnya-2017/entity/> .\n"
        "@prefix article: <https://hrkg.example.org/chechnya-2017/article/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "entity:new-group a hrr:Group ; hrr:memberCount \"many\" ; hrr:member entity:nowhere-land .\n"
        "entity:nowhere-land a hrr:Place ; hrr:locatedIn \"the south\" .\n"
        "entity:nowhere-land rdfs:seeAlso article:000 .\n", encoding="utf-8")
    return seeds


def test_every_validation_of_a_build_is_the_same_with_both_engines(compared, tmp_path):
    src = build.sources(_seeds_with_additions(tmp_path), "seeds")
    a = build.assess(src, cachemod.Cache(tmp_path / "cache"), jobs=1)
    assert not a.report.conforms, "the addition breaks shapes"
    assert_equal(compared, least_calls=6 + 1)   # six articles, then the registry, provenance and additions
    whole = compared[-1]
    assert any("hrs:GroupShape" in r[5] for r in whole[0]) and any("hrs:PlaceShape" in r[5] for r in whole[0])


def test_the_whole_union_kg_validate_checks_is_the_same_with_both_engines(compared):
    built = build.validated(build.graph(SEEDS, "seeds"))
    assert_equal(compared, least_calls=1)
    assert len(built.report.results) == 3


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """20 generated articles: another registry, other mixes of claims than the seeds."""
    out = tmp_path_factory.mktemp("shacl-corpus") / "seeds"
    subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), "20", "--out", str(out), "--jobs", "1"],
                   check=True, capture_output=True)
    return out


def test_a_generated_corpus_validates_the_same_with_both_engines(compared, corpus, tmp_path):
    build.assess(build.sources(corpus, "seeds"), cachemod.Cache(tmp_path / "cache"), jobs=1)
    assert_equal(compared, least_calls=20 + 1)


# ---------------------------------------------------------------- the shape cases

CASES = VALID + INVALID


def _case(path: Path) -> Graph:
    data = Graph()
    for t in ontology():
        data.add(t)
    data.parse(path, format="turtle")
    return data


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_shape_cases_give_the_same_results(path, native_only):
    with rdflib_datatypes():
        native, reference = both(_case(path))
    assert native == reference
    if path in INVALID and "# xfail:" not in path.read_text(encoding="utf-8"):
        assert native, "an invalid case gets results"


def _without_messages() -> Graph:
    g = Graph()
    for prefix, ns in validate.shapes_graph().namespace_manager.namespaces():
        g.bind(prefix, ns)
    for t in validate.shapes_graph():
        if t[1] != SH.message:
            g.add(t)
    return g


def test_default_messages_are_pyshacls(native_only):
    """Without sh:message, results carry pyshacl's own message texts: the engine words them alike
    (on every third invalid case: enough to word each component's results, at a third of the time)."""
    shapes = _without_messages()
    seen = set()
    with rdflib_datatypes():
        for path in INVALID[::3]:
            native, reference = both(_case(path), shapes)
            assert native == reference, path.name
            seen.update(r[1].split(" ")[0] for r in native)
    assert {"Less", "More", "Value", "Node", "Focus"} <= seen, seen


# ---------------------------------------------------------------- mutations

@pytest.fixture(scope="module")
def article():
    ctx, *_ = build._context(load.Sources.of(SEEDS), cachemod.Cache(None))
    p = shard.parts(ctx, "000")
    triples = sorted(p.graph, key=lambda t: tuple(x.n3() for x in t))
    classes = sorted({s for s in ctx.ontology.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef)})
    return triples, [p.context, p.prov, ctx.skeleton], classes


DATATYPES = [XSD.string, XSD.integer, XSD.nonNegativeInteger, XSD.date, XSD.gYear, XSD.gYearMonth, XSD.dateTime,
             XSD.boolean, XSD.decimal, RDF.langString, None]
LEXICAL = ["", "x", "0", "-1", "42", "007", "2017", "2017-02", "2017-02-30", "2017-13-01", "2017-07-08", "true",
           "1.5", "more than 100", "\u00a0", "Day"]


def _mutate(triples: list, classes: list, ops: list) -> list:
    out = list(triples)
    rng = random.Random(0)
    for op, i, j in ops:
        if not out:
            break
        s, p, o = out[i % len(out)]
        if op == "drop":
            out.pop(i % len(out))
        elif op == "duplicate":      # a second value: another object of the same property, or a variant
            others = [t[2] for t in out if t[1] == p and t[2] != o]
            o2 = others[j % len(others)] if others else (Literal(str(o) + "x", datatype=o.datatype, lang=o.language)
                                                        if isinstance(o, Literal) else URIRef(str(o) + "-2"))
            out.append((s, p, o2))
        elif op == "datatype" and isinstance(o, Literal):
            dt = DATATYPES[j % len(DATATYPES)]
            o2 = Literal(str(o), lang="en") if dt == RDF.langString else Literal(str(o), datatype=dt)
            out[i % len(out)] = (s, p, o2)
        elif op == "lexical" and isinstance(o, Literal):
            out[i % len(out)] = (s, p, Literal(LEXICAL[j % len(LEXICAL)], datatype=o.datatype, lang=o.language))
        elif op == "class":
            typed = [k for k, t in enumerate(out) if t[1] == RDF.type]
            k = typed[i % len(typed)] if typed else i % len(out)
            out[k] = (out[k][0], RDF.type, classes[j % len(classes)])
        elif op == "object":         # an IRI where a literal was, or the other way round
            out[i % len(out)] = (s, p, Literal(str(o)) if not isinstance(o, Literal)
                                 else rng.choice([HRR.Day, URIRef(str(s)), BNode()]))
    return out


@pytest.mark.filterwarnings("ignore:Parsing weird boolean:UserWarning")   # rdflib on a mutated xsd:boolean
@settings(max_examples=200 if LONG else 10, deadline=None, derandomize=not LONG, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(st.sampled_from(["drop", "duplicate", "datatype", "lexical", "class", "object"]),
                              st.integers(0, 10_000), st.integers(0, 10_000)), min_size=1, max_size=12))
def test_mutated_articles_give_the_same_results(article, native_only, ops):
    triples, rest, classes = article
    logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)   # ill-formed literals are the point here
    native, reference = both([_mutate(triples, classes, ops), *rest])
    assert native == reference


# ---------------------------------------------------------------- components the project's shapes do not use

EXTRA_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ex: <https://example.org/> .

ex:Thing a sh:NodeShape , rdfs:Class ;                       # an implicit class target
    sh:property [ sh:path ex:code ; sh:maxLength 3 ; sh:nodeKind sh:Literal ;
                  sh:pattern "^[a-z]+$" ; sh:flags "i" ] ,
                [ sh:path ex:same ; sh:equals ex:also ] ,
                [ sh:path ex:apart ; sh:disjoint ex:also ] ,
                [ sh:path [ sh:inversePath ex:owns ] ; sh:minCount 1 ; sh:class ex:Owner , ex:Person ] ,
                [ sh:path ex:low ; sh:lessThanOrEquals ex:high ; sh:lessThan ex:high ] ,
                [ sh:path ex:part ; sh:qualifiedValueShape [ sh:class ex:Part ] ; sh:qualifiedMaxCount 1 ] ;
    sh:xone ( [ sh:class ex:Red ] [ sh:class ex:Round ] ) .

ex:Pinned a sh:NodeShape ;
    sh:targetNode ex:a , ex:nobody ;
    sh:severity sh:Info ;
    sh:property [ sh:path ex:code ; sh:minCount 1 ; sh:hasValue "ab" ; sh:in ( "ab" "abc" ) ] .

ex:Off a sh:NodeShape ; sh:targetClass ex:Thing ; sh:deactivated true ;
    sh:property [ sh:path ex:code ; sh:minCount 9 ] .

ex:Lenient a sh:NodeShape ;                                 # a Warning shape nested in sh:not conforms
    sh:severity sh:Warning ; sh:property [ sh:path ex:code ; sh:minCount 5 ] .
ex:Strict a sh:NodeShape ; sh:targetSubjectsOf ex:code ;
    sh:not ex:Lenient ;
    sh:node ex:Lenient .

ex:Objects a sh:NodeShape ; sh:targetObjectsOf ex:owns ;
    sh:nodeKind sh:IRI ; sh:not [ sh:class ex:Owner ] .
"""

EXTRA_DATA = """
@prefix ex: <https://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:SubThing rdfs:subClassOf ex:Thing .
ex:Person rdfs:subClassOf ex:Owner .
ex:a a ex:Thing , ex:Red , ex:Round ; ex:code "abcd" , "AB" , ex:iri ; ex:same 1 ; ex:also 2 ;
     ex:apart 2 ; ex:low 5 ; ex:high 3 , "3" ; ex:part ex:p1 , ex:p2 .
ex:p1 a ex:Part . ex:p2 a ex:Part .
ex:b a ex:SubThing ; ex:code "xyz" ; ex:same 1 ; ex:also 1 ; ex:low 1 ; ex:high 2 .
ex:o a ex:Person ; ex:owns ex:b , ex:o , "a literal" .
ex:q ex:owns ex:b .
"""


def test_components_beyond_the_project_shapes(native_only):
    shapes = Graph().parse(data=EXTRA_SHAPES, format="turtle")
    data = Graph().parse(data=EXTRA_DATA, format="turtle")
    native, reference = both(data, shapes)
    assert native == reference
    fired = {r[5].split("/")[-1] for r in native}
    for component in ("MaxLengthConstraintComponent", "NodeKindConstraintComponent", "PatternConstraintComponent",
                      "EqualsConstraintComponent", "DisjointConstraintComponent", "MinCountConstraintComponent",
                      "ClassConstraintComponent", "LessThanConstraintComponent",
                      "LessThanOrEqualsConstraintComponent", "QualifiedMaxCountConstraintComponent",
                      "HasValueConstraintComponent", "InConstraintComponent"):
        assert component in fired, component
    sources = {r[5] for r in native}
    assert {"ex:Thing", "ex:Strict", "ex:Objects"} <= {s.replace("https://example.org/", "ex:") for s in sources}
    assert not any("Off" in s for s in sources), "a deactivated shape reports nothing"
    # and with pyshacl's default messages
    for t in list(shapes.triples((None, SH.message, None))):
        shapes.remove(t)
    native, reference = both(data, shapes)
    assert native == reference


# ---------------------------------------------------------------- what the engine leaves to pyshacl

UNSUPPORTED = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix hrr: <https://hrkg.example.org/ontology/> .
hrr:CountRange a sh:NodeShape ; sh:targetClass hrr:Count ;
    sh:property [ sh:path hrr:value ; sh:minInclusive 1 ; sh:message "A count counts at least one."@en ] .
"""


def test_an_unsupported_feature_falls_back_to_pyshacl_and_says_so(caplog):
    shapes = Graph().parse(data=UNSUPPORTED, format="turtle")
    with pytest.raises(shacl.Unsupported, match="minInclusive"):
        shacl.compile_shapes(shapes)
    data = Graph().parse(data="""
        @prefix hrr: <https://hrkg.example.org/ontology/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <https://example.org/c> a hrr:Count ; hrr:value "0"^^xsd:nonNegativeInteger .""", format="turtle")
    validate._warned.clear()
    with caplog.at_level(logging.WARNING, logger="kg.shacl"):
        native, reference = both(data, shapes)
    assert native == reference and [r[1] for r in native] == ["A count counts at least one."]
    assert "native engine does not handle sh:minInclusive" in caplog.text and "pyshacl" in caplog.text


def test_data_pyshacl_refuses_is_refused_alike(caplog):
    """sh:lessThan on a blank node is an error in pyshacl; the native engine hands it over."""
    shapes = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:low ; sh:lessThan ex:high ] .
        """, format="turtle")
    data = Graph().parse(data="@prefix ex: <https://example.org/> . ex:a ex:low [] ; ex:high 1 .", format="turtle")
    validate._warned.clear()
    for engine in (NATIVE, PYSHACL):
        with caplog.at_level(logging.WARNING, logger="kg.shacl"), pytest.raises(ReportableRuntimeError):
            validate.shacl(data, validate.Tracer(), shapes, engine)
    assert "blank node" in caplog.text


# ---------------------------------------------------------------- choosing the engine

def test_kg_shacl_chooses_the_engine_and_keys_the_cache(monkeypatch, tmp_path):
    ctx, *_ = build._context(load.Sources.of(SEEDS), cachemod.Cache(None))
    monkeypatch.delenv("KG_SHACL", raising=False)
    assert validate.engine() is NATIVE
    native_key = shard.first_key(ctx, "000")
    monkeypatch.setenv("KG_SHACL", "pyshacl")
    assert validate.engine() is PYSHACL
    assert shard.first_key(ctx, "000") != native_key, "a reference run must not reuse the native engine's results"
    monkeypatch.setenv("KG_SHACL", "fast")
    code = cli.main(["validate"])
    assert code == 2


def test_kg_validate_prints_the_same_with_either_engine_and_any_hash_seed():
    """The whole `kg validate` report, byte for byte, across engines and PYTHONHASHSEED
    (pyshacl's own result order follows set iteration: the sort makes it one order)."""
    outs = []
    for engine, seed in (("native", "1"), ("pyshacl", "2")):
        env = {**os.environ, "KG_SHACL": engine, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-m", "kg", "validate", "--format", "json"], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    assert len(json.loads(outs[0])["results"]) == 3
