"""The four pipeline notebooks: thin, parameterised, and runnable as JupyterLab runs them."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from soa_analysis.config import make_options
from soa_analysis.execute import NOTEBOOKS, check_parameters, stage_parameters

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
# The pipeline's four, and 05_changes (JupyterLab only: the change report between two kept runs).
ALL_NOTEBOOKS = [*NOTEBOOKS.values(), "05_changes.ipynb"]
_TYPED = re.compile(r"^[a-z_][a-z0-9_]*: (str|int|float|bool|list|dict) = .+  # \S.*$")


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_one_typed_commented_parameters_cell(name):
    nb = nbformat.read(str(NB_DIR / name), as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    lines = [ln for ln in params[0].source.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines and all(_TYPED.match(ln) for ln in lines), lines


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_notebooks_define_no_logic_of_their_own(name):
    nb = nbformat.read(str(NB_DIR / name), as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(def|class) |lambda\b", code, re.M), "logic belongs in soa_analysis"
    assert "soa_analysis" in code
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit notebooks without outputs"


@pytest.mark.parametrize("stage", list(NOTEBOOKS))
def test_pipeline_parameters_are_declared(stage):
    check_parameters(NB_DIR / NOTEBOOKS[stage], stage_parameters(stage, make_options()))


@pytest.mark.slow
def test_notebooks_run_top_to_bottom_with_their_defaults(tmp_path):
    """As in JupyterLab: no injected parameters, working folder notebooks/, the bundled sample.

    This writes data/processed/ (disposable: `make report` rebuilds it), as running the
    notebooks from JupyterLab does.
    """
    import papermill

    for name in NOTEBOOKS.values():
        papermill.execute_notebook(str(NB_DIR / name), str(tmp_path / name), kernel_name="python3",
                                   cwd=str(NB_DIR), progress_bar=False)
    for table in ("ingest_log.csv", "submissions.parquet", "tags.parquet", "evidence.parquet"):
        assert (ROOT / "data" / "processed" / table).is_file()
    out = nbformat.read(str(tmp_path / "04_report.ipynb"), as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in out.cells for o in c.get("outputs", []))
    assert "Headline figures" in html


@pytest.mark.slow
def test_changes_notebook_shows_the_change_report_between_two_kept_runs(tmp_path):
    """05_changes on two hand-made run snapshots and a follow-up table, as papermill (or JupyterLab) runs it."""
    import json

    import pandas as pd
    import papermill

    from soa_analysis.changes import FOLLOWUP_COLUMNS, write_snapshot
    from soa_analysis.io import write_table

    def sub(key, sha, grade, tags):
        return {"key": key, "submission_id": f"s-{sha}", "source_file": key, "part": "", "council": "Fife",
                "title": f"Fictional {key}", "date": "", "year": 2011, "text_sha256": sha, "grade": grade,
                "tags": {"priorities": tags}}

    versions = {"software": {"soa-analysis": "0.1.0"}, "taxonomies": {}, "models": {},
                "rubric": {"name": "evidence_rubric", "version": "1.0.0"}}
    runs = {"20260101T000000Z_aaaaaa": [sub("kept.txt", "a1", "some", ["employment"]), sub("gone.txt", "b1", "none", [])],
            "20260102T000000Z_bbbbbb": [sub("kept.txt", "a2", "strong", ["employment", "early_years"]),
                                        sub("new.txt", "c1", "some", [])]}
    for run_id, subs in runs.items():
        d = tmp_path / "reports" / "runs" / run_id
        d.mkdir(parents=True)
        (d / "manifest.json").write_text(json.dumps({"status": "succeeded"}))
        write_snapshot(d, {"format": 1, "run_id": run_id, "as_of": "2026-01-01", "taxonomies_used": ["priorities"],
                           "versions": versions, "files": [], "submissions": subs})
    processed = tmp_path / "processed"
    row = {c: "" for c in FOLLOWUP_COLUMNS} | {"submission_id": "s-a2", "council": "Fife", "what": "Open a hub.",
                                               "due": "2012-03-31", "status": "overdue",
                                               "fell_due_since_last_run": True, "similarity": 0.0}
    write_table(pd.DataFrame([row]), processed / "followup_status.parquet", table="followup_status")
    out = tmp_path / "05_changes.ipynb"
    papermill.execute_notebook(str(NB_DIR / "05_changes.ipynb"), str(out), kernel_name="python3",
                               parameters={"reports_dir": str(tmp_path / "reports"), "processed_dir": str(processed)},
                               cwd=str(NB_DIR), progress_bar=False)
    nb = nbformat.read(str(out), as_version=4)
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") + o.get("data", {}).get("text/html", "")
                   for c in nb.cells for o in c.get("outputs", []))
    assert ("run 20260102T000000Z_bbbbbb: changes since run 20260101T000000Z_aaaaaa: submissions 1 added, "
            "1 changed, 1 removed; tags +1 -0, 1 grade(s) changed") in text
    assert "text changed" in text and "Open a hub." in text
