"""The guards applied while reading a file: size and structure limits, the time budget, nesting depth.

:class:`Limits` is passed to every reader; :func:`check_time` is called by readers in their
loops and raises once the current file's time budget (set by the dispatcher) is spent.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass

from ..errors import QuarantineError

__all__ = ["Limits", "check_time"]


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


_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("soa_ingest_deadline", default=None)
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("soa_ingest_depth", default=0)


def check_time(where: str = "") -> None:
    """Raise QuarantineError if the current file's time budget is spent (readers call this in loops)."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise QuarantineError(f"time budget exceeded while reading{' ' + where if where else ''}; "
                              "the file is too large or too complex, split it or raise Limits.time_budget_s")
