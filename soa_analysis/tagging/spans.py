"""Where, in a sentence, the words behind a tag are: their character spans.

Kept free of nltk and scikit-learn so that the shared report, which only needs to turn the
tagging stage's token positions into character offsets, does not import them. The tokens are
those of the one tokeniser, :mod:`soa_analysis.tagging.tokens`.
"""

from __future__ import annotations

from .tokens import token_spans, words

__all__ = ["evidence_char_spans", "mark_up"]


def evidence_char_spans(row) -> list[tuple[int, int]]:
    """Character spans, within its sentence, of the words behind one tag_evidence row.

    Uses the row's character ``spans`` when recorded, else its ``token_spans`` (token
    positions in the sentence's words, as the stage writes them), else finds the phrases
    in the sentence. Stemmed matches ("offending" for "offender") are covered by the first two.

    Example
    -------
    >>> evidence_char_spans({"sentence": "Less reoffending here", "token_spans": [[1, 2]]})
    [(5, 16)]
    """
    sentence = str(row.get("sentence") or "")
    spans = row.get("spans")
    tspans = row.get("token_spans")
    if spans is not None and len(spans):
        local = [(int(a), int(b)) for a, b in spans]
    elif tspans is not None and len(tspans):
        char = token_spans(sentence, words(sentence))
        local = [(char[int(a)][0], char[int(b) - 1][1]) for a, b in tspans if 0 <= int(a) < int(b) <= len(char)]
    else:
        phrases = [str(p) for p in (row.get("phrases") if row.get("phrases") is not None else [])]
        from .phrases import phrase_spans  # stemming needs nltk: only for rows without spans

        local = phrase_spans(sentence, phrases)
    return [(a, b) for a, b in local if 0 <= a < b <= len(sentence)]


def mark_up(text: str, spans, *, escape, mark) -> str:
    """``text`` as HTML with some of its spans wrapped in markup: the one highlighter.

    Of overlapping spans the earliest, then the longest, wins; the others are dropped.
    Every piece of ``text`` goes through ``escape``, marked pieces included.

    Parameters
    ----------
    text : str
        The text (untrusted).
    spans : iterable of (int, int, object)
        ``(start, end, payload)`` character spans of ``text``; out-of-range spans are ignored.
    escape : callable
        ``str -> str`` HTML escaping for the text (e.g. :func:`html.escape`).
    mark : callable
        ``(escaped_piece, payload) -> str``: the markup around one marked piece.

    Example
    -------
    >>> import html
    >>> mark_up("a <b> c", [(2, 5, "x")], escape=html.escape, mark=lambda t, p: f"<mark>{t}</mark>")
    'a <mark>&lt;b&gt;</mark> c'
    """
    out, pos = [], 0
    for a, b, payload in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if a < pos or not (0 <= a < b <= len(text)):
            continue
        out.append(escape(text[pos:a]))
        out.append(mark(escape(text[a:b]), payload))
        pos = b
    out.append(escape(text[pos:]))
    return "".join(out)
