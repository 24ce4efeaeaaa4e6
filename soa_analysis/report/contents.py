"""The report's contents: which sections a page has, in which order, and its title.

:data:`SECTIONS` is the one list of sections. The national summary (``notebooks/04_report``,
one cell per section, each ``report.show("<anchor>", data)``) and every council page
(:mod:`.councils`) are built from it, and so is each page's table of contents.

The summary leads with one screen: its headline figures, then the tile map beside what is
strong and what is missing (:mod:`.overview`), then its contents list; every section after
that is folded (its ``folded`` pages), a heading that opens when clicked or when a link to it
is followed (:mod:`.folding`). A council page lists its contents under its title and folds
nothing.

Adding a section
----------------
1. Write a function ``ReportData -> IPython.display.HTML`` in a module of your own that
   returns one ``<section id="<anchor>">`` with its ``<h2>`` (build it with
   :func:`.html.section_html`; pass every value from the data through :func:`.safe.esc`).
2. Add one :class:`Section` line to :data:`SECTIONS` where it belongs, naming the function
   as ``"package.module:function"`` (imported only when a page is built, so the report
   package never imports yours). A long section after the summary's contents is folded
   there: ``folded=F``.
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
from .cards import council_index
from .data import ReportData
from .folding import OPEN_JS, fold
from .html import section_html
from .safe import esc

__all__ = ["Section", "SECTIONS", "COUNCIL_ORDER", "sections_for", "show", "title", "toc", "contents"]

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
    folded : tuple of str
        The pages on which it is folded: shown as its heading, which opens it, and opened by
        a link to it (:func:`.folding.fold`).
    """

    anchor: str
    toc: str
    render: str | Callable[[ReportData], HTML]
    pages: tuple[str, ...] = (NATIONAL, COUNCIL)
    folded: tuple[str, ...] = ()

    def function(self) -> Callable[[ReportData], HTML]:
        """The section's function (imported now when given by its dotted path)."""
        if callable(self.render):
            return self.render
        module, _, name = self.render.partition(":")
        return getattr(importlib.import_module(module), name)


_S = "soa_analysis.report.sections"
_P = "soa_analysis.report.provenance"
_C = "soa_analysis.changes.sections"
_O = "soa_analysis.report.overview"
N = (NATIONAL,)  # charts of all councils that say nothing about one council (one bar, a one-row grid)
# The summary leads with one screen (headline figures, the map, what is strong, what is missing),
# then its contents list; every section after that is folded: a heading that opens (see .folding).
F = N
SECTIONS: tuple[Section, ...] = (
    Section("headline", "Headline figures", f"{_S}:headline"),
    Section("overview", "What is strong, what is missing", f"{_O}:overview", N),
    Section("contents", "Contents", "soa_analysis.report.contents:contents", N),
    Section("evidence", "Evidence by priority", f"{_S}:evidence_by_priority", N, F),
    Section("gaps", "Gaps", f"{_S}:gaps", N, F),
    Section("coverage", "Coverage", f"{_S}:coverage", N, F),
    Section("priorities", "Priorities and outcomes", f"{_S}:priorities", N, F),
    Section("compare", "Compared with Scotland and similar councils", "soa_analysis.report.compare:compare",
            (COUNCIL,)),
    Section("outcomes", "Outcome indicators", "soa_analysis.report.outcomes_section:outcomes", folded=F),
    Section("case-studies", "Case studies", f"{_S}:case_studies", folded=F),
    Section("exemplars", "Exemplars", f"{_S}:exemplars", folded=F),
    Section("followups", "Next steps", f"{_S}:followups", folded=F),
    Section("promises", "Promises followed up", f"{_C}:promises_followed_up", folded=F),
    Section("added-value", "Added value", f"{_S}:added_value", folded=F),
    Section("partners", "Partners", f"{_S}:partners", folded=F),
    Section("since-last-run", "Since the last run", f"{_C}:since_last_run", folded=F),
    Section("provenance", "Provenance", f"{_P}:provenance", folded=F),
    Section("methodology", "Methodology and quality", f"{_P}:methodology", folded=F),
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
            out = s.function()(data)
            return HTML(fold(out.data)) if _page(data) in s.folded else out
    raise KeyError(f"no report section {anchor!r}; sections: {', '.join(s.anchor for s in SECTIONS)}")


def toc(data: ReportData) -> str:
    """The table of contents of ``data``'s page: a link to each of its sections (but itself),
    and the script that opens a folded section when its link is followed."""
    items = "".join(f'<li><a href="#{esc(s.anchor)}">{esc(s.toc)}</a></li>'
                    for s in sections_for(data) if s.anchor != "contents")
    script = f"<script>{OPEN_JS}</script>" if any(_page(data) in s.folded for s in sections_for(data)) else ""
    return f'<nav aria-label="Contents"><ul class="toc">{items}</ul></nav>{script}'


def contents(data: ReportData) -> HTML:
    """The summary's contents section, after its first screen: a link to each section (the folded
    ones open when their link is followed), then each council's page."""
    return HTML(section_html("contents", "Contents",
                             "Each section below opens from its link here or from its heading; printing shows "
                             "them all.", toc(data), council_index(data)))


def title(data: ReportData) -> HTML:
    """The report's ``<h1>`` and a one-line scope statement, after the fictional-data banner when
    the run has any submission from the bundled sample; then the table of contents, unless the
    page has a ``contents`` section of its own (the summary's comes after its first screen)."""
    if data.council:
        h = f"{data.council}: community planning evidence"
        scope = f"Submissions from {data.council} Community Planning Partnership."
    else:
        h = "Scottish community planning evidence: national summary"
        scope = "Submissions from Community Planning Partnerships across Scotland."
    back = ('<p class="up"><a href="../summary.html">National summary</a> and the other councils\' pages</p>'
            if data.council and data.council_pages else "")
    nav = "" if any(s.anchor == "contents" for s in sections_for(data)) else toc(data)
    return HTML(f'{fictional_banner(data)}<header class="soa-title">{back}<h1>{esc(h)}</h1><p class="scope">{esc(scope)} '
                f"Report generated {esc(data.generated)}"
                f'{" for run " + esc(data.run_id) if data.run_id else ""}.</p>'
                f"{nav}</header>")


def page_parts(data: ReportData, done: dict[str, str] | None = None) -> list[str]:
    """The HTML of ``data``'s whole page body: its title, then each of its sections (those in
    ``done``, by anchor, as given: rendered already, :mod:`.reuse`)."""
    done = done or {}
    return [title(data).data] + [done[s.anchor] if s.anchor in done else show(s.anchor, data).data
                                 for s in sections_for(data)]
