"""A `kg add` or `kg build` killed at any moment: seeds and output end together old or together new
(or, for `kg add`, new seeds and store with no dump at all, which the next `kg build` writes).

Each case kills a real `kg add` process with SIGKILL, either at a named point of its commit
(`KG_TEST_CRASH_AT`, kg/journal.py: after staging, after the plan is written, after each
step of the plan) or after a random delay, and then lets the next command settle the journal.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import journal
from kg.publish import Dump

from conftest import ROOT, copy_seeds, snapshot

FIXTURES = ROOT / "tests" / "fixtures" / "curation"
ADDITIONS = [FIXTURES / n for n in ("005_fixture.txt", "entities-005.yaml", "005.yaml")]


def kg(*argv, crash: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop(journal._CRASH, None)
    if crash:
        env[journal._CRASH] = crash
    p = subprocess.run([sys.executable, "-m", "kg", *map(str, argv)], env=env, capture_output=True, text=True,
                       cwd=ROOT, timeout=600)
    if check:
        assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(scope="module")
def states(tmp_path_factory) -> dict:
    """Seeds and output before the addition, and after it (from an uninterrupted kg add)."""
    base = tmp_path_factory.mktemp("journal")
    seeds = copy_seeds(base / "old")
    out = base / "old" / "out"
    kg("build", "--seeds", seeds, "--out", out, "--quiet")
    new = base / "new"
    shutil.copytree(base / "old", new, symlinks=True)
    kg("add", "--seeds", new / "seeds", "--out", new / "out", *ADDITIONS)
    return {"dir": base / "old", "old": (snapshot(seeds), outputs(out)),
            "new": (snapshot(new / "seeds"), outputs(new / "out"))}


def fresh(states, tmp_path) -> tuple[Path, Path]:
    d = tmp_path / "w"
    shutil.copytree(states["dir"], d, symlinks=True)
    return d / "seeds", d / "out"


def data_files(seeds: Path) -> list[str]:
    """What the loader could read: every file under articles/, annotations/, additions/."""
    return sorted(str(p.relative_to(seeds)) for sub in ("articles", "annotations", "additions")
                  for p in (seeds / sub).rglob("*") if p.is_file())


def outputs(out: Path) -> dict[str, bytes]:
    """The output's files; the store is compared by content (its generation's name depends on paths)."""
    return {k: v for k, v in snapshot(out).items() if k != "store"}


def per_graph(quads) -> dict[str, int]:
    """Quads per named graph (the store keeps literals in canonical form, so not compared by bytes)."""
    return dict(Counter(q.graph_name.value for q in quads))


DUMPS = {d.value for d in Dump}


def assert_whole(states, seeds: Path, out: Path) -> str:
    """Seeds and output are both the old state or both the new one, the store holding exactly
    the quads of kg.nq; or ("added") the new seeds and the new store with no dump at all, as
    `kg add` leaves them between its two commits; nothing staged is left."""
    got = (snapshot(seeds), outputs(out))
    assert not journal.pending(seeds) and not journal.pending(out)
    added = (states["new"][0], {k: v for k, v in states["new"][1].items() if k not in DUMPS})
    which = "old" if got == states["old"] else "new" if got == states["new"] else "added" if got == added else None
    if which == "added":   # queryable already: the store holds the new graph; the dumps are not stale, but absent
        st = ox.Store.read_only(str((out / "store").resolve()))
        assert per_graph(st) == per_graph(ox.parse(states["new"][1]["kg.nq"], format=ox.RdfFormat.N_QUADS))
        return which
    if which is None:
        seeds_state = "old" if got[0] == states["old"][0] else "new" if got[0] == states["new"][0] else "mixed"
        out_state = "old" if got[1] == states["old"][1] else "new" if got[1] == states["new"][1] else "mixed"
        diff = sorted(set(got[1]) ^ set(states["new"][1])) + [k for k in got[1] if k in states["new"][1]
                                                               and got[1][k] != states["new"][1][k]]
        pytest.fail(f"seeds {seeds_state}, output {out_state}; output differs from new in {diff[:8]}")
    st = ox.Store.read_only(str((out / "store").resolve()))   # the store link leads to the same graph
    dumped = set(ox.parse((out / "kg.nq").read_bytes(), format=ox.RdfFormat.N_QUADS))
    assert per_graph(st) == per_graph(dumped)
    return which


def plan_length(states) -> int:
    """Steps in the plan of kg add's first commit: 3 seed files, the store link, every dump and the
    build record removed."""
    return 3 + 1 + len(DUMPS) + 1


def finished_by_kg_build(states, seeds: Path, out: Path) -> None:
    """What a kg add killed between its commits left is made whole by the next kg build."""
    kg("build", "--seeds", seeds, "--out", out, "--quiet")
    assert assert_whole(states, seeds, out) == "new"


@pytest.mark.parametrize("point", ["staged", "planned", "step:1", "step:2", "step:3", "step:4", "step:5", "step:9", "last",
                                   "between-commits"])
def test_kg_add_killed_in_its_commit(states, tmp_path, point):
    seeds, out = fresh(states, tmp_path)
    if point == "last":
        point = f"step:{plan_length(states)}"
    p = kg("add", "--seeds", seeds, "--out", out, *ADDITIONS, crash=point, check=False)
    assert p.returncode == -signal.SIGKILL, p.stderr
    # killed mid-commit, the seeds' data directories hold only real seed files, never a staged one
    assert all(not Path(f).name.startswith(".") for f in data_files(seeds))
    done = journal.settle(seeds, out)      # what the next kg command does first
    assert done or point == "between-commits", "a killed commit leaves a journal to settle"
    which = assert_whole(states, seeds, out)
    assert which == ("old" if point == "staged" else "added")
    if which == "added":
        finished_by_kg_build(states, seeds, out)


def test_next_kg_validate_settles_a_killed_add(states, tmp_path):
    seeds, out = fresh(states, tmp_path)
    assert kg("add", "--seeds", seeds, "--out", out, *ADDITIONS, crash="step:2", check=False).returncode == -signal.SIGKILL
    assert journal.pending(seeds)
    p = kg("validate", "--seeds", seeds)
    assert "rolled forward" in p.stderr
    assert not journal.pending(seeds)
    assert snapshot(seeds) == states["new"][0]


def test_kg_add_killed_before_its_plan_changes_nothing(states, tmp_path):
    seeds, out = fresh(states, tmp_path)
    assert kg("add", "--seeds", seeds, "--out", out, *ADDITIONS, crash="staged", check=False).returncode == -signal.SIGKILL
    unsettled = {k: v for k, v in snapshot(seeds).items() if not k.startswith(journal.JOURNAL)}
    assert unsettled == states["old"][0]          # not yet settled, and the seed files already untouched
    p = kg("build", "--seeds", seeds, "--out", out, "--quiet")
    assert "rolled back" in p.stderr
    assert assert_whole(states, seeds, out) == "old"


def test_kg_build_killed_in_its_commit_is_finished_by_the_next(states, tmp_path):
    seeds, out = fresh(states, tmp_path)
    shutil.copy(FIXTURES / "005_fixture.txt", seeds / "articles")
    shutil.copy(FIXTURES / "005.yaml", seeds / "annotations")
    (seeds / "entities.yaml").write_bytes((seeds / "entities.yaml").read_bytes()
                                          + b"\n" + (FIXTURES / "entities-005.yaml").read_bytes())
    p = kg("build", "--seeds", seeds, "--out", out, "--quiet", crash="step:4", check=False)
    assert p.returncode == -signal.SIGKILL
    assert journal.pending(out)
    assert journal.settle(out)
    sums = (out / "SHA256SUMS").read_text().split("\n")
    for line in filter(None, sums):
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name


def test_kg_add_killed_at_random_moments(states, tmp_path):
    """SIGKILL from outside at a random moment of the whole kg add (validation, build or commit)."""
    rng = random.Random(20171)
    # how long an uninterrupted kg add takes here
    seeds, out = fresh(states, tmp_path / "timing")
    t = time.monotonic()
    kg("add", "--seeds", seeds, "--out", out, *ADDITIONS)
    total = time.monotonic() - t
    for trial in range(5):
        seeds, out = fresh(states, tmp_path / f"t{trial}")
        proc = subprocess.Popen([sys.executable, "-m", "kg", "add", "--seeds", str(seeds), "--out", str(out),
                                 *map(str, ADDITIONS)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.1) * total)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert all(not Path(f).name.startswith(".") for f in data_files(seeds))
        journal.settle(seeds, out)
        if assert_whole(states, seeds, out) == "added":   # fails unless both old, both new, or added
            finished_by_kg_build(states, seeds, out)


def test_transaction_discarded_on_error_leaves_nothing(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with journal.Transaction(d) as tx:
            tx.stage_file(d / "a.txt", b"new")
            tx.stage_file(d / "b.txt", b"new")
            raise RuntimeError("boom")
    assert sorted(p.name for p in d.iterdir()) == ["a.txt"]
    assert (d / "a.txt").read_bytes() == b"old"


def test_plan_applied_twice_is_the_same(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_bytes(b"old")
    (d / "gone.txt").write_bytes(b"x")
    os.chmod(d / "a.txt", 0o640)
    tx = journal.Transaction(d)
    tx.stage_file(d / "a.txt", b"new")
    tx.unlink(d / "gone.txt")
    plan = {"version": 1, "steps": tx.steps, "dirs": [str(x) for x in tx.dirs]}
    journal.apply(plan)
    journal.apply(plan)
    assert (d / "a.txt").read_bytes() == b"new"
    assert (d / "a.txt").stat().st_mode & 0o777 == 0o640     # a seed file keeps its mode
    assert not (d / "gone.txt").exists() and not journal.pending(d)


def test_settle_removes_the_temporary_file_of_a_killed_record_write(tmp_path):
    """The build record is written after the commit, outside the journal (kg.publish.replace_files): a kill
    there leaves its temporary file, which the next command's settle removes, and nothing else."""
    out = tmp_path / "out"
    out.mkdir()
    (out / ".kg-build.json").write_text("{}\n")
    stray = out / "..kg-build.json.k2x_9q1a.tmp"
    stray.write_text('{"half": ')
    kept = [out / ".notes.tmp", out / "..kg-build.json.tmp.bak", out / "kg.nq"]
    for path in kept:
        path.write_text("mine\n")
    assert journal.settle(out) == []   # no journal: nothing to report
    assert not stray.exists() and all(p.read_text() == "mine\n" for p in kept)
    assert (out / ".kg-build.json").read_text() == "{}\n"


def test_what_a_commit_removes_waits_in_the_trash_until_emptied(tmp_path):
    """A removed file and a superseded store generation leave their names at the commit (renamed into
    the trash, at once, however large) and are freed by empty_trash, or by the next settle should the
    process have died first."""
    d = tmp_path / "d"
    d.mkdir()
    (d / "kg.nq").write_bytes(b"old dump")
    (d / ".store-old").mkdir()
    (d / ".store-old" / "data").write_bytes(b"old store")
    (d / ".store-new").mkdir()
    (d / "store").symlink_to(".store-old")
    tx = journal.Transaction(d)
    tx.unlink(d / "kg.nq")
    tx.link(d / "store", ".store-new", [], ".store-")
    tx.commit(keep_trash=True)
    assert sorted(p.name for p in d.iterdir()) == [".kg-trash", ".store-new", "store"]
    kept = sorted((d / ".kg-trash").iterdir())
    assert [p.name.split(".")[0] for p in kept] == ["", "kg"]   # .store-old.XXXX, kg.nq.XXXX
    assert sorted(p.read_bytes() for p in (d / ".kg-trash").rglob("*") if p.is_file()) == [b"old dump", b"old store"]
    assert journal.settle(d) == [] and not (d / ".kg-trash").exists()   # a leftover trash: emptied
    (d / "again.txt").write_bytes(b"x")
    with journal.Transaction(d) as tx:
        tx.unlink(d / "again.txt")
        tx.commit()                     # emptied by the commit itself
    assert sorted(p.name for p in d.iterdir()) == [".store-new", "store"]
