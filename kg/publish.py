"""Write the dumps, deterministically and atomically, from per-graph fragments.

Each named graph is serialised once into a :class:`Fragment` (its sorted
N-Quads lines, its Turtle statements, its JSON-LD graph object and the gzip
members of its N-Quads and TriG text).  Fragments of article graphs are cached
with the article (``kg.cache``), so a dump of 10,000 articles is assembled by
concatenation, not re-serialised.  Assembly streams into temporary files in the
output directory; only when every file is written and checked do they replace
the old ones (``os.replace``).  Byte-stable: no blank nodes, no clock, graphs in
IRI order, triples sorted within each graph, gzip headers without name or time.
"""

from __future__ import annotations

import enum
import functools
import gzip
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import pyoxigraph as ox

from .errors import KgError
from . import iris
from .store import prefixes

if TYPE_CHECKING:  # pragma: no cover
    from . import journal

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@functools.lru_cache(maxsize=8)
def _prefixes_under(base: str) -> dict[str, str]:
    return {p: str(ns) for p, ns in sorted(prefixes(base).items())}


@functools.lru_cache(maxsize=8)
def _by_length(base: str) -> list[tuple[str, str]]:
    return sorted(_prefixes_under(base).items(), key=lambda kv: -len(kv[1]))


def _ox_prefixes() -> dict[str, str]:
    """The project's prefixes under the dataset base in force."""
    return _prefixes_under(iris.base())


class Dump(enum.Enum):
    TRIG = "kg.trig"
    TRIG_GZ = "kg.trig.gz"
    NQUADS = "kg.nq"
    NQUADS_GZ = "kg.nq.gz"
    TURTLE = "kg.ttl"
    JSONLD = "kg.jsonld"
    CONTEXT = "context.jsonld"
    INFERRED = "kg-inferred.ttl"
    VOID = "void.ttl"
    SUMS = "SHA256SUMS"


MEDIA_TYPES = {
    Dump.TRIG: "application/trig", Dump.NQUADS: "application/n-quads", Dump.TURTLE: "text/turtle",
    Dump.JSONLD: "application/ld+json", Dump.CONTEXT: "application/ld+json", Dump.INFERRED: "text/turtle",
    Dump.TRIG_GZ: "application/trig", Dump.NQUADS_GZ: "application/n-quads",
}
COMPRESSED = {Dump.TRIG_GZ: Dump.TRIG, Dump.NQUADS_GZ: Dump.NQUADS}


def context() -> dict:
    return {"@context": dict(_ox_prefixes())}


def context_bytes() -> bytes:
    return (json.dumps(context(), indent=1, sort_keys=True) + "\n").encode("utf-8")


def gz(data: bytes) -> bytes:
    """One deterministic gzip member: no file name, mtime 0."""
    return gzip.compress(data, compresslevel=6, mtime=0)


# ---------------------------------------------------------------- one graph

@dataclass
class Fragment:
    """One named graph, serialised every way the dumps need it."""

    graph: str
    triples: int
    nq: bytes        # sorted N-Quads lines
    body: bytes      # Turtle statements, prefixes as in PREFIXES (declared once per dump)
    jsonld: bytes    # the graph's JSON-LD object {"@id": graph, "@graph": [...]}
    nq_gz: bytes
    trig_gz: bytes   # gzip member of this graph's TriG block

    def parts(self) -> dict[str, bytes]:
        return {"nq": self.nq, "body": self.body, "jsonld": self.jsonld, "nq_gz": self.nq_gz, "trig_gz": self.trig_gz}

    @classmethod
    def of_parts(cls, graph: str, triples: int, parts: dict[str, bytes]) -> "Fragment":
        return cls(graph, triples, parts["nq"], parts["body"], parts["jsonld"], parts["nq_gz"], parts["trig_gz"])

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.nq).hexdigest()

    @property
    def trig_block(self) -> bytes:
        return b"\n<" + self.graph.encode() + b"> {\n" + self.body + b"}\n"


def sorted_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    return sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def fragment(graph: str, triples: Iterable[ox.Triple]) -> Fragment:
    """Serialise one named graph (triples are de-duplicated and sorted)."""
    ordered = sorted_triples(triples)
    g = ox.NamedNode(graph)
    quads = [ox.Quad(t.subject, t.predicate, t.object, g) for t in ordered]
    nq = b"".join(sorted(_lines(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))))
    body = turtle_body(ordered)
    frag = Fragment(graph, len(ordered), nq, body, jsonld_graph(graph, ordered), gz(nq), b"")
    frag.trig_gz = gz(frag.trig_block)
    _verify(frag)
    return frag


def _verify(frag: Fragment) -> None:
    """Re-read what is about to be published: this graph's N-Quads and TriG must each hold its triples."""
    for data, fmt in ((frag.nq, ox.RdfFormat.N_QUADS), (prefix_lines() + frag.trig_block, ox.RdfFormat.TRIG)):
        try:
            n = sum(1 for _ in ox.parse(data, format=fmt))
        except SyntaxError as exc:  # pragma: no cover - would be a serialiser bug
            raise KgError(f"the {fmt} of graph <{frag.graph}> does not re-parse: {exc}") from None
        if n != frag.triples:  # pragma: no cover
            raise KgError(f"the {fmt} of graph <{frag.graph}> holds {n} quads, the graph {frag.triples}")


def _lines(data: bytes) -> list[bytes]:
    # split on "\n" only: a literal may hold U+2028, U+0085 or a form feed, which
    # N-Quads leaves unescaped and str.splitlines() would wrongly treat as line ends
    return [line + b"\n" for line in data.split(b"\n") if line]


def turtle_body(ordered: list[ox.Triple]) -> bytes:
    """Turtle statements for sorted triples, using the project's prefixes (declared by the caller)."""
    if not ordered:
        return b""
    text = ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=_ox_prefixes())
    return b"".join(line + b"\n" for line in text.split(b"\n") if line and not line.startswith(b"@prefix "))


def prefix_lines() -> bytes:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in _ox_prefixes().items()).encode()


# ---------------------------------------------------------------- JSON-LD

_LOCAL = re.compile(r"^(?!//)[A-Za-z0-9\-_./~%]+$")


@functools.lru_cache(maxsize=65536)
def _compact(iri: str, base: str) -> str:
    for prefix, ns in _by_length(base):
        if iri.startswith(ns):
            local = iri[len(ns):]
            if _LOCAL.match(local):
                return f"{prefix}:{local}"
    return iri


def compact(iri: str) -> str:
    """A compact IRI (prefix:local) where a declared prefix fits, else the IRI itself."""
    return _compact(iri, iris.base())


def _json_value(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"@id": compact(term.value)}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value != XSD_STRING:
            return {"@value": term.value, "@type": compact(term.datatype.value)}
        return {"@value": term.value}
    raise KgError(f"cannot write {term!r} as JSON-LD")  # pragma: no cover - no blank nodes or triple terms


def jsonld_graph(graph: str, ordered: list[ox.Triple]) -> bytes:
    nodes: dict[str, dict] = {}
    for t in ordered:
        node = nodes.setdefault(t.subject.value, {"@id": compact(t.subject.value)})
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            node.setdefault("@type", []).append(compact(t.object.value))
        else:
            node.setdefault(compact(t.predicate.value), []).append(_json_value(t.object))
    for node in nodes.values():
        for key, values in node.items():
            if isinstance(values, list) and len(values) > 1:   # most are one value: nothing to sort
                values.sort(key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    obj = {"@id": compact(graph), "@graph": [nodes[s] for s in sorted(nodes)]}
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=None, separators=(",", ":")).encode()


# ---------------------------------------------------------------- assembly

class _Sink:
    """A temporary file for its target (beside it, or in a staging directory), hashed as it is written."""

    def __init__(self, target: Path, staging: Path | None = None) -> None:
        self.target = target
        fd, self.tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=staging or target.parent)
        self.fh = os.fdopen(fd, "wb")
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.fh.write(data)
        self.sha.update(data)
        self.size += len(data)

    def close(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.chmod(self.tmp, 0o644)


@dataclass
class Written:
    """A dump written to a temporary name: what VoID and SHA256SUMS need to know."""

    dump: Dump
    tmp: str
    size: int
    sha256: str


def assemble(out: Path, fragments: Callable[[], Iterator[Fragment]], inferred_graph: str,
             staging: Path | None = None) -> dict[Dump, Written]:
    """Stream every RDF dump from the fragments (graphs in IRI order), to temporary files in
    ``staging`` (default: ``out``).

    ``fragments`` is called once and yields each graph's fragment in IRI order;
    each is written to every dump before the next is read, so memory holds one
    graph at a time.
    """
    out.mkdir(parents=True, exist_ok=True)
    sinks = {d: _Sink(out / d.value, staging) for d in (Dump.TRIG, Dump.TRIG_GZ, Dump.NQUADS, Dump.NQUADS_GZ,
                                               Dump.TURTLE, Dump.JSONLD, Dump.INFERRED)}
    try:
        head = prefix_lines()
        sinks[Dump.TRIG].write(head)
        sinks[Dump.TRIG_GZ].write(gz(head))
        sinks[Dump.TURTLE].write(head)
        sinks[Dump.INFERRED].write(head)
        sinks[Dump.JSONLD].write(b'{"@context":' + json.dumps(context()["@context"], sort_keys=True).encode() + b',"@graph":[')
        first = True
        for frag in fragments():
            sinks[Dump.TRIG].write(frag.trig_block)
            sinks[Dump.TRIG_GZ].write(frag.trig_gz)
            sinks[Dump.NQUADS].write(frag.nq)
            sinks[Dump.NQUADS_GZ].write(frag.nq_gz)
            if frag.graph == inferred_graph:
                sinks[Dump.INFERRED].write(frag.body)
            else:
                sinks[Dump.TURTLE].write(frag.body)
            sinks[Dump.JSONLD].write((b"" if first else b",\n") + frag.jsonld)
            first = False
        sinks[Dump.JSONLD].write(b"]}\n")
        for s in sinks.values():
            s.close()
    except BaseException:
        for s in sinks.values():
            if not s.fh.closed:
                s.fh.close()
            Path(s.tmp).unlink(missing_ok=True)
        raise
    return {d: Written(d, s.tmp, s.size, s.sha.hexdigest()) for d, s in sinks.items()}


def write_small(out: Path, dump: Dump, data: bytes, staging: Path | None = None) -> Written:
    s = _Sink(out / dump.value, staging)
    try:
        s.write(data)
        s.close()
    except BaseException:
        Path(s.tmp).unlink(missing_ok=True)
        raise
    return Written(dump, s.tmp, s.size, s.sha.hexdigest())


def sums(written: dict[Dump, Written]) -> bytes:
    return "".join(f"{w.sha256}  {d.value}\n" for d, w in sorted(written.items(), key=lambda kv: kv[0].value)).encode()


def discard(written: dict[Dump, Written]) -> None:
    for w in written.values():
        Path(w.tmp).unlink(missing_ok=True)


def commit(out: Path, written: dict[Dump, Written], tx: "journal.Transaction") -> None:
    """Plan moving every temporary file into place and removing the dumps this build no longer writes."""
    for dump, w in written.items():
        tx.replace(Path(w.tmp), out / dump.value)
    for dump in Dump:
        if dump not in written:
            tx.unlink(out / dump.value)


def replace_files(files: dict[Path, bytes]) -> None:
    """Write every file to a temporary name beside it, re-read it, then ``os.replace`` them all.

    Nothing is replaced until every file has been written and checked; on an
    error the temporary files are removed and the targets are untouched.  A file
    that exists keeps its mode; a new one gets 0644 less the umask (``mkstemp``
    alone would make it 0600).
    """
    temps: dict[Path, str] = {}
    umask = os.umask(0)
    os.umask(umask)
    try:
        for target, data in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            temps[target] = tmp
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o644 & ~umask)
            if Path(tmp).read_bytes() != data:  # pragma: no cover
                raise KgError(f"{tmp}: re-read differs from what was written")
    except BaseException:
        for tmp in temps.values():
            Path(tmp).unlink(missing_ok=True)
        raise
    for target, tmp in temps.items():
        os.replace(tmp, target)
