"""The seeds' lock (kg/lock.py): one kg add at a time, and nothing an add reported is lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kg import lock

from conftest import ROOT, copy_seeds

HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from kg import lock
    with lock.seeds_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def hold(seeds: Path, seconds: float) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(seeds), str(seconds)], cwd=ROOT,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def test_second_holder_waits_and_is_told(tmp_path):
    holder = hold(tmp_path, 1.0)
    told = []
    start = time.monotonic()
    with lock.seeds_lock(tmp_path, timeout=30, on_wait=told.append):
        waited = time.monotonic() - start
    holder.wait()
    assert waited > 0.5
    assert len(told) == 1 and "waiting for another kg add" in told[0] and f"process {holder.pid}" in told[0]


def test_bounded_wait_fails_clearly(tmp_path):
    holder = hold(tmp_path, 5.0)
    try:
        with pytest.raises(lock.LockTimeout, match=r"still locked by another kg add or build .*after 0\.3 s"):
            with lock.seeds_lock(tmp_path, timeout=0.3):
                pass
    finally:
        holder.kill()
        holder.wait()
    # a killed holder leaves no stale lock
    with lock.seeds_lock(tmp_path, timeout=1):
        pass


def test_reentrant_within_a_process(tmp_path):
    with lock.seeds_lock(tmp_path, timeout=0.5):
        with lock.seeds_lock(tmp_path, timeout=0.5):  # e.g. kg add -> build
            pass
        assert lock._held  # still held by the outer block
    assert not lock._held


def test_lock_file_is_0644_and_ignored_by_git(tmp_path):
    with lock.seeds_lock(tmp_path):
        pass
    assert (tmp_path / ".kg.lock").stat().st_mode & 0o777 == 0o644
    assert ".kg.lock" in (ROOT / ".gitignore").read_text().split()


REG = "{eid}:\n  type: Person\n  label: {label}\n"


def test_concurrent_adds_keep_both_entries(tmp_path):
    """Two `kg add` of different registry files at once, five times: each reports "added" and
    afterwards the registry and the dumps hold both entities."""
    seeds = copy_seeds(tmp_path)
    for trial in range(5):
        procs = []
        for side in ("a", "b"):
            f = tmp_path / f"reg-{trial}-{side}.yaml"
            eid = f"concurrent-{trial}-{side}"
            f.write_text(REG.format(eid=eid, label=f"Concurrent Person {trial} {side.upper()}"), encoding="utf-8")
            procs.append((eid, subprocess.Popen(
                [sys.executable, "-m", "kg.cli", "add", "--seeds", str(seeds), "--out", str(tmp_path / "out"), str(f)],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        for eid, p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, out + err
            assert "added: entities.yaml" in out and "Traceback" not in err
        registry = (seeds / "entities.yaml").read_text(encoding="utf-8")
        dump = (tmp_path / "out" / "kg.nq").read_text(encoding="utf-8")
        for t in range(trial + 1):
            for side in ("a", "b"):
                assert f"concurrent-{t}-{side}:" in registry
                assert f"entity/concurrent-{t}-{side}>" in dump
