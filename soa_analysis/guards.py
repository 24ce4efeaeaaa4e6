"""Run guards: never publish less than before, and tidy up after a run that was killed.

- :func:`folder_lock`: one run at a time per processed folder (and per reports folder).
- :func:`check_submissions`: the empty-run guard (a run that ingested nothing fails, and
  ``latest/`` is kept, unless ``--allow-empty``) and the drop guard (far fewer submissions
  than the last published report: a warning, or a refusal beyond ``--max-drop``).
- :func:`recover`: what a killed run leaves behind, found by the next run: manifests that
  still say "running" are marked as interrupted, half-built ``.latest-*`` folders are
  removed (a ``latest/`` lost between two renames is restored), and the kernel socket
  folders of runs that are gone are deleted.
- :func:`kernel_folder`: the private folder a notebook kernel's sockets and connection
  file live in, labelled with the run's process id so :func:`recover` knows whose it is.
- :func:`ingest_record`: per-file seconds and characters kept, for the run's manifest.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import ConfigError, GuardError, InputError
from .io import write_text
from .procs import alive

__all__ = ["DROP_WARN", "KERNEL_PREFIX", "folder_lock", "check_submissions", "recover", "kernel_folder",
           "ingest_record", "parse_share", "os_error_reason"]

DROP_WARN = 0.2  # warn when a run has more than this share fewer submissions than the last published report
KERNEL_PREFIX = "soa-kernel-"
_OWNER = "owner.pid"


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike, what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (``what`` names it in messages) for a run's length.

    The lock is a ``.run.lock`` file locked with ``flock``; it is removed when the run ends
    (still holding the lock, so no other run can take it half-removed), and a run that
    locked a file another run has just removed tries again on a fresh one.

    Raises
    ------
    ConfigError
        Another run holds the lock.
    InputError
        The folder cannot be created or written (read-only, full).
    """
    folder = Path(folder)
    path = folder / ".run.lock"
    for _ in range(5):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fh = open(path, "a")
        except OSError as exc:
            raise InputError(f"cannot write to the {what} {folder}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise ConfigError(f"another soa-analysis run is using the {what} {folder}; wait for it to finish") from None
        if _same_file(fh, path):
            break
        fh.close()  # the run before us removed this file after we opened it: lock the new one
    else:  # pragma: no cover - five runs finishing in the instants between open and flock
        raise ConfigError(f"another soa-analysis run is using the {what} {folder}; wait for it to finish")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            if _same_file(fh, path):
                path.unlink()
        fh.close()


def _same_file(fh, path: Path) -> bool:
    """True when the open file ``fh`` is still the file at ``path`` (not removed or replaced)."""
    try:
        st = path.stat()
    except OSError:
        return False
    own = os.fstat(fh.fileno())
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def os_error_reason(exc: OSError) -> str:
    """One line for a failed write or read: what failed, on which path.

    Example
    -------
    >>> import errno
    >>> os_error_reason(OSError(errno.ENOSPC, "No space left on device", "reports/latest"))
    'No space left on device: reports/latest'
    """
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or type(exc).__name__}{where}"


def parse_share(value: str | float) -> float:
    """A share given as ``0.25``, ``25%`` or ``25`` (percent when above 1) -> 0.25.

    Raises
    ------
    ConfigError
        Not a number between 0 and 100%.

    Example
    -------
    >>> parse_share("25%"), parse_share(0.25), parse_share("40")
    (0.25, 0.25, 0.4)
    """
    text = str(value).strip()
    try:
        share = float(text.rstrip("%"))
    except ValueError:
        raise ConfigError(f"max_drop must be a share such as 0.25 or 25%, got {value!r}") from None
    if text.endswith("%") or share > 1:
        share /= 100
    if not 0 <= share <= 1:
        raise ConfigError(f"max_drop must lie between 0 and 100%, got {value!r}")
    return share


def _n_submissions(processed: Path) -> int | None:
    path = processed / "submissions.parquet"
    if not path.is_file():
        return None
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def _last_published(reports: Path) -> int | None:
    try:
        data = json.loads((reports / "latest" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    n = data.get("n_submissions")
    return int(n) if isinstance(n, int) else None


def _files_line(processed: Path) -> str:
    import pandas as pd

    try:
        log = pd.read_csv(processed / "ingest_log.csv", keep_default_na=False)
    except (OSError, ValueError):
        return "no ingest log"
    counts = log["status"].value_counts()
    parts = ", ".join(f"{int(counts.get(k, 0))} {k}" for k in ("quarantined", "duplicate"))
    return f"{len(log)} file(s) in the raw folder, {parts} (see {processed / 'ingest_log.csv'})"


def check_submissions(processed_dir: str | os.PathLike, reports_dir: str | os.PathLike, *, allow_empty: bool = False,
                      max_drop: float | None = None) -> list[str]:
    """The empty-run and drop guards; return warnings for the run's output and manifest.

    Parameters
    ----------
    processed_dir, reports_dir : path-like
        The run's folders; the last published report is ``reports_dir/latest``.
    allow_empty : bool
        Publish a report of no submissions on purpose.
    max_drop : float, optional
        Refuse when the submissions fall by more than this share against the last published
        report. Without it, a fall of more than :data:`DROP_WARN` only warns.

    Raises
    ------
    GuardError
        No submissions (and not ``allow_empty``), or a fall beyond ``max_drop``.
    """
    processed, reports = Path(processed_dir), Path(reports_dir)
    n = _n_submissions(processed)
    if n is None:
        return []  # no table at all: the stage that needs it says so
    if n == 0 and not allow_empty:
        raise GuardError(f"no submissions to publish: {_files_line(processed)}; the last good report in "
                         f"{reports / 'latest'} was kept. Check the raw folder (a share that is not mounted?), or "
                         "pass --allow-empty to publish an empty report on purpose")
    last = _last_published(reports)
    if not last or n >= last:
        return []
    drop = (last - n) / last
    said = f"{n} submission(s) against {last} in the last published report ({drop:.0%} fewer)"
    if max_drop is not None and drop > max_drop:
        raise GuardError(f"{said}, more than --max-drop {max_drop:.0%} allows; the last good report in "
                         f"{reports / 'latest'} was kept. Check the raw folder ({_files_line(processed)})")
    if drop > DROP_WARN:
        return [f"{said}; check the raw folder, or pass --max-drop to refuse such a run"]
    return []


@contextlib.contextmanager
def kernel_folder() -> Iterator[Path]:
    """A private temporary folder for one kernel's sockets and connection file, labelled with this process id."""
    with tempfile.TemporaryDirectory(prefix=KERNEL_PREFIX) as d:
        (Path(d) / _OWNER).write_text(str(os.getpid()), encoding="ascii")
        yield Path(d)


def recover(reports_dir: str | os.PathLike, *, run_id: str) -> list[str]:
    """Tidy what killed runs left behind; return one note per thing done.

    Call it holding the reports folder's lock: no other run is then publishing or running
    there, so a manifest that says "running" belongs to a run that was killed.
    """
    reports = Path(reports_dir)
    notes: list[str] = []
    for manifest in sorted((reports / "runs").glob("*/manifest.json")):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("status") != "running":
            continue
        data.update(status="failed", interrupted=True,
                    error=f"interrupted: the run ended without finishing (found by run {run_id})")
        write_text(manifest, json.dumps(data, indent=2, default=str) + "\n")
        notes.append(f"run {data.get('run_id', manifest.parent.name)} was interrupted; its manifest now says so")
    latest = reports / "latest"
    olds = sorted(reports.glob(".latest-old-*"))
    if not latest.exists() and olds:
        os.rename(olds[-1], latest)
        notes.append(f"restored {latest} from a publish that was interrupted")
    for staging in sorted(reports.glob(".latest-*")):
        shutil.rmtree(staging, ignore_errors=True)
        notes.append(f"removed the half-built {staging.name}/ of an interrupted publish")
    stale = 0
    for folder in Path(tempfile.gettempdir()).glob(KERNEL_PREFIX + "*"):
        try:
            pid = int((folder / _OWNER).read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue  # not labelled: not ours to judge
        if not alive(pid):
            shutil.rmtree(folder, ignore_errors=True)
            stale += 1
    if stale:
        notes.append(f"removed {stale} kernel socket folder(s) left by runs that were killed")
    return notes


def ingest_record(processed_dir: str | os.PathLike, *, files: bool) -> dict:
    """What the manifest records of the ingest: the submissions, and (``files``) per file its
    status, seconds, characters kept and what was cut."""
    processed = Path(processed_dir)
    out: dict = {}
    n = _n_submissions(processed)
    if n is not None:
        out["n_submissions"] = n
    if files and (processed / "ingest_log.csv").is_file():
        import pandas as pd

        log = pd.read_csv(processed / "ingest_log.csv", keep_default_na=False)
        cols = [c for c in ("source_file", "status", "seconds", "chars_kept", "cut") if c in log.columns]
        out["ingest_files"] = [{("file" if k == "source_file" else k): v for k, v in row.items() if v != ""}
                               for row in log[cols].to_dict("records")]
    return out
