"""Graph access in one place: the in-memory rdflib Dataset the stages share.

Stages receive a :class:`Store` and ask it for named graphs; nothing else
creates datasets or binds prefixes, so a faster store can replace this one
without touching the stages.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal as RLiteral, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SDO, SH, SKOS, VANN, VOID, XSD

from . import iris
from .vocab import OA, SEM, HRR

def prefixes(base: str | None = None) -> dict:
    """The project's prefixes; ``hrkg:``, ``entity:``, ``article:`` and ``graph:`` under ``base``
    (default: the dataset base in force)."""
    base = base or iris.base()
    return {"hrkg": base, "entity": base + "entity/", "article": base + "article/", "graph": base + "graph/",
            **FIXED_PREFIXES}


FIXED_PREFIXES = {
    "hrr": HRR._NS,
    "oa": OA,
    "prov": PROV,
    "schema": SDO,
    "foaf": FOAF,
    "skos": SKOS,
    "sem": SEM,
    "dcterms": DCTERMS,
    "dcat": DCAT,
    "void": VOID,
    "vann": VANN,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "sh": SH,
}


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, ns in prefixes().items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


class Store:
    def __init__(self) -> None:
        self.dataset = bind_prefixes(Dataset(default_union=True))

    def graph(self, name: URIRef) -> Graph:
        return self.dataset.graph(name)

    def graph_names(self) -> list[URIRef]:
        return sorted(g.identifier for g in self.dataset.graphs() if isinstance(g.identifier, URIRef)
                      and len(g) and g.identifier != self.dataset.default_graph.identifier)

    def union(self) -> Graph:
        """All asserted triples in one graph (the inferred graph excluded)."""
        out = bind_prefixes(Graph())
        for name in self.graph_names():
            if name != iris.G.INFERRED:
                for t in self.graph(name):
                    out.add(t)
        return out

    def __len__(self) -> int:
        return sum(len(self.graph(n)) for n in self.graph_names())


class Triples(dict):
    """A set of rdflib triples in insertion order, with the part of rdflib's ``Graph`` the
    mapper uses (``add``), for an article's graph on the hot path: adding to and iterating
    over an rdflib ``Graph`` costs several times more, and nothing there queries it."""

    def add(self, triple) -> None:
        self[triple] = None

    def __iter__(self):
        return iter(self.keys())


class Triplestore:
    """A :class:`Store` look-alike of :class:`Triples` (``graph(name)`` only)."""

    def __init__(self) -> None:
        self.graphs: dict = {}

    def graph(self, name: URIRef) -> Triples:
        return self.graphs.setdefault(name, Triples())


# ---------------------------------------------------------------- rdflib <-> pyoxigraph

def ox_term(term):
    """The pyoxigraph term for an rdflib term (the data never holds blank nodes)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, RLiteral):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise TypeError(term)  # pragma: no cover


def ox_triples(triples) -> list:
    return [ox.Triple(ox_term(s), ox_term(p), ox_term(o)) for s, p, o in triples]


def rdflib_term(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return RLiteral(term.value, lang=term.language)
    if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return RLiteral(term.value)
    return RLiteral(term.value, datatype=URIRef(term.datatype.value), normalize=False)
