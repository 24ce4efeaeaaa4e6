"""The fictional-sample banner: on every page of a report with any submission from the sample, on none
otherwise (all data fictional, built by report.synthetic)."""

from __future__ import annotations

import pytest

from soa_analysis.fictional import DISCLAIMER, FICTIONAL_MARK, is_fictional
from soa_analysis.report import contents
from soa_analysis.report.banner import fictional_banner
from soa_analysis.report.councils import council_page_files
from soa_analysis.report.data import load_report_data
from soa_analysis.report.synthetic import make_synthetic_processed

COUNCILS = ["Fife", "Moray"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("banner")
    return {"none": make_synthetic_processed(base / "none", n=6, councils=COUNCILS),
            "some": make_synthetic_processed(base / "some", n=6, councils=COUNCILS, fictional=(0,)),
            "all": make_synthetic_processed(base / "all", n=6, councils=COUNCILS, fictional=tuple(range(6)))}


@pytest.mark.parametrize("text, expected", [
    (f"Town centre fund {FICTIONAL_MARK}\n\nShops reopened.", True),
    (f"Shops reopened.\n\n{DISCLAIMER}", True),
    ("Shops reopened.\n\nFictional case study written for the soa-analysis\nsample data; not a real submission.", True),
    ("Town centre fund (fictional sample)", True),
    ("A fictional account of the town centre fund.", False),
    ("", False),
    (None, False),
])
def test_mark_is_found(text, expected):
    assert is_fictional(text) is expected


def test_no_banner_without_the_sample(folders):
    data = load_report_data(folders["none"], council_pages=True)
    assert fictional_banner(data) == ""
    assert "fictional-banner" not in contents.title(data).data
    for council in COUNCILS:
        for html in council_page_files(data.for_council(council)).values():
            assert 'class="fictional-banner"' not in html


@pytest.mark.parametrize("which, word", [("some", "partly"), ("all", "wholly")])
def test_banner_on_the_summary_and_every_council_page(folders, which, word, monkeypatch):
    data = load_report_data(folders[which], council_pages=True)
    head = contents.title(data).data
    assert head.startswith('<div class="fictional-banner"')
    assert f"built {word} from the bundled <strong>fictional sample</strong>" in head
    n = 1 if which == "some" else 6
    assert f"{n} of its 6 submissions" in head
    monkeypatch.setattr("soa_analysis.report.cards.COUNCIL_BUDGET", 1)  # further pages of cards too
    monkeypatch.setattr("soa_analysis.report.cards.CARDS_PAGE_BUDGET", 1)
    for council in COUNCILS:  # a council with no fictional submission of its own still carries it
        files = council_page_files(data.for_council(council))
        assert len(files) > 1
        for name, html in files.items():
            assert html.count('class="fictional-banner"') == 1, name
            assert "Do not quote them as evidence." in html


def test_council_page_says_how_many_of_its_own_are_fictional(folders):
    data = load_report_data(folders["some"], council_pages=True)
    subs = data["submissions"]
    first = subs.loc[subs["fictional"], "council"].iloc[0]
    own = int((subs["council"] == first).sum())
    assert f"{first}: 1 of its {own} submission" in fictional_banner(data.for_council(first))
