"""The sharded stage cache: only whole shards of ours are read, only changed shards are written."""

from __future__ import annotations

import pytest

from soa_analysis.shards import ShardStore, shard_of

KEYS = ["ab01", "ab02", "cd03"]


def _store(tmp_path, **kw) -> ShardStore:
    return ShardStore(tmp_path / "cache" / "tag", **kw)


def test_a_written_shard_reads_back_with_its_keys(tmp_path):
    store = _store(tmp_path)
    store.write("ab", KEYS[:2], {"ab01": 1, "ab02": [2]})
    fresh = _store(tmp_path)
    assert fresh.read("ab") == {"ab01": 1, "ab02": [2]}
    assert fresh.held["ab"] == {"ab01", "ab02"} and fresh.unchanged("ab", ["ab02", "ab01"])
    assert not fresh.unchanged("ab", ["ab01"]) and fresh.read("cd") is None and not fresh.damaged


@pytest.mark.parametrize("damage", [
    lambda b: b[:-3],                                   # truncated
    lambda b: b[:-1] + bytes([b[-1] ^ 1]),              # one bit flipped
    lambda b: b"not a shard at all",
    lambda b: b"",
])
def test_a_damaged_shard_is_never_trusted(tmp_path, damage):
    store = _store(tmp_path)
    path = store.write("ab", KEYS[:2], {"ab01": 1})
    path.write_bytes(damage(path.read_bytes()))
    fresh = _store(tmp_path)
    assert fresh.read("ab") is None and fresh.damaged == ["ab"] and "ab" not in fresh.held


def test_a_shard_holding_a_key_of_another_shard_is_refused(tmp_path):
    store = _store(tmp_path)
    path = store.write("ab", ["ab01"], {"ab01": 1})
    path.rename(store.path("cd"))  # whole and checksummed, but in the wrong place
    assert _store(tmp_path).read("cd") is None
    with pytest.raises(ValueError, match="outside shard"):
        store.write("ab", ["cd03"], {})


def test_full_reads_nothing_and_keep_only_removes_the_rest(tmp_path):
    store = _store(tmp_path)
    for shard in ("ab", "cd"):
        store.write(shard, [k for k in KEYS if shard_of(k) == shard], {})
    full = _store(tmp_path, full=True)
    assert full.read("ab") is None and not full.unchanged("ab", KEYS[:2])
    store.keep_only({"cd"})
    assert store.on_disk() == {"cd"} and not store.path("ab").exists()
