"""The canned queries as rewritten for large stores give exactly the answers of their readable reference texts.

``queries/reference/`` keeps every canned query as it was before the rewrite for scale
(README "Queries at scale"): one pattern per idea, subqueries over the whole dataset.  Those texts are the
reference semantics; ``queries/`` holds the texts that start every subquery and OPTIONAL from the bound
parameter or the selected claims.  On the seeds both are held to ``tests/expected/`` (test_queries); here
both run on a generated corpus (bench/corpus.py, whose registry, claim mix and cross-article links are not
the seeds'), with parameters that have many answers there, and must print the same bytes.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import cli, iris
from kg.errors import InputError, UsageError
from kg import query as q

from conftest import ROOT, parameter_values as values

sys.path.insert(0, str(ROOT / "bench"))
import corpus  # noqa: E402

REFERENCE = ROOT / "queries" / "reference"
N = 30
HRR = "https://hrkg.example.org/ontology/"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, ox.Store]:
    base = tmp_path_factory.mktemp("queries-scale")
    corpus.generate(N, base / "seeds")
    assert cli.main(["build", "--seeds", str(base / "seeds"), "--out", str(base / "out"), "--quiet"]) == 0
    return base / "out", q.open_built(base / "out")


def most(store: ox.Store, pattern: str) -> list[str]:
    """The ids of the entities (or claim keys) ``?x`` that ``pattern`` binds most often, most first."""
    rows = store.query(f"PREFIX hrr: <{HRR}> SELECT ?x (COUNT(*) AS ?n) WHERE {{ {pattern} }} GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 2",
                       use_default_graph_as_union=True)
    return [r["x"].value for r in rows]


def entity(iri: str) -> str:
    return iri.rsplit("/", 1)[1]


def cases(store: ox.Store) -> list[tuple[str, dict[str, str]]]:
    """Every query with its defaults' kind of value taken from the corpus: the busiest actors, places, issues."""
    claim = most(store, "?c hrr:accountOf ?o . ?x hrr:accountOf ?o")[0]
    art, cid = claim.removeprefix(iris.base() + "article/").split("/claim/")
    values = {
        "actor": [entity(a) for a in most(store, "?c hrr:addressee ?x ; hrr:factuality hrr:Occurred")]
                 + [entity(a) for a in most(store, "?c hrr:speaker ?x")],
        "issue": [entity(i) for i in most(store, "?c hrr:about ?x")] + ["human-rights"],
        "place": [entity(p) for p in most(store, "?c a hrr:DetentionReport ; hrr:place ?x")],
        "claim": [f"{art}/{cid}", art + "/" + entity(most(store, "?x hrr:statedIn ?a ; hrr:evidence ?e")[0])],
    }
    # the busiest values for the queries whose answers need a particular combination
    raised = most(store, "?c a hrr:RaisingOfIssue ; hrr:factuality hrr:Occurred ; hrr:addressee ?x")
    special = {
        "who-raised-the-issue-with": {"actor": [entity(a) for a in raised],
                                      "issue": [entity(i) for i in most(store, "?c a hrr:RaisingOfIssue ; "
                                                "hrr:factuality hrr:Occurred ; hrr:about ?x")] * 2},
        "who-urged": {"actor": [entity(a) for a in most(store, "?c a hrr:Appeal ; hrr:requestedAction ?r ; hrr:addressee ?x")]},
    }
    out = []
    for slug, cq in q.catalogue().items():
        vals = {**values, **special.get(slug, {})}
        if not cq.params:
            out.append((slug, {}))
            continue
        for i in range(2):
            given = {p: vals[p][i % len(vals[p])] for p in cq.params}
            out.append((slug, given))
    return out


def csv(store: ox.Store, path: Path, given: dict[str, str]) -> str:
    cq = q.load_query(path)
    return q.render(q.run(store, cq.text, q.bind_params(cq, store, given)), q.Format.CSV)


def test_the_reference_keeps_every_canned_query():
    assert {p.name for p in REFERENCE.glob("*.rq")} == {p.name for p in q.QUERIES.glob("*.rq")}
    changed = [p.name for p in REFERENCE.glob("*.rq") if p.read_text() != (q.QUERIES / p.name).read_text()]
    assert len(changed) >= 4, "the reference is the text before the rewrite, not a copy of queries/"


def test_rewritten_queries_answer_exactly_as_their_reference_on_a_generated_corpus(built):
    _, store = built
    answered, different = Counter(), []
    for slug, given in cases(store):
        new = csv(store, q.QUERIES / f"{slug}.rq", given)
        old = csv(store, REFERENCE / f"{slug}.rq", given)
        if new != old:
            different.append((slug, given))
        answered[slug] += new.count("\r\n") - 1
    assert different == []
    # the comparison means something: every query answers on the corpus with one of its cases
    assert {slug for slug, n in answered.items() if n == 0} == set(), answered


def test_inline_writes_terms_and_leaves_strings_comments_and_longer_names_alone():
    text = ('SELECT ?_actor ?x WHERE {\n  # ?_actor in a comment\n  { SELECT ?_actor ?x (COUNT(*) AS ?n) WHERE {'
            ' ?x ?p ?_actor . ?x ?q ?_actorx . FILTER(?x != "?_actor") } GROUP BY ?_actor ?x ORDER BY ?_actor }\n'
            '  ?x ?r $_label }')
    out = q.inline(text, {"actor": ox.NamedNode("https://e.org/a"), "label": ox.Literal('say "hi"\n')})
    assert out == ('SELECT  ?x WHERE {\n  # ?_actor in a comment\n  { SELECT  ?x (COUNT(*) AS ?n) WHERE {'
                   ' ?x ?p <https://e.org/a> . ?x ?q ?_actorx . FILTER(?x != "?_actor") } GROUP BY  ?x ORDER BY  }\n'
                   '  ?x ?r "say \\"hi\\"\\n" }')


LISTINGS = ["timeline", "positions", "curator-inferences", "requested-actions", "sources"]


@pytest.mark.parametrize("slug", LISTINGS)
def test_a_page_is_the_full_answer_rows_at_its_places(built, slug):
    """`kg query --limit N --offset M`: the page is rows M+1..M+N of the full ordered answer (a prefix when M = 0)."""
    _, store = built
    cq = q.load_query(q.QUERIES / f"{slug}.rq")
    full = q.render(q.run(store, cq.text, q.bind_params(cq, store, {})), q.Format.CSV).split("\r\n")
    assert len(full) > 12, "the corpus gives this listing enough rows to page"
    for limit, offset in [(5, 0), (4, 7), (1000000, 3), (0, 0)]:
        page = q.render(q.run(store, q.page(cq.text, limit, offset), q.bind_params(cq, store, {})), q.Format.CSV)
        assert page.split("\r\n") == [full[0], *full[1:-1][offset:offset + limit], ""], (limit, offset)


def test_paging_refuses_a_query_with_its_own_limit():
    assert q.page("SELECT * WHERE { ?s ?p ?o } ORDER BY ?s", 10, 20).endswith("ORDER BY ?s\nLIMIT 10 OFFSET 20\n")
    assert q.page("SELECT * WHERE { ?s ?p ?o }", None, 0) == "SELECT * WHERE { ?s ?p ?o }"
    assert q.page("SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 3 } }  # LIMIT in a comment", 2).endswith("LIMIT 2\n")
    for own in ("SELECT * WHERE { ?s ?p ?o } LIMIT 5", "SELECT * WHERE { ?s ?p ?o } offset 5",
                "SELECT * WHERE { ?s ?p ?o } VALUES ?s { <https://e.org/a> }"):
        with pytest.raises(UsageError):
            q.page(own, 10)
    with pytest.raises(UsageError):
        q.page("SELECT * WHERE { ?s ?p ?o }", -1)


PAGED = sorted(p.stem for p in (q.QUERIES / q.PAGES).glob("*.rq") if "." not in p.stem)   # not the lead queries


def test_the_paged_listings_are_the_long_ones():
    """Each key query belongs to a canned query (with its plain text), and the long listings have one."""
    assert set(PAGED) <= set(q.catalogue())
    assert {"timeline", "sources", "positions", "requested-actions", "curator-inferences", "meetings",
            "detention-and-death-counts", "death-toll-disagreement", "urged-but-did-not-raise"} <= set(PAGED)
    for slug in PAGED:
        cq = q.load_query(q.QUERIES / f"{slug}.rq")
        assert cq.keys and cq.rows == (cq.text if "#+ rows: query" in cq.keys else (REFERENCE / f"{slug}.rq").read_text())
        names = q.key_variables(cq.keys)
        order = cq.keys.rsplit("ORDER BY", 1)[1]
        assert names and all(f"?{n}" in order for n in names), "the key query's order ends with the key"


@pytest.mark.parametrize("chunk", [q.PAGED_CHUNK, 7])
@pytest.mark.parametrize("slug", PAGED)
def test_a_page_from_its_keys_is_the_whole_answers_rows_at_its_places(built, slug, chunk, monkeypatch):
    """kg.query.evaluate takes a listing's page from its key query and the rows of those keys (a chunk of
    them at a time), and gives exactly the rows of the whole answer at those places, for pages at the start,
    the middle and the end; with `#+ order: here`, from keys sorted by kg.query.ordered_keys; with a lead
    query, from the keys of a few lead values at a time (one in the first round with the small chunk)."""
    monkeypatch.setattr(q, "PAGED_CHUNK", chunk)
    monkeypatch.setattr(q, "LEAD_FIRST", 1 if chunk == 7 else q.LEAD_FIRST)
    monkeypatch.setattr(q, "selective", lambda *a: False)   # this corpus's values are all narrow: the pages are tested here
    _, store = built
    cq = q.load_query(q.QUERIES / f"{slug}.rq")
    for s, given in cases(store):
        if s != slug:
            continue
        bindings = q.bind_params(cq, store, given)
        full = q.render(q.run(store, cq.text, bindings), q.Format.CSV).split("\r\n")
        rows = len(full) - 2
        assert rows > 12, "the corpus gives this listing enough rows to page"
        for limit, offset in [(5, 0), (1, 0), (4, 7), (50, rows // 2), (10, rows - 3), (10, rows + 5), (1000000, 3)]:
            before = dict(q.PATHS)
            page = q.render(q.evaluate(store, cq, bindings, limit, offset), q.Format.CSV)
            assert page.split("\r\n") == [full[0], *full[1:-1][offset:offset + limit], ""], (given, limit, offset)
            took = {k for k in q.PATHS if q.PATHS[k] != before[k]}
            # keys sorted by kg, not by the store; or read for a few lead values at a time
            paged = {"paged", "lead"} if cq.lead else {"paged", "ordered here"} if cq.order_here else {"paged"}
            assert took == (paged if offset + limit <= q.PAGED_ROWS else {"whole"}), (given, limit, offset, took)


def test_lead_rounds_grow_and_never_end_between_equal_values():
    assert list(q.lead_chunks(list("abcdefghij"), 2)) == [(0, 2), (2, 6), (6, 10)]
    assert list(q.lead_chunks(list("aabbbbcdde"), 1)) == [(0, 2), (2, 6), (6, 10)]
    assert list(q.lead_chunks(list("aaaa"), 1)) == [(0, 4)]
    assert list(q.lead_chunks([], 8)) == []


def test_a_lead_query_must_fit_its_key_query(tmp_path):
    (tmp_path / q.PAGES).mkdir()
    (tmp_path / q.REFERENCE).mkdir()
    body = "WHERE { ?s <https://e.org/p> ?o ; <https://e.org/l> ?l }"
    (tmp_path / "x.rq").write_text(f"#+ summary: x\nSELECT ?s ?o {body} ORDER BY ?l ?o ?s\n")
    (tmp_path / q.REFERENCE / "x.rq").write_text(f"SELECT ?s ?o {body} ORDER BY ?l ?o ?s\n")
    lead = tmp_path / q.PAGES / "x.lead.rq"
    lead.write_text(f"SELECT ?s {body} ORDER BY ?l ?s\n")
    with pytest.raises(InputError) as e:   # no key query
        q.load_query(tmp_path / "x.rq")
    assert "key query" in e.value.problem and e.value.pos.path == str(lead)
    (tmp_path / q.PAGES / "x.rq").write_text(f"#+ order: here\nSELECT ?s ?o {body} ORDER BY ?l ?o ?s\n")
    assert q.load_query(tmp_path / "x.rq").lead == lead.read_text()
    for wrong in (f"SELECT ?s ?o {body} ORDER BY ?l ?s", f"SELECT ?l {body} ORDER BY ?l",
                  f"SELECT ?s {body} ORDER BY ?o ?s", f"SELECT ?s {body} ORDER BY ?l DESC(?s)",
                  f"SELECT ?s {body}", f"SELECT DISTINCT ?s {body} ORDER BY ?l ?s"):
        lead.write_text(wrong + "\n")
        with pytest.raises(InputError) as e:
            q.load_query(tmp_path / "x.rq")
        assert "does not fit" in e.value.problem and e.value.pos.path == str(lead), wrong
    lead.write_text(f"SELECT ?s WHERE {{ ?s <https://e.org/p> ?_zz ; <https://e.org/l> ?l }} ORDER BY ?l ?s\n")
    with pytest.raises(InputError) as e:
        q.load_query(tmp_path / "x.rq")
    assert "?_zz is not a parameter" in e.value.problem and e.value.pos.path == str(lead)


def test_a_lead_value_that_comes_twice_leaves_the_page_to_the_whole_answer(built, monkeypatch):
    """An urged actor with a second label is two rows of the lead query, which lead_keys cannot order: the
    page comes from the whole answer, still exactly its rows."""
    out, _ = built
    monkeypatch.setattr(q, "selective", lambda *a: False)
    store = q.open_store(out / "kg.nq")
    cq = q.load_query(q.QUERIES / "urged-but-did-not-raise.rq")
    (param,) = cq.params
    value = max(values(store, param), key=lambda v: (len(list(q.run(store, cq.lead, q.bind_params(cq, store, {param: v})))), v))
    b = q.bind_params(cq, store, {param: value})
    first = next(iter(q.run(store, cq.lead, b)))["actorNode"]
    store.add(ox.Quad(first, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("Zz", language="en"),
                      ox.NamedNode(iris.base() + "graph/curation/test")))
    full = q.render(q.run(store, cq.text, b), q.Format.CSV).split("\r\n")
    before = dict(q.PATHS)
    page = q.render(q.evaluate(store, cq, b, 5, 1), q.Format.CSV)
    assert page.split("\r\n") == [full[0], *full[1:-1][1:6], ""]
    assert q.PATHS["lead"] == before["lead"] and q.PATHS["whole"] == before["whole"] + 1


NARROW = sorted(p.stem for p in (q.QUERIES / q.NARROW).glob("*.rq") if not p.stem.endswith(".count"))


def test_a_narrow_text_has_its_count_query_and_nothing_else_is_there():
    assert {"urged-but-did-not-raise", "abuse-reports-by-place"} <= set(NARROW)
    files = {p.name for p in (q.QUERIES / q.NARROW).iterdir()}
    assert files == {f"{s}{ext}" for s in NARROW for ext in (".rq", ".count.rq")}
    for slug in NARROW:
        cq = q.catalogue()[slug]
        assert cq.narrow and cq.count and cq.at_most > 0 and cq.params


@pytest.mark.parametrize("slug", NARROW)
def test_a_narrow_text_answers_exactly_as_the_query_for_every_value(built, slug):
    """The narrow text gives the query's bytes, in its order, for every value of its parameter in the corpus
    (the busiest, human-rights, included), so choosing it by its count can only change the time taken."""
    _, store = built
    cq = q.catalogue()[slug]
    (param,) = cq.params
    answered = 0
    for value in values(store, param):
        b = q.bind_params(cq, store, {param: value})
        mine = q.render(q.run(store, cq.narrow, b), q.Format.CSV)
        assert mine == q.render(q.run(store, cq.text, b), q.Format.CSV), value
        answered += mine.count("\r\n") > 1
    assert answered >= 3, "the comparison means something: several values have rows"


@pytest.mark.parametrize("slug", NARROW)
def test_the_count_decides_whether_the_narrow_text_answers(built, slug, monkeypatch):
    """At or under `#+ at-most` the page comes from the narrow text; over it, from the key query (or the whole
    answer); the rows are the same either way."""
    _, store = built
    cq = q.catalogue()[slug]
    (param,) = cq.params
    counted = {}
    for value in values(store, param):
        b = q.bind_params(cq, store, {param: value})
        (sol,) = q.run(store, cq.count, b)
        counted[value] = int(sol["n"].value)
    value = max(counted, key=lambda v: (counted[v], v))
    b = q.bind_params(cq, store, {param: value})
    assert counted[value] > 0
    for at_most, path in [(counted[value], "narrow"), (counted[value] - 1, "paged" if cq.keys else "whole")]:
        monkeypatch.setattr(cq, "at_most", at_most)
        before = dict(q.PATHS)
        page = q.render(q.evaluate(store, cq, b, 7, 2), q.Format.CSV)
        assert q.PATHS[path] == before[path] + 1 and q.PATHS["narrow"] == before["narrow"] + (path == "narrow")
        assert page == q.render(q.run(store, q.page(cq.text, 7, 2), b), q.Format.CSV)


def test_a_narrow_text_says_up_to_which_count_and_has_its_count_query(tmp_path):
    (tmp_path / q.NARROW).mkdir()
    (tmp_path / "x.rq").write_text("#+ summary: x\nSELECT ?a WHERE { ?a ?b ?_c }\n")
    narrow = tmp_path / q.NARROW / "x.rq"
    narrow.write_text("SELECT ?a WHERE { ?a ?b ?_c }\n")
    count = tmp_path / q.NARROW / "x.count.rq"
    for file, text, said in [(narrow, "SELECT ?a WHERE { ?a ?b ?_c }", "at-most"),
                             (narrow, "#+ at-most: 10\nSELECT ?a WHERE { ?a ?b ?_c }", "x.count.rq"),
                             (count, "SELECT ?n WHERE { ?a ?b ?_c }", "?n"),
                             (count, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?_d }", "?_d")]:
        file.write_text(text + "\n")
        with pytest.raises(InputError) as e:
            q.load_query(tmp_path / "x.rq")
        assert said in e.value.problem + e.value.fix, text
        assert e.value.pos.path == str(narrow if said in ("at-most", "x.count.rq") else count), text
    count.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?_c }\n")
    assert q.load_query(tmp_path / "x.rq").at_most == 10


def test_a_page_whose_keys_do_not_give_one_row_each_comes_from_the_whole_answer(built):
    """A claim with two dates is two rows of the timeline and one key twice: the check sees it and the page is
    taken from the whole answer, still exactly its rows at those places."""
    out, _ = built
    store = q.open_store(out / "kg.nq")
    cq = q.load_query(q.QUERIES / "timeline.rq")
    tenth = list(q.evaluate(store, cq, {}, 10))[-1]   # its second date, earlier than all, puts it first too
    claim, date = tenth["claim"], tenth["date"]
    store.add(ox.Quad(claim, ox.NamedNode(HRR + "date"), ox.Literal("1999-01-01", datatype=date.datatype),
                      ox.NamedNode(iris.base() + "graph/curation/test")))
    full = q.render(q.run(store, cq.text, {}), q.Format.CSV).split("\r\n")
    assert sum(claim.value in line for line in full) == 2
    for limit, offset in [(3, 0), (5, 2)]:
        before = dict(q.PATHS)
        page = q.render(q.evaluate(store, cq, {}, limit, offset), q.Format.CSV)
        assert page.split("\r\n") == [full[0], *full[1:-1][offset:offset + limit], ""]
        assert q.PATHS["unsure"] == before["unsure"] + 1 and q.PATHS["whole"] == before["whole"] + 1


def test_restrict_opens_each_group_that_names_the_key_with_its_values():
    text = ("SELECT ?c ?n ?k WHERE {\n  ?c <p> ?x . OPTIONAL { ?c <q> ?n }\n"
            "  { SELECT ?c (COUNT(?e) AS ?n2) WHERE { ?c <r> ?e } GROUP BY ?c }\n"
            "  { SELECT ?o (COUNT(?c) AS ?m) WHERE { ?c <s> ?o } GROUP BY ?o }\n"
            "  { ?y <t> ?z . BIND(\"a ?c\" AS ?k) } VALUES ?z { <v> }\n"
            "  FILTER NOT EXISTS { ?c <u> ?w }\n}\nORDER BY ?c")
    keys = [(ox.NamedNode("https://e.org/1"),), (ox.NamedNode("https://e.org/2"),), (ox.NamedNode("https://e.org/1"),)]
    out = q.restrict(text, ["c"], keys)
    block = " VALUES ?c { <https://e.org/1> <https://e.org/2> } "
    assert out == ("SELECT ?c ?n ?k WHERE {" + block + "\n  ?c <p> ?x . OPTIONAL {" + block + " ?c <q> ?n }\n"
                   "  { SELECT ?c (COUNT(?e) AS ?n2) WHERE {" + block + " ?c <r> ?e } GROUP BY ?c }\n"
                   "  { SELECT ?o (COUNT(?c) AS ?m) WHERE { ?c <s> ?o } GROUP BY ?o }\n"
                   "  { ?y <t> ?z . BIND(\"a ?c\" AS ?k) } VALUES ?z { <v> }\n"
                   "  FILTER NOT EXISTS { ?c <u> ?w }\n}\nORDER BY ?c")
    two = q.restrict("SELECT * WHERE { ?a <p> ?b . { ?b <q> ?x } { BIND(1 AS ?a) ?x <r> ?y } }", ["a", "b"],
                     [(ox.NamedNode("https://e.org/1"), ox.Literal("x")), (ox.NamedNode("https://e.org/2"), ox.Literal("x"))])
    assert two == ('SELECT * WHERE { VALUES (?a ?b) { (<https://e.org/1> "x") (<https://e.org/2> "x") }  ?a <p> ?b . '
                   '{ VALUES ?b { "x" }  ?b <q> ?x } { BIND(1 AS ?a) ?x <r> ?y } }')
    # a key from an OPTIONAL: unbound, it gives that variable's groups no value
    opt = q.restrict("SELECT * WHERE { ?m <p> ?x OPTIONAL { ?r <at> ?m } OPTIONAL { ?r <q> ?y } }", ["m", "r"],
                     [(ox.NamedNode("https://e.org/m1"), ox.NamedNode("https://e.org/r1")), (ox.NamedNode("https://e.org/m2"), None)])
    assert opt == ("SELECT * WHERE { VALUES ?m { <https://e.org/m1> <https://e.org/m2> }  ?m <p> ?x "
                   "OPTIONAL { VALUES (?m ?r) { (<https://e.org/m1> <https://e.org/r1>) }  ?r <at> ?m } "
                   "OPTIONAL { VALUES ?r { <https://e.org/r1> }  ?r <q> ?y } }")


def test_a_key_query_names_where_its_rows_come_from_or_says_what_is_wrong(tmp_path):
    (tmp_path / "x.rq").write_text("#+ summary: x\nSELECT ?c WHERE { ?c ?p ?o } ORDER BY ?c\n")
    (tmp_path / q.PAGES).mkdir()
    keys = tmp_path / q.PAGES / "x.rq"
    keys.write_text("#+ rows: query\nSELECT ?c WHERE { ?c ?p ?o } ORDER BY ?c\n")
    cq = q.load_query(tmp_path / "x.rq")
    assert cq.rows == cq.text and q.key_variables(cq.keys) == ["c"]
    keys.write_text("#+ rows: query\n#+ order: here\nSELECT ?c WHERE { ?c ?p ?o } ORDER BY ?c\n")
    assert q.load_query(tmp_path / "x.rq").order_here
    for header, problem in (("#+ rows: elsewhere\n", "`#+ rows:`"), ("", "needs the plain text"),
                            ("#+ rows: query\n#+ order: python\n", "`#+ order:`")):
        keys.write_text(header + "SELECT ?c WHERE { ?c ?p ?o } ORDER BY ?c\n")
        with pytest.raises(InputError) as err:
            q.load_query(tmp_path / "x.rq")
        assert problem in err.value.problem and str(keys) in str(err.value)
    keys.write_text("SELECT (STR(?c) AS ?s) WHERE { ?c ?p ?o } ORDER BY ?s\n")
    with pytest.raises(InputError, match="plain variables"):
        q.load_query(tmp_path / "x.rq")


XSD = "http://www.w3.org/2001/XMLSchema#"


def test_keys_sorted_here_are_in_the_order_oxigraph_gives_them():
    """kg.query.ordered_keys sorts a key query's solutions in Python (`#+ order: here`); for every kind of
    value it takes (IRIs, plain strings, strings of one language, integers and decimals, unbound values,
    STR() of any of them, ascending and descending) it gives Oxigraph's own ORDER BY, and it leaves to the
    store what it does not take (two languages, another datatype, a blank node, a mix, an expression)."""
    store = ox.Store()
    g = ox.DefaultGraph()
    strings = ["a", "B", "b", "é", "e\u0301", "Z", "ß", "ss", "😀", "", " a", "a ", "10", "9", "Ä", "ä", "ǅ", "İ"]
    columns = {
        "iri": [ox.NamedNode(f"https://e.org/{s}") for s in ["a", "B", "%C3%A9", "a/b", "a-b", "a%20b", "Z", "é", "1"]],
        "str": [ox.Literal(s) for s in strings],
        "en": [ox.Literal(s, language="en") for s in strings],
        "num": ([ox.Literal(v, datatype=ox.NamedNode(XSD + "integer")) for v in ["2", "-3", "10", "02", "+7", "0"]]
                + [ox.Literal(v, datatype=ox.NamedNode(XSD + "decimal")) for v in ["2.0", "-3.5", "10.25", ".5", "7."]]),
        "date": [ox.Literal(v, datatype=ox.NamedNode(XSD + d)) for v, d in
                 [("2017-04-01", "date"), ("2017", "gYear"), ("2017-04", "gYearMonth"), ("2016-12-31", "date"), ("2017-04-01T10:00:00", "dateTime")]],
    }
    p = {c: ox.NamedNode(f"https://e.org/p/{c}") for c in columns}
    subjects = [ox.NamedNode(f"https://e.org/s/{i:02d}") for i in range(40)]
    for i, s in enumerate(subjects):
        for c, values in columns.items():
            if (i + len(c)) % 7:   # some subjects have no value: unbound in the OPTIONAL
                store.add(ox.Quad(s, p[c], values[(i * 5 + len(c)) % len(values)], g))
    where = " ".join(f"OPTIONAL {{ ?s <{p[c].value}> ?{c} }}" for c in columns)
    body = f"SELECT ?s WHERE {{ VALUES ?s {{ {' '.join(str(s) for s in subjects)} }} {where} }}"
    checked = 0
    for order in ["?iri ?s", "DESC(?iri) ?s", "?str ?s", "DESC(?str) ?s", "?en ?s", "DESC(?en) ?s", "?num ?s",
                  "DESC(?num) ?s", "STR(?date) ?s", "DESC(STR(?date)) ?s", "STR(?num) DESC(?str) ?s",
                  "?en DESC(?num) ?iri ?s", "ASC(?str) DESC(?s)"]:
        text = f"{body} ORDER BY {order}"
        mine = q.ordered_keys(store, text, {}, 1000)
        theirs = [(sol["s"],) for sol in store.query(text)]
        assert mine == theirs, order
        assert q.ordered_keys(store, text, {}, 5) == theirs[:5]
        checked += 1
    assert checked == 13
    # what it does not take, it leaves to the store
    store.add(ox.Quad(subjects[0], p["en"], ox.Literal("a", language="de"), g))
    store.add(ox.Quad(subjects[1], p["num"], ox.Literal("1", datatype=ox.NamedNode(XSD + "double")), g))
    store.add(ox.Quad(subjects[2], p["str"], ox.BlankNode("b"), g))
    for order in ["?en ?s", "?num ?s", "?str ?s", "?date ?s", "LCASE(?str) ?s", "?s"]:
        text = f"{body} ORDER BY {order}"
        if order == "?s":
            text = text.replace("SELECT ?s", "SELECT DISTINCT ?s")
        assert q.ordered_keys(store, text, {}, 10) is None, order


def test_project_adds_a_key_the_rows_do_not_show_or_refuses():
    text, hidden = q.project("SELECT ?a ?b\nWHERE { ?a <p> ?b ; <q> ?c }", ["a", "c"])
    assert hidden == {"c"} and text == "SELECT ?a ?b\n ?c WHERE { ?a <p> ?b ; <q> ?c }"
    assert q.project("SELECT ?a WHERE { ?a <p> ?b }", ["a"]) == ("SELECT ?a WHERE { ?a <p> ?b }", set())
    for head in ("SELECT DISTINCT ?a", "SELECT ?a (COUNT(?b) AS ?n)"):
        with pytest.raises(UsageError):
            q.project(head + " WHERE { ?a <p> ?b }", ["b"])
