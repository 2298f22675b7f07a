"""Publication into, and queries on, a remote SPARQL 1.1 store.  The only module that
opens a network connection.

``publish`` pushes every named graph of the built ``kg.nq`` through the SPARQL 1.1
Graph Store Protocol: one ``PUT`` per graph (replace), then ``DELETE`` of the graphs
the target holds under the dataset's graph namespace that the dataset no longer has,
then one SPARQL query counting the triples per graph on the target, compared with the
dump.  GSP has no transaction across graphs (and Virtuoso's ``PUT`` is not atomic even
within one graph), so a failure half-way leaves the graphs already sent new and the
others old; every step is idempotent, so running ``kg publish`` again repairs it.

``select`` runs a query on a SPARQL 1.1 Protocol endpoint and gives pyoxigraph
results, so ``kg.query.render`` prints them exactly as it prints local ones.
Credentials come from an environment variable (``USER:PASSWORD``), are offered only
when the server asks (HTTP Digest or Basic), and never appear in output or errors.
"""

from __future__ import annotations

import enum
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import iris
from .errors import InputError, KgError, Pos, UsageError

def graphs_ns() -> str:
    """The dataset's graph namespace (under the base in force: the built dump's)."""
    return iris.base() + "graph/"
TIMEOUT = 120
PROV_GENERATED_BY = "http://www.w3.org/ns/prov#wasGeneratedBy"
OPEN_FILES = 128  # spool files kept open at once while splitting kg.nq by graph
RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"

# Where a store's SPARQL query endpoint is, given its Graph Store Protocol endpoint.
QUERY_ENDPOINTS = (
    ("/store", "/query"),                       # Oxigraph server
    ("/sparql-graph-crud-auth", "/sparql"),     # Virtuoso (HTTP Digest)
    ("/sparql-graph-crud", "/sparql"),          # Virtuoso (anonymous, when granted)
    ("/rdf-graphs/service", ""),                # GraphDB: /repositories/ID
    ("/data", "/sparql"),                       # Apache Jena Fuseki: /DATASET/data
)


class RemoteError(KgError):
    """The store could not be reached, or refused a request."""

    exit_code = 2


class PublishMismatch(KgError):
    """After publishing, the target does not hold what the dump holds."""

    exit_code = 1


class Union(enum.Enum):
    """How to ask a store for the union of the named graphs as the default graph."""

    NATIVE = "native"      # the store's default graph already is it (see README)
    PROTOCOL = "protocol"  # name every dataset graph with `default-graph-uri`


# ---------------------------------------------------------------- HTTP

def credentials(var: str | None) -> tuple[str, str] | None:
    if not var:
        return None
    value = os.environ.get(var)
    if value is None:
        raise UsageError(f"--auth-env {var}: the environment variable is not set — export {var}=USER:PASSWORD")
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise UsageError(f"--auth-env {var}: the variable must hold USER:PASSWORD (its value is not shown)")
    return user, password


def check_url(url: str, option: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option} {url!r}: not an http(s) URL — e.g. http://127.0.0.1:7878/store")
    if parts.username or parts.password:
        raise UsageError(f"{option}: the URL holds credentials — pass them with --auth-env VAR instead (VAR=USER:PASSWORD)")
    return url


class Client:
    """urllib with Digest and Basic authentication offered on a 401 challenge."""

    def __init__(self, auth: tuple[str, str] | None = None, timeout: float = TIMEOUT) -> None:
        handlers: list[urllib.request.BaseHandler] = []
        self._auth, self._mgr = auth, urllib.request.HTTPPasswordMgrWithDefaultRealm()
        if auth:
            handlers += [urllib.request.HTTPDigestAuthHandler(self._mgr), urllib.request.HTTPBasicAuthHandler(self._mgr)]
        self._opener = urllib.request.build_opener(*handlers)
        self.timeout = timeout

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                ok_missing: bool = False) -> bytes:
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        if self._auth:  # offered to this server only, whichever realm it names
            parts = urllib.parse.urlsplit(url)
            self._mgr.add_password(None, f"{parts.scheme}://{parts.netloc}/", *self._auth)
        shown = f"{method} {url}"
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                return resp.read()
        except urllib.error.HTTPError as exc:
            if ok_missing and exc.code == 404:
                return b""
            detail = _excerpt(exc.read())
            hint = " — check --auth-env (the user needs write access)" if exc.code in (401, 403) else ""
            raise RemoteError(f"{shown}: HTTP {exc.code} {exc.reason}{hint}" + (f": {detail}" if detail else "")) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RemoteError(f"{shown}: cannot reach the store ({reason}) — is it running, and is the URL right?") from None


def _excerpt(body: bytes, limit: int = 300) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:limit] + ("…" if len(text) > limit else "")


def with_params(url: str, **params: str) -> str:
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + sep + urllib.parse.urlencode(params)


def query_endpoint(gsp_url: str) -> str | None:
    """The SPARQL endpoint of a known store, from its Graph Store Protocol URL."""
    parts = urllib.parse.urlsplit(gsp_url)
    for suffix, replacement in QUERY_ENDPOINTS:
        if parts.path.endswith(suffix):
            return urllib.parse.urlunsplit(parts._replace(path=parts.path[: -len(suffix)] + replacement))
    return None


# ---------------------------------------------------------------- SPARQL protocol

def select(client: Client, endpoint: str, query: str, default_graphs: list[str] | None = None):
    """A SELECT or ASK over the SPARQL 1.1 Protocol (POST form), as pyoxigraph results."""
    form = [("query", query)] + [("default-graph-uri", g) for g in default_graphs or []]
    body = client.request("POST", endpoint, urllib.parse.urlencode(form).encode(),
                          {"Content-Type": "application/x-www-form-urlencoded", "Accept": RESULTS_JSON})
    try:
        return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    except (SyntaxError, ValueError) as exc:
        raise RemoteError(f"POST {endpoint}: the answer is not SPARQL JSON results ({exc}): {_excerpt(body)}") from None


def remote_graphs(client: Client, endpoint: str) -> dict[str, int]:
    """Triples per graph on the target, for the graphs under the dataset's graph namespace."""
    text = ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(STRSTARTS(STR(?g), "{graphs_ns()}")) }} GROUP BY ?g')
    return {sol["g"].value: int(sol["n"].value) for sol in select(client, endpoint, text)}


def configure_base(client: Client, endpoint: str) -> str:
    """Configure the base of the dataset the endpoint holds, read from its provenance graph (which
    names itself: ``<BASE graph/provenance> prov:wasGeneratedBy …`` in that graph)."""
    text = (f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g <{PROV_GENERATED_BY}> ?b }} "
            f'FILTER(STRENDS(STR(?g), "/{iris.PROVENANCE_GRAPH}")) }} ORDER BY ?g')
    found = [sol["g"].value[:-len(iris.PROVENANCE_GRAPH)] for sol in select(client, endpoint, text)]
    if len(found) != 1:
        raise UsageError(f"--endpoint {endpoint}: " + (f"it holds {len(found)} datasets ({', '.join(found)})" if found else
                         "it holds no dataset `kg publish` put there (no `…/graph/provenance` graph)")
                         + " — run the query from a build directory (--out DIR) or with --data FILE, whose base is used")
    iris.configure(found[0])
    return found[0]


def entity_index(client: Client, endpoint: str, default_graphs: list[str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Entity ids, labels and aliases looked up on the endpoint (as ``kg.query.entity_index``)."""
    prefix = iris.base() + "entity/"
    # labels before aliases, as locally: a label wins over another entity's alias
    text = f"""SELECT ?s ?id ?name WHERE {{
  ?s <http://purl.org/dc/terms/identifier> ?id .
  FILTER(STRSTARTS(STR(?s), "{prefix}") && !CONTAINS(STR(?s), "/position/"))
  OPTIONAL {{ {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?name BIND(0 AS ?k) }}
             UNION {{ ?s <http://www.w3.org/2004/02/skos/core#altLabel> ?name BIND(1 AS ?k) }} }}
}} ORDER BY ?k ?s ?name"""
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    for sol in select(client, endpoint, text, default_graphs):
        ids[sol["id"].value] = sol["s"].value
        if sol["name"] is not None:
            names.setdefault(sol["name"].value.lower(), sol["s"].value)
    return ids, names


# ---------------------------------------------------------------- publish

@dataclass
class Spool:
    """``kg.nq`` split by graph into N-Triples files in a temporary directory."""

    directory: Path
    files: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    base: str | None = None     # the dataset base the dump was built with (its provenance graph names itself)

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def spool(nq: Path) -> Spool:
    """Stream ``nq`` once, appending each triple to its graph's file (a few files open at once)."""
    if not nq.is_file():
        raise UsageError(f"{nq}: no N-Quads dump here — run `kg build --out {nq.parent}` first")
    sp = Spool(Path(tempfile.mkdtemp(prefix="kg-publish-")))
    handles: OrderedDict[str, object] = OrderedDict()
    try:
        for quad in ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS):
            graph = quad.graph_name
            if not isinstance(graph, ox.NamedNode):
                raise InputError(Pos(str(nq)), f"a triple in the default graph ({quad.subject} {quad.predicate} …)",
                                 "every triple of the dataset belongs to a named graph: rebuild with `kg build`")
            name = graph.value
            fh = handles.pop(name, None)
            if fh is None:
                path = sp.files.setdefault(name, sp.directory / f"{len(sp.files):06d}.nt")
                fh = path.open("a", encoding="utf-8")
                if len(handles) >= OPEN_FILES:
                    handles.popitem(last=False)[1].close()
            handles[name] = fh
            fh.write(f"{quad.subject} {quad.predicate} {quad.object} .\n")
            sp.counts[name] = sp.counts.get(name, 0) + 1
            if quad.subject == graph and quad.predicate.value == PROV_GENERATED_BY and name.endswith("/" + iris.PROVENANCE_GRAPH):
                sp.base = name[:-len(iris.PROVENANCE_GRAPH)]
    except SyntaxError as exc:
        sp.cleanup()
        raise InputError(Pos(str(nq), exc.lineno or 0, exc.offset or 0), f"not valid N-Quads: {exc.msg}",
                         "rebuild the dumps with `kg build`") from None
    except BaseException:
        sp.cleanup()
        raise
    finally:
        for fh in handles.values():
            fh.close()
    return sp


@dataclass
class Plan:
    put: dict[str, int]        # graph -> triples, in IRI order
    delete: list[str]          # graphs on the target that the dataset no longer has
    outside: list[str] = field(default_factory=list)  # graphs in kg.nq outside the namespace (refused)


@dataclass
class Outcome:
    plan: Plan
    remote: dict[str, int]     # triples per graph counted on the target afterwards (empty on a dry run)


def plan(local: dict[str, int], remote: dict[str, int]) -> Plan:
    put = {g: local[g] for g in sorted(local)}
    outside = [g for g in put if not g.startswith(graphs_ns())]
    return Plan(put, sorted(g for g in remote if g not in local), outside)


def publish(nq: Path, gsp: str, sparql: str, client: Client, dry_run: bool = False, progress=None) -> Outcome:
    """Replace every graph of ``nq`` on the target, drop the stale ones, verify the counts."""
    sp = spool(nq)
    try:
        if sp.base is None:
            raise InputError(Pos(str(nq)), "no provenance graph names the dataset's base (`BASE graph/provenance`)",
                             "publish a dump written by `kg build`")
        iris.configure(sp.base)  # the graph namespace is the one the dump was built under
        before = remote_graphs(client, sparql)
        pl = plan(sp.counts, before)
        if pl.outside:
            raise InputError(Pos(str(nq)), f"graph <{pl.outside[0]}> is outside the dataset's graph namespace <{graphs_ns()}>",
                             "publish only dumps written by `kg build`")
        if dry_run:
            return Outcome(pl, {})
        for graph, n in pl.put.items():
            body = sp.files[graph].read_bytes()
            client.request("PUT", with_params(gsp, graph=graph), body, {"Content-Type": N_TRIPLES})
            if progress:
                progress("put", graph, n)
        for graph in pl.delete:
            client.request("DELETE", with_params(gsp, graph=graph), ok_missing=True)
            if progress:
                progress("delete", graph, before[graph])
    finally:
        sp.cleanup()
    after = remote_graphs(client, sparql)
    diffs = [f"<{g}>: {pl.put.get(g, 0)} in {nq.name}, {after.get(g, 0)} on the target"
             for g in sorted(set(pl.put) | set(after)) if pl.put.get(g, 0) != after.get(g, 0)]
    if diffs:
        raise PublishMismatch(f"after publishing, {len(diffs)} graph{'s differ' if len(diffs) != 1 else ' differs'} "
                              f"(run `kg publish` again; if it persists the store changed the data):\n  " + "\n  ".join(diffs))
    return Outcome(pl, after)
