"""The four pipeline notebooks: thin, parameterised, and runnable as JupyterLab runs them."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from soa_analysis.pipeline import NOTEBOOKS, check_parameters, stage_parameters
from soa_analysis.config import make_options

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
_TYPED = re.compile(r"^[a-z_][a-z0-9_]*: (str|int|float|bool|list|dict) = .+  # \S.*$")


@pytest.mark.parametrize("name", list(NOTEBOOKS.values()))
def test_one_typed_commented_parameters_cell(name):
    nb = nbformat.read(str(NB_DIR / name), as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    lines = [ln for ln in params[0].source.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines and all(_TYPED.match(ln) for ln in lines), lines


@pytest.mark.parametrize("name", list(NOTEBOOKS.values()))
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
