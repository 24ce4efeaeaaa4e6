"""The banner every page of a report built wholly or partly from the fictional sample carries.

The bundled sample's files carry a mark (:mod:`soa_analysis.fictional`) that the ingest stage
records as the ``fictional`` column of ``submissions``. When any submission of the run has it,
the summary, every council page and every further page of cards open with a banner saying
so, whatever council the page is about: the sample names real councils and credits invented
figures to real sources, so a reader must never take a page of it for real evidence. A report
with no submission from the sample has no banner.
"""

from __future__ import annotations

from .data import ReportData
from .safe import esc

__all__ = ["fictional_banner"]


def fictional_banner(data: ReportData) -> str:
    """The banner's HTML for ``data``'s page, or ``""`` when no submission of the run is fictional.

    Parameters
    ----------
    data : ReportData
        The national data or one council's (the banner counts the whole run's submissions
        either way, and a council page says how many of its own are fictional).
    """
    nat = data.national
    if "fictional" not in nat.columns or not nat["fictional"].any():
        return ""
    n, total = int(nat["fictional"].sum()), len(nat)
    whole = "wholly" if n == total else "partly"
    lines = [f"This report is built {whole} from the bundled <strong>fictional sample</strong>: "
             f"{n:,} of its {total:,} submissions are case studies invented to demonstrate soa-analysis. "
             "They name real councils, but their projects, people, figures and sources are made up. "
             "Do not quote them as evidence."]
    if data.council:
        mine = nat[nat["council"] == data.council]
        k = int(mine["fictional"].sum())
        lines.append(f"{esc(data.council)}: {k:,} of its {len(mine):,} submission{'s' if len(mine) != 1 else ''} "
                     f"{'is' if k == 1 else 'are'} fictional.")
    return ('<div class="fictional-banner" role="note" aria-label="Fictional data">'
            '<p class="fb-head">Fictional sample data</p>'
            + "".join(f"<p>{line}</p>" for line in lines) + "</div>")
