"""pyproject.toml is the single source of dependencies; environment.yml must mirror it."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _bound(req: str) -> str:
    m = re.search(r">=\s*([0-9][^,; ]*)", req)
    return m.group(1) if m else ""


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + [r for extra in data["project"]["optional-dependencies"].values()
                                              for r in extra]
    return {_name(r): _bound(r) for r in reqs}


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out: dict[str, str] = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-e") or _name(item) in ("python", "pip"):
                continue
            out[_name(item)] = _bound(item)
    return out


def test_environment_lists_the_same_packages_as_pyproject():
    py, env = _pyproject(), _environment()
    assert sorted(set(py) - set(env)) == [], "in pyproject.toml but not environment.yml"
    assert sorted(set(env) - set(py)) == [], "in environment.yml but not pyproject.toml"


def test_environment_has_the_same_lower_bounds():
    py, env = _pyproject(), _environment()
    assert {k: env[k] for k in py} == py


def test_core_packages_of_the_design_card_are_dependencies():
    py = _pyproject()
    for pkg in ("jupyterlab", "pandas", "scikit-learn", "nltk", "matplotlib", "papermill"):
        assert pkg in py


def test_ci_installs_the_dask_extra():
    """The Dask engine's tests skip without dask; CI installs the extra and requires them to run."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert {_name(r) for r in data["project"]["optional-dependencies"]["dask"]} == {"dask", "distributed"}
    ci = (ROOT / ".ci" / "run").read_text()
    assert ".[dev,dask]" in ci and "SOA_REQUIRE_DASK=1" in ci
