"""HTML (BeautifulSoup with the stdlib html.parser) and e-mail (.eml, stdlib ``email``) readers."""

from __future__ import annotations

import email
import re
from email import policy
from email.utils import parseaddr, parsedate_to_datetime
from functools import lru_cache

from ..errors import QuarantineError
from .checkbox import row_block, split_checkbox
from .document import Block, Document
from .encodings import decode_text, looks_like_text
from .limits import Limits, check_time
from .normalise import normalise_inline, normalise_text
from .plaintext import text_blocks
from .registry import read_nested, register

_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_HTML_TAGS = re.compile(rb"<(?:p|div|table|h[1-6]|body|br)\b[^>]*>", re.I)
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_SKIP = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object", "canvas", "select"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "blockquote", "pre",
          "address", "figure", "figcaption", "form", "fieldset", "dl", "dt", "dd", "center", "body", "html"}
_MAX_DEPTH = 200


def _sniff_html(data: bytes, ext: str) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if _HTML_START.match(head):
        return looks_like_text(data)
    return ext in (".html", ".htm", ".xhtml") and looks_like_text(data) and bool(_HTML_TAGS.search(data[:65536]))


class _HtmlWalker:
    """Collects blocks from a parsed HTML tree in reading order."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.blocks: list[Block] = []
        self.buf: list[str] = []
        self.checkbox: bool | None = None
        self.deep_tables = 0

    def flush(self, kind: str = "para", level: int = 0) -> None:
        text = normalise_text("".join(self.buf))
        self.buf = []
        box, self.checkbox = self.checkbox, None
        if not text:
            return
        if box is not None:
            self.blocks.append(Block("checkbox", normalise_inline(text), level=level, checked=box))
            return
        checked, rest = split_checkbox(text)
        if checked is not None:
            self.blocks.append(Block("checkbox", rest, level=level, checked=checked))
        elif kind == "para":
            self.blocks.extend(text_blocks(text) if "\n" in text else [Block("para", text, level=level)])
        else:
            self.blocks.append(Block(kind, normalise_inline(text) if kind == "heading" else text, level=level))

    def walk(self, node, depth: int = 0, list_level: int = -1) -> None:
        from bs4 import Comment, NavigableString, Tag

        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # not CData/ProcessingInstruction/Doctype
                    self.buf.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = (child.name or "").lower()
            if name in _SKIP:
                continue
            if depth > _MAX_DEPTH:
                self.buf.append(child.get_text(" "))
                continue
            if name == "br":
                self.buf.append("\n")
            elif name == "input":
                if (child.get("type") or "").lower() in ("checkbox", "radio"):
                    self.checkbox = child.has_attr("checked")
            elif name in _HEADINGS:
                self.flush()
                self.walk(child, depth + 1, list_level)
                self.flush("heading", _HEADINGS[name])
            elif name in ("ul", "ol", "menu"):
                if list_level >= 0:  # a sub-list: the text so far is the enclosing item's
                    self.flush("list_item", list_level)
                else:
                    self.flush()
                self.walk(child, depth + 1, list_level + 1)
                self.flush()
            elif name == "li":
                self.flush()
                self.walk(child, depth + 1, list_level)
                self.flush("list_item", max(list_level, 0))
            elif name == "table":
                self.flush()
                self.table(child, 0, depth)
            elif name in _BLOCK or name in ("tr", "td", "th"):
                self.flush()
                self.walk(child, depth + 1, list_level)
                self.flush()
            else:
                self.walk(child, depth + 1, list_level)

    def table(self, table, level: int, depth: int) -> None:
        check_time("a table")
        rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
        for tr in rows:
            cells: list[str] = []
            nested = []
            for td in tr.find_all(["td", "th"], recursive=False):
                inner = td.find_all("table")
                top_nested = [t for t in inner if t.find_parent("table") is table or t.find_parent(["td", "th"]) is td]
                for t in top_nested:
                    t.extract()
                if level + 1 > self.limits.max_table_depth:
                    self.deep_tables += len(top_nested)
                    extra = [t.get_text("\n") for t in top_nested]
                    top_nested = []
                else:
                    extra = []
                sub = _HtmlWalker(self.limits)
                sub.walk(td, depth + 1)
                sub.flush()
                texts = [b.text for b in sub.blocks if b.kind != "checkbox"] + [normalise_text(e) for e in extra]
                cells.append("\n".join(t for t in texts if t))
                if any(b.kind == "checkbox" for b in sub.blocks):
                    self.blocks.extend(b for b in sub.blocks if b.kind == "checkbox")
                nested.extend(top_nested)
            block = row_block(cells, level=level)
            if block is not None:
                self.blocks.append(block)
            for t in nested:
                self.table(t, level + 1, depth + 1)


def html_blocks(html: str, limits: Limits) -> tuple[list[Block], dict, list[str]]:
    """Blocks, meta (title) and warnings from an HTML string (script/style dropped)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    meta: dict = {}
    if soup.title and soup.title.string:
        meta["title"] = normalise_inline(str(soup.title.string))
    walker = _HtmlWalker(limits)
    walker.walk(soup)
    walker.flush()
    warnings = []
    if walker.deep_tables:
        warnings.append(f"{walker.deep_tables} table(s) nested deeper than {limits.max_table_depth} levels flattened")
    return walker.blocks, meta, warnings


@register("html", sniff=_sniff_html, extensions=(".html", ".htm", ".xhtml"), priority=60)
def read_html(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read an HTML page: text only; h1-h6 -> headings, li -> list items, tables -> rows.

    Raises
    ------
    QuarantineError
        Binary content or no text.
    """
    text, enc = decode_text(data)
    blocks, meta, warnings = html_blocks(text, limits)
    if not any(b.text for b in blocks):
        raise QuarantineError("no text in .html")
    meta.update({"format": "html", "encoding": enc})
    return [Document(blocks, meta, warnings)]


# --------------------------------------------------------------------------- e-mail

_HEADER_LINE = re.compile(rb"^(?:From|To|Subject|Date|Received|Return-Path|Message-ID|MIME-Version|"
                          rb"Content-Type|Delivered-To|X-[\w-]+|Reply-To|Cc):[ \t]", re.I)


@lru_cache(maxsize=512)
def _parsed_header(name: str, value: str):
    return policy.default.header_fetch_parse(name, value)


class _ParseOncePolicy(policy.EmailPolicy):
    """``policy.default``, parsing each header value once.

    Under ``policy.default`` every read of a header parses its value again, and the stdlib reads
    a part's Content-Type (and Content-Disposition) each time it asks for the part's type, which
    finding the body and the attachments does over and over: most of the time an e-mail took to
    read. Here a (name, value) already parsed gives the header object made then (a header object
    is never changed after it is made), so the headers are the same as ``policy.default``'s.
    """

    def header_fetch_parse(self, name, value):
        if isinstance(value, str) and not hasattr(value, "name"):  # (a header object has a name)
            return _parsed_header(name, value)
        return super().header_fetch_parse(name, value)


_POLICY = _ParseOncePolicy()  # the settings of policy.default (itself EmailPolicy())


def _sniff_eml(data: bytes, ext: str) -> bool:
    if not looks_like_text(data[:8192]):
        return False
    head = data[:4096].lstrip(b"\xef\xbb\xbf").replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].split(b"\n")[:40]
    hits = sum(bool(_HEADER_LINE.match(line)) for line in head)
    if ext == ".eml":
        return hits >= 1
    return hits >= 3 and bool(_HEADER_LINE.match(head[0]) or head[0].startswith(b"From "))


def _iso_date(value: str) -> str:
    try:
        return parsedate_to_datetime(value).date().isoformat()
    except Exception:  # noqa: BLE001 - malformed Date header
        return ""


def _part_text(part) -> str:
    try:
        content = part.get_content()
    except Exception:  # noqa: BLE001 - unknown charset or broken transfer encoding
        payload = part.get_payload(decode=True) or b""
        content = decode_text(payload)[0] if payload else ""
    if isinstance(content, bytes):
        content = decode_text(content)[0]
    return content if isinstance(content, str) else ""


def _attachment_name(part, index: int) -> str:
    name = part.get_filename()
    if not name and part.get_content_type() == "message/rfc822":
        name = f"attachment-{index}.eml"
    return normalise_inline(name or f"attachment-{index}")


@register("eml", sniff=_sniff_eml, extensions=(".eml",), priority=50)
def read_eml(data: bytes, *, name: str, limits: Limits) -> list[Document]:
    """Read an e-mail: the body (text/plain preferred, else html) as one Document, and each
    attachment in a supported format as a Document of its own.

    Every Document gets ``meta`` ``date`` (ISO, from the Date header; an attachment's own
    property date is kept as ``document_date``; an attached e-mail keeps its own headers),
    ``sender`` (the From address) and ``subject``; attachment Documents also get ``part`` ("attachment N:
    filename"), ``attachment`` (the file name) and their own ``format``. Attachments that
    cannot be read (images, signatures, unsupported formats) are listed in the body's
    warnings, or in the first Document's when the body is empty.

    Raises
    ------
    QuarantineError
        Neither the body nor any attachment has text.
    """
    msg = email.message_from_bytes(data, policy=_POLICY)
    common: dict = {}
    try:
        sender = parseaddr(str(msg.get("From", "")))[1]
    except Exception:  # noqa: BLE001 - malformed address header
        sender = ""
    if sender:
        common["sender"] = sender.lower()
    date = _iso_date(str(msg.get("Date", "") or ""))
    if date:
        common["date"] = date
    try:
        subject = normalise_inline(str(msg.get("Subject", "") or ""))
    except Exception:  # noqa: BLE001
        subject = ""
    if subject:
        common["subject"] = subject
    warnings: list[str] = []
    docs: list[Document] = []
    body_part = None
    try:
        body_part = msg.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001
        body_part = None
    if body_part is not None:
        text = _part_text(body_part)
        if body_part.get_content_subtype() == "html":
            blocks, _, w = html_blocks(text, limits)
            warnings.extend(w)
        else:
            blocks = text_blocks(text)
        if any(b.text for b in blocks):
            docs.append(Document(blocks, {"format": "eml", "part": "body", **common}))
    attachments = []
    try:
        attachments = list(msg.iter_attachments())
    except Exception:  # noqa: BLE001 - not multipart or broken structure
        attachments = []
    skipped: list[str] = []
    for i, part in enumerate(attachments, 1):
        check_time(f"attachment {i}")
        fname = _attachment_name(part, i)
        try:
            if part.get_content_type() == "message/rfc822":
                inner = part.get_content()
                payload = inner.as_bytes() if hasattr(inner, "as_bytes") else bytes(inner)
            else:
                payload = part.get_payload(decode=True) or b""
            sub = read_nested(payload, name=fname, limits=limits)
        except QuarantineError as exc:
            skipped.append(f"attachment {i}: {fname} not read: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001
            skipped.append(f"attachment {i}: {fname} not read: {type(exc).__name__}")
            continue
        for j, d in enumerate(sub):
            inner_part = d.meta.get("part")
            if d.meta.get("format") == "eml":
                d.meta = {**common, **d.meta}  # a forwarded message keeps its own sender and date
            else:
                if d.meta.get("date") and common.get("date") and d.meta["date"] != common["date"]:
                    d.meta["document_date"] = d.meta["date"]  # the file's own property; the e-mail's Date wins
                d.meta = {**d.meta, **common}
            d.meta["part"] = f"attachment {i}: {fname}" + (f" {inner_part}" if inner_part and len(sub) > 1 else "")
            d.meta["attachment"] = fname
            docs.append(d)
    if not docs:
        reason = "e-mail has no text in its body and no readable attachment"
        if skipped:
            reason += " (" + "; ".join(skipped)[:300] + ")"
        raise QuarantineError(reason)
    docs[0].warnings.extend(warnings + skipped)
    return docs
