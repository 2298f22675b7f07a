"""The built graph as an Oxigraph on-disk store: ``OUT/store``, switched atomically.

``OUT/store`` is a symbolic link to a generation directory ``OUT/.store-<digest>``.
A build (or ``kg add``) writes a new generation beside the current one and then
replaces the link with ``os.replace`` (atomic on POSIX), so a reader that opens
``OUT/store`` sees the old store or the new one, never a half-written one.  A
generation is never written to after the switch: Oxigraph documents reading a
store that another process writes as undefined behaviour.  The previous
generation is kept until the next switch, for readers that still have it open.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import shutil
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from . import journal
from .errors import UsageError

STORE = "store"
_PREFIX = ".store-"


def path(out: Path) -> Path:
    return out / STORE


def exists(out: Path) -> bool:
    return path(out).is_dir()


def open_read_only(out: Path) -> ox.Store:
    """The current generation of ``OUT/store``, read-only."""
    return ox.Store.read_only(str(current_generation(out)))


def current_generation(out: Path) -> Path:
    """The directory ``OUT/store`` names now (an error saying what to do if there is none)."""
    link = path(out)
    if not link.is_dir():
        raise UsageError(f"{link}: no built store here — run `kg build` first (or pass --data FILE)")
    return link.resolve()


def current(out: Path) -> Path | None:
    link = path(out)
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def generation_name(key: str) -> str:
    """Generations are named after a digest of the graphs they hold."""
    return _PREFIX + key[:16]


def new_generation(out: Path, key: str) -> Path:
    """A fresh, empty directory name for the next generation (never an existing one)."""
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    while True:
        gen = out / f"{generation_name(key)}{'-' + str(n) if n else ''}"
        if not gen.exists():
            return gen
        n += 1


def write_generation(out: Path, nquads: Path | bytes, key: str) -> Path:
    """A new generation (not yet current) bulk-loaded from N-Quads, for stores made outside a build."""
    gen = new_generation(out, hashlib.sha256(key.encode()).hexdigest())
    try:
        st = ox.Store(str(gen))
        if isinstance(nquads, Path):
            st.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        else:
            st.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
        st.flush()
        del st
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    return gen


MANIFEST = "hrkg-graphs.json"
# how many times a generation's data has been changed in place since it was bulk-loaded or compacted
UPDATES = "hrkg-updates.json"
# after this many in-place updates, kg build compacts the store (Oxigraph's optimize: RocksDB's levels
# merged): each update leaves its files beside the levels, which every later read goes through
COMPACT_AFTER = 8
# above this share of graphs changed, a fresh bulk load is cheaper than an update
_REWRITE_SHARE = 0.25


def manifest(gen: Path | None) -> dict[str, str]:
    """The digest of every named graph a generation holds (written by :func:`update`)."""
    if gen is None:
        return {}
    try:
        data = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def updates(gen: Path | None) -> int:
    """The in-place updates a generation holds since it was bulk-loaded or compacted (0 if not recorded)."""
    if gen is None:
        return 0
    try:
        n = json.loads((gen / UPDATES).read_text(encoding="utf-8")).get("updates", 0)
        return n if isinstance(n, int) and n >= 0 else 0
    except (OSError, ValueError, AttributeError):
        return 0


def _write_updates(gen: Path, n: int) -> None:
    (gen / UPDATES).write_text(json.dumps({"updates": n}) + "\n", encoding="utf-8")


def due(gen: Path | None) -> bool:
    """Whether a generation has had enough in-place updates to be compacted (:data:`COMPACT_AFTER`)."""
    return updates(gen) >= COMPACT_AFTER


def compact(out: Path, tx: "journal.Transaction") -> Path:
    """A compacted copy of the current generation, to be switched to when ``tx`` commits: the same quads
    (a RocksDB checkpoint, then Oxigraph's ``optimize``), its manifest and its kept first pages (a
    generation's answers are a function of its quads alone)."""
    cur = current(out)
    if cur is None:  # pragma: no cover - the caller checked
        raise UsageError(f"{path(out)}: no store to compact")
    gen = new_generation(out, cur.name.removeprefix(_PREFIX).split("-")[0])
    try:
        ox.Store.read_only(str(cur)).backup(str(gen))
        st = ox.Store(str(gen))
        st.optimize()
        del st
        shutil.copy2(cur / MANIFEST, gen / MANIFEST)
        from . import answers
        if (cur / answers.DIR).is_dir():
            shutil.copytree(cur / answers.DIR, gen / answers.DIR, ignore=shutil.ignore_patterns(".*"))
        _write_updates(gen, 0)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    tx.link(path(out), gen.name, [cur.name], _PREFIX)
    return gen


def _quads(nq: bytes):
    return ox.parse(nq, format=ox.RdfFormat.N_QUADS)


def update(out: Path, digests: dict[str, str], nq_of: Callable[[str], bytes],
           tx: journal.Transaction, previous: Callable[[str, str], bytes | None] | None = None,
           patch_of: Callable[[str, str], tuple[bytes, bytes] | None] | None = None,
           beside: Callable[[Callable[[], Path]], None] | None = None, compact: bool = True) -> str:
    """Make ``OUT/store`` hold exactly the graphs ``digests`` names.

    Unchanged store: nothing is done.  A few graphs changed: the current
    generation is copied (a RocksDB checkpoint: hard links, no data copied), and
    in the copy each changed graph is brought to its new content: by the
    difference of its N-Quads lines where ``previous(graph, digest)`` still has
    the lines the current generation was loaded from (a shared graph that a
    ``kg add`` changes by a few hundred quads of 200,000), else by removing it
    and loading it again; or, where ``patch_of(graph, digest)`` gives them, by the N-Quads lines to
    remove and to add that it says make that graph the new one.  Many changed (or no usable current store): a new
    generation is bulk-loaded.  The switch to the new generation is planned in
    ``tx``, to happen when it commits.

    ``beside(generation)``, if given, is run in any case: in this thread while a fresh generation is
    bulk-loaded in another (the loader holds no GIL), else after the update (or at once, unchanged);
    ``generation()`` waits for the store to be done and gives its directory.  The switch is planned
    only after both are done, and a failure of either leaves no generation behind.
    An update in place that is the :data:`COMPACT_AFTER`-th since the last bulk load or compaction
    compacts the copy too, if ``compact`` (``kg build``; ``kg add`` compacts after its dumps, to stay
    queryable in seconds: :func:`compact`).  Returns what was done, for the summary.
    """
    cur = current(out)
    old = manifest(cur)
    if old == digests and cur is not None:
        if beside is not None:
            beside(lambda: cur)
        return "unchanged"
    changed = sorted(n for n, d in digests.items() if old.get(n) != d)
    removed = sorted(set(old) - set(digests))
    key = json.dumps(digests, sort_keys=True)
    gen = new_generation(out, hashlib.sha256(key.encode()).hexdigest())
    incremental = bool(old) and len(changed) + len(removed) <= max(8, _REWRITE_SHARE * len(digests))
    compacted = False
    try:
        if not incremental:
            with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kg-store") as pool:
                loading = pool.submit(_load_fresh, gen, sorted(digests), nq_of, digests)
                try:
                    if beside is not None:
                        beside(lambda: (loading.result(), gen)[1])
                except BaseException:
                    concurrent.futures.wait([loading])   # beside's error is the one raised
                    raise
                loading.result()
        else:
            ox.Store.read_only(str(cur)).backup(str(gen))
            st = ox.Store(str(gen))
            for name in removed:
                st.remove_graph(ox.NamedNode(name))
            for name in changed:
                delta = patch_of(name, old[name]) if patch_of is not None and name in old else None
                if delta is not None:
                    _apply(st, *delta)
                    continue
                before = previous(name, old[name]) if previous is not None and name in old else None
                if before is None:
                    st.remove_graph(ox.NamedNode(name))
                    st.bulk_extend(_quads(nq_of(name)))
                else:
                    _patch(st, before, nq_of(name))
            st.flush()
            n = updates(cur) + 1
            if compact and n >= COMPACT_AFTER:   # as a fresh load ends: its writes merged into the levels
                st.optimize()
                n, compacted = 0, True
            del st
            (gen / MANIFEST).write_text(json.dumps(digests, sort_keys=True, indent=0), encoding="utf-8")
            _write_updates(gen, n)
            if beside is not None:
                beside(lambda: gen)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    tx.link(path(out), gen.name, [cur.name] if cur is not None else [], _PREFIX)
    if not incremental:
        return "rewritten"
    return f"updated ({len(changed) + len(removed)} graphs)" + (", compacted" if compacted else "")


_BATCH = 64 << 20   # bytes of N-Quads a bulk load is given at a time


def _load_fresh(gen: Path, names: list[str], nq_of: Callable[[str], bytes], digests: dict[str, str]) -> None:
    """Bulk-load a new generation from every graph's N-Quads, in batches of bytes: pyoxigraph parses
    and loads them without the GIL, so the caller's thread goes on meanwhile (the Python-object
    iterator of ``bulk_extend`` held it for every quad, at about the same speed alone).  ``lenient``: the
    lines are pyoxigraph's own serialisation of terms it parsed and validated, so validating their IRIs
    again is skipped (1,000 articles: 13.4 → 11.7 s; tests/test_scale.py holds the store to a strict
    load of kg.nq)."""
    st = ox.Store(str(gen))
    batch: list[bytes] = []
    size = 0
    for name in names:
        nq = nq_of(name)
        batch.append(nq)
        size += len(nq)
        if size >= _BATCH:
            st.bulk_load(b"".join(batch), format=ox.RdfFormat.N_QUADS, lenient=True)
            batch, size = [], 0
    if batch:
        st.bulk_load(b"".join(batch), format=ox.RdfFormat.N_QUADS, lenient=True)
    st.flush()
    st.optimize()
    del st
    (gen / MANIFEST).write_text(json.dumps(digests, sort_keys=True, indent=0), encoding="utf-8")


def _patch(st: ox.Store, before: bytes, after: bytes) -> None:
    """Change a graph held as the N-Quads lines ``before`` into ``after``, quad by quad.

    Oxigraph keeps some literals in a canonical form (``"5"^^xsd:nonNegativeInteger``
    is stored as ``"5"^^xsd:integer``), so two different lines can be one stored
    quad: removing a line that is gone may remove a quad that a kept line still
    needs.  Every kept line with the subject and predicate of a removed one is
    therefore added again (adding a quad the store holds changes nothing).
    """
    old, new = set(before.split(b"\n")), set(after.split(b"\n"))
    old.discard(b"")
    new.discard(b"")
    gone, come = old - new, new - old
    if gone:
        keys = {tuple(line.split(b" ", 2)[:2]) for line in gone}
        come |= {line for line in new if tuple(line.split(b" ", 2)[:2]) in keys}
    _apply(st, b"\n".join(sorted(gone)) + b"\n" if gone else b"", b"\n".join(sorted(come)) + b"\n" if come else b"")


def _apply(st: ox.Store, gone: bytes, come: bytes) -> None:
    """Remove the quads of the N-Quads ``gone``, then add those of ``come``."""
    if gone:
        for q in _quads(gone):
            st.remove(q)
    if come:
        st.extend(list(_quads(come)))


def staged(out: Path, tx: "journal.Transaction") -> Path:
    """The generation ``OUT/store`` will point at once ``tx`` commits (the current one if unchanged)."""
    for step in reversed(tx.steps):
        if step[0] == "link" and Path(step[1]) == path(out):
            return out / step[2]
    cur = current(out)
    if cur is None:  # pragma: no cover
        raise UsageError(f"{path(out)}: no store to describe")
    return cur


def switch(out: Path, gen: Path) -> None:
    """Make ``gen`` the current store (atomically); drop generations older than the previous one."""
    previous = current(out)
    journal.apply({"steps": [["link", str(path(out)), gen.name, [previous.name] if previous else [], _PREFIX]],
                   "dirs": []})
