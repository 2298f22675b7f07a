"""Time the parameterised canned queries with the parameter values you name, in one warm process.

    .venv/bin/python bench/params.py --out /tmp/b10000 \\
        statements-by:actor=hana-linlintovidze urged-but-did-not-raise:issue=human-rights …
    .venv/bin/python bench/params.py --out /tmp/b10000 --code /tmp/old-checkout …   # another tree's kg and queries

Each case is ``SLUG:NAME=VALUE[,NAME=VALUE…]``; the rows printed are its first page (``--limit``, 200 by
default) as ``kg query --limit`` gives it (``kg.query.evaluate``, with no kept first pages: these are
values other than the defaults), and the seconds are the median of ``--runs`` evaluations after one
that is not counted.  ``bench/scale.py --queries-on`` times every query with the first value of each type
in the registry; this is for the busy values (the actors, places and issues with the most claims),
which are the slow ones.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="build directory whose store to query")
    p.add_argument("--code", type=Path, default=ROOT, help="checkout whose kg/ and queries/ to time (default: this one)")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("cases", nargs="+", metavar="SLUG:NAME=VALUE")
    args = p.parse_args(argv)
    sys.path.insert(0, str(args.code.resolve()))
    from kg import query as q
    store = q.open_built(args.out)
    catalogue = q.catalogue(args.code.resolve() / "queries")
    for case in args.cases:
        slug, _, given = case.partition(":")
        cq = catalogue[slug]
        bound = q.bind_params(cq, store, dict(pair.split("=", 1) for pair in given.split(",") if pair))
        times, rows = [], 0
        for _ in range(args.runs + 1):
            t = time.perf_counter()
            rows = len(list(q.evaluate(store, cq, bound, args.limit, 0)))
            times.append(time.perf_counter() - t)
        print(f"{case:80s} {rows:5d} rows {statistics.median(times[1:]):7.3f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
