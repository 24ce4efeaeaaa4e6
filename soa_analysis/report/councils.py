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
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..io import write_text
from ..procs import cores, gc_paused, pool_context, worker_pool
from .banner import fictional_banner
from .cards import council_page_name
from .contents import SECTIONS, page_parts
from .data import RUN_TABLES, ReportData
from .page import render_page
from .reuse import LocalParts, PageCache, council_keys, local_parts, local_view
from .safe import esc

__all__ = ["council_page_files", "write_council_pages", "report_pool_context", "start_report_workers"]


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


_RUN: ReportData | None = None  # the run-wide part of the data (tables of the run only), in each worker


def _keep(run: ReportData | None) -> None:
    global _RUN
    _RUN = run


def _run_wide(data: ReportData) -> ReportData:
    """``data`` with only what every page shares: the national frame, the metadata and the tables
    about the run (the ingest log); the tables about submissions are left empty. This is all a
    worker is sent once; each council's own rows come with its task."""
    tables = {name: df if name in RUN_TABLES else df.iloc[:0] for name, df in data.tables.items()}
    return dataclasses.replace(data, council="", tables=tables, derived={})


def _council_rows(data: ReportData, council: str) -> dict:
    """One council's own tables (those about its submissions): what its task carries."""
    return _own_rows(data.for_council(council))


def _own_rows(mine: ReportData) -> dict:
    """The tables about the submissions of a council's data (:meth:`.data.ReportData.for_council`)."""
    return {name: df for name, df in mine.tables.items() if name not in RUN_TABLES}


def _write_one(council: str, rows: dict, out_dir: str, local: LocalParts | None) -> tuple[list[str], LocalParts | None]:
    """Write one council's pages from its own rows and the run-wide data kept in this process;
    ``local``: its local parts from the last run, or ``None`` to render them now. Returns the files
    and the parts rendered now (``None`` when reused)."""
    tables = {name: rows.get(name, df) for name, df in _RUN.tables.items()}
    return _write_data(dataclasses.replace(_RUN, council=council, tables=tables, derived={}), out_dir, local)


def _write_data(data: ReportData, out_dir: str, local: LocalParts | None) -> tuple[list[str], LocalParts | None]:
    """:func:`_write_one` for one council's data (:meth:`.data.ReportData.for_council`) at hand."""
    made = None if local is not None else local_parts(local_view(data))
    files = council_page_files(data, local or made)
    return [str(write_text(Path(out_dir) / name, html)) for name, html in files.items()], made


def report_pool_context():
    """How the report's workers start (:func:`soa_analysis.procs.pool_context`): a fork server, when
    there is one, imports this module, every section's and the exports' once (the council pages and
    :func:`.exports.start_export` share it: the first to start it names what it imports)."""
    return pool_context([__name__, "soa_analysis.report.exports",
                          *sorted({s.render.partition(":")[0] for s in SECTIONS if isinstance(s.render, str)})])


def start_report_workers() -> bool:
    """Start the fork server the report's workers come from (:func:`report_pool_context`) now, when they
    will come from one (in a kernel): its start imports the report's modules (about a second of one core),
    which it then does while this process loads the report's data, instead of once the exports are started
    (:func:`.exports.start_export`), when their process waited for it. Returns whether it was started
    (``False`` where workers are forked: nothing to start). The server is the one any later pool of this
    process uses; starting it twice starts one.
    """
    ctx = report_pool_context()
    if ctx.get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver

    forkserver.ensure_running()  # spawns the server and returns: its imports are its own
    return True


def _bounded(pool: ProcessPoolExecutor, tasks, window: int, meanwhile=None) -> list:
    """Results of ``pool.submit(_write_one, *task)`` for each task, in order, with at most ``window``
    tasks submitted and not yet done: a council's rows are made and sent only when a worker is
    nearly free, so the whole run's rows are never all in flight at once. ``meanwhile``: called with
    no argument once the first tasks are submitted, so this process works (on the kept councils'
    pages) while the workers render."""
    pending: deque = deque()
    results = []
    for task in tasks:
        pending.append(pool.submit(_write_one, *task))
        if len(pending) >= window:
            if meanwhile is not None:
                meanwhile()
                meanwhile = None
            results.append(pending.popleft().result())
    if meanwhile is not None:
        meanwhile()
    results.extend(f.result() for f in pending)
    return results


def write_council_pages(data: ReportData, out_dir: str | os.PathLike, *, workers: int = 0,
                        cache_dir: str | os.PathLike | None = None, full: bool = False) -> list[Path]:
    """Write one page per council in ``data`` (and its further pages of cards) into ``out_dir``.

    Each worker is sent the run-wide data once (the national frame, the metadata, the ingest
    log) and each council's own rows with its task, a few councils ahead of the workers: the
    processes never hold the whole run's tables twice.

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
    run = _run_wide(data)
    # the keys first (:func:`.reuse.council_keys`: every council's at once, without narrowing the data to
    # each); the councils whose local parts are not cached are rendered in workers when there is more than
    # one core (their pool is started first), while this process writes each council whose parts are cached
    # (only its run-wide sections are rendered: cheap), narrowing to the council only the tables those read
    # (lazy). The collector is paused meanwhile (:func:`soa_analysis.procs.gc_paused`): its full
    # collections walked the report's loaded objects again and again
    with gc_paused():
        keys = council_keys(data, councils, cache.fingerprint) if cache else dict.fromkeys(councils, "")
        old = cache.load(keys.values()) if cache else {}
    done: dict[str, tuple] = {}

    def write_kept() -> None:
        with gc_paused():
            done.update((council, _write_data(data.for_council(council, lazy=True), str(out), old[keys[council]]))
                        for council in councils if keys[council] in old)

    todo = [c for c in councils if keys[c] not in old]
    tasks = ((council, _council_rows(data, council), str(out), None) for council in todo)
    # workers pay when there are two councils to render, or one beside kept ones (it renders while this
    # process writes the others); a single council with nothing kept is rendered here
    n = min(workers or cores(), len(todo))
    if n < 1 or (workers or cores()) <= 1 or len(todo) == len(councils) == 1:
        write_kept()
        _keep(run)
        try:
            with gc_paused():
                done.update(zip(todo, (_write_one(*task) for task in tasks)))
        finally:
            _keep(None)
    else:
        with worker_pool(n, report_pool_context(), _keep, (run,)) as pool:
            done.update(zip(todo, _bounded(pool, tasks, 2 * n, meanwhile=write_kept)))
    keys = [keys[c] for c in councils]
    written = [done[c] for c in councils]
    if cache:
        cache.save({key: made or old[key] for key, (_, made) in zip(keys, written)},
                   reused=[c for c, (_, made) in zip(councils, written) if made is None],
                   rendered=[c for c, (_, made) in zip(councils, written) if made is not None])
    return [Path(p) for files, _ in written for p in files]
