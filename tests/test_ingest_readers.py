"""Readers on fixture documents built here (all content fictional), and hostile files.

Expected values come from the readers' specification (docs of soa_analysis.ingest.readers):
what block kinds, cells and tick states a given construct must produce.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from email.message import EmailMessage

import pytest

from soa_analysis.errors import QuarantineError
from soa_analysis.ingest.readers import Limits, detect_format, read_bytes, read_file, split_checkbox

FICTION = "FICTIONAL TEST CASE - not a real submission."
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"


# --------------------------------------------------------------------------- fixture builders

def _docx_bytes(build) -> bytes:
    import docx

    d = docx.Document()
    build(d)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _sdt_checkbox_paragraph(label: str, checked: bool):
    """A paragraph holding a w14:checkbox content control then the label, as Word writes it."""
    from docx.oxml import parse_xml

    glyph = "\u2612" if checked else "\u2610"
    xml = (
        f'<w:p xmlns:w="{W_NS}" xmlns:w14="{W14_NS}">'
        f'<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="{1 if checked else 0}"/>'
        f'<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
        f'<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
        f'<w:sdtContent><w:r><w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>'
        f'<w:r><w:t xml:space="preserve"> {label}</w:t></w:r></w:p>'
    )
    return parse_xml(xml)


def _formcheckbox_paragraph(label: str, *, checked: str | None, default: str = "0"):
    """A legacy FORMCHECKBOX field: w:checked (if given) overrides w:default."""
    from docx.oxml import parse_xml

    checked_xml = "" if checked is None else (f'<w:checked w:val="{checked}"/>' if checked else "<w:checked/>")
    xml = (
        f'<w:p xmlns:w="{W_NS}">'
        f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check1"/><w:enabled/>'
        f'<w:checkBox><w:sizeAuto/><w:default w:val="{default}"/>{checked_xml}</w:checkBox></w:ffData>'
        f'</w:fldChar></w:r><w:r><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'
        f'<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {label}</w:t></w:r></w:p>'
    )
    return parse_xml(xml)


def _case_study_2009(d) -> None:
    d.add_paragraph(FICTION)
    d.add_heading("SOA good practice case study", level=1)
    t = d.add_table(rows=3, cols=2)
    t.cell(0, 0).text = "1 Name of SOA case study"
    t.cell(0, 1).text = "Glenbrae Family Hub (fictional)"
    t.cell(1, 0).text = "2 What was the local need addressed by this SOA case study?"
    t.cell(1, 1).text = "Young families in Glenbrae lacked support."
    t.cell(2, 0).text = "3 What was done - and by which partners?"
    t.cell(2, 1).text = "The council and NHS Glenbrae opened a hub."
    d.add_paragraph("First action", style="List Bullet")
    p = d.add_paragraph()
    p.add_run("Contact details of lead officer").bold = True
    d.add_paragraph("A body paragraph that ends with a full stop.")


def _merged_and_nested(d) -> None:
    t = d.add_table(rows=2, cols=3)
    t.cell(0, 0).merge(t.cell(0, 1)).text = "Merged question"
    t.cell(0, 2).text = "Answer A"
    t.cell(1, 0).text = "Outer"
    inner_cell = t.cell(1, 1)
    inner_cell.text = "Holder"
    inner = inner_cell.add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "Inner left"
    inner.cell(0, 1).text = "Inner right"
    t.cell(1, 2).text = "Tail"


def _checkboxes(d) -> None:
    body = d.element.body
    sect = body[-1]
    for el in (
        _sdt_checkbox_paragraph("Economic recovery", True),
        _sdt_checkbox_paragraph("Children's early years", False),
        _formcheckbox_paragraph("Health inequalities", checked=None, default="1"),
        _formcheckbox_paragraph("Partnership working", checked="0", default="1"),
        _formcheckbox_paragraph("Community engagement and feedback", checked=""),
    ):
        sect.addprevious(el)
    d.add_paragraph("Engagement of the voluntary sector \u2713")
    d.add_paragraph("\u2610 Engagement of the business sector")
    t = d.add_table(rows=3, cols=2)
    t.cell(0, 0).text = "Localisation of the SOA / local Community Planning"
    t.cell(0, 1).text = "X"
    t.cell(1, 0).text = "\u2610"
    t.cell(1, 1).text = "Better use of resources"
    t.cell(2, 0).text = "Improved performance attributable to the SOA approach"
    t.cell(2, 1).text = "\u2714"


def _pdf_bytes(lines: list[str], *, table: list[list[str]] | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    y = 800
    for line in lines:
        c.drawString(60, y, line)
        y -= 18
    if table:
        y -= 10
        x0, w, h = 60, 230, 24
        for r, row in enumerate(table):
            for k, cell in enumerate(row):
                c.rect(x0 + k * w, y - h, w, h)
                c.drawString(x0 + k * w + 4, y - 16, cell)
            y -= h
    c.showPage()
    c.save()
    return buf.getvalue()


def _blank_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.rect(100, 100, 200, 200, fill=1)  # a drawing, no text: like a scan
    c.showPage()
    c.save()
    return buf.getvalue()


def _xlsx_bytes(rows) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def kinds(doc):
    return [(b.kind, b.text) for b in doc.blocks]


# --------------------------------------------------------------------------- docx

@pytest.fixture(params=[True, False], ids=["lxml-fast-path", "python-docx"])
def docx_engine(request, monkeypatch):
    """Run a docx test through both ways of opening the package."""
    from soa_analysis.ingest import readers_office

    monkeypatch.setattr(readers_office, "FAST_DOCX", request.param)
    return request.param


@pytest.mark.usefixtures("docx_engine")
def test_docx_form_table_headings_lists():
    doc, = read_bytes(_docx_bytes(_case_study_2009), name="case.docx")
    assert doc.meta["format"] == "docx"
    assert doc.meta["file_name"] == "case.docx"
    assert doc.meta["date"] == "2013-12-23"  # python-docx's default template's creation date"
    got = kinds(doc)
    assert ("heading", "SOA good practice case study") in got
    rows = [b for b in doc.blocks if b.kind == "row"]
    assert [r.cells for r in rows] == [
        ["1 Name of SOA case study", "Glenbrae Family Hub (fictional)"],
        ["2 What was the local need addressed by this SOA case study?", "Young families in Glenbrae lacked support."],
        ["3 What was done - and by which partners?", "The council and NHS Glenbrae opened a hub."],
    ]
    assert rows[0].text == "1 Name of SOA case study | Glenbrae Family Hub (fictional)"
    assert ("list_item", "First action") in got
    assert ("heading", "Contact details of lead officer") in got  # bold short paragraph
    assert ("para", "A body paragraph that ends with a full stop.") in got
    # reading order: heading, then the three rows, then the list item
    order = [k for k, _ in got]
    assert order.index("heading") < order.index("row") < order.index("list_item")


@pytest.mark.usefixtures("docx_engine")
def test_docx_merged_cells_once_and_nested_table_level():
    doc, = read_bytes(_docx_bytes(_merged_and_nested), name="m.docx")
    rows = [b for b in doc.blocks if b.kind == "row"]
    assert rows[0].cells == ["Merged question", "Answer A"]  # merged cell not repeated
    assert (rows[1].cells, rows[1].level) == (["Outer", "Holder", "Tail"], 0)
    assert (rows[2].cells, rows[2].level) == (["Inner left", "Inner right"], 1)


@pytest.mark.usefixtures("docx_engine")
def test_docx_nesting_deeper_than_limit_is_flattened_with_warning():
    doc, = read_bytes(_docx_bytes(_merged_and_nested), name="m.docx", limits=Limits(max_table_depth=0))
    rows = [b for b in doc.blocks if b.kind == "row"]
    assert len(rows) == 2
    assert "Inner left\nInner right" in rows[1].cells[1]
    assert any("nested deeper than 0" in w for w in doc.warnings)


@pytest.mark.usefixtures("docx_engine")
def test_docx_vertical_merge_continuation_is_empty():
    def build(d):
        t = d.add_table(rows=2, cols=2)
        t.cell(0, 0).merge(t.cell(1, 0)).text = "Question"
        t.cell(0, 1).text = "Part one"
        t.cell(1, 1).text = "Part two"

    doc, = read_bytes(_docx_bytes(build), name="v.docx")
    assert [b.cells for b in doc.blocks] == [["Question", "Part one"], ["", "Part two"]]


@pytest.mark.parametrize(
    "label, checked",
    [
        ("Economic recovery", True),                    # w14:checkbox checked=1
        ("Children's early years", False),              # w14:checkbox checked=0
        ("Health inequalities", True),                  # FORMCHECKBOX default=1, no w:checked
        ("Partnership working", False),                 # FORMCHECKBOX w:checked val=0 overrides default
        ("Community engagement and feedback", True),    # FORMCHECKBOX bare <w:checked/>
        ("Engagement of the voluntary sector", True),   # tick character beside the item
        ("Engagement of the business sector", False),   # ballot box alone = unticked
        ("Localisation of the SOA / local Community Planning", True),  # lone X cell
        ("Better use of resources", False),             # ballot box cell
        ("Improved performance attributable to the SOA approach", True),  # heavy check cell
    ],
)
@pytest.mark.usefixtures("docx_engine")
def test_docx_checkboxes(label, checked):
    doc, = read_bytes(_docx_bytes(_checkboxes), name="c.docx")
    boxes = {b.text: b.checked for b in doc.blocks if b.kind == "checkbox"}
    assert boxes[label] is checked


@pytest.mark.usefixtures("docx_engine")
def test_docx_private_use_bullets_and_images_warning():
    def build(d):
        d.add_paragraph("\uf0b7\tImproved access to services")

    doc, = read_bytes(_docx_bytes(build), name="b.docx")
    assert kinds(doc) == [("list_item", "Improved access to services")]


# --------------------------------------------------------------------------- pdf

def test_pdf_text_and_ruled_table_rows():
    data = _pdf_bytes(
        [FICTION, "Name of case study: Glenbrae Walking Group"],
        table=[["Question", "Answer"], ["Partners involved", "Glenbrae Leisure Trust"]],
    )
    doc, = read_bytes(data, name="c.pdf")
    assert doc.meta["format"] == "pdf"
    assert "Glenbrae Walking Group" in doc.text
    rows = [b for b in doc.blocks if b.kind == "row"]
    assert [r.cells for r in rows] == [["Question", "Answer"], ["Partners involved", "Glenbrae Leisure Trust"]]
    # table text is not duplicated as plain text
    assert doc.text.count("Glenbrae Leisure Trust") == 1
    # reading order: the text lines come before the table
    assert doc.blocks[-1].kind == "row"


def test_pdf_without_text_layer_is_quarantined():
    with pytest.raises(QuarantineError, match=r"PDF has no text layer \(scanned image\?\); OCR it"):
        read_bytes(_blank_pdf(), name="scan.pdf")


def test_pdf_encrypted_with_password_is_quarantined():
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for p in PdfReader(io.BytesIO(_pdf_bytes([FICTION]))).pages:
        w.add_page(p)
    w.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    w.write(buf)
    with pytest.raises(QuarantineError, match="encrypted"):
        read_bytes(buf.getvalue(), name="locked.pdf")


def test_pdf_paragraph_running_over_a_page_break_is_joined():
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(60, 800, "The fictional Glenbrae hub supported young families in the area")
    c.showPage()
    c.drawString(60, 800, "and their children until the end of the pilot.")
    c.drawString(60, 760, "Next steps:")
    c.showPage()
    c.save()
    doc, = read_bytes(buf.getvalue(), name="p.pdf")
    assert kinds(doc) == [
        ("para", "The fictional Glenbrae hub supported young families in the area and their children until the "
                 "end of the pilot."),
        ("heading", "Next steps:"),
    ]


def test_pdf_max_pages_warns():
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for i in range(3):
        c.drawString(60, 800, f"Page {i + 1} of a fictional report.")
        c.showPage()
    c.save()
    doc, = read_bytes(buf.getvalue(), name="r.pdf", limits=Limits(max_pages=2))
    assert "Page 2" in doc.text and "Page 3" not in doc.text
    assert any("first 2 of 3 pages" in w for w in doc.warnings)


# --------------------------------------------------------------------------- text encodings

TEXT = "Need:\nFamilies in Glenbrae\u2019s caf\u00e9 district \u2013 fictional.\n"


@pytest.mark.parametrize(
    "encoded, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8 with BOM"),
        (TEXT.encode("utf-16"), "utf-16"),  # BOM written by the codec
        (TEXT.encode("cp1252"), "windows-1252"),
        (TEXT.replace("\u2019", "'").replace("\u2013", "-").encode("latin-1"), "windows-1252"),
        ((TEXT.replace("\n", "\r\n")).encode("utf-8"), "utf-8"),
    ],
)
def test_txt_encodings(encoded, encoding):
    doc, = read_bytes(encoded, name="note.txt")
    assert doc.meta["encoding"] == encoding
    assert doc.blocks[0].kind == "heading" and doc.blocks[0].text == "Need:"
    assert "caf\u00e9 district" in doc.blocks[1].text
    assert "\r" not in doc.text


def test_markdown_headings_lists_and_checkboxes():
    md = "# Case study\n\nText of the case.\n\n## Partners\n- NHS Glenbrae\n  - sub item\n[x] Partnership working\n[ ] Other key local issues\n"
    doc, = read_bytes(md.encode(), name="c.md")
    assert kinds(doc) == [
        ("heading", "Case study"), ("para", "Text of the case."), ("heading", "Partners"),
        ("list_item", "NHS Glenbrae"), ("list_item", "sub item"),
        ("checkbox", "Partnership working"), ("checkbox", "Other key local issues"),
    ]
    assert [b.level for b in doc.blocks[:5]] == [1, 0, 2, 0, 1]
    assert [b.checked for b in doc.blocks[5:]] == [True, False]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("\u2612 Partnership working", (True, "Partnership working")),
        ("\u2611Partnership working", (True, "Partnership working")),
        ("Partnership working \u2718", (True, "Partnership working")),
        ("\u2610 Partnership working", (False, "Partnership working")),
        ("[X] Partnership working", (True, "Partnership working")),
        ("Partnership working", (None, "Partnership working")),
        ("\u2610 A \u2612 B", (None, "\u2610 A \u2612 B")),
    ],
)
def test_split_checkbox(text, expected):
    assert split_checkbox(text) == expected


# --------------------------------------------------------------------------- html, rtf, odt

def test_html_text_only_headings_rows_lists():
    html = (
        "<html><head><title>Fictional SOA page</title><style>p{}</style></head><body>"
        "<script>var secret = 1;</script><h2>Need</h2><p>Families <b>lacked</b> support.</p>"
        "<ul><li>one<ul><li>two</li></ul></li></ul>"
        "<table><tr><th>Q</th><th>A</th></tr><tr><td>Partners</td><td>NHS Glenbrae</td></tr></table>"
        "<label><input type='checkbox' checked> Partnership working</label></body></html>"
    )
    doc, = read_bytes(html.encode(), name="p.html")
    assert doc.meta["title"] == "Fictional SOA page"
    assert "secret" not in doc.text and "p{}" not in doc.text
    assert kinds(doc) == [
        ("heading", "Need"), ("para", "Families lacked support."), ("list_item", "one"), ("list_item", "two"),
        ("row", "Q | A"), ("row", "Partners | NHS Glenbrae"), ("checkbox", "Partnership working"),
    ]
    assert doc.blocks[0].level == 2 and doc.blocks[3].level == 1


def test_rtf():
    rtf = rb"{\rtf1\ansi{\fonttbl\f0\fswiss Helvetica;}\f0\pard Name of case study:\par Glenbrae Men's Shed (fictional)\par}"
    doc, = read_bytes(rtf, name="c.rtf")
    assert kinds(doc) == [("heading", "Name of case study:"), ("para", "Glenbrae Men's Shed (fictional)")]


def _odt_bytes() -> bytes:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">'
        "<office:body><office:text>"
        '<text:h text:outline-level="1">Case study</text:h>'
        "<text:p>Fictional<text:s text:c=\"2\"/>text.</text:p>"
        "<text:list><text:list-item><text:p>Item</text:p></text:list-item></text:list>"
        "<table:table><table:table-row><table:table-cell table:number-columns-spanned=\"2\"><text:p>Merged</text:p>"
        "</table:table-cell><table:covered-table-cell/></table:table-row></table:table>"
        "</office:text></office:body></office:document-content>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def test_odt():
    doc, = read_bytes(_odt_bytes(), name="c.odt")
    assert kinds(doc) == [("heading", "Case study"), ("para", "Fictional text."), ("list_item", "Item"),
                          ("row", "Merged")]
    assert doc.blocks[3].cells == ["Merged"]


# --------------------------------------------------------------------------- e-mail

def _eml(*, attach: bytes | None = None, attach_name: str = "case.docx", body: str = "Please find attached. " + FICTION) -> bytes:
    m = EmailMessage()
    m["From"] = "Community Planning <cp.team@glenbrae.example>"
    m["To"] = "soa@example.org"
    m["Subject"] = "SOA case study (fictional)"
    m["Date"] = "Tue, 09 Mar 2010 10:15:00 +0000"
    m.set_content(body)
    if attach is not None:
        m.add_attachment(attach, maintype="application", subtype="octet-stream", filename=attach_name)
    return m.as_bytes()


def test_eml_body_and_docx_attachment():
    data = _eml(attach=_docx_bytes(_case_study_2009))
    body, att = read_bytes(data, name="mail.eml")
    assert body.meta["format"] == "eml" and body.meta["part"] == "body"
    assert body.meta["date"] == "2010-03-09" and body.meta["sender"] == "cp.team@glenbrae.example"
    assert "Please find attached" in body.text
    assert att.meta["format"] == "docx"
    assert att.meta["part"] == "attachment 1: case.docx"
    assert att.meta["attachment"] == "case.docx"
    assert att.meta["sender"] == "cp.team@glenbrae.example"
    assert any(b.kind == "row" for b in att.blocks)


def test_eml_with_empty_body_yields_the_attachment_only():
    data = _eml(attach=_docx_bytes(_case_study_2009), body="")
    docs = read_bytes(data, name="mail.eml")
    assert [d.meta["format"] for d in docs] == ["docx"]
    assert docs[0].meta["date"] == "2010-03-09"


def test_eml_unreadable_attachment_is_a_warning():
    data = _eml(attach=b"\x89PNG\r\n\x1a\n" + bytes(50), attach_name="logo.png")
    docs = read_bytes(data, name="mail.eml")
    assert len(docs) == 1
    assert any("attachment 1: logo.png not read" in w and "PNG image" in w for w in docs[0].warnings)


def test_eml_headers_parsed_once_read_as_under_the_default_policy(monkeypatch):
    # the reader's policy reuses a header parsed before; the Documents equal policy.default's
    from email import policy

    from soa_analysis.ingest import readers_web

    inner, m = _forwarding("=?utf-8?q?Se=C3=B1or_Officer?= <officer@westmuir.example>",
                           "=?utf-8?b?Q2FzZSBzdHVkeSDigJMgZmljdGlvbmFs?=",
                           "Community Planning <cp.team@glenbrae.example>", "Two attachments (fictional)")
    m.set_content("Please find attached. " + FICTION)
    m.add_attachment(_docx_bytes(_case_study_2009), maintype="application", subtype="octet-stream",
                     filename="case.docx")
    m.add_attachment(b"\x89PNG\r\n\x1a\n" + bytes(50), maintype="image", subtype="png", filename="logo.png")
    m.add_attachment(inner)
    mails = [m.as_bytes(), _eml(attach=_docx_bytes(_case_study_2009)), _eml(body=""  + FICTION),
             b"From: a@b.example\nTo: c@d.example\nSubject: =?bogus?q?x?=\nContent-Type: text/plain; charset=nonsense\n\n"
             b"FICTIONAL body of a message with an unknown charset."]
    parsed_once = [read_bytes(data, name="mail.eml") for data in mails * 2]  # the second time from the cache
    monkeypatch.setattr(readers_web, "_POLICY", policy.default)
    default = [read_bytes(data, name="mail.eml") for data in mails * 2]
    assert parsed_once == default
    assert len(parsed_once[0]) == 3 and parsed_once[0][2].meta["sender"] == "officer@westmuir.example"


# --------------------------------------------------------------------------- form exports

def test_csv_one_document_per_nonempty_row():
    csv_text = "Name of CPP;Name of case study;Brief outline\nGlenbrae Partnership;Hub;Fictional outline\n;;\nWestmuir;Walks;\n"
    docs = read_bytes(csv_text.encode("cp1252"), name="export.csv")
    assert len(docs) == 2
    assert docs[0].meta["fields"] == {"Name of CPP": "Glenbrae Partnership", "Name of case study": "Hub",
                                      "Brief outline": "Fictional outline"}
    assert docs[0].meta["part"] == "row 2" and docs[1].meta["part"] == "row 4"
    assert kinds(docs[1]) == [("heading", "Name of CPP"), ("para", "Westmuir"), ("heading", "Name of case study"),
                              ("para", "Walks"), ("heading", "Brief outline")]


def test_form_export_title_row_above_headers_and_trailing_commas():
    csv_text = "Export of responses (fictional),,\nName of CPP,Outline,\nGlenbrae Partnership,A pilot,\n"
    doc, = read_bytes(csv_text.encode(), name="export.csv")
    assert doc.meta["fields"] == {"Name of CPP": "Glenbrae Partnership", "Outline": "A pilot"}
    assert doc.meta["title_row"] == "Export of responses (fictional)"
    assert doc.meta["part"] == "row 3"


def test_xlsx_rows_and_max_rows_guard():
    rows = [["Name of CPP", "Description of activity"]] + [[f"CPP {i}", f"Fictional activity {i}"] for i in range(5)]
    docs = read_bytes(_xlsx_bytes(rows), name="export.xlsx")
    assert [d.meta["fields"]["Name of CPP"] for d in docs] == [f"CPP {i}" for i in range(5)]
    assert docs[0].meta["format"] == "xlsx" and docs[0].meta["part"] == "row 2"
    docs = read_bytes(_xlsx_bytes(rows), name="export.xlsx", limits=Limits(max_rows=3))
    assert len(docs) == 3
    assert "2 row(s) beyond Limits.max_rows=3" in docs[0].warnings[0]


# --------------------------------------------------------------------------- sniffing and hostile files

def test_content_wins_over_extension_with_warning():
    data = _docx_bytes(_case_study_2009)
    doc, = read_bytes(data, name="case.txt")
    assert doc.meta["format"] == "docx"
    assert any("extension .txt does not match content (docx)" in w for w in doc.warnings)


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))  # 20 MB of zeros -> ~20 KB
    return buf.getvalue()


@pytest.mark.parametrize(
    "data, name, reason",
    [
        (b"", "empty.docx", r"^empty file \(0 bytes\)$"),
        (b"", "empty.txt", r"^empty file \(0 bytes\)$"),
        (None, "trunc.docx", r"^truncated or corrupt \.docx: not a valid zip archive"),
        (bytes(range(256)) * 40, "junk.txt", r"^binary content, not text"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "scan.png", r"^unsupported format: PNG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.xls", r"^unsupported format: legacy Excel"),
        (b"{}", "data.json", r"^unsupported file type '\.json'"),
        (None, "bomb.docx", r"^possible zip bomb: member 'word/document\.xml' of \.docx compressed"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "EncryptedPackage".encode("utf-16-le") + bytes(600),
         "locked.docx", r"^password-protected \(encrypted\) Office document"),
        (b"PK\x03\x04" + bytes(30), "cut.xlsx", r"^truncated or corrupt \.xlsx: not a valid zip archive"),
        (b"%PDF-1.4\n1 0 obj\n<<", "cut.pdf", r"^(truncated or corrupt \.pdf|PDF has no pages)"),
    ],
)
def test_hostile_files_are_quarantined_with_a_specific_reason(data, name, reason):
    if name == "trunc.docx":
        full = _docx_bytes(_case_study_2009)
        data = full[: len(full) // 2]
    if name == "bomb.docx":
        data = _zip_bomb()
    with pytest.raises(QuarantineError, match=reason):
        read_bytes(data, name=name)


def test_zip_bomb_total_size_cap_checked_before_decompressing():
    limits = Limits(max_unzipped_bytes=1024 * 1024, max_zip_ratio=1e9)
    with pytest.raises(QuarantineError, match=r"possible zip bomb: \.docx would unpack to 20,971,"):
        read_bytes(_zip_bomb(), name="bomb.docx", limits=limits)


def test_doc_without_soffice_says_how_to_convert(monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000)
    with pytest.raises(QuarantineError, match=r"LibreOffice.*'Save As' \.docx"):
        read_bytes(ole, name="old.doc")


def test_file_too_large(tmp_path):
    p = tmp_path / "big.txt"
    p.write_bytes(b"a" * 2000)
    with pytest.raises(QuarantineError, match=r"file too large: 2,000 bytes \(limit 1,000\)"):
        read_file(p, limits=Limits(max_file_bytes=1000))


def test_unexpected_reader_exception_becomes_reader_error(monkeypatch):
    from soa_analysis.ingest import readers

    def boom(data, *, name, limits):
        raise ZeroDivisionError("division by zero")

    spec = readers.READERS["txt"]
    monkeypatch.setitem(readers.READERS, "txt", spec.__class__("txt", boom, spec.sniff, spec.extensions, spec.priority))
    with pytest.raises(QuarantineError, match=r"^reader error: ZeroDivisionError: division by zero$"):
        read_bytes(b"plain text", name="a.txt")


@pytest.mark.parametrize(
    "data, name, fmt",
    [
        (b"%PDF-1.4\n", "x.bin", "pdf"),
        (b"{\\rtf1 hi}", "x.doc", "rtf"),
        (b"<!DOCTYPE html><html><body><p>x</p></body></html>", "x.txt", "html"),
        (b"From: a@b.example\nTo: c@d.example\nSubject: hi\n\nbody", "x.txt", "eml"),
        (b"plain words", "x.md", "md"),
        (b"a,b\n1,2\n", "x.csv", "csv"),
        (b"plain words", "README", "txt"),
    ],
)
def test_detect_format_by_content(data, name, fmt):
    assert detect_format(data, name)[0] == fmt


def test_doc_is_converted_with_soffice_when_installed(tmp_path, monkeypatch):
    """A stand-in soffice checks the command line LibreOffice needs and writes the converted file."""
    import shutil
    import stat
    import sys

    converted = tmp_path / "converted.docx"
    converted.write_bytes(_docx_bytes(_case_study_2009))
    fake = tmp_path / "soffice"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import sys, shutil, os\n"
        "a = sys.argv[1:]\n"
        "assert '--headless' in a and a[a.index('--convert-to') + 1] == 'docx', a\n"
        "out = a[a.index('--outdir') + 1]\n"
        "src = a[-1]\n"
        f"shutil.copy({str(converted)!r}, os.path.join(out, os.path.splitext(os.path.basename(src))[0] + '.docx'))\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(shutil, "which", lambda name: str(fake) if name == "soffice" else None)
    doc, = read_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000), name="old.doc")
    assert doc.meta["format"] == "doc"
    assert "converted from .doc with LibreOffice" in doc.warnings
    assert any(b.kind == "row" and b.cells[0] == "1 Name of SOA case study" for b in doc.blocks)


@pytest.mark.parametrize(
    "style_xml, sid, name",
    [
        ('<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>',
         "berschrift1", "heading 1"),                               # name next to the id: regex path
        ('<w:style w:styleId="Kop1"><w:basedOn w:val="Normal"/><w:name w:val="heading 2"/></w:style>',
         "Kop1", "heading 2"),                                      # name further down: parsed
        ('<w:style w:styleId="Q"><w:name w:val="A &amp; B"/></w:style>', "Q", "A & B"),
        ('<w:style w:styleId="Q"><w:name w:val="x"/></w:style>', "Missing", "Missing"),  # unknown id: the id
    ],
)
def test_docx_style_names_resolved_lazily(style_xml, sid, name):
    from soa_analysis.ingest.readers_office import _Styles

    raw = f'<w:styles xmlns:w="{W_NS}">{style_xml}</w:styles>'.encode()
    assert _Styles(raw=raw).get(sid, sid) == name


def test_html_nested_table_rows_follow_with_level():
    html = ("<table><tr><td>Outer question</td><td>Holder<table><tr><td>Inner a</td><td>Inner b</td></tr>"
            "</table></td></tr><tr><td>Second</td><td>Row</td></tr></table>")
    doc, = read_bytes(html.encode(), name="t.html")
    assert [(b.cells, b.level) for b in doc.blocks] == [
        (["Outer question", "Holder"], 0), (["Inner a", "Inner b"], 1), (["Second", "Row"], 0)]


def _forwarding(inner_from: str, inner_subject: str, outer_from: str, outer_subject: str):
    """A fictional message to forward (undated, its body written) and the dated outer message (no body yet)."""
    inner = EmailMessage()
    inner["From"] = inner_from
    inner["Subject"] = inner_subject
    inner.set_content("FICTIONAL forwarded case study text about a youth employment pilot.")
    m = EmailMessage()
    m["From"] = outer_from
    m["Subject"] = outer_subject
    m["Date"] = "Mon, 01 Feb 2010 09:00:00 +0000"
    return inner, m


def test_eml_html_only_body_and_forwarded_message():
    inner, m = _forwarding("officer@westmuir.example", "Original (fictional)", "forwarder@glenbrae.example",
                           "Fwd (fictional)")
    m.set_content("<html><body><h2>Need</h2><p>FICTIONAL html body.</p></body></html>", subtype="html")
    m.add_attachment(inner)
    body, fwd = read_bytes(m.as_bytes(), name="fwd.eml")
    assert kinds(body) == [("heading", "Need"), ("para", "FICTIONAL html body.")]
    assert fwd.meta["format"] == "eml" and fwd.meta["part"].startswith("attachment 1:")
    assert "youth employment pilot" in fwd.text
    assert fwd.meta["sender"] == "officer@westmuir.example"  # a forwarded message keeps its own sender
    assert fwd.meta["date"] == "2010-02-01"  # ... and the outer date when it has none


@pytest.mark.parametrize(
    "text, expected",
    [
        # a question wrapped at the page width is one heading, not a heading and a fragment
        ("4 What is the evidence of the benefits for communities - or if the benefits\n"
         "are still to be delivered, what is the timeline for that?\nFewer falls were recorded (fictional).",
         [("heading", "4 What is the evidence of the benefits for communities - or if the benefits "
                      "are still to be delivered, what is the timeline for that?"),
          ("para", "Fewer falls were recorded (fictional).")]),
        # a wrapped paragraph is one para; a short line ends it
        ("The partnership opened a hub in the fictional town of Glenbrae and\nworked with families.\nContact",
         [("para", "The partnership opened a hub in the fictional town of Glenbrae and worked with families."),
          ("para", "Contact")]),
        # hyphenated at the line end
        ("Partners agreed a shared approach to the prevention of falls in com-\nmunity settings across the area.",
         [("para", "Partners agreed a shared approach to the prevention of falls in community settings across the area.")]),
        # a wrapped bullet item continues the item
        ("- Skills Development Scotland ran sessions for young people leaving\n  school in the area\n- Second",
         [("list_item", "Skills Development Scotland ran sessions for young people leaving school in the area"),
          ("list_item", "Second")]),
        ("Name of case study:\nGlenbrae Hub", [("heading", "Name of case study:"), ("para", "Glenbrae Hub")]),
    ],
)
def test_text_blocks_wrapped_lines(text, expected):
    from soa_analysis.ingest.readers import text_blocks

    assert [(b.kind, b.text) for b in text_blocks(text)] == expected


def _zip_of(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n in names:
            zf.writestr(n, "FICTIONAL")
    return buf.getvalue()


def test_zip_names_remembers_only_the_same_bytes_and_returns_fresh_lists():
    from soa_analysis.ingest.readers import zip_names

    a, b = _zip_of("word/document.xml"), _zip_of("xl/workbook.xml")
    first = zip_names(a)
    assert first == ["word/document.xml"]
    first.append("changed by the caller")
    assert zip_names(a) == ["word/document.xml"]
    assert zip_names(b) == ["xl/workbook.xml"]
    assert zip_names(b"PK\x03\x04 truncated") is None
    assert zip_names(a) == ["word/document.xml"]
