"""Shared HTML reports: national and per council, self-contained and safe to forward.

The notebook ``notebooks/04_report.ipynb`` calls :func:`load_report_data` and then one
section function per part of the report (each returns an ``IPython.display.HTML``);
:func:`export_tables` writes the tables behind the charts; the pipeline then calls
:func:`render_notebook_html` on the executed notebook.
"""

from .data import ReportData, load_report_data, resolve_path
from .exports import export_tables
from .safe import esc, redact
from .sections import (
    ALL_SECTIONS,
    added_value,
    case_studies,
    coverage,
    evidence_by_priority,
    exemplars,
    followups,
    gaps,
    headline,
    methodology,
    outcomes,
    partners,
    priorities,
    provenance,
    title,
)
from .tables import chart_tables

_LAZY = {"csp": "render", "render_notebook_html": "render", "run_report_notebook": "stage"}


def __getattr__(name: str):
    # The renderer pulls in nbconvert (about 2 s to import) and the stage papermill; the report
    # notebook's kernel needs neither, so they are imported only when asked for.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ALL_SECTIONS", "ReportData", "added_value", "case_studies", "chart_tables", "coverage", "csp",
    "esc", "evidence_by_priority", "exemplars", "export_tables", "followups", "gaps", "headline",
    "load_report_data", "methodology", "outcomes", "partners", "priorities", "provenance", "redact",
    "render_notebook_html", "resolve_path", "run_report_notebook", "title",
]
