"""`kg query --data FILE`: a dump in any state gives an answer or a clear error (exit 2), never a
traceback; and `python -m kg` is the `kg` command."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg import cli


def query(capsys, data: Path, *extra: str) -> tuple[int, str, str]:
    code = cli.main(["query", "sources", "--data", str(data), "--format", "csv", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_gzipped_dump_is_accepted(built_dir, tmp_path, capsys):
    gz = tmp_path / "kg.nq.gz"
    gz.write_bytes(gzip.compress((built_dir / "kg.nq").read_bytes()))
    _, want, _ = query(capsys, built_dir / "kg.nq")
    code, out, err = query(capsys, gz)
    assert (code, err) == (0, "") and out == want and out.count("\r\n") == 6


def test_gzipped_trig_is_accepted(built_dir, tmp_path, capsys):
    gz = tmp_path / "kg.trig.gz"
    gz.write_bytes(gzip.compress((built_dir / "kg.trig").read_bytes()))
    code, out, _ = query(capsys, gz)
    assert code == 0 and out.count("\r\n") == 6


def test_missing_file(tmp_path, capsys):
    code, _, err = query(capsys, tmp_path / "nope.nq")
    assert code == 2 and "nope.nq: no such file" in err and "--data build/kg.nq" in err


def test_directory(tmp_path, capsys):
    code, _, err = query(capsys, tmp_path)
    assert code == 2 and "not a file" in err


def test_truncated_dump_names_line_and_column(built_dir, tmp_path, capsys):
    cut = tmp_path / "kg.nq"
    cut.write_bytes((built_dir / "kg.nq").read_bytes()[:100_000])
    code, _, err = query(capsys, cut)
    assert code == 2 and "Traceback" not in err
    assert f"{cut}:" in err and "not valid N-Quads: Unexpected end of file" in err and "truncated" in err
    line = int(err.split(f"{cut}:", 1)[1].split(":", 1)[0])
    assert line == cut.read_bytes().count(b"\n") + 1, "the position is the cut-off last line"


def test_truncated_gzip(built_dir, tmp_path, capsys):
    gz = tmp_path / "kg.nq.gz"
    gz.write_bytes(gzip.compress((built_dir / "kg.nq").read_bytes())[:20_000])
    code, _, err = query(capsys, gz)
    assert code == 2 and "gzip stream is damaged or truncated" in err and "Traceback" not in err


def test_unknown_format(tmp_path, capsys):
    odd = tmp_path / "kg.xyz"
    odd.write_text("hello", encoding="utf-8")
    code, _, err = query(capsys, odd)
    assert code == 2 and "unknown dump format 'xyz'" in err


def test_unreadable_file(built_dir, tmp_path, capsys):
    if os.geteuid() != 0:
        locked = tmp_path / "kg.nq"
        locked.write_bytes((built_dir / "kg.nq").read_bytes())
        locked.chmod(0)
    else:  # root reads a mode-000 file; /proc/self/mem is a regular file whose first bytes fail to read (EIO)
        locked = Path("/proc/self/mem")
    code, _, err = query(capsys, locked)
    assert code == 2 and f"{locked}: cannot read it (" in err and "Traceback" not in err


def test_python_dash_m_kg():
    res = subprocess.run([sys.executable, "-m", "kg", "--version"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.startswith("kg ")
    res = subprocess.run([sys.executable, "-m", "kg", "query", "no-such-query", "--data", "/nonexistent.nq"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and res.stderr.startswith("error: ")


@pytest.mark.parametrize("argv", [["query", "sources", "--print", "--data", "/nonexistent.nq"]])
def test_print_needs_names_resolved_somewhere(argv, capsys):
    assert cli.main(argv) == 2
    assert "no such file" in capsys.readouterr().err
