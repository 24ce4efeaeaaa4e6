"""One page per council, built from the data already loaded: no notebook, no kernel each.

:func:`write_council_pages` takes the national :class:`.data.ReportData` (read once, by the
report notebook), narrows it to each council (:meth:`.data.ReportData.for_council`) and
writes ``<slug>.html`` (its sections from :data:`.contents.SECTIONS`) and, when its case
studies do not fit on it, ``<slug>-cards-2.html`` ... Councils are shared out over a pool of
processes, since drawing the charts is the work; each page is self-contained like the summary
(same head, CSP and stylesheet, :mod:`.page`).
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..io import write_text
from ..procs import cores, pool_context
from .banner import fictional_banner
from .cards import council_page_name
from .contents import SECTIONS, page_parts
from .data import ReportData
from .page import render_page
from .reuse import LocalParts, PageCache, local_parts, local_view, view_key
from .safe import esc

__all__ = ["council_page_files", "write_council_pages"]


def _cards_page_body(data: ReportData, number: int, pages: list[tuple[str, str]]) -> str:
    nav = [f'<a href="{esc(council_page_name(data.council))}">{esc(data.council)}: the council\'s page</a>']
    if data.council_pages:
        nav.append('<a href="../summary.html">National summary</a>')
    others = " ".join(f'<a href="{esc(name)}">{i}</a>' if i != number else f"<strong>{i}</strong>"
                      for i, (name, _) in enumerate(pages, 1))
    return (f'{fictional_banner(data)}<header class="soa-title"><p class="up">{" · ".join(nav)}</p>'
            f"<h1>{esc(data.council)}: case studies, page {number} of {len(pages)}</h1>"
            f'<p class="scope">Pages of case studies: {others}. Report generated {esc(data.generated)}'
            f'{" for run " + esc(data.run_id) if data.run_id else ""}.</p></header>'
            f'<section id="case-studies" class="soa-section">{pages[number - 1][1]}</section>')


def council_page_files(data: ReportData, local: LocalParts | None = None) -> dict[str, str]:
    """A council's page and its further pages of cards: file name -> whole HTML document.

    Parameters
    ----------
    data : ReportData
        One council's data (:meth:`.data.ReportData.for_council`).
    local : LocalParts, optional
        Its local parts from the last run (:mod:`.reuse`); default: rendered now from
        :func:`.reuse.local_view`. The run-wide sections are rendered now either way.
    """
    local = local or local_parts(local_view(data))
    title = f"{data.council}: community planning evidence"
    files = {council_page_name(data.council): render_page(title, "".join(page_parts(data, local.sections)))}
    for number in range(2, len(local.cards) + 1):
        files[local.cards[number - 1][0]] = render_page(
            f"{data.council}: case studies, page {number} of {len(local.cards)}",
            _cards_page_body(data, number, local.cards))
    return files


_DATA: ReportData | None = None
_CACHED: dict[str, LocalParts] = {}
_FINGERPRINT = ""


def _keep(data: ReportData | None, cached: dict | None = None, fingerprint: str = "") -> None:
    global _DATA, _CACHED, _FINGERPRINT
    _DATA, _CACHED, _FINGERPRINT = data, cached or {}, fingerprint


def _write_one(council: str, out_dir: str, key: str = "") -> tuple[list[str], str, LocalParts | None]:
    """Write one council's pages; returns the files, the key of its local parts (given, or worked
    out here) and the parts when rendered now (``None``: reused from the cache)."""
    data = _DATA.for_council(council)
    view = local_view(data)
    key = key or (view_key(view, _FINGERPRINT) if _FINGERPRINT else "")
    local = _CACHED.get(key) if key else None
    made = None if local is not None else local_parts(view)
    files = council_page_files(data, local or made)
    return [str(write_text(Path(out_dir) / name, html)) for name, html in files.items()], key, made


def _context():
    """How to start the workers (:func:`soa_analysis.procs.pool_context`): a fork server, when
    there is one, imports this module and every section's once."""
    return pool_context([__name__, *sorted({s.render.partition(":")[0] for s in SECTIONS
                                            if isinstance(s.render, str)})])


def write_council_pages(data: ReportData, out_dir: str | os.PathLike, *, workers: int = 0,
                        cache_dir: str | os.PathLike | None = None, full: bool = False) -> list[Path]:
    """Write one page per council in ``data`` (and its further pages of cards) into ``out_dir``.

    Parameters
    ----------
    data : ReportData
        The national data (:func:`.data.load_report_data` without a council).
    out_dir : path-like
        The ``councils/`` folder beside the summary (pages link to ``../summary.html``).
    workers : int
        Processes to share the councils over; 0 = one per core. 1 builds them in this process.
    cache_dir : path-like, optional
        The processed folder whose ``.cache/`` keeps each page's local parts between runs
        (:mod:`.reuse`): a council whose rows are unchanged since the last run takes them from
        there. ``None``: render everything, keep nothing.
    full : bool
        With ``cache_dir``: render every page's parts (and keep them for the next run).

    Returns
    -------
    list of pathlib.Path
        The files written, council by council in name order. Each is written atomically; the
        pages are the same whether parts were reused or not.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    councils = data.councils()
    data = dataclasses.replace(data, council="", council_pages=True, derived={})
    cache = PageCache(cache_dir, full=full) if cache_dir is not None else None
    init = (data, cache.load(), cache.fingerprint) if cache else (data,)
    keys = [""] * len(councils)
    to_render = councils
    if cache:  # the keys first: when little is left to render, workers would cost more than they save
        probe = dataclasses.replace(data, derived={})  # what for_council keeps there cannot go to the workers
        keys = [view_key(local_view(probe.for_council(c)), cache.fingerprint) for c in councils]
        to_render = [c for c, k in zip(councils, keys) if k not in init[1]]
    n = min(workers or cores(), len(to_render))
    if n <= 1:
        _keep(*init)
        try:
            written = [_write_one(c, str(out), k) for c, k in zip(councils, keys)]
        finally:
            _keep(None)
    else:
        with ProcessPoolExecutor(n, mp_context=_context(), initializer=_keep, initargs=init) as pool:
            written = list(pool.map(_write_one, councils, [str(out)] * len(councils), keys))
    if cache:
        old = init[1]
        cache.save({key: made or old[key] for _, key, made in written},
                   reused=[c for c, (_, _, made) in zip(councils, written) if made is None],
                   rendered=[c for c, (_, _, made) in zip(councils, written) if made is not None])
    return [Path(p) for files, _, _ in written for p in files]
