"""The curators' gate: validate additions against the existing graph; apply only what conforms.

An addition is one of
- an annotation file (YAML with `article:` and `claims:`), for a new article or replacing one;
- a registry file (YAML mapping new entity ids to entries, or an existing id to only
  `aliases`/`positions` to add), merged into seeds/entities.yaml;
- an article text (``.txt``), the verbatim source an annotation file names;
- a Turtle file (``.ttl``) of data, vetted as untrusted input (``kg.turtle``).

Validation overlays the additions on the seeds in memory (nothing is copied
or written) and reports only results that the seeds alone do not have.
``add`` stages the additions and the rebuilt store and dumps, then switches
seeds and output together in one journalled commit (``kg.journal``): if
anything fails, or the process is killed, the seeds and the dumps end together
old or together new.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import build as builder, cache as cachemod, journal, load, lock, registry, source, validate
from .errors import InputError, Pos, UsageError
from .source import YMap

if TYPE_CHECKING:
    from .answers import Filled


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


def _report(a: builder.Assessment) -> validate.Report:
    """The assessment's validation results, with each OWL RL inconsistency as a violation."""
    report = validate.Report(list(a.report.results))
    for clash in a.clashes:
        focus = next((m for m in re.findall(r"https://\S+", clash) if a.where(m)), "")
        report.results.append(validate.Result(validate.Severity.VIOLATION, clash, focus, None, None,
                                              "owl-rl", a.where(focus)))
    return report


def check(seeds: Path, display_root: str, paths: list[str], cache_dir: Path | None = None) -> Outcome:
    """Validate the seeds, or the seeds with additions (reporting what the additions introduce)."""
    return _check(load.Sources.of(seeds, display_root), classify(paths), cachemod.Cache(cache_dir))[0]


def _check(src: load.Sources, additions: list[Addition], cache: cachemod.Cache,
           progress: builder.Progress | None = None) -> tuple[Outcome, builder.Assessment]:
    """The overlay is loaded first, so input errors in an addition are reported before any
    validation work; the seeds alone are assessed only to subtract the results they already
    have (their whole-corpus results come from the cache, their provenance is not made).
    Both go through the build's per-article stages and its cache: an article the additions
    do not touch is not validated again.  Returns the outcome and the overlay's assessment."""
    if not additions:
        a = builder.assess(src, cache, progress=progress)
        report = _report(a)
        return Outcome(report, validate.report_graph(report)), a
    a = builder.assess(overlay(src, additions), cache, progress=progress)
    report = _report(a)
    base = _report(builder.assess(src, cache, like=a))
    added = report.minus(base)
    return Outcome(added, validate.report_graph(added)), a


@dataclass
class Replacement:
    """An annotation file that ``--replace`` swaps for a new version: claims by id."""

    target: str
    removed: list[str]
    added: list[str]
    kept: list[str]


@dataclass
class Applied:
    outcome: Outcome
    written: list[str]                # seed files written, relative to the seeds
    replaced: list[Replacement]
    answers: Filled | None = None   # the canned queries' first pages kept for the new store (kg.answers)
    store: str = ""                 # what was done to the store: updated (N graphs), then compacted …


def add(seeds: Path, display_root: str, paths: list[str], out: Path, replace: bool = False,
        lock_timeout: float = lock.DEFAULT_TIMEOUT, on_wait=None, progress: builder.Progress | None = None) -> Applied:
    """Apply additions that conform, under the seeds' lock; nothing changes unless all conform.

    A taken name (an annotation file or Turtle file the seeds already have) is
    refused unless ``replace`` is true; then the replacement is validated in
    place of the old file and the claims it removes and adds are reported.
    """
    additions = classify(paths)
    with lock.seeds_lock(seeds, lock_timeout, on_wait):
        journal.settle(seeds, out)   # a kg add or build that was killed: finished or undone first
        src = load.Sources.of(seeds, display_root)
        replaced = _replacements(seeds, display_root, additions, replace)
        # the build's cache where a build is; a refused addition then leaves no --out behind
        cache = cachemod.Cache(out / builder.CACHE_DIR if out.is_dir() else None)
        outcome, assessed = _check(src, additions, cache, progress)
        if not outcome.conforms:
            return Applied(outcome, [], replaced)
        new_content: dict[Path, bytes] = {}
        for a in additions:
            target = seeds / a.target
            if a.kind is Kind.REGISTRY:
                base = new_content.get(target, target.read_bytes()).decode("utf-8")
                new_content[target] = registry.merge_text(base, source.read_text(a.path, a.display), str(target),
                                                          a.display, a.path.name).encode("utf-8")
            else:
                new_content[target] = a.path.read_bytes()
        reg_path = seeds / load.ENTITIES_FILE
        if reg_path in new_content:
            _check_appended_registry(reg_path, new_content[reg_path], [a for a in additions if a.kind is Kind.REGISTRY])
        with journal.Transaction(seeds) as tx:
            for target, data in new_content.items():
                tx.stage_file(target, data)   # a seed file keeps its mode; a new one gets 0644 less the umask
            # the build reads the seeds as they will be: every staged file in place of its target
            final = _staged_sources(src, {Path(st[2]): Path(st[1]) for st in tx.steps})
            same = _same(assessed, additions, new_content, cache, seeds)   # then the check's assessment is the build's
            summary = builder.build(final, out, display_root, tx=tx, assessed=assessed if same else None,
                                    progress=progress)
            tx.commit(keep_trash=True)   # seeds and store switch together, the old dumps removed (kg.journal)
        try:
            builder.finish_dumps(summary)   # queryable already: the dumps follow, in a commit of their own
        finally:
            journal.empty_trash(out, seeds)   # the old dumps and store generation, freed once all is in place
        return Applied(outcome, sorted(str(t.relative_to(seeds)) for t in new_content), replaced, summary.answers, summary.store)


def _same(a: builder.Assessment, additions: list[Addition], staged: dict[Path, bytes], cache: cachemod.Cache,
          seeds: Path) -> bool:
    """Whether the overlay's assessment is the build's too, so the build need not assess again: the
    additions are articles and annotation files only (a registry or Turtle addition changes what the
    provenance and the whole-corpus key read), the build's cache is the one the check read, and the
    bytes staged are the bytes that were assessed (checked by their SHA-256)."""
    if cache.dir is None or any(x.kind not in (Kind.ANNOTATION, Kind.ARTICLE) for x in additions):
        return False
    by_key = {m.key: m for m in a.articles}
    for target, data in staged.items():
        m = by_key.get(target.stem)
        sha = hashlib.sha256(data).hexdigest()
        if target.parent.name == load.ANNOTATIONS_DIR and (m is None or m.annotation_sha256 != sha):
            return False
        if target.parent.name == load.ARTICLES_DIR and sha not in {m.sha256 for m in a.articles if m.file == target.name}:
            return False
    return all(t.parent in (seeds / load.ANNOTATIONS_DIR, seeds / load.ARTICLES_DIR) for t in staged)


def _staged_sources(src: load.Sources, staged: dict[Path, Path]) -> load.Sources:
    """The seeds' sources with each target file read from where it is staged (names unchanged)."""
    final = src.copy()
    seeds = src.seeds
    for target, path in staged.items():
        rel = target.relative_to(seeds)
        display = f"{src.root}/{rel}"
        if str(rel) == load.ENTITIES_FILE:
            final.entity_files = [(path, display)]
        elif rel.parent.name == load.ANNOTATIONS_DIR:
            final.annotations[target.stem] = (path, display)
        elif rel.parent.name == load.ARTICLES_DIR:
            final.articles[target.name] = (path, display)
        elif rel.parent.name == load.ADDITIONS_DIR:
            final.turtle[target.stem] = (path, display)
        else:  # pragma: no cover
            raise AssertionError(f"no source kind for {rel}")
    by_name = lambda kv: kv[1][1]  # noqa: E731 — the order Sources.of lists files in: by file name
    final.annotations = dict(sorted(final.annotations.items(), key=by_name))
    final.articles = dict(sorted(final.articles.items(), key=by_name))
    final.turtle = dict(sorted(final.turtle.items(), key=by_name))
    return final


def _replacements(seeds: Path, display_root: str, additions: list[Addition], replace: bool) -> list[Replacement]:
    """Refuse to overwrite a seed file silently; with ``replace``, say what changes."""
    out = []
    for a in additions:
        target = seeds / a.target
        if a.kind not in (Kind.ANNOTATION, Kind.TURTLE) or not target.exists():
            continue
        if target.read_bytes() == a.path.read_bytes():
            continue
        shown = f"{display_root}/{a.target}"
        if not replace:
            raise InputError(Pos(a.display), f"{shown} already exists",
                             "give the new article its own number (see `kg draft`), or pass --replace to replace "
                             f"{shown} with this file")
        old = set(_claim_ids(target)) if a.kind is Kind.ANNOTATION else set()
        new = set(_claim_ids(a.path, a.display)) if a.kind is Kind.ANNOTATION else set()
        out.append(Replacement(a.target, sorted(old - new), sorted(new - old), sorted(old & new)))
    return out


def _claim_ids(path: Path, display: str | None = None) -> list[str]:
    root = source.load(path, display)
    claims = root.get("claims") if isinstance(root, YMap) else None
    if not isinstance(claims, source.YSeq):
        return []
    ids = [c.get("id") for c in claims.items if isinstance(c, YMap)]
    return [i.value.strip() for i in ids if isinstance(i, source.YStr)]


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


def usage_check(paths: list[str]) -> None:
    if not paths:
        raise UsageError("give one or more additions: annotation YAML, registry YAML, article .txt or Turtle .ttl files")
