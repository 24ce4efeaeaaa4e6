#!/usr/bin/env python
"""Build the bundled FICTIONAL sample submissions (data/raw) and the mini fixture corpus.

Every case study (the YAML files in scripts/sample_cases/, one a case) was written for
soa-analysis; none is a real submission. The
councils are real (so council recognition can be exercised), but the projects, figures,
people, e-mail addresses (fictional local parts at the council's domain) and phone
numbers (Ofcom's drama ranges) are invented.

The generator is deterministic: no randomness, fixed dates in document properties, fixed
zip member dates, reportlab's ``invariant`` mode, fixed MIME boundaries. Re-running it
produces byte-identical files, which ``tests/test_sample_data.py`` checks.

Usage::

    .venv/bin/python scripts/build_sample_data.py [--out data/raw] [--mini tests/fixtures/mini_raw]
                                                  [--expected tests/fixtures]

It also writes ``sample_expected.csv`` and ``mini_expected.csv`` (the facts each file was
written to carry: council, priorities, intended evidence grade, expected ingest status)
into the ``--expected`` folder. Nothing is written elsewhere; the output folders are
emptied first, so a file removed from this script disappears from the sample.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import email.policy
import email.utils
import io
import re
import shutil
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, field, fields
from email.message import EmailMessage
from pathlib import Path

from soa_analysis.datafiles import parse_yaml
from soa_analysis.errors import InputError

# The mark the ingest stage finds (soa_analysis.fictional): a report built from these files
# says on every page that it is fictional.
from soa_analysis.fictional import DISCLAIMER, FICTIONAL_MARK

# The 2009 template's questions, worded as on the form.
Q_2009 = {
    "title": "1. Name of SOA case study",
    "need": "2. What was the local need addressed by this SOA case study?",
    "actions": "3. What was done - and by which partners?",
    "evidence": (
        "4. What is the evidence of the benefits for communities - or if the benefits are still "
        "to be delivered, what is the timeline for that?"
    ),
    "added_value": "5. What added value has the SOA process brought to the delivery of these benefits?",
    "next_steps": "6. What next steps are you taking to meet this local need?",
    "contact": "Contact details of lead officer",
}
# Reworded / abbreviated headings some councils used instead.
Q_ABBREV = {
    "title": "Q1 - Name",
    "need": "Q2 - Local need",
    "actions": "Q3 - What we did and with whom",
    "evidence": "Q4 - Evidence of benefit",
    "added_value": "Q5 - Added value of the SOA",
    "next_steps": "Q6 - Next steps",
    "contact": "Lead officer",
}
SECTIONS = ("title", "need", "actions", "evidence", "added_value", "next_steps")

# The 2010 template's checklist: (id as in soa_analysis.ingest.document.CHECKLIST_IDS, label).
CHECKLIST_2010 = (
    ("economic_growth", "Economic recovery"),
    ("early_years", "Children's early years"),
    ("health_inequalities", "Health inequalities"),
    ("other_local_issues", "Other key local issues"),
    ("prevention", "A shift to prevention and early intervention"),
    ("resources", "Better use of resources (budgets, staff, buildings, equipment, etc.)"),
    ("business_processes", "Improved business processes (service planning, staff engagement, performance management, etc.)"),
    ("partnership", "Partnership working"),
    ("localisation", "Localisation of the SOA / local Community Planning"),
    ("community_engagement", "Community engagement and feedback"),
    ("voluntary_sector", "Engagement of the voluntary sector"),
    ("business_sector", "Engagement of the business sector"),
    ("performance", "Improved performance attributable to the SOA approach"),
    ("cost_effectiveness", "More cost effective performance attributable to the SOA approach"),
)
CHECKLIST_INTRO = (
    "This case study primarily demonstrates good practice or progress in addressing the following "
    "issues (please tick all that apply):"
)

# Form-export column headers (an online version of the 2009 form).
FORM_HEADERS = (
    "Timestamp",
    "Council / Community Planning Partnership",
    "Q1 Name of SOA case study",
    "Q2 What was the local need addressed by this case study?",
    "Q3 What was done - and by which partners?",
    "Q4 What is the evidence of the benefits for communities (or the timeline, if still to be delivered)?",
    "Q5 What added value has the SOA process brought?",
    "Q6 What next steps are you taking?",
    "Contact details of lead officer",
    "Note",
)


@dataclass
class Case:
    """One fictional case study and the facts it was written to carry."""

    key: str
    council: str
    cpp: str
    domain: str
    officer: str
    job: str
    phone: str
    date: str  # ISO date of the submission
    priorities: tuple[str, ...]
    grade: str  # intended evidence grade: strong, some, planned, none
    themes: tuple[str, ...]  # intended added-value themes (checklist ids)
    title: str
    need: str
    actions: str  # paragraphs separated by "\n"
    evidence: str
    added_value: str
    next_steps: str
    # 2010 template only
    outline: str = ""
    ticked: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    partners: str = ""

    @property
    def email(self) -> str:
        return self.officer.lower().replace(" ", ".") + "@" + self.domain

    @property
    def contact(self) -> str:
        return f"{self.officer}, {self.job}, {self.council_body}. E-mail: {self.email}. Tel: {self.phone}"

    @property
    def council_body(self) -> str:
        special = {
            "Na h-Eileanan Siar": "Comhairle nan Eilean Siar",
            "City of Edinburgh": "The City of Edinburgh Council",
            "Highland": "The Highland Council",
            "Moray": "The Moray Council",
        }
        return special.get(self.council, f"{self.council} Council")

    def section(self, name: str) -> str:
        return getattr(self, name)

    def when(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.date).replace(hour=10)


# ---------------------------------------------------------------------------------------------
# The case studies (all fictional): one YAML file each in scripts/sample_cases/, named by its key,
# each opening with its FICTIONAL mark; the annual report's text is north_ayrshire_annual_report.report.yaml.
# ---------------------------------------------------------------------------------------------
CASE_DIR = Path(__file__).resolve().parent / "sample_cases"
REPORT_SUFFIX = ".report.yaml"


def _read_case_file(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("# FICTIONAL"):
        raise ValueError(f"{path}: a sample case file opens with its '# FICTIONAL' mark")
    return parse_yaml(text, str(path), error=InputError)


def load_cases(folder: Path = CASE_DIR) -> dict[str, Case]:
    """Every case study in ``folder`` by key (lists become tuples, as the Case fields are)."""
    names = {f.name for f in fields(Case)} - {"key"}
    cases: dict[str, Case] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name.endswith(REPORT_SUFFIX):
            continue
        data = _read_case_file(path)
        if set(data) - names:
            raise ValueError(f"{path}: unknown field(s) {sorted(set(data) - names)}")
        cases[path.stem] = Case(key=path.stem, **{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
    return cases


def load_annual_report(path: Path = CASE_DIR / f"north_ayrshire_annual_report{REPORT_SUFFIX}") -> dict:
    """The annual report's sections, and its outcome rows as (outcome, progress, benefits) tuples."""
    data = _read_case_file(path)
    data["outcomes"] = tuple((o["outcome"], o["progress"], o["benefits"]) for o in data["outcomes"])
    return data


CASES = load_cases()
ANNUAL_REPORT = load_annual_report()


# ---------------------------------------------------------------------------------------------
# Deterministic writers
# ---------------------------------------------------------------------------------------------
ZIP_DATE = (2012, 6, 1, 0, 0, 0)


def _normalise_zip(data: bytes, fix: dict[str, callable] | None = None) -> bytes:
    """Rewrite a zip with fixed member dates (and optionally patched members), keeping order."""
    fix = fix or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename in fix:
                blob = fix[info.filename](blob)
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, blob)
    return out.getvalue()


def _docx_new(case: Case, title: str):
    import docx

    d = docx.Document()
    cp = d.core_properties
    when = case.when()
    cp.title = title
    cp.author = case.officer
    cp.last_modified_by = case.officer
    cp.comments = DISCLAIMER
    cp.subject = "Single Outcome Agreement case study (fictional sample)"
    cp.keywords = "SOA; fictional sample"
    cp.category = ""
    cp.revision = 1
    cp.created = when
    cp.modified = when
    cp.last_printed = when
    return d


def _docx_bytes(d) -> bytes:
    buf = io.BytesIO()
    d.save(buf)
    return _normalise_zip(buf.getvalue())


def _add_paras(container, text: str, style: str | None = None):
    """Add the "\\n"-separated paragraphs of ``text`` to a document or table cell."""
    for i, para in enumerate(text.split("\n")):
        if hasattr(container, "paragraphs") and i == 0 and _cell_is_empty(container):
            p = container.paragraphs[0]
            p.text = para
            if style:
                p.style = style
        else:
            container.add_paragraph(para, style=style)


def _cell_is_empty(container) -> bool:
    from docx.table import _Cell

    return isinstance(container, _Cell) and len(container.paragraphs) == 1 and not container.paragraphs[0].text


def _footer(d, text: str = DISCLAIMER) -> None:
    d.sections[0].footer.paragraphs[0].text = text


def docx_table_2009(case: Case, variant: str = "plain") -> bytes:
    """The 2009 template as a two-column Word table.

    variant: plain; split (the actions answer continues in a second row with an empty question
    cell); merged (a merged banner row across both columns and a question cell merged down two
    answer rows); bullets (the actions answer as a bulleted list).
    """
    d = _docx_new(case, f"SOA case study: {case.title}")
    d.add_paragraph(f"Single Outcome Agreement good practice case study {FICTIONAL_MARK}", style="Title")
    d.add_paragraph(f"Community Planning Partnership: {case.cpp}")
    t = d.add_table(rows=0, cols=2)
    t.style = "Table Grid"
    if variant == "merged":
        row = t.add_row()
        banner = row.cells[0].merge(row.cells[1])
        banner.text = f"{case.cpp} - SOA case study 2009"
    for key in SECTIONS + ("contact",):
        text = case.section(key)
        q = Q_2009[key]
        if key == "actions" and variant in ("split", "merged"):
            first, _, rest = text.partition("\n")
            r1, r2 = t.add_row(), t.add_row()
            r1.cells[0].text = q
            _add_paras(r1.cells[1], first)
            _add_paras(r2.cells[1], rest)
            if variant == "merged":
                r1.cells[0].merge(r2.cells[0])
            continue
        row = t.add_row()
        row.cells[0].text = q
        if key == "actions" and variant == "bullets":
            intro, *items = text.split("\n")
            _add_paras(row.cells[1], intro)
            for item in _bullet_items(items):
                row.cells[1].add_paragraph(item, style="List Bullet")
        else:
            _add_paras(row.cells[1], text)
    d.add_paragraph(DISCLAIMER)
    _footer(d)
    return _docx_bytes(d)


def _bullet_items(paras: list[str]) -> list[str]:
    """Split "Actions included: a; b; c." into list items."""
    items = []
    for p in paras:
        head, sep, tail = p.partition(": ")
        if sep and ";" in tail:
            items.append(head + ":")
            items.extend(s.strip().rstrip(".") for s in tail.split(";"))
        else:
            items.append(p)
    return items


def docx_headings(case: Case, variant: str = "styled") -> bytes:
    """Answers pasted under headings: styled Heading 2, bold paragraphs, or abbreviated headings."""
    labels = Q_ABBREV if variant == "abbrev" else Q_2009
    d = _docx_new(case, case.title)
    d.add_paragraph(f"{case.title} {FICTIONAL_MARK}", style="Title")
    for key in SECTIONS[1:] + ("contact",):
        label = labels[key]
        if variant == "bold":
            d.add_paragraph().add_run(label).bold = True
        else:
            d.add_heading(label, level=2)
        _add_paras(d, case.contact if key == "contact" else case.section(key))
    d.add_paragraph(DISCLAIMER)
    return _docx_bytes(d)


def plain_text(case: Case, labels: dict = Q_2009) -> str:
    """The same content as :func:`docx_headings` (styled), as plain text: identical words, so a
    re-submission in another format is a true duplicate."""
    lines = [f"{case.title} {FICTIONAL_MARK}", ""]
    for key in SECTIONS[1:] + ("contact",):
        lines += [labels[key], ""]
        for para in (case.contact if key == "contact" else case.section(key)).split("\n"):
            lines += [para, ""]
    lines.append(DISCLAIMER)
    return "\n".join(lines) + "\n"


def _checkbox_sdt(checked: bool):
    """A Word 2010 checkbox content control (w14:checkbox) showing ☒ or ☐."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    sdt = OxmlElement("w:sdt")
    pr = OxmlElement("w:sdtPr")
    box = OxmlElement("w14:checkbox")
    state = OxmlElement("w14:checked")
    state.set(qn("w14:val"), "1" if checked else "0")
    on = OxmlElement("w14:checkedState")
    on.set(qn("w14:val"), "2612")
    on.set(qn("w14:font"), "MS Gothic")
    off = OxmlElement("w14:uncheckedState")
    off.set(qn("w14:val"), "2610")
    off.set(qn("w14:font"), "MS Gothic")
    box.extend([state, on, off])
    pr.append(box)
    content = OxmlElement("w:sdtContent")
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:eastAsia", "w:hAnsi"):
        fonts.set(qn(attr), "MS Gothic")
    rpr.append(fonts)
    run.append(rpr)
    t = OxmlElement("w:t")
    t.text = "\u2612" if checked else "\u2610"
    run.append(t)
    content.append(run)
    sdt.extend([pr, content])
    return sdt


def description_2010(case: Case) -> str:
    """The 2010 form's 'Description of activity': what was done, results, SOA added value, next steps."""
    return "\n".join(
        [
            case.need,
            case.actions,
            "Results: " + case.evidence,
            "What the SOA approach added: " + case.added_value,
            "Next steps: " + case.next_steps,
        ]
    )


def docx_2010(case: Case, ticks: str = "sdt") -> bytes:
    """The 2010 template with its checklist: real checkbox controls (sdt) or ☒/☐ characters (chars)."""
    d = _docx_new(case, f"SOA case study 2010: {case.title}")
    d.add_paragraph(f"Template for SOA case studies 2010 {FICTIONAL_MARK}", style="Title")
    t = d.add_table(rows=0, cols=2)
    t.style = "Table Grid"
    for q, a in (
        ("Name of CPP", case.cpp),
        ("Name of case study", case.title),
        ("Brief outline of case study", case.outline),
    ):
        row = t.add_row()
        row.cells[0].text, row.cells[1].text = q, a
    d.add_paragraph(CHECKLIST_INTRO)
    if ticks == "sdt":
        ct = d.add_table(rows=0, cols=2)
        ct.style = "Table Grid"
        for item_id, label in CHECKLIST_2010:
            row = ct.add_row()
            row.cells[0].text = label
            row.cells[1].paragraphs[0]._p.append(_checkbox_sdt(item_id in case.ticked))
    else:
        for item_id, label in CHECKLIST_2010:
            mark = "\u2612" if item_id in case.ticked else "\u2610"
            d.add_paragraph(f"{mark} {label}")
    t2 = d.add_table(rows=0, cols=2)
    t2.style = "Table Grid"
    for q, a in (
        ("Contact details of lead officer", case.contact),
        ("SOA outcome/s and National Outcome/s supported", "\n".join(case.outcomes)),
        ("Partners involved", case.partners),
        ("Description of activity", description_2010(case)),
    ):
        row = t2.add_row()
        row.cells[0].text = q
        _add_paras(row.cells[1], a)
    d.add_paragraph(DISCLAIMER)
    _footer(d)
    return _docx_bytes(d)


def docx_annual_report(case: Case) -> bytes:
    d = _docx_new(case, case.title)
    d.add_paragraph(f"{case.title} {FICTIONAL_MARK}", style="Title")
    d.add_paragraph(
        f"This report sets out the progress made by the {case.cpp} in 2010/11 against the local outcomes in our "
        "Single Outcome Agreement."
    )
    for heading, key in (
        ("Achievements and particular successes to date", "achievements"),
        ("Anticipated challenges for future years", "challenges"),
        ("Support or actions required", "support"),
    ):
        d.add_heading(heading, level=1)
        _add_paras(d, ANNUAL_REPORT[key])
    d.add_heading("Benefits and changes in outcome terms to people's quality of life", level=1)
    t = d.add_table(rows=1, cols=3)
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, ("Local outcome", "Progress", "Benefits to quality of life")):
        cell.text = text
    for outcome in ANNUAL_REPORT["outcomes"]:
        row = t.add_row()
        for cell, text in zip(row.cells, outcome):
            cell.text = text
    d.add_heading("Contact", level=1)
    d.add_paragraph(case.contact)
    d.add_paragraph(DISCLAIMER)
    _footer(d)
    return _docx_bytes(d)


# ---- PDF ------------------------------------------------------------------------------------


def _pdf(case: Case, story_fn) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    buf = io.BytesIO()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(20 * mm, 10 * mm, DISCLAIMER)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buf, pagesize=A4, invariant=1, title=f"{case.title} {FICTIONAL_MARK}", author=case.officer,
        subject="SOA case study (fictional sample)", creator="soa-analysis sample generator",
        leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
    )
    doc.build(story_fn(), onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _styles():
    from reportlab.lib.styles import getSampleStyleSheet

    return getSampleStyleSheet()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pdf_headings(case: Case) -> bytes:
    """Headings as bold paragraphs (no PDF structure), body paragraphs below."""
    from reportlab.platypus import Paragraph, Spacer

    ss = _styles()

    def story():
        s = [Paragraph(_esc(f"{case.title} {FICTIONAL_MARK}"), ss["Title"]),
             Paragraph(_esc(f"SOA case study - {case.cpp}"), ss["Normal"]), Spacer(1, 8)]
        for key in SECTIONS[1:] + ("contact",):
            s.append(Paragraph("<b>" + _esc(Q_2009[key]) + "</b>", ss["Normal"]))
            s.append(Spacer(1, 3))
            for para in (case.contact if key == "contact" else case.section(key)).split("\n"):
                s.append(Paragraph(_esc(para), ss["Normal"]))
                s.append(Spacer(1, 3))
            s.append(Spacer(1, 6))
        s.append(Paragraph(_esc(DISCLAIMER), ss["Italic"]))
        return s

    return _pdf(case, story)


def pdf_table(case: Case) -> bytes:
    """The 2009 form as a two-column table."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    ss = _styles()

    def story():
        rows = []
        for key in SECTIONS + ("contact",):
            text = case.contact if key == "contact" else case.section(key)
            rows.append([Paragraph("<b>" + _esc(Q_2009[key]) + "</b>", ss["Normal"]),
                         [Paragraph(_esc(p), ss["Normal"]) for p in text.split("\n")]])
        table = Table(rows, colWidths=[55 * mm, 115 * mm])
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#e8eef4")),
        ]))
        return [Paragraph(_esc(f"SOA good practice case study {FICTIONAL_MARK}"), ss["Title"]),
                Paragraph(_esc(case.cpp), ss["Heading2"]), Spacer(1, 6), table, Spacer(1, 8),
                Paragraph(_esc(DISCLAIMER), ss["Italic"])]

    return _pdf(case, story)


# ---- text formats ---------------------------------------------------------------------------


def markdown(case: Case) -> str:
    lines = [f"# {case.title} {FICTIONAL_MARK}", "", f"*{case.cpp} - Single Outcome Agreement case study*", ""]
    for key in SECTIONS[1:] + ("contact",):
        lines += [f"## {Q_2009[key]}", ""]
        text = case.contact if key == "contact" else case.section(key)
        for para in text.split("\n"):
            lines += [para, ""]
    lines += ["---", "", f"_{DISCLAIMER}_"]
    return "\n".join(lines) + "\n"


def _h(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def html_page(case: Case) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_h(case.title)} {FICTIONAL_MARK}</title>",
        "<style>body { font-family: Arial, sans-serif; max-width: 46em; } h2 { color: #1d4f7a; }</style>",
        "<script>",
        "  // Page analytics placeholder: this script text must never be ingested as narrative.",
        "  var scriptMarker = 'SCRIPT TEXT MUST NOT APPEAR IN THE NARRATIVE';",
        "  document.addEventListener('DOMContentLoaded', function () { console.log(scriptMarker); });",
        "</script>",
        "</head>",
        "<body>",
        f"<h1>{_h(case.title)} {FICTIONAL_MARK}</h1>",
        f"<p class=\"cpp\">{_h(case.cpp)} &ndash; Single Outcome Agreement case study</p>",
    ]
    for key in SECTIONS[1:] + ("contact",):
        parts.append(f"<h2>{_h(Q_2009[key])}</h2>")
        text = case.contact if key == "contact" else case.section(key)
        parts += [f"<p>{_h(p)}</p>" for p in text.split("\n")]
    parts += [f"<footer><p>{_h(DISCLAIMER)}</p></footer>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _rtf_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) < 128:
            out.append(ch)
        else:
            try:
                out.append("\\'%02x" % ch.encode("cp1252")[0])
            except UnicodeEncodeError:
                out.append("\\u%d?" % ord(ch))
    return "".join(out)


def rtf(case: Case) -> str:
    lines = [
        r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}",
        r"{\info{\title " + _rtf_escape(case.title) + r"}{\author " + _rtf_escape(case.officer) + "}}",
        r"\f0\fs22",
        r"{\b\fs28 " + _rtf_escape(f"{case.title} {FICTIONAL_MARK}") + r"}\par\par",
    ]
    for key in SECTIONS[1:] + ("contact",):
        lines.append(r"{\b " + _rtf_escape(Q_2009[key]) + r"}\par")
        text = case.contact if key == "contact" else case.section(key)
        for para in text.split("\n"):
            lines.append(_rtf_escape(para) + r"\par")
        lines.append(r"\par")
    lines.append(r"{\i " + _rtf_escape(DISCLAIMER) + r"}\par")
    lines.append("}")
    return "\r\n".join(lines) + "\r\n"


def _email(case: Case, subject: str, body: str, msg_id: str) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"{case.officer} <{case.email}>"
    msg["To"] = "SOA case studies <soa.casestudies@example.org>"
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(case.when().replace(tzinfo=dt.timezone.utc))
    msg["Message-ID"] = f"<{msg_id}@fictional.example.org>"
    msg.set_content(body)
    return msg


def eml_body(case: Case) -> bytes:
    body = (
        f"{case.title} {FICTIONAL_MARK}\n\n"
        "Dear colleague,\n\n"
        f"Please find below our SOA case study from the {case.cpp}. We did not have the Word form to hand, "
        "so the answers are pasted into this e-mail.\n\n"
        + plain_text(case).split("\n", 2)[2]
        + "\nKind regards,\n"
        + f"{case.officer}\n"
    )
    # the disclaimer must be the last line
    body = body.replace(DISCLAIMER + "\n", "") + DISCLAIMER + "\n"
    msg = _email(case, f"SOA case study: {case.title} {FICTIONAL_MARK}", body, f"sample-{case.key}")
    return msg.as_bytes()


def eml_attachment(case: Case, attachment_name: str, attachment: bytes) -> bytes:
    body = (
        f"SOA case study submission {FICTIONAL_MARK}\n\n"
        "Hello,\n\n"
        f"Please find attached the {case.council} SOA case study on the standard form. "
        "Do get in touch if you need anything else.\n\n"
        f"Regards,\n{case.officer}\n{case.job}\n\n"
        f"{DISCLAIMER}\n"
    )
    msg = _email(case, f"SOA case study from {case.council} {FICTIONAL_MARK}", body, f"sample-{case.key}")
    msg.add_attachment(
        attachment, maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename=attachment_name,
    )
    msg.set_boundary("==fictional-sample-boundary-0001==")
    return msg.as_bytes()


# ---- spreadsheet exports --------------------------------------------------------------------


def _form_row(case: Case) -> list[str]:
    stamp = case.when().strftime("%d/%m/%Y %H:%M:%S")
    return [
        stamp, case.cpp, f"{case.title} {FICTIONAL_MARK}", case.need, case.actions.replace("\n", " "),
        case.evidence, case.added_value, case.next_steps, case.contact, DISCLAIMER,
    ]


def form_csv(cases: list[Case]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(FORM_HEADERS)
    for c in cases:
        w.writerow(_form_row(c))
    return buf.getvalue().encode("utf-8")


def form_xlsx(cases: list[Case]) -> bytes:
    from openpyxl import Workbook

    when = max(c.when() for c in cases)
    wb = Workbook()
    ws = wb.active
    ws.title = "Form responses 1"
    ws.append(list(FORM_HEADERS))
    for c in cases:
        ws.append(_form_row(c))
    wb.properties.creator = "Online form export (fictional sample)"
    wb.properties.title = f"SOA case study form responses {FICTIONAL_MARK}"
    wb.properties.created = when
    wb.properties.modified = when
    buf = io.BytesIO()
    wb.save(buf)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()

    def fix_core(xml: bytes) -> bytes:  # openpyxl stamps "modified" with the time of saving
        return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", xml)

    return _normalise_zip(buf.getvalue(), {"docProps/core.xml": fix_core})


# ---- broken files ---------------------------------------------------------------------------


def png_bytes() -> bytes:
    """A tiny valid PNG (what a scanner saved), to be given a .pdf name."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes([200, 60, 200, 60]) for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
        + chunk(b"tEXt", b"Comment\x00" + f"{FICTIONAL_MARK} {DISCLAIMER}".encode("latin-1"))
        + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------------------------
# The corpus plan
# ---------------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One file to write, and the submissions it is expected to yield."""

    file: str
    data: bytes
    submission_type: str = ""
    fmt: str = ""
    status: str = "ingested"
    cases: list[tuple[str, str]] = field(default_factory=list)  # (part, case key)
    duplicate_of: str = ""
    note: str = ""


def _utf8(s: str) -> bytes:
    return s.encode("utf-8")


def main_plan() -> list[Entry]:
    C = CASES
    E = Entry
    midlothian_docx = docx_table_2009(C["midlothian_employability"])
    plan = [
        E("fife_home_first_reablement.docx", docx_table_2009(C["fife_reablement"]), "case_study_2009", "docx",
          cases=[("", "fife_reablement")], note="2009 form table"),
        E("dundee_works_pathway.docx", docx_table_2009(C["dundee_employability"], "split"), "case_study_2009", "docx",
          cases=[("", "dundee_employability")], note="2009 form table; Q3 answer continues in a second row"),
        E("highland_early_learning_outreach.docx", docx_table_2009(C["highland_nursery_outreach"], "merged"),
          "case_study_2009", "docx", cases=[("", "highland_nursery_outreach")],
          note="2009 form table with a merged banner row and a question cell merged over two rows"),
        E("north_lanarkshire_community_safety.docx", docx_table_2009(C["north_lanarkshire_asb"], "bullets"),
          "case_study_2009", "docx", cases=[("", "north_lanarkshire_asb")], note="2009 form table; bulleted answer"),
        E("angus_town_centres.docx", docx_table_2009(C["angus_town_centres"]), "case_study_2009", "docx",
          cases=[("", "angus_town_centres")], note="2009 form table; two priorities"),
        E("moray_steady_steps.docx", docx_table_2009(C["moray_falls"]), "case_study_2009", "docx",
          cases=[("", "moray_falls")], note="2009 form table; two priorities"),
        E("edinburgh_active_lives.docx", docx_headings(C["edinburgh_active_lives"]), "case_study_2009", "docx",
          cases=[("", "edinburgh_active_lives")], note="answers under Heading 2 headings"),
        E("renfrewshire_family_support.docx", docx_headings(C["renfrewshire_family_support"]), "case_study_2009",
          "docx", cases=[("", "renfrewshire_family_support")], note="answers under Heading 2 headings"),
        E("renfrewshire_family_support_resubmitted.txt", _utf8(plain_text(C["renfrewshire_family_support"])),
          "case_study_2009", "txt", status="duplicate", cases=[("", "renfrewshire_family_support")],
          duplicate_of="renfrewshire_family_support.docx",
          note="the same case study sent again as plain text: same words, other name and format"),
        E("south_ayrshire_safe_at_home.docx", docx_headings(C["south_ayrshire_home_fire_safety"], "bold"),
          "case_study_2009", "docx", cases=[("", "south_ayrshire_home_fire_safety")],
          note="headings are bold paragraphs, not styles"),
        E("fife_community_payback.docx", docx_headings(C["fife_community_payback"]), "case_study_2009", "docx",
          cases=[("", "fife_community_payback")], note="answers under Heading 2 headings; two priorities"),
        E("stirling_business_support.docx", docx_headings(C["stirling_business_support"], "abbrev"),
          "case_study_2009", "docx", cases=[("", "stirling_business_support")],
          note="abbreviated headings (Q4 - Evidence of benefit); assertion only"),
        E("glasgow_alcohol_brief_interventions_2010.docx", docx_2010(C["glasgow_alcohol_brief_interventions"]),
          "case_study_2010", "docx", cases=[("", "glasgow_alcohol_brief_interventions")],
          note="2010 template; w14:checkbox content controls"),
        E("west_lothian_apprenticeships_2010.docx", docx_2010(C["west_lothian_apprenticeships"]),
          "case_study_2010", "docx", cases=[("", "west_lothian_apprenticeships")],
          note="2010 template; w14:checkbox content controls"),
        E("inverclyde_bookbug_2010.docx", docx_2010(C["inverclyde_early_years"], "chars"), "case_study_2010", "docx",
          cases=[("", "inverclyde_early_years")], note="2010 template; ticks as U+2612/U+2610 characters"),
        E("dumfries_galloway_telecare_2010.docx", docx_2010(C["dumfries_telecare"], "chars"), "case_study_2010",
          "docx", cases=[("", "dumfries_telecare")], note="2010 template; ticks as U+2612/U+2610 characters"),
        E("aberdeen_youth_diversion.pdf", pdf_headings(C["aberdeen_youth_diversion"]), "case_study_2009", "pdf",
          cases=[("", "aberdeen_youth_diversion")], note="PDF; headings are bold paragraphs"),
        E("shetland_island_pathways.pdf", pdf_table(C["shetland_employment_pathways"]), "case_study_2009", "pdf",
          cases=[("", "shetland_employment_pathways")], note="PDF; the form as a table"),
        E("perth_kinross_dementia_support.pdf", pdf_headings(C["perth_kinross_dementia"]), "case_study_2009", "pdf",
          cases=[("", "perth_kinross_dementia")], note="PDF; headings are bold paragraphs"),
        E("east_ayrshire_town_centre.txt", _utf8(plain_text(C["east_ayrshire_town_centre"])), "case_study_2009",
          "txt", cases=[("", "east_ayrshire_town_centre")], note="plain text, UTF-8 with a £ sign"),
        E("borders_works_youth_employment.txt", plain_text(C["borders_youth_employment"]).replace("\n", "\r\n")
          .encode("cp1252"), "case_study_2009", "txt", cases=[("", "borders_youth_employment")],
          note="plain text, Windows-1252 with £ and smart quotes, CRLF line ends"),
        E("clackmannanshire_domestic_abuse.txt", plain_text(C["clackmannanshire_domestic_abuse"]).encode("utf-8-sig"),
          "case_study_2009", "txt", cases=[("", "clackmannanshire_domestic_abuse")], note="plain text, UTF-8 with a BOM"),
        E("falkirk_healthy_weight.md", _utf8(markdown(C["falkirk_healthy_weight"])), "case_study_2009", "md",
          cases=[("", "falkirk_healthy_weight")], note="Markdown; two priorities; benefits still to come"),
        E("east_dunbartonshire_befriending.html", _utf8(html_page(C["east_dunbartonshire_befriending"])),
          "case_study_2009", "html", cases=[("", "east_dunbartonshire_befriending")],
          note="HTML with a <style> and a <script> whose text must be dropped"),
        E("argyll_bute_marine_tourism.eml", eml_body(C["argyll_bute_tourism"]), "case_study_2009", "eml",
          cases=[("body", "argyll_bute_tourism")], note="e-mail; the case study is in the body"),
        E("midlothian_submission.eml", eml_attachment(C["midlothian_employability"],
          "midlothian_employability_hub.docx", midlothian_docx), "case_study_2009", "eml",
          cases=[("attachment: midlothian_employability_hub.docx", "midlothian_employability")],
          note="e-mail; short covering note in the body (not a case study), the case study attached as .docx"),
        E("orkney_resilient_communities.rtf", rtf(C["orkney_community_resilience"]).encode("ascii"),
          "case_study_2009", "rtf", cases=[("", "orkney_community_resilience")], note="RTF; assertion only"),
        E("north_ayrshire_soa_annual_report_2010-11.docx", docx_annual_report(C["north_ayrshire_annual_report"]),
          "annual_report", "docx", cases=[("", "north_ayrshire_annual_report")], note="annual SOA report"),
        E("online_form_export_2011.xlsx", form_xlsx([C[k] for k in XLSX_ROWS]), "form_export", "xlsx",
          cases=[(f"row {i}", k) for i, k in enumerate(XLSX_ROWS, start=2)],
          note="online form export; one submission per row"),
        E("online_form_export_2012.csv", form_csv([C[k] for k in CSV_ROWS]), "form_export", "csv",
          cases=[(f"row {i}", k) for i, k in enumerate(CSV_ROWS, start=2)],
          note="online form export; one submission per row"),
        # broken files: the run must quarantine them, not crash
        E("empty_submission.docx", b"", status="quarantined", note="empty file (0 bytes)"),
        E("moray_case_study_upload_failed.docx", docx_table_2009(C["truncated_upload"])[:600], status="quarantined",
          note="truncated .docx: only the first 600 bytes"),
        E("scanned_case_study.pdf", png_bytes(), status="quarantined", note="a PNG image with a .pdf extension"),
        E("case_study_notes.xyz", _utf8(XYZ_NOTES), status="quarantined",
          note="unsupported extension"),
    ]
    return plan


XYZ_NOTES = (
    f"Drafting notes for our SOA case study {FICTIONAL_MARK}\n\n"
    "Saved from a note-taking program in its own format; the file extension is not one the workbench reads.\n"
    "Ideas: community transport for hospital appointments; a joint fuel poverty advice line.\n\n"
    f"{DISCLAIMER}\n"
)

XLSX_ROWS = (
    "aberdeenshire_breastfeeding", "east_lothian_road_safety", "eilean_siar_care_at_home",
    "south_lanarkshire_jobs_fund", "west_dunbartonshire_mental_wellbeing",
)
CSV_ROWS = (
    "east_renfrewshire_nurture", "highland_fire_safety", "edinburgh_hospital_discharge", "dundee_healthy_living",
    "angus_carers",
)
MINI_CSV_ROWS = ("east_renfrewshire_nurture", "edinburgh_hospital_discharge")


def mini_plan() -> list[Entry]:
    C = CASES
    E = Entry
    return [
        E("fife_home_first_reablement.docx", docx_table_2009(C["fife_reablement"]), "case_study_2009", "docx",
          cases=[("", "fife_reablement")], note="2009 form table"),
        E("glasgow_alcohol_brief_interventions_2010.docx", docx_2010(C["glasgow_alcohol_brief_interventions"]),
          "case_study_2010", "docx", cases=[("", "glasgow_alcohol_brief_interventions")],
          note="2010 template; w14:checkbox content controls"),
        E("east_ayrshire_town_centre.txt", _utf8(plain_text(C["east_ayrshire_town_centre"])), "case_study_2009",
          "txt", cases=[("", "east_ayrshire_town_centre")], note="plain text, UTF-8"),
        E("east_ayrshire_town_centre_copy.docx", docx_headings(C["east_ayrshire_town_centre"]), "case_study_2009",
          "docx", status="duplicate", cases=[("", "east_ayrshire_town_centre")],
          duplicate_of="east_ayrshire_town_centre.txt", note="the same case study again as a Word document"),
        E("east_dunbartonshire_befriending.html", _utf8(html_page(C["east_dunbartonshire_befriending"])),
          "case_study_2009", "html", cases=[("", "east_dunbartonshire_befriending")],
          note="HTML with a <style> and a <script> whose text must be dropped"),
        E("online_form_export.csv", form_csv([C[k] for k in MINI_CSV_ROWS]), "form_export", "csv",
          cases=[(f"row {i}", k) for i, k in enumerate(MINI_CSV_ROWS, start=2)], note="form export, 2 rows"),
        E("empty_submission.txt", b"", status="quarantined", note="empty file (0 bytes)"),
    ]


EXPECTED_COLUMNS = (
    "file", "part", "council", "priorities", "evidence_grade", "status", "submission_type", "format",
    "title", "checklist", "added_value_themes", "date", "duplicate_of", "note",
)


def expected_rows(plan: list[Entry]) -> list[dict]:
    rows = []
    for e in plan:
        base = {k: "" for k in EXPECTED_COLUMNS}
        base.update(file=e.file, status=e.status, submission_type=e.submission_type, format=e.fmt,
                    duplicate_of=e.duplicate_of, note=e.note)
        if not e.cases:
            rows.append(base)
            continue
        for part, key in e.cases:
            c = CASES[key]
            rows.append({**base, "part": part, "council": c.council, "priorities": ";".join(c.priorities),
                         "evidence_grade": c.grade, "title": c.title,
                         "checklist": ";".join(i for i, _ in CHECKLIST_2010 if i in c.ticked)
                         if e.submission_type == "case_study_2010" else "",
                         "added_value_themes": ";".join(c.themes), "date": c.date})
    return rows


def _write_expected(path: Path, plan: list[Entry]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=EXPECTED_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(expected_rows(plan))
    path.write_text(buf.getvalue(), encoding="utf-8")


def _write_corpus(folder: Path, plan: list[Entry]) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    names = [e.file for e in plan]
    if len(set(names)) != len(names):
        raise ValueError("two entries share a file name")
    for e in plan:
        (folder / e.file).write_bytes(e.data)


def build(out: Path | None, mini: Path | None, expected: Path | None) -> None:
    """Write the sample corpus to ``out``, the mini corpus to ``mini`` and the expectation files to
    ``expected`` (any of them may be None to skip it)."""
    main = main_plan() if (out is not None or expected is not None) else []
    small = mini_plan() if (mini is not None or expected is not None) else []
    if out is not None:
        _write_corpus(out, main)
    if mini is not None:
        _write_corpus(mini, small)
    if expected is not None:
        expected.mkdir(parents=True, exist_ok=True)
        _write_expected(expected / "sample_expected.csv", main)
        _write_expected(expected / "mini_expected.csv", small)


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=root / "data" / "raw", help="folder for the sample submissions")
    ap.add_argument("--mini", type=Path, default=root / "tests" / "fixtures" / "mini_raw",
                    help="folder for the mini fixture corpus")
    ap.add_argument("--expected", type=Path, default=root / "tests" / "fixtures",
                    help="folder for sample_expected.csv and mini_expected.csv")
    args = ap.parse_args(argv)
    build(args.out, args.mini, args.expected)
    print(f"wrote {len(list(args.out.iterdir()))} files to {args.out} and "
          f"{len(list(args.mini.iterdir()))} files to {args.mini}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
