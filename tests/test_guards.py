"""Run guards: never publish less than before; a full disk, a second run or a killed run handled.

Unit tests of soa_analysis.guards, then the guards through pipeline.run with small
stand-in notebooks (marked slow: each run starts kernels). All data is fictional.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from soa_analysis import cli, guards, pipeline, runs
from soa_analysis.config import make_options
from soa_analysis.errors import ConfigError, GuardError, InputError, PublishError

ROOT = Path(__file__).resolve().parent.parent


def _submissions(processed: Path, n: int) -> None:
    processed.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"submission_id": [f"s{i}" for i in range(n)]}).to_parquet(processed / "submissions.parquet")


def _published(reports: Path, n: int) -> None:
    (reports / "latest").mkdir(parents=True, exist_ok=True)
    (reports / "latest" / "summary.html").write_text("last good report")
    (reports / "latest" / "manifest.json").write_text(json.dumps({"n_submissions": n}))


# --------------------------------------------------------------------------- units

def test_empty_run_is_refused_unless_allowed(tmp_path):
    _submissions(tmp_path / "p", 0)
    pd.DataFrame({"source_file": ["a.txt", "b.txt"], "status": ["quarantined", "quarantined"]}).to_csv(
        tmp_path / "p" / "ingest_log.csv", index=False)
    with pytest.raises(GuardError, match=r"no submissions to publish: 2 file\(s\) in the raw folder, 2 quarantined"):
        guards.check_submissions(tmp_path / "p", tmp_path / "r")
    assert guards.check_submissions(tmp_path / "p", tmp_path / "r", allow_empty=True) == []


@pytest.mark.parametrize("now,max_drop,outcome", [
    (100, None, []),
    (85, None, []),                      # a small fall is normal
    (70, None, "warn"),                  # 30% fewer: a warning
    (70, 0.5, "warn"),                   # within --max-drop: still a warning
    (70, 0.25, "refuse"),                # beyond --max-drop: refused
    (120, 0.0, []),                      # more is never a problem
])
def test_drop_guard(tmp_path, now, max_drop, outcome):
    _submissions(tmp_path / "p", now)
    _published(tmp_path / "r", 100)
    if outcome == "refuse":
        with pytest.raises(GuardError, match=r"70 submission\(s\) against 100 .* \(30% fewer\), more than --max-drop 25%"):
            guards.check_submissions(tmp_path / "p", tmp_path / "r", max_drop=max_drop)
        return
    warnings = guards.check_submissions(tmp_path / "p", tmp_path / "r", max_drop=max_drop)
    assert (["30% fewer" in w for w in warnings] == [True]) if outcome == "warn" else warnings == []


@pytest.mark.parametrize("value,share", [("25%", 0.25), (0.25, 0.25), ("40", 0.4), ("0", 0.0), (1, 1.0)])
def test_parse_share(value, share):
    assert guards.parse_share(value) == pytest.approx(share)


@pytest.mark.parametrize("value", ["lots", "-5%", "250%"])
def test_parse_share_refuses_nonsense(value):
    with pytest.raises(ConfigError, match="max_drop"):
        guards.parse_share(value)


def test_max_drop_option_from_flags_and_run_files(tmp_path):
    assert make_options(max_drop="25%").max_drop == pytest.approx(0.25)
    cfg = tmp_path / "run.yaml"
    cfg.write_text("max_drop: 0.1\nallow_empty: true\n")
    opts = make_options(config=cfg)
    assert (opts.max_drop, opts.allow_empty) == (pytest.approx(0.1), True)
    with pytest.raises(ConfigError, match="allow_empty must be true or false"):
        make_options(allow_empty="yes")


def test_folder_lock_refuses_a_second_run_on_the_same_processed_folder(tmp_path):
    with guards.folder_lock(tmp_path / "p", "processed folder"):
        with pytest.raises(ConfigError, match="another soa-analysis run is using the processed folder"):
            with guards.folder_lock(tmp_path / "p", "processed folder"):
                pass
    with guards.folder_lock(tmp_path / "p", "processed folder"):
        pass  # released


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_recover_marks_stale_manifests_and_removes_half_built_folders(tmp_path):
    reports = tmp_path / "reports"
    _published(reports, 3)
    killed = reports / "runs" / "20260101T000000Z_dead00"
    killed.mkdir(parents=True)
    (killed / "manifest.json").write_text(json.dumps({"run_id": killed.name, "status": "running"}))
    done = reports / "runs" / "20260101T000000Z_good00"
    done.mkdir()
    (done / "manifest.json").write_text(json.dumps({"run_id": done.name, "status": "succeeded"}))
    (reports / ".latest-20260101T000000Z_dead00" / "councils").mkdir(parents=True)
    stale_kernel = Path(tempfile.mkdtemp(prefix=guards.KERNEL_PREFIX))
    (stale_kernel / "owner.pid").write_text(str(_dead_pid()))
    with guards.kernel_folder() as live_kernel:
        notes = guards.recover(reports, run_id="now")
        assert live_kernel.exists()  # this process's own folder is kept
    marked = json.loads((killed / "manifest.json").read_text())
    assert marked["status"] == "failed" and marked["interrupted"] and "interrupted" in marked["error"]
    assert json.loads((done / "manifest.json").read_text())["status"] == "succeeded"
    assert sorted(p.name for p in reports.iterdir()) == ["latest", "runs"]
    assert not stale_kernel.exists()
    assert len(notes) == 3


def test_recover_restores_latest_lost_between_two_renames(tmp_path):
    reports = tmp_path / "reports"
    (reports / ".latest-old-r1").mkdir(parents=True)
    (reports / ".latest-old-r1" / "summary.html").write_text("last good report")
    (reports / ".latest-r2").mkdir()
    guards.recover(reports, run_id="now")
    assert (reports / "latest" / "summary.html").read_text() == "last good report"
    assert sorted(p.name for p in reports.iterdir()) == ["latest"]


def test_full_disk_while_publishing_keeps_latest_and_leaves_no_half_copy(tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    _published(reports, 3)
    run_dir = reports / "runs" / "r1"
    (run_dir / "councils").mkdir(parents=True)
    files = [run_dir / "summary.html", run_dir / "councils" / "fife.html"]
    for f in files:
        f.write_text("new")
    real = shutil.copy2

    def full(src, dst, **kw):
        if Path(src).name == "fife.html":
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real(src, dst, **kw)

    monkeypatch.setattr(shutil, "copy2", full)
    with pytest.raises(PublishError, match=r"could not publish the report \(No space left on device: .*fife.html\); "
                                           "the last good report in .* was kept"):
        runs.publish_latest(run_dir, reports, files)
    assert (reports / "latest" / "summary.html").read_text() == "last good report"
    assert sorted(p.name for p in reports.iterdir()) == ["latest", "runs"]


def test_cli_turns_a_write_error_into_one_line(monkeypatch, capsys):
    def read_only(*a, **kw):
        raise OSError(errno.EROFS, "Read-only file system", "reports/runs/x")

    monkeypatch.setattr(pipeline, "run", read_only)
    assert cli.main(["run", "--raw-dir", str(ROOT / "tests" / "fixtures" / "mini_raw")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["soa-analysis: cannot complete the run: Read-only file system: reports/runs/x"]


# --------------------------------------------------------------------------- through pipeline.run

_STAND_IN_INGEST = """
from soa_analysis.ingest.run import SUBMISSION_COLUMNS
from soa_analysis.io import write_table
n = len(list(Path(raw_dir).glob('*.txt')))
rows = [{**{c: '' for c in SUBMISSION_COLUMNS}, 'submission_id': f's{i}', 'source_file': f'{i}.txt',
         'submission_type': 'unstructured', 'text': 'FICTIONAL', 'checklist': [], 'outcomes_cited': [],
         'warnings': [], 'year': None} for i in range(n)]
subs = pd.DataFrame(rows, columns=SUBMISSION_COLUMNS).astype({'year': 'Int64'})
write_table(subs, p / 'submissions.parquet', table='submissions')
log = pd.DataFrame({'source_file': [f'{i}.txt' for i in range(n)], 'sha256': ['f' * 64] * n,
                    'status': ['ingested'] * n, 'reason': [''] * n, 'submission_id': [f's{i}' for i in range(n)]})
write_table(log, p / 'ingest_log.csv', table='ingest_log')
"""


def _stand_in(stage: str) -> str:
    """Code of a stand-in stage: ingest writes one submission per .txt file, tag and evidence a file each."""
    code = "from pathlib import Path\nimport pandas as pd\np = Path(processed_dir)\np.mkdir(parents=True, exist_ok=True)\n"
    if stage == "ingest":
        return code + _STAND_IN_INGEST
    if stage != "report":
        return code + f"(p / '{stage}_stand_in.txt').write_text('FICTIONAL {stage} output')\n"
    return code + "print('FICTIONAL report')\n"


@pytest.fixture
def notebooks(tmp_path, stand_in_notebooks):
    return stand_in_notebooks(tmp_path / "nbs", _stand_in)


def _opts(tmp_path, nbs, n_files: int, **kw):
    raw = tmp_path / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    raw.mkdir()
    for i in range(n_files):
        (raw / f"{i}.txt").write_text(f"FICTIONAL submission number {i}")
    return make_options(raw_dir=raw, processed_dir=tmp_path / "processed", reports_dir=tmp_path / "reports",
                        notebooks_dir=nbs, council_reports=False, **kw)


@pytest.mark.slow
def test_empty_run_fails_and_keeps_latest_unless_allowed(tmp_path, notebooks):
    _published(tmp_path / "reports", 4)
    result = pipeline.run(_opts(tmp_path, notebooks, 0), progress=False)
    assert result.status == "failed" and result.error.startswith("no submissions to publish")
    assert result.manifest["failed_stage"] == "ingest" and "tag" not in result.manifest["timings_s"]
    assert result.manifest["n_submissions"] == 0
    assert (tmp_path / "reports" / "latest" / "summary.html").read_text() == "last good report"

    result = pipeline.run(_opts(tmp_path, notebooks, 0, allow_empty=True), progress=False)
    assert result.ok and result.manifest["n_submissions"] == 0
    assert "last good report" not in (tmp_path / "reports" / "latest" / "summary.html").read_text()


@pytest.mark.slow
def test_drop_guard_warns_then_refuses_and_mixed_tables_are_refused(tmp_path, notebooks, capsys):
    assert pipeline.run(_opts(tmp_path, notebooks, 10), progress=False).ok
    published = json.loads((tmp_path / "reports" / "latest" / "manifest.json").read_text())
    assert published["n_submissions"] == 10 and published["ingest_files"][0]["status"] == "ingested"

    result = pipeline.run(_opts(tmp_path, notebooks, 6), progress=False, stream=sys.stderr)
    assert result.ok and result.manifest["warnings"] == [
        "6 submission(s) against 10 in the last published report (40% fewer); check the raw folder, or pass "
        "--max-drop to refuse such a run"]
    assert "warning: 6 submission(s) against 10" in capsys.readouterr().err

    result = pipeline.run(_opts(tmp_path, notebooks, 2, max_drop=0.5), progress=False)
    assert result.status == "failed" and "more than --max-drop 50% allows" in result.error
    assert json.loads((tmp_path / "reports" / "latest" / "manifest.json").read_text())["n_submissions"] == 6

    # the refused run's ingest left submissions of its own under the last run's tags: never reported
    runs_before = sorted((tmp_path / "reports" / "runs").iterdir())
    with pytest.raises(InputError, match="made from the ingest tables of run"):
        pipeline.run(_opts(tmp_path, notebooks, 2), ("report",), progress=False)
    assert sorted((tmp_path / "reports" / "runs").iterdir()) == runs_before  # refused before any work


@pytest.mark.slow
def test_full_disk_at_publish_gives_an_honest_manifest(tmp_path, notebooks, monkeypatch):
    _published(tmp_path / "reports", 2)

    def full(src, dst, **kw):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(shutil, "copy2", full)
    result = pipeline.run(_opts(tmp_path, notebooks, 2), progress=False)
    assert result.status == "failed" and "No space left on device" in result.error
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert (manifest["status"], manifest["failed_stage"]) == ("failed", "publish")
    assert (tmp_path / "reports" / "latest" / "summary.html").read_text() == "last good report"
    assert not [p for p in (tmp_path / "reports").iterdir() if p.name.startswith(".latest-")]


@pytest.mark.slow
def test_a_run_holding_the_processed_folder_blocks_another(tmp_path, notebooks):
    opts = _opts(tmp_path, notebooks, 1)
    with guards.folder_lock(opts.processed_dir, "processed folder"):
        other = make_options(raw_dir=opts.raw_dir, processed_dir=opts.processed_dir, notebooks_dir=notebooks,
                             reports_dir=tmp_path / "other_reports")
        with pytest.raises(ConfigError, match="another soa-analysis run is using the processed folder"):
            pipeline.run(other, progress=False)
    assert not (tmp_path / "other_reports" / "runs").exists() or not os.listdir(tmp_path / "other_reports" / "runs")
