"""What a case-study card quotes from the two largest tables: the rows of ``tag_evidence`` and
``evidence_sentences`` it can show. The report loader (:mod:`.data`) keeps only these and the cards
(:mod:`.cards`) take them again (a no-op on rows already taken). No import of either module, so
both can use it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import GRADES

__all__ = ["PRIORITY_TAXONOMY", "SENTENCES_PER_PRIORITY", "GRADE_SENTENCES", "QUOTED_READS", "TAG_COLUMNS",
           "quoted_tag_rows", "quoted_tag_positions", "quoted_grade_rows"]

PRIORITY_TAXONOMY = "priorities"
SENTENCES_PER_PRIORITY = 2  # sentences a card quotes per priority
GRADE_SENTENCES = 2  # sentences a card quotes for what its grade rests on


TAG_COLUMNS = ("submission_id", "taxonomy", "priority", "sentence", "phrases", "spans", "token_spans")
_GRADE_COLUMNS = ("submission_id", "sentence", "strength", "score")
# How to read each table for these functions: the columns they read, and a filter (pyarrow's form) that keeps
# every row they can keep, so a reader need not turn the rest into frames (soa_analysis.io.read_table).
QUOTED_READS = {
    "tag_evidence": ([*TAG_COLUMNS, "assigned"],
                     [("taxonomy", "==", PRIORITY_TAXONOMY), ("assigned", "==", True)]),
    "evidence_sentences": (list(_GRADE_COLUMNS), [("strength", "in", list(GRADES[:3]))]),
}


def quoted_tag_rows(te: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``tag_evidence`` a card may quote, with the columns it reads: the priorities
    taxonomy's (assigned ones, when the table says), the first :data:`SENTENCES_PER_PRIORITY` of
    each submission and priority, in table order. Taking them again changes nothing, so the report
    loader keeps only these (a tenth of the table) and the cards take them from there.

    Example
    -------
    >>> te = pd.DataFrame({"submission_id": ["a"] * 4, "taxonomy": ["priorities"] * 3 + ["outcomes_soa"],
    ...                    "priority": ["p"] * 4, "sentence": ["one", "two", "three", "four"]})
    >>> quoted_tag_rows(te)["sentence"].tolist()
    ['one', 'two']
    """
    cols = [c for c in TAG_COLUMNS if c in te.columns]
    if not len(te):
        return te[cols]
    # the rows are chosen from three columns and taken once (each take of a text column copies its strings)
    return te[cols].iloc[quoted_tag_positions(te)].reset_index(drop=True)


def quoted_tag_positions(te: pd.DataFrame) -> np.ndarray:
    """Where the rows :func:`quoted_tag_rows` keeps are in ``te`` (ascending), from its columns
    ``taxonomy``, ``submission_id``, ``priority`` and (when present) ``assigned`` alone: a reader can
    choose the rows from those before it turns the others into a frame (:mod:`.data`).

    Example
    -------
    >>> te = pd.DataFrame({"submission_id": ["a"] * 5, "taxonomy": ["x"] + ["priorities"] * 4,
    ...                    "priority": ["p"] * 5, "assigned": [True, True, False, True, True]})
    >>> quoted_tag_positions(te).tolist()
    [1, 3]
    """
    keep = (te["taxonomy"] == PRIORITY_TAXONOMY).fillna(False).to_numpy(dtype=bool)
    if "assigned" in te.columns:
        keep = keep & te["assigned"].fillna(False).astype(bool).to_numpy()
    at = np.flatnonzero(keep)
    keys = te[["submission_id", "priority"]].iloc[at]
    first = keys.groupby(["submission_id", "priority"], sort=False, dropna=False).cumcount().to_numpy() < SENTENCES_PER_PRIORITY
    return at[first]


def quoted_grade_rows(es: pd.DataFrame, grades: dict) -> pd.DataFrame:
    """The rows of ``evidence_sentences`` a card may quote for what its grade rests on: sentences of
    the submission's own grade (strong, some or planned; never none), the :data:`GRADE_SENTENCES` highest
    scored of each submission (ties in table order), kept in table order. Taking them again
    changes nothing.

    Parameters
    ----------
    es : pandas.DataFrame
        ``evidence_sentences`` (or rows of it).
    grades : dict
        Submission id -> its grade (the ``evidence`` table).
    """
    cols = [c for c in _GRADE_COLUMNS if c in es.columns]
    if not len(es):
        return es[cols]
    es = es[es["submission_id"].map(grades).eq(es["strength"]) & es["strength"].isin(GRADES[:3])].reset_index(drop=True)
    ranked = es.sort_values("score", ascending=False, kind="stable") if "score" in es.columns else es
    first = ranked.groupby("submission_id", sort=False).cumcount() < GRADE_SENTENCES
    return es.loc[ranked.index[first.to_numpy()].sort_values(), cols].reset_index(drop=True)
