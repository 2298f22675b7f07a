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
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import OWL, RDF, RDFS

from . import iris, rl
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


_ANNOTATIONS = {RDFS.label, RDFS.comment, RDFS.isDefinedBy, RDFS.seeAlso}
_SCHEMA = (str(RDF), str(RDFS), str(OWL))


def axioms(ontology, keep: set) -> list:
    """The ontology's triples a closure of an article's data can use: its RDF, RDFS and OWL
    statements (annotations aside) and those of properties in ``keep``. Left out are the
    labels, comments, definitions and SKOS/Dublin Core annotations of the ontology's own terms:
    no OWL RL rule carries a triple about an ontology term over to a resource of the dataset
    unless the two are made ``owl:sameAs``, which an article's data cannot do (its functional
    properties take either the ontology's individuals or the dataset's resources, never both),
    and only triples about the dataset's resources are kept. An article's inferences are
    tested equal to owlrl's on the whole dataset with the whole ontology (tests/test_scale.py)."""
    return [t for t in ontology if t[1] in keep or (str(t[1]).startswith(_SCHEMA) and t[1] not in _ANNOTATIONS)]


def reasoner_triples(ontology, graphs, keep: set) -> set:
    """:func:`reasoner_input` as a set of rdflib triples (no graph is built): the ontology's
    triples (a graph or a list of them) and the data triples whose property is in ``keep``."""
    out = set(ontology)
    for graph in graphs:
        out.update(t for t in graph if t[1] in keep)
    return out


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
    NATIVE = "native"           # kg.rl: the assertions closed over a compiled schema; reasonable where it steps aside


def engine() -> Engine:
    """``KG_REASONER=owlrl`` selects the reference engine, ``reasonable`` the Rust one; the default is
    the native one (:mod:`kg.rl`)."""
    value = os.environ.get("KG_REASONER", Engine.NATIVE.value)
    try:
        return Engine(value)
    except ValueError:
        from .errors import UsageError
        raise UsageError(f"KG_REASONER={value!r}: use 'native' (the default), 'reasonable' or 'owlrl' "
                         "(the reference engine)") from None


def expand(g: Graph, which: Engine | None = None) -> Graph:
    """The OWL 2 RL closure of ``g``, in place; an inconsistency raises :class:`InconsistencyError`."""
    which = which or engine()
    if which is Engine.NATIVE:
        for t in close(set(g), which):
            g.add(t)
        return g
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


_UNCHECKED_SET = frozenset(_UNCHECKED)


def fast_supported(ontology) -> bool:
    """True when every inconsistency the ontology can produce is one `clashes` detects
    (``ontology``: a graph, or a set of triples)."""
    if isinstance(ontology, Graph):
        return not any((None, None, term) in ontology or (None, term, None) in ontology for term in _UNCHECKED)
    return not any(p in _UNCHECKED_SET or o in _UNCHECKED_SET for _, p, o in ontology)


def _reasonable(triples) -> list:
    """What ``reasonable`` derives from ``triples`` (input included), xsd:string literals made plain."""
    import reasonable
    r = reasonable.PyReasoner()
    r.from_graph(triples if isinstance(triples, (list, Graph)) else list(triples))
    out = []
    for s, p, o in r.reason():
        if isinstance(o, Literal) and o.datatype == _XSD_STRING:
            o = Literal(str(o))
        out.append((s, p, o))
    return out


def close(triples: set, which: Engine | None = None) -> set:
    """The OWL 2 RL closure of a set of rdflib triples, as a new set (the input included); the
    same closure as :func:`expand` gives of a graph of those triples, with no graph built on
    the fast engines. On the native engine it is the input and what :mod:`kg.rl` concludes about
    the assertions (no schema-level conclusions, eq-ref or ``owl:Thing`` types, which
    :func:`new_triples` would drop); where that engine steps aside, ``reasonable`` closes it.
    An inconsistency raises :class:`InconsistencyError`."""
    which = which or engine()
    if which is Engine.NATIVE:
        try:
            found = rl.conclusions(triples)
        except rl.Unsupported:
            which = Engine.REASONABLE
        else:
            closed = set(triples)
            closed.update(found)
            _raise_clashes(closed)
            return closed
    if which is Engine.REASONABLE and fast_supported(triples):
        closed = set(_reasonable(triples))   # the reasoner's answer holds its input (tests/test_infer_sets.py)
        # but an explicit xsd:string literal comes back made plain, as the graph path keeps both
        closed.update(t for t in triples if type(t[2]) is Literal and t[2].datatype == _XSD_STRING)
        _raise_clashes(closed)
        return closed
    g = Graph()
    for t in triples:
        g.add(t)
    return set(expand(g, which))


def expand_fast(g: Graph) -> Graph:
    """The OWL 2 RL closure by ``reasonable`` (Rust), in place, with owlrl's consistency checks.

    ``reasonable`` computes the same entailments as owlrl (a test compares them on
    the seeds and a generated corpus) but reports no inconsistencies, so the rules
    that make a graph inconsistent under this ontology are checked on its closure
    here: cax-dw (an individual of two disjoint classes) and eq-diff1 (``owl:sameAs``
    between individuals declared ``owl:differentFrom``, as prp-fp yields for two
    factualities).  ``fast_supported`` guards that nothing else could clash.
    """
    for t in _reasonable(g):
        g.add(t)
    _raise_clashes(g)
    return g


def _raise_clashes(closed) -> None:
    errors = clashes(closed)
    if errors:
        raise InconsistencyError("OWL RL reasoning found the graph inconsistent:\n  " + "\n  ".join(errors))


def clashes(triples) -> list[str]:
    """The cax-dw and eq-diff1 inconsistencies of a closed graph (or set of triples), worded as
    owlrl words them."""
    members: dict = {}
    disjoint, same, different = [], [], set()
    eq = str.__eq__   # rdflib's URIRef.__eq__ is Python code; the comparison of the IRIs is the same
    a, dw, sa, df = str(RDF.type), str(OWL.disjointWith), str(OWL.sameAs), str(OWL.differentFrom)
    for s, p, o in triples:
        if eq(p, a):
            members.setdefault(o, set()).add(s)
        elif eq(p, dw):
            disjoint.append((s, o))
        elif eq(p, sa):
            same.append((s, o))
        elif eq(p, df):
            different.add((s, o))
    errors = []
    for c1, c2 in disjoint:
        for x in members.get(c1, set()) & members.get(c2, set()):
            errors.append(f"Disjoint classes {c1} and {c2} have a common individual {x}")
    for x, y in same:
        if x != y and ((x, y) in different or (y, x) in different):
            errors.append(f"'sameAs' and 'differentFrom' cannot be used on the same subject-object pair: ({x}, {y})")
    for x, y in different:   # eq-ref makes every resource owl:sameAs itself (neither fast engine writes that down)
        if x == y:
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


_SAME_AS, _TYPE = str(OWL.sameAs), str(RDF.type)
_NOISE = {str(t) for t in _NOISE_TYPES}


def _keep(triple, base: str | None = None) -> bool:
    s, p, o = triple
    if not (isinstance(s, URIRef) and s.startswith(base or iris.base())):
        return False
    # compared as strings: rdflib's __eq__ is Python code, str's is not (both compare the IRIs)
    if str.__eq__(p, _SAME_AS) and s == o:
        return False
    if str.__eq__(p, _TYPE) and isinstance(o, URIRef) and str(o) in _NOISE:
        return False
    return True


def _key_rules() -> tuple | None:
    """The rules as (patterns, template) of keys, or None if one is not a plain basic graph pattern
    (then only the rdflib path can run it) or ``KG_RULES=rdflib`` asks for rdflib's engine."""
    return None if os.environ.get("KG_RULES") == "rdflib" else _compiled_key_rules()


@functools.lru_cache(maxsize=1)
def _compiled_key_rules() -> tuple | None:
    out = []
    for prepared in _prepared_rules():
        found = _bgp_construct(prepared.algebra)
        if found is None:
            return None
        out.append(tuple([tuple(x if isinstance(x, Variable) else rl._key(x) for x in t) for t in part]
                         for part in found))
    return tuple(out)


def new_key_triples(closed: set, asserted: set) -> set | None:
    """:func:`new_triples` of a closure held as triples of keys (``kg.rl.key_conclusions``), as
    triples of keys; None where a rule is not one this can evaluate (then use :func:`new_triples`)."""
    rules_ = _key_rules()
    if rules_ is None:
        return None
    base, same, a, noise = iris.base(), _SAME_AS, _TYPE, _NOISE   # _keep on keys, written out (62,000 at 10,000 articles)
    out = {t for t in closed if type(t[0]) is str and t[0].startswith(base) and t not in asserted
           and not (t[1] == same and t[0] == t[2]) and not (t[1] == a and type(t[2]) is str and t[2] in noise)}
    if rules_:
        index = _Index(closed, {p for patterns, _ in rules_ for _, p, _ in patterns})
        for patterns, template in rules_:
            out.update(t for t in _construct(patterns, template, index) if t not in asserted)
    return out


def rules(directory: Path = RULES) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.rq"))}


@functools.lru_cache(maxsize=1)
def _prepared_rules() -> tuple:
    """The rules parsed once per process (rdflib's SPARQL parser dominates a small closure's cost)."""
    from rdflib.plugins.sparql import prepareQuery
    return tuple(prepareQuery(text) for text in rules().values())


def _predicates(algebra) -> set | None:
    """The predicates a rule's patterns name, or None if one is a variable or a path (then the
    rule needs the whole graph)."""
    found: set = set()

    def walk(node) -> bool:
        if getattr(node, "name", None) == "BGP":
            for _, p, _ in node["triples"]:
                if not isinstance(p, URIRef):
                    return False
                found.add(p)
        if isinstance(node, dict):
            return all(walk(v) for k, v in node.items() if k != "template")
        if isinstance(node, (list, tuple)):
            return all(walk(v) for v in node)
        return True

    return found if walk(algebra) else None


def _bgp_construct(algebra) -> tuple[list, list] | None:
    """(patterns, template) of a rule that is a CONSTRUCT of one basic graph pattern with IRI
    predicates and no blank node in its template; None for anything else."""
    if getattr(algebra, "name", None) != "ConstructQuery" or algebra.get("datasetClause"):
        return None
    proj = algebra.get("p")
    bgp = proj.get("p") if getattr(proj, "name", None) == "Project" else None
    if getattr(bgp, "name", None) != "BGP":
        return None
    patterns, template = list(bgp["triples"]), list(algebra["template"])
    if not all(isinstance(p, URIRef) for _, p, _ in patterns):
        return None
    if any(isinstance(term, BNode) for t in template for term in t):
        return None
    return patterns, template


class _Index:
    """Triples of the given predicates, looked up by predicate, by (predicate, subject) and by
    (predicate, object)."""

    def __init__(self, triples, predicates: set) -> None:
        self.by_p: dict = {}
        self.by_ps: dict = {}
        self.by_po: dict = {}
        for s, p, o in triples:
            if p in predicates:
                self.by_p.setdefault(p, []).append((s, o))
                self.by_ps.setdefault((p, s), []).append(o)
                self.by_po.setdefault((p, o), []).append(s)

    def pairs(self, s, p, o) -> list:
        """(subject, object) pairs matching the pattern (None: unbound)."""
        if s is not None and o is not None:
            return [(s, o)] if o in self.by_ps.get((p, s), ()) else []
        if s is not None:
            return [(s, x) for x in self.by_ps.get((p, s), ())]
        if o is not None:
            return [(x, o) for x in self.by_po.get((p, o), ())]
        return self.by_p.get(p, [])


def _construct(patterns: list, template: list, index: _Index) -> set:
    """The answers of CONSTRUCT { template } WHERE { patterns } over ``index``: every solution
    of the patterns (joined pattern by pattern, bound terms looked up), each template triple
    instantiated where all its variables are bound."""
    out: set = set()
    rest = sorted(patterns, key=lambda t: len(index.by_p.get(t[1], ())))

    def match(i: int, binding: dict) -> None:
        if i == len(rest):
            for t in template:
                terms = tuple(binding.get(x) if isinstance(x, Variable) else x for x in t)
                if None not in terms:   # rdflib keeps a literal subject too (the spec drops it): as the reference does
                    out.add(terms)
            return
        s, p, o = rest[i]
        s_val = binding.get(s) if isinstance(s, Variable) else s
        o_val = binding.get(o) if isinstance(o, Variable) else o
        for ts, to in index.pairs(s_val, p, o_val):
            if s_val is None and o_val is None and s == o and ts != to:
                continue   # ?x p ?x
            b = dict(binding)
            if s_val is None:
                b[s] = ts
            if o_val is None:
                b[o] = to
            match(i + 1, b)

    match(0, {})
    return out


def new_triples(closed, asserted) -> set:
    """What the closure and the rules add about the dataset's own resources (``asserted`` left out).

    ``closed``: the closed graph, or the closure as a set of triples; the rules (basic graph
    patterns) then run on a graph of only the triples whose predicate they name, which gives
    exactly their answers on the whole closure."""
    base = iris.base()
    out = {t for t in closed if _keep(t, base) and t not in asserted}
    plain = {} if isinstance(closed, Graph) or os.environ.get("KG_RULES") == "rdflib" else {
        prepared: found for prepared in _prepared_rules() if (found := _bgp_construct(prepared.algebra))}
    index = _Index(closed, {p for patterns, _ in plain.values() for _, p, _ in patterns}) if plain else None
    for prepared in _prepared_rules():
        if prepared in plain:   # evaluated here: rdflib's SPARQL engine took most of a small closure's time
            out.update(t for t in _construct(*plain[prepared], index) if t not in asserted)
            continue
        if isinstance(closed, Graph):
            g = closed
        else:
            preds = _predicates(prepared.algebra)
            g = Graph()
            for t in closed:
                if preds is None or t[1] in preds:
                    g.add(t)
        for t in g.query(prepared):
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
