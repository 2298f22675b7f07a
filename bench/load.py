"""A bounded loopback load test of `kg serve`: throughput, p50, p99 and error rate.

Starts `kg serve` on a free loopback port (or uses --url), then for each number of
connections runs the canned queries (each with its default parameters, JSON; one
warm-up pass first) in a closed loop for --seconds, and prints one line per level; with --hostile the same
again while one connection keeps sending a query that runs into the time limit.
--soak S runs S seconds at a fixed rate (--rate, requests/s) and samples the RSS
of the server and its workers every second.  It always stops by itself.

    .venv/bin/python bench/load.py --out build                       # 1 4 16 64 connections, 10 s each
    .venv/bin/python bench/load.py --out build --server-args="--cache 0"
    .venv/bin/python bench/load.py --out build --soak 300 --rate 400
    .venv/bin/python bench/load.py --out build --short --json        # the CI form: a few seconds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg import query as q  # noqa: E402

HOSTILE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def targets() -> list[str]:
    return [f"/queries/{slug}?format=json" for slug in q.catalogue()]


def start(out: str, extra: list[str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--out", out, "--port", "0", *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("serving "):
        proc.kill()
        raise SystemExit(f"kg serve did not start: {line}")
    url = line.split(" on ", 1)[1].split("/ ", 1)[0]
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(url + "/").status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("kg serve did not answer within 60 s")


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (KiB), from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, StopIteration):
            pass
    return total


class Conn:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: the load generator must cost
    less CPU than the server it measures (httpx costs a few ms per request on this machine)."""

    def __init__(self, url: str):
        self.host, _, port = url.split("://", 1)[1].partition(":")
        self.port = int(port or 80)
        self.reader = self.writer = None

    async def get(self, path: str) -> int:
        for attempt in (0, 1):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: */*\r\n\r\n".encode())
                head = await self.reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next((int(h.split(b":", 1)[1]) for h in head.split(b"\r\n")
                               if h.lower().startswith(b"content-length:")), 0)
                await self.reader.readexactly(length)
                return status
            except (OSError, asyncio.IncompleteReadError, ValueError):
                await self.close()
                if attempt:
                    raise
        return 0

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def level(url: str, connections: int, seconds: float, hostile: bool, rate: float = 0.0) -> dict:
    paths = targets()
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections + 1, max_keepalive_connections=connections + 1)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        async def worker(k: int) -> None:
            nonlocal errors
            i = k
            gap = connections / rate if rate else 0.0
            next_at = time.perf_counter()
            conn = Conn(url)
            while time.perf_counter() < stop:
                if gap:
                    next_at += gap
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                t0 = time.perf_counter()
                try:
                    ok = await conn.get(paths[i % len(paths)]) == 200
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                latencies.append(time.perf_counter() - t0)
                errors += not ok
                i += 1
            await conn.close()

        async def attacker() -> dict:
            cut = 0
            while time.perf_counter() < stop:
                try:
                    resp = await client.post("/sparql", data={"query": HOSTILE + f" # {time.time()}"})
                    cut += resp.status_code == 504
                except httpx.HTTPError:
                    pass
            return {"hostile_cut": cut}

        t0 = time.perf_counter()
        jobs = [worker(k) for k in range(connections)]
        results = await asyncio.gather(*jobs, *([attacker()] if hostile else []))
        elapsed = time.perf_counter() - t0
    latencies.sort()
    n = len(latencies)
    out = {"connections": connections, "hostile": hostile, "requests": n, "seconds": round(elapsed, 2),
           "rps": round(n / elapsed, 1), "p50_ms": round(1000 * statistics.median(latencies), 1) if n else None,
           "p99_ms": round(1000 * latencies[min(n - 1, int(0.99 * n))], 1) if n else None,
           "error_rate": round(errors / n, 4) if n else None}
    if hostile:
        out.update(results[-1])
    return out


def line(r: dict) -> str:
    extra = f"  hostile queries cut: {r['hostile_cut']}" if r.get("hostile") else ""
    return (f"{r['connections']:>4} conn{' +hostile' if r['hostile'] else '         '}  {r['requests']:>7} req  "
            f"{r['rps']:>8.1f} req/s  p50 {r['p50_ms']:>7.1f} ms  p99 {r['p99_ms']:>7.1f} ms  "
            f"errors {100 * r['error_rate']:.2f} %{extra}")


async def soak(url: str, pid: int | None, seconds: float, rate: float, connections: int) -> dict:
    samples: list[int] = []

    async def sample():
        end = time.time() + seconds
        while time.time() < end:
            if pid:
                samples.append(rss_kib(pid))
            await asyncio.sleep(1)

    result, _ = await asyncio.gather(level(url, connections, seconds, False, rate), sample())
    if samples:
        result.update({"rss_first_mib": round(samples[0] / 1024, 1), "rss_max_mib": round(max(samples) / 1024, 1),
                       "rss_last_mib": round(samples[-1] / 1024, 1)})
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="an already running kg serve (default: start one on --out)")
    p.add_argument("--out", default="build", help="build directory to serve (default: build)")
    p.add_argument("--server-args", default="", help="extra options for kg serve, e.g. '--cache 0 --workers 2'")
    p.add_argument("--connections", default="1,4,16,64", help="comma-separated levels (default: 1,4,16,64)")
    p.add_argument("--seconds", type=float, default=10.0, help="seconds per level (default: 10)")
    p.add_argument("--no-hostile", action="store_true", help="skip the levels with a hostile query running")
    p.add_argument("--soak", type=float, default=0.0, help="then run this many seconds at --rate, sampling RSS")
    p.add_argument("--rate", type=float, default=100.0, help="requests per second during --soak")
    p.add_argument("--short", action="store_true", help="CI form: 1 and 4 connections, 1 s each, a few seconds in all")
    p.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    args = p.parse_args(argv)
    levels = [1, 4] if args.short else [int(c) for c in args.connections.split(",")]
    seconds = 1.0 if args.short else args.seconds
    proc = None
    url = args.url
    if not url:
        proc, url = start(args.out, shlex.split(args.server_args))
    try:
        for path in targets():  # one pass first, so that every level measures the same (warm) server
            httpx.get(url + path, timeout=120)
        results = []
        for hostile in ([False] if args.no_hostile else [False, True]):
            for n in levels:
                r = asyncio.run(level(url, n, seconds, hostile))
                results.append(r)
                print(json.dumps(r) if args.json else line(r), flush=True)
        if args.soak:
            r = asyncio.run(soak(url, proc.pid if proc else None, args.soak, args.rate, 16))
            print(json.dumps(r) if args.json else line(r) + f"  RSS MiB first {r.get('rss_first_mib')} "
                  f"max {r.get('rss_max_mib')} last {r.get('rss_last_mib')}", flush=True)
    finally:
        if proc:
            proc.send_signal(2)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
