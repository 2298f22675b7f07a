"""The page's timeline from the server's in-memory index of dated claims (kg/serve/pagedata.DatedIndex) answers
exactly what the full-scan SPARQL (pagedata.TIMELINE, pagedata.EXTENT) answers, for windows of every kind:
a year, a month or a day; windows that open inside a year or a month that is a claim's date; empty ones; a cap."""

from __future__ import annotations

import sys

import pyoxigraph as ox
import pytest

from kg.serve import pagedata

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import corpus  # noqa: E402


def full_scan(store: ox.Store, lo: str, hi: str, cap: int = 2000) -> list[dict[str, str]]:
    rows = pagedata._rows(store, pagedata.TIMELINE.replace("LIMIT 2000", f"LIMIT {cap}"),
                          **{"from": ox.Literal(lo), "to": ox.Literal(hi)})
    return rows


def windows(dates: list[str]) -> list[tuple[str, str]]:
    """Windows from the data's own dates and their prefixes, in both orders, and a few outside them."""
    points = sorted({d[:k] for d in dates for k in (4, 7, 10)} | {"0000", "1999", "2017-05-10", "2017-13", "9999"})
    picked = points[:: max(1, len(points) // 12)] + points[-3:]
    out = [(lo, hi + "\uffff") for lo in picked for hi in picked]
    return out + [(lo, hi) for lo, hi in [("2017", "2016"), ("2017-05-10", "2017-05-10\uffff"), ("", "\uffff")]]


def check(store: ox.Store) -> int:
    index = pagedata.DatedIndex(store)
    extent = pagedata._rows(store, pagedata.EXTENT)[0]
    assert (index.first, index.last, index.claims) == (extent.get("first", ""), extent.get("last", ""), int(extent["claims"]))
    compared = 0
    for lo, hi in windows(index.dates):
        assert index.window(lo, hi, 2000) == full_scan(store, lo, hi), (lo, hi)
        compared += bool(index.window(lo, hi, 2000))
    for cap in (1, 7):
        assert index.window("0000", "9999", cap) == full_scan(store, "0000", "9999", cap)
    return compared


def test_the_index_answers_as_the_full_scan_on_the_seeds(store):
    assert check(store) >= 20  # windows with rows, not only empty ones


def test_the_index_answers_as_the_full_scan_on_a_generated_corpus(tmp_path):
    from kg import cli, query as q
    corpus.generate(12, tmp_path / "seeds")
    assert cli.main(["build", "--seeds", str(tmp_path / "seeds"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert check(q.open_built(tmp_path / "out")) >= 20


def test_the_index_is_kept_for_its_store_and_rebuilt_for_another(store, built_dir):
    first = pagedata.dated_index(store)
    assert pagedata.dated_index(store) is first
    from kg import query as q
    other = q.open_built(built_dir)
    assert pagedata.dated_index(other) is not first


# the details as the route asked for them before its class lookup was rewritten (FILTER NOT EXISTS per claim)
DETAILS_REFERENCE = pagedata.PREFIXES + """
SELECT ?claim ?precision ?basis ?note ?class ?factuality ?description WHERE {
  VALUES ?claim { CLAIMS }
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim hrr:datePrecision ?precision }
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim hrr:dateBasis ?basis }
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim hrr:dateNote ?note }
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim hrr:factuality/skos:prefLabel ?factuality }
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim hrr:description ?description }
  OPTIONAL { VALUES ?claim { CLAIMS } ?claim a ?cls . ?cls rdfs:subClassOf* hrr:Claim ; rdfs:label ?class .
             FILTER NOT EXISTS { ?claim a ?narrower . ?narrower rdfs:subClassOf+ ?cls . FILTER(?narrower != ?cls) } }
}"""


@pytest.mark.parametrize("params", [{}, {"from": "2017-05-10", "to": "2017-06"}, {"from": "2017", "to": "2017"}])
def test_the_timeline_view_is_unchanged(store, params):
    """The route's JSON is what the full scan and the reference details give: each claim once, in date order."""
    rows = pagedata.timeline(store, params)
    lo, hi = (params.get("from") or "0000")[:10], (params.get("to") or "9999")[:10] + "\uffff"
    seen: set[str] = set()
    dated = [r for r in full_scan(store, lo, hi) if not (r["claim"] in seen or seen.add(r["claim"]))]  # a claim's first row
    claims = " ".join(sorted(f"<{r['claim']}>" for r in dated))
    details = {}
    for d in pagedata._rows(store, DETAILS_REFERENCE.replace("CLAIMS", claims)):
        details.setdefault(d["claim"], d)
    expected = [{**r, **details.get(r["claim"], {})} for r in dated]
    for r in expected:
        r["precision"], r["basis"] = r.get("precision", "").rsplit("/", 1)[-1], r.get("basis", "").rsplit("/", 1)[-1]
    assert rows == expected and rows
    assert all(r.get("class") for r in rows)
