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
from .model import Article, Dataset, Quote
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


def describe_graphs(g: Graph, ds: Dataset, entities_sha256: str, ontology_sha256: str) -> None:
    """The provenance graph: what each named graph was derived from, by whom, when."""
    build = iris.build_activity(ds.version)
    creator = iris.curator(ds.creator)
    g.add((build, RDF.type, PROV.Activity))
    g.add((build, RDFS.label, Literal(f"kg build of {ds.title} {ds.version}")))
    g.add((build, PROV.endedAtTime, _pinned(ds.issued)))
    for agent, name in {creator: ds.creator, **{iris.curator(a.curator): a.curator for a in ds.articles}}.items():
        g.add((agent, RDF.type, PROV.Agent))
        g.add((agent, RDFS.label, Literal(name)))

    def graph(name: URIRef, label: str, files: list[tuple[str, str]], who: URIRef, when: str) -> None:
        g.add((name, RDF.type, PROV.Entity))
        g.add((name, RDFS.label, Literal(label)))
        for relpath, sha in files:
            g.add((name, PROV.wasDerivedFrom, _file(g, relpath, sha)))
        g.add((name, PROV.wasAttributedTo, who))
        g.add((name, PROV.wasGeneratedBy, build))
        g.add((name, PROV.generatedAtTime, _pinned(when)))

    graph(iris.G.ONTOLOGY, "The hrr ontology", [("ontology/hrr.ttl", ontology_sha256)], creator, ds.issued)
    graph(iris.G.ENTITIES, "The entity registry", [("seeds/entities.yaml", entities_sha256)], creator, ds.issued)
    for a in ds.articles:
        name = iris.G.article(a.key)
        graph(name, f"Claims of article {a.key}",
              [(f"seeds/articles/{a.file}", a.sha256), (f"seeds/annotations/{a.key}.yaml", a.annotation_sha256)],
              iris.curator(a.curator), a.annotated_on)
        g.add((name, DCTERMS.subject, iris.article(a.key)))
    for tf in ds.turtle:
        name = iris.G.addition(tf.name)
        graph(name, f"Curator addition {tf.name}", [(f"seeds/additions/{tf.name}.ttl", tf.sha256)], creator, ds.issued)
    g.add((iris.G.PROVENANCE, RDF.type, PROV.Entity))
    g.add((iris.G.PROVENANCE, RDFS.label, Literal("Provenance of the named graphs")))
    g.add((iris.G.PROVENANCE, PROV.wasGeneratedBy, build))


def article_source(g: Graph, a: Article) -> URIRef:
    """The article's link to its verbatim source file (described in the provenance graph)."""
    node = iris.source_file(f"seeds/articles/{a.file}")
    g.add((iris.article(a.key), HRR.sourceFile, node))
    return node
