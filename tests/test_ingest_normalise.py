"""Text normalisation: each repair on tiny hand-made cases, then the composed pipeline."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soa_analysis.ingest.normalise import (
    collapse_whitespace,
    fix_bullets,
    fix_ligatures,
    fix_line_ends,
    fix_mojibake,
    fix_spaces,
    normalise_inline,
    normalise_lines,
    normalise_text,
    remove_soft_hyphens,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Council\u00e2\u20ac\u2122s plan", "Council\u2019s plan"),           # UTF-8 read as cp1252
        ("caf\u00c3\u00a9 in Glenbrae", "caf\u00e9 in Glenbrae"),
        ("\u00e2\u20ac\u0153quoted\u00e2\u20ac\u009d", "\u201cquoted\u201d"),
        ("plain ASCII text", "plain ASCII text"),
        ("already \u201cfine\u201d \u2013 caf\u00e9", "already \u201cfine\u201d \u2013 caf\u00e9"),
    ],
)
def test_fix_mojibake(raw, expected):
    assert fix_mojibake(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("\uf0b7 item", "\u2022 item"),
        ("\uf0a7 item", "\u2022 item"),
        ("\uf076 item", "\u2022 item"),
        ("\u25aa item\n\u00b7 other", "\u2022 item\n\u2022 other"),
        ("score 5\u00b72 stays", "score 5\u00b72 stays"),  # a middle dot inside a line is not a bullet
    ],
)
def test_fix_bullets(raw, expected):
    assert fix_bullets(raw) == expected


@pytest.mark.parametrize(
    "fn, raw, expected",
    [
        (fix_ligatures, "\ufb01nance \ufb02ow o\ufb03ce", "finance flow office"),
        (remove_soft_hyphens, "com\u00admunity", "community"),
        (fix_spaces, "NHS\u00a0Glenbrae\u202fBoard\u200b\ttab", "NHS Glenbrae Board tab"),
        (fix_line_ends, "a\r\nb\rc\u2028d\u2029e", "a\nb\nc\nd\n\ne"),
        (collapse_whitespace, "  a   b  \n\n\n\n  c  ", "a b\n\nc"),
        (collapse_whitespace, "line one\nline two", "line one\nline two"),
    ],
)
def test_single_repairs(fn, raw, expected):
    assert fn(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("\uf0b7\tImproved\u00a0o\ufb03ce  access\r\n\r\n\r\nNext", "\u2022 Improved office access\n\nNext"),
        ("\u201cSmart\u201d quotes \u2018kept\u2019", "\u201cSmart\u201d quotes \u2018kept\u2019"),
        ("", ""),
        ("   \n\n  ", ""),
        ("e\u0301", "\u00e9"),  # NFC
    ],
)
def test_normalise_text(raw, expected):
    assert normalise_text(raw) == expected


def test_normalise_inline_folds_line_breaks():
    assert normalise_inline(" Name of\r\ncase study ") == "Name of case study"


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_normalise_is_idempotent_and_clean(s):
    once = normalise_text(s)
    assert normalise_text(once) == once
    assert "\r" not in once and "\u00ad" not in once and "\u00a0" not in once
    assert "\n\n\n" not in once and "  " not in once


@pytest.mark.parametrize("raw", ["\u00ad\u00c2\x80", "A\u0302\x80", "x \u00c2\u00ad\u00c2\u20ac y", "caf\u00c3\u00ad\u00adx",
                                 "\u00ad\u00b7 A", "\u00c2\uf0b7", "\u00c2\u00b7\u00c2 A"])
def test_normalise_repairs_what_an_earlier_repair_uncovers(raw):
    """A mojibake pair joined by removing a soft hyphen, made by NFC composing its first character or by a
    Word bullet glyph becoming its second, and a bullet brought to a line's start by removing a soft hyphen
    or by repairing a pair, are repaired in the same call (found by hypothesis: normalising twice gave another text than once)."""
    once = normalise_text(raw)
    assert normalise_text(once) == once
    assert "\u00ad" not in once


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Partners:\r\n\t\uf0b7  NHS\u00a0Glenbrae", [(0, "Partners:"), (4, "\u2022 NHS Glenbrae")]),
        ("a\n\n  b  c ", [(0, "a"), (0, ""), (2, "b c")]),
        ("  \n", [(0, ""), (0, "")]),
    ],
)
def test_normalise_lines_keeps_indentation(raw, expected):
    assert normalise_lines(raw) == expected


def _every_repair(s: str) -> str:
    from soa_analysis.ingest.normalise import _PIPELINE

    for fn in _PIPELINE:
        s = fn(s)
    return s


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=60))
def test_ascii_text_skips_the_repairs_of_other_characters_with_the_same_result(s):
    # normalise_text's ASCII path (line ends, odd spaces, white space) gives what every repair in turn gives
    assert normalise_text(s) == _every_repair(s)


@pytest.mark.parametrize("s", ["".join(chr(c) for c in range(128)), "a\tb\x0bc\x0cd\x00e\x7f", " x \r\n\r\n\r\n y\r",
                               "\x1f\t\n\t \x0b"])
def test_ascii_text_every_control_character(s):
    assert normalise_text(s) == _every_repair(s)


def _every_repair_lines(s: str) -> list[tuple[int, str]]:
    from soa_analysis.ingest.normalise import _PIPELINE, fix_line_ends

    s = fix_line_ends(s)
    s = "\n".join(line.expandtabs(4) for line in s.split("\n"))
    for fn in _PIPELINE[1:-1]:
        s = fn(s)
    out = []
    for raw in s.split("\n"):
        body = raw.lstrip(" ")
        out.append((len(raw) - len(body) if body else 0, " ".join(body.split())))
    return out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=60))
def test_ascii_lines_skip_the_repairs_of_other_characters_with_the_same_result(s):
    assert normalise_lines(s) == _every_repair_lines(s)
