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

import bisect
import enum
import functools
import gzip
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from json.encoder import encode_basestring as _q   # json.dumps(a str, ensure_ascii=False), in C
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
    """Distinct triples in the order of (str(subject), str(predicate), str(object)), which is the order of
    their N-Triples lines: a term's text never goes on with a character below the space that parts it
    from the next (N-Triples escapes every control character), so sorting the lines is sorting by the
    terms, and the lines are sorted by C code rather than a Python key of three strings a triple."""
    unique = list(set(triples))
    if not unique:
        return []
    lines = ox.serialize(unique, format=ox.RdfFormat.N_TRIPLES).split(b"\n")   # one line a triple, in order
    return [unique[i] for i in sorted(range(len(unique)), key=lines.__getitem__)]


def nquads(graph: str, ordered: list[ox.Triple]) -> bytes:
    """The N-Quads lines of triples in ``graph``, sorted: their N-Triples lines with the graph's name put
    before the final " ." (pyoxigraph writes the same bytes for the quads; made without a quad object)."""
    if not ordered:
        return b""
    suffix = b" <" + graph.encode() + b"> .\n"
    return b"".join(sorted(line[:-2] + suffix for line in ox.serialize(ordered, format=ox.RdfFormat.N_TRIPLES)
                           .split(b"\n") if line))


def nquads_of_lines(graph: str, lines: list[str]) -> bytes:
    """:func:`nquads` of sorted, distinct N-Triples lines (``kg.shard.nt_lines``), without parsing them:
    the same bytes, since both are pyoxigraph's serialisation and every line goes on with a space
    after its object, so adding the graph name keeps their order."""
    suffix = f"<{graph}> .\n"
    return "".join(line[:-1] + suffix for line in lines).encode()


def fragment(graph: str, triples: Iterable[ox.Triple]) -> Fragment:
    """Serialise one named graph (triples are de-duplicated and sorted)."""
    ordered = sorted_triples(triples)
    nq = nquads(graph, ordered)
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


_COMPACTED: dict[str, dict[str, str]] = {}   # base -> IRI -> compact IRI


def compact(iri: str) -> str:
    """A compact IRI (prefix:local) where a declared prefix fits, else the IRI itself."""
    return _compact(iri, iris.base())


def _json_value(term) -> str:
    """A literal's JSON-LD value object as ``json.dumps(sort_keys=True)`` writes it compactly."""
    if isinstance(term, ox.Literal):
        if term.language:
            return '{"@language":' + _q(term.language) + ',"@value":' + _q(term.value) + "}"
        if term.datatype.value != XSD_STRING:
            return '{"@type":' + _q(compact(term.datatype.value)) + ',"@value":' + _q(term.value) + "}"
        return '{"@value":' + _q(term.value) + "}"
    raise KgError(f"cannot write {term!r} as JSON-LD")  # pragma: no cover - no blank nodes or triple terms


def jsonld_nodes(ordered: list[ox.Triple]) -> dict[str, bytes]:
    """Each subject's JSON-LD node object, by subject IRI: the bytes of ``json.dumps(node, sort_keys=True,
    ensure_ascii=False, separators=(",", ":"))`` of ``{"@id": s, "@type": [classes], property: [values]}``
    with every list sorted by its items' JSON.  Written as text (each string by ``json``'s own C encoder)
    rather than built as dicts and dumped: 5.2–6.4 → 3.7–4.2 ms an article at 1,000 articles;
    ``tests/test_scale.py`` holds it to the dicts-and-dumps text."""
    nodes: dict[str, dict[str, list[str]]] = {}
    base = iris.base()
    memo = _COMPACTED.setdefault(base, {})   # compact() without its call, for the IRIs met again and again
    if len(memo) > 65536:
        memo.clear()

    def short(iri: str) -> str:
        found = memo.get(iri)
        if found is None:
            found = memo[iri] = _compact(iri, base)
        return found

    named = ox.NamedNode
    for subject, predicate, obj in ordered:
        node = nodes.get(subject.value)
        if node is None:
            node = nodes[subject.value] = {"@id": [_q(short(subject.value))]}   # a list, as the others
        if isinstance(obj, named):
            if predicate.value == RDF_TYPE:
                node.setdefault("@type", []).append(_q(short(obj.value)))
            else:
                node.setdefault(short(predicate.value), []).append('{"@id":' + _q(short(obj.value)) + "}")
        else:
            node.setdefault(short(predicate.value), []).append(_json_value(obj))
    out = {}
    for s, node in nodes.items():
        # json.dumps(sort_keys=True) orders the keys as strings, and the lists were sorted by their items'
        # json.dumps: the order of their compact text too, as two items' texts part before a separator
        parts = []
        for key in sorted(node):
            values = node[key]
            if key == "@id":
                parts.append('"@id":' + values[0])
                continue
            if len(values) > 1:
                values.sort()
            parts.append(_q(key) + ":[" + ",".join(values) + "]")
        out[s] = ("{" + ",".join(parts) + "}").encode()
    return out


def _json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=None, separators=(",", ":")).encode()


def _jsonld_object(graph: str, nodes: Iterable[bytes]) -> bytes:
    """``{"@id": graph, "@graph": [nodes]}`` as ``json.dumps(sort_keys=True)`` writes it."""
    return b'{"@graph":[' + b",".join(nodes) + b'],"@id":' + _json(compact(graph)) + b"}"


def jsonld_graph(graph: str, ordered: list[ox.Triple]) -> bytes:
    nodes = jsonld_nodes(ordered)
    return _jsonld_object(graph, (nodes[s] for s in sorted(nodes)))


# ---------------------------------------------------------------- a graph from pieces

@dataclass
class Piece:
    """A run of a big graph's triples serialised on its own and cached (an article's own inferences):
    its subjects span ``first``..``last`` in N-Triples order and ``low``..``high`` as IRIs."""

    first: str
    last: str
    low: str
    high: str
    triples: int
    parts: Callable[[], dict[str, bytes]]     # piece_parts(), read when the piece is used
    lines: Callable[[], list[ox.Triple]]      # its triples, should it have to be serialised again


def piece_parts(graph: str, triples: Iterable[ox.Triple]) -> dict[str, bytes]:
    """A piece's share of each serialisation: N-Quads lines, Turtle statements, JSON-LD nodes."""
    ordered = sorted_triples(triples)
    nq = nquads(graph, ordered)
    nodes = jsonld_nodes(ordered)
    parts = {"nq": nq, "body": turtle_body(ordered), "jsonld": b",".join(nodes[s] for s in sorted(nodes))}
    _verify(Fragment(graph, len(ordered), nq, parts["body"], b"", b"", b""))
    return parts


def _clashing(pieces: list[Piece], subjects: set[str], lo: str, hi: str) -> set[int]:
    """Indexes of pieces whose span (``lo``..``hi``, fields of Piece) holds another piece's or a loose subject."""
    order = sorted(range(len(pieces)), key=lambda i: getattr(pieces[i], lo))
    bad = set()
    for a, b in zip(order, order[1:]):
        if getattr(pieces[a], hi) >= getattr(pieces[b], lo):
            bad |= {a, b}
    los = [getattr(pieces[i], lo) for i in order]
    for s in subjects:
        k = bisect.bisect_right(los, s) - 1
        if k >= 0 and s <= getattr(pieces[order[k]], hi):
            bad.add(order[k])
    return bad


def merged_nquads(graph: str, lines: Iterable[list[str]], loose: Iterable[ox.Triple]) -> tuple[bytes, int]:
    """The N-Quads of the graph :func:`merged` makes of pieces (given here by their N-Triples lines,
    without line ends) and loose triples, and how many triples it holds: the same bytes (build checks
    that they are), made without reading or serialising any piece."""
    suffix = f"<{graph}> .\n".encode()
    out = {line.encode()[:-1] + suffix for piece in lines for line in piece}   # "<s> <p> <o> ." -> "<s> <p> <o> <g> .\n"
    out.update(_lines(nquads(graph, sorted_triples(loose))))
    return b"".join(sorted(out)), len(out)


def merged(graph: str, pieces: list[Piece], loose: Iterable[ox.Triple]) -> Fragment:
    """The fragment of a graph made of cached pieces and loose triples: byte for byte what
    :func:`fragment` makes of all their triples, but only the loose ones are serialised.

    Every serialisation writes a graph subject by subject in one order (N-Quads and Turtle in
    N-Triples order, JSON-LD by IRI), so a piece whose subjects no other piece and no loose
    triple falls among, in either order, is a contiguous block of each; a piece that clashes
    is serialised again with the loose triples.
    """
    rest = set(loose)
    kept = list(pieces)
    while True:
        bad = (_clashing(kept, {str(t.subject) for t in rest}, "first", "last")
               | _clashing(kept, {t.subject.value for t in rest}, "low", "high"))
        if not bad:
            break
        for i in bad:
            rest.update(kept[i].lines())
        kept = [p for i, p in enumerate(kept) if i not in bad]
    kept.sort(key=lambda p: p.first)
    ordered = sorted_triples(rest)
    firsts = [p.first for p in kept]
    runs: list[list[ox.Triple]] = [[] for _ in range(len(kept) + 1)]
    for t in ordered:
        runs[bisect.bisect_right(firsts, str(t.subject))].append(t)
    nq, body, nodes = [], [], []
    loaded = [p.parts() for p in kept]
    for i, run in enumerate(runs):
        if run:
            nq.append(nquads(graph, run))
            body.append(turtle_body(run))
        if i < len(kept):
            nq.append(loaded[i]["nq"])
            body.append(loaded[i]["body"])
            nodes.append((kept[i].low, loaded[i]["jsonld"]))
    nodes.extend(jsonld_nodes(ordered).items())
    nodes.sort(key=lambda kv: kv[0])
    frag = Fragment(graph, len(ordered) + sum(p.triples for p in kept), b"".join(nq), b"".join(body),
                    _jsonld_object(graph, (n for _, n in nodes)), b"", b"")
    frag.nq_gz, frag.trig_gz = gz(frag.nq), gz(frag.trig_block)
    return frag


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
