"""The per-user store of trained taggers (soa_analysis.tagging.store); fictional data only."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_tagging_stage import FALLS, JOBS, make_submissions

from soa_analysis.io import write_table
from soa_analysis.tagging import run_tagging, stage, store
from soa_analysis.tagging.model import CombinedTagger


@pytest.fixture()
def model_store(tmp_path, monkeypatch):
    folder = tmp_path / "store"
    monkeypatch.setenv(store.ENV, str(folder))
    return folder


def _processed(folder):
    folder.mkdir(parents=True)
    write_table(make_submissions(FALLS, JOBS), folder / "submissions.parquet", table="submissions")
    return folder


def test_a_fresh_folder_takes_the_stored_model_instead_of_training(model_store, tmp_path, monkeypatch):
    first = run_tagging(_processed(tmp_path / "a"))
    assert first.meta["models"]["priorities"]["how"] == "trained"
    fp = json.loads((tmp_path / "a" / "models" / "priorities.json").read_text())["fingerprint"]
    assert (model_store / fp / "priorities.joblib").is_file() and (model_store / fp / "priorities.json").is_file()

    def no_training(self, *a, **k):
        raise AssertionError("trained again although the store holds this model")

    monkeypatch.setattr(CombinedTagger, "fit_labels", no_training)
    second = run_tagging(_processed(tmp_path / "b"))
    assert second.meta["models"]["priorities"]["how"] == "from the model store"
    assert (tmp_path / "b" / "models" / "priorities.joblib").is_file()
    pd.testing.assert_frame_equal(second.tags, first.tags)
    pd.testing.assert_frame_equal(second.evidence, first.evidence)


def test_another_fingerprint_or_a_damaged_copy_trains(model_store, tmp_path, monkeypatch):
    run_tagging(_processed(tmp_path / "a"))
    (entry,) = list(model_store.iterdir())
    (entry / "priorities.joblib").write_bytes(b"not the model")  # its JSON's sha256 no longer matches

    class Trained(Exception):
        pass

    def fit(self, *a, **k):
        raise Trained

    monkeypatch.setattr(CombinedTagger, "fit_labels", fit)
    with pytest.raises(Trained):
        run_tagging(_processed(tmp_path / "b"))
    # a model stored under another fingerprint is never taken
    assert not store.fetch("0" * 64, "priorities", tmp_path / "c")


def test_the_store_off_or_unwritable_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV, "off")
    res = run_tagging(_processed(tmp_path / "a"))
    assert res.meta["models"]["priorities"]["how"] == "trained"
    assert not store.keep("f" * 64, "priorities", tmp_path / "a" / "models")
    blocked = tmp_path / "file"
    blocked.write_text("a file where the store's folder would be")
    monkeypatch.setenv(store.ENV, str(blocked))
    assert not store.keep("f" * 64, "priorities", tmp_path / "a" / "models")  # ignored, not raised
    assert stage._get_model(tmp_path / "a", "priorities", None, None, stage._DEFAULT_PARAMS)[1] == "loaded"
