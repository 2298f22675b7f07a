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
from collections import Counter
from pathlib import Path

from . import __version__, build as builder, curate, iris, load, query as q, registry, validate
from .errors import InputError, InputErrors, KgError, Pos, UsageError
from .model import ENTITY_TYPES

DEFAULT_OUT = Path("build")


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
    built = builder.build(seeds, out, display)
    ds, store = built.dataset, built.store
    kinds = Counter(c.type for a in ds.articles for c in a.claims)
    inferred = len(store.graph(iris.G.INFERRED))
    warnings = len(built.report.results) if built.report else 0
    print(f"built {out}/: {len(store)} quads in {len(store.graph_names())} named graphs "
          f"({len(ds.articles)} articles, {sum(kinds.values())} claims, {len(ds.entities)} entities; "
          f"{inferred} inferred triples; validation: conforms, {warnings} warning{'s' if warnings != 1 else ''})")
    print("claims by type: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    if not args.quiet:
        print()
        print("Who raised the issue with Putin?")
        store_ = q.open_built(out)
        cq = q.catalogue()["who-raised-the-issue-with"]
        results = q.run(store_, cq.text, q.bind_params(cq, store_, {"actor": "putin"}))
        sys.stdout.write(q.render(results, q.Format.TABLE))
    return 0


def cmd_validate(args) -> int:
    seeds, display = _seeds(args)
    outcome = curate.check(seeds, display, args.additions)
    fmt = validate.ReportFormat(args.format)
    sys.stdout.write(validate.render(outcome.report, fmt, outcome.graph if fmt is validate.ReportFormat.TTL else None))
    return 0 if outcome.conforms else 1


def cmd_add(args) -> int:
    curate.usage_check(args.additions)
    seeds, display = _seeds(args)
    outcome, written = curate.add(seeds, display, args.additions, _out(args.out))
    sys.stdout.write(validate.render(outcome.report, validate.ReportFormat.TEXT))
    if not outcome.conforms:
        print("rejected: nothing was changed in the seeds or the dumps", file=sys.stderr)
        return 1
    print(f"added: {', '.join(written)}; rebuilt {args.out}/")
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


def _open_data(path: Path):
    try:
        return q.open_store(path)
    except SyntaxError as exc:  # garbage, truncated or compressed
        raise InputError(Pos(str(path), exc.lineno or 0, exc.offset or 0), f"not a readable RDF dump: {exc.msg}",
                         "pass a dump `kg build` wrote, uncompressed (kg.nq or kg.trig)") from None


def cmd_query(args) -> int:
    store = _open_data(Path(args.data)) if args.data else q.open_built(Path(args.out))
    if args.file:
        if args.slug:
            raise KgError("give a SLUG or --file, not both")
        path = Path(args.file)
        cq = q.load_query(path) if path.is_file() else None
        if cq is None:
            raise KgError(f"{path}: no such query file")
    else:
        if not args.slug:
            raise KgError("give a query SLUG (see `kg queries`) or --file my.rq")
        cat = q.catalogue()
        if args.slug not in cat:
            near = difflib.get_close_matches(args.slug, list(cat), n=3)
            raise KgError(f"no canned query {args.slug!r}" + (f" — did you mean {', '.join(near)}?" if near else " — see `kg queries`"))
        cq = cat[args.slug]
    q.check_from(store, cq.text, str(cq.path))
    results = q.run(store, cq.text, q.bind_params(cq, store, _params(args.param)))
    sys.stdout.write(q.render(results, q.Format(args.format)))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kg", description="Evidence-carrying knowledge graph of human-rights reporting.")
    p.add_argument("--version", action="version", version=f"kg {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="build the graph from the seeds and write the dumps")
    b.add_argument("--seeds", help="seeds directory (default: the project's seeds/)")
    b.add_argument("--out", default=str(DEFAULT_OUT), help="output directory (default: build/)")
    b.add_argument("--quiet", action="store_true", help="print the summary only, not the headline answer")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="validate the seeds, or additions together with them")
    v.add_argument("additions", nargs="*", metavar="ADDITION",
                   help="annotation/registry YAML, article .txt or Turtle .ttl files to check with the seeds")
    v.add_argument("--seeds", help="seeds directory (default: the project's seeds/)")
    v.add_argument("--format", choices=[f.value for f in validate.ReportFormat], default="text")
    v.set_defaults(func=cmd_validate)

    a = sub.add_parser("add", help="apply additions to the seeds, only if they conform, and rebuild")
    a.add_argument("additions", nargs="+", metavar="ADDITION")
    a.add_argument("--seeds", help="seeds directory (default: the project's seeds/)")
    a.add_argument("--out", default=str(DEFAULT_OUT), help="dumps to rebuild (default: build/)")
    a.set_defaults(func=cmd_add)

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
    qq.add_argument("--out", default=str(DEFAULT_OUT), help="build directory whose store to query (default: build/)")
    qq.add_argument("--data", help="query this dump file (N-Quads, TriG) instead of the built store")
    qq.set_defaults(func=cmd_query)
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
    except OSError as exc:  # a file system refusal (full disk, permissions) is the user's to fix, not a crash
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc} — check the path and its permissions", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
