"""Query worker processes: each opens the store read-only and runs one job at a time.

Why processes: pyoxigraph releases the GIL while it evaluates (measured: a
thread keeps ticking beside a cartesian product), but a query cannot be
cancelled — the thread runs on after any timeout, and a parser stack overflow
(SIGSEGV) kills the whole process.  A job that outlives its time limit is
therefore stopped by killing its worker (SIGKILL), and a worker that dies is
replaced; the server process itself never runs a query.

Jobs and answers cross a pipe as small dicts: ``{"kind": …}`` in,
``{"status", "type", "headers", "body"}`` (or ``"data"`` for HTML pages) out.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import os
import re
import signal
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import negotiate as neg

_SYNTAX = re.compile(r"error at (\d+):(\d+): (.*)", re.S)


class Busy(Exception):
    """Every worker is busy and the queue is full."""


class TimedOut(Exception):
    pass


class Crashed(Exception):
    def __init__(self, exitcode):
        self.exitcode = exitcode
        sig = -exitcode if isinstance(exitcode, int) and exitcode < 0 else None
        how = f"signal {signal.Signals(sig).name}" if sig else f"exit code {exitcode}"
        super().__init__(f"the query worker died ({how}) while running this request; "
                         "the server is still up and the worker was replaced")


# ---------------------------------------------------------------- inside a worker

class _Data:
    """The store, reopened whenever ``kg build`` switches OUT/store to a new generation."""

    def __init__(self, out: Path):
        self.out = out
        self.generation = None
        self.store = None
        self.catalogue = None

    def get(self) -> ox.Store:
        from .. import iris, oxstore
        gen = str(oxstore.current_generation(self.out))   # an error saying what to do if there is no store
        if gen != self.generation:
            self.store = ox.Store.read_only(gen)   # the generation named, so its kept answers (kg.answers) agree
            iris.configure_from(self.store, self.out)  # the base this generation was built with
            self.generation = gen
        return self.store


def _answer(status: int, fmt: neg.Fmt | None, body: bytes | str, headers: dict | None = None) -> dict:
    if isinstance(body, str):
        body = body.encode("utf-8")
    return {"status": status, "type": neg.content_type(fmt) if fmt else "text/plain; charset=utf-8",
            "headers": headers or {}, "body": body}


def _truncation_headers(truncated: bool, max_rows: int) -> dict:
    return {"X-Hrkg-Truncated": f"max-rows={max_rows}"} if truncated else {}


def run_sparql(store: ox.Store, job: dict) -> dict:
    kw: dict = {}
    if job["default_graphs"] or job["named_graphs"]:
        # the protocol's dataset replaces the query's FROM / FROM NAMED (SPARQL 1.1 Protocol §2.1.4)
        kw["default_graph"] = [ox.NamedNode(g) for g in job["default_graphs"]] or ox.DefaultGraph()
        kw["named_graphs"] = [ox.NamedNode(g) for g in job["named_graphs"]]
    elif not job["has_dataset"]:
        kw["use_default_graph_as_union"] = True
    try:
        results = store.query(job["query"], **kw)
        fmt = neg.Fmt(job["fmt"])
        cap = job["max_rows"]
        if isinstance(results, ox.QueryBoolean):
            return _answer(200, fmt, neg.boolean(bool(results), fmt))
        if isinstance(results, ox.QuerySolutions):
            names = [v.value for v in results.variables]
            rows = list(itertools.islice(results, cap + 1))
            truncated = len(rows) > cap
            rows = rows[:cap]
            return _answer(200, fmt, neg.solutions(names, rows, fmt, truncated, cap), _truncation_headers(truncated, cap))
        triples = list(itertools.islice(results, cap + 1))
        truncated = len(triples) > cap
        return _answer(200, fmt, neg.graph(triples[:cap], fmt, truncated, cap), _truncation_headers(truncated, cap))
    except SyntaxError as exc:
        m = _SYNTAX.match(str(exc))
        where = f"query:{m.group(1)}:{m.group(2)}: {m.group(3)}" if m else f"query: {exc}"
        return _answer(400, None, f"{where} — the query does not parse (SPARQL 1.1 syntax)\n")
    except (OSError, RuntimeError, ValueError) as exc:
        return _answer(500, None, f"the query failed while running: {exc}\n")


class _Capped:
    """Solutions cut at the row cap, in the shape ``kg.query.render`` reads."""

    def __init__(self, results, cap: int):
        self.variables = results.variables
        self.rows = list(itertools.islice(results, cap + 1))
        self.truncated = len(self.rows) > cap
        self.rows = self.rows[:cap]

    def __iter__(self):
        return iter(self.rows)


def run_canned(data: _Data, job: dict) -> dict:
    from .. import query as q
    from ..errors import KgError
    store = data.get()
    if data.catalogue is None:
        data.catalogue = q.catalogue(Path(job["queries"]))
    cq = data.catalogue[job["slug"]]
    try:
        # a first page the build kept with this generation (kg.answers) is answered from it
        results = q.evaluate(store, cq, q.bind_params(cq, store, job["params"]), job.get("limit"), job.get("offset", 0),
                             Path(data.generation))
    except KgError as exc:
        # kg.query speaks to the command line; on the web the parameter is a URL parameter
        return _answer(400, None, str(exc).replace("--param ", "") + "\n")
    headers = {}
    if isinstance(results, (ox.QuerySolutions, q.Rows)):
        results = _Capped(results, job["max_rows"])
        headers = _truncation_headers(results.truncated, job["max_rows"])
    fmt = q.Format(job["fmt"])
    media = {q.Format.JSON: "application/json", q.Format.CSV: "text/csv",
             q.Format.TSV: "text/tab-separated-values", q.Format.TABLE: "text/plain"}[fmt]
    answer = _answer(200, None, q.render(results, fmt), headers)
    answer["type"] = media + "; charset=utf-8"
    return answer


def execute(data: _Data, job: dict) -> dict:
    kind = job["kind"]
    if kind == "sparql":
        return run_sparql(data.get(), job)
    if kind == "canned":
        return run_canned(data, job)
    if kind == "describe":
        from . import describe
        return describe.answer(data.get(), job)
    if kind == "page":  # the web page's JSON (kg/serve/pagedata.py)
        from . import pagedata
        return pagedata.answer(data.get(), job)
    if kind == "graphs":
        return {"status": 200, "data": sorted(g.value for g in data.get().named_graphs())}
    raise ValueError(f"unknown job kind {kind!r}")


def _main(conn, out: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    data = _Data(Path(out))
    try:
        data.get()
        conn.send({"ready": True})
        from .. import query  # noqa: F401 - warm up (rdflib) while idle, not during the first canned query
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which refuses to start
        conn.send({"ready": False, "error": str(exc)})
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            answer = execute(data, job)
        except Exception as exc:  # noqa: BLE001 - one bad job must not end the worker
            answer = _answer(500, None, f"internal error: {type(exc).__name__}: {exc}\n")
        conn.send(answer)


# ---------------------------------------------------------------- the pool, in the server

@dataclass(eq=False)
class _Worker:
    proc: multiprocessing.process.BaseProcess
    conn: object


class Pool:
    def __init__(self, out: Path, size: int, queue: int):
        self.out, self.size, self.queue = out, size, queue
        self.ctx = multiprocessing.get_context("spawn")
        self.idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self.waiting = 0
        self.workers: set[_Worker] = set()
        self.replaced = 0

    async def start(self) -> None:
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def _spawn(self) -> None:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_main, args=(child, str(self.out)), daemon=True)
        proc.start()
        child.close()
        worker = _Worker(proc, parent)
        hello = await self._receive(worker, 60)
        if not hello.get("ready"):
            proc.join()
            raise RuntimeError(hello.get("error", "the worker did not start"))
        self.workers.add(worker)
        self.idle.put_nowait(worker)

    async def _receive(self, worker: _Worker, timeout: float):
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = worker.conn.fileno()
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
        try:
            await asyncio.wait_for(ready, timeout)
        except asyncio.TimeoutError:
            raise TimedOut() from None
        finally:
            loop.remove_reader(fd)
        # uvloop (libuv) makes a polled fd non-blocking; a message read half-way would then fail
        os.set_blocking(fd, True)
        try:
            return worker.conn.recv()
        except (EOFError, OSError):
            worker.proc.join(5)
            raise Crashed(worker.proc.exitcode) from None

    def _discard(self, worker: _Worker) -> None:
        self.workers.discard(worker)
        if worker.proc.is_alive():
            worker.proc.kill()
        worker.proc.join(5)
        worker.conn.close()
        self.replaced += 1
        asyncio.get_running_loop().create_task(self._respawn())

    async def _respawn(self) -> None:
        for attempt in range(5):
            try:
                return await self._spawn()
            except (RuntimeError, Crashed, TimedOut, OSError):
                await asyncio.sleep(1 + attempt)

    async def run(self, job: dict, timeout: float) -> dict:
        if self.idle.empty() and self.waiting >= self.queue:
            raise Busy()
        self.waiting += 1
        try:
            worker = await self.idle.get()
        finally:
            self.waiting -= 1
        try:
            worker.conn.send(job)
            answer = await self._receive(worker, timeout)
        except BaseException:  # timed out, crashed, or the request was cancelled: the worker is not reusable
            self._discard(worker)
            raise
        self.idle.put_nowait(worker)
        return answer

    def close(self) -> None:
        for worker in list(self.workers):
            worker.proc.kill()
            worker.proc.join(5)
        self.workers.clear()
