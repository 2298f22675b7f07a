"""Provenance, stamped in exactly one place (as zavod's ``Context.emit``).

Two kinds: evidence (a W3C Web Annotation per quote, with a
``TextQuoteSelector`` and a ``TextPositionSelector`` on the article) and
document provenance (PROV-O: each named graph derived from which files with
which SHA-256, attributed to whom, generated when: a pinned date from the
seeds, never the clock).  The mapper never writes ``oa:`` or ``prov:`` itself.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from . import iris
from typing import Protocol

from .model import Article, Dataset, Quote


class ArticleProvenance(Protocol):
    key: str
    file: str
    sha256: str
    annotation_sha256: str
    curator: str
    annotated_on: str


class DatasetMeta(Protocol):
    title: str
    version: str
    creator: str
    issued: str
from .vocab import HRR, OA


def evidence(g: Graph, claim: URIRef, article: URIRef, quotes: list[Quote]) -> list[URIRef]:
    """Annotate ``claim`` with one Web Annotation per quote; returns the annotation IRIs."""
    annotations = []
    for n, q in enumerate(quotes, 1):
        ann = iris.sub(claim, "evidence", n)
        target, qsel, psel = (iris.sub(ann, part) for part in ("target", "quote", "position"))
        g.add((ann, RDF.type, OA.Annotation))
        g.add((ann, OA.motivatedBy, OA.describing))
        g.add((ann, OA.hasBody, claim))
        g.add((ann, OA.hasTarget, target))
        g.add((target, RDF.type, OA.SpecificResource))
        g.add((target, OA.hasSource, article))
        g.add((target, OA.hasSelector, qsel))
        g.add((target, OA.hasSelector, psel))
        g.add((qsel, RDF.type, OA.TextQuoteSelector))
        g.add((qsel, OA.exact, Literal(q.exact)))
        g.add((qsel, OA.prefix, Literal(q.prefix)))
        g.add((qsel, OA.suffix, Literal(q.suffix)))
        g.add((psel, RDF.type, OA.TextPositionSelector))
        g.add((psel, OA.start, Literal(q.start, datatype=XSD.nonNegativeInteger)))
        g.add((psel, OA.end, Literal(q.end, datatype=XSD.nonNegativeInteger)))
        g.add((claim, HRR.evidence, ann))
        annotations.append(ann)
    return annotations


def link_evidence(g: Graph, claim: URIRef, annotations: list[URIRef]) -> None:
    """A requested action shares the evidence of the appeal that requests it."""
    for ann in annotations:
        g.add((claim, HRR.evidence, ann))


def _file(g: Graph, relpath: str, sha256: str) -> URIRef:
    node = iris.source_file(relpath)
    g.add((node, RDF.type, HRR.SourceFile))
    g.add((node, DCTERMS.identifier, Literal(relpath)))
    g.add((node, HRR.sha256, Literal(sha256)))
    return node


def _pinned(date: str) -> Literal:
    return Literal(f"{date}T00:00:00Z", datatype=XSD.dateTime)


def _graph(g: Graph, name: URIRef, label: str, files: list[tuple[str, str]], who: URIRef, when: str, build: URIRef) -> None:
    g.add((name, RDF.type, PROV.Entity))
    g.add((name, RDFS.label, Literal(label)))
    for relpath, sha in files:
        g.add((name, PROV.wasDerivedFrom, _file(g, relpath, sha)))
    g.add((name, PROV.wasAttributedTo, who))
    g.add((name, PROV.wasGeneratedBy, build))
    g.add((name, PROV.generatedAtTime, _pinned(when)))


def describe_article(g: Graph, a: ArticleProvenance, version: str) -> None:
    """What an article's named graph was derived from (its text and its annotation file), by whom, when."""
    name = iris.G.article(a.key)
    _graph(g, name, f"Claims of article {a.key}",
           [(f"seeds/articles/{a.file}", a.sha256), (f"seeds/annotations/{a.key}.yaml", a.annotation_sha256)],
           iris.curator(a.curator), a.annotated_on, iris.build_activity(version))
    g.add((name, DCTERMS.subject, iris.article(a.key)))


def describe_common(g: Graph, ds: DatasetMeta, curators: list[str], turtle: list[tuple[str, str]],
                    entities_sha256: str, ontology_sha256: str) -> None:
    """The provenance graph apart from the article graphs: the build, the agents, the ontology,
    registry and addition graphs.  ``turtle`` lists (name, sha256) of curator additions."""
    build = iris.build_activity(ds.version)
    creator = iris.curator(ds.creator)
    g.add((build, RDF.type, PROV.Activity))
    g.add((build, RDFS.label, Literal(f"kg build of {ds.title} {ds.version}")))
    g.add((build, PROV.endedAtTime, _pinned(ds.issued)))
    for agent, name in {creator: ds.creator, **{iris.curator(c): c for c in curators}}.items():
        g.add((agent, RDF.type, PROV.Agent))
        g.add((agent, RDFS.label, Literal(name)))
    _graph(g, iris.G.ONTOLOGY, "The hrr ontology", [("ontology/hrr.ttl", ontology_sha256)], creator, ds.issued, build)
    _graph(g, iris.G.ENTITIES, "The entity registry", [("seeds/entities.yaml", entities_sha256)], creator, ds.issued, build)
    for tname, sha in turtle:
        _graph(g, iris.G.addition(tname), f"Curator addition {tname}", [(f"seeds/additions/{tname}.ttl", sha)],
               creator, ds.issued, build)
    g.add((iris.G.PROVENANCE, RDF.type, PROV.Entity))
    g.add((iris.G.PROVENANCE, RDFS.label, Literal("Provenance of the named graphs")))
    g.add((iris.G.PROVENANCE, PROV.wasGeneratedBy, build))


def describe_graphs(g: Graph, ds: Dataset, entities_sha256: str, ontology_sha256: str) -> None:
    """The provenance graph of a whole in-memory dataset: what each named graph was derived from, by whom, when."""
    describe_common(g, ds, [a.curator for a in ds.articles], [(tf.name, tf.sha256) for tf in ds.turtle],
                    entities_sha256, ontology_sha256)
    for a in ds.articles:
        describe_article(g, a, ds.version)


def article_source(g: Graph, a: Article) -> URIRef:
    """The article's link to its verbatim source file (described in the provenance graph)."""
    node = iris.source_file(f"seeds/articles/{a.file}")
    g.add((iris.article(a.key), HRR.sourceFile, node))
    return node
