"""Answers kept with a store generation: each canned query's first page, computed once by the build.

A listing's first page at 10,000 articles costs its evaluation (0.5–25 s: ``corroborated-claims``
aggregates about 500 claims for each of its rows), and a ``kg query`` process or a just-started
``kg serve`` paid it every time.  A store generation never changes once it is written, so the answer of
a query to it never changes either: ``kg build`` and ``kg add`` compute, for every query of the
catalogue, its first ``PAGE`` rows with its parameters' defaults (the job the web page and the query
list make) and keep them in the generation's directory, ``OUT/.store-…/hrkg-answers/``.
:func:`kg.query.evaluate`, given the generation, answers from them whatever rows they hold (a page
within the first ``PAGE`` rows, or any page or the whole answer when the query has no more rows than
that); anything else is evaluated as before.

A kept answer is a cache, never trusted blindly: it is named by a digest of everything its rows are a
function of besides the generation (the query's three texts, the parameters bound as terms, the page
size, pyoxigraph's version and this code), carries the SHA-256 of its body, and a missing, damaged or
foreign file reads as a miss.  The answers are computed by ``jobs`` forked processes, each given one
at a time; one that runs past the time limit is killed (and another forked for the rest), so a slow
query in an edited catalogue cannot hold a build up: its first page is then left to be computed on
request.  Deleting the directory only makes the next requests
evaluate again (the next ``kg build`` writes the answers back).  ``tests/test_answers.py`` holds every
kept page, in every format, to the bytes of the evaluation.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import query as q
from .errors import KgError

DIR = "hrkg-answers"   # in a store generation's directory, beside its hrkg-graphs.json
PAGE = 200             # rows kept: the first page of kg serve's web page and query list (kg.serve.app.PAGE_ROWS)
SECONDS = 300.0        # what one answer may take to compute before its process is stopped
_FORMAT = 1


@functools.cache
def _code() -> str:
    """The code a kept answer's rows come from: this module, kg.query's evaluation and rendering."""
    h = hashlib.sha256()
    for mod in (__file__, q.__file__):
        h.update(Path(mod).read_bytes())
    return h.hexdigest()


def key(cq: q.CannedQuery, bindings: dict) -> str:
    """The name of ``cq``'s kept first page for these bindings (in any generation)."""
    job = {"format": _FORMAT, "code": _code(), "oxigraph": ox.__version__, "page": PAGE,
           "text": cq.text, "keys": cq.keys, "rows": cq.rows, "order_here": cq.order_here, "lead": cq.lead,
           "narrow": cq.narrow, "count": cq.count, "at_most": cq.at_most,
           "bindings": {name: str(term) for name, term in sorted(bindings.items())}}
    return hashlib.sha256(json.dumps(job, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def path(gen: Path, name: str) -> Path:
    return gen / DIR / f"{name}.json"


# ---------------------------------------------------------------- terms

def _term(doc: dict):
    kind = doc["type"]
    if kind == "uri":
        return ox.NamedNode(doc["value"])
    if kind == "bnode":
        return ox.BlankNode(doc["value"])
    if kind == "literal":
        if "xml:lang" in doc:
            return ox.Literal(doc["value"], language=doc["xml:lang"])
        return ox.Literal(doc["value"], datatype=ox.NamedNode(doc["datatype"])) if "datatype" in doc else ox.Literal(doc["value"])
    if kind == "triple":
        v = doc["value"]
        return ox.Triple(_term(v["subject"]), _term(v["predicate"]), _term(v["object"]))
    raise ValueError(f"unknown term type {kind!r}")


class Solution:
    """One kept row, read as a pyoxigraph solution is (``sol[name]`` or ``sol[Variable]``; None when unbound)."""

    __slots__ = ("_terms",)

    def __init__(self, terms: dict) -> None:
        self._terms = terms

    def __getitem__(self, name):
        return self._terms.get(name.value if isinstance(name, ox.Variable) else name)


# ---------------------------------------------------------------- reading

def _read(file: Path) -> dict | None:
    """The kept answer in ``file``, or None if it is missing or not intact."""
    try:
        data = file.read_bytes()
    except OSError:
        return None
    body, sep, check = data.rstrip(b"\n").rpartition(b"\n")
    if not sep or hashlib.sha256(body).hexdigest().encode() != check:
        return None
    try:
        doc = json.loads(body)
        return doc if isinstance(doc, dict) and doc.get("format") == _FORMAT else None
    except ValueError:
        return None


def lookup(gen: Path, cq: q.CannedQuery, bindings: dict, limit: int | None, offset: int = 0) -> q.Rows | None:
    """Rows ``offset`` to ``offset + limit`` of ``cq``'s answer (all of them for ``limit`` None), from the
    first page kept in generation ``gen``, or None where it does not hold them (not kept, damaged, or
    rows past the page of a query that has more)."""
    if offset < 0 or (limit is not None and limit < 0):
        return None
    name = key(cq, bindings)
    doc = _read(path(gen, name))
    if doc is None or doc.get("key") != name:
        return None
    end = None if limit is None else offset + limit
    if doc.get("complete") is not True and (end is None or end > PAGE):
        return None
    try:
        variables = [ox.Variable(v) for v in doc["variables"]]
        rows = [Solution({v: _term(t) for v, t in zip(doc["variables"], row) if t is not None})
                for row in doc["rows"][offset:end]]
    except (KeyError, TypeError, ValueError):
        return None
    return q.Rows(variables, rows)


# ---------------------------------------------------------------- computing

def _document(name: str, slug: str, results) -> bytes | None:
    """A first page as the bytes kept, or None if it cannot be kept exactly (a term JSON does not give back)."""
    variables = [v.value for v in results.variables]
    rows = []
    for sol in results:
        row = []
        for v in variables:
            t = sol[v]
            if t is None:
                row.append(None)
                continue
            doc = q.json_term(t)
            if _term(doc) != t:
                return None
            row.append(doc)
        rows.append(row)
    complete = len(rows) <= PAGE
    body = json.dumps({"format": _FORMAT, "key": name, "query": slug, "variables": variables,
                       "rows": rows[:PAGE], "complete": complete}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")
    return body + b"\n" + hashlib.sha256(body).hexdigest().encode() + b"\n"


def _write(file: Path, data: bytes) -> None:
    file.parent.mkdir(exist_ok=True)
    tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, file)   # a reader sees the whole file or none


def _remove_partial(gen: Path, pid: int) -> None:
    """A killed worker's half-written page (its ``_write`` temporary file), which nothing else removes."""
    folder = gen / DIR
    for tmp in folder.glob(f".*.{pid}.tmp") if folder.is_dir() else ():
        tmp.unlink(missing_ok=True)


_JOBS: tuple | None = None   # what the forked processes compute (inherited, never pickled)


def _die_with(parent: int) -> None:
    """End this process when the one that forked it ends (Linux's ``PR_SET_PDEATHSIG``): a worker killed
    with it would otherwise go on holding what it inherited, the seeds' lock among them (a ``kg add`` killed
    while its answers were computed left the next command waiting for that lock).  Linux sends it when the
    forking *thread* ends: :func:`fill` forks and joins its workers within one call, in one thread."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # 1: PR_SET_PDEATHSIG
    except (AttributeError, OSError):  # pragma: no cover - not Linux: the pipe's end stops the worker instead
        pass
    if os.getppid() != parent:   # it ended before that was set
        os._exit(0)


def _worker(conn, parent: int, theirs: list) -> None:
    """Compute the answers the parent names, one at a time, in one store opened read-only."""
    _die_with(parent)
    for other in theirs:   # the parent's ends of the pipes, inherited: closed, so that its end is seen here
        other.close()
    gc.freeze()   # what the child was forked with is read, never freed (as kg.build's forked pass does)
    gen, todo = _JOBS
    try:
        store = ox.Store.read_only(str(gen))
        while (i := conn.recv()) is not None:
            cq, bindings, name = todo[i]
            try:
                results = q.evaluate(store, cq, bindings, PAGE + 1, 0)
                data = _document(name, cq.slug, results) if isinstance(results, (ox.QuerySolutions, q.Rows)) else None
                if data is None:
                    conn.send("its answer is not rows of terms that kept JSON gives back exactly")
                else:
                    _write(path(gen, name), data)
                    conn.send(None)
            except Exception as exc:  # noqa: BLE001 - told to the parent, which goes on without this answer
                conn.send(f"{type(exc).__name__}: {exc}")
    except BaseException:  # noqa: BLE001 - the parent reads the closed pipe as this process's end
        pass
    finally:
        conn.close()
        os._exit(0)


@dataclass
class Filled:
    """What :func:`fill` did, for the summary and the tests."""

    kept: list[str] = field(default_factory=list)        # already kept for this generation
    computed: list[str] = field(default_factory=list)
    not_asked: dict[str, str] = field(default_factory=dict)   # slug -> why (a default the registry lacks)
    failed: dict[str, str] = field(default_factory=dict)      # slug -> what happened (stopped at the time limit …)
    seconds: float = 0.0

    def line(self) -> str:
        parts = [f"{len(self.kept) + len(self.computed)} first pages kept ({len(self.computed)} computed)"]
        if self.not_asked:
            parts.append(f"{len(self.not_asked)} not asked (a default the registry lacks: {', '.join(sorted(self.not_asked))})")
        if self.failed:
            parts.append(f"{len(self.failed)} left to be computed on request "
                         f"({'; '.join(f'{s}: {w}' for s, w in sorted(self.failed.items()))})")
        return "; ".join(parts)


def fill(gen: Path, jobs: int | None = None, seconds: float = SECONDS, catalogue: dict | None = None) -> Filled:
    """Compute into generation ``gen`` the first page of every query of ``catalogue`` (the project's by
    default) with its parameters' defaults, where it is not kept already; ``jobs`` processes at a time,
    each stopped after ``seconds``."""
    from . import iris
    t0 = time.perf_counter()
    done = Filled()
    cat = catalogue if catalogue is not None else q.catalogue()
    try:
        store = ox.Store.read_only(str(gen))
    except OSError as exc:   # the build succeeded; its queries are evaluated on request instead
        done.failed = {slug: f"the store did not open: {exc}" for slug in sorted(cat)}
        return done
    todo = []
    try:
        recorded = iris.recorded_base(store)
        with iris.using(recorded) if recorded else contextlib.nullcontext():
            for slug, cq in sorted(cat.items()):
                try:
                    bindings = q.bind_params(cq, store, {})
                except KgError as exc:   # a default this registry lacks (a generated corpus has no `putin`)
                    done.not_asked[slug] = str(exc).split(" — ")[0]
                    continue
                name = key(cq, bindings)
                doc = _read(path(gen, name))
                if doc is not None and doc.get("key") == name:
                    done.kept.append(slug)
                else:
                    todo.append((cq, bindings, name))
    finally:
        del store   # closed before any fork
    if todo:
        _run(gen, todo, max(1, jobs or os.cpu_count() or 1), seconds, done)
    done.seconds = time.perf_counter() - t0
    return done


def _fork(gen: Path, todo: list, ours: list):
    """A worker process; ``ours``: the ends of the other workers' pipes this process holds."""
    global _JOBS
    here, there = multiprocessing.get_context("fork").Pipe()
    _JOBS = (gen, todo)
    try:
        proc = multiprocessing.get_context("fork").Process(target=_worker, args=(there, os.getpid(), [here, *ours]),
                                                           daemon=True)
        proc.start()
    finally:
        _JOBS = None
        there.close()   # the child's end: once the child is gone, a read here ends instead of waiting
    ours.append(here)
    return here, proc


def _run(gen: Path, todo: list, jobs: int, seconds: float, done: Filled) -> None:
    """``todo`` computed by up to ``jobs`` forked processes, each given one answer at a time; one that
    takes longer than ``seconds`` is killed (its answer left out) and another forked for the rest."""
    queue = list(range(len(todo)))
    ours: list = []
    idle = [_fork(gen, todo, ours) for _ in range(min(jobs, len(todo)))]
    busy: dict = {}    # connection -> (process, index of the answer, deadline)
    try:
        while queue or busy:
            while queue and idle:
                conn, proc = idle.pop()
                i = queue.pop(0)
                conn.send(i)
                busy[conn] = (proc, i, time.monotonic() + seconds)
            wait = max(0.0, min(d for _, _, d in busy.values()) - time.monotonic())
            ready = multiprocessing.connection.wait(list(busy), wait)
            for conn, (proc, i, deadline) in list(busy.items()):
                if conn in ready:
                    try:
                        problem, alive = conn.recv(), True
                    except EOFError:
                        proc.join()
                        problem, alive = f"its process ended without an answer (exit code {proc.exitcode})", False
                elif time.monotonic() >= deadline:
                    proc.kill()
                    proc.join()
                    _remove_partial(gen, proc.pid)
                    problem, alive = f"stopped after {seconds:g} s", False
                else:
                    continue
                del busy[conn]
                slug = todo[i][0].slug
                if problem is None:
                    done.computed.append(slug)
                else:
                    done.failed[slug] = problem
                if alive:
                    idle.append((conn, proc))
                else:
                    ours.remove(conn)
                    conn.close()
                    if queue:
                        idle.append(_fork(gen, todo, ours))
    finally:
        for conn, proc in idle + [(c, p) for c, (p, _, _) in busy.items()]:
            try:
                conn.send(None)   # done: the worker ends
            except OSError:
                pass
            conn.close()
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
