"""`kg serve` against the real server: started in a subprocess on a free loopback port, spoken to over HTTP."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import rdflib

from conftest import ROOT
from test_guard import Listener

HRR = "https://hrkg.example.org/ontology/"
ENTITY = "https://hrkg.example.org/chechnya-2017/entity/"
CLAIM = "https://hrkg.example.org/chechnya-2017/article/000/claim/merkel-raised-issue"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")


class Served:
    """``kg serve`` in a subprocess; ``url`` is where it listens."""

    def __init__(self, out: Path, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--out", str(out), "--port", "0", *args],
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("serving "), line + self.proc.stderr.read()
        self.url = line.split(" on ", 1)[1].split("/ ", 1)[0] + "/"
        self.client = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.time() + 60
        while True:  # the workers open the store before the first answer
            try:
                if self.client.get("/").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.time() < deadline and self.proc.poll() is None, self.proc.stderr.read()
            time.sleep(0.1)

    def settle(self) -> dict:
        """Wait until every worker is up and idle (a killed worker is replaced in the background) and the
        canned queries' first pages are computed (unless --no-warm)."""
        deadline = time.time() + 60
        while ((st := self.client.get("/.well-known/status").json())["idle"] < st["workers"]
               or (st["warm"] and (st["warm"]["generation"] != st["generation"] or st["warm"]["seconds"] is None))):
            assert time.time() < deadline, st
            time.sleep(0.1)
        return st

    def stop(self) -> int:
        self.client.close()
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.stdout.close()
            self.proc.stderr.close()


@pytest.fixture(scope="module")
def server(built_dir):
    s = Served(built_dir, "--timeout", "2", "--max-rows", "50", "--workers", "2")
    yield s
    assert s.stop() == 0


def sparql(server, query, accept=None, **params):
    headers = {"Accept": accept} if accept else {}
    return server.client.get("/sparql", params={"query": query, **params}, headers=headers)


def rows_json(resp):
    assert resp.status_code == 200, resp.text
    return resp.json()["results"]["bindings"]


# ---------------------------------------------------------------- protocol

def test_get_post_form_and_post_direct_agree(server):
    a = sparql(server, COUNT, "application/sparql-results+json")
    b = server.client.post("/sparql", data={"query": COUNT}, headers={"Accept": "application/sparql-results+json"})
    c = server.client.post("/sparql", content=COUNT.encode(), headers={"Content-Type": "application/sparql-query",
                                                                       "Accept": "application/sparql-results+json"})
    assert rows_json(a) == rows_json(b) == rows_json(c)
    assert a.headers["content-type"].startswith("application/sparql-results+json")


def test_default_graph_is_the_union_and_says_so(server, built_dir):
    n = int(rows_json(sparql(server, COUNT))[0]["n"]["value"])
    assert n == sum(1 for line in (built_dir / "kg.nq").open() if line.strip())  # every quad, none in a default graph
    sd = server.client.get("/sparql", headers={"Accept": "text/turtle"})
    assert sd.status_code == 200 and sd.headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=sd.text, format="turtle")
    endpoint = rdflib.URIRef(server.url + "sparql")
    assert (endpoint, SD.feature, SD.UnionDefaultGraph) in g
    assert len(list(g.objects(None, SD.name))) == 9


def test_service_description_is_html_for_a_browser(server):
    page = server.client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html") and "<textarea name=\"query\"" in page.text


@pytest.mark.parametrize("accept,media", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("text/*;q=0.9, application/sparql-results+json;q=0.1", "text/csv"),
    ("*/*", "application/sparql-results+json"),
])
def test_select_formats_by_q_value(server, accept, media):
    resp = sparql(server, COUNT, accept)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith(media), (accept, resp.headers)
    assert "Accept" in resp.headers["vary"]


def test_tsv_is_real_sparql_tsv_and_csv_is_plain(server):
    q = f"SELECT ?p ?o WHERE {{ <{CLAIM}> ?p ?o }} ORDER BY ?p ?o"
    tsv = sparql(server, q, "text/tab-separated-values").text.splitlines()
    assert tsv[0] == "?p\t?o"
    assert f"<{HRR}description>\t\"Angela Merkel raised the issue publicly during a meeting with Vladimir Putin.\"" in tsv
    rows = list(csv.reader(io.StringIO(sparql(server, q, "text/csv").text)))
    assert rows[0] == ["p", "o"] and [HRR + "factuality", HRR + "Occurred"] in rows


def test_format_parameter_overrides_accept(server):
    resp = sparql(server, COUNT, "application/sparql-results+json", format="xml")
    assert resp.headers["content-type"].startswith("application/sparql-results+xml") and "<sparql" in resp.text


def test_ask_and_406(server):
    assert sparql(server, "ASK { ?s ?p ?o }").json() == {"head": {}, "boolean": True}
    assert "<boolean>true</boolean>" in sparql(server, "ASK { ?s ?p ?o }", "application/sparql-results+xml").text
    no = sparql(server, "ASK { ?s ?p ?o }", "text/csv")
    assert no.status_code == 406 and "application/sparql-results+json" in no.text
    assert sparql(server, COUNT, "image/png").status_code == 406
    assert sparql(server, COUNT, "application/sparql-results+json;q=0").status_code == 406


@pytest.mark.parametrize("accept,fmt", [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                        ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_construct_and_describe_formats(server, accept, fmt):
    q = f"CONSTRUCT {{ <{CLAIM}> ?p ?o }} WHERE {{ <{CLAIM}> ?p ?o }}"
    resp = sparql(server, q, accept)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith(accept)
    g = rdflib.Graph().parse(data=resp.text, format=fmt)
    assert (rdflib.URIRef(CLAIM), rdflib.URIRef(HRR + "factuality"), rdflib.URIRef(HRR + "Occurred")) in g
    d = sparql(server, f"DESCRIBE <{CLAIM}>", accept)
    assert len(rdflib.Graph().parse(data=d.text, format=fmt)) >= len(g) > 10


def test_syntax_error_is_400_with_position(server):
    resp = sparql(server, "SELECT * WHERE {\n  ?s ?p \n}")
    assert resp.status_code == 400 and resp.text.startswith("query:3:") and "does not parse" in resp.text


def test_cors_and_preflight(server):
    got = server.client.get("/sparql", params={"query": COUNT}, headers={"Origin": "https://yasgui.example"})
    assert got.headers["access-control-allow-origin"] == "*"
    pre = server.client.options("/sparql", headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "Content-Type"})
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "*"
    assert "POST" in pre.headers["access-control-allow-methods"]


def test_root_page_links_the_routes(server):
    page = server.client.get("/")
    for link in ("sparql", "queries", ".well-known/void"):
        assert f'href="{server.url}{link}"' in page.text


# ---------------------------------------------------------------- read-only, closed to the network

@pytest.mark.parametrize("how", ["form", "direct", "query", "get"])
def test_updates_are_refused(server, how):
    update = "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }"
    if how == "form":
        resp = server.client.post("/sparql", data={"update": update})
    elif how == "direct":
        resp = server.client.post("/sparql", content=update, headers={"Content-Type": "application/sparql-update"})
    elif how == "query":
        resp = sparql(server, update)
    else:
        resp = server.client.get("/sparql", params={"update": update})
    assert resp.status_code == 403 and "read-only" in resp.text
    assert rows_json(sparql(server, "SELECT * WHERE { <http://e/s> ?p ?o }")) == []


@pytest.mark.parametrize("method,path", [("PUT", "/sparql"), ("DELETE", "/sparql"), ("PATCH", "/sparql"),
                                         ("POST", "/queries"), ("POST", "/queries/denials"), ("PUT", "/chechnya-2017/entity/putin"),
                                         ("DELETE", "/chechnya-2017/entity/putin"), ("POST", "/.well-known/void"), ("POST", "/")])
def test_no_route_accepts_writes(server, method, path):
    assert server.client.request(method, path, content=b"x").status_code == 405


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


def test_service_is_refused_and_nothing_connects(server, listener):
    for q in (f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}",
              f"SELECT * WHERE {{ OPTIONAL {{ SERVICE SILENT <http://127.0.0.1:{listener.port}/> {{ ?s ?p ?o }} }} }}"):
        resp = sparql(server, q)
        assert resp.status_code == 400 and "SERVICE" in resp.text and "network" in resp.text
    time.sleep(0.3)
    assert listener.connections == 0


def test_remote_datasets_fetch_nothing(server, listener):
    remote = f"http://127.0.0.1:{listener.port}/graph"
    assert rows_json(sparql(server, f"SELECT * FROM <{remote}> WHERE {{ ?s ?p ?o }}")) == []
    assert rows_json(sparql(server, f"SELECT * FROM NAMED <{remote}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")) == []
    assert rows_json(sparql(server, "SELECT * WHERE { ?s ?p ?o }", **{"default-graph-uri": remote})) == []
    assert rows_json(sparql(server, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": remote})) == []
    time.sleep(0.3)
    assert listener.connections == 0


def test_from_and_default_graph_uri_name_graphs_of_the_store(server):
    g = "https://hrkg.example.org/chechnya-2017/graph/entities"
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    by_from = rows_json(sparql(server, q.replace("WHERE", f"FROM <{g}> WHERE")))[0]["n"]["value"]
    by_param = rows_json(sparql(server, q, **{"default-graph-uri": g}))[0]["n"]["value"]
    union = rows_json(sparql(server, q))[0]["n"]["value"]
    assert by_from == by_param and 0 < int(by_from) < int(union)


# ---------------------------------------------------------------- limits

def test_size_and_depth_caps(server):
    big = COUNT + " #" + "x" * 70_000
    resp = server.client.post("/sparql", content=big, headers={"Content-Type": "application/sparql-query"})
    assert resp.status_code == 413 and "limit" in resp.text
    deep = "SELECT * WHERE " + "{" * 3000 + "}" * 3000
    resp = server.client.post("/sparql", content=deep, headers={"Content-Type": "application/sparql-query"})
    assert resp.status_code == 400 and "query:1:" in resp.text and "levels deep" in resp.text
    assert sparql(server, "ASK {}").status_code == 200  # and the workers are all alive


def test_row_cap_is_reported(server):
    q = "SELECT * WHERE { ?s ?p ?o }"
    resp = sparql(server, q)
    assert resp.headers["x-hrkg-truncated"] == "max-rows=50"
    body = resp.json()
    assert len(body["results"]["bindings"]) == 50 and body["results"]["truncated"] is True
    xml = sparql(server, q, "application/sparql-results+xml")
    assert xml.headers["x-hrkg-truncated"] == "max-rows=50" and "truncated" in xml.text and xml.text.count("<result>") == 50
    tsv = sparql(server, q, "text/tab-separated-values")
    assert tsv.headers["x-hrkg-truncated"] == "max-rows=50" and len(tsv.text.splitlines()) == 51
    ttl = sparql(server, "CONSTRUCT WHERE { ?s ?p ?o }", "text/turtle")
    assert ttl.headers["x-hrkg-truncated"] == "max-rows=50" and ttl.text.startswith("# truncated")
    small = sparql(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 50")
    assert "x-hrkg-truncated" not in small.headers and "truncated" not in small.json()["results"]


@pytest.mark.parametrize("query", [
    PRODUCT,
    'SELECT ?a WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "^(.*a){12}(.*b)+$")) }',
])
def test_a_slow_query_is_stopped_and_does_not_stall_the_others(server, query):
    server.settle()
    slow: dict = {}

    def run():
        t0 = time.time()
        slow["resp"] = server.client.post("/sparql", data={"query": query})
        slow["seconds"] = time.time() - t0

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.3)
    t0 = time.time()
    quick = sparql(server, f"ASK {{ ?s ?p ?o }} # {time.time()} (not cached)", "application/sparql-results+json")
    quick_seconds = time.time() - t0
    t.join()
    assert quick.status_code == 200 and quick_seconds < 1.8  # not held until the slow one is cut at 2 s
    assert slow["resp"].status_code == 504 and "limit of 2 s" in slow["resp"].text
    assert slow["seconds"] < 5
    assert server.settle()["replaced"] >= 1  # the killed worker was replaced
    assert rows_json(sparql(server, COUNT + f" # {time.time()}"))


# ---------------------------------------------------------------- canned queries

def _kg_query(built_dir, *args):
    return subprocess.run([sys.executable, "-m", "kg.cli", "query", *args, "--out", str(built_dir)],
                          cwd=ROOT, capture_output=True, check=True).stdout  # bytes: CSV lines end in CRLF


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "table"])
def test_canned_query_answers_exactly_what_kg_query_answers(server, built_dir, fmt):
    resp = server.client.get("/queries/who-raised-the-issue-with", params={"actor": "putin", "format": fmt})
    assert resp.status_code == 200
    assert resp.content == _kg_query(built_dir, "who-raised-the-issue-with", "--param", "actor=putin", "--format", fmt)


def test_canned_parameters_resolve_like_kg_query(server):
    by_id = server.client.get("/queries/who-raised-the-issue-with", params={"actor": "putin", "format": "csv"}).text
    by_label = server.client.get("/queries/who-raised-the-issue-with", params={"actor": "Vladimir Putin", "format": "csv"}).text
    assert by_id == by_label and by_id.count("\n") == 6
    bad = server.client.get("/queries/who-raised-the-issue-with", params={"actor": "putn"})
    assert bad.status_code == 400 and "`putin`" in bad.text and "--param" not in bad.text
    assert server.client.get("/queries/who-raised-the-issue-with", params={"colour": "red"}).status_code == 400
    missing = server.client.get("/queries/who-raised-the-issu")
    assert missing.status_code == 404 and "who-raised-the-issue-with" in missing.text


def test_canned_query_pages_like_kg_query(server, built_dir):
    """limit= and offset= give the rows of the full answer at those places, as `kg query --limit --offset` does."""
    full = server.client.get("/queries/timeline", params={"format": "csv"}).content.split(b"\r\n")
    page = server.client.get("/queries/timeline", params={"format": "csv", "limit": "5", "offset": "3"})
    assert page.status_code == 200
    assert page.content.split(b"\r\n") == [full[0], *full[4:9], b""]
    assert page.content == _kg_query(built_dir, "timeline", "--format", "csv", "--limit", "5", "--offset", "3")
    html = server.client.get("/queries/timeline", params={"limit": "5"}, headers={"Accept": "text/html"}).text
    assert "next page" in html and "offset=5" in html
    last = server.client.get("/queries/timeline", params={"limit": "100"}, headers={"Accept": "text/html"}).text
    assert "next page" not in last  # 26 rows: one page
    for bad in ({"limit": "x"}, {"limit": "-1"}, {"offset": "-2"}):
        assert server.client.get("/queries/timeline", params=bad).status_code == 400


def test_query_list_in_json_and_html(server):
    from kg import query as q
    listed = server.client.get("/queries").json()
    assert [i["slug"] for i in listed] == list(q.catalogue())
    assert next(i for i in listed if i["slug"] == "who-raised-the-issue-with")["defaults"]["actor"] == "putin"
    html = server.client.get("/queries", headers={"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html") and 'href="' + server.url + 'queries/denials?limit=200"' in html.text
    table = server.client.get("/queries/who-raised-the-issue-with", headers={"Accept": "text/html"})
    assert "<td>Angela Merkel</td>" in table.text and 'href="' + server.url + "chechnya-2017/article/000/claim/" in table.text


# ---------------------------------------------------------------- linked data

def test_entity_resolves_with_the_claims_that_name_it(server):
    resp = server.client.get("/chechnya-2017/entity/putin", headers={"Accept": "text/turtle"})
    assert resp.status_code == 200 and resp.headers["vary"].startswith("Accept")
    g = rdflib.Graph().parse(data=resp.text, format="turtle")
    putin = rdflib.URIRef(ENTITY + "putin")
    assert (putin, rdflib.RDFS.label, rdflib.Literal("Vladimir Putin", lang="en")) in g
    assert (rdflib.URIRef(CLAIM), rdflib.URIRef(HRR + "addressee"), putin) in g
    exact = rdflib.URIRef("http://www.w3.org/ns/oa#exact")
    assert any("Angela Merkel and Emmanuel Macron have both raised the issue" in str(o) for o in g.objects(None, exact))
    for accept, fmt in (("application/ld+json", "json-ld"), ("application/n-triples", "nt")):
        other = server.client.get("/chechnya-2017/entity/putin", headers={"Accept": accept})
        assert len(rdflib.Graph().parse(data=other.text, format=fmt)) == len(g)


def test_claim_and_article_resolve(server):
    claim = server.client.get("/chechnya-2017/article/000/claim/merkel-raised-issue", headers={"Accept": "text/turtle"})
    assert "European leaders Angela Merkel" in claim.text
    article = server.client.get("/chechnya-2017/article/000", headers={"Accept": "application/n-triples"})
    assert article.status_code == 200 and f"<{CLAIM}>" in article.text
    term = server.client.get("/ontology/Occurred", headers={"Accept": "text/turtle"})
    assert term.status_code == 200 and "skos" in term.text


def test_html_page_of_an_entity(server):
    page = server.client.get("/chechnya-2017/entity/putin", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "Accept" in page.headers["vary"]
    assert "<h1>Vladimir Putin</h1>" in page.text
    assert "European leaders Angela Merkel and Emmanuel Macron have both raised the issue" in page.text
    assert f'href="{server.url}chechnya-2017/article/000"' in page.text


def test_unknown_iri_is_404(server):
    for path in ("/chechnya-2017/entity/nobody", "/nothing/here", "/chechnya-2017/entity/%3Cscript%3E"):
        resp = server.client.get(path, headers={"Accept": "text/html"})
        assert resp.status_code == 404 and resp.headers["content-type"].startswith("text/plain")


def test_void_names_the_endpoint(server):
    resp = server.client.get("/.well-known/void")
    g = rdflib.Graph().parse(data=resp.text, format="turtle")
    assert (None, rdflib.URIRef("http://rdfs.org/ns/void#sparqlEndpoint"), rdflib.URIRef(server.url + "sparql")) in g


# ---------------------------------------------------------------- a hostile store, a fragile server

@pytest.fixture(scope="module")
def hostile_out(tmp_path_factory):
    from kg import oxstore
    out = tmp_path_factory.mktemp("hostile")
    evil = "<script>alert(1)</script> & \"quotes\""
    nq = (f'<{ENTITY}x> <http://www.w3.org/2000/01/rdf-schema#label> "{evil.replace(chr(34), chr(92) + chr(34))}" '
          f'<https://hrkg.example.org/chechnya-2017/graph/entities> .\n'
          f'<{ENTITY}x> <{HRR}description> "<img src=x onerror=alert(2)>" <https://hrkg.example.org/chechnya-2017/graph/entities> .\n')
    oxstore.switch(out, oxstore.write_generation(out, nq.encode(), "hostile"))
    (out / "void.ttl").write_text("<https://hrkg.example.org/chechnya-2017/> a <http://rdfs.org/ns/void#Dataset> .\n")
    return out


def test_html_escapes_what_the_data_says(hostile_out):
    s = Served(hostile_out, "--workers", "1", "--base-url", "https://kg.example.net/")
    try:
        page = s.client.get("/chechnya-2017/entity/x", headers={"Accept": "text/html"}).text
        assert "<script>" not in page and "<img" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in page and "&lt;img src=x" in page
        void = s.client.get("/.well-known/void").text
        assert "<https://kg.example.net/sparql>" in void  # --base-url maps the dataset onto the server
    finally:
        assert s.stop() == 0


def test_every_canned_first_page_is_computed_in_the_background(server, built_dir):
    """Each canned query's first page, as the web page and the query list ask for it, is computed when the
    generation is first served and answered from that, byte for byte what `kg query` prints."""
    from kg import query as q
    from kg.serve.app import PAGE_ROWS
    st = server.settle()
    assert st["warm"]["ready"] == st["warm"]["of"] == len(q.catalogue()) and st["warm"]["failed"] == []
    assert st["warm"]["generation"] == st["generation"]
    page_js = (ROOT / "kg/serve/static/page.js").read_text()
    assert f": {PAGE_ROWS};" in next(line for line in page_js.splitlines() if "export const PAGE_ROWS" in line)
    cached = st["cached"]
    for slug, cq in q.catalogue().items():
        resp = server.client.get(f"/queries/{slug}", params={"format": "json", "limit": PAGE_ROWS})
        assert resp.status_code == 200, (slug, resp.text)
        args = [a for p, v in cq.defaults.items() for a in ("--param", f"{p}={v}")]
        assert resp.content == _kg_query(built_dir, slug, *args, "--format", "json", "--limit", str(PAGE_ROWS)), slug
        if cq.defaults:   # the defaults written out: the same job
            again = server.client.get(f"/queries/{slug}", params={"format": "json", "limit": PAGE_ROWS, **cq.defaults})
            assert again.content == resp.content
        html = server.client.get(f"/queries/{slug}", params={"limit": PAGE_ROWS}, headers={"Accept": "text/html"})
        assert html.status_code == 200 and "<table" in html.text
    assert server.client.get("/.well-known/status").json()["cached"] == cached   # none was computed again


SLOW_CANNED = "#+ summary: slow\nSELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }\n"


def test_a_request_waits_for_the_warm_up_computing_it_and_a_failed_warm_up_is_reported(built_dir, tmp_path):
    (tmp_path / "a-slow.rq").write_text(SLOW_CANNED)
    (tmp_path / "b-quick.rq").write_text("#+ summary: quick\nSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n")
    s = Served(built_dir, "--queries", str(tmp_path), "--workers", "2", "--timeout", "1", "--warm-timeout", "4")
    try:
        t0 = time.time()
        waiting = s.client.get("/queries/a-slow", params={"format": "json", "limit": "200"})
        assert waiting.status_code == 503 and waiting.headers["retry-after"] == "5", waiting.text
        assert "being computed in the background" in waiting.text and time.time() - t0 < 3
        quick = s.client.get("/queries/b-quick", params={"format": "json", "limit": "200"})   # the other worker
        assert quick.status_code == 200 and int(quick.json()["results"]["bindings"][0]["n"]["value"]) > 1000
        st = s.settle()
        assert st["warm"]["failed"] == [{"slug": "a-slow", "error": "timed out"}] and st["warm"]["ready"] == 1
        assert st["replaced"] == 1   # the worker it ran on was stopped at --warm-timeout and replaced
        late = s.client.get("/queries/a-slow", params={"format": "json", "limit": "200"})
        assert late.status_code == 504 and "limit of 1 s" in late.text   # now a request like any other
    finally:
        assert s.stop() == 0


def test_a_crashing_worker_and_a_full_queue_leave_the_server_up(built_dir):
    s = Served(built_dir, "--workers", "1", "--queue", "0", "--timeout", "3", "--max-depth", "100000", "--no-warm")
    try:
        deep = "SELECT * WHERE " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000
        crash = s.client.post("/sparql", content=deep, headers={"Content-Type": "application/sparql-query"})
        assert crash.status_code == 500 and "SIGSEGV" in crash.text and "still up" in crash.text
        assert s.settle()["replaced"] == 1
        assert s.client.get("/sparql", params={"query": COUNT}).status_code == 200
        # one worker, no queue: while it runs a slow query, the next request is told to come back
        slow = threading.Thread(target=lambda: s.client.post("/sparql", data={"query": PRODUCT}))
        slow.start()
        time.sleep(0.5)
        busy = s.client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
        slow.join()
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    finally:
        assert s.stop() == 0


def test_serve_usage_errors(tmp_path, server, built_dir):
    done = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--out", str(tmp_path / "none")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "run `kg build" in done.stderr and "Traceback" not in done.stderr
    port = server.url.rsplit(":", 1)[1].strip("/")
    taken = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--out", str(built_dir), "--port", port], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert taken.returncode == 2 and "cannot listen" in taken.stderr
    zero = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--out", str(built_dir), "--workers", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert zero.returncode == 2 and "--workers 0: must be at least 1" in zero.stderr
    (tmp_path / "remote.rq").write_text("#+ summary: r\nSELECT * WHERE { SERVICE <http://e/> { ?s ?p ?o } }\n")
    refused = subprocess.run([sys.executable, "-m", "kg.cli", "serve", "--out", str(built_dir), "--queries", str(tmp_path)],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and f"{tmp_path / 'remote.rq'}:2:" in refused.stderr and "SERVICE" in refused.stderr


def test_sparqlwrapper_as_a_researcher_uses_it(server):
    """The README's SPARQLWrapper example, against the server."""
    from SPARQLWrapper import JSON, SPARQLWrapper

    sw = SPARQLWrapper(server.url + "sparql")
    sw.setQuery("""PREFIX hrr: <https://hrkg.example.org/ontology/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?speaker (COUNT(?act) AS ?n) WHERE { ?act hrr:speaker/rdfs:label ?speaker } GROUP BY ?speaker ORDER BY DESC(?n)""")
    sw.setReturnFormat(JSON)
    rows = sw.queryAndConvert()["results"]["bindings"]
    assert len(rows) > 5 and int(rows[0]["n"]["value"]) >= int(rows[-1]["n"]["value"]) >= 1
    sw.setMethod("POST")
    assert sw.queryAndConvert()["results"]["bindings"] == rows


def test_a_new_build_is_served_without_restart(tmp_path):
    from kg import oxstore
    out = tmp_path / "out"
    g = "<https://hrkg.example.org/chechnya-2017/graph/entities>"
    one = f'<{ENTITY}a> <http://www.w3.org/2000/01/rdf-schema#label> "a" {g} .\n'
    two = one + f'<{ENTITY}b> <http://www.w3.org/2000/01/rdf-schema#label> "b" {g} .\n'
    oxstore.switch(out, oxstore.write_generation(out, one.encode(), "one"))
    s = Served(out, "--workers", "1")
    try:
        count = lambda: int(s.client.get("/sparql", params={"query": COUNT}).json()["results"]["bindings"][0]["n"]["value"])  # noqa: E731
        assert count() == 1
        oxstore.switch(out, oxstore.write_generation(out, two.encode(), "two"))
        assert count() == 2
        assert s.client.get("/chechnya-2017/entity/b", headers={"Accept": "text/turtle"}).status_code == 200
        st = s.settle()   # the new generation's first pages computed too
        assert st["warm"]["generation"] == st["generation"] == os.readlink(out / "store")
    finally:
        assert s.stop() == 0
