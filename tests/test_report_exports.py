"""Exports: the tables behind the charts as CSV files and one workbook, redacted and formula-safe.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import pandas as pd

from soa_analysis.report.data import load_report_data
from soa_analysis.report.exports import export_tables
from soa_analysis.report.synthetic import make_synthetic_processed

PAYLOAD = "Contact jane.doe@council.example or 0131 496 0000. <script>alert('pwned')</script>"


def test_exports_write_csv_and_workbook_safely(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=6, narrative_extra={0: PAYLOAD})
    fu = pd.read_parquet(p / "followups.parquet")
    fu.loc[0, "what"] = "=HYPERLINK(\"http://evil.example\") ring 0131 496 0000"
    fu.to_parquet(p / "followups.parquet")
    written = export_tables(load_report_data(p), tmp_path / "out")
    names = {w.name for w in written}
    assert {"coverage.csv", "priorities.csv", "grade_by_priority.csv", "added_value.csv", "partner_pairs.csv",
            "followup_timeline.csv", "council_summary.csv", "report_tables.xlsx"} <= names
    fol = pd.read_csv(tmp_path / "out" / "followups.csv", keep_default_na=False)
    assert fol["what"].str.startswith("'=").any()
    assert not fol["what"].str.contains("496 0000").any()
    sheets = pd.read_excel(tmp_path / "out" / "report_tables.xlsx", sheet_name=None)
    assert {"about", "coverage", "priorities", "followups"} <= set(sheets)
    assert len(sheets["council_summary"]) == 32


def test_exports_list_every_case_study(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=7, narrative_extra={2: PAYLOAD})
    export_tables(load_report_data(p), tmp_path / "out")
    cs = pd.read_csv(tmp_path / "out" / "case_studies.csv", keep_default_na=False)
    assert len(cs) == 7 and {"submission_id", "council", "title", "grade", "priorities"} <= set(cs.columns)
    assert not cs.astype(str).apply(lambda c: c.str.contains("jane.doe|496 0000")).any().any()
