"""Run the whole pipeline on the hostile corpus and print, per hostile class, what became of it.

Builds the corpus of ``benchmarks/hostile_corpus.py`` (all FICTIONAL) in a temporary folder,
then runs ``soa-analysis run`` on it end to end as a user would (a separate process, council
reports included) and prints:

- per hostile class: its files, their status (ingested / duplicate / quarantined), the
  commonest reason, the seconds the ingest spent on them, and the report page(s) they end
  up in with the page's size;
- the run's wall-clock time and stage timings, the size of ``summary.html`` and of the
  largest council page, against the targets (under 2 minutes end to end, summary under 3 MB);
- what must never be published: any contact-detail disguise, the text of a file outside the
  raw folder (reached through a symbolic link), ``/etc/passwd``'s first line, a live
  spreadsheet formula, a bidirectional override character.

Usage::

    .venv/bin/python benchmarks/bench_hostile.py            # builds, runs, prints, removes the corpus
    .venv/bin/python benchmarks/bench_hostile.py --keep     # keeps the folder to look at
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import hostile_corpus  # noqa: E402

from soa_analysis.ingest.files import display_name  # noqa: E402

TARGET_SECONDS = 120
TARGET_SUMMARY_BYTES = 3 * 1024 * 1024


def _kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"


def _shared_text(latest: Path) -> str:
    """Everything a reader of the published report gets: pages, CSV tables, the workbook's XML."""
    parts = [p.read_text(encoding="utf-8", errors="replace") for p in latest.rglob("*")
             if p.suffix in (".html", ".csv", ".json") and p.name != "manifest.json"]
    book = latest / "tables" / "report_tables.xlsx"
    if book.exists():
        with zipfile.ZipFile(book) as z:
            parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")]
    return "\n".join(parts)


def _leaks(latest: Path) -> dict[str, int]:
    text = _shared_text(latest)
    passwd = ""
    try:
        passwd = Path("/etc/passwd").read_text().splitlines()[0]
    except (OSError, IndexError):
        pass
    workbook_formulas = 0
    book = latest / "tables" / "report_tables.xlsx"
    if book.exists():
        with zipfile.ZipFile(book) as z:
            workbook_formulas = sum(z.read(n).count(b"<f>") for n in z.namelist() if n.endswith(".xml"))
    return {
        "contact details (any disguise)": sum(text.count(f) for f in hostile_corpus.CONTACT_FORMS),
        "names beside contact details": sum(text.count(n) for n in hostile_corpus.CONTACT_NAMES),
        "text of a file outside the raw folder": text.count(hostile_corpus.SECRET),
        "/etc/passwd's first line": text.count(passwd) if passwd else 0,
        "live formulas in the workbook": workbook_formulas,
        "bidi override characters": sum(text.count(c) for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    }


def _pages(latest: Path, councils: set[str]) -> str:
    from soa_analysis.report.cards import council_page_name

    pages = [f"summary {_kb((latest / 'summary.html').stat().st_size)}"]
    for c in sorted(councils):
        page = latest / "councils" / council_page_name(c)
        if page.exists():
            pages.append(f"{page.stem} {_kb(page.stat().st_size)}")
    return ", ".join(pages)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", action="store_true", help="keep the corpus and the run's folders")
    ap.add_argument("--workers", type=int, default=0, help="--workers for the run (0: one per core)")
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="soa-hostile-"))
    try:
        t0 = time.perf_counter()
        classes = hostile_corpus.build(base / "raw")
        n_files = sum(len(v) for v in classes.values())
        print(f"hostile corpus: {n_files:,} files in {len(classes)} classes, built in {time.perf_counter() - t0:.0f} s "
              f"(not counted){'' if classes['legacy .doc via LibreOffice'] else '; no LibreOffice: no .doc'}")

        cmd = [str(Path(sys.executable).parent / "soa-analysis"), "run", "--raw-dir", str(base / "raw"),
               "--processed-dir", str(base / "processed"), "--reports-dir", str(base / "reports"),
               "--workers", str(args.workers), "-q"]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=base, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        print(f"soa-analysis run: exit {done.returncode} in {wall:.1f} s")
        if done.returncode != 0:
            print(done.stderr)
            return 1
        latest = base / "reports" / "latest"
        manifest = json.loads((latest / "manifest.json").read_text())
        log = pd.read_csv(base / "processed" / "ingest_log.csv", keep_default_na=False)
        subs = pd.read_parquet(base / "processed" / "submissions.parquet", columns=["raw_file", "council"])

        rows = []
        for cls, files in classes.items():
            files = [display_name(f) for f in files]  # as the log writes names that are not UTF-8
            part = log[log["source_file"].isin(files)]
            counts = part["status"].value_counts()
            status = ", ".join(f"{int(counts[s])} {s}" for s in ("ingested", "duplicate", "quarantined") if s in counts)
            reasons = (part["reason"].where(part["reason"] != "", part["cut"].where(part["cut"] != "", "")))
            reasons = reasons[reasons != ""]
            reason = reasons.value_counts().index[0] if len(reasons) else ""
            councils = set(subs.loc[subs["raw_file"].isin(files), "council"]) - {""}
            rows.append({"class": cls, "files": len(files), "status": status or "-",
                         "reason": (reason[:90] + "...") if len(reason) > 93 else reason,
                         "seconds": round(float(part["seconds"].sum()), 2), "report": _pages(latest, councils)})
        table = pd.DataFrame(rows)
        with pd.option_context("display.width", 250, "display.max_colwidth", 95, "display.max_rows", 100):
            print(table.to_string(index=False))

        summary = (latest / "summary.html").stat().st_size
        councils = sorted((latest / "councils").glob("*.html"))
        largest = max(councils, key=lambda p: p.stat().st_size) if councils else None
        timings = ", ".join(f"{k} {v:.1f} s" for k, v in manifest["timings_s"].items())
        print(f"\nstages: {timings}")
        print(f"end to end: {wall:.1f} s (target < {TARGET_SECONDS} s: {'met' if wall < TARGET_SECONDS else 'NOT met'})")
        print(f"summary.html: {_kb(summary)} (target < 3 MB: {'met' if summary < TARGET_SUMMARY_BYTES else 'NOT met'}); "
              f"{len(councils)} council page(s), largest "
              f"{largest.name + ' ' + _kb(largest.stat().st_size) if largest else '-'}")
        print(f"files: {manifest['ingest_summary']}; submissions published: {manifest.get('n_submissions')}")
        print("never published (count found in the shared pages, tables and workbook):")
        for what, n in _leaks(latest).items():
            print(f"  {what}: {n}")
        if args.keep:
            print(f"kept: {base}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
