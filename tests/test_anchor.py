"""Quote anchoring: one-to-one folding, code-point offsets, ambiguity, nearest passage."""

from __future__ import annotations

import pytest

from kg import anchor

TEXT = "Trump’s Secretary\u00a0of State said “no”. Trump’s team said “yes”."


def test_fold_maps_every_whitespace_character_and_nothing_else_to_a_space():
    spaces = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    assert anchor.SPACES == spaces
    assert anchor.fold(spaces) == " " * len(spaces)
    others = "".join(chr(c) for c in range(0x3100) if not chr(c).isspace() and chr(c) not in anchor._FOLD)
    assert anchor.fold(others) == others


def test_fold_is_one_to_one():
    assert len(anchor.fold(TEXT)) == len(TEXT)
    assert anchor.fold("‘a’ “b” c\u00a0d\te") == "'a' \"b\" c d e"


def test_straight_quotes_and_plain_spaces_match_typographic_text():
    art = anchor.Article(TEXT)
    span = art.locate("Secretary of State said \"no\"")
    assert TEXT[span.start:span.end] == "Secretary\u00a0of State said “no”"


def test_offsets_are_code_points():
    art = anchor.Article("ab😀cd “ef”")
    span = art.locate('"ef"')
    assert (span.start, span.end) == (6, 10)


def test_ambiguous_quote_and_its_disambiguations():
    art = anchor.Article(TEXT)
    with pytest.raises(anchor.QuoteAmbiguous) as exc:
        art.locate("Trump's")
    assert exc.value.starts == [0, 38]
    assert art.locate("Trump's", occurrence=2).start == 38
    assert art.locate("Trump's", prefix="”. ").start == 38
    assert art.locate("Trump's", within=anchor.Span(30, len(TEXT))).start == 38


def test_not_found_reports_the_nearest_passage_and_where_it_differs():
    art = anchor.Article(TEXT)
    with pytest.raises(anchor.QuoteNotFound) as exc:
        art.locate("Trump's Secretary of Defense said")
    assert exc.value.nearest.startswith("Trump’s Secretary\u00a0of ")
    assert exc.value.differs_at == len("Trump's Secretary of ")


def test_nothing_fuzzier_than_quotes_and_spaces():
    art = anchor.Article("an en–dash")
    with pytest.raises(anchor.QuoteNotFound):
        art.locate("an en-dash")
