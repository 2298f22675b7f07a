"""The pipeline, in the order of the design diagram:
load -> map -> provenance -> validate -> infer -> publish."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import infer, iris, load, map as mapper, oxstore, provenance, publish, validate
from .errors import NotConforming
from .model import Dataset
from .store import Store

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "hrr.ttl"
SEEDS = ROOT / "seeds"


@dataclass
class Built:
    dataset: Dataset
    store: Store
    report: validate.Report | None = None


def sources(seeds: Path | load.Sources = SEEDS, display_root: str | None = None) -> load.Sources:
    return seeds if isinstance(seeds, load.Sources) else load.Sources.of(seeds, display_root)


def graph(seeds: Path | load.Sources = SEEDS, display_root: str | None = None) -> Built:
    """Load the seeds and map them to the asserted named graphs (nothing written)."""
    src = sources(seeds, display_root)
    ds = load.load_seeds(src)
    store = Store()
    mapper.map_dataset(store, ds, ONTOLOGY)
    provenance.describe_graphs(
        store.graph(iris.G.PROVENANCE), ds,
        entities_sha256=load.file_sha256(src.seeds / load.ENTITIES_FILE),
        ontology_sha256=load.file_sha256(ONTOLOGY),
    )
    return Built(ds, store)


def validated(built: Built) -> Built:
    """Attach the validation report of the asserted graphs."""
    built.report, _ = validate.validate(built.store, validate.Tracer.from_dataset(built.dataset, built.store))
    return built


def build(seeds: Path | load.Sources = SEEDS, out: Path = ROOT / "build", display_root: str | None = None) -> Built:
    built = validated(graph(seeds, display_root))
    if not built.report.conforms:
        raise NotConforming(validate.render(built.report, validate.ReportFormat.TEXT).rstrip())
    infer.infer(built.store)
    files = publish.render(built.store, built.dataset)
    publish.check(files)
    gen = oxstore.write_generation(out, files[publish.Dump.NQUADS], files[publish.Dump.SUMS].decode())
    try:
        publish.write_atomically(out, files)
    except BaseException:
        import shutil
        shutil.rmtree(gen, ignore_errors=True)
        raise
    oxstore.switch(out, gen)
    return built
