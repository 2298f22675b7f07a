"""The web page's data, run in a query worker: fixed SPARQL with the request's values bound, never spliced.

Each function takes the store and the job's parameters and returns a JSON-ready
value; ``answer`` wraps it as a worker answer.  Offsets are Unicode code points
in the article's ``schema:text`` (as stored in ``oa:TextPositionSelector``).
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from .. import iris

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

# at most 50 other accounts (a much-reported occasion would otherwise list thousands)
ACCOUNTS = PREFIXES + """
SELECT ?_claim ?occasion ?occasionLabel ?other ?article ?title ?description ?factuality
       (GROUP_CONCAT(DISTINCT ?exact; separator=" … ") AS ?quote) WHERE {
  { SELECT ?_claim ?occasion ?other WHERE {
      ?_claim hrr:accountOf ?occasion . ?other hrr:accountOf ?occasion . FILTER(?other != ?_claim)
    } ORDER BY ?other LIMIT 50 }
  OPTIONAL { ?occasion rdfs:label ?occasionLabel }
  ?other hrr:statedIn ?a . ?a dcterms:identifier ?article .
  OPTIONAL { ?a dcterms:title ?title }
  OPTIONAL { ?other hrr:description ?description }
  OPTIONAL { ?other hrr:factuality/skos:prefLabel ?factuality }
  OPTIONAL { ?other hrr:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?exact }
} GROUP BY ?_claim ?occasion ?occasionLabel ?other ?article ?title ?description ?factuality ORDER BY ?article ?other"""

TIMELINE = PREFIXES + """
SELECT ?_from ?_to ?claim ?date ?precision ?basis ?note ?class ?factuality ?description ?article WHERE {
  ?claim hrr:date ?date ; hrr:statedIn/dcterms:identifier ?article .
  OPTIONAL { ?claim hrr:datePrecision ?precision }
  OPTIONAL { ?claim hrr:dateBasis ?basis }
  OPTIONAL { ?claim hrr:dateNote ?note }
  OPTIONAL { ?claim hrr:factuality/skos:prefLabel ?factuality }
  OPTIONAL { ?claim hrr:description ?description }
  OPTIONAL { ?claim a ?cls . ?cls rdfs:subClassOf* hrr:Claim ; rdfs:label ?class .
             FILTER NOT EXISTS { ?claim a ?narrower . ?narrower rdfs:subClassOf+ ?cls . FILTER(?narrower != ?cls) } }
  FILTER(STR(?date) >= ?_from && STR(?date) <= ?_to)
} ORDER BY STR(?date) ?article ?claim LIMIT 2000"""

# who urged / raised with / condemned / denied to whom: speech acts with a speaker and an addressee
NETWORK = PREFIXES + """
SELECT ?act ?kind ?speaker ?speakerLabel ?addressee ?addresseeLabel ?factuality ?description WHERE {
  VALUES (?cls ?kind) { (hrr:Appeal "urged") (hrr:RaisingOfIssue "raised with") (hrr:Condemnation "condemned")
                        (hrr:Denial "denied to") }
  ?act a ?cls ; hrr:speaker ?speaker ; hrr:addressee ?addressee .
  FILTER NOT EXISTS { VALUES ?other { hrr:Appeal hrr:RaisingOfIssue hrr:Condemnation hrr:Denial }
                      ?act a ?other . ?other rdfs:subClassOf+ ?cls }
  OPTIONAL { ?speaker rdfs:label ?speakerLabel }
  OPTIONAL { ?addressee rdfs:label ?addresseeLabel }
  OPTIONAL { ?act hrr:factuality/skos:prefLabel ?factuality }
  OPTIONAL { ?act hrr:description ?description }
} ORDER BY ?speaker ?addressee ?act LIMIT 5000"""


class NotFound(Exception):
    pass


def _rows(store: ox.Store, query: str, **bound) -> list[dict[str, str]]:
    subs = {ox.Variable("_" + k): v for k, v in bound.items()}
    res = store.query(query, use_default_graph_as_union=True, substitutions=subs)
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
    accounts = _rows(store, ACCOUNTS, claim=claim)
    return {"claim": claim.value, "description": first.get("description", ""), "factuality": first.get("factuality", ""),
            "class": first.get("class", ""),
            "accordingTo": [{"iri": k, "label": v} for k, v in sorted(according.items())],
            "article": article, "spans": spans, "accounts": accounts}


def timeline(store: ox.Store, params: dict) -> list[dict]:
    lo, hi = (params.get("from") or "0000")[:10], (params.get("to") or "9999")[:10] + "\uffff"
    out = []
    for r in _rows(store, TIMELINE, **{"from": ox.Literal(lo), "to": ox.Literal(hi)}):
        r["precision"] = r.get("precision", "").rsplit("/", 1)[-1]
        r["basis"] = r.get("basis", "").rsplit("/", 1)[-1]
        out.append(r)
    # a claim of two most specific classes appears once
    seen, unique = set(), []
    for r in out:
        if r["claim"] not in seen:
            seen.add(r["claim"])
            unique.append(r)
    return unique


def network(store: ox.Store, params: dict) -> dict:
    rows = _rows(store, NETWORK)
    nodes: dict[str, str] = {}
    for r in rows:
        nodes.setdefault(r["speaker"], r.get("speakerLabel", r["speaker"]))
        nodes.setdefault(r["addressee"], r.get("addresseeLabel", r["addressee"]))
    return {"nodes": [{"iri": k, "label": v} for k, v in sorted(nodes.items())], "edges": rows}


VIEWS = {"entities": entities, "evidence": evidence, "timeline": timeline, "network": network}


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
