"""The code meets the lint rules in pyproject.toml's ``[tool.ruff]`` (ruff is a test tool)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["soa_analysis", "tests", "benchmarks", "scripts"]


def test_ruff_finds_nothing():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", *CHECKED],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"ruff check {' '.join(CHECKED)}:\n{proc.stdout}{proc.stderr}"


def test_ruff_reads_the_project_rules(tmp_path):
    """An unused import is reported: the rule set is the project's and the check really runs."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"),
                           str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1 and "F401" in proc.stdout
