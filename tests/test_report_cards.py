"""Case-study cards: marked evidence sentences, bounded size, pages of cards.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import re

import pandas as pd
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
    assert "Fictional filler sentence" in first  # the excerpt of what was done is there, cut
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


# --- what a board asks of a case study: what was done, by whom, what comes next ----------------

@pytest.fixture
def small(tmp_path):
    return load_report_data(make_synthetic_processed(tmp_path / "p", n=4, councils=["Fife", "Moray"]))


def _card(data, sid: str) -> str:
    return next(h for p in card_pages(data) for i, h in zip(p.ids, p.html) if i == sid)


def _field(card: str, name: str) -> str | None:
    """The HTML of a card's field ``name`` (its <dd>), or None when the card has no such field."""
    m = re.search(rf"<dt>{re.escape(name)}</dt><dd[^>]*>(.*?)</dd>(?=<dt>|</dl>)", card, re.S)
    return m.group(1) if m else None


def test_a_card_has_what_was_done_by_whom_and_what_comes_next_as_fields(small):
    sid = small["submissions"]["submission_id"].iloc[0]
    small.tables["partners"] = pd.DataFrame({
        "submission_id": [sid] * 4,
        "name": ["Fictional Glen Trust", "the glen trust", "<b>Fictional Youth Forum</b>", "Fictional Fire Service"],
        "partner_type": ["third_sector", "third_sector", "third_sector", "fire"],
        "canonical": ["Fictional Glen Trust", "Fictional Glen Trust", None, ""]})
    small.tables["followups"] = pd.DataFrame({
        "submission_id": [sid, sid], "who": ["Fictional Glen Trust", ""],
        "what": ["Open a second fictional youth cafe; ring 0131 496 0000 to join.",
                 "Report the first fictional year's figures <script>x()</script>."],
        "by_when": ["March 2013", "December 2012"], "due": ["2013-03-31", "2012-12-31"]})
    card = _card(small, sid)
    order = re.findall(r"<dt>([^<]+)</dt>", card)
    assert order[0] == "What was done (excerpt)" and order[1] == "By whom" and order[-1] == "What comes next"
    who = _field(card, "By whom")
    # canonical names once each, names as written otherwise, markup shown as text
    assert who == "Fictional Glen Trust, &lt;b&gt;Fictional Youth Forum&lt;/b&gt;, Fictional Fire Service"
    nxt = _field(card, "What comes next")
    steps = re.findall(r"<li>(.*?)</li>", nxt)
    assert len(steps) == 2 and steps[0].startswith("Report the first fictional year")  # earliest due first
    assert "&lt;script&gt;" in steps[0] and "<script>" not in nxt and "(by December 2012)" in steps[0]
    assert "[phone removed]" in steps[1] and "496" not in card  # the one contact-detail definition applies
    assert "(by March 2013; Fictional Glen Trust)" in steps[1]


def test_without_partners_or_next_steps_tables_a_card_quotes_the_sections(small):
    small.tables["partners"] = small["partners"].iloc[0:0]
    small.tables["followups"] = small["followups"].iloc[0:0]
    subs = small["submissions"]
    sid = subs["submission_id"].iloc[1]
    card = _card(small, sid)
    assert _field(card, "By whom") == "Fictional Health Board; Fictional Voluntary Action"  # the partners section
    assert _field(card, "What comes next") == subs["next_steps"].iloc[1]
    # a submission that names no partner and no next step has neither field
    small.tables["submissions"] = subs.assign(partners_text="", next_steps="")
    small.derived.clear()
    bare = _card(small, sid)
    assert _field(bare, "By whom") is None and _field(bare, "What comes next") is None
    assert _field(bare, "What was done (excerpt)") is not None and "What the grade rests on" in bare


def test_a_long_actions_section_is_quoted_cut(small):
    subs = small["submissions"]
    small.tables["submissions"] = subs.assign(actions="Fictional youth work in the glen, week by week. " * 5000)
    card = _card(small, subs["submission_id"].iloc[0])
    done = _field(card, "What was done (excerpt)")
    assert done.startswith("Fictional youth work") and done.endswith("…") and len(done) <= cards.EXCERPT_CHARS + 2
    assert len(card.encode("utf-8")) < 6_000


def test_the_loader_keeps_only_the_rows_cards_quote_and_the_cards_are_the_same(huge):
    """The loader keeps tag_evidence and evidence_sentences to what a card quotes; cards built from
    the whole tables (as a caller building ReportData by hand would) are the same, byte for byte."""
    import dataclasses

    from soa_analysis.io import read_table

    whole = {name: read_table(huge.processed_dir, name) for name in ("tag_evidence", "evidence_sentences")}
    for name in whole:
        assert huge[name].size < whole[name].size
    grades = dict(zip(huge["evidence"]["submission_id"], huge["evidence"]["grade"]))
    again = cards.quoted_grade_rows(huge["evidence_sentences"], grades)
    pd.testing.assert_frame_equal(again, huge["evidence_sentences"])
    pd.testing.assert_frame_equal(cards.quoted_tag_rows(huge["tag_evidence"]), huge["tag_evidence"])
    by_hand = dataclasses.replace(huge, tables={**huge.tables, **whole}, derived={})
    for council in ("", "Fife", "Moray"):
        a, b = (d.for_council(council) if council else d for d in (huge, by_hand))
        assert [p.html for p in card_pages(a)] == [p.html for p in card_pages(b)]
