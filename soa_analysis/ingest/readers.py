"""Format readers: bytes of one submission file -> list of :class:`Document`.

The entry point of reading: importing this module registers every reader with the format
registry (:mod:`.registry`, which imports none of them), and it offers the functions the
rest of the package reads with. The readers: text family (txt, md, csv, rtf) in
:mod:`.readers_text`, office formats (docx, doc, odt, xlsx) in :mod:`.readers_office`, pdf in
:mod:`.readers_pdf`, html and e-mail in :mod:`.readers_web`. What they share is in modules of
their own: :mod:`.limits` (guards and time budget), :mod:`.zipsafe` (zip containers),
:mod:`.encodings` (text decoding), :mod:`.checkbox` (tick marks), :mod:`.plaintext` (text
into blocks) and :mod:`.forms` (form exports).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import QuarantineError
from . import readers_office, readers_pdf, readers_text, readers_web
from .checkbox import split_checkbox
from .document import Document
from .encodings import decode_text
from .limits import Limits
from .plaintext import text_blocks
from .registry import EXTENSIONS, READERS, ReaderSpec, detect_format, read_bytes, register
from .zipsafe import zip_names

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
    "zip_names",
]

# Each reader module registered its formats when imported above.
FORMAT_MODULES = (readers_text, readers_office, readers_pdf, readers_web)


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
