"""A pipeline run with small stand-in notebooks: stage order, failure path, manifest."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from soa_analysis import pipeline
from soa_analysis.config import make_options
from soa_analysis.errors import ConfigError, InputError
from soa_analysis.ingest.files import sha256_file


def _opts(tmp_path, nb_dir, **kw):
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "a.txt").write_text("FICTIONAL sample")
    return make_options(raw_dir=raw, processed_dir=tmp_path / "processed", reports_dir=tmp_path / "reports",
                        notebooks_dir=nb_dir, **kw)


def test_failed_stage_keeps_notebook_and_leaves_latest_alone(tmp_path, fake_notebooks):
    opts = _opts(tmp_path, fake_notebooks)
    latest = tmp_path / "reports" / "latest"
    latest.mkdir(parents=True)
    (latest / "summary.html").write_text("last good report")

    result = pipeline.run(opts, progress=False)

    assert result.status == "failed"
    assert "stage 'tag' failed: RuntimeError: planted failure in the tag stage" in result.error
    assert (latest / "summary.html").read_text() == "last good report"
    kept = result.run_dir / "notebooks" / "02_tag.ipynb"
    assert kept.exists()
    nb = nbformat.read(str(kept), as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors and errors[0]["evalue"] == "planted failure in the tag stage"
    assert (tmp_path / "processed" / "ingest.done").exists()
    assert not (tmp_path / "processed" / "evidence.done").exists()  # later stages did not run
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["failed_stage"] == "tag"
    assert manifest["inputs"] == [{"file": "a.txt", "bytes": 16, "sha256": sha256_file(tmp_path / "raw" / "a.txt")}]
    assert "ingest" in manifest["timings_s"] and "tag" not in manifest["timings_s"]


def test_single_stage_run_records_parameters(tmp_path, fake_notebooks):
    opts = _opts(tmp_path, fake_notebooks, taxonomies="priorities")
    result = pipeline.run(opts, ("ingest",), progress=False)
    assert result.ok and result.report_path is None
    nb = nbformat.read(str(result.run_dir / "notebooks" / "01_ingest.ipynb"), as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert str((tmp_path / "raw").resolve()) in injected.source
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["parameters"]["taxonomies"] == ["priorities"]
    assert manifest["software"]["soa-analysis"]


def test_unknown_stage(tmp_path, fake_notebooks):
    with pytest.raises(ConfigError, match="unknown stage"):
        pipeline.run(_opts(tmp_path, fake_notebooks), ("tagging",))


def test_missing_raw_dir_is_an_input_error(tmp_path, fake_notebooks):
    opts = make_options(raw_dir=tmp_path / "nope", reports_dir=tmp_path / "r", notebooks_dir=fake_notebooks)
    with pytest.raises(InputError, match="does not exist"):
        pipeline.run(opts)


def test_runs_are_pruned_but_never_the_one_latest_came_from(tmp_path, fake_notebooks):
    from soa_analysis.runs import new_run_id, publish_latest

    reports = tmp_path / "reports"
    good = reports / "runs" / new_run_id()  # an earlier run whose report is published
    good.mkdir(parents=True)
    (good / "manifest.json").write_text(json.dumps({"run_id": good.name, "status": "succeeded"}))
    publish_latest(good, reports, [good / "manifest.json"])
    second = pipeline.run(_opts(tmp_path, fake_notebooks, keep_runs=1), ("ingest",), progress=False)
    assert second.ok and second.pruned == []  # the other run is latest's
    third = pipeline.run(_opts(tmp_path, fake_notebooks, keep_runs=1), ("ingest",), progress=False)
    assert third.pruned == [second.run_dir]
    assert sorted(p.name for p in (reports / "runs").iterdir()) == sorted([good.name, third.run_id])
    assert json.loads((reports / "latest" / "manifest.json").read_text())["run_id"] == good.name


class _RecordingKernels(pipeline.WarmKernels):
    """WarmKernels that remember each kernel they started."""

    made: list = []

    def start(self, stage, cwd):
        if stage not in self._pending:
            super().start(stage, cwd)
            self.made.append((stage, self._pending[stage][0]))


def test_the_first_stages_kernel_starts_before_the_slower_checks_and_a_refused_run_shuts_it_down(
        tmp_path, fake_notebooks, monkeypatch):
    monkeypatch.setattr(pipeline, "WarmKernels", _RecordingKernels)
    monkeypatch.setattr(_RecordingKernels, "made", [])
    checked = []
    real_check = pipeline.check_parameters
    monkeypatch.setattr(pipeline, "check_parameters",
                        lambda *a: checked.append(list(_RecordingKernels.made)) or real_check(*a))
    with pytest.raises(InputError, match="does not exist"):  # a missing raw folder: refused before any kernel
        pipeline.run(make_options(raw_dir=tmp_path / "nope", reports_dir=tmp_path / "r", notebooks_dir=fake_notebooks))
    assert _RecordingKernels.made == [] and checked == []
    opts = _opts(tmp_path, fake_notebooks, compare_to="20990101T000000Z_nosuch")  # refused by a later check
    with pytest.raises(ConfigError):
        pipeline.run(opts)
    assert [stage for stage, _ in checked[0]] == ["ingest"]  # started before the notebooks' parameters were checked
    km = checked[0][0][1].result().km
    assert not km.is_alive()  # the refused run shut it down
    assert not (tmp_path / "reports" / "runs").exists()  # and wrote nothing


def test_a_new_raw_file_starts_the_first_kernel_before_the_inventory(tmp_path, fake_notebooks, monkeypatch):
    """Ingest's key is worked out from the digests the run's inventory keeps: before the inventory they are
    the last run's, whose key a re-run with one new raw file still matches. The first kernel is started early
    all the same (it was not: the one kernel start nothing hid), and not when nothing changed."""
    from soa_analysis import manifest
    from soa_analysis.execute import find_notebooks_dir

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("FICTIONAL submission a", encoding="utf-8")
    opts = make_options(raw_dir=raw, processed_dir=tmp_path / "p", reports_dir=tmp_path / "r",
                        notebooks_dir=fake_notebooks).absolute()
    nb_dir = find_notebooks_dir(opts)
    manifest.input_inventory(raw, opts.processed_dir)  # the last run's inventory
    monkeypatch.setattr(pipeline, "reusable_run", lambda *a: "20990101T000000Z_last")  # its key matches
    assert pipeline._may_skip(opts, "ingest", nb_dir)
    (raw / "b.txt").write_text("FICTIONAL submission b", encoding="utf-8")
    assert not pipeline._may_skip(opts, "ingest", nb_dir)
    assert pipeline._may_skip(opts, "tag", nb_dir)  # the later stages' keys do not read the raw folder
    assert not pipeline._may_skip(make_options(raw_dir=raw, processed_dir=tmp_path / "p", full=True), "tag", nb_dir)


def _report_reads_changes(stage: str) -> str:
    """Stand-in stages; the report's reads the change step's meta (waiting for it as the real sections do)
    and writes what it found."""
    code = "from pathlib import Path\nPath(processed_dir).mkdir(parents=True, exist_ok=True)\n"
    if stage == "report":
        code += ("import json\nfrom soa_analysis.changes.stage import load_changes_meta\n"
                 "(Path(processed_dir) / 'report_saw.json').write_text(json.dumps(load_changes_meta(processed_dir)))\n")
    return code


def _slow_change_step(opts, run_dir):
    """A change step that writes its meta only after a while (the report's notebook is running by then)."""
    import time

    from soa_analysis.changes.stage import CHANGES_META

    time.sleep(1.5)
    meta = {"run_id": Path(run_dir).name, "line": "FICTIONAL change step"}
    (Path(opts.processed_dir) / CHANGES_META).write_text(json.dumps(meta))
    return meta


def test_change_step_runs_beside_the_report_and_its_readers_wait(tmp_path, stand_in_notebooks, monkeypatch):
    from soa_analysis.changes import stage as change_stage

    monkeypatch.setattr(change_stage, "run_change_step", _slow_change_step)
    opts = _opts(tmp_path, stand_in_notebooks(tmp_path / "nbs", _report_reads_changes))
    result = pipeline.run(opts, progress=False)
    assert result.ok, result.error
    saw = json.loads((tmp_path / "processed" / "report_saw.json").read_text())
    assert saw == {"run_id": result.run_id, "line": "FICTIONAL change step"}  # not the absent meta (None)
    assert result.manifest["changes"] == saw
    assert not (tmp_path / "processed" / change_stage.PENDING).exists()


def test_a_failed_change_step_fails_the_run_and_its_readers(tmp_path, stand_in_notebooks, monkeypatch):
    from soa_analysis.changes import stage as change_stage

    def broken(processed_dir, run_dir, **kw):
        raise RuntimeError("planted failure in the change step")

    monkeypatch.setattr(change_stage, "update_changes", broken)
    opts = _opts(tmp_path, stand_in_notebooks(tmp_path / "nbs", _report_reads_changes))
    latest = tmp_path / "reports" / "latest"
    latest.mkdir(parents=True)
    (latest / "summary.html").write_text("last good report")
    result = pipeline.run(opts, progress=False)
    assert result.status == "failed"
    assert result.error == "change step failed: RuntimeError: planted failure in the change step"
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["failed_stage"] == "changes"
    assert (latest / "summary.html").read_text() == "last good report"
    assert not (tmp_path / "processed" / "report_saw.json").exists()  # the report's reader failed too
    nb = nbformat.read(str(result.run_dir / "notebooks" / "04_report.ipynb"), as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors and "planted failure in the change step" in errors[0]["evalue"]
    assert not (tmp_path / "processed" / change_stage.PENDING).exists()


def test_waiting_for_the_change_step(tmp_path):
    import subprocess
    import sys

    from soa_analysis.changes.stage import PENDING, wait_for_change_step
    from soa_analysis.errors import StageError

    wait_for_change_step(tmp_path)  # no step under way: at once
    marker = tmp_path / PENDING
    marker.write_text(json.dumps({"run_id": "r1", "pid": os.getpid(), "error": "InputError: no submissions"}))
    with pytest.raises(StageError, match="change step failed: InputError: no submissions"):
        wait_for_change_step(tmp_path)
    marker.write_text(json.dumps({"run_id": "r1", "pid": os.getpid()}))  # this process runs: it waits
    with pytest.raises(StageError, match="change step of run r1 did not finish within 0 s"):
        wait_for_change_step(tmp_path, timeout=0.0)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    marker.write_text(json.dumps({"run_id": "r1", "pid": int(gone.stdout)}))  # a run killed mid-step
    if os.name == "posix":
        wait_for_change_step(tmp_path, timeout=60.0)
