"""The consistency table (need raised against evidence given) on small hand-built cases.

All sentences are fictional placeholders; the expected rows are worked out by hand from the
rules in ``evidence.stage._consistency``'s docstring.
"""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from soa_analysis.evidence.stage import _consistency
from soa_analysis.schema import TABLES, validate

COLS = [c.name for c in TABLES["consistency"].columns]


def _expected(rows):
    df = pd.DataFrame(rows, columns=COLS)
    return df.astype({"raised_in_need": bool, "consistent": bool})


def _ev_sent(rows):
    return pd.DataFrame(rows, columns=["submission_id", "sentence", "strength"])


def _tag_evidence(rows):
    return pd.DataFrame(rows, columns=["submission_id", "taxonomy", "priority", "section", "sentence"])


EV_SENT = _ev_sent([
    ("s1", "Fictional result A.", "strong"),
    ("s1", "Fictional plan B.", "planned"),
    ("s1", "Fictional result C.", "some"),
    ("s1", "Fictional action Z.", "strong"),
    # The same sentence graded in two sections of s3: the later row counts.
    ("s3", "Fictional result D.", "planned"),
    ("s3", "Fictional result D.", "some"),
    ("s2", "Fictional plan B2.", "planned"),
])

TAG_EVIDENCE = _tag_evidence([
    # Out of order on purpose: the table comes out sorted by submission and priority.
    ("s2", "priorities", "safer_communities", "need", "Fictional need N3."),
    ("s2", "priorities", "safer_communities", "evidence", "Fictional plan B2."),
    # Graded strong, but for s1 only: for s2 it is ungraded ("none").
    ("s2", "priorities", "safer_communities", "evidence", "Fictional result A."),
    ("s2", "priorities", "employment", "need", "Fictional need N4."),
    ("s1", "priorities", "older_people", "need", "Fictional need N1."),
    ("s1", "priorities", "older_people", "evidence", "Fictional result C."),
    ("s1", "priorities", "older_people", "need", "Fictional need N1."),
    ("s1", "priorities", "older_people", "achievements", "Fictional result A."),
    ("s1", "priorities", "older_people", "evidence", "Fictional result C."),
    ("s1", "priorities", "older_people", "need", "Fictional need N2."),
    ("s1", "priorities", "older_people", "evidence", "Fictional plan B."),
    ("s1", "priorities", "older_people", "evidence", "Fictional sentence X, never graded."),
    # Actions are not graded for consistency, however strong.
    ("s1", "priorities", "older_people", "actions", "Fictional action Z."),
    # Evidence without a need raised: no row.
    ("s1", "priorities", "health", "evidence", "Fictional result A."),
    # Another taxonomy: ignored.
    ("s1", "outcomes_soa", "older_people", "need", "Fictional need N9."),
    ("s3", "priorities", "health", "need", "Fictional need N5."),
    ("s3", "priorities", "health", "outcome_progress", "Fictional result D."),
    ("s3", "priorities", "health", "text", "Fictional action Z."),
])


def test_consistency_from_tag_evidence_matches_hand_worked_rows():
    got = _consistency(EV_SENT, pd.DataFrame(), None, TAG_EVIDENCE)
    want = _expected([
        ("s1", "older_people", True, "strong", True, ["Fictional need N1.", "Fictional need N2."],
         ["Fictional result C.", "Fictional result A."], "tag_evidence"),
        ("s2", "employment", True, "none", False, ["Fictional need N4."], [], "tag_evidence"),
        ("s2", "safer_communities", True, "planned", False, ["Fictional need N3."], [], "tag_evidence"),
        ("s3", "health", True, "some", True, ["Fictional need N5."], ["Fictional result D."], "tag_evidence"),
    ])
    assert_frame_equal(got, want)
    validate(got, "consistency")


def test_consistency_without_a_need_sentence_is_empty_with_the_contracts_columns():
    no_need = TAG_EVIDENCE[TAG_EVIDENCE["section"] != "need"]
    got = _consistency(EV_SENT, pd.DataFrame(), None, no_need)
    assert_frame_equal(got, _expected([]))
    assert_frame_equal(_consistency(EV_SENT, pd.DataFrame(), None, None), _expected([]))


def test_consistency_from_tags_uses_each_submissions_grade():
    evidence = pd.DataFrame({"submission_id": ["s1", "s2"], "grade": ["some", "planned"]})
    tags = pd.DataFrame([
        ("s2", "priorities", "health", True),
        ("s1", "priorities", "older_people", True),
        ("s1", "priorities", "employment", True),
        ("s1", "priorities", "health", False),
        ("s1", "outcomes_soa", "health", True),
        ("s4", "priorities", "health", True),  # no evidence row: "none"
    ], columns=["submission_id", "taxonomy", "priority", "assigned"])
    got = _consistency(EV_SENT, evidence, tags, None)
    want = _expected([
        ("s1", "employment", True, "some", True, [], [], "tags"),
        ("s1", "older_people", True, "some", True, [], [], "tags"),
        ("s2", "health", True, "planned", False, [], [], "tags"),
        ("s4", "health", True, "none", False, [], [], "tags"),
    ])
    assert_frame_equal(got, want)
    assert_frame_equal(_consistency(EV_SENT, evidence, tags[~tags["assigned"]], None), _expected([]))


@pytest.mark.parametrize("arrow", [True, False])
def test_the_priority_rows_taken_by_arrow_are_the_frame_loc_gives(arrow):
    """_priority_rows takes tag_evidence's national priorities' rows (by Arrow when its columns are Arrow-backed):
    the same frame as ``.loc`` of the mask, values, dtypes and index labels, with missing taxonomies left out."""
    from soa_analysis.evidence.stage import PRIORITY_TE_COLUMNS, _priority_rows

    dtype = "string[pyarrow]" if arrow else object
    te = pd.DataFrame({"submission_id": pd.array(["a", "b", None, "c", "d"], dtype=dtype),
                       "taxonomy": pd.array(["priorities", None, "priorities", "outcomes_soa", "priorities"],
                                            dtype=dtype),
                       "priority": pd.array(["x", "y", "z", None, "x"], dtype=dtype),
                       "section": pd.array(["need", "need", "evidence", "need", "text"], dtype=dtype),
                       "sentence": pd.array(["p", "q", None, "s", "t"], dtype=dtype),
                       "phrases": ["1", "2", "3", "4", "5"]}, index=[7, 3, 9, 1, 4])
    tags, rows = _priority_rows(None, te)
    assert tags is None
    expected = te.loc[te["taxonomy"] == "priorities", PRIORITY_TE_COLUMNS]
    pd.testing.assert_frame_equal(rows, expected, check_index_type=True)
    assert rows.index.tolist() == [7, 9, 4]
