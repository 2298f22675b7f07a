"""Curator Turtle is untrusted input: parse it strictly and offline, then vet every triple.

Parsing uses pyoxigraph, which never fetches anything and reports syntax
errors (undefined prefixes included) with line and column.  No base IRI is
set, so a relative IRI is a syntax error; ``@base``/``BASE`` is refused too.
Refused content: ``owl:imports``, SHACL terms, ontology axioms (classes,
properties, subclass/subproperty/domain/range/equivalence), and any triple
whose subject is in the ontology namespace.  Data only.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from . import iris
from .errors import InputError, InputErrors, Pos
from .model import TurtleFile

OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SH = "http://www.w3.org/ns/shacl#"
SCHEMA_PREDICATES = {RDFS + p for p in ("subClassOf", "subPropertyOf", "domain", "range")} | {
    OWL + p for p in ("equivalentClass", "equivalentProperty", "inverseOf", "disjointWith", "propertyChainAxiom",
                      "onProperty", "someValuesFrom", "allValuesFrom", "hasKey", "unionOf", "intersectionOf",
                      "sameAs", "members", "distinctMembers")}
SCHEMA_TYPES = {OWL + t for t in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "Ontology",
                                  "TransitiveProperty", "SymmetricProperty", "FunctionalProperty",
                                  "InverseFunctionalProperty", "Restriction", "AllDifferent")} | {
    RDFS + "Class", "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property"}
_BASE_RE = re.compile(r"^\s*(@base\b|BASE\b)", re.IGNORECASE | re.MULTILINE)


def line_of(text: str, term: str) -> int:
    """Best-effort line of a term's first appearance (full IRI or local name)."""
    for needle in (f"<{term}>", term.rsplit("/", 1)[-1].rsplit("#", 1)[-1]):
        i = text.find(needle)
        if i >= 0:
            return text.count("\n", 0, i) + 1
    return 0


def _statement_line(text: str, p, o) -> int:
    """Best-effort line of a statement with this predicate (and object)."""
    for term in (o, p):
        if isinstance(term, ox.NamedNode):
            line = line_of(text, term.value)
            if line:
                return line
    return 0


def parse_untrusted(tf: TurtleFile) -> list[tuple]:
    """The file's triples as rdflib terms, or an error naming file:line and the rule broken."""
    m = _BASE_RE.search(tf.text)
    if m:
        line = tf.text.count("\n", 0, m.start()) + 1
        raise InputError(Pos(tf.display, line, 1), "a base IRI (@base / BASE) is not allowed in a curator addition",
                         "write every IRI in full or with a declared prefix")
    try:
        quads = list(ox.parse(tf.text.encode("utf-8"), format=ox.RdfFormat.TURTLE))
    except SyntaxError as exc:
        msg = str(exc.msg if hasattr(exc, "msg") else exc)
        hint = "declare it with @prefix" if "prefix" in msg.lower() else (
            "write absolute IRIs (https://…); relative IRIs are not accepted" if any(w in msg.lower() for w in ("relative", "base", "absolute")) else "fix the Turtle syntax")
        raise InputError(Pos(tf.display, exc.lineno or 0, exc.offset or 0), f"Turtle syntax error: {msg}", hint) from None
    errors = []
    triples = []
    for q in quads:
        s, p, o = q.subject, q.predicate, q.object
        problem = _refuse(s, p, o)
        if problem:
            where = isinstance(s, ox.NamedNode) and line_of(tf.text, s.value) or _statement_line(tf.text, p, o)
            subject = f"<{s.value}>" if isinstance(s, ox.NamedNode) else "a blank node"
            errors.append(InputError(Pos(tf.display, where, 1), f"subject {subject}: {problem[0]}", problem[1]))
            continue
        triples.append((_rdflib(s), _rdflib(p), _rdflib(o)))
    if errors:
        raise InputErrors(errors)
    return triples


def _refuse(s, p, o) -> tuple[str, str] | None:
    if isinstance(s, ox.Triple) or isinstance(o, ox.Triple):
        return "RDF-star triple terms are not accepted", "state plain triples"
    if isinstance(s, ox.BlankNode) or isinstance(o, ox.BlankNode):
        return "blank nodes are not accepted (their labels would change between builds)", "give the node an IRI under " + iris.DATASET
    if p.value == OWL + "imports":
        return "owl:imports is not allowed (it would fetch and merge a remote ontology)", "remove the owl:imports triple"
    for term in (s, p, o):
        if isinstance(term, ox.NamedNode) and term.value.startswith(SH):
            return "SHACL terms are not allowed in data (shapes live in ontology/shapes.ttl)", "remove the shape"
    if isinstance(s, ox.NamedNode) and (s.value.startswith(iris.ONTOLOGY) or s.value == iris.ONTOLOGY_IRI):
        return "triples about ontology terms are not allowed in data", "propose ontology changes to ontology/hrr.ttl instead"
    if p.value in SCHEMA_PREDICATES:
        return f"ontology axioms ({p.value.rsplit('#', 1)[-1]}) are not allowed in data", "propose ontology changes to ontology/hrr.ttl instead"
    if p.value == RDF_TYPE and isinstance(o, ox.NamedNode) and o.value in SCHEMA_TYPES:
        return f"declaring a {o.value.rsplit('#', 1)[-1]} is not allowed in data", "propose ontology changes to ontology/hrr.ttl instead"
    for term in (p, o):
        if isinstance(term, ox.NamedNode) and term.value.startswith(iris.ONTOLOGY) and not _known(term.value):
            return f"<{term.value}> is not a term of the ontology", "use a term defined in ontology/hrr.ttl"
    return None


def _known(term: str) -> bool:
    from .vocab import HRR
    local = term[len(iris.ONTOLOGY):]
    return local in HRR.__annotations__


def _rdflib(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    # keep the curator's lexical form: rdflib would silently "normalise" an ill-formed
    # value (a time of day on an xsd:date) into a valid one before the shapes can see it
    return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)
