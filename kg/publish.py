"""Write the dumps, deterministically and atomically.

Every file is serialised to a temporary name in the output directory, checked
(re-read), and only when all of them are ready do they replace the old ones
with ``os.replace``.  On any error before that, ``--out`` is untouched.
Byte-stable output: no blank nodes are minted anywhere, N-Quads are sorted,
JSON-LD is re-serialised with sorted keys and node arrays.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import tempfile
from pathlib import Path

import pyoxigraph
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, VOID, XSD

from . import iris
from .errors import KgError
from .model import Dataset
from .store import PREFIXES, Store, bind_prefixes

SPDX = Namespace("http://spdx.org/rdf/terms#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")


class Dump(enum.Enum):
    TRIG = "kg.trig"
    NQUADS = "kg.nq"
    TURTLE = "kg.ttl"
    JSONLD = "kg.jsonld"
    CONTEXT = "context.jsonld"
    INFERRED = "kg-inferred.ttl"
    VOID = "void.ttl"
    SUMS = "SHA256SUMS"


MEDIA_TYPES = {
    Dump.TRIG: "application/trig", Dump.NQUADS: "application/n-quads", Dump.TURTLE: "text/turtle",
    Dump.JSONLD: "application/ld+json", Dump.CONTEXT: "application/ld+json", Dump.INFERRED: "text/turtle",
}


def context() -> dict:
    return {"@context": {prefix: str(ns) for prefix, ns in sorted(PREFIXES.items())}}


def _sorted_jsonld(value):
    """Sort JSON-LD arrays of nodes/values so output does not depend on store order."""
    if isinstance(value, dict):
        return {k: _sorted_jsonld(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_jsonld(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def _longturtle(graph: Graph) -> str:
    copy = bind_prefixes(Graph())
    for triple in graph:
        copy.add(triple)
    return copy.serialize(format="longturtle")


def _turtle_body(graph: Graph) -> str:
    """Canonical Turtle (rdflib longturtle) of one graph, without its PREFIX lines."""
    text = _longturtle(graph)
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("PREFIX ")).strip("\n")


def trig(store: Store) -> str:
    """TriG with graphs in IRI order, each graph's body in canonical longturtle form.

    (rdflib's own TriG serialiser orders graphs and subjects by store order,
    which is not stable across runs.)
    """
    lines = [f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(PREFIXES.items())]
    for name in store.graph_names():
        body = _turtle_body(store.graph(name))
        # no re-indentation: a multi-line literal must keep its exact characters
        lines.append(f"\n<{name}> {{\n{body}\n}}\n")
    return "".join(lines)


def void(store: Store, ds: Dataset, files: dict[Dump, bytes]) -> bytes:
    """VoID + DCAT description of the dataset and its dumps (sizes, checksums, graphs)."""
    g = bind_prefixes(Graph())
    g.bind("spdx", SPDX)
    g.bind("sd", SD)
    d = iris.dataset()
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, Literal(ds.title, lang="en")))
    g.add((d, DCTERMS.description, Literal(ds.description, lang="en")))
    g.add((d, DCTERMS.license, URIRef(ds.license)))
    g.add((d, DCTERMS.creator, Literal(ds.creator)))
    g.add((d, DCTERMS.issued, Literal(ds.issued, datatype=XSD.date)))
    g.add((d, OWL.versionInfo, Literal(ds.version)))
    g.add((d, VOID.uriSpace, Literal(iris.DATASET)))
    for vocab in (iris.ONTOLOGY, "http://www.w3.org/ns/oa#", "http://www.w3.org/ns/prov#", "https://schema.org/",
                  "http://www.w3.org/2004/02/skos/core#", "http://xmlns.com/foaf/0.1/"):
        g.add((d, VOID.vocabulary, URIRef(vocab)))
    asserted = sum(len(store.graph(n)) for n in store.graph_names() if n != iris.G.INFERRED)
    g.add((d, VOID.triples, Literal(asserted, datatype=XSD.integer)))
    for name in store.graph_names():
        subset = iris.subset(name)
        g.add((d, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, SD.name, name))
        g.add((subset, VOID.triples, Literal(len(store.graph(name)), datatype=XSD.integer)))
    for dump, data in sorted(files.items(), key=lambda kv: kv[0].value):
        if dump not in MEDIA_TYPES:
            continue
        dist = iris.dump(dump.value)
        g.add((d, DCAT.distribution, dist))
        if dump in (Dump.TRIG, Dump.NQUADS):
            g.add((d, VOID.dataDump, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(dump.value)))
        g.add((dist, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/" + MEDIA_TYPES[dump])))
        g.add((dist, DCAT.byteSize, Literal(len(data), datatype=XSD.nonNegativeInteger)))
        checksum = iris.sub(dist, "sha256")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(hashlib.sha256(data).hexdigest(), datatype=XSD.hexBinary)))
    return g.serialize(format="longturtle").encode("utf-8")


def render(store: Store, ds: Dataset) -> dict[Dump, bytes]:
    """Serialise every dump, and the VoID description of them, to bytes (nothing is written)."""
    rdf = store.dataset
    out: dict[Dump, bytes] = {}
    out[Dump.TRIG] = trig(store).encode("utf-8")
    nq = rdf.serialize(format="nquads")
    out[Dump.NQUADS] = ("".join(sorted(set(nq.splitlines(keepends=True))))).encode("utf-8")
    out[Dump.TURTLE] = _longturtle(store.union()).encode("utf-8")
    ctx = context()
    raw = json.loads(rdf.serialize(format="json-ld", context=ctx["@context"], auto_compact=True))
    raw = _sorted_jsonld(raw)
    raw["@context"] = ctx["@context"]
    out[Dump.JSONLD] = (json.dumps(raw, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    out[Dump.CONTEXT] = (json.dumps(ctx, indent=1, sort_keys=True) + "\n").encode("utf-8")
    inferred = store.graph(iris.G.INFERRED)
    if len(inferred):
        out[Dump.INFERRED] = _longturtle(inferred).encode("utf-8")
    out[Dump.VOID] = void(store, ds, out)
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {dump.value}\n" for dump, data in sorted(out.items(), key=lambda kv: kv[0].value))
    out[Dump.SUMS] = sums.encode("utf-8")
    return out


def check(files: dict[Dump, bytes]) -> None:
    """Re-read what is about to be published: TriG and N-Quads must hold the same quads."""
    counts = {}
    for dump, fmt in ((Dump.TRIG, pyoxigraph.RdfFormat.TRIG), (Dump.NQUADS, pyoxigraph.RdfFormat.N_QUADS)):
        try:
            counts[dump] = sum(1 for _ in pyoxigraph.parse(files[dump], format=fmt))
        except SyntaxError as exc:  # pragma: no cover - would be a serialiser bug
            raise KgError(f"{dump.value} does not re-parse: {exc}") from None
    if counts[Dump.TRIG] != counts[Dump.NQUADS]:  # pragma: no cover
        raise KgError(f"kg.trig has {counts[Dump.TRIG]} quads but kg.nq has {counts[Dump.NQUADS]}")


def replace_files(files: dict[Path, bytes], mode: dict[Path, int] | None = None) -> None:
    """Write every file to a temporary name beside it, re-read it, then ``os.replace`` them all.

    Nothing is replaced until every file has been written and checked; on an
    error the temporary files are removed and the targets are untouched.
    ``mode`` gives permission bits for some targets (``mkstemp`` creates 0600).
    """
    temps: dict[Path, str] = {}
    try:
        for target, data in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            temps[target] = tmp
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if mode and target in mode:
                os.chmod(tmp, mode[target])
            if Path(tmp).read_bytes() != data:  # pragma: no cover
                raise KgError(f"{tmp}: re-read differs from what was written")
    except BaseException:
        for tmp in temps.values():
            Path(tmp).unlink(missing_ok=True)
        raise
    for target, tmp in temps.items():
        os.replace(tmp, target)


def write_atomically(out_dir: Path, files: dict[Dump, bytes]) -> None:
    replace_files({out_dir / dump.value: data for dump, data in files.items()})
    # a dump this build no longer produces (e.g. no inferred graph) must not linger
    for dump in Dump:
        if dump not in files:
            (out_dir / dump.value).unlink(missing_ok=True)
