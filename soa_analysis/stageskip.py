"""Skip a stage whose inputs, settings and code are those of the run that made its tables.

A re-run with nothing changed used to start every stage's kernel, read every table and write
it again, only to reuse every cached result. Here the pipeline works out, before a stage
starts, a **stage key**: the SHA-256 of what shapes the stage's tables apart from the tables
it reads, namely

- ingest: every raw file's path, identity (device, inode, size, modification and change
  times) and sha256 (the inventory the run took), the reader limit, whether LibreOffice is
  installed;
- tag: the taxonomies (a file by its content), the reviewers' extra labels (by content);
- evidence: the rubric (a file by its content);
- each: the package version, :func:`soa_analysis.partition.code_fingerprint` of the stage's
  module (its code, taxonomies, rubrics, labelled corpora and reference data) and the stage's
  notebook (its content: an edited notebook runs again), and the versions of Python and of the
  libraries the manifest records (readers, pandas, scikit-learn, numpy, ...).

The key is kept in the stage's stamp (:mod:`soa_analysis.lineage`). A stage is skipped, and
its tables reused as they are, when its stamp holds the same key, every file the stamp lists
is still exactly what the stage wrote, and the stamps of the stages before it are the ones it
was made from (so when ingest runs again, tag and evidence run again too). ``--full`` never
skips. The manifest's ``reuse`` entry of a skipped stage says ``skipped`` and which run's
tables were reused; the run folder then has no executed notebook for that stage.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import __version__
from .config import RunOptions
from .datafiles import sha256_file, sha256_hex
from .lineage import read_stamp

__all__ = ["stage_key", "reusable_run", "SKIPPABLE"]

SKIPPABLE = ("ingest", "tag", "evidence")  # the report is made again every run
_ROOTS = {"ingest": "soa_analysis.ingest.run", "tag": "soa_analysis.tagging.stage",
          "evidence": "soa_analysis.evidence.stage"}


def _file_or_name(ref) -> str:
    """A taxonomy, rubric or labels option: a file by its content's sha256, a packaged name as it is."""
    if ref and Path(ref).is_file():
        return "sha256:" + sha256_file(Path(ref))
    return str(ref or "")


def stage_key(stage: str, opts: RunOptions, notebook: Path | None = None) -> str | None:
    """The stage's key for ``opts`` and the stage's ``notebook`` (None: the stage is never skipped).

    For ingest, the raw files' digests the run's inventory left in the processed folder are
    read (:func:`soa_analysis.ingest.files.load_digests`); without them there is no key.
    """
    from .manifest import package_versions
    from .partition import code_fingerprint

    if stage not in SKIPPABLE:
        return None
    parts: dict = {"stage": stage, "version": __version__, "code": code_fingerprint(_ROOTS[stage]),
                   "notebook": _file_or_name(notebook) if notebook else "", "software": package_versions()}
    if stage == "ingest":
        from .ingest.files import load_digests

        digests = load_digests(opts.processed_dir, opts.raw_dir)
        if not digests:
            return None
        parts["raw"] = sorted([rel, list(ident), sha] for rel, (ident, sha) in digests.items())
        parts["max_file_mb"] = float(opts.max_file_mb)
        parts["libreoffice"] = bool(shutil.which("soffice") or shutil.which("libreoffice"))
    elif stage == "tag":
        parts["taxonomies"] = [_file_or_name(t) for t in opts.taxonomies]
        parts["extra_labels"] = _file_or_name(opts.extra_labels)
    else:
        parts["rubric"] = _file_or_name(opts.rubric)
    return sha256_hex(json.dumps(parts, sort_keys=True, default=str))


def reusable_run(processed_dir, stage: str, key: str | None) -> str | None:
    """The id of the run whose tables of ``stage`` can be reused as they are, or None.

    They can when the stage's stamp records ``key``, every file it lists is unchanged, and the
    earlier stages' stamps are those the stage was made from.
    """
    if key is None:
        return None
    processed = Path(processed_dir)
    stamp = read_stamp(processed, stage)
    if not stamp or stamp.get("key") != key or not stamp.get("files"):
        return None
    for upstream, ident in (stamp.get("inputs") or {}).items():
        up = read_stamp(processed, upstream)
        if not up or f"{up['stage']}@{up['run_id']}" != ident:
            return None
    for rel, sha in stamp["files"].items():
        path = processed / rel
        if not path.is_file() or sha256_file(path) != sha:
            return None
    return stamp["run_id"]
