"""Shared test settings and fixtures.

Hypothesis runs with no per-example deadline everywhere: tests must pass on a loaded
2-core machine, so no test depends on how long something takes.

Fixtures: small stand-in notebooks for the pipeline's mechanics (all data fictional).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import nbformat
import pytest
from hypothesis import settings
from nbformat.v4 import new_code_cell, new_notebook

from soa_analysis.execute import NOTEBOOKS

settings.register_profile("soa", deadline=None)
settings.load_profile("soa")

ROOT = Path(__file__).resolve().parent.parent


def _write_notebook(path: Path, params: str, body: str) -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, new_code_cell(body)]
    nbformat.write(nb, str(path))
    return path


def _stand_in_notebooks(folder: Path, body_of: Callable[[str], str]) -> Path:
    folder.mkdir()
    for stage, name in NOTEBOOKS.items():
        real = nbformat.read(str(ROOT / "notebooks" / name), as_version=4)
        params = next(c.source for c in real.cells if "parameters" in c.metadata.get("tags", []))
        _write_notebook(folder / name, params, body_of(stage))
    return folder


@pytest.fixture
def write_notebook():
    """``write_notebook(path, params, body)``: a two-cell notebook, the first tagged ``parameters``."""
    return _write_notebook


@pytest.fixture
def stand_in_notebooks():
    """``stand_in_notebooks(folder, body_of)``: stage notebooks with the real parameter cells and
    ``body_of(stage)`` as their code."""
    return _stand_in_notebooks


@pytest.fixture
def fake_notebooks(tmp_path):
    """Stand-in stage notebooks with the real parameter cells; 02_tag raises."""
    def body(stage: str) -> str:
        code = "from pathlib import Path\nPath(processed_dir).mkdir(parents=True, exist_ok=True)\n"
        code += f"(Path(processed_dir) / '{stage}.done').write_text('ok')\n"
        if stage == "tag":
            code += "raise RuntimeError('planted failure in the tag stage')\n"
        return code

    return _stand_in_notebooks(tmp_path / "nbs", body)
