"""Council pages built from the loaded data: one per council, self-contained, safe and bounded.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import dataclasses

import pytest

from soa_analysis.report import cards
from soa_analysis.report.councils import council_page_files, write_council_pages
from soa_analysis.report.data import load_report_data
from soa_analysis.report.synthetic import make_synthetic_processed

PAYLOAD = ("Ask jane.doe@council.example or phone 0131 496 0000. <script>alert('pwned')</script> "
           "<img src=x onerror=alert(1)>")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    p = make_synthetic_processed(tmp_path_factory.mktemp("c") / "p", n=15, councils=["Fife", "Moray", "Angus"],
                                 narrative_extra={1: PAYLOAD, 4: PAYLOAD})
    return load_report_data(p, run_id="council-test")


@pytest.mark.parametrize("workers", [1, 2])
def test_one_page_per_council_whatever_the_workers(data, tmp_path, workers):
    written = write_council_pages(data, tmp_path / "councils", workers=workers)
    assert [p.name for p in written] == ["angus.html", "fife.html", "moray.html"]
    assert all(p.stat().st_size > 10_000 for p in written)


def test_a_council_page_is_self_contained_safe_and_about_its_council(data, html_page, safe_page):
    files = council_page_files(dataclasses.replace(data.for_council("Moray"), council_pages=True))
    html = files["moray.html"]
    safe_page(html)
    page = html_page(html)
    assert page.headings[0] == (1, "Moray: community planning evidence")
    h2 = [h for lvl, h in page.headings if lvl == 2]
    assert h2[0] == "Headline figures" and h2[1] == "Case studies" and "Coverage: councils and priorities" not in h2 and h2[-1] == "Methodology and quality"
    assert 'href="../summary.html"' in html
    cards_ = [v for t, k, v in page.attrs if t == "article" and k == "data-council"]
    assert cards_ and set(cards_) == {"Moray"}
    assert "council-test" in "".join(page.text)
    for secret in ("jane.doe", "496 0000", "contact-secret", "Fictional Officer"):
        assert secret not in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_further_pages_of_cards_are_whole_pages_that_link_back(data, monkeypatch, safe_page, html_page):
    monkeypatch.setattr(cards, "COUNCIL_BUDGET", 2_000)
    monkeypatch.setattr(cards, "CARDS_PAGE_BUDGET", 2_000)
    files = council_page_files(dataclasses.replace(data.for_council("Fife"), council_pages=True))
    names = sorted(files)
    assert names[0] == "fife-cards-2.html" and "fife.html" in names and len(names) >= 3
    for name, html in files.items():
        safe_page(html)
    more = html_page(files["fife-cards-2.html"])
    assert more.headings[0][1].startswith("Fife: case studies, page 2 of ")
    assert ("a", "href", "fife.html") in more.attrs and ("a", "href", "../summary.html") in more.attrs
    total = sum(html.count('<article class="card"') for html in files.values())
    assert total == len(data.for_council("Fife")["submissions"])


def test_pages_stay_small_with_one_huge_submission(tmp_path):
    """One submission of 5 MB of text: every page stays within its bound (1 MB)."""
    blob = "Fictional words about the new town centre and its shops and its people. " * 70_000
    p = make_synthetic_processed(tmp_path / "p", n=20, councils=["Fife", "Moray"], narrative_extra={3: blob})
    written = write_council_pages(load_report_data(p), tmp_path / "councils", workers=1)
    assert max(w.stat().st_size for w in written) < 1_000_000


def test_workers_are_sent_the_run_wide_data_once_and_each_council_its_own_rows(data, tmp_path, monkeypatch):
    """What goes to the page workers: the run's own tables whole (the ingest log) and no submission's
    rows in the data every worker gets; each task carries exactly its council's rows."""
    from soa_analysis.report import councils

    run = councils._run_wide(data)
    assert len(run["ingest_log"]) == len(data["ingest_log"]) and len(run.national) == len(data.national)
    assert all(len(df) == 0 for name, df in run.tables.items() if name != "ingest_log")
    sent = []
    real = councils._write_one
    monkeypatch.setattr(councils, "_write_one", lambda council, rows, *rest: sent.append((council, rows))
                        or real(council, rows, *rest))
    write_council_pages(data, tmp_path / "councils", workers=1)
    assert [c for c, _ in sent] == ["Angus", "Fife", "Moray"]
    for council, rows in sent:
        assert "ingest_log" not in rows
        mine = data.for_council(council)
        assert set(rows["submissions"]["council"]) == {council}
        for name, df in rows.items():
            assert df.equals(mine[name]), name
