"""Ingest: read submission files of any supported format and structure them.

Readers (:mod:`.readers`) turn bytes into :class:`Document` objects; the structure step
(:mod:`.structure`) turns each Document into a :class:`Record`; :func:`run_ingest` walks the
raw folder and writes the processed tables.
"""

from __future__ import annotations

from .document import Block, Document, Record
from .normalise import normalise_text

__all__ = [
    "Block",
    "Document",
    "Record",
    "normalise_text",
    "Limits",
    "read_bytes",
    "read_file",
    "detect_format",
    "IngestResult",
    "ingest",
    "run_ingest",
]

_LAZY = {
    "Limits": "readers",
    "read_bytes": "readers",
    "read_file": "readers",
    "detect_format": "readers",
    "IngestResult": "run",
    "ingest": "run",
    "run_ingest": "run",
}


def __getattr__(name: str):
    # Readers and the run are imported on first use, so that importing the structure step
    # does not pull in python-docx, pypdf, openpyxl and pandas.
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
