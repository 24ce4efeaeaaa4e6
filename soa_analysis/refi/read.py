"""Read a REFI-QDA project (``.qdpx``) into tables: users, codes, text sources and codings.

The file may come from any CAQDAS tool, so it is treated as untrusted: the zip is checked
for bombs before anything is unpacked (the ingest stage's guard), the XML is parsed with
``defusedxml`` (no DTDs, no entities), and every selection is checked against its source's
text. Only plain-text sources are read; other sources (pictures, PDFs, audio, video) are
counted in :attr:`QdpxProject.warnings`.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from ..errors import InputError, QuarantineError
from .common import GUID_RE, NS, Q

__all__ = ["QdpxProject", "read_qdpx", "CODING_COLUMNS"]

CODING_COLUMNS = ["source_guid", "selection_guid", "start", "end", "text", "code_guid", "user_guid", "created"]


@dataclass
class QdpxProject:
    """A parsed REFI-QDA project.

    Attributes
    ----------
    users : DataFrame
        guid, name, id.
    codes : DataFrame
        guid, name, path (folder names above it, " > "-joined), description, codable.
    variables : dict of str to str
        Variable GUID -> name.
    sources : DataFrame
        guid, name, text (the plain text selections count positions in), variables (name -> value).
    codings : DataFrame
        :data:`CODING_COLUMNS`: one row per coding of a selection (``selection_guid`` ''
        and positions -1 for a coding of a whole source); ``user_guid`` is the coding's
        creating user, else its selection's.
    warnings : list of str
        What was skipped and why.
    """

    name: str
    origin: str
    users: pd.DataFrame
    codes: pd.DataFrame
    variables: dict
    sources: pd.DataFrame
    codings: pd.DataFrame
    warnings: list = field(default_factory=list)


def _open(path: Path) -> zipfile.ZipFile:
    from ..ingest.limits import Limits
    from ..ingest.zipsafe import open_zip

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    try:
        return open_zip(data, "qdpx", Limits())
    except QuarantineError as exc:
        raise InputError(f"{path}: {exc}") from None


def _member(zf: zipfile.ZipFile, internal: str) -> str | None:
    """The zip member an ``internal://`` path names: in ``sources/`` (any case), else by file name."""
    name = internal.split("://", 1)[1].lstrip("/") if "://" in internal else internal
    names = zf.namelist()
    wanted = name.casefold()
    for n in names:
        p = PurePosixPath(n)
        if len(p.parts) == 2 and p.parts[0].casefold() == "sources" and p.name.casefold() == wanted:
            return n
    for n in names:
        if PurePosixPath(n).name.casefold() == PurePosixPath(wanted).name:
            return n
    return None


def _text(el) -> str:
    return (el.text or "") if el is not None else ""


def _walk_codes(parent, path: list[str], rows: list[dict]) -> None:
    for c in parent.findall(Q("Code")):
        name = c.get("name") or ""
        rows.append({"guid": (c.get("guid") or "").strip("{}").lower(), "name": name, "path": " > ".join(path),
                     "description": _text(c.find(Q("Description"))),
                     "codable": (c.get("isCodable") or "true").strip().lower() in ("true", "1")})
        _walk_codes(c, path + [name], rows)


def _guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").lower()


def _project_root(zf: zipfile.ZipFile, path: Path):
    """The Project element of the zip's ``project.qde`` (parsed with defusedxml; InputError when
    it is missing, not well-formed or not a QDA-XML project)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    qde = [n for n in zf.namelist() if PurePosixPath(n).name.casefold() == "project.qde"]
    if not qde:
        raise InputError(f"{path}: no project.qde inside: not a REFI-QDA project file")
    try:
        root = fromstring(zf.read(sorted(qde, key=len)[0]))
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise InputError(f"{path}: project.qde is not well-formed XML ({exc})") from None
    if root.tag != Q("Project"):
        raise InputError(f"{path}: project.qde's root element is {root.tag!r}, not a Project in the "
                         f"{NS} namespace")
    return root


def _source_text(zf: zipfile.ZipFile, s, warnings: list[str]) -> str | None:
    """A TextSource's text: its PlainTextContent, or its ``internal://`` member of the zip; None
    (with a warning) when the text is not in the file."""
    sname = s.get("name") or ""
    content = s.find(Q("PlainTextContent"))
    if content is not None:
        return content.text or ""
    if (s.get("plainTextPath") or "").startswith("internal://"):
        member = _member(zf, s.get("plainTextPath"))
        if member is None:
            warnings.append(f"source {sname!r}: {s.get('plainTextPath')} is not in the file")
            return None
        return zf.read(member).decode("utf-8-sig", errors="replace")
    warnings.append(f"source {sname!r}: its text is outside the file ({s.get('plainTextPath')!r})")
    return None


def _variable_values(s, variables: dict[str, str]) -> dict[str, str]:
    """A source's variable values by variable name (by guid when the variable is not declared)."""
    values = {}
    for vv in s.findall(Q("VariableValue")):
        ref = vv.find(Q("VariableRef"))
        value = next((c.text for c in vv if c.tag != Q("VariableRef")), None)
        if ref is not None:
            values[variables.get(_guid(ref.get("targetGUID")), _guid(ref.get("targetGUID")))] = value or ""
    return values


def _source_codings(s, text: str, warnings: list[str]) -> list[dict]:
    """A source's codings: those of its selections (skipped, with a warning, when a selection's
    positions are not whole numbers inside the text) and those of the whole source."""
    sguid, sname = _guid(s.get("guid")), s.get("name") or ""
    codings = []
    for sel in s.findall(Q("PlainTextSelection")):
        try:
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
        except (TypeError, ValueError):
            warnings.append(f"source {sname!r}: a selection without whole-number positions was skipped")
            continue
        if not 0 <= start <= end <= len(text):
            warnings.append(f"source {sname!r}: selection {start}-{end} lies outside its text "
                            f"({len(text)} characters) and was skipped")
            continue
        for c in sel.findall(Q("Coding")):
            ref = c.find(Q("CodeRef"))
            codings.append({"source_guid": sguid, "selection_guid": _guid(sel.get("guid")), "start": start,
                            "end": end, "text": text[start:end],
                            "code_guid": _guid(ref.get("targetGUID")) if ref is not None else "",
                            "user_guid": _guid(c.get("creatingUser") or sel.get("creatingUser")),
                            "created": c.get("creationDateTime") or sel.get("creationDateTime") or ""})
    for c in s.findall(Q("Coding")):
        ref = c.find(Q("CodeRef"))
        codings.append({"source_guid": sguid, "selection_guid": "", "start": -1, "end": -1, "text": "",
                        "code_guid": _guid(ref.get("targetGUID")) if ref is not None else "",
                        "user_guid": _guid(c.get("creatingUser") or s.get("creatingUser")),
                        "created": c.get("creationDateTime") or ""})
    return codings


def read_qdpx(path: str | os.PathLike) -> QdpxProject:
    """Parse a ``.qdpx`` file.

    Parameters
    ----------
    path : path-like
        A REFI-QDA project exchange file.

    Returns
    -------
    QdpxProject

    Raises
    ------
    InputError
        If the file is not a readable zip, is a zip bomb, has no ``project.qde``, or its XML
        is not well-formed or not a QDA-XML project.
    """
    path = Path(path)
    zf = _open(path)
    with zf:
        root = _project_root(zf, path)
        warnings: list[str] = []
        users = [{"guid": _guid(u.get("guid")), "name": u.get("name") or "", "id": u.get("id") or ""}
                 for u in root.iter(Q("User"))]
        code_rows: list[dict] = []
        book = root.find(Q("CodeBook"))
        if book is not None and book.find(Q("Codes")) is not None:
            _walk_codes(book.find(Q("Codes")), [], code_rows)
        variables = {_guid(v.get("guid")): v.get("name") or "" for v in root.iter(Q("Variable"))}
        sources, codings = [], []
        skipped: dict[str, int] = {}
        src_root = root.find(Q("Sources"))
        for s in list(src_root) if src_root is not None else []:
            kind = s.tag.rsplit("}", 1)[-1]
            if kind != "TextSource":
                skipped[kind] = skipped.get(kind, 0) + 1
                continue
            text = _source_text(zf, s, warnings)
            if text is None:
                continue
            sources.append({"guid": _guid(s.get("guid")), "name": s.get("name") or "", "text": text,
                            "variables": _variable_values(s, variables)})
            codings += _source_codings(s, text, warnings)
        for kind, n in sorted(skipped.items()):
            warnings.append(f"{n} {kind} source(s) skipped: only plain-text sources are read")
        bad = sorted({g for g in [u["guid"] for u in users] + [c["guid"] for c in code_rows]
                      + [s["guid"] for s in sources] if not GUID_RE.match(g)})
        if bad:
            warnings.append(f"{len(bad)} GUID(s) not in the standard's form, e.g. {bad[0]!r}")
    return QdpxProject(
        name=root.get("name") or "", origin=root.get("origin") or "",
        users=pd.DataFrame(users, columns=["guid", "name", "id"]),
        codes=pd.DataFrame(code_rows, columns=["guid", "name", "path", "description", "codable"]),
        variables=variables,
        sources=pd.DataFrame(sources, columns=["guid", "name", "text", "variables"]),
        codings=pd.DataFrame(codings, columns=CODING_COLUMNS),
        warnings=warnings,
    )
