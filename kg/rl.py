"""A native OWL 2 RL engine for assertions: what an ontology of class and property axioms lets
a reasoner conclude about the data, equal to owlrl on what the build keeps.

owlrl stays the reference semantics and the test oracle (``KG_REASONER=owlrl``), and ``reasonable``
(Rust) the other engine (``KG_REASONER=reasonable``).  This one exists because an article's closure
by ``reasonable`` cost more than its own reasoning: the ontology's 350 axioms are handed over and
closed again for every article, and its answer (the input, the ontology's closure, an
``owl:Thing`` type for every resource) comes back as 6,000 rdflib terms built one by one.  Here
the ontology's axioms are compiled once a process into tables (superclasses, super-properties,
domains, ranges, inverses, property characteristics), and the data is closed over them by
semi-naive forward chaining on plain strings.

The input is split by what a triple says. Its *schema* is the triples of ``rdfs:subClassOf``,
``rdfs:subPropertyOf``, ``rdfs:domain``, ``rdfs:range``, ``owl:equivalentClass``,
``owl:equivalentProperty``, ``owl:inverseOf`` and ``owl:disjointWith``, and the declarations of
classes and properties (``a owl:TransitiveProperty`` …); everything else is an *assertion* (an
article's data, a registry entry, the ontology's own individuals).  The rules drawn over the
assertions, with the schema fixed:

* cax-sco, cax-eqc1, cax-eqc2 (an instance of a class is one of its superclasses and equivalents);
* prp-dom, prp-rng, prp-spo1, prp-eqp1, prp-eqp2, prp-inv1, prp-inv2, prp-symp, prp-trp;
* prp-fp, prp-ifp (``owl:sameAs`` between the values, or the holders, of a functional property);
* eq-sym, eq-trans, eq-rep-s, eq-rep-p, eq-rep-o (what holds of one of two same resources holds of
  the other);
* cax-dw and eq-diff1, the inconsistencies, checked by :func:`kg.infer.clashes` on the result.

What the result leaves out, because the build keeps none of it (``kg.infer.new_triples`` keeps
triples about the dataset's own resources, without ``owl:Thing``/``rdfs:Resource`` types or
``x owl:sameAs x``): the schema's own closure (the scm-* rules, conclusions about the ontology's
terms), eq-ref and cls-thing, and any conclusion whose subject is a literal (``reasonable`` draws
none either; owlrl does, and none can lead back to a resource of the dataset but a literal made
``owl:sameAs`` another, which makes this engine step aside).

It steps aside (:class:`Unsupported`, and ``kg.infer.close`` reasons with ``reasonable`` instead)
whenever that would not give owlrl's answer: a schema using any other OWL or RDFS term (class
expressions, property chains, keys, cardinalities, ``owl:Nothing`` …), ``owl:Thing`` or
``rdfs:Resource`` given a superclass, an assertion concluding a schema triple (a type that is a
property characteristic, a value of ``rdfs:subClassOf``), ``owl:sameAs`` reaching a term the schema
speaks of or a literal.  ``tests/test_rl.py`` checks it against owlrl and ``reasonable`` on every
seed article, a generated corpus and random data over an ontology using every rule above.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS


class Unsupported(Exception):
    """This input needs a rule the engine does not draw: reason with another engine."""


_TYPE, _SAME = str(RDF.type), str(OWL.sameAs)
_SCO, _SPO, _DOM, _RNG = str(RDFS.subClassOf), str(RDFS.subPropertyOf), str(RDFS.domain), str(RDFS.range)
_EQC, _EQP, _INV, _DW = str(OWL.equivalentClass), str(OWL.equivalentProperty), str(OWL.inverseOf), str(OWL.disjointWith)
_SCHEMA_PREDICATES = frozenset((_SCO, _SPO, _DOM, _RNG, _EQC, _EQP, _INV, _DW))
_TRANSITIVE, _SYMMETRIC = str(OWL.TransitiveProperty), str(OWL.SymmetricProperty)
_FUNCTIONAL, _INVERSE_FUNCTIONAL = str(OWL.FunctionalProperty), str(OWL.InverseFunctionalProperty)
# a type that declares a schema term (the last four are what the tables are made of)
_SCHEMA_CLASSES = frozenset(str(c) for c in (
    OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property,
    OWL.Ontology, RDFS.Datatype, OWL.OntologyProperty, OWL.DeprecatedClass, OWL.DeprecatedProperty,
    OWL.TransitiveProperty, OWL.SymmetricProperty, OWL.FunctionalProperty, OWL.InverseFunctionalProperty))
# terms of the RDF, RDFS and OWL vocabularies that no rule drawn by OWL 2 RL acts on beyond the above
_INERT = frozenset(str(t) for t in (
    RDF.type, OWL.sameAs, OWL.differentFrom, OWL.Thing, OWL.NamedIndividual, RDFS.Resource, RDFS.Literal,
    RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, OWL.versionInfo, OWL.versionIRI, OWL.priorVersion,
    OWL.backwardCompatibleWith, OWL.incompatibleWith, OWL.imports, OWL.deprecated, RDF.langString, RDF.PlainLiteral,
    RDF.HTML, RDF.XMLLiteral))
_TOP = frozenset(str(t) for t in (OWL.Thing, RDFS.Resource))
_VOCABULARIES = (str(RDF), str(RDFS), str(OWL))


def _key(term):
    """A term as a plain, hashable value (rdflib's ``__eq__`` is Python code, ``str``'s is not): an
    IRI as its ``str``, a literal or blank node as a tuple."""
    if type(term) is URIRef:
        return str.__str__(term)
    if isinstance(term, Literal):
        return ("L", str.__str__(term), term.datatype, term.language)
    if isinstance(term, URIRef):
        return str.__str__(term)
    if isinstance(term, BNode):
        return ("B", str.__str__(term))
    raise Unsupported(f"a term the engine does not know: {term!r}")


def _schema_term(key) -> bool:
    return type(key) is str and key.startswith(_VOCABULARIES)


def _closure(edges: dict) -> dict:
    """Everything each node reaches by one or more edges (itself left out)."""
    out = {}
    for start in edges:
        seen, todo = set(), list(edges[start])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(edges.get(n, ()))
        seen.discard(start)
        out[start] = tuple(seen)
    return out


class Schema:
    """The tables an ontology's schema triples compile to (keys as :func:`_key` makes them)."""

    def __init__(self, triples: frozenset) -> None:
        sco, spo = defaultdict(set), defaultdict(set)
        dom, rng, inv = defaultdict(set), defaultdict(set), defaultdict(set)
        self.characteristics: dict[str, set] = {c: set() for c in
                                                (_TRANSITIVE, _SYMMETRIC, _FUNCTIONAL, _INVERSE_FUNCTIONAL)}
        self.terms: set = set()   # every term the schema speaks of
        for s, p, o in triples:
            self.terms.update((s, o))
            if p == _SCO:
                sco[s].add(o)                      # cax-sco
            elif p == _EQC:
                sco[s].add(o), sco[o].add(s)       # cax-eqc1, cax-eqc2
            elif p == _SPO:
                spo[s].add(o)                      # prp-spo1
            elif p == _EQP:
                spo[s].add(o), spo[o].add(s)       # prp-eqp1, prp-eqp2
            elif p == _DOM:
                dom[s].add(o)                      # prp-dom
            elif p == _RNG:
                rng[s].add(o)                      # prp-rng
            elif p == _INV:
                inv[s].add(o), inv[o].add(s)       # prp-inv1, prp-inv2
            elif p == _TYPE and o in self.characteristics:
                self.characteristics[o].add(s)     # prp-trp, prp-symp, prp-fp, prp-ifp
        if _TOP & sco.keys():   # owlrl and reasonable type every resource owl:Thing; this engine does not
            raise Unsupported("owl:Thing or rdfs:Resource is given a superclass or an equivalent")
        self.superclasses = _closure(sco)
        self.superproperties = _closure(spo)
        self.domains = {p: tuple(cs) for p, cs in dom.items()}
        self.ranges = {p: tuple(cs) for p, cs in rng.items()}
        self.inverses = {p: tuple(ps) for p, ps in inv.items()}
        self.transitive = frozenset(self.characteristics[_TRANSITIVE])
        self.symmetric = frozenset(self.characteristics[_SYMMETRIC])
        self.functional = frozenset(self.characteristics[_FUNCTIONAL])
        self.inverse_functional = frozenset(self.characteristics[_INVERSE_FUNCTIONAL])
        self.uris = {k: URIRef(k) for k in self.terms if type(k) is str}   # made once, for the conclusions


@functools.lru_cache(maxsize=8)
def schema(triples: frozenset) -> Schema:
    """The compiled schema, once a process for each (the ontology's axioms are the same for every article)."""
    return Schema(triples)


def split(triples) -> tuple[list, list, dict]:
    """(schema keys, assertion keys, rdflib term by key) of rdflib triples; :class:`Unsupported` for a
    term of the RDF, RDFS or OWL vocabularies the engine has no rule for."""
    terms: dict = {}
    keyed = []
    for t in triples:
        k = []
        for term in t:
            key = str.__str__(term) if type(term) is URIRef else _key(term)
            terms[key] = term
            k.append(key)
        keyed.append(tuple(k))
    return *_classify(keyed), terms


def _classify(keyed) -> tuple[list, list]:
    """(schema, assertions) of triples of keys, as :func:`split` tells them apart."""
    tbox, facts = [], []
    for s, p, o in keyed:
        if p in _SCHEMA_PREDICATES or (p == _TYPE and o in _SCHEMA_CLASSES):
            tbox.append((s, p, o))
            continue
        if p.startswith(_VOCABULARIES) and p not in _INERT:
            raise Unsupported(f"the property {p}")
        if p == _TYPE and _schema_term(o) and o not in _INERT:
            raise Unsupported(f"the class {o}")
        facts.append((s, p, o))
    for s, p, o in tbox:
        for term in (s, o):
            if _schema_term(term) and term not in _INERT and term not in _SCHEMA_CLASSES:
                raise Unsupported(f"the term {term} in the schema")   # owl:Nothing, owl:Restriction, rdf:nil …
    return tbox, facts


def _term(key):
    if type(key) is str:
        return URIRef(key)
    if key[0] == "L":
        return Literal(key[1], datatype=key[2], lang=key[3])
    return BNode(key[1])


def conclusions(triples) -> list:
    """The rdflib triples the rules above conclude from ``triples`` that are not among them (subjects
    never literals); :class:`Unsupported` where the engine cannot give owlrl's answer."""
    tbox, facts, terms = split(triples)
    sc = schema(frozenset(tbox))
    new = _chain(sc, facts)
    terms = sc.uris | terms   # the input's own term objects where it has them
    return [tuple(terms[k] if k in terms else terms.setdefault(k, _term(k)) for k in t) for t in new]


def key_conclusions(keyed) -> list:
    """:func:`conclusions` of triples of keys (:func:`_key`'s: an IRI as its string, a literal or
    blank node as a tuple), as triples of keys: for a caller that holds its terms as keys already
    (the corpus-wide pass, ``kg.build``), with no rdflib term made either way."""
    tbox, facts = _classify(keyed)
    return _chain(schema(frozenset(tbox)), facts)


def _chain(sc: Schema, facts: list) -> list:
    """What the rules conclude from the assertions ``facts`` under ``sc``, as triples of keys."""
    supc, supp, dom, rng, inv = sc.superclasses, sc.superproperties, sc.domains, sc.ranges, sc.inverses
    sym = sc.symmetric
    joined = sc.transitive | sc.functional | sc.inverse_functional | {_SAME}   # indexed by (p, s) and (p, o)
    known = set(facts)
    by_ps: dict = defaultdict(set)    # (p, s) -> objects, for the properties in `joined`
    by_po: dict = defaultdict(set)    # (p, o) -> subjects
    done: list = []                   # the triples taken from `todo`, in order
    by_s = by_o = by_p = None         # built at the first owl:sameAs (eq-rep-*), kept up after
    new: list = []
    todo = list(known)

    def conclude(s, p, o) -> None:
        if type(s) is tuple and s[0] == "L":
            return   # a literal subject: see the module's docstring
        t = (s, p, o)
        if t not in known:
            if p in _SCHEMA_PREDICATES or (p == _TYPE and o in _SCHEMA_CLASSES):
                raise Unsupported("an assertion concludes a schema triple")
            known.add(t)
            new.append(t)
            todo.append(t)

    while todo:
        t = todo.pop()
        s, p, o = t
        done.append(t)
        if by_s is not None:
            by_s[s].append((p, o))
            by_o[o].append((s, p))
            by_p[p].append((s, o))
        if p == _TYPE:
            for c in supc.get(o, ()):
                conclude(s, _TYPE, c)                 # cax-sco, cax-eqc1/2
        for c in dom.get(p, ()):
            conclude(s, _TYPE, c)                     # prp-dom
        for c in rng.get(p, ()):
            conclude(o, _TYPE, c)                     # prp-rng
        for q in supp.get(p, ()):
            conclude(s, q, o)                         # prp-spo1, prp-eqp1/2
        for q in inv.get(p, ()):
            conclude(o, q, s)                         # prp-inv1/2
        if p in sym:
            conclude(o, p, s)                         # prp-symp
        if p in joined:
            by_ps[p, s].add(o)
            by_po[p, o].add(s)
            if p in sc.transitive:                    # prp-trp, the new triple on either side
                for z in tuple(by_ps.get((p, o), ())):
                    conclude(s, p, z)
                for x in tuple(by_po.get((p, s), ())):
                    conclude(x, p, o)
            if p in sc.functional:
                for y in tuple(by_ps[p, s]):
                    if y != o:
                        _same(o, y, sc)
                        conclude(o, _SAME, y)         # prp-fp
            if p in sc.inverse_functional:
                for x in tuple(by_po[p, o]):
                    if x != s:
                        _same(s, x, sc)
                        conclude(s, _SAME, x)         # prp-ifp
            if p == _SAME:
                _same(s, o, sc)
                if by_s is None:
                    by_s, by_o, by_p = defaultdict(list), defaultdict(list), defaultdict(list)
                    for s2, p2, o2 in done:
                        by_s[s2].append((p2, o2))
                        by_o[o2].append((s2, p2))
                        by_p[p2].append((s2, o2))
                conclude(o, _SAME, s)                 # eq-sym
                for z in tuple(by_ps.get((_SAME, o), ())):
                    conclude(s, _SAME, z)             # eq-trans
                for x in tuple(by_po.get((_SAME, s), ())):
                    conclude(x, _SAME, o)
                for p2, o2 in tuple(by_s.get(s, ())):
                    conclude(o, p2, o2)               # eq-rep-s
                for s2, p2 in tuple(by_o.get(s, ())):
                    conclude(s2, p2, o)               # eq-rep-o
                for s2, o2 in tuple(by_p.get(s, ())):
                    conclude(s2, o, o2)               # eq-rep-p
        if by_s is not None:                          # eq-rep-*, the other triple new
            for s2 in tuple(by_ps.get((_SAME, s), ())):
                conclude(s2, p, o)
            for o2 in tuple(by_ps.get((_SAME, o), ())):
                conclude(s, p, o2)
            for p2 in tuple(by_ps.get((_SAME, p), ())):
                conclude(s, p2, o)
    return new


def _same(x, y, sc: Schema) -> None:
    """Refuse ``x owl:sameAs y`` where it would change the schema or make a literal a subject."""
    for term in (x, y):
        if type(term) is tuple and term[0] == "L":
            raise Unsupported("owl:sameAs of a literal")
        if term in sc.terms or _schema_term(term):
            raise Unsupported("owl:sameAs of a term the schema speaks of")
