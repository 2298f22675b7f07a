"""Fuzzing (issue 12, item 7): random mutations of real inputs give a clean result or a clean error.

Four targets, each a real input mutated by hypothesis (slices deleted, duplicated or
swapped, hostile snippets inserted: NUL, BOM, line separators, YAML anchors and tags,
huge and non-ASCII digits, impossible dates, Turtle directives, blank nodes, triple terms…):

- the annotation loader (``seeds/annotations/000.yaml``), the registry (``seeds/entities.yaml``)
  and curator-Turtle vetting (a Turtle addition): loading gives a dataset or raises one of
  the project's errors (``kg.errors.KgError``: the CLI prints it as a message, exit 1 or 2),
  never anything else, and within ``DEADLINE_MS``;
- query files (a canned query): ``kg query --file`` exits 0, 1 or 2 and prints no traceback.

And what validates, builds (item 3): for the first ``BUILDS`` mutated seeds the loader
accepts, ``kg validate`` is run, and when it says "conforms" ``kg build`` must succeed.

Profiles: ``ci`` (the default, ~60 s in all) and ``long`` (by hand:
``HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest -q tests/test_fuzz.py``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kg import cli, load, registry, turtle
from kg.errors import KgError
from kg.model import TurtleFile

from conftest import SEEDS, copy_seeds

COMMON = dict(database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
              deadline=None, derandomize=True)
settings.register_profile("ci", max_examples=30, **COMMON)
settings.register_profile("long", max_examples=300, **{**COMMON, "derandomize": False})
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
DEADLINE_MS = 5000        # per example: nothing a curator writes may take longer to refuse
BUILDS = 1 if PROFILE == "ci" else 8

HOSTILE = [
    "\0", "\ufeff", "\u2028", "\u2029", "\u0085", "\f", "\t", "\r", "\u200b", "é", "𝔘", "\u0663", "\\",
    ": ", "- ", "&a ", "*a", "!!python/object/apply:os.system ['true'] ", "!x ", "<<: ", "---\n", "...\n",
    "[", "]", "{", "}", "'", '"', "#", "|\n", ">\n", "\n  ", "\n", "  ",
    "1" * 40, "9" * 5000, "-1", "0", "3.5", "null", "~", "yes", "no", "2017-13-45", "2017-02-30",
    "@base <https://evil.example/> .\n", "@prefix ex: <https://ex.example/> .\n", "ex:x ", "BASE <x:>\n",
    '"abc"^^xsd:integer', '"2017-13-45"^^xsd:date', '"x"@en--ltr', "<https://evil.example/x>", "<rel>",
    "_:b ", "[] ", "( ", " ) ", "<<( ", " )>>", " owl:imports ", " prov:wasAttributedTo ", " a ", " ; ", " . ",
    "<https://hrkg.example.org/chechnya-2017/graph/article/000>", " hrr:locatedIn ", "sh:NodeShape",
    "?x ", "?_actor ", "SELECT ", "WHERE ", "FILTER(", ")", "OPTIONAL ", "UNION ", "GRAPH ?g ", "LIMIT 1",
    "#+ ", "#+ summary: no\n", "#+ defaults: 5\n", "{ ?s ?p ?o }", "<<", ">>", "%",
]


@st.composite
def mutated(draw, text: str) -> str:
    """``text`` after one to three random edits."""
    for _ in range(draw(st.integers(1, 3))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 80)))
        op = draw(st.sampled_from(["insert", "replace", "delete", "duplicate", "swap-lines"]))
        piece = draw(st.one_of(st.sampled_from(HOSTILE), st.text("abcxyz -", max_size=8), st.text(max_size=12)))
        if op == "insert":
            text = text[:i] + piece + text[i:]
        elif op == "replace":
            text = text[:i] + piece + text[j:]
        elif op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            lines = text.split("\n")
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", "strict"))


class Accepted:
    """Counts mutations; the first ``BUILDS`` accepted are validated and, if they conform, built."""

    def __init__(self, name: str) -> None:
        self.name, self.n, self.tried, self.built = name, 0, 0, 0

    def check_builds(self, seeds: Path, out: Path, capsys, extra: list[str] = ()) -> None:
        self.n += 1
        if self.n > BUILDS:
            return
        capsys.readouterr()
        code = cli.main(["validate", "--seeds", str(seeds), *extra])
        err = capsys.readouterr().err
        assert code in (0, 1, 2) and "Traceback" not in err, err
        if code == 0:
            if extra:
                shutil.copy(extra[0], seeds / "additions" / Path(extra[0]).name)
            shutil.rmtree(out, ignore_errors=True)
            code = cli.main(["build", "--seeds", str(seeds), "--out", str(out), "--quiet"])
            err = capsys.readouterr().err
            assert code == 0, f"validated but did not build:\n{err}"
            self.built += 1


def _timed(fn, *args):
    import time
    started = time.monotonic()
    try:
        return fn(*args)
    except KgError:
        return None
    finally:
        elapsed = (time.monotonic() - started) * 1000
        assert elapsed < DEADLINE_MS, f"took {elapsed:.0f} ms"


@pytest.fixture(scope="module")
def fuzz_seeds(tmp_path_factory) -> Path:
    seeds = copy_seeds(tmp_path_factory.mktemp("fuzz"))
    (seeds / "additions").mkdir()
    return seeds


ANNOTATION = (SEEDS / "annotations" / "000.yaml").read_text(encoding="utf-8")
REGISTRY = (SEEDS / "entities.yaml").read_text(encoding="utf-8")
TURTLE = """@prefix entity: <https://hrkg.example.org/chechnya-2017/entity/> .
@prefix hrr: <https://hrkg.example.org/ontology/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

entity:fuzz-group a hrr:Group ;
    rdfs:label "A fuzzed group"@en ;
    hrr:memberCount "12"^^xsd:nonNegativeInteger ;
    hrr:member entity:putin, entity:trump .

entity:fuzz-town a hrr:Place ;
    rdfs:label "Fuzz town"@en ;
    rdfs:comment \"\"\"A town
base of the fuzzers.\"\"\" ;
    hrr:locatedIn entity:chechnya .
"""
QUERY = (Path(__file__).resolve().parent.parent / "queries" / "who-raised-the-issue-with.rq").read_text(encoding="utf-8")


@given(text=mutated(ANNOTATION))
def test_fuzz_annotation_loader(text, fuzz_seeds, tmp_path_factory, capsys):
    _write(fuzz_seeds / "annotations" / "000.yaml", text)
    ANNOTATIONS_ACCEPTED.tried += 1
    try:
        if _timed(load.load_seeds, fuzz_seeds) is not None:
            ANNOTATIONS_ACCEPTED.check_builds(fuzz_seeds, tmp_path_factory.getbasetemp() / "fuzz-out", capsys)
    finally:
        shutil.copy(SEEDS / "annotations" / "000.yaml", fuzz_seeds / "annotations" / "000.yaml")


@given(text=mutated(REGISTRY))
def test_fuzz_registry(text, fuzz_seeds, tmp_path_factory, capsys):
    path = fuzz_seeds / "entities.yaml"
    _write(path, text)
    REGISTRY_ACCEPTED.tried += 1
    try:
        if _timed(registry.load_entities, path, str(path)) is not None and _timed(load.load_seeds, fuzz_seeds) is not None:
            REGISTRY_ACCEPTED.check_builds(fuzz_seeds, tmp_path_factory.getbasetemp() / "fuzz-out", capsys)
    finally:
        shutil.copy(SEEDS / "entities.yaml", path)


@given(text=mutated(TURTLE))
def test_fuzz_curator_turtle(text, fuzz_seeds, tmp_path_factory, capsys):
    ttl = tmp_path_factory.getbasetemp() / "fuzz.ttl"
    _write(ttl, text)
    TURTLE_ACCEPTED.tried += 1
    try:
        tf = _timed(lambda: TurtleFile("fuzz", str(ttl), "0", load.source.read_text(ttl, str(ttl), load.limits.TURTLE_BYTES)))
        if tf is not None and _timed(turtle.parse_untrusted, tf) is not None:
            TURTLE_ACCEPTED.check_builds(fuzz_seeds, tmp_path_factory.getbasetemp() / "fuzz-out", capsys, [str(ttl)])
    finally:
        (fuzz_seeds / "additions" / "fuzz.ttl").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def small_dump(built_dir, tmp_path_factory) -> Path:
    """Every 20th quad of the real build: enough for answers, cheap to query."""
    lines = (built_dir / "kg.nq").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path_factory.mktemp("fuzz-dump") / "small.nq"
    path.write_text("".join(lines[::20]), encoding="utf-8")
    return path


@given(text=mutated(QUERY))
def test_fuzz_query_file(text, small_dump, tmp_path_factory, capsys):
    rq = tmp_path_factory.getbasetemp() / "fuzz.rq"
    _write(rq, text)
    capsys.readouterr()
    code = _timed(cli.main, ["query", "--file", str(rq), "--data", str(small_dump), "--format", "json"])
    err = capsys.readouterr().err
    assert code in (0, 1, 2) and "Traceback" not in err, err


ANNOTATIONS_ACCEPTED, REGISTRY_ACCEPTED, TURTLE_ACCEPTED = Accepted("annotation"), Accepted("registry"), Accepted("turtle")


def test_fuzz_figures(capsys):
    """Runs after the targets (file order): each saw accepted and refused mutations, and builds happened
    (a harness whose mutations all fail, or all pass, tests nothing)."""
    targets = (ANNOTATIONS_ACCEPTED, REGISTRY_ACCEPTED, TURTLE_ACCEPTED)
    if not all(t.tried for t in targets):
        pytest.skip("run with the fuzz targets (the whole file)")
    with capsys.disabled():
        for t in targets:
            print(f"\nfuzz {t.name}: {t.tried} mutations, {t.n} accepted, {t.tried - t.n} refused cleanly, "
                  f"{t.built} validated and built")
    assert all(0 < t.n < t.tried for t in targets)
    assert sum(t.built for t in targets) >= 1
