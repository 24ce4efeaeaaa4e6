"""Council pages across runs: rebuild the parts of a page whose inputs changed, reuse the rest.

A council page has two kinds of sections:

- **local** sections (:data:`LOCAL_SECTIONS`: its case studies, outcome indicators, next steps,
  exemplars, added value and partners, and its further pages of cards), whose HTML depends only
  on the council's own rows. They are always rendered from :func:`local_view`, a copy of the
  council's data with everything about the whole run blanked (the national frame, the run's
  metadata, id and time, the ingest log, the processed folder), in every run, full or not, so
  their HTML cannot depend on anything else. Their key (:func:`view_key`) is a digest of exactly
  that view (the council, each of its tables' columns, dtypes and values, which tables are
  missing, whether council pages are published, the outcome data file's content) and of what
  renders it (:func:`page_fingerprint`: the package version, the source and data files of the
  report's modules, the versions of the libraries that shape the HTML);
- **run-wide** sections (the title, headline figures, the comparison with Scotland and similar
  councils, the changes since the last run, provenance, methodology) and the header of each
  further page of cards: rebuilt every run; they are cheap.

A re-run after one file was added therefore renders the local sections of that file's council
again (and of any council whose rows changed, an exemplar chosen elsewhere included) and takes
every other council's from the cache, ``<processed>/.cache/report.pkl``, which holds the last
run's parts and is replaced at the end of every run (it never grows). The pages are the same,
byte for byte, as a full run's. The run's reuse record (``report.reuse.json``, copied into the
manifest) names the council pages whose parts were reused and those rendered again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..datafiles import sha256_file
from ..partition import Reuse, StageCache
from .cards import card_pages, cards_block
from .contents import SECTIONS, sections_for, show
from .data import RUN_TABLES, ReportData
from .fingerprints import render_fingerprint

__all__ = ["LOCAL_SECTIONS", "LocalParts", "PageCache", "local_view", "local_parts", "view_key",
           "page_fingerprint"]

STAGE = "report"
# Sections of a council page whose HTML depends only on the council's own rows (rendered from
# local_view). A section not listed here is rebuilt every run: the safe default for a new one.
LOCAL_SECTIONS = ("case-studies", "outcomes", "followups", "exemplars", "added-value", "partners")


@dataclass
class LocalParts:
    """The local parts of one council's page: each local section's HTML by anchor, and each page
    of cards as ``(file name, cards block)`` (the first page's block is inside its case studies)."""

    sections: dict[str, str] = field(default_factory=dict)
    cards: list[tuple[str, str]] = field(default_factory=list)


def local_view(data: ReportData) -> ReportData:
    """One council's data with everything about the whole run blanked: what local sections see.

    Parameters
    ----------
    data : ReportData
        One council's data (:meth:`.data.ReportData.for_council`).
    """
    tables = {name: (df.iloc[:0] if name in RUN_TABLES else df) for name, df in data.tables.items()}
    return dataclasses.replace(data, tables=tables, national=data.national.iloc[:0], meta={}, run_id="",
                               generated="", processed_dir=Path(os.devnull), derived={})


def local_parts(view: ReportData) -> LocalParts:
    """Render the local sections and the pages of cards of a council's :func:`local_view`."""
    sections = {s.anchor: show(s.anchor, view).data for s in sections_for(view) if s.anchor in LOCAL_SECTIONS}
    pages = card_pages(view)
    return LocalParts(sections, [(p.name, cards_block(p) if i else "") for i, p in enumerate(pages)])


def page_fingerprint() -> str:
    """What renders the local parts (:func:`.fingerprints.render_fingerprint` of every module a
    section's renderer lives in, and this one)."""
    return render_fingerprint(*{s.render.partition(":")[0] for s in SECTIONS if isinstance(s.render, str)},
                              __name__)


def frame_digest(df: pd.DataFrame) -> str:
    """SHA-256 of a table's columns, dtypes and values, in row order (the index is ignored).

    The values are pickled column by column: equal bytes mean equal values (a pickle can be read
    back), so two different tables never share a digest; the same table read twice gives the
    same bytes.

    Example
    -------
    >>> a = frame_digest(pd.DataFrame({"x": ["a", "b"], "y": [[1], [2, 3]]}))
    >>> a == frame_digest(pd.DataFrame({"x": ["a", "b"], "y": [[1], [2, 3]]}, index=[5, 6]))
    True
    >>> a == frame_digest(pd.DataFrame({"x": ["a", "c"], "y": [[1], [2, 3]]}))
    False
    """
    h = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in df.dtypes.items()] + [len(df)]).encode("utf-8"))
    for c in df.columns:
        h.update(pickle.dumps(df[c].tolist(), protocol=pickle.HIGHEST_PROTOCOL))
    return h.hexdigest()


def view_key(view: ReportData, fingerprint: str) -> str:
    """The key of a council's local parts: a digest of everything :func:`local_view` carries."""
    outcome = view.outcome_data
    head = {"fingerprint": fingerprint, "council": view.council, "council_pages": bool(view.council_pages),
            "missing": sorted(view.missing), "outcome_data": outcome,
            "outcome_sha256": sha256_file(outcome) if outcome and Path(outcome).is_file() else ""}
    h = hashlib.sha256(json.dumps(head, sort_keys=True).encode("utf-8"))
    for name in sorted(view.tables):
        h.update(f"\0{name}\0{frame_digest(view.tables[name])}".encode())
    return h.hexdigest()


class PageCache:
    """The local parts of the last run's council pages, by :func:`view_key` (``<processed>/.cache/report.pkl``).

    Parameters
    ----------
    processed_dir : path-like
        The processed folder the report reads.
    full : bool
        Ignore what is cached (every page is rendered); :meth:`save` still writes.
    """

    def __init__(self, processed_dir, *, full: bool = False):
        self.processed_dir = Path(processed_dir)
        self.full = full
        self.fingerprint = page_fingerprint()
        self._store = StageCache(self.processed_dir, STAGE, full=full)

    def load(self) -> dict[str, LocalParts]:
        """Key -> parts saved by the last run (empty when ``full``, absent, damaged or made by other code)."""
        data = self._store.load()
        ok = isinstance(data, dict) and data.get("fingerprint") == self.fingerprint
        return dict(data["pages"]) if ok else {}

    def save(self, pages: dict[str, LocalParts], reused: list[str], rendered: list[str]) -> None:
        """Keep this run's parts (only) and write the reuse record (council names)."""
        self._store.save({"fingerprint": self.fingerprint, "pages": pages})
        Reuse(STAGE, self.full, reused, rendered, self.fingerprint).write(self.processed_dir)
