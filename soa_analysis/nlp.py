"""Offline text processing shared by the tagging and evidence stages.

Everything here runs without downloaded data: sentences are split by a compiled regular
expression that knows common abbreviations, words by nltk's ``RegexpTokenizer``, stems by
nltk's Porter stemmer (cached per token type, since stemming dominates the cost), and stop
words come from scikit-learn.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nltk.stem.porter import PorterStemmer
from nltk.tokenize import RegexpTokenizer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

__all__ = [
    "split_sentences",
    "tokenize",
    "stem",
    "stem_tokens",
    "content_stems",
    "STOP_WORDS",
]

STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS)

_ABBREVIATIONS = (
    "e.g", "i.e", "etc", "cf", "vs", "approx", "no", "nos", "dr", "mr", "mrs", "ms", "prof",
    "st", "cllr", "dept", "inc", "ltd", "co", "fig", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "est", "incl", "govt", "assoc",
)
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) then white space
# and a capital, digit, quote or bullet; or at a line break that starts a list item or heading.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9\u2022\-])")
_LINEBREAK = re.compile(r"\s*\n\s*(?:\n\s*)*")
_BULLET = re.compile(r"^\s*(?:[\u2022\u25aa\u25cf\u2013\-*]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_ABBREV_END = re.compile(r"(?:^|[\s(])(" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")\.$", re.IGNORECASE)
_INITIAL_END = re.compile(r"(?:^|\s)[A-Z]\.$")
_TOKEN = RegexpTokenizer(r"[A-Za-z][A-Za-z'\u2019\-]*[A-Za-z]|[A-Za-z]|\d+(?:[.,]\d+)*%?|£\d+(?:[.,]\d+)*[kmb]?")
_STEMMER = PorterStemmer()


def split_sentences(text: str) -> list[str]:
    """Split narrative text into sentences.

    Line breaks that separate paragraphs or list items always end a sentence; within a
    line, a full stop, question or exclamation mark followed by a capital letter or digit
    does, unless it ends a known abbreviation ("e.g.", "Dr.") or an initial.

    Parameters
    ----------
    text : str
        Narrative text.

    Returns
    -------
    list of str
        Sentences, stripped, bullets removed, empty ones dropped.

    Example
    -------
    >>> split_sentences("Falls fell by 12%. Partners e.g. NHS agreed.\\n- A second item")
    ['Falls fell by 12%.', 'Partners e.g. NHS agreed.', 'A second item']
    """
    if not text:
        return []
    out: list[str] = []
    for line in _LINEBREAK.split(text):
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        pieces = _BOUNDARY.split(line)
        buf = ""
        for piece in pieces:
            buf = f"{buf} {piece}" if buf else piece
            if _ABBREV_END.search(buf) or _INITIAL_END.search(buf):
                continue
            out.append(buf.strip())
            buf = ""
        if buf.strip():
            out.append(buf.strip())
    return [s for s in out if s]


def tokenize(text: str) -> list[str]:
    """Lower-cased word and number tokens of ``text``.

    Example
    -------
    >>> tokenize("Older people's falls fell by 12% (£1,200).")
    ["older", "people's", 'falls', 'fell', 'by', '12%', '£1,200']
    """
    return [t.lower().replace("\u2019", "'") for t in _TOKEN.tokenize(text)]


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """Porter stem of one lower-case token (cached per token type).

    Example
    -------
    >>> stem("communities"), stem("employability")
    ('commun', 'employ')
    """
    if token.endswith("'s"):
        token = token[:-2]
    return _STEMMER.stem(token, to_lowercase=False)


def stem_tokens(tokens: list[str]) -> list[str]:
    """Stems of ``tokens`` in order."""
    return [stem(t) for t in tokens]


def content_stems(text: str) -> list[str]:
    """Stems of the non-stop-word tokens of ``text``, in order."""
    return [stem(t) for t in tokenize(text) if t not in STOP_WORDS]
