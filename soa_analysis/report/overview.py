"""The summary's first screen: the map, what is strong and what is missing, each short.

After the headline figures, a board member reading the national summary sees in one screen
where the evidence came from (the tile map of submissions), what is strong (the priorities and
councils with the most strong evidence) and what is missing (priorities with thin evidence,
council areas that sent nothing, submissions with no evidence of benefit). Each part is a few
lines and links to the folded section that has the detail (:mod:`.folding`).
"""

from __future__ import annotations

from IPython.display import HTML

from . import tables
from .data import ReportData
from .html import section_html
from .safe import esc
from .tilemap import tile_map

__all__ = ["overview", "strong_points", "missing_points"]

SHOWN = 3  # bullets a part shows before "and N more"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def strong_points(data: ReportData) -> list[str]:
    """What is strong, as HTML list items: the priorities with the largest share of strong
    evidence, and the councils it came from."""
    g = tables.gaps(data)
    g = g[g["strong"] > 0].sort_values(["share_strong", "strong", "label"], ascending=[False, False, True])
    items = [f"<li><strong>{esc(r.label)}</strong>: {r.strong:,} of {_plural(r.submissions, 'submission')} "
             f"strong ({r.share_strong:.0%})</li>" for r in g.head(SHOWN).itertuples()]
    summ = tables.council_summary(data)
    by = summ[summ["strong"] > 0].sort_values(["strong", "council"], ascending=[False, True])
    if len(by):
        most = by[by["strong"] > 1].head(SHOWN)  # "most from" names only councils with more than one
        top = ", ".join(f"{esc(r.council)} ({r.strong:,})" for r in most.itertuples())
        items.append(f"<li>Strong evidence from {_plural(len(by), 'council area')}"
                     + (f", most from {top}" if top else "") + "</li>")
    return items or ["<li>No submission has strong evidence of benefit yet.</li>"]


def missing_points(data: ReportData) -> list[str]:
    """What is missing, as HTML list items: priorities with thin evidence, council areas with no
    submission, and submissions that give no evidence of benefit."""
    thin = tables.thin_priorities(data).sort_values(["strong", "submissions", "label"])
    items = []
    for r in thin.head(SHOWN).itertuples():
        strong = "none strong" if r.strong == 0 else f"{r.strong:,} strong"
        items.append(f"<li><strong>{esc(r.label)}</strong>: {_plural(r.submissions, 'submission')}, {strong}</li>")
    if len(thin) > SHOWN:
        more = len(thin) - SHOWN
        items.append(f"<li>and {more} more {'priority' if more == 1 else 'priorities'} with thin evidence</li>")
    summ = tables.council_summary(data)
    silent = int((summ["submissions"] == 0).sum())
    if silent:
        items.append(f"<li>{silent} of {len(summ)} council areas sent no submission</li>")
    grades = tables.submission_grades(data)
    none = int((grades == "none").sum())
    if none:
        items.append(f"<li>{none:,} of {_plural(len(grades), 'graded submission')} give no evidence "
                     "of benefit</li>")
    return items or ["<li>Every priority has enough submissions with strong evidence, and every council area "
                     "sent evidence.</li>"]


def overview(data: ReportData) -> HTML:
    """The summary's first screen after its headline figures: the tile map of submissions, what
    is strong and what is missing, with links to the sections that have the detail."""
    summ = tables.council_summary(data)
    strong = "".join(strong_points(data))
    missing = "".join(missing_points(data))
    thin = (f"Thin: fewer than {tables.THIN_SUBMISSIONS} submissions on a priority, or under "
            f"{tables.THIN_SHARE_STRONG:.0%} of them strong.")
    return HTML(section_html(
        "overview", "What is strong, what is missing",
        "",  # the map's title and the two headings say what this is
        '<div class="glance">'
        f'<div class="glance-map">{tile_map(summ, value="submissions")}</div>'
        f'<div class="glance-strong"><h3>What is strong</h3><ul>{strong}</ul>'
        '<p class="more"><a href="#evidence">Evidence by priority</a> · <a href="#exemplars">Exemplars</a></p></div>'
        f'<div class="glance-missing"><h3>What is missing</h3><ul>{missing}</ul>'
        f'<p class="note">{esc(thin)}</p>'
        '<p class="more"><a href="#gaps">Gaps</a> · <a href="#coverage">Coverage</a></p></div>'
        "</div>"))
