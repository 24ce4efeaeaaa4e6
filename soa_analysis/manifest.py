"""A run's manifest: what went in, with which software, and what came out.

``manifest.json`` in every run folder records the parameters, every input file's size and
sha256, package versions, the taxonomy and rubric versions the stages recorded, per-stage
timings, the outputs and the status. It is written when the run starts and again when it
ends, atomically each time.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import platform
from importlib import metadata
from pathlib import Path

from . import __version__
from .config import RunOptions
from .ingest.files import inventory
from .io import write_text

__all__ = ["input_inventory", "package_versions", "new_manifest", "finish_manifest",
           "write_manifest", "read_manifest"]

FILENAME = "manifest.json"
_VERSIONED_PACKAGES = (
    "pandas", "numpy", "pyarrow", "scikit-learn", "nltk", "matplotlib", "papermill", "nbconvert",
    "python-docx", "pypdf", "pdfplumber", "openpyxl",
)
_META_KEYS = ("taxonomies", "versions", "rubric_version", "theme_version", "taxonomy_versions")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def input_inventory(raw_dir: Path, processed_dir: Path | None = None, *, reuse: bool = False) -> list[dict]:
    """Every regular file under ``raw_dir`` with its size and sha256, sorted (symbolic links never followed).

    The raw folder as ingest sees it (:func:`soa_analysis.ingest.files.inventory`); with
    ``processed_dir``, the digests are left there so the ingest stage does not hash the files again,
    and with ``reuse`` the last run's are taken for the files whose identity is unchanged.
    """
    return inventory(raw_dir, processed_dir=processed_dir, reuse=reuse)


def package_versions() -> dict:
    """Versions of Python, soa-analysis and the libraries a run depends on."""
    out = {"python": platform.python_version(), "soa-analysis": __version__}
    for name in _VERSIONED_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_manifest(folder: Path) -> dict | None:
    """The manifest in ``folder`` (a run folder or ``latest/``), or ``None`` if absent or unreadable."""
    return _read_json(Path(folder) / FILENAME)


def write_manifest(run_dir: Path, manifest: dict) -> Path:
    """Write ``manifest`` to ``run_dir/manifest.json`` atomically: one line per top-level entry, each entry's
    value as compact JSON (a run of 10,000 files records them and their reuse in lists of thousands of
    entries: indented, they took five times as long to write, twice a run, and a third more room).

    Example
    -------
    >>> import tempfile
    >>> path = write_manifest(Path(tempfile.mkdtemp()), {"run_id": "r", "inputs": [{"path": "a", "size": 1}]})
    >>> print(path.read_text(encoding="utf-8"), end="")
    {
      "run_id": "r",
      "inputs": [{"path": "a", "size": 1}]
    }
    """
    lines = [f"  {json.dumps(str(key))}: {json.dumps(value, default=str)}" for key, value in manifest.items()]
    return write_text(Path(run_dir) / FILENAME, "{\n" + ",\n".join(lines) + ("\n}\n" if lines else "}\n"))


def new_manifest(run_id: str, opts: RunOptions, stages: tuple[str, ...]) -> dict:
    """The manifest of a run that is starting: parameters, software, inputs, status ``running``."""
    raw = Path(opts.raw_dir)
    return {
        "run_id": run_id,
        "run_name": opts.run_name,
        "status": "running",
        "started": _now(),
        "finished": None,
        "stages": list(stages),
        "parameters": opts.to_dict(),
        "software": package_versions(),
        "inputs": input_inventory(raw, Path(opts.processed_dir), reuse=not opts.full) if raw.is_dir() else [],
        "timings_s": {},
        "outputs": [],
        "warnings": [],
    }


def _ingest_summary(processed: Path) -> dict:
    import pandas as pd

    path = processed / "ingest_log.csv"
    if not path.exists():
        return {}
    log = pd.read_csv(path, keep_default_na=False)
    return {"files": int(len(log)), **{k: int(v) for k, v in log["status"].value_counts().items()}}


def finish_manifest(manifest: dict, *, status: str, error: str, total_s: float, processed_dir: Path,
                    outputs: list[str]) -> dict:
    """Record how the run ended: status, error, total time, ingest counts, stage versions, outputs."""
    processed = Path(processed_dir)
    manifest["status"] = status
    manifest["error"] = error
    manifest["finished"] = _now()
    manifest["timings_s"]["total"] = round(total_s, 2)
    manifest["ingest_summary"] = _ingest_summary(processed)
    for meta in ("tagging_meta.json", "evidence_meta.json"):
        data = _read_json(processed / meta)
        if data is not None:
            manifest[meta.removesuffix(".json")] = {k: v for k, v in data.items() if k in _META_KEYS}
    manifest["outputs"] = outputs
    return manifest
