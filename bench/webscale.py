"""The web page's JSON routes (and the page itself) on a large store: the seeds' articles copied N/5 times.

    .venv/bin/python bench/webscale.py 10000 [--keep DIR]

Builds the seeds, writes a store in which every article graph appears N/5 times (article/000 becomes
article/000x0001 … with its claims, evidence and text; the registry, ontology and provenance once), serves
it with `kg serve` and times, over HTTP, each route the page uses: the canned question list, the headline
question (10,000 rows at most), the entity suggestions, one claim's evidence, the timeline (its extent, whole,
the page's first window, one month) and the network; then, in chromium, the page's load, the headline question,
the timeline and the network as the page draws them.  Prints one line per route (median of 5, max).
This is not the bench corpus (bench/corpus.py, whose build takes long on this machine): it has the
same shape per article, with the seeds' texts.  To time the same routes on a build of the bench corpus
instead:

    .venv/bin/python bench/webscale.py 10000 --build /tmp/build-10000

(the headline question is then asked of the actor most raisings that occurred are addressed to, the
evidence is one of those raisings', and the timeline windows start at the timeline's first date).
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
    ap.add_argument("--build", type=Path, help="serve this build (of the bench corpus) instead of seed copies")
    a = ap.parse_args()
    from kg import oxstore
    tmp = tempfile.TemporaryDirectory()
    base = a.keep or Path(tmp.name)
    seeds_out, out = base / "seeds-build", a.build or base / "big"
    out.mkdir(parents=True, exist_ok=True)
    actor, actor_label, issue, issue_label = "putin", "Putin", "chechnya-anti-gay-purge", ""
    claim = "https://hrkg.example.org/chechnya-2017/article/000x0000/claim/merkel-raised-issue"
    if a.build:
        actor, actor_label, claim, issue, issue_label = headline_of(oxstore.open_read_only(out))
        print(f"{a.build}: the headline question asked of {actor} ({actor_label}) about {issue}; evidence of {claim}")
    elif oxstore.exists(out):  # --keep DIR of an earlier run: the store is reused
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
        answered = {}
        with httpx.Client(base_url=url, timeout=120) as c:
            while True:  # the workers open the store before the server answers
                try:
                    if c.get("/.well-known/status").json()["ready"] == 2:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            window, month = ("2017-04-14", "2017-07-14"), "2017-05"
            if a.build:   # the windows of this corpus: from its first date
                t0 = time.perf_counter()
                first = c.get("/timeline-extent").json()["first"][:10]
                print(f"{'timeline extent (first request)':34} {1000 * (time.perf_counter() - t0):7.0f} ms", flush=True)
                parts = first.split("-") + ["01", "01"]   # a year or a month: from its first day
                y, m, d = int(parts[0]), int(parts[1]), parts[2]
                first = f"{y:04d}-{m:02d}-{d}"
                window = (first, f"{y + (m + 2) // 12:04d}-{(m + 2) % 12 + 1:02d}-{d}")
                month = first[:7]
            for label, path in [("question list", "/queries?format=json"),
                                ("headline question", f"/queries/who-raised-the-issue-with?actor={actor}&issue={issue}&format=json"),
                                ("entity suggestions", f"/entities?q={actor_label[:4].lower()}"),
                                ("evidence of one claim", f"/evidence?claim={claim}"),
                                ("timeline extent", "/timeline-extent"),
                                ("timeline, all (capped at 2,000)", "/timeline"),
                                ("timeline, the page's first window", f"/timeline?from={window[0]}&to={window[1]}"),
                                ("timeline, one month", f"/timeline?from={month}&to={month}"),
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
            page.fill("form.params input[name=actor]", actor_label)
            if issue_label:
                page.fill("form.params input[name=issue]", issue_label)
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


def headline_of(store) -> tuple[str, str, str, str, str]:
    """The actor most occurred raisings are addressed to (its id and label), one of those raisings,
    and the issue it is about (id and label)."""
    q = """PREFIX hrr: <https://hrkg.example.org/ontology/>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?actor (SAMPLE(?label) AS ?l) (MIN(STR(?act)) AS ?one) (COUNT(?act) AS ?n) WHERE {
      ?act hrr:addressee ?actor ; hrr:factuality hrr:Occurred ; a hrr:RaisingOfIssue .
      ?actor rdfs:label ?label .
    } GROUP BY ?actor ORDER BY DESC(?n) STR(?actor) LIMIT 1"""
    row = next(iter(store.query(q, use_default_graph_as_union=True)))
    about = next(iter(store.query(f"""PREFIX hrr: <https://hrkg.example.org/ontology/>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?issue ?label WHERE {{ <{row["one"].value}> hrr:about ?issue . ?issue rdfs:label ?label }}
    ORDER BY STR(?issue) LIMIT 1""", use_default_graph_as_union=True)))
    return (row["actor"].value.rsplit("/", 1)[1], row["l"].value, row["one"].value,
            about["issue"].value.rsplit("/", 1)[1], about["label"].value)


if __name__ == "__main__":
    sys.exit(main())
