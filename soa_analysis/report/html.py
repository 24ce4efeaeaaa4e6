"""HTML building blocks every section uses: tables, the section frame, notes.

Every value from the data passes through :func:`.safe.esc`; the blocks add only markup of
their own.
"""

from __future__ import annotations

import math
import numbers
import re

import pandas as pd

from .labels import label
from .safe import esc

# A cell that is a date (2011-03-31, 2011/12, 2012-13): never wrapped mid-date (class "date").
_DATE = re.compile(r"\d{4}[-/]\d{2}(?:[-/]\d{2})?")

__all__ = ["fmt", "html_table", "section_html", "missing_note", "empty_note", "top_values"]


def fmt(v) -> str:
    """A value as a table shows it: whole numbers with thousands separators, shares as percentages.

    Example
    -------
    >>> fmt(1234), fmt(0.25), fmt(float("nan")), fmt("x")
    ('1,234', '25%', '–', 'x')
    """
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        return str(v)
    if isinstance(v, numbers.Integral):
        return f"{int(v):,}"
    v = float(v)
    if math.isnan(v):
        return "–"
    return f"{v:.0%}" if 0 <= v <= 1 and not v.is_integer() else f"{v:,.0f}"


def html_table(df: pd.DataFrame, caption: str, columns: dict[str, str] | None = None,
               *, pct: tuple[str, ...] = (), cls: str = "", max_rows: int | None = None,
               more: str = "all are in the exported tables") -> str:
    """An escaped HTML table with a caption and column headers with scope.

    Parameters
    ----------
    df : pandas.DataFrame
        The rows to show.
    caption : str
        The table's caption.
    columns : dict of str to str, optional
        Column -> header, in order (default: every column, headed by :func:`.labels.label`).
    pct : tuple of str
        Columns shown as percentages.
    cls : str
        CSS class of the table.
    max_rows : int, optional
        Show at most this many rows, then a note saying how many there are and where the rest are.
    more : str
        Where the rows not shown can be found, for that note.
    """
    columns = columns or {c: label(c) for c in df.columns}
    shown = df if max_rows is None else df.head(max_rows)
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in columns.values())
    body = []
    sub = shown[list(columns)]
    # each column's values as a list, then row by row (itertuples gives the same values, at a cost a table)
    for row in zip(*(sub.iloc[:, k].tolist() for k in range(sub.shape[1]))):
        cells = []
        for i, (c, v) in enumerate(zip(columns, row)):
            text = ("–" if pd.isna(v) else f"{v:.0%}") if c in pct else fmt(v)
            num = isinstance(v, numbers.Real) and not isinstance(v, bool)
            cls_ = " class=num" if num else (" class=date" if _DATE.fullmatch(text) else "")
            tag = "th scope=\"row\"" if i == 0 else "td"
            cells.append(f'<{tag}{cls_}>{esc(text)}</{tag.split()[0]}>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = (f'<p class="note">Showing the first {len(shown):,} of {len(df):,} rows; {esc(more)}.</p>'
            if len(shown) < len(df) else "")
    return (f'<div class="table-wrap"><table class="{esc(cls)}"><caption>{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{note}")


def section_html(sid: str, heading: str, lede: str, *parts: str) -> str:
    """One ``<section>`` with its ``<h2>``, a sentence on how to read it (none when ``lede`` is ``""``),
    and its parts."""
    lede_html = f'<p class="lede">{esc(lede)}</p>' if lede else ""
    return (f'<section id="{esc(sid)}" class="soa-section"><h2>{esc(heading)}</h2>'
            f'{lede_html}{"".join(parts)}</section>')


def missing_note(missing: set, *names: str) -> str:
    """A plain note naming the input tables, of ``names``, that this run did not produce."""
    gone = [n for n in names if n in missing]
    if not gone:
        return ""
    return (f'<p class="missing">Not available in this run: the {esc(", ".join(gone))} '
            f'table{"s were" if len(gone) > 1 else " was"} not produced, so this section is incomplete.</p>')


def empty_note(msg: str) -> str:
    """A plain note that there is nothing to show."""
    return f'<p class="empty">{esc(msg)}</p>'


def top_values(names, values, k: int = 3) -> str:
    """The ``k`` largest values with their names, for alt text: ``"Fife: 3; Moray: 2"``."""
    pairs = sorted(zip(values, names), key=lambda p: (-p[0], p[1]))[:k]
    return "; ".join(f"{n}: {v:g}" for v, n in pairs)
