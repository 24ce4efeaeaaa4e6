"""The report's own-process work prepared while the earlier stages run: same page, started and waited for."""

from __future__ import annotations

import subprocess
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from soa_analysis import pipeline, prepare
from soa_analysis.config import make_options

_RENDER = """
import sys
from soa_analysis import prepare
if sys.argv[1] == "prepared":
    f = prepare.prepare_report()
    prepare.wait_prepared(f)
    missing = [m for m in prepare.PREPARED_MODULES if m not in sys.modules]
    assert not missing, missing
from soa_analysis.report.render import render_notebook_html
render_notebook_html(sys.argv[2], sys.argv[3])
"""


def test_a_page_rendered_after_the_preparation_is_the_one_a_fresh_process_renders(tmp_path):
    html = "<h1>Fictional council: evidence</h1><table><tr><th>grade</th><td>strong</td></tr></table>"
    nb = new_notebook(cells=[new_markdown_cell("Fictional *summary* with a list:\n\n- one\n- two"),
                             new_code_cell("x = 1", outputs=[new_output("display_data", data={"text/html": html})])])
    nbformat.write(nb, str(tmp_path / "report.ipynb"))
    for how in ("fresh", "prepared"):
        subprocess.run([sys.executable, "-c", _RENDER, how, str(tmp_path / "report.ipynb"), str(tmp_path / f"{how}.html")],
                       check=True)
    fresh = (tmp_path / "fresh.html").read_text(encoding="utf-8")
    assert "Fictional council: evidence" in fresh
    assert (tmp_path / "prepared.html").read_text(encoding="utf-8") == fresh


def test_a_run_prepares_the_report_while_the_stage_two_before_it_runs_and_waits_for_it(tmp_path, fake_notebooks,
                                                                                        monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("FICTIONAL sample")
    processed = tmp_path / "processed"
    opts = make_options(raw_dir=raw, processed_dir=processed, reports_dir=tmp_path / "reports",
                        notebooks_dir=fake_notebooks)
    started = []

    def recording():
        started.append(sorted(p.name for p in processed.glob("*.done")))
        started.append(future := prepare.prepare_report())
        return future

    monkeypatch.setattr(pipeline, "prepare_report", recording)
    result = pipeline.run(opts, progress=False)  # the stand-in tag stage fails: the report never runs
    assert result.status == "failed"
    done_before, future = started
    assert done_before == ["ingest.done"]  # started when the tag stage did, two stages before the report
    assert future.done()  # waited for before the run returned
    started.clear()
    assert pipeline.run(opts, ("ingest",), progress=False).ok
    assert started == []  # no report in the run: nothing prepared
