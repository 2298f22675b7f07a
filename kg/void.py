"""The VoID + DCAT description of the dataset, its named graphs and its dumps (``void.ttl``)."""

from __future__ import annotations

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, VOID, XSD

from . import iris
from .publish import COMPRESSED, MEDIA_TYPES, Dump, Written
from .store import bind_prefixes

SPDX = Namespace("http://spdx.org/rdf/terms#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOCABULARIES = (iris.ONTOLOGY, "http://www.w3.org/ns/oa#", "http://www.w3.org/ns/prov#", "https://schema.org/",
                "http://www.w3.org/2004/02/skos/core#", "http://xmlns.com/foaf/0.1/", "http://purl.org/dc/terms/",
                "http://semanticweb.cs.vu.nl/2009/11/sem/")


def describe(meta: dict, counts: dict[str, int], written: dict[Dump, Written]) -> bytes:
    """``counts``: triples per named graph; ``written``: the dumps (size and SHA-256 of each)."""
    g = bind_prefixes(Graph())
    g.bind("spdx", SPDX)
    g.bind("sd", SD)
    d = iris.dataset()
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, Literal(meta["title"], lang="en")))
    g.add((d, DCTERMS.description, Literal(meta["description"], lang="en")))
    g.add((d, DCTERMS.license, URIRef(meta["license"])))
    g.add((d, DCTERMS.creator, Literal(meta["creator"])))
    g.add((d, DCTERMS.issued, Literal(meta["issued"], datatype=XSD.date)))
    g.add((d, OWL.versionInfo, Literal(meta["version"])))
    g.add((d, VOID.uriSpace, Literal(iris.DATASET)))
    for vocab in VOCABULARIES:
        g.add((d, VOID.vocabulary, URIRef(vocab)))
    asserted = sum(n for name, n in counts.items() if name != str(iris.G.INFERRED))
    g.add((d, VOID.triples, Literal(asserted, datatype=XSD.integer)))
    for name, n in sorted(counts.items()):
        subset = iris.subset(URIRef(name))
        g.add((d, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, SD.name, URIRef(name)))
        g.add((subset, VOID.triples, Literal(n, datatype=XSD.integer)))
    for dump, w in sorted(written.items(), key=lambda kv: kv[0].value):
        if dump not in MEDIA_TYPES:
            continue
        dist = iris.dump(dump.value)
        g.add((d, DCAT.distribution, dist))
        if dump in (Dump.TRIG, Dump.NQUADS, Dump.TRIG_GZ, Dump.NQUADS_GZ):
            g.add((d, VOID.dataDump, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(dump.value)))
        g.add((dist, DCAT.downloadURL, dist))
        g.add((dist, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/" + MEDIA_TYPES[dump])))
        if dump in COMPRESSED:
            g.add((dist, DCAT.compressFormat, URIRef("https://www.iana.org/assignments/media-types/application/gzip")))
        g.add((dist, DCAT.byteSize, Literal(w.size, datatype=XSD.nonNegativeInteger)))
        checksum = iris.sub(dist, "sha256")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(w.sha256, datatype=XSD.hexBinary)))
    return g.serialize(format="longturtle").encode("utf-8")
