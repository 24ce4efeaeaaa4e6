"""One run's tables: a stage refuses inputs that did not all come from one chain of finished stages.

When a pipeline stage finishes, the run records a stamp for it in the processed folder
(``.stamps/<stage>.json``): the run id, the SHA-256 of every file the stage wrote, and the
stamps of the stages whose tables it read. Before a stage starts, the run checks the
stamps of every stage before it:

- each earlier stage has a stamp (it finished; a stage that was interrupted, or whose
  tables were written outside ``soa-analysis``, has none);
- every file a stamp lists is still exactly what the stage wrote (no half-written table,
  nothing rewritten since);
- each stamp was made from the stamps now in place (the tags were made from these
  submissions, the grades from these tags).

Otherwise the stage refuses with a reason that names the table and the runs, so a report
can never mix the tables of two runs. A stage's own stamp is removed when it starts, so a
stage killed half-way leaves none.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from pathlib import Path
from typing import Iterator

from .config import STAGES
from .datafiles import sha256_file
from .errors import InputError
from .io import write_text

__all__ = ["STAMP_DIR", "check_inputs", "stage_record", "read_stamp"]

STAMP_DIR = ".stamps"


def _stamp_path(processed: Path, stage: str) -> Path:
    return processed / STAMP_DIR / f"{stage}.json"


def read_stamp(processed_dir: str | os.PathLike, stage: str) -> dict | None:
    """The stamp of ``stage`` in ``processed_dir``, or None when it has none (or it is unreadable)."""
    try:
        return json.loads(_stamp_path(Path(processed_dir), stage).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _snapshot(processed: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under the processed folder: path -> (inode, size, mtime). Hidden files and
    folders (the stamps, the lock, files being written) are left out."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(processed):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            if f.startswith("."):
                continue
            p = Path(dirpath) / f
            rel = p.relative_to(processed).as_posix()
            try:
                st = p.stat()
            except OSError:
                continue
            out[rel] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def _earlier(stage: str) -> list[str]:
    return list(STAGES[:STAGES.index(stage)]) if stage in STAGES else []


def _stamp_id(stamp: dict) -> str:
    return f"{stamp['stage']}@{stamp['run_id']}"


def check_inputs(processed_dir: str | os.PathLike, stage: str) -> None:
    """Refuse to run ``stage`` unless the tables of every earlier stage come from one chain of finished stages.

    Parameters
    ----------
    processed_dir : path-like
        The processed folder.
    stage : str
        One of :data:`soa_analysis.config.STAGES`; ``ingest`` reads no tables.

    Raises
    ------
    InputError
        Naming what is missing, changed or mixed, and what to run.
    """
    processed = Path(processed_dir)
    current: dict[str, str] = {}
    for earlier in _earlier(stage):
        stamp = read_stamp(processed, earlier)
        if stamp is None:
            raise InputError(
                f"the {stage} stage needs the tables of the {earlier} stage, and {processed} holds none that a "
                f"finished {earlier} stage wrote (it was interrupted, has not run, or its tables were written outside "
                f"`soa-analysis run`): run `soa-analysis run` (or `soa-analysis {earlier}` and the stages after it)")
        for rel, sha in stamp.get("files", {}).items():
            path = processed / rel
            if not path.is_file() or sha256_file(path) != sha:
                raise InputError(
                    f"{path} is not the table the {earlier} stage of run {stamp['run_id']} wrote (it changed or went "
                    f"since; a stage was interrupted or run outside `soa-analysis run`): the tables would mix runs, so "
                    f"the {stage} stage refuses; run `soa-analysis run` (or `soa-analysis {earlier}` and the stages "
                    "after it)")
        made_from = stamp.get("inputs", {})
        for upstream, ident in current.items():
            if made_from.get(upstream) != ident:
                was = made_from.get(upstream, "nothing").split("@")[-1]
                raise InputError(
                    f"the {earlier} tables in {processed} were made from the {upstream} tables of run {was}, but the "
                    f"{upstream} tables now come from run {ident.split('@')[-1]}: the tables would mix runs, so the "
                    f"{stage} stage refuses; run `soa-analysis {earlier}` and the stages after it, or the whole pipeline")
        current[earlier] = _stamp_id(stamp)


@contextlib.contextmanager
def stage_record(processed_dir: str | os.PathLike, stage: str, run_id: str, *, key: str | None = None
                 ) -> Iterator[None]:
    """Check a stage's inputs, then stamp what it wrote when (and only when) it finishes.

    ``key`` (:func:`soa_analysis.stageskip.stage_key`) is kept in the stamp, so that the next
    run can tell whether the stage would make the same tables.

    The stage's old stamp is removed before it runs, so an interrupted stage leaves no
    stamp and the next stage refuses its half-written tables.

    Raises
    ------
    InputError
        From :func:`check_inputs`, before the stage runs.
    """
    processed = Path(processed_dir)
    check_inputs(processed, stage)
    inputs = {s: _stamp_id(read_stamp(processed, s)) for s in _earlier(stage)}
    own = _stamp_path(processed, stage)
    own.unlink(missing_ok=True)
    before = _snapshot(processed)
    yield
    if stage == STAGES[-1]:
        return  # the report stage writes nothing into the processed folder
    after = _snapshot(processed)
    written = sorted(rel for rel, sig in after.items() if before.get(rel) != sig)
    stamp = {"stage": stage, "run_id": run_id,
             "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
             "inputs": inputs, "files": {rel: sha256_file(processed / rel) for rel in written}}
    if key:
        stamp["key"] = key
    write_text(own, json.dumps(stamp, indent=2) + "\n")
