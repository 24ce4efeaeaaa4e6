"""Word 97-2003 .doc files through a real LibreOffice (skipped where it is not installed).

CI installs LibreOffice (SOA_WITH_LIBREOFFICE=1) so this runs there; without it, .doc files
are quarantined with a reason that says how to convert them (tested in test_ingest_readers).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import docx
import pytest

from soa_analysis.ingest import ingest

SOFFICE = shutil.which("soffice")
if os.environ.get("SOA_REQUIRE_LIBREOFFICE") == "1" and not SOFFICE:
    raise RuntimeError("SOA_REQUIRE_LIBREOFFICE=1 but soffice is not installed")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not SOFFICE, reason="LibreOffice (soffice) is not installed")]


def test_doc_form_table_is_converted_and_structured(tmp_path):
    d = docx.Document()
    t = d.add_table(rows=0, cols=2)
    for q, a in [
        ("1 Name of SOA case study", "Glenbrae Warm Homes (FICTIONAL TEST CASE)"),
        ("2 What was the local need addressed by this SOA case study?", "Fuel poverty among older people in Fife."),
        ("3 What was done - and by which partners?", "Fife Council and NHS Fife insulated homes."),
        ("4 What is the evidence of the benefits for communities - or if the benefits are still to be "
         "delivered, what is the timeline for that?", "Emergency admissions fell from 40 to 31 per 1,000 in 2010."),
        ("Contact details of lead officer", "Alex Fictional, alex.fictional@fife.gov.uk, 01632 960123"),
    ]:
        row = t.add_row().cells
        row[0].text, row[1].text = q, a
    src = tmp_path / "build"
    src.mkdir()
    d.save(src / "case.docx")
    # docx -> odt -> doc: LibreOffice's direct docx -> doc export flattens python-docx tables
    # into one paragraph, while a table in a real .doc survives the reader's doc -> docx step.
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo'}"
    for target, source in (("odt", "case.docx"), ("doc:MS Word 97", "case.odt")):
        subprocess.run([SOFFICE, "--headless", profile, "--convert-to", target, "--outdir", str(src),
                        str(src / source)], check=True, capture_output=True, timeout=180)
    raw = tmp_path / "raw"
    raw.mkdir()
    (src / "case.doc").rename(raw / "case.doc")
    before = (raw / "case.doc").read_bytes()

    res = ingest(raw, workers=1)

    log = res.ingest_log.iloc[0]
    assert (log.status, log.format) == ("ingested", "doc"), log.reason
    sub = res.submissions.iloc[0]
    assert sub.submission_type == "case_study_2009"
    assert sub.council == "Fife"
    assert "fell from 40 to 31" in sub.evidence
    for contact in ("alex.fictional", "Alex Fictional", "01632 960123"):  # the table survived: no cells run together
        assert contact not in sub.text
    assert list(res.contacts["name"]) == ["Alex Fictional"] and list(res.contacts["phone"]) == ["01632 960123"]
    assert (raw / "case.doc").read_bytes() == before  # converted in a temporary folder, raw untouched
