"""Load what a report needs from the processed folder, and nothing else.

The loader reads the processed tables by their contracts (:mod:`soa_analysis.schema`),
never the restricted ones (``restricted/contacts.parquet`` holds lead officers' contact
details and no shared report may read it). Optional tables that are missing become empty
frames with their contract's columns and are listed in :attr:`ReportData.missing`, so each
section can say plainly that its input is not available instead of failing.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, InputError
from ..io import read_table
from ..schema import GRADES, PRIORITY_IDS, TABLES

PRIORITY_LABELS = {
    "economic_growth": "Economic recovery and growth",
    "employment": "Employment",
    "early_years": "Early years",
    "safer_communities": "Safer and stronger communities",
    "health_inequalities": "Health inequalities and physical activity",
    "older_people": "Outcomes for older people",
}
GRADE_LABELS = {
    "strong": "Strong evidence",
    "some": "Some evidence",
    "planned": "Benefits still to come",
    "none": "No evidence given",
}
SECTION_LABELS = {
    "need": "Local need",
    "actions": "What was done",
    "partners_text": "Partners",
    "evidence": "Evidence of benefit",
    "added_value": "Added value of the SOA",
    "next_steps": "Next steps",
    "achievements": "Achievements",
    "challenges": "Challenges",
    "support_required": "Support required",
    "outcome_progress": "Progress on outcomes",
}
PRIORITY_TAXONOMY = "priorities"
# Tables the report reads. "contacts" is deliberately absent: it is restricted.
REPORT_TABLES = (
    "submissions", "ingest_log", "tags", "tag_evidence", "evidence", "evidence_sentences",
    "added_value", "partners", "followups", "exemplars", "alignment",
)
META_FILES = ("tagging_meta.json", "evidence_meta.json", "ingest_meta.json")


def label(category: object) -> str:
    """Human label of a category id: the priority's name, else the id made readable."""
    c = "" if category is None else str(category)
    if c in PRIORITY_LABELS:
        return PRIORITY_LABELS[c]
    if c in GRADE_LABELS:
        return GRADE_LABELS[c]
    words = [_ACRONYMS.get(w.casefold(), w) for w in c.replace("_", " ").replace("-", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else "(none)"


_ACRONYMS = {w.casefold(): w for w in (
    "NHS", "TSI", "DWP", "SDS", "CPP", "SOA", "SIMD", "HIE", "SPT", "UK", "CVS", "ADP", "CHP", "CHCP", "SFRS", "IS", "F1", "CV")}


@dataclass(frozen=True)
class Tile:
    """One council's square on the tile map."""

    council: str
    code: str
    old_code: str
    abbrev: str
    row: int
    col: int


@lru_cache(maxsize=1)
def council_tiles() -> tuple[Tile, ...]:
    """The 32 council areas with their tile-map positions (packaged ``data/tiles.csv``)."""
    text = resources.files("soa_analysis.report").joinpath("data/tiles.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return tuple(
        Tile(r["council"], r["code"], r["old_code"], r["abbrev"], int(r["row"]), int(r["col"])) for r in rows
    )


def _canonical_council(name: str, present: list[str]) -> str:
    """Match a council parameter to a canonical name (case-insensitive, or by GSS code)."""
    wanted = name.strip().casefold()
    for c in list(present) + [t.council for t in council_tiles()]:
        if c.casefold() == wanted:
            return c
    for t in council_tiles():
        if wanted in (t.code.casefold(), t.old_code.casefold()) and wanted:
            return t.council
    known = sorted(set(present) | {t.council for t in council_tiles()})
    raise ConfigError(f"council {name!r} is not a known council; known: {', '.join(known)}")


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[name].column_names})


@dataclass
class ReportData:
    """Everything one report shows, already filtered to its council.

    Attributes
    ----------
    council : str
        Canonical council name, or ``""`` for the national summary.
    run_id : str
        Pipeline run id, shown in the provenance section.
    tables : dict of str to pandas.DataFrame
        The processed tables (``submissions``, ``tags``, ...), filtered to the council's
        submissions for a council report. Missing optional tables are empty frames.
    national : pandas.DataFrame
        All submissions with their grade (for the tile map, which always shows Scotland).
    missing : set of str
        Names of the optional tables that were not found.
    meta : dict
        Contents of ``tagging_meta.json``, ``evidence_meta.json`` (and ``ingest_meta.json``)
        keyed by file name, when present.
    generated : str
        UTC time the data was loaded, ISO format.
    outcome_data : str
        Outcome data file for the outcome-indicator section; "" for the packaged CPOP data.
    """

    council: str
    run_id: str
    processed_dir: Path
    tables: dict
    national: pd.DataFrame
    missing: set = field(default_factory=set)
    meta: dict = field(default_factory=dict)
    generated: str = ""
    outcome_data: str = ""

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def scope(self) -> str:
        """``"Scotland"`` or the council name."""
        return self.council or "Scotland"


def load_report_data(processed_dir: str | os.PathLike, council: str = "", run_id: str = "",
                     outcome_data: str = "") -> ReportData:
    """Read the processed tables a report needs.

    Parameters
    ----------
    processed_dir : path-like
        The processed folder written by the ingest, tag and evidence stages.
    council : str
        Council name (or GSS code) for a council report; ``""`` for the national summary.
    run_id : str
        Pipeline run id, carried to the provenance section.
    outcome_data : str
        Outcome data file (a CPOP download) for the outcome-indicator section; "" for the
        packaged CPOP data.

    Returns
    -------
    ReportData

    Raises
    ------
    InputError
        If the folder or its ``submissions`` table is missing.
    ConfigError
        If ``council`` is not one of Scotland's 32 councils nor a council in the data.
    SchemaError
        If a table present breaks its contract.
    """
    pdir = Path(processed_dir)
    if not pdir.is_dir():
        raise InputError(f"processed folder {pdir} not found: run the ingest, tag and evidence stages first")
    tables: dict[str, pd.DataFrame] = {}
    missing: set[str] = set()
    for name in REPORT_TABLES:
        assert not TABLES[name].restricted
        try:
            tables[name] = read_table(pdir, name)
        except InputError:
            if name == "submissions":
                raise
            missing.add(name)
            tables[name] = _empty(name)
    subs = tables["submissions"]
    subs = subs.assign(council=subs["council"].fillna("").astype(str))
    tables["submissions"] = subs
    grades = (tables["evidence"].set_index("submission_id")["grade"] if len(tables["evidence"])
              else pd.Series(dtype=object))
    national = subs[["submission_id", "council", "council_code", "date"]].copy()
    national["grade"] = national["submission_id"].map(grades).astype(object).fillna("")

    canonical = ""
    if council.strip():
        canonical = _canonical_council(council, sorted(set(subs["council"]) - {""}))
        keep = set(subs.loc[subs["council"] == canonical, "submission_id"])
        for name, df in tables.items():
            if name != "ingest_log" and "submission_id" in df.columns:
                tables[name] = df[df["submission_id"].isin(keep)].reset_index(drop=True)

    meta = {}
    for fname in META_FILES:
        path = pdir / fname
        if path.exists():
            try:
                meta[fname] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                meta[fname] = {"error": f"could not be read: {exc}"}
    return ReportData(
        council=canonical,
        run_id=run_id,
        processed_dir=pdir,
        tables=tables,
        national=national,
        missing=missing,
        meta=meta,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        outcome_data=str(outcome_data or ""),
    )


__all__ = [
    "GRADES", "PRIORITY_IDS", "PRIORITY_LABELS", "GRADE_LABELS", "SECTION_LABELS", "ReportData", "Tile",
    "council_tiles", "label", "load_report_data",
]


def notebooks_dir() -> Path:
    """The folder the report notebook lives in (``<repo>/notebooks``), else the current folder."""
    here = Path(__file__).resolve().parents[2] / "notebooks"
    return here if here.is_dir() else Path.cwd()


def resolve_path(path: str | os.PathLike, base: str | os.PathLike | None = None) -> Path:
    """Resolve a notebook parameter path: absolute as given, relative against the notebooks folder.

    So ``"../data/processed"`` means ``<repo>/data/processed`` whether the notebook runs in
    JupyterLab (whose working folder is ``notebooks/``) or under papermill from elsewhere.
    """
    p = Path(path).expanduser()
    return p if p.is_absolute() else (Path(base) if base else notebooks_dir()).joinpath(p).resolve()
