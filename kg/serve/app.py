"""The ASGI application: SPARQL 1.1 Protocol, canned queries, linked data, VoID.

The server process parses requests, negotiates formats and keeps a cache of
answers; every query (and every lookup in the store) runs in a worker process
(``workers.Pool``), so no request can block the event loop or crash the server.
The store is immutable between builds, so answers are cached per store
generation (the target of ``OUT/store``), and each canned query's first page
(what the web page and the query list ask for) is computed in the background as
soon as a generation is served (``Server.warm``): a listing whose evaluation takes
longer than a request may (``corroborated-claims`` on 10,000 articles: about 25 s)
is then answered from the cache instead of timing out.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import json
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .. import guard, iris, publish, query as q, void
from . import negotiate as neg
from .page import Page, SecurityHeaders
from .workers import Busy, Crashed, Pool, TimedOut

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
EXAMPLE = f"PREFIX hrr: <{iris.ONTOLOGY}>\n" + """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?speaker ?description WHERE {
  ?act a hrr:RaisingOfIssue ; hrr:factuality hrr:Occurred ;
       hrr:speaker/rdfs:label ?speaker ; hrr:description ?description .
} ORDER BY ?speaker ?description"""


@dataclass
class Config:
    out: Path
    host: str = "127.0.0.1"
    port: int = 7878
    timeout: float = 10.0
    max_rows: int = 10_000
    max_bytes: int = guard.MAX_BYTES
    max_depth: int = guard.MAX_DEPTH
    workers: int = 2
    queue: int = 64
    cache: int = 1024
    warm: bool = True            # compute each canned query's first page for every generation served
    warm_timeout: float = 600.0  # seconds a warm-up evaluation may take (it runs on one worker at a time)
    base_url: str = ""
    queries: Path = q.QUERIES

    def base(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}/").rstrip("/") + "/"


PAGING = ("format", "limit", "offset")  # the canned query's URL parameters that are not its own
PAGE_ROWS = 200   # rows of a first page: the web page's (kg/serve/static/page.js) and the query list's links


def _origin(iri: str) -> str:
    """``scheme://host/`` of an IRI."""
    parts = urlsplit(iri)
    return f"{parts.scheme}://{parts.netloc}/"


def _catalogue(directory: Path) -> dict[str, q.CannedQuery]:
    """The canned queries served, each text vetted as a request's would be (no SERVICE, size, depth)."""
    from ..errors import UsageError
    if not directory.is_dir():
        raise UsageError(f"--queries {directory}: not a directory — give one holding canned queries (*.rq)")
    cat = q.catalogue(directory)
    if not cat:
        raise UsageError(f"--queries {directory}: no canned queries (*.rq) in it")
    for cq in cat.values():
        q.vet(cq)
    return cat


def _text(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(message if message.endswith("\n") else message + "\n", status,
                    headers={"content-type": "text/plain; charset=utf-8", **(headers or {})})


class Server:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.pool = Pool(cfg.out, cfg.workers, cfg.queue)
        self.cache: OrderedDict = OrderedDict()
        self.catalogue = _catalogue(cfg.queries)
        self.env = Environment(loader=PackageLoader("kg.serve", "templates"), autoescape=select_autoescape(default=True))
        self.env.filters["local"] = self.local
        self.env.filters["curie"] = self.curie
        self._base: tuple[str | None, str] = (None, "")
        self.warmed: dict = {}     # (generation, job) -> answer, computed in the background, never evicted
        self.warming: dict = {}    # (generation, job) -> the task computing it
        self.warm_state = {"generation": None, "ready": 0, "of": 0, "failed": [], "seconds": None}

    # ------------------------------------------------------------ helpers

    def local(self, iri: str) -> str:
        """A dataset IRI as a link on this server (others unchanged)."""
        if iri and iri.startswith((self.dataset_base(), iris.ONTOLOGY)):
            return self.cfg.base() + iri[len(_origin(iri)):]
        return iri

    def dataset_base(self) -> str:
        """The base the current store generation was built with (read back from it once per
        generation, and configured in this process too)."""
        gen = self.generation()
        if self._base[0] != gen:
            from .. import oxstore
            store = oxstore.open_read_only(self.cfg.out)
            value = iris.configure_from(store, self.cfg.out)
            del store
            self._base = (gen, value)
        return self._base[1]

    def served_root(self) -> str:
        """The IRI this server's root stands for: the dataset base's scheme and host. An IRI is
        served at its own path (``https://h/a/b`` at ``BASE-URL/a/b``), as a proxy at that host would."""
        return _origin(self.dataset_base())

    def iri_of(self, path: str) -> str:
        """The IRI a request path names: under the dataset base, else under the ontology's namespace."""
        for ns in (self.dataset_base(), iris.ONTOLOGY):
            iri = _origin(ns) + path
            if iri.startswith(ns) or iri == ns.rstrip("/"):
                return iri
        return self.served_root() + path

    @staticmethod
    def curie(iri: str) -> str:
        for prefix, ns in neg.PREFIXES.items():
            if iri.startswith(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return iri

    def html(self, template: str, status: int = 200, **context) -> Response:
        body = self.env.get_template(template).render(root=self.cfg.base(), **context)
        return Response(body, status, headers={"content-type": "text/html; charset=utf-8", "Vary": "Accept"})

    def generation(self) -> str:
        try:
            return os.readlink(self.cfg.out / "store")
        except OSError:
            return "static"

    async def ask(self, job: dict) -> dict | Response:
        """Run a job on a worker (or answer it from the cache); limits become HTTP answers."""
        key = (self.generation(), json.dumps(job, sort_keys=True))
        if key in self.warmed:
            return self.warmed[key]
        if self.cfg.cache and key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        if key in self.warming:   # being computed in the background: wait for it rather than compute it twice
            try:
                return await asyncio.wait_for(asyncio.shield(self.warming[key]), self.cfg.timeout)
            except asyncio.TimeoutError:
                st = self.warm_state
                return _text(503, "this answer is being computed in the background (the server computes each canned "
                                  "query's first page when it starts and when the store changes; "
                                  f"{st['ready']} of {st['of']} are ready) — retry in a few seconds", {"Retry-After": "5"})
            except (TimedOut, Crashed, Busy):
                pass   # the warm-up failed; the request runs as any other
        try:
            answer = await self.pool.run(job, self.cfg.timeout)
        except Busy:
            return _text(503, f"busy: {self.cfg.workers} queries are running and {self.cfg.queue} are waiting — retry shortly",
                         {"Retry-After": "1"})
        except TimedOut:
            return _text(504, f"the query ran longer than the limit of {self.cfg.timeout:g} s and was stopped — "
                              "narrow it (more specific patterns, LIMIT) or ask the operator for a longer --timeout")
        except Crashed as exc:
            return _text(500, str(exc))
        if self.cfg.cache and answer["status"] < 500:
            self.cache[key] = answer
            if len(self.cache) > self.cfg.cache:
                self.cache.popitem(last=False)
        return answer

    def first_pages(self) -> list[dict]:
        """The job of each canned query's first page as the web page asks for it (its parameters' defaults,
        ``PAGE_ROWS`` rows, JSON; the HTML table is made from the same job), in the page's order:
        headline questions first, then by name."""
        order = sorted(self.catalogue.values(), key=lambda cq: ("headline" not in cq.tags, cq.slug))
        return [{"kind": "canned", "slug": cq.slug, "params": dict(cq.defaults), "fmt": "json",
                 "max_rows": self.cfg.max_rows, "queries": str(self.cfg.queries), "limit": PAGE_ROWS} for cq in order]

    async def warm(self) -> None:
        """Compute every canned query's first page for the generation served, one at a time (one worker;
        the others answer requests), and again whenever ``OUT/store`` switches to a new generation.  An
        evaluation may take ``warm_timeout`` seconds, not the requests' ``timeout``; one that fails or
        runs over is left to the requests (``status`` lists it)."""
        while True:
            gen = self.generation()
            if gen != self.warm_state["generation"]:
                try:
                    await self._warm_generation(gen)
                except Exception as exc:  # noqa: BLE001 - the warm-up must not stop; the requests still work
                    self.warm_state["failed"].append({"slug": None, "error": f"{type(exc).__name__}: {exc}"})
                    self.warm_state["seconds"] = 0.0
            await asyncio.sleep(1)

    async def _warm_generation(self, gen: str) -> None:
        self.warmed = {k: v for k, v in self.warmed.items() if k[0] == gen}
        jobs = self.first_pages()
        st = self.warm_state = {"generation": gen, "ready": 0, "of": len(jobs), "failed": [], "seconds": None}
        t0 = time.monotonic()
        for job in jobs:
            if self.generation() != gen:
                return   # switched again: start over for the new one
            key = (gen, json.dumps(job, sort_keys=True))
            while key not in self.warmed:
                task = self.warming[key] = asyncio.get_running_loop().create_task(self.pool.run(job, self.cfg.warm_timeout))
                try:
                    answer = await asyncio.shield(task)
                except Busy:
                    await asyncio.sleep(1)   # every worker busy and the queue full: try again
                    continue
                except (TimedOut, Crashed) as exc:
                    st["failed"].append({"slug": job["slug"], "error": "timed out" if isinstance(exc, TimedOut) else str(exc)})
                    break
                finally:
                    self.warming.pop(key, None)
                if answer["status"] >= 500:
                    st["failed"].append({"slug": job["slug"], "error": answer["body"].decode("utf-8", "replace").strip()})
                    break
                self.warmed[key] = answer
            else:
                st["ready"] += 1
        st["seconds"] = round(time.monotonic() - t0, 3)

    @staticmethod
    def respond(answer: dict, extra: dict | None = None) -> Response:
        return Response(answer["body"], answer["status"],
                        headers={"content-type": answer["type"], **answer["headers"], **(extra or {})})

    # ------------------------------------------------------------ routes

    async def status(self, request: Request) -> Response:
        pool = self.pool
        doc = {"workers": pool.size, "ready": len(pool.workers), "idle": pool.idle.qsize(), "waiting": pool.waiting,
               "replaced": pool.replaced, "cached": len(self.cache), "generation": self.generation(),
               "warm": self.warm_state if self.cfg.warm and self.cfg.cache else None}
        return Response(json.dumps(doc) + "\n", headers={"content-type": "application/json"})

    async def sparql(self, request: Request) -> Response:
        params = {k: request.query_params.getlist(k) for k in request.query_params.keys()}
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            media, _, rest = ctype.partition(";")
            media = media.strip().lower()
            charset = next((p.split("=", 1)[1].strip().strip('"').lower() for p in rest.split(";")
                            if p.strip().lower().startswith("charset=")), "utf-8")
            if media == "application/sparql-update" or "update" in params:
                return self.refuse_update()
            if media not in ("application/x-www-form-urlencoded", "application/sparql-query"):
                return _text(415, f"POST a query as application/sparql-query or application/x-www-form-urlencoded, not {media or 'no media type'}")
            if charset not in ("utf-8", "utf8"):
                return _text(415, f"the query must be UTF-8, not {charset}")
            length = int(request.headers.get("content-length") or 0)
            limit = 3 * self.cfg.max_bytes + 4096  # a query of max_bytes, percent-encoded
            if length > limit:
                return _text(413, f"the request body is {length:,} bytes; queries are limited to {self.cfg.max_bytes:,} bytes")
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    return _text(413, f"the request body is over {limit:,} bytes; queries are limited to {self.cfg.max_bytes:,} bytes")
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                return _text(400, f"the request body is not UTF-8 (byte {exc.start}) — send the query in UTF-8")
            if media == "application/sparql-query":
                if "query" in params:
                    return _text(400, "the query is both in the body and in the URL — send it once")
                params["query"] = [text]
            else:
                for k, v in parse_qs(text, keep_blank_values=True).items():
                    params.setdefault(k, []).extend(v)
        if "update" in params:
            return self.refuse_update()
        queries = params.get("query", [])
        if len(queries) > 1:
            return _text(400, f"{len(queries)} query parameters were given — send exactly one")
        override = (params.get("format") or [None])[0]
        if not queries:
            return await self.service_description(request, override)
        try:
            vetted = guard.vet(queries[0], "query", max_depth=self.cfg.max_depth, max_bytes=self.cfg.max_bytes)
        except guard.TooLarge as exc:
            return _text(413, str(exc))
        except guard.UpdateRefused as exc:
            return _text(403, str(exc))
        except guard.QueryRefused as exc:
            return _text(400, str(exc))
        offered = {"ASK": neg.BOOLEAN, "CONSTRUCT": neg.GRAPH, "DESCRIBE": neg.GRAPH}.get(vetted.form or "", neg.SOLUTIONS)
        try:
            fmt = neg.choose(request.headers.get("accept"), offered, override)
        except neg.NotAcceptable as exc:
            return _text(406, f"{exc} (an {vetted.form or 'SELECT'} query)")
        job = {"kind": "sparql", "query": queries[0], "fmt": fmt.value, "max_rows": self.cfg.max_rows,
               "has_dataset": bool(vetted.dataset), "default_graphs": params.get("default-graph-uri", []),
               "named_graphs": params.get("named-graph-uri", [])}
        answer = await self.ask(job)
        return answer if isinstance(answer, Response) else self.respond(answer, {"Vary": "Accept"})

    @staticmethod
    def refuse_update() -> Response:
        return _text(403, "updates are refused: this endpoint is read-only (change the seeds and run `kg build`)")

    async def service_description(self, request: Request, override: str | None) -> Response:
        offered = (neg.Fmt.TURTLE, neg.Fmt.HTML, neg.Fmt.NTRIPLES, neg.Fmt.JSONLD, neg.Fmt.RDFXML)
        try:
            fmt = neg.choose(request.headers.get("accept"), offered, override)
        except neg.NotAcceptable as exc:
            return _text(406, str(exc))
        if fmt is neg.Fmt.HTML:
            return self.html("sparql.html", title="SPARQL", example=EXAMPLE, timeout=self.cfg.timeout,
                             max_rows=self.cfg.max_rows, max_bytes=self.cfg.max_bytes, formats=[f.value for f in neg.SOLUTIONS])
        graphs = await self.ask({"kind": "graphs"})
        if isinstance(graphs, Response):
            return graphs
        endpoint = ox.NamedNode(self.cfg.base() + "sparql")
        sd = lambda t: ox.NamedNode(SD + t)  # noqa: E731
        dataset, default = ox.BlankNode("dataset"), ox.BlankNode("default")
        triples = [ox.Triple(endpoint, ox.NamedNode(neg.PREFIXES["rdf"] + "type"), sd("Service")),
                   ox.Triple(endpoint, sd("endpoint"), endpoint),
                   ox.Triple(endpoint, sd("supportedLanguage"), sd("SPARQL11Query")),
                   ox.Triple(endpoint, sd("feature"), sd("UnionDefaultGraph")),
                   ox.Triple(endpoint, sd("defaultDataset"), dataset),
                   ox.Triple(dataset, ox.NamedNode(neg.PREFIXES["rdf"] + "type"), sd("Dataset")),
                   ox.Triple(dataset, sd("defaultGraph"), default),
                   ox.Triple(default, ox.NamedNode(neg.PREFIXES["rdf"] + "type"), sd("Graph"))]
        for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                     "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
            triples.append(ox.Triple(endpoint, sd("resultFormat"), ox.NamedNode(FORMATS_NS + name)))
        for i, g in enumerate(graphs["data"]):
            node = ox.BlankNode(f"g{i}")
            triples += [ox.Triple(dataset, sd("namedGraph"), node), ox.Triple(node, sd("name"), ox.NamedNode(g))]
        body = ox.serialize(triples, format=neg.RDF_FORMAT[fmt],
                            **({"prefixes": {"sd": SD}} if fmt in (neg.Fmt.TURTLE, neg.Fmt.RDFXML) else {}))
        return Response(body, headers={"content-type": neg.content_type(fmt), "Vary": "Accept"})

    async def queries(self, request: Request) -> Response:
        choice = request.query_params.get("format") or neg.pick(
            request.headers.get("accept"), [("application/json", "json"), ("text/html", "html")])
        if choice == "html":
            return self.html("queries.html", title="Canned queries", queries=list(self.catalogue.values()),
                             page_rows=PAGE_ROWS)
        if choice != "json":
            return _text(406, "the query list is given as application/json or text/html")
        items = [{"slug": cq.slug, "summary": cq.summary, "description": cq.description, "tags": cq.tags,
                  "parameters": cq.params, "defaults": cq.defaults, "url": f"{self.cfg.base()}queries/{cq.slug}"}
                 for cq in self.catalogue.values()]
        return Response(json.dumps(items, ensure_ascii=False, indent=1) + "\n",
                        headers={"content-type": "application/json; charset=utf-8", "Vary": "Accept"})

    async def canned(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        cq = self.catalogue.get(slug)
        if cq is None:
            near = difflib.get_close_matches(slug, list(self.catalogue), n=3)
            return _text(404, f"no canned query {slug!r}" + (f" — did you mean {', '.join(near)}?" if near else " — see /queries"))
        # a default written out and a default left out are one job (one cache entry, one warm-up)
        params = {**cq.defaults, **{k: v for k, v in request.query_params.items() if k not in PAGING}}
        try:  # limit= and offset=: a page of the answer, as `kg query --limit --offset` prints it
            page = {k: int(request.query_params[k]) for k in ("limit", "offset") if k in request.query_params}
            if any(v < 0 for v in page.values()):
                raise ValueError
        except ValueError:
            return _text(400, "limit= and offset= take a number of rows, 0 or more")
        choice = request.query_params.get("format") or neg.pick(request.headers.get("accept"), [
            ("application/json", "json"), ("text/csv", "csv"), ("text/tab-separated-values", "tsv"),
            ("text/plain", "table"), ("text/html", "html")])
        if choice not in ("json", "csv", "tsv", "table", "html"):
            return _text(406 if choice is None else 400, "answers are given as format=json, csv, tsv, table or html")
        job = {"kind": "canned", "slug": slug, "params": params, "fmt": "json" if choice == "html" else choice,
               "max_rows": self.cfg.max_rows, "queries": str(self.cfg.queries), **page}
        answer = await self.ask(job)
        if isinstance(answer, Response):
            return answer
        if choice != "html" or answer["status"] != 200:
            return self.respond(answer, {"Vary": "Accept"})
        doc = json.loads(answer["body"])
        names = doc["head"]["vars"]
        rows = [[{"text": b[n]["value"], "href": self.local(b[n]["value"]) if b[n]["type"] == "uri" else None}
                 if n in b else {"text": ""} for n in names] for b in doc["results"]["bindings"]]
        formats = [{"name": f, "query": urlencode({**params, **page, "format": f})} for f in ("csv", "tsv", "json", "table")]
        offset, limit = page.get("offset", 0), page.get("limit")
        more = limit is not None and len(rows) == limit  # a full page: the next one may have rows
        following = urlencode({**params, "limit": limit, "offset": offset + limit, "format": "html"}) if more else None
        return self.html("table.html", title=slug, summary=cq.summary, vars=names, rows=rows, formats=formats,
                         truncated="X-Hrkg-Truncated" in answer["headers"], max_rows=self.cfg.max_rows,
                         first=offset + 1, following=following)

    async def void(self, request: Request) -> Response:
        try:
            fmt = neg.choose(request.headers.get("accept"), neg.GRAPH, request.query_params.get("format"))
        except neg.NotAcceptable as exc:
            return _text(406, str(exc))
        path = self.cfg.out / "void.ttl"
        try:
            triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
        except (OSError, SyntaxError) as exc:
            return _text(500, f"{path}: the VoID description cannot be read: {exc}")
        self.dataset_base()  # the description's IRIs are under the base the store was built with
        triples = void.with_endpoint(triples, self.cfg.base() + "sparql")  # this server's endpoint, whatever the build said
        return Response(neg.graph(triples, fmt), headers={"content-type": neg.content_type(fmt), "Vary": "Accept"})

    def dump_file(self, iri: str) -> Response | None:
        """A dump ``void.ttl`` lists (``…/dump/NAME``, its ``dcat:downloadURL``), served from OUT as written."""
        prefix = self.dataset_base() + "dump/"
        if not iri.startswith(prefix):
            return None
        name = iri[len(prefix):]
        listed = {p.value for p in publish.Dump if p in publish.MEDIA_TYPES}
        path = self.cfg.out / name
        if name not in listed or not path.is_file():
            return _text(404, f"{iri}: no such dump in this build (see /.well-known/void)")
        ctype = "application/gzip" if name.endswith(".gz") else publish.MEDIA_TYPES[publish.Dump(name)]
        return FileResponse(path, media_type=ctype)

    async def resource(self, request: Request) -> Response:
        # the path as sent: minted IRIs are percent-encoded, and so are the links to them
        raw = request.scope.get("raw_path") or request.url.path.encode()
        iri = self.iri_of(raw.decode("latin-1").split("?", 1)[0].lstrip("/"))
        if iri in (self.dataset_base(), self.dataset_base().rstrip("/")):
            return await self.void(request)  # the dataset IRI: its VoID/DCAT description
        served = self.dump_file(iri)
        if served is not None:
            return served
        try:
            ox.NamedNode(iri)
        except ValueError:
            return _text(404, f"{iri}: not an IRI the dataset mints", {"Vary": "Accept"})
        try:
            fmt = neg.choose(request.headers.get("accept"), neg.GRAPH + (neg.Fmt.HTML,), request.query_params.get("format"))
        except neg.NotAcceptable as exc:
            return _text(406, str(exc), {"Vary": "Accept"})
        answer = await self.ask({"kind": "describe", "iri": iri, "fmt": fmt.value})
        if isinstance(answer, Response):
            return answer
        if "data" in answer:
            return self.html("resource.html", title=answer["data"]["label"], r=answer["data"])
        return self.respond(answer, {"Vary": "Accept"})

    # ------------------------------------------------------------ the application

    def app(self) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(app):
            await self.pool.start()
            warm = asyncio.get_running_loop().create_task(self.warm()) if self.cfg.warm and self.cfg.cache else None
            try:
                yield
            finally:
                if warm:
                    warm.cancel()
                self.pool.close()

        routes = [*Page(self).routes(),  # the web page at / and its assets and JSON (kg/serve/page.py)
                  Route("/sparql", self.sparql, methods=["GET", "POST"]),
                  Route("/queries", self.queries, methods=["GET"]),
                  Route("/queries/{slug}", self.canned, methods=["GET"]),
                  Route("/.well-known/void", self.void, methods=["GET"]),
                  Route("/.well-known/status", self.status, methods=["GET"]),
                  Route("/{path:path}", self.resource, methods=["GET"])]
        cors = Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                          allow_headers=["Accept", "Content-Type"], expose_headers=["X-Hrkg-Truncated", "Retry-After"],
                          max_age=86400)
        return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders), cors], lifespan=lifespan)
