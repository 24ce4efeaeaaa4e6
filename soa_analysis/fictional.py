"""The mark that says a file belongs to the bundled fictional sample, and how it is found.

Every file of the bundled sample (``data/raw``, written by ``scripts/build_sample_data.py``)
carries :data:`FICTIONAL_MARK` in its title and :data:`DISCLAIMER` as its last line. The
ingest stage records a submission whose text carries either as ``fictional`` (a column of
``submissions``), and a report with any such submission says on every page that it is
built wholly or partly from fictional data (:mod:`soa_analysis.report.banner`).

Example
-------
>>> is_fictional("Town centre fund (FICTIONAL SAMPLE)")
True
>>> is_fictional("Town centre fund")
False
"""

from __future__ import annotations

__all__ = ["FICTIONAL_MARK", "DISCLAIMER", "is_fictional"]

FICTIONAL_MARK = "(FICTIONAL SAMPLE)"
DISCLAIMER = "Fictional case study written for the soa-analysis sample data; not a real submission."


def is_fictional(text: str) -> bool:
    """Whether ``text`` carries the fictional sample's mark or its disclaimer line.

    Parameters
    ----------
    text : str
        A document's whole text (title, narrative, footers as read).
    """
    if not isinstance(text, str):
        return False
    folded = " ".join(text.split()).casefold()
    return FICTIONAL_MARK.casefold() in folded or DISCLAIMER.casefold() in folded
