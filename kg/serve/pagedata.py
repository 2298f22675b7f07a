"""The web page's data, run in a query worker: fixed SPARQL, the request's values bound as terms (query.inline).

Each function takes the store and the job's parameters and returns a JSON-ready
value; ``answer`` wraps it as a worker answer.  Offsets are Unicode code points
in the article's ``schema:text`` (as stored in ``oa:TextPositionSelector``).
"""

from __future__ import annotations

import bisect
import json

import pyoxigraph as ox

from .. import iris
from ..query import inline

PREFIXES = """PREFIX hrr: <https://hrkg.example.org/ontology/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
"""

# the registry's entities are the ones with an id in the entities graph (anchoring there keeps the query
# off the claims, which also carry dcterms:identifier); labels and aliases may come from any graph
ENTITIES = PREFIXES + """
SELECT ?_prefix ?_q ?_graph ?e ?id ?label (GROUP_CONCAT(DISTINCT ?alt; separator="\\u001f") AS ?alts) WHERE {
  GRAPH ?_graph { ?e dcterms:identifier ?id }
  FILTER(STRSTARTS(STR(?e), ?_prefix) && !CONTAINS(STR(?e), "/position/"))
  ?e rdfs:label ?label .
  OPTIONAL { ?e skos:altLabel ?alt }
  FILTER(CONTAINS(LCASE(STR(?label)), ?_q) || CONTAINS(LCASE(STR(?id)), ?_q) || CONTAINS(LCASE(STR(?alt)), ?_q))
} GROUP BY ?_prefix ?_q ?_graph ?e ?id ?label"""

CLAIM = PREFIXES + """
SELECT ?_claim ?article ?description ?factuality ?class ?according ?accordingLabel WHERE {
  ?_claim hrr:statedIn ?article .
  OPTIONAL { ?_claim hrr:description ?description }
  OPTIONAL { ?_claim hrr:factuality/skos:prefLabel ?factuality }
  OPTIONAL { ?_claim a ?cls . ?cls rdfs:subClassOf* hrr:Claim ; rdfs:label ?class .
             FILTER NOT EXISTS { ?_claim a ?narrower . ?narrower rdfs:subClassOf+ ?cls . FILTER(?narrower != ?cls) } }
  OPTIONAL { ?_claim hrr:accordingTo ?according . OPTIONAL { ?according rdfs:label ?accordingLabel } }
}"""

ARTICLE = PREFIXES + """
SELECT ?_article ?id ?title ?text ?date ?publisher ?publisherLabel ?titleBasis ?dateBasis ?publisherBasis
       ?titleNote ?dateNote ?publisherNote WHERE {
  ?_article dcterms:identifier ?id .
  OPTIONAL { ?_article schema:text ?text }
  OPTIONAL { ?_article dcterms:title ?title }
  OPTIONAL { ?_article schema:datePublished ?date }
  OPTIONAL { ?_article schema:publisher ?publisher . OPTIONAL { ?publisher rdfs:label ?publisherLabel } }
  OPTIONAL { ?_article hrr:titleBasis/skos:prefLabel ?titleBasis }
  OPTIONAL { ?_article hrr:dateBasis/skos:prefLabel ?dateBasis }
  OPTIONAL { ?_article hrr:publisherBasis/skos:prefLabel ?publisherBasis }
  OPTIONAL { ?_article hrr:titleNote ?titleNote }
  OPTIONAL { ?_article hrr:dateNote ?dateNote }
  OPTIONAL { ?_article hrr:publisherNote ?publisherNote }
} LIMIT 1"""

SPANS = PREFIXES + """
SELECT DISTINCT ?_claim ?start ?end ?exact WHERE {
  ?_claim hrr:evidence/oa:hasTarget ?target .
  ?target oa:hasSelector ?ps, ?qs .
  ?ps oa:start ?start ; oa:end ?end .
  ?qs oa:exact ?exact .
} ORDER BY ?start ?end"""

# at most 50 other accounts (a much-reported occasion would otherwise list thousands): first the accounts,
# then their details with the accounts written in as a VALUES block inside every part (Oxigraph computes the
# inside of an OPTIONAL on its own before joining it; without the block it would read every claim's title)
OTHERS = PREFIXES + """
SELECT ?_claim ?occasion ?other WHERE {
  ?_claim hrr:accountOf ?occasion . ?other hrr:accountOf ?occasion . FILTER(?other != ?_claim)
} ORDER BY ?other LIMIT 50"""

ACCOUNTS = PREFIXES + """
SELECT ?occasion ?occasionLabel ?other ?article ?title ?description ?factuality
       (GROUP_CONCAT(DISTINCT ?exact; separator=" … ") AS ?quote) WHERE {
  VALUES (?occasion ?other) { OTHERS }
  OPTIONAL { VALUES ?occasion { OCCASIONS } ?occasion rdfs:label ?occasionLabel }
  ?other hrr:statedIn ?a . ?a dcterms:identifier ?article .
  OPTIONAL { VALUES ?other { CLAIMS } ?other hrr:statedIn ?a . ?a dcterms:title ?title }
  OPTIONAL { VALUES ?other { CLAIMS } ?other hrr:description ?description }
  OPTIONAL { VALUES ?other { CLAIMS } ?other hrr:factuality/skos:prefLabel ?factuality }
  OPTIONAL { VALUES ?other { CLAIMS } ?other hrr:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?exact }
} GROUP BY ?occasion ?occasionLabel ?other ?article ?title ?description ?factuality ORDER BY ?article ?other"""


def accounts_of(store: ox.Store, claim: ox.NamedNode) -> list[dict[str, str]]:
    """The other accounts of the claim's occasion, as ``ACCOUNTS`` gives them (terms written by pyoxigraph)."""
    others = [(ox.NamedNode(r["occasion"]), ox.NamedNode(r["other"])) for r in _rows(store, OTHERS, claim=claim)]
    if not others:
        return []
    text = (ACCOUNTS.replace("OTHERS", " ".join(f"({o} {c})" for o, c in others))
            .replace("OCCASIONS", " ".join(sorted({str(o) for o, _ in others})))
            .replace("CLAIMS", " ".join(str(c) for _, c in others)))
    return _rows(store, text)


# the dated claims whose date (a year, a month or a day) overlaps [from, to]: "2017" and "2017-05" overlap a
# range from 2017-05-10; at most 2,000, in date order.  DatedIndex.window answers it from memory; this text is
# its reference (tests/test_serve_timeline.py).  Then their details, with the claims written in as a VALUES
# block inside every OPTIONAL (Oxigraph computes an OPTIONAL's inside on its own before joining it: without
# the block, each would read every claim of the dataset).
TIMELINE = PREFIXES + """
SELECT ?_from ?_to ?claim ?date ?article WHERE {
  ?claim hrr:date ?date . FILTER((STR(?date) >= ?_from || STRSTARTS(?_from, STR(?date))) && STR(?date) <= ?_to)
  ?claim hrr:statedIn/dcterms:identifier ?article .
} ORDER BY STR(?date) ?article ?claim LIMIT 2000"""

TIMELINE_CAP = 2000

DETAILS = PREFIXES + """
SELECT ?claim ?precision ?basis ?note ?class ?factuality ?description WHERE {
  VALUES ?claim { CLAIMS }
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim hrr:datePrecision ?precision }
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim hrr:dateBasis ?basis }
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim hrr:dateNote ?note }
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim hrr:factuality/skos:prefLabel ?factuality }
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim hrr:description ?description }
  # the most specific class: the hierarchy read once, not a FILTER NOT EXISTS with a property path per claim
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim a ?cls .
             { SELECT ?cls ?class WHERE { ?cls rdfs:subClassOf* hrr:Claim ; rdfs:label ?class } }
             MINUS { VALUES ?claim { CLAIMS } ?claim a ?narrower .
                     { SELECT ?narrower ?cls WHERE { ?narrower rdfs:subClassOf+ ?cls . FILTER(?narrower != ?cls) } } } }
}"""

# the timeline's extent, so that the page can ask for a window of it
EXTENT = PREFIXES + """
SELECT (MIN(STR(?date)) AS ?first) (MAX(STR(?date)) AS ?last) (COUNT(DISTINCT ?claim) AS ?claims) WHERE {
  ?claim hrr:date ?date ; hrr:statedIn ?article .
}"""

# every dated claim once, for the in-memory index below: each pattern a subquery, scanned once and hash-joined
DATED = PREFIXES + """
SELECT ?claim ?date ?article WHERE {
  { SELECT ?claim ?date WHERE { ?claim hrr:date ?date } }
  { SELECT ?claim ?a WHERE { ?claim hrr:statedIn ?a } }
  OPTIONAL { SELECT ?a ?article WHERE { ?a dcterms:identifier ?article } }
}"""


class DatedIndex:
    """The dated claims in the timeline's order (the date as written, the article id, the claim IRI), so that a
    window costs a binary search and its own rows.  Oxigraph has no range index for a FILTER on dates: TIMELINE
    and EXTENT read every dated claim of the store on each call.  Built from one scan of the store when the
    timeline is first asked for in a store generation, and kept by the worker until the next generation:
    three strings a dated claim (about 30 MB for 100,000, from the strings' sizes)."""

    def __init__(self, store: ox.Store):
        rows = store.query(DATED, use_default_graph_as_union=True)
        found = sorted({(r["date"].value, r["article"].value if r["article"] is not None else None, r["claim"].value)
                        for r in rows}, key=lambda t: (t[0], t[1] or "", t[2]))
        self.claims = len({c for _, _, c in found})  # EXTENT counts a claim whose article has no id too
        listed = [t for t in found if t[1] is not None]  # TIMELINE joins the article's id
        self.dates = [d for d, _, _ in listed]
        self.articles = [a for _, a, _ in listed]
        self.iris = [c for _, _, c in listed]
        self.first, self.last = (found[0][0], found[-1][0]) if found else ("", "")

    def window(self, lo: str, hi: str, cap: int) -> list[dict[str, str]]:
        """TIMELINE's rows: dates from ``lo`` to ``hi`` (string order), and dates that ``lo`` starts with
        (a year or a month overlapping a window that opens inside it), in date order, at most ``cap``."""
        spans = []
        for k in range(1, len(lo)):  # the dates that are a proper prefix of lo sort before it
            p = lo[:k]
            if p <= hi:
                spans.append((bisect.bisect_left(self.dates, p), bisect.bisect_right(self.dates, p)))
        spans.append((bisect.bisect_left(self.dates, lo), bisect.bisect_right(self.dates, hi)))
        out: list[dict[str, str]] = []
        for a, b in spans:
            for i in range(a, min(b, a + cap - len(out))):
                out.append({"claim": self.iris[i], "date": self.dates[i], "article": self.articles[i]})
        return out


_dated: tuple[ox.Store, DatedIndex] | None = None


def dated_index(store: ox.Store) -> DatedIndex:
    """The index of this store generation (the worker opens a new store object for each generation)."""
    global _dated
    if _dated is None or _dated[0] is not store:
        _dated = None  # the previous generation's index is dropped before the next one is built
        _dated = (store, DatedIndex(store))
    return _dated[1]

# who urged / raised with / condemned / denied to whom: speech acts with a speaker and an addressee, at most
# 5,000 (on a larger store, the first 5,000 in the store's index order: the same ones on every call); then their labels, with the acts and actors written in as VALUES blocks inside every OPTIONAL (as
# for the timeline: an OPTIONAL's inside is computed on its own, over the whole dataset without them)
NETWORK = PREFIXES + """
SELECT ?act ?kind ?speaker ?addressee WHERE {
  VALUES (?cls ?kind) { (hrr:Appeal "urged") (hrr:RaisingOfIssue "raised with") (hrr:Condemnation "condemned")
                        (hrr:Denial "denied to") }
  ?act a ?cls ; hrr:speaker ?speaker ; hrr:addressee ?addressee .
  FILTER NOT EXISTS { VALUES ?other { hrr:Appeal hrr:RaisingOfIssue hrr:Condemnation hrr:Denial }
                      ?act a ?other . ?other rdfs:subClassOf+ ?cls }
} LIMIT 5000"""  # no ORDER BY: sorting every speech act of a large store costs seconds; the rows are sorted below

NETWORK_CAP = 5000

LABELS = PREFIXES + """
SELECT ?node ?label WHERE { VALUES ?node { NODES } ?node rdfs:label ?label }"""

ACTS = PREFIXES + """
SELECT ?act ?factuality ?description WHERE {
  VALUES ?act { ACTS }
  OPTIONAL { VALUES ?act { ACTS } ?act hrr:factuality/skos:prefLabel ?factuality }
  OPTIONAL { VALUES ?act { ACTS } ?act hrr:description ?description }
}"""


class NotFound(Exception):
    pass


def _rows(store: ox.Store, query: str, **bound) -> list[dict[str, str]]:
    # the values written into the text as terms (kg.query.inline): Oxigraph plans before substitutions apply
    res = store.query(inline(query, bound), use_default_graph_as_union=True)
    names = [v.value for v in res.variables if not v.value.startswith("_")]
    return [{n: s[n].value for n in names if s[n] is not None} for s in res]


def entities(store: ox.Store, params: dict) -> list[dict]:
    """At most 20 entities whose id, label or an alias contains ``q``: whole-name matches first, then prefixes."""
    q = (params.get("q") or "").strip().lower()[:200]
    out = []
    for r in _rows(store, ENTITIES, q=ox.Literal(q), prefix=ox.Literal(iris.base() + "entity/"),
                   graph=ox.NamedNode(iris.base() + "graph/entities")):
        aliases = sorted({a for a in r.get("alts", "").split("\x1f") if a and a != r["label"]})
        names = [n.lower() for n in (r["id"], r["label"], *aliases)]
        rank = 0 if q in names else 1 if any(n.startswith(q) for n in names) else 2
        out.append((rank, r["label"].lower(), r["e"], {"iri": r["e"], "id": r["id"], "label": r["label"], "aliases": aliases}))
    return [e for *_, e in sorted(out)[:20]]


def evidence(store: ox.Store, params: dict) -> dict:
    try:
        claim = ox.NamedNode(params.get("claim") or "")
    except ValueError as exc:
        raise ValueError(f"claim={params.get('claim')!r} is not an IRI ({exc}) — pass a claim's full IRI, "
                         f"e.g. claim={iris.base()}article/000/claim/merkel-raised-issue") from None
    rows = _rows(store, CLAIM, claim=claim)
    if not rows:
        raise NotFound(f"{claim.value}: no claim with that IRI in the dataset")
    first = rows[0]
    according = {r["according"]: r.get("accordingLabel", r["according"]) for r in rows if "according" in r}
    art = _rows(store, ARTICLE, article=ox.NamedNode(first["article"]))
    article = {"iri": first["article"], **(art[0] if art else {})}
    spans = [{"start": int(s["start"]), "end": int(s["end"]), "exact": s["exact"]} for s in _rows(store, SPANS, claim=claim)]
    accounts = accounts_of(store, claim)
    return {"claim": claim.value, "description": first.get("description", ""), "factuality": first.get("factuality", ""),
            "class": first.get("class", ""),
            "accordingTo": [{"iri": k, "label": v} for k, v in sorted(according.items())],
            "article": article, "spans": spans, "accounts": accounts}


def timeline(store: ox.Store, params: dict) -> list[dict]:
    lo, hi = (params.get("from") or "0000")[:10], (params.get("to") or "9999")[:10] + "\uffff"
    dated = dated_index(store).window(lo, hi, TIMELINE_CAP)
    details: dict[str, dict] = {}
    if dated:
        claims = " ".join(sorted({str(ox.NamedNode(r["claim"])) for r in dated}))
        for d in _rows(store, DETAILS.replace("CLAIMS", claims)):
            details.setdefault(d["claim"], d)  # a claim of two most specific classes appears once
    out, seen = [], set()
    for r in dated:
        if r["claim"] in seen:
            continue
        seen.add(r["claim"])
        r = {**r, **details.get(r["claim"], {})}
        r["precision"] = r.get("precision", "").rsplit("/", 1)[-1]
        r["basis"] = r.get("basis", "").rsplit("/", 1)[-1]
        out.append(r)
    return out


def network(store: ox.Store, params: dict) -> dict:
    edges = sorted(_rows(store, NETWORK), key=lambda e: (e["speaker"], e["addressee"], e["act"]))
    if not edges:
        return {"nodes": [], "edges": []}
    actors = sorted({r["speaker"] for r in edges} | {r["addressee"] for r in edges})
    labels: dict[str, str] = {}
    for r in _rows(store, LABELS.replace("NODES", " ".join(str(ox.NamedNode(a)) for a in actors))):
        labels.setdefault(r["node"], r["label"])
    acts: dict[str, dict] = {}
    for r in _rows(store, ACTS.replace("ACTS", " ".join(sorted({str(ox.NamedNode(e["act"])) for e in edges})))):
        acts.setdefault(r["act"], r)
    rows = []
    for e in edges:
        r = {"act": e["act"], "kind": e["kind"], "speaker": e["speaker"]}
        if e["speaker"] in labels:
            r["speakerLabel"] = labels[e["speaker"]]
        r["addressee"] = e["addressee"]
        if e["addressee"] in labels:
            r["addresseeLabel"] = labels[e["addressee"]]
        r.update({k: v for k, v in acts.get(e["act"], {}).items() if k in ("factuality", "description")})
        rows.append(r)
    return {"nodes": [{"iri": a, "label": labels.get(a, a)} for a in actors], "edges": rows}


def timeline_extent(store: ox.Store, params: dict) -> dict:
    """The first and last date of the timeline and how many dated claims it has."""
    index = dated_index(store)
    return {"first": index.first, "last": index.last, "claims": index.claims}


VIEWS = {"entities": entities, "evidence": evidence, "timeline": timeline, "timeline-extent": timeline_extent,
         "network": network}


def answer(store: ox.Store, job: dict) -> dict:
    try:
        data = VIEWS[job["view"]](store, job["params"])
        status = 200
    except NotFound as exc:
        data, status = {"error": str(exc)}, 404
    except ValueError as exc:  # a value that is not an IRI
        data, status = {"error": str(exc)}, 400
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return {"status": status, "type": "application/json; charset=utf-8", "headers": {}, "body": body}
