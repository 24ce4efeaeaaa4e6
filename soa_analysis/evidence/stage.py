"""The evidence stage: grades, sentence features, added value, alignment, follow-ups, exemplars.

:func:`run_evidence` reads the processed ``submissions`` table (and ``tags``,
``tag_evidence`` and ``partners`` when the earlier stages wrote them) and writes the
evidence tables whose contracts are in :mod:`soa_analysis.schema` (among them
``partner_pairs.parquet`` and ``consistency.parquet``, which no later stage reads:
:data:`EXTRA_CONTRACTS`) and ``evidence_meta.json``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from .. import __version__
from ..datafiles import sha256_hex
from ..io import read_keyed, write_arrow_tables, write_keyed, write_table, write_text
from ..nlp import split_sentences
from ..partition import LazyFrame
from ..procs import gc_paused
from ..rubrics import load_guidance
from ..schema import SECTION_COLUMNS, TABLES, validate
from .grader import RANK, EvidenceGrader
from .patterns import ACTOR, LEADING_TIME, NEXT_STEP_SUBJECT, PRONOUN_SUBJECT
from .pool import pool_workers, start_early, start_grading
from .prefilter import carried_analyses
from .themes import ThemeTagger, align_guidance
from .timeline import extract_dates, reference_date

__all__ = ["run_evidence", "EvidenceResult", "EXTRA_CONTRACTS", "validate_extra", "evidence_for_submissions",
           "evidence_frames", "grade_partition"]

# The two tables this stage writes that no later stage reads (contracts in soa_analysis/schema.py,
# like every other table); the name is kept for callers that list them.
EXTRA_CONTRACTS = {name: TABLES[name] for name in ("partner_pairs", "consistency")}
# Extra columns this stage adds to the schema.py tables.
EXTRA_COLUMNS = {
    "evidence": ["score", "timeline", "rubric_version", "n_strong", "n_some", "n_planned"],
    "evidence_sentences": ["score", "rule", "matches", "due"],
    "added_value": ["unsupported", "phrases", "source_section"],
    "exemplars": ["council", "title", "strength"],
}
GRADED_FOR_CONSISTENCY = ("evidence", "outcome_progress", "achievements", "text")
N_EXEMPLARS = 5
# the exemplars' candidates (:func:`_exemplar_picks`), picked with each submission's rows
PICK_COLUMNS = ["kind", "category", "submission_id", "sentence", "score", "strength"]


# Kept for callers: the extra tables are checked like every other (soa_analysis.schema.validate).
validate_extra = validate


@dataclass
class EvidenceResult:
    """What :func:`run_evidence` produced: the tables, the meta data and where they were written. The large
    per-sentence tables (given as :class:`~soa_analysis.partition.LazyFrame`) are made DataFrames only when first read."""

    evidence: pd.DataFrame
    evidence_sentences: pd.DataFrame
    added_value: pd.DataFrame
    alignment: pd.DataFrame
    followups: pd.DataFrame
    exemplars: pd.DataFrame
    partner_pairs: pd.DataFrame
    consistency: pd.DataFrame
    meta: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        if isinstance(value, LazyFrame):
            value = value.frame()
            object.__setattr__(self, name, value)
        return value


def _frame(rows: list[dict] | dict[str, list], columns: list[str], dtypes: dict | None = None) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for col, dtype in (dtypes or {}).items():
        df[col] = df[col].astype(dtype)
    return df


def _optional(processed_dir: Path, name: str, columns: list[str] | None = None) -> pd.DataFrame | None:
    """Table ``name`` (``columns`` of it), or None when it was not written; read from the kept Arrow table its
    Parquet file was written from when it can be (:func:`soa_analysis.partition.read_kept`)."""
    from ..partition import read_kept_or_file

    if (processed_dir / TABLES[name].filename).exists():
        return read_kept_or_file(processed_dir, name, columns)
    return None


def _who(sentence: str, partner_names: list[str]) -> str:
    """Who acts: the subject of "X will ...", else the partners and actors the sentence names."""
    head = LEADING_TIME.sub("", sentence.strip(), count=1)
    m = NEXT_STEP_SUBJECT.match(head[:1].upper() + head[1:])
    if m and not PRONOUN_SUBJECT.match(m["subj"].strip()):
        return m["subj"].strip()
    low = sentence.lower()
    names = [n for n in partner_names if n and n.lower() in low]
    for m in ACTOR.finditer(sentence):
        actor = m.group(0).strip()
        if not any(actor.lower() in n.lower() or n.lower() in actor.lower() for n in names):
            names.append(actor)
    seen, out = set(), []
    for n in names:
        if n.lower() not in seen:
            seen.add(n.lower())
            out.append(n)
    return "; ".join(out)


def evidence_for_submissions(subs: pd.DataFrame, *, grader: EvidenceGrader, tagger: ThemeTagger, guidance,
                             partners: pd.DataFrame | None = None, progress: bool = False) -> dict:
    """Per-submission tables (evidence, sentences, added value, alignment, follow-ups) as row lists.

    The pure core of :func:`run_evidence`, without reading or writing files.
    """
    rubric = grader.rubric_
    names_by_sub: dict[str, list[str]] = defaultdict(list)
    if partners is not None and len(partners):
        for sid, name in zip(partners["submission_id"], partners["name"]):
            names_by_sub[sid].append(str(name))
    out = {k: [] for k in ("evidence", "evidence_sentences", "added_value", "alignment", "followups")}
    out["theme_sentences"] = []
    records = subs.to_dict("records")
    if progress:
        from tqdm.std import tqdm

        records = tqdm(records, desc="evidence", unit="submission")
    theme_ids = tagger.taxonomy_.ids
    for row in records:
        sid = row["submission_id"]
        sections = {s: (row.get(s) or "") for s in SECTION_COLUMNS}
        sections["text"] = row.get("text") or ""
        ref = reference_date(row.get("date"), row.get("year"))
        result = grader.grade(sections, reference=ref)
        counts = {g: sum(1 for s in result.sentences if s.strength == g) for g in RANK}
        out["evidence"].append({
            "submission_id": sid, "grade": result.grade, "reasons": result.reasons, "score": result.score,
            "timeline": result.timeline_text, "rubric_version": rubric.version,
            "n_strong": counts["strong"], "n_some": counts["some"], "n_planned": counts["planned"],
        })
        for s in result.sentences:
            if not s.features and s.strength == "none":
                continue
            out["evidence_sentences"].append({
                "submission_id": sid, "section": s.section, "sentence": s.sentence,
                "features": sorted(s.features), "strength": s.strength, "score": s.score, "rule": s.rule,
                "matches": "; ".join(f"{k}: {v}" for k, v in s.features.items() if v),
                "due": next((d.due for d in s.dates if d.due), ""),
            })
        # Added value: question 5, or the whole narrative when the template has no such section.
        av_text, av_source = (sections["added_value"], "added_value") if sections["added_value"].strip() \
            else (sections["text"], "text")
        ticked = {str(t) for t in (row.get("checklist") if row.get("checklist") is not None else [])}
        scores = tagger.score(av_text)
        for theme in theme_ids:
            ts = scores[theme]
            out["added_value"].append({
                "submission_id": sid, "theme": theme, "score": float(ts.score), "assigned": bool(ts.assigned),
                "ticked": theme in ticked, "evidence": ts.evidence,
                "unsupported": (theme in ticked) and not ts.assigned,
                "phrases": sorted(ts.phrases), "source_section": av_source,
            })
            if ts.assigned:
                for sent, phrases in ts.sentences:
                    out["theme_sentences"].append((sid, theme, sent, sum(ts.phrases[p] for p in phrases)))
        # Alignment with the 2012 guidance, across all answers.
        aligned = align_guidance(sections["text"] or "\n".join(sections[s] for s in SECTION_COLUMNS), guidance)
        for exp_id, sents in aligned.items():
            out["alignment"].append({"submission_id": sid, "expectation": exp_id, "present": bool(sents),
                                     "sentences": sents})
        # Follow-ups: dated next steps (or dated future sentences when there is no next-steps answer).
        if sections["next_steps"].strip():
            candidates = [(sent, extract_dates(sent, ref)) for sent in split_sentences(sections["next_steps"])]
        else:  # the dates the grader found in them (extract_dates with the same reference)
            candidates = [(s.sentence, s.dates) for s in result.sentences if "future" in s.features]
        for sent, dates in candidates:
            if not dates:
                continue
            first = next((d for d in dates if d.due), dates[0])
            out["followups"].append({"submission_id": sid, "who": _who(sent, names_by_sub.get(sid, [])),
                                     "what": sent, "by_when": first.text, "due": first.due})
    return out


def evidence_frames(subs: pd.DataFrame, *, grader: EvidenceGrader, tagger: ThemeTagger, guidance,
                    partners: pd.DataFrame | None = None, progress: bool = False, tags=None,
                    tag_evidence=None) -> dict[str, pd.DataFrame]:
    """The per-submission tables of ``subs`` (any subset of the submissions) as typed frames:
    evidence, evidence_sentences, added_value, alignment, followups, consistency (from the
    submissions' ``tags`` and ``tag_evidence`` rows, when given), and exemplar_picks (the
    exemplars' candidates among them: :func:`_exemplar_picks`)."""
    rows = evidence_for_submissions(subs, grader=grader, tagger=tagger, guidance=guidance, partners=partners,
                                    progress=progress)
    base = {name: [c.name for c in TABLES[name].columns] for name in
            ("evidence", "evidence_sentences", "added_value", "alignment", "followups")}
    out = {
        "evidence": _frame(rows["evidence"], base["evidence"] + EXTRA_COLUMNS["evidence"],
                           {"score": float, "n_strong": "int64", "n_some": "int64", "n_planned": "int64"}),
        "evidence_sentences": _frame(rows["evidence_sentences"],
                                     base["evidence_sentences"] + EXTRA_COLUMNS["evidence_sentences"], {"score": float}),
        "added_value": _frame(rows["added_value"], base["added_value"] + EXTRA_COLUMNS["added_value"],
                              {"score": float, "assigned": bool, "ticked": bool, "unsupported": bool}),
        "alignment": _frame(rows["alignment"], base["alignment"], {"present": bool}),
        "followups": _frame(rows["followups"], base["followups"]),
    }
    out["consistency"] = _consistency(out["evidence_sentences"], out["evidence"], tags, tag_evidence)
    out["exemplar_picks"] = _exemplar_picks(out["evidence_sentences"], rows["theme_sentences"], out["evidence"],
                                            tags, tag_evidence)
    return out


# The columns of the tag tables the consistency check reads (:func:`_consistency`): the only ones a
# unit's key covers and a grading task carries (tag_evidence's phrase and token-span lists, a numpy
# array a cell, cost seconds to digest and to pickle at 10,000 submissions and shape no row here).
PRIORITY_TE_COLUMNS = ["submission_id", "taxonomy", "priority", "section", "sentence"]
PRIORITY_TAG_COLUMNS = ["submission_id", "taxonomy", "priority", "assigned"]
# and of the partners, the columns the follow-ups read (who acts: the partners' names)
PARTNER_COLUMNS = ["submission_id", "name"]


def _priority_rows(tags, tag_evidence):
    """The rows the consistency check reads, decided for the whole corpus: the national
    priorities' tag_evidence when the tagging stage wrote any tag_evidence, else their assigned
    tags (None for a table it does not read); only the columns it reads."""
    if tag_evidence is not None and len(tag_evidence):
        return None, _rows_where(tag_evidence, "taxonomy", "priorities", PRIORITY_TE_COLUMNS)
    t = tags.loc[(tags["taxonomy"] == "priorities") & tags["assigned"].astype(bool), PRIORITY_TAG_COLUMNS] \
        if tags is not None else None
    return t, None


def _rows_where(df: pd.DataFrame, column: str, value, columns: list[str]) -> pd.DataFrame:
    """``df.loc[df[column] == value, columns]`` (the same frame: values, dtypes, index labels), the rows of
    Arrow-backed columns taken by Arrow. pandas' take over a column read from the kept tables (an Arrow array of
    a few chunks) cost about 0.3 s for tag_evidence's 400,000 rows at 10,000 submissions, every run."""
    mask = df[column] == value
    if not all(hasattr(df[c].array, "__arrow_array__") and hasattr(df[c].dtype, "__from_arrow__") for c in columns):
        return df.loc[mask, columns]
    import pyarrow as pa

    keep = mask.to_numpy(dtype=bool, na_value=False)
    index = df.index[keep]
    chosen = pa.array(keep)
    return pd.DataFrame({c: pd.Series(df[c].dtype.__from_arrow__(pc.filter(df[c].array.__arrow_array__(), chosen)),
                                      index=index, copy=False) for c in columns}, index=index, columns=columns)


def _of(df, ids: set):
    return df[df["submission_id"].astype(str).isin(ids)] if df is not None else None


def _consistency(ev_sent: pd.DataFrame, evidence: pd.DataFrame, tags, tag_evidence) -> pd.DataFrame:
    """Per (submission, priority) raised in the need: the strongest evidence graded for it.

    With ``tag_evidence``, one row per (submission, priority) with at least one need sentence,
    sorted by both: the need sentences and the sentences graded some or better among the
    evidence sections (each list without repeats, in table order), and the best grade of those
    sentences (a sentence not in ``ev_sent`` counts as "none"). Otherwise, one row per assigned
    priority tag, graded with its submission's grade.
    """
    cols = [c.name for c in TABLES["consistency"].columns]
    dtypes = {"raised_in_need": bool, "consistent": bool}
    if tag_evidence is not None:  # the caller decides for the whole corpus (_priority_rows)
        data = _consistency_from_tag_evidence(ev_sent, tag_evidence) if len(tag_evidence) else None
    elif tags is not None and len(tags):
        data = _consistency_from_tags(evidence, tags)
    else:
        data = None
    if data is None:
        return _frame([], cols, dtypes)
    n = len(data["submission_id"])
    data.update(raised_in_need=[True] * n, consistent=[RANK[g] >= RANK["some"] for g in data["evidence_strength"]])
    return _frame(data, cols, dtypes)


def _consistency_from_tag_evidence(ev_sent: pd.DataFrame, tag_evidence: pd.DataFrame) -> dict | None:
    """The columns of :func:`_consistency`'s rows from ``tag_evidence``, or None when there are none."""
    keys = ["submission_id", "priority"]
    te = tag_evidence.loc[tag_evidence["taxonomy"] == "priorities", [*keys, "section", "sentence"]]
    te = te.dropna(subset=keys)  # as groupby does
    need = te[te["section"] == "need"].drop_duplicates([*keys, "sentence"])
    if not len(need):
        return None
    need_lists = need.groupby(keys, sort=True, observed=True)["sentence"].agg(list)
    ev = te[te["section"].isin(GRADED_FOR_CONSISTENCY)].drop_duplicates([*keys, "sentence"])
    # A sentence graded twice in a submission (in two sections) takes its last row's strength.
    strength = ev_sent[["submission_id", "sentence", "strength"]].drop_duplicates(
        ["submission_id", "sentence"], keep="last")
    ev = ev.merge(strength, on=["submission_id", "sentence"], how="left", sort=False)
    rank = ev["strength"].map(RANK).fillna(RANK["none"]).astype("int64")
    best = rank.groupby([ev["submission_id"], ev["priority"]], observed=True).max()
    supported = ev[rank >= RANK["some"]]
    support = supported.groupby(keys, sort=False, observed=True)["sentence"].agg(list)
    index = need_lists.index
    name_of = {v: k for k, v in RANK.items()}
    best_rank = best.reindex(index).fillna(RANK["none"]).astype("int64")
    support_lists = support.reindex(index)
    return {
        "submission_id": index.get_level_values(0).tolist(),
        "priority": index.get_level_values(1).tolist(),
        "evidence_strength": [name_of[r] for r in best_rank.tolist()],
        "need_sentences": need_lists.tolist(),
        "evidence_sentences": [s if isinstance(s, list) else [] for s in support_lists.tolist()],
        "basis": ["tag_evidence"] * len(index),
    }


def _consistency_from_tags(evidence: pd.DataFrame, tags: pd.DataFrame) -> dict | None:
    """The columns of :func:`_consistency`'s rows from the assigned priority tags, or None when there are none."""
    grade = dict(zip(evidence["submission_id"], evidence["grade"]))
    t = tags[(tags["taxonomy"] == "priorities") & tags["assigned"].astype(bool)]
    if not len(t):
        return None
    t = t.sort_values(["submission_id", "priority"])
    n = len(t)
    return {
        "submission_id": t["submission_id"].tolist(),
        "priority": t["priority"].tolist(),
        "evidence_strength": [grade.get(sid, "none") for sid in t["submission_id"].tolist()],
        "need_sentences": [[] for _ in range(n)],
        "evidence_sentences": [[] for _ in range(n)],
        "basis": ["tags"] * n,
    }


def _partner_pairs(partners, tags) -> pd.DataFrame:
    cols = [c.name for c in TABLES["partner_pairs"].columns]
    if partners is None or tags is None or not len(partners) or not len(tags):
        return _frame([], cols, {"n": "int64"})
    # each submission's partner types and assigned priorities, gathered over the columns as lists (a
    # groupby with a Python function per submission cost a call per group and a Series each)
    types: dict = defaultdict(set)
    for sid, x in zip(partners["submission_id"].tolist(), partners["partner_type"].tolist()):
        if x and not pd.isna(sid):  # groupby leaves rows of a missing key out
            types[sid].add(str(x))
    t = tags[(tags["taxonomy"] == "priorities") & tags["assigned"].astype(bool)]
    prios: dict = defaultdict(set)
    for sid, p in zip(t["submission_id"].tolist(), t["priority"].tolist()):
        if not pd.isna(sid):
            prios[sid].add(p)
    acc: dict[tuple, list] = defaultdict(list)
    for sid, ptypes in types.items():
        ps = sorted(prios.get(sid, ()))
        for a, b in itertools.combinations(sorted(ptypes), 2):
            for p in ps:
                acc[(a, b, p)].append(sid)
    rows = [{"partner_type_a": a, "partner_type_b": b, "priority": p, "n": len(s), "submission_ids": sorted(s)}
            for (a, b, p), s in sorted(acc.items())]
    df = _frame(rows, cols, {"n": "int64"})
    return df.sort_values(["n", "priority", "partner_type_a", "partner_type_b"],
                          ascending=[False, True, True, True]).reset_index(drop=True)


_HEADING_LIKE = re.compile(r"^\W*(?:(?:national|local|soa)\s+outcomes?\b|(?:question|section|theme|priority)\s+\d)",
                           re.IGNORECASE)


def _quotable(sentence: str, features) -> bool:
    """A sentence worth quoting as an exemplar: a statement, not a heading, a question or the need."""
    feats = set(features) if features is not None else set()
    if any(f == "need" or f.startswith("need:") or f == "question" for f in feats):
        return False
    words = sentence.split()
    return len(words) >= 6 and not _HEADING_LIKE.match(sentence) and not sentence.rstrip().endswith("?")


def _columns(df: pd.DataFrame, *names: str) -> list[list]:
    """The named columns of ``df`` as Python lists, in row order."""
    return [df[name].tolist() for name in names]


def _exemplar_picks(ev_sent: pd.DataFrame, theme_sentences: list[tuple], evidence: pd.DataFrame, tags,
                    tag_evidence) -> pd.DataFrame:
    """The exemplars' candidates among some submissions (:data:`PICK_COLUMNS`): each sentence worth
    quoting (:func:`_quotable`) of a submission graded strong or some, with its score, under each
    priority it was tagged with and each added-value theme it supports.

    A submission's candidates depend on its own rows alone, so they are picked with its other rows
    (in a grading task, and kept with them in the stage's cache); :func:`_exemplars` then chooses
    among every submission's. The priorities come from ``tag_evidence`` (its national priorities'
    rows) when given, else from the assigned priority ``tags``, as :func:`_priority_rows` decides.
    """
    graded = set(evidence.loc[evidence["grade"].isin(["strong", "some"]), "submission_id"])
    # columns as Python lists (itertuples over pyarrow-backed text costs a call per cell)
    feats = dict(zip(zip(*_columns(ev_sent, "submission_id", "sentence")), *_columns(ev_sent, "features")))
    cand = ev_sent[ev_sent["strength"].isin(["strong", "some"]) & ev_sent["submission_id"].isin(graded)]
    ex_score = {(sid, sent): (round((RANK[strength] + score) / 4, 4), strength)
                for sid, sent, strength, score, features in zip(*_columns(cand, "submission_id", "sentence", "strength",
                                                                           "score", "features"))
                if _quotable(sent, features)}
    picks: list[tuple] = []  # (kind, category, sid, sentence, score, strength)
    if tag_evidence is not None:
        te = tag_evidence[tag_evidence["taxonomy"] == "priorities"][["submission_id", "priority", "sentence"]]
        for sid, priority, sent in zip(*_columns(te.drop_duplicates(), "submission_id", "priority", "sentence")):
            hit = ex_score.get((sid, sent))
            if hit:
                picks.append(("priority", priority, sid, sent, *hit))
    elif tags is not None and len(tags):
        t = tags[(tags["taxonomy"] == "priorities") & tags["assigned"].astype(bool)]
        by_sub = t.groupby("submission_id")["priority"].agg(list).to_dict()
        for (sid, sent), hit in ex_score.items():
            for p in by_sub.get(sid, []):
                picks.append(("priority", p, sid, sent, *hit))
    for sid, theme, sent, weight in theme_sentences:
        if sid not in graded or not _quotable(sent, feats.get((sid, sent))):
            continue
        ev, strength = ex_score.get((sid, sent), (0.0, "none"))
        picks.append(("theme", theme, sid, sent, round(0.5 * min(1.0, weight / 2) + 0.5 * ev, 4), strength))
    return _frame([dict(zip(PICK_COLUMNS, p)) for p in picks], PICK_COLUMNS, {"score": float})


def _exemplars(picks: pd.DataFrame, subs: pd.DataFrame) -> pd.DataFrame:
    """The best-evidenced sentences per priority and per added-value theme, chosen among every
    submission's candidates (:func:`_exemplar_picks`).

    Only submissions graded strong or some supply exemplars; a sentence is quoted once per
    kind (not under several themes), and never a heading, a question or a statement of need.
    """
    cols = ["submission_id", "kind", "category", "rank", "sentence", "score", "council", "title", "strength"]
    at, rank = _chosen(picks)
    if not len(at):
        return _frame([], cols, {"rank": "int64", "score": float})
    chosen = picks.iloc[at]
    data = dict(zip(PICK_COLUMNS, _columns(chosen, *PICK_COLUMNS)))
    meta = subs.loc[subs["submission_id"].isin(set(data["submission_id"])), ["submission_id", "council", "title"]]
    meta = meta.set_index("submission_id").to_dict("index")
    m = [meta.get(sid, {}) for sid in data["submission_id"]]
    data.update(rank=rank.tolist(), council=[x.get("council", "") or "" for x in m],
                title=[x.get("title", "") or "" for x in m])
    out = _frame(data, cols, {"rank": "int64", "score": float})
    return out.sort_values(["kind", "category", "rank"], kind="stable").reset_index(drop=True)


def _sorted_codes(col: pd.Series) -> np.ndarray:
    """Each value's number among the column's distinct values in sorted order (strings: by code point)."""
    return pd.factorize(col, sort=True)[0]


def _chosen(picks: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``picks`` quoted as exemplars, in order of (kind, category, rank), and their ranks.

    Each sentence is quoted once per kind, under the category it scores highest in (ties: the
    category with fewer candidates, then by name); in each category, its sentences by score (ties:
    by submission id, then sentence), each sentence once, the first :data:`N_EXEMPLARS`. Worked out
    over the columns' codes (in the values' sorted order): a test checks it against the same rules
    written as loops over the rows.
    """
    if not len(picks):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    kind, cat, sid, sent = (_sorted_codes(picks[c]) for c in ("kind", "category", "submission_id", "sentence"))
    score = picks["score"].to_numpy(dtype=float)
    group = kind * (int(cat.max()) + 1) + cat  # (kind, category), numbered in their order
    n = np.bincount(group)[group]  # the candidates of each row's category
    # each (kind, sentence)'s category: the first of its rows by (-score, n, category)
    order = np.lexsort((cat, n, -score, sent, kind))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (kind[order][1:] != kind[order][:-1]) | (sent[order][1:] != sent[order][:-1])
    best = np.empty(len(order), dtype=cat.dtype)
    best[order] = cat[order][first][np.cumsum(first) - 1]
    keep = np.flatnonzero(cat == best)
    order = keep[np.lexsort((sent[keep], sid[keep], -score[keep], cat[keep], kind[keep]))]
    # each sentence once in its category (its first row), then the first N_EXEMPLARS of each category
    order = order[~pd.DataFrame({"g": group[order], "s": sent[order]}).duplicated().to_numpy()]
    g = group[order]
    start = np.ones(len(order), dtype=bool)
    start[1:] = g[1:] != g[:-1]
    pos = np.arange(len(order))
    rank = pos - np.maximum.accumulate(np.where(start, pos, 0)) + 1
    keep = rank <= N_EXEMPLARS
    return order[keep], rank[keep]


@gc_paused()  # reading the cache and joining the tables: see gc_paused
def run_evidence(processed_dir: str | os.PathLike, *, rubric=None, progress: bool = False, taxonomy=None,
                 guidance=None, evaluate: bool = True, full: bool = False, engine=None,
                 workers: int | None = None) -> EvidenceResult:
    """Run the evidence stage over the processed folder.

    Parameters
    ----------
    processed_dir : path-like
        The processed folder holding ``submissions.parquet`` (and, when present,
        ``tags.parquet``, ``tag_evidence.parquet`` and ``partners.parquet``).
    rubric : path-like, Rubric or None
        Evidence rubric; ``None`` for the packaged ``evidence_rubric.yaml``.
    progress : bool
        Show a text progress bar.
    taxonomy : path-like or None
        Added-value themes; ``None`` for the packaged ``taxonomies/added_value.yaml``.
    guidance : path-like or None
        2012 guidance expectations; ``None`` for the packaged ``guidance_2012.yaml``.
    evaluate : bool
        Measure accuracy on the packaged labelled sets and record it in ``evidence_meta.json``.
    full : bool
        Grade every submission again; otherwise the rows of raw files whose submissions,
        partners and versions are unchanged since the last run are reused
        (:mod:`soa_analysis.partition`). Exemplars, consistency and partner pairs, which
        look across submissions, are always worked out afresh.
    engine : soa_analysis.engine.Engine, optional
        Where the submissions are graded (default: on this machine).
    workers : int, optional
        With the local engine: processes to grade with (0 or None: one per core; 1: this
        process). Fewer than :data:`.pool.POOL_MIN` submissions to grade are graded here. The
        tables are the same whatever the number.

    Returns
    -------
    EvidenceResult

    Raises
    ------
    InputError
        If ``submissions.parquet`` is missing.
    SchemaError
        If an input or output table breaks its contract.
    TaxonomyError
        If the rubric, taxonomy or guidance file is malformed.
    """
    t0 = time.perf_counter()
    processed_dir = Path(processed_dir)
    key, known = _kept_analyses(processed_dir)
    with carried_analyses(known):
        return _run_evidence(processed_dir, key, known, len(known), t0, rubric=rubric, progress=progress,
                             taxonomy=taxonomy, guidance=guidance, evaluate=evaluate, full=full, engine=engine,
                             workers=workers)


def _run_evidence(processed_dir: Path, key: str, known: dict, before: int, t0: float, *, rubric, progress, taxonomy,
                  guidance, evaluate, full, engine, workers) -> EvidenceResult:
    from ..partition import _frame_of_arrow, read_submissions

    subs, identity = read_submissions(processed_dir)
    # every submission will be graded (a full run, or no cache): a pool starts on them before the plan
    grade_all = engine is None and not progress and (full or not _has_cache(processed_dir))
    if grade_all:
        start_early(workers, len(subs))  # the grading pool's fork server imports while this reads and plans
    # only the columns this stage reads of the tagging stage's two tables (not their evidence strings, phrase
    # and token-span lists: at 100,000 submissions those held gigabytes of Python objects here)
    tags = _optional(processed_dir, "tags", PRIORITY_TAG_COLUMNS)
    tag_evidence = _optional(processed_dir, "tag_evidence", PRIORITY_TE_COLUMNS)
    partners = _optional(processed_dir, "partners")
    grader = EvidenceGrader(rubric=rubric).fit()
    tagger = ThemeTagger(taxonomy=taxonomy).fit()
    guide = load_guidance(guidance)

    def meanwhile():  # this process's own work while a pool grades (before grading when none does)
        return _partner_pairs(partners, tags), (_accuracy(grader, tagger, processed_dir) if evaluate else None)

    tables, plan, (pairs, accuracy) = _graded_tables(
        processed_dir, subs, tags, tag_evidence, partners, grader, tagger, guide, full=full, engine=engine,
        progress=progress, workers=workers, grade_all=grade_all, meanwhile=meanwhile, identity=identity)
    tables, dtypes, computed_rows = tables
    _keep_analyses(processed_dir, key, known, before, grader)
    # the tables stay in Arrow (the reused files' rows spliced from the last run's: TablePlan.tables); the ones
    # this stage reads, and those looked at across submissions, are made frames
    consistency = tables["consistency"]
    if consistency.num_rows:  # Arrow's sort is stable, strings by their bytes (code points), as pandas' sort
        consistency = consistency.take(pc.sort_indices(consistency, sort_keys=[("submission_id", "ascending"),
                                                                                ("priority", "ascending")]))
    evidence = _frame_of_arrow(tables["evidence"], dtypes["evidence"])
    exemplars = _exemplars(_frame_of_arrow(tables["exemplar_picks"], dtypes["exemplar_picks"]), subs)

    paths = {}
    for name, df in (("evidence", evidence), ("exemplars", exemplars), ("partner_pairs", pairs)):
        paths[name] = write_table(df, processed_dir / TABLES[name].filename, table=name)
    arrow = {name: tables[name] for name in ("evidence_sentences", "added_value", "alignment", "followups")}
    arrow["consistency"] = consistency
    # the reused rows were checked when first written: the computed ones are checked now
    paths |= write_arrow_tables({name: (table, processed_dir / TABLES[name].filename, computed_rows[name])
                                 for name, table in arrow.items()})
    lazy = {name: LazyFrame(table, dtypes[name]) for name, table in arrow.items()}
    added = tables["added_value"]
    meta = _evidence_meta(grader, tagger, guide, subs, evidence, added, plan,
                          inputs={"tags": tags is not None, "tag_evidence": tag_evidence is not None,
                                  "partners": partners is not None}, accuracy=accuracy)
    meta["seconds"] = round(time.perf_counter() - t0, 3)
    paths["meta"] = write_text(processed_dir / "evidence_meta.json", json.dumps(meta, indent=2, sort_keys=True))
    return EvidenceResult(evidence, lazy["evidence_sentences"], lazy["added_value"], lazy["alignment"],
                          lazy["followups"], exemplars, pairs, lazy["consistency"], meta, paths)


# The grader's search plan parses each of the rubric's thousand alternatives for what it needs (its words, a
# digit, its first characters: :func:`.prefilter.analyses`), about a second of CPU in every process that grades,
# whatever the number of submissions: a re-run grading one file paid it for that file. What was found is kept in
# the cache folder, under the prefilter's code and the Python version (its ``re`` parser), and taken by the next run.
ANALYSES = "evidence_analyses.pkl"


def _analyses_key() -> str:
    import sys

    from ..partition import code_fingerprint

    return sha256_hex(json.dumps([code_fingerprint("soa_analysis.evidence.prefilter"), sys.version]))


def _kept_analyses(processed_dir: Path) -> tuple[str, dict]:
    """The expressions' analyses the last run kept (:data:`ANALYSES`) and their key ({} when absent, damaged or
    of other code: worked out again)."""
    import pickle

    from ..partition import CACHE_DIR

    key = _analyses_key()
    try:
        with open(processed_dir / CACHE_DIR / ANALYSES, "rb") as fh:
            kept = pickle.load(fh)  # noqa: S301 - written by this package's own runs, and checked value by value
        if isinstance(kept, dict) and kept.get("key") == key and isinstance(kept.get("analyses"), dict):
            return key, kept["analyses"]
    except Exception:  # noqa: BLE001 - only a cache
        pass
    return key, {}


def _keep_analyses(processed_dir: Path, key: str, known: dict, before: int, grader: EvidenceGrader) -> None:
    """Keep the expressions' analyses for the next run when this run found more than it took. When none were
    taken nor found here (the submissions were graded by a pool's processes: a first or full run), the grader's
    plan is built here first, once, so that the next run takes them."""
    import pickle

    from ..io import atomic_path
    from ..partition import CACHE_DIR
    from .grader import _PLANS, _feature_plan

    if not known:
        _PLANS.clear()  # built again here (its expressions' analyses recorded)
        from .prefilter import _alternatives

        _alternatives.cache_clear()
        _feature_plan(grader.rubric_)
    if len(known) <= before:
        return
    try:
        with atomic_path(processed_dir / CACHE_DIR / ANALYSES, ".tmp") as tmp, open(tmp, "wb") as fh:
            pickle.dump({"key": key, "analyses": known}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        pass


def _has_cache(processed_dir: Path) -> bool:
    """Whether the last run left this stage's per-file results (most submissions may then be reused): its kept
    tables, or shards."""
    from ..partition import CACHE_DIR
    from ..shards import ShardStore

    return ((processed_dir / CACHE_DIR / "evidence.tables" / "index.json").is_file()
            or bool(ShardStore(processed_dir / CACHE_DIR / "evidence").on_disk()))


def _graded_tables(processed_dir: Path, subs: pd.DataFrame, tags, tag_evidence, partners, grader: EvidenceGrader,
                   tagger: ThemeTagger, guide, *, full: bool, engine, progress: bool, workers: int | None = 1,
                   grade_all: bool = False, meanwhile=lambda: None, identity: list[int] | None = None):
    """The per-submission tables (:func:`evidence_frames`): the rows of unchanged raw files reused
    from the last run, the others graded here or on ``engine``. Returns (tables, the reuse plan,
    what ``meanwhile()`` returned).

    With ``grade_all`` (every submission is to be graded: a full run, or no cache) and a pool of
    local workers, the pool starts grading before the plan's unit keys (digests of every row) are
    worked out; then ``meanwhile()``, this process's own work, runs while the pool grades. ``identity``: the
    submissions file's (:func:`soa_analysis.partition.read_submissions`), for :func:`.partition.plan_tables`.
    """
    from ..partition import concat_frames, fingerprint, in_chunks, plan_tables, raw_file_groups

    fp_parts = {"rubric": sha256_hex(repr(grader.rubric_)), "guidance": sha256_hex(repr(guide)),
                "themes": sha256_hex(repr(tagger.taxonomy_)), **grader.model_digests()}
    # a submission's rows depend on its own row, partners and priority tags (consistency)
    prio_tags, prio_te = _priority_rows(tags, tag_evidence)
    partners = partners[PARTNER_COLUMNS] if partners is not None else None
    extra = {"partners": partners, "tags": prio_tags, "tag_evidence": prio_te}
    models = {"rubric": grader.rubric_, "taxonomy": tagger.taxonomy_, "guidance": guide}
    local = engine is None and not progress
    grading = None
    if grade_all and local and pool_workers(workers, len(subs)) > 1:
        grading = start_grading(subs, raw_file_groups(subs), pool_workers(workers, len(subs)), grade_partition,
                                **models, **extra)
    try:
        fp = fingerprint("evidence", "soa_analysis.evidence.stage", {**fp_parts, "tag_inputs": [
            prio_tags is not None, prio_te is not None]})
        plan = plan_tables(processed_dir, "evidence", subs, fp, full=full, extra=extra, identity=identity)
        todo_ids = plan.todo_ids
        if grading is not None:
            side = meanwhile()
            computed = grading.tables()
            if len(plan.todo) < len(plan.units):  # (not expected: no cache was on disk) the reused units' rows
                computed = {name: _of(df, todo_ids) for name, df in computed.items()}
            return _in_arrow(plan, computed), plan, side
        todo = subs[subs["submission_id"].astype(str).isin(todo_ids)].reset_index(drop=True)
        inputs = {k: _of(v, todo_ids) for k, v in extra.items()}
        pool = pool_workers(workers, len(todo)) if local else 1
        if engine is not None and len(todo):
            side = meanwhile()
            computed = engine.grade(todo, plan.todo, **models, **inputs)
        elif pool > 1:  # over the cores, partitions of whole raw files
            grading = start_grading(todo, plan.todo, pool, grade_partition, **models, **inputs)
            side = meanwhile()
            computed = grading.tables()
        else:  # a part of the submissions at a time: memory bounded whatever the corpus
            side = meanwhile()
            parts = in_chunks(todo, lambda part: evidence_frames(
                part, grader=grader, tagger=tagger, guidance=guide, progress=progress,
                **(inputs if part is todo else {k: _of(v, set(part["submission_id"].astype(str)))
                                                for k, v in inputs.items()})))
            computed = {name: concat_frames([p[name] for p in parts]) for name in parts[0]}
        return _in_arrow(plan, computed), plan, side
    finally:
        if grading is not None:
            grading.close()


def _in_arrow(plan, computed: dict[str, pd.DataFrame]) -> tuple[dict, dict, dict]:
    """The plan's tables in Arrow (:meth:`soa_analysis.partition.TablePlan.tables`), the computed tables' dtypes
    and the computed rows (what is checked against the contracts when written)."""
    return plan.tables(computed), {name: df.dtypes for name, df in computed.items()}, computed


def grade_partition(subs: pd.DataFrame, rubric, taxonomy, guidance, inputs: dict) -> dict[str, pd.DataFrame]:
    """:func:`evidence_frames` of one partition of the submissions, in a worker (a process of the
    stage's pool, or a Dask worker): the grader and themes fitted from the stage's rubric and taxonomy."""
    return evidence_frames(subs, grader=EvidenceGrader(rubric=rubric).fit(), tagger=ThemeTagger(taxonomy=taxonomy).fit(),
                           guidance=guidance, **inputs)


def _evidence_meta(grader: EvidenceGrader, tagger: ThemeTagger, guide, subs: pd.DataFrame, evidence: pd.DataFrame,
                   added: pd.DataFrame, plan, *, inputs: dict, accuracy: dict | None = None) -> dict:
    """``evidence_meta.json`` but its timing: the rubric, sentence model, themes and guidance used, counts,
    reuse, the inputs present, the extra contracts and the ``accuracy`` on the labelled sets
    (:func:`_accuracy`) when measured."""
    r = grader.rubric_
    model = grader.model_
    tax = tagger.taxonomy_
    meta = {
        "rubric": {"name": r.name, "version": r.version, "source": r.source},
        "added_value_taxonomy": {"name": tax.name, "version": tax.version, "source": tax.source},
        "guidance": {"name": guide.name, "version": guide.version, "source": guide.source},
        "sentence_model": model.summary() if model else None,
        "planned_model": grader.planned_.summary() if grader.planned_ else None,
        "check_model": grader.check_.summary() if grader.check_ else None,
        "n_submissions": int(len(subs)),
        "grades": {g: int((evidence["grade"] == g).sum()) for g in ("strong", "some", "planned", "none")},
        "unsupported_claims": int(pc.sum(added.column("unsupported")).as_py() or 0) if added.num_rows else 0,
        "reuse": {k: v for k, v in plan.reuse().as_dict().items() if k.startswith("n_") or k == "full"},
        "inputs": inputs,
        "extra_contracts": {k: {"filename": v.filename, "columns": {c.name: c.kind for c in v.columns}}
                            for k, v in EXTRA_CONTRACTS.items()},
    }
    if accuracy is not None:
        meta.update(accuracy)
    return meta


def _accuracy(grader: EvidenceGrader, tagger: ThemeTagger, processed_dir: Path | None) -> dict:
    """``accuracy`` and ``accuracy_dev``: the grader's and themes' figures on the packaged labelled sets.

    They depend only on the rubric, the themes, the learned models, the evaluation's code and data
    (:func:`soa_analysis.partition.code_fingerprint`: the labelled sets are package data) and the library
    versions, never on the submissions; so they are kept in ``<processed>/.cache/evidence_accuracy.json``
    under a digest of those and worked out again only when it changes (about 1 s a run otherwise).
    """
    import sklearn

    from ..partition import CACHE_DIR, code_fingerprint
    from .evaluate import evaluate_evidence

    r, tax = grader.rubric_, tagger.taxonomy_
    key = sha256_hex(json.dumps({"version": __version__, "code": code_fingerprint("soa_analysis.evidence.evaluate"),
                                 "rubric": sha256_hex(repr(r)), "themes": sha256_hex(repr(tax)),
                                 **grader.model_digests(),
                                 "libraries": [sklearn.__version__, np.__version__]}, sort_keys=True))
    path = Path(processed_dir) / CACHE_DIR / "evidence_accuracy.json" if processed_dir is not None else None
    kept = read_keyed(path, key, "figures") if path is not None else None
    if isinstance(kept, dict):
        return kept
    # "test" passages were held out while the rubric and taxonomy were written: quote these.
    figures = {"accuracy": evaluate_evidence(rubric=r, taxonomy=tax, split="test").summary(),
               "accuracy_dev": evaluate_evidence(rubric=r, taxonomy=tax, split="dev").summary()}
    if path is not None:
        write_keyed(path, key, "figures", figures)
    return figures
