"""Re-runs that splice: the tag and evidence stages keep their tables in Arrow and a re-run takes the reused
files' rows from there in slices, putting the computed rows in between (``TablePlan.tables``).

Every path is checked against what a full run (or the plain combine of frames) makes: the splice itself on
hand-made tables (rows removed, changed and added, the taxonomy-major order, columns of empty lists or missing
values on one side), and the stages on the fictional mini corpus: a re-run that splices, a second one that
splices what the first spliced, a removed file that held the only values of a list column, and kept tables that
are missing, replaced or of another fingerprint (the shards are read then).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_partition import CHANGING, MINI, NEW_FILE

from soa_analysis import partition
from soa_analysis.evidence import run_evidence
from soa_analysis.ingest import run_ingest
from soa_analysis.io import read_table
from soa_analysis.schema import TABLES
from soa_analysis.tagging import run_tagging

SPLICED = ("submissions", "contacts", "partners", "tags", "tag_evidence", "evidence", "evidence_sentences", "added_value", "alignment", "followups",
           "consistency", "exemplars", "partner_pairs")


def _run(raw: Path, processed: Path, *, full: bool = False) -> None:
    run_ingest(raw, processed, workers=1, full=full)
    run_tagging(processed, full=full)
    run_evidence(processed, full=full, workers=1)


def _same_as_full(raw: Path, processed: Path, tmp: Path) -> None:
    """Every table of ``processed`` equals a full run's over ``raw`` (frames, and the Parquet schemas with their
    metadata)."""
    full = tmp / "full"
    shutil.rmtree(full, ignore_errors=True)
    shutil.copytree(processed / "models", full / "models")
    _run(raw, full, full=True)
    for name in SPLICED:
        pd.testing.assert_frame_equal(read_table(processed, name), read_table(full, name), obj=name)
        a, b = (pq.read_schema(p / TABLES[name].filename) for p in (processed, full))
        assert a.equals(b, check_metadata=True), name


class _Spy:
    """Counts calls of a function of :mod:`soa_analysis.partition` (and lets them through)."""

    def __init__(self, monkeypatch, name: str):
        self.calls = 0
        real = getattr(partition, name)

        def spy(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(partition, name, spy)


@pytest.fixture()
def corpus(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(MINI, raw)
    (raw / "stirling_jobs.txt").write_text(CHANGING.format(n=30), encoding="utf-8")
    processed = tmp_path / "p"
    _run(raw, processed)
    return raw, processed


def test_a_rerun_splices_the_kept_tables_and_equals_a_full_run(corpus, tmp_path, monkeypatch):
    raw, processed = corpus
    (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
    (raw / "stirling_jobs.txt").write_text(CHANGING.format(n=41), encoding="utf-8")
    (raw / "east_dunbartonshire_befriending.html").unlink()
    splices, reads = _Spy(monkeypatch, "_splice"), _Spy(monkeypatch, "_unpack")
    _run(raw, processed)
    assert splices.calls == 3 + 2 + 7  # each table of the ingest, tag and evidence stages, spliced
    assert reads.calls == 0  # no shard's rows read
    for stage in ("tag", "evidence"):
        rec = partition.read_reuse(processed, stage)
        assert set(rec["recomputed"]) == {"falkirk_walking_group.txt", "stirling_jobs.txt"}, stage
    monkeypatch.undo()
    _same_as_full(raw, processed, tmp_path)


KEPT_TABLES = {"ingest": ("submissions", "contacts", "partners"), "tag": ("tags", "tag_evidence"),
        "evidence": ("evidence", "evidence_sentences", "added_value", "alignment", "followups", "consistency",
                     "exemplar_picks")}


def _segments(processed: Path) -> dict[str, dict[str, tuple[int, int]]]:
    """Each stage's kept segment files: name -> (inode, modification time)."""
    out = {}
    for stage in KEPT_TABLES:
        folder = processed / partition.CACHE_DIR / f"{stage}.tables"
        out[stage] = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*.arrow")}
    return out


def test_a_rerun_writes_only_its_computed_rows_to_the_kept_tables(corpus, tmp_path, monkeypatch):
    """A re-run keeps its tables as the pieces of the segment files they are already in and one new segment per
    table of the rows it computed: the full run's segments are not written again (same inode and modification
    time); a table of too many pieces is written whole again, and segments no index names are removed."""
    raw, processed = corpus
    before = _segments(processed)
    for stage, names in KEPT_TABLES.items():
        assert set(before[stage]) == {f"{n}.arrow" for n in names}, stage
    (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
    _run(raw, processed)
    subs = read_table(processed, "submissions")
    new_ids = set(subs.loc[subs["raw_file"] == "falkirk_walking_group.txt", "submission_id"])
    assert new_ids
    after = _segments(processed)
    for stage, names in KEPT_TABLES.items():
        folder = processed / partition.CACHE_DIR / f"{stage}.tables"
        index = _index(folder)
        kept = partition._open_source(processed, stage, index["fp"])
        assert kept is not None, stage
        for name in names:
            assert after[stage][f"{name}.arrow"] == before[stage][f"{name}.arrow"], (stage, name)  # not rewritten
            new = pa.ipc.open_file(pa.memory_map(str(folder / f"{name}.1.arrow"))).read_all()
            mine = np.isin(kept.tables[name].column("submission_id").to_numpy(zero_copy_only=False), list(new_ids))
            assert new.num_rows == mine.sum(), (stage, name)  # only the new file's rows written
            assert set(new.column("submission_id").to_pylist()) <= new_ids, (stage, name)
            assert {seg for seg, _, _ in index["tables"][name]["pieces"]} <= {f"{name}.arrow", f"{name}.1.arrow"}
    _same_as_full(raw, processed, tmp_path / "once")
    monkeypatch.setattr(partition, "_MAX_CHUNKS", 1)
    (raw / "stirling_jobs.txt").write_text(CHANGING.format(n=44), encoding="utf-8")
    _run(raw, processed)
    for stage, names in KEPT_TABLES.items():
        folder = processed / partition.CACHE_DIR / f"{stage}.tables"
        index = _index(folder)
        assert all(len(index["tables"][name]["pieces"]) <= 1 for name in names), stage  # written whole again
        assert {p.name for p in folder.glob("*.arrow")} == {f for f in index["files"] if f.endswith(".arrow")}
        assert not (set(after[stage]) - {f"{n}.arrow" for n in names}) & set(index["files"]), stage
    monkeypatch.undo()
    _same_as_full(raw, processed, tmp_path / "twice")


@pytest.mark.parametrize("rerun", [False, True])
def test_tables_written_from_kept_tables_are_read_from_them_as_from_their_files(corpus, monkeypatch, rerun):
    """A table written from a stage's kept tables (the ingest and tag stages') is read back from them, the same
    frame as pandas reads of its Parquet file (every column, or some); a table whose file or kept tables changed
    since is read from its file."""
    raw, processed = corpus
    if rerun:
        (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
        _run(raw, processed)
    for name in partition.KEPT_BY:
        path = processed / TABLES[name].filename
        kept = partition.read_kept(processed, name)
        assert kept is not None, name
        pd.testing.assert_frame_equal(kept, pd.read_parquet(path), obj=name)
        some = list(kept.columns[::2])
        pd.testing.assert_frame_equal(partition.read_kept(processed, name, some), pd.read_parquet(path, columns=some),
                                      obj=name)
    reads = _Spy(monkeypatch, "read_kept")
    run_evidence(processed, workers=1)
    assert reads.calls >= 3  # submissions, tags, tag_evidence, partners
    monkeypatch.undo()
    read_table(processed, "tags").to_parquet(processed / "tags.parquet", index=False)  # written since: a new file
    assert partition.read_kept(processed, "tags") is None
    assert partition.read_kept(processed, "tag_evidence") is not None
    (processed / partition.CACHE_DIR / "ingest.tables" / "index.json").unlink()
    assert partition.read_kept(processed, "submissions") is None


@pytest.mark.parametrize("rerun", [False, True])
def test_the_reports_quoted_tag_rows_come_from_the_kept_table_as_from_the_file(corpus, monkeypatch, rerun):
    """The report's quoted rows of tag_evidence (:func:`soa_analysis.report.data.read_quoted_tag_rows`) are taken
    from the tag stage's kept table when its file was written from it, without reading the Parquet file: the same
    frame as read from the file (after a re-run the kept table is in pieces, and its rows are taken piece by
    piece); a file written since is read again."""
    from soa_analysis.report.data import read_quoted_tag_rows

    raw, processed = corpus
    if rerun:
        (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
        _run(raw, processed)
        assert partition.read_kept_arrow(processed, "tag_evidence").column(0).num_chunks > 1
    with monkeypatch.context() as m:
        m.setattr("soa_analysis.report.data.read_kept_arrow", lambda *a, **k: None)
        from_file = read_quoted_tag_rows(processed)
    assert len(from_file)

    def no_file(*args, **kwargs):
        raise AssertionError("the Parquet file was read")

    with monkeypatch.context() as m:
        m.setattr(pq, "read_table", no_file)
        pd.testing.assert_frame_equal(read_quoted_tag_rows(processed), from_file)
    read_table(processed, "tag_evidence").to_parquet(processed / "tag_evidence.parquet", index=False)
    assert partition.read_kept_arrow(processed, "tag_evidence") is None
    pd.testing.assert_frame_equal(read_quoted_tag_rows(processed), from_file)


def test_rows_taken_chunk_by_chunk_are_those_table_take_gives():
    """take_rows gives what ``Table.take`` gives (values, types, order), for tables of one chunk or several (text,
    lists of lists, missing values), positions at the chunks' edges, in one chunk only, none, or not ascending,
    and columns chunked unalike."""
    rng = np.random.default_rng(7)
    pieces = [pa.table({"s": pa.array([f"t{i}-{j}" if j % 5 else None for j in range(n)], pa.large_string()),
                        "l": pa.array([[[j, j + 1]] * (j % 3) for j in range(n)], pa.list_(pa.list_(pa.int64()))),
                        "b": pa.array([bool(j % 2) for j in range(n)])})
              for i, n in enumerate([4, 1, 7, 3])]
    one, several = pieces[0], pa.concat_tables(pieces)
    unalike = pa.table({"s": several.column("s").combine_chunks(), "b": several.column("b")})
    for table in (one, several, unalike):
        n = table.num_rows
        cases = [[], [0], [n - 1], list(range(n)), [0, 3, 4, 5, 11, 12, n - 1], sorted(rng.choice(n, min(6, n), replace=False)),
                 [5, 1, 2], [2, 2, 3]]
        for at in cases:
            at = [int(a) for a in at if a < n]
            got = partition.take_rows(table, at)
            assert got.equals(table.take(pa.array(at, type=pa.int64()))), (table.num_rows, at)
            assert got.schema.equals(table.schema, check_metadata=True)


def test_a_second_rerun_splices_what_the_first_spliced(corpus, tmp_path):
    raw, processed = corpus
    (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
    _run(raw, processed)
    (raw / "stirling_jobs.txt").write_text(CHANGING.format(n=52), encoding="utf-8")
    (raw / "falkirk_walking_group.txt").unlink()
    _run(raw, processed)
    assert partition.read_reuse(processed, "tag")["recomputed"] == ["stirling_jobs.txt"]
    _same_as_full(raw, processed, tmp_path)


@pytest.mark.parametrize("damage", ["missing", "replaced", "index", "fingerprint"])
def test_kept_tables_that_cannot_be_trusted_are_not_spliced(corpus, tmp_path, monkeypatch, damage):
    raw, processed = corpus
    folder = processed / partition.CACHE_DIR / "tag.tables"
    if damage == "missing":
        (folder / "tags.arrow").unlink()
    elif damage == "replaced":  # the same size, written since
        data = bytearray((folder / "tags.arrow").read_bytes())
        data[-40] ^= 1
        (folder / "tags.arrow").write_bytes(bytes(data))
    elif damage == "index":
        (folder / "index.json").write_text("{not json", encoding="utf-8")
    else:
        text = (folder / "index.json").read_text(encoding="utf-8")
        (folder / "index.json").write_text(text.replace('"fp": "', '"fp": "0', 1), encoding="utf-8")
    (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
    run_ingest(raw, processed, workers=1)
    splices = _Spy(monkeypatch, "_splice")
    run_tagging(processed)
    assert splices.calls == 0  # the kept tables are the stage's cache (no shards): every file tagged again
    rec = partition.read_reuse(processed, "tag")
    assert rec["n_reused"] == 0 and "falkirk_walking_group.txt" in rec["recomputed"]
    monkeypatch.undo()
    run_evidence(processed, workers=1)
    _same_as_full(raw, processed, tmp_path)
    assert partition._open_source(processed, "tag", _index(folder)["fp"]) is not None  # kept again


# --- the ingest stage's kept tables -----------------------------------------------------------------------------

INGESTED = ("submissions", "contacts", "partners")


def _same_ingest_as_full(raw: Path, processed: Path, tmp: Path) -> None:
    """The ingest tables of ``processed`` equal a full ingest's over ``raw`` (frames, Parquet schemas with their
    metadata, and the log but for the seconds each file took)."""
    full = tmp / "full-ingest"
    shutil.rmtree(full, ignore_errors=True)
    run_ingest(raw, full, workers=1, full=True)
    for name in INGESTED:
        pd.testing.assert_frame_equal(read_table(processed, name), read_table(full, name), obj=name)
        a, b = (pq.read_schema(p / TABLES[name].filename) for p in (processed, full))
        assert a.equals(b, check_metadata=True), name
    log = [read_table(p, "ingest_log").drop(columns=["seconds"]) for p in (processed, full)]
    pd.testing.assert_frame_equal(*log, obj="ingest_log")


class _Count:
    """Counts calls of a method of a class (and lets them through)."""

    def __init__(self, monkeypatch, owner, name: str):
        self.calls = 0
        real = getattr(owner, name)

        def spy(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, spy)


COPY, KEPT = "east_ayrshire_town_centre_copy.docx", "east_ayrshire_town_centre.txt"  # the same submission


@pytest.mark.parametrize("change", ["added", "kept_one_removed", "copy_preferred", "copy_shard_damaged", "none"])
def test_an_ingest_rerun_splices_its_kept_tables_and_equals_a_full_run(corpus, tmp_path, monkeypatch, change):
    """A re-run takes the reused files' summaries and rows from the kept tables (no shard read for them) and
    equals a full run: with a file added, and when a duplicate becomes a submission (the file kept instead
    removed, or modified since, so that its copy is kept now: its whole result is read from its shard, or
    the file read again when the shard is damaged)."""
    import os

    from soa_analysis.ingest import run as ingest_run
    from soa_analysis.shards import ShardStore, shard_of

    raw, processed = corpus
    log = read_table(processed, "ingest_log").set_index("source_file")
    assert log.loc[COPY, "status"] == "duplicate" and log.loc[KEPT, "status"] == "ingested"
    if change == "added":
        (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
    elif change == "kept_one_removed":
        (raw / KEPT).unlink()
    elif change == "copy_preferred":  # modified later than its copy: the copy is kept now
        st = (raw / KEPT).stat()
        os.utime(raw / KEPT, ns=(st.st_atime_ns, st.st_mtime_ns + 3600 * 10**9))
    elif change == "copy_shard_damaged":
        (raw / KEPT).unlink()
        fp = json_index(processed)["fp"]
        sha = log.loc[COPY, "sha256"]
        shard = processed / partition.CACHE_DIR / "ingest" / f"{shard_of(partition.file_key(fp, COPY, sha))}.shard"
        shard.write_bytes(b"damaged")
    splices, reads = _Spy(monkeypatch, "_splice"), _Count(monkeypatch, ShardStore, "read")
    wholes, files = _Count(monkeypatch, ingest_run.FileCache, "whole"), _Count(monkeypatch, ingest_run, "_process_file")
    run_ingest(raw, processed, workers=1)
    assert splices.calls == 3  # submissions, contacts, partners
    rec = partition.read_reuse(processed, "ingest")
    expect = {"added": (0, 1), "kept_one_removed": (1, 0), "copy_preferred": (1, 0), "copy_shard_damaged": (1, 1),
              "none": (0, 0)}[change]
    # (files whose whole result was wanted, files read); a shard is read only for a whole result or to write it
    # again with its other files' whole results (the new file's shard, when it holds others)
    assert (wholes.calls, files.calls) == expect and reads.calls <= 1, (wholes.calls, files.calls, reads.calls)
    assert rec["n_recomputed"] == (1 if change == "added" else 0)
    monkeypatch.undo()
    _same_ingest_as_full(raw, processed, tmp_path)
    if change != "added":
        status = read_table(processed, "ingest_log").set_index("source_file")["status"]
        assert status.get(COPY) == ("duplicate" if change == "none" else "ingested")
    run_ingest(raw, processed, workers=1)  # and the run after splices what this one spliced
    _same_ingest_as_full(raw, processed, tmp_path)


@pytest.mark.parametrize("damage", ["files", "fingerprint", "submissions"])
def test_ingest_kept_tables_that_cannot_be_trusted_are_not_used(corpus, tmp_path, monkeypatch, damage):
    raw, processed = corpus
    folder = processed / partition.CACHE_DIR / "ingest.tables"
    if damage == "files":  # the same size, written since
        (folder / "files.bin").write_bytes(b"x" * (folder / "files.bin").stat().st_size)
    elif damage == "fingerprint":
        text = (folder / "index.json").read_text(encoding="utf-8")
        (folder / "index.json").write_text(text.replace('"fp": "', '"fp": "0', 1), encoding="utf-8")
    else:
        (folder / "submissions.arrow").unlink()
    (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
    splices = _Spy(monkeypatch, "_splice")
    run_ingest(raw, processed, workers=1)
    assert splices.calls == 0  # the shards' whole results read instead
    assert partition.read_reuse(processed, "ingest")["recomputed"] == ["falkirk_walking_group.txt"]
    monkeypatch.undo()
    _same_ingest_as_full(raw, processed, tmp_path)
    assert (folder / "index.json").is_file()  # kept again
    run_ingest(raw, processed, workers=1)
    _same_ingest_as_full(raw, processed, tmp_path)


def json_index(processed: Path) -> dict:
    return _index(processed / partition.CACHE_DIR / "ingest.tables")


def _index(folder: Path) -> dict:
    import json

    return json.loads((folder / "index.json").read_text(encoding="utf-8"))


# --- the splice on hand-made tables ----------------------------------------------------------------------------


def _units(n: int) -> list[partition.Unit]:
    return [partition.Unit(f"f{i:03d}", [f"s{i:03d}a", f"s{i:03d}b"], key=f"{i:02x}" + "k" * 62) for i in range(n)]


def _rows(units, seed: int, *, taxonomies=("t1", "t2"), lists=True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for tax in taxonomies:
        for u in units:
            for sid in u.ids:
                for j in range(int(rng.integers(0, 3))):
                    words = [f"w{int(x)}" for x in rng.integers(0, 5, size=int(rng.integers(0, 3)))] if lists else []
                    rows.append({"submission_id": sid, "taxonomy": tax, "sentence": f"{sid} {tax} {j} {seed}",
                                 "phrases": words, "weight": float(rng.random()), "assigned": bool(rng.random() < .5)})
    df = pd.DataFrame(rows, columns=["submission_id", "taxonomy", "sentence", "phrases", "weight", "assigned"])
    return df.astype({"weight": float, "assigned": bool})


def _plan(tmp_path, units, todo) -> partition.TablePlan:
    cache = partition.UnitCache(tmp_path, "demo")
    return partition.TablePlan(cache, "fp", units, todo, {})


@pytest.mark.parametrize("seed", range(6))
def test_splicing_gives_the_rows_combine_gives(tmp_path, seed):
    """Rows of a last run (units kept, changed, gone) and of new units, spliced, equal the plain combine."""
    rng = np.random.default_rng(seed)
    before = _units(12)
    gone = set(rng.choice(12, size=2, replace=False).tolist())
    changed = set(rng.choice(12, size=2, replace=False).tolist()) - gone
    now = [u if i not in changed else partition.Unit(u.raw_file, u.ids, key=f"{i:02x}" + "c" * 62)
           for i, u in enumerate(before) if i not in gone]
    added = [partition.Unit(f"f{i:03d}x", [f"s{i:03d}x"], key=f"{i:02x}" + "n" * 62) for i in (3, 7, 99)]
    for u in added:
        at = next((j for j, v in enumerate(now) if v.raw_file > u.raw_file), len(now))
        now.insert(at, u)
    todo = [u for u in now if u.key not in {v.key for v in before}]
    old = _rows(before, seed, lists=seed % 2 == 0)
    new = _rows(todo, seed + 100, lists=seed % 3 != 0)
    major = ("taxonomy", ["t1", "t2"])
    # the last run's table, kept with each row's unit
    old_codes = np.array([next(i for i, u in enumerate(before) if s in u.ids) for s in old["submission_id"]])
    old_t = pa.Table.from_pandas(old, preserve_index=False).append_column(partition._UNIT,
                                                                          pa.array(old_codes, pa.int32()))
    index = {u.key: i for i, u in enumerate(now)}
    old_to_new = np.array([index.get(u.key, -1) for u in before])
    new_units = np.array([next(i for i, u in enumerate(now) if s in u.ids) for s in new["submission_id"]])
    made = partition._splice(old_t, old_to_new, pa.Table.from_pandas(new, preserve_index=False), new_units,
                             len(now), major)
    assert made is not None
    table, codes = made
    # the reference: what combine makes of the same rows (the reused ones as frames)
    kept = old[[index.get(before[c].key, -1) >= 0 for c in old_codes]].reset_index(drop=True)
    plan = _plan(tmp_path, now, todo)
    plan.cached = {"t": kept}
    want = plan.combine({"t": new}, {"t": major})["t"]
    want_t = pa.Table.from_pandas(want, preserve_index=False)
    assert table.equals(want_t)
    assert table.schema.equals(want_t.schema, check_metadata=True)
    sids = table.column("submission_id").to_pylist()
    assert [now[c].key for c in codes] == [next(u.key for u in now if s in u.ids) for s in sids]


def test_splicing_settles_list_types_as_a_full_run_infers_them():
    """A column of empty lists (list<null>) on one side takes the other side's type; a spliced column left with
    no value at all is list<null> again, as a full run infers it."""
    units = _units(2)
    with_words = pd.DataFrame({"submission_id": ["s000a"], "phrases": [["a"]]})
    empty = pd.DataFrame({"submission_id": ["s001a"], "phrases": [[]]})
    old = pa.Table.from_pandas(empty, preserve_index=False).append_column(partition._UNIT, pa.array([1], pa.int32()))
    table, _ = partition._splice(old, np.array([-1, 1]), pa.Table.from_pandas(with_words, preserve_index=False),
                                 np.array([0]), 2, None)
    assert table.schema.field("phrases").type == pa.list_(pa.string())
    assert table.column("submission_id").to_pylist() == ["s000a", "s001a"]
    # the unit with words gone: a full run over the one left infers list<null>
    old = table.append_column(partition._UNIT, pa.array([0, 1], pa.int32()))
    table, _ = partition._splice(old, np.array([-1, 0]), pa.Table.from_pandas(empty.iloc[:0], preserve_index=False),
                                 np.zeros(0, dtype=np.int64), 1, None)
    assert table.schema.field("phrases").type == pa.Table.from_pandas(empty, preserve_index=False).schema.field(
        "phrases").type == pa.list_(pa.null())
    assert units  # (keys not needed here)
    # missing values on one side (the null type) and empty lists on the other: list<null>, as a full run infers it
    nothing = pd.DataFrame({"submission_id": ["s000a"], "phrases": [None]})
    old = pa.Table.from_pandas(empty, preserve_index=False).append_column(partition._UNIT, pa.array([1], pa.int32()))
    table, _ = partition._splice(old, np.array([-1, 1]), pa.Table.from_pandas(nothing, preserve_index=False),
                                 np.array([0]), 2, None)
    whole = pa.Table.from_pandas(pd.concat([nothing, empty], ignore_index=True), preserve_index=False)
    assert table.schema.field("phrases").type == whole.schema.field("phrases").type == pa.list_(pa.null())
    assert table.column("phrases").to_pylist() == [None, []]


def test_rows_where_takes_runs_of_rows_as_slices():
    table = pa.table({"x": list(range(10))})
    table = pa.concat_tables([table.slice(0, 4), table.slice(4)])
    mask = np.array([0, 1, 1, 0, 1, 1, 1, 0, 0, 1], dtype=bool)
    assert partition._rows_where(table, mask).column("x").to_pylist() == [1, 2, 4, 5, 6, 9]
    assert partition._rows_where(table, np.zeros(10, dtype=bool)).num_rows == 0


def test_the_graders_analyses_are_kept_and_taken_by_the_next_run(corpus, monkeypatch):
    """The first run keeps its grader's expressions' analyses; a re-run grading one file parses none again."""
    from soa_analysis.evidence import grader, prefilter

    raw, processed = corpus
    assert (processed / partition.CACHE_DIR / "evidence_analyses.pkl").is_file()
    grader._PLANS.clear()
    prefilter._alternatives.cache_clear()
    parsed = []
    real = prefilter.split_alternatives
    monkeypatch.setattr(prefilter, "split_alternatives", lambda *a: parsed.append(a) or real(*a))
    (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
    run_ingest(raw, processed, workers=1)
    run_tagging(processed)
    run_evidence(processed, workers=1)
    assert partition.read_reuse(processed, "evidence")["recomputed"] == ["falkirk_walking_group.txt"]
    assert parsed == []
    grader._PLANS.clear()
    prefilter._alternatives.cache_clear()


def test_carried_analyses_take_plain_values_only_and_record_what_is_found():
    from soa_analysis.evidence import prefilter

    pattern = r"\bfell\b|\d+%"
    want = prefilter.analyses(pattern, 32)
    known = {(pattern, 32): want, ("x", 0): (None, ((object(), False), None, False)), ("y", 0): "not a pair"}
    with prefilter.carried_analyses(known) as carried:
        assert set(carried) == {(pattern, 32)}
        assert prefilter.analyses(pattern, 32) is want
        prefilter.analyses(r"\bcut\b", 32)
    assert (r"\bcut\b", 32) in known
    assert prefilter._CARRIED is None


def test_the_change_step_reads_the_kept_tables_and_a_table_written_since_from_its_file(corpus, tmp_path,
                                                                                         monkeypatch):
    """The change step takes the submissions (and its snapshot's other tables) from the kept Arrow tables their
    Parquet files were written from: the same snapshot, changes and follow-ups as from the files; and a
    submissions file written since (here: a title changed) is read from the file, never the kept rows."""
    import datetime as dt
    import json

    from soa_analysis.changes import update_changes

    raw, processed = corpus
    runs = tmp_path / "reports" / "runs"
    first = runs / "20260101T000000Z_aaaaaa"
    first.mkdir(parents=True)
    update_changes(processed, first, as_of=dt.date(2030, 1, 1))
    (first / "manifest.json").write_text(json.dumps({"status": "succeeded"}), encoding="utf-8")

    def change_step(run_id: str, *, kept: bool):
        reads = _Spy(monkeypatch, "read_kept")
        if not kept:
            monkeypatch.setattr(partition, "read_kept", lambda *a, **k: None)
        run_dir = runs / run_id
        run_dir.mkdir()
        report = update_changes(processed, run_dir, as_of=dt.date(2030, 1, 1))
        monkeypatch.undo()
        snap = json.loads((run_dir / "snapshot.json").read_text(encoding="utf-8"))
        return reads.calls, report, {k: v for k, v in snap.items() if k not in ("created", "run_id")}

    calls, from_kept, kept_snap = change_step("20260102T000000Z_bbbbbb", kept=True)
    assert calls >= 2 and partition.read_kept(processed, "submissions") is not None  # submissions, tags
    _, from_files, file_snap = change_step("20260103T000000Z_cccccc", kept=False)
    assert kept_snap == file_snap and kept_snap["submissions"]
    pd.testing.assert_frame_equal(from_kept.changes, from_files.changes)
    pd.testing.assert_frame_equal(from_kept.followups, from_files.followups)
    subs = read_table(processed, "submissions")
    subs.loc[0, "title"] = "A title written since"
    subs.to_parquet(processed / TABLES["submissions"].filename, index=False)
    assert partition.read_kept(processed, "submissions") is None
    _, after, snap = change_step("20260104T000000Z_dddddd", kept=True)
    assert snap["submissions"][0]["title"] == "A title written since"


def test_the_report_loads_the_kept_tables_as_from_their_files_and_a_file_written_since_from_it(corpus,
                                                                                                monkeypatch):
    """The report's loader takes the submissions, tags and partners from the kept Arrow tables: every table and the
    national frame are the ones read from the files; a submissions file written since is read from the file."""
    from soa_analysis.report.data import load_report_data

    _, processed = corpus
    reads = _Spy(monkeypatch, "read_kept")
    kept = load_report_data(processed)
    assert reads.calls >= 3  # submissions, tags, partners
    monkeypatch.setattr(partition, "read_kept", lambda *a, **k: None)
    files = load_report_data(processed)
    monkeypatch.undo()
    assert set(kept.tables) == set(files.tables)
    for name in kept.tables:
        pd.testing.assert_frame_equal(kept.tables[name], files.tables[name], obj=name)
    pd.testing.assert_frame_equal(kept.national, files.national)
    subs = read_table(processed, "submissions")
    subs.loc[0, "title"] = "A title written since"
    subs.to_parquet(processed / TABLES["submissions"].filename, index=False)
    assert load_report_data(processed).tables["submissions"]["title"].iloc[0] == "A title written since"
