"""Benchmark the evidence stage: submissions per second and peak memory.

Generates N fictional submissions (default 10,000) by combining short fictional sentences
of each template section at random (seeded), writes them as ``submissions.parquet`` (plus
``tags.parquet`` and ``partners.parquet``) in a temporary folder, and times
``run_evidence`` over them.

Or, with ``--processed DIR``, times it on the tables of an earlier run's processed folder (copied
to a temporary folder first; e.g. the ingest and tag stages' output for ``bench_pipeline.py``'s
generated files, whose answers are longer than these), the first ``--n`` submissions of it.
With ``--kernel``, a thread is started first, so that the stage starts its grading workers as it
does in a Jupyter kernel (from a fork server, :func:`soa_analysis.procs.pool_context`); their CPU
time is then not counted in ``cpu_seconds``. ``--repeats`` runs it several times and prints
each run and the medians.

Usage::

    .venv/bin/python benchmarks/bench_evidence.py            # 10,000 submissions
    .venv/bin/python benchmarks/bench_evidence.py --n 1000   # quicker
    .venv/bin/python benchmarks/bench_evidence.py --n 1000 --workers 1   # graded in one process
    .venv/bin/python benchmarks/bench_evidence.py --processed data/processed --n 2000 --kernel --repeats 3

Prints one JSON line: n, seconds, submissions_per_second, cpu_seconds, workers, peak_rss_mb (and
the largest grading worker's), grade counts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from soa_analysis.evidence import THEME_IDS, run_evidence
from soa_analysis.io import write_table
from soa_analysis.schema import PRIORITY_IDS, SECTION_COLUMNS

# All fictional.
NEED = [
    "Rates of antisocial behaviour in the Fictionhill estate were twice the council average.",
    "Too many older people were admitted to hospital after a fall.",
    "Youth unemployment in the town stood at 14% in 2009.",
    "Parents told us there was little support for families with young children.",
    "The town centre had 30 empty shop units.",
]
EVIDENCE = [
    "Recorded incidents fell from 410 to 300 between 2008 and 2010.",
    "Over 350 people attended 40 events during the year.",
    "One parent said \"the group gave me my confidence back\".",
    "The project has made a real difference to the community.",
    "A full evaluation will be completed by March 2012.",
    "Emergency admissions of people aged 65+ fell by 14% compared with the previous year.",
    "The service was shortlisted for a national award.",
    "Benefits are expected over the next two years as the hub opens.",
    "Survey results show that 85% of users were satisfied with the service.",
    "It is too early to measure the impact.",
    "Some 46 young people moved into work or training.",
]
ADDED = [
    "The SOA encouraged partners to pool budgets and co-locate staff.",
    "Multi-agency working and information sharing improved.",
    "Residents were consulted and their feedback shaped the service.",
    "The third sector interface brought in voluntary organisations.",
    "Local employers offered work placements.",
    "Savings of £80,000 a year were made by removing duplication.",
    "The focus shifted to prevention and early intervention.",
    "It was a great project.",
]
NEXT = [
    "The partnership will extend the service to all localities by March 2013.",
    "NHS Fictionshire will review the pathway in 2012/13.",
    "We will seek further funding over the next two years.",
    "The steering group will report to the board in summer 2012.",
]
ACTIONS = [
    "The council, NHS Fictionshire and the police set up a joint team.",
    "A steering group of partners met monthly.",
    "Staff delivered home safety visits across the area.",
]
PARTNER_TYPES = ["local_authority", "health_board", "police", "fire", "voluntary", "enterprise", "college"]


def make_submissions(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``n`` fictional submissions, with tags and partners tables."""
    rnd = random.Random(seed)
    subs, tags, partners = [], [], []
    for i in range(n):
        row = {s: "" for s in SECTION_COLUMNS}
        row.update(
            title=f"Fictional case study {i}",
            need=" ".join(rnd.sample(NEED, 2)),
            actions=" ".join(rnd.sample(ACTIONS, 2)),
            evidence=" ".join(rnd.sample(EVIDENCE, rnd.randint(2, 5))),
            added_value=" ".join(rnd.sample(ADDED, rnd.randint(1, 3))),
            next_steps=" ".join(rnd.sample(NEXT, 2)),
        )
        sid = f"bench{i:05d}"
        subs.append({
            "submission_id": sid, "source_file": f"{sid}.docx", "submission_type": "case_study_2009",
            "council": "Fictional Council", "council_code": "", **row,
            "checklist": rnd.sample(list(THEME_IDS), 2), "outcomes_cited": [],
            "text": "\n\n".join(row[s] for s in SECTION_COLUMNS if row[s]), "format": "docx",
            "council_source": "", "date": "2011-06-01", "year": 2011, "warnings": [],
        })
        for p in PRIORITY_IDS:
            tags.append({"submission_id": sid, "taxonomy": "priorities", "priority": p, "score": 0.5,
                         "assigned": rnd.random() < 0.3, "evidence": ""})
        for j, ptype in enumerate(rnd.sample(PARTNER_TYPES, 3)):
            partners.append({"submission_id": sid, "name": f"Fictional partner {j}", "partner_type": ptype})
    df = pd.DataFrame(subs)
    df["year"] = df["year"].astype("Int64")
    return df, pd.DataFrame(tags), pd.DataFrame(partners)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the grading workers)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def _copy_processed(src: Path, dest: Path, n: int) -> int:
    """The first ``n`` submissions of ``src`` (and their tags, tag evidence and partners) written in ``dest``."""
    subs = pd.read_parquet(src / "submissions.parquet").head(n)
    ids = set(subs["submission_id"].astype(str))
    subs.to_parquet(dest / "submissions.parquet")
    for name in ("tags", "tag_evidence", "partners"):
        if (src / f"{name}.parquet").exists():
            df = pd.read_parquet(src / f"{name}.parquet")
            df[df["submission_id"].astype(str).isin(ids)].to_parquet(dest / f"{name}.parquet")
    return len(subs)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="number of generated submissions")
    ap.add_argument("--workers", type=int, default=0, help="grading processes (0: one per core; 1: this process)")
    ap.add_argument("--processed", type=Path, help="an earlier run's processed folder to take the submissions from")
    ap.add_argument("--kernel", action="store_true", help="start the grading workers as a Jupyter kernel does")
    ap.add_argument("--repeats", type=int, default=1, help="runs (the medians are printed last)")
    args = ap.parse_args(argv)
    if args.kernel:  # a kernel has threads: the stage's pool then forks its workers from a fork server
        threading.Thread(target=time.sleep, args=(10**6,), daemon=True).start()
    runs = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            if args.processed:
                n = _copy_processed(args.processed, Path(tmp), args.n)
            else:
                subs, tags, partners = make_submissions(args.n)
                write_table(subs, Path(tmp) / "submissions.parquet", table="submissions")
                write_table(tags, Path(tmp) / "tags.parquet", table="tags")
                write_table(partners, Path(tmp) / "partners.parquet", table="partners")
                n = len(subs)
                del subs, tags, partners
            t0, c0 = time.perf_counter(), _cpu()
            result = run_evidence(tmp, evaluate=False, workers=args.workers)
            seconds, cpu = time.perf_counter() - t0, _cpu() - c0
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out = {
            "n": n,
            "seconds": round(seconds, 2),
            "submissions_per_second": round(n / seconds, 1),
            "cpu_seconds": round(cpu, 2),  # this process and its grading workers (not a fork server's)
            "workers": args.workers,
            "kernel": args.kernel,
            "load_average": round(os.getloadavg()[0], 1),
            "peak_rss_mb": round(peak_kb / 1024, 1),
            "peak_rss_worker_mb": round(child_kb / 1024, 1),
            "grades": result.meta["grades"],
            "sentences": int(len(result.evidence_sentences)),
        }
        print(json.dumps(out), flush=True)
        runs.append(out)
    if len(runs) > 1:
        print(json.dumps({"median_seconds": statistics.median(r["seconds"] for r in runs),
                          "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
                          "median_submissions_per_second": statistics.median(r["submissions_per_second"] for r in runs)}))
    return runs[-1]


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
