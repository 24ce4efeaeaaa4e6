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


def test_a_council_pages_headline_and_provenance_from_the_national_frame_are_those_of_its_own_rows(tmp_path):
    """A council's data made by for_council take the headline figures from the national frame's rows of its
    submissions, and the provenance's dates and the methodology's warnings from the whole submissions table at
    its rows, without narrowing the submissions or the evidence to the council: the same HTML as from the
    council's rows narrowed (a council data whose national frame does not list the same submissions, or made
    otherwise, reads its own rows). Some submissions ungraded, one evidence row of a submission not in the table."""
    import dataclasses

    from soa_analysis.io import read_table, write_table
    from soa_analysis.report.contents import show
    from soa_analysis.report.data import NATIONAL_ROWS
    from soa_analysis.schema import TABLES

    p = make_synthetic_processed(tmp_path / "p", n=15, councils=["Fife", "Moray", "Angus"])
    ev = read_table(p, "evidence")
    ev = pd.concat([ev.iloc[3:], ev.iloc[[0]].assign(submission_id="not-a-submission")], ignore_index=True)
    write_table(ev, p / TABLES["evidence"].filename, table="evidence")
    data = load_report_data(p, run_id="r1")
    for council in data.councils():
        fast = data.for_council(council, lazy=True)
        assert NATIONAL_ROWS in fast.derived
        narrowed = data.for_council(council)
        slow = dataclasses.replace(narrowed, derived={})  # its own rows only, as in a council page's worker
        for anchor in ("headline", "provenance", "methodology"):
            assert show(anchor, fast).data == show(anchor, slow).data
        pd.testing.assert_frame_equal(tables.headline(fast), tables.headline(slow))
        assert fast.tables.made() == ["ingest_log"]  # neither the submissions nor the evidence narrowed
    # a national frame that does not list the submissions in the table's order: the council's own rows are read
    shuffled = dataclasses.replace(data, national=data.national.iloc[::-1].reset_index(drop=True), derived={})
    assert NATIONAL_ROWS not in shuffled.for_council("Fife").derived


def test_ingest_summary_is_worked_out_again_for_another_ingest_log(tmp_path):
    """The ingest summary is kept per ingest log frame (the same on every council page of a run): another log,
    or a council's data of another run, gets its own counts."""
    import dataclasses

    p = make_synthetic_processed(tmp_path / "p", n=6, councils=["Fife", "Moray"])
    data = load_report_data(p)
    first = tables.ingest_summary(data)
    assert tables.ingest_summary(data.for_council("Fife")) is first  # the same frame of the run
    log = data["ingest_log"]
    changed = pd.concat([log, log.iloc[[0]].assign(status="quarantined")], ignore_index=True)
    other = dataclasses.replace(data, tables={**data.tables, "ingest_log": changed}, derived={})
    got = tables.ingest_summary(other).set_index("status")["files"]
    assert got["quarantined"] == first.set_index("status")["files"]["quarantined"] + 1
