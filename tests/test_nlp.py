import pyarrow as pa
import pytest

from soa_analysis.nlp import content_stems, split_sentences, stem, tokenize


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", []),
        ("One. Two.", ["One.", "Two."]),
        ("Partners e.g. NHS Fife agreed. Then it began.", ["Partners e.g. NHS Fife agreed.", "Then it began."]),
        ("Led by Dr. Smith. It worked.", ["Led by Dr. Smith.", "It worked."]),
        ("Costs were £1.2m in 2010. They fell.", ["Costs were £1.2m in 2010.", "They fell."]),
        ("Heading\nBody text here", ["Heading", "Body text here"]),
        ("• first item\n• second item", ["first item", "second item"]),
        ("1. one thing\n2) another", ["one thing", "another"]),
        ("Was it? Yes! It was.", ["Was it?", "Yes!", "It was."]),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_tokenize_keeps_figures_and_money():
    assert tokenize("Falls fell 12% (£1,200) for 65+ people") == ["falls", "fell", "12%", "£1,200", "for", "65", "people"]


@pytest.mark.parametrize("word, expected", [("communities", "commun"), ("employability", "employ"),
                                            ("people's", "peopl"), ("running", "run")])
def test_stem(word, expected):
    assert stem(word) == expected


def test_content_stems_drop_stop_words():
    assert content_stems("The falls of the older people") == ["fall", "older", "peopl"]


# The splitter is optimised (set look-ups, a captured boundary mark); this plain regex
# formulation of the same rules is the oracle it is checked against.
import re as _re

from hypothesis import given, settings
from hypothesis import strategies as st

from soa_analysis import nlp as _nlp

_ORACLE_BOUNDARY = _re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9\u2022\-])")
_ORACLE_ABBREV = _re.compile(r"(?:^|[\s(])(" + "|".join(_re.escape(a) for a in _nlp._ABBREVIATIONS) + r")\.$",
                             _re.IGNORECASE)
_ORACLE_INITIAL = _re.compile(r"(?:^|\s)[A-Z]\.$")


def _oracle_split(text):
    out = []
    for line in _nlp._LINEBREAK.split(text or ""):
        line = _nlp._BULLET.sub("", line).strip()
        if not line:
            continue
        buf = ""
        for piece in _ORACLE_BOUNDARY.split(line):
            buf = f"{buf} {piece}" if buf else piece
            if _ORACLE_ABBREV.search(buf) or _ORACLE_INITIAL.search(buf):
                continue
            out.append(buf.strip())
            buf = ""
        if buf.strip():
            out.append(buf.strip())
    return [s for s in out if s]


_ALPHABET = st.sampled_from(list("abcXYZ .,;:!?()-\n\u2022\u2019'0123456789") +
                            ["e.g. ", "Dr. ", "No. ", "J. ", "approx. ", " etc. ", "- ", "(a) ", "1. ", "St. "])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_split_sentences_follows_the_plain_rules(text):
    assert split_sentences(text) == _oracle_split(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(""), st.lists(_ALPHABET, max_size=40).map("".join)), max_size=8))
def test_split_sentences_many_equals_split_sentences_of_each(texts):
    """The pieces of all texts checked for abbreviations at once (by Arrow, on their last characters) give
    the sentences split_sentences gives each text."""
    assert _nlp.split_sentences_many(texts) == [split_sentences(t) for t in texts]


def test_split_sentences_many_rechecks_a_text_with_an_abbreviation_or_initial():
    texts = ["Partners e.g. NHS agreed. Falls fell.", "Mr. J. Brown (fictional) came. No. 5 went.",
             "Falls fell.\n\u2022 Older people. Dr. Who agreed (fictional).", "APPROX. 12 people. Ltd. Co. Done."]
    assert _nlp.split_sentences_many(texts) == [split_sentences(t) for t in texts]


def test_arrow_white_space_is_pythons():
    """The white space the Arrow splitter strips and splits at is Python's (str.isspace, a str pattern's \\s)."""
    every = (chr(c) for c in range(0x110000))
    assert set(_nlp._WHITESPACE) == {c for c in every if c.isspace()}
    assert all(_re.fullmatch(r"\s", c) for c in _nlp._WHITESPACE)


# characters where Python's and RE2's rules could part: Unicode white space and digits, closing and opening
# quotes, the private-use mark the Arrow splitter puts between pieces
_WIDE_ALPHABET = st.sampled_from(list("abcXYZ .,;:!?()[]-\n\u2022\u2019\u201c\u201d'\"0123456789\t\r\xa0\u2003\x1c\x1e"
                                      "\x85\u2028\uff11\u0661\u017f\u212a\ue000") +
                                 ["e.g. ", "Dr. ", "No. ", "J. ", "approx. ", " etc. ", "- ", "(a) ", "1. ", "St. ",
                                  "\u0661. ", "\uff12) ", " \n \n", "\u2022 ", ". \u201cA", '." B'])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(_WIDE_ALPHABET, max_size=40).map("".join), max_size=8))
def test_split_sentences_flat_equals_split_sentences_of_each(texts):
    """Arrow's split of all texts at once gives the sentences split_sentences gives each text."""
    want = [split_sentences(t) for t in texts]
    # as a list, as Arrow text, and as a slice of Arrow text with 32-bit offsets (its bytes searched from its offset)
    for given_as in (texts, pa.array(texts, type=pa.large_string()),
                     pa.array(["\ue000\n"] + texts + ["\n"], type=pa.string()).slice(1, len(texts))):
        sentences, counts = _nlp.split_sentences_flat(given_as)
        assert sentences == [s for w in want for s in w]
        assert counts.tolist() == [len(w) for w in want]


def test_split_sentences_flat_splits_text_arrow_cannot_take_one_by_one():
    texts = ["Falls fell. Crime \ud800fell.", "Dr. Who came.\ue000 Then went."]
    sentences, counts = _nlp.split_sentences_flat(texts)
    assert sentences == [s for t in texts for s in split_sentences(t)]
    assert counts.tolist() == [len(split_sentences(t)) for t in texts]
