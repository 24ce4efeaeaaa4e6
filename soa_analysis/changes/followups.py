"""Promises followed up: has a later submission from the same council reported on a next step?

The evidence stage lists each submission's dated next steps (the ``followups`` table: who,
what, by when, due). :func:`track_followups` gives each one a status on a date (``as_of``):

- ``reported``: a *later* submission from the *same council* has a sentence whose wording
  matches the next step (see below), wherever that sentence is except in the later
  submission's own next steps (a promise repeated is not a report);
- ``overdue``: the due date has passed and no later submission reports on it;
- ``not_yet_due``: the due date is still to come (and nothing reports on it yet);
- ``no_date``: the period could not be resolved to a date (and nothing reports on it).

"Later" means a later submission date, or a later year when either date is unknown.

Matching the wording: each sentence is reduced to the Porter stems of its content words
(scikit-learn's English stop words, numbers, month and season words, and the words of the
council's name are dropped, since every submission from the council shares them); the
stems are weighted by TF-IDF over all next steps and candidate sentences, and a next step
matches a sentence when their cosine similarity is at least :data:`MATCH_THRESHOLD` (0.35).
Written fictional pairs in ``tests/test_changes.py`` show where it holds: a report that
names what was promised ("the in-work mentoring strand started in October 2012") matches;
a sentence on another topic from the same council does not.

Across runs, ``fell_due_since_last_run`` marks the next steps whose due date lies after the
previous run's date and on or before this run's (every due date up to ``as_of`` on a first
run), and ``since_last_run`` says what changed for each: ``new`` (not in the previous run),
``fell due``, ``now reported``, ``no longer reported``.
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

from ..datafiles import sha256_hex
from ..schema import FOLLOWUP_STATUSES, TABLES
from .snapshot import submission_key

__all__ = ["MATCH_THRESHOLD", "FOLLOWUP_COLUMNS", "TRACK_READS", "STATUSES", "track_followups", "match_tokens",
           "followup_records"]

MATCH_THRESHOLD = 0.35
STATUSES = FOLLOWUP_STATUSES
FOLLOWUP_COLUMNS = TABLES["followup_status"].column_names  # the contract in soa_analysis/schema.py
# The columns of the submissions table :func:`track_followups` and :func:`followup_records` read
TRACK_READS = ("submission_id", "source_file", "part", "council", "title", "date", "year", "text", "next_steps")
_CALENDAR = frozenset(
    "january february march april may june july august september october november december jan feb mar apr jun "
    "jul aug sep sept oct nov dec spring summer autumn winter quarter year years month months week weeks "
    "financial end".split())
_NUMBER = re.compile(r"^[£$]?\d")


def match_tokens(text: str, drop: frozenset[str] = frozenset()) -> list[str]:
    """The stems a next step and a report are compared on (see the module docstring).

    Example
    -------
    >>> match_tokens("We will add an in-work mentoring strand by September 2012.")
    ['add', 'work', 'mentor', 'strand']
    """
    from ..nlp import STOP_WORDS, stem, tokenize  # nltk and scikit-learn: not in the report's kernel

    out = []
    for t in tokenize(text):
        if t in STOP_WORDS or t in _CALENDAR or _NUMBER.match(t):
            continue
        for part in t.split("-"):
            if part and part not in STOP_WORDS:
                s = stem(part)
                if s not in drop:
                    out.append(s)
    return out


def _when(date: str, year) -> tuple[_dt.date | None, int | None]:
    d = None
    if date:
        try:
            d = _dt.date.fromisoformat(str(date)[:10])
        except ValueError:
            d = None
    y = d.year if d else (int(year) if year is not None and not pd.isna(year) else None)
    return d, y


def _later(a: tuple, b: tuple) -> bool:
    """Is submission ``b`` later than submission ``a``? (date, year) pairs."""
    (da, ya), (db, yb) = a, b
    if da and db:
        return db > da
    if ya is not None and yb is not None:
        return yb > ya
    return False


def _report_sentences(row: dict) -> list[str]:
    """The sentences of a submission that may report on an earlier promise (not its own next steps)."""
    from ..nlp import split_sentences

    text = str(row.get("text") or "")
    nxt = str(row.get("next_steps") or "").strip()
    if nxt and nxt in text:
        text = text.replace(nxt, "\n")
    return split_sentences(text)


def _what_key(what: str) -> str:
    return sha256_hex(" ".join(str(what).split()))[:16]


def followup_records(status: pd.DataFrame, subs: pd.DataFrame) -> list[dict]:
    """The compact follow-up records a snapshot keeps (to say next run what changed)."""
    if not len(status):  # nothing to key (a submission's key is made for its next steps only)
        return []
    # from the columns' lists (to_dict("records") iterated the Arrow-backed columns a value at a time)
    parts = subs["part"].tolist() if "part" in subs else [""] * len(subs)
    keys = {sid: submission_key(source, part)
            for sid, source, part in zip(subs["submission_id"].tolist(), subs["source_file"].tolist(), parts)}
    return [{"key": keys.get(r.submission_id, r.submission_id), "what": _what_key(r.what), "due": r.due,
             "status": r.status} for r in status.itertuples()]


def _best_reports(meta: pd.DataFrame, fu: pd.DataFrame, councils: pd.Series,
                  when: dict) -> list[tuple[float, str, str]]:
    """For each next step of ``fu``, the sentence of a later submission from the same council
    whose wording is most like it: (cosine similarity, that submission's id, the sentence);
    (0.0, "", "") when there is none (see the module docstring for the wording compared)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ..nlp import stem, tokenize

    # Candidate report sentences, by council.
    cands: dict[str, list[tuple[str, str]]] = {}
    for sid, r in meta.iterrows():
        c = councils[sid]
        if c:
            cands.setdefault(c, []).extend((sid, s) for s in _report_sentences(r.to_dict()))
    drop_by_council = {c: frozenset(stem(t) for t in tokenize(c)) | {"council"} for c in cands}
    docs = [" ".join(match_tokens(w, drop_by_council.get(councils.get(sid, ""), frozenset())))
            for sid, w in zip(fu["submission_id"], fu["what"])]
    cand_docs = {c: [" ".join(match_tokens(s, drop_by_council[c])) for _, s in lst] for c, lst in cands.items()}
    corpus = docs + [d for lst in cand_docs.values() for d in lst]
    vec = TfidfVectorizer(analyzer=str.split, norm="l2", sublinear_tf=True)
    if any(corpus):
        vec.fit([d for d in corpus if d] or ["empty"])
    out = []
    for i, sid in enumerate(fu["submission_id"]):
        council = councils.get(sid, "")
        best = (0.0, "", "")
        if council and docs[i]:
            later = [(j, s_sid, sent) for j, (s_sid, sent) in enumerate(cands.get(council, []))
                     if s_sid != sid and _later(when.get(sid, (None, None)), when.get(s_sid, (None, None)))]
            if later:
                q = vec.transform([docs[i]])
                m = vec.transform([cand_docs[council][j] for j, _, _ in later])
                sims = (m @ q.T).toarray().ravel()
                k = int(np.argmax(sims))
                if sims[k] > best[0]:
                    best = (float(sims[k]), later[k][1], later[k][2])
        out.append(best)
    return out


def _since_last_run(old: dict | None, status: str, fell: bool, *, first_run: bool) -> str:
    """What changed for a next step since the previous run (see the module docstring)."""
    if first_run:
        return ""
    if old is None:
        return "new"
    if status == "reported" and old["status"] != "reported":
        return "now reported"
    if old["status"] == "reported" and status != "reported":
        return "no longer reported"
    return "fell due" if fell else ""


def track_followups(subs: pd.DataFrame, followups: pd.DataFrame, *, as_of: _dt.date,
                    previous_as_of: _dt.date | None = None, previous: list[dict] | None = None,
                    threshold: float = MATCH_THRESHOLD) -> pd.DataFrame:
    """The status of every next step on ``as_of`` (see the module docstring).

    Parameters
    ----------
    subs : pandas.DataFrame
        The ``submissions`` table (at least its columns :data:`TRACK_READS`).
    followups : pandas.DataFrame
        The evidence stage's ``followups`` table.
    as_of : datetime.date
        The date the statuses hold on (a run's date).
    previous_as_of : datetime.date, optional
        The previous run's date; None on a first run.
    previous : list of dict, optional
        The previous run's follow-up records (:func:`followup_records`).
    threshold : float
        Least cosine similarity for a sentence to count as reporting on a next step.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FOLLOWUP_COLUMNS` (the ``followup_status`` table's contract), earliest
        due first.
    """
    if followups is None or followups.empty:
        return pd.DataFrame({c: pd.Series(dtype=bool if c == "fell_due_since_last_run" else
                                          float if c == "similarity" else object) for c in FOLLOWUP_COLUMNS})
    meta = subs.set_index("submission_id")
    when = {sid: _when(str(r.get("date") or ""), r.get("year")) for sid, r in meta.iterrows()}
    councils = meta["council"].fillna("").astype(str)
    fu = followups.reset_index(drop=True)
    best_of = _best_reports(meta, fu, councils, when)
    prev = {(p["key"], p["what"]): p for p in previous or []}
    key_of = {sid: submission_key(r["source_file"], r.get("part", "")) for sid, r in meta.iterrows()}
    rows = []
    for i, f in fu.iterrows():
        sid = f["submission_id"]
        best = best_of[i]
        due = str(f.get("due") or "")
        due_d = _dt.date.fromisoformat(due) if due else None
        if best[0] >= threshold:
            status = "reported"
        elif due_d is None:
            status = "no_date"
        elif due_d <= as_of:
            status = "overdue"
        else:
            status = "not_yet_due"
        fell = bool(due_d and due_d <= as_of and (previous_as_of is None or due_d > previous_as_of))
        since = _since_last_run(prev.get((key_of.get(sid, sid), _what_key(f["what"]))), status, fell,
                                first_run=previous is None)
        reported = best[0] >= threshold
        rid = best[1] if reported else ""
        rows.append({
            "submission_id": sid, "council": councils.get(sid, ""),
            "title": str(meta.at[sid, "title"]) if sid in meta.index else "",
            "date": str(meta.at[sid, "date"] or "") if sid in meta.index else "",
            "who": str(f.get("who") or ""), "what": str(f["what"]), "by_when": str(f.get("by_when") or ""),
            "due": due, "status": status, "fell_due_since_last_run": fell, "since_last_run": since,
            "reported_in": rid, "reported_title": str(meta.at[rid, "title"]) if rid else "",
            "reported_date": str(meta.at[rid, "date"] or "") if rid else "",
            "reported_sentence": best[2] if reported else "", "similarity": round(best[0], 4),
        })
    out = pd.DataFrame(rows, columns=FOLLOWUP_COLUMNS)
    out["fell_due_since_last_run"] = out["fell_due_since_last_run"].astype(bool)
    out["similarity"] = out["similarity"].astype(float)
    out["_k"] = out["due"].replace("", "9999")
    return out.sort_values(["_k", "council", "submission_id"], kind="stable").drop(columns="_k").reset_index(drop=True)
