"""void.ttl: the VoID + DCAT description `kg build` writes, checked against counts made here,
independently, from kg.nq (rdflib's N-Quads parser, not the store the build counted in)."""

from __future__ import annotations

import copy
import hashlib
import json
import random
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import RDF

# plain namespaces (rdflib's closed ones warn when pytest inspects the module)
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")

from conftest import SEEDS
from kg import build, cli, iris, void
from kg.errors import KgError

SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
AXIOMS = {rdflib.RDFS.subClassOf, rdflib.RDFS.subPropertyOf, rdflib.RDFS.domain, rdflib.RDFS.range,
          rdflib.OWL.equivalentClass, rdflib.OWL.equivalentProperty, rdflib.OWL.inverseOf}
ENDPOINT = "https://kg.example.net/sparql"


def void_graph(out: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(out / "void.ttl", format="turtle")


def ns(iri: str) -> str:
    return iri[:max(iri.rfind("#"), iri.rfind("/")) + 1]


@pytest.fixture(scope="module")
def asserted(built_dir) -> list[tuple]:
    """Every quad of kg.nq outside the inferred graph, as rdflib reads it."""
    ds = rdflib.Dataset()
    ds.parse(built_dir / "kg.nq", format="nquads")
    inferred = rdflib.URIRef(f"{iris.base()}graph/inferred")
    quads = [(s, p, o, g) for s, p, o, g in ((s, p, o, getattr(g, "identifier", g)) for s, p, o, g in ds.quads())
             if g != inferred]
    assert len({g for *_, g in quads}) == 8  # the named graphs but the inferred one
    assert len(quads) > 5000
    return quads


def partitions(g: rdflib.Graph, d, link, key, count) -> dict[str, int]:
    out = {}
    for part in g.objects(d, link):
        assert isinstance(part, rdflib.URIRef) and str(part).startswith(f"{d}subset/")  # no blank nodes
        out[str(g.value(part, key))] = int(g.value(part, count))
    return out


def test_property_partitions_count_the_triples_of_each_property(built_dir, asserted):
    g, d = void_graph(built_dir), iris.dataset()
    want = Counter(str(p) for _, p, _, _ in asserted)
    assert partitions(g, d, VOID.propertyPartition, VOID.property, VOID.triples) == dict(want)
    assert int(g.value(d, VOID.triples)) == len(asserted) == sum(want.values())
    assert int(g.value(d, VOID.properties)) == len(want)


def test_class_partitions_count_the_distinct_instances_of_each_class(built_dir, asserted):
    g, d = void_graph(built_dir), iris.dataset()
    instances: dict[str, set] = {}
    for s, p, o, _ in asserted:
        if p == RDF.type and isinstance(o, rdflib.URIRef):
            instances.setdefault(str(o), set()).add(s)
    want = {c: len(v) for c, v in instances.items()}
    got = partitions(g, d, VOID.classPartition, VOID["class"], VOID.entities)
    assert got == want
    assert got[iris.ONTOLOGY + "Denial"] == 9 and int(g.value(d, VOID.classes)) == len(want)


def test_vocabularies_are_every_namespace_the_data_uses(built_dir, asserted):
    used = set()
    for s, p, o, _ in asserted:
        used.add(ns(str(p)))
        if p == RDF.type or (p in AXIOMS and isinstance(o, rdflib.URIRef)):
            used.add(ns(str(o)))
        if isinstance(o, rdflib.Literal):
            used.add(ns(str(o.datatype or rdflib.XSD.string)))
    used = {u for u in used if not u.startswith(iris.base())}
    g = void_graph(built_dir)
    got = {str(v) for v in g.objects(iris.dataset(), VOID.vocabulary)}
    assert got == used
    for vocab in ("http://purl.org/dc/terms/", "http://semanticweb.cs.vu.nl/2009/11/sem/", "http://xmlns.com/foaf/0.1/",
                  iris.ONTOLOGY, "http://www.w3.org/ns/oa#", "http://www.w3.org/ns/prov#"):
        assert vocab in got, vocab


def test_example_resources_are_in_the_data(built_dir, asserted):
    g = void_graph(built_dir)
    examples = sorted(str(e) for e in g.objects(iris.dataset(), VOID.exampleResource))
    subjects = {str(s) for s, _, _, _ in asserted}
    assert len(examples) == 3 and all(e in subjects for e in examples)
    base = iris.base()
    assert f"{base}article/000" in examples
    assert any(e.startswith(f"{base}article/000/claim/") for e in examples)
    assert any(e.startswith(f"{base}entity/") for e in examples)


def test_every_file_is_a_distribution_with_its_size_checksum_and_urls(built_dir):
    g, d = void_graph(built_dir), iris.dataset()
    present = {p.name for p in built_dir.iterdir() if p.is_file()} - {"void.ttl", "SHA256SUMS", build.RECORD}
    dists = {str(g.value(x, DCTERMS.title)): x for x in g.objects(d, DCAT.distribution)}
    assert set(dists) == present
    sums = dict(reversed(line.split("  ")) for line in (built_dir / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == present | {"void.ttl"}
    for name, dist in dists.items():
        data = (built_dir / name).read_bytes()
        assert str(dist) == f"{iris.base()}dump/{name}"
        assert g.value(dist, DCAT.downloadURL) == dist and g.value(dist, DCAT.accessURL) == dist
        assert int(g.value(dist, DCAT.byteSize)) == len(data)
        assert str(g.value(g.value(dist, SPDX.checksum), SPDX.checksumValue)) == hashlib.sha256(data).hexdigest() == sums[name]
        assert g.value(dist, DCAT.mediaType) is not None
        assert g.value(dist, DCTERMS.license) == g.value(d, DCTERMS.license)
    assert {str(x) for x in g.objects(d, VOID.dataDump)} == {f"{iris.base()}dump/{n}" for n in
                                                             ("kg.nq", "kg.nq.gz", "kg.trig", "kg.trig.gz")}


def test_no_endpoint_unless_configured(built_dir):
    g = void_graph(built_dir)
    assert g.value(iris.dataset(), VOID.sparqlEndpoint) is None
    assert not list(g.subjects(RDF.type, DCAT.DataService))


@pytest.fixture(scope="module")
def with_endpoint(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("endpoint")
    seeds = tmp / "seeds"
    shutil.copytree(SEEDS, seeds)
    with (seeds / "dataset.yaml").open("a") as fh:
        fh.write(f"sparql_endpoint: {ENDPOINT}\n")
    out = tmp / "out"
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out), "--quiet"]) == 0
    return out


def test_a_configured_endpoint_and_its_data_service(with_endpoint):
    g, d = void_graph(with_endpoint), iris.dataset()
    assert g.value(d, VOID.sparqlEndpoint) == rdflib.URIRef(ENDPOINT)
    (svc,) = g.subjects(RDF.type, DCAT.DataService)
    assert g.value(svc, DCAT.endpointURL) == rdflib.URIRef(ENDPOINT)
    assert g.value(svc, DCAT.servesDataset) == d


def test_void_is_deterministic(with_endpoint, tmp_path):
    first = (with_endpoint / "void.ttl").read_bytes()
    seeds = with_endpoint.parent / "seeds"
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(tmp_path / "again"), "--quiet",
                     "--cache", str(tmp_path / "cold")]) == 0
    assert (tmp_path / "again" / "void.ttl").read_bytes() == first


def test_rapper_accepts_void(with_endpoint):
    rapper = shutil.which("rapper")
    assert rapper, "rapper not found: `apt-get install raptor2-utils` (.ci/run does)"
    res = subprocess.run([rapper, "-c", "-i", "turtle", str(with_endpoint / "void.ttl")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert f"returned {len(void_graph(with_endpoint))} triples" in res.stderr


def test_served_description_states_the_servers_endpoint(with_endpoint):
    from test_serve import Served
    s = Served(with_endpoint, "--workers", "1")
    try:
        text = s.client.get("/.well-known/void", headers={"Accept": "text/turtle"}).text
    finally:
        assert s.stop() == 0
    g = rdflib.Graph().parse(data=text, format="turtle")
    d = iris.dataset()
    own = rdflib.URIRef(s.url + "sparql")
    assert list(g.objects(d, VOID.sparqlEndpoint)) == [own]  # the configured one replaced, not added to
    (svc,) = g.subjects(RDF.type, DCAT.DataService)
    assert list(g.objects(svc, DCAT.endpointURL)) == [own] and g.value(svc, DCAT.servesDataset) == d
    assert len(list(g.objects(d, VOID.classPartition))) > 20  # the rest of the description is served as built


# ---------------------------------------------------------------- statistics added up, not scanned

HRR = "https://hrkg.example.org/ontology/"
RDF_TYPE = str(RDF.type)


@pytest.fixture
def counted(monkeypatch) -> list:
    """Each void.statistics call of the builds the test runs: (the graphs' statistics, their sum).
    The real function runs; a fall back to counting in the store fails the test (it would make the
    comparison with the store count hold trivially)."""
    calls = []
    real = void.statistics

    def spy(graphs, fallback=None):
        st = real(graphs, lambda: pytest.fail("void statistics fell back to counting in the store"))
        calls.append((copy.deepcopy(dict(graphs)), st))
        return st

    monkeypatch.setattr(void, "statistics", spy)
    return calls


def store_of(out: Path) -> ox.Store:
    st = ox.Store()
    st.bulk_load(path=str(out / "kg.nq"), format=ox.RdfFormat.N_QUADS)
    return st


XSD_NS = str(rdflib.XSD)
# pyoxigraph's store may keep a literal of a type derived from xsd:integer as an xsd:integer ("11"^^xsd:integer
# for "11"^^xsd:nonNegativeInteger); the graphs' statistics see the datatypes kg.nq has.  Same namespace.
INTEGER_TYPES = {XSD_NS + t for t in ("nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
                                      "long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort",
                                      "unsignedByte")}


def assert_as_counted_in_the_store(out: Path, st: void.Statistics) -> None:
    reference = void.statistics_of_store(store_of(out))
    assert st.properties == reference.properties and st.classes == reference.classes
    assert st.examples == reference.examples and len(st.examples) == 3
    assert st.vocabularies == reference.vocabularies
    integer = lambda terms: {XSD_NS + "integer" if t in INTEGER_TYPES else t for t in terms}  # noqa: E731
    assert integer(st.terms) == integer(reference.terms) and st.terms ^ reference.terms <= INTEGER_TYPES | {XSD_NS + "integer"}
    # and void.ttl says what they say
    g, d = void_graph(out), iris.dataset()
    assert partitions(g, d, VOID.classPartition, VOID["class"], VOID.entities) == reference.classes
    assert partitions(g, d, VOID.propertyPartition, VOID.property, VOID.triples) == reference.properties


def test_added_up_statistics_are_the_store_count_on_the_seeds(counted, tmp_path):
    out = tmp_path / "out"
    assert cli.main(["build", "--out", str(out), "--quiet", "--cache", str(tmp_path / "cache")]) == 0
    (graphs, st), = counted
    assert len(graphs) == 8 and str(iris.G.INFERRED) not in graphs   # every asserted graph, each counted once
    assert_as_counted_in_the_store(out, st)
    # an article's statistics name nothing but its own resources: counts, no lists of other subjects
    article = graphs[str(iris.G.article("000"))]
    assert sum(article["classes"].values()) > 100 and article["typed"] == {}
    in_store = store_of(out).quads_for_pattern(None, None, None, ox.NamedNode(str(iris.G.article("000"))))
    assert sum(article["properties"].values()) == sum(1 for _ in in_store)
    # a rebuild reads the articles' statistics from the cache: the same figures, the same bytes
    first = (out / "void.ttl").read_bytes()
    assert cli.main(["build", "--out", str(tmp_path / "again"), "--quiet", "--cache", str(tmp_path / "cache")]) == 0
    assert counted[1][0] == graphs and counted[1][1] == st
    assert (tmp_path / "again" / "void.ttl").read_bytes() == first


def test_added_up_statistics_are_the_store_count_on_a_generated_corpus(counted, tmp_path):
    import sys
    sys.path.insert(0, str(SEEDS.parent / "bench"))
    import corpus
    seeds = tmp_path / "seeds"
    corpus.generate(30, seeds)
    out = tmp_path / "out"
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out), "--quiet"]) == 0
    (graphs, st), = counted
    assert len([g for g in graphs if "/graph/article/" in g]) == 30
    assert_as_counted_in_the_store(out, st)


ADDITION = """@prefix entity: <https://hrkg.example.org/chechnya-2017/entity/> .
@prefix hrr: <https://hrkg.example.org/ontology/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

entity:trump a hrr:Person .
entity:new-person a hrr:Person ; rdfs:label "A new person"@en .
entity:g20-hamburg-2017 hrr:agent entity:new-person , entity:trump .
"""


def test_added_up_statistics_after_kg_add_of_an_article_and_of_turtle(counted, tmp_path):
    from conftest import copy_seeds
    from test_curate import FIXTURES, ARTICLE, REGISTRY, ANNOTATION
    seeds = copy_seeds(tmp_path, ("000.yaml", "001.yaml"))
    out = tmp_path / "out"
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out), "--quiet"]) == 0
    assert_as_counted_in_the_store(out, counted[-1][1])
    # kg add of an article: the two cached articles' statistics reused, the new one's computed
    assert cli.main(["add", "--seeds", str(seeds), "--out", str(out),
                     *(str(FIXTURES / f) for f in (ARTICLE, REGISTRY, ANNOTATION))]) == 0
    graphs, st = counted[-1]
    assert str(iris.G.article("005")) in graphs
    assert_as_counted_in_the_store(out, st)
    # kg add of curator Turtle typing an entity the registry types too: instances are not additive
    ttl = tmp_path / "people.ttl"
    ttl.write_text(ADDITION, encoding="utf-8")
    assert cli.main(["add", "--seeds", str(seeds), "--out", str(out), str(ttl)]) == 0
    graphs, st = counted[-1]
    person, trump = HRR + "Person", str(iris.entity("trump"))
    addition = graphs[str(iris.G.addition("people"))]
    assert trump in addition["typed"][person] and trump in graphs[str(iris.G.ENTITIES)]["typed"][person]
    typed_anywhere = sum(g["classes"].get(person, 0) + len(g["typed"].get(person, ())) for g in graphs.values())
    assert st.classes[person] == typed_anywhere - 1   # trump once, though typed in two graphs
    assert_as_counted_in_the_store(out, st)


# ---------------------------------------------------------------- adding up, on random graphs

def _random_dataset(rnd: random.Random) -> list[ox.Quad]:
    """Quads shaped like a build's: article graphs describing their own resources (and naming
    entities), shared graphs typing and naming entities, classes typed in several graphs."""
    base = iris.base()
    entity = [ox.NamedNode(f"{base}entity/e{i}") for i in range(6)]
    classes = [ox.NamedNode(HRR + c) for c in ("Person", "Group", "Claim", "Denial")] + [
        ox.NamedNode("http://xmlns.com/foaf/0.1/Person")]
    preds = [ox.NamedNode(HRR + p) for p in ("speaker", "agent", "about")] + [ox.NamedNode(str(rdflib.RDFS.label))]
    typ, stated = ox.NamedNode(RDF_TYPE), ox.NamedNode(HRR + "statedIn")
    sub_class = ox.NamedNode(str(rdflib.RDFS.subClassOf))
    literals = [ox.Literal("x"), ox.Literal("y", language="en"), ox.Literal("3", datatype=ox.NamedNode(str(rdflib.XSD.integer)))]
    quads = []
    ent_g = ox.NamedNode(str(iris.G.ENTITIES))
    for e in entity:
        if rnd.random() < 0.7:
            quads.append(ox.Quad(e, typ, rnd.choice(classes[:2]), ent_g))
    for name in (iris.G.ONTOLOGY, iris.G.PROVENANCE, iris.G.addition("a"), iris.G.addition("b")):
        g = ox.NamedNode(str(name))
        for _ in range(rnd.randrange(6)):
            s = rnd.choice(entity)
            p = rnd.choice([typ, sub_class, *preds])
            o = rnd.choice(classes) if p in (typ, sub_class) else rnd.choice(entity + literals)
            quads.append(ox.Quad(s, p, o, g))
    for k in rnd.sample(range(9), rnd.randrange(1, 5)):
        key = f"k{k}"
        art, g = ox.NamedNode(str(iris.article(key))), ox.NamedNode(str(iris.G.article(key)))
        quads.append(ox.Quad(art, typ, ox.NamedNode(HRR + "Article"), g))
        for c in range(rnd.randrange(1, 5)):
            claim = ox.NamedNode(f"{art.value}/claim/c{c}")
            quads += [ox.Quad(claim, stated, art, g), ox.Quad(claim, typ, rnd.choice(classes[2:]), g)]
            for _ in range(rnd.randrange(3)):
                quads.append(ox.Quad(claim, rnd.choice(preds), rnd.choice(entity + literals), g))
    quads.append(ox.Quad(entity[0], typ, classes[0], ent_g))   # at least one person
    return quads


def _by_graph(quads) -> dict[str, dict]:
    graphs: dict[str, list] = {}
    for q in quads:
        graphs.setdefault(q.graph_name.value, []).append(ox.Triple(q.subject, q.predicate, q.object))
    prefix = f"{iris.base()}graph/article/"
    return {n: void.graph_stats(t, str(iris.article(n[len(prefix):])) if n.startswith(prefix) else None)
            for n, t in graphs.items()}


def test_adding_up_equals_the_store_count_on_random_graphs():
    for seed in range(60):
        quads = _random_dataset(random.Random(seed))
        st = ox.Store()
        st.extend(quads)
        graphs = json.loads(json.dumps(_by_graph(quads)))   # as the cache gives them back
        assert void.statistics(graphs, lambda: pytest.fail("fell back")) == void.statistics_of_store(st), seed


def test_a_graph_describing_another_articles_resource_is_counted_in_the_store():
    quads = _random_dataset(random.Random(1))
    claim = next(q.subject for q in quads if q.predicate.value == HRR + "statedIn")
    addition = ox.NamedNode(str(iris.G.addition("a")))
    quads.append(ox.Quad(claim, ox.NamedNode(RDF_TYPE), ox.NamedNode(HRR + "Denial"), addition))
    st = ox.Store()
    st.extend(quads)
    reference = void.statistics_of_store(st)
    assert void.statistics(_by_graph(quads), lambda: reference) is reference
    with pytest.raises(KgError, match="counted in the store"):
        void.statistics(_by_graph(quads))


# ---------------------------------------------------------------- the licences

def test_license_data_says_what_dataset_yaml_and_void_say(built_dir):
    from kg.registry import load_dataset_meta
    meta = load_dataset_meta(SEEDS / "dataset.yaml", "seeds/dataset.yaml")
    text = " ".join((SEEDS.parent / "LICENSE-DATA").read_text(encoding="utf-8").split())
    assert meta["license"] == "https://creativecommons.org/licenses/by/4.0/"  # the licence LICENSE-DATA holds the text of
    assert f"(CC BY 4.0, {meta['license']})" in text and "Creative Commons Attribution 4.0 International" in text
    assert f'Attribute as: "{meta["creator"]}, {meta["title"]}, CC BY 4.0"' in text
    assert void_graph(built_dir).value(iris.dataset(), DCTERMS.license) == rdflib.URIRef(meta["license"])


def test_every_vendored_library_keeps_its_licence():
    import json
    vendor = SEEDS.parent / "kg" / "serve" / "static" / "vendor"
    for lib in sorted(p for p in vendor.iterdir() if p.is_dir()):
        licences = sorted(lib.glob("LICENSE*"))
        assert licences, f"{lib.name}: no licence file beside it"
        assert any("Permission is hereby granted" in p.read_text(encoding="utf-8") or "Apache License" in p.read_text(encoding="utf-8")
                   for p in licences), lib.name
    package = json.loads((vendor / "yasgui" / "package.json").read_text(encoding="utf-8"))
    assert package["license"] == "MIT" and "MIT License" in (vendor / "yasgui" / "LICENSE").read_text(encoding="utf-8")
