"""Screenshots of the web page for the README, and its load and answer times on the seeds.

    .venv/bin/python bench/screenshots.py [--out BUILD_DIR] [--docs docs] [--runs 5]

Builds the seeds (unless --out names a built directory), starts `kg serve` on a free loopback port, drives
Debian's chromium with Playwright, writes docs/web-*.png and prints the timings (median of --runs fresh page
loads, after one warm-up; the server's answer cache is off, `--cache 0`, so every answer is computed): the page
until the question list is shown, and the headline question (who-raised-the-issue-with, actor Putin) from the
click to its table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="a directory `kg build` wrote (default: build the seeds into a temp dir)")
    ap.add_argument("--docs", type=Path, default=ROOT / "docs")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    out = a.out or Path(tmp.name) / "build"
    if a.out is None:
        subprocess.run([sys.executable, "-m", "kg.cli", "build", "--out", str(out), "--quiet"], cwd=ROOT, check=True)
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", "--out", str(out), "--port", "0", "--cache", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().split(" on ", 1)[1].split("/ ", 1)[0] + "/"
        a.docs.mkdir(exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            loads, answers = [], []
            for run in range(a.runs + 1):  # run 0 warms the workers up; it is not counted
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                t0 = time.perf_counter()
                page.goto(url)
                page.wait_for_selector("#question-list li")
                t1 = time.perf_counter()
                page.click("li[data-slug=who-raised-the-issue-with] button")
                page.fill("form.params input[name=actor]", "Putin")
                t2 = time.perf_counter()
                page.click("button.run")
                page.wait_for_selector("table.results")
                t3 = time.perf_counter()
                if run:
                    loads.append(t1 - t0)
                    answers.append(t3 - t2)
                if run < a.runs:
                    page.close()
            page.screenshot(path=str(a.docs / "web-questions.png"))
            page.locator("table.results tbody tr", has_text="article/000/claim/merkel-raised-issue").locator("button.evidence").click()
            page.wait_for_selector("mark.quote")
            page.screenshot(path=str(a.docs / "web-evidence.png"))
            page.click("button[data-tab=editor]")
            page.wait_for_selector("#yasgui[data-ready=true]")
            page.click("#yasgui .yasqe_queryButton")
            page.wait_for_selector("#yasgui .yasr table tbody tr td")
            page.screenshot(path=str(a.docs / "web-editor.png"))
            page.click("button[data-tab=timeline]")
            page.wait_for_selector("#timeline-view[data-items]")
            page.wait_for_selector("#timeline-view .vis-timeline .vis-item", state="visible")  # drawn, not only loaded
            page.screenshot(path=str(a.docs / "web-timeline.png"))
            page.click("button[data-tab=network]")
            page.wait_for_selector("#network-view[data-edges]")
            page.wait_for_timeout(300)
            page.screenshot(path=str(a.docs / "web-network.png"))
            browser.close()
        print(f"page load (to the question list): median {statistics.median(loads) * 1000:.0f} ms, "
              f"max {max(loads) * 1000:.0f} ms over {len(loads)} loads")
        print(f"headline answer (click to table): median {statistics.median(answers) * 1000:.0f} ms, "
              f"max {max(answers) * 1000:.0f} ms over {len(answers)} runs")
        print(f"screenshots: {', '.join(sorted(str(p.relative_to(ROOT)) for p in a.docs.glob('web-*.png')))}")
    finally:
        proc.terminate()
        proc.wait(15)
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
