"""Two runs from the command line: the change report in the CLI line, summary.html, tables/ and the XLSX.

Fictional fixture files only (tests/fixtures/mini_raw and the case studies of test_changes).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_changes import RUBRIC_REASON, STRICT, strict_rubric

from soa_analysis.cli import main

pytestmark = pytest.mark.slow
MINI = Path(__file__).parent / "fixtures" / "mini_raw"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli_runs")
    raw = base / "raw"
    raw.mkdir()
    for name in ("fife_home_first_reablement.docx", "east_ayrshire_town_centre.txt", "online_form_export.csv",
                 "east_dunbartonshire_befriending.html"):
        shutil.copy(MINI / name, raw / name)
    common = ["--raw-dir", str(raw), "--processed-dir", str(base / "processed"), "--reports-dir",
              str(base / "reports"), "--no-council-reports", "-q"]
    out = {"base": base, "common": common}
    import contextlib
    import io

    def run(*extra):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["run", *common, *extra])
        return code, err.getvalue()

    out["first"] = run()
    out["first_runs"] = sorted(p.name for p in (base / "reports" / "runs").iterdir())
    text = (raw / "east_ayrshire_town_centre.txt").read_text(encoding="utf-8")
    (raw / "east_ayrshire_town_centre.txt").write_text(text.replace("Twelve historic", "Fifteen historic"),
                                                       encoding="utf-8")
    (raw / "east_dunbartonshire_befriending.html").unlink()
    shutil.copy(MINI / "glasgow_alcohol_brief_interventions_2010.docx", raw)
    out["second"] = run("--rubric", str(strict_rubric(base)))
    out["run"] = run
    return out


def test_first_run_says_there_is_nothing_to_compare_with(runs):
    code, err = runs["first"]
    assert code == 0 and "changes: first run, nothing to compare with" in err
    latest = runs["base"] / "reports" / "runs" / runs["first_runs"][0]
    html = (latest / "summary.html").read_text(encoding="utf-8")
    assert "Since the last run" in html and "This is the first run: there is nothing to compare with." in html
    assert (latest / "snapshot.json").is_file()
    assert list(pd.read_csv(latest / "tables" / "changes.csv").columns)[:2] == ["change", "item"]


def test_second_run_lists_exactly_the_edited_added_and_removed_files_and_the_rubric(runs):
    code, err = runs["second"]
    first = runs["first_runs"][0]
    assert code == 0
    assert f"changes since run {first}: submissions 1 added, 1 changed, 1 removed; tags +" in err
    latest = runs["base"] / "reports" / "latest"
    changes = pd.read_csv(latest / "tables" / "changes.csv", keep_default_na=False)
    subs = changes[changes["item"] == "submission"]
    assert sorted(zip(subs["change"], subs["source"], subs["reason"])) == [
        ("added", "glasgow_alcohol_brief_interventions_2010.docx", "new file"),
        ("changed", "east_ayrshire_town_centre.txt", "text changed (file edited)"),
        ("removed", "east_dunbartonshire_befriending.html", "file no longer in the raw folder")]
    assert changes.loc[changes["item"] == "rubric", "reason"].tolist() == [RUBRIC_REASON]
    assert all(RUBRIC_REASON in r for r in changes.loc[changes["item"] == "grade", "reason"])
    sheet = pd.read_excel(latest / "tables" / "report_tables.xlsx", sheet_name="changes", keep_default_na=False)
    assert len(sheet) == len(changes)
    html = (latest / "summary.html").read_text(encoding="utf-8")
    assert f"Compared with run {first}" in html and RUBRIC_REASON in html and "Promises followed up" in html
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["changes"]["previous_run"] == first and manifest["changes"]["counts"]["submissions_added"] == 1
    snapshot = json.loads((runs["base"] / "reports" / "runs" / manifest["run_id"] / "snapshot.json").read_text())
    assert snapshot["versions"]["rubric"]["version"] == STRICT


def test_compare_to_an_unknown_run_exits_2_before_any_work(runs):
    before = sorted(p.name for p in (runs["base"] / "reports" / "runs").iterdir())
    code, err = runs["run"]("--compare-to", "19990101")
    assert code == 2 and "--compare-to 19990101: no such run" in err
    assert sorted(p.name for p in (runs["base"] / "reports" / "runs").iterdir()) == before


def test_compare_to_a_named_run(runs):
    first = runs["first_runs"][0]
    code, err = runs["run"]("--compare-to", first[:15], "--rubric", str(runs["base"] / "strict_rubric.yaml"))
    assert code == 0
    assert f"changes since run {first}: submissions 1 added, 1 changed, 1 removed" in err
