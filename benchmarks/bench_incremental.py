"""Benchmark incremental runs: a full run, then a re-run after one new file, on the same corpus.

Generates ``--n`` FICTIONAL submission files (``bench_pipeline.generate``: the mix of formats of
``bench_ingest.py``, named after the 32 councils), runs the whole pipeline with ``--full``, adds
one new generated file and runs again without it (each raw file's results that are unchanged are
reused: ``soa_analysis.partition``); ``--repeat N`` (default 3) re-runs N times, each after one more new
file, and reports the re-run of median time (a single re-run of a few seconds varies by a second on a
loaded machine). Prints each stage's time for both runs, the totals and the
ratio, with and without the report stage (which rebuilds the summary and the run-wide parts of
every council page, and renders again the rest of a page only when its council's rows changed),
CPU seconds and the load average, and what the re-run reused. The target (issue 11) is a re-run at
most a tenth of the full run.

Files that reach a raw folder are normally on disk well before the run that reads them. A run keeps
the raw files' digests and takes them again for a file whose identity is unchanged, but only when the
file had settled (modified at least ``SETTLED_NS``, 2 s, before) when they were kept
(:func:`soa_analysis.ingest.files.reusable_digests`). Generated files are written a moment before the
full run, so by default the benchmark waits until they have settled (the wait is not timed) and the
re-run hashes only the new file; ``--no-settle`` starts the full run at once, and the re-run then hashes
every raw file again (about a second at 10,000 files). The line "raw files hashed in the re-run" says
which case was measured.

Usage::

    .venv/bin/python benchmarks/bench_incremental.py            # 2,000 files
    .venv/bin/python benchmarks/bench_incremental.py --n 500 --no-report
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import MAKERS, peak_mb  # noqa: E402
from bench_pipeline import generate  # noqa: E402

from soa_analysis import pipeline  # noqa: E402
from soa_analysis.config import STAGES, make_options  # noqa: E402
from soa_analysis.ingest.files import SETTLED_NS, reusable_digests  # noqa: E402
from soa_analysis.procs import one_thread_each  # noqa: E402

TARGET_RATIO = 0.1


def cpu_seconds() -> float:
    """User and system CPU seconds so far of this process and its finished children (the kernels)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _run(raw: Path, work: Path, stages: tuple[str, ...], *, full: bool) -> tuple[float, float, dict]:
    opts = make_options(raw_dir=raw, processed_dir=work / "processed", reports_dir=work / "reports", keep_runs=2,
                        full=full)
    t0, c0 = time.perf_counter(), cpu_seconds()
    result = pipeline.run(opts, stages, progress=False, stream=open("/dev/null", "w"))  # noqa: SIM115
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    if not result.ok:
        raise SystemExit(f"run failed: {result.error}")
    return wall, cpu, result.manifest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="generated files (default 2000)")
    ap.add_argument("--no-report", action="store_true", help="run ingest, tag and evidence only")
    ap.add_argument("--repeat", type=int, default=3,
                    help="re-runs, each after one more new file; their median is reported (default 3)")
    ap.add_argument("--no-settle", action="store_true",
                    help="start the full run as soon as the files are generated "
                         "(the re-run then hashes them all again)")
    args = ap.parse_args(argv)
    one_thread_each()  # as `soa-analysis run` does: one BLAS thread per process unless the environment says otherwise
    stages = tuple(s for s in STAGES if s != "report") if args.no_report else STAGES
    with tempfile.TemporaryDirectory(prefix="bench-incremental-") as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw"
        generate(raw, args.n)
        if not args.no_settle:
            settle(raw)
        full_s, full_cpu, full_m = _run(raw, tmp, stages, full=True)
        how = _tagger_how(tmp / "processed")
        reruns = []
        for k in range(max(1, args.repeat)):
            if k and not args.no_settle:
                settle(raw)  # the last re-run's new file, as the generated ones before the full run
            # one more FICTIONAL file each time, not a copy of any other
            new = raw / f"falkirk_new_{args.n + k}.txt"
            new.write_bytes(MAKERS["txt"](random.Random(args.n + 1 + k), args.n + 1 + k))
            kept = reusable_digests(tmp / "processed", raw.resolve())
            n_files = sum(1 for p in raw.rglob("*") if p.is_file())
            again_s, again_cpu, again_m = _run(raw, tmp, stages, full=False)
            cells = _report_cells(tmp / "reports" / "runs" / again_m["run_id"]) if "report" in stages else []
            reruns.append((again_s, again_cpu, again_m, n_files - len(kept), n_files, cells))
        # the re-run of median time stands for them all (its stages, reuse and cells); every re-run's total is listed
        again_s, again_cpu, again_m, hashed, n_files, cells = sorted(reruns, key=lambda r: r[0])[(len(reruns) - 1) // 2]
    subs = (full_m.get("ingest_summary") or {}).get("ingested", 0)
    print(f"incremental runs: {args.n} generated files ({subs} ingested), then one new file; "
          f"stages {', '.join(stages)}")
    if len(reruns) > 1:
        print(f"re-runs, each after one more new file: {', '.join(f'{r[0]:.1f}s' for r in reruns)}; "
              f"the median one is shown")
    if how:
        print(f"the full run's tagger models: {how} (a model is trained once per fingerprint and kept in the "
              "per-user model store: a full run on a machine that has run before copies it; "
              "SOA_ANALYSIS_MODEL_STORE=off trains it in every run)")
    print(f"{'stage':<10} {'full run':>10} {'re-run':>10} {'ratio':>7}")
    for s in stages:
        a, b = full_m["timings_s"][s], again_m["timings_s"][s]
        print(f"{s:<10} {a:>9.1f}s {b:>9.1f}s {b / a:>7.3f}")
    pre = [s for s in stages if s != "report"]
    a, b = sum(full_m["timings_s"][s] for s in pre), sum(again_m["timings_s"][s] for s in pre)
    print(f"{'ingest..evidence':<10} {a:>3.1f}s {b:>9.1f}s {b / a:>7.3f}")
    ratio = again_s / full_s
    print(f"{'total':<10} {full_s:>9.1f}s {again_s:>9.1f}s {ratio:>7.3f}  "
          f"(target at most {TARGET_RATIO:.1f}: {'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    print(f"{'CPU s':<10} {full_cpu:>9.1f}s {again_cpu:>9.1f}s {again_cpu / full_cpu:>7.3f}  "
          "(user+system, this process and its kernels; not the council-page workers)")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"raw files hashed in the re-run: {hashed} of {n_files} "
          f"({'files left to settle before the full run' if not args.no_settle else '--no-settle'})")
    for s in pre:
        rec = again_m.get("reuse", {}).get(s, {})
        print(f"re-run {s}: {rec.get('n_reused', 0)} file(s) reused, {rec.get('n_recomputed', 0)} recomputed "
              f"({', '.join(rec.get('recomputed', [])[:3])})")
    if "report" in stages:
        rec = again_m.get("reuse", {}).get("report", {})
        print(f"re-run report: {rec.get('n_reused', 0)} council page(s) reused, {rec.get('n_recomputed', 0)} "
              f"rendered again ({', '.join(rec.get('recomputed', [])[:3])})")
        if cells:
            inside = sum(sec for sec, _ in cells)
            print(f"re-run report notebook: {inside:.1f} s in its cells, {again_m['timings_s']['report'] - inside:.1f} s "
                  "outside them (kernel start, the change step, rendering the summary); slowest cells:")
            for sec, first_line in cells[:5]:
                print(f"  {sec:>7.1f}s  {first_line}")
    print(peak_line())
    return 0


def _tagger_how(processed: Path) -> str:
    """How the tag stage got each taxonomy's model ("trained", "from the model store", "loaded"), from its
    ``tagging_meta.json``; empty when the stage did not run."""
    import json

    try:
        models = json.loads((processed / "tagging_meta.json").read_text(encoding="utf-8")).get("models", {})
    except (OSError, ValueError):
        return ""
    return ", ".join(f"{name} {m.get('how', '?')}" for name, m in sorted(models.items()))


def settle(raw: Path) -> None:
    """Wait (untimed) until every file under ``raw`` was last modified or changed ``SETTLED_NS`` ago."""
    newest = max(max(st.st_mtime_ns, st.st_ctime_ns) for st in (p.stat() for p in raw.rglob("*") if p.is_file()))
    wait = (newest + SETTLED_NS - time.time_ns()) / 1e9 + 0.05
    if wait > 0:
        time.sleep(wait)


def _report_cells(run_dir: Path) -> list[tuple[float, str]]:
    """The executed report notebook's cells, slowest first: (seconds, first line of the cell)."""
    import nbformat

    path = run_dir / "notebooks" / "04_report.ipynb"
    if not path.is_file():
        return []
    nb = nbformat.read(str(path), as_version=4)
    cells = [(float(c.metadata.get("papermill", {}).get("duration") or 0), c.source.splitlines()[0] if c.source else "")
             for c in nb.cells if c.cell_type == "code"]
    return sorted(cells, reverse=True)


def peak_line() -> str:
    """The peak resident memory so far: this process and its largest child."""
    self_mb, child_mb = peak_mb()
    return f"peak RSS: this process {self_mb:.0f} MB, largest child {child_mb:.0f} MB"


if __name__ == "__main__":
    raise SystemExit(main())
