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
