"""CPOP's own reading of an indicator for a council, against Scotland.

For each council and indicator, over the years where both the council and Scotland have
a value that is not a projection:

- **latest year**: is the council better or worse than Scotland? ("better" follows the
  indicator's direction: for crime or early deaths, lower is better);
- **since the first year**: the council's change in per cent of its first-year value
  (CPOP's "improvement rate", imputed years included as CPOP includes them), against
  Scotland's; improving faster or slower than Scotland;
- **movement**: the council's own direction: improving, worsening, or little change
  (a change smaller than the crosswalk's ``little_change_pct``).

Projected years are never part of a reading; they are shown on the charts, marked.
"""

from __future__ import annotations

import math

import pandas as pd

from .crosswalk import Crosswalk
from .load import SCOTLAND, OutcomeData

__all__ = ["cpop_reading", "series", "READING_COLUMNS", "reading_sentence"]

READING_COLUMNS = (
    "council", "council_code", "indicator", "label", "higher_is_better", "first_year", "latest_year",
    "value_first", "value_latest", "scotland_first", "scotland_latest", "type_first", "type_latest",
    "vs_scotland", "change_pct", "scotland_change_pct", "pace_vs_scotland", "movement", "projected_to", "reading",
)


def _pct(first: float, last: float) -> float:
    if first == 0 or math.isnan(first) or math.isnan(last):
        return float("nan")
    return (last - first) / abs(first) * 100.0


def _compare(a: float, b: float, higher_is_better: bool) -> str:
    if math.isnan(a) or math.isnan(b):
        return ""
    if a == b:
        return "same"
    return "better" if (a > b) == higher_is_better else "worse"


def _movement(change_pct: float, higher_is_better: bool, band: float) -> str:
    if math.isnan(change_pct):
        return ""
    gain = change_pct if higher_is_better else -change_pct
    if abs(gain) < band:
        return "little change"
    return "improving" if gain > 0 else "worsening"


def _pace(change: float, scot: float, higher_is_better: bool) -> str:
    if math.isnan(change) or math.isnan(scot):
        return ""
    sign = 1 if higher_is_better else -1
    mine, theirs = sign * change, sign * scot
    if math.isclose(mine, theirs, abs_tol=1e-9):
        return "same"
    return "faster" if mine > theirs else "slower"


def _fmt(v: float) -> str:
    if math.isnan(v):
        return "–"
    a = abs(v)
    return f"{v:,.0f}" if a >= 1000 else f"{v:,.1f}" if a >= 10 else f"{v:,.2f}"


def reading_sentence(r: dict) -> str:
    """One plain sentence of CPOP's reading (no claim about why the indicator moved).

    Example
    -------
    >>> reading_sentence({"label": "Crime rate", "vs_scotland": "better", "latest_year": "2016/17",
    ...     "movement": "improving", "change_pct": -42.4, "first_year": "2006/07",
    ...     "scotland_change_pct": -42.4, "pace_vs_scotland": "same", "higher_is_better": False})
    'Crime rate: better than Scotland in 2016/17; improving since 2006/07 (-42.4%, Scotland -42.4%), at the same pace as Scotland.'
    """
    if not r.get("latest_year"):
        return f"{r['label']}: no years with both a council and a Scotland value, so no reading."
    vs = {"better": "better than Scotland", "worse": "worse than Scotland", "same": "level with Scotland"}.get(
        r["vs_scotland"], "not comparable with Scotland")
    move = r["movement"] or "no change measured"
    if r["first_year"] == r["latest_year"]:
        return f"{r['label']}: {vs} in {r['latest_year']}; only one year of data, so no trend."
    if r["movement"] == "improving":
        pace = {"faster": ", faster than Scotland", "slower": ", slower than Scotland",
                "same": ", at the same pace as Scotland"}.get(r["pace_vs_scotland"], "")
    else:
        pace = {"faster": ", a better trend than Scotland's", "slower": ", a worse trend than Scotland's",
                "same": ", the same trend as Scotland's"}.get(r["pace_vs_scotland"], "")
    return (f"{r['label']}: {vs} in {r['latest_year']}; {move} since {r['first_year']} "
            f"({r['change_pct']:+.1f}%, Scotland {r['scotland_change_pct']:+.1f}%){pace}.")


def series(data: OutcomeData, councils: list[str] | None = None, indicators: list[str] | None = None) -> pd.DataFrame:
    """The council's values over time beside Scotland's, per indicator (the charts' table).

    Parameters
    ----------
    data : OutcomeData
    councils : list of str, optional
        Canonical council names; default all councils in the data.
    indicators : list of str, optional
        Crosswalk ids; default every crosswalk indicator in the data.

    Returns
    -------
    pandas.DataFrame
        council, indicator, label, year, period, type (raw / imputed / projected), value,
        scotland_value, scotland_type; ordered by council, crosswalk order, period.
    """
    cw = data.crosswalk
    f = data.frame[data.frame["indicator"] != ""]
    scot = f[f["council"] == SCOTLAND].set_index(["indicator", "year"])[["value", "type"]]
    mine = f[f["council"] != SCOTLAND]
    if councils is not None:
        mine = mine[mine["council"].isin(councils)]
    if indicators is not None:
        mine = mine[mine["indicator"].isin(indicators)]
    idx = pd.MultiIndex.from_arrays([mine["indicator"], mine["year"]])
    out = pd.DataFrame({
        "council": mine["council"].to_numpy(),
        "indicator": mine["indicator"].to_numpy(),
        "label": mine["indicator"].map({i.id: i.label for i in cw.indicators}).to_numpy(),
        "year": mine["year"].to_numpy(),
        "period": mine["period"].to_numpy(),
        "type": mine["type"].to_numpy(),
        "value": mine["value"].to_numpy(),
        "scotland_value": scot["value"].reindex(idx).to_numpy(),
        "scotland_type": scot["type"].reindex(idx).fillna("").to_numpy(),
    })
    order = {iid: n for n, iid in enumerate(cw.ids)}
    out["_o"] = out["indicator"].map(order)
    return out.sort_values(["council", "_o", "period", "year"], kind="stable").drop(columns="_o").reset_index(drop=True)


def cpop_reading(data: OutcomeData, councils: list[str] | None = None, crosswalk: Crosswalk | None = None
                 ) -> pd.DataFrame:
    """CPOP's reading of every indicator for every council (or the councils given).

    Parameters
    ----------
    data : OutcomeData
        Validated outcome data.
    councils : list of str, optional
        Canonical council names; default every council in the data.
    crosswalk : Crosswalk, optional
        Default: the one the data was loaded with.

    Returns
    -------
    pandas.DataFrame
        One row per council and crosswalk indicator present, columns :data:`READING_COLUMNS`.
        ``vs_scotland``: better / worse / same; ``pace_vs_scotland``: faster / slower / same
        (rate of improvement since the first year against Scotland's); ``movement``:
        improving / worsening / little change; ``""`` where it cannot be read.
    """
    cw = crosswalk or data.crosswalk
    band = cw.little_change_pct
    s = series(data, councils)
    codes = data.frame.drop_duplicates("council").set_index("council")["council_code"]
    keys = ["council", "indicator"]
    both = s[(s["type"] != "projected") & (s["scotland_type"] != "projected")
             & s["value"].notna() & s["scotland_value"].notna()]
    g = both.groupby(keys, sort=False)
    first, last, n = g.nth(0).set_index(keys), g.nth(-1).set_index(keys), g.size()
    proj = s[s["type"] == "projected"].groupby(keys, sort=False)["year"].last()
    # plain dicts by (council, indicator): a MultiIndex lookup per row was most of the time
    first, last, n, proj = first.to_dict("index"), last.to_dict("index"), n.to_dict(), proj.to_dict()
    rows = []
    for council, iid in s[keys].drop_duplicates().itertuples(index=False):
        ind = cw.get(iid)
        hib = ind.higher_is_better
        k = (council, iid)
        r = {"council": council, "council_code": codes.get(council, ""), "indicator": iid, "label": ind.label,
             "higher_is_better": hib, "projected_to": str(proj.get(k, ""))}
        if k not in n:
            r.update(first_year="", latest_year="", value_first=float("nan"), value_latest=float("nan"),
                     scotland_first=float("nan"), scotland_latest=float("nan"), type_first="", type_latest="",
                     vs_scotland="", change_pct=float("nan"), scotland_change_pct=float("nan"),
                     pace_vs_scotland="", movement="")
        else:
            a, b = first[k], last[k]
            change = _pct(a["value"], b["value"])
            scot = _pct(a["scotland_value"], b["scotland_value"])
            one_year = int(n[k]) == 1
            r.update(first_year=a["year"], latest_year=b["year"], value_first=float(a["value"]),
                     value_latest=float(b["value"]), scotland_first=float(a["scotland_value"]),
                     scotland_latest=float(b["scotland_value"]), type_first=a["type"], type_latest=b["type"],
                     vs_scotland=_compare(b["value"], b["scotland_value"], hib),
                     change_pct=float("nan") if one_year else change,
                     scotland_change_pct=float("nan") if one_year else scot,
                     pace_vs_scotland="" if one_year else _pace(change, scot, hib),
                     movement="" if one_year else _movement(change, hib, band))
        r["reading"] = reading_sentence(r)
        rows.append(r)
    out = pd.DataFrame(rows, columns=list(READING_COLUMNS))
    return out.astype({"higher_is_better": bool}) if len(out) else out
