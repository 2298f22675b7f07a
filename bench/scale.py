"""How the build's cost grows with the number of articles.

Makes corpora of N articles by copying the five seed articles and their
annotations under new keys (the article files get new names, so every copy is
a distinct article with its own graph), then times each pipeline stage.

    .venv/bin/python bench/scale.py 5 10 20 40

Prints one line per corpus size: seconds per stage and quads written.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg import build, infer, publish, validate  # noqa: E402


def corpus(n: int, dest: Path) -> Path:
    seeds = dest / "seeds"
    (seeds / "annotations").mkdir(parents=True)
    (seeds / "articles").mkdir()
    for name in ("dataset.yaml", "entities.yaml"):
        shutil.copy(ROOT / "seeds" / name, seeds / name)
    originals = sorted((ROOT / "seeds" / "annotations").glob("*.yaml"))
    for i in range(n):
        ann = originals[i % len(originals)]
        text = ann.read_text(encoding="utf-8")
        file = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.strip().startswith("file:"))
        new_file = f"{i:04d}_{file}"
        shutil.copy(ROOT / "seeds" / "articles" / file, seeds / "articles" / new_file)
        (seeds / "annotations" / f"{i:04d}.yaml").write_text(text.replace(f"file: {file}", f"file: {new_file}"), encoding="utf-8")
    return seeds


def run(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        seeds = corpus(n, Path(tmp))
        t = {}
        t0 = time.perf_counter()
        built = build.graph(seeds)
        t["load+map"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        report, _ = validate.validate(built.store, validate.Tracer.from_dataset(built.dataset, built.store))
        assert report.conforms
        t["validate"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        infer.infer(built.store)
        t["infer"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        files = publish.render(built.store, built.dataset)
        publish.write_atomically(Path(tmp) / "out", files)
        t["publish"] = time.perf_counter() - t0
        t["quads"] = len(built.store)
        return t


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [5, 10, 20]
    print(f"{'articles':>8} {'load+map':>9} {'validate':>9} {'infer':>9} {'publish':>9} {'total':>9} {'quads':>8} {'s/article':>10}")
    for n in sizes:
        t = run(n)
        total = sum(v for k, v in t.items() if k != "quads")
        print(f"{n:>8} {t['load+map']:>9.2f} {t['validate']:>9.2f} {t['infer']:>9.2f} {t['publish']:>9.2f} {total:>9.2f} {t['quads']:>8} {total / n:>10.2f}")
