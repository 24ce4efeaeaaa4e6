"""Incremental runs: per-file results reused by key, and outputs equal to a full run's.

The corpus is the fictional mini fixture (tests/fixtures/mini_raw) plus files written here,
all fictional.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from soa_analysis import partition
from soa_analysis.evidence import run_evidence
from soa_analysis.ingest import run_ingest
from soa_analysis.io import read_table
from soa_analysis.schema import TABLES
from soa_analysis.tagging import run_tagging

MINI = Path(__file__).parent / "fixtures" / "mini_raw"
STAGE_TABLES = [name for name, spec in TABLES.items()
                if spec.written_by in ("soa-analysis ingest", "soa-analysis tag", "soa-analysis evidence")]

NEW_FILE = ("FICTIONAL test submission. Council: Falkirk Council. Title: Riverside walking group.\n\n"
            "The walking group met weekly from April 2011 and 46 older people took part. Falls reported by the "
            "group fell from 12 to 5 compared with the previous year, according to the health centre's records. "
            "Next steps: the partnership will extend the group to two more towns by March 2013.\n")
CHANGING = ("FICTIONAL test submission. Council: Stirling Council. Title: Jobs for young people.\n\n"
            "Employment support helped {n} young people into work by June 2012, up from 18 the year before, "
            "according to the council's own monitoring. The partnership will continue the service in 2013.\n")


def _stages(raw: Path, processed: Path, *, full: bool = False) -> dict:
    run_ingest(raw, processed, workers=1, full=full)
    run_tagging(processed, full=full)
    run_evidence(processed, full=full)
    return {stage: partition.read_reuse(processed, stage) for stage in ("ingest", "tag", "evidence")}


def _tables(processed: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for name in STAGE_TABLES:
        df = read_table(processed, name)
        out[name] = df.drop(columns=["seconds"]) if name == "ingest_log" else df  # the time each file took
    return out


def test_stage_tables_are_every_table_of_the_three_stages():
    assert {"ingest_log", "submissions", "contacts", "partners", "tags", "tag_evidence", "evidence",
            "evidence_sentences", "added_value", "alignment", "followups", "exemplars", "partner_pairs",
            "consistency"} <= set(STAGE_TABLES)


@pytest.fixture(scope="module")
def incremental(tmp_path_factory):
    """The mini corpus run once, then changed (one file added, one changed, one removed) and
    run again incrementally; and the changed corpus run in full in a second folder."""
    tmp = tmp_path_factory.mktemp("incr")
    raw = tmp / "raw"
    shutil.copytree(MINI, raw)
    (raw / "stirling_jobs.txt").write_text(CHANGING.format(n=30), encoding="utf-8")
    processed = tmp / "processed"
    first = _stages(raw, processed)
    (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
    (raw / "stirling_jobs.txt").write_text(CHANGING.format(n=41), encoding="utf-8")
    (raw / "east_dunbartonshire_befriending.html").unlink()
    second = _stages(raw, processed)
    full_dir = tmp / "full"
    shutil.copytree(processed / "models", full_dir / "models")  # the same model, not trained twice
    full = _stages(raw, full_dir, full=True)
    return {"first": first, "second": second, "full": full, "processed": processed, "full_dir": full_dir,
            "raw": raw}


def test_an_incremental_run_gives_the_tables_of_a_full_run(incremental):
    got, want = _tables(incremental["processed"]), _tables(incremental["full_dir"])
    for name in STAGE_TABLES:
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)


def test_the_reuse_record_names_what_was_reused_and_recomputed(incremental):
    first, second, full = incremental["first"], incremental["second"], incremental["full"]
    assert first["ingest"]["n_reused"] == 0 and first["ingest"]["n_recomputed"] == len(list(MINI.iterdir())) + 1
    ing = second["ingest"]
    assert set(ing["recomputed"]) == {"falkirk_walking_group.txt", "stirling_jobs.txt"}
    assert "east_dunbartonshire_befriending.html" not in ing["reused"] + ing["recomputed"]
    assert set(ing["reused"]) == {p.name for p in incremental["raw"].iterdir()} - set(ing["recomputed"])
    for stage in ("tag", "evidence"):
        rec = second[stage]
        assert set(rec["recomputed"]) == {"falkirk_walking_group.txt", "stirling_jobs.txt"}, stage
        assert "online_form_export.csv" in rec["reused"] and not rec["full"]
        assert "east_dunbartonshire_befriending.html" not in rec["reused"] + rec["recomputed"]
    for stage in ("ingest", "tag", "evidence"):
        assert full[stage]["full"] and full[stage]["n_reused"] == 0


def test_a_rerun_with_nothing_changed_reuses_everything_and_full_reuses_nothing(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(MINI, raw)
    processed = tmp_path / "p"
    run_ingest(raw, processed, workers=1)
    again = run_ingest(raw, processed, workers=1)
    rec = partition.read_reuse(processed, "ingest")
    assert rec["n_recomputed"] == 0 and rec["n_reused"] == len(list(raw.iterdir()))
    first_log = again.ingest_log.drop(columns=["seconds"])
    run_ingest(raw, processed, workers=1, full=True)
    rec = partition.read_reuse(processed, "ingest")
    assert rec["n_reused"] == 0 and rec["full"]
    pd.testing.assert_frame_equal(read_table(processed, "ingest_log").drop(columns=["seconds"]), first_log)


def test_a_changed_reader_limit_invalidates_the_ingest_cache(tmp_path):
    from soa_analysis.ingest import Limits

    raw = tmp_path / "raw"
    shutil.copytree(MINI, raw)
    run_ingest(raw, tmp_path / "p", workers=1)
    run_ingest(raw, tmp_path / "p", workers=1, limits=Limits(max_chars=5_000))
    assert partition.read_reuse(tmp_path / "p", "ingest")["n_reused"] == 0


def test_a_changed_rubric_regrades_every_file(tmp_path, incremental):
    processed = tmp_path / "p"
    shutil.copytree(incremental["processed"], processed)
    from importlib import resources

    text = resources.files("soa_analysis.rubrics").joinpath("evidence_rubric.yaml").read_text(encoding="utf-8")
    mine = tmp_path / "rubric.yaml"
    mine.write_text(text.replace("version:", "version: 9.9.9  # was", 1), encoding="utf-8")
    run_evidence(processed, rubric=mine)
    rec = partition.read_reuse(processed, "evidence")
    assert rec["n_reused"] == 0 and rec["n_recomputed"] > 0


def test_code_fingerprint_follows_imports_and_package_data():
    ingest = partition.closure("soa_analysis.ingest.run")
    tag = partition.closure("soa_analysis.tagging.stage")
    evidence = partition.closure("soa_analysis.evidence.stage")
    assert "soa_analysis.reference" in ingest and "soa_analysis.ingest.structure" in ingest
    assert {"soa_analysis.labelled", "soa_analysis.taxonomies", "soa_analysis.tagging.model"} <= tag
    assert {"soa_analysis.rubrics", "soa_analysis.taxonomies"} <= evidence
    # the report side shapes no row of these stages, so editing it keeps their caches
    for mods in (ingest, tag, evidence):
        assert not any(m.startswith(("soa_analysis.report", "soa_analysis.changes", "soa_analysis.refi"))
                       for m in mods)


def test_code_fingerprint_changes_with_a_data_file(tmp_path, monkeypatch):
    pkg = tmp_path / "soa_analysis"
    shutil.copytree(partition.PACKAGE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(partition, "PACKAGE", pkg)
    partition.code_fingerprint.cache_clear()
    try:
        before = partition.code_fingerprint("soa_analysis.tagging.model")
        labels = pkg / "labelled" / "priorities.csv"
        labels.write_text(labels.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        partition.code_fingerprint.cache_clear()
        assert partition.code_fingerprint("soa_analysis.tagging.model") != before
    finally:
        partition.code_fingerprint.cache_clear()


def test_the_accuracy_record_and_readmes_shape_no_analysis_stage(tmp_path, monkeypatch):
    """A new accuracy record (every real-text part scored once writes one) or an edited README recomputes no tag
    and no grade and retrains no model; the record is the report's, which reads it."""
    for stage in ("soa_analysis.ingest.run", "soa_analysis.tagging.stage", "soa_analysis.tagging.model",
                  "soa_analysis.evidence.stage"):
        assert "soa_analysis.accuracy" not in partition.closure(stage)
    assert "soa_analysis.accuracy" in partition.closure("soa_analysis.report.provenance")
    pkg = tmp_path / "soa_analysis"
    shutil.copytree(partition.PACKAGE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(partition, "PACKAGE", pkg)
    roots = ("soa_analysis.tagging.stage", "soa_analysis.evidence.stage", "soa_analysis.report.provenance")
    partition.code_fingerprint.cache_clear()
    try:
        before = {r: partition.code_fingerprint(r) for r in roots}
        for edited in (pkg / "accuracy" / "accuracy.json", pkg / "labelled" / "README.md"):
            edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        partition.code_fingerprint.cache_clear()
        after = {r: partition.code_fingerprint(r) for r in roots}
        assert after["soa_analysis.tagging.stage"] == before["soa_analysis.tagging.stage"]
        assert after["soa_analysis.evidence.stage"] == before["soa_analysis.evidence.stage"]
        assert after["soa_analysis.report.provenance"] != before["soa_analysis.report.provenance"]
    finally:
        partition.code_fingerprint.cache_clear()


def test_the_saved_model_is_retrained_when_the_tagger_code_changes(tmp_path, monkeypatch, incremental, model_store_off):
    from soa_analysis.tagging import stage

    processed = tmp_path / "p"
    shutil.copytree(incremental["processed"], processed)
    fp_before = json.loads((processed / "models" / "priorities.json").read_text(encoding="utf-8"))["fingerprint"]
    # with the saved model's own fingerprint it is loaded, not trained
    assert stage._get_model(processed, "priorities", None, None, stage._DEFAULT_PARAMS)[1:] == ("loaded", fp_before)

    class Trained(Exception):
        pass

    def fit(self, *a, **k):
        raise Trained

    monkeypatch.setattr(stage.CombinedTagger, "fit_labels", fit)
    monkeypatch.setattr(partition, "code_fingerprint", lambda *roots: "an edited tagger")
    with pytest.raises(Trained):
        stage._get_model(processed, "priorities", None, None, stage._DEFAULT_PARAMS)


def test_a_new_scikit_learn_trains_the_saved_model_again(incremental, tmp_path, monkeypatch, model_store_off):
    """The saved model is a pickle: another scikit-learn version must not load it."""
    import sklearn

    from soa_analysis.tagging import stage

    processed = tmp_path / "p"
    shutil.copytree(incremental["processed"], processed)
    assert stage._get_model(processed, "priorities", None, None, stage._DEFAULT_PARAMS)[1] == "loaded"

    class Trained(Exception):
        pass

    def fit(self, *a, **k):
        raise Trained

    monkeypatch.setattr(stage.CombinedTagger, "fit_labels", fit)
    monkeypatch.setattr(sklearn, "__version__", "0.0.fictional")
    with pytest.raises(Trained):
        stage._get_model(processed, "priorities", None, None, stage._DEFAULT_PARAMS)


def test_row_digests_see_every_cell():
    a = pd.DataFrame({"submission_id": ["s1", "s2"], "text": ["one", "two"]})
    b = a.assign(text=["one", "two!"])
    assert partition.row_digests(a)[0] == partition.row_digests(b)[0]
    assert partition.row_digests(a)[1] != partition.row_digests(b)[1]


def test_a_damaged_cache_is_only_a_cache(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(MINI, raw)
    processed = tmp_path / "p"
    run_ingest(raw, processed, workers=1)
    shards = sorted((processed / partition.CACHE_DIR / "ingest").iterdir())
    assert len(shards) > 2
    shards[0].write_bytes(b"not a pickle")  # damaged
    shards[1].write_bytes(shards[1].read_bytes()[:-5])  # truncated
    run_ingest(raw, processed, workers=1)  # the kept tables' summaries are read, not the shards
    assert partition.read_reuse(processed, "ingest")["n_recomputed"] == 0
    (processed / partition.CACHE_DIR / "ingest.tables" / "index.json").unlink()  # no kept tables: the shards are read
    run_ingest(raw, processed, workers=1)
    rec = partition.read_reuse(processed, "ingest")
    assert rec["n_recomputed"] >= 2 and rec["n_reused"] == len(list(raw.iterdir())) - rec["n_recomputed"]
    run_ingest(raw, processed, workers=1)  # the damaged shards were written again
    assert partition.read_reuse(processed, "ingest")["n_recomputed"] == 0


@pytest.mark.slow
def test_the_manifest_records_what_each_run_reused(tmp_path, stand_in_notebooks):
    """Two pipeline runs of the real ingest (stand-in notebooks with the real parameter cells)."""
    from soa_analysis import pipeline
    from soa_analysis.config import make_options

    nbs = stand_in_notebooks(tmp_path / "nbs", lambda stage: (
        "from soa_analysis.ingest import run_ingest\n"
        "run_ingest(raw_dir, processed_dir, workers=1, full=full)\n" if stage == "ingest" else "pass\n"))
    raw = tmp_path / "raw"
    shutil.copytree(MINI, raw)
    opts = make_options(raw_dir=raw, processed_dir=tmp_path / "p", reports_dir=tmp_path / "r", notebooks_dir=nbs)
    first = pipeline.run(opts, ("ingest",), progress=False)
    (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
    second = pipeline.run(opts, ("ingest",), progress=False)
    full = pipeline.run(make_options(raw_dir=raw, processed_dir=tmp_path / "p", reports_dir=tmp_path / "r",
                                     notebooks_dir=nbs, full=True), ("ingest",), progress=False)
    assert first.manifest["reuse"]["ingest"]["n_reused"] == 0
    rec = second.manifest["reuse"]["ingest"]
    assert rec["recomputed"] == ["falkirk_walking_group.txt"] and rec["n_reused"] == len(list(MINI.iterdir()))
    assert full.manifest["parameters"]["full"] and full.manifest["reuse"]["ingest"]["n_reused"] == 0
    on_disk = json.loads((second.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["reuse"]["ingest"]["recomputed"] == ["falkirk_walking_group.txt"]


def test_run_options_take_full_engine_and_scheduler():
    from soa_analysis.cli import build_parser
    from soa_analysis.config import make_options
    from soa_analysis.errors import ConfigError

    args = build_parser().parse_args(["run", "--full", "--engine", "dask", "--scheduler", "tcp://h:8786"])
    assert (args.full, args.engine, args.scheduler) == (True, "dask", "tcp://h:8786")
    opts = make_options(full=True, engine="dask", scheduler="tcp://h:8786")
    assert (opts.full, opts.engine, opts.scheduler) == (True, "dask", "tcp://h:8786")
    assert make_options().engine == "local" and not make_options().full
    with pytest.raises(ConfigError, match="engine must be one of local, dask"):
        make_options(engine="spark")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["report", "--full"])  # the report stage keeps no per-file results


def _shard_stats(processed: Path, stage: str) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in (processed / partition.CACHE_DIR / stage).iterdir()}


def test_a_rerun_with_one_new_file_writes_only_its_shard(tmp_path):
    """Ingest keeps each file's whole result in shards (a re-run writes the new file's shard only); the tag stage's
    cache is its kept tables alone (one durable copy of its rows: no shard is written, by a full run or a re-run)."""
    raw = tmp_path / "raw"
    shutil.copytree(MINI, raw)
    processed = tmp_path / "p"
    run_ingest(raw, processed, workers=1)
    run_tagging(processed)
    before = _shard_stats(processed, "ingest")
    assert not (processed / partition.CACHE_DIR / "ingest.pkl").exists()
    tag_shards = processed / partition.CACHE_DIR / "tag"
    assert not (tag_shards.is_dir() and any(tag_shards.iterdir()))
    (raw / "falkirk_walking_group.txt").write_text(NEW_FILE, encoding="utf-8")
    run_ingest(raw, processed, workers=1)
    run_tagging(processed)
    after = _shard_stats(processed, "ingest")
    rewritten = {name for name, st in after.items() if before.get(name) != st}
    assert len(rewritten) == 1, rewritten  # the new file's unit's shard, nothing else
    assert set(before) <= set(after)
    assert not (tag_shards.is_dir() and any(tag_shards.iterdir()))
    for stage in ("ingest", "tag"):
        assert partition.read_reuse(processed, stage)["recomputed"] == ["falkirk_walking_group.txt"]
        assert (processed / partition.CACHE_DIR / f"{stage}.tables" / "index.json").is_file()


def test_tagging_and_grading_a_part_at_a_time_gives_the_same_tables(tmp_path, monkeypatch, incremental):
    """Memory: the tag and evidence stages compute CHUNK_SUBMISSIONS submissions at a time;
    with parts of two submissions (cut between raw files) the tables equal one part's."""
    calls = []
    real = partition.in_chunks

    def spy(subs, compute, *, size=None):
        parts = real(subs, compute, size=2)
        calls.append(len(parts))
        return parts

    monkeypatch.setattr(partition, "in_chunks", spy)
    processed = tmp_path / "p"
    shutil.copytree(incremental["full_dir"] / "models", processed / "models")
    _stages(incremental["raw"], processed, full=True)
    assert len(calls) == 2 and min(calls) > 3  # tag and evidence, each in several parts
    got, want = _tables(processed), _tables(incremental["full_dir"])
    for name in STAGE_TABLES:
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)


def test_in_chunks_cuts_between_raw_files_only():
    df = pd.DataFrame({"submission_id": list("abcdefgh"), "raw_file": list("11233345")})
    for size in (1, 2, 3, 4, 8, 100):
        parts = partition.in_chunks(df, lambda part: part, size=size)
        assert pd.concat(parts, ignore_index=True).equals(df)
        for part in parts:
            assert len(part) <= size or part["raw_file"].nunique() == 1
        files = [set(part["raw_file"]) for part in parts]
        assert all(not (a & b) for i, a in enumerate(files) for b in files[i + 1:])


def test_the_import_graph_is_kept_under_its_sources_key(tmp_path, monkeypatch):
    from soa_analysis import partition as part

    monkeypatch.setattr(part, "GRAPH_CACHE", tmp_path / "graph.json")
    part._graph.cache_clear()
    try:
        worked_out = part.import_graph()
        kept = json.loads((tmp_path / "graph.json").read_text())
        assert kept["key"] == part._sources_key(part._modules())
        assert {k: set(v) for k, v in kept["graphs"]["True"].items()} == worked_out
        # what is kept is what is read (a planted edge shows), while the key matches
        kept["graphs"]["True"]["soa_analysis.io"] = ["soa_analysis.fictional"]
        (tmp_path / "graph.json").write_text(json.dumps(kept))
        part._graph.cache_clear()
        assert part.import_graph()["soa_analysis.io"] == {"soa_analysis.fictional"} != worked_out["soa_analysis.io"]
        # another key (a source file changed) or a damaged file: worked out again
        for text in (json.dumps(kept | {"key": "another"}), "{damaged"):
            (tmp_path / "graph.json").write_text(text)
            part._graph.cache_clear()
            assert part.import_graph() == worked_out
    finally:
        part._graph.cache_clear()


def _canonical_by_hand(value):
    """The canonical cell as row_digests' docstring defines it, without its fast paths."""
    if isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and not isinstance(value, str)):
        value = value.tolist() if hasattr(value, "tolist") else value
        return [_canonical_by_hand(v) for v in value] if isinstance(value, (list, tuple)) else value
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value


def test_canonical_cells_are_those_of_the_plain_rule():
    import numpy as np

    cells = ["a", 3, True, 2.5, float("nan"), None, pd.NA, np.int64(4), np.float64("nan"), np.str_("s"), b"x",
             np.array([1, 2]), np.array([[1, 2], [3, 4]]), np.array(["a", "b"]), np.array([True, False]),
             np.array([1.5, np.nan]), np.array([np.array([2, 4]), np.array([6, 9])], dtype=object),
             np.array(["x", None], dtype=object), np.array(7), np.array("z"), np.array([], dtype=object),
             [np.array([1]), (2, "b"), [np.nan]], (np.array(["c"]),), np.array([b"q"])]
    for cell in cells:
        got, want = partition._canonical(cell), _canonical_by_hand(cell)
        assert repr(got) == repr(want), cell
        assert type(got) is type(want), cell


def test_packed_shard_rows_read_back_as_the_concatenated_frames():
    """A shard keeps a table's rows as arrays (partition._pack); read back and joined they are the frames
    pd.concat makes of the non-empty ones: dtypes, missing text, list cells, filtered rows."""
    import numpy as np

    from soa_analysis import partition

    def frame(ids, texts, lists, scores):
        return pd.DataFrame({"submission_id": pd.array(ids, dtype="str"), "text": pd.array(texts, dtype="str"),
                             "phrases": pd.Series(lists, dtype=object), "score": np.array(scores, dtype=float),
                             "ok": np.array([s > 0 for s in scores]),
                             "note": pd.Series([f"fictional {i}" for i in ids], dtype=object)})  # text kept as object

    a = frame(["F1", "F2"], ["fictional one", None], [["x"], np.array(["y", "z"])], [1.0, -2.0])
    b = frame(["F3"], ["fictional three"], [[]], [0.5])
    empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in a.columns})  # an empty part: object dtypes
    packs = [partition._pack(a), partition._pack(empty), partition._pack(b)]
    got = partition._unpack(packs)
    want = pd.concat([a, b], ignore_index=True)
    pd.testing.assert_frame_equal(got, want)
    assert got["phrases"][1].tolist() == ["y", "z"] and pd.isna(got["text"][1])
    pd.testing.assert_frame_equal(partition._unpack([partition._take(packs[0], np.array([False, True]))]),
                                  a.iloc[1:].reset_index(drop=True))
    pd.testing.assert_frame_equal(partition._unpack([packs[1]]), empty)  # all empty: the first, as it was
    other = b.astype({"text": object})  # dtypes that differ: joined by pd.concat, as before
    pd.testing.assert_frame_equal(partition._unpack([packs[0], partition._pack(other)]),
                                  pd.concat([a, other], ignore_index=True))


def _fictional_table(rng, n: int) -> pd.DataFrame:
    """A FICTIONAL table with the kinds of columns the tag and evidence tables have: ids, text of few
    values (some missing), long text, lists, numbers, booleans and text kept as object."""
    ids = [f"F{int(i):03d}" for i in rng.integers(0, max(n // 3, 1), n)]
    few = pd.array([None if x == 0 else f"fictional category {x}" for x in rng.integers(0, 5, n)], dtype="str")
    many = pd.array([f"fictional sentence {i} " * int(rng.integers(0, 4)) for i in range(n)], dtype="str")
    spans = pd.Series([[[int(a), int(a) + 1] for a in rng.integers(0, 9, rng.integers(0, 3))] for _ in range(n)],
                      dtype=object)
    return pd.DataFrame({"submission_id": pd.array(ids, dtype="str"), "category": few, "sentence": many,
                         "token_spans": spans, "weight": rng.random(n), "assigned": rng.random(n) > 0.5,
                         "sentence_index": rng.integers(0, 50, n), "note": pd.Series(["fictional"] * n, dtype=object)})


@pytest.mark.parametrize("seed", range(6))
def test_shard_parts_hold_the_rows_taking_them_one_shard_at_a_time_gives(seed, tmp_path):
    """The shards' rows as the cache writes them (gathered once, each shard's a slice, text of few values
    dictionary-encoded, Arrow text as an IPC stream) read back as the rows of each shard taken from the table
    one shard at a time (the straightforward way), through a real shard file."""
    import pickle

    import numpy as np

    from soa_analysis.shards import ShardStore

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400)) if seed else 0
    df = _fictional_table(rng, n)
    keys = np.array([f"{int(k):02x}fictional" for k in rng.integers(0, 256, n)], dtype=object)
    shards = [f"{s:02x}" for s in range(256)]
    at = [np.flatnonzero(np.array([k[:2] == s for k in keys], dtype=bool)).astype(np.int64) for s in shards]
    at = [a for a in at if len(a)] + [np.zeros(0, dtype=np.int64)]  # a shard with no rows of this table too
    packed = partition._pack(df)
    if n > 2:  # the table's Arrow columns in several chunks, as the stage's parts joined give them
        df = pd.concat([df.iloc[: n // 2], df.iloc[n // 2:]], ignore_index=True)
    store = ShardStore(tmp_path)
    for j, (part, unit) in enumerate(partition._shard_parts(partition._pack(df, chunks=True), keys, at)):
        store.write("ab", ["abfictional"], {"t": (part, unit)})
        (rows, unit), = ShardStore(tmp_path).read("ab").values()
        want = partition._take(packed, at[j])
        pd.testing.assert_frame_equal(partition._unpack([partition._opened(pickle.loads(pickle.dumps(rows)))]),
                                      partition._unpack([want]), check_exact=True)
        assert unit.tolist() == keys[at[j]].tolist()
    # rows of the earlier layout (packed rows pickled as they are) are read as before
    assert partition._opened(packed) is packed


def test_a_shards_list_cells_share_their_strings_and_read_back_equal(tmp_path):
    """A shard's list-of-strings cells (tag_evidence's phrases) are written with each distinct string once
    (partition._shared_strings): read back, the rows are those written (lists, in order; other cells as they
    were) and equal strings of different cells are one object."""
    import pickle

    import numpy as np

    from soa_analysis.shards import ShardStore

    def fresh(text: str) -> str:  # a new string object each call, as the tagger makes them
        return "".join(list(text))

    phrases = [[fresh("fictional phrase"), fresh("partnership")], [], [fresh("partnership")],
               np.array(["kept as an array"], dtype=object), None, [fresh("fictional phrase"), 3]]
    df = pd.DataFrame({"submission_id": pd.array([f"F{i}" for i in range(len(phrases))], dtype="str"),
                       "phrases": pd.Series(phrases, dtype=object), "n": np.arange(len(phrases))})
    keys = np.array(["abfictional"] * len(df), dtype=object)
    part, unit = next(partition._shard_parts(partition._pack(df, chunks=True), keys, [np.arange(len(df))]))
    ShardStore(tmp_path).write("ab", ["abfictional"], {"t": (part, unit)})
    (rows, _), = ShardStore(tmp_path).read("ab").values()
    got = partition._unpack([partition._opened(rows)])
    pd.testing.assert_frame_equal(got, df, check_exact=True)
    cells = got["phrases"].tolist()
    assert [type(c) for c in cells] == [list, list, list, np.ndarray, type(None), list]
    assert cells[0][1] is cells[2][0] and cells[0][0] is cells[5][0]
    # each distinct string is pickled once: the shard's phrases are smaller than the cells pickled one by one
    shared = pickle.dumps(partition._shared_strings(df["phrases"].to_numpy()))
    assert len(shared) < len(pickle.dumps(df["phrases"].to_numpy()))
    numbers = df["n"].to_numpy()
    assert partition._shared_strings(numbers) is numbers  # a column that is not of objects: as it is


@pytest.mark.parametrize("seed", range(4))
def test_row_digests_tell_rows_apart_as_their_canonical_cells_do(seed):
    """The digests (text cells laid end to end by Arrow, the other cells as JSON) are equal exactly when the
    rows' canonical cells are (the straightforward definition), whatever the text columns' dtype; text that
    moves between neighbouring cells, or from missing to empty, changes the digest. FICTIONAL values."""
    import numpy as np

    rng = np.random.default_rng(seed)
    words = ["", "a", "ab", "b", "fictional", "é", ":", "1:a", "-:", "\n", None]
    n = 300
    df = pd.DataFrame({"x": [words[i] for i in rng.integers(0, len(words), n)],
                       "y": [words[i] for i in rng.integers(0, len(words), n)],
                       "tags": [[words[i] for i in rng.integers(0, 4, rng.integers(0, 3))] for _ in range(n)],
                       "year": pd.array([None if v == 0 else int(v) for v in rng.integers(0, 3, n)], dtype="Int64")})
    got = partition.row_digests(df)
    canonical = [repr([partition._canonical(v) for v in row]) for row in df.itertuples(index=False)]
    for i in range(n):
        for j in range(i + 1, n):
            assert (got[i] == got[j]) == (canonical[i] == canonical[j]), (df.iloc[i].tolist(), df.iloc[j].tolist())
    for dtype in ("str", "string"):
        typed = df.astype({"x": dtype, "y": dtype})
        assert partition.row_digests(typed) == got
    moved = pd.DataFrame({"x": ["ab", "a", None, ""], "y": ["c", "bc", "", None]})
    assert len(set(partition.row_digests(moved))) == 4


@pytest.mark.parametrize("seed", range(4))
def test_submission_digests_tell_submissions_apart_as_their_rows_do(seed):
    """A submission's digest (text and boolean cells laid end to end by Arrow, a submission's rows hashed
    in one piece, a few thousand rows at a time) is the same in two tables exactly when its rows (in row
    order, canonical cells) are, whatever the text columns' dtype and however the submissions' rows
    interleave; text that moves between cells or rows, or from missing to empty, changes it. A table with
    other columns goes the JSON way, with the same rule. FICTIONAL values."""
    import numpy as np

    rng = np.random.default_rng(seed)
    words = ["", "a", "ab", "b", "fictional", "é", ":", "1:a", "-:", "\n", None]
    n = 400
    sids = [f"s{i}" for i in rng.integers(0, 90, n)]
    df = pd.DataFrame({"submission_id": sids,
                       "x": [words[i] for i in rng.integers(0, len(words), n)],
                       "y": [words[i] for i in rng.integers(0, 3, n)],
                       "assigned": rng.integers(0, 2, n).astype(bool)})
    # another table: some cells changed (some to the same value), the submissions' rows in another
    # interleaving (each submission's in the same order)
    other = df.copy()
    at = rng.integers(0, n, 40)
    other.loc[at, "x"] = [words[i] for i in rng.integers(0, len(words), len(at))]
    other.loc[rng.integers(0, n, 10), "assigned"] = True
    other = other.iloc[np.lexsort((np.arange(n), rng.permutation(200)[pd.factorize(other["submission_id"])[0]]))]

    def rows(table):
        out: dict[str, list] = {}
        for row in table.itertuples(index=False):
            out.setdefault(row.submission_id, []).append(repr([partition._canonical(v) for v in row]))
        return out

    def check(a, b):
        got_a, got_b, want_a, want_b = (partition.submission_digests(a), partition.submission_digests(b),
                                        rows(a), rows(b))
        assert list(got_a) == list(dict.fromkeys(a["submission_id"]))
        assert {sid for sid in got_a if got_a[sid] == got_b[sid]} == {sid for sid in want_a
                                                                       if want_a[sid] == want_b[sid]}
        return got_a

    whole = check(df, other)
    assert 0 < sum(whole[s] == partition.submission_digests(other)[s] for s in whole) < len(whole)
    check(df.astype({"x": "str", "y": "string"}), other)  # the same digests whatever the text dtype
    assert partition.submission_digests(df.astype({"x": "str", "y": "string"})) == whole
    check(df.assign(n=np.arange(n) % 2), other.assign(n=np.arange(n) % 2))  # a number column: the JSON way
    small = partition._DIGEST_ROWS
    try:  # the laid route does not depend on how many rows are hashed at a time
        partition._DIGEST_ROWS = 7
        assert partition.submission_digests(df) == whole
    finally:
        partition._DIGEST_ROWS = small
    moved = pd.DataFrame({"submission_id": ["a", "a", "b", "b"], "x": ["ab", "c", None, "z"]})
    changed = [moved.assign(x=["a", "bc", None, "z"]), moved.assign(x=["ab", "c", "", "z"])]
    assert [sum(partition.submission_digests(moved)[s] == partition.submission_digests(c)[s] for s in "ab")
            for c in changed] == [1, 1]


def test_the_submissions_row_digests_are_kept_under_the_identity_of_their_file(incremental, tmp_path, monkeypatch):
    """The tag and evidence stages key their units by the submissions' row digests; the second stage to read
    the same file takes the first's, and a rewritten file (a new identity) has them worked out again."""
    processed = tmp_path / "p"
    shutil.copytree(incremental["processed"], processed)
    subs, identity = partition.read_submissions(processed)
    assert identity == partition.file_identity(processed / TABLES["submissions"].filename)
    want = partition.row_digests(subs)
    assert partition._submission_row_digests(processed, subs, identity) == want  # worked out and kept
    fp = "a stage fingerprint"
    keys = [u.key for u in partition.plan_tables(processed, "tag", subs, fp).units]

    def no_digests(df, columns=None):
        raise AssertionError("worked out again")

    monkeypatch.setattr(partition, "row_digests", no_digests)
    assert partition._submission_row_digests(processed, subs, identity) == want  # taken from the cache
    assert [u.key for u in partition.plan_tables(processed, "tag", subs, fp, identity=identity).units] == keys
    # the same rows written again: another file, so the kept digests are not taken for it
    from soa_analysis.io import write_table

    write_table(subs, processed / TABLES["submissions"].filename, table="submissions")
    again, identity2 = partition.read_submissions(processed)
    assert identity2 is not None and identity2 != identity
    with pytest.raises(AssertionError, match="worked out again"):
        partition._submission_row_digests(processed, again, identity2)
    # a damaged cache file is only a cache
    monkeypatch.undo()
    (processed / partition.CACHE_DIR / partition.SUBMISSION_DIGESTS).write_text("{not json", encoding="utf-8")
    assert partition._submission_row_digests(processed, again, identity2) == want


def test_ingest_hands_the_tag_stage_the_row_digests_of_the_table_it_wrote(incremental, tmp_path, monkeypatch):
    """The ingest stage keeps the submissions' row digests under the identity of the file it wrote, worked out only
    for the rows of recomputed files (a reused file's are the last run's): they are the digests of the table as the
    tag stage reads it, after a first run and after an incremental one (files added, changed and removed)."""
    processed = incremental["processed"]
    subs, identity = partition.read_submissions(processed)
    want = partition.row_digests(subs)
    raw = tmp_path / "raw"
    shutil.copytree(incremental["raw"], raw)
    again = tmp_path / "p"
    shutil.copytree(processed, again)
    (raw / "falkirk_walking_group.txt").write_text(NEW_FILE.replace("46 older", "52 older"), encoding="utf-8")
    (raw / "online_form_export.csv").unlink()
    worked_out: list[int] = []
    real = partition.row_digests

    def counted(df, columns=None):
        worked_out.append(len(df))
        return real(df, columns)

    monkeypatch.setattr(partition, "row_digests", counted)
    result = run_ingest(raw, again, workers=1)
    assert worked_out == [1]  # the changed file's row only: every other row's digest was kept with its file
    assert partition.read_reuse(again, "ingest")["n_recomputed"] == 1

    def no_digests(df, columns=None):
        raise AssertionError("worked out again")

    monkeypatch.setattr(partition, "row_digests", no_digests)
    assert partition._submission_row_digests(processed, subs, identity) == want  # the incremental run's, handed over
    rerun, identity2 = partition.read_submissions(again)
    handed = partition._submission_row_digests(again, rerun, identity2)
    monkeypatch.undo()
    assert handed == partition.row_digests(rerun) == result.row_digests
    assert len(rerun) < len(subs)


def test_one_chunk_joins_chunks_and_takes_a_single_chunk_as_it_is():
    import pyarrow as pa

    single = pa.chunked_array([pa.array(["a", "b", None])])
    assert partition._one_chunk(single) is not None and partition._one_chunk(single).equals(single.chunk(0))
    many = pa.chunked_array([pa.array(["a"]), pa.array(["b", None])])
    assert partition._one_chunk(many).equals(pa.array(["a", "b", None]))
    assert partition._one_chunk(pa.array(["x"])).equals(pa.array(["x"]))


def test_gc_paused_pauses_the_collector_and_restores_its_state():
    import gc

    from soa_analysis.procs import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # an inner pause leaves it as it found it
    assert gc.isenabled()

    @gc_paused()
    def inside():
        return gc.isenabled()

    assert inside() is False and gc.isenabled()
    with pytest.raises(ZeroDivisionError), gc_paused():
        1 / 0
    assert gc.isenabled()


def test_the_stages_read_their_caches_with_the_collector_paused_and_files_with_it_running(tmp_path, monkeypatch):
    """The cache is read and the tables assembled with the cyclic collector paused (gc_paused), the raw
    files read with it running (a reader's objects may hold cycles), and it runs again after each stage."""
    import gc

    from soa_analysis.ingest import run as ingest_run

    seen: dict[str, list[bool]] = {}

    def spy(owner, name, label):
        real = getattr(owner, name)

        def call(*args, **kwargs):
            seen.setdefault(label, []).append(gc.isenabled())
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, call)

    spy(ingest_run.FileCache, "lookup", "ingest cache")
    spy(ingest_run, "_assemble", "ingest tables")
    spy(ingest_run, "_process_file", "ingest reads")
    spy(partition, "plan_tables", "tag and evidence plans")
    spy(partition, "_keep_source", "tag and evidence tables")  # a first run's tag stage joins its tables without combine
    raw = tmp_path / "raw"
    shutil.copytree(MINI, raw)
    _stages(raw, tmp_path / "p")
    assert gc.isenabled()
    assert seen["ingest reads"] and all(seen["ingest reads"])
    for label in ("ingest cache", "ingest tables"):
        assert seen[label] == [False], label
    assert seen["tag and evidence plans"] == [False, False]
    assert len(seen["tag and evidence tables"]) >= 2 and not any(seen["tag and evidence tables"])  # ingest keeps its too
