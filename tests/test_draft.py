"""`kg draft`: a first annotation of a new article, never applied unreviewed (issue 11.2)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kg import cli, draft

from conftest import ROOT, SEEDS, copy_seeds

FIXTURES = ROOT / "tests" / "fixtures" / "curation"
ART_003 = "003_3d094facfdf72bcd.txt"


def run(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def undraft(directory: Path) -> None:
    """What a curator does last: delete every `draft:` line."""
    for p in directory.glob("*.yaml"):
        p.write_text(re.sub(r"(?m)^ *draft: .*\n", "", p.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.fixture(scope="module")
def drafted_003(tmp_path_factory) -> tuple[Path, Path, Path]:
    """Article 003 drafted against seeds that hold the other four articles."""
    tmp = tmp_path_factory.mktemp("draft")
    seeds = copy_seeds(tmp, ("000.yaml", "001.yaml", "002.yaml", "004.yaml"))
    article = tmp / ART_003
    shutil.copy(SEEDS / "articles" / ART_003, article)
    out = tmp / "out"
    assert cli.main(["draft", "--seeds", str(seeds), "--out", str(out), str(article)]) == 0
    return seeds, out, article


def test_draft_writes_the_three_files_with_the_free_number(drafted_003):
    _, out, _ = drafted_003
    assert sorted(p.name for p in out.iterdir()) == ["003.yaml", ART_003, "entities-003.yaml"]
    text = (out / "003.yaml").read_text(encoding="utf-8")
    assert "sha256: 2bf65852acaf3fafe036a9a1d7ab392993606e1a63ace48235dff6621f00968e" in text
    assert "title: US Secretary of State urged to raise Chechnya gay ‘purge’ during Russia trip" in text


def test_drafted_claims_use_cues_counts_and_suggest_refers_to(drafted_003):
    _, out, _ = drafted_003
    text = (out / "003.yaml").read_text(encoding="utf-8")
    claims = text.split("\n- id: ")
    denial = next(c for c in claims if c.startswith("chechen-government-denial"))
    assert "refers_to: chechen-government-denial" in denial and "article 001" in denial
    assert "speaker: chechen-government" in denial
    kremlin = next(c for c in claims if c.startswith("kremlin-denial"))
    assert "denies: any knowledge of a purge" in kremlin and "evidence: The Kremlin denied any knowledge of a purge." in kremlin
    detained = next(c for c in claims if "Russian newspapers and human rights groups report" in c)
    assert "type: abuse-report" in detained and "comparator: more-than" in detained and "value: 100" in detained
    assert "- russian-newspapers" in detained and "factuality: alleged" in detained
    assert "type: appeal" in next(c for c in claims if c.startswith("lgbt-rights-activists-appeal"))
    assert all("\n  draft: " in c for c in claims[1:])


def test_the_draft_is_refused_until_its_marks_are_removed(capsys, drafted_003, tmp_path):
    seeds, out, _ = drafted_003
    work = tmp_path / "out"
    shutil.copytree(out, work)
    files = sorted(work.iterdir())
    code, _, err = run(capsys, "validate", "--seeds", seeds, *files)
    assert code == 2
    assert re.search(r"003\.yaml:\d+:3: the article header is a draft: check the title", err)
    assert re.search(r"003\.yaml:\d+:3: claim `kremlin-denial` is a draft: cue “denied” → denial", err)
    assert re.search(r"entities-003\.yaml:\d+:3: entity `\S+` is a draft candidate", err)
    undraft(work)
    code, out_, err = run(capsys, "validate", "--seeds", seeds, *files)
    assert code == 0, out_ + err           # every evidence quote anchored, every field valid
    assert "conforms: 0 violations" in out_


@pytest.mark.parametrize("sentence, expected", [
    ("more than 100 gay men have been detained", [("more than 100", "more-than", 100)]),
    ("at least three have been killed", [("at least three", "at-least", 3)]),
    ("up to 56 people", [("up to 56", "up-to", 56)]),
    ("dozens of men and hundreds of people", []),
    ("in 2017, 53 members of Congress wrote", [("53", "exactly", 53)]),
    ("nearly 2,000 signatures, 40% of them", [("nearly 2,000", "nearly", 2000)]),
    ("signed by more than 2 million people", [("more than 2 million", "more-than", 2000000)]),
])
def test_counts_from_wording(sentence, expected):
    assert draft.find_counts(sentence) == expected


def test_stated_dates():
    assert draft.stated_date("Published 11 April 2017 by") == "2017-04-11"
    assert draft.stated_date("On April 11, 2017 he") == "2017-04-11"
    assert draft.stated_date("in July 2017") == "2017-07"
    assert draft.stated_date("landed in Moscow today") is None


def test_new_name_and_candidates(capsys, tmp_path):
    seeds = copy_seeds(tmp_path, ("000.yaml", "001.yaml"))
    article = tmp_path / "new-article.txt"
    article.write_text("Example headline\n\nThe Example Rights Group urged Vladimir Putin to release 12 men "
                       "held in Grozny, according to Amnesty International.\n", encoding="utf-8")
    code, out, _ = run(capsys, "draft", "--seeds", seeds, "--out", tmp_path / "d", article)
    assert code == 0, out
    names = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert names[0] == "002.yaml" and re.fullmatch(r"002_[0-9a-f]{16}\.txt", names[1]) and names[2] == "entities-002.yaml"
    reg = (tmp_path / "d" / "entities-002.yaml").read_text(encoding="utf-8")
    assert "example-rights-group:\n  type: NGO\n  label: Example Rights Group" in reg
    assert "amnesty-international:\n  type: NGO" in reg and "grozny:\n  type: Place" in reg
    ann = (tmp_path / "d" / "002.yaml").read_text(encoding="utf-8")
    assert "speaker: example-rights-group" in ann and "addressee: putin" in ann and "according_to:\n  - amnesty-international" in ann
    assert "value: 12" in ann
    # a draft never overwrites: the curator may have edited it
    code, _, err = run(capsys, "draft", "--seeds", seeds, "--out", tmp_path / "d", article)
    assert code == 2 and "002.yaml: already exists" in err


def test_an_article_already_in_the_seeds_is_refused(capsys, tmp_path):
    seeds = copy_seeds(tmp_path, ("000.yaml",))
    code, _, err = run(capsys, "draft", "--seeds", seeds, "--out", tmp_path / "d", SEEDS / "articles" / "000_ee038c59db45252e.txt")
    assert code == 2 and "already in the seeds as" in err and "annotations/000.yaml" in err
    assert not (tmp_path / "d").exists()


def test_readme_records_the_measured_recall_and_precision():
    """bench/draft_eval.py's table is the one the README shows (re-run it after changing the rules)."""
    import importlib.util

    from kg import load

    spec = importlib.util.spec_from_file_location("draft_eval", ROOT / "bench" / "draft_eval.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    table = bench.table(bench.evaluate(load.load_seeds(SEEDS, "seeds")))
    assert table in (ROOT / "README.md").read_text(encoding="utf-8")
    total = table.splitlines()[-1]
    assert re.search(r"\| all \| 171 \| \d+/171", total)


def test_out_that_is_a_file_is_a_clear_error(capsys, tmp_path):
    seeds = copy_seeds(tmp_path, ("000.yaml",))
    (tmp_path / "f").write_text("x")
    code, _, err = run(capsys, "draft", "--seeds", seeds, "--out", tmp_path / "f", FIXTURES / "005_fixture.txt")
    assert code == 2 and "--out is not a directory" in err
