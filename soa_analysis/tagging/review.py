"""The review loop: export tags for people to check, read their decisions back, agree.

:func:`export_review` writes one row per (submission, taxonomy, category) that was assigned
or came close, with the evidence a reviewer needs and empty ``decision``/``comment`` columns,
as CSV and/or XLSX; text cells are made fit to share (contact details redacted, formulas
defused: :func:`soa_analysis.sharing.spreadsheet_cell`). :func:`import_review` reads filled files back (decision: yes/no, also
y/n, 1/0, true/false, agree/disagree; blank = not reviewed). :func:`labels_from_review` turns
accepted and rejected priority tags into training passages for :class:`CombinedTagger`, and
:func:`cohens_kappa` measures agreement between two reviewers, or a reviewer and the tagger.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from ..errors import InputError, SchemaError
from ..io import atomic_path, read_table
from ..sharing import spreadsheet_cell
from .review_sheet import write_review_workbook

__all__ = ["export_review", "import_review", "labels_from_review", "cohens_kappa", "agreement_summary",
           "agreement_text", "REVIEW_COLUMNS"]

REVIEW_COLUMNS = ["review_id", "submission_id", "council", "title", "taxonomy", "priority", "label", "score",
                  "assigned", "evidence", "sentences", "reviewer", "decision", "comment"]
_YES = {"yes", "y", "1", "true", "agree", "correct", "accept", "accepted"}
_NO = {"no", "n", "0", "false", "disagree", "incorrect", "reject", "rejected"}


def export_review(processed_dir, dest, *, taxonomies=None, margin=0.15, reviewer="", formats=None) -> list[Path]:
    """Write the tags for human review as CSV and XLSX.

    Parameters
    ----------
    processed_dir : path-like
        Folder with tags.parquet, tag_evidence.parquet and submissions.parquet.
    dest : path-like
        ``x.csv`` or ``x.xlsx`` writes that file; a path without either suffix writes both.
    formats : sequence of {"csv", "xlsx"}, optional
        Write these formats beside each other whatever ``dest``'s suffix (``("csv", "xlsx")``
        with ``review.xlsx`` writes ``review.csv`` and ``review.xlsx``, as the CLI does).
    taxonomies : sequence of str, optional
        Only these taxonomies (all by default).
    margin : float
        Also export unassigned tags whose score is within ``margin`` of the threshold
        (the near misses a reviewer should see).
    reviewer : str
        Pre-filled reviewer name.

    Returns
    -------
    list of Path
        The files written.
    """
    tags = read_table(processed_dir, "tags")
    ev = read_table(processed_dir, "tag_evidence")
    try:
        subs = read_table(processed_dir, "submissions")[["submission_id", "council", "title"]]
    except InputError:
        subs = pd.DataFrame(columns=["submission_id", "council", "title"])
    if taxonomies is not None:
        tags = tags[tags["taxonomy"].isin(list(taxonomies))]
    thr = tags["threshold"] if "threshold" in tags.columns else 0.5
    keep = tags["assigned"] | (tags["score"] >= thr - margin)
    out = tags[keep].merge(subs, on="submission_id", how="left")
    sent = (ev.sort_values(["weight"], ascending=False)
            .groupby(["submission_id", "taxonomy", "priority"], sort=False)["sentence"]
            .agg(lambda s: " | ".join(list(dict.fromkeys(s))[:3])).rename("sentences"))
    out = out.merge(sent, left_on=["submission_id", "taxonomy", "priority"], right_index=True, how="left")
    out = out.sort_values(["submission_id", "taxonomy", "priority"]).reset_index(drop=True)
    out["review_id"] = [f"r{i + 1:05d}" for i in range(len(out))]
    if "label" not in out.columns:
        out["label"] = ""
    out["reviewer"] = reviewer
    out["decision"] = ""
    out["comment"] = ""
    for c in ("council", "title", "sentences"):
        out[c] = out[c].fillna("")
    out = out[REVIEW_COLUMNS]
    # Reviewers are outside the project: no contact details, no live spreadsheet formulas.
    for c in ("council", "title", "label", "evidence", "sentences"):
        out[c] = out[c].map(spreadsheet_cell)
    dest = Path(dest)
    if formats is not None:
        stem = dest.with_suffix("") if dest.suffix in (".csv", ".xlsx") else dest
        targets = [stem.parent / f"{stem.name}.{f}" for f in formats]
    elif dest.suffix in (".csv", ".xlsx"):
        targets = [dest]
    else:
        targets = [dest.with_suffix(".csv"), dest.with_suffix(".xlsx")]
    for path in targets:
        if path.suffix == ".csv":
            with atomic_path(path, ".csv") as tmp:
                out.to_csv(tmp, index=False, encoding="utf-8")
        else:
            with atomic_path(path, ".xlsx") as tmp:
                write_review_workbook(out, tmp)  # drop-down for the decision, instructions sheet
    return targets


def _decision(value) -> float:
    s = str(value).strip().lower()
    if s in _YES:
        return 1.0
    if s in _NO:
        return 0.0
    if s in ("", "nan", "none", "?", "unsure"):
        return np.nan
    raise SchemaError(f"decision {value!r} not understood; use yes or no (also y/n, 1/0, true/false, "
                      "agree/disagree), or leave it blank if not reviewed")


def _decisions(df: pd.DataFrame, path: Path) -> list[float]:
    """The decisions of one file as 1.0 / 0.0 / NaN; a bad one is named by its row, submission and category."""
    out = []
    for i, (value, row) in enumerate(zip(df["decision"], df.itertuples(index=False)), start=2):
        try:
            out.append(_decision(value))
        except SchemaError as exc:
            where = ", ".join(f"{k} {getattr(row, k)}" for k in ("review_id", "submission_id", "priority")
                              if str(getattr(row, k, "")).strip())
            raise SchemaError(f"{path}: row {i} ({where}): {exc}") from None
    return out


def import_review(paths) -> pd.DataFrame:
    """Read filled review files (CSV or XLSX) into one long table of decisions.

    Parameters
    ----------
    paths : path-like or sequence of path-like

    Returns
    -------
    pandas.DataFrame
        The review columns plus ``label`` (1.0 = the tag is right, 0.0 = wrong, NaN =
        not reviewed), ``assigned`` as bool, and ``review_file``. Reviewer names that are
        blank become the file's stem.

    Raises
    ------
    InputError
        If a file cannot be read.
    SchemaError
        If required columns are missing or a decision is not understood.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    frames = []
    for p in paths:
        p = Path(p)
        try:
            if p.suffix == ".xlsx":
                df = pd.read_excel(p, dtype=str, keep_default_na=False, engine="openpyxl", sheet_name=0)
            else:
                df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read review file {p}: {exc}") from None
        missing = [c for c in ("submission_id", "taxonomy", "priority", "decision") if c not in df.columns]
        if missing:
            raise SchemaError(f"{p}: review file lacks column(s) {missing}")
        for c in REVIEW_COLUMNS:
            if c not in df.columns:
                df[c] = ""
        df["reviewer"] = [r.strip() or p.stem for r in df["reviewer"]]
        df["label"] = _decisions(df, p)
        df["assigned"] = df["assigned"].astype(str).str.strip().str.lower().isin(["true", "1", "yes"])
        df["score"] = pd.to_numeric(df["score"], errors="coerce")
        df["review_file"] = str(p)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=REVIEW_COLUMNS + ["label", "review_file"])
    return pd.concat(frames, ignore_index=True)


def labels_from_review(review: pd.DataFrame, processed_dir, *, taxonomy="priorities") -> pd.DataFrame:
    """Turn reviewed priority tags into training passages (labels-file format).

    A submission becomes one passage (its narrative text) labelled with the priorities a
    reviewer accepted, plus the assigned ones nobody rejected; it is used only if at least
    one of its tags was reviewed. Where reviewers disagree, "no" wins.

    Returns
    -------
    pandas.DataFrame
        Columns passage_id, labels, kind ("review"), text, label_list.
    """
    rv = review[(review["taxonomy"] == taxonomy) & review["label"].notna()]
    if rv.empty:
        return pd.DataFrame(columns=["passage_id", "labels", "kind", "text", "label_list"])
    subs = read_table(processed_dir, "submissions").set_index("submission_id")
    tags = read_table(processed_dir, "tags")
    tags = tags[tags["taxonomy"] == taxonomy]
    decided = rv.groupby(["submission_id", "priority"])["label"].min()
    rows = []
    for sid in sorted(rv["submission_id"].unique()):
        if sid not in subs.index:
            continue
        assigned = set(tags.loc[(tags["submission_id"] == sid) & tags["assigned"], "priority"])
        d = decided.loc[sid]
        yes = {p for p, v in d.items() if v == 1.0}
        no = {p for p, v in d.items() if v == 0.0}
        labels = sorted((assigned | yes) - no)
        rows.append({"passage_id": f"review:{sid}", "labels": ";".join(labels), "kind": "review",
                     "text": str(subs.at[sid, "text"]), "label_list": labels})
    return pd.DataFrame(rows, columns=["passage_id", "labels", "kind", "text", "label_list"])


def cohens_kappa(first: pd.DataFrame, second: pd.DataFrame | None = None, *, by="priority") -> pd.DataFrame:
    """Cohen's kappa between two reviewers, or between a reviewer and the tagger.

    Parameters
    ----------
    first : DataFrame
        Decisions from :func:`import_review` (columns submission_id, taxonomy, priority,
        label; ``assigned`` too when ``second`` is None).
    second : DataFrame, optional
        A second reviewer's decisions. When None, ``first``'s decisions are compared with
        the tagger's ``assigned`` column.
    by : str
        Column to break the figures down by (``priority`` by default).

    Returns
    -------
    pandas.DataFrame
        One row per value of ``by`` plus an ``all`` row: n (items both rated), agreement
        (observed share) and kappa (NaN when undefined, e.g. one rater used one value only
        and the other agreed on every item).
    """
    key = ["submission_id", "taxonomy", "priority"]
    a = first[first["label"].notna()]
    if second is None:
        pairs = a[key + ([by] if by not in key else [])].copy()
        pairs["r1"] = a["label"].astype(int).to_numpy()
        pairs["r2"] = a["assigned"].astype(bool).astype(int).to_numpy()
    else:
        b = second[second["label"].notna()]
        pairs = a[key + ["label"]].merge(b[key + ["label"]], on=key, suffixes=("_1", "_2"))
        pairs = pairs.rename(columns={"label_1": "r1", "label_2": "r2"}).astype({"r1": int, "r2": int})
    rows = []

    def _row(name, df):
        n = len(df)
        agree = float((df["r1"] == df["r2"]).mean()) if n else float("nan")
        if n == 0 or (df["r1"].nunique() == 1 and df["r2"].nunique() == 1 and (df["r1"] == df["r2"]).all()):
            kappa = float("nan")
        else:
            kappa = float(cohen_kappa_score(df["r1"], df["r2"]))
        return {by: name, "n": n, "agreement": agree, "kappa": kappa}

    for name, g in pairs.groupby(by, sort=True):
        rows.append(_row(name, g))
    rows.append(_row("all", pairs))
    return pd.DataFrame(rows)


def agreement_summary(paths) -> str:
    """Text summary of agreement in filled review files (for ``soa-analysis review import``).

    Each reviewer against the tagger, and each pair of reviewers against each other, as
    Cohen's kappa over the items both rated.
    """
    return agreement_text(import_review(paths))


def agreement_text(review: pd.DataFrame) -> str:
    """:func:`agreement_summary` of a decisions table already read (spreadsheets, or a REFI-QDA project)."""
    rated = review[review["label"].notna()]
    reviewers = sorted(rated["reviewer"].unique())
    lines = [f"{len(rated)} decisions from {len(reviewers)} reviewer(s)"]

    def fmt(df, who):
        row = df.set_index("priority").loc["all"]
        kappa = "undefined" if np.isnan(row["kappa"]) else f"{row['kappa']:.2f}"
        return f"{who}: n={int(row['n'])}, agreement={row['agreement']:.2f}, kappa={kappa}"

    for r in reviewers:
        lines.append(fmt(cohens_kappa(rated[rated["reviewer"] == r]), f"{r} vs tagger"))
    for i, a in enumerate(reviewers):
        for b in reviewers[i + 1:]:
            lines.append(fmt(cohens_kappa(rated[rated["reviewer"] == a], rated[rated["reviewer"] == b]),
                             f"{a} vs {b}"))
    return "\n".join(lines)
