"""Council pages across runs (soa_analysis.report.reuse): a re-run renders again only the councils
whose rows changed, and every page is byte for byte the page a full run writes.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from soa_analysis.io import read_table, write_table
from soa_analysis.partition import read_reuse
from soa_analysis.report import cards
from soa_analysis.report.cards import card_pages, cards_block, council_page_name
from soa_analysis.report.contents import page_parts
from soa_analysis.report.councils import council_page_files, write_council_pages
from soa_analysis.report.data import load_report_data
from soa_analysis.report.page import render_page
from soa_analysis.report.reuse import LOCAL_SECTIONS, PageCache, council_keys
from soa_analysis.report.synthetic import make_synthetic_processed
from soa_analysis.schema import TABLES

COUNCILS = ["Fife", "Moray", "Angus"]
WHEN = "2026-01-01 00:00 UTC"  # one load time for every run compared


def _load(p, run_id="run-a"):
    return dataclasses.replace(load_report_data(p, run_id=run_id, council_pages=True), generated=WHEN)


@pytest.fixture
def processed(tmp_path):
    return make_synthetic_processed(tmp_path / "p", n=24, councils=COUNCILS, fictional=(2,),
                                    narrative_extra={1: "Fictional <b>markup</b> and more words."})


def _pages(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(params=[1, 2, "forkserver"], ids=["in-process", "two-workers", "forkserver"])
def workers(request, monkeypatch):
    if request.param == "forkserver":  # as in a notebook kernel (threads): the data are pickled to the workers
        from soa_analysis import procs

        monkeypatch.setattr(procs.threading, "active_count", lambda: 2)
        return 2
    return request.param


def test_local_sections_render_the_same_from_the_councils_rows_alone(processed, monkeypatch):
    """Every council page built from its local view (run-wide data blanked) is the page built
    from all the data: the local sections read nothing about the whole run."""
    monkeypatch.setattr(cards, "COUNCIL_BUDGET", 3_000)  # further pages of cards too
    monkeypatch.setattr(cards, "CARDS_PAGE_BUDGET", 3_000)
    data = _load(processed)
    for council in COUNCILS:
        mine = data.for_council(council)
        files = council_page_files(mine)
        whole = render_page(f"{council}: community planning evidence", "".join(page_parts(mine)))
        assert files[council_page_name(council)] == whole
        pages = card_pages(mine)
        assert len(files) == len(pages) > 1
        for page in pages[1:]:
            assert cards_block(page) in files[page.name]


def _drop_submission(p, council):
    subs = read_table(p, "submissions")
    gone = subs.loc[subs["council"] == council, "submission_id"].iloc[0]
    write_table(subs[subs["submission_id"] != gone].reset_index(drop=True), p / TABLES["submissions"].filename,
                table="submissions")
    return gone


def test_a_rerun_renders_only_changed_councils_and_writes_a_full_runs_pages(processed, tmp_path, workers):
    write_council_pages(_load(processed), tmp_path / "first", workers=workers, cache_dir=processed)
    first = read_reuse(processed, "report")
    assert first["n_reused"] == 0 and first["recomputed"] == sorted(COUNCILS)

    _drop_submission(processed, "Fife")  # Fife's rows change; Moray's and Angus's do not, but Scotland's do
    data = _load(processed, run_id="run-b")
    write_council_pages(data, tmp_path / "again", workers=workers, cache_dir=processed)
    again = read_reuse(processed, "report")
    assert again["recomputed"] == ["Fife"] and again["reused"] == ["Angus", "Moray"] and not again["full"]

    write_council_pages(data, tmp_path / "full", workers=workers)  # no cache: everything rendered now
    assert _pages(tmp_path / "again") == _pages(tmp_path / "full")
    # the run-wide parts were rendered now: the reused pages show this run and Scotland's new total
    moray = (tmp_path / "again" / "moray.html").read_text(encoding="utf-8")
    assert "run-b" in moray and "run-a" not in moray
    assert moray != (tmp_path / "first" / "moray.html").read_text(encoding="utf-8")

    write_council_pages(data, tmp_path / "same", workers=workers, cache_dir=processed)
    assert read_reuse(processed, "report")["n_recomputed"] == 0
    assert _pages(tmp_path / "same") == _pages(tmp_path / "full")

    write_council_pages(data, tmp_path / "forced", workers=workers, cache_dir=processed, full=True)
    forced = read_reuse(processed, "report")
    assert forced["full"] and forced["n_reused"] == 0 and forced["n_recomputed"] == 3
    assert _pages(tmp_path / "forced") == _pages(tmp_path / "full")


def test_the_key_follows_the_councils_rows_and_nothing_run_wide(processed):
    data = _load(processed)
    fp = PageCache(processed).fingerprint
    key = council_keys(data, COUNCILS, fp)
    assert len(set(key.values())) == 3
    later = dataclasses.replace(_load(processed, run_id="other"), generated="2030-01-01 00:00 UTC",
                                meta={"x.json": {"y": 1}})
    assert council_keys(later, COUNCILS, fp) == key
    gone = _drop_submission(processed, "Moray")
    after = council_keys(_load(processed), COUNCILS, fp)
    assert gone and after["Moray"] != key["Moray"] and after["Fife"] == key["Fife"]
    assert council_keys(data, ["Fife"], "another fingerprint")["Fife"] != key["Fife"]


def _with_tables(data, **tables):
    return dataclasses.replace(data, tables={**data.tables, **tables}, derived={})


def test_a_councils_key_does_not_depend_on_where_its_rows_are(processed):
    """The keys take each council's rows from the whole table: the same rows, in the same order, give the
    same key wherever they are in it (another council's rows before them, in another order)."""
    data = _load(processed)
    fp = PageCache(processed).fingerprint
    key = council_keys(data, COUNCILS, fp)
    subs = data["submissions"]
    councils = subs.set_index("submission_id")["council"]
    moved = {}
    for name in ("tags", "tag_evidence", "evidence", "submissions"):
        df = data[name]
        rank = df["submission_id"].map(councils).map({"Moray": 0, "Angus": 1, "Fife": 2})
        moved[name] = df.iloc[rank.argsort(kind="stable")].reset_index(drop=True)  # Fife's rows last, in order
    assert council_keys(_with_tables(data, **moved), COUNCILS, fp) == key
    fife = data["tags"]["submission_id"].map(councils).eq("Fife")
    reversed_fife = pd.concat([data["tags"][~fife], data["tags"][fife].iloc[::-1]], ignore_index=True)
    assert council_keys(_with_tables(data, tags=reversed_fife), COUNCILS, fp)["Fife"] != key["Fife"]


def test_a_councils_key_follows_each_value_of_its_rows_lists_included(processed):
    """A changed number inside a list cell (a tag's token spans), a list cell's numbers turned from whole
    to decimal, or a missing title changes that council's key alone."""
    data = _load(processed)
    fp = PageCache(processed).fingerprint
    key = council_keys(data, COUNCILS, fp)
    subs, te = data["submissions"], data["tag_evidence"]
    fife = subs.loc[subs["council"] == "Fife", "submission_id"]
    row = te.index[te["submission_id"].isin(fife) & te["token_spans"].map(len).gt(0)][0]
    spans = te["token_spans"].copy()
    spans[row] = spans[row].copy()
    spans[row][0] = np.array([s + 1 for s in spans[row][0]])
    changed = council_keys(_with_tables(data, tag_evidence=te.assign(token_spans=spans)), COUNCILS, fp)
    assert changed["Fife"] != key["Fife"] and changed["Moray"] == key["Moray"] and changed["Angus"] == key["Angus"]
    floats = te["token_spans"].map(lambda cell: np.array([np.asarray(s, dtype=float) for s in cell] + [None],
                                                         dtype=object)[:-1])
    assert council_keys(_with_tables(data, tag_evidence=te.assign(token_spans=floats)), COUNCILS, fp) != key
    untitled = subs.assign(title=subs["title"].where(subs["submission_id"] != fife.iloc[0], None))
    changed = council_keys(_with_tables(data, submissions=untitled), COUNCILS, fp)
    assert changed["Fife"] != key["Fife"] and changed["Moray"] == key["Moray"]


def test_cells_arrow_would_blur_are_digested_as_values():
    """A column is turned into Arrow for its digest only when Arrow holds it exactly: text, or numpy arrays
    of one dtype (nested ones too); arrays of whole and of decimal numbers, or text beside numbers, are
    not, and are pickled instead; either way different cells give different digests."""
    from soa_analysis.report.reuse import _form, _group_digests

    def cells(*values):
        out = np.empty(len(values), dtype=object)
        out[:] = list(values) if not all(isinstance(v, np.ndarray) for v in values) else [None] * len(values)
        for i, v in enumerate(values):
            out[i] = v
        return out

    assert _form(cells("a", None, "b")) == "text"
    assert _form(cells(np.array([1, 2]), None, np.array([3]))) == "array[<i8]"
    nested = cells(cells(np.array([1, 2]), np.array([3])), cells(np.array([4])))
    assert _form(nested) == "array[object]>array[<i8]"
    assert _form(cells(np.array([1, 2]), np.array([2.5]))) is None
    assert _form(cells(cells(np.array([1]), np.array([2.5])))) is None
    assert _form(cells("a", 1)) is None and _form(cells([1], [2])) is None
    whole = pd.DataFrame({"x": cells(np.array([1, 2]), np.array([3]))})
    mixed = pd.DataFrame({"x": cells(np.array([1, 2]), np.array([3.0]))})
    decimal = pd.DataFrame({"x": cells(np.array([1.0, 2.0]), np.array([3.0]))})
    digests = {_group_digests(df, {"": None})[""] for df in (whole, mixed, decimal)}
    assert len(digests) == 3


def test_a_damaged_or_foreign_cache_is_ignored(processed, tmp_path, monkeypatch):
    from soa_analysis.report import reuse

    data = _load(processed)
    write_council_pages(data, tmp_path / "a", workers=1, cache_dir=processed)
    shards = sorted((processed / ".cache" / "report").iterdir())
    assert shards
    for path in shards:
        path.write_bytes(b"not a pickle")
    write_council_pages(data, tmp_path / "b", workers=1, cache_dir=processed)
    assert read_reuse(processed, "report")["n_reused"] == 0
    monkeypatch.setattr(reuse, "page_fingerprint", lambda: "other code")  # parts rendered by other code
    write_council_pages(data, tmp_path / "c", workers=1, cache_dir=processed)
    assert read_reuse(processed, "report")["n_reused"] == 0
    assert _pages(tmp_path / "a") == _pages(tmp_path / "b") == _pages(tmp_path / "c")


def test_a_rerun_rewrites_only_the_changed_councils_parts(processed, tmp_path):
    """The parts are kept in shards by key: a re-run with one council's rows changed writes that council's
    shard and leaves the other councils' files as they were."""
    from soa_analysis.shards import shard_of

    fp = PageCache(processed).fingerprint
    first = _load(processed)
    write_council_pages(first, tmp_path / "a", workers=1, cache_dir=processed)
    folder = processed / ".cache" / "report"

    def files():
        return {p.stem: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}

    before, keys = files(), council_keys(first, COUNCILS, fp)
    assert set(before) == {shard_of(k) for k in keys.values()}
    _drop_submission(processed, "Angus")
    again = _load(processed, run_id="run-b")
    write_council_pages(again, tmp_path / "b", workers=1, cache_dir=processed)
    assert read_reuse(processed, "report")["recomputed"] == ["Angus"]
    after, angus = files(), {shard_of(keys["Angus"]), shard_of(council_keys(again, ["Angus"], fp)["Angus"])}
    assert set(after) == {shard_of(k) for k in council_keys(again, COUNCILS, fp).values()}
    assert {name for name in before if after.get(name) == before[name]} == set(before) - angus


def test_local_sections_are_sections_of_a_council_page():
    from soa_analysis.report.contents import COUNCIL, SECTIONS

    council = {s.anchor for s in SECTIONS if COUNCIL in s.pages}
    assert set(LOCAL_SECTIONS) <= council
    assert not {"headline", "compare", "provenance", "methodology", "since-last-run", "promises"} & set(LOCAL_SECTIONS)


def test_the_report_notebook_passes_the_cache_and_full():
    from soa_analysis.config import make_options
    from soa_analysis.execute import stage_parameters

    assert stage_parameters("report", make_options(full=True))["full"] is True
    nb = json.loads((__import__("pathlib").Path(__file__).parents[1] / "notebooks" / "04_report.ipynb")
                    .read_text(encoding="utf-8"))
    pages = ["".join(c["source"]) for c in nb["cells"] if "write_council_pages(" in "".join(c["source"])]
    assert len(pages) == 1 and "cache_dir=" in pages[0] and "full=full" in pages[0]


@pytest.mark.slow
def test_the_manifest_records_which_council_pages_were_reused(tmp_path, stand_in_notebooks):
    """Pipeline runs of the report stage (a stand-in notebook with the real parameter cell that
    writes the council pages as the real one does)."""
    from soa_analysis import pipeline
    from soa_analysis.config import make_options

    processed = make_synthetic_processed(tmp_path / "p", n=12, councils=COUNCILS)
    nbs = stand_in_notebooks(tmp_path / "nbs", lambda stage: (
        "from soa_analysis import report\n"
        "data = report.load_report_data(processed_dir, run_id=run_id, council_pages=True)\n"
        "report.write_council_pages(data, councils_dir, workers=1, cache_dir=processed_dir, full=full)\n"
        if stage == "report" else "pass\n"))

    def run(**kw):
        opts = make_options(raw_dir=tmp_path, processed_dir=processed, reports_dir=tmp_path / "r", notebooks_dir=nbs,
                            **kw)
        result = pipeline.run(opts, progress=False)  # the other stages' stand-ins leave the tables as they are
        assert result.ok, result.error
        return result.manifest["reuse"]["report"]

    assert run()["recomputed"] == sorted(COUNCILS)
    _drop_submission(processed, "Angus")
    again = run()
    assert again["recomputed"] == ["Angus"] and again["reused"] == ["Fife", "Moray"]
    assert run(full=True)["n_reused"] == 0


def test_a_reused_councils_rows_are_made_once_and_only_changed_councils_go_to_workers(processed, tmp_path,
                                                                                      monkeypatch):
    """The keys narrow no council's data (:func:`council_keys` works on the whole tables): each council is
    narrowed once, to write its page; only the councils rendered again are tasks; the pages are a full run's."""
    from soa_analysis.report import councils
    from soa_analysis.report.data import ReportData

    write_council_pages(_load(processed), tmp_path / "first", workers=1, cache_dir=processed)
    _drop_submission(processed, "Fife")
    data = _load(processed, run_id="run-b")
    narrowed, tasks = [], []
    real_for, real_rows = ReportData.for_council, councils._council_rows
    monkeypatch.setattr(ReportData, "for_council",
                        lambda self, c, **kw: narrowed.append(c) or real_for(self, c, **kw))
    monkeypatch.setattr(councils, "_council_rows", lambda d, c: tasks.append(c) or real_rows(d, c))
    write_council_pages(data, tmp_path / "again", workers=2, cache_dir=processed)
    assert tasks == ["Fife"] and sorted(narrowed) == sorted(COUNCILS)
    monkeypatch.undo()
    write_council_pages(data, tmp_path / "full", workers=1)
    assert _pages(tmp_path / "again") == _pages(tmp_path / "full")


def test_a_reused_councils_page_narrows_only_the_tables_its_run_wide_sections_read(processed, tmp_path,
                                                                                   monkeypatch):
    """A council whose local parts are kept narrows a table to its rows only when one of its run-wide
    sections reads it (:class:`~soa_analysis.report.data.LazyTables`): never the tables only its local
    sections read (the quoted evidence, partners, added value...), nor the tags (its headline's priorities
    covered come from the national frame); its page is still a full run's."""
    from soa_analysis.report.data import LazyTables, ReportData

    write_council_pages(_load(processed), tmp_path / "first", workers=1, cache_dir=processed)
    _drop_submission(processed, "Fife")
    data = _load(processed, run_id="run-b")
    made = {}
    real_for = ReportData.for_council

    def spy(self, council, **kw):
        mine = real_for(self, council, **kw)
        made[council] = mine.tables
        return mine

    monkeypatch.setattr(ReportData, "for_council", spy)
    write_council_pages(data, tmp_path / "again", workers=1, cache_dir=processed)
    monkeypatch.undo()
    assert read_reuse(processed, "report")["reused"] == ["Angus", "Moray"]
    for council in ("Angus", "Moray"):
        assert isinstance(made[council], LazyTables)
        read = set(made[council].made())
        assert read and read < set(data.tables)
        assert not read & {"tag_evidence", "evidence_sentences", "partners", "partner_pairs", "added_value",
                           "alignment", "exemplars", "followups", "tags"}
    write_council_pages(data, tmp_path / "full", workers=1)
    assert _pages(tmp_path / "again") == _pages(tmp_path / "full")


def _objects(*items):
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


@pytest.mark.parametrize("cells, form", [
    (["a", None, "b"], "text"),
    ([None, None], "text"),
    (["a", 1], None),
    (["a", float("nan")], None),
    ([np.array([1, 2]), None, np.array([3])], "array[<i8]"),
    ([np.array([1, 2]), np.array([1.5])], None),
    ([np.array([[1, 2]]), np.array([[3, 4]])], None),
    ([np.array(["x", "y"], dtype=object), None, np.array(["z"], dtype=object)], "array[object]>text"),
    ([_objects(np.array([1, 2]), np.array([3])), _objects(np.array([5, 6]))], "array[object]>array[<i8]"),
    ([_objects(np.array([1, 2]), np.array([3.5]))], None),
    ([np.array(["x", 1], dtype=object)], None),
])
def test_a_columns_form_is_found_from_every_cell(cells, form):
    from soa_analysis.report.reuse import _form

    assert _form(_objects(*cells)) == form


def test_the_exports_reuse_record_is_copied_into_the_manifest_beside_the_pages(tmp_path):
    """The report stage's records: the council pages' (report) and the exports' (report_exports, named where the
    exports write it); a record left by an earlier run is cleared before the stage runs (pipeline's loop)."""
    from soa_analysis import pipeline
    from soa_analysis.partition import Reuse, clear_reuse
    from soa_analysis.report.exports import EXPORTS_STAGE

    assert pipeline.EXTRA_REUSE["report"] == (EXPORTS_STAGE,)
    (tmp_path / ".cache").mkdir()
    Reuse("report", False, ["Fife"], ["Moray"], "f" * 64).write(tmp_path)
    (tmp_path / ".cache" / f"{EXPORTS_STAGE}.reuse.json").write_text(json.dumps({"n_reused": 2, "cells_reused": 5}))
    manifest: dict = {}
    pipeline._record_reuse(manifest, tmp_path, "report")
    assert manifest["reuse"]["report"]["reused"] == ["Fife"]
    assert manifest["reuse"][EXPORTS_STAGE] == {"n_reused": 2, "cells_reused": 5}
    other: dict = {}
    pipeline._record_reuse(other, tmp_path, "evidence")
    assert EXPORTS_STAGE not in other.get("reuse", {})
    clear_reuse(tmp_path, EXPORTS_STAGE)
    again: dict = {}
    pipeline._record_reuse(again, tmp_path, "report")
    assert EXPORTS_STAGE not in again["reuse"]


@pytest.mark.parametrize("workers", [1, 2])
def test_one_changed_council_beside_kept_ones_is_rendered_by_a_worker_while_the_kept_ones_are_written(
        processed, tmp_path, monkeypatch, workers):
    """A re-run's changed council goes to a worker (a pool of one) when more than one process may work, so it is
    rendered while this process writes the kept councils' pages (which happens before its result is waited for);
    with one worker allowed, everything is written here. The pages are a full run's either way."""
    from soa_analysis.report import councils

    write_council_pages(_load(processed), tmp_path / "first", workers=1, cache_dir=processed)
    _drop_submission(processed, "Fife")
    data = _load(processed, run_id="run-b")
    pools, events = [], []
    real_pool, real_write, real_bounded = councils.worker_pool, councils._write_data, councils._bounded

    def pool(n, *args, **kw):
        pools.append(n)
        return real_pool(n, *args, **kw)

    def bounded(pool, tasks, window, meanwhile=None):
        return real_bounded(pool, tasks, window, meanwhile=lambda: events.append("kept") or meanwhile())

    monkeypatch.setattr(councils, "worker_pool", pool)
    monkeypatch.setattr(councils, "_bounded", bounded)
    monkeypatch.setattr(councils, "_write_data", lambda d, *a: events.append(d.council) or real_write(d, *a))
    write_council_pages(data, tmp_path / "again", workers=workers, cache_dir=processed)
    assert read_reuse(processed, "report")["recomputed"] == ["Fife"]
    if workers == 1:
        assert pools == [] and sorted(events) == sorted(COUNCILS)  # Fife rendered here too
    else:
        assert pools == [1] and events == ["kept", "Angus", "Moray"]  # Fife in the worker, after its submit
    monkeypatch.undo()
    write_council_pages(data, tmp_path / "full", workers=1)
    assert _pages(tmp_path / "again") == _pages(tmp_path / "full")
