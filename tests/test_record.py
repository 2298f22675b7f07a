"""The build record (OUT/.kg-build.json): a rebuild from unchanged inputs writes nothing, and
anything that touched what the last build wrote makes it write everything again."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from kg import build, journal, oxstore
from kg.publish import Dump

from conftest import SEEDS, copy_seeds, snapshot


def _build(seeds: Path, out: Path) -> build.Summary:
    return build.build(seeds, out, jobs=1)


def _stats(out: Path) -> dict[str, tuple[int, int]]:
    return {d.value: ((out / d.value).stat().st_mtime_ns, (out / d.value).stat().st_ino)
            for d in Dump if (out / d.value).exists()}


@pytest.fixture()
def built(tmp_path) -> tuple[Path, Path, build.Summary]:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    out = tmp_path / "out"
    return seeds, out, _build(seeds, out)


def test_an_unchanged_rebuild_writes_nothing_and_reports_the_same(built):
    seeds, out, first = built
    assert (first.store, first.dumps) == ("rewritten", "rewritten")
    before, files = _stats(out), snapshot(out)
    generation = oxstore.current(out)
    again = _build(seeds, out)
    assert (again.store, again.dumps) == ("unchanged", "unchanged")
    assert _stats(out) == before, "no dump was written again"
    assert snapshot(out) == files and oxstore.current(out) == generation
    assert (again.graphs, again.claims, again.articles, again.entities) == (
        first.graphs, first.claims, first.articles, first.entities)
    assert again.report.results == first.report.results and again.cached == first.articles
    assert not journal.pending(out)


@pytest.mark.parametrize("damage", ["edit", "same-size", "delete", "stray", "record-gone", "record-corrupt",
                                    "record-other-key", "store-link"])
def test_anything_touched_is_written_again(built, damage):
    seeds, out, _ = built
    clean = snapshot(out)
    target = out / Dump.TURTLE.value
    if damage == "edit":
        with open(target, "ab") as fh:
            fh.write(b"# an edit\n")
    elif damage == "same-size":   # other bytes, same size, the old modification time put back: the change time tells
        data = target.read_bytes()
        st = target.stat()
        target.unlink()
        target.write_bytes(data[:-2] + b"#\n")
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    elif damage == "delete":
        (out / Dump.NQUADS_GZ.value).unlink()
    elif damage == "stray":   # a dump beside those the record lists
        record = json.loads((out / build.RECORD).read_text())
        del record["files"][Dump.TRIG_GZ.value]
        (out / build.RECORD).write_text(json.dumps(record))
    elif damage == "record-gone":
        (out / build.RECORD).unlink()
    elif damage == "record-corrupt":
        (out / build.RECORD).write_bytes(b'{"format": 1, "key": ')
    elif damage == "record-other-key":
        record = json.loads((out / build.RECORD).read_text())
        record["key"] = "0" * 64
        (out / build.RECORD).write_text(json.dumps(record))
    elif damage == "store-link":   # the store pointed at a generation the record did not switch to
        link = oxstore.path(out)
        other = out / ".store-0000000000000000"
        shutil.copytree(link.resolve(), other)
        link.unlink()
        link.symlink_to(other.name)
    again = _build(seeds, out)
    assert again.dumps == "rewritten"
    got = snapshot(out)
    if damage == "store-link":   # the store's content is right, so the build keeps the generation it finds
        got.pop("store"), clean.pop("store")
    assert got == clean, "the dumps are again what the build writes"
    assert _build(seeds, out).dumps == "unchanged"


def test_a_changed_article_is_not_taken_for_unchanged(built):
    seeds, out, _ = built
    ann = next(iter(sorted((seeds / "annotations").glob("*.yaml"))))
    ann.write_text(ann.read_text(encoding="utf-8") + "\n# a curator's comment\n", encoding="utf-8")
    again = _build(seeds, out)
    assert again.dumps == "rewritten" and again.rebuilt == 1
    ann.unlink()   # and a removed one
    art = next((seeds / "articles").glob(ann.stem + "_*.txt"))
    art.unlink()
    gone = _build(seeds, out)
    assert gone.dumps == "rewritten" and gone.articles == again.articles - 1


def test_a_kg_add_leaves_a_record_the_next_build_trusts(tmp_path):
    from kg import curate
    seeds = copy_seeds(tmp_path, ("001.yaml", "002.yaml"))
    out = tmp_path / "out"
    _build(seeds, out)
    name = "003"
    art = next((SEEDS / "articles").glob(name + "_*.txt"))
    curate.add(seeds, str(seeds), [str(art), str(SEEDS / "annotations" / f"{name}.yaml")], out)
    assert _build(seeds, out).dumps == "unchanged"
    clean = tmp_path / "clean"
    _build(seeds, clean)
    assert json.loads((out / build.RECORD).read_text())["key"] == json.loads((clean / build.RECORD).read_text())["key"]
