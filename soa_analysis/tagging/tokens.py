"""The one tokeniser: one token grammar, read two ways.

:func:`tokens` gives the *full* tokens of a text: lower-case words (hyphenated words and
inner apostrophes kept whole: "anti-social", "people's"), numbers ("12", "1,200", "3.5",
"12%") and sums of money ("£1,200", "£1.2m"). Heading matching (:mod:`soa_analysis.ingest.sections`,
through :func:`soa_analysis.nlp.content_stems`) and the follow-up wording
(:mod:`soa_analysis.changes.followups`) read these.

:func:`words` gives the *words*: the full tokens split into their runs of letters (joined by
single apostrophes) and their numbers, that is hyphens, doubled apostrophes and the money
sign and unit are split off ("anti-social" -> "anti", "social"; "£1.2m" -> "1.2", "m"). The
priorities, the National Outcomes, the added-value themes and the 2012 guidance expectations
are all matched on the Porter stems of these (:mod:`soa_analysis.tagging.phrases`), so
"anti-social" and "anti social", or "joined-up" and "joined up", agree everywhere.

Both read the text as :func:`normalise` leaves it (lower case, curly single quotes made
straight: "people’s" and "people‘s" are "people's"). :data:`WORD_RE` is the fast form of
"the full tokens, split": ``words(t) == [w for f in tokens(t) for w in split(f)]`` for every
text (tests/test_tagging_phrases.py holds the two equal on generated text).

Kept free of nltk and scikit-learn (and of every other soa_analysis module) so that the shared
report, which only turns the tagging stage's token positions into character offsets, can
import it without them.
"""

from __future__ import annotations

import re

__all__ = ["NUMBER", "TOKEN_RE", "WORD_RE", "normalise", "tokens", "split", "words", "word_spans", "token_spans"]

#: A number: digits with "." or "," groups, and a per cent sign ("12", "1,200", "3.5", "12%").
NUMBER = r"\d+(?:[.,]\d+)*%?"
#: The full tokens: a word (letters, with hyphens and apostrophes inside), a number, or a sum of
#: money whose unit (k, m or b) stands alone ("£1.2m"; in "£1bn" the unit is part of a word).
TOKEN_RE = re.compile(rf"[a-z](?:[a-z'\-]*[a-z])?|{NUMBER}|£{NUMBER}(?:[kmb](?![a-z]|'[a-z]))?")
#: The words: runs of letters joined by single apostrophes, and numbers (:func:`split` of the full tokens).
WORD_RE = re.compile(rf"[a-z]+(?:'[a-z]+)*|{NUMBER}")


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


def tokens(text: str) -> list[str]:
    """The full tokens of ``text``: words with their hyphens and apostrophes, numbers, sums of money.

    Example
    -------
    >>> tokens("Older people’s anti-social falls fell 12% (£1,200; £1.2m).")
    ['older', "people's", 'anti-social', 'falls', 'fell', '12%', '£1,200', '£1.2m']
    """
    return TOKEN_RE.findall(normalise(text))


def split(token: str) -> list[str]:
    """The words of one full token: hyphens, doubled apostrophes and the money sign split off.

    Example
    -------
    >>> split("anti-social"), split("£1.2m"), split("people's")
    (['anti', 'social'], ['1.2', 'm'], ["people's"])
    """
    return WORD_RE.findall(token)


def words(sentence: str) -> list[str]:
    """Lower-case word and number tokens of ``sentence``: its :func:`tokens`, each :func:`split`.

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
