"""Bounded text: what a page quotes of a submission, however long the submission is.

A page never shows a whole submission: cards quote the evidence sentences (each cut to a
window around its marked words) and an excerpt of the narrative, tables cut long cells.
Cutting must never split an e-mail address or telephone number, or the part left on the
page would escape redaction, so every cut is first widened to take in a contact detail it
would go through (:func:`safe_bounds`). The functions return raw text: the caller passes
it through :func:`.safe.esc` as usual. Their cost depends on the limits, not on the text.
"""

from __future__ import annotations

from .safe import redaction_spans

__all__ = ["ELLIPSIS", "MARGIN", "safe_bounds", "shorten", "window"]

ELLIPSIS = "…"
# How far past a cut to look for a contact detail it would split (longer than any real one).
MARGIN = 256
# How far back from a cut to look for a space to cut at instead.
_SNAP = 24


def safe_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` so that it cuts through no e-mail address or phone number.

    Example
    -------
    >>> t = "write to jo@example.org today"
    >>> safe_bounds(t, 0, 12)
    (0, 23)
    """
    lo, hi = max(0, start - MARGIN), min(len(text), end + MARGIN)
    for a, b in redaction_spans(text[lo:hi]):
        a, b = a + lo, b + lo
        if a < start < b:
            start = a
        if a < end < b:
            end = b
    return start, end


def _snap_end(text: str, end: int) -> int:
    """Move a cut back to the space before the word it would split, if one is near."""
    if end >= len(text) or text[end].isspace() or text[end - 1].isspace():
        return end
    space = text.rfind(" ", max(0, end - _SNAP), end)
    return space if space > 0 else end


def _snap_start(text: str, start: int) -> int:
    if start <= 0 or text[start - 1].isspace():
        return start
    space = text.find(" ", start, start + _SNAP)
    return space + 1 if space >= 0 else start


def shorten(text: object, limit: int) -> str:
    """The start of ``text``, at most about ``limit`` characters, cut at a space, with "…".

    Parameters
    ----------
    text : object
        Any value; ``None`` becomes ``""``.
    limit : int
        Characters to keep (a contact detail across the cut is kept whole, to be redacted).

    Example
    -------
    >>> shorten("The partnership opened two new centres in the town", 28)
    'The partnership opened two…'
    >>> shorten("Short.", 30)
    'Short.'
    """
    s = "" if text is None else str(text)
    if len(s) <= limit:
        return s
    _, end = safe_bounds(s, 0, _snap_end(s, limit))
    return s[:end].rstrip() + ELLIPSIS


def window(text: str, spans: list[tuple[int, int, object]], limit: int) -> tuple[str, list[tuple[int, int, object]]]:
    """A piece of ``text`` of about ``limit`` characters around its first span, with the spans in it.

    Parameters
    ----------
    text : str
        A sentence (any length).
    spans : list of (int, int, object)
        ``(start, end, payload)`` character spans of ``text`` (e.g. the words behind a tag).
    limit : int
        Characters to show.

    Returns
    -------
    (str, list)
        The piece, with "…" where it was cut, and the spans inside it shifted to its offsets.

    Example
    -------
    >>> piece, marks = window("x " * 100 + "older people " + "y " * 100, [(200, 212, "p")], 40)
    >>> piece, marks
    ('…x x x x x older people y y y y y y y y y…', [(11, 23, 'p')])
    """
    if len(text) <= limit:
        return text, [s for s in spans if 0 <= s[0] < s[1] <= len(text)]
    first = min((s[0] for s in spans), default=0)
    start = max(0, min(first - limit // 4, len(text) - limit))
    end = min(len(text), start + limit)
    start, end = _snap_start(text, start), _snap_end(text, end)
    start, end = safe_bounds(text, start, end)
    lead = ELLIPSIS if start > 0 else ""
    tail = ELLIPSIS if end < len(text) else ""
    shift = start - len(lead)
    inside = [(a - shift, b - shift, p) for a, b, p in spans if start <= a < b <= end]
    return lead + text[start:end] + tail, inside
