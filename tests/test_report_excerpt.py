"""Bounded quotes: cuts at spaces, never through a contact detail, spans carried along.

All test data is fictional.
"""

from __future__ import annotations

import pytest

from soa_analysis.report.excerpt import ELLIPSIS, safe_bounds, shorten, window
from soa_analysis.report.safe import PHONE_MARK, esc


@pytest.mark.parametrize("text, limit, expected", [
    ("Short.", 30, "Short."),
    ("", 5, ""),
    (None, 5, ""),
    ("The partnership opened two new centres in the town", 30, "The partnership opened two new" + ELLIPSIS),
    ("The partnership opened two new centres in the town", 28, "The partnership opened two" + ELLIPSIS),
    ("Supercalifragilisticexpialidocious" * 3, 20, ("Supercalifragilisticexpialidocious" * 3)[:20] + ELLIPSIS),
])
def test_shorten(text, limit, expected):
    assert shorten(text, limit) == expected


@pytest.mark.parametrize("text", [
    "Please write to fictional.officer@council.example about it",
    "Please ring the fictional team on 0131 496 0000 about it",
])
def test_a_cut_never_leaves_part_of_a_contact_detail(text):
    for limit in range(5, len(text)):
        shown = esc(shorten(text, limit))
        assert "fictional.officer" not in shown and "council.example" not in shown
        assert "496" not in shown and "0131" not in shown


def test_safe_bounds_widen_to_whole_contact_details():
    t = "write to jo@example.org or 0131 496 0000 today"
    assert safe_bounds(t, 0, 12) == (0, 23)  # the address is taken whole
    start, end = safe_bounds(t, 30, 46)
    assert t[start:end].startswith("0131 496 0000")


def test_window_is_around_the_first_span_and_shifts_spans():
    text = "filler words " * 40 + "reoffending fell sharply" + " more words" * 40
    at = text.index("reoffending")
    piece, spans = window(text, [(at, at + 11, "safer_communities")], 80)
    assert piece.startswith(ELLIPSIS) and piece.endswith(ELLIPSIS)
    assert len(piece) <= 80 + 2 + 24
    (a, b, p), = spans
    assert piece[a:b] == "reoffending" and p == "safer_communities"


def test_window_of_a_short_sentence_is_the_sentence():
    assert window("Jobs here.", [(0, 4, "employment")], 300) == ("Jobs here.", [(0, 4, "employment")])


def test_window_around_a_mark_next_to_a_phone_number_keeps_the_number_whole():
    text = "x " * 200 + "jobs: ring 0131 496 0000 now " + "y " * 200
    at = text.index("jobs")
    for limit in range(12, 40):
        piece, _ = window(text, [(at, at + 4, "employment")], limit)
        shown = esc(piece)
        assert "496" not in shown and "0131" not in shown, limit
        assert "jobs" in shown
    assert PHONE_MARK in esc(window(text, [(at, at + 4, "employment")], 20)[0])
