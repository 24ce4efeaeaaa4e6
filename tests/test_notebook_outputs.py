"""The committed notebooks carry no outputs, execution counts or run metadata, and the strip script
(scripts/strip_notebook_outputs.py, ``make strip-notebooks``) makes an executed notebook so."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_output

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "strip_notebook_outputs.py"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _run_state(path: Path) -> list[str]:
    """What running left in a notebook, one line per finding."""
    nb = nbformat.read(str(path), as_version=4)
    found = [f"notebook metadata {k!r}" for k in ("papermill", "widgets") if k in nb.metadata]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.get("outputs"):
            found.append(f"cell {i}: {len(cell.outputs)} output(s)")
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            found.append(f"cell {i}: execution count {cell.execution_count}")
        found += [f"cell {i}: metadata {k!r}" for k in ("execution", "papermill", "ExecuteTime") if k in cell.metadata]
    return found


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_clean(path):
    assert _run_state(path) == [], f"{path.name}: run `make strip-notebooks` before committing"


def _executed_copy(tmp_path: Path) -> Path:
    """A copy of the first notebook as a run leaves it (outputs written by hand: no kernel needed)."""
    path = tmp_path / NOTEBOOKS[0].name
    shutil.copy(NOTEBOOKS[0], path)
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata["papermill"] = {"parameters": {"raw_dir": "FICTIONAL"}}
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = n + 1
        cell.outputs = [new_output("stream", name="stdout", text="fictional output\n")]
        cell.metadata["execution"] = {"iopub.status.idle": "2026-11-30T00:00:00Z"}
    nbformat.write(nb, str(path))
    return path


def test_the_guard_sees_an_executed_notebook(tmp_path):
    found = _run_state(_executed_copy(tmp_path))
    assert "notebook metadata 'papermill'" in found
    assert any("output(s)" in f for f in found) and any("execution count" in f for f in found)


def test_strip_script_checks_then_strips_back_to_the_committed_bytes(tmp_path):
    path = _executed_copy(tmp_path)
    check = subprocess.run([sys.executable, str(SCRIPT), "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 1 and "carries outputs" in check.stdout
    assert _run_state(path) != []  # --check changes nothing
    strip = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True)
    assert strip.returncode == 0, strip.stderr
    assert _run_state(path) == []
    assert path.read_bytes() == NOTEBOOKS[0].read_bytes()
    again = subprocess.run([sys.executable, str(SCRIPT), "--check", str(path)], capture_output=True, text=True)
    assert again.returncode == 0 and again.stdout == ""
