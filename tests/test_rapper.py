"""Every dump `kg build` writes parses in rapper (Debian raptor2-utils, installed by .ci/run),
an RDF parser independent of the two this project uses, with the same number of triples."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox

RAPPER = shutil.which("rapper")
# dump -> rapper's input syntax; JSON-LD is not rapper's (pyld and rdflib read kg.jsonld elsewhere)
SYNTAX = {".nq": "nquads", ".trig": "trig", ".ttl": "turtle", ".nt": "ntriples"}
OX = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG, ".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES}
EXPECTED = {"kg.nq", "kg.trig", "kg.ttl", "kg-inferred.ttl", "void.ttl"}


def dumps(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_file() and Path(p.name.removesuffix(".gz")).suffix in SYNTAX)


def plain(path: Path, tmp: Path) -> Path:
    """The dump itself, or its decompressed copy for a `.gz`."""
    if path.suffix != ".gz":
        return path
    target = tmp / path.name.removesuffix(".gz")
    with gzip.open(path, "rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


def oxigraph_count(path: Path) -> int:
    return sum(1 for _ in ox.parse(path=str(path), format=OX[path.suffix]))


def test_every_expected_dump_is_there(built_dir):
    names = {p.name for p in dumps(built_dir)}
    assert EXPECTED <= names, EXPECTED - names


def test_rapper_is_installed():
    assert RAPPER, "rapper not found: `apt-get install raptor2-utils` (.ci/run does)"


def test_rapper_parses_every_dump_with_the_same_count(built_dir, tmp_path):
    checked = []
    for dump in dumps(built_dir):
        path = plain(dump, tmp_path)
        res = subprocess.run([RAPPER, "-c", "-i", SYNTAX[path.suffix], str(path)], capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, f"{dump.name}: {res.stderr[-2000:]}"
        assert "Error" not in res.stderr and "Warning" not in res.stderr, f"{dump.name}: {res.stderr[-2000:]}"
        found = re.search(r"Parsing returned (\d+) triples", res.stderr)
        assert found, res.stderr
        # rapper counts statements as read; pyoxigraph too (both keep duplicates in a stream)
        assert int(found.group(1)) == oxigraph_count(path), dump.name
        checked.append(dump.name)
    assert len(checked) >= len(EXPECTED)


def test_rapper_rejects_a_broken_dump(tmp_path):
    """The check above could fail: rapper exits non-zero on a truncated N-Quads line."""
    bad = tmp_path / "bad.nq"
    bad.write_text('<https://e.org/s> <https://e.org/p> "unterminated .\n', encoding="utf-8")
    res = subprocess.run([RAPPER, "-c", "-i", "nquads", str(bad)], capture_output=True, text=True, timeout=60)
    assert res.returncode != 0 and "Error" in res.stderr


