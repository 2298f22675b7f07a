"""The ontology: documented, aligned, and in step with the code's vocabulary."""

from __future__ import annotations

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS, VANN, DCTERMS

from kg import iris, model
from kg.build import ONTOLOGY
from kg.vocab import HRR

G = rdflib.Graph().parse(ONTOLOGY, format="turtle")
NS = str(HRR._NS)
CLASSES = sorted(s for s in G.subjects(RDF.type, OWL.Class) if str(s).startswith(NS))
PROPERTIES = sorted({s for t in (OWL.ObjectProperty, OWL.DatatypeProperty) for s in G.subjects(RDF.type, t) if str(s).startswith(NS)})


def test_vocabulary_module_lists_exactly_the_ontology_terms():
    defined = {str(s)[len(NS):] for s in G.subjects() if str(s).startswith(NS) and str(s) != NS}
    declared = set(HRR.__annotations__)
    assert declared == defined, (declared - defined, defined - declared)


def test_header():
    onto = rdflib.URIRef(iris.ONTOLOGY_IRI)
    assert (onto, RDF.type, OWL.Ontology) in G
    for prop in (DCTERMS.title, DCTERMS.license, OWL.versionInfo, OWL.versionIRI, VANN.preferredNamespacePrefix):
        assert G.value(onto, prop) is not None, prop


def test_every_class_and_property_is_documented():
    assert len(CLASSES) > 30 and len(PROPERTIES) > 40
    for term in CLASSES + PROPERTIES:
        assert G.value(term, RDFS.label) is not None, f"{term} has no rdfs:label"
        assert G.value(term, RDFS.comment) is not None, f"{term} has no rdfs:comment"


def test_every_property_has_domain_and_range():
    for prop in PROPERTIES:
        assert G.value(prop, RDFS.domain) is not None, f"{prop} has no rdfs:domain"
        assert G.value(prop, RDFS.range) is not None, f"{prop} has no rdfs:range"


def test_aligned_with_standard_vocabularies():
    supers = {str(o) for o in G.objects(None, RDFS.subClassOf)} | {str(o) for o in G.objects(None, RDFS.subPropertyOf)}
    for ns in ("http://www.w3.org/ns/prov#", "https://schema.org/", "http://xmlns.com/foaf/0.1/", "http://www.w3.org/2004/02/skos/core#"):
        assert any(s.startswith(ns) for s in supers), ns
    assert (HRR.evidence, RDFS.range, rdflib.URIRef("http://www.w3.org/ns/oa#Annotation")) in G


def test_value_schemes_cover_the_loader_vocabularies():
    for vocab in model.ENUMS.values():
        for local in vocab.values():
            term = HRR[local]
            assert (term, RDF.type, OWL.Class) in G or G.value(term, SKOS.inScheme) is not None, term


def test_every_mapped_class_and_property_exists():
    for ct in model.CLAIM_TYPES.values():
        assert (HRR[ct.cls], RDF.type, OWL.Class) in G
        for spec in ct.fields:
            if spec.prop:
                assert HRR[spec.prop] in PROPERTIES, spec.prop
    for cls, agent_prop in model.ACTS.values():
        assert (HRR[cls], RDF.type, OWL.Class) in G and HRR[agent_prop] in PROPERTIES
