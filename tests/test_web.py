"""The researchers' page at / of `kg serve`, in a real browser: Playwright driving Debian's chromium.

The server is the real one (a subprocess on a free loopback port, as in test_serve); every request the page
makes is logged and must stay on the server's origin.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright

from conftest import select
from test_serve import Served

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MERKEL = "https://hrkg.example.org/chechnya-2017/article/000/claim/merkel-raised-issue"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def served(built_dir):
    s = Served(built_dir, "--workers", "2")
    yield s
    assert s.stop() == 0


class Visit:
    """A fresh page on the server, logging every request it makes and every script error."""

    def __init__(self, browser, url: str):
        self.url = url
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        self.page.wait_for_selector("#question-list li")

    def ask(self, slug: str, **params) -> None:
        self.page.click(f"li[data-slug={slug}] button")
        for k, v in params.items():
            self.page.fill(f"form.params input[name={k}]", v)
        self.page.click("button.run")
        self.page.wait_for_selector("table.results")

    def column(self, name: str) -> list[str]:
        heads = self.page.locator("table.results thead th").all_inner_texts()
        i = heads.index(name) + 1
        return self.page.locator(f"table.results tbody tr td:nth-child({i})").all_inner_texts()

    def close(self) -> None:
        assert not self.errors, self.errors
        foreign = [u for u in self.requests if not (u.startswith(self.url) or u.startswith("data:"))]
        assert not foreign, foreign
        self.page.close()


@pytest.fixture
def visit(browser, served):
    v = Visit(browser, served.url)
    yield v
    v.close()


def test_headline_question_answers_in_the_page(visit):
    t0 = time.perf_counter()
    visit.ask("who-raised-the-issue-with", actor="Putin")
    assert time.perf_counter() - t0 < 5
    speakers = visit.column("speaker")
    assert "Angela Merkel" in speakers and "Emmanuel Macron" in speakers
    assert "Donald Trump" not in speakers and "Rex Tillerson" not in speakers
    # IRIs are links to their linked-data pages on this server
    href = visit.page.locator("table.results tbody a", has_text="merkel-raised-issue").first.get_attribute("href")
    assert href == visit.url + "chechnya-2017/article/000/claim/merkel-raised-issue"


def test_answers_come_a_page_at_a_time(browser, served):
    """The page asks for PAGE_ROWS rows (`#rows=10` here; 200 by default) and pages through the full answer."""
    import csv
    import io
    rows = list(csv.DictReader(io.StringIO(served.client.get("/queries/timeline?format=csv").text, newline="")))
    assert len(rows) == 26
    expected = [served.url + r["claim"].removeprefix("https://hrkg.example.org/") for r in rows]
    v = Visit(browser, served.url + "#q=timeline&rows=10")
    shown = lambda: v.page.locator("table.results tbody tr td:nth-child(11) a").evaluate_all(  # noqa: E731
        "as => as.map(a => a.href)")  # column 11: the claim (after the evidence button and nine columns)
    v.page.click("button.run")
    v.page.wait_for_selector("table.results")
    assert shown() == expected[:10]
    assert any("queries/timeline?" in u and "limit=10" in u for u in v.requests)
    assert v.page.locator("button.previous-page").count() == 0
    for first, last in ((11, 20), (21, 26)):
        v.page.click("button.next-page")
        v.page.wait_for_selector(f"p.status:has-text('rows {first}–{last}')")
        assert shown() == expected[first - 1:last]
    assert v.page.locator("button.next-page").count() == 0  # the last page has fewer rows than a page
    v.page.click("button.previous-page")
    v.page.wait_for_selector("p.status:has-text('rows 11–20')")
    assert shown() == expected[10:20]
    v.url = served.url  # the origin every request must stay on (the address had a #fragment)
    v.close()


def test_every_canned_question_is_listed(visit, served):
    slugs = visit.page.locator("#question-list li").evaluate_all("els => els.map(e => e.dataset.slug)")
    expected = sorted(p.stem for p in (Path(__file__).parent.parent / "queries").glob("*.rq"))
    assert sorted(slugs) == expected
    headline = sorted(q["slug"] for q in served.client.get("/queries?format=json").json() if "headline" in q["tags"])
    assert "who-raised-the-issue-with" in headline and sorted(slugs[:len(headline)]) == headline  # headline ones first


def test_entity_suggestions_come_from_labels_and_aliases(visit):
    visit.page.click("li[data-slug=who-raised-the-issue-with] button")
    visit.page.fill("form.params input[name=actor]", "merk")
    visit.page.locator("#entity-suggestions option[value=merkel]").wait_for(state="attached")
    options = visit.page.locator("#entity-suggestions option").evaluate_all("os => os.map(o => [o.value, o.label])")
    assert ["merkel", "Angela Merkel (Merkel)"] in options


def test_evidence_highlights_the_quote_in_the_article(visit, store):
    visit.ask("who-raised-the-issue-with", actor="Putin")
    row = visit.page.locator("table.results tbody tr", has_text="article/000/claim/merkel-raised-issue")
    row.locator("button.evidence").click()
    visit.page.wait_for_selector("mark.quote")
    exact = [r["exact"] for r in select(store, f"""SELECT ?exact ?start WHERE {{
        <{MERKEL}> hrr:evidence/oa:hasTarget/oa:hasSelector ?q, ?p . ?q oa:exact ?exact . ?p oa:start ?start }}
        ORDER BY ?start""")]
    assert visit.page.locator("mark.quote").all_text_contents() == exact
    # the article's whole text is there, and the mark sits where the offsets put it
    text = visit.page.locator(".article-text").text_content()
    article = select(store, "SELECT ?t WHERE { <https://hrkg.example.org/chechnya-2017/article/000> schema:text ?t }")[0]["t"]
    assert text == article
    meta = visit.page.locator(".article-meta").inner_text()
    assert "PinkNews" in meta and "2017-07" in meta and meta.count("curator inference") == 2
    box = visit.page.locator(".claim-box").inner_text()
    assert "occurred" in box and "Angela Merkel raised the issue publicly" in box
    accounts = visit.page.locator("aside.accounts .account").all_inner_texts()
    assert len(accounts) == 2 and any("Article 004" in a for a in accounts)
    # the first highlighted passage is scrolled into the article's view
    inside = visit.page.evaluate("""() => { const m = document.querySelector('mark.quote').getBoundingClientRect();
        const c = document.querySelector('.article-text').getBoundingClientRect();
        return m.top >= c.top && m.bottom <= c.bottom; }""")
    assert inside
    # and another article's account opens in its own article
    visit.page.locator("aside.accounts .account", has_text="Article 004").locator("button").click()
    visit.page.locator(".article-meta", has_text="Article 004").wait_for()
    assert visit.page.locator("mark.quote").count() >= 1


def test_offsets_are_code_points_not_utf16_units(visit):
    parts = visit.page.evaluate("""async () => {
        const m = await import('./static/evidence.js');
        const div = document.createElement('div');
        div.append(...m.highlighted('\\u{1F3F3}\\uFE0F\\u200D\\u{1F308} Pride in \\u{1D400}ll', [{start: 5, end: 10}, {start: 14, end: 16}]));
        return [...div.querySelectorAll('mark')].map(e => e.textContent); }""")
    assert parts == ["Pride", "\U0001D400l"]


def test_sparql_editor_runs_a_typed_query(visit, store):
    visit.page.click("button[data-tab=editor]")
    visit.page.wait_for_selector("#yasgui[data-ready=true]")
    query = "PREFIX hrr: <https://hrkg.example.org/ontology/>\nSELECT ?a WHERE { ?a a hrr:Article } ORDER BY ?a"
    visit.page.click("#yasgui .CodeMirror")
    visit.page.keyboard.press("Control+A")
    visit.page.keyboard.press("Delete")
    visit.page.keyboard.insert_text(query)
    visit.page.click("#yasgui .yasqe_queryButton")
    visit.page.wait_for_selector("#yasgui .yasr table tbody tr td")
    cells = " ".join(visit.page.locator("#yasgui .yasr table tbody").all_inner_texts())
    articles = [r["a"] for r in select(store, "SELECT ?a WHERE { ?a a hrr:Article }")]
    assert len(articles) == 5
    for a in articles:
        assert a.rsplit("/", 1)[1] in cells


def test_timeline_shows_every_dated_claim_as_span_or_point(visit, store):
    rows = select(store, """SELECT ?c (SAMPLE(?p) AS ?prec) WHERE { ?c hrr:date ?d ; hrr:statedIn ?a .
                            OPTIONAL { ?c hrr:datePrecision ?p } } GROUP BY ?c""")
    days = sum(1 for r in rows if r["prec"].endswith("Day"))
    visit.page.click("button[data-tab=timeline]")
    visit.page.wait_for_selector("#timeline-view[data-items]")
    assert int(visit.page.get_attribute("#timeline-view", "data-items")) == len(rows) == 26
    # the page asks for the visible range only: the seeds' 26 fit, so it opens on their whole extent
    asked = [u for u in visit.requests if "/timeline?" in u]
    assert asked and all("from=" in u and "to=" in u for u in asked), visit.requests
    assert (visit.page.get_attribute("#timeline-view", "data-from"),
            visit.page.get_attribute("#timeline-view", "data-to")) == ("2016-01-01", "2017-07-14")
    assert visit.page.locator("#timeline-view .vis-item.vis-range").count() == len(rows) - days
    assert visit.page.locator("#timeline-view .vis-item.vis-point").count() == days
    items = "#timeline-view .vis-item:is(.vis-range, .vis-point)"
    inferred = visit.page.locator(f"{items}.inferred").count()
    stated = visit.page.locator(f"{items}.stated").count()
    assert inferred and stated and inferred + stated == len(rows)
    visit.page.locator("#timeline-view .vis-item.vis-range").first.click()
    visit.page.wait_for_selector("#evidence .article-text")


def test_timeline_asks_again_for_the_range_it_is_panned_to(visit):
    visit.page.click("button[data-tab=timeline]")
    visit.page.wait_for_selector("#timeline-view[data-items='26']")
    # pan and zoom to July 2017 twice in quick succession: the page asks for the last range only (debounced)
    visit.page.evaluate("() => { window.hrkgTimeline.setWindow('2017-06-01', '2017-06-30', { animation: false });"
                        " window.hrkgTimeline.setWindow('2017-07-01', '2017-07-31', { animation: false }); }")
    visit.page.wait_for_selector("#timeline-view[data-from='2017-07-01'][data-to='2017-07-31']")
    asked = [u for u in visit.requests if "/timeline?" in u]
    assert asked[-1].endswith("/timeline?from=2017-07-01&to=2017-07-31"), asked
    assert not any("from=2017-06-01" in u for u in asked), asked
    shown = int(visit.page.get_attribute("#timeline-view", "data-items"))
    assert 0 < shown < 26  # July 2017 (and the claims dated 2017 as a whole), not the whole timeline


def test_network_draws_speech_acts_and_opens_their_evidence(visit, store):
    edges = select(store, """SELECT DISTINCT ?act ?s ?a WHERE {
        VALUES ?cls { hrr:Appeal hrr:RaisingOfIssue hrr:Condemnation hrr:Denial }
        ?act a ?cls ; hrr:speaker ?s ; hrr:addressee ?a }""")
    actors = {r["s"] for r in edges} | {r["a"] for r in edges}
    visit.page.click("button[data-tab=network]")
    visit.page.wait_for_selector("#network-view[data-edges]")
    assert int(visit.page.get_attribute("#network-view", "data-edges")) == len(edges)
    assert int(visit.page.get_attribute("#network-view", "data-nodes")) == len(actors)
    colour = visit.page.evaluate(f"""() => window.hrkgNetwork.edges().filter(e => e.data('act') === '{MERKEL}')
                                     .map(e => e.data('colour'))""")
    assert colour == ["#1b8a3a"]  # occurred
    visit.page.evaluate(f"() => window.hrkgNetwork.edges().filter(e => e.data('act') === '{MERKEL}').emit('tap')")
    visit.page.wait_for_selector("#evidence mark.quote")
    assert "Angela Merkel raised the issue" in visit.page.locator(".claim-box").inner_text()


# ---------------------------------------------------------------- safety

@pytest.fixture(scope="module")
def hostile_served(built_dir, tmp_path_factory):
    """The seeds' graph with one more label for Merkel: markup, as a careless curator addition might carry."""
    from kg import oxstore
    out = tmp_path_factory.mktemp("hostile-web")
    extra = (f'<https://hrkg.example.org/chechnya-2017/entity/merkel> <http://www.w3.org/2000/01/rdf-schema#label> '
             f'"{HOSTILE}" <https://hrkg.example.org/chechnya-2017/graph/entities> .\n')
    oxstore.switch(out, oxstore.write_generation(out, (built_dir / "kg.nq").read_bytes() + extra.encode(), "hostile"))
    shutil.copy(built_dir / "void.ttl", out / "void.ttl")
    s = Served(out, "--workers", "1")
    yield s
    assert s.stop() == 0


def test_a_hostile_label_is_shown_as_text(browser, hostile_served):
    v = Visit(browser, hostile_served.url)
    try:
        v.ask("who-raised-the-issue-with", actor="Putin")
        assert HOSTILE in v.column("speaker")
        assert v.page.locator("table.results img").count() == 0
        v.page.fill("form.params input[name=actor]", "onerror")
        v.page.locator("#entity-suggestions option[value=merkel]").wait_for(state="attached")
        labels = v.page.locator("#entity-suggestions option").evaluate_all("os => os.map(o => o.label)")
        assert any(HOSTILE in label for label in labels)
        v.page.click("button[data-tab=network]")
        v.page.wait_for_selector("#network-view[data-edges]")
        # cytoscape draws labels on a canvas: the label is data, not markup
        assert v.page.evaluate(f"() => window.hrkgNetwork.nodes().some(n => n.data('label') === {HOSTILE!r})")
        assert v.page.locator("img").count() == 0 and not v.dialogs
    finally:
        v.close()


def test_csp_on_page_assets_and_json_and_no_cookies(served):
    for path in ("/", "/static/page.js", "/static/vendor/yasgui/yasgui.min.js", "/entities?q=putin", "/queries?format=json",
                 "/sparql?query=ASK%7B%7D", "/chechnya-2017/entity/putin"):
        r = served.client.get(path)
        assert r.status_code == 200, (path, r.text)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self';" in csp and "'unsafe-eval'" not in csp, (path, csp)
        assert "set-cookie" not in r.headers and r.headers["x-content-type-options"] == "nosniff"
    assert served.client.get("/static/page.js").headers["content-type"].startswith("text/javascript")


def test_json_routes_say_what_is_wrong(served):
    def err(path, status):
        r = served.client.get(path)
        assert r.status_code == status, (path, r.status_code, r.text)
        return r.json()["error"]
    assert "needs claim=IRI" in err("/evidence", 400)
    assert "not an IRI" in err("/evidence?claim=000/merkel", 400) and "e.g. claim=https://" in err("/evidence?claim=x", 400)
    assert "no claim with that IRI" in err("/evidence?claim=https://hrkg.example.org/nothing", 404)
    assert "no parameter nope (parameters: q)" in err("/entities?nope=1", 400)
    found = served.client.get("/entities", params={"q": "PUTIN"}).json()
    assert found[0]["id"] == "putin" and found[0]["label"] == "Vladimir Putin"
    ev = served.client.get("/evidence", params={"claim": MERKEL}).json()
    assert ev["factuality"] == "occurred" and ev["article"]["id"] == "000" and len(ev["spans"]) == 1
    assert httpx.get(served.url + "static/nothing.js").status_code == 404
