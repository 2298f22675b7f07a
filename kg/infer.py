"""OWL 2 RL inference (owlrl) into its own named graph, plus conditional rules.

The closure is computed over the asserted ontology, entity, article and
addition graphs.  Kept: new triples about the dataset's own resources (the
ontology's own closure, owl:sameAs reflexivity and owl:Thing typing are noise
to a consumer).  owlrl reports inconsistencies as ``err:`` triples; those
become an :class:`InconsistencyError` and never reach a dump.  Conditions OWL RL
cannot express (e.g. only speech acts that occurred) are CONSTRUCT queries in
``ontology/rules/``, run on the closure and also kept in the inferred graph.
"""

from __future__ import annotations

from pathlib import Path

import owlrl
from owlrl.Namespaces import ERRNS
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from . import iris
from .errors import InconsistencyError
from .store import Store

RULES = Path(__file__).resolve().parent.parent / "ontology" / "rules"
_NOISE_TYPES = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual}


_PROPERTY_AXIOMS = (RDFS.domain, RDFS.range, RDFS.subPropertyOf, OWL.inverseOf, OWL.equivalentProperty,
                    OWL.propertyChainAxiom, OWL.onProperty)
_PROPERTY_TYPES = (OWL.TransitiveProperty, OWL.SymmetricProperty, OWL.FunctionalProperty,
                   OWL.InverseFunctionalProperty, OWL.AsymmetricProperty, OWL.IrreflexiveProperty)


def reasoned_properties(ontology: Graph) -> set:
    """Properties some OWL RL rule can act on, given the ontology's axioms (and rdf:type)."""
    props = {RDF.type, OWL.sameAs}
    for axiom in _PROPERTY_AXIOMS:
        for s, o in ontology.subject_objects(axiom):
            props.add(o if axiom in (OWL.onProperty,) else s)
            if axiom in (RDFS.subPropertyOf, OWL.inverseOf, OWL.equivalentProperty):
                props.add(o)
    for t in _PROPERTY_TYPES:
        props.update(ontology.subjects(RDF.type, t))
    return props


def _asserted(store: Store) -> Graph:
    """The reasoner's input: the ontology, plus data triples whose property the ontology constrains.

    A triple whose property has no domain, range, super-property, inverse or
    characteristic (oa:exact, schema:text, rdfs:label …) cannot fire any OWL RL
    rule with this ontology, so it is left out: the closure is the same and
    several times faster.
    """
    ontology = store.graph(iris.G.ONTOLOGY)
    keep = reasoned_properties(ontology)
    g = Graph()
    for t in ontology:
        g.add(t)
    for name in store.graph_names():
        if name not in (iris.G.ONTOLOGY, iris.G.PROVENANCE, iris.G.INFERRED):
            for t in store.graph(name):
                if t[1] in keep:
                    g.add(t)
    return g


def closure(store: Store) -> tuple[Graph, set]:
    g = _asserted(store)
    asserted = set(g)
    # improved_datatypes=False: owlrl would otherwise swap rdflib's lexical-to-Python conversions
    # while it runs and not restore them exactly, so validation after inference in the same
    # process would judge literals differently from validation before it.
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False,
                           improved_datatypes=False).expand(g)
    errors = sorted(str(o) for s in g.subjects(RDF.type, ERRNS.ErrorMessage) for o in g.objects(s, ERRNS.error))
    if errors:
        raise InconsistencyError("OWL RL reasoning found the graph inconsistent:\n  " + "\n  ".join(errors))
    return g, asserted


def _keep(triple) -> bool:
    s, p, o = triple
    if not (isinstance(s, URIRef) and str(s).startswith(iris.DATASET)):
        return False
    if p == OWL.sameAs and s == o:
        return False
    if p == RDF.type and o in _NOISE_TYPES:
        return False
    return True


def rules(directory: Path = RULES) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.rq"))}


def infer(store: Store) -> Graph:
    """Fill the inferred graph; returns it."""
    g, _ = closure(store)
    asserted = set(store.union())  # every asserted graph, provenance included
    inferred = store.graph(iris.G.INFERRED)
    for t in g:
        if t not in asserted and _keep(t):
            inferred.add(t)
    for text in rules().values():
        for t in g.query(text):
            if t not in asserted:
                inferred.add(t)
    return inferred
