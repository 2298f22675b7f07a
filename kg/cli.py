"""The ``kg`` command.  The only module that prints or chooses exit codes.

Exit codes: 0 success / conforms, 1 data does not conform or is inconsistent,
2 usage or input error.  User errors never show a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from . import __version__, guard, journal, lock, progress, query as q
from .cache import CACHE_DIR
from .errors import InputError, InputErrors, KgError, UsageError
from .model import ENTITY_TYPES


class _Lazy:
    """A kg module imported when the command first uses it: `kg query` then loads neither rdflib's SHACL and
    OWL machinery nor the build (0.38 s to import all of them against 0.15 s for kg.query, every process)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        import importlib
        return getattr(importlib.import_module(f"{__package__}.{self._name}"), attr)


builder, curate, drafting, load, registry, validate = (_Lazy(n) for n in ("build", "curate", "draft", "load", "registry", "validate"))
DEFAULT_OUT = Path("build")
REPORT_FORMATS = ("text", "ttl", "json")   # kg.validate.ReportFormat's values (a test holds them equal)


def _seeds(args) -> tuple[Path, str]:
    seeds = Path(args.seeds) if args.seeds else builder.SEEDS
    return seeds, args.seeds or "seeds"


def _out(given: str) -> Path:
    """``--out``: a directory, or a path that can become one (checked before any work is done)."""
    out = Path(given)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {given}: is a file, not a directory — name a directory (it is created if missing)")
    parent = out
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"--out {given}: {parent} is a file, so nothing can be created under it — name a directory")
    try:  # os.access says yes to root on a read-only file system: try it
        os.rmdir(tempfile.mkdtemp(prefix=".kg-probe-", dir=parent))
    except OSError as exc:
        raise UsageError(f"--out {given}: cannot write in {parent} ({exc.strerror}) — name a directory you can write to") from None
    return out


def cmd_build(args) -> int:
    seeds, display = _seeds(args)
    out = _out(args.out)
    with lock.seeds_lock(seeds, args.wait, lambda msg: print(msg, file=sys.stderr, flush=True), readers_ok=True) as held, \
            progress.Bar(enabled=not args.quiet) as bar:
        if held is not None:
            _settled(journal.settle(seeds))
        summary = builder.build(seeds, out, display, jobs=args.jobs, cache_dir=Path(args.cache) if args.cache else None,
                                progress=bar.update)
    print_summary(summary)
    if not args.quiet:
        print()
        print("Who raised the issue with Putin?")
        store_ = q.open_built(out)
        cq = q.catalogue()["who-raised-the-issue-with"]
        try:
            bound = q.bind_params(cq, store_, {"actor": "putin"})
        except UsageError:   # another corpus (a generated one, a user's own): the build itself succeeded
            print("(not asked: this registry has no entity `putin`; ask it of your own actor with "
                  "`kg query who-raised-the-issue-with --param actor=ID`)")
            return 0
        sys.stdout.write(q.render(q.run(store_, cq.text, bound), q.Format.TABLE))
    return 0


def _settled(done: list[str]) -> None:
    for line in done:
        print(line, file=sys.stderr)


def print_summary(summary: builder.Summary) -> None:
    warnings = len(summary.report.results)
    print(f"built {summary.out}/: {summary.quads} quads in {len(summary.graphs)} named graphs "
          f"({summary.articles} articles, {sum(summary.claims.values())} claims, {summary.entities} entities; "
          f"{summary.inferred} inferred triples; validation: conforms, {warnings} warning{'s' if warnings != 1 else ''})")
    print("claims by type: " + ", ".join(f"{k} {n}" for k, n in sorted(summary.claims.items())))
    print(f"articles: {summary.cached} from the cache, {summary.rebuilt} rebuilt; store {summary.store}; "
          f"dumps {summary.dumps}")
    if summary.answers is not None:
        print(f"answers: {summary.answers.line()}")


def cmd_validate(args) -> int:
    seeds, display = _seeds(args)
    if journal.pending(seeds):   # a killed kg add: finish or undo it first, unless one is still running
        try:
            with lock.seeds_lock(seeds, 0, readers_ok=True) as held:
                if held is not None:
                    _settled(journal.settle(seeds))
        except lock.LockTimeout:
            pass
    outcome = curate.check(seeds, display, args.additions, Path(args.cache))
    fmt = validate.ReportFormat(args.format)
    sys.stdout.write(validate.render(outcome.report, fmt, outcome.graph if fmt is validate.ReportFormat.TTL else None))
    return 0 if outcome.conforms else 1


def cmd_add(args) -> int:
    curate.usage_check(args.additions)
    seeds, display = _seeds(args)
    with progress.Bar(enabled=not args.quiet) as bar:
        applied = curate.add(seeds, display, args.additions, _out(args.out), replace=args.replace, lock_timeout=args.wait,
                             on_wait=lambda msg: print(msg, file=sys.stderr, flush=True), progress=bar.update)
    sys.stdout.write(validate.render(applied.outcome.report, validate.ReportFormat.TEXT))
    for r in applied.replaced:
        verb = "replaces" if applied.outcome.conforms else "would replace"
        if not (r.removed or r.added or r.kept):   # a Turtle file: no claim ids
            print(f"{verb} {display}/{r.target}")
            continue
        print(f"{verb} {display}/{r.target}: removes {len(r.removed)} claim(s)"
              + (f" ({', '.join(r.removed)})" if r.removed else "")
              + f", adds {len(r.added)}" + (f" ({', '.join(r.added)})" if r.added else "")
              + f", keeps {len(r.kept)} id(s)")
    if not applied.outcome.conforms:
        print("rejected: nothing was changed in the seeds or the dumps", file=sys.stderr)
        return 1
    print(f"added: {', '.join(applied.written)}; rebuilt {args.out}/")
    if applied.store:
        print(f"store: {applied.store}")
    if applied.answers is not None:
        print(f"answers: {applied.answers.line()}")
    return 0


def cmd_draft(args) -> int:
    seeds, display = _seeds(args)
    d, written = drafting.draft(seeds, display, args.article, Path(args.out))
    kinds = Counter(c.type for c in d.claims)
    print(f"drafted {d.annotation_name}: {len(d.claims)} candidate claims"
          + (f" ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})" if kinds else "")
          + f", {len(d.candidates)} entity candidates, {sum(1 for c in d.claims if 'refers_to' in c.fields)} refers_to suggestions")
    print("wrote: " + ", ".join(str(p) for p in written))
    print("review every `draft:` line (kg validate refuses them), then: kg validate " + " ".join(str(p) for p in written))
    return 0


def cmd_entities(args) -> int:
    seeds, display = _seeds(args)
    if args.type and args.type not in ENTITY_TYPES:
        near = difflib.get_close_matches(args.type, list(ENTITY_TYPES), n=1, cutoff=0.5)
        raise UsageError(f"--type {args.type}: no such entity type — "
                         + (f"did you mean {near[0]}?" if near else "types: " + ", ".join(ENTITY_TYPES)))
    entities = registry.load_entities(seeds / load.ENTITIES_FILE, f"{display}/{load.ENTITIES_FILE}")
    for ent in entities.values():
        if args.type and ent.type != args.type:
            continue
        aliases = f"  (also: {', '.join(ent.aliases)})" if ent.aliases else ""
        print(f"{ent.id:34} {ent.type:15} {ent.label}{aliases}")
        for key, p in ent.positions.items():   # the keys a `position` claim names
            print(f"{'':34} {'position':15} {key}: {p.role}" + (f" (of {p.org})" if p.org else ""))
    return 0


def cmd_queries(args) -> int:
    for cq in q.catalogue().values():
        params = " ".join(f"{p}={cq.defaults[p]}" if p in cq.defaults else f"{p}=…" for p in cq.params)
        print(f"{cq.slug}" + (f"  [{params}]" if params else ""))
        print(f"    {cq.summary}")
    return 0


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise KgError(f"--param {pair!r}: write NAME=VALUE")
        out[name] = value
    return out


def _canned(args) -> q.CannedQuery:
    if args.file:
        if args.slug:
            raise KgError("give a SLUG or --file, not both")
        path = Path(args.file)
        cq = q.load_query(path) if path.is_file() else None
        if cq is None:
            raise KgError(f"{path}: no such query file")
        q.vet(cq, allow_service=args.allow_service)   # with a key query beside it, and its rows' text
        return cq
    if not args.slug:
        raise KgError("give a query SLUG (see `kg queries`) or --file my.rq")
    cat = q.catalogue()
    if args.slug not in cat:
        near = difflib.get_close_matches(args.slug, list(cat), n=3)
        raise KgError(f"no canned query {args.slug!r}" + (f" — did you mean {', '.join(near)}?" if near else " — see `kg queries`"))
    return cat[args.slug]


def cmd_query(args) -> int:
    cq = _canned(args)
    given = _params(args.param)
    if args.endpoint:
        from . import remote
        endpoint = remote.check_url(args.endpoint, "--endpoint")
        client = remote.Client(remote.credentials(args.auth_env))
        union = remote.Union(args.union)
        local = bool(args.data or Path(args.out, "store").is_dir())  # names resolved locally when a build is at hand
        # the dataset base: the local build's, else the one the endpoint's data was built with
        store = (q.open_store(Path(args.data)) if args.data else q.open_built(Path(args.out))) if local else None
        if not local:
            remote.configure_base(client, endpoint)
        graphs = sorted(remote.remote_graphs(client, endpoint)) if union is remote.Union.PROTOCOL else None
        if local:
            bindings = q.bind_params(cq, store, given)
        else:
            index = remote.entity_index(client, endpoint, graphs) if q.ENTITY_PARAMS & set(cq.params) else ({}, {})
            bindings = q.bind_params(cq, None, given, index)
        text = q.page(q.standalone(cq, bindings, given), args.limit, args.offset)
        if args.print:
            sys.stdout.write(text)
            return 0
        sys.stdout.write(q.render(remote.select(client, endpoint, text, graphs), q.Format(args.format)))
        return 0
    store, gen = (q.open_store(Path(args.data)), None) if args.data else q.built(Path(args.out))
    q.check_from(store, cq.text, str(cq.path))
    bindings = q.bind_params(cq, store, given)
    if args.print:
        sys.stdout.write(q.page(q.standalone(cq, bindings, given), args.limit, args.offset))
        return 0
    # a first page the build kept with this store generation (kg.answers) is answered from it
    sys.stdout.write(_interruptible(lambda: q.render(q.evaluate(store, cq, bindings, args.limit, args.offset, gen),
                                                     q.Format(args.format))))
    return 0


def _interruptible(work):
    """Run ``work`` in a thread so that Ctrl-C stops the command at once: pyoxigraph evaluates a
    query in native code (releasing the GIL), where Python's SIGINT handler cannot reach it."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.1)  # KeyboardInterrupt is raised here, between two waits
    if "error" in box:
        raise box["error"]
    return box["value"]


def cmd_publish(args) -> int:
    from . import remote
    gsp = remote.check_url(args.to, "--to")
    sparql = args.sparql or remote.query_endpoint(gsp)
    if not sparql:
        raise UsageError(f"--to {gsp}: not a Graph Store Protocol URL kg knows — also give its query endpoint with --sparql URL")
    remote.check_url(sparql, "--sparql")
    client = remote.Client(remote.credentials(args.auth_env))
    nq = Path(args.out) / "kg.nq"

    def progress(action: str, graph: str, n: int) -> None:
        if not args.quiet:
            print(f"{action:6} <{graph}>  {n} triples")

    outcome = remote.publish(nq, gsp, sparql, client, dry_run=args.dry_run, progress=progress)
    pl = outcome.plan
    total = sum(pl.put.values())
    if args.dry_run:
        for graph, n in pl.put.items():
            print(f"would put    <{graph}>  {n} triples")
        for graph in pl.delete:
            print(f"would delete <{graph}>  (on the target, not in {nq})")
        print(f"dry run: would replace {len(pl.put)} graphs ({total} triples) on {gsp} and delete {len(pl.delete)}; nothing was sent")
        return 0
    print(f"published {nq}: {len(pl.put)} graphs, {total} triples to {gsp}; deleted {len(pl.delete)} stale graph"
          f"{'s' if len(pl.delete) != 1 else ''}; verified: the triple counts per graph on {sparql} equal the dump's")
    return 0


def cmd_docs(args) -> int:
    from . import docs
    written = docs.write(Path(args.out))
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0


def cmd_serve(args) -> int:
    from . import serve

    for name, value, least in (("--workers", args.workers, 1), ("--timeout", args.timeout, 0.001),
                               ("--max-rows", args.max_rows, 1), ("--max-bytes", args.max_bytes, 1),
                               ("--max-depth", args.max_depth, 1), ("--queue", args.queue, 0), ("--cache", args.cache, 0),
                               ("--warm-timeout", args.warm_timeout, 0.001)):
        if value < least:
            raise KgError(f"{name} {value}: must be at least {least:g}")
    cfg = serve.Config(Path(args.out), host=args.host, port=args.port, timeout=args.timeout, max_rows=args.max_rows,
                       max_bytes=args.max_bytes, max_depth=args.max_depth, workers=args.workers, queue=args.queue,
                       cache=args.cache, warm=not args.no_warm, warm_timeout=args.warm_timeout,
                       base_url=args.base_url or "", queries=Path(args.queries) if args.queries else q.QUERIES)
    serve.serve(cfg, lambda line: print(line, flush=True))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kg", description="Evidence-carrying knowledge graph of human-rights reporting.")
    p.add_argument("--version", action="version", version=f"kg {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="build the graph from the seeds and write the dumps")
    b.add_argument("--seeds", help="seeds directory (default: the project's seeds/)")
    b.add_argument("--out", default=str(DEFAULT_OUT), help="output directory (default: build/)")
    b.add_argument("--quiet", action="store_true", help="print the summary only: no headline answer, no progress bar")
    b.add_argument("--jobs", type=int, help="worker processes for the per-article stages (default: the number of cores)")
    b.add_argument("--cache", help="build cache directory (default: OUT/.cache; safe to delete)")
    b.add_argument("--wait", type=float, default=lock.DEFAULT_TIMEOUT, metavar="SECONDS",
                   help="how long to wait for a kg add or build holding the seeds' lock (default: 120)")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="validate the seeds, or additions together with them")
    v.add_argument("additions", nargs="*", metavar="ADDITION",
                   help="annotation/registry YAML, article .txt or Turtle .ttl files to check with the seeds")
    v.add_argument("--seeds", help="seeds directory (default: the project's seeds/)")
    v.add_argument("--format", choices=REPORT_FORMATS, default="text")
    v.add_argument("--cache", default=str(DEFAULT_OUT / CACHE_DIR),
                   help="the build cache to reuse and fill (default: build/.cache; safe to delete)")
    v.set_defaults(func=cmd_validate)

    a = sub.add_parser("add", help="apply additions to the seeds, only if they conform, and rebuild")
    a.add_argument("additions", nargs="+", metavar="ADDITION")
    a.add_argument("--seeds", help="seeds directory (default: the project's seeds/)")
    a.add_argument("--out", default=str(DEFAULT_OUT), help="dumps to rebuild (default: build/)")
    a.add_argument("--quiet", action="store_true", help="no progress bar")
    a.add_argument("--replace", action="store_true",
                   help="allow replacing an annotation or Turtle file the seeds already have (prints the claims removed and added)")
    a.add_argument("--wait", type=float, default=lock.DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"how long to wait for another kg add on the same seeds (default {lock.DEFAULT_TIMEOUT:g})")
    a.set_defaults(func=cmd_add)

    d = sub.add_parser("draft", help="draft an annotation file (and registry candidates) for a new article, to edit")
    d.add_argument("article", metavar="ARTICLE.txt")
    d.add_argument("--seeds", help="seeds directory (default: the project's seeds/)")
    d.add_argument("--out", default="draft", help="directory to write the draft into (default: draft/)")
    d.set_defaults(func=cmd_draft)

    e = sub.add_parser("entities", help="list the entity registry: ids, types, labels, aliases")
    e.add_argument("--seeds", help="seeds directory (default: the project's seeds/)")
    e.add_argument("--type", help="only this type (Person, Organisation, GovernmentBody, NGO, Media, Group, Place, Issue, Event)")
    e.set_defaults(func=cmd_entities)

    qs = sub.add_parser("queries", help="list the canned queries with their parameters")
    qs.set_defaults(func=cmd_queries)

    qq = sub.add_parser("query", help="run a canned query (or --file) on the built graph")
    qq.add_argument("slug", nargs="?", help="canned query name, see `kg queries`")
    qq.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="bind ?_NAME (repeatable)")
    qq.add_argument("--format", choices=[f.value for f in q.Format], default="table")
    qq.add_argument("--file", help="run this .rq file instead of a canned query")
    qq.add_argument("--limit", type=int, metavar="N", help="print at most N rows of the answer (default: all)")
    qq.add_argument("--offset", type=int, default=0, metavar="M",
                    help="skip the answer's first M rows (with --limit: the page from row M+1)")
    qq.add_argument("--out", default=str(DEFAULT_OUT), help="build directory whose store to query (default: build/)")
    qq.add_argument("--data", help="query this dump file (N-Quads, TriG, optionally .gz) instead of the built store")
    qq.add_argument("--print", action="store_true",
                    help="print the query with its parameters bound in VALUES blocks, runnable on any SPARQL 1.1 store")
    qq.add_argument("--endpoint", metavar="URL", help="run the query on this remote SPARQL 1.1 endpoint")
    qq.add_argument("--union", choices=["native", "protocol"], default="native",
                    help="with --endpoint: the store's default graph already is the union of the named graphs "
                         "(native, default) or name each graph with default-graph-uri (protocol)")
    qq.add_argument("--auth-env", metavar="VAR", help="with --endpoint: credentials USER:PASSWORD from this environment variable")
    qq.add_argument("--allow-service", action="store_true",
                    help="let a --file query federate with SERVICE (it then connects to the endpoints it names)")
    qq.set_defaults(func=cmd_query)

    pb = sub.add_parser("publish", help="push every named graph to a store (SPARQL 1.1 Graph Store Protocol)")
    pb.add_argument("--to", required=True, metavar="URL", help="the store's Graph Store Protocol endpoint")
    pb.add_argument("--sparql", metavar="URL", help="its SPARQL query endpoint (default: derived from --to for Oxigraph, Virtuoso, Fuseki, GraphDB)")
    pb.add_argument("--out", default=str(DEFAULT_OUT), help="build directory whose kg.nq to publish (default: build/)")
    pb.add_argument("--dry-run", action="store_true", help="say what would be put and deleted; send nothing")
    pb.add_argument("--auth-env", metavar="VAR", help="credentials USER:PASSWORD from this environment variable (never printed)")
    pb.add_argument("--quiet", action="store_true", help="print the summary only, not a line per graph")
    pb.set_defaults(func=cmd_publish)

    d = sub.add_parser("docs", help="write HTML documentation of the ontology and its concept schemes")
    d.add_argument("--out", default="build/docs", help="output directory (default: build/docs/)")
    d.set_defaults(func=cmd_docs)

    sv = sub.add_parser("serve", help="serve the built graph: read-only SPARQL endpoint, canned queries, linked data")
    sv.add_argument("--out", default=str(DEFAULT_OUT), help="build directory whose store to serve (default: build/)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback only)")
    sv.add_argument("--port", type=int, default=7878, help="port (default: 7878; 0 picks a free one)")
    sv.add_argument("--timeout", type=float, default=10.0, help="seconds a query may run before it is stopped (default: 10)")
    sv.add_argument("--max-rows", type=int, default=10_000, help="rows (or triples) a query may return (default: 10000)")
    sv.add_argument("--max-bytes", type=int, default=guard.MAX_BYTES, help="size of a query text (default: 65536)")
    sv.add_argument("--max-depth", type=int, default=guard.MAX_DEPTH, help="nesting depth of a query (default: 128)")
    sv.add_argument("--workers", type=int, default=2, help="query worker processes (default: 2)")
    sv.add_argument("--queue", type=int, default=64, help="requests that may wait for a worker before 503 (default: 64)")
    sv.add_argument("--cache", type=int, default=1024, help="answers kept per store generation (default: 1024; 0: none)")
    sv.add_argument("--queries", metavar="DIR", help="serve the canned queries of this directory (its *.rq, with "
                    "pages/ and reference/ beside them) instead of the project's queries/")
    sv.add_argument("--no-warm", action="store_true", help="do not compute each canned query's first page in the "
                    "background when a store generation is first served")
    sv.add_argument("--warm-timeout", type=float, default=600.0, help="seconds one such background evaluation may "
                    "take (default: 600)")
    sv.add_argument("--base-url", help="URL the dataset base https://hrkg.example.org/ maps onto (default: http://HOST:PORT/)")
    sv.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except InputErrors as exc:
        for err in exc.errors:
            print(f"error: {err}", file=sys.stderr)
        print(f"{len(exc.errors)} error{'s' if len(exc.errors) != 1 else ''}; nothing was written", file=sys.stderr)
        return exc.exit_code
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KgError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # pragma: no cover - `kg query … | head`
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.stderr.flush()
        os._exit(130)  # a query still running in native code must not hold the exit up
    except OSError as exc:  # a file system refusal (full disk, permissions) is the user's to fix, not a crash
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc} — check the path and its permissions", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
