"""Curator Turtle is untrusted input: parse it strictly and offline, then vet every triple.

Parsing uses pyoxigraph, which never fetches anything and reports syntax
errors (undefined prefixes included) with line and column.  No base IRI is
set, so a relative IRI is a syntax error; ``@base``/``BASE`` is refused too.
Refused content: ``owl:imports``, SHACL terms, ontology axioms (classes,
properties, subclass/subproperty/domain/range/equivalence), triples about
ontology or vocabulary terms, about what the build mints from the seeds
(articles, claims, annotations, named graphs, provenance), PROV-O statements
(provenance is stamped by the build alone), ill-typed literals, base
directions, and anything over the limits of ``kg.limits``.  Data only.
Errors name the line: one index of the file's terms is built once, so a file
with 100,000 bad triples is refused in seconds.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import logging
import re
from collections import defaultdict
from pathlib import Path
from typing import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from . import iris, limits
from .errors import InputError, InputErrors, Pos
from .model import TurtleFile

OWL = "http://www.w3.org/2002/07/owl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = RDF + "type"
SH = "http://www.w3.org/ns/shacl#"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ONTOLOGY_FILE = Path(__file__).resolve().parent.parent / "ontology" / "hrr.ttl"
VOCABULARIES = (OWL, RDF, RDFS, SH, PROV, XSD, SKOS, "http://www.w3.org/ns/oa#", "http://purl.org/dc/terms/",
                "https://schema.org/", "http://xmlns.com/foaf/0.1/", "http://semanticweb.cs.vu.nl/2009/11/sem/",
                "http://www.w3.org/ns/dcat#", "http://rdfs.org/ns/void#", "http://purl.org/vocab/vann/")
# what the build mints from the seeds, by IRI path under the dataset
MINTED = {"article/": "articles, claims and their annotations are minted from the annotation files",
          "graph/": "named graphs are described by the build", "source/": "source files are described by the build",
          "curator/": "curators are stamped by the build", "build/": "the build activity is stamped by the build",
          "dump/": "dumps are described by the build", "subset/": "dump subsets are described by the build"}
TRANSITIVE = (iris.ONTOLOGY + "locatedIn", iris.ONTOLOGY + "partOf", SKOS + "broader")
SCHEMA_PREDICATES = {RDFS + p for p in ("subClassOf", "subPropertyOf", "domain", "range")} | {
    OWL + p for p in ("equivalentClass", "equivalentProperty", "inverseOf", "disjointWith", "propertyChainAxiom",
                      "onProperty", "someValuesFrom", "allValuesFrom", "hasKey", "unionOf", "intersectionOf",
                      "sameAs", "members", "distinctMembers")}
SCHEMA_TYPES = {OWL + t for t in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "Ontology",
                                  "TransitiveProperty", "SymmetricProperty", "FunctionalProperty",
                                  "InverseFunctionalProperty", "Restriction", "AllDifferent")} | {
    RDFS + "Class", "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property"}

# long strings, IRIs (kept: a `#` in one is no comment), short strings, comments
_LEXEME_RE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|(<[^<>"{}|^`\\\s]*>)'
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|#[^\n]*", re.S)
_BASE_RE = re.compile(r"(?:^|(?<=[\s.]))(?:@base|(?i:base))(?=[\s<])")
_PREFIX_RE = re.compile(r"(?:@prefix|(?i:prefix))\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>")
_TERM_RE = re.compile(r"<([^<>\s]*)>|(?<![\w.:-])([A-Za-z][\w.-]*)?:((?:[\w\-%]|\.(?=[\w\-%]))*)")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+\Z")
_TZ = r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
_LEXICAL = {
    XSD + "decimal": re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z"),
    XSD + "double": re.compile(r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN)\Z"),
    XSD + "float": re.compile(r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN)\Z"),
    XSD + "boolean": re.compile(r"(?:true|false|1|0)\Z"),
    XSD + "date": re.compile(r"-?[0-9]{4}-[0-9]{2}-[0-9]{2}" + _TZ + r"\Z"),
    XSD + "dateTime": re.compile(r"-?[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?" + _TZ + r"\Z"),
    XSD + "gYearMonth": re.compile(r"-?[0-9]{4}-[0-9]{2}" + _TZ + r"\Z"),
    XSD + "gYear": re.compile(r"-?[0-9]{4}" + _TZ + r"\Z"),
}
_INTEGER_RANGES = {"integer": (None, None), "nonNegativeInteger": (0, None), "positiveInteger": (1, None),
                   "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1),
                   "long": (-2**63, 2**63 - 1), "int": (-2**31, 2**31 - 1), "short": (-2**15, 2**15 - 1),
                   "byte": (-128, 127), "unsignedLong": (0, 2**64 - 1), "unsignedInt": (0, 2**32 - 1),
                   "unsignedShort": (0, 2**16 - 1), "unsignedByte": (0, 255)}


def mask(text: str) -> str:
    """``text`` with the insides of strings and comments blanked (same length, same lines);
    Turtle and SPARQL share these lexemes."""
    def blank(m: re.Match) -> str:
        lexeme = m.group(0)
        if m.group(1):
            return lexeme
        return re.sub(r"[^\n]", " ", lexeme) if "\n" in lexeme else " " * len(lexeme)
    return _LEXEME_RE.sub(blank, text)


class LineIndex:
    """The line where each IRI of a Turtle file first appears, from one pass over the file.

    Terms written ``<full>`` or ``prefix:local`` (expanded with the file's own
    prefixes) are found by IRI; failing that, by their local name."""

    def __init__(self, text: str) -> None:
        masked = mask(text)
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        prefixes = {m.group(1) or "": m.group(2) for m in _PREFIX_RE.finditer(masked)}
        self.iris: dict[str, int] = {}
        self.locals: dict[str, int] = {}
        for m in _TERM_RE.finditer(masked):
            if m.group(1) is not None:
                iri = m.group(1)
                self.locals.setdefault(_local(iri), m.start())
            else:
                iri = prefixes.get(m.group(2) or "", "\0") + m.group(3)
                self.locals.setdefault(m.group(3), m.start())
            self.iris.setdefault(iri, m.start())

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self.newlines, offset) + 1

    def line_of(self, term: str) -> int:
        """The line of ``term``'s first appearance, or 0."""
        at = self.iris.get(term)
        if at is None:
            at = self.locals.get(_local(term))
        return self.line(at) if at is not None else 0


def _local(iri: str) -> str:
    return re.split(r"[/#]", iri)[-1]


def line_of(text: str, term: str) -> int:
    """Line of a term's first appearance; for many look-ups in one file, build a :class:`LineIndex` once."""
    return LineIndex(text).line_of(term)


def parse_untrusted(tf: TurtleFile) -> list[tuple]:
    """The file's triples as rdflib terms, or an error naming file:line and the rule broken."""
    text = tf.text
    if text.startswith("\ufeff"):
        raise InputError(Pos(tf.display, 1, 1), "the file starts with a byte-order mark (U+FEFF)",
                         "save it as UTF-8 without a BOM")
    m = _BASE_RE.search(text) and _BASE_RE.search(mask(text))  # mask only when the word occurs
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise InputError(Pos(tf.display, line, m.start() - text.rfind("\n", 0, m.start())),
                         "a base IRI (@base / BASE) is not allowed in a curator addition",
                         "write every IRI in full or with a declared prefix")
    try:
        quads = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE))
    except SyntaxError as exc:
        msg = str(exc.msg if hasattr(exc, "msg") else exc)
        hint = "declare it with @prefix" if "prefix" in msg.lower() else (
            "write absolute IRIs (https://…); relative IRIs are not accepted" if any(w in msg.lower() for w in ("relative", "base", "absolute")) else "fix the Turtle syntax")
        raise InputError(Pos(tf.display, exc.lineno or 0, exc.offset or 0), f"Turtle syntax error: {msg}", hint) from None
    items = sum(1 for q in quads if q.predicate.value == RDF + "first")
    if items > limits.COLLECTION_ITEMS:
        masked = mask(text)
        line = masked.count("\n", 0, max(masked.find("("), 0)) + 1
        raise InputError(Pos(tf.display, line, 1),
                         f"collections ( … ) of {items:,} items, over the limit of {limits.COLLECTION_ITEMS:,}",
                         "state one triple per member instead of a list")
    problems, triples = [], []
    for q in quads:
        s, p, o = q.subject, q.predicate, q.object
        problem = _refuse(s, p, o) or _literal_problem(o)
        if problem:
            problems.append((s, p, o, problem))
        else:
            triples.append((s, p, o))
    problems.extend(_chain_problems(triples))
    if problems:
        raise InputErrors(_errors(tf, LineIndex(text), problems))
    with _quiet_rdflib():
        return [(_rdflib(s), _rdflib(p), _rdflib(o)) for s, p, o in triples]


def _errors(tf: TurtleFile, index: LineIndex, problems: list) -> list[InputError]:
    """Located errors for the first ``limits.REPORTED_ERRORS`` problems, and a count of the rest."""
    errors = []
    for s, p, o, (what, fix) in problems[: limits.REPORTED_ERRORS]:
        where = isinstance(s, ox.NamedNode) and index.line_of(s.value) or _statement_line(index, p, o)
        subject = f"<{s.value}>" if isinstance(s, ox.NamedNode) else "a blank node"
        errors.append(InputError(Pos(tf.display, where, 1), f"subject {subject}: {what}", fix))
    if len(problems) > limits.REPORTED_ERRORS:
        errors.append(InputError(Pos(tf.display), f"and {len(problems) - limits.REPORTED_ERRORS:,} more errors like these",
                                 "fix the ones listed and validate again"))
    return errors


def _statement_line(index: LineIndex, p, o) -> int:
    """Best-effort line of a statement with this predicate (and object)."""
    for term in (o, p):
        if isinstance(term, ox.NamedNode):
            line = index.line_of(term.value)
            if line:
                return line
    return 0


def _refuse(s, p, o) -> tuple[str, str] | None:
    if isinstance(s, ox.Triple) or isinstance(o, ox.Triple):
        return "RDF-star triple terms are not accepted", "state plain triples"
    if isinstance(s, ox.BlankNode) or isinstance(o, ox.BlankNode):
        return "blank nodes are not accepted (their labels would change between builds)", "give the node an IRI under " + iris.base()
    if p.value == OWL + "imports":
        return "owl:imports is not allowed (it would fetch and merge a remote ontology)", "remove the owl:imports triple"
    for term in (s, p, o):
        if isinstance(term, ox.NamedNode) and term.value.startswith(SH):
            return "SHACL terms are not allowed in data (shapes live in ontology/shapes.ttl)", "remove the shape"
    if s.value.startswith(iris.ONTOLOGY) or s.value == iris.ONTOLOGY_IRI or s.value in _ontology_subjects():
        return "triples about ontology terms are not allowed in data", "propose ontology changes to ontology/hrr.ttl instead"
    if s.value.startswith(VOCABULARIES):
        return "triples about terms of a standard vocabulary are not allowed in data", "describe your own resources only"
    if p.value.startswith(PROV) or (p.value == RDF_TYPE and o.value.startswith(PROV)):
        return "PROV-O statements are not allowed in data (provenance is stamped by the build alone)", "remove them"
    minted = _minted(s.value)
    if minted:
        return f"{minted}; a curator addition may not add to them", "change the annotation file (seeds/annotations) instead"
    if p.value in SCHEMA_PREDICATES:
        return f"ontology axioms ({p.value.rsplit('#', 1)[-1]}) are not allowed in data", "propose ontology changes to ontology/hrr.ttl instead"
    if p.value == RDF_TYPE and isinstance(o, ox.NamedNode) and o.value in SCHEMA_TYPES:
        return f"declaring a {o.value.rsplit('#', 1)[-1]} is not allowed in data", "propose ontology changes to ontology/hrr.ttl instead"
    for term in (p, o):
        if isinstance(term, ox.NamedNode) and term.value.startswith(iris.ONTOLOGY) and not _known(term.value):
            return f"<{term.value}> is not a term of the ontology", "use a term defined in ontology/hrr.ttl"
    return None


def _minted(subject: str) -> str | None:
    if subject.rstrip("/") == iris.base().rstrip("/"):
        return "the dataset is described by the build"
    if subject.startswith(iris.base()):
        return MINTED.get(subject[len(iris.base()):].split("/", 1)[0] + "/")
    return None


@functools.lru_cache(maxsize=1)
def _ontology_subjects() -> frozenset[str]:
    """Every IRI the ontology file describes (ontology terms outside the hrr: namespace too)."""
    quads = ox.parse(path=str(ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE)
    return frozenset(q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode))


def _literal_problem(o) -> tuple[str, str] | None:
    """An over-long, ill-typed or directional literal (rdflib would log a traceback and drop its value)."""
    if not isinstance(o, ox.Literal):
        return None
    if len(o.value) > limits.LITERAL_CHARS:
        return (f"a literal of {len(o.value):,} characters, over the limit of {limits.LITERAL_CHARS:,}",
                "keep literals short; long texts belong in an article file")
    if getattr(o, "direction", None):
        return (f"the base direction --{o.direction} of \"{_short(o.value)}\"@{o.language}--{o.direction} is not kept by the graph",
                f"write \"…\"@{o.language} (RDF 1.1 has no base direction)")
    if o.language:
        return None
    datatype = o.datatype.value if o.datatype else ""
    name = datatype[len(XSD):] if datatype.startswith(XSD) else ""
    wrong = (f"\"{_short(o.value)}\" is not a valid xsd:{name}", f"write a valid xsd:{name} or a plain string")
    if name in _INTEGER_RANGES:
        if not _INTEGER_RE.match(o.value):
            return wrong
        if len(o.value.lstrip("+-").lstrip("0")) > limits.DIGITS:
            return (f"an integer of {len(o.value):,} digits, over the limit of {limits.DIGITS}", "check the number")
        lo, hi = _INTEGER_RANGES[name]
        if (lo is not None and int(o.value) < lo) or (hi is not None and int(o.value) > hi):
            return (f"{o.value} is out of the range of xsd:{name}", "use a value in range, or xsd:integer")
        return None
    if datatype in _LEXICAL and not _LEXICAL[datatype].match(o.value):
        return wrong
    with _quiet_rdflib():
        ill = Literal(o.value, datatype=URIRef(datatype), normalize=False).ill_typed if datatype else False
    return wrong if ill else None


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class _DropConversionWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal")


@contextlib.contextmanager
def _quiet_rdflib():
    """rdflib logs a traceback for a literal it cannot convert; we report it ourselves."""
    logger, quiet = logging.getLogger("rdflib.term"), _DropConversionWarnings()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def _chain_problems(triples: list[tuple]) -> list[tuple]:
    """``hrr:locatedIn``, ``hrr:partOf``, ``skos:broader`` chains over ``limits.CHAIN_LENGTH``
    (their OWL RL closure grows with the square of a chain's length)."""
    problems = []
    for prop in TRANSITIVE:
        up: dict[str, list[str]] = defaultdict(list)
        for s, p, o in triples:
            if p.value == prop and isinstance(o, ox.NamedNode):
                up[s.value].append(o.value)
        lengths = limits.chain_lengths(up)
        longest = max(lengths, key=lengths.get, default=None)
        if longest is not None and lengths[longest] - 1 > limits.CHAIN_LENGTH:
            s = next(t for t in triples if t[0].value == longest and t[1].value == prop)
            problems.append((*s, (f"a chain of {lengths[longest] - 1} <{prop}> links, over the limit of {limits.CHAIN_LENGTH}",
                                  "link each resource to its direct parent only")))
    return problems


def combined_chain_errors(registry: Iterable, additions: list[tuple[TurtleFile, Graph]]) -> list[InputError]:
    """Chains that only the registry and the Turtle additions *together* make too long (each file is
    checked alone when it is read; ten files of 30 links each could otherwise be one chain of 300).
    Reported at the first line of an addition that takes part in the chain."""
    errors = []
    for prop in TRANSITIVE:
        p = URIRef(prop)
        up: dict[str, list[str]] = defaultdict(list)
        owner: dict[str, TurtleFile] = {}
        for s, q, o in registry:   # a Graph or the triples of one (kg.store.Triples)
            if q == p and isinstance(o, URIRef):
                up[str(s)].append(str(o))
        for tf, g in additions:
            for s, o in g.subject_objects(p):
                if isinstance(o, URIRef):
                    up[str(s)].append(str(o))
                    owner.setdefault(str(s), tf)
        if not owner:
            continue
        lengths = limits.chain_lengths(up)
        longest = max(lengths, key=lengths.get, default=None)
        if longest is None or lengths[longest] - 1 <= limits.CHAIN_LENGTH:
            continue
        node, seen = longest, set()
        while node not in owner and up.get(node) and node not in seen:   # follow the chain to a curator's link
            seen.add(node)
            node = max(up[node], key=lambda n: lengths.get(n, 0))
        tf = owner.get(node) or next(iter(owner.values()))
        line = LineIndex(tf.text).line_of(node if node in owner else next(k for k, v in owner.items() if v is tf))
        errors.append(InputError(Pos(tf.display, line or 0, 1 if line else 0),
                                 f"with the registry and the other Turtle additions, this makes a chain of "
                                 f"{lengths[longest] - 1} <{prop}> links, over the limit of {limits.CHAIN_LENGTH}",
                                 "link each resource to its direct parent only (README, Limits and safety)"))
    return errors


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
