"""Command-line interface: ``soa-analysis run|ingest|tag|evidence|report|evaluate|review|export-qdpx``.

Exit status: 0 when the run completed (quarantined files are reported, not fatal);
1 when a stage failed, a run guard refused to publish (no submissions, too steep a drop) or the
report could not be written (the reason is printed on one line, the executed notebook is kept);
2 for bad options, a bad run file, missing inputs, processed tables that mix runs, or a folder
another run is using (nothing is run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import SoaError


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="YAML run file (config/runs/NAME.yaml); flags override it")
    p.add_argument("--raw-dir", metavar="DIR", help="folder of submission files, read-only (default data/raw)")
    p.add_argument("--processed-dir", metavar="DIR", help="folder for processed tables (default data/processed)")
    p.add_argument("--reports-dir", metavar="DIR", help="folder for runs and published reports (default reports)")
    p.add_argument("--taxonomies", metavar="LIST", help="comma-separated taxonomies to tag against "
                   "(default priorities,outcomes_soa; also outcomes_2018 or a YAML path)")
    p.add_argument("--rubric", metavar="FILE", help="evidence rubric YAML to grade with (default: the packaged "
                   "soa_analysis/rubrics/evidence_rubric.yaml)")
    p.add_argument("--extra-labels", metavar="FILE", help="labels CSV from `soa-analysis review import --out` "
                   "to add to the tagger's training corpus")
    p.add_argument("--compare-to", metavar="RUN_ID", help="compare this run's results with that run's (a run id "
                   "under reports/runs/, or a unique prefix) instead of the last good run")
    p.add_argument("--outcome-data", metavar="FILE", help="CPOP CPP-level outcome data CSV (a newer download) to set "
                   "beside the narrative (default: the CPOP data shipped in the package)")
    p.add_argument("--workers", type=int, metavar="N", help="processes to use; 0 = one per core (default 0)")
    p.add_argument("--max-file-mb", type=float, metavar="MB", help="quarantine files larger than this (default 50)")
    p.add_argument("--no-council-reports", dest="council_reports", action="store_const", const=False,
                   default=None, help="publish only the national summary, not one report per council")
    p.add_argument("--allow-empty", dest="allow_empty", action="store_const", const=True, default=None,
                   help="publish even when no submission was ingested (otherwise the run fails and the last "
                        "good report is kept)")
    p.add_argument("--max-drop", metavar="SHARE", help="refuse to publish when the submissions fall by more than "
                   "this share against the last published report (e.g. 0.25 or 25%%); without it a fall of more "
                   "than a fifth only warns")
    p.add_argument("--keep-runs", type=int, metavar="N", help="run folders to keep in reports/runs/ (the newest, "
                   "and always the one reports/latest/ came from); 0 keeps all (default 10)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars (stage lines are still printed)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="soa-analysis",
        description="Ingest SOA submissions, tag them against the national priorities and National Outcomes, "
                    "grade their evidence, and publish self-contained HTML reports.",
    )
    parser.add_argument("--version", action="version", version=f"soa-analysis {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    helps = {
        "run": "run the whole pipeline (ingest, tag, evidence, report) and publish reports/latest/",
        "ingest": "read the raw submissions into data/processed (ingest_log.csv, submissions.parquet, ...)",
        "tag": "tag the submissions against the taxonomies (tags.parquet, tag_evidence.parquet)",
        "evidence": "grade the evidence of benefits and added value (evidence.parquet, ...)",
        "report": "build the HTML reports from the processed tables and publish reports/latest/",
    }
    for name, text in helps.items():
        p = sub.add_parser(name, help=text, description=text)
        _add_run_options(p)
    ev = sub.add_parser("evaluate", help="cross-validated accuracy of the priority tagger on a labelled file",
                        description="Per-priority precision, recall and F1, micro and macro F1 with bootstrap 95% "
                                    "intervals, by cross-validation, on a labelled CSV (text, labels columns).")
    ev.add_argument("--labels", metavar="FILE", help="labelled CSV (default: the corpus shipped in the package)")
    ev.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    ev.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    rv = sub.add_parser("review", help="export tags for reviewers, or import reviewed files",
                        description="Export tags with their evidence for reviewers (CSV and XLSX), or import "
                                    "reviewed files as labels and report agreement (Cohen's kappa).")
    rv_sub = rv.add_subparsers(dest="review_command", required=True, metavar="ACTION")
    rx = rv_sub.add_parser("export", help="write review sheets (CSV and XLSX) from the processed tags")
    rx.add_argument("--processed-dir", default="data/processed", metavar="DIR")
    rx.add_argument("--out", required=True, metavar="FILE", help="output path; .csv and .xlsx are both written")
    ri = rv_sub.add_parser("import", help="read reviewed sheets or coded REFI-QDA projects; print agreement; "
                           "write training labels")
    ri.add_argument("files", nargs="+", metavar="FILE", help="reviewed CSV/XLSX files (one per reviewer), or .qdpx "
                    "projects coded in a CAQDAS tool (each user a coder)")
    ri.add_argument("--processed-dir", default="data/processed", metavar="DIR",
                    help="the processed folder the sheets were exported from (default data/processed)")
    ri.add_argument("--out", metavar="FILE", help="write the reviewed submissions as a labels CSV, for "
                    "`soa-analysis tag --extra-labels FILE` (optional)")
    qx = sub.add_parser("export-qdpx", help="write the coding as a REFI-QDA project for CAQDAS tools",
                        description="Write a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA or QualCoder: one "
                                    "text source per submission (narrative only), the codebook, a coded selection per "
                                    "evidence sentence, and the submissions' attributes as variables.")
    qx.add_argument("--processed-dir", default="data/processed", metavar="DIR",
                    help="the processed folder to export (default data/processed)")
    qx.add_argument("--out", required=True, metavar="FILE", help="the .qdpx file to write")
    return parser


def _options(args: argparse.Namespace):
    from .config import make_options

    return make_options(
        config=args.config,
        raw_dir=args.raw_dir,
        processed_dir=args.processed_dir,
        reports_dir=args.reports_dir,
        taxonomies=args.taxonomies,
        workers=args.workers,
        max_file_mb=args.max_file_mb,
        council_reports=args.council_reports,
        keep_runs=args.keep_runs,
        rubric=args.rubric,
        extra_labels=args.extra_labels,
        compare_to=args.compare_to,
        outcome_data=args.outcome_data,
        allow_empty=args.allow_empty,
        max_drop=args.max_drop,
    )


def _cmd_pipeline(args: argparse.Namespace) -> int:
    from .pipeline import run

    opts = _options(args)
    stages = ("ingest", "tag", "evidence", "report") if args.command == "run" else (args.command,)
    result = run(opts, stages, progress=False if args.quiet else None)
    summary = result.manifest.get("ingest_summary") or {}
    if summary and "ingest" in stages:
        parts = [f"{summary.get(k, 0)} {k}" for k in ("ingested", "duplicate", "quarantined")]
        print(f"files: {summary.get('files', 0)} ({', '.join(parts)}); "
              f"see {Path(opts.processed_dir) / 'ingest_log.csv'}", file=sys.stderr)
    if not result.ok:
        print(f"soa-analysis: run {result.run_id} failed: {result.error}", file=sys.stderr)
        return 1
    if result.manifest.get("changes"):
        print(result.manifest["changes"]["line"], file=sys.stderr)
    print(f"run folder: {result.run_dir}", file=sys.stderr)
    if result.report_path is not None:
        print(result.report_path)
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .tagging import evaluate

    report = evaluate(args.labels, folds=args.folds, seed=args.seed)
    print(report.to_markdown())
    if args.labels is None:
        from .accuracy import plain_sentences

        print("\nThe packaged accuracy record (the figures the reports quote):")
        for line in plain_sentences():
            print(f"- {line}")
    return 0


def _cmd_review(args: argparse.Namespace) -> int:
    from . import tagging

    if args.review_command == "export":
        paths = tagging.export_review(args.processed_dir, args.out)
        for p in paths if isinstance(paths, (list, tuple)) else [paths]:
            print(p)
        return 0
    import pandas as pd

    from .refi import qdpx_review
    from .tagging.review import agreement_text

    sheets = [f for f in args.files if Path(f).suffix.lower() != ".qdpx"]
    frames = [tagging.import_review(sheets)] if sheets else []
    for f in args.files:
        if Path(f).suffix.lower() == ".qdpx":
            coded = qdpx_review(f, args.processed_dir)
            print(coded.summary(f))
            frames.append(coded.review)
    review = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else frames[0]
    print(agreement_text(review))
    if args.out:
        from .io import write_table

        labels = tagging.labels_from_review(review, args.processed_dir)
        write_table(labels.drop(columns=["label_list"], errors="ignore"), args.out)
        print(f"{len(labels)} reviewed submission(s) written as training labels to {args.out}; "
              f"retrain with: soa-analysis tag --extra-labels {args.out}")
    return 0


def _cmd_export_qdpx(args: argparse.Namespace) -> int:
    from .refi import export_qdpx

    done = export_qdpx(args.processed_dir, args.out)
    print(f"{done.n_sources} sources, {done.n_codes} codes, {done.n_selections} coded selections "
          f"({done.n_codings} codings) by soa-analysis", file=sys.stderr)
    if done.unplaced:
        print(f"{len(done.unplaced)} evidence sentence(s) could not be placed in their source and were left out, "
              f"e.g. {done.unplaced[0][0]}: {done.unplaced[0][1][:60]!r}", file=sys.stderr)
    print(done.path)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``soa-analysis`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "evaluate":
            return _cmd_evaluate(args)
        if args.command == "review":
            return _cmd_review(args)
        if args.command == "export-qdpx":
            return _cmd_export_qdpx(args)
        return _cmd_pipeline(args)
    except SoaError as exc:
        print(f"soa-analysis: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full or read-only disk outside any stage: one line, not a traceback
        from .guards import os_error_reason

        print(f"soa-analysis: cannot complete the run: {os_error_reason(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("soa-analysis: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
