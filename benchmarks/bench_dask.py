"""Benchmark the Dask engine against the local engine on the same generated corpus.

Generates ``--n`` FICTIONAL submission files (``bench_pipeline.generate``), then runs ingest, tag
and evidence with ``full=True`` three times on them: the local engine (``--workers`` processes
for ingest), a Dask LocalCluster of 1 worker and one of 2 workers (each single-threaded). Checks
that every processed table equals the local engine's (apart from the seconds each file took)
and prints each stage's time and the total per engine, with the cluster's start-up apart.
The tagging model is trained once, before the timed runs, and shared.

Usage::

    .venv/bin/python benchmarks/bench_dask.py              # 1,000 files
    .venv/bin/python benchmarks/bench_dask.py --n 200
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from bench_incremental import peak_line  # noqa: E402
from bench_pipeline import generate  # noqa: E402

from soa_analysis.engine import DaskEngine, local_cluster  # noqa: E402
from soa_analysis.evidence import run_evidence  # noqa: E402
from soa_analysis.ingest import run_ingest  # noqa: E402
from soa_analysis.io import read_table  # noqa: E402
from soa_analysis.schema import TABLES  # noqa: E402
from soa_analysis.tagging import run_tagging  # noqa: E402

STAGE_TABLES = [n for n, s in TABLES.items()
                if s.written_by in ("soa-analysis ingest", "soa-analysis tag", "soa-analysis evidence")]


def _stages(raw: Path, processed: Path, eng, workers: int) -> dict[str, float]:
    times = {}
    t0 = time.perf_counter()
    run_ingest(raw, processed, workers=workers, full=True, engine=eng)
    times["ingest"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_tagging(processed, full=True, engine=eng)
    times["tag"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_evidence(processed, full=True, engine=eng)
    times["evidence"] = time.perf_counter() - t0
    return times


def _same(a: Path, b: Path) -> None:
    for name in STAGE_TABLES:
        x, y = read_table(a, name), read_table(b, name)
        if name == "ingest_log":
            x, y = x.drop(columns=["seconds"]), y.drop(columns=["seconds"])
        pd.testing.assert_frame_equal(x, y, obj=name)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="generated files (default 1000)")
    ap.add_argument("--workers", type=int, default=2, help="the local engine's ingest processes (default 2)")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw"
        generate(raw, args.n)
        # train the tagging model once, outside the timings, on a one-file copy of the corpus
        one = tmp / "one"
        one.mkdir()
        first = sorted(raw.iterdir())[0]
        shutil.copy2(first, one / first.name)
        run_ingest(one, tmp / "model", workers=1)
        run_tagging(tmp / "model")
        local = tmp / "local"
        shutil.copytree(tmp / "model" / "models", local / "models")
        rows.append(("local", 0.0, _stages(raw, local, None, args.workers)))
        for n in (1, 2):
            out = tmp / f"dask{n}"
            shutil.copytree(tmp / "model" / "models", out / "models")
            t0 = time.perf_counter()
            cluster = local_cluster(n)
            eng = DaskEngine(cluster.scheduler_address)
            start = time.perf_counter() - t0
            try:
                rows.append((f"dask, {n} worker{'s' if n > 1 else ''}", start, _stages(raw, out, eng, args.workers)))
            finally:
                eng.close()
                cluster.close()
            _same(out, local)
        subs = len(read_table(local, "submissions"))
    print(f"Dask engine vs local engine: {args.n} generated files, {subs} submissions; ingest, tag, evidence "
          f"with full=True; outputs of every engine equal the local engine's: yes")
    print(f"{'engine':<16} {'cluster start':>13} {'ingest':>8} {'tag':>8} {'evidence':>9} {'total':>8} {'subs/s':>7}")
    for label, start, t in rows:
        total = sum(t.values())
        print(f"{label:<16} {start:>12.1f}s {t['ingest']:>7.1f}s {t['tag']:>7.1f}s {t['evidence']:>8.1f}s "
              f"{total:>7.1f}s {subs / total:>7.1f}")
    print(peak_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
