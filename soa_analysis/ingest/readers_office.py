"""Office readers: Word .docx (python-docx), legacy .doc (LibreOffice), OpenDocument .odt, Excel .xlsx.

The docx reader walks the document XML in reading order (paragraphs, tables, content
controls) so that nothing is lost: text in inline content controls, hyperlinks and text
boxes is kept, deleted revisions and field codes are not; tick boxes (``w14:checkbox``
content controls, legacy FORMCHECKBOX fields, Wingdings tick glyphs and tick characters
beside an item) become ``checkbox`` blocks.
"""

from __future__ import annotations

import html
import io
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
import zipfile

from ..errors import QuarantineError
from .cap import READ_AHEAD
from .checkbox import EMPTY_BOX, row_block, split_checkbox
from .document import Block, Document
from .forms import form_documents
from .limits import Limits, check_time
from .normalise import BULLET, normalise_inline, normalise_text
from .registry import register
from .zipsafe import open_zip, zip_names

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
TICKED_GLYPH = "\u2612"  # ☒

# Wingdings / Wingdings 2 code points used for boxes and ticks (low byte of the symbol code).
_WINGDINGS = {0xFE: "\u2611", 0xFD: "\u2612", 0xFC: "\u2713", 0xFB: "\u2717", 0xA8: EMPTY_BOX, 0x6F: EMPTY_BOX,
              0x71: EMPTY_BOX, 0x78: "\u2612"}
_WINGDINGS2 = {0x50: "\u2713", 0x4F: "\u2717", 0x52: "\u2611", 0x53: "\u2612", 0x54: "\u2612", 0xA3: EMPTY_BOX,
               0x2A: EMPTY_BOX, 0xA2: EMPTY_BOX}
_HEADING_STYLE = re.compile(r"^(?:heading|titre|\u00fcberschrift|kop)\s*(\d)$", re.I)
_TRUE_VALS = ("1", "true", "on")
_SENTENCE_END = re.compile(r"[.;,]$")


def _symbol(font: str, code: int) -> str:
    font = (font or "").lower()
    if font.startswith("wingdings 2"):
        return _WINGDINGS2.get(code & 0xFF, "")
    if font.startswith("wingdings"):
        return _WINGDINGS.get(code & 0xFF, "")
    return ""


def _on(el) -> bool:
    """OOXML on/off property: present with no val, or val true/1/on."""
    if el is None:
        return False
    v = el.get(W + "val")
    return v is None or v.lower() in _TRUE_VALS


def _sdt_checkbox(sdt) -> bool | None:
    pr = sdt.find(W + "sdtPr")
    if pr is None:
        return None
    cb = pr.find(W14 + "checkbox")
    if cb is None:
        return None
    checked = cb.find(W14 + "checked")
    if checked is None:
        return False
    return (checked.get(W14 + "val") or "0").lower() in _TRUE_VALS


def _formcheckbox(fld) -> bool | None:
    ff = fld.find(W + "ffData")
    if ff is None:
        return None
    cb = ff.find(W + "checkBox")
    if cb is None:
        return None
    checked = cb.find(W + "checked")
    if checked is not None:
        return _on(checked)
    default = cb.find(W + "default")
    return default is not None and (default.get(W + "val") or "0").lower() in _TRUE_VALS


class _Ctx:
    """Per-document state: style names, limits, warnings, counters."""

    def __init__(self, styles, limits: Limits):
        self.styles = styles
        self.limits = limits
        self.images = 0
        self.deep_tables = 0
        self.paragraphs = 0


def _inline(el, out: list[str], ctx: _Ctx, font: str = "") -> int:
    """Append the text under a paragraph-level element to ``out``; return checkboxes met."""
    boxes = 0
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == W + "t":
            t = child.text or ""
            if font.lower().startswith("wingdings"):
                t = "".join(_symbol(font, ord(c)) or c for c in t)
            out.append(t)
        elif tag == W + "r":
            rpr = child.find(W + "rPr")
            rfont = ""
            if rpr is not None:
                rf = rpr.find(W + "rFonts")
                if rf is not None:
                    rfont = rf.get(W + "ascii") or rf.get(W + "hAnsi") or ""
            boxes += _inline(child, out, ctx, rfont)
        elif tag == W + "tab" or tag == W + "ptab":
            out.append("\t")
        elif tag in (W + "br", W + "cr"):
            out.append("\n")
        elif tag == W + "noBreakHyphen":
            out.append("-")
        elif tag == W + "sym":
            try:
                out.append(_symbol(child.get(W + "font", ""), int(child.get(W + "char", "0"), 16)))
            except ValueError:
                pass
        elif tag == W + "fldChar":
            state = _formcheckbox(child)
            if state is not None:
                out.append(TICKED_GLYPH if state else EMPTY_BOX)
                boxes += 1
        elif tag == W + "sdt":
            state = _sdt_checkbox(child)
            if state is not None:
                out.append(TICKED_GLYPH if state else EMPTY_BOX)
                boxes += 1
            else:
                content = child.find(W + "sdtContent")
                if content is not None:
                    boxes += _inline(content, out, ctx, font)
        elif tag in (MC + "Fallback", W + "del", W + "instrText", W + "delText", W + "rPr", W + "pPr",
                     W + "moveFrom", W + "commentReference", W + "footnoteReference"):
            continue
        elif tag == W + "p":  # paragraph inside a text box
            out.append("\n")
            boxes += _inline(child, out, ctx)
            out.append("\n")
        elif tag in (W + "drawing", W + "pict", W + "object"):
            ctx.images += 1
            boxes += _inline(child, out, ctx, font)
        else:
            boxes += _inline(child, out, ctx, font)
    return boxes


def _para_text(p, ctx: _Ctx) -> tuple[str, int]:
    out: list[str] = []
    boxes = _inline(p, out, ctx)
    return normalise_text("".join(out)), boxes


def _all_bold(p) -> bool:
    runs = [r for r in p.iter(W + "r") if any((t.text or "").strip() for t in r.iter(W + "t"))]
    if not runs:
        return False
    for r in runs:
        rpr = r.find(W + "rPr")
        if rpr is None or not _on(rpr.find(W + "b")):
            return False
    return True


def _para_block(p, ctx: _Ctx, level: int = 0) -> Block | None:
    """Classify one body paragraph: heading, list item, checkbox or para."""
    ctx.paragraphs += 1
    text, boxes = _para_text(p, ctx)
    if not text:
        return None
    checked, rest = split_checkbox(text)
    if checked is not None:
        return Block("checkbox", rest, level=level, checked=checked)
    ppr = p.find(W + "pPr")
    style = ""
    numbered = False
    ilvl = 0
    outline = None
    if ppr is not None:
        ps = ppr.find(W + "pStyle")
        if ps is not None:
            sid = ps.get(W + "val", "")
            style = ctx.styles.get(sid, sid)
        num = ppr.find(W + "numPr")
        if num is not None:
            numbered = True
            il = num.find(W + "ilvl")
            if il is not None and (il.get(W + "val") or "").isdigit():
                ilvl = int(il.get(W + "val"))
        ol = ppr.find(W + "outlineLvl")
        if ol is not None and (ol.get(W + "val") or "").isdigit():
            outline = int(ol.get(W + "val"))
    m = _HEADING_STYLE.match(style.strip())
    if m:
        return Block("heading", normalise_inline(text), level=int(m.group(1)))
    if style.lower() in ("title", "subtitle"):
        return Block("heading", normalise_inline(text), level=1 if style.lower() == "title" else 2)
    if outline is not None and outline < 9:
        return Block("heading", normalise_inline(text), level=outline + 1)
    if text.startswith(BULLET):
        return Block("list_item", text.lstrip(BULLET).strip(), level=ilvl)
    if numbered or "list" in style.lower():
        return Block("list_item", text, level=ilvl)
    if len(text) <= 120 and "\n" not in text and not _SENTENCE_END.search(text) and _all_bold(p):
        return Block("heading", text, level=3)
    return Block("para", text, level=level)


def _children(el):
    """Block-level children, looking through content controls and custom XML wrappers."""
    for child in el:
        tag = child.tag
        if tag == W + "sdt":
            content = child.find(W + "sdtContent")
            if content is not None:
                yield from _children(content)
        elif tag in (W + "customXml", W + "smartTag"):
            yield from _children(child)
        else:
            yield child


def _flat_text(el, ctx: _Ctx) -> str:
    parts: list[str] = []
    for p in el.iter(W + "p"):
        t, _ = _para_text(p, ctx)
        if t:
            parts.append(t)
    return "\n".join(parts)


def _cell(tc, ctx: _Ctx, level: int) -> tuple[str, list[Block], list]:
    """A cell's text, its checkbox paragraphs (as blocks) and nested tables (kept for later)."""
    texts: list[str] = []
    boxes: list[Block] = []
    nested: list = []
    for child in _children(tc):
        if child.tag == W + "p":
            t, _ = _para_text(child, ctx)
            if not t:
                continue
            checked, rest = split_checkbox(t)
            if checked is not None:
                boxes.append(Block("checkbox", rest, level=level, checked=checked))
            else:
                texts.append(t)
        elif child.tag == W + "tbl":
            if level + 1 > ctx.limits.max_table_depth:
                ctx.deep_tables += 1
                flat = _flat_text(child, ctx)
                if flat:
                    texts.append(flat)
            else:
                nested.append(child)
    return "\n".join(texts), boxes, nested


def _table(tbl, ctx: _Ctx, level: int, out: list[Block]) -> None:
    """Append a row block per row (merged cells once), checkbox items, then nested tables' rows."""
    for tr in _children(tbl):
        if tr.tag != W + "tr":
            continue
        check_time("a table")
        cells: list[str] = []
        boxes: list[Block] = []
        nested: list = []
        for tc in _children(tr):
            if tc.tag != W + "tc":
                continue
            tcpr = tc.find(W + "tcPr")
            if tcpr is not None:
                vm = tcpr.find(W + "vMerge")
                if vm is not None and (vm.get(W + "val") or "continue") != "restart":
                    cells.append("")  # continuation of a vertically merged cell: its text is above
                    continue
                hm = tcpr.find(W + "hMerge")
                if hm is not None and (hm.get(W + "val") or "continue") != "restart":
                    continue
            text, cb, nt = _cell(tc, ctx, level)
            cells.append(text)
            boxes.extend(cb)
            nested.extend(nt)
        block = row_block(cells, level=level, may_be_checkbox=not boxes)
        if block is not None:
            out.append(block)
        out.extend(boxes)
        for t in nested:
            _table(t, ctx, level + 1, out)


class _Styles:
    """Style id -> style name, looked up lazily (only the few styles a document uses).

    Given the raw styles part, a name is first found by a regular expression next to its id
    (Word writes ``<w:style ... w:styleId="X"><w:name w:val="..."/>``); the part is parsed
    only if that fails. Word's default styles part is ~350 KB: parsing it cost more than
    reading the whole document.
    """

    def __init__(self, root=None, raw: bytes | None = None):
        self.root = root
        self.raw = raw
        self.cache: dict[str, str] = {}

    def _parsed(self):
        if self.root is None and self.raw is not None:
            try:
                self.root = _safe_xml(self.raw)
            except Exception:  # noqa: BLE001 - unreadable styles: style ids stand for names
                self.root = None
            self.raw = None
        return self.root

    def get(self, sid: str, default: str) -> str:
        if sid in self.cache:
            return self.cache[sid]
        name = None
        if self.raw is not None and sid:
            m = re.search(rb'w:styleId="' + re.escape(sid.encode("utf-8")) + rb'"[^>]*>\s*<w:name w:val="([^"]*)"',
                          self.raw)
            if m:
                name = html.unescape(m.group(1).decode("utf-8", "replace"))
        if name is None:
            root = self._parsed()
            if root is not None and sid and '"' not in sid:
                st = root.find(f'{W}style[@{W}styleId="{sid}"]')
                nm = st.find(W + "name") if st is not None else None
                if nm is not None:
                    name = nm.get(W + "val")
        self.cache[sid] = name or default
        return self.cache[sid]


def _sniff_zip_member(member: str):
    def sniff(data: bytes, ext: str) -> bool:
        names = zip_names(data)
        return bool(names) and member in names

    return sniff


_REL_TYPE_END = {"main": "/officeDocument", "styles": "/styles", "core": "/core-properties"}
_CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
# The fast path reads the three parts the reader needs (document, styles, core properties)
# with lxml straight from the zip; python-docx, which parses every XML part of the package
# (~14 ms a document), is the fallback for packages the fast path does not understand.
FAST_DOCX = True


def _part_rels(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    """(type, resolved target) of a part's internal relationships ("" = the package)."""
    folder, fname = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", fname + ".rels")
    try:
        root = _safe_xml(zf.read(rels_path))
    except KeyError:
        return []
    out = []
    for rel in root:
        target = rel.get("Target") or ""
        if rel.get("TargetMode") == "External" or not target:
            continue
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out.append((rel.get("Type") or "", resolved))
    return out


def _fast_docx(data: bytes, limits: Limits):
    """(body element, styles root or None, core properties dict) read with lxml, or None to fall back."""
    zf = open_zip(data, "docx", limits)
    with zf:
        try:
            pkg = _part_rels(zf, "")
            main = next((t for typ, t in pkg if typ.endswith(_REL_TYPE_END["main"])), None)
            if main is None:
                return None
            root = _safe_xml(zf.read(main))
            body = root.find(W + "body")
            if body is None:
                return None
            styles = None
            for typ, t in _part_rels(zf, main):
                if typ.endswith(_REL_TYPE_END["styles"]):
                    styles = _Styles(raw=zf.read(t))
            core: dict = {}
            for typ, t in pkg:
                if typ.endswith(_REL_TYPE_END["core"]):
                    cp = _safe_xml(zf.read(t))
                    for key, tag in (("title", DC + "title"), ("author", DC + "creator"),
                                     ("created", _DCTERMS + "created"), ("modified", _DCTERMS + "modified")):
                        el = cp.find(tag)
                        if el is not None and el.text:
                            core[key] = el.text.strip()
        except Exception:  # noqa: BLE001 - anything unusual: let python-docx have a go
            return None
    return body, styles, core


def _docx_python_docx(data: bytes):
    """(body element, styles root or None, core properties dict) read with python-docx."""
    import docx  # python-docx
    from lxml import etree

    try:
        doc = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise QuarantineError(f"truncated or corrupt .docx: {type(exc).__name__}: {str(exc)[:150]}") from None
    except Exception as exc:  # noqa: BLE001 - python-docx raises assorted errors on malformed packages
        raise QuarantineError(f"corrupt .docx (not a Word document python-docx can open): "
                              f"{type(exc).__name__}: {str(exc)[:150]}") from None
    try:
        styles = _Styles(root=doc.styles.element)
    except Exception:  # noqa: BLE001 - a document without a styles part
        styles = None
    core: dict = {}
    try:
        cp = doc.core_properties
        for key, value in (("title", cp.title), ("author", cp.author), ("created", cp.created),
                           ("modified", cp.modified)):
            if value:
                core[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    except Exception:  # noqa: BLE001 - malformed core properties are not worth losing the file
        core["unreadable"] = True
    return doc.element.body, styles, core


@register("docx", sniff=_sniff_zip_member("word/document.xml"), extensions=(".docx", ".docm", ".dotx"),
          priority=10)
def read_docx(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read a Word .docx: paragraphs, headings, list items, tables and tick boxes in reading order.

    Headings come from heading/title styles, outline levels, or short all-bold paragraphs.
    Each table row is a ``row`` block (merged cells once; vertically merged continuation
    cells are ""); nested tables follow their parent row with ``level`` + 1 (deeper than
    ``limits.max_table_depth`` they are flattened into the cell, with a warning). An item
    row with a mark cell (☒ ☑ ✓ ✔ ✗ ✘, a lone X, ☐) or a paragraph with a checkbox content
    control / FORMCHECKBOX field / tick character beside it becomes a ``checkbox`` block.

    The document, styles and core-properties parts are read with lxml directly from the
    zip (fast); packages that path does not understand are opened with python-docx.

    Raises
    ------
    QuarantineError
        Zip bomb, truncated or corrupt file, or no text.
    """
    parts = _fast_docx(data, limits) if FAST_DOCX else None
    if parts is None:
        open_zip(data, "docx", limits).close()
        parts = _docx_python_docx(data)
    body, styles_root, core = parts
    ctx = _Ctx(styles_root or _Styles(), limits)
    blocks: list[Block] = []
    held, unread = 0, ""
    for child in _children(body):
        if held > READ_AHEAD * limits.max_chars:  # far past what is kept (see .cap)
            unread = "the rest of the document was not read"
            break
        if child.tag == W + "p":
            b = _para_block(child, ctx)
            if b is not None:
                blocks.append(b)
                held += len(b.text)
            if ctx.paragraphs % 200 == 0:
                check_time("paragraphs")
        elif child.tag == W + "tbl":
            n = len(blocks)
            _table(child, ctx, 0, blocks)
            held += sum(len(b.text) for b in blocks[n:])
    warnings: list[str] = []
    if ctx.images:
        warnings.append(f"{ctx.images} image(s)/object(s) ignored")
    if ctx.deep_tables:
        warnings.append(f"{ctx.deep_tables} table(s) nested deeper than {limits.max_table_depth} levels "
                        "flattened into their cell")
    if not any(b.text for b in blocks):
        raise QuarantineError("no text in .docx" + (f" ({ctx.images} image(s) only: a scan? OCR it)"
                                                     if ctx.images else ""))
    meta = {"format": "docx"}
    if unread:
        meta["unread"] = unread
    if core.get("title"):
        meta["title"] = normalise_inline(core["title"])
    if core.get("author"):
        meta["author"] = normalise_inline(core["author"])
    when = core.get("created") or core.get("modified") or ""
    if _ISO_DAY.match(when):
        meta["date"] = when[:10]
    if core.get("unreadable"):
        warnings.append("document properties unreadable")
    return [Document(blocks, meta, warnings)]


def _sniff_doc(data: bytes, ext: str) -> bool:
    from .registry import OLE_MAGIC

    return data.startswith(OLE_MAGIC)


@register("doc", sniff=_sniff_doc, extensions=(".doc", ".dot"), priority=15)
def read_doc(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read a legacy binary Word .doc by converting it with LibreOffice (``soffice --headless``).

    Raises
    ------
    QuarantineError
        LibreOffice is not installed (the message says how to convert the file), or the
        conversion fails or times out.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise QuarantineError(
            "legacy Word .doc needs LibreOffice to convert it, and soffice is not installed: install "
            "LibreOffice, or open the file in Word and 'Save As' .docx, or run "
            "'soffice --headless --convert-to docx FILE.doc'")
    with tempfile.TemporaryDirectory(prefix="soa-doc-") as tmp:
        src = os.path.join(tmp, "input.doc")
        with open(src, "wb") as fh:
            fh.write(data)
        cmd = [soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
               "--convert-to", "docx", "--outdir", tmp, src]
        try:
            subprocess.run(cmd, capture_output=True, timeout=min(limits.time_budget_s, 120), check=False,
                           env={**os.environ, "HOME": tmp})
        except subprocess.TimeoutExpired:
            raise QuarantineError("LibreOffice timed out converting the .doc; convert it to .docx by hand") from None
        out = os.path.join(tmp, "input.docx")
        if not os.path.exists(out):
            raise QuarantineError("LibreOffice could not convert the .doc (corrupt?); convert it to .docx by hand")
        with open(out, "rb") as fh:
            converted = fh.read()
    docs = read_docx(converted, name=name, limits=limits)
    for d in docs:
        d.meta["format"] = "doc"
        d.warnings.append("converted from .doc with LibreOffice")
    return docs


# --------------------------------------------------------------------------- OpenDocument

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"
META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"


def _odf_inline(el, out: list[str]) -> None:
    if el.text:
        out.append(el.text)
    for child in el:
        tag = child.tag
        if tag == TEXT + "s":
            try:
                out.append(" " * min(int(child.get(TEXT + "c", "1")), 100))
            except ValueError:
                out.append(" ")
        elif tag == TEXT + "tab":
            out.append("\t")
        elif tag == TEXT + "line-break":
            out.append("\n")
        elif tag in (TEXT + "note", OFFICE + "annotation", TEXT + "tracked-changes"):
            pass
        else:
            _odf_inline(child, out)
        if child.tail:
            out.append(child.tail)


def _odf_text(el) -> str:
    out: list[str] = []
    _odf_inline(el, out)
    return normalise_text("".join(out))


def _odf_blocks(el, out: list[Block], limits: Limits, level: int, list_level: int, state: dict) -> None:
    for child in el:
        tag = child.tag
        if tag == TEXT + "h":
            t = _odf_text(child)
            if t:
                try:
                    lvl = int(child.get(TEXT + "outline-level", "1"))
                except ValueError:
                    lvl = 1
                out.append(Block("heading", normalise_inline(t), level=lvl))
        elif tag == TEXT + "p":
            t = _odf_text(child)
            if t:
                checked, rest = split_checkbox(t)
                if checked is not None:
                    out.append(Block("checkbox", rest, level=level, checked=checked))
                elif list_level >= 0:
                    out.append(Block("list_item", t.lstrip(BULLET).strip(), level=list_level))
                else:
                    out.append(Block("para", t, level=level))
        elif tag == TEXT + "list":
            _odf_blocks(child, out, limits, level, list_level + 1, state)
        elif tag in (TEXT + "list-item", TEXT + "list-header", TEXT + "section", OFFICE + "text",
                     TEXT + "index-body"):
            _odf_blocks(child, out, limits, level, list_level, state)
        elif tag == TABLE + "table":
            _odf_table(child, out, limits, level, state)


def _odf_rows(table):
    for child in table:
        if child.tag == TABLE + "table-row":
            yield child
        elif child.tag in (TABLE + "table-rows", TABLE + "table-header-rows", TABLE + "table-row-group"):
            yield from _odf_rows(child)


def _odf_table(table, out: list[Block], limits: Limits, level: int, state: dict) -> None:
    for tr in _odf_rows(table):
        check_time("a table")
        cells: list[str] = []
        nested: list = []
        for tc in tr:
            if tc.tag == TABLE + "covered-table-cell":
                continue  # the merged cell's text is in the covering cell
            if tc.tag != TABLE + "table-cell":
                continue
            parts: list[str] = []
            for sub in tc:
                if sub.tag == TABLE + "table":
                    if level + 1 > limits.max_table_depth:
                        state["deep"] = state.get("deep", 0) + 1
                        parts.append(_odf_text(sub))
                    else:
                        nested.append(sub)
                else:
                    t = _odf_text(sub)
                    if t:
                        parts.append(t)
            cells.append("\n".join(p for p in parts if p))
        block = row_block(cells, level=level)
        if block is not None:
            out.append(block)
        for t in nested:
            _odf_table(t, out, limits, level + 1, state)


def _sniff_odt(data: bytes, ext: str) -> bool:
    names = zip_names(data)
    if not names or "content.xml" not in names:
        return False
    if "mimetype" in names:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                info = zf.getinfo("mimetype")
                if info.file_size > 200:
                    return False
                return zf.read("mimetype").strip() == b"application/vnd.oasis.opendocument.text"
        except Exception:  # noqa: BLE001
            return False
    return ext == ".odt"


def _safe_xml(raw: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    return etree.fromstring(raw, parser)


@register("odt", sniff=_sniff_odt, extensions=(".odt",), priority=12)
def read_odt(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read an OpenDocument text file (zip + XML): headings, paragraphs, lists, tables.

    Raises
    ------
    QuarantineError
        Zip bomb, truncated or corrupt file, or no text.
    """
    zf = open_zip(data, "odt", limits)
    with zf:
        try:
            root = _safe_xml(zf.read("content.xml"))
        except KeyError:
            raise QuarantineError("corrupt .odt: no content.xml") from None
        except Exception as exc:  # noqa: BLE001
            raise QuarantineError(f"corrupt .odt: {type(exc).__name__}: {str(exc)[:150]}") from None
        meta_xml = None
        if "meta.xml" in zf.namelist():
            try:
                meta_xml = _safe_xml(zf.read("meta.xml"))
            except Exception:  # noqa: BLE001
                meta_xml = None
    body = root.find(OFFICE + "body")
    blocks: list[Block] = []
    state: dict = {}
    if body is not None:
        _odf_blocks(body, blocks, limits, 0, -1, state)
    if not any(b.text for b in blocks):
        raise QuarantineError("no text in .odt")
    meta = {"format": "odt"}
    warnings = []
    if state.get("deep"):
        warnings.append(f"{state['deep']} table(s) nested deeper than {limits.max_table_depth} levels flattened")
    if meta_xml is not None:
        for key, tag in (("title", DC + "title"), ("author", META + "initial-creator"), ("date", META + "creation-date")):
            el = meta_xml.find(f".//{tag}")
            if el is not None and el.text:
                meta[key] = el.text.strip()[:10] if key == "date" else normalise_inline(el.text)
    return [Document(blocks, meta, warnings)]


# --------------------------------------------------------------------------- Excel

@register("xlsx", sniff=_sniff_zip_member("xl/workbook.xml"), extensions=(".xlsx", ".xlsm"), priority=11)
def read_xlsx(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read a form export saved as .xlsx (openpyxl, read-only): one Document per non-empty row.

    Every non-empty sheet is read; its first non-empty row holds the headers. ``meta["part"]``
    is ``"row N"`` (or ``"Sheet row N"`` when the workbook has several non-empty sheets).

    Raises
    ------
    QuarantineError
        Zip bomb, truncated or corrupt workbook, or no data rows.
    """
    import openpyxl

    open_zip(data, "xlsx", limits).close()
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on bad workbooks
        raise QuarantineError(f"corrupt .xlsx: {type(exc).__name__}: {str(exc)[:150]}") from None
    try:
        sheets = []
        for ws in wb.worksheets:
            docs = form_documents(ws.iter_rows(values_only=True), fmt="xlsx", limits=limits)
            if docs:
                sheets.append((ws.title, docs))
    finally:
        wb.close()
    if not sheets:
        raise QuarantineError("form export has no data rows (only a header, or empty)")
    out: list[Document] = []
    for title, docs in sheets:
        for d in docs:
            d.meta["sheet"] = title
            if len(sheets) > 1:
                d.meta["part"] = f"{title} {d.meta['part']}"
            out.append(d)
    return out
