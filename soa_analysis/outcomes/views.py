"""Narrative evidence beside indicator movement: the tables behind the outcome sections.

A case study **addresses** an indicator when it comes from the same council and either is
tagged with one of the priorities the crosswalk links the indicator to, or cites the
indicator by name (:mod:`.mentions`). From that relation and CPOP's reading
(:mod:`.reading`) come:

- :func:`priority_view`: councils x priorities, the strength of the narrative evidence
  (case studies, how many graded strong, the best grade) next to the movement of the
  priority's indicators;
- :func:`strong_beside_worsening`: strong narrative evidence beside a worsening indicator;
- :func:`worsened_unaddressed`: an indicator worsened and no case study from the council
  addresses it (councils that sent at least one submission).

These are pure functions of DataFrames, so they serve the national page, the council pages
and the exported tables alike.
"""

from __future__ import annotations

import pandas as pd

from ..schema import GRADES, PRIORITY_IDS
from .crosswalk import Crosswalk

__all__ = ["case_study_links", "priority_tags", "submission_grades", "priority_view", "strong_beside_worsening",
           "worsened_unaddressed",
           "LINK_COLUMNS", "VIEW_COLUMNS", "STRONG_WORSENING_COLUMNS", "UNADDRESSED_COLUMNS"]

PRIORITY_TAXONOMY = "priorities"
LINK_COLUMNS = ("council", "indicator", "submission_id", "title", "grade", "basis")
VIEW_COLUMNS = ("council", "priority", "case_studies", "strong", "best_grade", "indicators", "improving",
                "worsening", "little_change", "better_than_scotland", "worse_than_scotland", "movement",
                "cited_by_name")
_READ = ("first_year", "latest_year", "change_pct", "scotland_change_pct", "vs_scotland")
STRONG_WORSENING_COLUMNS = ("council", "indicator", "label", "priorities", *_READ, "strong_case_studies",
                            "titles", "submission_ids", "basis")
UNADDRESSED_COLUMNS = ("council", "indicator", "label", "priorities", *_READ, "case_studies_from_council")


def priority_tags(tags: pd.DataFrame) -> pd.DataFrame:
    """(submission_id, priority) pairs of the assigned national-priority tags."""
    if tags is None or tags.empty:
        return pd.DataFrame({"submission_id": pd.Series(dtype=object), "priority": pd.Series(dtype=object)})
    t = tags[(tags["taxonomy"] == PRIORITY_TAXONOMY) & tags["assigned"].astype(bool)]
    return t[["submission_id", "priority"]].drop_duplicates()


def submission_grades(submissions: pd.DataFrame, evidence: pd.DataFrame) -> pd.Series:
    """Each submission's evidence grade, aligned with ``submissions`` (``"none"`` when ungraded)."""
    g = evidence.set_index("submission_id")["grade"] if evidence is not None and len(evidence) else pd.Series(
        dtype=object)
    return submissions["submission_id"].map(g).astype(object).fillna("none")


def case_study_links(submissions: pd.DataFrame, tags: pd.DataFrame, evidence: pd.DataFrame,
                     mentions: pd.DataFrame, crosswalk: Crosswalk) -> pd.DataFrame:
    """Which case study addresses which indicator, and on what basis.

    Parameters
    ----------
    submissions, tags, evidence : pandas.DataFrame
        The processed tables (``submissions`` needs submission_id, council, title).
    mentions : pandas.DataFrame
        :func:`.mentions.indicator_mentions` of the same submissions.
    crosswalk : Crosswalk

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LINK_COLUMNS`, one row per council, indicator and submission;
        ``basis`` is ``"priority: <id>; ..."`` and/or ``"cited by name"``.
    """
    subs = submissions[submissions["council"].fillna("") != ""]
    subs = subs.assign(grade=submission_grades(subs, evidence).to_numpy())
    info = subs.set_index("submission_id")[["council", "title", "grade"]]
    bases: dict[tuple[str, str], list[str]] = {}
    pri = priority_tags(tags)
    pri = pri[pri["submission_id"].isin(info.index)]
    linked: dict[str, tuple[str, ...]] = {}  # priority -> its indicators' ids (looked up once a priority)
    for sid, p in zip(pri["submission_id"].tolist(), pri["priority"].tolist()):
        ids = linked.get(p)
        if ids is None:
            ids = linked[p] = tuple(ind.id for ind in crosswalk.for_priority(p))
        for iid in ids:
            bases.setdefault((sid, iid), []).append(f"priority: {p}")
    if mentions is not None and len(mentions):
        known = set(info.index.tolist())
        for sid, iid in zip(mentions["submission_id"].tolist(), mentions["indicator"].tolist()):
            if sid in known:
                bases.setdefault((sid, iid), []).append("cited by name")
    about = _rows_by_id(info)  # one lookup a link (``DataFrame.at`` per cell was most of the time)
    rows = [{"council": about[sid]["council"], "indicator": iid, "submission_id": sid,
             "title": about[sid]["title"], "grade": about[sid]["grade"], "basis": "; ".join(sorted(set(b)))}
            for (sid, iid), b in bases.items()]
    out = pd.DataFrame(rows, columns=list(LINK_COLUMNS))
    return out.sort_values(["council", "indicator", "submission_id"]).reset_index(drop=True)


def _rows_by_id(info: pd.DataFrame) -> dict:
    """``info.to_dict("index")`` (id -> column -> value) from each column's ``tolist`` (iterating an Arrow-backed
    column a value at a time cost about ten times as much); the same dict."""
    if not info.index.is_unique:
        return info.to_dict("index")  # raises, as it does
    names = info.columns.tolist()
    return {sid: dict(zip(names, values))
            for sid, values in zip(info.index.tolist(), zip(*(info[c].tolist() for c in names)))}


def _summary_movement(improving: int, worsening: int, n: int) -> str:
    if n == 0:
        return "no indicator data"
    if improving > worsening:
        return "more improving"
    if worsening > improving:
        return "more worsening"
    return "mixed or little change"


def priority_view(reading: pd.DataFrame, submissions: pd.DataFrame, tags: pd.DataFrame, evidence: pd.DataFrame,
                  mentions: pd.DataFrame, crosswalk: Crosswalk, councils: list[str]) -> pd.DataFrame:
    """Councils x priorities: narrative evidence strength next to indicator movement.

    Parameters
    ----------
    reading : pandas.DataFrame
        :func:`.reading.cpop_reading` (at least the councils listed).
    submissions, tags, evidence, mentions : pandas.DataFrame
        As for :func:`case_study_links`.
    crosswalk : Crosswalk
    councils : list of str
        Rows to show (e.g. all 32 councils).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`VIEW_COLUMNS`, one row per council and priority: ``case_studies``
        tagged with the priority, how many graded ``strong``, the ``best_grade`` among
        them (``""`` when there are none); of the priority's indicators, how many are
        improving, worsening or show little change since the first year, and how many are
        better or worse than Scotland in the latest year; ``movement`` sums that up
        ("more improving", "more worsening", "mixed or little change"); ``cited_by_name``:
        the council's case studies that cite one of the priority's indicators by name.
    """
    subs = submissions[submissions["council"].fillna("") != ""][["submission_id", "council"]]
    grades = dict(zip(subs["submission_id"].tolist(), submission_grades(subs, evidence).tolist()))
    pri = priority_tags(tags).merge(subs, on="submission_id")
    tagged: dict[tuple[str, str], list[str]] = {}
    for sid, p, c in zip(pri["submission_id"].tolist(), pri["priority"].tolist(), pri["council"].tolist()):
        tagged.setdefault((c, p), []).append(sid)
    read = {(c, i): (m, v) for c, i, m, v in zip(reading["council"].tolist(), reading["indicator"].tolist(),
                                                 reading["movement"].tolist(), reading["vs_scotland"].tolist())} if len(reading) else {}
    cited: dict[tuple[str, str], set[str]] = {}
    if mentions is not None and len(mentions):
        m = mentions.merge(subs, on=["submission_id", "council"])
        for sid, c, iid in zip(m["submission_id"].tolist(), m["council"].tolist(), m["indicator"].tolist()):
            cited.setdefault((c, iid), set()).add(sid)
    rows = []
    for c in councils:
        for p in PRIORITY_IDS:
            ids = tagged.get((c, p), [])
            gs = [grades.get(s, "none") for s in ids]
            best = next((g for g in GRADES if g in gs), "")
            inds = [i.id for i in crosswalk.for_priority(p)]
            mv = [read[(c, i)][0] for i in inds if (c, i) in read]
            vs = [read[(c, i)][1] for i in inds if (c, i) in read]
            imp, wor = mv.count("improving"), mv.count("worsening")
            n_read = sum(1 for x in mv if x)
            n_cited = len(set().union(*(cited.get((c, i), set()) for i in inds)))
            rows.append({"council": c, "priority": p, "case_studies": len(ids), "strong": gs.count("strong"),
                         "best_grade": best, "indicators": n_read, "improving": imp, "worsening": wor,
                         "little_change": mv.count("little change"), "better_than_scotland": vs.count("better"),
                         "worse_than_scotland": vs.count("worse"),
                         "movement": _summary_movement(imp, wor, n_read), "cited_by_name": n_cited})
    return pd.DataFrame(rows, columns=list(VIEW_COLUMNS))


def _reading_cols(reading: pd.DataFrame, crosswalk: Crosswalk) -> pd.DataFrame:
    r = reading.copy()
    r["priorities"] = r["indicator"].map({i.id: ";".join(i.priorities) for i in crosswalk.indicators})
    return r


def strong_beside_worsening(reading: pd.DataFrame, links: pd.DataFrame, crosswalk: Crosswalk) -> pd.DataFrame:
    """Strong narrative evidence beside a worsening indicator.

    One row per council and indicator where the council's own indicator has worsened since
    the first year and at least one of its case studies graded strong addresses it. Not a
    contradiction in itself: a piece of work can help the people it reached while the
    area-wide figure moves the other way; the list says where to look.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STRONG_WORSENING_COLUMNS`; titles, submission ids and bases
        ``";"``-separated; largest worsening first within each council.
    """
    strong = links[links["grade"] == "strong"]
    r = _reading_cols(reading[reading["movement"] == "worsening"], crosswalk)
    # each (council, indicator)'s strong links in their order, split once (not filtered per reading row)
    by_pair = {key: g for key, g in strong.groupby(["council", "indicator"], sort=False)}
    rows = []
    for rr in r.itertuples(index=False):
        s = by_pair.get((rr.council, rr.indicator))
        if s is None:
            continue
        rows.append({**{k: getattr(rr, k) for k in ("council", "indicator", "label", "priorities", *_READ)},
                     "strong_case_studies": int(s["submission_id"].nunique()),
                     "titles": "; ".join(dict.fromkeys(s["title"].astype(str).tolist())),
                     "submission_ids": ";".join(dict.fromkeys(s["submission_id"].tolist())),
                     "basis": "; ".join(sorted({b for x in s["basis"].tolist() for b in x.split("; ")}))})
    return _order(pd.DataFrame(rows, columns=list(STRONG_WORSENING_COLUMNS)), crosswalk)


def worsened_unaddressed(reading: pd.DataFrame, links: pd.DataFrame, submissions: pd.DataFrame,
                         crosswalk: Crosswalk) -> pd.DataFrame:
    """Indicators that worsened where no case study from the council addresses them.

    Only councils with at least one submission are listed (a council that sent nothing has
    no narrative to set beside its indicators; the national view shows those).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`UNADDRESSED_COLUMNS`, largest worsening first within each council.
    """
    counts = submissions[submissions["council"].fillna("") != ""]["council"].value_counts()
    addressed = set(zip(links["council"].tolist(), links["indicator"].tolist()))
    r = _reading_cols(reading[(reading["movement"] == "worsening") & reading["council"].isin(counts.index)], crosswalk)
    keep = pd.Series([(c, i) not in addressed for c, i in zip(r["council"].tolist(), r["indicator"].tolist())], index=r.index,
                     dtype=bool)
    r = r[keep]
    r = r.assign(case_studies_from_council=r["council"].map(counts).astype(int))
    return _order(r[list(UNADDRESSED_COLUMNS)].reset_index(drop=True), crosswalk)


def _order(df: pd.DataFrame, crosswalk: Crosswalk) -> pd.DataFrame:
    if df.empty:
        return df
    hib = {i.id: i.higher_is_better for i in crosswalk.indicators}
    worse_by = df.apply(lambda r: -r["change_pct"] if hib[r["indicator"]] else r["change_pct"], axis=1)
    return (df.assign(_w=worse_by).sort_values(["council", "_w"], ascending=[True, False])
            .drop(columns="_w").reset_index(drop=True))
