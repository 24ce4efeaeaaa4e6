"""Exports: the tables behind every chart, as CSV files and one XLSX workbook."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..io import atomic_path
from ..sharing import spreadsheet_cell
from .data import ReportData
from .tables import chart_tables

WORKBOOK = "report_tables.xlsx"


def _safe_frame(df: pd.DataFrame, done: dict | None = None) -> pd.DataFrame:
    """Every text cell redacted, with spreadsheet formulas defused (see :func:`..sharing.spreadsheet_cell`).

    ``done``: text already made safe (text -> cell), shared across the tables of one export, so a
    value repeated in many rows and tables (a council, a priority, a title) is redacted once.
    """
    done = {} if done is None else done
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            # built as object: Series.map would infer float for a column of whole numbers and shares
            out[c] = pd.Series([_safe_cell(v, done) for v in out[c]], index=out.index, dtype=object)
    return out


def _safe_cell(value: object, done: dict) -> object:
    """:func:`..sharing.spreadsheet_cell` of ``value``, looked up in ``done`` first when it is text."""
    if type(value) is not str:
        return spreadsheet_cell(value)
    cell = done.get(value)
    if cell is None:
        cell = done[value] = spreadsheet_cell(value)
    return cell


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
    return write_tables(chart_tables(data), _about(data), tables_dir)


def _about(data: ReportData) -> list[tuple[str, str]]:
    """The workbook's ``about`` sheet's first rows: what the tables are of."""
    return [("scope", data.scope), ("run_id", data.run_id), ("generated", data.generated)]


def write_tables(tables: dict[str, pd.DataFrame], about: list[tuple[str, str]], tables_dir: str | os.PathLike) -> list[Path]:
    """Write ``tables`` (:func:`.tables.chart_tables`) as :func:`export_tables` does, ``about`` heading the
    workbook's ``about`` sheet; it needs nothing else of the report's data, so a process of its own can
    run it (:func:`start_export`)."""
    out_dir = Path(tables_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    done: dict = {}
    frames = {k: _safe_frame(v, done) for k, v in tables.items()}
    written = []
    for name, df in frames.items():
        dest = out_dir / f"{name}.csv"
        with atomic_path(dest, ".csv") as tmp:
            df.to_csv(tmp, index=False, encoding="utf-8")
        written.append(dest)
    dest = out_dir / WORKBOOK
    with atomic_path(dest, ".xlsx") as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            pd.DataFrame(list(about) + [(f"sheet {k}", f"{len(f)} rows") for k, f in frames.items()],
                         columns=["item", "value"]).to_excel(xw, sheet_name="about", index=False)
            for name, df in frames.items():
                (df if len(df.columns) else pd.DataFrame({"note": ["no data"]})).to_excel(
                    xw, sheet_name=name[:31], index=False)
    written.append(dest)
    return written


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
    makes the council pages meanwhile): the tables are worked out here and only they are sent.

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
    from concurrent.futures import Future, ProcessPoolExecutor

    from .councils import report_pool_context

    tables, about = chart_tables(data), _about(data)
    ctx = report_pool_context()
    started: Future = Future()

    def start() -> None:
        try:
            pool = ProcessPoolExecutor(1, mp_context=ctx)
        except BaseException as exc:  # noqa: BLE001 - raised by result()
            started.set_exception(exc)
            return
        try:
            started.set_result((pool, pool.submit(write_tables, tables, about, str(tables_dir))))
        except BaseException as exc:  # noqa: BLE001 - raised by result()
            pool.shutdown()
            started.set_exception(exc)

    if ctx.get_start_method() == "fork":
        start()
    else:
        threading.Thread(target=start, name="report-export-start", daemon=True).start()
    return BackgroundExport(started)
