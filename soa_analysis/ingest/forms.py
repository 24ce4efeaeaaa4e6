"""Form exports (csv, xlsx): one Document per answered row, a heading per column."""

from __future__ import annotations

from .document import Block, Document
from .limits import Limits, check_time
from .normalise import normalise_inline, normalise_text

__all__ = ["form_documents"]

def _unique_headers(headers: list[str]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, h in enumerate(headers, 1):
        h = normalise_inline(h) or f"column {i}"
        if h in seen:
            seen[h] += 1
            h = f"{h} ({seen[h]})"
        else:
            seen[h] = 1
        out.append(h)
    return out


def form_documents(rows, *, fmt: str, limits: Limits, part_prefix: str = "") -> list[Document]:
    """One Document per non-empty data row of a form export (first non-empty row = headers).

    ``meta["fields"]`` maps header -> cell text; blocks are a heading per header followed by
    its cell text as a paragraph (empty cells give the heading only). ``meta["part"]`` is
    ``"row N"`` with N the spreadsheet row number (headers are row 1 when first). A lone
    title cell above the header row (e.g. "Export of responses") is taken as the title,
    not as the headers.

    Parameters
    ----------
    rows : iterable of sequences
        Raw rows (cells may be any type; None is empty).
    fmt : str
        ``csv`` or ``xlsx``.
    limits : Limits
        ``max_rows`` caps the data rows read.
    part_prefix : str
        Prefix for ``part`` (the sheet name for multi-sheet workbooks).
    """
    headers: list[str] | None = None
    title = ""
    docs: list[Document] = []
    dropped = 0
    for rownum, row in enumerate(rows, 1):
        cells = [_cell_text(c) for c in row]
        while cells and not cells[-1]:  # trailing empty cells (a trailing comma, a formatted column)
            cells.pop()
        filled = sum(1 for c in cells if c)
        if not filled:
            continue
        if headers is None or (not docs and not dropped and title == "" and _lone_title(headers, filled)):
            if headers is not None:
                title = next(h for h in headers if not h.startswith("column "))
            headers = _unique_headers(cells)
            continue
        if len(docs) >= limits.max_rows:
            dropped += 1
            continue
        if rownum % 500 == 0:
            check_time(f"row {rownum}")
        if len(cells) > len(headers):
            headers = _unique_headers(headers + [""] * (len(cells) - len(headers)))
        fields = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers)}
        blocks: list[Block] = []
        for h, v in fields.items():
            blocks.append(Block("heading", h, level=2))
            if v:
                blocks.append(Block("para", v))
        meta = {"format": fmt, "part": f"{part_prefix}row {rownum}", "fields": fields}
        if title:
            meta["title_row"] = title
        docs.append(Document(blocks, meta))
    if dropped:
        for d in docs:
            d.warnings.append(f"form export truncated: {dropped} row(s) beyond Limits.max_rows={limits.max_rows} not read")
    return docs


def _lone_title(headers: list[str], filled_now: int) -> bool:
    """The provisional header row had one real cell and the next row has several: it was a title."""
    real = [h for h in headers if not h.startswith("column ")]
    return len(real) == 1 and filled_now >= 2


def _cell_text(c) -> str:
    if c is None:
        return ""
    if isinstance(c, float) and c.is_integer():
        return str(int(c))
    if hasattr(c, "isoformat"):
        iso = c.isoformat()
        return iso[:10] if iso.endswith("T00:00:00") else iso
    return normalise_text(str(c))
