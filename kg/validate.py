"""Validation: SHACL shapes and "must return no rows" SPARQL checks.

Runs on the asserted graphs, before inference.  Every result is traced back to
where it came from: the YAML ``path:line:col`` of the claim, quote or entity
that produced the focus node, or the Turtle file and subject.

SHACL runs on one of two engines with identical results: ``kg.shacl`` (native, the default)
or pyshacl (the reference semantics, ``KG_SHACL=pyshacl``).  When the shapes use something the
native engine does not implement, it says so (a warning on the ``kg.shacl`` logger) and pyshacl
validates instead.
"""

from __future__ import annotations

import enum
import functools
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import BNode, Dataset as RdfDataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH

from . import iris, shacl as native
from .errors import UsageError
from .model import Dataset
from .store import Store, bind_prefixes
from .turtle import LineIndex

ROOT = Path(__file__).resolve().parent.parent
SHAPES = ROOT / "ontology" / "shapes.ttl"
CHECKS = ROOT / "queries" / "checks"
HRS = Namespace(iris.ONTOLOGY + "shapes/")


class Severity(enum.Enum):
    VIOLATION = "Violation"
    WARNING = "Warning"
    INFO = "Info"

    @classmethod
    def of(cls, term) -> "Severity":
        return {SH.Violation: cls.VIOLATION, SH.Warning: cls.WARNING, SH.Info: cls.INFO}.get(term, cls.VIOLATION)


class ReportFormat(enum.Enum):
    TEXT = "text"
    TTL = "ttl"
    JSON = "json"


@dataclass(frozen=True)
class Result:
    severity: Severity
    message: str
    focus: str
    path: str | None
    value: str | None
    source: str           # the shape or check that fired
    where: str = ""       # file:line:col (or file + subject) the focus node came from

    def key(self) -> tuple:
        return (self.severity, self.message, self.focus, self.path, self.value, self.source)

    def as_dict(self) -> dict:
        return {"severity": self.severity.value, "message": self.message, "focus": self.focus, "path": self.path,
                "value": self.value, "source": self.source, "where": self.where}

    @classmethod
    def of_dict(cls, d: dict) -> "Result":
        return cls(Severity(d["severity"]), d["message"], d["focus"], d["path"], d["value"], d["source"], d["where"])


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    @property
    def violations(self) -> list[Result]:
        return [r for r in self.results if r.severity is Severity.VIOLATION]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def minus(self, other: "Report") -> "Report":
        """Results not in ``other`` (what an addition breaks or introduces)."""
        seen = {r.key() for r in other.results}
        return Report([r for r in self.results if r.key() not in seen])


# ---------------------------------------------------------------- tracing

class Tracer:
    """Maps IRIs to the place in the seeds that produced them."""

    def __init__(self) -> None:
        self.places: dict[str, str] = {}

    @classmethod
    def from_dataset(cls, ds: Dataset, store: Store) -> "Tracer":
        t = cls()
        t.add_entities(ds.entities.values())
        for art in ds.articles:
            t.add_article(art)
        for tf in ds.turtle:
            t.add_turtle(tf, store.graph(iris.G.addition(tf.name)))
        return t

    def add_entities(self, entities) -> None:
        for ent in entities:
            self.places[str(iris.entity(ent.id))] = str(ent.pos)
            for pos in ent.positions.values():
                self.places[str(iris.position(ent.id, pos.key))] = str(pos.pos)

    def add_article(self, art) -> None:
        self.places[str(iris.article(art.key))] = str(art.pos)
        for claim in art.claims:
            for c in [claim, *claim.values.get("requests", [])]:
                self.places[str(iris.claim(art.key, c.id))] = str(c.pos)
            for n, q in enumerate(claim.evidence, 1):
                self.places[str(iris.sub(iris.claim(art.key, claim.id), "evidence", n))] = str(q.pos)

    def add_turtle(self, tf, graph: Graph) -> None:
        index = LineIndex(tf.text)  # once per file: a lookup per subject would be quadratic
        for s in sorted(set(graph.subjects())):
            line = index.line_of(str(s))
            self.places[str(s)] = f"{tf.display}:{line}:1" if line else tf.display

    def where(self, focus: str) -> str:
        node = focus
        while node:
            if node in self.places:
                return self.places[node]
            if "/" not in node.removeprefix("https://"):
                break
            node = node.rsplit("/", 1)[0]
        return ""


# ---------------------------------------------------------------- SHACL

@functools.lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


class Engine(enum.Enum):
    PYSHACL = "pyshacl"   # the reference semantics
    NATIVE = "native"     # kg.shacl: the same results from the compiled shapes over dict indexes


def engine() -> Engine:
    """``KG_SHACL=pyshacl`` selects the reference engine; the default is the native one."""
    value = os.environ.get("KG_SHACL", Engine.NATIVE.value)
    try:
        return Engine(value)
    except ValueError:
        raise UsageError(f"KG_SHACL={value!r}: use 'native' (the default) or 'pyshacl' (the reference engine)") from None


_log = logging.getLogger("kg.shacl")
_warned: set = set()


def _fall_back(why: str) -> None:
    if why not in _warned:   # once per process and reason
        _warned.add(why)
        _log.warning("SHACL: the native engine does not handle %s; validating with pyshacl instead", why)


def shacl(data, tracer: Tracer, shapes: Graph | None = None, which: Engine | None = None) -> tuple[Report, Graph]:
    """The SHACL results on ``data``: an rdflib Graph, or a sequence of graphs (or lists of rdflib
    triples) whose union is validated, without building that union on the native engine."""
    shapes = shapes_graph() if shapes is None else shapes
    if not isinstance(data, Graph):
        data = list(data)   # each part is read by the native engine and, should it fall back, by pyshacl
    if (which or engine()) is Engine.NATIVE and not isinstance(data, RdfDataset):   # quads: pyshacl's
        raw = _native(data, shapes)
        if raw is not None:
            results = [_result(shapes, r, tracer) for r in raw]
            return Report(sorted(results, key=_order)), _raw_report_graph(shapes, raw)
    if not isinstance(data, Graph):
        union = Graph()
        for part in data:
            for t in part:
                union.add(t)
        data = union
    import pyshacl   # the reference engine, imported only when it runs (0.05 s of every kg add's start)
    conforms, report_graph, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
    )
    results = []
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        get = lambda p: report_graph.value(node, p)  # noqa: E731
        results.append(_result(shapes, native.Raw(
            get(SH.resultSeverity), str(get(SH.resultMessage) or ""), get(SH.focusNode), get(SH.resultPath),
            get(SH.value), get(SH.sourceShape), get(SH.sourceConstraintComponent)), tracer))
    return Report(sorted(results, key=_order)), report_graph


def _native(data, shapes: Graph) -> list | None:
    """The native engine's raw results, or None when it leaves this validation to pyshacl."""
    try:
        compiled = native.compile_shapes(shapes)
    except native.Unsupported as exc:
        _fall_back(f"{exc} (in the shapes)")
        return None
    graph = isinstance(data, Graph)
    try:
        return native.validate(compiled, [data] if graph else data, data.namespace_manager if graph else None)
    except native.Fallback as exc:
        _fall_back(f"{exc} (in the data)")
        return None


def _result(shapes: Graph, r: "native.Raw", tracer: Tracer) -> Result:
    focus = str(r.focus)
    return Result(Severity.of(r.severity), r.message, focus, _short(r.path), None if r.value is None else str(r.value),
                  _source(shapes, r.shape, r.component), tracer.where(focus))


def _source(shapes: Graph, shape, component) -> str:
    key = (id(shapes), len(shapes), shape, component)
    name = _SOURCES.get(key)
    if name is None:
        name = _SOURCES[key] = _shape_name(shapes, shape, component)
    return name


_SOURCES: dict = {}


def _raw_report_graph(shapes: Graph, raw: list) -> Graph:
    """A SHACL validation report of the native engine's results, shaped as pyshacl's is."""
    g = Graph()
    for prefix, ns in shapes.namespace_manager.namespaces():
        g.bind(prefix, ns)
    report = BNode()
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(not any(r.severity not in (SH.Info, SH.Warning) for r in raw))))
    for r in raw:
        node = BNode()
        g.add((report, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.resultSeverity, r.severity))
        g.add((node, SH.focusNode, r.focus))
        g.add((node, SH.resultMessage, Literal(r.message)))
        g.add((node, SH.sourceShape, r.shape))
        g.add((node, SH.sourceConstraintComponent, r.component))
        if r.path is not None:
            g.add((node, SH.resultPath, r.path))
        if r.value is not None:
            g.add((node, SH.value, r.value))
    return g


def _shape_name(g: Graph, shape, component) -> str:
    """A stable name for the shape that fired (property shapes are blank nodes)."""
    if isinstance(shape, URIRef):
        return _short(shape)
    parent = next(iter(g.subjects(SH.property, shape)), None) if shape is not None else None
    path = g.value(shape, SH.path) if shape is not None else None
    base = _short(parent) if isinstance(parent, URIRef) else "shape"
    return f"{base}/{_short(path)}/{_short(component).removeprefix('sh:')}" if path is not None else base


_SHORT = (("hrs:", str(HRS)), ("hrr:", iris.ONTOLOGY), ("sh:", str(SH)), ("oa:", "http://www.w3.org/ns/oa#"),
          ("rdfs:", "http://www.w3.org/2000/01/rdf-schema#"), ("schema:", "https://schema.org/"),
          ("dcterms:", "http://purl.org/dc/terms/"), ("skos:", "http://www.w3.org/2004/02/skos/core#"))


def _short(term) -> str | None:
    if term is None:
        return None
    text = str(term)
    for prefix, ns in _SHORT:
        if text.startswith(ns):
            return prefix + text[len(ns):]
    return text


def _order(r: Result) -> tuple:
    # the source last: results that differ only in it (two components of one property shape failing
    # on one value) come out in one order whatever order an engine found them in
    return (r.where.split(":")[0], _line(r.where), r.severity.value, r.focus, r.message, r.path or "", r.value or "",
            r.source)


def _line(where: str) -> int:
    parts = where.split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


# ---------------------------------------------------------------- SPARQL checks

@dataclass(frozen=True)
class Check:
    name: str
    summary: str
    severity: Severity
    text: str


@functools.lru_cache(maxsize=2)
def checks(directory: Path = CHECKS) -> list[Check]:
    from .query import parse_header
    out = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        header = parse_header(path, text)
        out.append(Check(path.stem, str(header.get("summary", path.stem)),
                         Severity(str(header.get("severity", "Violation")).capitalize()), text))
    return out


def to_oxigraph(store: Store) -> ox.Store:
    st = ox.Store()
    data = store.dataset.serialize(format="nquads").encode("utf-8")
    st.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    return st


def merged(reports) -> Report:
    """One report of several, duplicates dropped, in the usual order."""
    seen, out = set(), []
    for report in reports:
        for r in report.results:
            if r.key() not in seen:
                seen.add(r.key())
                out.append(r)
    return Report(sorted(out, key=_order))


def run_checks(st: ox.Store, tracer: Tracer, only: list[Check] | None = None) -> Report:
    """Each check SELECTs ?focus (and optionally ?value, ?message); any row is a result."""
    results = []
    base = {ox.Variable("_base"): ox.Literal(iris.base())}  # checks name the dataset's IRIs through ?_base
    for check in only if only is not None else checks():
        solutions = st.query(check.text, use_default_graph_as_union=True,
                             **({"substitutions": base} if "?_base" in check.text else {}))
        names = {v.value for v in solutions.variables}
        for row in solutions:
            focus = row["focus"].value if "focus" in names and row["focus"] is not None else ""
            value = row["value"].value if "value" in names and row["value"] is not None else None
            results.append(Result(check.severity, check.summary, focus, None, value, f"check:{check.name}", tracer.where(focus)))
    return Report(sorted(results, key=_order))


# ---------------------------------------------------------------- the whole

def validate(store: Store, tracer: Tracer) -> tuple[Report, Graph]:
    data = store.union()
    report, graph = shacl(data, tracer)
    extra = run_checks(to_oxigraph(store), tracer)
    for r in extra.results:
        _add_check_result(graph, r)
    return Report(sorted(report.results + extra.results, key=_order)), graph


def _add_check_result(g: Graph, r: Result) -> None:
    node = BNode()
    report = next(iter(g.subjects(RDF.type, SH.ValidationReport)))
    g.add((report, SH.result, node))
    g.add((node, RDF.type, SH.ValidationResult))
    g.add((node, SH.resultSeverity, SH[r.severity.value]))
    g.add((node, SH.focusNode, URIRef(r.focus)))
    g.add((node, SH.resultMessage, Literal(r.message)))
    g.add((node, SH.sourceConstraint, URIRef(str(HRS) + "check/" + r.source.removeprefix("check:"))))
    if r.value is not None:
        g.add((node, SH.value, Literal(r.value)))
    if r.severity is Severity.VIOLATION:
        g.set((report, SH.conforms, Literal(False)))


def report_graph(report: Report) -> Graph:
    """The results as a SHACL validation report graph (``kg validate --format ttl``)."""
    g = bind_prefixes(Graph())
    g.bind("hrs", HRS)
    node = BNode()
    g.add((node, RDF.type, SH.ValidationReport))
    g.add((node, SH.conforms, Literal(report.conforms)))
    for r in report.results:
        res = BNode()
        g.add((node, SH.result, res))
        g.add((res, RDF.type, SH.ValidationResult))
        g.add((res, SH.resultSeverity, SH[r.severity.value]))
        if r.focus:
            g.add((res, SH.focusNode, URIRef(r.focus)))
        g.add((res, SH.resultMessage, Literal(r.message)))
        g.add((res, SH.sourceConstraint, URIRef(str(HRS) + "source/" + quote(r.source, safe="/:-_."))))
        if r.path:
            g.add((res, SH.resultPath, URIRef(_expand(r.path))))
        if r.value is not None:
            g.add((res, SH.value, Literal(r.value)))
    return g


def _expand(short: str) -> str:
    for prefix, ns in _SHORT:
        if short.startswith(prefix):
            return ns + short[len(prefix):]
    return short


# ---------------------------------------------------------------- output

def render(report: Report, fmt: ReportFormat, graph: Graph | None = None) -> str:
    if fmt is ReportFormat.TTL:
        g = bind_prefixes(Graph())
        for t in graph or Graph():
            g.add(t)
        g.bind("hrs", HRS)
        return g.serialize(format="turtle")
    if fmt is ReportFormat.JSON:
        return json.dumps({
            "conforms": report.conforms,
            "results": [{"severity": r.severity.value, "message": r.message, "where": r.where, "focus": r.focus,
                         "path": r.path, "value": r.value, "source": r.source} for r in report.results],
        }, indent=1, ensure_ascii=False) + "\n"
    lines = []
    current = None
    for r in report.results:
        file = r.where.split(":")[0] if r.where else "(no source)"
        if file != current:
            lines.append(f"{file}")
            current = file
        detail = f" [{r.path}]" if r.path else ""
        value = f" (value: {_clip(r.value)})" if r.value is not None and r.value != r.focus else ""
        lines.append(f"  {r.where or r.focus}: {r.severity.value.lower()}: {r.message}{detail}{value}")
        lines.append(f"      focus {r.focus}   ({r.source})")
    n_v, n_w = len(report.violations), len(report.results) - len(report.violations)
    verdict = "conforms" if report.conforms else "does not conform"
    lines.append(f"{verdict}: {n_v} violation{'s' if n_v != 1 else ''}, {n_w} warning{'s' if n_w != 1 else ''}")
    return "\n".join(lines) + "\n"


def _clip(text: str, n: int = 80) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"
