"""The pipeline, in the order of the design diagram.

Per article (``kg.shard``, cached by content, in a process pool):
    load -> map -> provenance -> validate -> infer -> fragments
Whole corpus (only what must see everything):
    registry -> entity graph -> provenance graph -> cross-article checks -> inference over the
    entities and what articles say about them -> dumps assembled from fragments -> store

``graph`` and ``validated`` keep the whole dataset in one in-memory rdflib graph:
the curators' gate and the tests use them as the reference the per-article
build must equal.
"""

from __future__ import annotations

import bisect
import concurrent.futures
import copy
import gc
import hashlib
import json
import multiprocessing
import os
import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
from rdflib import Graph, URIRef

from . import (
    cache as cachemod, infer, iris, journal, load, map as mapper, oxstore, provenance, publish, rl, shard, turtle, validate,
    void,
)
from . import answers as answers_mod
from .errors import InconsistencyError, InputError, InputErrors, KgError, NotConforming, collect
from .model import Dataset
from .registry import load_dataset_meta
from .store import Store, Triples, Triplestore, ox_triples, rdflib_term

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "hrr.ttl"
SEEDS = ROOT / "seeds"
CACHE_DIR = cachemod.CACHE_DIR
RECORD = ".kg-build.json"   # what the last build wrote into OUT, under the key of what it was built from
_RECORD_FORMAT = 1


@dataclass
class Built:
    dataset: Dataset
    store: Store
    report: validate.Report | None = None


def sources(seeds: Path | load.Sources = SEEDS, display_root: str | None = None) -> load.Sources:
    return seeds if isinstance(seeds, load.Sources) else load.Sources.of(seeds, display_root)


def graph(seeds: Path | load.Sources = SEEDS, display_root: str | None = None) -> Built:
    """Load the seeds and map them to the asserted named graphs in memory (nothing written)."""
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


# ---------------------------------------------------------------- the scalable build

@dataclass
class Summary:
    """What ``kg build`` reports."""

    out: Path
    articles: int
    claims: Counter
    entities: int
    graphs: dict[str, int]              # graph IRI -> triples
    report: validate.Report
    cached: int
    rebuilt: int
    store: str = ""                     # what was done to the store: unchanged, updated (N graphs), rewritten
    dumps: str = ""                     # what was done to the dumps: unchanged, rewritten
    timings: dict[str, float] = field(default_factory=dict)
    record: dict | None = None          # what :func:`write_record` records once the build is committed
    finish: Callable[[], None] | None = None   # writes the dumps after the caller's commit (see finish_dumps)
    superseded: list = field(default_factory=list)   # (cache, key) of lines write_record deletes
    headers: tuple | None = None        # (cache, the articles' keys): the index of headers write_record keeps
    answers: "answers_mod.Filled | None" = None   # the canned queries' first pages kept with the store (kg.answers)

    @property
    def quads(self) -> int:
        return sum(self.graphs.values())

    @property
    def inferred(self) -> int:
        return self.graphs.get(str(iris.G.INFERRED), 0)


Progress = Callable[[str, int, int], None]


class _Clock:
    """Seconds per stage, for the summary and bench/scale.py."""

    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = self.laps.get(stage, 0.0) + now - self.t
        self.t = now


def _entity_groups(entities_graph: Triples) -> tuple[dict[str, list], list]:
    groups: dict[str, list] = {}
    common = []
    ns = shard.entity_ns()
    for t in entities_graph:
        s = str(t[0])
        if s.startswith(ns):
            groups.setdefault(s[len(ns):].split("/", 1)[0], []).append(t)
        else:
            common.append(t)
    return groups, common


def _context(src: load.Sources, cache: cachemod.Cache) -> tuple[shard.Context, Triples, dict, list[InputError]]:
    meta = load_dataset_meta(src.seeds / load.DATASET_FILE, f"{src.root}/{load.DATASET_FILE}")
    iris.configure(meta["base"])
    # the base IRI is in dataset.yaml's bytes too; named on its own so that no other base's fragments are reused
    base = cachemod.digest(shard.code_digest(), (src.seeds / load.DATASET_FILE).read_bytes(), "base", meta["base"])
    registry_key = cachemod.digest("registry", base, *(f"{d}\0{cache.files.sha256(p)}" for p, d in src.entity_files))
    entities, drafts, digests = _registry(src, cache, registry_key)
    st = Triplestore()   # the entities graph as a set of triples: an rdflib Graph's indexes cost 0.3 s at 10,000 articles
    mapper.map_entities(st, entities)
    eg = st.graph(iris.G.ENTITIES)
    groups, common = _entity_groups(eg)
    if digests is None or digests.keys() != groups.keys():
        digests = {e: cachemod.digest(*shard.nt_lines(ts)) for e, ts in groups.items()}
        cache.put_later(registry_key, load.registry_json(entities, drafts) | {"digests": digests}, {})
    ontology = Graph().parse(ONTOLOGY, format="turtle")
    ctx = shard.Context(src, entities, groups, digests, common, ontology,
                        shard.Meta(meta["title"], meta["version"], meta["creator"], meta["issued"], meta["base"]), base, cache)
    return ctx, eg, meta, drafts


def _registry(src: load.Sources, cache: cachemod.Cache, key: str) -> tuple[dict, list, dict | None]:
    """The registry's entries and drafts (``load.load_registry``), and each entry's digest (of its
    mapped triples), as a build before found them from the same registry files and code (cached:
    parsing 2,600 entries of YAML took 0.32 s of every ``kg add`` at 10,000 articles); digests None
    when they are to be made (and the entry then written, see ``_context``)."""
    entry = cache.meta(key)
    found = load.registry_of_json(entry) if entry is not None else None
    if found is not None and isinstance(entry.get("digests"), dict):
        return *found, entry["digests"]
    return *load.load_registry(src), None


def _work_one(ctx: shard.Context, key: str) -> tuple:
    """``shard.work`` of one article, in a process forked for it (see ``_assess``)."""
    shard.init_worker(ctx)
    return shard.work(key)


def _run_articles(ctx: shard.Context, keys: list[str], jobs: int, progress: Progress | None) -> list[tuple]:
    done = []
    if jobs <= 1 or len(keys) <= 1:
        shard.init(ctx)
        for i, key in enumerate(keys, 1):
            done.append(shard.work(key))
            if progress:
                progress("articles", i, len(keys))
        return done
    shard.init(ctx)
    # each worker runs shard.init(ctx) itself (configuring its dataset base); forked, so ctx is not pickled
    with multiprocessing.get_context("fork").Pool(jobs, shard.init_worker, (ctx,)) as pool:
        for i, res in enumerate(pool.imap_unordered(shard.work, keys, chunksize=max(1, min(16, len(keys) // (jobs * 8) or 1))), 1):
            done.append(res)
            if progress:
                progress("articles", i, len(keys))
    return done


def _nt_triples(lines) -> set:
    """rdflib triples of N-Triples lines, parsed by pyoxigraph (rdflib's parser took 30 times as long)."""
    data = "\n".join(lines).encode()
    if not data:
        return set()
    terms: dict = {}   # each distinct term made once: rdflib checks every IRI it is given (0.35 s of 120,000)

    def term(t):
        r = terms.get(t)
        if r is None:
            r = terms[t] = rdflib_term(t)
        return r
    return {(term(q.subject), term(q.predicate), term(q.object)) for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)}


@dataclass
class Assessment:
    """Everything a build knows before it writes: the validated, reasoned-over corpus."""

    ctx: shard.Context
    entities_graph: Triples   # the registry mapped (a set of rdflib triples)
    meta: dict
    articles: list[shard.ArticleMeta]
    additions: dict[str, Graph]
    turtle: list
    report: validate.Report
    _inferred: bytes | None        # None when the data does not conform or is inconsistent; else its N-Triples
    # lines (sorted and distinct, as the corpus-wide pass and the cache give them), parsed when first needed
    clashes: list[str]             # OWL RL inconsistencies, worded as owlrl words them
    rebuilt: int
    clock: "_Clock"
    tracer: validate.Tracer
    _provenance: "Provenance | None" = None
    pieces: bool = False           # whether the articles' own inferences are not in ``inferred`` but pieces of it
    whole_key: str = ""            # the digest of everything the build's outputs are made from
    drafts: list = field(default_factory=list)   # the registry's input errors (its entries marked draft)
    ox_shared: dict = field(default_factory=dict)  # graph name -> pyoxigraph triples, of the shared graphs converted
    _parsed: list | None = None    # ``inferred``, once parsed

    @property
    def inferred(self) -> list | None:
        """The inferred graph's triples that are not the articles' own pieces (parsed when first needed)."""
        if self._inferred is not None and self._parsed is None:
            self._parsed = [ox.Triple(q.subject, q.predicate, q.object)
                            for q in ox.parse(self._inferred, format=ox.RdfFormat.N_TRIPLES)]
        return self._parsed

    @property
    def inferred_nt(self) -> bytes | None:
        """The same triples' N-Triples lines, sorted and distinct (the bytes ``kg.publish.sorted_triples``
        serialised gives), without parsing them."""
        return self._inferred

    def provenance(self) -> "Provenance":
        """The provenance graph (made only when needed: an assessment whose whole-corpus results are
        cached, such as the seeds' that ``kg add`` subtracts, never needs it)."""
        if self._provenance is None:
            self._provenance = _provenance(self.ctx, self.articles, self.turtle)
        return self._provenance

    def where(self, iri: str) -> str:
        """The seed file (and line, where known) that produced ``iri``."""
        found = self.tracer.where(iri)
        if found or not iri.startswith(iris.base() + "article/"):
            return found
        key = iri[len(iris.base() + "article/"):].split("/", 1)[0]
        return self.ctx.src.annotations.get(key, (None, ""))[1]


def assess(src: load.Sources, cache: cachemod.Cache, jobs: int | None = None,
           progress: Progress | None = None, like: Assessment | None = None) -> Assessment:
    """Load, validate and reason over the corpus, each article from the cache where its inputs are
    unchanged and in the pool otherwise; input errors raise, nothing is written (but the cache).

    ``like``: an assessment of sources that differ from ``src`` in some articles and annotation
    files only, made with the same cache (``kg add`` assesses its overlay, then the seeds it
    subtracts); its registry and each article it read from the very same files are taken as they
    are, not loaded and looked up again.

    The registry, the ontology and what else is alive once they are loaded are frozen out of the
    cyclic garbage collector until the assessment ends (then handed back to it, so nothing is kept
    longer than it is referenced): its collections walked them all again for each batch of the
    lookups' garbage (10,000 lookups 1.07-1.15 s, frozen 0.87-0.89 s)."""
    try:
        return _assess(src, cache, jobs, progress, like)
    finally:
        gc.unfreeze()


def _assess(src: load.Sources, cache: cachemod.Cache, jobs: int | None, progress: Progress | None,
            like: Assessment | None) -> Assessment:
    clock = _Clock()
    reuse = like is not None and like.ctx.cache.dir == cache.dir and like.ctx.src.entity_files == src.entity_files
    if reuse:
        ctx = copy.copy(like.ctx)
        ctx.src, ctx.loader, ctx.repaired = src, load.ArticleLoader(src, ctx.entities), 0
        eg, meta, drafts = like.entities_graph, like.meta, like.drafts
        known = {m.key: m for m in like.articles}
    else:
        ctx, eg, meta, drafts = _context(src, cache)
        known = {}
    gc.freeze()
    clock.lap("registry")
    keys = sorted(src.annotations)
    metas: dict[str, shard.ArticleMeta] = {}
    todo = []
    # the first article the cache lacks is computed in a process of its own while the lookups go on
    # (a kg add's new article took 0.3 s, the 10,000 lookups 0.4 s), the others in the pool after them
    early, beside = None, (jobs or os.cpu_count() or 1) > 1 and len(keys) >= _BESIDE_FROM
    try:
        for key in keys:
            m = known.get(key)
            if m is not None and (like.ctx.src.annotations[key] != src.annotations[key]
                                  or like.ctx.src.articles.get(m.file) != src.articles.get(m.file)):
                m = None   # read from another file this time
            if m is None:
                m = shard.lookup(ctx, key)
            if m is not None:
                metas[key] = m
            elif beside and early is None:
                early = _Beside(_work_one, (ctx, key), True, f"computing article {key}")
            else:
                todo.append(key)
        done = [early.result()] if early is not None else []   # counted with the rebuilt below
    finally:
        if early is not None:
            early.close()
    errors: list[InputError] = list(drafts)
    clashes: list[str] = []
    counted = progress
    if done and progress is not None:   # the article computed beside the lookups is one of those done
        def counted(stage: str, i: int, n: int) -> None:
            progress(stage, i + len(done), n + len(done))
    for key, m, errs, clash in done + _run_articles(ctx, todo, jobs or os.cpu_count() or 1, counted):
        if m is not None:
            metas[key] = m
        errors.extend(InputError(*e) for e in errs)
        if clash:
            clashes.append(clash)
    cache.files.save()   # the files' digests, for the next build's lookups
    errors.extend(load.corpus_errors(src, [(m.file, src.annotations[k][1]) for k, m in sorted(metas.items())]))
    additions: dict[str, Graph] = {}
    tfs = load.load_turtle(src)
    for tf in tfs:
        g = Graph()
        for t in collect(errors, turtle.parse_untrusted, tf) or ():
            g.add(t)
        additions[tf.name] = g
    if not errors:
        errors.extend(turtle.combined_chain_errors(eg, [(tf, additions[tf.name]) for tf in tfs]))
    if errors:
        raise InputErrors(sorted(errors, key=lambda e: (e.pos.path, e.pos.line, e.pos.col)))
    cache.put_pending()   # the registry's entry (_context), now that the inputs are good
    ordered = [metas[k] for k in keys if k in metas]
    clock.lap("articles")

    key = _whole_key(ctx, src, ordered, tfs, clashes)
    known = ctx.cache.get(key)
    prov_parts, ox_shared, inferring = None, {}, None
    if known is None:
        pieces = not additions   # a curator addition may assert what an article infers: then one graph
        # the corpus-wide OWL RL pass runs beside the validation (on the other core, when there is one),
        # started before anything else the validation needs, and is used only if the corpus conforms
        prov_lines = _ProvenanceLines(ctx, ordered, tfs)
        inferring = None if clashes else _Beside(_infer, (ctx, eg, prov_lines, additions, ordered, pieces),
                                                 (jobs or os.cpu_count() or 1) > 1 and len(ordered) >= _BESIDE_FROM)
        prov_parts = prov = prov_lines.prov = _provenance(ctx, ordered, tfs)
    tracer = validate.Tracer()

    def trace() -> None:
        tracer.add_entities(ctx.entities.values())
        for tf in tfs:
            tracer.add_turtle(tf, additions[tf.name])
    if known is not None:   # the same corpus as a build before: its whole-corpus results
        trace()
        report, inferred, clashes, pieces = _whole_of_entry(*known)
        clock.lap("validate")
        clock.lap("infer")
    else:
        try:
            trace()
            # converted once, for the checks' store here and the store and dumps the build makes of them
            ox_shared = {str(iris.G.ONTOLOGY): ox_triples(ctx.ontology), str(iris.G.ENTITIES): ox_triples(eg)}
            report = _validate(ctx, eg, prov, additions, tfs, tracer, ordered, ox_shared)
            clock.lap("validate")
            inferred = None
            if report.conforms and inferring is not None:
                if inferring.proc is not None:   # while the other core reasons: what the store update needs
                    prov.sha256()                # (the provenance graph's N-Quads and their digest)
                try:
                    inferred = inferring.result()
                except InconsistencyError as exc:
                    clashes.append(str(exc))
        finally:
            if inferring is not None:
                inferring.close()
        clock.lap("infer")
        ctx.cache.put(key, {"results": [r.as_dict() for r in report.results], "clashes": clashes,
                            "inferred": inferred is not None, "pieces": pieces},
                      {"inferred": inferred or b""})
    return Assessment(ctx, eg, meta, ordered, additions, tfs, report, inferred, clashes, len(todo) + len(done), clock, tracer,
                      prov_parts, pieces, key, list(drafts), ox_shared)


_BESIDE_FROM = 200   # articles: below this, forking a process costs about what running beside it saves
_BESIDE: tuple | None = None   # what the forked process runs (inherited, never pickled)


def _beside_run(send) -> None:
    # what the child was forked with is read, never freed, here: out of the cyclic collector, which would
    # otherwise walk (and, writing its bookkeeping into each object, copy page by page) the parent's heap
    gc.freeze()
    f, args = _BESIDE
    try:
        send.send(("triples", f(*args)))
    except InconsistencyError as exc:
        send.send(("clash", str(exc)))
    except BaseException:   # a bug: told to the caller rather than lost in the child's stderr
        send.send(("error", traceback.format_exc()))
    finally:
        send.close()


class _Beside:
    """``f(*args)`` (anything picklable: the corpus-wide pass gives bytes) computed in a forked process
    while the caller goes on, or here when ``result`` is asked for if ``parallel`` is false; an inconsistency it finds is
    raised by ``result`` as an :class:`InconsistencyError` either way.  A process that dies without
    an answer (killed, out of memory) is an error, never a wait; ``close`` stops one still running."""

    def __init__(self, f, args: tuple, parallel: bool, what: str = "the corpus-wide OWL RL pass") -> None:
        global _BESIDE
        self.f, self.args, self.proc, self.recv, self.what = f, args, None, None, what
        if parallel:
            mp = multiprocessing.get_context("fork")
            self.recv, send = mp.Pipe(duplex=False)
            _BESIDE = (f, args)
            try:
                self.proc = mp.Process(target=_beside_run, args=(send,), daemon=True)
                self.proc.start()
            finally:
                _BESIDE = None
                send.close()   # the child's end: once it is gone, a read here ends instead of waiting

    def result(self):
        if self.proc is None:
            return self.f(*self.args)
        try:
            kind, value = self.recv.recv()
        except EOFError:
            raise KgError(f"{self.what} ended without an answer (its process was killed, "
                          "perhaps out of memory); build again, with --jobs 1 to run it in one process") from None
        if kind == "clash":
            raise InconsistencyError(value)
        if kind == "error":
            raise KgError(f"{self.what} failed:\n{value}")
        return value

    def close(self) -> None:
        if self.proc is not None:
            self.recv.close()
            if self.proc.is_alive():
                self.proc.terminate()
            self.proc.join()
            self.proc = None


@dataclass
class Provenance:
    """The provenance graph: the part that describes no article (rdflib triples, validated with the
    shared graphs) and the whole graph as N-Triples lines, each article's share taken from its cache
    header (made in rdflib for 10,000 articles, it took a second and a half, and as long again to
    convert for the store)."""

    common: set
    lines: list[str]                 # sorted, distinct
    _ox: list | None = None
    _nquads: bytes | None = None
    _sha256: str | None = None

    def ox(self) -> list:
        """The graph's pyoxigraph triples (parsed once, when first needed: for the dumps)."""
        if self._ox is None:
            data = "\n".join(self.lines).encode()
            self._ox = [ox.Triple(q.subject, q.predicate, q.object)
                        for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)] if data else []
        return self._ox

    def nquads(self) -> bytes:
        """Its N-Quads, as the store is loaded from them (made once)."""
        if self._nquads is None:
            self._nquads = publish.nquads_of_lines(str(iris.G.PROVENANCE), self.lines)
        return self._nquads

    def sha256(self) -> str:
        """The SHA-256 of its N-Quads (the store's digest of the graph), made once."""
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self.nquads()).hexdigest()
        return self._sha256

    def about(self, subjects) -> set:
        """Its rdflib triples whose subject is one of ``subjects``."""
        prefixes = tuple(f"<{s}> " for s in subjects)
        if not prefixes:
            return set()
        return _nt_triples([line for line in self.lines if line.startswith(prefixes)])


def _provenance(ctx: shard.Context, ordered, tfs) -> Provenance:
    common = _provenance_common(ctx, ordered, tfs)
    return Provenance(set(common), sorted(_provenance_set(common, ordered)))


def _provenance_common(ctx: shard.Context, ordered, tfs) -> Triples:
    common = Triples()
    provenance.describe_common(common, ctx.meta, [m.curator for m in ordered], [(tf.name, tf.sha256) for tf in tfs],
                               load.file_sha256(ctx.src.entity_files[0][0]), load.file_sha256(ONTOLOGY))
    return common


def _provenance_set(common, ordered) -> set[str]:
    lines = set(shard.nt_lines(common))
    for m in ordered:
        lines.update(m.provenance)
    return lines


class _ProvenanceLines:
    """The provenance graph's N-Triples lines as a set, for the corpus-wide OWL RL pass, which leaves
    out what the graph asserts: the assessment's :class:`Provenance` once it has one (the pass run
    inline), else made from the articles' headers (the pass forked before the assessment makes
    its own, which then runs on this core while the other reasons)."""

    def __init__(self, ctx: shard.Context, ordered, tfs) -> None:
        self.ctx, self.ordered, self.tfs, self.prov = ctx, ordered, tfs, None

    def __call__(self) -> set[str]:
        if self.prov is not None:
            return set(self.prov.lines)
        return _provenance_set(_provenance_common(self.ctx, self.ordered, self.tfs), self.ordered)

    def remove_from(self, lines: set[str]) -> None:
        """Take the provenance graph's lines out of ``lines`` (no set of them made)."""
        if self.prov is not None:
            lines.difference_update(self.prov.lines)
            return
        lines.difference_update(shard.nt_lines(_provenance_common(self.ctx, self.ordered, self.tfs)))
        for m in self.ordered:
            lines.difference_update(m.provenance)


def _whole_key(ctx: shard.Context, src: load.Sources, ordered, tfs, clashes: list[str]) -> str:
    """Everything the whole-corpus steps (validation of the shared graphs, OWL RL over the corpus)
    read: the code and project files, each registry file, each article's cached result and what
    it was computed from, each Turtle addition, and the per-article inconsistencies."""
    return cachemod.digest(
        "whole-corpus", ctx.base_key,
        *(f"{d}\0{load.file_sha256(p)}" for p, d in src.entity_files),
        *(m.whole_part for m in ordered),
        *(f"{tf.display}\0{tf.sha256}" for tf in tfs),
        *clashes)


def _whole_of_entry(meta: dict, parts: dict[str, bytes]) -> tuple[validate.Report, bytes | None, list[str], bool]:
    report = validate.Report([validate.Result.of_dict(r) for r in meta["results"]])
    return report, parts["inferred"] if meta["inferred"] else None, list(meta["clashes"]), bool(meta.get("pieces"))


def build(seeds: Path | load.Sources = SEEDS, out: Path = ROOT / "build", display_root: str | None = None,
          jobs: int | None = None, cache_dir: Path | None = None, progress: Progress | None = None,
          tx: journal.Transaction | None = None, assessed: Assessment | None = None) -> Summary:
    """Build the graph from the seeds into ``out``: validated, inferred, every dump and the store, atomically.

    The store and the dumps are staged, then switched in one journalled commit
    (:mod:`kg.journal`).  Given ``tx`` (``kg add``), they are staged into that
    transaction and the caller commits it, together with the seed files.  ``assessed`` is an
    assessment of sources with the same content (``kg add``'s of its overlay), used instead of
    assessing them again; it must have read the cache this build writes.
    """
    src = sources(seeds, display_root)
    a = assessed or assess(src, cachemod.Cache(cache_dir if cache_dir is not None else out / CACHE_DIR), jobs, progress)
    if not a.report.conforms:
        raise NotConforming(validate.render(a.report, validate.ReportFormat.TEXT).rstrip())
    if a.clashes:
        raise InconsistencyError(a.clashes[0])
    own = tx is None
    if own:
        journal.settle(out)
        record = _unchanged(out, a.whole_key)
        if record is not None:   # built from these very inputs, and nothing since touched what it wrote
            for stage in ("fragments", "store", "dumps"):
                a.clock.lap(stage)
            summary = _summary(a, out, record["shared"], "unchanged", "unchanged")
            keep_headers(summary)
            current = oxstore.current(out)
            summary.answers = answers_mod.fill(current, jobs)   # any missing (deleted, a killed kg add)
            a.clock.lap("answers")
            if oxstore.due(current):   # kg adds that updated it in place since it was compacted
                summary.store = _compact(summary, record, current)
                a.clock.lap("store")
            return summary
    ctx, eg, meta, ordered, additions, prov, clock = (
        a.ctx, a.entities_graph, a.meta, a.articles, a.additions, a.provenance(), a.clock)
    # parsed only where triples are needed: kg add's inferred graph is patched from its lines
    inferred = None if a.pieces else a.inferred

    # every graph's N-Quads now (the store is loaded from them); the other serialisations of the shared
    # graphs only when the dumps are written, which kg add does after its first commit
    inf = str(iris.G.INFERRED)
    # distinct triples (sorted where serialised); the provenance graph's N-Quads from its sorted lines,
    # its triples parsed only for the dumps (Provenance.ox)
    provenance_graph = str(iris.G.PROVENANCE)
    whole = {iris.G.ONTOLOGY: ctx.ontology, iris.G.ENTITIES: eg}
    whole |= {iris.G.addition(name): g for name, g in additions.items() if len(g)}
    triples_of = {str(n): a.ox_shared.get(str(n)) or ox_triples(g) for n, g in whole.items()}

    def triples(name: str) -> list:
        return prov.ox() if name == provenance_graph else triples_of[name]

    nqs = {n: publish.nquads(n, ts) for n, ts in triples_of.items()} | {provenance_graph: prov.nquads()}
    counts_of = {n: len(ts) for n, ts in triples_of.items()} | {provenance_graph: len(prov.lines)}
    pieced = None   # the inferred graph as the articles' own pieces and loose triples (see _Pieced)
    if a.pieces:
        pieced = _Pieced(ctx, inf, ordered, a.inferred_nt)
        counts_of[inf] = pieced.triples
    elif inferred:
        triples_of[inf] = publish.sorted_triples(inferred)
        nqs[inf], counts_of[inf] = publish.nquads(inf, triples_of[inf]), len(triples_of[inf])
    if not counts_of.get(inf, 1):   # nothing inferred: no inferred graph
        del counts_of[inf]
        nqs.pop(inf, None)
        pieced = None
    articles = {str(iris.G.article(m.key)): m for m in ordered}
    digests = {n: prov.sha256() if n == provenance_graph else hashlib.sha256(nq).hexdigest() for n, nq in nqs.items()} | {
        n: m.digest for n, m in articles.items()}
    if pieced is not None:
        digests[inf] = pieced.digest
    made: dict[str, publish.Fragment] = {}

    def shared_fragment(name: str) -> publish.Fragment:
        """A shared graph's every serialisation: the ontology's, the registry's and the additions' from
        the cache when a build before made them (they seldom change), the others made now."""
        if name not in made:
            key = cachemod.digest("shared-fragment", name, digests[name])
            kept = name not in (inf, str(iris.G.PROVENANCE))
            entry = ctx.cache.get(key) if kept else None
            if entry is not None and entry[0].get("graph") == name and entry[0].get("triples") == counts_of[name]:
                f = publish.Fragment.of_parts(name, counts_of[name], entry[1])
            elif name == inf and a.pieces:
                f = publish.merged(inf, [p for p in (_inferred_piece(ctx, m) for m in ordered) if p], a.inferred)
            else:
                f = publish.fragment(name, triples(name))
                if kept:
                    ctx.cache.put(key, {"graph": name, "triples": f.triples}, f.parts())
            by_pieces = name == inf and pieced is not None   # its digest names its pieces, not its bytes
            if (f.digest != digests[name] and not by_pieces) or f.triples != counts_of[name]:   # would be a bug
                raise KgError(f"graph <{name}>: its serialisations do not hold the N-Quads the store was loaded from")
            made[name] = f
        return made[name]

    def nq_of(name: str) -> bytes:
        if name == inf and pieced is not None:
            return pieced.nquads()
        return nqs[name] if name in nqs else shard.fragment(ctx, articles[name]).nq

    def fragment_of(name: str) -> publish.Fragment:
        return shared_fragment(name) if name in counts_of else shard.fragment(ctx, articles[name])

    def fragments():
        names = sorted(digests)
        for i, name in enumerate(names, 1):
            yield fragment_of(name)
            if progress:
                progress("dumps", i, len(names))

    def graph_stats() -> dict:
        """Each graph's share of void.ttl's statistics: the shared graphs' counted now, the articles'
        cached with their fragments (read by assembling the dumps, or here should one not have been)."""
        return {n: void.graph_stats(triples(n)) for n in counts_of if n != inf} | {
            n: shard.stats(ctx, m) for n, m in articles.items()}

    counts = counts_of | {n: m.quads for n, m in articles.items()}
    shared_counts = dict(counts_of)
    out.mkdir(parents=True, exist_ok=True)
    clock.lap("fragments")

    def write_dumps(tx: journal.Transaction, generation: Callable[[], Path]) -> dict:
        """Stage every dump into ``tx``; the record to write once it is committed."""
        staging = tx.staging(out)
        # the partitions, added up from each graph's; counted in the store generation the dumps
        # describe only should the graphs break what adding up rests on
        written = publish.assemble(out, fragments, str(iris.G.INFERRED), staging)
        stats = void.statistics(graph_stats(), lambda: void.statistics_of_store(ox.Store.read_only(str(generation()))))
        for m in articles.values():
            m.stats = None   # read again with the fragments, should the dumps be written again
        written[publish.Dump.CONTEXT] = publish.write_small(out, publish.Dump.CONTEXT, publish.context_bytes(), staging)
        written[publish.Dump.VOID] = publish.write_small(out, publish.Dump.VOID, void.describe(meta, counts, written, stats),
                                                         staging)
        written[publish.Dump.SUMS] = publish.write_small(out, publish.Dump.SUMS, publish.sums(written), staging)
        publish.commit(out, written, tx)
        tx.unlink(out / RECORD)   # written once the commit has put the files in place: see write_record
        return {"format": _RECORD_FORMAT, "key": a.whole_key,   # and the generation's name, once it is done
                "files": sorted(d.value for d in written), "shared": shared_counts}

    if own:
        tx = journal.Transaction(out)
    try:
        for name, nq in nqs.items():   # the lines the store is loaded from, for the next update's difference
            _keep_lines(ctx.cache, name, digests[name], nq)
        if pieced is not None:         # what the inferred graph is made of, for the next update's difference
            pieced.keep(ctx.cache)
        if provenance_graph in nqs:    # and the provenance graph, for the same
            _keep_provenance_state(ctx.cache, prov, ordered, digests[provenance_graph])
        tx.staging(out)
        before = oxstore.manifest(oxstore.current(out))   # the digests the lines kept for this store are under
        staged: dict = {}

        def dumps_beside(generation: Callable[[], Path]) -> None:
            """kg build: the dumps are staged while a fresh store loads (in another thread) and switch
            together with it; kg add writes them after its first commit (finish_dumps)."""
            t = time.perf_counter()
            staged["record"] = write_dumps(tx, generation)
            staged["seconds"] = time.perf_counter() - t
            # the canned queries' first pages, kept in the generation before it is switched to (kg.answers)
            staged["answers"] = answers_mod.fill(generation(), jobs)

        store_state = oxstore.update(out, digests, nq_of, tx, lambda name, d: _cached_lines(ctx.cache, name, d),
                                     lambda name, d: (pieced.patch(ctx.cache, d) if name == inf and pieced else
                                                      _provenance_patch(ctx.cache, prov, ordered, d)
                                                      if name == provenance_graph else None),
                                     beside=dumps_beside if own else None, compact=own)
        clock.lap("store")
        if own:   # the answers are computed once the store is done, after the dumps
            clock.laps["store"] -= staged["answers"].seconds
        if own and store_state != "rewritten":   # the dumps were written after the update, not beside a fresh load
            clock.laps["store"] -= staged["seconds"]
        if own:   # kg build: the store and the dumps switch together
            record = staged["record"] | {"generation": oxstore.staged(out, tx).name}
            tx.commit()
        else:     # kg add: the seeds and the store switch with the old dumps removed; finish_dumps writes them
            for dump in publish.Dump:
                tx.unlink(out / dump.value)
            tx.unlink(out / RECORD)
            record = None
    except BaseException:
        if own:
            tx.discard()
        raise
    summary = _summary(a, out, shared_counts, store_state, "rewritten" if own else "pending", record)
    # once committed, the lines the previous generation was loaded from are of no further use
    summary.superseded = [(ctx.cache, _lines_key(n, d) if n != inf else _Pieced.state_key(d)) for n, d in before.items()
                          if n in counts_of and digests.get(n) != d]
    if before.get(provenance_graph, digests.get(provenance_graph)) != digests.get(provenance_graph):
        summary.superseded.append((ctx.cache, _provenance_state_key(before[provenance_graph])))
    if own:
        write_record(summary)
        clock.lap("dumps")
        clock.laps["dumps"] += staged["seconds"]
        summary.answers = staged["answers"]
        clock.laps["answers"] = summary.answers.seconds
    else:
        summary.finish = lambda: _finish(summary, write_dumps)
    return summary


def finish_dumps(summary: Summary) -> None:
    """Write the dumps of a build staged into a caller's transaction (``kg add``), once that
    transaction has committed the seeds and the store: in a journalled commit of their own, then
    the build record.  Until they are in place the output holds no dump, ``SHA256SUMS`` or
    ``void.ttl`` at all, never an old one; killed before, the next ``kg build`` writes them."""
    if summary.finish is not None:
        summary.finish()


def _finish(summary: Summary, write_dumps) -> None:
    out, t = summary.out, time.perf_counter()
    summary.finish = None
    keep_headers(summary)   # the seeds and the store are committed: what the next build reads, before the dumps
    journal.crash_point("between-commits")
    # the canned queries' first pages for the store just switched to (kg.answers), computed in a process
    # of its own while this one writes the dumps (with two, they fought the dumps for the cores: at 10,000
    # articles the command took 85.6 s, with one 50.7 s); until they are kept, queries are evaluated as before
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kg-answers") as pool:
        updated = oxstore.current(out)
        answering = pool.submit(answers_mod.fill, updated, 1)
        with journal.Transaction(out) as tx:
            summary.record = write_dumps(tx, lambda: updated) | {"generation": updated.name}
            tx.commit()
        write_record(summary)
        summary.dumps = "rewritten"
        summary.timings["dumps"] = time.perf_counter() - t
        summary.answers = answering.result()
    if oxstore.due(updated):   # then the store compacted, with the first pages just kept (oxstore.compact)
        t = time.perf_counter()
        summary.store += ", then " + _compact(summary, summary.record, updated)
        summary.timings["compact"] = time.perf_counter() - t
    summary.timings["answers"] = summary.answers.seconds


def _compact(summary: Summary, record: dict, gen: Path) -> str:
    """Switch to a compacted copy of the current generation ``gen`` (:func:`kg.oxstore.compact`) in a commit
    of its own, and record it as the build's store (``record``: the build's record, whose files stay as
    they are); what was done, for the summary."""
    n = oxstore.updates(gen)
    with journal.Transaction(summary.out) as tx:
        compacted = oxstore.compact(summary.out, tx)
        tx.commit()
    summary.record = dict(record, files=sorted(record["files"]), generation=compacted.name)
    write_record(summary)
    return f"compacted (after {n} updates in place)"


def _summary(a: Assessment, out: Path, shared: dict[str, int], store_state: str, dumps: str,
             record: dict | None = None) -> Summary:
    claims = Counter()
    for m in a.articles:
        claims.update(m.claims)
    counts = shared | {str(iris.G.article(m.key)): m.quads for m in a.articles}
    rebuilt = a.rebuilt + a.ctx.repaired
    return Summary(out, len(a.articles), claims, len(a.ctx.entities), counts, a.report, len(a.articles) - rebuilt,
                   rebuilt, store=store_state, dumps=dumps, timings=a.clock.laps, record=record,
                   headers=(a.ctx.cache, [m.digest for m in a.articles]))


def _stat(path: Path | str) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def write_record(summary: Summary) -> None:
    """Record, once the commit that wrote them is done, the key of the inputs the build was made
    from and every file it wrote as it now lies on disk: its size, modification and change times
    and inode, the figures make and git tell an untouched file by (any write, rename, ``chmod`` or
    ``touch`` changes the change time).  The record is only ever a reason to skip work: missing,
    damaged or not matching, the next build writes everything again."""
    for cache, key in summary.superseded:   # a shared graph's N-Quads lines for a generation now gone
        cache.delete(key)
    summary.superseded = []
    keep_headers(summary)
    if summary.record is None:
        return
    out = summary.out
    record = dict(summary.record, files={name: _stat(out / name) for name in summary.record["files"]})
    publish.replace_files({out / RECORD: json.dumps(record, sort_keys=True).encode() + b"\n"})


def keep_headers(summary: Summary) -> None:
    """What the next build reads to be quick, written after the commit, so that a kg add makes its
    article queryable first: the shared graphs' N-Quads lines that the store was loaded from
    (``_keep_lines``) and the articles' headers into the cache's index (kg.cache).  A process killed
    before leaves the next build slower, not wrong: a graph without its lines is loaded afresh, an
    article without its header read from its entry."""
    if summary.headers is not None:
        cache, keys = summary.headers
        summary.headers = None
        cache.put_pending()
        cache.save_index(keys)


def _unchanged(out: Path, key: str) -> dict | None:
    """The record of the build in ``out`` if it was made from inputs of digest ``key`` and every file it
    wrote is still there as it left it (size, modification and change times, inode: see write_record),
    no other dump is beside them, and the store is the generation it switched to; else None."""
    try:
        record = json.loads((out / RECORD).read_bytes())
        if (record.get("format") != _RECORD_FORMAT or record.get("key") != key
                or not isinstance(record.get("shared"), dict)):
            return None
        gen = oxstore.current(out)
        if gen is None or gen.name != record.get("generation") or not (gen / oxstore.MANIFEST).is_file():
            return None
        files = record["files"]
        if {d.value for d in publish.Dump if (out / d.value).exists()} != set(files):
            return None
        if any(_stat(out / name) != st for name, st in files.items()):
            return None
        return record
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        return None


def _inferred_piece(ctx: shard.Context, m: shard.ArticleMeta) -> publish.Piece | None:
    """An article's own inferences as a piece of the inferred graph, placed by the span its header
    holds, from the cache entry its computation wrote beside its fragments (computed again, as a
    damaged fragment is, if that entry is damaged)."""
    if not m.own:
        return None

    def parts() -> dict[str, bytes]:
        return shard.piece_of(ctx, m)[0]   # the lines not kept: a dump reads every article's piece

    def triples() -> list[ox.Triple]:
        return [ox.Triple(t.subject, t.predicate, t.object) for t in
                ox.parse("\n".join(shard.own_lines(ctx, m)).encode(), format=ox.RdfFormat.N_TRIPLES)]
    count, first, last, low, high = m.own
    return publish.Piece(first, last, low, high, count, parts, triples)


class _Pieced:
    """The inferred graph as the union of every article's own inferences (the N-Triples lines its
    header holds; their subjects are the article's own resources) and the loose triples the
    whole-corpus pass makes, held without being put together.

    Its digest names the articles (by cache key) and the loose triples' lines, so the next update
    of the store finds, under that digest, what the current generation's inferred graph is made
    of and changes the graph by the difference: the lines of the articles added, changed or
    removed and of the loose triples, with no N-Quads of the whole graph made, kept or compared
    (at 10,000 articles they are 300 MB). The N-Quads are made only for a fresh load."""

    def __init__(self, ctx: shard.Context, graph: str, ordered, loose: list | bytes | None) -> None:
        """``loose``: the loose triples, or their N-Triples lines sorted and distinct (as ``_sorted_nt`` makes them)."""
        self.ctx, self.graph, self.base = ctx, graph, iris.base() + "article/"
        self.metas = {m.key: m for m in ordered if m.own}
        data = loose if isinstance(loose, bytes) else _sorted_nt(loose or [])
        self.loose_nt = data
        self.loose = {line for line in data.decode().split("\n") if line}
        self._own: dict[str, set] = {}
        self.digest = cachemod.digest("inferred-graph", hashlib.sha256(data).hexdigest(),
                                      *(f"{k}\0{m.digest}" for k, m in sorted(self.metas.items())))
        self.triples = sum(m.own[0] for m in self.metas.values()) + sum(
            1 for line in self.loose if not self._in_own(line))

    @staticmethod
    def state_key(digest: str) -> str:
        return cachemod.digest("inferred-state", digest)

    def owner(self, line: str) -> str | None:
        """The article whose own resource the line's subject is (as kg.shard.compute tells them)."""
        if not line.startswith("<" + self.base):
            return None
        rest = line[len(self.base) + 1:line.index(">")]
        return rest.split("/", 1)[0]

    def own(self, key: str) -> set:
        if key not in self._own:
            self._own[key] = set(shard.own_lines(self.ctx, self.metas[key])) if key in self.metas else set()
        return self._own[key]

    def _in_own(self, line: str) -> bool:
        key = self.owner(line)
        return key is not None and line in self.own(key)

    def holds(self, line: str) -> bool:
        return line in self.loose or self._in_own(line)

    def nquads(self) -> bytes:
        """The graph's N-Quads, for a fresh load: put together from every piece's lines."""
        loose = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(self.loose_nt, format=ox.RdfFormat.N_TRIPLES)]
        return publish.merged_nquads(self.graph, [shard.own_lines(self.ctx, m) for m in self.metas.values()], loose)[0]

    def keep(self, cache: cachemod.Cache) -> None:
        """What the graph is made of, for the next update's difference: written once the build's
        commit is done (``cache.put_pending`` in ``keep_headers``), as the shared graphs' lines are."""
        key = self.state_key(self.digest)
        if cache.meta(key) is None:
            cache.put_later(key, {"graph": self.graph, "articles": {k: m.digest for k, m in sorted(self.metas.items())}},
                            {"loose": self.loose_nt})

    def patch(self, cache: cachemod.Cache, old_digest: str) -> tuple[bytes, bytes] | None:
        """(the N-Quads lines to remove, those to add) that make the inferred graph of digest
        ``old_digest`` this one, or None if the cache no longer tells what that graph was made of."""
        entry = cache.get(self.state_key(old_digest))
        if entry is None or entry[0].get("graph") != self.graph or not isinstance(entry[0].get("articles"), dict):
            return None
        old_map, loose_nt = entry[0]["articles"], entry[1].get("loose", b"")
        if cachemod.digest("inferred-graph", hashlib.sha256(loose_nt).hexdigest(),
                           *(f"{k}\0{d}" for k, d in sorted(old_map.items()))) != old_digest:
            return None
        old_loose = {line for line in loose_nt.decode().split("\n") if line}
        come = self.loose - old_loose
        candidates = old_loose - self.loose
        for key, m in self.metas.items():
            if old_map.get(key) != m.digest:
                come |= self.own(key)
        for key, d in old_map.items():
            if key not in self.metas or self.metas[key].digest != d:
                header = cache.meta(d)   # the article as the current generation holds it
                if header is None or header.get("key") != key or not isinstance(header.get("own"), list):
                    return None
                if header["own"]:
                    lines = shard.piece_lines(cache.get(shard.piece_key(d)), key, header["own"])
                    if lines is None:
                        return None
                    candidates.update(lines)
        gone = {line for line in candidates if not self.holds(line)}
        if gone:   # a kept line that is one stored quad with a removed one goes back in (see oxstore._patch)
            keys = {tuple(line.split(" ", 2)[:2]) for line in gone}
            for line in self.loose:
                if tuple(line.split(" ", 2)[:2]) in keys:
                    come.add(line)
            for key in {self.owner(line) for line in gone} - {None}:
                come.update(line for line in self.own(key) if tuple(line.split(" ", 2)[:2]) in keys)
        suffix = f"<{self.graph}> .\n"
        return (
            "".join(line[:-1] + suffix for line in sorted(gone)).encode(),
            "".join(line[:-1] + suffix for line in sorted(come)).encode(),
        )


def _lines_key(name: str, digest: str) -> str:
    return cachemod.digest("graph-lines", name, digest)


def _keep_lines(cache: cachemod.Cache, name: str, digest: str, nq: bytes) -> None:
    """A shared graph's N-Quads kept in the cache for the next update's difference: written once the
    build's commit is done (``keep_headers``), not before it (the provenance graph's, 15 MB at 10,000
    articles, took 0.16 s of the time until a ``kg add`` is queryable)."""
    key = _lines_key(name, digest)
    if cache.meta(key) is None:
        cache.put_later(key, {"graph": name}, {"nq": nq})


def _provenance_state_key(digest: str) -> str:
    return cachemod.digest("provenance-state", digest)


def _keep_provenance_state(cache: cachemod.Cache, prov: Provenance, ordered, digest: str) -> None:
    """What the provenance graph of ``digest`` is made of (its common lines and each article's digest,
    whose header holds the article's lines), for the next store update's difference
    (``_provenance_patch``); written after the commit, as the shared graphs' lines are."""
    key = _provenance_state_key(digest)
    if cache.meta(key) is None:
        cache.put_later(key, {"graph": str(iris.G.PROVENANCE), "common": shard.nt_lines(prov.common),
                              "articles": {m.key: m.digest for m in ordered}}, {})


def _provenance_patch(cache: cachemod.Cache, prov: Provenance, ordered, old_digest: str) -> tuple[bytes, bytes] | None:
    """(the N-Quads lines to remove, those to add) that make the provenance graph of ``old_digest`` this
    one, from what changed: its common lines and the lines of the articles added, changed or removed
    (their headers), not a difference of the whole graph's 140,000 lines at 10,000 articles (0.17 s of
    every ``kg add``).  A line of the old parts is gone if the new graph (its sorted lines) lacks it;
    every line of the new parts is added (adding a quad the store holds changes nothing); a kept line
    with the subject and predicate of a gone one is added again, as in ``kg.oxstore._patch``.  None
    (the whole difference is taken) when the cache no longer tells what the old graph was made of."""
    state = cache.meta(_provenance_state_key(old_digest))
    if (state is None or state.get("graph") != str(iris.G.PROVENANCE) or not isinstance(state.get("common"), list)
            or not isinstance(state.get("articles"), dict)):
        return None
    old_map, new_map = state["articles"], {m.key: m for m in ordered}
    candidates = set(state["common"])
    for key, d in old_map.items():
        if key not in new_map or new_map[key].digest != d:
            header = cache.meta(d)   # the article as the current generation holds it
            if header is None or header.get("key") != key or not isinstance(header.get("provenance"), list):
                return None
            candidates.update(header["provenance"])
    come = set(shard.nt_lines(prov.common))
    for key, m in new_map.items():
        if old_map.get(key) != m.digest:
            come.update(m.provenance)
    lines = prov.lines

    def held(line: str) -> bool:
        i = bisect.bisect_left(lines, line)
        return i < len(lines) and lines[i] == line

    gone = sorted(line for line in candidates if not held(line))
    for sp in {line.split(" ", 2)[0] + " " + line.split(" ", 2)[1] + " " for line in gone}:
        i = bisect.bisect_left(lines, sp)
        while i < len(lines) and lines[i].startswith(sp):
            come.add(lines[i])
            i += 1
    graph = str(iris.G.PROVENANCE)
    return publish.nquads_of_lines(graph, gone), publish.nquads_of_lines(graph, sorted(come))


def _cached_lines(cache: cachemod.Cache, name: str, digest: str) -> bytes | None:
    """A shared graph's N-Quads lines as a build before stored them, if the cache has them intact."""
    entry = cache.get(_lines_key(name, digest))
    if entry is None or entry[0].get("graph") != name or hashlib.sha256(entry[1].get("nq", b"")).hexdigest() != digest:
        return None
    return entry[1]["nq"]


def _validate(ctx, eg, prov: Provenance, additions, tfs, tracer, ordered, ox_shared: dict) -> validate.Report:
    """Per-article results (cached) together with the checks of what is shared: the registry, the
    provenance graph's common part and the curator additions, validated with the ontology and the
    article graphs the additions name (with those articles' provenance).  The provenance of the
    other articles is not in it: each article's was checked with the article, and the checks
    here look at the graphs in the store (held to the whole-graph reference in tests/test_scale.py);
    loading all of it cost 0.6 s of every ``kg add`` at 10,000 articles.

    The shared checks' results are cached under a key of everything they read (``_shared_key``):
    adding an article by a curator the corpus already has changes none of it, and checking it all
    again took 0.45 s of such a ``kg add`` at 10,000 articles."""
    per_article = validate.Report([validate.Result.of_dict(r) for m in ordered for r in m.results])
    touched = _touched(ctx, additions, ordered)
    key = _shared_key(ctx, prov, tfs, [m for m in ordered if iris.G.article(m.key) in touched])
    entry = ctx.cache.meta(key)
    if entry is not None and isinstance(entry.get("results"), list):
        try:
            return validate.merged([validate.Report([validate.Result.of_dict(r) for r in entry["results"]]), per_article])
        except (KeyError, TypeError, ValueError):
            pass   # not an entry this code wrote: checked again below
    shared = _shared_checks(ctx, eg, prov, additions, tracer, ordered, ox_shared, touched)
    ctx.cache.put(key, {"results": [r.as_dict() for r in shared.results]}, {})
    return validate.merged([shared, per_article])


def _shared_key(ctx, prov: Provenance, tfs, touched: list) -> str:
    """What the shared checks read: the code, shapes, checks and ontology (in ``base_key``), the
    engine, each registry file (the entities graph and the places the results name), each Turtle
    addition, the provenance graph's common part, and each article an addition names."""
    return cachemod.digest(
        "shared-checks", ctx.base_key, validate.engine().value,
        *(f"{d}\0{load.file_sha256(p)}" for p, d in ctx.src.entity_files),
        *(f"{tf.display}\0{tf.sha256}" for tf in tfs),
        "provenance", *shard.nt_lines(prov.common),
        "touched", *(f"{m.key}\0{m.whole_part}" for m in touched))


def _shared_checks(ctx, eg, prov: Provenance, additions, tracer, ordered, ox_shared: dict, touched: dict) -> validate.Report:
    # the union of the parts is validated without being built (38,000 rdflib adds: 0.8 s at 10,000 articles)
    shacl, _ = validate.shacl([ctx.ontology, eg, *additions.values(), *touched.values(), prov.common,
                               prov.about(touched)], tracer)
    graphs = {**ox_shared, **{str(n): ox_triples(g) for n, g in touched.items()}}
    graphs.update({str(iris.G.addition(n)): ox_triples(g) for n, g in additions.items()})
    names = {str(n) for n in touched}
    lines = set(shard.nt_lines(prov.common))
    for m in ordered:
        if str(iris.G.article(m.key)) in names:
            lines.update(m.provenance)
    checks = validate.run_checks(shard.store_of(graphs, publish.nquads_of_lines(str(iris.G.PROVENANCE), sorted(lines))),
                                 tracer)
    return validate.merged([shacl, checks])


def _touched(ctx, additions: dict[str, Graph], ordered) -> dict:
    """The article graphs a curator addition says something about (validated with it)."""
    prefix = iris.base() + "article/"
    keys = {str(term)[len(prefix):].split("/", 1)[0]
            for g in additions.values() for t in g for term in (t[0], t[2]) if str(term).startswith(prefix)}
    out = {}
    for m in ordered:
        if m.key in keys:
            g = Graph()
            for q in ox.parse(shard.fragment(ctx, m).nq, format=ox.RdfFormat.N_QUADS):
                g.add((rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object)))
            out[iris.G.article(m.key)] = g
    return out


def _infer(ctx, eg, prov_lines: Callable[[], set[str]], additions, ordered, pieces: bool = False) -> bytes:
    """The inferred graph, as N-Triples lines sorted and distinct (see ``_sorted_nt``; sent as they are
    from the process beside, and patched into the store as lines): each article's own inferences
    (unless ``pieces``: then they are cached pieces of it, see :func:`kg.publish.merged`), plus the
    closure of the registry, the additions and what the articles let the reasoner conclude about
    shared resources."""
    if pieces and infer.engine() is infer.Engine.NATIVE:
        found = _infer_keys(ctx, eg, prov_lines, ordered)
        if found is not None:
            return found
    # on sets of triples, as an article's closure is (tests/test_infer_sets.py holds it equal to a graph's)
    shared = _nt_triples({line for m in ordered for line in m.inferred_shared})
    given = infer.reasoner_triples(ctx.ontology, [eg, shared, *additions.values()], ctx.reasoned)
    closed = infer.close(given)
    asserted = set(eg) | set(ctx.ontology)
    for g in additions.values():
        asserted |= set(g)
    whole = {t for t in infer.new_triples(closed, given) if t not in asserted}
    whole |= {t for t in shared if t not in asserted}
    triples = ox_triples(whole)
    kept = []   # what the provenance graph asserts is left out too, compared as N-Triples lines
    if triples:
        in_provenance = prov_lines()
        lines = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode().split("\n")   # one a triple, in order
        kept = [(t, line) for t, line in zip(triples, lines) if line not in in_provenance]
    if pieces:   # the lines already made, not the triples serialised again (distinct: ``whole`` is a set)
        return "".join(f"{line}\n" for line in sorted({line for _, line in kept})).encode()
    triples = [t for t, _ in kept]
    own = "\n".join(line for m in ordered for line in shard.own_lines(ctx, m)).encode()
    if own:
        added = {ox_triple for ox_triple in ox_triples(asserted)} if additions else set()
        triples.extend(t for t in (ox.Triple(q.subject, q.predicate, q.object)
                                   for q in ox.parse(own, format=ox.RdfFormat.N_TRIPLES)) if t not in added)
    return _sorted_nt(triples)


def _infer_keys(ctx, eg, prov_lines: Callable[[], set[str]], ordered) -> bytes | None:
    """:func:`_infer`'s answer (no curator additions, the native engine) with every term held as
    ``kg.rl``'s key rather than an rdflib term: the articles' shared lines that are three IRIs (all but
    a few) split as they are, and the lines of three IRIs written again from their keys, as pyoxigraph
    writes an IRI (between angle brackets, as it is); only the other lines (a literal, a blank node)
    go through rdflib terms and pyoxigraph, as :func:`_infer` takes them all.  None where this cannot
    give that answer (the engine steps aside, an inconsistency to word, a rule that is no plain
    pattern): then :func:`_infer` reasons as before.  At 10,000 articles the pass took 1.0 s, of which
    making and serialising rdflib terms was about half (``tests/test_scale.py`` holds the two equal)."""
    lines = {line for m in ordered for line in m.inferred_shared}
    shared, odd = [], []
    match = _THREE_IRIS.fullmatch
    for line in lines:
        found = match(line)
        if found is not None:
            shared.append(found.groups())
        else:
            odd.append(line)
    terms: dict = {}   # key -> the rdflib term it stands for, for what is no IRI

    def keyed(triples) -> list:
        out = []
        iri, plain = URIRef, str.__str__
        for t in triples:
            s, p, o = t
            if type(s) is iri and type(p) is iri and type(o) is iri:
                out.append((plain(s), plain(p), plain(o)))
                continue
            k = tuple(rl._key(x) for x in t)
            for key, x in zip(k, t):
                if type(key) is not str:
                    terms[key] = x
            out.append(k)
        return out
    shared += keyed(_nt_triples(odd))
    reasoned = {str(p) for p in ctx.reasoned}
    ontology = keyed(ctx.ontology)
    # the entities graph's triples as the context holds them, each entry's and the rest (_entity_groups
    # parts it exactly): read from lists, not from the rdflib graph's index
    entities = keyed([t for ts in ctx.entity_triples.values() for t in ts] + list(ctx.common_triples)) \
        if len(eg) == sum(map(len, ctx.entity_triples.values())) + len(ctx.common_triples) else keyed(eg)
    given = set(ontology)
    given.update(t for t in entities if t[1] in reasoned)
    given.update(t for t in shared if t[1] in reasoned)
    try:
        closed = set(given)
        closed.update(rl.key_conclusions(given))
    except rl.Unsupported:
        return None
    if infer.clashes(closed):
        return None   # worded by the reference path, which raises it
    new = infer.new_key_triples(closed, given)
    if new is None:
        return None
    asserted = set(entities) | set(ontology)
    whole = {t for t in new if t not in asserted}
    whole.update(t for t in shared if t not in asserted)
    out, rest = set(), []
    for t in whole:
        if type(t[0]) is str and type(t[1]) is str and type(t[2]) is str:
            out.add(f"<{t[0]}> <{t[1]}> <{t[2]}> .")
        else:
            rest.append(tuple(terms[k] if k in terms else rl._term(k) for k in t))
    if rest:
        out.update(line for line in ox.serialize(ox_triples(rest), format=ox.RdfFormat.N_TRIPLES).decode().split("\n")
                   if line)
    prov_lines.remove_from(out)
    return ("\n".join(sorted(out)) + "\n").encode() if out else b""


# a line of three IRIs as pyoxigraph writes it, each as it is between its brackets (an IRI holds no space,
# bracket, quote or backslash: one that needed an escape is not of this form, and is parsed instead)
_THREE_IRIS = re.compile(r'<([^ <>"\\]*)> <([^ <>"\\]*)> <([^ <>"\\]*)> \.')


def _sorted_nt(triples) -> bytes:
    """The N-Triples of distinct triples, lines sorted: the bytes ``ox.serialize(publish.sorted_triples(triples))``
    gives (distinct triples are distinct lines, see ``publish.sorted_triples``)."""
    if not triples:
        return b""
    lines = set(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).split(b"\n"))
    lines.discard(b"")
    return b"".join(line + b"\n" for line in sorted(lines))
