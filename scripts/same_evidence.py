"""Check that two versions of the code grade the same submissions to identical evidence tables.

For each processed folder given (one the ingest and tag stages wrote, e.g. for
``benchmarks/bench_pipeline.py``'s generated files or ``data/raw``), runs the evidence stage
(``run_evidence``: every submission graded, in one process, accuracy not measured) once with this
checkout's code and once with the code of ``--reference`` (another checkout or worktree of the
project, e.g. the main branch's), each in a process of its own on a copy of the folder's input
tables, and compares every table it writes with ``pandas.testing.assert_frame_equal`` (exact)
and ``evidence_meta.json`` but its timing. A speed-up of the stage should change none of them.

Usage::

    .venv/bin/soa-analysis ingest --raw-dir RAW --processed-dir /tmp/p && .venv/bin/soa-analysis tag --processed-dir /tmp/p
    .venv/bin/python scripts/same_evidence.py --reference ../main-checkout /tmp/p

Prints one line per table and exits 1 at the first difference.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ("submissions", "tags", "tag_evidence", "partners")
GRADE = """
import shutil, sys
from pathlib import Path
from soa_analysis.evidence import run_evidence
work, out = Path(sys.argv[1]), Path(sys.argv[2])
result = run_evidence(work, evaluate=False, workers=1, full=True)
for path in result.paths.values():
    shutil.copy(path, out / Path(path).name)
"""


def grade_with(code: Path, processed: Path, out: Path) -> None:
    """The evidence tables of ``processed``'s inputs, graded with the package in ``code``, written in ``out``."""
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as work:
        for name in INPUTS:
            if (processed / f"{name}.parquet").exists():
                shutil.copy(processed / f"{name}.parquet", work)
        code = code.resolve()  # run from there too: "python -c" imports from its working folder first
        env = {**os.environ, "PYTHONPATH": str(code)}
        check = subprocess.run([sys.executable, "-c", "import soa_analysis; print(soa_analysis.__file__)"], env=env,
                               cwd=code, capture_output=True, text=True, check=True).stdout.strip()
        if Path(check).resolve().parent.parent != code.resolve():
            raise SystemExit(f"{code}: its package is not the one imported ({check})")
        subprocess.run([sys.executable, "-c", GRADE, work, str(out.resolve())], env=env, cwd=code, check=True)


def compare(a: Path, b: Path) -> None:
    names = sorted(p.name for p in a.glob("*.parquet"))
    if names != sorted(p.name for p in b.glob("*.parquet")):
        raise SystemExit(f"different tables: {names} and {sorted(p.name for p in b.glob('*.parquet'))}")
    for name in names:
        x, y = pd.read_parquet(a / name), pd.read_parquet(b / name)
        assert_frame_equal(x, y, check_exact=True, obj=name)
        print(f"  {name}: identical ({len(x)} rows, {len(x.columns)} columns)")
    meta_a, meta_b = (json.loads((d / "evidence_meta.json").read_text(encoding="utf-8")) for d in (a, b))
    meta_a.pop("seconds", None)
    meta_b.pop("seconds", None)
    if meta_a != meta_b:
        raise SystemExit("evidence_meta.json differs")
    print("  evidence_meta.json: identical but its seconds")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("processed", type=Path, nargs="+", help="processed folders (ingest and tag stages' output)")
    ap.add_argument("--reference", type=Path, required=True, help="the other checkout of the project")
    args = ap.parse_args(argv)
    for processed in args.processed:
        print(f"{processed}:")
        with tempfile.TemporaryDirectory() as tmp:
            grade_with(args.reference, processed, Path(tmp) / "reference")
            grade_with(ROOT, processed, Path(tmp) / "this")
            compare(Path(tmp) / "reference", Path(tmp) / "this")
    return 0


if __name__ == "__main__":
    sys.exit(main())
