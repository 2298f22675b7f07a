"""CPU time of each stage of one article's build (kg.shard.compute), on a generated corpus.

    .venv/bin/python bench/corpus.py 100 --out /tmp/corpus-100
    .venv/bin/python bench/stages.py /tmp/corpus-100 [--articles 40] [--code DIR]

Runs the articles one after the other in this process (no pool, a fresh empty cache), set up as
a pool worker is (``kg.shard.init_worker``: the context frozen out of the garbage collector),
after one article to warm up and the per-entry memo of ``kg.shard.entailed`` filled (reported
apart), and prints milliseconds of CPU (user + system, `time.process_time`) per article and stage. CPU time, unlike wall time, hardly moves with the machine's load.
``--code DIR`` imports ``kg`` from another tree (e.g. an earlier commit's ``git archive``), whose
stages are then timed as a total only if it has no ``kg.shard.STAGES``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("seeds", type=Path)
    p.add_argument("--articles", type=int, default=40)
    p.add_argument("--code", type=Path, default=ROOT)
    args = p.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    from kg import build, cache as cachemod, shard
    with tempfile.TemporaryDirectory() as tmp:
        ctx, *_ = build._context(build.sources(args.seeds), cachemod.Cache(Path(tmp)))
        (shard.init_worker if hasattr(shard, "init_worker") else shard.init)(ctx)   # as a pool worker is set up
        keys = sorted(ctx.src.annotations)[: args.articles + 1]
        # what each registry entry entails alone is memoised once a process (kg.shard.entailed);
        # in a build a worker computes it once for each entry over thousands of articles, so it is
        # warmed here and reported apart rather than charged to the first articles that name it
        t = time.process_time()
        entries = [e for e in ctx.entity_triples if hasattr(shard, "entailed")]
        for e in entries:
            shard.entailed(ctx, e)
        warm = time.process_time() - t
        shard.compute(ctx, keys[0])
        staged = hasattr(shard, "STAGES")
        shard.STAGES = Counter() if staged else None
        t = time.process_time()
        for key in keys[1:]:
            shard.compute(ctx, key)
        total = time.process_time() - t
    n = len(keys) - 1
    print(f"| stage | CPU ms / article | share |\n|---|---:|---:|")
    for stage, sec in (shard.STAGES or {}).items():
        print(f"| {stage} | {1000 * sec / n:.1f} | {100 * sec / total:.0f} % |")
    print(f"| **total** ({n} articles) | {1000 * total / n:.1f} | |")
    if entries:
        print(f"\nwarmed first, not counted above: what each of the {len(entries)} registry entries entails "
              f"alone, {1000 * warm / len(entries):.1f} ms an entry ({warm:.1f} s), once a worker")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
