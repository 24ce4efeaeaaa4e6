"""Unit tests of soa_analysis.report: redaction, escaping, tables, cards, exports.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from soa_analysis.errors import ConfigError, InputError
from soa_analysis.report import sections, tables
from soa_analysis.report.cards import highlight
from soa_analysis.report.data import council_tiles, load_report_data
from soa_analysis.report.exports import export_tables
from soa_analysis.report.safe import EMAIL_MARK, PHONE_MARK, esc, redact
from soa_analysis.report.synthetic import make_synthetic_processed

PAYLOAD = (
    "Contact jane.doe@council.example or 0131 496 0000 or +44 (0)7700 900123. "
    "<script>alert('pwned')</script> <img src=x onerror=alert(1)> "
    '<a href="javascript:alert(2)">click</a> see https://evil.example/x.js'
)


@pytest.mark.parametrize("text, expected", [
    ("Call Jo on 0131 496 0000.", f"Call Jo on {PHONE_MARK}."),
    ("Tel: 01224 496000", f"Tel: {PHONE_MARK}"),
    ("tel (0141) 496-0000 today", f"tel {PHONE_MARK} today"),
    ("mobile 07700 900123", f"mobile {PHONE_MARK}"),
    ("+44 (0)131 496 0000", PHONE_MARK),
    ("+44 131 496 0000", PHONE_MARK),
    ("freephone 0800 123 456", f"freephone {PHONE_MARK}"),
    ("jo.bloggs@fife.gov.uk", EMAIL_MARK),
    ("write to J.O'Neil+soa@example.org.", f"write to {EMAIL_MARK}."),
    ("jo [at] fife [dot] gov [dot] uk", EMAIL_MARK),
    # figures, years, money and dates are not phone numbers
    ("between 2012 and 2013", "between 2012 and 2013"),
    ("spent £1,234,567 on 15000 places", "spent £1,234,567 on 15000 places"),
    ("down 0.5% since 01/02/2013", "down 0.5% since 01/02/2013"),
    ("ref 2010 12345 678", "ref 2010 12345 678"),
    ("we met at the hall", "we met at the hall"),
])
def test_redact(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("value, expected", [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
    ("a & b 'c'", "a &amp; b &#x27;c&#x27;"),
    (None, ""),
    (float("nan"), ""),
    (3, "3"),
    ("mail x@y.org", f"mail {EMAIL_MARK}"),
])
def test_esc(value, expected):
    assert esc(value) == expected


def test_highlight_marks_phrases_and_escapes_everything_else():
    out = highlight("<b>Jobs</b> and apprenticeships; jobseekers", {"jobs": "employment", "apprenticeships": "employment"})
    assert out.count("<mark") == 2  # "jobseekers" is not the phrase "jobs"
    assert "&lt;b&gt;" in out and "<b>" not in out
    assert 'title="Employment"' in out


def test_highlight_longer_phrase_wins():
    out = highlight("older people services", {"older people": "older_people", "people": "safer_communities"})
    assert out.count("<mark") == 1 and "tag-older-people" in out


def test_highlight_redacts_inside_marked_text():
    out = highlight("ring 0131 496 0000 about jobs", {"jobs": "employment"})
    assert "496" not in out and PHONE_MARK in out


class _Collector(HTMLParser):
    """Collects tags, attributes and text of an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]

    def handle_data(self, data):
        self.text.append(data)


def test_tiles_cover_all_32_councils_once():
    tiles = council_tiles()
    assert len(tiles) == 32
    assert len({t.council for t in tiles}) == 32
    assert len({(t.row, t.col) for t in tiles}) == 32
    assert len({t.abbrev for t in tiles}) == 32
    assert all(re.fullmatch(r"S12\d{6}", t.code) for t in tiles)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """All sections of a national report on a fictional folder with planted payloads."""
    p = make_synthetic_processed(tmp_path_factory.mktemp("r") / "processed", n=12,
                                 narrative_extra={0: PAYLOAD, 5: PAYLOAD})
    data = load_report_data(p)
    return sections.title(data).data + "".join(f(data).data for f in sections.ALL_SECTIONS)


def test_sections_escape_planted_payloads(rendered):
    html = rendered
    c = _Collector()
    c.feed(html)
    assert "img" in c.tags
    # the only script is the card filter, and it has no src
    assert c.tags.count("script") == 1
    assert not [a for a in c.attrs if a[1] == "src" and not a[2].startswith("data:image/png;base64,")]
    assert not [a for a in c.attrs if a[1].startswith("on")]
    assert not [a for a in c.attrs if "javascript:" in a[2].lower()]
    text = "".join(c.text)
    assert "<script>alert('pwned')</script>" in text  # shown as text
    assert "jane.doe" not in html and "496 0000" not in html and "900123" not in html
    assert EMAIL_MARK in text and PHONE_MARK in text
    assert "contact-secret" not in html  # restricted contacts never read


def test_headings_in_order(rendered):
    html = rendered
    levels = [int(m) for m in re.findall(r"<h([1-6])", html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:]))
    for h in ("Headline figures", "Coverage", "Case studies", "Provenance", "Methodology and quality"):
        assert f"<h2>{h}" in html
    assert html.count("<table") == html.count("<caption>")


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


def test_council_report_filters_and_matches_case_insensitively(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=6, councils=["Fife", "Moray"])
    data = load_report_data(p, council="fife")
    assert data.council == "Fife"
    assert set(data["submissions"]["council"]) == {"Fife"}
    assert set(data["tags"]["submission_id"]) <= set(data["submissions"]["submission_id"])
    assert len(data.national) == 6  # the tile map still shows Scotland
    assert load_report_data(p, council="S12000047").council == "Fife"


def test_unknown_council_and_missing_folder_fail_clearly(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=2)
    with pytest.raises(ConfigError, match="not a known council"):
        load_report_data(p, council="Atlantis")
    with pytest.raises(InputError):
        load_report_data(tmp_path / "nowhere")


def test_missing_optional_tables_are_said_plainly(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=4, drop=("followups", "partners", "exemplars",
                                                           "tagging_meta", "evidence_meta"))
    data = load_report_data(p)
    assert {"followups", "partners", "exemplars"} <= data.missing
    assert "Not available in this run" in sections.followups(data).data
    for section in (sections.partners, sections.exemplars):
        html = section(data).data
        assert "Not available in this run" in html and "<img" not in html
    assert "No accuracy figures" in sections.methodology(data).data


def test_exports_write_csv_and_workbook_safely(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=6, narrative_extra={0: PAYLOAD})
    fu = pd.read_parquet(p / "followups.parquet")
    fu.loc[0, "what"] = "=HYPERLINK(\"http://evil.example\") ring 0131 496 0000"
    fu.to_parquet(p / "followups.parquet")
    written = export_tables(load_report_data(p), tmp_path / "out")
    names = {w.name for w in written}
    assert {"coverage.csv", "priorities.csv", "grade_by_priority.csv", "added_value.csv", "partner_pairs.csv",
            "followup_timeline.csv", "council_summary.csv", "report_tables.xlsx"} <= names
    fol = pd.read_csv(tmp_path / "out" / "followups.csv", keep_default_na=False)
    assert fol["what"].str.startswith("'=").any()
    assert not fol["what"].str.contains("496 0000").any()
    sheets = pd.read_excel(tmp_path / "out" / "report_tables.xlsx", sheet_name=None)
    assert {"about", "coverage", "priorities", "followups"} <= set(sheets)
    assert len(sheets["council_summary"]) == 32


def test_report_survives_a_folder_with_only_submissions(tmp_path):
    from soa_analysis.schema import TABLES

    drop = tuple(n for n in TABLES if n != "submissions") + ("tagging_meta", "evidence_meta")
    p = make_synthetic_processed(tmp_path / "p", n=4, drop=drop)
    data = load_report_data(p)
    from soa_analysis.report.data import REPORT_TABLES

    assert data.missing == set(REPORT_TABLES) - {"submissions"}
    assert "contacts" not in REPORT_TABLES
    html = sections.title(data).data + "".join(f(data).data for f in sections.ALL_SECTIONS)
    assert "Not available in this run" in html
    assert html.count('<article class="card"') == 4
    assert "report_tables.xlsx" in {w.name for w in export_tables(data, tmp_path / "t")}


def test_empty_submissions_table_gives_a_plain_report(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=2)
    pd.read_parquet(p / "submissions.parquet").iloc[:0].to_parquet(p / "submissions.parquet")
    data = load_report_data(p)
    html = "".join(f(data).data for f in sections.ALL_SECTIONS)
    assert "There are no submissions for this report." in html
    assert "No submissions to show." in html


@pytest.mark.parametrize("text, rows, marked", [
    # the tagger's spans mark stemmed matches ("offending" for the phrase "offender")
    ("Need. Youth offending was high. More text.", [
        {"section": "need", "sentence": "Youth offending was high.", "phrases": ["offender"], "spans": [[6, 15]],
         "priority": "safer_communities"}], ["offending"]),
    # without spans: the phrases, only inside the tagged sentence
    ("Jobs here. Jobs there.", [
        {"section": "need", "sentence": "Jobs there.", "phrases": ["jobs"], "priority": "employment"}], ["Jobs"]),
    # another section's evidence does not mark this one
    ("Jobs here.", [{"section": "actions", "sentence": "Jobs here.", "phrases": ["jobs"], "priority": "employment"}], []),
    # a sentence not found verbatim marks nothing
    ("Jobs here.", [{"section": "need", "sentence": "Jobs elsewhere.", "phrases": ["jobs"], "priority": "employment"}], []),
])
def test_section_spans_mark_the_words_behind_the_tag(text, rows, marked):
    from soa_analysis.report.cards import mark_spans, section_spans

    out = mark_spans(text, section_spans(text, "need", rows))
    assert re.findall(r"<mark[^>]*>([^<]*)</mark>", out) == marked


def test_a_marked_word_inside_an_address_is_not_marked_and_the_address_goes():
    from soa_analysis.report.cards import mark_spans

    text = "write to alcohol.team@nhs.example now"
    out = mark_spans(text, [(9, 16, "health_inequalities")])
    assert "<mark" not in out and "alcohol" not in out and EMAIL_MARK in out


def test_cards_mark_stemmed_matches_from_token_spans():
    """The tagging stage records token positions; "reoffending" matched the phrase "reoffender"."""
    from soa_analysis.report.cards import mark_spans, section_spans

    text = "Intro. Less reoffending among young people."
    rows = [{"priority": "safer_communities", "section": "evidence", "sentence": "Less reoffending among young people.",
             "phrases": ["reoffender"], "token_spans": [[1, 2]]}]
    html = mark_spans(text, section_spans(text, "evidence", rows))
    assert "<mark class=\"tag-safer-communities\"" in html and ">reoffending</mark>" in html


def test_report_kernel_stays_light():
    """Each council report is a kernel of its own: the report package must not drag in
    scikit-learn, nltk or nbconvert (seconds of import per council)."""
    import subprocess
    import sys

    code = ("import sys, soa_analysis.report as r, soa_analysis.changes.sections; "
            "print(sorted(m for m in ('sklearn', 'nltk', 'nbconvert') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name, expected", [("Perth and Kinross", "perth-and-kinross"),
                                            ("Na h-Eileanan Siar", "na-h-eileanan-siar"),
                                            ("City of Edinburgh", "city-of-edinburgh"), ("", "none")])
def test_slug_names_council_pages(name, expected):
    from soa_analysis.report.safe import slug

    assert slug(name) == expected
