"""A council page designed for its board: case studies first, then the comparison with Scotland and
similar councils, then outcome indicators; no chart that says nothing about one council (issue 15).
All data fictional (report.synthetic)."""

from __future__ import annotations

import re

import pytest

from soa_analysis.report import compare, contents
from soa_analysis.report.data import load_report_data
from soa_analysis.report.labels import label
from soa_analysis.report.synthetic import make_synthetic_processed
from soa_analysis.schema import PRIORITY_IDS


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    p = make_synthetic_processed(tmp_path_factory.mktemp("cmp") / "p", n=12,
                                 councils=["Fife", "Falkirk", "Renfrewshire", "Moray"])
    return load_report_data(p, council_pages=True)


def test_council_page_order_and_no_single_council_charts(data):
    anchors = [s.anchor for s in contents.sections_for(data.for_council("Fife"))]
    assert anchors.index("case-studies") < anchors.index("compare") < anchors.index("outcomes")
    assert anchors[:2] == ["headline", "case-studies"]
    for gone in ("coverage", "priorities", "evidence", "gaps"):  # one-bar charts, a one-row grid
        assert gone not in anchors
    national = [s.anchor for s in contents.sections_for(data)]
    assert "compare" not in national and {"coverage", "priorities", "evidence", "gaps"} <= set(national)


def test_similar_councils_are_cpop_family_groups():
    groups = compare.family_groups()
    assert len(groups) == 32 and set(groups.values()) <= {1, 2, 3, 4}
    fife = compare.similar_councils("Fife")
    assert "Fife" not in fife and fife and all(groups[c] == groups["Fife"] for c in fife)


def test_comparison_counts_the_councils_case_studies(data):
    fife = data.for_council("Fife")
    t = compare.comparison_table(fife)
    nat = data.national
    mine = nat[nat["council"] == "Fife"]
    total = t.set_index("priority").loc["All priorities"]
    strong = int((mine["grade"] == "strong").sum())
    assert total["council"] == f"{len(mine)} ({strong} strong)"
    n_scot = len(nat)
    assert total["scotland"].startswith(f"{n_scot / 32:.1f} per council")
    similar = compare.similar_councils("Fife")
    n_sim = int(nat["council"].isin(similar).sum())
    assert total["similar"].startswith(f"{n_sim / len(similar):.1f} per council")
    html = compare.compare(fife).data
    assert html.startswith('<section id="compare"') and "Falkirk" in html
    assert len(re.findall(r"<tr>", html)) == 1 + 7  # header, six priorities and all together


def test_comparison_counts_every_priority_as_a_direct_filter_would(data):
    # the counts are tallied once per national frame (compare._tallies); each cell must equal
    # filtering the national frame for the councils and the priority
    nat = data.national
    for council in ("Fife", "Moray"):
        t = compare.comparison_table(data.for_council(council)).set_index("priority")
        for p in (*PRIORITY_IDS, None):
            on = [c == council and (p is None or p in ps) for c, ps in zip(nat["council"], nat["priorities"])]
            rows = nat[on]
            strong = int((rows["grade"] == "strong").sum())
            want = f"{len(rows)} ({strong} strong)" if len(rows) else "none"
            assert t.loc[label(p) if p else "All priorities", "council"] == want
