"""One article's share of the build: load, map, provenance, validate, infer, serialise.

An article's results are a pure function of its text, its annotation file, the
registry entries it names, the ontology, shapes, checks, rules, the dataset
description and the code, so they are cached under that key (``kg.cache``) and
computed in a process pool.  The context an article is validated and reasoned
with is the ontology plus the registry entries it names; results are kept only
for the resources the article owns (its node, claims and annotations, its named
graph and source files).  What an article lets the reasoner conclude about
anything else (an entity's type from a property range, an inverse link) is
returned as *shared* inferences, which the whole-corpus step reasons over once.
"""

from __future__ import annotations

import functools
import gc
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from . import cache as cachemod, infer, iris, load, map as mapper, provenance, publish, validate, void
from .errors import InconsistencyError, InputError, InputErrors, KgError
from .model import Entity
from .store import Triples, Triplestore, ox_triples

def entity_ns() -> str:
    """The registry's namespace under the dataset base in force."""
    return iris.base() + "entity/"
CODE = Path(__file__).resolve().parent
ROOT = CODE.parent


def code_digest() -> str:
    """The code and the project files that shape an article's results."""
    files = sorted(CODE.glob("*.py")) + [ROOT / "ontology" / "hrr.ttl", ROOT / "ontology" / "shapes.ttl"]
    files += sorted((ROOT / "ontology" / "rules").glob("*.rq")) + sorted((ROOT / "queries" / "checks").glob("*.rq"))
    return cachemod.digest(*(f"{f.relative_to(ROOT)}\0".encode() + f.read_bytes() for f in files))


@dataclass
class Meta:
    """The dataset description fields an article's provenance uses."""

    title: str
    version: str
    creator: str
    issued: str
    base: str                             # the dataset base every IRI is minted under


@dataclass
class Context:
    """What every worker shares (built once in the parent, inherited by forked workers)."""

    src: load.Sources
    entities: dict[str, Entity]
    entity_triples: dict[str, list]       # entity id -> rdflib triples about it and its positions
    entity_digests: dict[str, str]        # entity id -> digest of those triples
    common_triples: list                  # the issue scheme and other registry-wide nodes
    ontology: Graph
    meta: Meta
    base_key: str                         # code, ontology, shapes, rules, checks, dataset description
    cache: cachemod.Cache
    reasoned: set = field(default_factory=set)
    ontology_triples: list = field(default_factory=list)   # what of the ontology an article is reasoned with
    skeleton: Graph | None = None
    loader: load.ArticleLoader | None = None
    repaired: int = 0                     # articles whose cached fragments were damaged and made again
    entailed: dict = field(default_factory=dict)   # (entity id, digest, reasoner) -> what it entails alone

    def __post_init__(self) -> None:
        self.reasoned = infer.reasoned_properties(self.ontology)
        self.ontology_triples = infer.axioms(self.ontology, self.reasoned)
        self.skeleton = skeleton(self.ontology)
        self.loader = load.ArticleLoader(self.src, self.entities)


def skeleton(ontology: Graph) -> Graph:
    """What of the ontology SHACL needs to judge an article: the class hierarchy (``sh:class``
    follows ``rdfs:subClassOf``) and the types of its individuals (factualities, media …).
    Labels, comments and property axioms would only add focus nodes whose results are not
    the article's (the ontology itself is validated once, in the whole-corpus step)."""
    g = Graph()
    for t in ontology.triples((None, RDFS.subClassOf, None)):
        g.add(t)
    classes = set(ontology.subjects(RDF.type, OWL.Class)) | set(ontology.subjects(RDF.type, RDFS.Class))
    for s, p, o in ontology.triples((None, RDF.type, None)):
        if s not in classes and not str(o).startswith(str(OWL)) and o != RDF.Property:
            g.add((s, p, o))
    return g


@dataclass
class ArticleMeta:
    """A cached article's summary: what the whole-corpus steps need, without its fragments."""

    key: str
    file: str
    sha256: str
    annotation_sha256: str
    curator: str
    annotated_on: str
    claims: dict[str, int]
    quads: int
    entities: dict[str, str]              # referenced entity id -> its digest when computed
    results: list[dict]
    own: list                             # its own inferences' span: see own_span ([] when there are none)
    inferred_shared: list[str]            # N-Triples lines about anything else, but what its entities entail alone
    provenance: list[str]                 # N-Triples lines of its share of the provenance graph (sorted)
    digest: str = ""                      # the cache key
    # Not in the header, which every lookup reads; held when computed in this process, otherwise read
    # when first needed. The N-Triples lines about the article's own resources (over half of the
    # header, once): from the piece of the inferred graph cached beside the fragments (own_lines).
    inferred_own: list[str] | None = None
    # The article graph's share of void.ttl (void.graph_stats; a fifth of the header, once): a part of
    # the fragments' entry, read with them (fragment).
    stats: dict | None = None

    _LAZY = ("inferred_own", "stats")

    @functools.cached_property
    def whole_part(self) -> str:
        """Its share of the whole-corpus key (made once: ``kg add`` makes two keys of one set of metas)."""
        # entity ids (kg.registry.ID_RE) and digests (hex) hold neither separator
        return f"{self.digest}\0{self.sha256}\0" + "\0".join(f"{e}\1{d}" for e, d in sorted(self.entities.items()))

    def as_dict(self) -> dict:
        """The header: every field but those read when needed."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in self._LAZY}

    @classmethod
    def of_dict(cls, d: dict) -> "ArticleMeta | None":
        """The meta of a header, or None if it is not one (fields missing or unknown)."""
        if set(d) != set(cls.__dataclass_fields__) - set(cls._LAZY):
            return None
        return cls(**d)


def own_span(lines: list[str]) -> list:
    """What placing an article's own inferences in the inferred graph needs without their lines
    (kg.publish.Piece): [count, first and last subject in N-Triples order, least and greatest IRI]."""
    if not lines:
        return []
    raw = sorted({line[1:line.index(" ") - 1] for line in lines})
    return [len(lines), lines[0][:lines[0].index(" ")], lines[-1][:lines[-1].index(" ")], raw[0], raw[-1]]


def piece_key(digest: str) -> str:
    """The cache key of the article's own inferences, apart from its fragments and its header."""
    return cachemod.digest("inferred-piece", digest)


def piece_lines(entry: tuple[dict, dict[str, bytes]] | None, key: str, span: list) -> list[str] | None:
    """An article's own inference lines from its cached piece (whose N-Quads hold them, in the inferred
    graph), or None if the entry is not that article's or does not hold what its header says."""
    if entry is None or entry[0].get("article") != key:
        return None
    suffix = f" <{iris.G.INFERRED}> ."
    nq = entry[1].get("nq", b"").decode()
    if not nq.endswith("\n"):
        return None
    quads = nq[:-1].split("\n")
    if not all(q.endswith(suffix) for q in quads):
        return None
    lines = sorted(q[:-len(suffix)] + " ." for q in quads)   # kg.publish.merged_nquads's lines, the other way
    if own_span(lines) != span:
        return None
    return lines


def piece_of(ctx: "Context", meta: ArticleMeta) -> tuple[dict[str, bytes], list[str]]:
    """The article's cached piece of the inferred graph (its serialisations) and its own inference
    lines, checked against the header's span; computed again, once, should the entry be damaged."""
    for attempt in (1, 2):
        entry = ctx.cache.get(piece_key(meta.digest))
        lines = piece_lines(entry, meta.key, meta.own)
        if lines is not None:
            return entry[1], lines
        if attempt == 1:
            _repair(ctx, meta, lambda: piece_lines(ctx.cache.get(piece_key(meta.digest)), meta.key, meta.own) is None)
    raise KgError(f"the build cache lost the inferences of article {meta.key} while building; build again")


_REPAIRING = threading.Lock()


def _repair(ctx: "Context", meta: ArticleMeta, damaged: Callable[[], bool]) -> None:
    """Compute an article again whose cached entry was found damaged, once: the store's loader and the
    dumps read entries at the same time (kg.oxstore.update), and the other may have mended it meanwhile."""
    with _REPAIRING:
        if damaged():
            compute(ctx, meta.key)
            ctx.repaired += 1


def own_lines(ctx: "Context", meta: ArticleMeta) -> list[str]:
    """The article's own inference lines (sorted, distinct, without line ends): from memory when
    computed here, else from its cached piece (and then kept on ``meta``)."""
    if meta.inferred_own is None:
        meta.inferred_own = piece_of(ctx, meta)[1] if meta.own else []
    return meta.inferred_own


def first_key(ctx: Context, key: str) -> str:
    """The cache key: the annotation file's bytes, not where it lies or how messages name it (a
    curator's file that ``kg add`` validates and the same file once in the seeds share a result);
    and the SHACL engine (a run with the reference engine, ``KG_SHACL=pyshacl``, must not take its
    results from the native engine's entries)."""
    path, _ = ctx.src.annotations[key]
    return cachemod.digest(ctx.base_key, validate.engine().value, key, "sha256", ctx.cache.files.sha256(path))


_HERE = "\0"   # in a cached result's `where`: the annotation file, however it is named this time


def _portable(results: list[dict], display: str) -> list[dict]:
    out = []
    for r in results:
        w = r["where"]
        out.append(dict(r, where=_HERE + w[len(display):]) if w == display or w.startswith(display + ":") else r)
    return out


def _placed(results: list[dict], display: str) -> list[dict]:
    return [dict(r, where=display + r["where"][1:]) if r["where"].startswith(_HERE) else r for r in results]


def lookup(ctx: Context, key: str) -> ArticleMeta | None:
    """The cached result for this article, if every input it depends on is unchanged."""
    k1 = first_key(ctx, key)
    entry = ctx.cache.meta(k1)   # the header only: the fragments are read when a dump needs them
    if entry is None:
        return None
    meta = ArticleMeta.of_dict(entry)
    if meta is None:
        return None
    meta.results = _placed(meta.results, ctx.src.annotations[key][1])
    art = ctx.src.articles.get(meta.file)
    if art is None or ctx.cache.files.sha256(art[0]) != meta.sha256:
        return None
    if not meta.entities.items() <= ctx.entity_digests.items():   # an entry it names is gone or changed
        return None
    meta.digest = k1
    return meta


def _stats_of(entry: tuple[dict, dict[str, bytes]] | None) -> dict | None:
    try:
        stats = json.loads(entry[1]["stats"]) if entry is not None else None
    except (KeyError, ValueError, UnicodeDecodeError):
        return None
    return stats if isinstance(stats, dict) else None


def stats(ctx: Context, meta: ArticleMeta) -> dict:
    """The article graph's share of void.ttl's statistics: as its fragments were last read, or read now."""
    if meta.stats is None:
        fragment(ctx, meta)
    return meta.stats


def fragment(ctx: Context, meta: ArticleMeta) -> publish.Fragment:
    """The article graph's serialisations; its share of void.ttl's statistics is set on ``meta``."""
    for attempt in (1, 2):
        entry = ctx.cache.get(meta.digest)
        found = _stats_of(entry)
        if found is not None:
            meta.stats = found
            return publish.Fragment.of_parts(str(iris.G.article(meta.key)), meta.quads, entry[1])
        if attempt == 1:   # damaged after its header was read (lookups check the header only): made again
            _repair(ctx, meta, lambda: _stats_of(ctx.cache.get(meta.digest)) is None)
    raise KgError(f"the build cache lost the entry of article {meta.key} while building; build again")


def owns(key: str, file: str, focus: str) -> bool:
    art = str(iris.article(key))
    return (focus == art or focus.startswith(art + "/") or focus == str(iris.G.article(key))
            or focus in (str(iris.source_file(f"seeds/articles/{file}")),
                         str(iris.source_file(f"seeds/annotations/{key}.yaml"))))


def referenced(graph: Graph) -> list[str]:
    ids = set()
    ns = entity_ns()
    for t in graph:
        for term in (t[0], t[2]):
            if isinstance(term, URIRef) and str(term).startswith(ns):
                ids.add(str(term)[len(ns):].split("/", 1)[0])
    return sorted(ids)


@dataclass
class Parts:
    """An article's asserted graphs and the context it is validated and reasoned with."""

    art: object
    name: URIRef
    graph: Triples                # the article's named graph
    refs: list[str]               # the registry entries it names
    context: list                 # their triples and the registry-wide ones (rdflib triples, no duplicates)
    prov: Graph                   # its provenance

    def validated(self, ctx: Context) -> list:
        """What SHACL validates: the article with its context, provenance and the ontology's skeleton."""
        return [self.graph, self.context, self.prov, ctx.skeleton]


STAGES: Counter | None = None   # CPU seconds of each stage of compute(), when a benchmark sets it (bench/stages.py)


class _Laps:
    """Adds the CPU time since the last lap to ``STAGES[stage]`` (nothing unless STAGES is set)."""

    def __init__(self) -> None:
        self.t = time.process_time() if STAGES is not None else 0.0

    def __call__(self, stage: str) -> None:
        if STAGES is not None:
            now = time.process_time()
            STAGES[stage] += now - self.t
            self.t = now


def parts(ctx: Context, key: str, lap: _Laps | None = None) -> Parts:
    path, display = ctx.src.annotations[key]
    art = ctx.loader.load(path, display)
    if lap:
        lap("load")
    st = Triplestore()
    mapper.map_article(st, art)
    name = iris.G.article(key)
    g = st.graph(name)
    refs = [e for e in referenced(g) if e in ctx.entity_triples]
    context = dict.fromkeys(ctx.common_triples)
    for e in refs:
        context.update(dict.fromkeys(ctx.entity_triples[e]))
    prov = Graph()
    provenance.describe_article(prov, art, ctx.meta.version)
    return Parts(art, name, g, refs, list(context), prov)


def compute(ctx: Context, key: str) -> ArticleMeta:
    """Run every per-article stage; the fragments go into the cache, the summary is returned."""
    lap = _Laps()
    p = parts(ctx, key, lap)
    art, name, g, refs, context, prov = p.art, p.name, p.graph, p.refs, p.context, p.prov
    lap("map and provenance")

    tracer = validate.Tracer()
    tracer.add_article(art)
    shacl, _ = validate.shacl(p.validated(ctx), tracer)   # the union is never built as a graph
    lap("SHACL")
    g_ox = ox_triples(g)   # converted once, for the checks' store and the fragments
    checks = validate.run_checks(store_of({name: g_ox, iris.G.ENTITIES: ox_triples(context),
                                            iris.G.PROVENANCE: ox_triples(prov)}), tracer)
    results = [r for r in shacl.results + checks.results if owns(key, art.file, r.focus)]
    lap("SPARQL checks")

    given = infer.reasoner_triples(ctx.ontology_triples, [g, context], ctx.reasoned)
    asserted = given | set(g) | set(context) | set(prov)
    new = infer.new_triples(infer.close(given), asserted)
    own, shared = [], []
    art_iri = str(iris.article(key))
    for line in nt_lines(new):
        (own if line.startswith((f"<{art_iri}>", f"<{art_iri}/")) else shared).append(line)
    if shared:
        known = set().union(*(entailed(ctx, e) for e in refs))
        shared = [line for line in shared if line not in known]
    lap("OWL RL and rules")

    frag = publish.fragment(str(name), g_ox)
    own = sorted(own)
    # the article's share of the inferred graph, serialised here once (kg.publish.merged puts it in place)
    piece = publish.piece_parts(str(iris.G.INFERRED), [
        ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse("\n".join(own).encode(), format=ox.RdfFormat.N_TRIPLES)])
    meta = ArticleMeta(
        key, art.file, art.sha256, art.annotation_sha256, art.curator, art.annotated_on,
        dict(sorted(Counter(c.type for c in art.claims).items())), frag.triples,
        {e: ctx.entity_digests[e] for e in refs}, [r.as_dict() for r in results],
        own_span(own), sorted(shared), nt_lines(prov), first_key(ctx, key), own, void.graph_stats(g_ox, art_iri),
    )
    lap("fragments")
    ctx.cache.put(meta.digest, dict(meta.as_dict(), results=_portable(meta.results, ctx.src.annotations[key][1])),
                  frag.parts() | {"stats": json.dumps(meta.stats, sort_keys=True).encode()})
    ctx.cache.put(piece_key(meta.digest), {"article": key}, piece)   # read apart from the fragments
    lap("cache")
    return meta


def entailed(ctx: Context, entity: str) -> frozenset[str]:
    """What the registry entry ``entity`` entails on its own, with the registry-wide nodes and the
    ontology: the N-Triples lines of that closure and the rules' answers on it.  An article's shared
    inferences among these are left out of its result (they were nine in ten of them, mostly an
    entity's types): the corpus-wide pass reasons over the whole registry with a superset of the
    ontology and concludes them anyway, since OWL RL and the rules are monotonic.  Computed once a
    process for each entry; an entry is small, so this costs a few milliseconds."""
    k = (entity, ctx.entity_digests[entity], infer.engine())
    found = ctx.entailed.get(k)
    if found is None:
        given = infer.reasoner_triples(ctx.ontology_triples, [ctx.common_triples, ctx.entity_triples[entity]],
                                       ctx.reasoned)
        found = ctx.entailed[k] = frozenset(nt_lines(infer.new_triples(infer.close(given), set())))
    return found


def nt_lines(triples) -> list[str]:
    """Sorted N-Triples lines (without their line ends) of rdflib triples."""
    data = ox.serialize(ox_triples(triples), format=ox.RdfFormat.N_TRIPLES).decode()
    return sorted(set(line for line in data.split("\n") if line))


def store_of(triples: dict, nquads: bytes = b"") -> ox.Store:
    """An in-memory store of named graphs given as lists of pyoxigraph triples, and of ``nquads``
    (``extend`` and ``load``: in memory, ``bulk_extend`` took a third longer)."""
    st = ox.Store()
    quads = []
    for name, ts in triples.items():
        gname = ox.NamedNode(str(name))
        quads.extend(ox.Quad(t.subject, t.predicate, t.object, gname) for t in ts)
    st.extend(quads)
    if nquads:
        st.load(nquads, format=ox.RdfFormat.N_QUADS)
    return st


# ---------------------------------------------------------------- the pool's work

_CTX: Context | None = None


def init(ctx: Context) -> None:
    """Set up this process (the parent, or a pool worker as its initializer) for ``ctx``: its dataset
    base is configured here, not inherited, so a worker never mints under another base."""
    global _CTX
    _CTX = ctx
    iris.configure(ctx.meta.base)


def init_worker(ctx: Context) -> None:
    """:func:`init` for a pool worker, whose every object so far (the context: the registry, the
    ontology, the compiled shapes …) lives as long as it does: frozen out of the cyclic garbage
    collector, which otherwise walks all of them again and again for each article's garbage (an
    article took 53 ms instead of 60–63, bench/stages.py's loop with and without)."""
    init(ctx)
    gc.freeze()


def _plain(exc: InputError) -> tuple:
    return (exc.pos, exc.problem, exc.fix)  # exceptions with several arguments do not pickle


def work(key: str) -> tuple[str, ArticleMeta | None, list[tuple], str | None]:
    """Pool task: (key, meta, input errors, inconsistency) — errors are returned, not raised."""
    assert _CTX is not None
    try:
        return key, compute(_CTX, key), [], None
    except InputError as exc:
        return key, None, [_plain(exc)], None
    except InputErrors as exc:
        return key, None, [_plain(e) for e in exc.errors], None
    except InconsistencyError as exc:
        return key, None, [], str(exc)
