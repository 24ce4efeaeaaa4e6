"""The tables behind every chart: pure functions ``ReportData -> DataFrame``.

Charts draw these frames and the exports write them, so what a reader sees and what they
can download are the same numbers. Each is computed once per :class:`.data.ReportData`
(kept in its ``derived`` dict), however many sections and exports ask for it; callers must
not modify the frames they get. Text columns are redacted (:func:`.safe.redact`).
"""

from __future__ import annotations

import functools

import pandas as pd

from ..schema import GRADES, PRIORITY_IDS
from .data import NATIONAL_ROWS, PRIORITY_TAXONOMY, ReportData, priorities_of
from .file_listing import files_not_read
from .labels import label
from .memo import per_frame
from .safe import redact
from .tiles import council_tiles


def _once(fn):
    """Compute ``fn(data, ...)`` once per data and arguments; later calls get the same frame."""

    @functools.wraps(fn)
    def cached(data: ReportData, *args, **kwargs):
        key = (fn.__name__, args, tuple(sorted(kwargs.items())))
        if key not in data.derived:
            data.derived[key] = fn(data, *args, **kwargs)
        return data.derived[key]

    return cached


@_once
def _assigned_priorities(data: ReportData) -> pd.DataFrame:
    tags = data["tags"]
    if tags.empty:
        return pd.DataFrame({"submission_id": pd.Series(dtype=object), "priority": pd.Series(dtype=object)})
    t = tags[(tags["taxonomy"] == PRIORITY_TAXONOMY) & tags["assigned"].astype(bool)]
    return t[["submission_id", "priority"]].drop_duplicates()


@_once
def _grades(data: ReportData) -> pd.Series:
    ev = data["evidence"]
    return ev.set_index("submission_id")["grade"] if len(ev) else pd.Series(dtype=object)


@_once
def headline(data: ReportData) -> pd.DataFrame:
    """Headline figures: submissions, councils, priorities covered, share with strong evidence.

    On a council's page made by :meth:`.data.ReportData.for_council`, from the council's rows of the national
    frame (its submissions, their grades and assigned priorities, worked out once from the whole tables by
    :func:`.data.load_report_data`: the same figures), so that a page whose other sections are kept from the last
    run narrows neither the submissions nor the evidence table to its council for them (:class:`.data.LazyTables`).
    """
    mine = _national_rows(data)
    if mine is not None:
        n_subs = len(mine)
        graded = mine["grade"][mine["grade"] != ""]
        n_graded, n_strong = len(graded), int((graded == "strong").sum())
        strong = n_strong / n_graded if n_graded else float("nan")
        covered = len({p for ps in mine["priorities"].tolist() for p in ps} & set(PRIORITY_IDS))
    else:
        subs = data["submissions"]
        grades = submission_grades(data)
        n_subs, n_graded = len(subs), len(grades)
        strong = float((grades == "strong").mean()) if len(grades) else float("nan")
        covered = _priorities_covered(data)
    if data.council:
        n_all = len(data.national)
        second = ("Share of Scotland's submissions", n_subs / n_all if n_all else float("nan"), "share",
                  f"of {n_all} submissions from all councils")
    else:
        second = ("Councils", int(subs.loc[subs["council"] != "", "council"].nunique()), "count",
                  "council areas with at least one submission")
    rows = [
        ("Submissions", n_subs, "count", "submissions read and analysed"),
        second,
        ("Priorities covered", covered,
         "count", f"of the {len(PRIORITY_IDS)} national priorities, with at least one submission"),
        ("Share with strong evidence", strong, "share", f"of {n_graded} graded submissions"),
    ]
    out = pd.DataFrame(rows, columns=["figure", "value", "kind", "note"])
    # counts stay whole numbers beside the shares (a float column would write "37.0")
    out["value"] = pd.Series([int(v) if k == "count" else (None if pd.isna(v) else float(v))
                              for _, v, k, _ in rows], dtype=object)
    return out


def _national_rows(data: ReportData) -> pd.DataFrame | None:
    """A council page's rows of the national frame (its submissions', in their order), when its data were made by
    :meth:`.data.ReportData.for_council` from data whose national frame lists the same submissions as their
    submissions table; else ``None``."""
    at = data.derived.get(NATIONAL_ROWS) if data.council else None
    return None if at is None else data.national.iloc[at]


def _priorities_covered(data: ReportData) -> int:
    """How many of the national priorities at least one of the page's submissions is assigned.

    On a council's page, from the priorities the national frame lists for its submissions (worked out once,
    from the whole tags table, by :func:`.data.load_report_data`: the same rows of the tags table), so a page
    whose other sections are kept from the last run does not narrow the tags to its council for this one
    figure (:class:`.data.LazyTables`); on the national page, from the tags.
    """
    national = data.national
    if data.council and "priorities" in national.columns:
        mine = national["priorities"][national["submission_id"].isin(data["submissions"]["submission_id"])]
        return len({p for ps in mine.tolist() for p in ps} & set(PRIORITY_IDS))
    pri = _assigned_priorities(data)
    return int(pri["priority"].isin(PRIORITY_IDS).groupby(pri["priority"]).any().sum()) if len(pri) else 0


@_once
def council_summary(data: ReportData) -> pd.DataFrame:
    """One row per council area (all 32, national data): submissions and share strong."""
    nat = data.national
    tiles = council_tiles()
    out = pd.DataFrame({"council": [t.council for t in tiles], "code": [t.code for t in tiles]})
    graded = nat["grade"] != ""
    per = pd.DataFrame({"submissions": nat.groupby("council").size(),
                        "graded": graded.groupby(nat["council"]).sum(),
                        "strong": (nat["grade"] == "strong").groupby(nat["council"]).sum()})
    per = per.reindex(out["council"]).fillna(0).astype(int)
    out["submissions"] = per["submissions"].to_numpy()
    out["strong"] = per["strong"].to_numpy()
    out["share_strong"] = (per["strong"] / per["graded"].where(per["graded"] > 0)).astype(float).to_numpy()
    return out


@_once
def coverage(data: ReportData) -> pd.DataFrame:
    """Councils x priorities: submissions tagged and how many have each evidence grade."""
    subs = data["submissions"][["submission_id", "council"]]
    unknown = "(council unknown)"
    pri = _assigned_priorities(data).merge(subs, on="submission_id")
    pri["grade"] = pri["submission_id"].map(_grades(data)).fillna("none")
    pri["council"] = pri["council"].replace("", unknown)
    councils = sorted(set(subs["council"].tolist()) - {""}) + ([unknown] if (subs["council"] == "").any() else [])
    cols = ["council", "priority", "submissions", *GRADES]
    if not councils:
        return pd.DataFrame(columns=cols)
    full = pd.MultiIndex.from_product([councils, list(PRIORITY_IDS)], names=["council", "priority"])
    counts = pri.groupby(["council", "priority", "grade"]).size().unstack("grade")
    counts = counts.reindex(index=full, columns=list(GRADES)).fillna(0).astype(int)
    counts.columns.name = None
    counts.insert(0, "submissions", counts.sum(axis=1))
    return counts.reset_index()[cols]


@_once
def priority_counts(data: ReportData) -> pd.DataFrame:
    """Submissions per national priority, with the share of all submissions."""
    pri = _assigned_priorities(data)
    n = max(len(data["submissions"]), 1)
    counts = pri["priority"].value_counts()
    return pd.DataFrame({
        "priority": list(PRIORITY_IDS),
        "label": [label(p) for p in PRIORITY_IDS],
        "submissions": [int(counts.get(p, 0)) for p in PRIORITY_IDS],
        "share": [counts.get(p, 0) / n for p in PRIORITY_IDS],
    })


@_once
def outcome_counts(data: ReportData) -> pd.DataFrame:
    """Submissions per National Outcome (every non-priority taxonomy), most frequent first."""
    tags = data["tags"]
    cols = ["taxonomy", "outcome", "label", "submissions"]
    if tags.empty:
        return pd.DataFrame(columns=cols)
    t = tags[(tags["taxonomy"] != PRIORITY_TAXONOMY) & tags["assigned"].astype(bool)]
    if t.empty:
        return pd.DataFrame(columns=cols)
    g = t.drop_duplicates(["submission_id", "taxonomy", "priority"]).groupby(["taxonomy", "priority"]).size()
    out = g.rename("submissions").reset_index().rename(columns={"priority": "outcome"})
    lab = t.drop_duplicates(["taxonomy", "priority"]).set_index(["taxonomy", "priority"])
    out["label"] = [
        redact(lab.loc[(a, b), "label"]) if "label" in lab.columns else label(b)
        for a, b in zip(out["taxonomy"], out["outcome"])
    ]
    return out[cols].sort_values(["submissions", "outcome"], ascending=[False, True]).reset_index(drop=True)


@_once
def grade_by_priority(data: ReportData) -> pd.DataFrame:
    """Priority x evidence grade: number of submissions."""
    pri = _assigned_priorities(data)
    grade = pri["submission_id"].map(_grades(data)).fillna("none")
    counts = pd.crosstab(pri["priority"], grade).reindex(index=list(PRIORITY_IDS), columns=list(GRADES))
    out = counts.fillna(0).astype(int).reset_index()
    out.columns.name = None
    out.insert(1, "label", [label(p) for p in PRIORITY_IDS])
    return out[["priority", "label", *GRADES]]


@_once
def added_value_themes(data: ReportData) -> pd.DataFrame:
    """Per added-value theme: evidenced, ticked, and ticked-but-unsupported claims."""
    av = data["added_value"]
    cols = ["theme", "label", "evidenced", "ticked", "ticked_unsupported"]
    if av.empty:
        return pd.DataFrame(columns=cols)
    assigned, ticked = av["assigned"].astype(bool), av["ticked"].astype(bool)
    a = pd.DataFrame({"theme": av["theme"], "evidenced": assigned, "ticked": ticked, "ticked_unsupported": ticked & ~assigned})
    g = a.groupby("theme").sum().reset_index()
    g["label"] = g["theme"].map(label)
    return g[cols].astype({"evidenced": int, "ticked": int, "ticked_unsupported": int}).sort_values(
        ["evidenced", "theme"], ascending=[False, True]).reset_index(drop=True)


@_once
def partner_pairs(data: ReportData) -> pd.DataFrame:
    """Partner type x partner type: submissions naming both, from the evidence stage's pairs.

    The evidence stage's ``partner_pairs`` table has one row per pair and priority with its
    submissions; a submission tagged with two priorities counts once here. The diagonal is
    the number of submissions naming the type (``partners`` table).
    """
    pairs, partners = data["partner_pairs"], data["partners"]
    if pairs.empty and partners.empty:
        return pd.DataFrame()
    named = partners.drop_duplicates(["submission_id", "partner_type"])["partner_type"].value_counts()
    types = sorted(set(named.index) | set(pairs["partner_type_a"]) | set(pairs["partner_type_b"]))
    m = pd.DataFrame(0, index=pd.Index(types, name="partner_type"), columns=types, dtype=int)
    for t, n in named.items():
        m.loc[t, t] = int(n)
    together: dict[tuple[str, str], set] = {}
    for a, b, ids in zip(pairs["partner_type_a"], pairs["partner_type_b"], pairs["submission_ids"]):
        together.setdefault((a, b), set()).update(ids)
    for (a, b), ids in together.items():
        m.loc[a, b] = m.loc[b, a] = len(ids)
    m.columns.name = None
    return m


@_once
def followup_timeline(data: ReportData) -> pd.DataFrame:
    """Next steps per due half-year (``2013 H1``), plus those with no resolvable date."""
    f = data["followups"]
    if f.empty:
        return pd.DataFrame(columns=["period", "next_steps"])
    due = pd.to_datetime(f["due"].where(f["due"] != ""), errors="coerce")
    period = due.dt.year.astype("Int64").astype(str) + " H" + ((due.dt.month > 6) + 1).astype("Int64").astype(str)
    period = period.where(due.notna(), "no date")
    counts = period.value_counts()
    order = sorted(p for p in counts.index if p != "no date") + (["no date"] if "no date" in counts.index else [])
    return pd.DataFrame({"period": order, "next_steps": [int(counts[p]) for p in order]})


@_once
def followup_items(data: ReportData) -> pd.DataFrame:
    """The next steps themselves, by due date, with their council (text redacted)."""
    f = data["followups"]
    cols = ["due", "by_when", "council", "who", "what", "submission_id"]
    if f.empty:
        return pd.DataFrame(columns=cols)
    councils = data["submissions"].set_index("submission_id")["council"]
    out = f.assign(council=f["submission_id"].map(councils).astype(object).fillna(""))
    for c in ("who", "what", "by_when"):
        out[c] = out[c].map(redact)
    out["_k"] = out["due"].replace("", "9999")
    return out.sort_values(["_k", "submission_id"])[cols].reset_index(drop=True)


@_once
def exemplar_sentences(data: ReportData, per_category: int = 2) -> pd.DataFrame:
    """The best-evidenced sentences to quote, with their case study and council."""
    e = data["exemplars"]
    cols = ["kind", "category", "label", "rank", "sentence", "title", "council", "submission_id", "score"]
    if e.empty:
        return pd.DataFrame(columns=cols)
    subs = data["submissions"].set_index("submission_id")
    e = e.sort_values(["kind", "category", "rank"]).groupby(["kind", "category"]).head(per_category)
    out = e.assign(
        label=e["category"].map(label),
        sentence=e["sentence"].map(redact),
        title=e["submission_id"].map(subs["title"]).astype(object).fillna("").map(redact),
        council=e["submission_id"].map(subs["council"]).astype(object).fillna(""),
    )
    return out[cols].reset_index(drop=True)


@_once
def gaps(data: ReportData) -> pd.DataFrame:
    """Where evidence is thin: per priority, submissions, strong ones, and councils with none."""
    cov = coverage(data)
    rows = []
    n_councils = cov["council"].nunique()
    for p in PRIORITY_IDS:
        c = cov[cov["priority"] == p]
        rows.append({
            "priority": p, "label": label(p), "submissions": int(c["submissions"].sum()),
            "strong": int(c["strong"].sum()),
            "councils_without": int((c["submissions"] == 0).sum()), "councils_in_data": n_councils,
        })
    out = pd.DataFrame(rows)
    out["share_strong"] = (out["strong"] / out["submissions"].where(out["submissions"] > 0)).astype(float)
    return out


def submission_grades(data: ReportData) -> pd.Series:
    """The evidence grade of each graded submission of ``data``'s page (index: submission id)."""
    return _grades(data).reindex(data["submissions"]["submission_id"]).dropna()


# A priority's evidence is thin below either bar (the summary's gaps and its first screen).
THIN_SUBMISSIONS = 3
THIN_SHARE_STRONG = 0.25


def thin_priorities(data: ReportData) -> pd.DataFrame:
    """The rows of :func:`gaps` whose evidence is thin: fewer than :data:`THIN_SUBMISSIONS`
    submissions, or under :data:`THIN_SHARE_STRONG` of them with strong evidence."""
    g = gaps(data)
    return g[(g["submissions"] < THIN_SUBMISSIONS) | (g["share_strong"].fillna(0) < THIN_SHARE_STRONG)]


@_once
def ingest_summary(data: ReportData) -> pd.DataFrame:
    """Files found by the ingest stage, by status."""
    return _ingest_summary(data["ingest_log"])


@per_frame  # the run's ingest log: the same frame, and the same counts, on every council page
def _ingest_summary(log: pd.DataFrame) -> pd.DataFrame:
    counts = log["status"].value_counts() if len(log) else pd.Series(dtype=int)
    return pd.DataFrame({"status": ["ingested", "duplicate", "quarantined"],
                         "files": [int(counts.get(s, 0)) for s in ("ingested", "duplicate", "quarantined")]})


@_once
def case_studies(data: ReportData) -> pd.DataFrame:
    """Every submission: council, title, date, grade and priorities (the index behind the cards)."""
    subs = data["submissions"]
    listed = priorities_of(subs["submission_id"], _assigned_priorities(data)).map("; ".join)
    out = pd.DataFrame({
        "submission_id": subs["submission_id"],
        "council": subs["council"],
        "title": subs["title"].fillna("").map(redact),
        "date": subs["date"].fillna("").astype(str),
        "grade": subs["submission_id"].map(_grades(data)).astype(object).fillna(""),
        "priorities": listed,
    })
    return out.sort_values(["council", "title", "submission_id"]).reset_index(drop=True)


def chart_tables(data: ReportData) -> dict[str, pd.DataFrame]:
    """Every table behind the report's charts and tables, by export name."""
    from ..changes.sections import change_tables  # the change step's tables (imported late: it uses the report)
    from .outcomes_section import outcome_tables  # imported late: it draws with matplotlib

    pp = partner_pairs(data)
    return {
        "headline": headline(data),
        "council_summary": council_summary(data),
        "coverage": coverage(data),
        "priorities": priority_counts(data),
        "national_outcomes": outcome_counts(data),
        "grade_by_priority": grade_by_priority(data),
        "added_value": added_value_themes(data),
        "partner_pairs": pp.reset_index() if len(pp) else pp,
        "followup_timeline": followup_timeline(data),
        "followups": followup_items(data),
        "exemplars": exemplar_sentences(data),
        "gaps": gaps(data),
        "ingest_summary": ingest_summary(data),
        "files_not_read": files_not_read(data["ingest_log"]),
        "case_studies": case_studies(data),
        **change_tables(data),
        **outcome_tables(data),
    }
