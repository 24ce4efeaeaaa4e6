"""The one tokeniser behind every phrase match: lower-case words and numbers, hyphens split.

The priorities, the National Outcomes, the added-value themes and the 2012 guidance
expectations are all matched on the Porter stems of these tokens
(:mod:`soa_analysis.tagging.phrases`), so "anti-social" and "anti social", or "joined-up" and
"joined up", agree everywhere. Curly apostrophes count as straight ones ("people’s").

Kept free of nltk and scikit-learn (and of every other soa_analysis module) so that the shared
report, which only turns the tagging stage's token positions into character offsets, can
import it without them.
"""

from __future__ import annotations

import re

__all__ = ["WORD_RE", "normalise", "words", "word_spans", "token_spans"]

WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)*|\d+(?:[.,]\d+)*%?")


def normalise(text: str) -> str:
    """``text`` lower-cased, curly single quotes made straight: what :data:`WORD_RE` reads.

    Example
    -------
    >>> normalise("Older People\u2019s")
    "older people's"
    """
    s = text.lower()
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
    return WORD_RE.findall(normalise(sentence))


def word_spans(sentence: str) -> list[tuple[int, int]]:
    """Character spans of :func:`words` in ``sentence`` (same order, same count)."""
    return [m.span() for m in WORD_RE.finditer(normalise(sentence))]


def token_spans(sentence: str, tokens: list[str]) -> list[tuple[int, int]]:
    """Character spans of ``tokens`` (from :func:`words`) in ``sentence``.

    Same result as :func:`word_spans`, found with ``str.find`` (faster than re-running the
    regular expression): every character between two tokens is one no token can contain.
    """
    low = normalise(sentence)
    out = []
    pos = 0
    find = low.find
    for t in tokens:
        j = find(t, pos)
        pos = j + len(t)
        out.append((j, pos))
    return out
