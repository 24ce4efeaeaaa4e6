"""Tick marks beside items: which characters are ticks, the state of an item or a cell, and
when a table row is a ticked or unticked item (:func:`row_block`, for every reader of tables)."""

from __future__ import annotations

import re

from .document import Block
from .normalise import normalise_inline

__all__ = ["TICK_MARKS", "EMPTY_BOX", "SOLID_SHAPES", "HOLLOW_SHAPES", "TICKED_CHARS", "UNTICKED_CHARS",
           "mark_state", "split_checkbox", "row_block"]

# The one definition of which characters are tick marks. Tick and box characters mean ticked or
# unticked wherever they stand; solid and hollow shapes are also common bullets, so they count as
# marks only beside a recognised checklist item (ingest.sections.parse_tick), never in a cell or an
# item on their own (mark_state, split_checkbox).
TICK_MARKS = "\u2612\u2611\u2713\u2714\u2717\u2718"  # ☒ ☑ ✓ ✔ ✗ ✘
EMPTY_BOX = "\u2610"  # ☐
SOLID_SHAPES = "\u25a0\u25a3"  # ■ ▣ (ticked beside a checklist item)
HOLLOW_SHAPES = "\u25a1\u25cb"  # □ ○ (unticked beside a checklist item)
TICKED_CHARS = TICK_MARKS + SOLID_SHAPES
UNTICKED_CHARS = EMPTY_BOX + HOLLOW_SHAPES
_MARK_CLASS = f"[{TICK_MARKS}{EMPTY_BOX}]"
_LEAD_MARK = re.compile(rf"^\s*(?:\[(?P<b>[xX\u2713\u2714 ])\]|(?P<m>{_MARK_CLASS}))\s*(?P<rest>\S.*)$", re.S)
_TRAIL_MARK = re.compile(rf"^(?P<rest>.*\S)\s*(?P<m>{_MARK_CLASS})\s*$", re.S)
_ANY_MARK = re.compile(_MARK_CLASS)
_LONE_X = re.compile(r"^\s*[xX]\s*$")


def mark_state(s: str) -> bool | None:
    """Tick state of a cell holding only a mark: ☒ ☑ ✓ ✔ ✗ ✘ or a lone X -> True, ☐ -> False, else None.

    Example
    -------
    >>> [mark_state(c) for c in ("\\u2612", "x", "\\u2610", "Yes", "")]
    [True, True, False, None, None]
    """
    t = s.strip()
    if len(t) == 1 and t in TICK_MARKS:
        return True
    if t == EMPTY_BOX:
        return False
    if _LONE_X.match(t):
        return True
    return None


def split_checkbox(text: str) -> tuple[bool | None, str]:
    """Split an item with a tick mark beside it into (checked, item text).

    A single mark at the start or end of the text counts (☒ ☑ ✓ ✔ ✗ ✘ and ``[x]`` are ticks,
    ☐ and ``[ ]`` are unticked); text with no mark, or with several, gives ``(None, text)``.

    Example
    -------
    >>> split_checkbox("\\u2612 Partnership working")
    (True, 'Partnership working')
    >>> split_checkbox("Health inequalities \\u2610")
    (False, 'Health inequalities')
    >>> split_checkbox("We ticked \\u2713 and \\u2610")
    (None, 'We ticked \\u2713 and \\u2610')
    """
    n_marks = len(_ANY_MARK.findall(text))
    if n_marks == 0 and not text.lstrip().startswith("["):
        return None, text
    if n_marks > 1:
        return None, text
    m = _LEAD_MARK.match(text)
    if m:
        if m.group("b") is not None:
            return m.group("b") != " ", m.group("rest").strip()
        return m.group("m") != EMPTY_BOX, m.group("rest").strip()
    m = _TRAIL_MARK.match(text)
    if m and not _ANY_MARK.search(m.group("rest")):
        return m.group("m") != EMPTY_BOX, m.group("rest").strip()
    return None, text


def row_block(cells: list[str], *, level: int = 0, may_be_checkbox: bool = True) -> Block | None:
    """A table row as one block: a ``checkbox`` when exactly two cells are filled, one holding
    only a mark (:func:`mark_state`) and the other the item; else a ``row`` of the filled cells
    joined by " | " (keeping ``cells``); None when every cell is empty.

    Parameters
    ----------
    cells : list of str
        The row's cell texts, empty ones included.
    level : int
        Table nesting depth.
    may_be_checkbox : bool
        False when the row's cells hold checkbox controls of their own (they are the items).

    Example
    -------
    >>> row_block(["\u2612", "Partnership working"])
    Block(kind='checkbox', text='Partnership working', level=0, cells=[], checked=True)
    >>> row_block(["Partner", "", "NHS Fife"]).text
    'Partner | NHS Fife'
    """
    filled = [c for c in cells if c]
    if not filled:
        return None
    if may_be_checkbox and len(filled) == 2:
        marks = [mark_state(c) for c in filled]
        if sum(m is not None for m in marks) == 1:
            state = next(m for m in marks if m is not None)
            item = next(c for c, m in zip(filled, marks) if m is None)
            return Block("checkbox", normalise_inline(item), level=level, checked=state)
    return Block("row", " | ".join(filled), level=level, cells=cells)
