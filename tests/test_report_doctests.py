"""The examples in the report modules' docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["soa_analysis.report.labels", "soa_analysis.report.html", "soa_analysis.report.palette",
           "soa_analysis.report.excerpt", "soa_analysis.report.cards", "soa_analysis.report.safe"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted and result.failed == 0
