"""The tables behind the charts: figures from hand-made folders, computed once per report.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import pandas as pd
import pytest

from soa_analysis.report import tables
from soa_analysis.report.data import load_report_data
from soa_analysis.report.synthetic import make_synthetic_processed


def test_headline_figures_from_a_hand_made_folder(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=6, councils=["Fife", "Moray", "Angus"])
    data = load_report_data(p)
    h = tables.headline(data).set_index("figure")["value"]
    ev = pd.read_parquet(p / "evidence.parquet")
    assert h["Submissions"] == 6
    assert h["Councils"] == 3
    assert h["Share with strong evidence"] == pytest.approx((ev["grade"] == "strong").mean())


def test_added_value_counts_ticked_but_unsupported(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=3)
    av = pd.DataFrame({
        "submission_id": ["syn00000", "syn00001", "syn00002"], "theme": ["prevention"] * 3,
        "score": [0.9, 0.1, 0.1], "assigned": [True, False, False], "ticked": [True, True, False],
        "evidence": ["", "", ""],
    })
    av.to_parquet(p / "added_value.parquet")
    row = tables.added_value_themes(load_report_data(p)).set_index("theme").loc["prevention"]
    assert (row["evidenced"], row["ticked"], row["ticked_unsupported"]) == (1, 2, 1)


def test_council_summary_and_grades_by_priority_from_a_hand_made_folder(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=4, councils=["Fife", "Moray"])
    ev = pd.read_parquet(p / "evidence.parquet")
    ev["grade"] = ["strong", "none", "strong", "some"]  # Fife: syn0, syn2; Moray: syn1, syn3
    ev.to_parquet(p / "evidence.parquet")
    tags = pd.read_parquet(p / "tags.parquet")
    tags["assigned"] = tags["priority"].eq("employment")
    tags.to_parquet(p / "tags.parquet")
    data = load_report_data(p)
    s = tables.council_summary(data).set_index("council")
    assert len(s) == 32 and s.loc["Fife", "submissions"] == 2 and s.loc["Fife", "share_strong"] == 1.0
    assert s.loc["Moray", "strong"] == 0 and s.loc["Angus", "submissions"] == 0
    assert pd.isna(s.loc["Angus", "share_strong"])
    g = tables.grade_by_priority(data).set_index("priority")
    assert g.loc["employment", ["strong", "some", "planned", "none"]].tolist() == [2, 1, 0, 1]
    assert g.loc["early_years"].drop("label").sum() == 0


def test_partner_pairs_come_from_the_evidence_stage_table(tmp_path):
    """The heatmap reads partner_pairs.parquet: a pair counts its submissions once across priorities."""
    p = make_synthetic_processed(tmp_path / "p", n=2)
    pd.DataFrame({"submission_id": ["syn00000", "syn00000", "syn00001", "syn00001"],
                  "name": ["A", "B", "C", "D"],
                  "partner_type": ["police", "nhs_board", "police", "nhs_board"]}).to_parquet(p / "partners.parquet")
    pd.DataFrame({"partner_type_a": ["nhs_board", "nhs_board"], "partner_type_b": ["police", "police"],
                  "priority": ["employment", "older_people"], "n": [1, 1],
                  "submission_ids": [["syn00000"], ["syn00000"]]}).to_parquet(p / "partner_pairs.parquet")
    m = tables.partner_pairs(load_report_data(p))
    assert m.loc["police", "nhs_board"] == m.loc["nhs_board", "police"] == 1  # syn00001 was not tagged
    assert m.loc["police", "police"] == 2 and m.loc["nhs_board", "nhs_board"] == 2


def test_each_table_is_computed_once_per_report(tmp_path, monkeypatch):
    p = make_synthetic_processed(tmp_path / "p", n=6)
    data = load_report_data(p)
    calls = []
    real = pd.crosstab

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(pd, "crosstab", counting)
    first = tables.grade_by_priority(data)
    tables.chart_tables(data)
    assert tables.grade_by_priority(data) is first and len(calls) == 1
    assert tables.grade_by_priority(data.for_council("Fife")) is not first  # another report, its own tables


def test_a_council_pages_priorities_covered_are_its_assigned_priorities_of_the_national_list(tmp_path):
    """On a council page, "Priorities covered" counts the national priorities at least one of the council's
    submissions is assigned in the tags table (unassigned rows, other taxonomies and names that are not
    national priorities left out), as on the national page; it reads the national frame, not the tags."""
    from soa_analysis.io import read_table, write_table
    from soa_analysis.schema import PRIORITY_IDS, TABLES

    p = make_synthetic_processed(tmp_path / "p", n=12, councils=["Fife", "Moray", "Angus"])
    tags = read_table(p, "tags")
    subs = read_table(p, "submissions")
    fife = subs.loc[subs["council"] == "Fife", "submission_id"].iloc[0]
    held = set(tags.loc[tags["submission_id"].isin(subs.loc[subs["council"] == "Fife", "submission_id"])
                        & (tags["taxonomy"] == "priorities") & tags["assigned"].astype(bool), "priority"])
    missing = sorted(set(PRIORITY_IDS) - held)
    assert missing  # a priority Fife does not cover, to be added unassigned and in another taxonomy
    extra = pd.concat([tags.iloc[[0]].assign(submission_id=fife, priority=missing[0], assigned=False),
                       tags.iloc[[0]].assign(submission_id=fife, priority=missing[0], taxonomy="outcomes_soa",
                                             assigned=True),
                       tags.iloc[[0]].assign(submission_id=fife, priority="not_a_priority", assigned=True)])
    write_table(pd.concat([tags, extra], ignore_index=True), p / TABLES["tags"].filename, table="tags")
    data = load_report_data(p)
    tags = read_table(p, "tags")
    on = tags[(tags["taxonomy"] == "priorities") & tags["assigned"].astype(bool)]
    for council in data.councils():
        mine = data.for_council(council, lazy=True)
        covered = tables.headline(mine).set_index("figure")["value"]["Priorities covered"]
        ids = set(subs.loc[subs["council"] == council, "submission_id"])
        assert covered == len(set(on.loc[on["submission_id"].isin(ids), "priority"]) & set(PRIORITY_IDS)) > 0
        assert "tags" not in mine.tables.made()
    whole = tables.headline(data).set_index("figure")["value"]["Priorities covered"]
    assert whole == len(set(on["priority"]) & set(PRIORITY_IDS))
