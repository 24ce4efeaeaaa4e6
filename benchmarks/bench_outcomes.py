"""Benchmark the outcome-indicator section alone: its time on each council page and on the national page.

Builds a synthetic (FICTIONAL) processed folder of ``--n`` submissions spread over all 32
councils (or reads ``--processed DIR``, e.g. a run's processed folder), loads it once as the
report does, then times the outcome section (``report.outcomes_section.outcomes``: its frames,
charts, tables and text) for every council page and for the national page, in this process,
one after another as one report worker builds them. Prints the median, quartiles and range per
council page, the total over the council pages, the national section, the number of charts and
their share of the section's bytes, and the load average (the machine is shared).

Run: ``.venv/bin/python benchmarks/bench_outcomes.py [--n 200] [--processed DIR] [--repeats 1]``
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from soa_analysis.report.data import load_report_data  # noqa: E402
from soa_analysis.report.outcomes_section import outcomes  # noqa: E402
from soa_analysis.report.synthetic import make_synthetic_processed  # noqa: E402
from soa_analysis.report.tiles import council_tiles  # noqa: E402

_IMG = re.compile(r'<img [^>]*src="data:image/[^"]*"[^>]*>')


def _quartiles(xs: list[float]) -> str:
    if len(xs) < 2:
        return f"{xs[0]:.3f} s"
    q1, q2, q3 = statistics.quantiles(xs, n=4)
    return f"median {q2:.3f} s (quartiles {q1:.3f} to {q3:.3f}, range {min(xs):.3f} to {max(xs):.3f})"


def measure(processed: Path, repeats: int) -> None:
    """Time the outcome section of every council page and of the national page."""
    data = load_report_data(processed, run_id="bench", council_pages=True)
    councils = data.councils()
    t0 = time.perf_counter()
    outcomes(data.for_council(councils[0]))  # warm-up: imports, the packaged CPOP file read once per process
    print(f"first section (imports, outcome data loaded once a process): {time.perf_counter() - t0:.2f} s")
    per_page: list[float] = []
    charts = chart_bytes = total_bytes = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        for c in councils:
            one = data.for_council(c)  # a fresh view per page, as the page writer makes one
            t = time.perf_counter()
            html = outcomes(one).data
            per_page.append(time.perf_counter() - t)
            imgs = _IMG.findall(html)
            charts += len(imgs)
            chart_bytes += sum(len(i) for i in imgs)
            total_bytes += len(html)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    pages = len(councils) * repeats
    print(f"council pages: {len(councils)} councils x {repeats} = {pages} sections, {wall:.2f} s wall, {cpu:.2f} s CPU")
    print(f"  per council page: {_quartiles(per_page)}")
    print(f"  charts: {charts / pages:.1f} a page; {chart_bytes / max(charts, 1) / 1e3:.1f} kB a chart; "
          f"{chart_bytes / max(total_bytes, 1):.0%} of the section's {total_bytes / pages / 1e3:.0f} kB a page")
    national = []
    for _ in range(repeats):
        t = time.perf_counter()
        html = outcomes(load_report_data(processed, run_id="bench")).data
        national.append(time.perf_counter() - t)
    print(f"national page: {_quartiles(national)} (frames for all 32 councils and the grid chart; "
          f"{len(_IMG.findall(html))} chart(s), section {len(html) / 1e3:.0f} kB)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="synthetic submissions over the 32 councils")
    ap.add_argument("--processed", default="", help="a processed folder to read instead of a synthetic one")
    ap.add_argument("--repeats", type=int, default=1, help="passes over the council pages")
    args = ap.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start "
          "(a shared, loaded machine: figures vary from run to run)")
    if args.processed:
        measure(Path(args.processed), args.repeats)
    else:
        with tempfile.TemporaryDirectory(prefix="soa-bench-outcomes-") as tmp:
            processed = make_synthetic_processed(Path(tmp) / "processed", n=args.n, seed=1,
                                                 councils=[t.council for t in council_tiles()])
            print(f"synthetic folder: {args.n} submissions over {len(council_tiles())} councils")
            measure(processed, args.repeats)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
