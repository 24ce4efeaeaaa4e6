"""Load and validate outcome data: CPOP's CPP-level file, shipped or a user's newer download.

The file is a CSV with one row per area, indicator and year: columns ``CPP``, ``Indicator``,
``Type``, ``Year`` and ``value`` (names matched ignoring case; other columns, such as CPOP's
``FG`` family group, are ignored). Every check that fails raises
:class:`~soa_analysis.errors.OutcomeDataError` with a message saying what is wrong and
where, so a run refuses a bad file before it starts (exit status 2).

Area names are reconciled with ``soa_analysis/reference/councils.csv`` through the
ingest stage's council lookup ("Edinburgh, City of" is City of Edinburgh, "Eilean Siar" is
Na h-Eileanan Siar); ``Scotland`` is the national comparator and must be present.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..datafiles import sha256_hex
from ..errors import OutcomeDataError
from .crosswalk import Crosswalk, load_crosswalk, name_key

__all__ = ["OutcomeData", "load_outcome_data", "parse_outcome_csv", "PACKAGED", "SCOTLAND", "SCOTLAND_CODE",
           "describe_outcome_file"]

PACKAGED = "package:cpop_cpp.csv"
SCOTLAND = "Scotland"
SCOTLAND_CODE = "S92000003"
REQUIRED_COLUMNS = ("CPP", "Indicator", "Type", "Year", "value")
TYPES = {"rawdata": "raw", "raw": "raw", "imputed": "imputed", "projected": "projected", "projection": "projected"}
MISSING_VALUES = {"", "na", "n/a", "nan", "..", "-", "*", "null"}
MAX_BYTES = 50 * 1024 * 1024
_YEAR = re.compile(r"^(\d{4})(?:\s*([/-])\s*(\d{2}|\d{4}))?$")
_SHOW = 5


@dataclass(frozen=True)
class OutcomeData:
    """A validated outcome data file.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per area, indicator and year: ``area`` (as written in the file),
        ``council`` (canonical name, or ``Scotland``), ``council_code`` (GSS code),
        ``cpop_indicator`` (as written), ``indicator`` (crosswalk id, ``""`` when the
        crosswalk does not know it), ``year`` (label as written, e.g. ``2016/17``),
        ``period`` (first calendar year of the label, for ordering), ``type`` (``raw``,
        ``imputed`` or ``projected``), ``value`` (float; NaN where the file has none) and
        ``line`` (line number in the file).
    source : str
        ``package:cpop_cpp.csv`` or the file's path.
    sha256 : str
        SHA-256 of the file's bytes.
    crosswalk : Crosswalk
        The crosswalk the indicators were matched against.
    unmatched_indicators : tuple of str
        Indicator names in the file the crosswalk does not know (kept, but not read).
    absent_indicators : tuple of str
        Crosswalk indicator ids with no rows in the file.
    """

    frame: pd.DataFrame
    source: str
    sha256: str
    size: int
    crosswalk: Crosswalk
    unmatched_indicators: tuple[str, ...] = ()
    absent_indicators: tuple[str, ...] = ()
    councils_missing: tuple[str, ...] = field(default=())

    def summary(self) -> dict:
        """What a run records in its manifest: path, sha256 and row counts."""
        f = self.frame
        return {
            "path": self.source,
            "sha256": self.sha256,
            "bytes": self.size,
            "rows": int(len(f)),
            "rows_by_type": {t: int(n) for t, n in f["type"].value_counts().sort_index().items()},
            "rows_without_value": int(f["value"].isna().sum()),
            "areas": int(f["council"].nunique()),
            "councils_missing": list(self.councils_missing),
            "indicators": int(f["cpop_indicator"].nunique()),
            "indicators_not_in_crosswalk": list(self.unmatched_indicators),
            "crosswalk_indicators_absent": list(self.absent_indicators),
            "years": [str(f["year"].iloc[f["period"].idxmin()]), str(f["year"].iloc[f["period"].idxmax()])]
            if len(f) else [],
            "crosswalk": self.crosswalk.provenance(),
        }


def _fail(source: str, msg: str) -> OutcomeDataError:
    return OutcomeDataError(f"outcome data {source}: {msg}")


def _lines(frame: pd.DataFrame, mask) -> str:
    rows = frame.loc[mask, "line"].astype(int).tolist()
    more = f" and {len(rows) - _SHOW} more" if len(rows) > _SHOW else ""
    return ", ".join(str(r) for r in rows[:_SHOW]) + more


def _decode(raw: bytes, source: str) -> str:
    if raw[:2] == b"PK" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _fail(source, "is a spreadsheet workbook, not a CSV file; save the data sheet as CSV (UTF-8) and use that")
    if b"\x00" in raw[:4096]:
        raise _fail(source, "is not a text file (it holds NUL bytes); a CPOP download in CSV form is expected")
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise _fail(source, "is neither UTF-8 nor Windows-1252 text")  # pragma: no cover - cp1252 decodes most bytes


def _parse_year(label: str) -> tuple[int, int] | None:
    m = _YEAR.match(label)
    if not m:
        return None
    start = int(m.group(1))
    if m.group(3) is None:
        return start, start
    tail = m.group(3)
    end = int(tail) if len(tail) == 4 else (start // 100) * 100 + int(tail)
    if end < start:
        end += 100
    return (start, end) if 0 <= end - start <= 5 else None


@lru_cache(maxsize=256)
def _area(name: str) -> tuple[str, str]:
    from ..ingest.councils import resolve_council

    if name_key(name) == name_key(SCOTLAND) or name.strip().upper() == SCOTLAND_CODE:
        return SCOTLAND, SCOTLAND_CODE
    return resolve_council(name)


def parse_outcome_csv(raw: bytes, source: str = "<bytes>", crosswalk: Crosswalk | None = None) -> OutcomeData:
    """Validate the bytes of an outcome data CSV and return it as :class:`OutcomeData`.

    Parameters
    ----------
    raw : bytes
        The file's content.
    source : str
        Where it came from, for messages and the manifest.
    crosswalk : Crosswalk, optional
        Default: the packaged crosswalk.

    Returns
    -------
    OutcomeData

    Raises
    ------
    OutcomeDataError
        Empty or not CSV text; required columns missing (an unknown layout); a year, type
        or value that cannot be read; an area that is not one of the 32 council areas or
        Scotland; no Scotland rows; the same area, indicator and year twice; no indicator
        the crosswalk knows. The message gives the line numbers of the first offending rows.
    """
    cw = crosswalk or load_crosswalk()
    df = _read_rows(raw, source)
    types, years, values = _typed_columns(df, source)
    out = _rows_frame(df, types, years, values, cw, source)
    unmatched, absent, councils_missing = _coverage(out, cw, source)
    out = out.sort_values(["council", "indicator", "cpop_indicator", "period", "year"], kind="stable")
    return OutcomeData(out.reset_index(drop=True), source, sha256_hex(raw), len(raw), cw,
                       unmatched, absent, councils_missing)


def _read_rows(raw: bytes, source: str) -> pd.DataFrame:
    """The file's rows as text: the required columns (found whatever their case and spacing),
    stripped, with each row's line number; refused when empty, too large, not CSV text, of
    another layout, or with a row lacking an area, indicator or year."""
    if not raw.strip():
        raise _fail(source, "is empty")
    if len(raw) > MAX_BYTES:
        raise _fail(source, f"is {len(raw) / 1e6:.0f} MB; outcome data files over {MAX_BYTES // 2**20} MiB are refused")
    text = _decode(raw, source)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _fail(source, f"cannot be read as CSV: {str(exc).strip()}") from None
    by_key = {name_key(c): c for c in df.columns}
    missing = [c for c in REQUIRED_COLUMNS if name_key(c) not in by_key]
    if missing:
        found = ", ".join(repr(str(c)) for c in df.columns[:12]) or "none"
        raise _fail(source, f"unknown layout: column(s) {', '.join(missing)} missing (found {found}); expected CPOP's "
                            f"CPP-level layout with columns {', '.join(REQUIRED_COLUMNS)}")
    df = df.rename(columns={by_key[name_key(c)]: c for c in REQUIRED_COLUMNS})[list(REQUIRED_COLUMNS)]
    df = df.apply(lambda s: s.str.strip())
    df.insert(0, "line", np.arange(2, len(df) + 2))
    if df.empty:
        raise _fail(source, "has a header but no data rows")
    blank = (df["CPP"] == "") | (df["Indicator"] == "") | (df["Year"] == "")
    if blank.any():
        raise _fail(source, f"rows without an area, indicator or year at line(s) {_lines(df, blank)}")
    return df


def _typed_columns(df: pd.DataFrame, source: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Each row's type (raw, imputed or projected), its (first, last) years and its value (NaN
    where the file says it is missing); refused where any of them cannot be read."""
    types = df["Type"].map({t: TYPES.get(name_key(t), "") for t in df["Type"].unique()})
    bad = types == ""
    if bad.any():
        shown = sorted(set(df.loc[bad, "Type"]))[:_SHOW]
        raise _fail(source, f"unknown Type value(s) {shown} at line(s) {_lines(df, bad)}; "
                            "expected Raw data, Imputed or Projected")
    years = df["Year"].map({y: _parse_year(y) for y in df["Year"].unique()})
    bad = years.isna()
    if bad.any():
        shown = sorted(set(df.loc[bad, "Year"]))[:_SHOW]
        raise _fail(source, f"unreadable Year value(s) {shown} at line(s) {_lines(df, bad)}; expected a year such "
                            "as 2016, a financial year such as 2016/17, or a period such as 2014-2016")
    low = df["value"].str.lower()
    is_missing = low.isin(MISSING_VALUES)
    values = pd.to_numeric(df["value"].str.replace(",", "", regex=False).where(~is_missing), errors="coerce")
    bad = values.isna() & ~is_missing
    if bad.any():
        shown = sorted(set(df.loc[bad, "value"]))[:_SHOW]
        raise _fail(source, f"non-numeric value(s) {shown} at line(s) {_lines(df, bad)}")
    if np.isinf(values).any():
        raise _fail(source, f"infinite value(s) at line(s) {_lines(df, np.isinf(values))}")
    return types, years, values


def _rows_frame(df: pd.DataFrame, types: pd.Series, years: pd.Series, values: pd.Series, cw: Crosswalk,
                source: str) -> pd.DataFrame:
    """The rows with their areas resolved to councils (or Scotland) and their indicators to the
    crosswalk's ids; refused for an unknown area, no Scotland rows, two names for one area, or
    the same area, indicator and year twice."""
    areas = {a: _area(a) for a in df["CPP"].unique()}
    unknown = sorted(a for a, (n, _) in areas.items() if not n)
    if unknown:
        raise _fail(source, f"area name(s) {unknown[:_SHOW]} are neither one of Scotland's 32 council areas nor "
                            "Scotland (names are matched with soa_analysis/reference/councils.csv)")
    out = pd.DataFrame({
        "area": df["CPP"],
        "council": df["CPP"].map({a: v[0] for a, v in areas.items()}),
        "council_code": df["CPP"].map({a: v[1] for a, v in areas.items()}),
        "cpop_indicator": df["Indicator"],
        "indicator": df["Indicator"].map({n: getattr(cw.indicator_for_name(n), "id", "")
                                          for n in df["Indicator"].unique()}),
        "year": df["Year"],
        "period": years.map(lambda y: y[0]).astype(int),
        "type": types,
        "value": values.astype(float),
        "line": df["line"],
    })
    if not (out["council"] == SCOTLAND).any():
        raise _fail(source, "has no rows for Scotland, the comparator every reading needs")
    names_of = out.groupby("council")["area"].unique()
    clash = {c: list(v) for c, v in names_of.items() if len(v) > 1}
    if clash:
        c, v = next(iter(sorted(clash.items())))
        raise _fail(source, f"names {v} all mean {c}; use one name per area")
    key = out["council"] + "\x00" + out["indicator"].where(out["indicator"] != "", out["cpop_indicator"]) \
        + "\x00" + out["year"]
    dup = key.duplicated(keep=False)
    if dup.any():
        raise _fail(source, f"the same area, indicator and year appear more than once, at line(s) {_lines(out, dup)}")
    return out


def _coverage(out: pd.DataFrame, cw: Crosswalk, source: str) -> tuple[tuple, tuple, tuple]:
    """What the file covers: its indicators the crosswalk does not know (refused when that is
    all of them), the crosswalk's indicators it lacks, and the council areas it has no rows for."""
    unmatched = tuple(sorted(set(out.loc[out["indicator"] == "", "cpop_indicator"])))
    if len(unmatched) == out["cpop_indicator"].nunique():
        raise _fail(source, f"none of its indicators {list(unmatched)[:_SHOW]} is in the crosswalk "
                            f"({cw.source or 'crosswalk.yaml'}); expected CPOP indicators such as "
                            f"{', '.join(cw.indicators[i].cpop_names[0] for i in range(min(3, len(cw.indicators))))}")
    found = set(out["indicator"].unique())
    absent = tuple(i for i in cw.ids if i not in found)
    from ..reference import load_councils

    present = set(out["council"])
    councils_missing = tuple(c["name"] for c in load_councils() if c["name"] not in present)
    return unmatched, absent, councils_missing


@lru_cache(maxsize=1)
def _packaged() -> OutcomeData:
    raw = resources.files(__package__).joinpath("data/cpop_cpp.csv").read_bytes()
    return parse_outcome_csv(raw, PACKAGED)


def load_outcome_data(path: str | os.PathLike | None = None, crosswalk: Crosswalk | None = None) -> OutcomeData:
    """Load the packaged CPOP data, or a user's outcome data file, validated.

    Parameters
    ----------
    path : path-like, optional
        A CPOP CPP-level CSV (``soa-analysis run --outcome-data FILE``); ``None`` or ``""``
        for the data shipped in ``soa_analysis/outcomes/data/cpop_cpp.csv``.
    crosswalk : Crosswalk, optional
        Default: the packaged crosswalk.

    Returns
    -------
    OutcomeData

    Raises
    ------
    OutcomeDataError
        When the file is missing or unreadable, or fails a check of :func:`parse_outcome_csv`.

    Example
    -------
    >>> d = load_outcome_data()
    >>> sorted(d.frame["type"].unique())
    ['imputed', 'projected', 'raw']
    """
    if path is None or str(path) == "" or str(path) == PACKAGED:
        return _packaged() if crosswalk is None else parse_outcome_csv(
            resources.files(__package__).joinpath("data/cpop_cpp.csv").read_bytes(), PACKAGED, crosswalk)
    p = Path(path)
    if not p.is_file():
        raise OutcomeDataError(f"outcome data file {p} not found")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise OutcomeDataError(f"outcome data file {p} cannot be read: {exc.strerror or exc}") from None
    return parse_outcome_csv(raw, str(p), crosswalk)


def describe_outcome_file(path: str | os.PathLike | None = None) -> dict:
    """Validate an outcome data file and return its manifest entry (see :meth:`OutcomeData.summary`).

    Raises
    ------
    OutcomeDataError
        As :func:`load_outcome_data`.
    """
    return load_outcome_data(path).summary()
