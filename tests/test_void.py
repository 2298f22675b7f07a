"""void.ttl: the VoID + DCAT description `kg build` writes, checked against counts made here,
independently, from kg.nq (rdflib's N-Quads parser, not the store the build counted in)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF

# plain namespaces (rdflib's closed ones warn when pytest inspects the module)
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")

from conftest import SEEDS
from kg import cli, iris

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
    present = {p.name for p in built_dir.iterdir() if p.is_file()} - {"void.ttl", "SHA256SUMS"}
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
