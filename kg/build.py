"""The pipeline, in the order of the design diagram:
load -> map -> provenance -> validate -> infer -> publish."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import infer, iris, load, map as mapper, provenance, publish, validate
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


def graph(seeds: Path = SEEDS, display_root: str | None = None) -> Built:
    """Load the seeds and map them to the asserted named graphs (nothing written)."""
    ds = load.load_seeds(seeds, display_root)
    store = Store()
    mapper.map_dataset(store, ds, ONTOLOGY)
    provenance.describe_graphs(
        store.graph(iris.G.PROVENANCE), ds,
        entities_sha256=load.file_sha256(seeds / load.ENTITIES_FILE),
        ontology_sha256=load.file_sha256(ONTOLOGY),
    )
    return Built(ds, store)


def checked(built: Built) -> Built:
    """Validate the asserted graphs; violations stop the pipeline."""
    report, _ = validate.validate(built.store, validate.Tracer.from_dataset(built.dataset))
    built.report = report
    if not report.conforms:
        raise NotConforming(validate.render(report, validate.ReportFormat.TEXT).rstrip())
    return built


def build(seeds: Path = SEEDS, out: Path = ROOT / "build", display_root: str | None = None) -> Built:
    built = checked(graph(seeds, display_root))
    infer.infer(built.store)
    files = publish.render(built.store)
    publish.check(files)
    publish.write_atomically(out, files)
    return built
