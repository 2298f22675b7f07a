"""The store is compacted after enough updates in place (kg.oxstore.COMPACT_AFTER).

Each ``kg add`` (and each build that changes a few graphs) updates a copy of the store in place,
leaving its writes beside RocksDB's levels; measured at 10,000 articles, many such updates made the
store 1.8 times larger and its queries up to five times slower. So the store is compacted once
enough updates have accumulated: by ``kg build`` in the update that reaches the count, or, when
nothing has changed, into a compacted copy of the current generation; by ``kg add`` into such a
copy after its dumps, so that the article is queryable first.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from kg import answers, cli, oxstore
from kg import query as q

from conftest import ROOT, copy_seeds


def quads(gen) -> set:
    st = ox.Store.read_only(str(gen))
    return set(st.quads_for_pattern(None, None, None, None))


def add(seeds, out, key: str) -> None:
    article = next((ROOT / "seeds" / "articles").glob(f"{key}_*.txt"))
    assert cli.main(["add", "--seeds", str(seeds), "--out", str(out), str(article),
                     str(ROOT / "seeds" / "annotations" / f"{key}.yaml"), "--quiet"]) == 0


def test_an_unchanged_build_compacts_a_copy_when_due(tmp_path, capsys, monkeypatch):
    seeds = copy_seeds(tmp_path, ("000.yaml",))
    out = tmp_path / "out"
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out), "--quiet"]) == 0
    assert oxstore.updates(oxstore.current(out)) == 0                  # bulk-loaded
    (oxstore.current(out) / oxstore.UPDATES).write_text(json.dumps({"updates": oxstore.COMPACT_AFTER - 1}))
    monkeypatch.setattr(oxstore, "due", lambda gen: False)          # a kg add that does not compact
    add(seeds, out, "001")
    monkeypatch.undo()
    updated = oxstore.current(out)
    assert oxstore.updates(updated) == oxstore.COMPACT_AFTER           # due
    held = quads(updated)
    capsys.readouterr()

    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out)]) == 0   # nothing changed
    said = capsys.readouterr().out
    assert f"store compacted (after {oxstore.COMPACT_AFTER} updates in place); dumps unchanged" in said
    compacted = oxstore.current(out)
    assert compacted != updated and updated.is_dir()                  # the previous generation stays for readers
    assert oxstore.updates(compacted) == 0
    assert quads(compacted) == held                                   # the same quads
    assert json.loads((compacted / oxstore.MANIFEST).read_text()) == json.loads((updated / oxstore.MANIFEST).read_text())
    assert sorted(p.name for p in (compacted / answers.DIR).glob("*.json")) == \
        sorted(p.name for p in (updated / answers.DIR).glob("*.json")) != []   # its kept first pages too
    store, gen = q.built(out)
    cq = q.catalogue()["who-raised-the-issue-with"]
    bindings = q.bind_params(cq, store, {})
    assert answers.lookup(gen, cq, bindings, 200) is not None

    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out)]) == 0   # and then it is the build's store
    assert "store unchanged; dumps unchanged" in capsys.readouterr().out
    assert oxstore.current(out) == compacted


def test_kg_add_compacts_after_its_dumps_when_due(tmp_path, capsys):
    seeds = copy_seeds(tmp_path, ("000.yaml",))
    out = tmp_path / "out"
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out), "--quiet"]) == 0
    (oxstore.current(out) / oxstore.UPDATES).write_text(json.dumps({"updates": oxstore.COMPACT_AFTER - 1}))
    capsys.readouterr()
    add(seeds, out, "001")
    said = capsys.readouterr().out
    assert f"store: updated (" in said and f"graphs), then compacted (after {oxstore.COMPACT_AFTER} updates in place)" in said
    compacted = oxstore.current(out)
    assert oxstore.updates(compacted) == 0
    clean = tmp_path / "clean"
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(clean), "--quiet"]) == 0
    assert quads(compacted) == quads(oxstore.current(clean))
    n = len(q.catalogue())
    assert len(list((compacted / answers.DIR).glob("*.json"))) == n   # the pages kg add computed, kept with it
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out)]) == 0   # the record names it
    assert "store unchanged; dumps unchanged" in capsys.readouterr().out


def test_the_build_update_that_reaches_the_count_compacts(tmp_path, capsys):
    seeds = copy_seeds(tmp_path, ("000.yaml", "001.yaml"))
    out = tmp_path / "out"
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out), "--quiet"]) == 0
    for f in [*(seeds / "articles").glob("001_*.txt"), seeds / "annotations" / "001.yaml"]:
        f.unlink()
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out)]) == 0
    assert "store updated (" in capsys.readouterr().out
    assert oxstore.updates(oxstore.current(out)) == 1                  # counted, not yet due
    (oxstore.current(out) / oxstore.UPDATES).write_text(json.dumps({"updates": oxstore.COMPACT_AFTER - 1}))
    add_back = copy_seeds(tmp_path / "again", ("000.yaml", "001.yaml"))
    for f in [*(add_back / "articles").glob("001_*.txt"), add_back / "annotations" / "001.yaml"]:
        (seeds / f.relative_to(add_back)).write_bytes(f.read_bytes())
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "graphs), compacted; dumps rewritten" in said, said
    assert oxstore.updates(oxstore.current(out)) == 0
    clean = tmp_path / "clean"
    assert cli.main(["build", "--seeds", str(seeds), "--out", str(clean), "--quiet"]) == 0
    assert quads(oxstore.current(out)) == quads(oxstore.current(clean))


@pytest.mark.parametrize("text", ["", "{", "[]", '{"updates": -3}', '{"updates": "8"}', '{"updates": 2.5}'])
def test_a_damaged_count_reads_as_none(tmp_path, text):
    (tmp_path / oxstore.UPDATES).write_text(text)
    assert oxstore.updates(tmp_path) == 0 and not oxstore.due(tmp_path)
    (tmp_path / oxstore.UPDATES).write_text(json.dumps({"updates": oxstore.COMPACT_AFTER}))
    assert oxstore.due(tmp_path)
    assert oxstore.updates(None) == 0 and oxstore.updates(tmp_path / "missing") == 0
