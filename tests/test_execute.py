"""Notebook execution: where the notebooks are, their parameters, and the refusals."""

from __future__ import annotations

import pytest

from soa_analysis import execute
from soa_analysis.config import make_options
from soa_analysis.errors import ConfigError


def test_unknown_parameter_is_refused_before_running(fake_notebooks):
    with pytest.raises(ConfigError, match="unknown parameter"):
        execute.check_parameters(fake_notebooks / "02_tag.ipynb", {"processed_dir": "x", "taxonmies": []})


def test_missing_notebooks_dir(tmp_path):
    with pytest.raises(ConfigError, match="notebooks not found"):
        execute.find_notebooks_dir(make_options(notebooks_dir=tmp_path))


def test_real_notebooks_declare_the_parameters_the_pipeline_passes():
    opts = make_options()
    nb_dir = execute.find_notebooks_dir(opts)
    for stage, name in execute.NOTEBOOKS.items():
        execute.check_parameters(nb_dir / name, execute.stage_parameters(stage, opts))


def test_a_parameters_line_papermill_cannot_parse_is_refused(tmp_path, write_notebook):
    nb = write_notebook(tmp_path / "x.ipynb", 'a: int = 1  # fine\nb: int = 0  # 0 = off, which papermill cannot parse\n',
                        "pass")
    with pytest.raises(ConfigError, match="cannot parse the parameters line for 'b'"):
        execute.check_parameters(nb, {"a": 2})


def test_unknown_stage_has_no_parameters():
    with pytest.raises(ConfigError, match="unknown stage"):
        execute.stage_parameters("tagging", make_options())
