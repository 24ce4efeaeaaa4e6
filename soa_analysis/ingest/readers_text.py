"""Readers of the text family: plain text, markdown, RTF and CSV form exports."""

from __future__ import annotations

import csv
import io

from ..errors import QuarantineError
from .cap import READ_AHEAD
from .document import Document
from .encodings import decode_text, looks_like_text
from .forms import form_documents
from .limits import Limits
from .plaintext import text_blocks
from .registry import _ext, register

csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))  # long narrative answers in one cell


def _sniff_markdown(data: bytes, ext: str) -> bool:
    return ext in (".md", ".markdown") and looks_like_text(data)


def _sniff_csv(data: bytes, ext: str) -> bool:
    return ext in (".csv", ".tsv") and looks_like_text(data)


def _sniff_text(data: bytes, ext: str) -> bool:
    return looks_like_text(data)


def _sniff_rtf(data: bytes, ext: str) -> bool:
    return data.lstrip()[:5] == b"{\\rtf"


def _read_ahead(text: str, limits: Limits) -> tuple[str, dict]:
    """Text beyond what could be kept is not structured at all (see :mod:`.cap`)."""
    most = READ_AHEAD * limits.max_chars
    if len(text) <= most:
        return text, {}
    return text[:most], {"source_chars": len(text)}


@register("txt", sniff=_sniff_text, extensions=(".txt", ".text"), priority=100)
def read_txt(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read a plain-text file (UTF-8 with/without BOM, UTF-16, Windows-1252, Latin-1).

    Raises
    ------
    QuarantineError
        Binary content, or no text at all.
    """
    text, enc = decode_text(data)
    text, meta = _read_ahead(text, limits)
    doc = Document(text_blocks(text), {"format": "txt", "encoding": enc, **meta})
    if not doc.blocks:
        raise QuarantineError("no text in file (only white space)")
    return [doc]


@register("md", sniff=_sniff_markdown, extensions=(".md", ".markdown"), priority=90)
def read_md(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read a markdown file: ``#`` headings become heading blocks."""
    text, enc = decode_text(data)
    text, meta = _read_ahead(text, limits)
    doc = Document(text_blocks(text, markdown=True), {"format": "md", "encoding": enc, **meta})
    if not doc.blocks:
        raise QuarantineError("no text in file (only white space)")
    return [doc]


@register("rtf", sniff=_sniff_rtf, extensions=(".rtf",), priority=20)
def read_rtf(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read an RTF file with striprtf (tables arrive as text lines)."""
    from striprtf.striprtf import rtf_to_text

    raw = data.decode("latin-1")
    try:
        text = rtf_to_text(raw, errors="ignore")
    except Exception as exc:  # noqa: BLE001
        raise QuarantineError(f"corrupt .rtf: {type(exc).__name__}: {exc}") from None
    doc = Document(text_blocks(text), {"format": "rtf"})
    if not doc.blocks:
        raise QuarantineError("no text in .rtf file")
    return [doc]


@register("csv", sniff=_sniff_csv, extensions=(".csv", ".tsv"), priority=80)
def read_csv(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read a form export saved as CSV: one Document per non-empty row.

    The delimiter (comma, semicolon, tab, pipe) is sniffed from the first lines.

    Raises
    ------
    QuarantineError
        Not text, malformed CSV, or no data rows.
    """
    text, enc = decode_text(data)
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if _ext(name) == ".tsv" else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        docs = form_documents(reader, fmt="csv", limits=limits)
    except csv.Error as exc:
        raise QuarantineError(f"malformed .csv: {exc}") from None
    if not docs:
        raise QuarantineError("form export has no data rows (only a header, or empty)")
    for d in docs:
        d.meta["encoding"] = enc
    return docs
