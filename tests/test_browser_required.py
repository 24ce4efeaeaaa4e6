"""With SOA_REQUIRE_BROWSER=1 a missing browser stack fails the test run instead of skipping it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts a second pytest
ROOT = Path(__file__).resolve().parent.parent

# Collect the browser tests with Playwright made unimportable (sys.modules entry None).
_COLLECT = """
import sys
sys.modules["playwright"] = None
sys.modules["playwright.sync_api"] = None
import pytest
sys.exit(pytest.main(["-q", "--collect-only", "-p", "no:cacheprovider", "tests/test_browser.py"]))
"""


def _collect(require: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOA_REQUIRE_BROWSER": require}
    return subprocess.run([sys.executable, "-c", _COLLECT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_missing_playwright_fails_when_the_browser_is_required():
    done = _collect("1")
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "SOA_REQUIRE_BROWSER=1" in out and ("playwright" in out or "chromium" in out)
