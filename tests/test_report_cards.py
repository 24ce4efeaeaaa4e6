"""Case-study cards: marked evidence sentences, bounded size, pages of cards.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import re

import pytest

from soa_analysis.report import cards
from soa_analysis.report.cards import card_location, card_pages, cards_html, marked_sentence
from soa_analysis.report.data import load_report_data
from soa_analysis.report.safe import EMAIL_MARK, PHONE_MARK
from soa_analysis.report.synthetic import make_synthetic_processed
from soa_analysis.tagging.spans import evidence_char_spans

MARKED = re.compile(r"<mark[^>]*>([^<]*)</mark>")


def _spans(sentence: str, phrases: list[str], priority: str) -> list[tuple[int, int, str]]:
    return [(a, b, priority) for a, b in evidence_char_spans({"sentence": sentence, "phrases": phrases})]


def test_marked_sentence_marks_the_phrases_and_escapes_everything_else():
    s = "<b>Jobs</b> and apprenticeships; jobseekers"
    out = marked_sentence(s, _spans(s, ["jobs", "apprenticeships"], "employment"))
    assert MARKED.findall(out) == ["Jobs", "apprenticeships"]  # "jobseekers" is not the phrase "jobs"
    assert "&lt;b&gt;" in out and "<b>" not in out
    assert 'title="Employment"' in out


def test_of_overlapping_marks_the_longer_wins():
    s = "older people services"
    out = marked_sentence(s, [(0, 12, "older_people"), (6, 12, "safer_communities")])
    assert MARKED.findall(out) == ["older people"] and "tag-older-people" in out


def test_a_marked_word_inside_an_address_is_not_marked_and_the_address_goes():
    out = marked_sentence("write to alcohol.team@nhs.example now", [(9, 16, "health_inequalities")])
    assert "<mark" not in out and "alcohol" not in out and EMAIL_MARK in out


def test_marked_text_is_redacted_too():
    out = marked_sentence("ring 0131 496 0000 about jobs", [(25, 29, "employment")])
    assert "496" not in out and PHONE_MARK in out and MARKED.findall(out) == ["jobs"]


def test_stemmed_matches_are_marked_from_token_spans():
    """The tagging stage records token positions; "reoffending" matched the phrase "reoffender"."""
    row = {"sentence": "Less reoffending among young people.", "phrases": ["reoffender"], "token_spans": [[1, 2]]}
    out = marked_sentence(row["sentence"], [(a, b, "safer_communities") for a, b in evidence_char_spans(row)])
    assert MARKED.findall(out) == ["reoffending"] and 'class="tag-safer-communities"' in out


def test_a_long_sentence_is_cut_to_a_window_around_its_mark():
    s = "Background words and more words. " * 100 + "Youth reoffending fell. " + "Trailing words here. " * 100
    at = s.index("reoffending")
    out = marked_sentence(s, [(at, at + 11, "safer_communities")], limit=120)
    assert MARKED.findall(out) == ["reoffending"]
    assert out.startswith("…") and out.endswith("…") and len(out) < 400


@pytest.fixture(scope="module")
def huge(tmp_path_factory):
    """A fictional folder where one submission carries a very long text (2 MB) in its narrative."""
    blob = ("Fictional filler sentence about the town centre and its shops. " * 32_000)
    p = make_synthetic_processed(tmp_path_factory.mktemp("huge") / "p", n=40, councils=["Fife", "Moray"],
                                 narrative_extra={0: blob})
    return load_report_data(p)


def test_cards_stay_small_whatever_the_text(huge):
    for data in (huge, huge.for_council("Fife")):
        for page in card_pages(data):
            sizes = [len(h.encode("utf-8")) for h in page.html]
            assert sizes and max(sizes) < 6_000
    first = next(h for p in card_pages(huge) for sid, h in zip(p.ids, p.html) if sid == "syn00000")
    assert "Fictional filler sentence" in first  # the excerpt is there, cut
    assert first.count("Fictional filler sentence") < 10


def test_the_summary_shows_a_selection_within_its_budget(huge, monkeypatch):
    monkeypatch.setattr(cards, "NATIONAL_BUDGET", 30_000)
    data = load_report_data(huge.processed_dir)
    ex = set(data["exemplars"]["submission_id"])
    (page,) = card_pages(data)
    assert 0 < len(page.ids) < len(data["submissions"])
    assert sum(len(h.encode("utf-8")) for h in page.html) <= 30_000
    assert ex and ex <= set(page.ids)  # the exemplars' cards come first
    assert card_location(data, sorted(ex)[0]).startswith("#card-")
    out = cards_html(data)
    assert f"This summary shows {len(page.ids)} of 40 case studies" in out
    assert out.count('<article class="card"') == len(page.ids)


def test_a_council_with_many_cards_gets_further_pages(huge, monkeypatch):
    monkeypatch.setattr(cards, "COUNCIL_BUDGET", 8_000)
    monkeypatch.setattr(cards, "CARDS_PAGE_BUDGET", 12_000)
    data = load_report_data(huge.processed_dir).for_council("Moray")
    pages = card_pages(data)
    assert len(pages) > 2
    assert [p.name for p in pages[:3]] == ["moray.html", "moray-cards-2.html", "moray-cards-3.html"]
    assert sorted(sid for p in pages for sid in p.ids) == sorted(data["submissions"]["submission_id"])
    later = pages[1].ids[0]
    assert card_location(data, later) == f"moray-cards-2.html#card-{later}"
    assert card_location(data, pages[0].ids[0]) == f"#card-{pages[0].ids[0]}"
    assert 'href="moray-cards-2.html"' in cards_html(data)


def test_every_card_names_what_it_rests_on(huge):
    data = huge.for_council("Fife")
    html = "".join(card_pages(data)[0].html)
    assert html.count('<article class="card"') == len(data["submissions"])
    assert "Why these priorities" in html and "(excerpt)" in html
    assert "<mark" in html
