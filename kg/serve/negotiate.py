"""Content negotiation and result serialisation for the SPARQL 1.1 Protocol.

``Accept`` is read with its q-values (RFC 9110 §12.5.1: the most specific
range that matches a type gives its q; q=0 means "not this"); among the formats
a query form can give, the highest q wins, ties going to the order of the
tables below.  ``format=`` overrides ``Accept`` by short name or media type.

SELECT results are written here, not by pyoxigraph, so that a row cap can be
reported inside the body where the format has room for it (JSON, XML, Turtle
comments) — never a silent truncation.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from .. import iris
from ..query import json_term


class Fmt(enum.Enum):
    JSON = "json"
    XML = "xml"
    CSV = "csv"
    TSV = "tsv"
    TURTLE = "turtle"
    NTRIPLES = "ntriples"
    JSONLD = "jsonld"
    RDFXML = "rdfxml"
    HTML = "html"


MEDIA = {
    Fmt.JSON: "application/sparql-results+json",
    Fmt.XML: "application/sparql-results+xml",
    Fmt.CSV: "text/csv",
    Fmt.TSV: "text/tab-separated-values",
    Fmt.TURTLE: "text/turtle",
    Fmt.NTRIPLES: "application/n-triples",
    Fmt.JSONLD: "application/ld+json",
    Fmt.RDFXML: "application/rdf+xml",
    Fmt.HTML: "text/html",
}
# other media types clients send for the same formats
ALIASES = {
    "application/json": Fmt.JSON, "application/xml": Fmt.XML, "text/xml": Fmt.XML,
    "application/x-turtle": Fmt.TURTLE, "text/plain": Fmt.NTRIPLES, "application/json+ld": Fmt.JSONLD,
}
SHORT = {"json": Fmt.JSON, "srj": Fmt.JSON, "xml": Fmt.XML, "srx": Fmt.XML, "csv": Fmt.CSV, "tsv": Fmt.TSV,
         "ttl": Fmt.TURTLE, "turtle": Fmt.TURTLE, "nt": Fmt.NTRIPLES, "ntriples": Fmt.NTRIPLES,
         "n-triples": Fmt.NTRIPLES, "jsonld": Fmt.JSONLD, "json-ld": Fmt.JSONLD, "rdf": Fmt.RDFXML,
         "rdfxml": Fmt.RDFXML, "rdf+xml": Fmt.RDFXML, "html": Fmt.HTML}

SOLUTIONS = (Fmt.JSON, Fmt.XML, Fmt.CSV, Fmt.TSV)
BOOLEAN = (Fmt.JSON, Fmt.XML)
GRAPH = (Fmt.TURTLE, Fmt.NTRIPLES, Fmt.JSONLD, Fmt.RDFXML)
RDF_FORMAT = {Fmt.TURTLE: ox.RdfFormat.TURTLE, Fmt.NTRIPLES: ox.RdfFormat.N_TRIPLES,
              Fmt.JSONLD: ox.RdfFormat.JSON_LD, Fmt.RDFXML: ox.RdfFormat.RDF_XML}
PREFIXES = {
    "hrr": iris.ONTOLOGY,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "oa": "http://www.w3.org/ns/oa#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


class NotAcceptable(Exception):
    def __init__(self, offered: tuple[Fmt, ...]):
        self.offered = offered
        super().__init__("none of the accepted media types can be given; available: "
                         + ", ".join(MEDIA[f] for f in offered))


def parse_accept(header: str) -> list[tuple[str, float]]:
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        qv = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    qv = max(0.0, min(1.0, float(f[2:])))
                except ValueError:
                    qv = 0.0
        ranges.append((media, qv))
    return ranges


def _q(ranges: list[tuple[str, float]], media: str) -> float:
    major = media.split("/")[0]
    best, specificity = 0.0, -1
    for rng, qv in ranges:
        s = 2 if rng == media else 1 if rng == f"{major}/*" else 0 if rng == "*/*" else -1
        if s > specificity:
            best, specificity = qv, s
    return best if specificity >= 0 else 0.0


def choose(accept: str | None, offered: tuple[Fmt, ...], override: str | None = None) -> Fmt:
    """The format to answer in, or :class:`NotAcceptable`."""
    if override:
        fmt = SHORT.get(override.lower()) or _by_media(override.lower())
        if fmt in offered:
            return fmt
        raise NotAcceptable(offered)
    if not accept or not accept.strip():
        return offered[0]
    ranges = parse_accept(accept)
    scored = []
    for rank, fmt in enumerate(offered):
        # an alias counts only when named exactly: text/* must not pick XML for being text/xml
        qv = max([_q(ranges, MEDIA[fmt])] + [q for m, q in ranges if ALIASES.get(m) is fmt])
        scored.append((-qv, rank, fmt))
    qv, _, fmt = min(scored)
    if qv == 0:
        raise NotAcceptable(offered)
    return fmt


def _by_media(media: str) -> Fmt | None:
    for fmt, m in MEDIA.items():
        if m == media:
            return fmt
    return ALIASES.get(media)


def content_type(fmt: Fmt) -> str:
    return MEDIA[fmt] + ("; charset=utf-8" if fmt is not Fmt.NTRIPLES else "")


# ---------------------------------------------------------------- serialisers

@dataclass
class Body:
    data: bytes
    truncated: bool = False


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _csv_cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return term.value if isinstance(term, (ox.NamedNode, ox.Literal)) else str(term)


def solutions(variables: list[str], rows: list, fmt: Fmt, truncated: bool, max_rows: int) -> bytes:
    note = f"truncated: the query has more than {max_rows} rows; only the first {max_rows} are given"
    if fmt is Fmt.JSON:
        doc: dict = {"head": {"vars": variables},
                     "results": {"bindings": [{v: json_term(r[v]) for v in variables if r[v] is not None} for r in rows]}}
        if truncated:
            doc["results"].update({"truncated": True, "max-rows": max_rows, "note": note})
        return (json.dumps(doc, ensure_ascii=False) + "\n").encode()
    if fmt is Fmt.XML:
        out = ['<?xml version="1.0" encoding="UTF-8"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "<head>"]
        out += [f"<variable name={quoteattr(v)}/>" for v in variables]
        if truncated:
            out.append(f'<link href="#truncated-max-rows-{max_rows}"/>')
        out.append("</head>")
        if truncated:
            out.append(f"<!-- {note} -->")
        out.append("<results>")
        for r in rows:
            out.append("<result>" + "".join(f"<binding name={quoteattr(v)}>{_xml_term(r[v])}</binding>"
                                            for v in variables if r[v] is not None) + "</result>")
        out += ["</results>", "</sparql>", ""]
        return "\n".join(out).encode()
    if fmt is Fmt.CSV:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(variables)
        w.writerows([[_csv_cell(r[v]) for v in variables] for r in rows])
        return buf.getvalue().encode()
    # TSV (SPARQL 1.1 TSV): terms in their Turtle/N-Triples form, IRIs in <>, literals quoted
    lines = ["\t".join("?" + v for v in variables)]
    lines += ["\t".join("" if r[v] is None else str(r[v]) for v in variables) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def boolean(value: bool, fmt: Fmt) -> bytes:
    if fmt is Fmt.JSON:
        return (json.dumps({"head": {}, "boolean": value}) + "\n").encode()
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode()


def graph(triples: list, fmt: Fmt, truncated: bool = False, max_rows: int = 0) -> bytes:
    data = ox.serialize(sorted(triples, key=str), format=RDF_FORMAT[fmt],
                        **({"prefixes": PREFIXES} if fmt in (Fmt.TURTLE, Fmt.RDFXML) else {}))
    if truncated and fmt is Fmt.TURTLE:
        data = f"# truncated: more than {max_rows} triples; only the first {max_rows} are given\n".encode() + data
    return data


def pick(accept: str | None, options: list[tuple[str, object]]):
    """The option whose media type ``Accept`` prefers (ties: list order), or None if it accepts none."""
    if not accept or not accept.strip():
        return options[0][1]
    ranges = parse_accept(accept)
    qv, rank = min((-_q(ranges, media), rank) for rank, (media, _) in enumerate(options))
    return options[rank][1] if qv < 0 else None
