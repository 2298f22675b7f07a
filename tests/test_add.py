"""`kg add` at scale: what it does not redo must not change a byte.

- the inferred graph assembled from each article's cached piece and the rest equals serialising it
  whole, also when pieces clash (keys that are prefixes of others, loose triples among a piece's);
- the store's shared graphs patched by the difference of their N-Quads lines hold what a fresh load
  holds, Oxigraph's canonical literals included, and a damaged cached copy of the lines falls back;
- the inferred graph changed by the difference of its pieces and loose triples (what `kg add` does)
  holds what a fresh load holds, over random additions, changes and removals;
- `kg add` of an article assesses the corpus twice (the addition's and the seeds'), not three times,
  and gives the dumps and store of a clean build of the resulting seeds.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import build, cache as cachemod, curate, iris, oxstore, publish, shard

from conftest import ROOT, SEEDS, snapshot

PARTS = ("nq", "body", "jsonld", "nq_gz", "trig_gz", "triples")


def same_fragment(a: publish.Fragment, b: publish.Fragment) -> None:
    for part in PARTS:
        assert getattr(a, part) == getattr(b, part), part


def pieces_of(a: build.Assessment) -> list[publish.Piece]:
    return [p for p in (build._inferred_piece(a.ctx, m) for m in a.articles) if p]


def test_the_inferred_graph_from_pieces_equals_one_serialisation_on_the_seeds(tmp_path):
    out = tmp_path / "out"
    build.build(SEEDS, out, "seeds", jobs=1)
    a = build.assess(build.sources(SEEDS, "seeds"), cachemod.Cache(out / build.CACHE_DIR), jobs=1)
    assert a.pieces and len(a.inferred) > 100
    pieces = pieces_of(a)
    assert len(pieces) == 5
    assert not publish._clashing(pieces, {str(t.subject) for t in a.inferred}, "first", "last"), \
        "the seeds' pieces are used as they are, not serialised again"
    whole = list(a.inferred) + [t for p in pieces for t in p.lines()]
    graph = str(iris.G.INFERRED)
    same_fragment(publish.merged(graph, pieces, a.inferred), publish.fragment(graph, whole))


def _t(s: str, p: str, o) -> ox.Triple:
    obj = o if isinstance(o, (ox.NamedNode, ox.Literal)) else ox.Literal(o)
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), obj)


def _piece(graph: str, triples: list[ox.Triple]) -> publish.Piece:
    lines = sorted({line for line in ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode().split("\n") if line})
    parts = publish.piece_parts(graph, triples)
    count, first, last, low, high = shard.own_span(lines)
    return publish.Piece(first, last, low, high, count, lambda: parts,
                         lambda: [ox.Triple(t.subject, t.predicate, t.object) for t in triples])


@pytest.mark.parametrize("case", ["disjoint", "prefix-keys", "loose-inside", "duplicate", "one-order-only"])
def test_pieces_that_clash_are_serialised_again(case):
    """Whatever the pieces, the result is the one serialisation of all their triples."""
    b = "https://example.org/d/article/"
    p, q = "https://example.org/o#p", "https://example.org/o#q"
    runs = {
        "0001": [_t(b + "0001", p, "a"), _t(b + "0001/c/1", p, "b"), _t(b + "0001/c/2", q, ox.NamedNode(b + "0002"))],
        "0002": [_t(b + "0002", p, "é “x”"), _t(b + "0002/c/1", q, ox.Literal("3", datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#nonNegativeInteger")))],
    }
    loose = [_t("https://example.org/d/entity/x", p, "z")]
    if case == "prefix-keys":   # "<…/0001/…" < "<…/00010>" < "<…/0001>": no longer contiguous
        runs["00010"] = [_t(b + "00010", p, "k")]
    elif case == "loose-inside":
        loose.append(_t(b + "0001/c/15", p, "inside"))
    elif case == "duplicate":
        loose.append(runs["0002"][0])
    elif case == "one-order-only":   # contiguous as N-Triples terms, not as IRIs ("/" < ">" but "" < "/")
        runs["0001"] = [_t(b + "0001", p, "a"), _t(b + "0001/z", p, "b")]
        loose.append(_t(b + "0001-", p, "between as IRIs"))
    graph = "https://example.org/d/graph/inferred"
    pieces = [_piece(graph, ts) for ts in runs.values()]
    whole = [t for ts in runs.values() for t in ts] + loose
    same_fragment(publish.merged(graph, pieces, loose), publish.fragment(graph, whole))
    clashes = (publish._clashing(pieces, {str(t.subject) for t in loose}, "first", "last")
               | publish._clashing(pieces, {t.subject.value for t in loose}, "low", "high"))
    assert bool(clashes) == (case != "disjoint"), "each case but the first exercises serialising pieces again"


def _fresh(nq: bytes) -> set:
    st = ox.Store()
    st.bulk_extend(ox.parse(nq, format=ox.RdfFormat.N_QUADS))
    return set(st)


def test_a_patched_graph_holds_what_a_fresh_load_holds():
    xsd = "http://www.w3.org/2001/XMLSchema#"
    g = "<https://example.org/g>"
    before = (f'<https://e/s> <https://e/p> "5"^^<{xsd}nonNegativeInteger> {g} .\n'
              f'<https://e/s> <https://e/p> "5"^^<{xsd}integer> {g} .\n'
              f'<https://e/s> <https://e/q> "gone" {g} .\n'
              f'<https://e/t> <https://e/q> "kept" {g} .\n').encode()
    # the nonNegativeInteger line goes, but the integer line, the same stored quad, stays
    after = (f'<https://e/s> <https://e/p> "5"^^<{xsd}integer> {g} .\n'
             f'<https://e/t> <https://e/q> "kept" {g} .\n'
             f'<https://e/u> <https://e/q> "new" {g} .\n').encode()
    st = ox.Store()
    st.bulk_extend(ox.parse(before, format=ox.RdfFormat.N_QUADS))
    oxstore._patch(st, before, after)
    assert set(st) == _fresh(after)


class _Meta:
    """What build._Pieced reads of an article's header."""

    def __init__(self, key: str, lines: list[str]) -> None:
        self.key, self.inferred_own = key, sorted(set(lines))
        self.own = shard.own_span(self.inferred_own)
        self.digest = cachemod.digest("test-article", key, *self.inferred_own)


def _state(rng, keys: list[str]) -> tuple[list[_Meta], list[ox.Triple]]:
    """Random own inferences for some of ``keys`` and random loose triples, some about an article's own
    resources (also lines an article has itself), with Oxigraph's canonical literal collisions."""
    base = iris.base() + "article/"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    p = "https://example.org/p"
    values = [f'"{n}"^^<{xsd}{t}>' for n in (1, 2) for t in ("integer", "nonNegativeInteger")] + ['"x"', "<https://e/o>"]
    metas = []
    for key in keys:
        if rng.random() < 0.8:
            subjects = [base + key, base + key + "/c1", base + key + "/c1/evidence/1"]
            lines = [f"<{rng.choice(subjects)}> <{p}{rng.randint(1, 2)}> {rng.choice(values)} ."
                     for _ in range(rng.randint(1, 6))]
            metas.append(_Meta(key, lines))
    loose = set()
    for _ in range(rng.randint(0, 6)):
        s = rng.choice(["https://e/entity/a", "https://e/entity/b", base + rng.choice(keys)])
        loose.add(f"<{s}> <{p}{rng.randint(1, 2)}> {rng.choice(values)} .")
    if metas and rng.random() < 0.5:
        loose.add(rng.choice(metas[0].inferred_own))   # a loose triple that an article infers too
    triples = [ox.Triple(q.subject, q.predicate, q.object)
               for q in ox.parse("\n".join(sorted(loose)).encode(), format=ox.RdfFormat.N_TRIPLES)]
    return metas, triples


def _some_unchanged(rng, before: list, after: list) -> list:
    """``after`` with about half of the articles ``before`` also has put back as they were there."""
    return [m if rng.random() < 0.5 else next((b for b in before if b.key == m.key), m) for m in after]


def test_the_inferred_graph_changed_by_its_pieces_difference_holds_what_a_fresh_load_holds(tmp_path):
    """build._Pieced.patch (the difference kg add and an incremental build apply to the inferred
    graph, from what the cache says the current one is made of) against a fresh load, over random
    changes: articles added, changed and removed, loose triples come and gone, lines that Oxigraph
    stores as one quad."""
    import random
    rng = random.Random(7)
    graph = str(iris.G.INFERRED)
    cache = cachemod.Cache(tmp_path / "cache")
    differences = 0
    for _ in range(150):
        keys = [f"{n:04d}" for n in range(rng.randint(1, 5))]
        before_metas, before_loose = _state(rng, keys)
        after_metas, after_loose = _state(rng, [k for k in keys if rng.random() < 0.7] + ["0009"])
        after_metas = _some_unchanged(rng, before_metas, after_metas)
        before = build._Pieced(None, graph, before_metas, before_loose)
        after = build._Pieced(None, graph, after_metas, after_loose)
        if before.triples == 0 or after.triples == 0:
            continue
        for m in before_metas:   # the headers and pieces the difference reads the old articles' lines from
            cache.put(m.digest, {"key": m.key, "own": m.own}, {})
            nq = "".join(line[:-1] + f"<{graph}> .\n" for line in m.inferred_own).encode()
            cache.put(shard.piece_key(m.digest), {"article": m.key}, {"nq": nq})
        before.keep(cache)
        cache.put_pending()   # as the build does once its commit is done (build.keep_headers)
        st = ox.Store()
        st.bulk_extend(ox.parse(before.nquads(), format=ox.RdfFormat.N_QUADS))
        assert set(st) == _fresh(before.nquads())
        delta = after.patch(cache, before.digest)
        assert delta is not None
        oxstore._apply(st, *delta)
        assert set(st) == _fresh(after.nquads())
        assert after.triples == len([line for line in after.nquads().split(b"\n") if line])
        differences += 1
    assert differences > 100
    assert build._Pieced(None, graph, [], [ox.Triple(ox.NamedNode("https://e/s"), ox.NamedNode("https://e/p"),
                                              ox.Literal("o"))]).patch(cache, "0" * 64) is None, \
        "no record of what the graph was made of: no difference (the store loads the graph again)"


class _ProvMeta:
    """What build._provenance_patch reads of an article's header."""

    def __init__(self, key: str, lines: list[str]) -> None:
        self.key, self.provenance = key, sorted(set(lines))
        self.digest = cachemod.digest("test-provenance", key, *self.provenance)


def _provenance_state(rng, keys: list[str]):
    """Random common lines and article lines, with lines two articles share, lines both the common part
    and an article have, and Oxigraph's canonical literal collisions."""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    values = [f'"{n}"^^<{xsd}{t}>' for n in (1, 2) for t in ("integer", "nonNegativeInteger")] + ['"x"', "<https://e/o>"]
    subjects = ["https://e/dataset", "https://e/curator"] + [f"https://e/article/{k}" for k in keys]

    def line() -> str:
        return f"<{rng.choice(subjects)}> <https://e/p{rng.randint(1, 2)}> {rng.choice(values)} ."
    common = {line() for _ in range(rng.randint(0, 5))}
    metas = [_ProvMeta(k, [line() for _ in range(rng.randint(1, 5))] + rng.sample(sorted(common), min(1, len(common))))
             for k in keys if rng.random() < 0.9]
    whole = set(common).union(*(m.provenance for m in metas))
    return metas, build.Provenance(build._nt_triples(sorted(common)), sorted(whole))


def test_the_provenance_graph_changed_by_its_parts_difference_holds_what_a_fresh_load_holds(tmp_path):
    """build._provenance_patch (the difference kg add and an incremental build apply to the provenance
    graph, from its common lines and the articles added, changed and removed) against a fresh load."""
    import random
    rng = random.Random(11)
    cache = cachemod.Cache(tmp_path / "cache")
    differences = 0
    for _ in range(200):
        keys = [f"{n:04d}" for n in range(rng.randint(1, 5))]
        before_metas, before = _provenance_state(rng, keys)
        after_metas, after = _provenance_state(rng, [k for k in keys if rng.random() < 0.7] + ["0009"])
        after_metas = _some_unchanged(rng, before_metas, after_metas)
        after = build.Provenance(after.common, sorted(set(build.shard.nt_lines(after.common)).union(
            *(m.provenance for m in after_metas))))
        if not before.lines or not after.lines:
            continue
        for m in before_metas:   # the headers the difference reads the old articles' lines from
            cache.put(m.digest, {"key": m.key, "provenance": m.provenance}, {})
        build._keep_provenance_state(cache, before, before_metas, before.sha256())
        cache.put_pending()
        st = ox.Store()
        st.bulk_extend(ox.parse(before.nquads(), format=ox.RdfFormat.N_QUADS))
        delta = build._provenance_patch(cache, after, after_metas, before.sha256())
        assert delta is not None
        oxstore._apply(st, *delta)
        assert set(st) == _fresh(after.nquads())
        differences += 1
    assert differences > 150
    assert build._provenance_patch(cache, after, after_metas, "0" * 64) is None, \
        "no record of what the graph was made of: no difference (the whole one is taken)"
    gone = _ProvMeta("0000", ['<https://e/article/0000> <https://e/p1> "x" .'])
    before = build.Provenance(set(), gone.provenance)
    cache.put(gone.digest, {"key": gone.key, "provenance": gone.provenance}, {})
    build._keep_provenance_state(cache, before, [gone], before.sha256())
    cache.put_pending()
    assert build._provenance_patch(cache, after, after_metas, before.sha256()) is not None
    cache.delete(gone.digest)
    assert build._provenance_patch(cache, after, after_metas, before.sha256()) is None, \
        "the header of an article removed since is gone: no difference (the whole one is taken)"


def _corpus(n: int, dest: Path) -> Path:
    subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), str(n), "--out", str(dest), "--jobs", "1"],
                   check=True, capture_output=True)
    return dest


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("add")
    small, big = _corpus(8, d / "c8"), _corpus(9, d / "c9")
    assert (small / "entities.yaml").read_bytes() == (big / "entities.yaml").read_bytes(), \
        "article 0008 must need no new registry entry"
    return small, big


def _dumps(out: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(out).items() if not k.startswith((".cache", "store"))}


def _store(out: Path) -> set:
    return set(ox.Store.read_only(str((out / "store").resolve())))


def _sums_describe_the_files(out: Path) -> None:
    listed = dict(reversed(line.split("  ", 1)) for line in (out / "SHA256SUMS").read_text().splitlines())
    assert set(listed) == {p.name for p in out.iterdir() if p.is_file() and p.name not in ("SHA256SUMS", build.RECORD)}
    for name, sha in listed.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sha, name


@pytest.mark.parametrize("damaged", [False, True])
def test_kg_add_of_an_article_assesses_twice_patches_the_store_and_equals_a_clean_build(
        corpora, tmp_path, monkeypatch, damaged):
    small, big = corpora
    seeds = tmp_path / "seeds"
    shutil.copytree(small, seeds)
    out = tmp_path / "out"
    build.build(seeds, out, "seeds", jobs=1)
    if damaged:   # every cached copy of a shared graph's lines truncated: the store update falls back
        for entry in (out / build.CACHE_DIR).rglob("*.entry"):
            meta = cachemod.Cache(out / build.CACHE_DIR).meta(entry.stem)
            if meta is not None and "graph" in meta:
                entry.write_bytes(entry.read_bytes()[:-100])

    assessed, patched, differences = [], [], []
    real_assess, real_patch, real_difference = build.assess, oxstore._patch, build._Pieced.patch
    monkeypatch.setattr(build, "assess", lambda *a, **k: assessed.append(1) or real_assess(*a, **k))
    monkeypatch.setattr(oxstore, "_patch", lambda *a: patched.append(1) or real_patch(*a))
    monkeypatch.setattr(build._Pieced, "patch",
                        lambda *a: (lambda d: differences.append(d is not None) or d)(real_difference(*a)))
    provenance, real_provenance = [], build._provenance_patch
    monkeypatch.setattr(build, "_provenance_patch",
                        lambda *a: (lambda d: provenance.append(d is not None) or d)(real_provenance(*a)))
    article = next((big / "articles").glob("0008_*.txt"))
    applied = curate.add(seeds, "seeds", [str(article), str(big / "annotations" / "0008.yaml")], out)
    assert applied.outcome.conforms and len(assessed) == 2
    # the provenance graph by the lines of its parts that changed, from what the cache says the current one
    # is made of, not by the difference of its whole lines (damaged: neither is known, and it is loaded again)
    assert provenance == [not damaged] and patched == []
    # the inferred graph by the lines of the article added and of the loose inferences, from what the cache
    # says the current one is made of (damaged: it cannot say, and the graph is loaded again)
    assert differences == [not damaged]

    clean = tmp_path / "clean"
    monkeypatch.undo()
    build.build(seeds, clean, "seeds", jobs=1)
    assert _dumps(out) == _dumps(clean)
    assert _store(out) == _store(clean)
    _sums_describe_the_files(out)


def test_a_damaged_inferred_piece_is_computed_again(tmp_path):
    from conftest import copy_seeds
    seeds = copy_seeds(tmp_path, ("000.yaml", "001.yaml"))
    out = tmp_path / "out"
    build.build(seeds, out, "seeds", jobs=1)
    before = _dumps(out)
    cache = cachemod.Cache(out / build.CACHE_DIR)
    damaged = 0
    for entry in (out / build.CACHE_DIR).rglob("*.entry"):
        if (cache.meta(entry.stem) or {}).keys() == {"article"}:
            entry.write_bytes(entry.read_bytes()[:-50])
            damaged += 1
    assert damaged == 2
    (out / build.RECORD).unlink()   # else the rebuild, from unchanged inputs, writes nothing and reads no piece
    again = build.build(seeds, out, "seeds", jobs=1)
    assert again.rebuilt == 2 and _dumps(out) == before
    # the store loaded afresh reads the articles' own inferences from the pieces too (the headers hold
    # only where they go): damaged ones are computed again, and the store holds what it held
    stored = _store(out)
    damage = [e for e in (out / build.CACHE_DIR).rglob("*.entry") if (cache.meta(e.stem) or {}).keys() == {"article"}]
    damage[0].write_bytes(damage[0].read_bytes()[:-50])
    good = cachemod.decode(damage[1].read_bytes())
    damage[1].write_bytes(cachemod.encode(good[0], {**good[1], "nq": good[1]["nq"].split(b"\n", 1)[1]}))  # a line short
    (out / build.RECORD).unlink()
    (out / "store").unlink()
    again = build.build(seeds, out, "seeds", jobs=1)
    assert (again.rebuilt, again.store) == (2, "rewritten")
    assert _store(out) == stored and _dumps(out) == before


@pytest.mark.parametrize("quiet", [False, True])
def test_kg_add_shows_progress_on_a_terminal_only(tmp_path, quiet):
    """A real `kg add` with its stderr on a pseudo-terminal: the bar's stages, unless --quiet."""
    import os
    from conftest import ROOT, SEEDS, copy_seeds
    seeds = copy_seeds(tmp_path, ("001.yaml",))
    out = tmp_path / "out"
    build.build(seeds, out, "seeds", jobs=1)
    art = next((SEEDS / "articles").glob("002_*.txt"))
    master, slave = os.openpty()
    try:
        p = subprocess.run([sys.executable, "-m", "kg", "add", "--seeds", str(seeds), "--out", str(out),
                            *(["--quiet"] if quiet else []), str(art), str(SEEDS / "annotations" / "002.yaml")],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=slave, timeout=600)
        os.close(slave)
        err = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:   # the terminal's other end closed: all read
                break
            if not chunk:
                break
            err += chunk
    finally:
        os.close(master)
    assert p.returncode == 0 and b"added:" in p.stdout
    assert (b"dumps" in err and b"left" in err) is not quiet, err[-500:]


def test_superseded_lines_are_dropped_from_the_cache(tmp_path):
    """The shared graphs' N-Quads lines (kept for the next patch of the store) are kept for the
    current generation only: after a kg add, one entry per shared graph, under its new digest."""
    from conftest import SEEDS, copy_seeds
    seeds = copy_seeds(tmp_path, ("001.yaml",))
    out = tmp_path / "out"
    build.build(seeds, out, "seeds", jobs=1)
    cache = cachemod.Cache(out / build.CACHE_DIR)

    def lines_entries() -> dict[str, str]:
        found = {}
        for entry in (out / build.CACHE_DIR).rglob("*.entry"):
            meta = cache.meta(entry.stem) or {}
            if meta.keys() == {"graph"}:
                assert meta["graph"] not in found, "two generations' lines of one graph"
                found[meta["graph"]] = entry.stem
        return found

    first = lines_entries()
    assert len(first) >= 3   # ontology, entities, provenance (the inferred graph's pieces are kept otherwise)
    art = next((SEEDS / "articles").glob("002_*.txt"))
    curate.add(seeds, "seeds", [str(art), str(SEEDS / "annotations" / "002.yaml")], out)
    after = lines_entries()
    current = oxstore.manifest(oxstore.current(out))
    assert set(after) == set(first)
    assert after == {name: build._lines_key(name, current[name]) for name in after}
    assert after[str(iris.G.PROVENANCE)] != first[str(iris.G.PROVENANCE)], "the provenance graph changed"
    states = sorted(entry.stem for entry in (out / build.CACHE_DIR).rglob("*.entry")
                    if "articles" in (cache.meta(entry.stem) or {}))
    assert states == sorted([build._Pieced.state_key(current[str(iris.G.INFERRED)]),
                             build._provenance_state_key(current[str(iris.G.PROVENANCE)])]), \
        "what the inferred and provenance graphs are made of is kept for the current generation only"
