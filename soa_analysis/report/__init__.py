"""Shared HTML reports: national and per council, self-contained and safe to forward.

The notebook ``notebooks/04_report.ipynb`` calls :func:`load_report_data`, then
:func:`title` and ``show("<section>", data)`` for each section of :data:`SECTIONS`;
:func:`export_tables` (or :func:`start_export`, in a process of its own) writes the tables behind the
charts and :func:`write_council_pages`
one page per council from the same data; the report stage (:mod:`.stage`) then renders the
executed notebook as the summary (:func:`render_notebook_html`).

Modules: ``data`` (loading), ``tables`` (the numbers), ``charts``/``tilemap`` (pictures),
``sections``/``provenance`` (the sections), ``cards`` and ``excerpt`` (bounded case-study
cards), ``contents`` (which sections, in which order), ``page``/``render``/``councils``
(whole pages), ``exports``, ``stage``; ``safe`` escapes and redacts every value.
"""

from .contents import SECTIONS, Section, show, title
from .councils import start_report_workers, write_council_pages
from .data import ReportData, load_report_data, resolve_path
from .exports import export_tables, start_export
from .provenance import methodology, provenance
from .safe import esc, redact
from .sections import (
    added_value,
    case_studies,
    coverage,
    evidence_by_priority,
    exemplars,
    followups,
    gaps,
    headline,
    partners,
    priorities,
)
from .tables import chart_tables

_LAZY = {"csp": "page", "render_notebook_html": "render", "run_report_notebook": "stage",
         "outcomes": "outcomes_section"}


def __getattr__(name: str):
    # The renderer pulls in nbconvert (about 2 s to import), the stage papermill and the outcome
    # section matplotlib; they are imported only when asked for (report.show imports a section
    # when its page is built).
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SECTIONS", "ReportData", "Section", "added_value", "case_studies", "chart_tables", "coverage", "csp",
    "esc", "evidence_by_priority", "exemplars", "export_tables", "followups", "gaps", "headline",
    "load_report_data", "methodology", "outcomes", "partners", "priorities", "provenance", "redact",
    "render_notebook_html", "resolve_path", "run_report_notebook", "show", "start_export", "start_report_workers", "title",
    "write_council_pages",
]
