"""A stage whose inputs, settings and code are unchanged is skipped and its tables reused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from soa_analysis import pipeline, stageskip
from soa_analysis.config import make_options
from soa_analysis.lineage import read_stamp

MINI = Path(__file__).parent / "fixtures" / "mini_raw"
STAGES3 = ("ingest", "tag", "evidence")


def test_the_key_follows_the_options_that_shape_the_tables(tmp_path):
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text("FICTIONAL: not a real rubric\n", encoding="utf-8")
    opts = make_options(processed_dir=tmp_path / "p", rubric=rubric)
    key = stageskip.stage_key("evidence", opts)
    assert key == stageskip.stage_key("evidence", make_options(processed_dir=tmp_path / "p", rubric=rubric))
    rubric.write_text("FICTIONAL: another rubric\n", encoding="utf-8")
    assert stageskip.stage_key("evidence", opts) != key
    tax = tmp_path / "tax.yaml"
    tax.write_text("FICTIONAL\n", encoding="utf-8")
    tag = stageskip.stage_key("tag", make_options(taxonomies=[str(tax)]))
    tax.write_text("FICTIONAL, edited\n", encoding="utf-8")
    assert stageskip.stage_key("tag", make_options(taxonomies=[str(tax)])) != tag
    assert stageskip.stage_key("report", opts) is None
    notebook = tmp_path / "03_evidence.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    before = stageskip.stage_key("evidence", opts, notebook)
    notebook.write_text('{"cells": []}', encoding="utf-8")  # an edited notebook runs again
    assert stageskip.stage_key("evidence", opts, notebook) != before
    # ingest needs the raw inventory the run took (none here)
    assert stageskip.stage_key("ingest", make_options(raw_dir=tmp_path, processed_dir=tmp_path / "p")) is None


def test_nothing_is_reused_without_a_stamp_with_that_key(tmp_path):
    assert stageskip.reusable_run(tmp_path, "tag", "k") is None
    assert stageskip.reusable_run(tmp_path, "tag", None) is None


@pytest.mark.slow
def test_unchanged_stages_are_skipped_and_changed_ones_run(tmp_path, stand_in_notebooks, monkeypatch):
    """Stand-in notebooks (the real parameter cells) that run the real ingest and write a table
    per stage, and note each execution outside the processed folder; no kernel is started
    ahead for a stage that is skipped."""
    log = tmp_path / "executed.txt"
    started: list[str] = []
    start = pipeline.WarmKernels.start
    monkeypatch.setattr(pipeline.WarmKernels, "start",
                        lambda self, stage, cwd: (started.append(stage), start(self, stage, cwd))[1])

    def body(stage: str) -> str:
        code = f"open({str(log)!r}, 'a').write({stage!r} + '\\n')\n"
        if stage == "ingest":
            return code + "from soa_analysis.ingest import run_ingest\nrun_ingest(raw_dir, processed_dir, workers=1)\n"
        return code + (f"from pathlib import Path\n(Path(processed_dir) / '{stage}.out').write_text("
                       "str(sorted(p.name for p in Path(processed_dir).iterdir())))\n")

    nbs = stand_in_notebooks(tmp_path / "nbs", body)
    raw = tmp_path / "raw"
    shutil.copytree(MINI, raw)

    def run(**kw):
        log.write_text("")
        started.clear()
        opts = make_options(raw_dir=raw, processed_dir=tmp_path / "p", reports_dir=tmp_path / "r",
                            notebooks_dir=nbs, **kw)
        result = pipeline.run(opts, STAGES3, progress=False)
        assert result.ok, result.error
        return log.read_text().split(), result

    executed, first = run()
    assert executed == list(STAGES3) and "key" in read_stamp(tmp_path / "p", "tag")
    executed, second = run()  # nothing changed
    assert executed == [] and started == []
    for stage in STAGES3:
        assert second.manifest["reuse"][stage] == {"full": False, "skipped": True, "tables_of_run": first.run_id}
        assert read_stamp(tmp_path / "p", stage)["run_id"] == first.run_id
    assert not (second.run_dir / "notebooks").exists() or not any((second.run_dir / "notebooks").iterdir())
    on_disk = json.loads((second.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["reuse"]["evidence"]["skipped"] and on_disk["status"] == "succeeded"

    (tmp_path / "p" / "tag.out").write_text("edited by hand")  # the tag stage's table changed since
    executed, _ = run()
    assert executed == ["tag", "evidence"]  # ingest still reused; evidence was made from the old tags
    assert "ingest" not in started and {"tag", "evidence"} <= set(started)

    (raw / "falkirk_walking_group.txt").write_text("FICTIONAL test submission. Council: Falkirk Council. "
                                                   "The walking group met weekly and 46 older people took part.\n",
                                                   encoding="utf-8")
    executed, _ = run()
    assert executed == list(STAGES3)  # a new raw file: ingest runs, and so every stage after it
    executed, _ = run(full=True)
    assert executed == list(STAGES3)
