"""What a run keeps so that a later run can say what changed: a compact snapshot.

A snapshot (``snapshot.json`` in the run folder) holds, for every submission, a stable key
(its raw file and its part of that file), the SHA-256 of its narrative, its council and
title, its evidence grade and the categories it was assigned in every taxonomy (and its
added-value themes); for every raw file, its SHA-256 and ingest status; the versions and
content hashes of the taxonomies, the rubric, the supervised models and the package that
made those results; and the follow-ups' status on the run's date. It is compact JSON of
about 750 bytes a submission on the bundled sample, so every run can keep one.

:func:`build_snapshot` makes one from the processed tables, :func:`write_snapshot` and
:func:`load_snapshot` store and read it, and :func:`previous_run` finds the run to compare
with: the latest earlier run that succeeded and kept a snapshot, or the one named by
``--compare-to``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from importlib import resources
from pathlib import Path

import pandas as pd

from .. import __version__
from ..datafiles import sha256_file, sha256_hex
from ..errors import ConfigError, SoaError
from ..io import read_table, write_text
from ..schema import TABLES

__all__ = [
    "SNAPSHOT_FILE", "SNAPSHOT_FORMAT", "SnapshotError", "build_snapshot", "write_snapshot", "load_snapshot",
    "previous_run", "resolve_run", "submission_key", "text_sha256", "SNAPSHOT_READS",
]

SNAPSHOT_FILE = "snapshot.json"
SNAPSHOT_FORMAT = 1
THEMES = "added_value"  # the "taxonomy" name under which added-value themes are kept


class SnapshotError(SoaError):
    """Raised when a run's snapshot is missing, unreadable or of an unknown format."""


def text_sha256(text: object) -> str:
    """SHA-256 of a submission's narrative (UTF-8), the content hash runs are compared on.

    Example
    -------
    >>> text_sha256("FICTIONAL")[:12]
    '85116f2afde8'
    """
    return sha256_hex("" if text is None else str(text))


def submission_key(source_file: object, part: object = "") -> str:
    """The stable key of a submission across runs: its raw file, and its part of that file.

    Submission ids change when the text does (they derive from the content hash), so runs
    are compared on where a submission came from instead.

    Example
    -------
    >>> submission_key("forms.csv", "row 2"), submission_key("case.docx", "")
    ('forms.csv#row 2', 'case.docx')
    """
    part = "" if part is None or (isinstance(part, float) and part != part) else str(part)
    return f"{source_file}#{part}" if part else str(source_file)


def read_columns(processed_dir: Path, name: str, columns: list[str]) -> pd.DataFrame:
    """``columns`` of table ``name``: from the kept Arrow table its Parquet file was written from when it can be
    (memory-mapped: :func:`soa_analysis.partition.read_kept_or_file`; the same frame), else from the file. The
    change step runs in the run's own process after the evidence stage, and decoding the submissions' text
    from Parquet was a third of it at 10,000 submissions."""
    from ..partition import read_kept_or_file

    return read_kept_or_file(processed_dir, name, columns, read=read_table)


def _optional(processed_dir: Path, name: str) -> pd.DataFrame | None:
    if not (processed_dir / TABLES[name].filename).exists():
        return None
    return read_columns(processed_dir, name, list(SNAPSHOT_READS[name]))


# The columns a snapshot reads of each table (a re-run's change step read every column of tags, and the
# text columns of the submissions it does not show, for these few)
SNAPSHOT_READS = {
    "submissions": ("submission_id", "source_file", "part", "council", "title", "date", "year", "text"),
    "tags": ("submission_id", "taxonomy", "priority", "assigned"),
    "evidence": ("submission_id", "grade"),
    "added_value": ("submission_id", "theme", "assigned"),
    "ingest_log": ("source_file", "sha256", "status", "reason"),
}


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _file_sha256(path: Path) -> str:
    try:
        return sha256_file(path)
    except OSError:
        return ""


def _source_sha256(source: str) -> str:
    """SHA-256 of a rubric or taxonomy file a run used ('' when it cannot be read any more).

    Packaged files are recorded as ``soa_analysis/<folder>/<file>``; others by their path.
    """
    if not source:
        return ""
    if source.startswith("soa_analysis/"):
        folder, name = source.split("/")[1], source.rsplit("/", 1)[-1]
        try:
            return sha256_hex(resources.files(f"soa_analysis.{folder}").joinpath(name).read_bytes())
        except (OSError, ModuleNotFoundError):
            return ""
    return _file_sha256(Path(source))


def _versions(processed_dir: Path) -> dict:
    """The versions and content hashes behind a run's tags and grades."""
    tag_meta = _read_json(processed_dir / "tagging_meta.json")
    ev_meta = _read_json(processed_dir / "evidence_meta.json")
    out: dict = {"software": {"soa-analysis": __version__}, "taxonomies": {}, "models": {}}
    for name, t in (tag_meta.get("taxonomies") or {}).items():
        out["taxonomies"][name] = {k: str(t.get(k, "")) for k in ("version", "sha256", "source")}
    for name, m in (tag_meta.get("models") or {}).items():
        training = m.get("training") or {}
        out["models"][name] = {"fingerprint": str(training.get("fingerprint", "")),
                               "labels_sha256": str(training.get("labels_sha256", ""))}
    if tag_meta.get("package_version"):
        out["software"]["tagging"] = str(tag_meta["package_version"])
    rubric = ev_meta.get("rubric") or {}
    if rubric:
        out["rubric"] = {"name": str(rubric.get("name", "")), "version": str(rubric.get("version", "")),
                         "source": str(rubric.get("source", "")),
                         "sha256": _source_sha256(str(rubric.get("source", "")))}
    themes = ev_meta.get("added_value_taxonomy") or {}
    if themes:
        src = str(themes.get("source", ""))
        out["taxonomies"][THEMES] = {"version": str(themes.get("version", "")), "sha256": _source_sha256(src),
                                     "source": src}
    return out


def build_snapshot(processed_dir: str | os.PathLike, *, run_id: str = "", as_of: _dt.date | None = None,
                   submissions: pd.DataFrame | None = None) -> dict:
    """A snapshot of the results in ``processed_dir`` (see the module docstring).

    Parameters
    ----------
    processed_dir : path-like
        The processed folder after the ingest, tag and evidence stages.
    run_id : str
        The run the snapshot belongs to.
    as_of : datetime.date, optional
        The date follow-ups are judged on (default: today, UTC).
    submissions : pandas.DataFrame, optional
        The ``submissions`` table already read (with at least the columns of :data:`SNAPSHOT_READS`
        ``["submissions"]`` it has), so a caller that needs it too reads it once
        (:func:`soa_analysis.changes.update_changes`); default: read here.

    Returns
    -------
    dict
        JSON-ready: ``format``, ``run_id``, ``created``, ``as_of``, ``versions``, ``files``,
        ``submissions`` (``followups`` is added by :func:`soa_analysis.changes.update_changes`).

    Raises
    ------
    InputError
        If the processed folder has no ``submissions`` table.
    SchemaError
        If a table breaks its contract.
    """
    pdir = Path(processed_dir)
    subs = read_columns(pdir, "submissions", list(SNAPSHOT_READS["submissions"])) if submissions is None else submissions
    tags = _optional(pdir, "tags")
    evidence = _optional(pdir, "evidence")
    themes = _optional(pdir, "added_value")
    log = _optional(pdir, "ingest_log")
    # submission -> taxonomy -> its assigned labels, sorted (rows whose submission or taxonomy is missing
    # are left out, as a groupby leaves them); one pass over plain lists, not a frame per group
    found: dict[str, dict[str, set[str]]] = {}
    if tags is not None and len(tags):
        t = tags[tags["assigned"].astype(bool)]
        for sid, tax, label in zip(t["submission_id"].tolist(), t["taxonomy"].tolist(),
                                   t["priority"].astype(str).tolist()):
            if not (pd.isna(sid) or pd.isna(tax)):
                found.setdefault(sid, {}).setdefault(tax, set()).add(label)
    if themes is not None and len(themes):
        a = themes[themes["assigned"].astype(bool)]
        for sid, label in zip(a["submission_id"].tolist(), a["theme"].astype(str).tolist()):
            if not pd.isna(sid):
                found.setdefault(sid, {}).setdefault(THEMES, set()).add(label)
    assigned = {sid: {tax: sorted(labels) for tax, labels in by.items()} for sid, by in found.items()}
    grades = dict(zip(evidence["submission_id"], evidence["grade"])) if evidence is not None else {}
    used = sorted({str(x) for x in tags["taxonomy"].unique()}) if tags is not None else []
    if themes is not None:
        used.append(THEMES)
    rows = []
    # a row of the snapshot reads these columns (those present), not every column's cells made objects
    for r in _records(subs, list(SNAPSHOT_READS["submissions"])):
        sid = r["submission_id"]
        year = r.get("year")
        rows.append({
            "key": submission_key(r["source_file"], r.get("part", "")),
            "submission_id": sid, "source_file": str(r["source_file"]), "part": str(r.get("part") or ""),
            "council": str(r.get("council") or ""), "title": str(r.get("title") or ""),
            "date": str(r.get("date") or ""), "year": None if year is None or pd.isna(year) else int(year),
            "text_sha256": text_sha256(r.get("text")),
            "grade": str(grades.get(sid, "")),
            "tags": {tax: assigned.get(sid, {}).get(tax, []) for tax in used},
        })
    files = []
    if log is not None:
        for r in _records(log, ["source_file", "sha256", "status", "reason"]):
            files.append({"file": str(r["source_file"]), "sha256": str(r["sha256"]), "status": str(r["status"]),
                          "reason": str(r.get("reason") or "")})
    return {
        "format": SNAPSHOT_FORMAT,
        "run_id": run_id,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "as_of": (as_of or _dt.datetime.now(_dt.timezone.utc).date()).isoformat(),
        "taxonomies_used": used,
        "versions": _versions(pdir),
        "files": files,
        "submissions": rows,
    }


def _records(df: pd.DataFrame, columns: list[str]):
    """The rows of ``df``'s ``columns`` as dicts (column -> value), as ``df[columns].to_dict("records")`` gives
    them, made from each column's ``tolist`` (``to_dict`` iterates an Arrow-backed column a value at a time:
    about a third of a second of a re-run's change step at 10,000 submissions).

    Example
    -------
    >>> df = pd.DataFrame({"a": ["x", "y"], "n": pd.array([1, None], dtype="Int64")})
    >>> list(_records(df, ["a", "n"])) == df.to_dict("records")
    True
    >>> list(_records(df, ["n", "absent"]))
    [{'n': 1}, {'n': None}]
    """
    columns = [c for c in columns if c in df.columns]
    return (dict(zip(columns, values)) for values in zip(*(_as_to_dict(df[c]) for c in columns)))


def _as_to_dict(col: pd.Series) -> list:
    """A column's values as ``to_dict`` gives them: its ``tolist``, with ``None`` for a missing value of a column
    whose missing value is ``pd.NA`` (``Int64``, ``boolean``), as ``to_dict`` has it."""
    values = col.tolist()
    if getattr(col.dtype, "na_value", None) is pd.NA:
        values = [None if v is pd.NA else v for v in values]
    return values


def write_snapshot(run_dir: str | os.PathLike, snapshot: dict) -> Path:
    """Write ``snapshot`` to ``run_dir/snapshot.json`` atomically and return the path."""
    return write_text(Path(run_dir) / SNAPSHOT_FILE, json.dumps(snapshot, sort_keys=True, separators=(",", ":")) + "\n")


def load_snapshot(run_dir: str | os.PathLike) -> dict:
    """Read the snapshot a run kept.

    Raises
    ------
    SnapshotError
        If the run folder has no snapshot, or it cannot be read or is of an unknown format.
    """
    path = Path(run_dir) / SNAPSHOT_FILE
    if not path.is_file():
        raise SnapshotError(f"run {Path(run_dir).name} kept no {SNAPSHOT_FILE} (it predates change reports, "
                            "or did not reach the report stage)")
    try:
        snap = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"cannot read {path}: {exc}") from None
    if not isinstance(snap, dict) or snap.get("format") != SNAPSHOT_FORMAT or "submissions" not in snap:
        raise SnapshotError(f"{path} is not a snapshot this version understands (format {snap.get('format')!r})"
                            if isinstance(snap, dict) else f"{path} is not a snapshot")
    return snap


def _succeeded(run_dir: Path) -> bool:
    return _read_json(run_dir / "manifest.json").get("status") == "succeeded"


def resolve_run(reports_dir: str | os.PathLike, run: str) -> Path:
    """The folder of run ``run``: a run id under ``reports_dir/runs``, a unique prefix of one, or a path.

    Raises
    ------
    ConfigError
        If no such run exists, the prefix is ambiguous, or the run kept no snapshot.
    """
    runs = Path(reports_dir) / "runs"
    candidate = Path(run).expanduser()
    if candidate.is_dir() and (candidate / "manifest.json").exists():
        found = candidate
    else:
        names = sorted(p.name for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []
        matches = [n for n in names if n == run] or [n for n in names if n.startswith(run)]
        if not matches:
            raise ConfigError(f"--compare-to {run}: no such run in {runs}")
        if len(matches) > 1:
            raise ConfigError(f"--compare-to {run}: ambiguous, matches {', '.join(matches[:5])}")
        found = runs / matches[0]
    if not (found / SNAPSHOT_FILE).is_file():
        raise ConfigError(f"--compare-to {run}: run {found.name} kept no {SNAPSHOT_FILE}, so it cannot be "
                          "compared with (it predates change reports or did not reach the report stage)")
    return found.resolve()


def previous_run(reports_dir: str | os.PathLike, current: str | os.PathLike | None = None) -> Path | None:
    """The last good run before ``current``: the latest earlier run that succeeded and kept a snapshot.

    Run folder names start with a UTC timestamp, so name order is time order.
    """
    runs = Path(reports_dir) / "runs"
    if not runs.is_dir():
        return None
    cur = Path(current).name if current else None
    for p in sorted((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True):
        if cur is not None and p.name >= cur:
            continue
        if (p / SNAPSHOT_FILE).is_file() and _succeeded(p):
            return p.resolve()
    return None

