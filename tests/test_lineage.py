"""Stage stamps: a stage refuses tables that do not all come from one chain of finished stages."""

from __future__ import annotations

import pytest

from soa_analysis.errors import InputError
from soa_analysis.lineage import check_inputs, read_stamp, stage_record


def _stage(processed, stage, run_id, files: dict[str, str]):
    """Run a stand-in stage that writes ``files`` (name -> text) under the stamps' watch."""
    with stage_record(processed, stage, run_id):
        for name, text in files.items():
            (processed / name).parent.mkdir(parents=True, exist_ok=True)
            (processed / name).write_text(text)


@pytest.fixture
def processed(tmp_path):
    p = tmp_path / "processed"
    p.mkdir()
    _stage(p, "ingest", "run1", {"submissions.parquet": "s1", "restricted/contacts.parquet": "c1"})
    _stage(p, "tag", "run1", {"tags.parquet": "t1"})
    _stage(p, "evidence", "run1", {"evidence.parquet": "e1"})
    return p


def test_one_finished_chain_is_accepted(processed):
    check_inputs(processed, "report")
    stamp = read_stamp(processed, "tag")
    assert stamp["run_id"] == "run1" and set(stamp["files"]) == {"tags.parquet"}
    assert stamp["inputs"] == {"ingest": "ingest@run1"}
    assert set(read_stamp(processed, "ingest")["files"]) == {"submissions.parquet", "restricted/contacts.parquet"}


def test_a_stage_killed_half_way_leaves_no_stamp(processed):
    with pytest.raises(RuntimeError):
        with stage_record(processed, "tag", "run2"):
            (processed / "tags.parquet").write_text("half")
            raise RuntimeError("killed")
    assert read_stamp(processed, "tag") is None
    with pytest.raises(InputError, match="holds none that a finished tag stage wrote"):
        check_inputs(processed, "report")


def test_a_table_changed_after_its_stage_is_refused(processed):
    (processed / "tags.parquet").write_text("rewritten by hand")
    with pytest.raises(InputError, match=r"tags.parquet is not the table the tag stage of run run1 wrote"):
        check_inputs(processed, "evidence")


def test_tables_of_two_runs_are_refused(processed):
    """Ingest re-run (run 2) under old tags and grades: the report would mix runs."""
    _stage(processed, "ingest", "run2", {"submissions.parquet": "s2", "restricted/contacts.parquet": "c2"})
    with pytest.raises(InputError, match="made from the ingest tables of run run1, but the ingest tables now come "
                                         "from run run2"):
        check_inputs(processed, "report")
    check_inputs(processed, "tag")  # the tag stage itself may run: it reads only the new ingest
    _stage(processed, "tag", "run2", {"tags.parquet": "t2"})
    with pytest.raises(InputError, match="evidence tables .* were made from the ingest tables of run run1"):
        check_inputs(processed, "report")
    _stage(processed, "evidence", "run2", {"evidence.parquet": "e2"})
    check_inputs(processed, "report")


def test_stage_record_refuses_before_the_stage_runs(processed):
    (processed / "submissions.parquet").write_text("tampered")
    ran = []
    with pytest.raises(InputError):
        with stage_record(processed, "tag", "run3"):
            ran.append(True)
    assert not ran and read_stamp(processed, "tag")["run_id"] == "run1"  # nothing touched


def test_ingest_needs_nothing(tmp_path):
    check_inputs(tmp_path, "ingest")
    with pytest.raises(InputError, match="needs the tables of the ingest stage"):
        check_inputs(tmp_path, "tag")
