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

import enum
import functools
import os
from pathlib import Path

import owlrl
from owlrl.Namespaces import ERRNS
from rdflib import Graph, Literal, URIRef
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


def reasoner_input(ontology: Graph, graphs, keep: set | None = None) -> Graph:
    """The reasoner's input: the ontology, plus data triples whose property the ontology constrains.

    A triple whose property has no domain, range, super-property, inverse or
    characteristic (oa:exact, schema:text, rdfs:label …) cannot fire any OWL RL
    rule with this ontology, so it is left out: the closure is the same and
    several times faster.
    """
    keep = reasoned_properties(ontology) if keep is None else keep
    g = Graph()
    for t in ontology:
        g.add(t)
    for graph in graphs:
        for t in graph:
            if t[1] in keep:
                g.add(t)
    return g


class Engine(enum.Enum):
    OWLRL = "owlrl"             # the reference semantics (pure Python)
    REASONABLE = "reasonable"   # the same closure in Rust, with our consistency checks


def engine() -> Engine:
    """``KG_REASONER=owlrl`` selects the reference engine; the default is the fast one."""
    return Engine(os.environ.get("KG_REASONER", Engine.REASONABLE.value))


def expand(g: Graph, which: Engine | None = None) -> Graph:
    """The OWL 2 RL closure of ``g``, in place; an inconsistency raises :class:`InconsistencyError`."""
    which = which or engine()
    if which is Engine.REASONABLE and fast_supported(g):
        return expand_fast(g)
    # improved_datatypes=False: owlrl would otherwise swap rdflib's lexical-to-Python conversions
    # while it runs and not restore them exactly, so validation after inference in the same
    # process would judge literals differently from validation before it.
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False,
                           improved_datatypes=False).expand(g)
    errors = sorted(str(o) for s in g.subjects(RDF.type, ERRNS.ErrorMessage) for o in g.objects(s, ERRNS.error))
    if errors:
        raise InconsistencyError("OWL RL reasoning found the graph inconsistent:\n  " + "\n  ".join(errors))
    return g


# ---------------------------------------------------------------- the fast engine

# Axioms whose OWL 2 RL consistency rules `clashes` checks; an ontology using any other
# inconsistency-producing construct is reasoned over by owlrl instead.
_CHECKED = {OWL.disjointWith, OWL.differentFrom}
_UNCHECKED = (OWL.AllDisjointClasses, OWL.AllDisjointProperties, OWL.propertyDisjointWith, OWL.AsymmetricProperty,
              OWL.IrreflexiveProperty, OWL.maxCardinality, OWL.maxQualifiedCardinality, OWL.complementOf,
              OWL.NegativePropertyAssertion, OWL.AllDifferent, OWL.hasKey)
_XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")


def fast_supported(ontology: Graph) -> bool:
    """True when every inconsistency the ontology can produce is one `clashes` detects."""
    return not any((None, None, term) in ontology or (None, term, None) in ontology for term in _UNCHECKED)


def expand_fast(g: Graph) -> Graph:
    """The OWL 2 RL closure by ``reasonable`` (Rust), in place, with owlrl's consistency checks.

    ``reasonable`` computes the same entailments as owlrl (a test compares them on
    the seeds and a generated corpus) but reports no inconsistencies, so the rules
    that make a graph inconsistent under this ontology are checked on its closure
    here: cax-dw (an individual of two disjoint classes) and eq-diff1 (``owl:sameAs``
    between individuals declared ``owl:differentFrom``, as prp-fp yields for two
    factualities).  ``fast_supported`` guards that nothing else could clash.
    """
    import reasonable
    r = reasonable.PyReasoner()
    r.from_graph(g)
    for s, p, o in r.reason():
        if isinstance(o, Literal) and o.datatype == _XSD_STRING:
            o = Literal(str(o))
        g.add((s, p, o))
    errors = clashes(g)
    if errors:
        raise InconsistencyError("OWL RL reasoning found the graph inconsistent:\n  " + "\n  ".join(errors))
    return g


def clashes(g: Graph) -> list[str]:
    """The cax-dw and eq-diff1 inconsistencies of a closed graph, worded as owlrl words them."""
    errors = []
    for c1, c2 in g.subject_objects(OWL.disjointWith):
        for x in set(g.subjects(RDF.type, c1)) & set(g.subjects(RDF.type, c2)):
            errors.append(f"Disjoint classes {c1} and {c2} have a common individual {x}")
    for x, y in g.subject_objects(OWL.sameAs):
        if x != y and ((x, OWL.differentFrom, y) in g or (y, OWL.differentFrom, x) in g):
            errors.append(f"'sameAs' and 'differentFrom' cannot be used on the same subject-object pair: ({x}, {y})")
    return sorted(set(errors))


def _asserted(store: Store) -> Graph:
    ontology = store.graph(iris.G.ONTOLOGY)
    return reasoner_input(ontology, [store.graph(n) for n in store.graph_names()
                                     if n not in (iris.G.ONTOLOGY, iris.G.PROVENANCE, iris.G.INFERRED)])


def closure(store: Store) -> tuple[Graph, set]:
    g = _asserted(store)
    asserted = set(g)
    return expand(g), asserted


def _keep(triple) -> bool:
    s, p, o = triple
    if not (isinstance(s, URIRef) and str(s).startswith(iris.base())):
        return False
    if p == OWL.sameAs and s == o:
        return False
    if p == RDF.type and o in _NOISE_TYPES:
        return False
    return True


def rules(directory: Path = RULES) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.rq"))}


@functools.lru_cache(maxsize=1)
def _prepared_rules() -> tuple:
    """The rules parsed once per process (rdflib's SPARQL parser dominates a small closure's cost)."""
    from rdflib.plugins.sparql import prepareQuery
    return tuple(prepareQuery(text) for text in rules().values())


def new_triples(closed: Graph, asserted) -> set:
    """What the closure and the rules add about the dataset's own resources (``asserted`` left out)."""
    out = {t for t in closed if t not in asserted and _keep(t)}
    for prepared in _prepared_rules():
        for t in closed.query(prepared):
            if t not in asserted:
                out.add(t)
    return out


def infer(store: Store) -> Graph:
    """Fill the inferred graph; returns it."""
    g, _ = closure(store)
    asserted = set(store.union())  # every asserted graph, provenance included
    inferred = store.graph(iris.G.INFERRED)
    for t in new_triples(g, asserted):
        inferred.add(t)
    return inferred
