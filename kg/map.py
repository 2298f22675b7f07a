"""Map the model to RDF: an ontology graph, an entity graph, one graph per article.

Every entity is described once, in the entity graph; article graphs only
refer to entities by IRI.  Evidence and document provenance are stamped by
``kg.provenance``.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SDO, SKOS, XSD

from . import iris, provenance, turtle
from .errors import InputError, InputErrors, collect
from .model import (
    ENTITY_TYPES, ENUMS, Article, Basis, Claim, Count, Dataset, DateValue, Entity, Kind, Precision,
)
from .store import Store
from .vocab import HRR

def issue_scheme() -> URIRef:
    return URIRef(iris.base() + "scheme/issues")
WIKIDATA = "http://www.wikidata.org/entity/"
_DATATYPE = {Precision.DAY: XSD.date, Precision.MONTH: XSD.gYearMonth, Precision.YEAR: XSD.gYear}


def date_literal(d: DateValue) -> Literal:
    return Literal(d.lexical, datatype=_DATATYPE[d.precision])


def _nn(value: int) -> Literal:
    return Literal(value, datatype=XSD.nonNegativeInteger)


def map_ontology(store: Store, path: Path) -> None:
    store.graph(iris.G.ONTOLOGY).parse(path, format="turtle")


def map_entities(store: Store, entities: dict[str, Entity]) -> None:
    g = store.graph(iris.G.ENTITIES)
    g.add((issue_scheme(), RDF.type, SKOS.ConceptScheme))
    g.add((issue_scheme(), SKOS.prefLabel, Literal("Issues", lang="en")))
    for ent in entities.values():
        node = iris.entity(ent.id)
        g.add((node, RDF.type, HRR[ENTITY_TYPES[ent.type]]))
        g.add((node, DCTERMS.identifier, Literal(ent.id)))
        g.add((node, RDFS.label, Literal(ent.label, lang="en")))
        g.add((node, SKOS.prefLabel, Literal(ent.label, lang="en")))
        for alias in ent.aliases:
            g.add((node, SKOS.altLabel, Literal(alias, lang="en")))
        if ent.description:
            g.add((node, SDO.description, Literal(ent.description, lang="en")))
        if ent.wikidata:
            g.add((node, SKOS.exactMatch, URIRef(WIKIDATA + ent.wikidata)))
        for ref in ent.located_in:
            g.add((node, HRR.locatedIn, iris.entity(ref)))
        for ref in ent.part_of:
            g.add((node, HRR.partOf, iris.entity(ref)))
        for ref in ent.members:
            g.add((node, HRR.member, iris.entity(ref)))
        for ref in ent.broader:
            g.add((node, SKOS.broader, iris.entity(ref)))
        if ent.member_count is not None:
            g.add((node, HRR.memberCount, _nn(ent.member_count)))
        if ent.type == "Issue":
            g.add((node, SKOS.inScheme, issue_scheme()))
        for pos in ent.positions.values():
            pnode = iris.position(ent.id, pos.key)
            g.add((pnode, RDF.type, HRR.Position))
            g.add((pnode, RDFS.label, Literal(f"{ent.label}, {pos.role}", lang="en")))
            g.add((pnode, HRR.holder, node))
            g.add((pnode, HRR.roleName, Literal(pos.role, lang="en")))
            if pos.org:
                g.add((pnode, HRR.organisation, iris.entity(pos.org)))


def map_article(store: Store, art: Article) -> None:
    g = store.graph(iris.G.article(art.key))
    node = iris.article(art.key)
    g.add((node, RDF.type, HRR.Article))
    g.add((node, DCTERMS.identifier, Literal(art.key)))
    g.add((node, DCTERMS.title, Literal(art.title, lang="en")))
    g.add((node, HRR.titleBasis, HRR[(Basis.INFERRED if art.title_note else Basis.STATED).value]))
    if art.title_note:
        g.add((node, HRR.titleNote, Literal(art.title_note)))
    g.add((node, SDO.text, Literal(art.text)))
    _date(g, node, art.published, SDO.datePublished)
    if art.publisher:
        g.add((node, SDO.publisher, iris.entity(art.publisher.entity)))
        g.add((node, HRR.publisherBasis, HRR[art.publisher.basis.value]))
        if art.publisher.note:
            g.add((node, HRR.publisherNote, Literal(art.publisher.note)))
    provenance.article_source(g, art)
    for claim in art.claims:
        _claim(g, art, claim, None)


def _date(g: Graph, node: URIRef, d: DateValue, prop: URIRef) -> None:
    g.add((node, prop, date_literal(d)))
    g.add((node, HRR.datePrecision, HRR[d.precision.value]))
    g.add((node, HRR.dateBasis, HRR[d.basis.value]))
    if d.note:
        g.add((node, HRR.dateNote, Literal(d.note)))


def _claim(g: Graph, art: Article, claim: Claim, annotations: list[URIRef] | None) -> None:
    node = iris.claim(art.key, claim.id)
    g.add((node, RDF.type, HRR[claim.cls]))
    g.add((node, DCTERMS.identifier, Literal(claim.id)))
    g.add((node, HRR.statedIn, iris.article(art.key)))
    inferred = claim.values.get("inferred")
    g.add((node, HRR.basis, HRR[(Basis.INFERRED if inferred else Basis.STATED).value]))
    if annotations is None:
        annotations = provenance.evidence(g, node, iris.article(art.key), claim.evidence)
    else:
        provenance.link_evidence(g, node, annotations)
    if claim.agent_prop:  # a requested action
        g.add((node, HRR.factuality, HRR.Requested))
        for ref in claim.values.get("agent", []):
            g.add((node, HRR[claim.agent_prop], iris.entity(ref)))
    for spec in claim.specs:
        if not spec.prop or spec.key not in claim.values:
            continue
        value, prop = claim.values[spec.key], HRR[spec.prop]
        if spec.kind is Kind.TEXT:
            g.add((node, prop, Literal(value)))
        elif spec.kind is Kind.ENTITY:
            g.add((node, prop, iris.entity(value)))
        elif spec.kind is Kind.ENTITIES:
            for ref in value:
                g.add((node, prop, iris.entity(ref)))
        elif spec.kind is Kind.DATE:
            if spec.key == "date":
                _date(g, node, value, prop)
            else:
                g.add((node, prop, date_literal(value)))
        elif spec.kind is Kind.ENUM:
            g.add((node, prop, HRR[ENUMS[spec.enum][value]]))
        elif spec.kind is Kind.ENUMS:
            for v in value:
                g.add((node, prop, HRR[ENUMS[spec.enum][v]]))
        elif spec.kind is Kind.QUOTES:
            for q in value:
                g.add((node, prop, Literal(q.exact)))
        elif spec.kind is Kind.CLAIM:
            g.add((node, prop, iris.claim(art.key, value)))
        elif spec.kind is Kind.POSITION:
            g.add((node, prop, iris.position(claim.values["holder"], value)))
        elif spec.kind is Kind.COUNT:
            _count(g, node, value)
        elif spec.kind is Kind.REQUESTS:
            for sub in value:
                g.add((node, prop, iris.claim(art.key, sub.id)))
                _claim(g, art, sub, annotations)
        else:  # pragma: no cover
            raise AssertionError(spec.kind)


def _count(g: Graph, claim: URIRef, count: Count) -> None:
    node = iris.sub(claim, "count")
    g.add((claim, HRR.count, node))
    g.add((node, RDF.type, HRR.Count))
    g.add((node, HRR.comparator, HRR[ENUMS["comparator"][count.comparator]]))
    g.add((node, HRR.value, _nn(count.value)))
    g.add((node, HRR.wording, Literal(count.wording)))
    lo, hi = count.bounds
    if lo is not None:
        g.add((node, HRR.minValue, _nn(lo)))
    if hi is not None:
        g.add((node, HRR.maxValue, _nn(hi)))
    if count.counts:
        g.add((node, HRR.counts, Literal(count.counts)))


def map_additions(store: Store, ds: Dataset) -> None:
    """Curator Turtle, vetted by ``kg.turtle``, one named graph per file."""
    errors: list[InputError] = []
    for tf in ds.turtle:
        g = store.graph(iris.G.addition(tf.name))
        for t in collect(errors, turtle.parse_untrusted, tf) or ():
            g.add(t)
    if errors:
        raise InputErrors(errors)


def map_dataset(store: Store, ds: Dataset, ontology_path: Path) -> None:
    map_ontology(store, ontology_path)
    map_entities(store, ds.entities)
    for art in ds.articles:
        map_article(store, art)
    map_additions(store, ds)
