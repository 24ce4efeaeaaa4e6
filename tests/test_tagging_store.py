"""The per-user store of trained taggers (soa_analysis.tagging.store); fictional data only."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pandas as pd
import pytest
from test_tagging_stage import FALLS, JOBS, make_submissions

from soa_analysis.datafiles import sha256_file
from soa_analysis.errors import InputError
from soa_analysis.io import write_table
from soa_analysis.tagging import run_tagging, stage, store
from soa_analysis.tagging.model import CombinedTagger, load_model


@pytest.fixture()
def model_store(tmp_path, monkeypatch):
    folder = tmp_path / "store"
    monkeypatch.setenv(store.ENV, str(folder))
    return folder


# The store's mechanics do not depend on what the model learned from: a tagger of the labelled passages alone
# trains in about a second, where the shipped one (with the real-text documents) takes a minute or more.
LIGHT = {"real_text": False}


def _processed(folder):
    folder.mkdir(parents=True)
    write_table(make_submissions(FALLS, JOBS), folder / "submissions.parquet", table="submissions")
    return folder


def test_a_fresh_folder_takes_the_stored_model_instead_of_training(model_store, tmp_path, monkeypatch):
    first = run_tagging(_processed(tmp_path / "a"), model_params=LIGHT)
    assert first.meta["models"]["priorities"]["how"] == "trained"
    fp = json.loads((tmp_path / "a" / "models" / "priorities.json").read_text())["fingerprint"]
    assert (model_store / fp / "priorities.joblib").is_file() and (model_store / fp / "priorities.json").is_file()

    def no_training(self, *a, **k):
        raise AssertionError("trained again although the store holds this model")

    monkeypatch.setattr(CombinedTagger, "fit_labels", no_training)
    second = run_tagging(_processed(tmp_path / "b"), model_params=LIGHT)
    assert second.meta["models"]["priorities"]["how"] == "from the model store"
    assert (tmp_path / "b" / "models" / "priorities.joblib").is_file()
    pd.testing.assert_frame_equal(second.tags, first.tags)
    pd.testing.assert_frame_equal(second.evidence, first.evidence)


def test_another_fingerprint_or_a_damaged_copy_trains(model_store, tmp_path, monkeypatch):
    run_tagging(_processed(tmp_path / "a"), model_params=LIGHT)
    (entry,) = list(model_store.iterdir())
    (entry / "priorities.joblib").write_bytes(b"not the model")  # its JSON's sha256 no longer matches

    class Trained(Exception):
        pass

    def fit(self, *a, **k):
        raise Trained

    monkeypatch.setattr(CombinedTagger, "fit_labels", fit)
    with pytest.raises(Trained):
        run_tagging(_processed(tmp_path / "b"), model_params=LIGHT)
    # a model stored under another fingerprint is never taken
    assert not store.fetch("0" * 64, "priorities", tmp_path / "c")


def test_the_store_off_or_unwritable_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ENV, "off")
    res = run_tagging(_processed(tmp_path / "a"), model_params=LIGHT)
    assert res.meta["models"]["priorities"]["how"] == "trained"
    assert not store.keep("f" * 64, "priorities", tmp_path / "a" / "models")
    blocked = tmp_path / "file"
    blocked.write_text("a file where the store's folder would be")
    monkeypatch.setenv(store.ENV, str(blocked))
    assert not store.keep("f" * 64, "priorities", tmp_path / "a" / "models")  # ignored, not raised
    assert stage._get_model(tmp_path / "a", "priorities", None, None, stage._DEFAULT_PARAMS | LIGHT)[1] == "loaded"


_KEEPER = """
import sys
from pathlib import Path
from soa_analysis.tagging import store
for _ in range(int(sys.argv[2])):
    assert store.keep(sys.argv[3], "priorities", Path(sys.argv[1]))
"""


def test_two_processes_keeping_one_fingerprint_never_give_a_torn_or_unchecked_copy(model_store, tmp_path):
    """Two runs (two test workers) that trained the same fingerprint keep it at once while a third
    fetches: every copy fetched is one writer's whole file, and a pickle and JSON of different
    writers never load (the JSON's SHA-256 does not match), so that run trains instead."""
    fp = "e" * 64
    sources = []
    for byte in (b"A", b"B"):  # two fictional "models" of different bytes, each with its own JSON
        src = tmp_path / f"trained-{byte.decode()}"
        src.mkdir()
        (src / "priorities.joblib").write_bytes(byte * 1_000_000)
        (src / "priorities.json").write_text(json.dumps({"model_sha256": sha256_file(src / "priorities.joblib"),
                                                         "thresholds": {}}), encoding="utf-8")
        sources.append(src)
    payloads = {(s / "priorities.joblib").read_bytes(): (s / "priorities.json").read_text() for s in sources}
    keepers = [subprocess.Popen([sys.executable, "-c", _KEEPER, str(src), "40", fp]) for src in sources]
    fetched = 0
    try:
        while fetched < 3 or any(k.poll() is None for k in keepers):
            dest = tmp_path / f"fetched-{fetched}"
            if not store.fetch(fp, "priorities", dest):
                assert fetched == 0 and not (dest / "priorities.json").exists()  # nothing kept yet
                time.sleep(0.01)
                continue
            pickle_bytes = (dest / "priorities.joblib").read_bytes()
            js = (dest / "priorities.json").read_text(encoding="utf-8")
            assert pickle_bytes in payloads and js in payloads.values()  # whole files, never torn
            if payloads[pickle_bytes] != js:  # the pickle of one writer, the JSON of the other
                with pytest.raises(InputError, match="SHA-256"):
                    load_model(dest / "priorities.joblib")
            shutil.rmtree(dest)
            fetched += 1
    finally:
        codes = [k.wait(timeout=600) for k in keepers]
    assert codes == [0, 0]
    assert sorted(p.name for p in (model_store / fp).iterdir()) == ["priorities.joblib", "priorities.json"]


def test_the_tests_share_one_store_for_the_run(shared_model_store, model_store_off, monkeypatch):
    """tests/conftest.py gives the run one store (the tagger trains once a run, not once a test)
    and turns it off where a test is about training."""
    assert store.store_dir() is None
    monkeypatch.undo()
    assert store.store_dir() == shared_model_store
