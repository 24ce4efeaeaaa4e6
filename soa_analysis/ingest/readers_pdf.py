"""PDF reader: pypdf for text, pdfplumber for the rows of ruled tables.

pypdf extracts text quickly (about 150 pages/s); pdfplumber is slower but recovers table
cells, so it is opened only for pages whose content stream draws enough rectangles or
lines to hold a ruled table. On such pages the text outside the tables and the table rows
are merged in reading order (top to bottom).
"""

from __future__ import annotations

import io
import re

from ..errors import QuarantineError
from .cap import READ_AHEAD
from .checkbox import row_block
from .document import Block, Document
from .limits import Limits, check_time
from .normalise import normalise_inline, normalise_text
from .plaintext import join_wrapped_lines, text_blocks
from .registry import register

_RULE_OPS = re.compile(rb"(?:\s|^)(?:re|l)\s")
_PDF_DATE = re.compile(r"D?:?(\d{4})(\d{2})?(\d{2})?")
NO_TEXT_LAYER = "PDF has no text layer (scanned image?); OCR it or supply the Word original"


def _sniff_pdf(data: bytes, ext: str) -> bool:
    return b"%PDF-" in data[:1024]


def _has_ruled_table(page) -> bool:
    """Cheap test on the raw content stream: enough rectangle/line operators for a ruled table."""
    try:
        contents = page.get_contents()
        raw = contents.get_data() if contents is not None else b""
    except Exception:  # noqa: BLE001 - unreadable content stream: no table rows then
        return False
    return len(_RULE_OPS.findall(raw[:2_000_000])) >= 4


def _plumber_page(pdf, index: int) -> list[Block] | None:
    """Blocks of a page with ruled tables (text outside tables + a row block per row), or None."""
    page = pdf.pages[index]
    tables = page.find_tables()
    if not tables:
        return None
    boxes = [t.bbox for t in tables]

    def outside(obj) -> bool:
        x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
        y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

    items: list[tuple[float, int, list[Block]]] = []
    rest = page.filter(outside)
    lines = rest.extract_text_lines() if hasattr(rest, "extract_text_lines") else []
    # group consecutive lines between tables into text runs so paragraphs are rebuilt
    run: list[str] = []
    run_top = None
    for ln in sorted(lines, key=lambda d: d["top"]):
        if any(b[1] <= ln["top"] <= b[3] for b in boxes):
            continue
        nxt_table = [b for b in boxes if run_top is not None and run_top < b[1] < ln["top"]]
        if nxt_table and run:
            items.append((run_top, 0, text_blocks("\n".join(run))))
            run, run_top = [], None
        if run_top is None:
            run_top = ln["top"]
        run.append(ln["text"])
    if run:
        items.append((run_top, 0, text_blocks("\n".join(run))))
    for t in tables:
        rows: list[Block] = []
        for cells in t.extract():
            block = row_block([join_wrapped_lines(normalise_text(c or "")) for c in cells if c is not None])
            if block is not None:
                rows.append(block)
        items.append((t.bbox[1], 1, rows))
    items.sort(key=lambda it: (it[0], it[1]))
    return [b for _, _, bl in items for b in bl]


def _iso(pdf_date) -> str:
    if not pdf_date:
        return ""
    if hasattr(pdf_date, "date"):
        try:
            return pdf_date.date().isoformat()
        except Exception:  # noqa: BLE001
            return ""
    m = _PDF_DATE.match(str(pdf_date))
    if not m or not m.group(2) or not m.group(3):
        return ""
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"


@register("pdf", sniff=_sniff_pdf, extensions=(".pdf",), priority=5)
def read_pdf(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read a PDF's text layer (pypdf), with ruled tables' rows from pdfplumber.

    Only the first ``limits.max_pages`` pages are read (a warning says so).

    Raises
    ------
    QuarantineError
        Corrupt or truncated file; encrypted with a password; no text layer (a scan).
    """
    reader, warnings = _open_pdf(data)
    n_pages = _page_count(reader)
    if n_pages > limits.max_pages:
        warnings.append(f"only the first {limits.max_pages} of {n_pages} pages read (Limits.max_pages)")
    blocks, failed_pages, unread = _read_pages(reader, data, n_pages, limits)
    if failed_pages:
        warnings.append(f"{failed_pages} page(s) could not be read")
    if not any(b.text.strip() for b in blocks):
        if failed_pages == min(n_pages, limits.max_pages):
            raise QuarantineError("truncated or corrupt .pdf: no page could be read")
        raise QuarantineError(NO_TEXT_LAYER)
    return [Document(blocks, _pdf_meta(reader, n_pages, unread), warnings)]


def _open_pdf(data: bytes):
    """Open ``data`` with pypdf, decrypting an empty password.

    Returns the reader and the warnings so far (one if the file was encrypted).

    Raises
    ------
    QuarantineError
        The file cannot be parsed, or is encrypted with a real password.
    """
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except PdfReadError as exc:
        raise QuarantineError(f"truncated or corrupt .pdf: {str(exc)[:150]}") from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on broken files
        raise QuarantineError(f"truncated or corrupt .pdf: {type(exc).__name__}: {str(exc)[:150]}") from None
    warnings: list[str] = []
    if encrypted:
        try:
            ok = reader.decrypt("")
        except Exception:  # noqa: BLE001 - e.g. AES without the cryptography package
            ok = 0
        if not ok:
            raise QuarantineError("PDF is encrypted (password protected); supply an unprotected copy "
                                  "or the Word original")
        warnings.append("PDF was encrypted with an empty password; read anyway")
    return reader, warnings


def _page_count(reader) -> int:
    """Number of pages in the page tree.

    Raises
    ------
    QuarantineError
        The page tree cannot be read, or holds no pages.
    """
    try:
        n_pages = len(reader.pages)
    except Exception as exc:  # noqa: BLE001
        raise QuarantineError(f"truncated or corrupt .pdf: page tree unreadable ({type(exc).__name__})") from None
    if n_pages == 0:
        raise QuarantineError("PDF has no pages (truncated or corrupt?)")
    return n_pages


class _LazyPlumber:
    """pdfplumber's view of the file, opened on first use: only pages with ruled tables need it."""

    def __init__(self, data: bytes):
        self._data = data
        self._pdf = None

    def page_blocks(self, index: int) -> list[Block] | None:
        """The page's blocks with table rows (see :func:`_plumber_page`), or None to fall back
        to its plain text. Opening the file may raise; reading the page never does."""
        if self._pdf is None:
            import pdfplumber

            self._pdf = pdfplumber.open(io.BytesIO(self._data))
        try:
            return _plumber_page(self._pdf, index)
        except Exception:  # noqa: BLE001 - fall back to the plain text of the page
            return None

    def close(self) -> None:
        """Close the file if it was opened."""
        if self._pdf is not None:
            self._pdf.close()


def _page_blocks(reader, index: int, plumber: _LazyPlumber) -> list[Block]:
    """Blocks of one page: pdfplumber's rows where the page draws a ruled table, else pypdf's text."""
    page = reader.pages[index]
    page_blocks = None
    if _has_ruled_table(page):
        page_blocks = plumber.page_blocks(index)
    if page_blocks is None:
        page_blocks = text_blocks(page.extract_text() or "")
    return page_blocks


def _read_pages(reader, data: bytes, n_pages: int, limits: Limits) -> tuple[list[Block], int, str]:
    """Blocks of the first ``limits.max_pages`` pages, a paragraph running over a page break
    joined back into one.

    Stops early once far more text is held than will be kept (see .cap). Returns the blocks,
    the number of pages that could not be read, and a note of the pages left unread ("" if none).
    """
    blocks: list[Block] = []
    plumber = _LazyPlumber(data)
    failed_pages = 0
    held, unread = 0, ""
    try:
        for i in range(min(n_pages, limits.max_pages)):
            if held > READ_AHEAD * limits.max_chars:  # far past what is kept (see .cap)
                unread = f"pages {i + 1}-{n_pages} were not read"
                break
            check_time(f"page {i + 1}")
            try:
                page_blocks = _page_blocks(reader, i, plumber)
            except QuarantineError:
                raise
            except Exception:  # noqa: BLE001 - one broken page must not lose the rest
                failed_pages += 1
                continue
            if (blocks and page_blocks and blocks[-1].kind == page_blocks[0].kind == "para"
                    and page_blocks[0].text[:1].islower()):
                # a paragraph running over the page break
                blocks[-1] = Block("para", blocks[-1].text + " " + page_blocks[0].text)
                page_blocks = page_blocks[1:]
            blocks.extend(page_blocks)
            held += sum(len(b.text) for b in page_blocks)
    finally:
        plumber.close()
    return blocks, failed_pages, unread


def _pdf_meta(reader, n_pages: int, unread: str) -> dict:
    """Document metadata: format, page count, pages left unread, and the file's title, author
    and creation date where its info dictionary gives them (an unreadable one is ignored)."""
    meta = {"format": "pdf", "pages": n_pages}
    if unread:
        meta["unread"] = unread
    try:
        info = reader.metadata
        if info:
            if info.title:
                meta["title"] = normalise_inline(str(info.title))
            if info.author:
                meta["author"] = normalise_inline(str(info.author))
            d = _iso(info.get("/CreationDate"))
            if d:
                meta["date"] = d
    except Exception:  # noqa: BLE001
        pass
    return meta
