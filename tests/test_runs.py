"""The reports folder: run ids, the lock, and publishing latest/ whole."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from soa_analysis import guards, runs
from soa_analysis.errors import ConfigError, PublishError


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
    latest = runs.publish_latest(run_dir, reports, [run_dir / "summary.html", run_dir / "councils" / "fife.html"])
    assert (latest / "summary.html").read_text() == "new"
    assert sorted(p.name for p in (latest / "councils").iterdir()) == ["fife.html"]
    assert sorted(p.name for p in reports.iterdir()) == ["latest", "runs"]  # no staging left behind


def test_publish_latest_first_time(tmp_path):
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    (run_dir / "summary.html").write_text("first")
    latest = runs.publish_latest(run_dir, tmp_path, [run_dir / "summary.html"])
    assert (latest / "summary.html").read_text() == "first"


def test_a_publish_interrupted_between_its_renames_is_repaired_by_the_next_run(tmp_path, monkeypatch):
    """latest/ was moved aside and the new copy never moved in: the next run's recovery brings the old one back."""
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "summary.html").write_text("last good")
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    (run_dir / "summary.html").write_text("new")
    real_rename = os.rename
    renames = []

    def killed_after_the_first_rename(src, dst):
        renames.append(dst)
        if len(renames) == 2:
            raise KeyboardInterrupt("killed between the renames")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", killed_after_the_first_rename)
    with pytest.raises(KeyboardInterrupt):
        runs.publish_latest(run_dir, tmp_path, [run_dir / "summary.html"])
    monkeypatch.setattr(os, "rename", real_rename)
    assert not (tmp_path / "latest").exists()
    guards.recover(tmp_path, run_id="next")
    assert (tmp_path / "latest" / "summary.html").read_text() == "last good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "runs"]


def test_a_failed_copy_leaves_latest_alone(tmp_path):
    (tmp_path / "latest").mkdir()
    (tmp_path / "latest" / "summary.html").write_text("last good")
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    with pytest.raises(PublishError, match="the last good report in .* was kept"):
        runs.publish_latest(run_dir, tmp_path, [run_dir / "summary.html"])  # not there
    assert (tmp_path / "latest" / "summary.html").read_text() == "last good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "runs"]  # no half copy


def test_run_lock_refuses_a_second_run(tmp_path):
    with runs.run_lock(tmp_path):
        with pytest.raises(ConfigError, match="another soa-analysis run"):
            with runs.run_lock(tmp_path):
                pass
    with runs.run_lock(tmp_path):  # released
        pass


def test_run_ids_sort_by_time_and_are_unique():
    a = runs.new_run_id(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))
    b = runs.new_run_id(dt.datetime(2026, 1, 2, 3, 4, 6, tzinfo=dt.timezone.utc))
    assert a.startswith("20260102T030405Z_") and a < b
    assert runs.new_run_id() != runs.new_run_id()
