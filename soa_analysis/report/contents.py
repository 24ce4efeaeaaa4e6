"""The report's contents: which sections a page has, in which order, and its title.

:data:`SECTIONS` is the one list of sections. The national summary (``notebooks/04_report``,
one cell per section, each ``report.show("<anchor>", data)``) and every council page
(:mod:`.councils`) are built from it, and so is each page's table of contents.

Adding a section
----------------
1. Write a function ``ReportData -> IPython.display.HTML`` in a module of your own that
   returns one ``<section id="<anchor>">`` with its ``<h2>`` (build it with
   :func:`.html.section_html`; pass every value from the data through :func:`.safe.esc`).
2. Add one :class:`Section` line to :data:`SECTIONS` where it belongs, naming the function
   as ``"package.module:function"`` (imported only when a page is built, so the report
   package never imports yours).
3. Add a cell ``report.show("<anchor>", data)`` at the same place in
   ``notebooks/04_report.ipynb`` (a test checks the notebook shows every national section,
   in order).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from IPython.display import HTML

from .banner import fictional_banner
from .data import ReportData
from .safe import esc

__all__ = ["Section", "SECTIONS", "COUNCIL_ORDER", "sections_for", "show", "title"]

NATIONAL, COUNCIL = "national", "council"


@dataclass(frozen=True)
class Section:
    """One section of the report.

    Attributes
    ----------
    anchor : str
        The ``id`` of its ``<section>``, the target of its table-of-contents link.
    toc : str
        Its entry in the table of contents.
    render : str or callable
        ``ReportData -> IPython.display.HTML``, or its dotted path ``"package.module:function"``.
    pages : tuple of str
        The pages it appears on: ``"national"`` (the summary) and/or ``"council"``.
    """

    anchor: str
    toc: str
    render: str | Callable[[ReportData], HTML]
    pages: tuple[str, ...] = (NATIONAL, COUNCIL)

    def function(self) -> Callable[[ReportData], HTML]:
        """The section's function (imported now when given by its dotted path)."""
        if callable(self.render):
            return self.render
        module, _, name = self.render.partition(":")
        return getattr(importlib.import_module(module), name)


_S = "soa_analysis.report.sections"
_P = "soa_analysis.report.provenance"
_C = "soa_analysis.changes.sections"
N = (NATIONAL,)  # charts of all councils that say nothing about one council (one bar, a one-row grid)
SECTIONS: tuple[Section, ...] = (
    Section("headline", "Headline figures", f"{_S}:headline"),
    Section("since-last-run", "Since the last run", f"{_C}:since_last_run"),
    Section("coverage", "Coverage", f"{_S}:coverage", N),
    Section("priorities", "Priorities and outcomes", f"{_S}:priorities", N),
    Section("evidence", "Evidence by priority", f"{_S}:evidence_by_priority", N),
    Section("compare", "Compared with Scotland and similar councils", "soa_analysis.report.compare:compare",
            (COUNCIL,)),
    Section("added-value", "Added value", f"{_S}:added_value"),
    Section("partners", "Partners", f"{_S}:partners"),
    Section("followups", "Next steps", f"{_S}:followups"),
    Section("promises", "Promises followed up", f"{_C}:promises_followed_up"),
    Section("exemplars", "Exemplars", f"{_S}:exemplars"),
    Section("gaps", "Gaps", f"{_S}:gaps", N),
    Section("outcomes", "Outcome indicators", "soa_analysis.report.outcomes_section:outcomes"),
    Section("case-studies", "Case studies", f"{_S}:case_studies"),
    Section("provenance", "Provenance", f"{_P}:provenance"),
    Section("methodology", "Methodology and quality", f"{_P}:methodology"),
)
# A council page is read by its own board: its case studies first (what was done, by whom, the
# evidence and its grade, what comes next), then how its evidence compares with Scotland and
# similar councils, then its outcome indicators, then the rest.
COUNCIL_ORDER = ("headline", "case-studies", "compare", "outcomes", "followups", "promises", "since-last-run",
                 "exemplars", "added-value", "partners", "provenance", "methodology")


def _page(data: ReportData) -> str:
    return COUNCIL if data.council else NATIONAL


def sections_for(data: ReportData) -> list[Section]:
    """The sections of ``data``'s page, in order: the summary's as listed, a council page's
    in :data:`COUNCIL_ORDER` (a section missing from it goes last)."""
    page = _page(data)
    mine = [s for s in SECTIONS if page in s.pages]
    if page == COUNCIL:
        rank = {a: i for i, a in enumerate(COUNCIL_ORDER)}
        mine.sort(key=lambda s: rank.get(s.anchor, len(rank)))
    return mine


def show(anchor: str, data: ReportData) -> HTML:
    """The section ``anchor`` of ``data``'s report, for a notebook cell.

    Raises
    ------
    KeyError
        If no section of :data:`SECTIONS` has that anchor.
    """
    for s in SECTIONS:
        if s.anchor == anchor:
            return s.function()(data)
    raise KeyError(f"no report section {anchor!r}; sections: {', '.join(s.anchor for s in SECTIONS)}")


def title(data: ReportData) -> HTML:
    """The report's ``<h1>``, a one-line scope statement and its table of contents, after the
    fictional-data banner when the run has any submission from the bundled sample."""
    if data.council:
        h = f"{data.council}: community planning evidence"
        scope = f"Submissions from {data.council} Community Planning Partnership."
    else:
        h = "Scottish community planning evidence: national summary"
        scope = "Submissions from Community Planning Partnerships across Scotland."
    back = ('<p class="up"><a href="../summary.html">National summary</a> and the other councils\' pages</p>'
            if data.council and data.council_pages else "")
    toc = "".join(f'<li><a href="#{esc(s.anchor)}">{esc(s.toc)}</a></li>' for s in sections_for(data))
    return HTML(f'{fictional_banner(data)}<header class="soa-title">{back}<h1>{esc(h)}</h1><p class="scope">{esc(scope)} '
                f"Report generated {esc(data.generated)}"
                f'{" for run " + esc(data.run_id) if data.run_id else ""}.</p>'
                f'<nav aria-label="Contents"><ul class="toc">{toc}</ul></nav></header>')


def page_parts(data: ReportData) -> list[str]:
    """The HTML of ``data``'s whole page body: its title, then each of its sections."""
    return [title(data).data] + [s.function()(data).data for s in sections_for(data)]
