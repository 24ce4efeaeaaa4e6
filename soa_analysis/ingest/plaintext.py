"""Plain text into blocks: headings, list items, tick boxes and paragraphs, hard-wrapped lines joined."""

from __future__ import annotations

import re

from .checkbox import split_checkbox
from .document import Block
from .normalise import BULLET, normalise_lines

__all__ = ["text_blocks", "continues", "join_wrapped_lines"]

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_BULLET_LINE = re.compile(rf"^(?P<indent>\s*)[{BULLET}*\-\u2013+\u25cb\u2192]\s+(?P<rest>\S.*)$")
_NUMBERED_LINE = re.compile(r"^(?P<indent>\s*)\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)]\s+(?P<rest>\S.*)$")
_QUESTION_NUMBER = re.compile(r"^\s*(?:Q(?:uestion)?\s*)?\d{1,2}[.):]?\s+[A-Z]")
_ALL_CAPS = re.compile(r"^[^a-z]*[A-Z]{2}[^a-z]*$")
_SENTENCE_END = re.compile(r"[.;,]$")
_HYPHEN_END = re.compile(r"[a-z]-$")


def _is_heading_line(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > 200 or _SENTENCE_END.search(s):
        return False
    if s.endswith((":", "?")):
        return True
    if _QUESTION_NUMBER.match(s):
        return True
    return len(s) <= 80 and bool(_ALL_CAPS.match(s)) and sum(c.isalpha() for c in s) >= 4


_WRAP_WIDTH = 50
_LINE_END_PUNCT = re.compile(r"[.!?:;]$")
_STARTS_LOWER = re.compile(r"^[a-z(\u2013\-]")
# A line ending in one of these words (or a comma, hyphen or open bracket) has not ended its
# sentence: the next line continues it, however short the line ("... the first cohort in" / "June 2012.").
_CONTINUES = re.compile(
    r"(?:[,(\u2013\-]|\b(?:a|an|the|and|or|but|nor|of|in|on|at|to|by|for|with|from|into|onto|per|than|as|via|"
    r"its|our|their|his|her|this|that|these|those|which|who|whose|will|would|shall|should|can|could|is|are|was|"
    r"were|be|been|has|have|had))$",
    re.IGNORECASE,
)
_TAIL = re.compile(r"^(?=.*\d)\S+(?:\s+\S+){0,2}[.!?]$")  # "2013." / "June 2012." ending a wrapped sentence


def continues(prev: str, line: str) -> bool:
    """Does ``line`` carry on the sentence ``prev`` was hard-wrapped out of?

    True when ``prev`` does not end a sentence and either ends with a word that cannot end
    one (``of``, ``the``, ``in`` ...) or a comma, or ``line`` starts in lower case, or
    ``line`` is a short tail that ends the sentence (``June 2012.``).

    Example
    -------
    >>> continues("We will recruit the first cohort in", "June 2012.")
    True
    >>> continues("Next steps", "Recruit volunteers across the county.")
    False
    """
    prev, line = prev.rstrip(), line.strip()
    if not prev or not line or _LINE_END_PUNCT.search(prev) or _BULLET_LINE.match(line):
        return False
    return bool(_CONTINUES.search(prev) or _STARTS_LOWER.match(line) or _TAIL.match(line))


def join_wrapped_lines(text: str) -> str:
    """Join the hard-wrapped lines of one table cell (PDF tables wrap text at the cell's edge).

    Example
    -------
    >>> join_wrapped_lines("Recruit the first cohort of\\nvolunteer drivers in\\nJune 2012.\\nFife Council")
    'Recruit the first cohort of volunteer drivers in June 2012.\\nFife Council'
    """
    out: list[str] = []
    for line in text.split("\n"):
        if out and continues(out[-1], line):
            joined_hyphen = _HYPHEN_END.search(out[-1]) and line[:1].islower()
            out[-1] = (out[-1][:-1] if joined_hyphen else out[-1] + " ") + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def _join_wrapped(lines: list[str], markdown: bool) -> list[tuple[str, int]]:
    """Join hard-wrapped lines: a line 50+ characters long that does not end a sentence,
    followed by a line starting in lower case (not a bullet, tick box or heading), is one
    logical line ("...what is the timeline for" + "that?").

    Returns (logical line, length of its last physical line) pairs.
    """
    out: list[tuple[str, int]] = []
    last = 0
    for line in lines:
        s = line.strip()
        if out and s and _STARTS_LOWER.match(s) and not _BULLET_LINE.match(line):
            prev = out[-1][0].strip()
            if (last >= _WRAP_WIDTH and not _LINE_END_PUNCT.search(prev)
                    and not (markdown and _MD_HEADING.match(out[-1][0]))):
                joined = out[-1][0].rstrip()
                joined = joined[:-1] + s if _HYPHEN_END.search(prev) else joined + " " + s
                out[-1] = (joined, len(s))
                last = len(s)
                continue
        out.append((line, len(s)))
        last = len(s)
    return out


def text_blocks(text: str, *, markdown: bool = False) -> list[Block]:
    """Turn plain text into blocks, line by line.

    Markdown ``#`` and underlined headings (when ``markdown``), short lines ending in ``:``
    or ``?``, numbered questions and ALL-CAPS lines become headings; bullet and numbered
    lines become list items (level from indentation); lines with a tick mark beside the
    item become checkboxes; other lines form paragraphs, hard-wrapped lines (the previous
    line 50+ characters long, or one that has not ended its sentence: see :func:`continues`)
    being joined. Blank lines end paragraphs.

    Parameters
    ----------
    text : str
        Decoded text (normalised here).
    markdown : bool
        Recognise markdown headings.

    Returns
    -------
    list of Block

    Example
    -------
    >>> [(b.kind, b.text) for b in text_blocks("# Need\\nFamilies lacked support.\\n- a crèche", markdown=True)]
    [('heading', 'Need'), ('para', 'Families lacked support.'), ('list_item', 'a crèche')]
    """
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block("para", " ".join(para).strip()))
            para.clear()

    logical = _join_wrapped([" " * indent + body for indent, body in normalise_lines(text)], markdown)
    for i, (line, _) in enumerate(logical):
        s = line.strip()
        if not s:
            flush()
            continue
        if markdown:
            m = _MD_HEADING.match(line)
            if m:
                flush()
                blocks.append(Block("heading", m.group(2).strip() or "#", level=len(m.group(1))))
                continue
            if _SETEXT.match(line) and para and len(para) == 1:
                head = para.pop()
                blocks.append(Block("heading", head, level=1 if s.startswith("=") else 2))
                continue
        checked, rest = split_checkbox(s)
        if checked is not None:
            flush()
            blocks.append(Block("checkbox", rest, checked=checked))
            continue
        m = _BULLET_LINE.match(line)
        if m and not _is_heading_line(s):
            flush()
            blocks.append(Block("list_item", m.group("rest").strip(), level=len(m.group("indent")) // 2))
            continue
        if _is_heading_line(s):
            flush()
            blocks.append(Block("heading", s, level=2))
            continue
        m = _NUMBERED_LINE.match(line)
        if m:
            flush()
            blocks.append(Block("list_item", m.group("rest").strip(), level=len(m.group("indent")) // 2))
            continue
        if para and (logical[i - 1][1] >= _WRAP_WIDTH or continues(para[-1], s)):
            if _HYPHEN_END.search(para[-1]) and s[:1].islower():
                para[-1] = para[-1][:-1] + s
            else:
                para.append(s)
            continue
        flush()
        para.append(s)
    flush()
    return blocks
