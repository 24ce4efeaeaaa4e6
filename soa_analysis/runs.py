"""The reports folder: run folders, the run lock, and publishing ``latest/``.

Layout of ``reports_dir``::

    runs/<UTC timestamp>_<id>/   one folder per run (notebooks, pages, tables, manifest)
    latest/                      a copy of the last good run's shareable files
    .run.lock                    held by the run in progress

``latest/`` is replaced by building the new copy beside it and moving it into place with
two renames (:func:`os.rename`): the old folder aside, the new one in. Each rename is
atomic, so at every instant ``latest/`` is the whole old report or the whole new one
(for the instant between the two renames it is absent), never a mix; a crash between
them is repaired by the next run (:func:`soa_analysis.guards.recover` moves the old report
back and removes the half-built copy).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
import secrets
import shutil
from pathlib import Path

from .errors import PublishError
from .guards import folder_lock, os_error_reason
from .manifest import read_manifest

__all__ = ["new_run_id", "run_lock", "publish_latest", "prune_runs", "latest_run_id"]

LATEST = "latest"
RUNS = "runs"
_RUN_ID = re.compile(r"\d{8}T\d{6}Z_[0-9a-f]{6}")
_STAGING = ".latest-new-"
_ASIDE = ".latest-old-"


def new_run_id(now: _dt.datetime | None = None) -> str:
    """A sortable, unique run id: UTC timestamp plus six random hex digits."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}_{secrets.token_hex(3)}"


@contextlib.contextmanager
def run_lock(reports_dir: Path):
    """Hold an exclusive lock on ``reports_dir`` for the length of a run.

    Raises
    ------
    ConfigError
        If another run holds the lock.
    InputError
        If the folder cannot be created or written.
    """
    with folder_lock(reports_dir, "reports folder"):
        yield


def publish_latest(run_dir: Path, reports_dir: Path, files: list[Path]) -> Path:
    """Replace ``reports_dir/latest`` with a copy of ``files`` from ``run_dir``.

    The copy is built beside ``latest/`` and swapped in with two renames, so ``latest/``
    is never a mix of two reports (see the module docstring). Call it holding
    :func:`run_lock`.

    Parameters
    ----------
    run_dir : pathlib.Path
        The run folder the files come from (their paths under it are kept).
    reports_dir : pathlib.Path
        The reports folder holding ``latest/``.
    files : list of pathlib.Path
        Files under ``run_dir`` to publish.

    Returns
    -------
    pathlib.Path
        ``reports_dir / "latest"``.

    Raises
    ------
    PublishError
        The copy could not be made (a full or read-only disk); the half-built folder is
        removed and ``latest/`` left as it was.
    """
    reports_dir = Path(reports_dir)
    latest = reports_dir / LATEST
    staging = reports_dir / f"{_STAGING}{run_dir.name}"
    aside = reports_dir / f"{_ASIDE}{run_dir.name}"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        for f in files:
            dest = staging / f.relative_to(run_dir)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
        staging.mkdir(parents=True, exist_ok=True)  # an empty list still publishes an (empty) report
    except OSError as exc:  # a full or read-only disk: keep the last good report, leave no half copy
        shutil.rmtree(staging, ignore_errors=True)
        raise PublishError(f"could not publish the report ({os_error_reason(exc)}); the last good report in "
                           f"{latest} was kept") from None
    if latest.exists():
        os.rename(latest, aside)
    os.rename(staging, latest)
    shutil.rmtree(aside, ignore_errors=True)
    return latest


def latest_run_id(reports_dir: Path) -> str | None:
    """The id of the run ``latest/`` was published from (its manifest), or ``None``."""
    manifest = read_manifest(Path(reports_dir) / LATEST)
    return str(manifest["run_id"]) if manifest and manifest.get("run_id") else None


def prune_runs(reports_dir: Path, keep: int, *, current: str = "") -> list[Path]:
    """Remove old run folders, keeping the ``keep`` newest, the current run and latest/'s run.

    Only folders named like a run id (``20260102T030405Z_1a2b3c``) are considered: anything
    else under ``runs/`` is left alone, and ``latest/`` is never touched. Call it holding
    :func:`run_lock`.

    Parameters
    ----------
    reports_dir : pathlib.Path
        The reports folder.
    keep : int
        How many of the newest run folders to keep; 0 keeps all.
    current : str
        The id of the run in progress, kept whatever ``keep`` says.

    Returns
    -------
    list of pathlib.Path
        The run folders removed, oldest first.
    """
    folder = Path(reports_dir) / RUNS
    if keep <= 0 or not folder.is_dir():
        return []
    runs = sorted(p for p in folder.iterdir() if p.is_dir() and _RUN_ID.fullmatch(p.name))
    protected = {current, latest_run_id(reports_dir)} - {None, ""}
    old = [p for p in runs[:-keep] if p.name not in protected]
    for p in old:
        shutil.rmtree(p)
    return old
