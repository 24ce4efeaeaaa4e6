"""Offline text processing shared by the tagging and evidence stages.

Everything here runs without downloaded data: sentences are split by a compiled regular
expression that knows common abbreviations, words by the package's one tokeniser
(:mod:`soa_analysis.tagging.tokens`; :func:`tokenize` is its full tokens), stems by nltk's
Porter stemmer (cached per token type, since stemming dominates the cost), and stop words
come from scikit-learn.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from nltk.stem.porter import PorterStemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .tagging.tokens import tokens

__all__ = [
    "split_sentences",
    "split_sentences_many",
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
_LINEBREAK = re.compile(r"\s*\n\s*(?:\n\s*)*")
_BULLET = re.compile(r"^\s*(?:[\u2022\u25aa\u25cf\u2013\-*]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")
_STEMMER = PorterStemmer()


# Whether a piece ends in an abbreviation or an initial is decided by looking its last word
# up in a set (tests/test_nlp.py checks this against a plain regex formulation of the rules).
_ABBREVIATION_SET = frozenset(a.lower() for a in _ABBREVIATIONS)


def _ends_in_abbreviation(buf: str) -> bool:
    if not buf.endswith("."):
        return False
    head = buf[:-1]
    if not head or head[-1].isspace() or head[-1] == "(":
        return False
    last = head[-1]
    if "A" <= last <= "Z" and (len(head) == 1 or head[-2].isspace()):
        return True
    parts = head.split()
    word = parts[-1].rsplit("(", 1)[-1] if parts else ""
    return word.lower() in _ABBREVIATION_SET


def _may_end_in_abbreviation(piece: str) -> bool:
    # Same answer as _ends_in_abbreviation, cheaper in the common case: a last word of
    # letters and digits after a space (or alone) is an abbreviation or an initial or not.
    word = piece[piece.rfind(" ") + 1:-1]
    if word.isalnum():
        return word.lower() in _ABBREVIATION_SET or (len(word) == 1 and "A" <= word <= "Z")
    return _ends_in_abbreviation(piece)


# The boundary is a captured end mark rather than a look-behind, which the regex engine finds
# much faster (a split then returns the pieces and the captured marks).
_BOUNDARY_MARK = re.compile(r"([.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9\u2022\-])")


def _boundary_split(line: str) -> list[str]:
    parts = _BOUNDARY_MARK.split(line)
    if len(parts) == 1:
        return parts
    out = list(map(str.__add__, parts[0:-1:2], parts[1::2]))
    out.append(parts[-1])
    return out


def _line_pieces(text: str):
    """Each non-empty line of ``text`` (stripped, a leading bullet removed) with its pieces, split after every
    full stop, question or exclamation mark followed by a capital letter or a digit (:func:`_boundary_split`;
    whether a piece ends in an abbreviation is for the caller)."""
    bullet = _BULLET.sub
    for line in _LINEBREAK.split(text) if "\n" in text else (text,):
        stripped = line.strip()
        if not stripped:
            continue
        # the bullet pattern never starts with a capital letter: skip the regex then
        line = stripped if "A" <= stripped[0] <= "Z" else bullet("", line).strip()
        if line:
            yield line, _boundary_split(line)


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
    for line, pieces in _line_pieces(text):
        if len(pieces) == 1:
            out.append(line)
            continue
        if not any(p[-1] == "." and _may_end_in_abbreviation(p) for p in pieces[:-1]):
            out.extend(pieces)  # no piece ends in an abbreviation or initial: nothing to re-join
            continue
        buf = ""
        for piece in pieces:
            buf = f"{buf} {piece}" if buf else piece
            if _ends_in_abbreviation(buf):
                continue
            out.append(buf.strip())
            buf = ""
        if buf.strip():
            out.append(buf.strip())
    return [s for s in out if s]


# Where a piece may end in an abbreviation or an initial, for Arrow's regular expressions (RE2), on the
# piece's last nine characters: the last word before its closing full stop, after anything but a letter or
# digit (or at the start), one of the abbreviations in any case or a capital letter. A superset of what
# _may_end_in_abbreviation accepts (a space, a bracket or the start before the word, its lower case an
# abbreviation of at most six letters): a text with such a piece is split by split_sentences as before.
_MAY_END_IN_ABBREVIATION = (r"(?:^|[^\p{L}\p{N}])(?:(?i:" + "|".join(re.escape(a) for a in sorted(_ABBREVIATION_SET))
                            + r")|[A-Z])\.$")
_TAIL = 9


def split_sentences_many(texts: list) -> list[list[str]]:
    """``[split_sentences(t) for t in texts]``, with the check for abbreviations done once for all texts.

    Each text's lines are split at every boundary as :func:`split_sentences` splits them; whether a piece
    (but a line's last) may end in an abbreviation or an initial is then checked by Arrow for every piece
    of every text at once, and a text with such a piece is split by :func:`split_sentences` (which joins
    those pieces again). A test checks this against :func:`split_sentences` on generated text.

    Example
    -------
    >>> split_sentences_many(["Falls fell. Dr. Brown agreed.", "", "- An item\\nAnother. Done."])
    [['Falls fell.', 'Dr. Brown agreed.'], [], ['An item', 'Another.', 'Done.']]
    """
    out: list = [None] * len(texts)
    tails: list[str] = []
    owners: list[int] = []
    counts: list[int] = []
    for j, text in enumerate(texts):
        if not isinstance(text, str) or not text:
            out[j] = split_sentences(text)
            continue
        got: list[str] = []
        for line, pieces in _line_pieces(text):
            if len(pieces) == 1:
                got.append(line)
                continue
            tails += [p[-_TAIL:] for p in pieces[:-1]]  # a line's last piece ends the sentence anyway
            owners.append(j)
            counts.append(len(pieces) - 1)
            got += pieces
        out[j] = got if "" not in got else [s for s in got if s]
    if tails:
        flags = pc.match_substring_regex(pa.array(tails, type=pa.string()), _MAY_END_IN_ABBREVIATION)
        hit = np.flatnonzero(flags.to_numpy(zero_copy_only=False))
        if len(hit):
            for j in set(np.repeat(np.array(owners, dtype=np.int64), counts)[hit].tolist()):
                out[j] = split_sentences(texts[j])
    return out


# Python's white space (what ``str.isspace``, ``str.strip`` and a str pattern's ``\\s`` take; RE2's ``\\s`` is ASCII
# only), for Arrow's regular expressions and trims: a test checks it against every code point.
_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
               "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_RE2_WS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _WHITESPACE) + "]"
# _LINEBREAK and _BOUNDARY_MARK for RE2: the boundary's look-ahead character is captured and put back (it is
# never an end mark, so no boundary starts inside it), and the mark is followed by _MARK where the text splits.
_RE2_LINEBREAK = f"{_RE2_WS}*\\n{_RE2_WS}*(?:\\n{_RE2_WS}*)*"
_RE2_BOUNDARY = ("([.!?])[\"'\\x{201d}\\x{2019})\\]]*" + _RE2_WS
                 + "+([\"'\\x{201c}\\x{2018}(\\[]?[A-Z0-9\\x{2022}\\-])")
_MARK = "\ue000"  # a private-use character: a text holding it is split in Python


def split_sentences_flat(texts) -> tuple[list[str], np.ndarray]:
    """The sentences of every one of ``texts`` (:func:`split_sentences` of each), flat, and how many each gave.

    ``texts`` is a list of strings or Arrow text (without nulls). Arrow splits every text at once: lines
    at line breaks, a line's leading bullet removed (by :data:`_BULLET` in Python, for the lines that do
    not start with a capital letter), pieces at every sentence boundary; a text with a piece that may end
    in an abbreviation or an initial (checked by Arrow, as in :func:`split_sentences_many`) is split by
    :func:`split_sentences`. Text Arrow cannot hold, or holding :data:`_MARK`, is split by
    :func:`split_sentences` text by text. A test checks this against :func:`split_sentences` on generated text.

    Example
    -------
    >>> split_sentences_flat(["Falls fell. Dr. Brown agreed.", "- An item\\nAnother. Done."])
    (['Falls fell.', 'Dr. Brown agreed.', 'An item', 'Another.', 'Done.'], array([2, 3]))
    """
    try:
        return _split_flat_arrow(texts)
    except (UnicodeError, pa.ArrowException, _NotForArrow):
        got = [split_sentences(t) for t in (texts.to_pylist() if isinstance(texts, (pa.Array, pa.ChunkedArray))
                                            else texts)]
        return [s for g in got for s in g], np.array([len(g) for g in got], dtype=np.int64)


class _NotForArrow(Exception):
    pass


def _utf8_bytes(arr: pa.Array) -> bytes:
    """The UTF-8 bytes of every text of ``arr`` (Arrow text without nulls) laid end to end: searched for a
    character by Python's byte search, several times faster than one of Arrow's kernels per text (a character's
    encoding is found only where the character is: UTF-8 is self-synchronising)."""
    offsets, data = arr.buffers()[1:3]
    if data is None or not len(arr):
        return b""
    kind = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    at = np.frombuffer(offsets, dtype=kind, count=len(arr) + 1, offset=arr.offset * np.dtype(kind).itemsize)
    return data.slice(int(at[0]), int(at[-1] - at[0])).to_pybytes()


def _split_flat_arrow(texts) -> tuple[list[str], np.ndarray]:
    arr = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.array(texts, type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if not n:
        return [], np.zeros(0, np.int64)
    if arr.null_count:
        raise _NotForArrow
    data = _utf8_bytes(arr)
    if _MARK.encode() in data:
        raise _NotForArrow
    if b"\n" in data:  # lines of the texts with line breaks; a text without is one line
        lines = pc.split_pattern_regex(arr, _RE2_LINEBREAK)
        offsets = lines.offsets.to_numpy().astype(np.int64)
        line_text = np.repeat(np.arange(n), np.diff(offsets))
        raw = lines.flatten()
    else:
        line_text, raw = np.arange(n), arr
    line = pc.utf8_trim(raw, _WHITESPACE)
    # a line that does not start with a capital letter may start with a bullet (removed from the line before
    # it is stripped, as split_sentences does)
    odd = pc.and_(pc.greater(pc.binary_length(line), 0), pc.invert(pc.match_substring_regex(line, "^[A-Z]")))
    odd_at = np.flatnonzero(odd.to_numpy(zero_copy_only=False))
    if len(odd_at):
        fixed = [_BULLET.sub("", s).strip() for s in raw.take(pa.array(odd_at)).to_pylist()]
        line = pc.replace_with_mask(line, odd, pa.array(fixed, type=line.type))
    keep = np.flatnonzero(pc.binary_length(line).to_numpy(zero_copy_only=False) > 0)
    line, line_text = line.take(pa.array(keep)), line_text[keep]
    pieces = pc.split_pattern(pc.replace_substring_regex(line, _RE2_BOUNDARY, "\\1" + _MARK + "\\2"), _MARK)
    offsets = pieces.offsets.to_numpy().astype(np.int64)
    offsets -= offsets[0]
    pieces = pieces.flatten()
    piece_text = np.repeat(line_text, np.diff(offsets))
    # pieces but a line's last may end in an abbreviation or an initial: their texts are split again
    not_last = np.ones(len(pieces), dtype=bool)
    not_last[offsets[1:] - 1] = False
    redo = np.zeros(0, np.int64)
    cand = np.flatnonzero(not_last)
    if len(cand):
        flags = pc.match_substring_regex(pieces.take(pa.array(cand)), _MAY_END_IN_ABBREVIATION)
        redo = np.unique(piece_text[cand[flags.to_numpy(zero_copy_only=False)]])
    nonempty = pc.greater(pc.binary_length(pieces), 0)
    sentences = pieces.filter(nonempty).to_pylist()
    piece_text = piece_text[nonempty.to_numpy(zero_copy_only=False)]
    counts = np.bincount(piece_text, minlength=n).astype(np.int64)
    if not len(redo):
        return sentences, counts
    again = [split_sentences(t) for t in arr.take(pa.array(redo)).to_pylist()]
    starts = np.searchsorted(piece_text, redo, "left").tolist()
    ends = np.searchsorted(piece_text, redo, "right").tolist()
    out: list[str] = []
    prev = 0
    for a, b, got in zip(starts, ends, again):
        out += sentences[prev:a]
        out += got
        prev = b
    out += sentences[prev:]
    counts[redo] = [len(g) for g in again]
    return out, counts


def tokenize(text: str) -> list[str]:
    """Lower-cased word and number tokens of ``text``, hyphenated words and sums of money kept whole.

    The full tokens of the one tokeniser, :func:`soa_analysis.tagging.tokens.tokens`.

    Example
    -------
    >>> tokenize("Older people's falls fell by 12% (£1,200).")
    ['older', "people's", 'falls', 'fell', 'by', '12%', '£1,200']
    """
    return tokens(text)


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
