"""The one tokeniser and phrase index (soa_analysis/tagging/tokens.py, phrases.py): what a match is.

Every sentence here is made up for the tests (fictional).
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soa_analysis.errors import TaxonomyError
from soa_analysis.evidence.themes import ThemeTagger, align_guidance
from soa_analysis.tagging import LexiconTagger
from soa_analysis.tagging.phrases import PhraseIndex, first_longest, phrase_spans, resolve
from soa_analysis.tagging.text import analyse
from soa_analysis.tagging.tokens import split, token_spans, tokens, word_spans, words


@pytest.mark.parametrize("sentence, expected", [
    ("Anti-social behaviour fell", ["anti", "social", "behaviour", "fell"]),
    ("Joined\u2013up working/planning", ["joined", "up", "working", "planning"]),
    ("Older people\u2019s and people\u2018s needs", ["older", "people's", "and", "people's", "needs"]),
    ("\u00a31.2m and 12% of 1,200", ["1.2", "m", "and", "12%", "of", "1,200"]),
])
def test_words(sentence, expected):
    assert words(sentence) == expected
    assert token_spans(sentence, words(sentence)) == word_spans(sentence)


@pytest.mark.parametrize("text, expected", [
    ("Anti-social behaviour fell", ["anti-social", "behaviour", "fell"]),
    ("Older people\u2019s and people\u2018s needs", ["older", "people's", "and", "people's", "needs"]),
    ("\u00a31.2m and 12% of 1,200 (\u00a34.5M)", ["\u00a31.2m", "and", "12%", "of", "1,200", "\u00a34.5m"]),
    # a unit glued to a word is part of the word, not of the sum
    ("\u00a31bn and \u00a35million", ["\u00a31", "bn", "and", "\u00a35", "million"]),
    ("the \u00a31.2m's share, the '\u00a317m'", ["the", "\u00a31.2", "m's", "share", "the", "\u00a317m"]),
])
def test_full_tokens(text, expected):
    assert tokens(text) == expected


_PIECES = st.sampled_from(list("aZk mbs-'\u2019\u2018.,%\u00a3 09\u212a\u0130") + ["\u00a31.2m", "anti-social", "n't", "''"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_words_are_the_full_tokens_split(text):
    assert words(text) == [w for t in tokens(text) for w in split(t)]


def _index():
    return PhraseIndex([(0, "joint working", 1.0, False), (0, "working together well", 0.8, False),
                        (0, "working", 0.2, False), (0, "joint working group", 0.0, True),
                        (1, "older people", 1.0, False)])


def _found(sentence):
    (sent,) = analyse(sentence)
    return sent, _index().find(sent.stems)


def test_find_lists_every_occurrence_exclusions_included():
    _, found = _found("Joint working together well")
    assert sorted((ci, a, b, phrase, excl) for ci, a, b, _, phrase, excl in found) == [
        (0, 0, 2, "joint working", False), (0, 1, 2, "working", False), (0, 1, 4, "working together well", False)]


@pytest.mark.parametrize("sentence, tagging, reading", [
    # overlapping occurrences: the tagging rule keeps the longest, the reading rule the first
    ("Joint working together well", [(1, 4, 0.8, "working together well")], [(0, 2, 1.0, "joint working")]),
    # an exclusion covers its words for every phrase of the category, under both rules
    ("The joint working group met", [], []),
    # negation: dropped by the tagging rule, not read by the reading rule
    ("There was no joint working", [], [(3, 5, 1.0, "joint working")]),
    # a hedge halves the weight under the tagging rule only
    ("It might help joint working", [(3, 5, 0.5, "joint working")], [(3, 5, 1.0, "joint working")]),
])
def test_the_two_rules(sentence, tagging, reading):
    sent, found = _found(sentence)
    assert resolve(list(found), *sent.cues()).get(0, []) == tagging
    assert first_longest(list(found)).get(0, []) == reading
    assert _index().match(sent).get(0, []) == tagging


def test_a_phrase_without_words_is_refused():
    with pytest.raises(TaxonomyError, match="has no words"):
        PhraseIndex([(0, "--", 1.0, False)], names=["cat"], source="mine.yaml")


@pytest.mark.parametrize("variant", ["joint working", "joint-working", "Joint\u2013Working", "joint/working"])
def test_themes_and_priorities_read_text_alike(variant, tmp_path):
    # the added-value themes and the priorities lexicon tokenise alike (they once did not:
    # the themes' own tokeniser kept hyphens)
    tax = tmp_path / "mine.yaml"
    tax.write_text("name: mine\nversion: '1'\ncategories:\n"
                   "  - id: together\n    label: Together\n"
                   "    phrases: {joint working: 1.0}\n", encoding="utf-8")
    themes = tmp_path / "themes.yaml"
    themes.write_text("name: mine\nversion: '1'\ncategories:\n"
                      "  - id: together\n    phrases: {joint working: 1.0}\n", encoding="utf-8")
    sentence = f"Partners began {variant} in the fictional town of Glenbrae."
    lexicon = LexiconTagger(taxonomy=str(tax)).fit()
    assert lexicon.match_sentence(analyse(sentence)[0]) == {0: [(2, 4, 1.0, "joint working")]}
    assert ThemeTagger(taxonomy=str(themes)).fit().score(sentence)["together"].phrases == {"joint working": 1.0}


def test_money_before_a_phrase_does_not_hide_it():
    score = ThemeTagger().fit().score("Partners agreed a \u00a31.2m pooled budget for the fictional town.")
    assert "pooled budget" in score["resources"].phrases


def test_guidance_reads_by_the_reading_rule():
    # a negated phrase still names the expectation (the reading rule does not read negation)
    assert align_guidance("We did not use SIMD data zones.")["evidence_based"] == ["We did not use SIMD data zones."]


def test_phrase_spans_finds_every_occurrence_by_stems():
    s = "Offenders and an offender"
    assert phrase_spans(s, ["offender"]) == [(0, 9), (17, 25)]
