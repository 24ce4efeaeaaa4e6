"""The format registry and the dispatcher over it; it imports no reader.

A registry maps each format id (``docx``, ``pdf``, ``txt`` ...) to a reader function with
the signature ``read_x(data: bytes, *, name: str, limits: Limits) -> list[Document]`` and a
``sniff(data, ext) -> bool`` that recognises the format by content; reader modules add
themselves with :func:`register` (:mod:`.readers` imports them all). :func:`read_bytes` is the
dispatcher: it types a file by content (magic bytes, zip members, text sniffing) rather than
by extension alone (a mismatch is a warning, not an error), applies the :class:`Limits`
guards, and guarantees that a reader either returns Documents or raises
:class:`~soa_analysis.errors.QuarantineError` with a specific reason - never another
exception, never a hang past the time budget.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

from ..errors import QuarantineError
from .cap import cap_document
from .document import Document
from .encodings import looks_like_text
from .limits import _DEADLINE, _DEPTH, Limits
from .zipsafe import _LAST_ZIP, ZIP_MAGICS, zip_names

__all__ = ["ReaderSpec", "READERS", "EXTENSIONS", "OLE_MAGIC", "register", "detect_format", "read_bytes",
           "read_nested"]


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


def _ext(name: str) -> str:
    return os.path.splitext(name)[1].lower()


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
