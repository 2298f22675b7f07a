"""Where `kg add` spends its time: wall seconds until the store answers for the addition (its first
commit) and until the dumps are written (its second), with the time inside the build's main steps.

    .venv/bin/python bench/corpus.py 1001 --out /tmp/c1001        # its article 1000 is the one to add
    .venv/bin/python bench/corpus.py 1000 --out /tmp/c1000 && .venv/bin/kg build --seeds /tmp/c1000 --out /tmp/b1000
    .venv/bin/python bench/add.py --seeds /tmp/c1000 --out /tmp/b1000 /tmp/c1001/articles/1000_*.txt /tmp/c1001/annotations/1000.yaml

Runs `kg add` in this process (as `kg add --quiet` with those arguments: it changes the seeds and the
build) with the named functions wrapped in timers; a function called inside another is counted in
both. ``--code DIR`` imports ``kg`` from another tree (an earlier commit's worktree), timing
whichever of the named functions it has. From 200 articles the corpus-wide OWL RL pass
(``build._infer``) runs in a forked process beside the validation, where these timers do not
reach: ``build._Beside.result`` is the time the validation waited for its answer.
"""

from __future__ import annotations

import argparse
import collections
import functools
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMED = {
    "build": ["assess", "_context", "_provenance", "_validate", "_infer", "_Beside.result", "build"],
    "shard": ["lookup", "compute", "fragment"],
    "oxstore": ["update", "_patch"],
    "publish": ["merged_nquads", "merged", "assemble"],
    "void": ["describe"],
    "curate": ["_check", "_staged_sources", "_same"],
    "journal": ["settle", "apply"],
    "load": ["load_registry", "corpus_errors"],
}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--code", type=Path, default=ROOT)
    p.add_argument("additions", nargs="+")
    args = p.parse_args()
    t0 = time.perf_counter()
    sys.path.insert(0, str(args.code.resolve()))
    import importlib
    from kg import build, cli

    spent: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()

    def timed(mod, name: str) -> None:   # name: a function of the module, or Class.method
        owner, _, attr = name.rpartition(".")
        holder = getattr(mod, owner) if owner else mod
        f = getattr(holder, attr)
        label = f"{mod.__name__.rsplit('.', 1)[-1]}.{name}"

        @functools.wraps(f)
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                spent[label] += time.perf_counter() - t
                calls[label] += 1
        setattr(holder, attr, wrapper)

    for modname, names in TIMED.items():
        mod = importlib.import_module(f"kg.{modname}")
        for name in names:
            owner, _, attr = name.rpartition(".")
            if hasattr(getattr(mod, owner, None) if owner else mod, attr):
                timed(mod, name)

    def report(title: str, t: float) -> None:
        print(f"{title}: {t:.2f} s wall (process CPU so far {_cpu():.2f} s)")
        for label, secs in sorted(spent.items(), key=lambda kv: -kv[1]):
            print(f"  {label:24s} {secs:8.3f} s  ({calls[label]} calls)")
        spent.clear()
        calls.clear()

    finish = build.finish_dumps

    def finish_dumps(summary) -> None:
        t1 = time.perf_counter()
        report("queryable (first commit done)", t1 - t0)
        finish(summary)
        report("dumps written (second commit)", time.perf_counter() - t1)
        if summary.answers is not None:   # kg.answers: computed beside the dumps
            print(f"  of which the dumps' commit {summary.timings['dumps']:.2f} s; the answers "
                  f"{summary.answers.seconds:.2f} s ({summary.answers.line()})")
        if "compact" in summary.timings:   # every 8th update in place (kg.oxstore.COMPACT_AFTER)
            print(f"  then the store {summary.store.split(', then ')[-1]}: {summary.timings['compact']:.2f} s")

    build.finish_dumps = finish_dumps
    rc = cli.main(["add", "--quiet", "--seeds", args.seeds, "--out", args.out, *args.additions])
    print(f"total: {time.perf_counter() - t0:.2f} s wall, {_cpu():.2f} s CPU, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB; exit {rc}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
