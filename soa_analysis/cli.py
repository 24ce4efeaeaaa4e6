"""Command-line interface: ``soa-analysis run|ingest|tag|evidence|report|evaluate|review|export-qdpx``.

Exit status: 0 when the run completed (quarantined files are reported, not fatal);
1 when a stage failed, a run guard refused to publish (no submissions, too steep a drop) or the
report could not be written (the reason is printed on one line, the executed notebook is kept);
2 for bad options, a bad run file, missing inputs, processed tables that mix runs, or a folder
another run is using (nothing is run).
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

from . import __version__
from .errors import SoaError
from .labelled import REQUIRED_COLUMNS as REQUIRED_LABEL_COLUMNS
from .preflight import suggest

ALL_STAGES = ("ingest", "tag", "evidence", "report")

# (flags, argparse keywords, the stages that use the option); `run` offers them all.
_RUN_OPTIONS: tuple[tuple[tuple[str, ...], dict, tuple[str, ...]], ...] = (
    (("--config",), dict(metavar="FILE", help="YAML run file (config/runs/NAME.yaml); flags override it"), ALL_STAGES),
    (("--raw-dir",), dict(metavar="DIR", help="folder of submission files, read-only (default data/raw)"), ("ingest",)),
    (("--processed-dir",), dict(metavar="DIR", help="folder for processed tables (default data/processed)"),
     ALL_STAGES),
    (("--reports-dir",), dict(metavar="DIR", help="folder for runs and published reports (default reports)"),
     ALL_STAGES),
    (("--taxonomies",), dict(metavar="LIST", help="comma-separated taxonomies to tag against "
                             "(default priorities,outcomes_soa; also outcomes_2018 or a YAML path)"), ("tag",)),
    (("--extra-labels",), dict(metavar="FILE", help="labels CSV from `soa-analysis review import --out` "
                               "to add to the tagger's training corpus"), ("tag",)),
    (("--rubric",), dict(metavar="FILE", help="evidence rubric YAML to grade with (default: the packaged "
                         "soa_analysis/rubrics/evidence_rubric.yaml)"), ("evidence",)),
    (("--compare-to",), dict(metavar="RUN_ID", help="compare this run's results with that run's (a run id "
                             "under reports/runs/, or a unique prefix) instead of the last good run"), ("report",)),
    (("--outcome-data",), dict(metavar="FILE", help="CPOP CPP-level outcome data CSV (a newer download) to set "
                               "beside the narrative (default: the CPOP data shipped in the package)"), ("report",)),
    (("--workers",), dict(type=int, metavar="N", help="processes to use; 0 = one per core (default 0)"),
     ("ingest", "evidence", "report")),
    (("--max-file-mb",), dict(type=float, metavar="MB", help="quarantine files larger than this (default 50)"),
     ("ingest",)),
    (("--no-council-reports",), dict(dest="council_reports", action="store_const", const=False, default=None,
                                     help="publish only the national summary, not one report per council"),
     ("report",)),
    (("--allow-empty",), dict(dest="allow_empty", action="store_const", const=True, default=None,
                              help="publish even when no submission was ingested (otherwise the run fails and the "
                                   "last good report is kept)"), ("ingest", "report")),
    (("--max-drop",), dict(metavar="SHARE", help="refuse to publish when the submissions fall by more than this "
                           "share against the last published report (e.g. 0.25 or 25%%); without it a fall of more "
                           "than a fifth only warns"), ("ingest", "report")),
    (("--full",), dict(action="store_const", const=True, default=None,
                       help="recompute every file's results; by default a file whose bytes and versions are "
                            "unchanged since the last run is reused (the manifest lists which)"),
     ("ingest", "tag", "evidence")),
    (("--engine",), dict(choices=("local", "dask"), default=None,
                         help="where ingest, tag and evidence run: local (default) or dask (needs the dask extra: "
                              "pip install 'soa-analysis[dask]')"), ("ingest", "tag", "evidence")),
    (("--scheduler",), dict(metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786) for --engine dask; "
                            "without it a LocalCluster on this machine is started for the run"),
     ("ingest", "tag", "evidence")),
    (("--keep-runs",), dict(type=int, metavar="N", help="run folders to keep in reports/runs/ (the newest, and "
                            "always the one reports/latest/ came from); 0 keeps all (default 10)"), ALL_STAGES),
    (("-q", "--quiet"), dict(action="store_true", help="no progress bars (stage lines are still printed)"),
     ALL_STAGES),
)


def _add_run_options(p: argparse.ArgumentParser, command: str) -> None:
    """The options of one pipeline command: those its stage uses (``run``: every stage's)."""
    for flags, kwargs, stages in _RUN_OPTIONS:
        if command == "run" or command in stages:
            p.add_argument(*flags, **kwargs)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors suggest the nearest option or command (Python 3.11 has no
    ``suggest_on_error``): ``--raw-dri`` -> "did you mean --raw-dir?"."""

    def parse_known_args(self, args=None, namespace=None):  # noqa: D102 - remembers the words for error()
        self._words = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str):  # noqa: D102 - argparse's hook
        bad = re.match(r"argument (\S+): invalid choice: '([^']*)'", message)
        if bad:
            for action in self._actions:
                if isinstance(action, argparse._SubParsersAction):
                    message += suggest(bad.group(2), action.choices)
        elif message.startswith("the following arguments are required"):
            unknown = self._unknown(getattr(self, "_words", []))
            if unknown:  # `--outt x` misses `--out` because it was misspelt: say that
                self.unrecognized(unknown)
        super().error(message)

    def _unknown(self, words: list[str]) -> list[str]:
        own = [o for a in self._actions for o in a.option_strings]
        out = []
        for word in words:
            flag = word.split("=", 1)[0]
            if not re.match(r"--?[A-Za-z]", flag) or flag in own:
                continue
            if flag.startswith("--") and sum(o.startswith(flag) for o in own) == 1:
                continue  # a unique abbreviation argparse accepts
            out.append(word)
        return out

    def unrecognized(self, extras: list[str]):
        """Exit 2 naming the unknown options, each with the nearest option (of this command, or
        of the command that has it)."""
        command = self.prog.split()[-1]
        own = {o for a in self._actions for o in a.option_strings}
        owners: dict[str, set[str]] = {}
        for flags, _, stages in _RUN_OPTIONS:
            for flag in flags:
                owners.setdefault(flag, set()).update((*stages, "run"))
        hints = []
        for word in extras:
            if not word.startswith("-"):
                continue
            flag = word.split("=", 1)[0]
            close = difflib.get_close_matches(flag, sorted(own | set(owners)), n=1, cutoff=0.6)
            if flag in owners:
                hints.append(f"{flag} is an option of {_commands(owners[flag])}, not of {command}")
            elif close and close[0] in own:
                hints.append(f"{flag}: did you mean {close[0]}?")
            elif close:
                hints.append(f"{flag}: did you mean {close[0]}? (an option of {_commands(owners[close[0]])}, "
                             f"not of {command})")
        super().error(f"unrecognized arguments: {' '.join(extras)}" + "".join(f"\n  {h}" for h in hints))


def _commands(names: set[str]) -> str:
    order = ("run", *ALL_STAGES)
    return " and ".join(", ".join(n for n in order if n in names).rsplit(", ", 1))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="soa-analysis",
        description="Ingest SOA submissions, tag them against the national priorities and National Outcomes, "
                    "grade their evidence, and publish self-contained HTML reports.",
    )
    parser.add_argument("--version", action="version", version=f"soa-analysis {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    helps = {
        "run": "run the whole pipeline (ingest, tag, evidence, report) and publish reports/latest/",
        "ingest": "read the raw submissions into data/processed (ingest_log.csv, submissions.parquet, ...)",
        "tag": "tag the submissions against the taxonomies (tags.parquet, tag_evidence.parquet)",
        "evidence": "grade the evidence of benefits and added value (evidence.parquet, ...)",
        "report": "build the HTML reports from the processed tables and publish reports/latest/",
    }
    for name, text in helps.items():
        p = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        _add_run_options(p, name)
        p.set_defaults(_parser=p)
    ev = sub.add_parser("evaluate", help="cross-validated accuracy of the priority tagger on a labelled file",
                        description="Per-priority precision, recall and F1, micro and macro F1 with bootstrap 95% "
                                    "intervals, by nested cross-validation, on a labelled CSV. Categories that no "
                                    "passage has (or that every passage has) are named and left out of the figures.")
    ev.add_argument("--labels", metavar="FILE",
                    help=f"labelled CSV, UTF-8, with columns {', '.join(REQUIRED_LABEL_COLUMNS)} (labels: category "
                         "ids separated by ';'; kind optional), as `soa-analysis review import --out` writes it "
                         "(default: the corpus shipped in the package)")
    ev.add_argument("--folds", type=_folds, default=5, help="cross-validation folds, 2 or more (default 5)")
    ev.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ev.set_defaults(_parser=ev)
    rv = sub.add_parser("review", help="export tags for reviewers, or import reviewed files",
                        description="Export tags with their evidence for reviewers (CSV and XLSX), or import "
                                    "reviewed files as labels and report agreement (Cohen's kappa).")
    rv_sub = rv.add_subparsers(dest="review_command", required=True, metavar="ACTION", parser_class=_Parser)
    rx = rv_sub.add_parser("export", help="write review sheets (CSV and XLSX) from the processed tags",
                           description="Write the tags the tagger gave (and nearly gave) each submission, with the "
                                       "phrases and sentences behind them, for reviewers to mark yes or no: a CSV "
                                       "and an XLSX workbook side by side (the workbook has a drop-down for the "
                                       "decision and an instructions sheet). Read them back with `soa-analysis "
                                       "review import`.")
    rx.add_argument("--processed-dir", default="data/processed", metavar="DIR",
                    help="the processed folder to export from (default data/processed)")
    rx.add_argument("--out", required=True, metavar="FILE", help="where to write: both FILE.csv and FILE.xlsx "
                    "are written (--out review.xlsx writes review.csv and review.xlsx)")
    rx.set_defaults(_parser=rx)
    ri = rv_sub.add_parser("import", help="read reviewed sheets or coded REFI-QDA projects; print agreement; "
                           "write training labels",
                           description="Read reviewed sheets (CSV or XLSX, one per reviewer, decision yes/no or "
                                       "blank) or REFI-QDA projects coded in a CAQDAS tool; print each reviewer's "
                                       "agreement with the tagger and with each other (Cohen's kappa); optionally "
                                       "write the reviewed submissions as training labels.")
    ri.add_argument("files", nargs="+", metavar="FILE", help="reviewed CSV/XLSX files (one per reviewer), or .qdpx "
                    "projects coded in a CAQDAS tool (each user a coder)")
    ri.add_argument("--processed-dir", default="data/processed", metavar="DIR",
                    help="the processed folder the sheets were exported from (default data/processed)")
    ri.add_argument("--out", metavar="FILE", help="write the reviewed submissions as a labels CSV, for "
                    "`soa-analysis tag --extra-labels FILE` (optional)")
    ri.set_defaults(_parser=ri)
    qx = sub.add_parser("export-qdpx", help="write the coding as a REFI-QDA project for CAQDAS tools",
                        description="Write a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA or QualCoder: one "
                                    "text source per submission (narrative only), the codebook, a coded selection per "
                                    "evidence sentence, and the submissions' attributes as variables.")
    qx.add_argument("--processed-dir", default="data/processed", metavar="DIR",
                    help="the processed folder to export (default data/processed)")
    qx.add_argument("--out", required=True, metavar="FILE", help="the .qdpx file to write")
    qx.set_defaults(_parser=qx)
    return parser


def _folds(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 2:
        raise argparse.ArgumentTypeError("cross-validation needs 2 folds or more")
    return n


def _options(args: argparse.Namespace):
    from .config import make_options

    names = ("raw_dir", "processed_dir", "reports_dir", "taxonomies", "workers", "max_file_mb", "council_reports",
             "keep_runs", "rubric", "extra_labels", "compare_to", "outcome_data", "allow_empty", "max_drop", "full",
             "engine", "scheduler")
    return make_options(config=args.config, **{n: getattr(args, n, None) for n in names})


def _cmd_pipeline(args: argparse.Namespace) -> int:
    from .pipeline import run
    from .preflight import check_options
    from .procs import one_thread_each

    opts = _options(args)
    stages = ALL_STAGES if args.command == "run" else (args.command,)
    check_options(opts, stages)  # everything the stages will read, before any work (exit 2)
    one_thread_each()  # the run's parallelism is its processes, one per core
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
        paths = tagging.export_review(args.processed_dir, args.out, formats=("csv", "xlsx"))
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
    args, extras = parser.parse_known_args(argv)
    if extras:
        args._parser.unrecognized(extras)
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
