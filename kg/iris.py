"""Every IRI the project mints, from content keys only (never uuid, never the clock).

Two namespaces.  The ontology's (``hrr:``, ``ONTOLOGY``) belongs to the vocabulary:
it is fixed here, shared by every dataset built with it, and moves only with the
ontology files.  The dataset's base belongs to the user: it is ``base:`` in
``seeds/dataset.yaml``, and every data IRI (entities, articles, claims, graphs …)
is read from it at call time — :func:`configure` sets it for the process (a build
from the seeds, a worker from its context, ``kg query``/``serve``/``publish`` from
what the build recorded, see :func:`recorded_base`).  Slash-style throughout.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import quote, urlsplit

from rdflib import URIRef

ONTOLOGY = "https://hrkg.example.org/ontology/"
ONTOLOGY_IRI = "https://hrkg.example.org/ontology"
PROVENANCE_GRAPH = "graph/provenance"   # under the base; the graph that names itself (see recorded_base)
_PROV_GENERATED_BY = "http://www.w3.org/ns/prov#wasGeneratedBy"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')

_base: str | None = None


def check_base(value: str) -> str | None:
    """What is wrong with ``value`` as a dataset base, or None when it is a good one."""
    if _NOT_IN_IRI.search(value):
        bad = _NOT_IN_IRI.search(value).group(0)
        return f"it holds {bad!r}, which no IRI may contain"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "it is not an absolute http(s) IRI"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return "it has a query or a fragment (every IRI is minted by appending path segments)"
    if not value.endswith("/"):
        return "it does not end with `/` (IRIs are minted as BASE + `entity/…`)"
    if value.startswith(ONTOLOGY) or ONTOLOGY.startswith(value):
        return f"it overlaps the ontology's namespace <{ONTOLOGY}> (data and vocabulary IRIs must stay apart)"
    return None


def configure(value: str) -> None:
    """Make ``value`` the dataset base of this process (checked: see :func:`check_base`)."""
    global _base
    problem = check_base(value)
    if problem:
        raise ValueError(f"dataset base {value!r}: {problem}")
    _base = value


@contextlib.contextmanager
def using(value: str):
    """The dataset base ``value`` for the duration of a ``with`` block."""
    global _base
    previous = _base
    configure(value)
    try:
        yield
    finally:
        _base = previous


def base() -> str:
    """The dataset base in force, e.g. ``https://hrkg.example.org/chechnya-2017/``."""
    if _base is None:
        from .errors import UsageError
        raise UsageError("no dataset base is known here: the data names none (it has no `BASE graph/provenance` graph "
                         "describing itself, as every `kg build` writes) — use the seeds (`base:` in dataset.yaml) "
                         "or a build's output")
    return _base


def recorded_base(store) -> str | None:
    """The base a built graph was built with, read back from the graph itself: the provenance
    graph is the one graph that describes itself (``<G> prov:wasGeneratedBy …`` inside ``G``),
    and it is named ``BASE graph/provenance``.  ``store``: a pyoxigraph store.  None when the
    store holds no such graph; an error when it holds several (two datasets in one store)."""
    import pyoxigraph as ox
    found = {q.subject.value[:-len(PROVENANCE_GRAPH)]
             for q in store.quads_for_pattern(None, ox.NamedNode(_PROV_GENERATED_BY), None, None)
             if isinstance(q.subject, ox.NamedNode) and q.graph_name == q.subject
             and q.subject.value.endswith("/" + PROVENANCE_GRAPH)}
    if len(found) > 1:
        raise ValueError("the store holds several datasets: " + ", ".join(f"<{b}>" for b in sorted(found)))
    return found.pop() if found else None


def described_base(void_ttl) -> str | None:
    """The dataset IRI a ``void.ttl`` describes (its ``void:uriSpace``, else its one top
    ``void:Dataset``): the record of a store made outside a build, which names no base itself."""
    import pyoxigraph as ox
    try:
        triples = list(ox.parse(path=str(void_ttl), format=ox.RdfFormat.TURTLE))
    except (OSError, SyntaxError):
        return None
    spaces = {t.object.value for t in triples if t.predicate.value == "http://rdfs.org/ns/void#uriSpace"}
    subsets = {t.object.value for t in triples if t.predicate.value == "http://rdfs.org/ns/void#subset"}
    tops = {t.subject.value for t in triples if t.predicate.value == _RDF_TYPE
            and t.object.value == "http://rdfs.org/ns/void#Dataset" and isinstance(t.subject, ox.NamedNode)} - subsets
    found = spaces or tops
    return found.pop() if len(found) == 1 and check_base(next(iter(found))) is None else None


def seeds_base() -> str | None:
    """The base in the project's own ``seeds/dataset.yaml``, if it can be read."""
    from pathlib import Path

    from .errors import KgError
    from .registry import load_dataset_meta
    path = Path(__file__).resolve().parent.parent / "seeds" / "dataset.yaml"
    try:
        return load_dataset_meta(path, "seeds/dataset.yaml")["base"]
    except (KgError, OSError):
        return None


def configure_from(store, out=None) -> str:
    """Configure the base ``store`` was built with (see :func:`recorded_base`); for a store made
    outside a build, which names none, the one ``OUT/void.ttl`` describes, else the project's
    seeds' (``seeds/dataset.yaml``).  Returns it."""
    value = (recorded_base(store) or (described_base(out / "void.ttl") if out is not None else None)
             or seeds_base())
    if value is None:
        from .errors import UsageError
        raise UsageError("the store names no dataset base (no self-describing `…/graph/provenance` graph, "
                         "no void.ttl beside it, no seeds/dataset.yaml) — rebuild it with `kg build`")
    configure(value)
    return value


def _seg(key: str) -> str:
    return quote(key, safe="-_.~")


def dataset() -> URIRef:
    return URIRef(base())


def entity(eid: str) -> URIRef:
    return URIRef(f"{base()}entity/{_seg(eid)}")


def position(eid: str, key: str) -> URIRef:
    return URIRef(f"{base()}entity/{_seg(eid)}/position/{_seg(key)}")


def article(key: str) -> URIRef:
    return URIRef(f"{base()}article/{_seg(key)}")


def claim(article_key: str, claim_id: str) -> URIRef:
    # claim ids of requested actions are "<parent>/request/<n>"; each part is a safe segment
    return URIRef(f"{base()}article/{_seg(article_key)}/claim/" + "/".join(_seg(p) for p in claim_id.split("/")))


def sub(node: URIRef, *parts: str | int) -> URIRef:
    """A node hanging off another (evidence, selectors, counts): ``<node>/<part>/…``."""
    return URIRef(str(node) + "".join(f"/{_seg(str(p))}" for p in parts))


def dump(filename: str) -> URIRef:
    return URIRef(f"{base()}dump/{_seg(filename)}")


def subset(graph_name: URIRef) -> URIRef:
    """The VoID subset of a named graph: ``…/subset/article-000`` for ``…/graph/article/000``."""
    return URIRef(f"{base()}subset/" + _seg(str(graph_name).rsplit("/graph/", 1)[1].replace("/", "-")))


def source_file(relpath: str) -> URIRef:
    return URIRef(f"{base()}source/" + "/".join(_seg(p) for p in relpath.split("/")))


def curator(name: str) -> URIRef:
    slug = "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())
    return URIRef(f"{base()}curator/{_seg(slug)}")


def build_activity(version: str) -> URIRef:
    return URIRef(f"{base()}build/{_seg(version)}")


class _GraphNames(type):
    """``G.ENTITIES`` & co. are read at call time, under the base in force."""

    @property
    def ONTOLOGY(cls) -> URIRef:
        return URIRef(f"{base()}graph/ontology")

    @property
    def ENTITIES(cls) -> URIRef:
        return URIRef(f"{base()}graph/entities")

    @property
    def PROVENANCE(cls) -> URIRef:
        return URIRef(f"{base()}{PROVENANCE_GRAPH}")

    @property
    def INFERRED(cls) -> URIRef:
        return URIRef(f"{base()}graph/inferred")


class G(metaclass=_GraphNames):
    """Named graphs."""

    @staticmethod
    def article(key: str) -> URIRef:
        return URIRef(f"{base()}graph/article/{_seg(key)}")

    @staticmethod
    def addition(name: str) -> URIRef:
        return URIRef(f"{base()}graph/addition/{_seg(name)}")
