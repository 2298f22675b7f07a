"""The web page's JSON routes (and the page itself) on a large store: the seeds' articles copied N/5 times.

    .venv/bin/python bench/webscale.py 10000 [--keep DIR]

Builds the seeds, writes a store in which every article graph appears N/5 times (article/000 becomes
article/000x0001 … with its claims, evidence and text; the registry, ontology and provenance once), serves
it with `kg serve` and times, over HTTP, each route the page uses: the canned question list, the headline
question (10,000 rows at most), the entity suggestions, one claim's evidence, the timeline (its extent, whole,
the page's first window, one month) and the network; then, in chromium, the page's load, the headline question,
the timeline and the network as the page draws them.  Prints one line per route (median of 5, max).
This is not the bench corpus (bench/corpus.py, whose build takes long on this machine): it has the
same shape per article, with the seeds' texts.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARTICLE = re.compile(r"(https://hrkg\.example\.org/chechnya-2017/(?:graph/)?article/\d{3})")
TIMEOUT = 30  # seconds per query, as `kg serve --timeout`
GRAPH = re.compile(r"<https://hrkg\.example\.org/chechnya-2017/graph/article/\d{3}> \.$")


def big_nquads(seed_nq: Path, dest: Path, copies: int) -> int:
    lines = seed_nq.read_text(encoding="utf-8").splitlines()
    shared = [ln for ln in lines if not GRAPH.search(ln)]
    per_article = [ln for ln in lines if GRAPH.search(ln)]
    n = 0
    with dest.open("w", encoding="utf-8") as fh:
        fh.write("\n".join(shared) + "\n")
        n += len(shared)
        for k in range(copies):
            tag = f"x{k:04d}"
            fh.write("\n".join(ARTICLE.sub(lambda m: m.group(1) + tag, ln) for ln in per_article) + "\n")
            n += len(per_article)
    return n


def timed(client: httpx.Client, path: str, runs: int = 5) -> str:
    times, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        r = client.get(path)
        times.append(time.perf_counter() - t0)
        if r.status_code != 200:  # e.g. 504: over the server's --timeout; not repeated
            return f"{r.status_code} after {times[-1]:.1f} s: {r.text.strip()[:90]}"
        size = len(r.content)
    return (f"median {statistics.median(times) * 1000:7.0f} ms  max {max(times) * 1000:7.0f} ms  "
            f"{size / 1024:8.0f} KiB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("articles", type=int)
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    from kg import oxstore
    tmp = tempfile.TemporaryDirectory()
    base = a.keep or Path(tmp.name)
    seeds_out, out = base / "seeds-build", base / "big"
    out.mkdir(parents=True, exist_ok=True)
    if oxstore.exists(out):  # --keep DIR of an earlier run: the store is reused
        print(f"{a.articles} articles: reusing {out}/store")
    else:
        subprocess.run([sys.executable, "-m", "kg.cli", "build", "--out", str(seeds_out), "--quiet"], cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        t0 = time.perf_counter()
        nq = base / "big.nq"
        quads = big_nquads(seeds_out / "kg.nq", nq, a.articles // 5)
        oxstore.switch(out, oxstore.write_generation(out, nq, f"web-{a.articles}"))
        (out / "void.ttl").write_bytes((seeds_out / "void.ttl").read_bytes())
        nq.unlink()
        print(f"{a.articles} articles, {quads:,} quads: store written in {time.perf_counter() - t0:.0f} s")
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--out", str(out), "--port", "0", "--cache", "0",
                             "--timeout", str(TIMEOUT)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().split(" on ", 1)[1].split("/ ", 1)[0] + "/"
        claim = "https://hrkg.example.org/chechnya-2017/article/000x0000/claim/merkel-raised-issue"
        answered = {}
        with httpx.Client(base_url=url, timeout=120) as c:
            while True:  # the workers open the store before the server answers
                try:
                    if c.get("/.well-known/status").json()["ready"] == 2:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            for label, path in [("question list", "/queries?format=json"),
                                ("headline question", "/queries/who-raised-the-issue-with?actor=Putin&format=json"),
                                ("entity suggestions", "/entities?q=merk"),
                                ("evidence of one claim", f"/evidence?claim={claim}"),
                                ("timeline extent", "/timeline-extent"),
                                ("timeline, all (capped at 2,000)", "/timeline"),
                                ("timeline, the page's first window", "/timeline?from=2017-04-14&to=2017-07-14"),
                                ("timeline, one month", "/timeline?from=2017-05&to=2017-05"),
                                ("network", "/network")]:
                result = timed(c, path)
                answered[label] = not result[0].isdigit()
                print(f"{label:34} {result}", flush=True)
        from playwright.sync_api import sync_playwright
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            page = browser.new_page()
            t0 = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("#question-list li")
            t1 = time.perf_counter()
            print(f"in chromium: page load {1000 * (t1 - t0):.0f} ms", flush=True)
            page.fill("form.params input[name=actor]", "Putin")
            page.click("button.run")
            page.wait_for_selector("table.results, #question .error", timeout=(TIMEOUT + 30) * 1000)
            t2 = time.perf_counter()
            rows = page.locator("table.results tbody tr").count()
            print(f"in chromium: headline question, {rows} rows drawn (or its error shown), {1000 * (t2 - t1):.0f} ms")
            page.click("button[data-tab=timeline]")
            page.wait_for_selector("#timeline-view[data-items], #timeline .error", timeout=(TIMEOUT + 30) * 1000)
            t3 = time.perf_counter()
            print(f"in chromium: timeline drawn, {page.get_attribute('#timeline-view', 'data-items')} items "
                  f"({page.get_attribute('#timeline-view', 'data-from')} to {page.get_attribute('#timeline-view', 'data-to')}), "
                  f"{1000 * (t3 - t2):.0f} ms")
            t2 = t3
            page.click("button[data-tab=network]")
            page.wait_for_selector("#network-view[data-edges], #network .error", timeout=(TIMEOUT + 30) * 1000)
            print(f"in chromium: network drawn, {page.get_attribute('#network-view', 'data-edges')} edges, "
                  f"{1000 * (time.perf_counter() - t2):.0f} ms")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(15)
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
