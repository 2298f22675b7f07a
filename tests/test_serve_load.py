"""The load script's short form (a few seconds, bounded): it runs, nothing fails, the hostile query is cut."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def test_load_script_short_form(built_dir):
    done = subprocess.run([sys.executable, "bench/load.py", "--out", str(built_dir), "--short", "--json",
                           "--server-args=--timeout 1"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["connections"], r["hostile"]) for r in results] == [(1, False), (4, False), (1, True), (4, True)]
    for r in results:
        assert r["requests"] > 0 and r["error_rate"] == 0, r
        assert r["p50_ms"] <= r["p99_ms"]
    assert all(r["hostile_cut"] >= 1 for r in results if r["hostile"])
