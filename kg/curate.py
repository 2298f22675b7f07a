"""The curators' gate: validate additions against the existing graph; apply only what conforms.

An addition is one of
- an annotation file (YAML with `article:` and `claims:`), for a new article or replacing one;
- a registry file (YAML mapping new entity ids to entries), merged into seeds/entities.yaml;
- an article text (``.txt``), the verbatim source an annotation file names;
- a Turtle file (``.ttl``) of data, vetted as untrusted input (``kg.turtle``).

Validation overlays the additions on the seeds in memory (nothing is copied
or written) and reports only results that the seeds alone do not have.
``add`` writes the additions into the seeds and rebuilds the dumps; if
anything fails, the seeds and the dumps are left byte-identical.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path

from . import build as builder, infer, load, publish, source, validate
from .errors import InconsistencyError, InputError, Pos, UsageError
from .source import YMap


class Kind(enum.Enum):
    ANNOTATION = "annotation"
    REGISTRY = "registry"
    ARTICLE = "article"
    TURTLE = "turtle"


@dataclass(frozen=True)
class Addition:
    path: Path
    display: str
    kind: Kind

    @property
    def target(self) -> str:
        """Where in seeds/ the addition goes."""
        return {
            Kind.ANNOTATION: f"{load.ANNOTATIONS_DIR}/{self.path.name}",
            Kind.REGISTRY: load.ENTITIES_FILE,
            Kind.ARTICLE: f"{load.ARTICLES_DIR}/{self.path.name}",
            Kind.TURTLE: f"{load.ADDITIONS_DIR}/{self.path.name}",
        }[self.kind]


def classify(paths: list[str]) -> list[Addition]:
    out = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            raise InputError(Pos(given), "is a directory, not a file", "give the path of each file to add")
        if not path.is_file():
            raise InputError(Pos(given), "no such file", "give the path of an annotation (.yaml), article (.txt) or Turtle (.ttl) file")
        suffix = path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            root = source.load(path, given)
            is_annotation = isinstance(root, YMap) and ("article" in root or "claims" in root)
            if is_annotation and suffix != ".yaml":
                raise InputError(Pos(given), "annotation files end in .yaml", f"rename it to {path.stem}.yaml")
            out.append(Addition(path, given, Kind.ANNOTATION if is_annotation else Kind.REGISTRY))
        elif suffix == ".txt":
            out.append(Addition(path, given, Kind.ARTICLE))
        elif suffix == ".ttl":
            out.append(Addition(path, given, Kind.TURTLE))
        else:
            raise InputError(Pos(given), f"unsupported addition type {suffix or '(no extension)'}",
                             "additions are annotation or registry YAML (.yaml), article text (.txt) or Turtle (.ttl); "
                             "other RDF formats are not accepted")
    return out


def overlay(src: load.Sources, additions: list[Addition]) -> load.Sources:
    over = src.copy()
    for a in additions:
        if a.kind is Kind.ANNOTATION:
            over.annotations[a.path.stem] = (a.path, a.display)
        elif a.kind is Kind.REGISTRY:
            over.entity_files.append((a.path, a.display))
        elif a.kind is Kind.ARTICLE:
            if a.path.name in src.articles and a.path.read_bytes() != src.articles[a.path.name][0].read_bytes():
                raise InputError(Pos(a.display), f"{src.articles[a.path.name][1]} already exists with other text",
                                 "articles are never edited; give the new article its own file name")
            over.articles[a.path.name] = (a.path, a.display)
        else:
            over.turtle[a.path.stem] = (a.path, a.display)
    return over


@dataclass
class Outcome:
    report: validate.Report          # what the additions introduce (or the whole report, without additions)
    graph: object                    # the SHACL validation report graph

    @property
    def conforms(self) -> bool:
        return self.report.conforms


def _report(built: builder.Built, reason: bool) -> tuple[validate.Report, object]:
    tracer = validate.Tracer.from_dataset(built.dataset, built.store)
    report, graph = validate.validate(built.store, tracer)
    if reason and report.conforms:
        try:
            infer.closure(built.store)
        except InconsistencyError as exc:
            focus = next((m for m in re.findall(r"https://\S+", str(exc)) if tracer.where(m)), "")
            report.results.append(validate.Result(validate.Severity.VIOLATION, str(exc), focus, None, None,
                                                  "owl-rl", tracer.where(focus)))
    return report, graph


def check(seeds: Path, display_root: str, paths: list[str]) -> Outcome:
    """Validate the seeds, or the seeds with additions (reporting what the additions introduce)."""
    return _check(load.Sources.of(seeds, display_root), classify(paths))


def _check(src: load.Sources, additions: list[Addition]) -> Outcome:
    """The overlay is loaded first, so input errors in an addition are reported
    before any validation work; the seeds alone are validated only to subtract
    the results they already have."""
    if not additions:
        return Outcome(*_report(builder.graph(src), reason=True))
    over = builder.graph(overlay(src, additions))
    report, graph = _report(over, reason=True)
    base, _ = _report(builder.graph(src), reason=False)
    return Outcome(report.minus(base), graph)


def add(seeds: Path, display_root: str, paths: list[str], out: Path) -> tuple[Outcome, list[str]]:
    """Apply additions that conform; returns the outcome and the seed files written."""
    additions = classify(paths)
    outcome = _check(load.Sources.of(seeds, display_root), additions)
    if not outcome.conforms:
        return outcome, []
    new_content: dict[Path, bytes] = {}
    for a in additions:
        target = seeds / a.target
        if a.kind is Kind.REGISTRY:
            base = new_content.get(target, target.read_bytes())
            sep = b"" if base.endswith(b"\n") else b"\n"
            new_content[target] = base + sep + f"\n# added by `kg add` from {a.path.name}\n".encode() + a.path.read_bytes()
        else:
            new_content[target] = a.path.read_bytes()
    registry = seeds / load.ENTITIES_FILE
    if registry in new_content:
        _check_appended_registry(registry, new_content[registry], [a for a in additions if a.kind is Kind.REGISTRY])
    backups = {t: (t.read_bytes() if t.exists() else None) for t in new_content}
    created = sorted({t.parent for t in new_content if not t.parent.exists()})
    publish.replace_files(new_content)
    try:
        builder.build(seeds, out, display_root)
    except BaseException:
        _restore(backups)
        for d in created:  # no empty additions/ left behind
            d.rmdir()
        raise
    return outcome, sorted(str(t.relative_to(seeds)) for t in new_content)


def _check_appended_registry(registry: Path, combined: bytes, added: list[Addition]) -> None:
    """The registry text we are about to write must hold exactly the entries that were validated."""
    expected = set(_ids(source.load(registry, str(registry))))
    for a in added:
        expected |= set(_ids(source.load(a.path, a.display)))
    try:
        got = set(_ids(source.parse(combined.decode("utf-8"), str(registry))))
    except InputError:
        got = set()
    if got != expected:
        raise InputError(Pos(added[0].display), "this registry file cannot be appended to the registry as it is",
                         "write it as plain `id:` entries at the top level, without `---` or `...` document markers")


def _ids(root) -> list[str]:
    return list(root.entries) if isinstance(root, YMap) else []


def _restore(backups: dict[Path, bytes | None]) -> None:
    for target, data in backups.items():
        if data is None:
            target.unlink(missing_ok=True)
        else:
            publish.replace_files({target: data})


def usage_check(paths: list[str]) -> None:
    if not paths:
        raise UsageError("give one or more additions: annotation YAML, registry YAML, article .txt or Turtle .ttl files")
