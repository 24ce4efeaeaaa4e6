"""The change step of a run: compare with the last good run, track follow-ups, keep a snapshot.

The pipeline calls :func:`update_changes` after the evidence stage, as the report stage starts. It
writes ``changes.parquet``, ``followup_status.parquet`` and ``changes_meta.json`` to the processed
folder (where the report reads them) and ``snapshot.json`` to the run folder (what the next run
compares with).

The step runs in a thread of the pipeline's process while the report's notebook runs in its kernel
(:class:`BackgroundChangeStep`): the notebook loads the tables and works out the charts in the
meantime, and whatever reads the step's files (:func:`load_changes_meta`, the change sections and
exports) first waits for them (:func:`wait_for_change_step`). A marker file in the processed folder,
``.change_step.pending``, says the step is under way; it is gone once the files are written, and
names the error if the step failed.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, SoaError, StageError
from ..io import read_table, write_table, write_text
from ..schema import TABLES
from .compare import compare_snapshots, summarise, summary_line
from .followups import TRACK_READS, followup_records, track_followups
from .snapshot import (
    SNAPSHOT_FILE,
    SNAPSHOT_READS,
    SnapshotError,
    build_snapshot,
    load_snapshot,
    previous_run,
    read_columns,
    resolve_run,
    write_snapshot,
)

__all__ = ["ChangeReport", "update_changes", "load_changes_meta", "load_followups", "compare_runs", "run_change_step",
           "BackgroundChangeStep", "wait_for_change_step", "CHANGES_META", "PENDING"]

CHANGES_META = "changes_meta.json"
PENDING = ".change_step.pending"  # in the processed folder while a run's change step is under way
PENDING_TIMEOUT_S = 3600.0  # a reader gives up waiting after this long (the step takes seconds)


@dataclass
class ChangeReport:
    """What :func:`update_changes` found.

    Attributes
    ----------
    previous_run : str
        Id of the run compared with; "" when there was none.
    line : str
        One line for the CLI.
    counts : dict or None
        :func:`.compare.summarise` of the changes; None when there was nothing to compare with.
    note : str
        Why nothing was compared, when a previous run could not be read.
    as_of, previous_as_of : str
        ISO dates the follow-ups were judged on, in this run and the previous one.
    """

    run_id: str
    previous_run: str
    line: str
    counts: dict | None
    changes: pd.DataFrame
    followups: pd.DataFrame
    note: str = ""
    as_of: str = ""
    previous_as_of: str = ""
    previous_started: str = ""
    paths: dict = field(default_factory=dict)

    def to_meta(self) -> dict:
        """The JSON the report and the manifest read."""
        f = self.followups
        return {"run_id": self.run_id, "previous_run": self.previous_run, "line": self.line, "counts": self.counts,
                "note": self.note, "as_of": self.as_of, "previous_as_of": self.previous_as_of,
                "previous_started": self.previous_started,
                "followups": {s: int((f["status"] == s).sum()) for s in ("reported", "overdue", "not_yet_due",
                                                                         "no_date")}
                | {"fell_due_since_last_run": int(f["fell_due_since_last_run"].sum())}}


def _started(run_dir: Path) -> str:
    try:
        return str(json.loads((run_dir / "manifest.json").read_text(encoding="utf-8")).get("started") or "")
    except (OSError, ValueError):
        return ""


def update_changes(processed_dir: str | os.PathLike, run_dir: str | os.PathLike, *, reports_dir=None,
                   compare_to: str = "", as_of: _dt.date | None = None) -> ChangeReport:
    """Compare this run with the last good run (or ``compare_to``) and keep this run's snapshot.

    Parameters
    ----------
    processed_dir : path-like
        The processed folder (after the evidence stage).
    run_dir : path-like
        This run's folder (``reports/runs/<id>``); ``snapshot.json`` is written there.
    reports_dir : path-like, optional
        The reports folder holding ``runs/`` (default: the run folder's grandparent).
    compare_to : str
        A run id (or unique prefix, or a run folder) to compare with instead of the last good run.
    as_of : datetime.date, optional
        The date follow-ups are judged on (default: today, UTC).

    Returns
    -------
    ChangeReport

    Raises
    ------
    ConfigError
        If ``compare_to`` names no run, or a run without a snapshot.
    InputError
        If the processed folder has no submissions table.
    """
    run_dir = Path(run_dir)
    pdir = Path(processed_dir)
    reports_dir = Path(reports_dir) if reports_dir is not None else run_dir.parent.parent
    as_of = as_of or _dt.datetime.now(_dt.timezone.utc).date()
    prev_dir = resolve_run(reports_dir, compare_to) if compare_to else previous_run(reports_dir, run_dir)
    prev, note = None, ""
    if prev_dir is not None:
        try:
            prev = load_snapshot(prev_dir)
        except SnapshotError as exc:
            note = f"could not compare with run {prev_dir.name}: {exc}"
    # the submissions are read once, with the columns the snapshot and the follow-ups read (not the
    # narrative's parts neither shows: most of the table)
    subs = read_columns(pdir, "submissions", list(dict.fromkeys(SNAPSHOT_READS["submissions"] + TRACK_READS)))
    cur = build_snapshot(pdir, run_id=run_dir.name, as_of=as_of, submissions=subs)
    fpath = pdir / TABLES["followups"].filename
    fu = read_table(pdir, "followups") if fpath.exists() else None
    prev_as_of = None
    if prev is not None and prev.get("as_of"):
        try:
            prev_as_of = _dt.date.fromisoformat(prev["as_of"])
        except ValueError:
            prev_as_of = None
    status = track_followups(subs, fu, as_of=as_of, previous_as_of=prev_as_of,
                             previous=prev.get("followups") if prev is not None else None)
    cur["followups"] = followup_records(status, subs)
    changes = compare_snapshots(prev, cur)
    counts = summarise(changes) if prev is not None else None
    previous = prev_dir.name if prev is not None else ""
    line = summary_line(counts, previous)
    if note:
        line = f"changes: nothing compared ({note})"
    report = ChangeReport(run_id=run_dir.name, previous_run=previous, line=line, counts=counts, changes=changes,
                          followups=status, note=note, as_of=as_of.isoformat(),
                          previous_as_of=prev_as_of.isoformat() if prev_as_of else "",
                          previous_started=_started(prev_dir) if prev is not None else "")
    report.paths["changes"] = write_table(changes, pdir / TABLES["changes"].filename, table="changes")
    report.paths["followup_status"] = write_table(status, pdir / TABLES["followup_status"].filename,
                                                  table="followup_status")
    report.paths["meta"] = write_text(pdir / CHANGES_META, json.dumps(report.to_meta(), indent=2) + "\n")
    report.paths["snapshot"] = write_snapshot(run_dir, cur)
    return report


def wait_for_change_step(processed_dir: str | os.PathLike, *, timeout: float = PENDING_TIMEOUT_S,
                         poll: float = 0.02) -> None:
    """Return once no change step is under way for ``processed_dir`` (at once when none is).

    Raises
    ------
    StageError
        If the step under way failed (its error is named), or did not finish within ``timeout`` seconds.
        A marker left by a process that no longer runs (a run killed mid-step) is ignored.
    """
    from ..procs import alive

    marker = Path(processed_dir) / PENDING
    deadline = time.monotonic() + timeout
    while True:
        try:
            state = json.loads(marker.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError):  # being replaced: read it again
            state = {}
        if state.get("error"):
            raise StageError(f"change step failed: {state['error']}", stage="changes")
        if isinstance(state.get("pid"), int) and not alive(state["pid"]):
            return
        if time.monotonic() > deadline:
            raise StageError(f"the change step of run {state.get('run_id', '?')} did not finish within "
                             f"{timeout:.0f} s ({marker} is still there)", stage="changes")
        time.sleep(poll)


class BackgroundChangeStep:
    """:func:`run_change_step` in a thread of this process, started now; :meth:`result` waits for it.

    Until the step's files are written, the marker :data:`PENDING` in the processed folder (this process's
    id and the run's) makes :func:`wait_for_change_step` wait, in any process; if the step fails, the marker
    names its error, so a reader fails too. :meth:`result` (or :meth:`close`) removes the marker whatever
    happened.
    """

    def __init__(self, opts, run_dir: str | os.PathLike):
        self._marker = Path(opts.processed_dir) / PENDING
        self._state = {"run_id": Path(run_dir).name, "pid": os.getpid()}
        write_text(self._marker, json.dumps(self._state))
        self._meta: dict | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(opts, run_dir), name="change-step", daemon=True)
        self._thread.start()

    def _run(self, opts, run_dir) -> None:
        try:
            self._meta = run_change_step(opts, run_dir)
        except BaseException as exc:  # noqa: BLE001 - raised by result(); named in the marker for the readers
            self._error = exc
            try:
                write_text(self._marker, json.dumps(self._state | {"error": str(exc) or type(exc).__name__}))
            except OSError:
                self._marker.unlink(missing_ok=True)  # the readers then find the step's files missing
        else:
            self._marker.unlink(missing_ok=True)

    def error(self) -> BaseException | None:
        """Wait for the step; its error, or ``None`` when it succeeded."""
        self._thread.join()
        return self._error

    def result(self) -> dict:
        """Wait for the step and return its manifest entry (:func:`run_change_step`); its error is raised here."""
        try:
            if self.error() is not None:
                raise self._error
            return self._meta
        finally:
            self.close()

    def close(self) -> None:
        """Wait for the step and remove the marker."""
        self._thread.join()
        self._marker.unlink(missing_ok=True)


def load_changes_meta(processed_dir: str | os.PathLike) -> dict | None:
    """The ``changes_meta.json`` the last change step wrote (once a step under way has written it:
    :func:`wait_for_change_step`), or None."""
    wait_for_change_step(processed_dir)
    try:
        return json.loads((Path(processed_dir) / CHANGES_META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def compare_runs(reports_dir, run: str = "", compare_to: str = ""):
    """The change report between two kept runs, from their snapshots (for JupyterLab).

    Parameters
    ----------
    reports_dir : path-like
        The reports folder holding ``runs/``.
    run : str
        The run to report on (id, unique prefix or folder); "" for the latest run that kept a snapshot.
    compare_to : str
        The run to compare with; "" for the last good run before ``run``.

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        The changes (columns :data:`CHANGE_COLUMNS`) and a one-line summary.

    Raises
    ------
    ConfigError
        If a named run does not exist or kept no snapshot, or no run kept one.
    """
    if run:
        run_dir = resolve_run(reports_dir, run)
    else:
        runs = Path(reports_dir) / "runs"
        kept = sorted(p for p in runs.glob(f"*/{SNAPSHOT_FILE}")) if runs.is_dir() else []
        if not kept:
            raise ConfigError(f"no run in {runs} kept a {SNAPSHOT_FILE}: run `soa-analysis run` first")
        run_dir = kept[-1].parent
    prev_dir = resolve_run(reports_dir, compare_to) if compare_to else previous_run(reports_dir, run_dir)
    cur = load_snapshot(run_dir)
    prev = load_snapshot(prev_dir) if prev_dir is not None else None
    changes = compare_snapshots(prev, cur)
    line = summary_line(summarise(changes) if prev is not None else None, prev_dir.name if prev_dir else "")
    return changes, f"run {run_dir.name}: {line}"


def run_change_step(opts, run_dir) -> dict:
    """The pipeline's hook: :func:`update_changes` for a run, as the manifest's ``changes`` entry.

    Raises
    ------
    SoaError
        As :func:`update_changes`; any other failure becomes a :class:`StageError` of the
        ``changes`` step, so the run fails like a failing stage (the last good report stays).
    """
    from ..procs import gc_paused

    try:
        # the collector paused (as in the stages' own processes: :func:`soa_analysis.procs.gc_paused`): the step
        # makes a few objects a submission (the snapshot's rows, the last run's read back), and the full
        # collections they set off walked the run's process's objects again and again (about half of the step)
        with gc_paused():
            report = update_changes(opts.processed_dir, run_dir, reports_dir=opts.reports_dir,
                                    compare_to=opts.compare_to)
    except SoaError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported as the step's failure, with its type
        raise StageError(f"change step failed: {type(exc).__name__}: {exc}", stage="changes") from None
    return report.to_meta()


def load_followups(processed_dir: str | os.PathLike) -> pd.DataFrame:
    """The ``followup_status`` table the last change step wrote (empty, with its columns, if none)."""
    from .followups import FOLLOWUP_COLUMNS

    path = Path(processed_dir) / TABLES["followup_status"].filename
    if not path.exists():
        return pd.DataFrame(columns=FOLLOWUP_COLUMNS)
    return read_table(processed_dir, "followup_status")
