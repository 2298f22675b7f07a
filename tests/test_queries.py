"""The canned queries (``queries/*.rq``): they parse, declare their parameters, name their
evidence, and give the expected answers on the seeds.

Expected results live in ``tests/expected/``: ``<slug>.csv`` for the default parameters and
``<slug>--<name>=<value>.csv`` for each extra case in ``CASES`` (a ``/`` in a value is written
``%2F``).  Each file is exactly what ``kg query SLUG [--param …] --format csv`` prints; rows are
compared as a set (the header, in order, must match too).

Regenerate them after a deliberate change to the seeds or a query::

    .venv/bin/python tests/test_queries.py --regenerate

then READ every changed file (``git diff tests/expected``) against the articles before
committing: these files are the answer key, and a wrong row in them is a bug.  The semantic
tests below (Merkel and Macron but never Trump or Tillerson, the death tolls, the corroborated
occasions …) do not read the expected files, so they still catch a regression that a blind
regeneration would bless.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import quote as urlquote

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python tests/test_queries.py --regenerate` from anywhere
    sys.path.insert(0, str(ROOT))

from kg import cli, iris  # noqa: E402
from kg import query as q  # noqa: E402
from conftest import parameter_values  # noqa: E402

QUERIES = ROOT / "queries"
EXPECTED = Path(__file__).resolve().parent / "expected"

# The number of canned queries shipped: a floor, so that none can silently drop out.
MIN_QUERIES = 17

# Extra parameter cases, beyond the defaults of every query (slug -> list of {name: value}).
CASES: dict[str, list[dict[str, str]]] = {
    "who-raised-the-issue-with": [{"issue": "human-rights"}, {"actor": "lavrov"}],
    "who-urged": [{"actor": "tillerson"}, {"actor": "putin"}],
    "statements-by": [{"actor": "trump"}, {"actor": "peskov"}, {"actor": "chad-griffin"}],
    "evidence": [{"claim": "002/trump-raising-with-putin-unknown"}, {"claim": "004/reports-three-killed"}],
    "abuse-reports-by-place": [{"place": "moscow"}],
}

QUOTE_COLUMNS = ("quote", "exact")
ARTICLE_COLUMNS = ("article", "articles")
SEPARATOR = " … "


# ---------------------------------------------------------------- helpers

def query_files() -> list[Path]:
    """Every canned query; queries/checks/ holds the build's validation checks, not canned queries."""
    return sorted(QUERIES.glob("*.rq"))


def all_cases() -> list[tuple[str, dict[str, str]]]:
    cases = []
    for path in query_files():
        cases.append((path.stem, {}))
        cases.extend((path.stem, params) for params in CASES.get(path.stem, []))
    return cases


def case_id(slug: str, params: dict[str, str]) -> str:
    return "--".join([slug, *(f"{k}={urlquote(v, safe='')}" for k, v in sorted(params.items()))])


def expected_path(slug: str, params: dict[str, str]) -> Path:
    return EXPECTED / f"{case_id(slug, params)}.csv"


def run_csv(store: ox.Store, slug: str, params: dict[str, str]) -> str:
    """The query's answer exactly as ``kg query SLUG --param … --format csv`` prints it."""
    cq = q.load_query(QUERIES / f"{slug}.rq")
    return q.render(q.run(store, cq.text, q.bind_params(cq, store, params)), q.Format.CSV)


def parse_csv(text: str) -> tuple[list[str], list[tuple[str, ...]]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], [tuple(r) for r in rows[1:]]


def answer(store: ox.Store, slug: str, params: dict[str, str] | None = None) -> list[dict[str, str]]:
    header, rows = parse_csv(run_csv(store, slug, params or {}))
    return [dict(zip(header, r)) for r in rows]


def column(header: list[str], names: tuple[str, ...]) -> str:
    found = [n for n in names if n in header]
    assert found, f"no column named {' or '.join(names)} in {header}"
    return found[0]


def article_texts(store: ox.Store) -> dict[str, str]:
    res = store.query(
        "SELECT ?id ?text WHERE { ?a a <https://hrkg.example.org/ontology/Article> ; "
        "<http://purl.org/dc/terms/identifier> ?id ; <https://schema.org/text> ?text }",
        use_default_graph_as_union=True)
    return {s["id"].value: s["text"].value for s in res}


# ---------------------------------------------------------------- the catalogue

def test_every_canned_query_is_collected():
    files = query_files()
    assert len(files) >= MIN_QUERIES, f"only {len(files)} canned queries in queries/ (expected ≥ {MIN_QUERIES})"
    assert set(q.catalogue()) == {p.stem for p in files}
    assert "who-raised-the-issue-with" in q.catalogue()


def test_every_case_has_an_expected_file_and_every_file_a_case():
    wanted = {expected_path(slug, params).name for slug, params in all_cases()}
    present = {p.name for p in EXPECTED.glob("*.csv")}
    assert wanted - present == set(), "expected files missing — run `python tests/test_queries.py --regenerate`"
    assert present - wanted == set(), "expected files for no query or case — remove them"
    assert set(CASES) <= {p.stem for p in query_files()}, "CASES names a query that does not exist"


@pytest.mark.parametrize("path", query_files(), ids=lambda p: p.stem)
def test_query_parses_and_declares_its_parameters(path):
    cq = q.load_query(path)
    assert cq.summary.strip() and "\n" not in cq.summary, "a one-line `#+ summary:`"
    assert cq.description.strip(), "a `#+ description:`"
    assert cq.tags, "`#+ tags:`"
    # every default names a parameter of the query
    assert set(cq.defaults) <= set(cq.params), f"defaults for no parameter: {set(cq.defaults) - set(cq.params)}"
    # every parameter has a default or a test case that supplies it
    supplied = set().union(*(set(c) for c in CASES.get(cq.slug, [{}])))
    assert set(cq.params) <= set(cq.defaults) | supplied, "a parameter with neither a default nor a case"
    # it parses with its parameters bound, and binding writes each one as its term: none is left as a
    # variable (Oxigraph would plan the query as if it were unbound), none is an answer column
    empty = ox.Store()
    bound = {name: ox.NamedNode(f"https://example.org/{name}-value") for name in cq.params}
    text = q.inline(cq.text, bound)
    assert q.PARAM_RE.findall(q._strip_comments(text)) == []
    assert all(f"<https://example.org/{name}-value>" in text for name in cq.params)
    res = q.run(empty, cq.text, bound)
    assert not any(v.value.startswith("_") for v in res.variables)
    assert list(res) == []


def test_kg_queries_lists_every_query(capsys):
    assert cli.main(["queries"]) == 0
    out = capsys.readouterr().out
    for path in query_files():
        assert path.stem in out


# ---------------------------------------------------------------- the answers

@pytest.mark.parametrize("slug,params", all_cases(), ids=[case_id(s, p) for s, p in all_cases()])
def test_answer_equals_the_expected_file(store, slug, params):
    header, rows = parse_csv(run_csv(store, slug, params))
    exp_header, exp_rows = parse_csv(expected_path(slug, params).read_text(encoding="utf-8"))
    assert header == exp_header
    dupes = [r for r, n in Counter(rows).items() if n > 1]
    assert dupes == [], "the same row twice"
    missing, extra = set(exp_rows) - set(rows), set(rows) - set(exp_rows)
    assert (missing, extra) == (set(), set()), (
        f"{len(missing)} expected rows missing, {len(extra)} unexpected rows — if the change is deliberate, "
        "regenerate with `python tests/test_queries.py --regenerate` and read the diff")


@pytest.mark.parametrize("slug", sorted(p.stem for p in (QUERIES / q.NARROW).glob("*.rq") if "." not in p.stem))
def test_a_narrow_text_answers_as_the_query_on_the_seeds(store, slug):
    """queries/narrow/ (kg.query.evaluate's text for selective values) gives the query's bytes for every
    value of its parameter in the seeds, and so the expected file for the default."""
    cq = q.load_query(QUERIES / f"{slug}.rq")
    (param,) = cq.params
    values = parameter_values(store, param)
    assert cq.defaults[param] in values and len(values) > 1
    for value in values:
        b = q.bind_params(cq, store, {param: value})
        assert q.render(q.run(store, cq.narrow, b), q.Format.CSV) == q.render(q.run(store, cq.text, b), q.Format.CSV), value
    assert parse_csv(q.render(q.run(store, cq.narrow, q.bind_params(cq, store, {})), q.Format.CSV)) \
        == parse_csv(run_csv(store, slug, {}))


@pytest.mark.parametrize("slug,params", all_cases(), ids=[case_id(s, p) for s, p in all_cases()])
def test_every_row_names_its_evidence(store, slug, params):
    """A quote that is the article's own words, the article id, and a claim (or article) IRI last."""
    header, rows = parse_csv(run_csv(store, slug, params))
    assert not any(h.startswith("_") for h in header), "parameter columns are not shown"
    quote, article = column(header, QUOTE_COLUMNS), column(header, ARTICLE_COLUMNS)
    texts = article_texts(store)
    for row in rows:
        cells = dict(zip(header, row))
        ids = [a.strip() for a in cells[article].split(",")]
        assert all(i in texts for i in ids), f"not an article id: {cells[article]!r}"
        assert cells[quote].strip(), f"a row without a quote: {row}"
        for piece in cells[quote].split(SEPARATOR):
            if " — " in piece and piece.split(" — ", 1)[0] in texts:  # "000 — quote" (one per article)
                art, piece = piece.split(" — ", 1)
                assert piece in texts[art], f"not the words of article {art}: {piece!r}"
            else:
                assert any(piece in texts[i] for i in ids), f"not the words of article {ids}: {piece!r}"
        assert all(iri.startswith(iris.base()) for iri in row[-1].split()), f"last column not an IRI: {row[-1]!r}"


@pytest.fixture(scope="module")
def asserted_store(built_dir) -> ox.Store:
    """The built graph without the inferred graph (the OWL RL closure and the shortcut rules)."""
    st = ox.Store()
    st.bulk_extend(x for x in ox.parse(path=str(built_dir / "kg.nq"), format=ox.RdfFormat.N_QUADS)
                   if x.graph_name.value != str(iris.G.INFERRED))
    return st


@pytest.mark.parametrize("slug,params", all_cases(), ids=[case_id(s, p) for s, p in all_cases()])
def test_answer_needs_no_inference(store, asserted_store, slug, params):
    """The queries give the same answer on the asserted graphs alone (rdfs:subClassOf*, speaker|agent …)."""
    assert run_csv(asserted_store, slug, params) == run_csv(store, slug, params)


# ---------------------------------------------------------------- what the answers must say

def test_who_raised_it_with_putin_merkel_and_macron_never_trump_or_tillerson(store):
    rows = answer(store, "who-raised-the-issue-with")
    speakers = {r["speaker"] for r in rows}
    assert {"Angela Merkel", "Emmanuel Macron"} <= speakers
    assert not speakers & {"Donald Trump", "Rex Tillerson"}
    assert {r["article"] for r in rows if r["speaker"] == "Angela Merkel"} >= {"000", "001", "004"}
    assert any("Merkel’s comments allude to the situation in Chechnya" in r["quote"] for r in rows)


def test_urged_but_did_not_raise_trump_and_tillerson(store):
    rows = answer(store, "urged-but-did-not-raise")
    by = {}
    for r in rows:
        by.setdefault(r["actor"], []).append(r)
    assert {"Donald Trump", "Rex Tillerson"} <= set(by)
    trump = by["Donald Trump"]
    assert any(r["record"] == "urged to raise it" and r["article"] == "000" and "Vladimir Putin" in r["withWhom"]
               for r in trump)
    reported = {(r["article"], r["factuality"]) for r in trump if r["record"] == "raising reported"}
    assert reported >= {("004", "not occurred"), ("002", "unknown")}
    assert not any(r["factuality"] == "occurred" for r in trump)
    assert any("omitted from Trump’s conversation with Lavrov and Kislyak" in r["quote"] for r in trump)
    assert any(r["accordingTo"] == "Michael Anton" and r["factuality"] == "unknown" for r in trump)
    tillerson = by["Rex Tillerson"]
    assert any(r["record"] == "urged to raise it" and r["article"] == "003" for r in tillerson)
    assert ("000", "not occurred") in {(r["article"], r["factuality"]) for r in tillerson}
    assert all("not occurred" in r["outcome"] for r in tillerson)


def test_who_urged_trump(store):
    rows = answer(store, "who-urged", {"actor": "Trump"})
    assert any(r["urgedBy"] == "Chad Griffin" and r["requestedAct"] == "Raising of an issue"
               and r["withWhom"] == "Vladimir Putin" and r["medium"] == "letter" and r["article"] == "000" for r in rows)
    assert any(r["urgedBy"] == "53 members of the US Congress" and r["requestedAct"] == "Condemnation" for r in rows)
    assert {r["appealFactuality"] for r in rows} == {"occurred"}
    assert not any(r["urgedBy"] == "Donald Trump" for r in rows)


def test_death_tolls_stand_side_by_side(store):
    rows = answer(store, "death-toll-disagreement")
    wordings = {(r["wording"], r["article"]) for r in rows}
    assert {("at least three", "000"), ("At least 6", "001"), ("27", "001"), ("up to 56", "001"),
            ("three", "003"), ("three killed", "004")} <= wordings
    hrc = next(r for r in rows if r["wording"] == "at least three")
    assert "Human Rights Campaign" in hrc["reportedBy"] and hrc["min"] == "3" and hrc["max"] == ""
    assert next(r for r in rows if r["wording"] == "up to 56")["max"] == "56"
    assert "All Out" in next(r for r in rows if r["wording"] == "At least 6")["reportedBy"]
    assert next(r for r in rows if r["wording"] == "three")["reportedBy"] == "US State Department"
    assert all(r["factuality"] == "alleged" for r in rows)


def test_counts_include_the_detentions(store):
    rows = answer(store, "detention-and-death-counts")
    assert {("more than 100", "000"), ("Over 100", "001"), ("more than 100", "003"), ("100 men", "004")} <= {
        (r["wording"], r["article"]) for r in rows}
    assert all(r["min"] == "101" for r in rows if r["comparator"] == "more than" and r["value"] == "100")


def test_corroborated_claims_include_the_g20_meeting_and_the_griffin_letter(store):
    rows = {r["occasion"]: r for r in answer(store, "corroborated-claims")}
    meeting = rows["Trump–Putin meeting at the G20 summit, 7 July 2017"]
    assert meeting["articles"] == "000, 002"
    assert "000 (planned)" in meeting["accounts"] and "002 (occurred)" in meeting["accounts"]
    letter = rows["Chad Griffin's letter to Trump before the G20 summit"]
    assert letter["articles"] == "000, 002"
    assert all(int(r["articleCount"]) >= 2 for r in rows.values())
    assert rows["Reports that three detained men were killed"]["articles"] == "000, 003, 004"


def test_meetings_say_whether_the_issue_came_up(store):
    rows = answer(store, "meetings")
    lavrov = [r for r in rows if "Sergey Lavrov" in r["participants"]]
    assert [(r["raising"], r["article"]) for r in lavrov] == [("not occurred", "004")]
    g20 = [r for r in rows if r["article"] == "002" and r["raising"] == "unknown"]
    assert len(g20) == 1 and g20[0]["saidBy"] == "according to Michael Anton" and g20[0]["date"] == "2017-07-07"
    assert any(r["article"] == "000" and r["factuality"] == "planned" and r["raising"] == "requested" for r in rows)


def test_denials(store):
    rows = answer(store, "denials")
    karimov = [r for r in rows if r["speaker"] == "Alvi Karimov"]
    assert {r["article"] for r in karimov} == {"003", "004"}
    assert next(r for r in karimov if r["article"] == "003")["basis"] == "curator inference"
    assert any(r["speaker"] == "Kremlin" and r["denies"] == "any knowledge of a purge" for r in rows)


def test_timeline_is_in_date_order(store):
    rows = answer(store, "timeline")
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates) and len(dates) >= 20
    assert ("2017-07-07", "stated in the text") in {(r["date"], r["dateBasis"]) for r in rows}
    assert all(r["dateNote"] for r in rows if r["dateBasis"] == "curator inference")


def test_statements_by(store):
    tillerson = answer(store, "statements-by")
    assert ("not occurred", "000") in {(r["factuality"], r["article"]) for r in tillerson}
    assert not any(r["factuality"] == "requested" for r in tillerson)
    peskov = answer(store, "statements-by", {"actor": "Peskov"})
    assert {r["medium"] for r in peskov} == {"press conference"} and {r["article"] for r in peskov} == {"000"}


def test_sources(store):
    rows = {r["article"]: r for r in answer(store, "sources")}
    assert set(rows) == {"000", "001", "002", "003", "004"}
    assert rows["000"]["publisher"] == "PinkNews" and rows["000"]["publisherBasis"] == "curator inference"
    assert rows["004"]["publisher"] == ""
    assert rows["002"]["date"] == "2017-07-13" and rows["002"]["dateBasis"] == "stated in the text"
    assert all(int(r["claims"]) > 0 for r in rows.values())


def test_evidence_gathers_every_account_of_the_occasion(store):
    rows = answer(store, "evidence")
    assert {r["article"] for r in rows} == {"000", "002"}
    assert {r["relation"] for r in rows if r["article"] == "002"} == {"same occasion"}
    texts = article_texts(store)
    for r in rows:  # the position selector picks out exactly the quote
        assert texts[r["article"]][int(r["start"]):int(r["end"])] == r["exact"]
    alone = answer(store, "evidence", {"claim": "002/trump-raising-with-putin-unknown"})
    assert {r["relation"] for r in alone} == {"this claim"}


def test_curator_inferences_are_listed(store):
    rows = answer(store, "curator-inferences")
    kinds = {(r["kind"], r["article"]) for r in rows}
    assert {("article publisher", "000"), ("article date", "000"), ("article title", "002"), ("claim", "003")} <= kinds
    assert all(r["note"] for r in rows)


def test_abuse_reports_by_place_include_places_inside_it(store):
    rows = answer(store, "abuse-reports-by-place")
    assert any(r["place"] == "Argun; Tsotsi-Yurt" for r in rows)
    assert not any(r["place"] == "Moscow" for r in rows)
    moscow = answer(store, "abuse-reports-by-place", {"place": "Moscow"})
    assert [r["count"] for r in moscow] == ["five"]


# ---------------------------------------------------------------- the command line

def test_cli_csv_who_raised_it_with_putin(built_dir, capsys):
    code = cli.main(["query", "who-raised-the-issue-with", "--param", "actor=Putin", "--format", "csv",
                     "--data", str(built_dir / "kg.nq")])
    out = capsys.readouterr().out
    assert code == 0
    header, rows = parse_csv(out)
    assert header[:1] == ["speaker"] and "quote" in header and "article" in header
    assert not any(h.startswith("_") for h in header)
    rows = [dict(zip(header, r)) for r in rows]
    for who in ("Angela Merkel", "Emmanuel Macron"):
        mine = [r for r in rows if r["speaker"] == who]
        assert mine and all(r["quote"] and r["article"] in {"000", "001", "004"} for r in mine)
    assert not any(r["speaker"] in {"Donald Trump", "Rex Tillerson"} for r in rows)


def test_cli_json_is_sparql_results_json(built_dir, capsys):
    code = cli.main(["query", "who-raised-the-issue-with", "--format", "json", "--data", str(built_dir / "kg.nq")])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["head"]["vars"] == ["speaker", "date", "meeting", "quote", "article", "act"]
    bindings = doc["results"]["bindings"]
    assert bindings
    for b in bindings:
        assert set(b) <= set(doc["head"]["vars"])
        assert {"speaker", "quote", "article", "act"} <= set(b)
        for term in b.values():
            assert term["type"] in {"uri", "literal", "bnode"} and isinstance(term["value"], str)
        assert b["act"]["type"] == "uri" and b["speaker"]["type"] == "literal"
    assert {b["speaker"]["value"] for b in bindings} >= {"Angela Merkel", "Emmanuel Macron"}


def test_cli_unknown_actor_exits_2_with_close_matches(built_dir, capsys):
    code = cli.main(["query", "who-raised-the-issue-with", "--param", "actor=Putn", "--data", str(built_dir / "kg.nq")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "actor=Putn" in captured.err and "did you mean" in captured.err and "`putin`" in captured.err
    assert "Traceback" not in captured.err


# ---------------------------------------------------------------- regeneration

def regenerate() -> int:
    """Build the seeds into a temporary directory and rewrite every expected file."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        if cli.main(["build", "--out", tmp, "--quiet"]) != 0:
            print("the build failed; nothing regenerated", file=sys.stderr)
            return 1
        store = ox.Store()
        store.bulk_load(path=str(Path(tmp) / "kg.nq"), format=ox.RdfFormat.N_QUADS)
        EXPECTED.mkdir(exist_ok=True)
        wanted = set()
        for slug, params in all_cases():
            path = expected_path(slug, params)
            wanted.add(path)
            text = run_csv(store, slug, params)
            old = path.read_text(encoding="utf-8") if path.exists() else None
            if old != text:
                with path.open("w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
                print(f"{'wrote' if old is None else 'updated'} {path.relative_to(ROOT)} ({len(parse_csv(text)[1])} rows)")
        for stale in sorted(set(EXPECTED.glob("*.csv")) - wanted):
            stale.unlink()
            print(f"removed {stale.relative_to(ROOT)}")
    print("now READ the changed files against the articles (git diff tests/expected)")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        print(__doc__)
        print("usage: python tests/test_queries.py --regenerate", file=sys.stderr)
        sys.exit(2)
    sys.exit(regenerate())


def test_kg_query_loads_neither_the_build_nor_shacl(built_dir):
    """`kg query` imports the build, pyshacl and owlrl only if a command needs them (kg.cli's lazy modules):
    a query process does not pay for them; and the parser's constants are those modules' own."""
    import subprocess
    code = ("import sys; from kg import cli; code = cli.main(['query', 'sources', '--limit', '1', '--out', sys.argv[1]]); "
            "print(sorted(m for m in ('kg.build', 'kg.validate', 'pyshacl', 'owlrl', 'kg.curate') if m in sys.modules)); "
            "sys.exit(code)")
    run = subprocess.run([sys.executable, "-c", code, str(built_dir)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "[]"
    from kg import validate
    assert cli.REPORT_FORMATS == tuple(f.value for f in validate.ReportFormat)


def test_a_registry_id_resolves_without_reading_every_name_and_as_the_index_does(store, monkeypatch):
    """bind_params looks a registry id up directly (kg.query._by_id); the full index of names (labels,
    aliases) is read only for anything else, and both give the same IRI."""
    ids, names = q.entity_index(store)
    assert len(ids) > 50
    for value, iri in sorted(ids.items()):
        assert q._by_id(store, value) == iri
    assert q._by_id(store, "no-such-entity") is None
    cq = q.load_query(q.QUERIES / "who-urged.rq")
    by_label = q.bind_params(cq, store, {"actor": "Donald Trump"})["actor"].value
    monkeypatch.setattr(q, "entity_index", None)   # an id must not need the index of every name
    assert q.bind_params(cq, store, {"actor": "trump"})["actor"].value == ids["trump"] == by_label
