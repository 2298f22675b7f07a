"""How the build's cost grows with the number of articles, on generated corpora (bench/corpus.py).

    .venv/bin/python bench/scale.py 100 1000            # cold, unchanged rebuild, one article added, queries
    .venv/bin/python bench/scale.py 1000 --baseline     # also the pre-rewrite pipeline, side by side
    .venv/bin/python bench/scale.py 100 --keep /tmp/b   # keep the corpora and builds
    .venv/bin/python bench/scale.py --queries-on /tmp/b/n100/out --seeds /tmp/b/n100/seeds \
        --before 6b5f682                                  # per canned query, before and after the rewrite

For each N it generates the corpus, then runs each scenario as its own `kg` process (so peak
RSS is measured per run: the largest process of the run, workers included) and prints one
table row: seconds per stage of the cold build, quads/s, peak RSS, the rebuild with nothing
changed, `kg add` of one new article (store queryable, then dumps refreshed), every canned query
as a `kg query` process (slowest) and inside one warm process (p50 over all queries);
`--queries-on` prints one row per canned query instead.
`--baseline` runs the pipeline as it was before the per-article rewrite (the code of commit
BASELINE, taken from git into a temporary directory) on the same corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BASELINE = "d6c7e7c"   # the last commit of the whole-dataset pipeline

DRIVER = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from kg import build
t = time.perf_counter()
s = build.build(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[2], jobs=int(sys.argv[4]))  # as `kg build --seeds DIR` names them
print(json.dumps({"total": time.perf_counter() - t, "laps": s.timings, "quads": s.quads,
                  "cached": s.cached, "rebuilt": s.rebuilt, "store": s.store}))
"""

BASELINE_DRIVER = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from kg import build
t = time.perf_counter()
b = build.build(Path(sys.argv[2]), Path(sys.argv[3]), "seeds")
print(json.dumps({"total": time.perf_counter() - t, "quads": len(b.store)}))
"""


BASELINE_BASE = "https://hrkg.example.org/chechnya-2017/"   # the only base IRI the pipeline of BASELINE knows


def baseline_seeds(seeds: Path, tmp: Path) -> Path:
    """A copy of ``seeds`` the pipeline of BASELINE reads: its dataset.yaml without the `base` key, which
    came later (that pipeline mints every IRI under BASELINE_BASE, so only that base is accepted)."""
    copy = tmp / "baseline-seeds"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(seeds, copy)
    meta = copy / "dataset.yaml"
    lines = meta.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("base:")]
    if any(line.split(":", 1)[1].strip().strip('"') != BASELINE_BASE for line in lines if line.startswith("base:")):
        raise SystemExit(f"--baseline: the pipeline of commit {BASELINE} mints under {BASELINE_BASE} only")
    meta.write_text("".join(kept), encoding="utf-8")
    return copy


def run(args: list[str], **kw) -> tuple[str, float, float]:
    """Run a process; returns its stdout, wall seconds and the peak RSS (MiB) of its largest process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, **kw)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return proc.stdout, wall, peak


def build(code: Path, seeds: Path, out: Path, jobs: int) -> tuple[dict, float]:
    out_text, _, peak = run([PYTHON, "-c", DRIVER, str(code), str(seeds), str(out), str(jobs)])
    return json.loads(out_text.strip().splitlines()[-1]), peak


PARAM_TYPES = {"actor": "Person", "speaker": "Person", "addressee": "Person", "entity": "Person",
               "place": "Place", "issue": "Issue", "occasion": "Event"}


def parameters(seeds: Path) -> dict[str, str]:
    """Parameter values that exist in a generated corpus (its registry is fictional: no `putin`)."""
    sys.path.insert(0, str(ROOT))
    from kg import registry, source
    entities = registry.load_entities(seeds / "entities.yaml", "entities.yaml")
    values = {p: next(e.id for e in entities.values() if e.type == t) for p, t in PARAM_TYPES.items()}
    path = min((seeds / "annotations").glob("*.yaml"))   # 0000.yaml, or 00000.yaml from 10,000 articles on
    first = source.load(path).get("claims").items[0]
    values["claim"] = f"{path.stem}/" + first.get("id").value
    return values


WARM = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from kg import query as q
cq = q.load_query(Path(sys.argv[3]))
store = q.open_built(Path(sys.argv[2]))
bound = q.bind_params(cq, store, json.loads(sys.argv[4]))
limit = int(sys.argv[6]) if sys.argv[6] else None
evaluate = getattr(q, "evaluate", None) or (lambda st, c, b, n: q.run(st, q.page(c.text, n), b))  # older trees
times = []
for _ in range(int(sys.argv[5])):
    t = time.perf_counter()
    q.render(evaluate(store, cq, bound, limit), q.Format.CSV)
    times.append(time.perf_counter() - t)
print(statistics.median(times))
"""


def one_query(code: Path, out: Path, path: Path, given: dict[str, str], runs: int,
              timeout: float, limit: int | None = None) -> tuple[int, float, float]:
    """One canned query with the `kg` of ``code`` (this checkout, or an earlier commit's `git archive`):
    (rows, seconds of one `kg query` process, warm p50 seconds over ``runs`` runs in one process);
    (-1, inf, inf) past ``timeout``.  With ``limit``, its first page of that many rows (`--limit`)."""
    params = [a for k, v in given.items() for a in ("--param", f"{k}={v}")]
    params += ["--limit", str(limit)] if limit is not None else []
    t = time.perf_counter()
    try:
        proc = subprocess.run([PYTHON, "-m", "kg.cli", "query", "--file", str(path), "--out", str(out), "--format", "csv",
                               *params], cwd=code, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, float("inf"), float("inf")
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"kg query {path} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    rows = len(proc.stdout.splitlines()) - 1
    warm = subprocess.run([PYTHON, "-c", WARM, str(code), str(out), str(path), json.dumps(given),
                           str(runs if wall < 20 else 1), "" if limit is None else str(limit)],
                          capture_output=True, text=True, check=True)  # one run of a slow one
    return rows, wall, float(warm.stdout.strip().splitlines()[-1])


def per_query(out: Path, seeds: Path, before: Path | None = None, runs: int = 5,
              timeout: float = 600.0, only: list[str] | None = None, limit: int | None = None) -> list[tuple]:
    """Every canned query: (slug, rows, `kg query` process seconds, warm p50 seconds) and, with ``before``
    (the tree of an earlier commit), the same for that commit's text and code, run right after each
    query so that both see the same load."""
    sys.path.insert(0, str(ROOT))
    from kg import query as q
    values = parameters(seeds)
    table = []
    for slug, cq in q.catalogue().items():
        if only and slug not in only:
            continue
        given = {p: values[p] for p in cq.params}
        row = (slug, *one_query(ROOT, out, cq.path, given, runs, timeout, limit))
        if before:
            row += one_query(before, out, before / "queries" / f"{slug}.rq", given, runs, timeout, limit)
        table.append(row)
        print("  " + " ".join(str(v) for v in row), file=sys.stderr, flush=True)
    return table


def queries(out: Path, seeds: Path) -> tuple[float, float]:
    """(slowest `kg query` process over every canned query, p50 of the per-query warm p50s), in seconds."""
    table = per_query(out, seeds, runs=3)
    return max(r[2] for r in table), statistics.median(r[3] for r in table)


def query_table(out: Path, seeds: Path, before: str | None, runs: int, timeout: float,
                only: list[str] | None = None, limit: int | None = None) -> None:
    """Per canned query on an existing build: rows, `kg query` process seconds, warm p50; with ``before`` (a
    commit), the same for that commit's queries and code, side by side."""
    tree = None
    if before:
        tree = Path(tempfile.mkdtemp(prefix="hrkg-before-"))
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", before, "kg", "ontology", "queries"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    try:
        table = per_query(out, seeds, tree, runs, timeout, only, limit)
    finally:
        if tree:
            shutil.rmtree(tree, ignore_errors=True)
    sec = lambda v: f"over {timeout:.0f}" if v == float("inf") else f"{v:,.2f}"  # noqa: E731
    ms = lambda v: "—" if v == float("inf") else f"{v * 1000:,.0f}"  # noqa: E731
    print("| query | rows | `kg query` (s) | warm p50 (ms) |" + (f" {before}: `kg query` (s) | {before}: warm p50 (ms) |" if before else ""))
    print("|---|" + "---:|" * (5 if before else 3))
    for r in table:
        print(f"| {r[0]} | {r[1]:,} | {sec(r[2])} | {ms(r[3])} |" + (f" {sec(r[5])} | {ms(r[6])} |" if before else ""), flush=True)
    finite = lambda xs: [x for x in xs if x != float("inf")] or [float("inf")]  # noqa: E731
    print(f"| **slowest; median** | | {sec(max(r[2] for r in table))} | {ms(statistics.median(r[3] for r in table))} |"
          + (f" {sec(max(r[5] for r in table))} | {ms(statistics.median(finite(r[6] for r in table)))} |" if before else ""))


REFERENCE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from kg import query as q
store = q.open_built(Path(sys.argv[2]))
values = json.loads(sys.argv[3])
for slug in sys.argv[4:]:
    out = {}
    for name, path in (("reference", Path(sys.argv[1], "queries/reference", slug + ".rq")),
                       ("current", Path(sys.argv[1], "queries", slug + ".rq"))):
        cq = q.load_query(path)
        bound = q.bind_params(cq, store, {p: values[p] for p in cq.params})
        cpu, wall = time.process_time(), time.perf_counter()
        text = q.render(q.run(store, cq.text, bound), q.Format.CSV)
        out[name] = (time.process_time() - cpu, time.perf_counter() - wall, text)
    (rc, rw, rt), (nc, nw, nt) = out["reference"], out["current"]
    print(json.dumps([slug, nt.count("\\r\\n") - 1, rc, rw, nc, nw, rt == nt]), flush=True)
"""


def reference_table(out: Path, seeds: Path, only: list[str] | None) -> None:
    """Each canned query's reference text (queries/reference) and its text in queries/, one after
    the other in one warm process on the same store: CPU and wall seconds, and whether the bytes are equal.
    CPU time is the figure to compare on a shared machine (a query runs on the calling thread)."""
    sys.path.insert(0, str(ROOT))
    from kg import query as q
    slugs = [s for s in q.catalogue() if not only or s in only]
    proc = subprocess.run([PYTHON, "-c", REFERENCE, str(ROOT), str(out), json.dumps(parameters(seeds)), *slugs],
                          capture_output=True, text=True, check=True)
    print("| query | rows | reference: CPU (s) | wall (s) | current: CPU (s) | wall (s) | same bytes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for line in proc.stdout.splitlines():
        slug, rows, rc, rw, nc, nw, same = json.loads(line)
        print(f"| {slug} | {rows:,} | {rc:.2f} | {rw:.2f} | {nc:.2f} | {nw:.2f} | {'yes' if same else 'NO'} |", flush=True)


def add_one(seeds: Path, out: Path, n: int, tmp: Path) -> tuple[float, float]:
    """`kg add` of article N+1 (generated with the corpus of N+1, so its entities are registered):
    (seconds until the store answers for it, seconds for the whole command)."""
    bigger = tmp / "plus-one"
    run([PYTHON, str(ROOT / "bench" / "corpus.py"), str(n + 1), "--out", str(bigger)])
    key = f"{n:04d}"
    article = next((bigger / "articles").glob(f"{key}_*.txt"))
    registry = tmp / "entities-plus-one.yaml"
    new_ids = _new_registry_entries(seeds / "entities.yaml", bigger / "entities.yaml", registry)
    files = [str(article), str(bigger / "annotations" / f"{key}.yaml")] + ([str(registry)] if new_ids else [])
    t = time.perf_counter()
    proc = subprocess.Popen([PYTHON, "-m", "kg.cli", "add", "--seeds", str(seeds), "--out", str(out), *files],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    graph = f"https://hrkg.example.org/chechnya-2017/graph/article/{key}"
    queryable = None
    sys.path.insert(0, str(ROOT))
    import pyoxigraph as ox
    while proc.poll() is None:
        try:
            link = (out / "store").resolve()
            if ox.NamedNode(graph) in set(ox.Store.read_only(str(link)).named_graphs()):
                queryable = queryable or time.perf_counter() - t
        except OSError:
            pass
        time.sleep(0.05)
    total = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"kg add failed:\n{proc.stderr[-3000:]}")
    return queryable or total, total


def _new_registry_entries(old: Path, new: Path, dest: Path) -> list[str]:
    """The entries of the N+1 registry that the N registry lacks, as a registry addition file."""
    sys.path.insert(0, str(ROOT))
    from kg import source
    have = set(source.load(old).entries)
    text = new.read_text(encoding="utf-8").splitlines(keepends=True)
    blocks, current, ids = [], [], []
    for line in text:
        if line and not line[0].isspace() and not line.startswith("#") and line.rstrip().endswith(":"):
            if current:
                blocks.append(current)
            current = [line]
        elif current:
            current.append(line)
    if current:
        blocks.append(current)
    keep = []
    for block in blocks:
        eid = block[0].rstrip()[:-1]
        if eid not in have:
            ids.append(eid)
            keep.extend(block)
    dest.write_text("".join(keep), encoding="utf-8")
    return ids


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("sizes", nargs="*", type=int, default=[100])
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--baseline", action="store_true", help=f"also run the pipeline of commit {BASELINE}")
    p.add_argument("--keep", help="keep corpora and builds under this directory")
    p.add_argument("--no-queries", action="store_true", help="skip the query timings")
    p.add_argument("--queries-on", metavar="OUT", help="only time each canned query on this existing build "
                   "(with --seeds, the corpus it was built from), one row per query")
    p.add_argument("--seeds", help="the generated corpus OUT was built from (for --queries-on)")
    p.add_argument("--before", metavar="COMMIT", help="with --queries-on: also time the queries and code of this "
                   "commit (e.g. 6b5f682, before the rewrite for scale), each right after the current one")
    p.add_argument("--reference", action="store_true", help="with --queries-on: time each query's reference text "
                   "(queries/reference) against queries/ in one warm process, CPU and wall, and compare bytes")
    p.add_argument("--only", metavar="SLUG", action="append", help="with --queries-on: time this canned query only "
                   "(repeatable)")
    p.add_argument("--runs", type=int, default=5, help="warm runs per query for --queries-on (default: 5)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds a `kg query` process may take (default: 600)")
    p.add_argument("--limit", type=int, metavar="N", help="with --queries-on: time each query's first page of N rows "
                   "(`kg query --limit N`, the endpoint's page), not its whole answer")
    args = p.parse_args()
    if args.queries_on:
        if not args.seeds:
            p.error("--queries-on needs --seeds DIR (the corpus the build was made from)")
        if args.reference:
            reference_table(Path(args.queries_on), Path(args.seeds), args.only)
        else:
            query_table(Path(args.queries_on), Path(args.seeds), args.before, args.runs, args.timeout, args.only,
                        args.limit)
        return 0
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hrkg-scale-"))
    print("| articles | registry | articles (s) | validate | infer | fragments | store | dumps | cold total (s) | s / article "
          "| quads | quads/s | peak RSS (MiB) | unchanged rebuild (s) | add: queryable (s) | add: total (s) "
          "| slowest `kg query` (s) | warm query p50 (ms) |" + (" baseline (s) | speed-up |" if args.baseline else ""))
    print("|" + "---:|" * (18 + (2 if args.baseline else 0)))
    try:
        for n in args.sizes:
            tmp = root / f"n{n}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            seeds = tmp / "seeds"
            run([PYTHON, str(ROOT / "bench" / "corpus.py"), str(n), "--out", str(seeds)])
            out = tmp / "out"
            cold, peak = build(ROOT, seeds, out, args.jobs)
            again, _ = build(ROOT, seeds, out, args.jobs)
            slowest, p50 = (float("nan"), float("nan")) if args.no_queries else queries(out, seeds)
            queryable, add_total = add_one(seeds, out, n, tmp)
            laps = cold["laps"]
            row = [n] + [round(laps.get(k, 0.0), 2) for k in ("registry", "articles", "validate", "infer", "fragments", "store", "dumps")]
            row += [round(cold["total"], 1), round(cold["total"] / n, 3), cold["quads"], int(cold["quads"] / cold["total"]),
                    int(peak), round(again["total"], 2), round(queryable, 2), round(add_total, 1), round(slowest, 2),
                    round(p50 * 1000, 1)]
            if args.baseline:
                base = Path(tempfile.mkdtemp(prefix="hrkg-baseline-"))
                try:
                    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BASELINE, "kg", "ontology", "queries"],
                                             capture_output=True, check=True).stdout
                    subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
                    out_text, _, _ = run([PYTHON, "-c", BASELINE_DRIVER, str(base), str(baseline_seeds(seeds, tmp)),
                                          str(tmp / "baseline-out")])
                    b = json.loads(out_text.strip().splitlines()[-1])
                    row += [round(b["total"], 1), round(b["total"] / cold["total"], 1)]
                finally:
                    shutil.rmtree(base, ignore_errors=True)
            print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in row) + " |", flush=True)
            if not args.keep:
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
