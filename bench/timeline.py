"""The page's timeline routes on a built store, inside one process: the full-scan queries against the index.

    .venv/bin/python bench/timeline.py /tmp/build-1000

Times (wall and CPU, median of 3–5) the full-scan `/timeline-extent` query, the building of the in-memory index
of dated claims (kg/serve/pagedata.DatedIndex, once per store generation), each window (the whole timeline, the
last year, month and day of the extent) as the full-scan query and from the index (which must give the same
rows), and the `/timeline` view with the claims' details.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from kg import query as q  # noqa: E402
from kg.serve import pagedata as pd  # noqa: E402


def timed(f, n=3):
    walls, cpus, out = [], [], None
    for _ in range(n):
        w, c = time.perf_counter(), time.process_time()
        out = f()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000, out


def main() -> int:
    store = q.open_built(Path(sys.argv[1]))
    w, c, ext = timed(lambda: pd._rows(store, pd.EXTENT)[0], 1)
    print(f"/timeline-extent, full scan: {w:,.0f} ms ({c:,.0f} ms CPU), {ext}")
    w, c, index = timed(lambda: pd.DatedIndex(store), 1)
    print(f"index of dated claims, built: {w:,.0f} ms ({c:,.0f} ms CPU), {len(index.dates):,} claims")
    last = index.last
    windows = {"whole": "0000", "a year": last[:4], "a month": last[:7], "a day": last[:10]}
    for name, lo in windows.items():
        hi = (last[:len(lo)] if name != "whole" else "9999") + "\uffff"
        w, c, rows = timed(lambda: pd._rows(store, pd.TIMELINE, **{"from": ox.Literal(lo), "to": ox.Literal(hi)}), 1)
        w2, _, rows2 = timed(lambda: index.window(lo, hi, pd.TIMELINE_CAP), 5)
        assert rows == rows2, name
        print(f"window {name} ({len(rows):,} claims): full scan {w:,.0f} ms ({c:,.0f} ms CPU), index {w2:,.2f} ms")
    pd._dated = (store, index)
    for name, lo in windows.items():
        params = {"from": lo, "to": last[:len(lo)] if name != "whole" else "9999"}
        w, c, rows = timed(lambda: pd.timeline(store, params))
        print(f"/timeline {name}, with details: {w:,.0f} ms ({c:,.0f} ms CPU), {len(rows):,} claims")
    return 0


if __name__ == "__main__":
    sys.exit(main())
