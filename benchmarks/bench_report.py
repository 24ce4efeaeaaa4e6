"""Benchmark the report stage: page sizes and Chromium load times, at scale and with one huge text.

Two synthetic (FICTIONAL) processed folders, spread over all 32 councils: one of ``--n``
submissions (default 10,000), and one of ``--small`` submissions (default 200) of which one
carries a ``--huge-mb`` text (default 30 MB) in its narrative. For each, the report notebook is
executed as a run executes it (summary, tables, every council page) and the benchmark prints the
time, the size of ``summary.html`` and of the largest council page, and the time Chromium takes
to open each from file:// (the load event; median of ``--repeats`` opens).

Targets (issue 11): summary.html at most 3 MB, a council page at most 1 MB, load event within 2 s.

Run: ``.venv/bin/python benchmarks/bench_report.py [--n 10000] [--small 200] [--huge-mb 30] [--out DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import _cpu as cpu_s  # noqa: E402

from soa_analysis.report.contents import page_parts  # noqa: E402
from soa_analysis.report.councils import write_council_pages  # noqa: E402
from soa_analysis.report.data import load_report_data  # noqa: E402
from soa_analysis.report.stage import run_report_notebook  # noqa: E402
from soa_analysis.report.synthetic import make_synthetic_processed  # noqa: E402
from soa_analysis.report.tiles import council_tiles  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SUMMARY_MB, COUNCIL_MB, LOAD_S = 3.0, 1.0, 2.0


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
            page.goto(html.resolve().as_uri(), wait_until="load", timeout=120_000)
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


def _verdict(ok: bool) -> str:
    return "OK" if ok else "OVER"


def scenario(label: str, out: Path, n: int, *, extra: dict[int, str], repeats: int) -> None:
    """Build one folder, its report and council pages, and print the figures."""
    print(f"\n== {label}")
    t0 = time.perf_counter()
    processed = make_synthetic_processed(out / "processed", n=n, seed=1, councils=[t.council for t in council_tiles()],
                                         narrative_extra=extra)
    t1, c1 = time.perf_counter(), cpu_s()
    summary = run_report_notebook(processed, out / "summary.html", run_id="bench", tables_dir=out / "tables",
                                  councils_dir=out / "councils")
    t2, c2 = time.perf_counter(), cpu_s()
    # the same pages built in this process (no kernel, no nbconvert): the report's own work, whose
    # page workers are this process's children, so their CPU time is counted
    data = load_report_data(processed, run_id="bench", council_pages=True)
    t3, c3 = time.perf_counter(), cpu_s()
    "".join(page_parts(data))
    t4 = time.perf_counter()
    pages = write_council_pages(data, out / "councils-again", workers=0)
    t5, c5 = time.perf_counter(), cpu_s()
    councils = sorted((out / "councils").glob("*.html"), key=lambda p: p.stat().st_size)
    size = summary.stat().st_size / 1e6
    largest = councils[-1] if councils else None
    print(f"synthetic folder:          {t1 - t0:.1f} s")
    print(f"report (notebook, pages):  {t2 - t1:.1f} s for the summary and {len(councils)} council page files "
          f"({c2 - c1:.1f} s of CPU, not counting the page workers of the kernel's fork server)")
    print(f"built in-process:          summary sections {t4 - t3:.1f} s, {len(pages)} council page files "
          f"{t5 - t4:.1f} s ({(t5 - t4) / max(len(pages), 1):.2f} s a page), {c5 - c3:.1f} s of CPU in all")
    print(f"summary.html:              {size:.2f} MB (target <= {SUMMARY_MB:g} MB) {_verdict(size <= SUMMARY_MB)}")
    if largest:
        big = largest.stat().st_size / 1e6
        print(f"largest council page:      {big:.2f} MB, {largest.name} (target <= {COUNCIL_MB:g} MB) "
              f"{_verdict(big <= COUNCIL_MB)}")
    if not Path(CHROMIUM).exists():
        print(f"chromium:                  {CHROMIUM} not found, load time not measured")
        return
    for name, page in (("summary.html", summary), (largest.name if largest else "", largest)):
        if page is None:
            continue
        runs = open_in_chromium(page, repeats)
        med = statistics.median(r["load_event_s"] for r in runs)
        each = ", ".join(f"{r['load_event_s']:.2f}" for r in runs)
        print(f"{name + ' load event:':<27}{med:.2f} s median of {len(runs)} ({each}; {runs[0]['cards']} cards, "
              f"{runs[0]['external_requests']} external requests) (target <= {LOAD_S:g} s) {_verdict(med <= LOAD_S)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="submissions in the large folder")
    ap.add_argument("--small", type=int, default=200, help="submissions in the folder with the huge text")
    ap.add_argument("--huge-mb", type=float, default=30.0, help="size of the huge text (MB); 0 skips it")
    ap.add_argument("--repeats", type=int, default=3, help="Chromium opens per page (the median is printed)")
    ap.add_argument("--out", default="", help="output folder (default: a temporary one)")
    args = ap.parse_args(argv)
    base = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="soa-bench-report-"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start "
          f"(a shared, loaded machine: figures vary from run to run); output in {base}")
    if args.n:
        scenario(f"{args.n:,} submissions", base / "large", args.n, extra={}, repeats=args.repeats)
    if args.huge_mb:
        words = "Fictional words about the town centre, its shops and the people who use them. "
        blob = words * int(args.huge_mb * 1e6 / len(words))
        scenario(f"{args.small:,} submissions, one with a {len(blob) / 1e6:.0f} MB text", base / "huge", args.small,
                 extra={args.small // 2: blob}, repeats=args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
