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
import secrets
import shutil
from pathlib import Path

from .errors import PublishError
from .guards import folder_lock, os_error_reason

__all__ = ["new_run_id", "run_lock", "publish_latest"]

LATEST = "latest"
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
