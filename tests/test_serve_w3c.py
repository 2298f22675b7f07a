"""The W3C SPARQL 1.1 Protocol tests (tests/w3c_protocol/manifest.ttl), ported to a read-only endpoint.

Every entry of the manifest has a case here; the W3C data files are replaced by the
project's named graphs, and each update test checks that the update is refused (4xx) and
changes nothing.
"""

from __future__ import annotations

import pytest
import rdflib

from conftest import ROOT
from test_serve import Served

MANIFEST = ROOT / "tests" / "w3c_protocol" / "manifest.ttl"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
GRAPH = "https://hrkg.example.org/chechnya-2017/graph/"
ENTITIES, ONTOLOGY, ART0 = GRAPH + "entities", GRAPH + "ontology", GRAPH + "article/000"
PUTIN = "<https://hrkg.example.org/chechnya-2017/entity/putin>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
IN_ENTITIES = f"{PUTIN} {LABEL} ?l"                                          # a triple of the entities graph
IN_ONTOLOGY = "<https://hrkg.example.org/ontology/Occurred> a ?t"           # a triple of the ontology graph
UPDATE = "INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }"
PROBE = "ASK { <http://example.org/s> ?p ?o }"


def entries() -> list[str]:
    g = rdflib.Graph().parse(MANIFEST, format="turtle")
    manifest = next(g.subjects(rdflib.RDF.type, MF.Manifest))
    items = rdflib.collection.Collection(g, next(g.objects(manifest, MF.entries)))
    return list(dict.fromkeys(str(i).rsplit("#", 1)[1] for i in items))


@pytest.fixture(scope="module")
def server(built_dir):
    s = Served(built_dir, "--workers", "1", "--timeout", "5")
    yield s
    assert s.stop() == 0


def ask(resp) -> bool:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/sparql-results+json")
    return resp.json()["boolean"]


def refused(server, resp):
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    assert ask(server.client.get("/sparql", params={"query": PROBE})) is False  # nothing was written


def form(server, **fields):
    return server.client.post("/sparql", data=fields, headers={"Accept": "application/sparql-results+json"})


def get(server, params):
    return server.client.get("/sparql", params=params, headers={"Accept": "application/sparql-results+json"})


CASES = {
    "query_post_form": lambda s: ask(form(s, query="ASK {}")) is True,
    "query_get": lambda s: ask(get(s, {"query": "ASK {}"})) is True,
    "query_post_direct": lambda s: ask(s.client.post("/sparql", content=b"ASK {}", headers={
        "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})) is True,
    "query_dataset_default_graphs_get": lambda s: ask(get(s, [
        ("query", f"ASK {{ {IN_ENTITIES} . {IN_ONTOLOGY} }}"),
        ("default-graph-uri", ENTITIES), ("default-graph-uri", ONTOLOGY)])) is True,
    "query_dataset_default_graphs_post": lambda s: ask(s.client.post("/sparql", data={
        "query": f"ASK {{ {IN_ENTITIES} . {IN_ONTOLOGY} }}", "default-graph-uri": [ENTITIES, ONTOLOGY]})) is True,
    "query_dataset_named_graphs_post": lambda s: ask(s.client.post("/sparql", data={
        "query": f"ASK {{ GRAPH ?a {{ {IN_ENTITIES} }} GRAPH ?b {{ {IN_ONTOLOGY} }} }}",
        "named-graph-uri": [ENTITIES, ONTOLOGY]})) is True,
    "query_dataset_named_graphs_get": lambda s: ask(get(s, [
        ("query", f"ASK {{ GRAPH <{ENTITIES}> {{ {IN_ENTITIES} }} FILTER NOT EXISTS {{ GRAPH <{ART0}> {{ ?x ?y ?z }} }} }}"),
        ("named-graph-uri", ENTITIES)])) is True,
    "query_dataset_full": lambda s: ask(get(s, [
        ("query", f"ASK {{ {IN_ENTITIES} GRAPH <{ONTOLOGY}> {{ {IN_ONTOLOGY} }} FILTER NOT EXISTS {{ {IN_ONTOLOGY} }} }}"),
        ("default-graph-uri", ENTITIES), ("named-graph-uri", ONTOLOGY)])) is True,
    # the protocol's dataset wins over the query's FROM
    "query_multiple_dataset": lambda s: ask(get(s, [
        ("query", f"ASK FROM <{ONTOLOGY}> {{ {IN_ENTITIES} FILTER NOT EXISTS {{ {IN_ONTOLOGY} }} }}"),
        ("default-graph-uri", ENTITIES)])) is True,
    "query_content_type_select": lambda s: s.client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"})
    .headers["content-type"].split(";")[0] in ("application/sparql-results+xml", "application/sparql-results+json",
                                                "text/csv", "text/tab-separated-values"),
    "query_content_type_ask": lambda s: s.client.get("/sparql", params={"query": "ASK {}"})
    .headers["content-type"].split(";")[0] in ("application/sparql-results+xml", "application/sparql-results+json"),
    "query_content_type_describe": lambda s: s.client.get("/sparql", params={"query": f"DESCRIBE {PUTIN}"})
    .headers["content-type"].split(";")[0] in ("application/rdf+xml", "text/turtle", "application/n-triples"),
    "query_content_type_construct": lambda s: s.client.get("/sparql", params={
        "query": f"CONSTRUCT {{ {PUTIN} ?p ?o }} WHERE {{ {PUTIN} ?p ?o }}"})
    .headers["content-type"].split(";")[0] in ("application/rdf+xml", "text/turtle", "application/n-triples"),
    "bad_query_method": lambda s: s.client.request("PUT", "/sparql", params={"query": "ASK {}"}).status_code == 405,
    "bad_multiple_queries": lambda s: get(s, [("query", "ASK {}"), ("query", "SELECT * {}")]).status_code == 400,
    "bad_query_wrong_media_type": lambda s: s.client.post("/sparql", content=b"ASK {}", headers={
        "Content-Type": "text/plain"}).status_code == 415,
    "bad_query_missing_form_type": lambda s: s.client.post("/sparql", content=b"query=ASK%20%7B%7D").status_code == 415,
    "bad_query_missing_direct_type": lambda s: s.client.post("/sparql", content=b"ASK {}").status_code == 415,
    "bad_query_non_utf8": lambda s: s.client.post("/sparql", content="ASK {}".encode("utf-16"), headers={
        "Content-Type": "application/sparql-query; charset=UTF-16"}).status_code == 415,
    "bad_query_syntax": lambda s: get(s, {"query": "ASK {"}).status_code == 400,
}
UPDATES = {
    "update_dataset_default_graph": lambda s: form(s, update=UPDATE, **{"using-graph-uri": ENTITIES}),
    "update_dataset_default_graphs": lambda s: s.client.post("/sparql", data={"update": UPDATE, "using-graph-uri": [ENTITIES, ONTOLOGY]}),
    "update_dataset_named_graphs": lambda s: s.client.post("/sparql", data={"update": UPDATE, "using-named-graph-uri": [ENTITIES]}),
    "update_dataset_full": lambda s: s.client.post("/sparql", data={
        "update": UPDATE, "using-graph-uri": ENTITIES, "using-named-graph-uri": ONTOLOGY}),
    "update_post_form": lambda s: form(s, update=UPDATE),
    "update_post_direct": lambda s: s.client.post("/sparql", content=UPDATE, headers={"Content-Type": "application/sparql-update"}),
    "update_base_uri": lambda s: s.client.post("/sparql", content="BASE <http://example.org/> " + UPDATE,
                                               headers={"Content-Type": "application/sparql-update"}),
    "bad_update_get": lambda s: s.client.get("/sparql", params={"update": UPDATE}),
    "bad_multiple_updates": lambda s: s.client.post("/sparql", data={"update": [UPDATE, UPDATE]}),
    "bad_update_wrong_media_type": lambda s: s.client.post("/sparql", content=UPDATE, headers={"Content-Type": "text/plain"}),
    "bad_update_missing_form_type": lambda s: s.client.post("/sparql", content=("update=" + UPDATE).encode()),
    "bad_update_non_utf8": lambda s: s.client.post("/sparql", content=UPDATE.encode("utf-16"), headers={
        "Content-Type": "application/sparql-update; charset=UTF-16"}),
    "bad_update_syntax": lambda s: form(s, update="INSERT DATA { <a:b> }"),
    "bad_update_dataset_conflict": lambda s: s.client.post("/sparql", data={
        "update": f"WITH <{ENTITIES}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}", "using-graph-uri": ONTOLOGY}),
    "update_post_form_as_query": lambda s: form(s, query=UPDATE),  # not in the manifest: an update smuggled as a query
}


def test_every_manifest_entry_is_ported():
    names = entries()
    assert len(names) >= 34, "the manifest was not read whole"
    assert set(names) <= set(CASES) | set(UPDATES), set(names) - set(CASES) - set(UPDATES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_protocol_case(server, name):
    assert CASES[name](server), name


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_update_case_is_refused(server, name):
    refused(server, UPDATES[name](server))
