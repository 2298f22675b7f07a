"""FOOPS!-style metadata of the ontology, and `kg docs`: every term documented, nothing fetched."""

from __future__ import annotations

import re
import socket

import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, VANN

from kg import cli, docs, iris

G = rdflib.Graph().parse(docs.ONTOLOGY, format="turtle")
ONTO = rdflib.URIRef(iris.ONTOLOGY_IRI)
NS = iris.ONTOLOGY
TERMS = sorted({s for s in G.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(NS)})
CLASSES = sorted(s for s in G.subjects(RDF.type, OWL.Class) if str(s).startswith(NS))
PROPERTIES = sorted({s for t in (OWL.ObjectProperty, OWL.DatatypeProperty) for s in G.subjects(RDF.type, t)})
SCHEMES = sorted(G.subjects(RDF.type, SKOS.ConceptScheme))
CONCEPTS = sorted(set(G.subjects(SKOS.inScheme, None)))


def test_enough_terms():
    assert len(TERMS) >= 140 and len(CONCEPTS) >= 44 and len(SCHEMES) == 6


def test_ontology_header_has_the_foops_metadata():
    version = G.value(ONTO, OWL.versionIRI)
    assert version is not None and version != ONTO
    assert str(G.value(ONTO, DCTERMS.license)) == "https://creativecommons.org/licenses/by/4.0/"
    assert str(G.value(ONTO, VANN.preferredNamespacePrefix)) == "hrr"
    assert str(G.value(ONTO, VANN.preferredNamespaceUri)) == NS
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.created, DCTERMS.modified, DCTERMS.publisher,
                 DCTERMS.creator, OWL.versionInfo):
        assert G.value(ONTO, prop) is not None, prop
    assert G.value(ONTO, DCTERMS.created).toPython() <= G.value(ONTO, DCTERMS.modified).toPython()


@pytest.mark.parametrize("term", TERMS, ids=lambda t: str(t)[len(NS):])
def test_every_term_is_labelled_defined_and_says_where(term):
    assert G.value(term, RDFS.label) or G.value(term, SKOS.prefLabel), "no rdfs:label or skos:prefLabel"
    assert G.value(term, RDFS.comment) or G.value(term, SKOS.definition), "no rdfs:comment or skos:definition"
    assert (term, RDFS.isDefinedBy, ONTO) in G


@pytest.mark.parametrize("concept", CONCEPTS + SCHEMES, ids=lambda t: str(t)[len(NS):])
def test_every_concept_and_scheme_has_a_definition(concept):
    definition = G.value(concept, SKOS.definition)
    assert definition is not None and len(str(definition)) > 20 and definition.language == "en"


@pytest.mark.parametrize("concept", CONCEPTS, ids=lambda t: str(t)[len(NS):])
def test_every_concept_is_a_top_concept_or_has_a_broader_one(concept):
    scheme = G.value(concept, SKOS.inScheme)
    broader = G.value(concept, SKOS.broader)
    assert (concept, SKOS.topConceptOf, scheme) in G or (broader is not None and G.value(broader, SKOS.inScheme) == scheme)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """`kg docs` with every outbound connection refused: pyLODE must need nothing from the network."""
    out = tmp_path_factory.mktemp("docs")
    attempts = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise OSError("network access refused by the test")

    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", refuse)
    mp.setattr(socket.socket, "connect_ex", refuse)
    try:
        assert cli.main(["docs", "--out", str(out)]) == 0
    finally:
        mp.undo()
    assert attempts == []
    return out


def test_docs_document_every_class_and_property(written):
    page = (written / "ontology.html").read_text(encoding="utf-8")
    documented = docs.fragments(page)
    missing = [str(t) for t in CLASSES + PROPERTIES if str(t) not in documented]
    assert missing == [] and len(documented) >= len(CLASSES) + len(PROPERTIES)


def test_docs_document_every_concept_and_scheme(written):
    page = (written / "concepts.html").read_text(encoding="utf-8")
    for term in CONCEPTS + SCHEMES:
        assert f'id="{str(term)[len(NS):]}"' in page, term
    for concept in CONCEPTS:
        assert str(G.value(concept, SKOS.definition)).replace("'", "&#x27;") in page, concept


def test_docs_link_up_and_are_deterministic(written, tmp_path):
    index = (written / "index.html").read_text(encoding="utf-8")
    assert 'href="ontology.html"' in index and 'href="concepts.html"' in index and str(G.value(ONTO, OWL.versionIRI)) in index
    concepts = (written / "concepts.html").read_text(encoding="utf-8")
    ontology_ids = set(re.findall(r'id="([^"]+)"', (written / "ontology.html").read_text(encoding="utf-8")))
    links = re.findall(r'href="ontology.html#([^"]+)"', concepts)
    assert len(links) == len(CONCEPTS)
    for frag in links:
        assert frag in ontology_ids, f"concepts.html links to a missing anchor #{frag}"
    docs.write(tmp_path)
    for name in docs.PAGES:
        assert (tmp_path / name).read_bytes() == (written / name).read_bytes(), name
    assert not list(tmp_path.glob(".*.tmp"))
