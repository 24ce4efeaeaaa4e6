"""Where, in a sentence, the words behind a tag are: tokens and their character spans.

Kept free of nltk and scikit-learn so that the shared report, which only needs to turn the
tagging stage's token positions into character offsets, does not import them.
"""

from __future__ import annotations

import re

__all__ = ["WORD_RE", "words", "word_spans", "token_spans", "evidence_char_spans", "mark_up"]

WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)*|\d+(?:[.,]\d+)*%?")


def _normalise(sentence: str) -> str:
    s = sentence.lower()
    if "\u2019" in s or "\u2018" in s:
        s = s.replace("\u2019", "'").replace("\u2018", "'")
    return s


def words(sentence: str) -> list[str]:
    """Lower-case word and number tokens of ``sentence`` (hyphenated words split).

    Example
    -------
    >>> words("Anti-social behaviour fell 12%; older people's falls too.")
    ['anti', 'social', 'behaviour', 'fell', '12%', 'older', "people's", 'falls', 'too']
    """
    return WORD_RE.findall(_normalise(sentence))


def word_spans(sentence: str) -> list[tuple[int, int]]:
    """Character spans of :func:`words` in ``sentence`` (same order, same count)."""
    return [m.span() for m in WORD_RE.finditer(_normalise(sentence))]


def token_spans(sentence: str, tokens: list[str]) -> list[tuple[int, int]]:
    """Character spans of ``tokens`` (from :func:`words`) in ``sentence``.

    Same result as :func:`word_spans`, found with ``str.find`` (faster than re-running the
    regular expression): every character between two tokens is one no token can contain.
    """
    low = _normalise(sentence)
    out = []
    pos = 0
    find = low.find
    for t in tokens:
        j = find(t, pos)
        pos = j + len(t)
        out.append((j, pos))
    return out


def _phrase_spans(sentence: str, phrases) -> list[tuple[int, int]]:
    from .text import phrase_stems, stems  # stemming needs nltk: only for rows without spans

    st = stems(words(sentence))
    spans = word_spans(sentence)
    out = []
    for p in phrases:
        key = phrase_stems(str(p))
        L = len(key)
        for i in range(len(st) - L + 1):
            if L and tuple(st[i:i + L]) == key:
                out.append((spans[i][0], spans[i + L - 1][1]))
    return out


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
        local = _phrase_spans(sentence, phrases)
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
