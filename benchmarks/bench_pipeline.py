"""Benchmark the whole pipeline end to end: generated (FICTIONAL) submissions and the bundled sample.

For each size, generates that many six-question case studies in a temporary folder (the mix of
formats of ``bench_ingest.py``: Word, PDF, text, Markdown, HTML, e-mail with an attachment, a few
spreadsheet exports and 2% exact duplicates; each file named after one of the 32 councils so the
report has council pages), runs ``soa-analysis run`` on it (``pipeline.run``: ingest, tag,
evidence, report with every council page) and prints the time per stage, the total,
submissions per second and the peak memory (this process, and the largest child: a stage's
kernel or a council-page worker). Then the same for the bundled sample in ``data/raw``.

Targets (issue 11): at least 83 submissions/s on 2 cores, 10,000 submissions in at most 120 s,
the bundled sample within 30 s. With ``--repeats`` above 1 each figure is the median.

Usage::

    .venv/bin/python benchmarks/bench_pipeline.py                     # 2,000 and 10,000, and the sample
    .venv/bin/python benchmarks/bench_pipeline.py --sizes 500 --repeats 3
    .venv/bin/python benchmarks/bench_pipeline.py --sizes --repeats 3  # the bundled sample only
    .venv/bin/python benchmarks/bench_pipeline.py --sizes 10000 --no-sample --threads both

The runs have one BLAS and OpenMP thread per process, as ``soa-analysis run`` gives them
(``procs.one_thread_each``); ``--threads cores`` sizes the pools at one thread per core instead (the
libraries' default), and ``--threads both`` runs each size both ways, side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from bench_ingest import _cpu as cpu_s  # noqa: E402
from bench_ingest import generate as make_files  # noqa: E402
from bench_ingest import peak_mb  # noqa: E402

from soa_analysis import pipeline  # noqa: E402
from soa_analysis.config import STAGES, make_options  # noqa: E402
from soa_analysis.procs import THREAD_VARIABLES, cores, size_thread_pools  # noqa: E402
from soa_analysis.report.safe import slug  # noqa: E402
from soa_analysis.report.tiles import council_tiles  # noqa: E402

TARGET_RATE = 83.0
TARGET_10K_S = 120.0
TARGET_SAMPLE_S = 30.0


def generate(folder: Path, n: int, seed: int = 7, prefix: str = "") -> None:
    """``n`` fictional submission files (``bench_ingest.generate``), each named after one of the 32 councils
    (``prefix`` goes between the council and the file's own name)."""
    councils = [slug(t.council).replace("-", "_") for t in council_tiles()]
    make_files(folder, n, None, seed=seed)
    for i, p in enumerate(sorted(folder.iterdir())):
        p.rename(folder / f"{councils[i % len(councils)]}_{prefix}{p.name}")


class StageClock(io.StringIO):
    """The run's progress stream, noting the CPU time (all processes) at each stage's start and end line."""

    def __init__(self):
        super().__init__()
        self.cpu: dict[str, float] = {}

    def write(self, text: str) -> int:
        m = re.search(r"\] (\w+) (\.\.\.|done in)", text)
        if m:
            key = m.group(1)
            if m.group(2) == "...":
                self.cpu[key] = -cpu_s()
            else:
                self.cpu[key] += cpu_s()
        return super().write(text)


def run_once(raw: Path, work: Path, workers: int) -> dict:
    """One full run on ``raw``; its stage timings, submissions and output sizes."""
    opts = make_options(raw_dir=raw, processed_dir=work / "processed", reports_dir=work / "reports",
                        workers=workers, keep_runs=1)
    clock = StageClock()
    t0, c0 = time.perf_counter(), cpu_s()
    result = pipeline.run(opts, STAGES, progress=False, stream=clock)
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    if not result.ok:
        raise SystemExit(f"run failed: {result.error}")
    subs = len(pd.read_parquet(work / "processed" / "submissions.parquet", columns=["submission_id"]))
    councils = list((result.run_dir / "councils").glob("*.html"))
    return {"wall": wall, "cpu": cpu, "submissions": subs, **{s: result.manifest["timings_s"][s] for s in STAGES},
            **{f"{s} cpu": clock.cpu[s] for s in STAGES},
            "summary_mb": (result.run_dir / "summary.html").stat().st_size / 1e6,
            "council_pages": len(councils),
            "largest_council_mb": max((p.stat().st_size for p in councils), default=0) / 1e6}


@contextlib.contextmanager
def blas_threads(n: int):
    """Each process's BLAS and OpenMP pools at ``n`` threads: this one's, and (through the environment) those of the
    processes the run starts; as they were on leaving."""
    before = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    limiter = size_thread_pools(n)
    try:
        yield
    finally:
        limiter.restore_original_limits()
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def report(label: str, runs: list[dict], target_s: float | None) -> None:
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    n = int(med["submissions"])
    rate = n / med["wall"]
    how = f"median of {len(runs)}" if len(runs) > 1 else "one run"
    print(f"\n== {label}: {n:,} submissions ({how})")
    for s in STAGES:
        print(f"  {s:<9} {med[s]:8.1f} s   {n / med[s]:8.1f} submissions/s   CPU {med[s + ' cpu']:7.1f} s")
    print(f"  total     {med['wall']:8.1f} s   {rate:8.1f} submissions/s (target >= {TARGET_RATE:g}) "
          f"{'OK' if rate >= TARGET_RATE else 'UNDER'}")
    print(f"  CPU       {med['cpu']:8.1f} s   (all processes; the wall time above is what the load left of 2 cores)")
    if target_s is not None:
        print(f"  target    {target_s:8.1f} s   {'OK' if med['wall'] <= target_s else 'OVER'}")
    print(f"  pages     summary {med['summary_mb']:.2f} MB, {int(med['council_pages'])} council page file(s), "
          f"largest {med['largest_council_mb']:.2f} MB")
    own, child = peak_mb()
    print(f"  peak RSS  this process {own:.0f} MB, largest child {child:.0f} MB (so far in this benchmark)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[2000, 10000], help="numbers of generated files")
    ap.add_argument("--repeats", type=int, default=1, help="runs per size (the median is printed)")
    ap.add_argument("--workers", type=int, default=0, help="the run's --workers (0: one per core)")
    ap.add_argument("--no-sample", action="store_true", help="skip the bundled sample")
    ap.add_argument("--threads", choices=("one", "cores", "both"), default="one",
                    help="BLAS and OpenMP threads per process: one (as soa-analysis run), one per core, or both")
    args = ap.parse_args(argv)
    ways = {"one": [1], "cores": [cores()], "both": [1, cores()]}[args.threads]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start "
          "(a shared, loaded machine: figures vary from run to run)")
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="soa-bench-pipeline-") as tmp:
            raw = Path(tmp) / "raw"
            t0 = time.perf_counter()
            generate(raw, n)
            print(f"\ngenerated {n:,} files in {time.perf_counter() - t0:.1f} s")
            for threads in ways:
                with blas_threads(threads):
                    runs = [run_once(raw, Path(tmp) / f"run{threads}-{i}", args.workers) for i in range(args.repeats)]
                report(f"{n:,} generated files, {threads} BLAS thread(s) per process", runs,
                       TARGET_10K_S * n / 10_000 if n >= 10_000 else None)
    if not args.no_sample:
        with tempfile.TemporaryDirectory(prefix="soa-bench-sample-") as tmp:
            for threads in ways:
                with blas_threads(threads):
                    runs = [run_once(ROOT / "data" / "raw", Path(tmp) / f"run{threads}-{i}", args.workers)
                            for i in range(args.repeats)]
                report(f"bundled sample (data/raw), {threads} BLAS thread(s) per process", runs, TARGET_SAMPLE_S)
    return 0


if __name__ == "__main__":
    sys.exit(main())
