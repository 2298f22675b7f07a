"""Shared fixtures: one real build of the seeds per test session, and small seed copies."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import build, cli, iris
from kg.registry import load_dataset_meta

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(autouse=True)
def seeds_base():
    """Every test starts under the seeds' dataset base (a test that built other seeds may have changed it)."""
    iris.configure(load_dataset_meta(SEEDS / "dataset.yaml", "seeds/dataset.yaml")["base"])


@pytest.fixture(scope="session")
def built_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    assert cli.main(["build", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="session")
def store(built_dir) -> ox.Store:
    st = ox.Store()
    st.bulk_load(path=str(built_dir / "kg.nq"), format=ox.RdfFormat.N_QUADS)
    return st


PREFIXES = """
PREFIX hrr: <https://hrkg.example.org/ontology/>
PREFIX entity: <https://hrkg.example.org/chechnya-2017/entity/>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def select(st: ox.Store, query: str) -> list[dict[str, str]]:
    """Run a SELECT over the union of all graphs; rows as {var: lexical value}."""
    res = st.query(PREFIXES + query, use_default_graph_as_union=True)
    names = [v.value for v in res.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in res]


def copy_seeds(dest: Path, annotations: tuple[str, ...] = ("000.yaml",)) -> Path:
    """A seeds directory with the registry and the given annotation files with their articles."""
    seeds = dest / "seeds"
    (seeds / "annotations").mkdir(parents=True)
    (seeds / "articles").mkdir()
    for name in annotations:  # an article without its annotation file is an error
        for art in (SEEDS / "articles").glob(Path(name).stem + "_*.txt"):
            shutil.copy(art, seeds / "articles" / art.name)
    for name in ("dataset.yaml", "entities.yaml"):
        shutil.copy(SEEDS / name, seeds / name)
    for name in annotations:
        shutil.copy(SEEDS / "annotations" / name, seeds / "annotations" / name)
    return seeds


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file's bytes; the store (RocksDB files, not byte-stable) by the generation it points at;
    the build cache (not output) left out.  The seeds' lock file (kg/lock.py, empty when no one
    holds it) is not data."""
    out = {}
    for p in sorted(directory.rglob("*")):
        rel = p.relative_to(directory)
        if rel.name == ".kg.lock":
            continue
        if p.is_symlink():
            out[str(rel)] = os.readlink(p).encode()
        elif rel.name == build.RECORD:   # the build record (tests/test_record.py): stat figures, a hint
            continue
        elif p.is_file() and not rel.parts[0].startswith((".store-", ".cache")):
            out[str(rel)] = p.read_bytes()
    return out


PARAMETER_KINDS = {"issue": "http://www.w3.org/2004/02/skos/core#Concept",
                   "place": "https://hrkg.example.org/ontology/Place"}


def parameter_values(st: ox.Store, param: str) -> list[str]:
    """Every registry entry of a canned query parameter's kind in the store, by id (an issue: every concept)."""
    rows = st.query(f"SELECT DISTINCT ?x WHERE {{ ?x a <{PARAMETER_KINDS[param]}> }}", use_default_graph_as_union=True)
    return sorted(r["x"].value.rsplit("/", 1)[1] for r in rows)
