"""Each raw file is hashed once a run (soa_analysis/ingest/files.py): the inventory's digests are
passed to the ingest cache's look-up and on to the read, and a file changed in between is
hashed again. Every file here is written by the test (fictional).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

from soa_analysis import manifest
from soa_analysis.ingest import files, run_ingest

TEXT = ("FICTIONAL test submission. Council: Falkirk Council. Title: Walking group {n}.\n\n"
        "The walking group met weekly from April 2011 and 46 older people took part. Falls reported by the "
        "group fell from 12 to 5 compared with the previous year, according to the health centre's records.\n")


@pytest.fixture
def hashed(monkeypatch):
    """The raw files hashed, in order (every file's bytes are hashed through datafiles.read_stream)."""
    seen: list[str] = []
    real = files.read_stream

    def counting(fh, *, keep=-1, digest=True):
        if digest:
            seen.append(Path(f"/proc/self/fd/{fh.fileno()}").resolve().name)
        return real(fh, keep=keep, digest=digest)

    monkeypatch.setattr(files, "read_stream", counting)
    return seen


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    for n in range(3):
        (raw / f"walk{n}.txt").write_text(TEXT.format(n=n), encoding="utf-8")
    (raw / ".hidden.txt").write_text("FICTIONAL hidden", encoding="utf-8")
    return raw


def _log_sha(processed: Path) -> dict:
    log = pd.read_csv(processed / "ingest_log.csv", keep_default_na=False)
    return dict(zip(log["source_file"], log["sha256"]))


def test_a_run_hashes_each_raw_file_once(tmp_path, hashed):
    raw, processed = _raw(tmp_path), tmp_path / "processed"
    inputs = manifest.input_inventory(raw, processed)  # what a run does first, for its manifest
    run_ingest(raw, processed, workers=1)
    assert sorted(hashed) == sorted(p.name for p in raw.iterdir())  # each once, hidden file included
    truth = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in raw.iterdir()}
    assert {i["file"]: i["sha256"] for i in inputs} == truth
    assert _log_sha(processed) == truth

    hashed.clear()  # a second ingest, without an inventory: the cache's look-up hashes, reads do not
    (processed / files.DIGESTS_FILE).unlink()
    run_ingest(raw, processed, workers=1)
    assert sorted(hashed) == sorted(p.name for p in raw.iterdir())  # the hidden file by its read, the rest by the look-up
    assert _log_sha(processed) == truth


def test_a_file_changed_after_the_inventory_is_hashed_again(tmp_path, hashed):
    raw, processed = _raw(tmp_path), tmp_path / "processed"
    manifest.input_inventory(raw, processed)
    (raw / "walk1.txt").write_text(TEXT.format(n="one, changed"), encoding="utf-8")
    hashed.clear()
    run_ingest(raw, processed, workers=1)
    assert hashed == ["walk1.txt"]
    assert _log_sha(processed)["walk1.txt"] == hashlib.sha256((raw / "walk1.txt").read_bytes()).hexdigest()


def test_digests_of_another_raw_folder_are_not_used(tmp_path):
    raw, processed = _raw(tmp_path), tmp_path / "processed"
    manifest.input_inventory(raw, processed)
    assert set(files.load_digests(processed, raw)) == {p.name for p in raw.iterdir()}
    assert files.load_digests(processed, tmp_path) == {}
    assert files.load_digests(tmp_path / "nowhere", raw) == {}


def test_the_kept_digests_are_current_until_a_raw_file_is_added_changed_or_removed(tmp_path):
    """What a run asks before its inventory (whether ingest may be skipped): the digests the last inventory
    kept are of exactly the raw folder's files as they are now."""
    raw, processed = _raw(tmp_path), tmp_path / "processed"
    assert not files.digests_current(processed, raw)  # none kept yet
    manifest.input_inventory(raw, processed)
    assert files.digests_current(processed, raw)
    (raw / "walk3.txt").write_text(TEXT.format(n=3), encoding="utf-8")  # added
    assert not files.digests_current(processed, raw)
    manifest.input_inventory(raw, processed)
    assert files.digests_current(processed, raw)
    (raw / "walk0.txt").write_text(TEXT.format(n="zero, changed"), encoding="utf-8")  # changed
    assert not files.digests_current(processed, raw)
    manifest.input_inventory(raw, processed)
    (raw / "walk1.txt").unlink()  # removed
    assert not files.digests_current(processed, raw)
    manifest.input_inventory(raw, processed)
    assert files.digests_current(processed, raw)
    assert not files.digests_current(processed, tmp_path)  # kept for another folder


def test_a_known_digest_is_only_taken_for_the_same_file(tmp_path):
    a = tmp_path / "a.txt"
    a.write_bytes(b"FICTIONAL a")
    digest = files.raw_digest(a)
    assert digest[1] == hashlib.sha256(b"FICTIONAL a").hexdigest()
    assert files.read_raw_file(a, 100, digest) == (b"FICTIONAL a", digest[1], 11)
    stale = (digest[0], "0" * 64)
    assert files.raw_digest(a, stale) == stale  # same identity: taken as known
    a.write_bytes(b"FICTIONAL b")  # another write: another identity
    assert files.read_raw_file(a, 100, stale)[1] == hashlib.sha256(b"FICTIONAL b").hexdigest()


def _settle(processed: Path) -> None:
    """As if the last inventory had been taken a while after the raw files were written (they were written
    by this test a moment before it)."""
    path = processed / files.DIGESTS_FILE
    later = path.stat().st_mtime_ns + 3 * files.SETTLED_NS
    os.utime(path, ns=(later, later))


def test_a_rerun_inventory_reads_only_new_and_changed_files(tmp_path, hashed):
    raw, processed = _raw(tmp_path), tmp_path / "processed"
    manifest.input_inventory(raw, processed)
    _settle(processed)
    (raw / "walk1.txt").write_text(TEXT.format(n="one, changed"), encoding="utf-8")
    (raw / "walk9.txt").write_text(TEXT.format(n=9), encoding="utf-8")
    hashed.clear()
    inputs = manifest.input_inventory(raw, processed, reuse=True)
    assert sorted(hashed) == ["walk1.txt", "walk9.txt"]
    truth = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in raw.iterdir()}
    assert {i["file"]: i["sha256"] for i in inputs} == truth
    hashed.clear()  # the ingest stage after it reads each file it reads without hashing it again
    run_ingest(raw, processed, workers=1)
    assert hashed == []
    assert _log_sha(processed) == truth


def test_a_full_run_or_unsettled_files_are_hashed_again(tmp_path, hashed):
    raw, processed = _raw(tmp_path), tmp_path / "processed"
    manifest.input_inventory(raw, processed)
    hashed.clear()
    manifest.input_inventory(raw, processed, reuse=True)  # written in the moment they were hashed
    assert sorted(hashed) == sorted(p.name for p in raw.iterdir())
    _settle(processed)
    hashed.clear()
    manifest.input_inventory(raw, processed)  # --full: no reuse
    assert sorted(hashed) == sorted(p.name for p in raw.iterdir())


def test_the_pipeline_inventory_reuses_digests_unless_full(tmp_path, monkeypatch):
    from soa_analysis.config import make_options

    raw, processed = _raw(tmp_path), tmp_path / "processed"
    seen = []
    monkeypatch.setattr(manifest, "inventory", lambda *a, **k: seen.append(k["reuse"]) or [])
    for full in (False, True):
        manifest.new_manifest("r", make_options(raw_dir=raw, processed_dir=processed, reports_dir=tmp_path / "rep",
                                                full=full), ("ingest",))
    assert seen == [True, False]


def test_the_digests_read_again_are_the_ones_kept_since(tmp_path, monkeypatch):
    """load_digests reads the kept digests once while their file is unchanged (a second call parses nothing), and
    a file saved since, or written over in place, is read again: never the digests it held before."""
    import json as _json

    from soa_analysis.ingest import files as F

    raw, processed = tmp_path / "raw", tmp_path / "p"
    raw.mkdir()
    (raw / "a.txt").write_text("one", encoding="utf-8")
    F.inventory(raw, processed_dir=processed)
    parsed = []
    real = _json.loads
    monkeypatch.setattr(F.json, "loads", lambda s, *a, **k: parsed.append(1) or real(s, *a, **k))
    first = F.load_digests(processed, raw)
    assert set(first) == {"a.txt"} and F.load_digests(processed, raw) == first and len(parsed) == 1
    (raw / "b.txt").write_text("two", encoding="utf-8")
    F.inventory(raw, processed_dir=processed)  # saved again: a new file
    assert set(F.load_digests(processed, raw)) == {"a.txt", "b.txt"}
    path = processed / F.DIGESTS_FILE
    data = real(path.read_text(encoding="utf-8"))
    data["files"]["a.txt"][1] = "0" * 64
    with open(path, "r+", encoding="utf-8") as fh:  # written over in place, the same size
        text = _json.dumps(data)
        fh.write(text)
        fh.truncate()
    assert F.load_digests(processed, raw)["a.txt"][1] == "0" * 64
    assert F.load_digests(tmp_path / "elsewhere", raw) == {}
