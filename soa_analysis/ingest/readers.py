"""Format readers: bytes of one submission file -> list of :class:`Document`.

A registry maps each format id (``docx``, ``pdf``, ``txt`` ...) to a reader function with
the signature ``read_x(data: bytes, *, name: str, limits: Limits) -> list[Document]`` and a
``sniff(data, ext) -> bool`` that recognises the format by content. :func:`read_bytes` is the
dispatcher: it types a file by content (magic bytes, zip members, text sniffing) rather than
by extension alone (a mismatch is a warning, not an error), applies the :class:`Limits`
guards, and guarantees that a reader either returns Documents or raises
:class:`~soa_analysis.errors.QuarantineError` with a specific reason - never another
exception, never a hang past the time budget.

The text-family readers (txt, md, csv, rtf) live here; office formats (docx, doc, odt,
xlsx) in :mod:`.readers_office`, pdf in :mod:`.readers_pdf`, html and e-mail in
:mod:`.readers_web`.
"""

from __future__ import annotations

import codecs
import contextvars
import csv
import io
import os
import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import QuarantineError
from .cap import READ_AHEAD, cap_document
from .document import Block, Document
from .normalise import BULLET, normalise_inline, normalise_lines, normalise_text

__all__ = [
    "Limits",
    "ReaderSpec",
    "READERS",
    "EXTENSIONS",
    "register",
    "detect_format",
    "read_bytes",
    "read_file",
    "text_blocks",
    "split_checkbox",
    "decode_text",
]


@dataclass(frozen=True)
class Limits:
    """Guards applied to every file; all are configurable.

    Attributes
    ----------
    max_file_bytes : int
        Largest file read at all (default 50 MB).
    max_unzipped_bytes : int
        Largest total declared uncompressed size of a zip-based file (docx, xlsx, odt).
    max_zip_ratio : float
        Largest compression ratio of a zip member bigger than ``zip_ratio_floor`` bytes.
    zip_ratio_floor : int
        Members smaller than this are not ratio-checked (small XML compresses well).
    max_zip_members : int
        Most members in a zip-based file.
    max_table_depth : int
        Deepest table nesting kept as nested rows; deeper tables are flattened into their cell.
    max_rows : int
        Most data rows read from a form export (csv/xlsx); the rest are dropped with a warning.
    max_pages : int
        Most PDF pages read; the rest are dropped with a warning.
    max_attachment_depth : int
        How deep e-mails attached to e-mails are followed.
    time_budget_s : float
        Wall-clock budget for reading one file.
    max_chars : int
        Most characters of text kept per submission (about 30,000 words by default: far
        beyond any case study or annual report, a few thousand words each). The rest is
        dropped with a warning (see :mod:`.cap`); this bounds the cost of every later stage.
    """

    max_file_bytes: int = 50 * 1024 * 1024
    max_unzipped_bytes: int = 300 * 1024 * 1024
    max_zip_ratio: float = 200.0
    zip_ratio_floor: int = 1024 * 1024
    max_zip_members: int = 5000
    max_table_depth: int = 6
    max_rows: int = 20000
    max_pages: int = 1000
    max_attachment_depth: int = 3
    time_budget_s: float = 120.0
    max_chars: int = 200_000


@dataclass(frozen=True)
class ReaderSpec:
    """A registered reader: format id, function, content sniffer, extensions and sniff priority."""

    format: str
    read: Callable[..., list[Document]]
    sniff: Callable[[bytes, str], bool] | None
    extensions: tuple[str, ...]
    priority: int


READERS: dict[str, ReaderSpec] = {}
# extension (with dot, lower case) -> format id
EXTENSIONS: dict[str, str] = {}


def register(fmt: str, *, sniff: Callable[[bytes, str], bool] | None = None,
             extensions: tuple[str, ...] = (), priority: int = 50):
    """Register a reader function for format ``fmt``.

    Parameters
    ----------
    fmt : str
        Format id, also written to ``Document.meta["format"]``.
    sniff : callable, optional
        ``sniff(data, ext) -> bool``: does this content look like ``fmt``? ``ext`` is the
        lower-case extension with its dot ("" if none).
    extensions : tuple of str
        Extensions (with dot) that claim this format.
    priority : int
        Sniffers run in increasing priority: binary magic first, plain text last.

    Example
    -------
    >>> @register("demo", sniff=lambda data, ext: data.startswith(b"DEMO"))  # doctest: +SKIP
    ... def read_demo(data, *, name, limits): ...
    """

    def deco(fn):
        READERS[fmt] = ReaderSpec(fmt, fn, sniff, tuple(extensions), priority)
        for e in extensions:
            EXTENSIONS[e] = fmt
        return fn

    return deco


# --------------------------------------------------------------------------- time budget

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("soa_ingest_deadline", default=None)
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("soa_ingest_depth", default=0)


def check_time(where: str = "") -> None:
    """Raise QuarantineError if the current file's time budget is spent (readers call this in loops)."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise QuarantineError(f"time budget exceeded while reading{' ' + where if where else ''}; "
                              "the file is too large or too complex, split it or raise Limits.time_budget_s")


# --------------------------------------------------------------------------- magic bytes

_MAGIC_UNSUPPORTED = (
    (b"\x89PNG\r\n\x1a\n", "PNG image: no text to read; OCR it or supply the original document"),
    (b"\xff\xd8\xff", "JPEG image: no text to read; OCR it or supply the original document"),
    (b"GIF87a", "GIF image: no text to read"),
    (b"GIF89a", "GIF image: no text to read"),
    (b"II*\x00", "TIFF image (scan?): no text to read; OCR it or supply the original document"),
    (b"MM\x00*", "TIFF image (scan?): no text to read; OCR it or supply the original document"),
    (b"\x1f\x8b", "gzip archive: unpack it and supply the files inside"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive: unpack it and supply the files inside"),
    (b"Rar!\x1a\x07", "RAR archive: unpack it and supply the files inside"),
    (b"\x7fELF", "executable program, not a document"),
    (b"MZ", "Windows executable, not a document"),
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ZIP_FORMATS = ("docx", "xlsx", "odt")
_UNSUPPORTED_EXT = {
    ".xls": "legacy Excel .xls is not supported: save it as .xlsx or .csv",
    ".ppt": "PowerPoint files are not supported: save the text as .docx or .pdf",
    ".pptx": "PowerPoint files are not supported: save the text as .docx or .pdf",
    ".msg": "Outlook .msg files are not supported: save the e-mail as .eml",
    ".zip": "zip archive: unpack it and supply the files inside",
    ".png": "image file: no text to read; OCR it or supply the original document",
    ".jpg": "image file: no text to read; OCR it or supply the original document",
    ".jpeg": "image file: no text to read; OCR it or supply the original document",
}


# The last archive's names: format detection and the sniffers ask for the same file's
# names several times. One (bytes object, names) tuple, keyed on the bytes object itself
# (immutable; replaced as a whole, so threads never see a mixed pair); read_bytes drops it.
_LAST_ZIP: list = [None]


def zip_names(data: bytes) -> list[str] | None:
    """Member names of a zip archive, or None if ``data`` is not a readable zip (central directory only)."""
    if not data.startswith(ZIP_MAGICS):
        return None
    last = _LAST_ZIP[0]
    if last is not None and last[0] is data:
        names = last[1]
    else:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = tuple(zf.namelist())
        except Exception:  # noqa: BLE001 - any failure means "not a readable zip"
            names = None
        _LAST_ZIP[0] = (data, names)
    return None if names is None else list(names)


def open_zip(data: bytes, fmt: str, limits: Limits) -> zipfile.ZipFile:
    """Open a zip-based document after checking it is not a zip bomb.

    The declared sizes in the central directory are checked BEFORE anything is
    decompressed (``zipfile`` never inflates a member past its declared size).

    Raises
    ------
    QuarantineError
        Not a valid zip, too many members, total declared size or a member's compression
        ratio above the limits.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError) as exc:
        raise QuarantineError(f"truncated or corrupt .{fmt}: not a valid zip archive ({exc})") from None
    if len(infos) > limits.max_zip_members:
        raise QuarantineError(f"suspicious .{fmt}: {len(infos)} zip members (limit {limits.max_zip_members})")
    total = sum(i.file_size for i in infos)
    if total > limits.max_unzipped_bytes:
        raise QuarantineError(
            f"possible zip bomb: .{fmt} would unpack to {total:,} bytes (limit {limits.max_unzipped_bytes:,})")
    for i in infos:
        if i.file_size > limits.zip_ratio_floor:
            ratio = i.file_size / max(i.compress_size, 1)
            if ratio > limits.max_zip_ratio:
                raise QuarantineError(
                    f"possible zip bomb: member {i.filename!r} of .{fmt} compressed {ratio:,.0f}:1 "
                    f"(limit {limits.max_zip_ratio:,.0f}:1)")
    return zf


# --------------------------------------------------------------------------- text decoding

csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))  # long narrative answers in one cell
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _binary_ratio(sample: bytes) -> float:
    if not sample:
        return 0.0
    return len(_CONTROL_BYTES.findall(sample)) / len(sample)


def looks_like_text(data: bytes) -> bool:
    """True if ``data`` has a Unicode BOM, or its first 64 KB are nearly free of control bytes."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    sample = data[:65536]
    if _utf16_guess(sample):
        return True
    return _binary_ratio(sample) < 0.005


def _utf16_guess(sample: bytes) -> str | None:
    """UTF-16 without BOM: most odd (LE) or even (BE) bytes are NUL and the rest are mostly ASCII."""
    if len(sample) < 4 or sample.count(0) < len(sample) // 3:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode text bytes: BOMs first, then UTF-8, UTF-16 (no BOM), Windows-1252, Latin-1.

    Returns
    -------
    (str, str)
        The text (BOM removed) and the encoding used.

    Raises
    ------
    QuarantineError
        When the bytes are binary (control bytes) or cannot be decoded.

    Example
    -------
    >>> decode_text("caf\\u00e9".encode("cp1252"))
    ('café', 'windows-1252')
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                     (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc.replace("-sig", " with BOM")
            except UnicodeDecodeError as exc:
                raise QuarantineError(f"text file with a {enc} byte-order mark does not decode as {enc}: {exc.reason}") from None
    guess = _utf16_guess(data[:65536])
    if guess:
        try:
            return data.decode(guess), guess
        except UnicodeDecodeError:
            pass
    if _binary_ratio(data[:65536]) >= 0.005:
        raise QuarantineError("binary content, not text (control bytes found): not a supported document format")
    for enc in ("utf-8", "windows-1252", "latin-1"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise QuarantineError("text could not be decoded")  # pragma: no cover - latin-1 decodes everything


# --------------------------------------------------------------------------- plain-text structure

TICK_MARKS = "\u2612\u2611\u2713\u2714\u2717\u2718"  # ☒ ☑ ✓ ✔ ✗ ✘
EMPTY_BOX = "\u2610"  # ☐
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


# --------------------------------------------------------------------------- text-family readers

def _ext(name: str) -> str:
    return os.path.splitext(name)[1].lower()


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


# --------------------------------------------------------------------------- dispatcher

def detect_format(data: bytes, name: str) -> tuple[str, list[str]]:
    """Decide a file's format by content; return (format id, warnings).

    Content wins over the extension: a ``.txt`` that is really a Word file is read as
    docx, with a warning that the extension is wrong.

    Raises
    ------
    QuarantineError
        Empty file, an unsupported format (images, archives, executables, legacy Excel,
        PowerPoint), a zip that is none of docx/xlsx/odt or is truncated, or binary junk.
    """
    ext = _ext(name)
    if not data:
        raise QuarantineError("empty file (0 bytes)")
    claimed = EXTENSIONS.get(ext)
    for magic, reason in _MAGIC_UNSUPPORTED:
        if data.startswith(magic) and not (magic == b"MZ" and looks_like_text(data)):
            raise QuarantineError(f"unsupported format: {reason}")
    if data.startswith(ZIP_MAGICS) or (claimed in _ZIP_FORMATS and data[:2] == b"PK"):
        names = zip_names(data)
        if names is None:
            kind = claimed if claimed in _ZIP_FORMATS else "zip"
            raise QuarantineError(f"truncated or corrupt .{kind}: not a valid zip archive")
    elif claimed in _ZIP_FORMATS and not data.startswith(OLE_MAGIC):
        sniffed_binary = data.lstrip()[:5] in (b"%PDF-", b"{\\rtf")
        if not sniffed_binary and not looks_like_text(data):
            raise QuarantineError(f"truncated or corrupt .{claimed}: not a valid zip archive")
    if data.startswith(OLE_MAGIC) and _OLE_ENCRYPTED in data[:1_000_000]:
        raise QuarantineError("password-protected (encrypted) Office document: supply an unprotected copy")
    if data.startswith(OLE_MAGIC) and ext in (".xls", ".ppt", ".msg"):
        raise QuarantineError(f"unsupported format: {_UNSUPPORTED_EXT[ext]}")
    fmt = None
    for spec in sorted(READERS.values(), key=lambda r: (r.priority, r.format)):
        if spec.sniff is not None and spec.sniff(data, ext):
            fmt = spec.format
            break
    if fmt is None:
        if data.startswith(ZIP_MAGICS):
            names = zip_names(data) or []
            if any(n.startswith("ppt/") for n in names):
                raise QuarantineError("unsupported format: PowerPoint .pptx; save the text as .docx or .pdf")
            raise QuarantineError(
                "unsupported format: zip archive that is not a .docx, .xlsx or .odt; unpack it and supply the files inside")
        if ext in _UNSUPPORTED_EXT:
            raise QuarantineError(f"unsupported format: {_UNSUPPORTED_EXT[ext]}")
        if claimed in ("txt", "md", "csv", "html", "eml", "rtf"):
            raise QuarantineError(f"binary content, not text (control bytes found), although named {ext}: "
                                  "not a supported document")
        raise QuarantineError(
            f"binary content that is not a supported format (extension {ext or 'none'!r}); "
            f"supported: {', '.join(sorted(READERS))}")
    warnings: list[str] = []
    text_family = {"txt", "md", "csv"}
    if fmt in text_family and claimed in text_family:
        fmt = claimed if claimed in READERS else fmt
    elif fmt in text_family | {"html", "eml"} and claimed is None:
        if ext in _UNSUPPORTED_EXT:
            raise QuarantineError(f"unsupported format: {_UNSUPPORTED_EXT[ext]}")
        if ext:
            raise QuarantineError(
                f"unsupported file type {ext!r}; supported: {', '.join(sorted(EXTENSIONS))}")
        warnings.append(f"file has no extension; content read as {fmt}")
    elif claimed != fmt:
        warnings.append(f"extension {ext or '(none)'} does not match content ({fmt}); read as {fmt}")
    return fmt, warnings


def read_bytes(data: bytes, *, name: str, limits: Limits | None = None) -> list[Document]:
    """Read one file's bytes into Documents, typing it by content.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        File name (its extension is a hint; a mismatch with the content is a warning).
    limits : Limits, optional
        Guards; defaults to ``Limits()``.

    Returns
    -------
    list of Document
        At least one; each has ``meta["format"]`` and ``meta["file_name"]``.

    Raises
    ------
    QuarantineError
        The only exception this raises: the file cannot be ingested, with the reason.
        Unexpected reader failures become ``"reader error: <Type>: <message>"``.

    Example
    -------
    >>> [b.text for b in read_bytes(b"Hello world", name="a.txt")[0].blocks]
    ['Hello world']
    """
    limits = limits or Limits()
    if len(data) > limits.max_file_bytes:
        raise QuarantineError(f"file too large: {len(data):,} bytes (limit {limits.max_file_bytes:,})")
    token = None
    if _DEADLINE.get() is None:
        token = _DEADLINE.set(time.monotonic() + limits.time_budget_s)
    try:
        fmt, warnings = detect_format(data, name)
        docs = READERS[fmt].read(data, name=name, limits=limits)
        if not docs:
            raise QuarantineError(f"no content found in {fmt} file")
        for d in docs:
            cap_document(d, limits.max_chars)
    except QuarantineError:
        raise
    except RecursionError:
        raise QuarantineError("reader error: RecursionError: structure nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - a reader must never take the batch down
        msg = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise QuarantineError(f"reader error: {type(exc).__name__}: {msg}") from None
    finally:
        if token is not None:
            _DEADLINE.reset(token)
        _LAST_ZIP[0] = None
    base = os.path.basename(name)
    for d in docs:
        d.meta.setdefault("format", fmt)
        d.meta.setdefault("file_name", base)
        d.warnings[:0] = warnings
    return docs


def read_file(path: str | os.PathLike, *, limits: Limits | None = None) -> list[Document]:
    """Read a file (opened read-only) into Documents; see :func:`read_bytes`.

    The size limit is checked with ``stat`` before the file is read.

    Raises
    ------
    QuarantineError
        The file cannot be ingested (including: too large, unreadable).
    """
    limits = limits or Limits()
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > limits.max_file_bytes:
            raise QuarantineError(f"file too large: {size:,} bytes (limit {limits.max_file_bytes:,})")
        with open(p, "rb") as fh:
            data = fh.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise QuarantineError(f"cannot read file: {exc.strerror or exc}") from None
    return read_bytes(data, name=p.name, limits=limits)


def read_nested(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read an embedded file (an e-mail attachment) with the depth of nesting tracked.

    Raises
    ------
    QuarantineError
        Beyond ``limits.max_attachment_depth``, or when the embedded file cannot be read.
    """
    depth = _DEPTH.get()
    if depth >= limits.max_attachment_depth:
        raise QuarantineError(f"attachments nested deeper than {limits.max_attachment_depth} levels not read")
    token = _DEPTH.set(depth + 1)
    try:
        return read_bytes(data, name=name, limits=limits)
    finally:
        _DEPTH.reset(token)


# Register the other readers (they import ``register`` from this module).
from . import readers_office as _readers_office  # noqa: E402,F401
from . import readers_pdf as _readers_pdf  # noqa: E402,F401
from . import readers_web as _readers_web  # noqa: E402,F401
