"""Text normalisation for everything the readers extract.

Small pure ``str -> str`` functions, each doing one repair, composed by
:func:`normalise_text`. Regular expressions are compiled once, here. Smart quotes and
dashes are kept as written (they are meaningful and harmless); what is repaired is what
breaks matching: mojibake, Word's private-use bullet glyphs, ligatures, soft hyphens,
non-breaking and zero-width spaces, bidirectional override characters, CR/CRLF line ends
and runs of white space.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy

from ..sharing import BIDI_CONTROLS

__all__ = [
    "fix_mojibake",
    "fix_bullets",
    "fix_ligatures",
    "remove_soft_hyphens",
    "fix_spaces",
    "fix_line_ends",
    "collapse_whitespace",
    "normalise_text",
    "normalise_inline",
    "normalise_lines",
    "BULLET",
]

BULLET = "\u2022"

# Symbol-font / Wingdings glyphs Word puts in the private use area for list bullets, plus
# other bullet-like characters that should all read as one bullet.
# Only a private-use glyph anywhere, or a middle-dot/box glyph at the start of a line, is a bullet:
# "·" inside a sentence (e.g. "5·2") must survive.
_PUA_BULLETS = "\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf0a8\uf0de\uf06e\uf0e8\uf075\uf0be\uf0f0\uf0a4\uf0b2"
_PUA_TABLE = str.maketrans({c: BULLET for c in _PUA_BULLETS})
_LINE_BULLET_CHARS = "\u25aa\u25cf\u25e6\u2023\u2043\u2219\u00b7\u25a0\u27a2\uf02d"
_LINE_BULLET_RE = re.compile(r"(?m)^([ \t]*)[\u25aa\u25cf\u25e6\u2023\u2043\u2219\u00b7\u25a0\u27a2\uf02d](?=[ \t])")
_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
    "\u0132": "IJ",
    "\u0133": "ij",
}
_LIGATURE_TABLE = str.maketrans(_LIGATURES)
# Non-breaking, thin, figure, narrow, ideographic and other odd spaces -> plain space; zero-width
# characters, BOMs and stray control characters removed (one translate table: fast on big texts).
_ODD_SPACES = "\u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u202f\u205f\u3000\t\v\f"
# Bidirectional overrides and isolates go too: they can make text read other than it is.
_REMOVED = ("\u200b\u200c\u200d\u2060\ufeff" + BIDI_CONTROLS
            + "".join(chr(c) for c in (*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F)))
_SPACE_TABLE = str.maketrans({**{c: " " for c in _ODD_SPACES}, **{c: None for c in _REMOVED}})
_CRLF_RE = re.compile(r"\r\n?|[\u2028\u0085]")
_PARA_SEP_RE = re.compile("\u2029")
_SPACES_RE = re.compile(r"[ ]{2,}")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_MOJIBAKE_HINT_RE = re.compile("[\u00c2\u00c3\u00e2\u00c5\u00ef\u00c4\u00c6][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]")


def fix_mojibake(s: str) -> str:
    """Repair UTF-8 text that was decoded as Windows-1252/Latin-1 (``â€™`` -> ``’``).

    Uses ftfy's ``fix_encoding`` only, so nothing else (quotes, dashes) is changed;
    text without a mojibake signature is returned as is (ftfy is not even called).

    Example
    -------
    >>> fix_mojibake("Councilâ€™s plan")
    'Council’s plan'
    """
    if not _MOJIBAKE_HINT_RE.search(s):
        return s
    return ftfy.fix_encoding(s)


def fix_bullets(s: str) -> str:
    """Turn Word's private-use bullet glyphs (U+F0B7 ...) and line-leading bullet symbols into "•".

    Example
    -------
    >>> fix_bullets("\\uf0b7 first")
    '• first'
    """
    s = s.translate(_PUA_TABLE)
    if not any(c in s for c in _LINE_BULLET_CHARS):
        return s
    return _LINE_BULLET_RE.sub(lambda m: m.group(1) + BULLET, s)


def fix_ligatures(s: str) -> str:
    """Expand typographic ligatures (``ﬁ`` -> ``fi``) that PDFs often carry.

    Example
    -------
    >>> fix_ligatures("\\ufb01nance")
    'finance'
    """
    return s.translate(_LIGATURE_TABLE)


def remove_soft_hyphens(s: str) -> str:
    """Remove soft hyphens (U+00AD), which split words invisibly.

    Example
    -------
    >>> remove_soft_hyphens("com\\u00admunity")
    'community'
    """
    return s.replace("\u00ad", "")


def fix_spaces(s: str) -> str:
    """Non-breaking and other odd spaces and tabs -> " "; zero-width characters, bidirectional
    override/isolate controls and stray control characters removed.

    Example
    -------
    >>> fix_spaces("Fife\\u00a0Council\\u200b\\u202e")
    'Fife Council'
    """
    return s.translate(_SPACE_TABLE)


def fix_line_ends(s: str) -> str:
    """CRLF, lone CR, Unicode line separators -> "\\n"; paragraph separators -> blank line.

    Example
    -------
    >>> fix_line_ends("a\\r\\nb\\rc")
    'a\\nb\\nc'
    """
    if "\r" in s or "\u2028" in s or "\u0085" in s:
        s = _CRLF_RE.sub("\n", s)
    if "\u2029" in s:
        s = _PARA_SEP_RE.sub("\n\n", s)
    return s


def collapse_whitespace(s: str) -> str:
    """Collapse runs of spaces, strip line ends, keep paragraph breaks (at most one blank line).

    Example
    -------
    >>> collapse_whitespace("a   b \\n\\n\\n\\n c ")
    'a b\\n\\nc'
    """
    if "  " in s:
        s = _SPACES_RE.sub(" ", s)
    if "\n" in s:
        s = "\n".join(line.strip(" ") for line in s.split("\n"))
        if "\n\n\n" in s:
            s = _BLANK_LINES_RE.sub("\n\n", s)
    return s.strip()


# Control characters go before the mojibake repair (removing one could join a mojibake pair
# afterwards); odd spaces are mapped again after it (a repaired "Â\xa0" is a non-breaking space).
_PIPELINE = (
    fix_line_ends,
    fix_spaces,
    fix_mojibake,
    fix_bullets,
    fix_ligatures,
    remove_soft_hyphens,
    fix_spaces,
    collapse_whitespace,
)


# At most this many rounds of the repairs (see normalise_text); a second is rare, a third rarer still.
_ROUNDS = 3

# The ASCII characters fix_spaces changes (tab, vertical tab, form feed, control characters; not
# "\n"). In ASCII text fix_mojibake, fix_bullets, fix_ligatures and remove_soft_hyphens change
# nothing (each looks only for characters outside ASCII), and fix_spaces gives ASCII.
_ASCII_TO_FIX = re.compile("[" + re.escape("".join(c for c in _ODD_SPACES + _REMOVED if c < "\x80")) + "]")


def normalise_text(s: str) -> str:
    """Apply every repair in order; paragraph breaks are kept.

    Parameters
    ----------
    s : str
        Text as extracted by a reader.

    Returns
    -------
    str
        NFC-normalised, repaired text with single spaces, ``\\n`` line ends and at most one
        blank line between paragraphs. Smart quotes and dashes are kept.

    Example
    -------
    >>> normalise_text("\\uf0b7\\tImproved\\u00a0o\\ufb03ce  access\\r\\n\\r\\n\\r\\nNext")
    '• Improved office access\\n\\nNext'
    """
    if not s:
        return ""
    if s.isascii():  # the repairs of characters outside ASCII have nothing to do: the same text, sooner
        s = fix_line_ends(s)
        if _ASCII_TO_FIX.search(s):
            s = fix_spaces(s)
        return collapse_whitespace(s)
    for _ in range(_ROUNDS):
        before, suspect = s, "\u00ad" in s or _MOJIBAKE_HINT_RE.search(s) is not None
        for fn in _PIPELINE:
            s = fn(s)
        if s.isascii():
            return s
        composed = unicodedata.normalize("NFC", s)
        # A later repair can make what an earlier one looks for: removing a soft hyphen joins a mojibake
        # pair or brings a bullet to a line's start, a repaired pair can be a bullet before a non-breaking
        # space, NFC composes a pair's first character ("A" and a combining circumflex), a Word bullet
        # glyph becomes "•", the second half of a pair. Then another round, so that the text is
        # normalised once and for all; text with none of these (nearly all) has one round.
        if composed == before or not (suspect or composed != s or _MOJIBAKE_HINT_RE.search(composed)):
            return composed
        s = composed
    return s


def normalise_lines(s: str) -> list[tuple[int, str]]:
    """Normalise text and split it into lines, keeping each line's indentation.

    The same repairs as :func:`normalise_text` are applied to the whole text at once (fast on
    big files); then each line's leading spaces (tabs count 4) are measured and its white
    space collapsed. Blank lines are kept as ``(0, "")``.

    Returns
    -------
    list of (int, str)
        (indentation in spaces, normalised line text).

    Example
    -------
    >>> normalise_lines("Partners:\\r\\n\\t\\uf0b7  NHS\\u00a0Glenbrae")
    [(0, 'Partners:'), (4, '• NHS Glenbrae')]
    """
    s = fix_line_ends(s)
    if "\t" in s:
        s = "\n".join(line.expandtabs(4) for line in s.split("\n"))
    if s.isascii():  # (as in normalise_text: only fix_spaces may change ASCII text)
        if _ASCII_TO_FIX.search(s):
            s = fix_spaces(s)
    else:
        for fn in _PIPELINE[1:-1]:
            s = fn(s)
        if not s.isascii():
            s = unicodedata.normalize("NFC", s)
    out: list[tuple[int, str]] = []
    for raw in s.split("\n"):
        body = raw.lstrip(" ")
        out.append((len(raw) - len(body) if body else 0, " ".join(body.split())))
    return out


def normalise_inline(s: str) -> str:
    """Normalise and fold all white space (line breaks included) to single spaces: for one-line values such as cells.

    Example
    -------
    >>> normalise_inline(" Name of\\r\\ncase study ")
    'Name of case study'
    """
    return " ".join(normalise_text(s).split())
