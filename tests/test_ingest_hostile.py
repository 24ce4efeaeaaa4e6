"""Hostile files through the ingest stage, each built here (all content fictional).

Symbolic links out of the raw folder, names that are not UTF-8 or hold a newline, text beyond
the per-submission limit, junk with no narrative, white space only, mojibake, copies of one
file, wrapped PDF tables, bidirectional overrides: every file accounted for, with a reason.
"""

from __future__ import annotations

import io
import os
import zipfile

import pandas as pd
import pytest
from test_ingest_readers import _docx_bytes, _pdf_bytes

from soa_analysis.ingest import Limits, ingest, run_ingest
from soa_analysis.ingest.files import RawEntry
from soa_analysis.ingest.run import _process_file
from soa_analysis.io import read_table

SECRET = "FICTIONAL-SECRET-OUTSIDE"
STORY = ("A FICTIONAL lunch club in Glenbrae brought older people together every week, and loneliness "
         "scores among members fell from 40% to 22% in a year.")


def _raw(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    return raw


def _log(raw, **kw) -> pd.DataFrame:
    return ingest(raw, workers=1, **kw).ingest_log.set_index("source_file")


def test_symbolic_links_are_never_read_through(tmp_path):
    raw = _raw(tmp_path)
    (tmp_path / "secret.txt").write_text(f"{SECRET} {STORY}")
    (raw / "story.txt").write_text(STORY)
    os.symlink(tmp_path / "secret.txt", raw / "passwd_link.txt")
    os.symlink("/etc/passwd", raw / "etc_link.txt")
    os.symlink(raw / "story.txt", raw / "inside_link.txt")
    res = ingest(raw, workers=1)
    log = res.ingest_log.set_index("source_file")
    for name in ("passwd_link.txt", "etc_link.txt"):
        assert log.loc[name, "status"] == "quarantined"
        assert log.loc[name, "reason"] == "symbolic link to a file outside the raw folder (not followed)"
        assert log.loc[name, "sha256"] == ""  # not even hashed: nothing is read through a link
    assert log.loc["inside_link.txt", "reason"].startswith("symbolic link to story.txt inside the raw folder")
    assert log.loc["story.txt", "status"] == "ingested"
    text = " ".join(res.submissions["text"])
    assert SECRET not in text and "root:" not in text and len(res.submissions) == 1


def test_a_file_swapped_for_a_link_after_listing_is_refused(tmp_path):
    raw = _raw(tmp_path)
    (tmp_path / "secret.txt").write_text(f"{SECRET} {STORY}")
    os.symlink(tmp_path / "secret.txt", raw / "swapped.txt")
    listed_as_regular = RawEntry("swapped.txt", None, True, 0.0)  # what the listing saw a moment before
    res = _process_file(str(raw), listed_as_regular, Limits())
    assert res["status"] == "quarantined"
    assert res["reason"] == "became a symbolic link while being read (not followed)"
    assert not res["docs"] and res["sha256"] == ""


def test_names_that_are_not_utf8_or_hold_a_newline_are_logged(tmp_path):
    raw = _raw(tmp_path)
    with open(os.path.join(os.fsencode(raw), b"caf\xe9-notes.txt"), "wb") as fh:
        fh.write(STORY.encode())
    (raw / "new\nline.txt").write_text(STORY.replace("lunch club", "walking group"))
    run_ingest(raw, tmp_path / "processed", workers=1)
    log = read_table(tmp_path / "processed", "ingest_log").set_index("source_file")
    assert log.loc["caf\\xe9-notes.txt", "status"] == "ingested"
    assert log.loc["new\nline.txt", "status"] == "ingested"
    subs = read_table(tmp_path / "processed", "submissions")
    assert set(subs["raw_file"]) == {"caf\\xe9-notes.txt", "new\nline.txt"}


def test_text_beyond_the_limit_is_cut_and_the_cut_recorded(tmp_path):
    raw = _raw(tmp_path)
    (raw / "long.txt").write_text(f"Glenbrae annual report (FICTIONAL)\n\n{STORY} " * 400)
    (raw / "one_line.txt").write_text(("word " * 20000).strip())
    (raw / "short.txt").write_text(STORY)
    res = ingest(raw, workers=1, limits=Limits(max_chars=5000))
    log = res.ingest_log.set_index("source_file")
    assert log.loc["long.txt", "cut"].startswith("text cut to the first ")
    assert "(limit 5,000 per submission)" in log.loc["long.txt", "cut"]
    assert log.loc["one_line.txt", "cut"].startswith("text cut to the first ")
    assert log.loc["short.txt", "cut"] == ""
    subs = res.submissions.set_index("raw_file")
    assert len(subs.loc["long.txt", "text"]) <= 5000 + 200  # the limit, plus the title and paragraph breaks
    assert any("text cut to the first" in w for w in subs.loc["long.txt", "warnings"])
    assert log.loc["long.txt", "chars_kept"] == len(subs.loc["long.txt", "text"])
    assert (log["seconds"] >= 0).all() and log.loc["short.txt", "chars_kept"] == len(subs.loc["short.txt", "text"])


def test_long_pdfs_and_documents_stop_being_read_past_the_limit(tmp_path):
    raw = _raw(tmp_path)
    (raw / "long.pdf").write_bytes(_pdf_bytes([f"{STORY[:90]}"] * 40))
    (raw / "long.docx").write_bytes(_docx_bytes(lambda d: [d.add_paragraph(STORY) for _ in range(300)]))
    log = _log(raw, limits=Limits(max_chars=600))
    assert "the rest of the document was not read" in log.loc["long.docx", "cut"]
    assert log.loc["long.pdf", "cut"].startswith("text cut to the first")


def _xxe_docx() -> bytes:
    xxe = (b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           b'<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>')
    good = _docx_bytes(lambda d: d.add_paragraph("x"))
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, xxe if item.filename == "word/document.xml" else src.read(item.filename))
    return buf.getvalue()


def test_files_with_no_narrative_are_quarantined(tmp_path):
    raw = _raw(tmp_path)
    (raw / "xxe.docx").write_bytes(_xxe_docx())
    (raw / "divs.html").write_bytes(b"<html><body>" + b"<div>" * 5000 + b"deep" + b"</div>" * 5000 + b"</body></html>")
    (raw / "note.txt").write_text("note 17")
    (raw / "spaces.txt").write_text(" \t\n\u00a0\u3000\u2003\n\u200b\n\r\n\u202e")
    (raw / "utf16_spaces.txt").write_bytes("   \n\n\t ".encode("utf-16"))
    (raw / "story.txt").write_text(STORY)
    res = ingest(raw, workers=1)
    log = res.ingest_log.set_index("source_file")
    for name in ("xxe.docx", "divs.html", "note.txt"):
        assert log.loc[name, "status"] == "quarantined", name
        assert log.loc[name, "reason"].startswith("no narrative text:"), (name, log.loc[name, "reason"])
    for name in ("spaces.txt", "utf16_spaces.txt"):
        assert (log.loc[name, "status"], log.loc[name, "reason"]) == ("quarantined", "no text in file (only white space)")
    assert list(res.submissions["raw_file"]) == ["story.txt"]


def test_a_form_row_without_narrative_is_dropped_with_a_warning(tmp_path):
    raw = _raw(tmp_path)
    (raw / "export.csv").write_text(f"Name of CPP,Description of activity\nFife Partnership,\"{STORY}\"\n"
                                    "Fife Partnership,2011\n")
    res = ingest(raw, workers=1)
    log = res.ingest_log.set_index("source_file")
    assert log.loc["export.csv", "n_submissions"] == 1
    assert "row 3: no narrative text (0 word(s)); not ingested" in log.loc["export.csv", "warnings"]


def test_mojibake_is_repaired_through_ingest(tmp_path):
    """Fails if the repair leaves the normalising pipeline (text decoded as UTF-8 still reads "â€™")."""
    raw = _raw(tmp_path)
    good = f"The Council\u2019s caf\u00e9 \u2013 a FICTIONAL note. {STORY}"
    (raw / "double.txt").write_bytes(good.encode("utf-8").decode("cp1252").encode("utf-8"))
    [text] = ingest(raw, workers=1).submissions["text"]
    assert "Council\u2019s caf\u00e9 \u2013" in text and "\u00e2\u20ac" not in text


def test_bidirectional_overrides_are_removed_on_ingest(tmp_path):
    raw = _raw(tmp_path)
    (raw / "rtl.md").write_text(f"# Glenbrae \u202eevitaitini\u202c youth project\n\n\u2066{STORY}\u2069")
    sub = ingest(raw, workers=1).submissions.iloc[0]
    assert not any(c in sub["text"] + sub["title"] for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "evitaitini" in sub["title"]


def _copy(raw, name, data, when):
    (raw / name).write_bytes(data)
    os.utime(raw / name, (when, when))


def test_of_two_copies_the_earlier_is_kept_and_the_log_says_why(tmp_path):
    raw = _raw(tmp_path)
    data = _docx_bytes(lambda d: d.add_paragraph(STORY))
    _copy(raw, "fife_jobs (copy).docx", data, 1_300_000_000)
    _copy(raw, "fife_jobs.docx", data, 1_300_000_000 + 7200)  # saved two hours later
    log = _log(raw)
    assert log.loc["fife_jobs (copy).docx", "status"] == "ingested"
    assert log.loc["fife_jobs.docx", "reason"] == "same content as fife_jobs (copy).docx (kept: modified earlier)"


@pytest.mark.parametrize("copy_name", ["fife_jobs (copy).docx", "fife_jobs (1).docx", "Copy of fife_jobs.docx",
                                       "fife_jobs_final.docx", "fife_jobs FINAL.docx"])
def test_of_copies_made_together_the_one_not_named_a_copy_is_kept(tmp_path, copy_name):
    raw = _raw(tmp_path)
    data = _docx_bytes(lambda d: d.add_paragraph(STORY))
    _copy(raw, copy_name, data, 1_300_000_000)
    _copy(raw, "fife_jobs.docx", data, 1_300_000_010)  # same minute: made together (a checkout, an unzip)
    log = _log(raw)
    assert log.loc["fife_jobs.docx", "status"] == "ingested"
    assert log.loc[copy_name, "reason"] == "same content as fife_jobs.docx (kept: not named as a copy)"


def _wrapped_table_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(50, 800, "6 What next steps are you taking to meet this local need?")
    rows = [(["1"], ["We will recruit the first cohort in", "June 2012."]),
            (["2"], ["Extend the FICTIONAL scheme to the villages", "west of Glenbrae by March", "2013."])]
    y = 780
    for left, right in rows:
        h = 15 * max(len(left), len(right)) + 8
        for k, cell in enumerate((left, right)):
            c.rect(50 + k * 250, y - h, 250, h)
            for m, line in enumerate(cell):
                c.drawString(54 + k * 250, y - 14 - 15 * m, line)
        y -= h
    c.drawString(50, y - 30, "We will also write to the FICTIONAL partners in")
    c.drawString(50, y - 45, "September 2012.")
    c.showPage()
    c.save()
    return buf.getvalue()


def test_hard_wrapped_pdf_table_lines_are_joined(tmp_path):
    raw = _raw(tmp_path)
    (raw / "steps.pdf").write_bytes(_wrapped_table_pdf())
    [steps] = ingest(raw, workers=1).submissions["next_steps"]
    assert "We will recruit the first cohort in June 2012." in steps
    assert "Extend the FICTIONAL scheme to the villages west of Glenbrae by March 2013." in steps
    assert "We will also write to the FICTIONAL partners in September 2012." in steps
