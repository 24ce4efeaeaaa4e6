import pandas as pd
import pytest

from soa_analysis.errors import InputError, SchemaError
from soa_analysis.io import atomic_path, read_table, write_table, write_text


def test_atomic_path_leaves_old_file_when_writer_fails(tmp_path):
    dest = tmp_path / "a.txt"
    dest.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(dest) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert dest.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temp file left behind


def test_write_text_replaces(tmp_path):
    dest = tmp_path / "sub" / "b.txt"
    write_text(dest, "one")
    write_text(dest, "two")
    assert dest.read_text() == "two"


def test_write_table_validates_before_writing(tmp_path):
    good = pd.DataFrame({"submission_id": ["s1"], "grade": ["strong"], "reasons": ["figure with baseline"]})
    write_table(good, tmp_path / "evidence.parquet", table="evidence")
    bad = good.assign(grade=["excellent"])
    with pytest.raises(SchemaError, match="outside"):
        write_table(bad, tmp_path / "evidence.parquet", table="evidence")
    back = read_table(tmp_path, "evidence")
    assert back["grade"].tolist() == ["strong"]  # the good table survived


def test_write_table_csv_round_trip(tmp_path):
    df = pd.DataFrame({"a": ["x", ""], "b": [1, 2]})
    write_table(df, tmp_path / "t.csv")
    assert pd.read_csv(tmp_path / "t.csv", keep_default_na=False)["a"].tolist() == ["x", ""]


def test_read_table_names_the_missing_stage(tmp_path):
    with pytest.raises(InputError, match="soa-analysis tag"):
        read_table(tmp_path, "tags")


def test_written_files_get_ordinary_permissions(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        p = write_text(tmp_path / "report.html", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644


def test_read_table_reads_only_the_columns_asked_for_and_still_checks_the_file(tmp_path):
    """A stage reading a few columns of a large table (the evidence stage, of tag_evidence) gets only
    those, validated; a file lacking a required column it did not ask for still breaks the contract."""
    good = pd.DataFrame({"submission_id": ["s1", "s2"], "grade": ["strong", "none"], "reasons": ["a", "b"]})
    write_table(good, tmp_path / "evidence.parquet", table="evidence")
    part = read_table(tmp_path, "evidence", columns=["submission_id", "grade"])
    assert list(part.columns) == ["submission_id", "grade"] and part["grade"].tolist() == ["strong", "none"]
    # a value outside the contract in a column read is caught
    good.assign(grade=["excellent", "none"]).to_parquet(tmp_path / "evidence.parquet")
    with pytest.raises(SchemaError, match="outside"):
        read_table(tmp_path, "evidence", columns=["submission_id", "grade"])
    # a required column missing from the file is caught though it was not asked for
    good.drop(columns=["reasons"]).to_parquet(tmp_path / "evidence.parquet")
    with pytest.raises(SchemaError, match="missing column 'reasons'"):
        read_table(tmp_path, "evidence", columns=["submission_id", "grade"])


def test_write_arrow_tables_checks_every_table_then_writes_them_all(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from soa_analysis.io import write_arrow_tables

    follow = pd.DataFrame({"submission_id": ["s1", "s2"], "who": ["FICTIONAL trust", ""],
                           "what": ["Open a second café.", "Report back."], "by_when": ["2031", "spring 2032"],
                           "due": ["2031-12-31", ""]})
    evidence = pd.DataFrame({"submission_id": ["s1", "s2"], "grade": ["strong", "none"], "reasons": ["a", "b"]})
    tables = {"followups": (pa.Table.from_pandas(follow, preserve_index=False), tmp_path / "followups.parquet", None),
              "evidence": (pa.Table.from_pandas(evidence, preserve_index=False), tmp_path / "evidence.parquet",
                           evidence)}
    paths = write_arrow_tables(tables)
    assert paths == {"followups": tmp_path / "followups.parquet", "evidence": tmp_path / "evidence.parquet"}
    pd.testing.assert_frame_equal(pq.read_table(paths["followups"]).to_pandas(), follow)
    pd.testing.assert_frame_equal(pq.read_table(paths["evidence"]).to_pandas(), evidence)

    repeated = evidence.assign(submission_id=["s1", "s1"])  # a unique column's repeat, seen on the whole table
    with pytest.raises(SchemaError, match="must be unique"):
        write_arrow_tables({"followups": (pa.Table.from_pandas(follow.head(1), preserve_index=False),
                                          tmp_path / "followups.parquet", None),
                            "evidence": (pa.Table.from_pandas(repeated, preserve_index=False),
                                         tmp_path / "evidence.parquet", repeated.head(1))})
    assert len(pq.read_table(tmp_path / "followups.parquet")) == 2  # nothing written when one table fails
