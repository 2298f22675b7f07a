"""Linked data: what the server says about one IRI the dataset mints.

The description of a resource is every triple whose subject it is (from any
graph), together with the nodes minted under its own IRI that it points to
(a claim's ``…/evidence/1`` annotation, its target and selectors; an entity's
positions), and then every claim that names it — with that claim's evidence,
so that each fact arrives with the words of the article that support it.
"""

from __future__ import annotations

import pyoxigraph as ox

from .. import iris
from . import negotiate as neg

HRR = iris.ONTOLOGY
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
EXACT = "http://www.w3.org/ns/oa#exact"
EVIDENCE = HRR + "evidence"
MAX_CLAIMS = 500
MAX_NODES = 5000


def _closure(store: ox.Store, iri: str, triples: set, seen: set) -> None:
    """``iri``'s triples, and those of its evidence and of the nodes minted under it that it links to."""
    todo = [iri]
    while todo and len(seen) < MAX_NODES:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for q in store.quads_for_pattern(ox.NamedNode(node), None, None, None):
            triples.add(q.triple)
            o = q.object
            if isinstance(o, ox.NamedNode) and o.value not in seen and (
                    o.value.startswith(iri + "/") or "/evidence/" in o.value or q.predicate.value == EVIDENCE):
                todo.append(o.value)


def _claims_naming(store: ox.Store, iri: str) -> list[str]:
    found = set()
    for q in store.quads_for_pattern(None, None, ox.NamedNode(iri), None):
        s = q.subject
        if isinstance(s, ox.NamedNode) and "/claim/" in s.value and "/evidence/" not in s.value:
            found.add(s.value)
    return sorted(found)[:MAX_CLAIMS]


def collect(store: ox.Store, iri: str) -> tuple[set, list[str]]:
    triples: set = set()
    seen: set = set()
    _closure(store, iri, triples, seen)
    claims = [c for c in _claims_naming(store, iri) if c != iri]
    for claim in claims:
        _closure(store, claim, triples, seen)
    return triples, claims


def _first(store: ox.Store, iri: str, *predicates: str) -> str | None:
    for p in predicates:
        for q in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(p), None, None):
            return q.object.value
    return None


def _label(store: ox.Store, iri: str) -> str:
    return _first(store, iri, LABEL, PREF_LABEL) or iri.rsplit("/", 1)[-1]


def _quotes(triples: set, claim: str) -> list[str]:
    """The exact words of the claim's evidence, in evidence order."""
    evidence = sorted(t.object.value for t in triples if t.subject.value == claim and t.predicate.value == EVIDENCE)
    return [t.object.value for e in evidence
            for t in sorted(triples, key=str) if t.predicate.value == EXACT and t.subject.value.startswith(e + "/")]


def page(store: ox.Store, iri: str, triples: set, claims: list[str]) -> dict:
    """What the HTML page shows (plain data: the template escapes it)."""
    own = sorted((t for t in triples if t.subject.value == iri), key=lambda t: (t.predicate.value, str(t.object)))
    props = []
    for t in own:
        o = t.object
        props.append({"predicate": t.predicate.value, "object": o.value, "iri": isinstance(o, ox.NamedNode),
                      "label": _label(store, o.value) if isinstance(o, ox.NamedNode) else o.value})
    items = []
    for c in claims:
        article = _first(store, c, HRR + "statedIn")
        items.append({"iri": c, "description": _first(store, c, HRR + "description") or "",
                      "type": ", ".join(sorted(_label(store, q.object.value) for q in store.quads_for_pattern(
                          ox.NamedNode(c), ox.NamedNode(RDF_TYPE), None, None)
                          if q.object.value.startswith(HRR))),
                      "factuality": _label(store, f) if (f := _first(store, c, HRR + "factuality")) else "",
                      "quotes": _quotes(triples, c), "article": article,
                      "article_label": _label(store, article) if article else ""})
    return {"iri": iri, "label": _label(store, iri), "description": _first(store, iri, HRR + "description") or "",
            "props": props, "claims": items, "quotes": _quotes(triples, iri)}


def answer(store: ox.Store, job: dict) -> dict:
    iri = job["iri"]
    triples, claims = collect(store, iri)
    if not triples and not claims:
        return {"status": 404, "type": "text/plain; charset=utf-8", "headers": {},
                "body": f"{iri}: the dataset mints no such IRI — see /queries, or query /sparql\n".encode()}
    fmt = neg.Fmt(job["fmt"])
    if fmt is neg.Fmt.HTML:
        return {"status": 200, "data": page(store, iri, triples, claims)}
    return {"status": 200, "type": neg.content_type(fmt), "headers": {}, "body": neg.graph(list(triples), fmt)}
