"""The provenance section lists every file not read in full, and stays small whatever the input."""

from __future__ import annotations

import pandas as pd

from soa_analysis import report
from soa_analysis.report import file_listing
from soa_analysis.report.provenance import provenance
from soa_analysis.report.synthetic import make_synthetic_processed
from soa_analysis.report.tables import chart_tables


def _log(n_tiny: int) -> pd.DataFrame:
    rows = [
        ("big/thirty_mb.txt", "ingested", "", "text cut to the first 199,994 of 31,457,280 characters (limit ...)"),
        ("links/passwd_link.txt", "quarantined", "symbolic link to a file outside the raw folder (not followed)", ""),
        ("copies/a (copy).docx", "duplicate", "same content as copies/a.docx (kept: not named as a copy)", ""),
        ("scan.pdf", "quarantined", "PDF has no text layer (scanned image?); OCR it or supply the Word original", ""),
        ("rtl/invoice\u202etxt.exe", "quarantined", "unsupported file type '.exe'", ""),
        ("names/new\nline.txt", "ingested", "", ""),
    ]
    rows += [(f"tiny/{i:04d}.txt", "quarantined", f"no narrative text: {1 + i % 2} word(s) found (at least 3 needed)",
              "") for i in range(n_tiny)]
    log = pd.DataFrame(rows, columns=["source_file", "status", "reason", "cut"])
    log["sha256"], log["submission_id"] = "f" * 64, ""
    return log


def test_every_file_not_read_in_full_is_listed_with_what_happened():
    listing = file_listing.files_not_read(_log(3))
    assert list(listing["what"])[:1] == ["cut"] and len(listing) == 8  # the ingested file with no cut is not listed
    by = listing.set_index("file")
    assert by.loc["links/passwd_link.txt", "what"] == "skipped"
    assert by.loc["copies/a (copy).docx", "what"] == "duplicate"
    assert by.loc["scan.pdf", "what"] == "quarantined"
    assert by.loc["big/thirty_mb.txt", "reason"].startswith("text cut to the first 199,994")
    summary = file_listing.reasons_summary(listing)
    assert summary.iloc[0].to_dict() == {"what": "quarantined", "files": 3, "example": "tiny/0000.txt",
                                         "reason": "no narrative text: 1 word(s) found (at least 3 needed)"}


def test_provenance_lists_reasons_and_the_first_files_and_stays_small(tmp_path):
    processed = make_synthetic_processed(tmp_path / "p", n=4)
    _log(5000).to_csv(processed / "ingest_log.csv", index=False)
    data = report.load_report_data(processed, run_id="listing-test")
    html = provenance(data).data
    assert "5,005 file(s) cut, quarantined, skipped or set aside as duplicates" in html
    assert "The first 100 of them" in html and "The other 4,905 are in the tables exported" in html
    assert html.count("tiny/") == 1 + 97  # the example in the reasons table, then 97 of the first 100 listed
    assert "\u202e" not in html and "invoicetxt.exe" in html  # bidi override stripped from the name
    assert len(html.encode()) < 60_000
    assert len(chart_tables(data)["files_not_read"]) == 5005  # the export lists them all
    council = report.load_report_data(processed, council=data["submissions"]["council"].iloc[0])
    assert "the national summary lists them" in provenance(council).data
