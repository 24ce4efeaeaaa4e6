"""Exports: the tables behind every chart, as CSV files and one XLSX workbook.

A pipeline's run keeps the workbook's large sheets across runs (:class:`SheetCache`): a sheet's
XML depends only on its table (openpyxl writes text inline, so no sheet refers to another), and
the largest sheets (the CPOP outcome series) do not change when a submission is added, so a
re-run takes their XML from ``<processed>/.cache/report_sheets.pkl`` instead of writing them cell
by cell again. The workbook has the same cells either way.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import atomic_path
from ..partition import CACHE_DIR, Reuse, StageCache
from ..sharing import spreadsheet_cell
from .data import ReportData
from .tables import chart_tables

WORKBOOK = "report_tables.xlsx"
SHEETS_STAGE = "report_sheets"
CELLS_STAGE = "report_cells"
EXPORTS_STAGE = "report_exports"  # the name of the exports' reuse record (.cache/report_exports.reuse.json)
# A sheet of at least this many cells (header included) is kept across runs: smaller ones cost less to
# write than to digest and keep.
CACHED_CELLS = 2000
# How much lower than the report's own process the exports' process runs (``os.nice``): it starts as soon as
# the tables are loaded and its result is wanted only at the end, so on a busy machine the sections and the
# council pages, which are on the way to the end, go first; on an idle core it makes no difference.
EXPORT_NICENESS = 5
_SHEET_ENTRY = "xl/worksheets/sheet{}.xml"  # where openpyxl writes a workbook's sheets, numbered in order


def _safe_frame(df: pd.DataFrame, done: dict | SafeCells | None = None) -> pd.DataFrame:
    """Every text cell redacted, with spreadsheet formulas defused (see :func:`..sharing.spreadsheet_cell`).

    ``done``: text already made safe (text -> cell: a dict, or :class:`SafeCells`, which also knows the last
    run's), shared across the tables of one export, so a value repeated in many rows and tables (a council, a
    priority, a title) is redacted once.
    """
    done = {} if done is None else done
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            # built as object: Series.map would infer float for a column of whole numbers and shares
            out[c] = pd.Series([_safe_cell(v, done) for v in out[c]], index=out.index, dtype=object)
    return out


def _safe_cell(value: object, done: dict | SafeCells) -> object:
    """:func:`..sharing.spreadsheet_cell` of ``value``, looked up in ``done`` first when it is text."""
    if type(value) is not str:
        return spreadsheet_cell(value)
    cell = done.get(value)
    if cell is None:
        cell = done[value] = spreadsheet_cell(value)
    return cell


class SafeCells:
    """Text -> its spreadsheet cell (:func:`..sharing.spreadsheet_cell`), for one export, with the last run's
    (``<processed>/.cache/report_cells.pkl``) to take from: a re-run after one file was added exports the same
    titles, sentences and names as the run before, and one submission's more, and redacting contact details
    from each (about a third of a second at 10,000 submissions) is the same work as last time.

    Used as :func:`_safe_frame`'s ``done``: :meth:`get` answers from this export's cells, then from the last
    run's (``hits`` counts those), else ``None`` (the caller redacts the text and sets it). The file is kept
    under the fingerprint of the code that redacts (:func:`.fingerprints.render_fingerprint` of
    :mod:`soa_analysis.sharing`), so a cell made by other code is never taken; :meth:`save` keeps this
    export's cells only, so the file never grows.

    Parameters
    ----------
    processed_dir : path-like
        The processed folder (nothing is read or written unless a pipeline keeps caches there).
    full : bool
        Take nothing from the last run; :meth:`save` still writes.
    """

    def __init__(self, processed_dir, *, full: bool = False):
        from .fingerprints import render_fingerprint

        self.fingerprint = render_fingerprint("soa_analysis.sharing")
        self._store = StageCache(processed_dir, CELLS_STAGE, full=full)
        data = self._store.load() if (Path(processed_dir) / CACHE_DIR).is_dir() else None
        ok = isinstance(data, dict) and data.get("fingerprint") == self.fingerprint
        self._old: dict[str, object] = data["cells"] if ok else {}
        self._new: dict[str, object] = {}
        self.hits = 0

    def get(self, text: str):
        cell = self._new.get(text)
        if cell is None:
            cell = self._old.get(text)
            if cell is not None:
                self.hits += 1
                self._new[text] = cell
        return cell

    def __setitem__(self, text: str, cell: object) -> None:
        self._new[text] = cell

    @property
    def size(self) -> int:
        """How many distinct texts this export has made safe (taken or redacted)."""
        return len(self._new)

    def save(self) -> None:
        """Keep this export's cells for the next run, when a pipeline keeps caches here."""
        if self._store.path.parent.is_dir():
            self._store.save({"fingerprint": self.fingerprint, "cells": self._new})


def export_tables(data: ReportData, tables_dir: str | os.PathLike) -> list[Path]:
    """Write every chart's table as ``<name>.csv`` and all of them in one workbook.

    Parameters
    ----------
    data : ReportData
        The report's data.
    tables_dir : path-like
        Folder to write into (created if needed). Files are written atomically.

    Returns
    -------
    list of pathlib.Path
        The CSV files, then the workbook ``report_tables.xlsx``.
    """
    return write_tables(chart_tables(data), _about(data), tables_dir, sheets=_sheet_cache_of(data))


def _sheet_cache_of(data: ReportData) -> tuple[str, bool] | None:
    """Where and how a run keeps the workbook's sheets (``(processed folder, full)``), when the report was
    loaded to carry work across runs (:mod:`.carry`), else ``None``: keep nothing."""
    from .carry import carry_of

    carry = carry_of(data)
    return (str(data.processed_dir), carry.full) if carry is not None else None


def _about(data: ReportData) -> list[tuple[str, str]]:
    """The workbook's ``about`` sheet's first rows: what the tables are of."""
    return [("scope", data.scope), ("run_id", data.run_id), ("generated", data.generated)]


def write_tables(tables: dict[str, pd.DataFrame], about: list[tuple[str, str]], tables_dir: str | os.PathLike,
                 sheets: tuple[str, bool] | None = None) -> list[Path]:
    """Write ``tables`` (:func:`.tables.chart_tables`) as :func:`export_tables` does, ``about`` heading the
    workbook's ``about`` sheet; it needs nothing else of the report's data, so a process of its own can
    run it (:func:`start_export`). ``sheets``: ``(processed folder, full)`` to keep the large sheets across
    runs (:class:`SheetCache`), ``None`` to keep nothing."""
    out_dir = Path(tables_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    keep = sheets
    done = SafeCells(keep[0], full=keep[1]) if keep else {}
    frames = {k: _safe_frame(v, done) for k, v in tables.items()}
    if keep:
        done.save()
    written = []
    for name, df in frames.items():
        dest = out_dir / f"{name}.csv"
        with atomic_path(dest, ".csv") as tmp:
            df.to_csv(tmp, index=False, encoding="utf-8")
        written.append(dest)
    dest = out_dir / WORKBOOK
    sheets = [("about", pd.DataFrame(list(about) + [(f"sheet {k}", f"{len(f)} rows") for k, f in frames.items()],
                                     columns=["item", "value"]))]
    sheets += [(name[:31], df if len(df.columns) else pd.DataFrame({"note": ["no data"]})) for name, df in frames.items()]
    cache = SheetCache(keep[0], full=keep[1]) if keep else None
    with atomic_path(dest, ".xlsx") as tmp:
        try:
            _write_workbook(tmp, sheets, cache)
        except _NotPlain:  # a date or time among the values: pandas writes it, with its formats
            if cache is not None:
                cache.taken.clear()
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                for name, df in sheets:
                    df.to_excel(xw, sheet_name=name, index=False)
    written.append(dest)
    if keep:
        _write_reuse(keep[0], keep[1], [name for name, _ in sheets], cache, done)
    return written


def _write_reuse(processed_dir, full: bool, names: list[str], cache: SheetCache, cells: SafeCells) -> None:
    """The exports' reuse record, ``<processed>/.cache/report_exports.reuse.json`` (:class:`..partition.Reuse`;
    the pipeline copies it into the manifest's ``reuse`` entry beside the council pages' ``report``): the
    workbook's sheets taken from the last run (``cache.taken``) and those written now, under the sheets'
    fingerprint, and how many text cells' redaction was taken (of how many)."""
    if not (Path(processed_dir) / CACHE_DIR).is_dir():
        return
    taken = set(cache.taken)
    Reuse(EXPORTS_STAGE, full, list(cache.taken), [n for n in names if n not in taken], cache.fingerprint,
          extra={"cells_reused": cells.hits, "cells": cells.size}).write(processed_dir)


class _NotPlain(Exception):
    """A value :func:`_write_workbook` leaves to pandas (a date, time or duration)."""


def _excel_value(value: object) -> object:
    """The cell ``DataFrame.to_excel`` writes for ``value`` (with its defaults: missing values and NaN
    empty, infinities as ``inf``/``-inf``, numpy numbers as Python ones, anything else as its text)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""  # pandas's na_rep: an empty cell
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return "" if f != f else ("inf" if f == math.inf else "-inf" if f == -math.inf else f)
    if isinstance(value, (_dt.date, _dt.timedelta, np.datetime64, np.timedelta64)):
        raise _NotPlain
    return value if isinstance(value, str) else str(value)


def _write_workbook(path, sheets: list[tuple[str, pd.DataFrame]], cache: SheetCache | None = None) -> None:
    """Write ``sheets`` (name, frame) as ``DataFrame.to_excel(..., index=False)`` writes each into one
    workbook: the same cells (the header unstyled, as pandas writes it), but through openpyxl's
    write-only workbook (rows streamed out, no cell objects kept). ``cache``: the large sheets' XML of
    the last run (:class:`SheetCache`), taken for a sheet whose table is unchanged; this run's are kept
    for the next.

    Raises
    ------
    _NotPlain
        When a value is a date, time or duration (pandas gives those number formats).
    """
    converted = []  # every value first: a _NotPlain is raised before the workbook is begun
    for name, df in sheets:
        if any(df[c].dtype.kind in "mM" for c in df.columns):
            raise _NotPlain
        key = cache.key(df) if cache is not None and (len(df) + 1) * len(df.columns) >= CACHED_CELLS else ""
        if key and cache.has(key):  # its XML as the last run wrote it: a cached sheet held no date
            converted.append((name, key, None, ()))
            cache.taken.append(name)
            continue
        converted.append((name, key, *_cells_of(df)))
    if cache is not None and any(key for _, key, _, _ in converted):
        try:
            cache.save(_save_book(path, converted, cache.get))
            return
        except _NotSubstituted:  # openpyxl wrote its sheets otherwise than expected: every sheet written here
            converted = [(name, "", *_cells_of(df)) for name, df in sheets]
            cache.taken.clear()
            cache.save({})
    _save_book(path, converted, None)


def _cells_of(df: pd.DataFrame) -> tuple[list, list[tuple]]:
    """A table's header and rows as the workbook writes them (each value through :func:`_excel_value`)."""
    return ([_excel_value(c) for c in df.columns],
            list(zip(*([_excel_value(v) for v in df[c].tolist()] for c in df.columns))))


class _NotSubstituted(Exception):
    """A kept sheet's XML was not written in place of its empty sheet."""


def _save_book(path, converted: list, given) -> dict[str, bytes]:
    """Save the workbook of ``converted`` (name, cache key, header, rows; header ``None``: the sheet's XML is
    ``given(key)``). Returns the XML of every sheet with a key (key -> XML), for the next run."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook(write_only=True)
    swap: dict[str, bytes] = {}  # entry in the archive -> XML to write there instead of openpyxl's
    keys: dict[str, str] = {}  # entry -> key of a sheet to keep
    for number, (name, key, head, rows) in enumerate(converted, 1):
        sheet = book.create_sheet(name)
        entry = _SHEET_ENTRY.format(number)
        if key:
            keys[entry] = key
        if head is None:
            swap[entry] = given(key)
            continue
        sheet.append(head)
        for row in rows:
            sheet.append(row)
    archive = _SheetArchive(path, swap, set(keys))
    book.properties.modified = _dt.datetime.now(tz=_dt.timezone.utc).replace(tzinfo=None)  # as Workbook.save
    ExcelWriter(book, archive).save()
    if archive.swap:
        raise _NotSubstituted(sorted(archive.swap))
    return {keys[entry]: xml for entry, xml in archive.kept.items()}


class _SheetArchive(zipfile.ZipFile):
    """The workbook's archive as openpyxl writes it (``Workbook.save``'s), except that the worksheets in
    ``swap`` (entry -> XML) are written from there, and the XML of those in ``keep`` is kept (``kept``)."""

    def __init__(self, path, swap: dict[str, bytes], keep: set[str]):
        super().__init__(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.swap, self.keep, self.kept = dict(swap), keep, {}

    def write(self, filename, arcname=None, *args, **kwargs):
        if arcname in self.swap:
            xml = self.swap.pop(arcname)
            self.kept[arcname] = xml
            return self.writestr(arcname, xml)
        if arcname in self.keep:
            self.kept[arcname] = Path(filename).read_bytes()
        return super().write(filename, arcname, *args, **kwargs)


class SheetCache:
    """The workbook's large sheets of the last run, as XML by a digest of their table
    (``<processed>/.cache/report_sheets.pkl``; it holds the last run's only, so it never grows).

    Parameters
    ----------
    processed_dir : path-like
        The processed folder.
    full : bool
        Take nothing from the last run; :meth:`save` still writes.
    """

    def __init__(self, processed_dir, *, full: bool = False):
        from importlib import metadata

        from .fingerprints import render_fingerprint

        self.fingerprint = hashlib.sha256(f"{render_fingerprint(__name__)} openpyxl {metadata.version('openpyxl')}"
                                          .encode()).hexdigest()
        self._store = StageCache(processed_dir, SHEETS_STAGE, full=full)
        data = self._store.load() if (Path(processed_dir) / CACHE_DIR).is_dir() else None
        ok = isinstance(data, dict) and data.get("fingerprint") == self.fingerprint
        self._old: dict[str, bytes] = dict(data["sheets"]) if ok else {}
        self.hits = 0
        self.taken: list[str] = []  # the names of the sheets whose XML was taken from the last run

    @staticmethod
    def key(df: pd.DataFrame) -> str:
        """A sheet's key: the digest of its table (columns, dtypes, values)."""
        from .reuse import frame_digest

        return frame_digest(df)

    def has(self, key: str) -> bool:
        return key in self._old

    def get(self, key: str) -> bytes:
        self.hits += 1
        return self._old[key]

    def save(self, sheets: dict[str, bytes]) -> None:
        """Keep ``sheets`` (key -> XML: this run's) for the next run, when a pipeline keeps caches here."""
        if self._store.path.parent.is_dir():
            self._store.save({"fingerprint": self.fingerprint, "sheets": sheets})


def _lower_priority() -> None:
    """The exports' process's initializer: run :data:`EXPORT_NICENESS` lower than the process that started it."""
    try:
        os.nice(EXPORT_NICENESS)
    except OSError:  # not allowed here: run at the same priority
        pass


class BackgroundExport:
    """The tables of :func:`start_export`, being written by a process of their own."""

    def __init__(self, started):
        self._started = started  # a Future of (pool, future of the files)

    def result(self) -> list[Path]:
        """Wait for the files (:func:`export_tables`'s list) and end the process; its error, if any, is raised here."""
        pool, future = self._started.result()
        try:
            return future.result()
        finally:
            pool.shutdown()


def start_export(data: ReportData, tables_dir: str | os.PathLike) -> BackgroundExport:
    """:func:`export_tables`, written by a process of its own while this one goes on (the report notebook
    starts it once the tables are loaded, and shows its sections and makes the council pages meanwhile): the
    tables are worked out here and only they are sent (the sections then show the same tables, worked out
    once). The process runs :data:`EXPORT_NICENESS` lower than this one, which has the sections and pages to
    make before the exports are wanted.

    In a kernel the process comes from a fork server (:func:`.councils.report_pool_context`), whose start
    imports the report's modules (about 1 s) before it hands over its first process: that wait is spent in
    a thread, so this returns once the tables are worked out. Where workers are forked (a script), the
    process is started here, as before: a fork must not happen while another thread of this one runs.

    Returns
    -------
    BackgroundExport
        Its :meth:`~BackgroundExport.result` is the list :func:`export_tables` returns; the files are the same.
    """
    import threading
    from concurrent.futures import Future

    from ..procs import worker_pool
    from .councils import report_pool_context

    tables, about, sheets = chart_tables(data), _about(data), _sheet_cache_of(data)
    ctx = report_pool_context()
    started: Future = Future()

    def start() -> None:
        try:
            pool = worker_pool(1, ctx, _lower_priority)
        except BaseException as exc:  # noqa: BLE001 - raised by result()
            started.set_exception(exc)
            return
        try:
            started.set_result((pool, pool.submit(write_tables, tables, about, str(tables_dir), sheets)))
        except BaseException as exc:  # noqa: BLE001 - raised by result()
            pool.shutdown()
            started.set_exception(exc)

    if ctx.get_start_method() == "fork":
        start()
    else:
        threading.Thread(target=start, name="report-export-start", daemon=True).start()
    return BackgroundExport(started)
