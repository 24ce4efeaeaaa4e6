"""Pipeline mechanics with small stand-in notebooks: parameters, failure path, publishing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from soa_analysis import pipeline
from soa_analysis.config import make_options
from soa_analysis.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def _nb(path: Path, params: str, body: str) -> None:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, new_code_cell(body)]
    nbformat.write(nb, str(path))


def stand_in_notebooks(folder: Path, body_of) -> Path:
    """Stage notebooks with the real parameter cells and ``body_of(stage)`` as their code."""
    folder.mkdir()
    for stage, name in pipeline.NOTEBOOKS.items():
        real = nbformat.read(str(ROOT / "notebooks" / name), as_version=4)
        params = next(c.source for c in real.cells if "parameters" in c.metadata.get("tags", []))
        _nb(folder / name, params, body_of(stage))
    return folder


@pytest.fixture
def fake_notebooks(tmp_path):
    """Stand-in stage notebooks with the real parameter cells; 02_tag raises."""
    def body(stage: str) -> str:
        code = "from pathlib import Path\nPath(processed_dir).mkdir(parents=True, exist_ok=True)\n"
        code += f"(Path(processed_dir) / '{stage}.done').write_text('ok')\n"
        if stage == "tag":
            code += "raise RuntimeError('planted failure in the tag stage')\n"
        return code

    return stand_in_notebooks(tmp_path / "nbs", body)


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
    assert manifest["inputs"] == [{"file": "a.txt", "bytes": 16, "sha256": pipeline.sha256_file(tmp_path / "raw" / "a.txt")}]
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


def test_unknown_parameter_is_refused_before_running(tmp_path, fake_notebooks):
    with pytest.raises(ConfigError, match="unknown parameter"):
        pipeline.check_parameters(fake_notebooks / "02_tag.ipynb", {"processed_dir": "x", "taxonmies": []})


def test_unknown_stage(tmp_path, fake_notebooks):
    with pytest.raises(ConfigError, match="unknown stage"):
        pipeline.run(_opts(tmp_path, fake_notebooks), ("tagging",))


def test_missing_raw_dir_is_an_input_error(tmp_path, fake_notebooks):
    from soa_analysis.errors import InputError

    opts = make_options(raw_dir=tmp_path / "nope", reports_dir=tmp_path / "r", notebooks_dir=fake_notebooks)
    with pytest.raises(InputError, match="does not exist"):
        pipeline.run(opts)


def test_missing_notebooks_dir(tmp_path):
    with pytest.raises(ConfigError, match="notebooks not found"):
        pipeline.find_notebooks_dir(make_options(notebooks_dir=tmp_path))


def test_real_notebooks_declare_the_parameters_the_pipeline_passes():
    opts = make_options()
    nb_dir = pipeline.find_notebooks_dir(opts)
    for stage, name in pipeline.NOTEBOOKS.items():
        pipeline.check_parameters(nb_dir / name, pipeline.stage_parameters(stage, opts))


def test_publish_latest_swaps_whole_folder(tmp_path):
    reports = tmp_path / "reports"
    old = reports / "latest"
    (old / "councils").mkdir(parents=True)
    (old / "summary.html").write_text("old")
    (old / "councils" / "gone.html").write_text("old council")
    run_dir = reports / "runs" / "r1"
    (run_dir / "councils").mkdir(parents=True)
    (run_dir / "summary.html").write_text("new")
    (run_dir / "councils" / "fife.html").write_text("fife")
    latest = pipeline.publish_latest(run_dir, reports, [run_dir / "summary.html", run_dir / "councils" / "fife.html"])
    assert (latest / "summary.html").read_text() == "new"
    assert sorted(p.name for p in (latest / "councils").iterdir()) == ["fife.html"]
    assert sorted(p.name for p in reports.iterdir()) == ["latest", "runs"]  # no staging left behind


def test_publish_latest_first_time(tmp_path):
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    (run_dir / "summary.html").write_text("first")
    latest = pipeline.publish_latest(run_dir, tmp_path, [run_dir / "summary.html"])
    assert (latest / "summary.html").read_text() == "first"


def test_run_lock_refuses_a_second_run(tmp_path):
    with pipeline.run_lock(tmp_path):
        with pytest.raises(ConfigError, match="another soa-analysis run"):
            with pipeline.run_lock(tmp_path):
                pass
    with pipeline.run_lock(tmp_path):  # released
        pass


@pytest.mark.parametrize("name, slug", [("Perth and Kinross", "perth-and-kinross"),
                                         ("Na h-Eileanan Siar", "na-h-eileanan-siar"),
                                         ("City of Edinburgh", "city-of-edinburgh"), ("", "unknown")])
def test_slugify(name, slug):
    assert pipeline.slugify(name) == slug


def test_run_ids_sort_by_time_and_are_unique():
    import datetime as dt

    a = pipeline.new_run_id(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))
    b = pipeline.new_run_id(dt.datetime(2026, 1, 2, 3, 4, 6, tzinfo=dt.timezone.utc))
    assert a.startswith("20260102T030405Z_") and a < b
    assert pipeline.new_run_id() != pipeline.new_run_id()


def test_a_parameters_line_papermill_cannot_parse_is_refused(tmp_path):
    nb = tmp_path / "x.ipynb"
    _nb(nb, 'a: int = 1  # fine\nb: int = 0  # 0 = off, which papermill cannot parse\n', "pass")
    with pytest.raises(ConfigError, match="cannot parse the parameters line for 'b'"):
        pipeline.check_parameters(nb, {"a": 2})
