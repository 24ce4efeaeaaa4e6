"""The report's sections and contents: escaping, headings, missing inputs, the section list.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import nbformat
import pytest

from soa_analysis.accuracy import plain_sentences
from soa_analysis.report import contents, sections
from soa_analysis.report.contents import SECTIONS, Section, page_parts, show
from soa_analysis.report.data import REPORT_TABLES, load_report_data
from soa_analysis.report.exports import export_tables
from soa_analysis.report.safe import EMAIL_MARK, PHONE_MARK
from soa_analysis.report.synthetic import make_synthetic_processed

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = (
    "Contact jane.doe@council.example or 0131 496 0000 or +44 (0)7700 900123. "
    "<script>alert('pwned')</script> <img src=x onerror=alert(1)> "
    '<a href="javascript:alert(2)">click</a> see https://evil.example/x.js'
)


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    p = make_synthetic_processed(tmp_path_factory.mktemp("r") / "processed", n=12,
                                 narrative_extra={0: PAYLOAD, 5: PAYLOAD})
    return load_report_data(p)


@pytest.fixture(scope="module")
def rendered(national):
    """All sections of a national report on a fictional folder with planted payloads."""
    return "".join(page_parts(national))


def test_sections_escape_planted_payloads(rendered, html_page, safe_page):
    safe_page("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">" + rendered)
    page = html_page(rendered)
    assert "img" in page.tags and page.tags.count("script") == 2  # the card filter and the opener of folded sections
    text = "".join(page.text)
    assert "<script>alert('pwned')</script>" in text  # shown as text
    assert "jane.doe" not in rendered and "496 0000" not in rendered and "900123" not in rendered
    assert EMAIL_MARK in text and PHONE_MARK in text
    assert "contact-secret" not in rendered  # restricted contacts never read


def test_headings_in_order(rendered):
    levels = [int(m) for m in re.findall(r"<h([1-6])", rendered)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:]))
    for h in ("Headline figures", "Coverage", "Case studies", "Provenance", "Methodology and quality"):
        assert f"<h2>{h}" in rendered
    assert rendered.count("<table") == rendered.count("<caption>")


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.anchor)
def test_each_section_is_the_section_its_entry_names(national, section):
    page = national if contents.NATIONAL in section.pages else national.for_council(national.councils()[0])
    html = show(section.anchor, page).data
    assert html.startswith(f'<section id="{section.anchor}"')
    if section.anchor != "contents":  # every section but the contents list itself is listed in it
        assert f'href="#{section.anchor}"' in contents.toc(page)


def test_show_names_the_sections_it_knows():
    with pytest.raises(KeyError, match="no report section 'no-such-section'.*headline"):
        show("no-such-section", None)


def test_a_section_can_be_named_by_its_dotted_path(national):
    s = Section("gaps", "Gaps", "soa_analysis.report.sections:gaps")
    assert s.function() is sections.gaps


def test_the_notebook_shows_every_national_section_in_order():
    nb = nbformat.read(ROOT / "notebooks" / "04_report.ipynb", as_version=4)
    shown = [m for c in nb.cells if c.cell_type == "code" for m in re.findall(r'report\.show\("([^"]+)", data\)', c.source)]
    assert shown == [s.anchor for s in SECTIONS if contents.NATIONAL in s.pages]


def test_missing_optional_tables_are_said_plainly(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=4, drop=("followups", "partners", "exemplars",
                                                           "tagging_meta", "evidence_meta"))
    data = load_report_data(p)
    assert "Not available in this run" in sections.followups(data).data
    for section in (sections.partners, sections.exemplars):
        html = section(data).data
        assert "Not available in this run" in html and "<img" not in html
    # the accuracy record is packaged, not read from the run: the methodology still says how far to trust it
    assert plain_sentences()[0] in unescape(show("methodology", data).data)


def test_report_survives_a_folder_with_only_submissions(tmp_path):
    from soa_analysis.schema import TABLES

    drop = tuple(n for n in TABLES if n != "submissions") + ("tagging_meta", "evidence_meta")
    p = make_synthetic_processed(tmp_path / "p", n=4, drop=drop)
    data = load_report_data(p)
    assert data.missing == set(REPORT_TABLES) - {"submissions"}
    html = "".join(page_parts(data))
    assert "Not available in this run" in html
    assert html.count('<article class="card"') == 4
    assert "report_tables.xlsx" in {w.name for w in export_tables(data, tmp_path / "t")}


def test_empty_submissions_table_gives_a_plain_report(tmp_path):
    import pandas as pd

    p = make_synthetic_processed(tmp_path / "p", n=2)
    pd.read_parquet(p / "submissions.parquet").iloc[:0].to_parquet(p / "submissions.parquet")
    html = "".join(page_parts(load_report_data(p)))
    assert "There are no submissions for this report." in html
    assert "No submissions to show." in html


def test_long_texts_in_tables_and_quotes_are_cut(tmp_path):
    import pandas as pd

    p = make_synthetic_processed(tmp_path / "p", n=6)
    long = "Fictional next step words " * 2000
    fu = pd.read_parquet(p / "followups.parquet")
    fu.loc[0, "what"] = long
    fu.to_parquet(p / "followups.parquet")
    ex = pd.read_parquet(p / "exemplars.parquet")
    ex.loc[0, "sentence"] = long
    ex.to_parquet(p / "exemplars.parquet")
    data = load_report_data(p)
    assert len(sections.followups(data).data) < 40_000
    assert len(sections.exemplars(data).data) < 20_000


def test_a_long_list_of_quarantined_files_stays_off_the_methodology_and_is_cut_under_provenance(tmp_path):
    import pandas as pd

    from soa_analysis.report.file_listing import LISTED

    p = make_synthetic_processed(tmp_path / "p", n=3)
    log = pd.read_csv(p / "ingest_log.csv", keep_default_na=False)
    bad = pd.DataFrame({"source_file": [f"fictional/unread{i:04d}.pdf" for i in range(300)], "sha256": "f" * 64,
                        "status": "quarantined", "reason": "fictional: no text layer", "submission_id": ""})
    pd.concat([log, bad]).to_csv(p / "ingest_log.csv", index=False)
    data = load_report_data(p)
    method = show("methodology", data).data
    assert "fictional/unread" not in method and "listed under Provenance" in method
    prov = show("provenance", data).data
    # the reason's example, then the first LISTED files, after the synthetic log's own quarantined file
    assert prov.count("fictional/unread") == 1 + LISTED - 1
    assert f"The other {301 - LISTED} are in the tables exported" in prov


def test_methodology_says_how_far_to_trust_the_results_in_plain_words(tmp_path):
    """The packaged accuracy record as sentences (the figures `soa-analysis evaluate` prints), on the
    summary and a council page alike; none of the tool's jargon (issue 15)."""
    data = load_report_data(make_synthetic_processed(tmp_path / "p", n=6, councils=["Fife", "Moray"]))
    sentences = plain_sentences()
    assert len(sentences) >= 4
    for page in (data, data.for_council("Fife")):
        text = unescape(show("methodology", page).data)
        assert "How far to trust the tags and grades" in text
        for sentence in sentences:
            assert sentence in text
        for jargon in ("CV F1", "cv_f1", "Split", "Timings", "Accuracy dev", " › ", "n_gold"):
            assert jargon not in text, jargon
