"""What the REFI-QDA export and import share: the namespace, GUIDs, code keys, XML hygiene.

REFI-QDA Project Exchange (QDA-XML 1.0, the Rotterdam Exchange Format Initiative's standard
for moving projects between CAQDAS tools such as NVivo, ATLAS.ti, MAXQDA and QualCoder): a
``.qdpx`` file is a zip holding one ``project.qde`` (XML in the ``urn:QDA-XML:project:1.0``
namespace) and a flat ``sources/`` folder; a plain-text source is a UTF-8 ``.txt`` file named
by a GUID and referred to as ``plainTextPath="internal://<file>"``; a text selection's
``startPosition`` and ``endPosition`` count Unicode code points from 0, the end being one past
the last selected character (the standard's own example selects a 56-character sentence
from 139 to 195), which is Python's ``text[start:end]``. GUIDs are 8-4-4-4-12 hexadecimal,
optionally in braces.
"""

from __future__ import annotations

import re
import uuid

__all__ = ["NS", "Q", "GUID_RE", "guid", "code_key", "xml_safe", "TOOL_USER_KEY", "SUBMISSION_VARIABLE"]

NS = "urn:QDA-XML:project:1.0"
GUID_RE = re.compile(r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|"
                     r"\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\})$")
# Every GUID the export writes is a name-based (version 5) UUID in this namespace, so the same
# data exported twice gives the same GUIDs, and the import can recognise its own codes and sources.
_NAMESPACE = uuid.UUID("3f0d6c1e-8a4b-5c2e-9d7f-1b6a0e4c2d85")
TOOL_USER_KEY = "user:soa-analysis"
SUBMISSION_VARIABLE = "Submission id"
_INVALID_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def Q(tag: str) -> str:
    """An element name in the project namespace: ``Q("Code") == "{urn:QDA-XML:project:1.0}Code"``."""
    return f"{{{NS}}}{tag}"


def guid(key: str) -> str:
    """The stable GUID of ``key`` (lower-case 8-4-4-4-12).

    Example
    -------
    >>> bool(GUID_RE.match(guid("source:s-1")))
    True
    """
    return str(uuid.uuid5(_NAMESPACE, key))


def code_key(taxonomy: str, category: str) -> str:
    """The key a code's GUID is made from: ``grade`` and the rubric's grades, or a taxonomy and its category."""
    return f"code:{taxonomy}:{category}"


def xml_safe(text: object) -> str:
    """``text`` without the characters XML 1.0 cannot hold (control characters other than tab and line ends).

    Example
    -------
    >>> xml_safe("a\\x0cb\\x00c")
    'abc'
    """
    return _INVALID_XML.sub("", "" if text is None else str(text))
