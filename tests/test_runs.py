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


def _run_folder(reports, run_id, *, latest=False):
    d = reports / "runs" / run_id
    d.mkdir(parents=True)
    (d / "manifest.json").write_text(f'{{"run_id": "{run_id}"}}')
    if latest:
        runs.publish_latest(d, reports, [d / "manifest.json"])
    return d


def test_prune_keeps_the_newest_the_current_and_the_one_latest_came_from(tmp_path):
    ids = [runs.new_run_id(dt.datetime(2026, 1, day, tzinfo=dt.timezone.utc)) for day in range(1, 8)]
    for i, run_id in enumerate(ids):
        _run_folder(tmp_path, run_id, latest=(i == 1))  # latest/ came from the second oldest
    (tmp_path / "runs" / "notes-by-hand").mkdir()  # not a run folder: never touched
    removed = runs.prune_runs(tmp_path, 3, current=ids[-1])
    assert [p.name for p in removed] == [ids[0], ids[2], ids[3]]
    left = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert left == sorted([ids[1], *ids[4:], "notes-by-hand"])
    assert runs.latest_run_id(tmp_path) == ids[1] and (tmp_path / "latest" / "manifest.json").exists()


def test_prune_zero_keeps_every_run_and_the_current_run_always_stays(tmp_path):
    ids = [runs.new_run_id(dt.datetime(2026, 2, day, tzinfo=dt.timezone.utc)) for day in range(1, 4)]
    for run_id in ids:
        _run_folder(tmp_path, run_id)
    assert runs.prune_runs(tmp_path, 0) == []
    assert runs.prune_runs(tmp_path, 1, current=ids[0]) == [tmp_path / "runs" / ids[1]]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [ids[0], ids[2]]
    assert runs.prune_runs(tmp_path / "nowhere", 2) == []
