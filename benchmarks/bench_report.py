"""Benchmark: a synthetic (fictional) processed folder of 1,000 submissions -> national report.

Prints the report's size (target < 5 MB), the time to execute and render it, and the time
Chromium takes to open it from file:// (load event; target < 2 s).

Run: ``.venv/bin/python benchmarks/bench_report.py [--n 1000] [--out benchmarks/out]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from soa_analysis.report.data import council_tiles
from soa_analysis.report.stage import run_report_notebook
from soa_analysis.report.synthetic import make_synthetic_processed

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def open_in_chromium(html: Path, repeats: int = 3) -> list[dict]:
    """Open ``html`` ``repeats`` times in a fresh page; return load timings and request counts."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(repeats):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            t0 = time.perf_counter()
            page.goto(html.resolve().as_uri(), wait_until="load")
            wall = time.perf_counter() - t0
            nav = json.loads(page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])"))
            out.append({
                "wall_s": wall,
                "dom_content_loaded_s": nav["domContentLoadedEventEnd"] / 1000,
                "load_event_s": nav["loadEventEnd"] / 1000,
                "external_requests": len([u for u in requests if not u.startswith(("file:", "data:"))]),
                "cards": page.locator("article.card").count(),
            })
            page.close()
        browser.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="number of synthetic submissions")
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"), help="output folder (gitignored)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    t0 = time.perf_counter()
    processed = make_synthetic_processed(out / "processed", n=args.n, seed=1,
                                         councils=[t.council for t in council_tiles()])
    t1 = time.perf_counter()
    html = run_report_notebook(processed, out / "national.html", run_id="bench", tables_dir=out / "tables")
    t2 = time.perf_counter()
    size = html.stat().st_size
    print(f"submissions:            {args.n}")
    print(f"synthetic folder:       {t1 - t0:.1f} s")
    print(f"execute + render:       {t2 - t1:.1f} s")
    print(f"report size:            {size / 1e6:.2f} MB (target < 5 MB) {'OK' if size < 5e6 else 'OVER'}")
    if not Path(CHROMIUM).exists():
        print(f"chromium:               {CHROMIUM} not found, load time not measured")
        return 0
    runs = open_in_chromium(html)
    best = min(r["load_event_s"] for r in runs)
    for i, r in enumerate(runs, 1):
        print(f"open #{i}: load event {r['load_event_s']:.2f} s, DOMContentLoaded {r['dom_content_loaded_s']:.2f} s, "
              f"wall {r['wall_s']:.2f} s, cards {r['cards']}, external requests {r['external_requests']}")
    print(f"load event (best of {len(runs)}): {best:.2f} s (target < 2 s) {'OK' if best < 2 else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
