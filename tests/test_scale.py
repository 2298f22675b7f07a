"""The scalable build: per-article stages cached by content and run in a pool must give exactly
what the whole-dataset reference pipeline (rdflib + pyshacl + owlrl over one graph) gives."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from kg import build, cache as cachemod, cli, infer, iris, load, shard
from kg.errors import InconsistencyError
from kg.store import ox_triples

from conftest import ROOT, SEEDS, copy_seeds, snapshot

FIXTURE = ROOT / "tests" / "fixtures" / "curation"


def quads(path: Path) -> set:
    return set(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))


def reference_quads(seeds: Path, monkeypatch) -> set:
    """The whole dataset in one rdflib graph, reasoned over by owlrl: the oracle."""
    monkeypatch.setenv("KG_REASONER", "owlrl")
    built = build.graph(seeds)
    infer.infer(built.store)
    out = set()
    for name in built.store.graph_names():
        g = ox.NamedNode(str(name))
        out |= {ox.Quad(t.subject, t.predicate, t.object, g) for t in ox_triples(built.store.graph(name))}
    return out


def store_quads(out: Path) -> set:
    return set(ox.Store.read_only(str(out / "store")))


def loaded(nq: Path) -> set:
    """kg.nq as an Oxigraph store holds it (the store keeps xsd:nonNegativeInteger values as xsd:integer)."""
    st = ox.Store()
    st.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    return set(st)


def dumps(out: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(out).items() if not k.startswith((".cache", "store"))}


def test_per_article_build_equals_the_whole_reference(built_dir, monkeypatch):
    assert quads(built_dir / "kg.nq") == reference_quads(SEEDS, monkeypatch)


def test_per_article_validation_equals_the_whole_reference(tmp_path):
    summary = build.build(SEEDS, tmp_path / "out", "seeds", jobs=1)
    reference = build.validated(build.graph(SEEDS, "seeds")).report
    assert [r.key() + (r.where,) for r in summary.report.results] == [r.key() + (r.where,) for r in reference.results]
    assert len(reference.results) == 3


def test_a_turtle_addition_about_an_article_equals_the_whole_reference(tmp_path, monkeypatch):
    """A curator addition that names an article's resources is validated with that
    article's graph and provenance (and then the inferred graph is one, not pieces): the same quads
    and the same results as the reference."""
    seeds = copy_seeds(tmp_path, ("000.yaml", "001.yaml"))
    (seeds / "additions").mkdir()
    base = "https://hrkg.example.org/chechnya-2017/"
    (seeds / "additions" / "notes.ttl").write_text(
        f"@prefix hrr: <https://hrkg.example.org/ontology/> .\n"
        f"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f"<{base}entity/new-group> a hrr:Group ; rdfs:label \"a new group\"@en ; rdfs:seeAlso <{base}article/001> .\n", encoding="utf-8")
    touched, real = [], build._touched
    monkeypatch.setattr(build, "_touched", lambda *a: (found := real(*a), touched.append(sorted(map(str, found))))[0])
    summary = build.build(seeds, tmp_path / "out", "seeds", jobs=1)
    assert quads(tmp_path / "out" / "kg.nq") == reference_quads(seeds, monkeypatch)
    reference = build.validated(build.graph(seeds, "seeds")).report
    assert [r.key() + (r.where,) for r in summary.report.results] == [r.key() + (r.where,) for r in reference.results]
    assert touched == [[str(iris.G.article("001"))]], "article 001's graph was validated with the addition"


def test_fast_reasoners_equal_owlrl_on_every_seed_article(monkeypatch):
    ctx, *_ = build._context(load.Sources.of(SEEDS), cachemod.Cache(None))
    for key in sorted(ctx.src.annotations):
        results = {}
        for engine in infer.Engine:
            monkeypatch.setenv("KG_REASONER", engine.value)
            results[engine] = shard.compute(ctx, key)
        ref = results[infer.Engine.OWLRL]
        assert len(ref.inferred_own) > 50, key
        for fast in (results[infer.Engine.REASONABLE], results[infer.Engine.NATIVE]):
            assert ref.inferred_own == fast.inferred_own, key
            assert ref.inferred_shared == fast.inferred_shared, key
            assert ref.results == fast.results, key


def test_parallel_equals_serial(tmp_path):
    build.build(SEEDS, tmp_path / "serial", "seeds", jobs=1)
    build.build(SEEDS, tmp_path / "parallel", "seeds", jobs=2)
    assert dumps(tmp_path / "serial") == dumps(tmp_path / "parallel")


def _add_fixture_article(seeds: Path) -> None:
    shutil.copy(FIXTURE / "005_fixture.txt", seeds / "articles")
    shutil.copy(FIXTURE / "005.yaml", seeds / "annotations")
    with open(seeds / "entities.yaml", "a", encoding="utf-8") as fh:
        fh.write("\n" + (FIXTURE / "entities-005.yaml").read_text(encoding="utf-8"))


def _clean(seeds: Path, tmp: Path) -> dict[str, bytes]:
    out = tmp / "clean"
    shutil.rmtree(out, ignore_errors=True)
    build.build(seeds, out, "seeds", cache_dir=tmp / "clean-cache-unused", jobs=1)
    shutil.rmtree(tmp / "clean-cache-unused")
    return dumps(out)


def test_incremental_builds_equal_clean_builds(tmp_path):
    seeds = copy_seeds(tmp_path, ("000.yaml", "001.yaml", "002.yaml"))
    out = tmp_path / "out"
    first = build.build(seeds, out, "seeds", jobs=1)
    assert (first.cached, first.rebuilt) == (0, 3)

    again = build.build(seeds, out, "seeds", jobs=1)
    assert (again.cached, again.rebuilt, again.store) == (3, 0, "unchanged")

    _add_fixture_article(seeds)          # added (with new registry entries)
    added = build.build(seeds, out, "seeds", jobs=1)
    assert added.rebuilt == 1 and added.articles == 4 and added.store.startswith("updated")
    assert dumps(out) == _clean(seeds, tmp_path)
    assert store_quads(out) == loaded(out / "kg.nq"), "the store updated in place holds what a clean build holds"

    ann = seeds / "annotations" / "001.yaml"   # changed
    text = ann.read_text(encoding="utf-8")
    assert "description: " in text
    ann.write_text(text.replace("description: ", "description: Changed. ", 1), encoding="utf-8")
    changed = build.build(seeds, out, "seeds", jobs=1)
    assert changed.rebuilt == 1
    assert dumps(out) == _clean(seeds, tmp_path)
    assert store_quads(out) == loaded(out / "kg.nq")

    (seeds / "annotations" / "002.yaml").unlink()   # removed, with its article
    next((seeds / "articles").glob("002_*.txt")).unlink()
    removed = build.build(seeds, out, "seeds", jobs=1)
    assert (removed.rebuilt, removed.articles) == (0, 3)
    assert dumps(out) == _clean(seeds, tmp_path)
    assert str(iris.G.article("002")) not in (out / "kg.nq").read_text(encoding="utf-8")
    assert store_quads(out) == loaded(out / "kg.nq")


def test_a_registry_change_rebuilds_only_the_articles_naming_the_entity(tmp_path):
    seeds = copy_seeds(tmp_path, ("000.yaml", "003.yaml"))
    out = tmp_path / "out"
    build.build(seeds, out, "seeds", jobs=1)
    reg = seeds / "entities.yaml"
    text = reg.read_text(encoding="utf-8")
    # an alias for an entity article 003 names and 000 does not
    names = {key: set(shard.referenced(_article_graph(seeds, key))) for key in ("000", "003")}
    only = sorted(names["003"] - names["000"])
    assert only, names
    eid = only[0]
    assert f"\n{eid}:" in text
    reg.write_text(text.replace(f"\n{eid}:", f"\n{eid}:\n  description: Changed for the test.", 1)
                   if f"\n{eid}:\n  description:" not in text else text, encoding="utf-8")
    summary = build.build(seeds, out, "seeds", jobs=1)
    assert (summary.cached, summary.rebuilt) == (1, 1)
    assert dumps(out) == _clean(seeds, tmp_path)


def _article_graph(seeds: Path, key: str) -> Graph:
    from kg import map as mapper
    from kg.store import Store
    ctx, *_ = build._context(load.Sources.of(seeds), cachemod.Cache(None))
    st = Store()
    mapper.map_article(st, ctx.loader.load(*ctx.src.annotations[key]))
    return st.graph(iris.G.article(key))


def test_a_corrupt_or_truncated_cache_entry_is_recomputed_never_used(tmp_path):
    out = tmp_path / "out"
    build.build(SEEDS, out, "seeds", jobs=1)
    before = dumps(out)
    entries = [e for e in sorted((out / build.CACHE_DIR).rglob("*.entry"))
               if "key" in cachemod.decode(e.read_bytes())[0]]           # the articles' (not the whole corpus's)
    assert len(entries) == 5
    data = entries[0].read_bytes()
    entries[0].write_bytes(data[: len(data) // 2])                 # truncated
    data = bytearray(entries[1].read_bytes())
    data[-100] ^= 0x01                                              # one bit flipped in a fragment
    entries[1].write_bytes(bytes(data))
    entries[2].write_bytes(b"")                                     # empty
    summary = build.build(SEEDS, out, "seeds", jobs=1)
    # the empty entry is a miss; the truncated one keeps its header and the flipped bit lies in a
    # fragment, and this rebuild from unchanged inputs reads no fragment, since it writes no dump
    # (the build record, tests/test_record.py)
    assert (summary.cached, summary.rebuilt, summary.dumps) == (4, 1, "unchanged")
    assert dumps(out) == before
    (out / build.RECORD).unlink()                                    # the dumps written again: the fragment is read
    summary = build.build(SEEDS, out, "seeds", jobs=1)
    assert (summary.cached, summary.rebuilt, summary.dumps) == (3, 2, "rewritten")
    assert dumps(out) == before


def test_the_cache_is_safe_to_delete(tmp_path):
    out = tmp_path / "out"
    build.build(SEEDS, out, "seeds", jobs=1)
    before = dumps(out)
    shutil.rmtree(out / build.CACHE_DIR)
    summary = build.build(SEEDS, out, "seeds", jobs=1)
    assert summary.rebuilt == 5 and dumps(out) == before


def test_cache_entries_round_trip_and_reject_damage(tmp_path):
    blob = cachemod.encode({"a": 1}, {"x": b"abc", "y": b""})
    assert cachemod.decode(blob) == ({"a": 1}, {"x": b"abc", "y": b""})
    for damaged in (blob[:-1], blob + b"z", blob.replace(b"abc", b"abd"), blob.replace(b'"a": 1', b'"a": 2'),
                    cachemod.MAGIC, b"hrkg-cache 1\n", b"junk", b""):
        assert cachemod.decode(damaged) is None
    # a lookup reads the header alone: a damaged header is a miss, damaged parts are left to get()
    cache = cachemod.Cache(tmp_path)
    cache.put("k" * 64, {"a": 1}, {"x": b"abc"})
    path = next(tmp_path.rglob("*.entry"))
    assert cachemod.Cache(tmp_path).meta("k" * 64) == {"a": 1}
    path.write_bytes(path.read_bytes().replace(b"abc", b"abd"))
    assert cachemod.Cache(tmp_path).meta("k" * 64) == {"a": 1} and cachemod.Cache(tmp_path).get("k" * 64) is None
    path.write_bytes(path.read_bytes().replace(b'"a": 1', b'"a": 3'))
    assert cachemod.Cache(tmp_path).meta("k" * 64) is None
    path.write_bytes(path.read_bytes()[:20])
    assert cachemod.Cache(tmp_path).meta("k" * 64) is None


def test_file_digests_are_remembered_by_stat_and_never_outlive_a_change(tmp_path, monkeypatch):
    f = tmp_path / "a.txt"
    f.write_bytes(b"one")
    memo = cachemod.FileDigests(tmp_path / "files.json")
    import hashlib
    assert memo.sha256(f) == hashlib.sha256(b"one").hexdigest()
    assert str(f) not in memo.known, "a file changed a moment ago is not remembered"
    monkeypatch.setattr(cachemod.FileDigests, "SETTLED_NS", -10**12)   # from here on, every file has settled
    memo.sha256(f)
    memo.save()
    reads = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda p, *a, **k: (reads.append(str(p)), real_open(p, *a, **k))[1])
    again = cachemod.FileDigests(tmp_path / "files.json")
    assert again.sha256(f) == hashlib.sha256(b"one").hexdigest() and str(f) not in reads   # remembered: not read
    f.write_bytes(b"two")                                  # the same size, and its times put back as they were
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, again.known[str(f)][1]))
    assert cachemod.FileDigests(tmp_path / "files.json").sha256(f) == hashlib.sha256(b"two").hexdigest()
    monkeypatch.undo()
    data = (tmp_path / "files.json").read_bytes()
    for damaged in (data[:-2], data.replace(b"[", b"{", 1), b"", b"junk\n{}"):
        (tmp_path / "files.json").write_bytes(damaged)
        assert cachemod.FileDigests(tmp_path / "files.json").known == {}   # a bad memo is no memo


def test_a_source_changed_behind_the_file_memo_is_rebuilt(tmp_path, monkeypatch):
    """A build remembers each source file's digest; an annotation file changed in place afterwards
    (same size, its modification time put back) is still seen as changed."""
    seeds = copy_seeds(tmp_path, ("000.yaml", "001.yaml", "002.yaml"))
    out = tmp_path / "out"
    monkeypatch.setattr(cachemod.FileDigests, "SETTLED_NS", -10**12)   # the files just copied count as settled
    build.build(seeds, out, "seeds", jobs=1)
    build.build(seeds, out, "seeds", jobs=1)   # lookups: every file remembered
    memo = cachemod.FileDigests(out / build.CACHE_DIR / cachemod.FileDigests.NAME)
    assert len(memo.known) == 7   # three annotation files, their articles and the registry
    ann = seeds / "annotations" / "001.yaml"
    st = ann.stat()
    text = ann.read_bytes()
    ann.write_bytes(text[:-1] + (b"\n" if text[-1:] != b"\n" else b" "))   # one byte other, the same length
    os.utime(ann, ns=(st.st_atime_ns, st.st_mtime_ns))
    summary = build.build(seeds, out, "seeds", jobs=1)
    assert summary.rebuilt == 1


def test_kg_query_reads_the_store_and_a_dump_alike(built_dir, capsys):
    assert cli.main(["query", "who-raised-the-issue-with", "--format", "csv", "--out", str(built_dir)]) == 0
    from_store = capsys.readouterr().out
    assert cli.main(["query", "who-raised-the-issue-with", "--format", "csv", "--data", str(built_dir / "kg.nq")]) == 0
    assert capsys.readouterr().out == from_store
    assert from_store.count("\n") == 6



def test_the_store_loaded_leniently_holds_what_a_strict_load_of_the_dump_does(built_dir, corpus, tmp_path):
    """The build bulk-loads its own N-Quads without validating their IRIs again (kg.oxstore._load_fresh)."""
    from kg import oxstore
    for out in (built_dir, _built(corpus, tmp_path)):
        strict = ox.Store()
        strict.bulk_load(path=str(out / "kg.nq"), format=ox.RdfFormat.N_QUADS)
        stored = ox.Store.read_only(str(oxstore.current(out)))
        assert len(stored) == len(strict) > 1000
        assert set(stored) == set(strict)

def test_the_store_is_a_link_switched_atomically(built_dir):
    link = built_dir / "store"
    assert link.is_symlink() and link.resolve().is_dir()
    assert link.resolve().name.startswith(".store-")
    st = ox.Store.read_only(str(link))
    assert len(st) == len(quads(built_dir / "kg.nq"))


def test_libyaml_and_the_pure_python_parser_give_the_same_trees():
    """The loader parses with libyaml when PyYAML has it; the node trees (values, styles,
    positions) must be those of the pure-Python parser, which also words every error."""
    import yaml
    from kg import source
    files = sorted(SEEDS.rglob("*.yaml")) + sorted(FIXTURE.glob("*.yaml"))
    assert len(files) >= 9
    for f in files:
        text = f.read_text(encoding="utf-8")
        trees = [source._Builder(str(f)).build(list(yaml.parse(text, Loader=loader)))
                 for loader in (yaml.SafeLoader, yaml.CSafeLoader)]
        assert trees[0] == trees[1], f


# ---------------------------------------------------------------- on a generated corpus

@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """12 generated articles (bench/corpus.py): another registry, other shapes of claims than the seeds."""
    import subprocess
    import sys
    out = tmp_path_factory.mktemp("corpus") / "seeds"
    subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), "12", "--out", str(out), "--jobs", "1"],
                   check=True, capture_output=True)
    return out


def test_per_article_build_equals_the_reference_on_a_generated_corpus(corpus, tmp_path, monkeypatch):
    summary = build.build(corpus, tmp_path / "out", "seeds", jobs=2)
    assert summary.articles == 12
    assert quads(tmp_path / "out" / "kg.nq") == reference_quads(corpus, monkeypatch)
    reference = build.validated(build.graph(corpus, "seeds")).report
    assert [r.key() + (r.where,) for r in summary.report.results] == [r.key() + (r.where,) for r in reference.results]


def test_fast_reasoners_equal_owlrl_on_a_generated_corpus(corpus, monkeypatch):
    ctx, *_ = build._context(load.Sources.of(corpus), cachemod.Cache(None))
    for key in sorted(ctx.src.annotations)[:6]:
        results = {}
        for engine in infer.Engine:
            monkeypatch.setenv("KG_REASONER", engine.value)
            results[engine] = shard.compute(ctx, key)
        ref = results[infer.Engine.OWLRL]
        for fast in (results[infer.Engine.REASONABLE], results[infer.Engine.NATIVE]):
            assert ref.inferred_own == fast.inferred_own and ref.inferred_shared == fast.inferred_shared, key


def test_shared_inferences_the_registry_entails_alone_are_left_out(corpus, tmp_path, monkeypatch):
    """An article's shared inferences leave out what one of its registry entries entails alone (the
    corpus-wide pass concludes it anyway): nine in ten of them, and the dumps are the same bytes."""
    kept = build.build(corpus, tmp_path / "kept", "seeds", jobs=1)
    monkeypatch.setattr(shard, "entailed", lambda ctx, entity: frozenset())
    every = build.build(corpus, tmp_path / "every", "seeds", jobs=1)
    assert dumps(tmp_path / "kept") == dumps(tmp_path / "every")
    assert kept.inferred == every.inferred > 0

    def shared(out: Path) -> int:
        c = cachemod.Cache(out / build.CACHE_DIR)
        src = load.Sources.of(corpus)
        ctx, *_ = build._context(src, c)
        return sum(len(shard.lookup(ctx, key).inferred_shared) for key in src.annotations)
    assert 0 < shared(tmp_path / "kept") * 5 < shared(tmp_path / "every")


def test_the_corpus_wide_pass_beside_the_validation_equals_it_inline(corpus, tmp_path, monkeypatch):
    """Beside: the corpus-wide pass in a process of its own, and the first article the cache lacks
    computed in another while the lookups go on (the rest in the pool)."""
    forked = []
    real = build._Beside.__init__

    def spy(self, f, args, parallel, *what):
        real(self, f, args, parallel, *what)
        forked.append((f.__name__, self.proc is not None))
    monkeypatch.setattr(build._Beside, "__init__", spy)
    monkeypatch.setattr(build, "_BESIDE_FROM", 10 ** 9)
    inline = build.build(corpus, tmp_path / "inline", "seeds", jobs=2)
    monkeypatch.setattr(build, "_BESIDE_FROM", 0)
    shown = []
    beside = build.build(corpus, tmp_path / "beside", "seeds", jobs=2, progress=lambda *a: shown.append(a))
    assert forked == [("_infer", False), ("_work_one", True), ("_infer", True)]
    articles = [a for a in shown if a[0] == "articles"]
    assert articles[-1] == ("articles", 12, 12) and len(articles) == 11, "the article done beside is counted"
    assert dumps(tmp_path / "inline") == dumps(tmp_path / "beside")
    assert (inline.rebuilt, beside.rebuilt) == (12, 12)
    # one article new to the cache, with the others looked up: computed beside the lookups
    shutil.copytree(corpus, tmp_path / "more")
    first = sorted((tmp_path / "more" / "annotations").glob("*.yaml"))[0]
    first.write_text(first.read_text(encoding="utf-8").replace("description: ", "description: Changed. ", 1),
                     encoding="utf-8")
    forked.clear()
    again = build.build(tmp_path / "more", tmp_path / "beside", "seeds", jobs=2)
    assert (again.cached, again.rebuilt) == (11, 1) and forked == [("_work_one", True), ("_infer", True)]
    assert dumps(tmp_path / "beside") == _clean(tmp_path / "more", tmp_path)


def _dies(*_):
    os._exit(3)


def _fails(*_):
    raise ValueError("a bug")


def _clashes(*_):
    raise InconsistencyError("OWL RL reasoning found the graph inconsistent: two disjoint classes")


def test_the_process_beside_reports_what_became_of_it():
    from kg.errors import KgError
    with pytest.raises(KgError, match="ended without an answer"):
        build._Beside(_dies, (), True).result()
    with pytest.raises(KgError, match="ValueError: a bug"):
        build._Beside(_fails, (), True).result()
    for parallel in (True, False):
        with pytest.raises(InconsistencyError, match="two disjoint classes"):
            build._Beside(_clashes, (), parallel).result()
    beside = build._Beside(time.sleep, (60,), True)
    beside.close()   # stopped, not waited for
    assert beside.proc is None


def test_progress_bar_only_on_a_terminal():
    import io
    from kg import progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        with progress.Bar(stream=stream) as bar:
            for i in range(1, 4):
                bar.update("articles", i, 3)
    assert "articles" in tty.getvalue() and "3/3" in tty.getvalue() and "left" in tty.getvalue()
    assert pipe.getvalue() == ""
    quiet = Tty()
    with progress.Bar(enabled=False, stream=quiet) as bar:
        bar.update("articles", 1, 3)
    assert quiet.getvalue() == ""


def test_headers_come_from_the_index_only_while_their_entry_files_are_untouched(tmp_path, monkeypatch):
    """A build keeps its articles' headers in one index (kg.cache.Cache.save_index); the next
    lookup takes a header from it without opening the entry, unless the entry file's stat
    changed (rewritten, truncated, removed), and ignores an index that is damaged."""
    out = tmp_path / "out"
    build.build(SEEDS, out, "seeds", jobs=1)
    index = out / build.CACHE_DIR / cachemod.Cache.INDEX
    assert index.is_file()
    src = load.Sources.of(SEEDS, "seeds")

    def lookups(cache) -> tuple[dict, list]:
        opened = []
        real = open
        monkeypatch.setattr("builtins.open", lambda p, *a, **k: (opened.append(str(p)), real(p, *a, **k))[1])
        try:
            ctx, *_ = build._context(src, cache)
            found = {key: shard.lookup(ctx, key) for key in sorted(src.annotations)}
        finally:
            monkeypatch.undo()
        return found, [p for p in opened if p.endswith(".entry")]

    first, opened = lookups(cachemod.Cache(out / build.CACHE_DIR))
    assert all(first.values()) and len(first) == 5
    assert len(opened) == 1, "only the registry's entry is opened: every article's header is in the index"
    without, _ = lookups(cachemod.Cache(None))
    assert not any(without.values())
    shutil.copytree(out / build.CACHE_DIR, tmp_path / "plain")
    (tmp_path / "plain" / cachemod.Cache.INDEX).unlink()
    plain, opened = lookups(cachemod.Cache(tmp_path / "plain"))
    assert plain == first and len(opened) == 6, "without the index, the same headers from the entries"

    victim = first["001"].digest
    entry = cachemod.Cache(out / build.CACHE_DIR)._path(victim)
    data = entry.read_bytes()
    entry.write_bytes(data[:40])                                     # truncated: no longer what the index saw
    found, opened = lookups(cachemod.Cache(out / build.CACHE_DIR))
    assert found["001"] is None and opened.count(str(entry)) == 1
    assert all(found[k] == first[k] for k in found if k != "001")
    entry.unlink()
    assert lookups(cachemod.Cache(out / build.CACHE_DIR))[0]["001"] is None
    summary = build.build(SEEDS, out, "seeds", jobs=1)
    assert summary.rebuilt == 1
    assert lookups(cachemod.Cache(out / build.CACHE_DIR))[0] == first, "the index holds the rebuilt entry's header"

    good = index.read_bytes()
    for damaged in (good[:-3], good.replace(b'"key":"001"', b'"key":"009"'), b"", b"junk\n{}"):
        index.write_bytes(damaged)
        cache = cachemod.Cache(out / build.CACHE_DIR)
        assert cache._indexed() == {}, "a damaged index is no index"
        assert lookups(cache)[0] == first


def test_the_registry_is_loaded_once_for_the_same_files_and_code(tmp_path, monkeypatch):
    """_context caches what load_registry returns (the entries and drafts, and each entry's digest)
    under the registry files' digests and the code's: the same context from the cache as parsed, and a
    changed registry file parsed again."""
    seeds = copy_seeds(tmp_path, ("000.yaml",))
    cache = cachemod.Cache(tmp_path / "cache")
    src = load.Sources.of(seeds, "seeds")
    parsed = build._context(src, cachemod.Cache(None))
    calls = []
    real = load.load_registry
    monkeypatch.setattr(load, "load_registry", lambda s: (calls.append(1), real(s))[1])
    first = build._context(src, cache)
    assert not (tmp_path / "cache").exists(), "written only once the assessment's inputs are good"
    cache.put_pending()
    again = build._context(src, cachemod.Cache(tmp_path / "cache"))
    assert len(calls) == 1
    for ctx, eg, meta, drafts in (first, again):
        assert ctx.entities == parsed[0].entities and ctx.entity_digests == parsed[0].entity_digests
        assert set(eg) == set(parsed[1]) and [str(d) for d in drafts] == [str(d) for d in parsed[3]]
    reg = seeds / "entities.yaml"
    reg.write_text(reg.read_text(encoding="utf-8") + "\nlate-entry:\n  type: Person\n  label: Late Entry\n"
                   "  draft: a test's candidate\n", encoding="utf-8")
    changed_cache = cachemod.Cache(tmp_path / "cache")
    changed = build._context(load.Sources.of(seeds, "seeds"), changed_cache)
    changed_cache.put_pending()
    assert len(calls) == 2 and "late-entry" in changed[0].entities
    assert any("late-entry" in str(d) for d in changed[3]), "its draft is reported as parsed"
    cached = build._context(load.Sources.of(seeds, "seeds"), cachemod.Cache(tmp_path / "cache"))
    assert len(calls) == 2 and [str(d) for d in cached[3]] == [str(d) for d in changed[3]]


def test_the_registry_round_trips_through_json_on_a_generated_corpus(corpus):
    import json
    entities, drafts = load.load_registry(load.Sources.of(corpus))
    assert len(entities) > 100
    back, back_drafts = load.registry_of_json(json.loads(json.dumps(load.registry_json(entities, drafts))))
    assert back == entities and list(back) == list(entities)
    assert [(d.pos, d.problem, d.fix) for d in back_drafts] == [(d.pos, d.problem, d.fix) for d in drafts]
    for bad in ({}, {"entities": [{"id": "x"}], "drafts": []}, {"entities": [], "drafts": [[1]]}):
        assert load.registry_of_json(bad) is None


def test_sorted_n_triples_are_the_serialisation_of_the_sorted_triples():
    from kg import publish
    rng = __import__("random").Random(3)
    terms = [ox.NamedNode(f"https://e/{c}") for c in ("a", "b", "ä", "a/b", "A")] + [
        ox.Literal("x"), ox.Literal("é", language="fr"), ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ox.Literal('quote " and \\ and\nnewline')]
    for _ in range(50):
        ts = [ox.Triple(rng.choice(terms[:5]), rng.choice(terms[:5]), rng.choice(terms)) for _ in range(rng.randint(0, 30))]
        ts += ts[: len(ts) // 3]   # repeated
        assert build._sorted_nt(ts) == ox.serialize(publish.sorted_triples(ts), format=ox.RdfFormat.N_TRIPLES)



def _reference_jsonld_nodes(ordered):
    """JSON-LD node objects built as dicts and dumped (kg.publish.jsonld_nodes before it wrote text)."""
    import json
    from kg import publish
    nodes: dict = {}
    for s, p, o in ordered:
        node = nodes.setdefault(s.value, {"@id": publish.compact(s.value)})
        if p.value == publish.RDF_TYPE and isinstance(o, ox.NamedNode):
            node.setdefault("@type", []).append(publish.compact(o.value))
        elif isinstance(o, ox.NamedNode):
            node.setdefault(publish.compact(p.value), []).append({"@id": publish.compact(o.value)})
        elif o.language:
            node.setdefault(publish.compact(p.value), []).append({"@value": o.value, "@language": o.language})
        elif o.datatype.value != publish.XSD_STRING:
            node.setdefault(publish.compact(p.value), []).append({"@value": o.value, "@type": publish.compact(o.datatype.value)})
        else:
            node.setdefault(publish.compact(p.value), []).append({"@value": o.value})
    for node in nodes.values():
        for values in node.values():
            if isinstance(values, list):
                values.sort(key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return {s: json.dumps(n, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode() for s, n in nodes.items()}


def test_the_jsonld_nodes_written_as_text_are_the_dumped_dicts(built_dir, corpus, tmp_path):
    """kg.publish.jsonld_nodes writes each node's JSON itself; it must be json.dumps's text of the node,
    on the seeds' graphs, a generated corpus's and triples with every awkward value (escapes, languages,
    datatypes, several values sorting on a quote or a backslash, IRIs no prefix fits)."""
    from kg import publish
    graphs = []
    for nq in (built_dir / "kg.nq", _built(corpus, tmp_path) / "kg.nq"):
        ds = ox.Dataset(ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS))
        for name in sorted({q.graph_name.value for q in ds if isinstance(q.graph_name, ox.NamedNode)}):
            graphs.append([ox.Triple(q.subject, q.predicate, q.object) for q in ds.quads_for_graph_name(ox.NamedNode(name))])
    rng = __import__("random").Random(5)
    e = lambda x: ox.NamedNode(iris.base() + x)   # noqa: E731
    subjects = [e("entity/a"), e("entity/b"), ox.NamedNode("https://other.example/ä?q=1&r"), ox.NamedNode(publish.RDF_TYPE)]
    objects = subjects + [ox.NamedNode("http://www.w3.org/2004/02/skos/core#Concept"), ox.Literal('a "quoted" one'),
                          ox.Literal("back\\slash"), ox.Literal("ctl \x01\t\n\u2028 é 𝄞"), ox.Literal("a"), ox.Literal("a", language="en"),
                          ox.Literal("a", language="en-gb"), ox.Literal("2017", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")),
                          ox.Literal("7", datatype=ox.NamedNode("https://dt.example/int"))]
    predicates = [ox.NamedNode(publish.RDF_TYPE), e("entity/p"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                  ox.NamedNode("https://other.example/p#q")]
    for _ in range(200):
        graphs.append([ox.Triple(rng.choice(subjects), rng.choice(predicates), rng.choice(objects)) for _ in range(rng.randint(1, 40))])
    for triples in graphs:
        ordered = publish.sorted_triples(triples)
        assert publish.jsonld_nodes(ordered) == _reference_jsonld_nodes(ordered)


def _built(seeds: Path, tmp_path: Path) -> Path:
    out = tmp_path / "built"
    if not (out / "kg.nq").exists():
        build.build(seeds, out, "seeds", jobs=1)
    return out

def _metas(seeds: Path, out: Path):
    build.build(seeds, out, "seeds", jobs=1)
    src = load.Sources.of(seeds)
    ctx, eg, *_ = build._context(src, cachemod.Cache(out / build.CACHE_DIR))
    return ctx, eg, [shard.lookup(ctx, k) for k in sorted(src.annotations)], load.load_turtle(src)


def _passes(ctx, eg, ordered, tfs, monkeypatch) -> tuple[bytes | None, bytes]:
    """The corpus-wide pass on keys, and as it reasons on rdflib terms (the keys' path turned off)."""
    lines = build._ProvenanceLines(ctx, ordered, tfs)
    fast = build._infer_keys(ctx, eg, lines, ordered)
    with monkeypatch.context() as m:
        m.setattr(build, "_infer_keys", lambda *a: None)
        ref = build._infer(ctx, eg, lines, {}, ordered, True)
    assert build._infer(ctx, eg, lines, {}, ordered, True) == ref   # the keys' path, where it answers, or the other
    return fast, ref


@pytest.mark.parametrize("which", ["seeds", "corpus"])
def test_the_corpus_wide_pass_on_keys_equals_it_on_rdflib_terms(which, corpus, tmp_path, monkeypatch):
    import dataclasses
    ctx, eg, ordered, tfs = _metas(SEEDS if which == "seeds" else corpus, tmp_path / "out")
    fast, ref = _passes(ctx, eg, ordered, tfs, monkeypatch)
    assert fast == ref and ref.count(b"\n") > 20
    # shared lines of every kind an article's could hold: a literal (escaped, with a language, a lexical form
    # that is not canonical), a blank node, an IRI beyond ASCII, a transitive link reasoned over
    ns, hrr = shard.entity_ns(), "https://hrkg.example.org/ontology/"
    places = sorted({str(s) for s, p, o in eg if str(p).endswith("#type") and str(o) == hrr + "Place"})
    a, b, c = (ox.NamedNode(p) for p in places[:3])
    odd = [ox.Triple(a, ox.NamedNode(hrr + "locatedIn"), b), ox.Triple(b, ox.NamedNode(hrr + "locatedIn"), c),
           ox.Triple(a, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal('Zoë "q" \\', language="en")),
           ox.Triple(ox.BlankNode("b1"), ox.NamedNode(hrr + "locatedIn"), a),
           ox.Triple(ox.NamedNode(ns + "ä-é"), ox.NamedNode(hrr + "locatedIn"), c),
           ox.Triple(a, ox.NamedNode(hrr + "count"), ox.Literal("05", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")))]
    extra = [line for line in ox.serialize(odd, format=ox.RdfFormat.N_TRIPLES).decode().split("\n") if line]
    asserted = ordered[1].provenance[0]   # what the provenance graph asserts is not inferred
    extra.append(asserted)
    more = [dataclasses.replace(ordered[0], inferred_shared=sorted(set(ordered[0].inferred_shared) | set(extra)))] + ordered[1:]
    fast, ref = _passes(ctx, eg, more, tfs, monkeypatch)
    assert fast == ref
    assert b"\\u00e4" not in ref and "ä-é".encode() in ref and b'"Zo\xc3\xab \\"q\\" \\\\"@en' in ref
    transitive = f"<{a.value}> <{hrr}locatedIn> <{c.value}> .".encode()
    assert transitive in ref.split(b"\n") and asserted.encode() not in ref.split(b"\n")
    # a literal made the same as a resource: the engine steps aside, and the rdflib path answers
    same = ox.Triple(a, ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs"), ox.Literal("x"))
    more[0] = dataclasses.replace(ordered[0], inferred_shared=sorted(
        set(ordered[0].inferred_shared) | {ox.serialize([same], format=ox.RdfFormat.N_TRIPLES).decode().strip()}))
    fast, ref = _passes(ctx, eg, more, tfs, monkeypatch)
    assert fast is None and ref


def test_the_shared_checks_are_cached_under_everything_they_read(tmp_path, monkeypatch):
    seeds = copy_seeds(tmp_path, ("000.yaml", "001.yaml"))
    (seeds / "additions").mkdir()   # a warning of the shared checks (an issue in no scheme), naming article 001
    base = "https://hrkg.example.org/chechnya-2017/"
    (seeds / "additions" / "notes.ttl").write_text(
        "@prefix hrr: <https://hrkg.example.org/ontology/> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        f"<{base}entity/new-issue> a hrr:Issue ; skos:prefLabel \"a new issue\"@en ; rdfs:seeAlso <{base}article/001> .\n",
        encoding="utf-8")
    out = tmp_path / "out"
    calls, real = [], build._shared_checks

    def counted(*args):
        calls.append(1)
        return real(*args)
    monkeypatch.setattr(build, "_shared_checks", counted)

    def report(summary) -> list:
        return [r.key() + (r.where,) for r in summary.report.results]

    def clean() -> list:   # the same seeds, with no cache: checked afresh
        shutil.rmtree(tmp_path / "clean", ignore_errors=True)
        return report(build.build(seeds, tmp_path / "clean", "seeds", jobs=1))

    def edit(path: Path, old: str, new: str) -> None:
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    first = build.build(seeds, out, "seeds", jobs=1)
    assert len(calls) == 1 and any("notes.ttl" in r.where for r in first.report.results)
    edit(seeds / "annotations" / "000.yaml", "description: ", "description: Changed. ")   # nothing they read
    changed = build.build(seeds, out, "seeds", jobs=1)
    assert changed.rebuilt == 1 and len(calls) == 1, "the shared checks came from the cache"
    assert report(changed) == report(first) == clean() and len(calls) == 2
    edit(seeds / "annotations" / "001.yaml", "description: ", "description: Changed. ")   # the article named
    build.build(seeds, out, "seeds", jobs=1)
    assert len(calls) == 3
    reg = seeds / "entities.yaml"                                                         # the registry
    reg.write_text(reg.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    build.build(seeds, out, "seeds", jobs=1)
    assert len(calls) == 4
    edit(seeds / "additions" / "notes.ttl", "a new issue", "another issue")              # the addition
    build.build(seeds, out, "seeds", jobs=1)
    assert len(calls) == 5
    # an entry of another shape (not one this code wrote) is not used
    c = cachemod.Cache(out / build.CACHE_DIR)
    src = load.Sources.of(seeds, "seeds")
    ctx, *_ = build._context(src, c)
    ordered = [shard.lookup(ctx, k) for k in sorted(src.annotations)]
    tfs = load.load_turtle(src)
    key = build._shared_key(ctx, build._provenance(ctx, ordered, tfs), tfs, [m for m in ordered if m.key == "001"])
    assert c.meta(key) is not None
    c.put(key, {"results": [{"severity": "nonsense"}]}, {})
    edit(seeds / "annotations" / "000.yaml", "description: Changed. ", "description: ")
    again = build.build(seeds, out, "seeds", jobs=1)
    assert len(calls) == 6 and report(again) == clean()
