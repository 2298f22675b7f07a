"""The VoID + DCAT description of the dataset, its named graphs and its dumps (``void.ttl``).

Everything in it is computed from what the build wrote: triple counts per named graph,
the vocabularies, class and property partitions and the example resources from each
graph's statistics (:func:`graph_stats`, made where the graph's triples are at hand and
cached with an article's result; :func:`statistics` adds them up, no scan of the store),
each dump's size and SHA-256 from the file.  The inferred graph is a subset of its own;
the dataset's ``void:triples`` and its partitions count the asserted graphs only.  No
blank nodes (partition IRIs are minted from the class or property IRI), so two builds
give the same bytes.

Adding up is exact: triples per property add; distinct instances per class and distinct
claims naming a person do not when a subject is in several graphs, so a graph counts as
numbers only the resources minted for it (an article's node and everything under it,
which no other graph describes: curator Turtle may not) and lists the others by name, to
be unioned.  Should that not hold (a graph describing another article's resources), the
figures are counted in the store instead (:func:`statistics_of_store`, the reference).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import pyoxigraph as ox
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, VOID, XSD

from . import iris
from .errors import KgError
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


STATED_IN, PERSON, TYPE = HRR + "statedIn", HRR + "Person", str(RDF.type)
AXIOM_SET = frozenset(AXIOMS)


def _name(term) -> str:
    """A subject as the statistics name it: an IRI by itself, a blank node as ``_:label``."""
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def graph_stats(triples: Iterable[ox.Triple], owner: str | None = None) -> dict:
    """What one named graph adds to the dataset's statistics (JSON-able, so it is cached with an
    article's result).  ``owner``: the article IRI whose resources (it and everything under it)
    are minted for this graph alone; those are counted, every other subject is listed."""
    mine = (owner, owner + "/") if owner else None
    properties: Counter = Counter()
    classes: Counter = Counter()                      # class -> own instances
    typed: dict[str, set] = defaultdict(set)          # class -> other instances
    named: dict[str, set] = defaultdict(set)          # IRI object -> own subjects naming it
    naming: dict[str, set] = defaultdict(set)         # IRI object -> other subjects naming it
    terms: set[str] = set()
    articles, claims, odd = [], [], False
    for t in set(triples):
        s, p, o = t.subject, t.predicate.value, t.object
        sname = _name(s)
        own = mine is not None and isinstance(s, ox.NamedNode) and (sname == mine[0] or sname.startswith(mine[1]))
        properties[p] += 1
        if p == STATED_IN:
            if isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode):
                articles.append(o.value)
                claims.append(sname)
            else:   # ORDER BY ranks a blank node before every IRI, a literal after: counted in the store
                odd = True
        if isinstance(o, ox.Literal):
            terms.add(o.datatype.value)
            continue
        if not isinstance(o, ox.NamedNode):
            continue
        (named if own else naming)[o.value].add(sname)
        if p == TYPE:
            if own:
                classes[o.value] += 1
            else:
                typed[o.value].add(sname)
        elif p in AXIOM_SET:
            terms.add(o.value)
    # the person pick counts claims naming a registry entity: other objects left out (kept compact)
    registry = iris.base() + "entity/"
    named = {o: n for o, n in named.items() if o.startswith(registry)}
    naming = {o: n for o, n in naming.items() if o.startswith(registry)}
    return {"properties": dict(sorted(properties.items())), "classes": dict(sorted(classes.items())),
            "typed": {c: sorted(v) for c, v in sorted(typed.items())}, "terms": sorted(terms),
            "named": {o: len(v) for o, v in sorted(named.items())},
            "naming": {o: sorted(v) for o, v in sorted(naming.items())},
            "first_article": min(articles, default=None), "first_claim": min(claims, default=None),
            "odd": odd}


def statistics(graphs: Mapping[str, dict], fallback: Callable[[], Statistics] | None = None) -> Statistics:
    """The dataset's statistics from each named graph's (``graphs``: graph name -> :func:`graph_stats`;
    the inferred graph, if there, left out), exactly what :func:`statistics_of_store` counts in the
    built store.  ``fallback`` gives those when the graphs break the assumption adding up rests on."""
    inferred, entities = str(iris.G.INFERRED), str(iris.G.ENTITIES)
    minted = iris.base() + "article/"
    properties: Counter = Counter()
    classes: Counter = Counter()
    typed: dict[str, set] = defaultdict(set)
    named: Counter = Counter()
    naming: dict[str, set] = defaultdict(set)
    terms: set[str] = set()
    articles, claims, odd = [], [], False
    for name, g in graphs.items():
        if name == inferred:
            continue
        if not g:   # no statistics recorded for this graph: the store counts
            odd = True
            continue
        properties.update(g["properties"])
        classes.update(g["classes"])
        for c, subjects in g["typed"].items():
            typed[c].update(subjects)
        terms.update(g["terms"])
        if name != entities:   # the person pick counts claims outside the registry
            named.update(g["named"])
            for o, subjects in g["naming"].items():
                naming[o].update(subjects)
        articles += [g["first_article"]] if g["first_article"] is not None else []
        claims += [g["first_claim"]] if g["first_claim"] is not None else []
        odd = odd or g["odd"]
    persons = set(graphs[entities]["typed"].get(PERSON, ())) if entities in graphs else set()
    # what adding up rests on: no graph lists (as another's) a resource minted for an article,
    # so an article's own counts meet no other graph's; and every person is a registry entity
    listed = (s for sets in (typed, naming) for subjects in sets.values() for s in subjects)
    registry = iris.base() + "entity/"
    if odd or any(s.startswith(minted) for s in listed) or not all(x.startswith(registry) for x in persons):
        if fallback is None:
            raise KgError("the named graphs describe resources minted for an article outside its graph: "
                          "void.ttl's statistics must be counted in the store")
        return fallback()
    st = Statistics(properties=dict(properties), terms=terms)
    st.classes = {c: classes[c] + len(typed[c]) for c in sorted(set(classes) | set(typed))}
    counted = [(named[x] + len(naming.get(x, ())), x) for x in persons]
    counted = [(n, x) for n, x in counted if n]
    if counted:
        st.examples.append(min(counted, key=lambda nx: (-nx[0], nx[1]))[1])
    st.examples += [min(found) for found in (articles, claims) if found]
    return st


def statistics_of_store(store: ox.Store) -> Statistics:
    """Counted in ``store`` (a built store: its named graphs, the inferred one left out) by SPARQL:
    the reference :func:`statistics` is held to, and its fallback."""
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
