"""Exports: the tables behind the charts as CSV files and one workbook, redacted and formula-safe.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import pandas as pd
import pytest

from soa_analysis.report.data import load_report_data
from soa_analysis.report.exports import export_tables
from soa_analysis.report.synthetic import make_synthetic_processed

PAYLOAD = "Contact jane.doe@council.example or 0131 496 0000. <script>alert('pwned')</script>"


def test_exports_write_csv_and_workbook_safely(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=6, narrative_extra={0: PAYLOAD})
    fu = pd.read_parquet(p / "followups.parquet")
    fu.loc[0, "what"] = "=HYPERLINK(\"http://evil.example\") ring 0131 496 0000"
    fu.to_parquet(p / "followups.parquet")
    written = export_tables(load_report_data(p), tmp_path / "out")
    names = {w.name for w in written}
    assert {"coverage.csv", "priorities.csv", "grade_by_priority.csv", "added_value.csv", "partner_pairs.csv",
            "followup_timeline.csv", "council_summary.csv", "report_tables.xlsx"} <= names
    fol = pd.read_csv(tmp_path / "out" / "followups.csv", keep_default_na=False)
    assert fol["what"].str.startswith("'=").any()
    assert not fol["what"].str.contains("496 0000").any()
    sheets = pd.read_excel(tmp_path / "out" / "report_tables.xlsx", sheet_name=None)
    assert {"about", "coverage", "priorities", "followups"} <= set(sheets)
    assert len(sheets["council_summary"]) == 32


def test_exports_list_every_case_study(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=7, narrative_extra={2: PAYLOAD})
    export_tables(load_report_data(p), tmp_path / "out")
    cs = pd.read_csv(tmp_path / "out" / "case_studies.csv", keep_default_na=False)
    assert len(cs) == 7 and {"submission_id", "council", "title", "grade", "priorities"} <= set(cs.columns)
    assert not cs.astype(str).apply(lambda c: c.str.contains("jane.doe|496 0000")).any().any()


def _documented(name: str) -> list[str]:
    """The columns the data dictionary gives an exported table (report table, or processed table)."""
    from soa_analysis.schema import REPORT_TABLES, TABLES

    spec = REPORT_TABLES.get(name) or TABLES[name]
    return [c.name for c in spec.all_columns]


def test_every_exported_table_and_sheet_is_documented(tmp_path):
    """Each tables/*.csv and each workbook sheet is in docs/data_dictionary.md (from schema), with the
    columns it has; the partners matrix has one column per partner type (issue 15)."""
    from soa_analysis.schema import data_dictionary_markdown

    export_tables(load_report_data(make_synthetic_processed(tmp_path / "p", n=8)), tmp_path / "out")
    dictionary = data_dictionary_markdown()
    csvs = sorted((tmp_path / "out").glob("*.csv"))
    assert len(csvs) >= 20
    for path in csvs:
        name = path.stem
        # a report table by its CSV name, or a processed table the change step wrote (changes, followup_status)
        assert f"`tables/{name}.csv`" in dictionary or f"`{name}.parquet`" in dictionary, name
        cols = list(pd.read_csv(path, nrows=0).columns)
        documented = _documented(name)
        if name == "partner_pairs":
            rows = pd.read_csv(path)["partner_type"]
            assert cols[0] == "partner_type" and set(cols[1:]) == set(rows), cols  # square: a column per type
        else:
            assert set(cols) <= set(documented), (name, sorted(set(cols) - set(documented)))
            assert [c for c in documented if c in cols][:1] == cols[:1]
    sheets = pd.read_excel(tmp_path / "out" / "report_tables.xlsx", sheet_name=None)
    assert set(sheets) == {"about"} | {p.stem[:31] for p in csvs}
    assert list(sheets["about"].columns) == ["item", "value"] and "`about`" in dictionary


def test_counts_are_written_as_whole_numbers(tmp_path):
    export_tables(load_report_data(make_synthetic_processed(tmp_path / "p", n=8)), tmp_path / "out")
    lines = (tmp_path / "out" / "headline.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "figure,value,kind,note"
    assert lines[1].startswith("Submissions,8,count,")
    share = next(ln for ln in lines if ln.startswith("Share with strong evidence"))
    assert 0 <= float(share.split(",")[1]) <= 1
    from soa_analysis.schema import REPORT_TABLES, TABLES

    for path in (tmp_path / "out").glob("*.csv"):
        name, body = path.stem, pd.read_csv(path, dtype=str, keep_default_na=False)
        if name == "partner_pairs":
            int_cols = list(body.columns[1:])
        else:
            spec = REPORT_TABLES.get(name) or TABLES[name]
            int_cols = [c.name for c in spec.all_columns if c.kind == "int" and c.name in body.columns]
        for c in int_cols:
            assert body[c].str.fullmatch(r"-?\d*").all(), (name, c, body[c].tolist()[:5])


def test_each_text_is_made_safe_once_an_export_and_every_cell_is_as_spreadsheet_cell_makes_it(tmp_path, monkeypatch):
    """A text repeated across rows and tables is redacted once an export, and every cell of every
    table equals spreadsheet_cell of the chart table's value (a repeated phone number included)."""
    from soa_analysis import sharing
    from soa_analysis.report import exports
    from soa_analysis.report.tables import chart_tables

    p = make_synthetic_processed(tmp_path / "p", n=8, narrative_extra={0: PAYLOAD})
    fu = pd.read_parquet(p / "followups.parquet")
    for row in (0, 1):  # the same text in two rows
        fu.loc[row, "what"] = "=SUM(A1) ring 0131 496 0000"
    fu.to_parquet(p / "followups.parquet")
    data = load_report_data(p)
    calls = []
    real = sharing.spreadsheet_cell
    monkeypatch.setattr(exports, "spreadsheet_cell", lambda v: calls.append(v) or real(v))
    export_tables(data, tmp_path / "out")
    texts = [v for v in calls if isinstance(v, str)]
    assert texts and len(texts) == len(set(texts))
    done: dict = {}
    for name, table in chart_tables(data).items():
        safe = exports._safe_frame(table, done)
        for c in table.columns:
            if table[c].dtype == object or pd.api.types.is_string_dtype(table[c]):
                assert safe[c].tolist() == [real(v) for v in table[c]], (name, c)
    formula = [text for text in done if text.startswith("=SUM(A1) ring")]
    assert formula and all(done[text].startswith("'=") and "496 0000" not in done[text] for text in formula)


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_an_export_in_a_process_of_its_own_writes_the_same_files(tmp_path, monkeypatch, method):
    import multiprocessing
    import os

    from soa_analysis.report import councils, exports

    # forkserver: as in a kernel, the process is started from a thread while this one goes on
    monkeypatch.setattr(councils, "report_pool_context", lambda: multiprocessing.get_context(method))
    p = make_synthetic_processed(tmp_path / "p", n=6, narrative_extra={0: PAYLOAD})
    data = load_report_data(p)
    here = export_tables(data, tmp_path / "here")
    background = exports.start_export(data, tmp_path / "there")
    pool, _ = background._started.result()
    assert pool.submit(os.getpid).result() != os.getpid()  # written by another process
    there = background.result()
    assert [w.name for w in there] == [w.name for w in here]
    for a, b in zip(here, there):
        if a.suffix == ".csv":
            assert a.read_bytes() == b.read_bytes(), a.name
    sheets_here = pd.read_excel(tmp_path / "here" / "report_tables.xlsx", sheet_name=None)
    sheets_there = pd.read_excel(tmp_path / "there" / "report_tables.xlsx", sheet_name=None)
    assert list(sheets_here) == list(sheets_there)
    for name, df in sheets_here.items():
        pd.testing.assert_frame_equal(df, sheets_there[name])


def _cells(path):
    import openpyxl

    book = openpyxl.load_workbook(path)
    return {s: [[(c.value, c.data_type, c.font.b, c.number_format) for c in row] for row in book[s].iter_rows()]
            for s in book.sheetnames}


def test_the_workbook_has_the_cells_pandas_writes(tmp_path):
    import datetime

    import numpy as np

    from soa_analysis.report import exports

    frame = pd.DataFrame({"text": ["FICTIONAL", None, "x" * 40], "n": [1, 2, 3], "f": [0.5, float("nan"), float("inf")],
                          "b": [True, False, True], "mixed": pd.Series([1, 2.5, pd.NA], dtype=object),
                          "neg": [-np.inf, 0.0, np.float64(2)]})
    sheets = [("about", pd.DataFrame({"item": ["scope"], "value": ["Scotland"]})), ("fictional", frame),
              ("empty", frame.iloc[:0])]
    exports._write_workbook(tmp_path / "ours.xlsx", sheets)
    with pd.ExcelWriter(tmp_path / "pandas.xlsx", engine="openpyxl") as xw:
        for name, df in sheets:
            df.to_excel(xw, sheet_name=name, index=False)
    assert _cells(tmp_path / "ours.xlsx") == _cells(tmp_path / "pandas.xlsx")
    with pytest.raises(exports._NotPlain):  # dates are left to pandas (write_tables falls back to it)
        exports._write_workbook(tmp_path / "dates.xlsx", [("d", pd.DataFrame({"d": [datetime.date(2012, 3, 31)]}))])


def _run_sheets(data):
    from soa_analysis.report import exports
    from soa_analysis.report.tables import chart_tables

    return chart_tables(data), exports._about(data)


def test_a_rerun_takes_unchanged_sheets_from_the_last_run_with_the_same_cells(tmp_path, monkeypatch):
    from soa_analysis.report import exports

    p = make_synthetic_processed(tmp_path / "p", n=8, narrative_extra={0: PAYLOAD})
    (p / ".cache").mkdir()  # a pipeline's processed folder keeps caches
    monkeypatch.setattr(exports, "CACHED_CELLS", 1)  # every sheet kept, however small
    taken = []
    get = exports.SheetCache.get
    monkeypatch.setattr(exports.SheetCache, "get", lambda self, key: taken.append(key) or get(self, key))
    first = load_report_data(p, carry=True)
    assert exports._sheet_cache_of(first) == (str(p), False)
    export_tables(first, tmp_path / "run1")
    assert not taken and (p / ".cache" / "report_sheets.pkl").is_file()
    subs = pd.read_parquet(p / "submissions.parquet")  # one submission's title changed (FICTIONAL)
    subs.loc[0, "title"] = "FICTIONAL retitled case study"
    subs.to_parquet(p / "submissions.parquet")
    again = load_report_data(p, carry=True)
    export_tables(again, tmp_path / "run2")
    assert taken  # the unchanged sheets (the CPOP series among them) came from the last run
    tables, about = _run_sheets(again)
    exports.write_tables(tables, about, tmp_path / "plain")  # nothing kept: every sheet written now
    assert _cells(tmp_path / "run2" / "report_tables.xlsx") == _cells(tmp_path / "plain" / "report_tables.xlsx")
    # the cache holds this run's sheets only: as many as the workbook has, at most
    kept = exports.SheetCache(p)._old
    assert 0 < len(kept) <= len(tables) + 1


def _kept_once(tmp_path, monkeypatch):
    """Every sheet kept (CACHED_CELLS 1), the workbook written once plainly ("plain") and once keeping its
    sheets ("one"): (the exports module, the processed folder, the tables, their notes)."""
    from soa_analysis.report import exports

    p = make_synthetic_processed(tmp_path / "p", n=6)
    (p / ".cache").mkdir()
    monkeypatch.setattr(exports, "CACHED_CELLS", 1)
    tables, about = _run_sheets(load_report_data(p))
    exports.write_tables(tables, about, tmp_path / "plain")
    exports.write_tables(tables, about, tmp_path / "one", sheets=(str(p), False))
    return exports, p, tables, about


def test_kept_sheets_are_not_taken_by_a_full_run_nor_from_a_damaged_or_foreign_cache(tmp_path, monkeypatch):
    exports, p, tables, about = _kept_once(tmp_path, monkeypatch)
    want = _cells(tmp_path / "plain" / "report_tables.xlsx")
    assert exports.SheetCache(p)._old and not exports.SheetCache(p, full=True)._old
    pkl = p / ".cache" / "report_sheets.pkl"
    good = pkl.read_bytes()
    for bad in (b"not a pickle", None):
        if bad is None:  # written by other code: another fingerprint
            import pickle

            bad = pickle.dumps({"fingerprint": "other", "sheets": {k: b"<worksheet/>" for k in
                                                                   exports.SheetCache(p)._old}})
        pkl.write_bytes(bad)
        assert not exports.SheetCache(p)._old
        exports.write_tables(tables, about, tmp_path / "bad", sheets=(str(p), False))
        assert _cells(tmp_path / "bad" / "report_tables.xlsx") == want
    pkl.write_bytes(good)
    exports.write_tables(tables, about, tmp_path / "full", sheets=(str(p), True))
    assert _cells(tmp_path / "full" / "report_tables.xlsx") == want
    exports.write_tables(tables, about, tmp_path / "two", sheets=(str(p), False))
    assert _cells(tmp_path / "two" / "report_tables.xlsx") == want


def test_kept_sheets_fall_back_to_writing_every_sheet_when_openpyxl_names_them_otherwise(tmp_path, monkeypatch):
    exports, p, tables, about = _kept_once(tmp_path, monkeypatch)
    assert exports.SheetCache(p)._old
    # an openpyxl that named its sheets' entries otherwise: no kept sheet would land where it belongs
    monkeypatch.setattr(exports, "_SHEET_ENTRY", "xl/worksheets/other{}.xml")
    exports.write_tables(tables, about, tmp_path / "odd", sheets=(str(p), False))
    assert _cells(tmp_path / "odd" / "report_tables.xlsx") == _cells(tmp_path / "plain" / "report_tables.xlsx")


def test_the_workers_server_is_started_before_the_exports_and_serves_them(tmp_path, monkeypatch):
    """start_report_workers starts the fork server where workers come
    from one, as in a kernel; start_export then takes its process from that server; where workers are
    forked there is nothing to start."""
    import multiprocessing
    import os
    from multiprocessing import forkserver

    from soa_analysis.report import councils, exports

    monkeypatch.setattr(councils, "report_pool_context",
                        lambda: multiprocessing.get_context("fork"))
    assert councils.start_report_workers() is False
    ctx = multiprocessing.get_context("forkserver")
    monkeypatch.setattr(councils, "report_pool_context", lambda: ctx)
    spawned = []
    real = forkserver._forkserver.ensure_running
    monkeypatch.setattr(forkserver, "ensure_running", lambda: spawned.append(1) or real())
    assert councils.start_report_workers() is True and spawned == [1]
    assert forkserver._forkserver._forkserver_pid is not None
    p = make_synthetic_processed(tmp_path / "p", n=6)
    data = load_report_data(p)
    background = exports.start_export(data, tmp_path / "there")
    pool, _ = background._started.result()
    assert pool.submit(os.getppid).result() == forkserver._forkserver._forkserver_pid  # forked by that server
    assert [w.name for w in background.result()] == [w.name for w in export_tables(data, tmp_path / "here")]


def _csvs(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def test_a_rerun_takes_each_unchanged_texts_redaction_from_the_last_run(tmp_path, monkeypatch):
    """The export's redacted text cells are kept for the next run (.cache/report_cells.pkl): a re-run after one
    title changed redacts that title again and takes every other text's cell; the files are those of an export
    that keeps nothing, the contact details still removed; the cache holds this run's texts only; full takes none."""
    import json

    from soa_analysis.report import exports

    p = make_synthetic_processed(tmp_path / "p", n=8, narrative_extra={0: PAYLOAD})
    (p / ".cache").mkdir()
    redacted = []
    real = exports.spreadsheet_cell
    monkeypatch.setattr(exports, "spreadsheet_cell", lambda v: redacted.append(v) or real(v))
    export_tables(load_report_data(p, carry=True), tmp_path / "run1")
    first = [v for v in redacted if isinstance(v, str)]
    assert first and (p / ".cache" / "report_cells.pkl").is_file()
    subs = pd.read_parquet(p / "submissions.parquet")  # one submission's title changed (FICTIONAL)
    subs.loc[0, "title"] = "FICTIONAL retitled case study, call 0131 496 0000"
    subs.to_parquet(p / "submissions.parquet")
    redacted.clear()
    again = load_report_data(p, carry=True)
    export_tables(again, tmp_path / "run2")
    texts = [v for v in redacted if isinstance(v, str)]
    assert texts and all("retitled" in t for t in texts) and len(texts) < len(first)  # only the new title's
    tables, about = _run_sheets(again)
    exports.write_tables(tables, about, tmp_path / "plain")  # nothing kept: every text redacted now
    assert _csvs(tmp_path / "run2") == _csvs(tmp_path / "plain")
    assert _cells(tmp_path / "run2" / "report_tables.xlsx") == _cells(tmp_path / "plain" / "report_tables.xlsx")
    assert "0131 496 0000" not in "".join(b.decode() for b in _csvs(tmp_path / "run2").values())
    kept = exports.SafeCells(p)._old
    assert set(texts) <= set(kept) and set(kept) <= set(first) | set(texts)  # this run's texts, none older
    record = json.loads((p / ".cache" / "report_exports.reuse.json").read_text())
    assert record["cells_reused"] > 0 and record["cells_reused"] < record["cells"] and not record["full"]
    assert record["cells"] == len(kept) == record["cells_reused"] + len(set(texts))
    assert record["n_reused"] + record["n_recomputed"] == len(tables) + 1  # the about sheet too
    assert "about" in record["recomputed"]
    assert record["fingerprint"] == exports.SheetCache(p).fingerprint[:16]  # the sheets' code, as other records
    redacted.clear()
    full = load_report_data(p, carry=True, full=True)
    export_tables(full, tmp_path / "run3")
    assert len([v for v in redacted if isinstance(v, str)]) >= len(texts)
    record = json.loads((p / ".cache" / "report_exports.reuse.json").read_text())
    assert record["full"] and record["cells_reused"] == 0 and record["n_reused"] == 0


def test_cells_kept_by_other_redaction_code_are_not_taken(tmp_path, monkeypatch):
    from soa_analysis.report import exports

    p = tmp_path / "p"
    (p / ".cache").mkdir(parents=True)
    cells = exports.SafeCells(p)
    cells["Jo on 0131 496 0000"] = "planted"
    cells.save()
    assert exports.SafeCells(p).get("Jo on 0131 496 0000") == "planted"
    monkeypatch.setattr(exports.SafeCells, "__init__", _with_fingerprint(exports.SafeCells.__init__, "other code"))
    assert exports.SafeCells(p).get("Jo on 0131 496 0000") is None


def _with_fingerprint(init, fingerprint):
    import soa_analysis.report.fingerprints as fp

    def patched(self, *a, **kw):
        real = fp.render_fingerprint
        fp.render_fingerprint = lambda *roots: fingerprint
        try:
            init(self, *a, **kw)
        finally:
            fp.render_fingerprint = real
    return patched


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_the_exports_process_runs_below_the_reports_own_priority(tmp_path, monkeypatch, method):
    """The exports' process starts once the tables load and is waited for only at the end: it runs
    EXPORT_NICENESS below the process that started it (as far as the system allows), whichever way it is started,
    and writes the same files."""
    import multiprocessing
    import os

    from soa_analysis.report import councils, exports

    monkeypatch.setattr(councils, "report_pool_context", lambda: multiprocessing.get_context(method))
    data = load_report_data(make_synthetic_processed(tmp_path / "p", n=6))
    background = exports.start_export(data, tmp_path / "there")
    pool, _ = background._started.result()
    here = os.nice(0)
    assert pool.submit(os.nice, 0).result() == min(19, here + exports.EXPORT_NICENESS)
    assert [w.name for w in background.result()] == [w.name for w in export_tables(data, tmp_path / "here")]
    assert _csvs(tmp_path / "there") == _csvs(tmp_path / "here")
