"""The VoID + DCAT description of the dataset, its named graphs and its dumps (``void.ttl``).

Everything in it is computed from what the build wrote: triple counts per named graph,
the vocabularies, class and property partitions and the example resources from the
store (the same quads as ``kg.nq``), each dump's size and SHA-256 from the file.  The
inferred graph is a subset of its own; the dataset's ``void:triples`` and its
partitions count the asserted graphs only.  No blank nodes (partition IRIs are minted
from the class or property IRI), so two builds give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, VOID, XSD

from . import iris
from .publish import COMPRESSED, MEDIA_TYPES, Dump, Written, compact
from .store import bind_prefixes

SPDX = Namespace("http://spdx.org/rdf/terms#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
IANA = "https://www.iana.org/assignments/media-types/"
HRR = iris.ONTOLOGY
VOID_CLASS = URIRef(str(VOID) + "class")
RDFS_NS, OWL_NS = "http://www.w3.org/2000/01/rdf-schema#", "http://www.w3.org/2002/07/owl#"
# predicates whose objects are vocabulary terms (a superclass from FOAF makes FOAF a vocabulary used)
AXIOMS = [RDFS_NS + p for p in ("subClassOf", "subPropertyOf", "domain", "range")] + [
    OWL_NS + p for p in ("equivalentClass", "equivalentProperty", "inverseOf")]


@dataclass
class Statistics:
    """What the asserted graphs hold, as VoID counts it."""

    properties: dict[str, int] = field(default_factory=dict)   # predicate -> triples (summed over graphs)
    classes: dict[str, int] = field(default_factory=dict)      # class -> distinct instances
    examples: list[str] = field(default_factory=list)          # a few stable resources
    terms: set[str] = field(default_factory=set)               # other vocabulary terms: datatypes, axioms' targets

    @property
    def vocabularies(self) -> list[str]:
        """The namespace (up to the last ``#`` or ``/``) of every predicate, class and datatype used and of
        every term the ontology's axioms point to; the dataset's own namespace is not a vocabulary."""
        found = {namespace(i) for i in (*self.properties, *self.classes, *self.terms)}
        return sorted(ns for ns in found if ns and not ns.startswith(iris.base()))


def namespace(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[:cut + 1]


def _rows(store: ox.Store, query: str) -> list:
    return list(store.query(query))


def statistics(store: ox.Store) -> Statistics:
    """Counted in ``store`` (a built store: its named graphs, the inferred one left out)."""
    inferred = f"<{iris.G.INFERRED}>"
    st = Statistics()
    for r in _rows(store, f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {inferred}) }} GROUP BY ?p"):
        st.properties[r["p"].value] = int(r["n"].value)
    for r in _rows(store, f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?c }} "
                          f"FILTER(?g != {inferred} && isIRI(?c)) }} GROUP BY ?c"):
        st.classes[r["c"].value] = int(r["n"].value)
    axioms = ", ".join(f"<{p}>" for p in AXIOMS)
    for text in (f"SELECT DISTINCT ?t WHERE {{ GRAPH ?g {{ ?s ?p ?t }} FILTER(?g != {inferred} && ?p IN ({axioms}) && isIRI(?t)) }}",
                 f"SELECT DISTINCT (DATATYPE(?o) AS ?t) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {inferred} && isLiteral(?o)) }}"):
        st.terms |= {r["t"].value for r in _rows(store, text) if r["t"] is not None}
    entities = f"<{iris.G.ENTITIES}>"
    # the person the most claims name, the first article and the first claim (IRI order breaks ties)
    picks = [f"""SELECT ?x WHERE {{ {{ SELECT ?x (COUNT(DISTINCT ?c) AS ?n) WHERE {{
               GRAPH {entities} {{ ?x a <{HRR}Person> }} GRAPH ?g {{ ?c ?p ?x }}
               FILTER(?g != {inferred} && ?g != {entities}) }} GROUP BY ?x }} }} ORDER BY DESC(?n) ?x LIMIT 1""",
             f"""SELECT ?x WHERE {{ GRAPH ?g {{ ?c <{HRR}statedIn> ?x }} FILTER(?g != {inferred}) }} ORDER BY ?x LIMIT 1""",
             f"""SELECT ?x WHERE {{ GRAPH ?g {{ ?x <{HRR}statedIn> ?a }} FILTER(?g != {inferred}) }} ORDER BY ?x LIMIT 1"""]
    for text in picks:
        st.examples += [r["x"].value for r in _rows(store, text)]
    return st


def partition(kind: str, iri: str) -> URIRef:
    """``…/subset/class/hrr-Denial``: minted from the term (its compact name where a project prefix fits)."""
    short = compact(iri)
    local = short.replace(":", "-", 1) if short != iri else iri
    return URIRef(f"{iris.base()}subset/{kind}/{iris._seg(local)}")


def service(dataset: URIRef) -> URIRef:
    return URIRef(f"{dataset}service/sparql")


def add_endpoint(g: Graph, url: str) -> None:
    """``void:sparqlEndpoint`` and the ``dcat:DataService`` serving the dataset at ``url``."""
    d = iris.dataset()
    svc = service(d)
    endpoint = URIRef(url)
    g.add((d, VOID.sparqlEndpoint, endpoint))
    g.add((svc, RDF.type, DCAT.DataService))
    g.add((svc, DCTERMS.title, Literal("SPARQL 1.1 endpoint", lang="en")))
    g.add((svc, DCAT.endpointURL, endpoint))
    g.add((svc, DCAT.endpointDescription, endpoint))  # the service description, at the endpoint itself
    g.add((svc, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    g.add((svc, DCAT.servesDataset, d))
    for licence in list(g.objects(d, DCTERMS.license)):
        g.add((svc, DCTERMS.license, licence))


def with_endpoint(triples: list[ox.Triple], url: str) -> list[ox.Triple]:
    """A parsed ``void.ttl`` stating ``url`` as its endpoint instead of whatever it said (for ``kg serve``)."""
    g = Graph()
    from .store import rdflib_term, ox_triples
    for t in triples:
        g.add((rdflib_term(t.subject), rdflib_term(t.predicate), rdflib_term(t.object)))
    d = iris.dataset()
    g.remove((d, VOID.sparqlEndpoint, None))
    g.remove((service(d), None, None))
    add_endpoint(g, url)
    return ox_triples(g)


def describe(meta: dict, counts: dict[str, int], written: dict[Dump, Written], stats: Statistics) -> bytes:
    """``counts``: triples per named graph; ``written``: the dumps (size and SHA-256 of each)."""
    g = bind_prefixes(Graph())
    g.bind("spdx", SPDX)
    g.bind("sd", SD)
    d = iris.dataset()
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, Literal(meta["title"], lang="en")))
    g.add((d, DCTERMS.description, Literal(meta["description"], lang="en")))
    g.add((d, DCTERMS.license, URIRef(meta["license"])))
    g.add((d, DCTERMS.creator, Literal(meta["creator"])))
    g.add((d, DCTERMS.issued, Literal(meta["issued"], datatype=XSD.date)))
    g.add((d, OWL.versionInfo, Literal(meta["version"])))
    g.add((d, VOID.uriSpace, Literal(iris.base())))
    if meta.get("sparql_endpoint"):
        add_endpoint(g, meta["sparql_endpoint"])
    for vocab in stats.vocabularies:
        g.add((d, VOID.vocabulary, URIRef(vocab)))
    for example in stats.examples:
        g.add((d, VOID.exampleResource, URIRef(example)))
    asserted = sum(n for name, n in counts.items() if name != str(iris.G.INFERRED))
    g.add((d, VOID.triples, Literal(asserted, datatype=XSD.integer)))
    g.add((d, VOID.properties, Literal(len(stats.properties), datatype=XSD.integer)))
    g.add((d, VOID.classes, Literal(len(stats.classes), datatype=XSD.integer)))
    for cls, n in sorted(stats.classes.items()):
        part = partition("class", cls)
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID_CLASS, URIRef(cls)))
        g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    for prop, n in sorted(stats.properties.items()):
        part = partition("property", prop)
        g.add((d, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(prop)))
        g.add((part, VOID.triples, Literal(n, datatype=XSD.integer)))
    for name, n in sorted(counts.items()):
        subset = iris.subset(URIRef(name))
        g.add((d, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, SD.name, URIRef(name)))
        g.add((subset, VOID.triples, Literal(n, datatype=XSD.integer)))
    for dump, w in sorted(written.items(), key=lambda kv: kv[0].value):
        if dump not in MEDIA_TYPES:
            continue
        dist = iris.dump(dump.value)
        g.add((d, DCAT.distribution, dist))
        if dump in (Dump.TRIG, Dump.NQUADS, Dump.TRIG_GZ, Dump.NQUADS_GZ):
            g.add((d, VOID.dataDump, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(dump.value)))
        g.add((dist, DCTERMS.license, URIRef(meta["license"])))
        # the file itself; served by `kg serve` at this IRI's path, wherever the base is hosted
        g.add((dist, DCAT.downloadURL, dist))
        g.add((dist, DCAT.accessURL, dist))
        g.add((dist, DCAT.mediaType, URIRef(IANA + MEDIA_TYPES[dump])))
        if dump in COMPRESSED:
            g.add((dist, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
        g.add((dist, DCAT.byteSize, Literal(w.size, datatype=XSD.nonNegativeInteger)))
        checksum = iris.sub(dist, "sha256")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(w.sha256, datatype=XSD.hexBinary)))
    return g.serialize(format="longturtle").encode("utf-8")
