"""A stage's cache in shards: one small file per key prefix, checked before it is trusted.

The ingest, tag and evidence stages keep each raw file's results by unit key
(:mod:`soa_analysis.partition`). One pickle for the whole corpus meant loading and saving every
result on every run, and holding two copies in memory while doing it; at a hundred thousand
files that is most of a re-run. Here the keys (hex SHA-256 digests) are spread over
``16 ** SHARD_HEX`` shards by their first hex digits, each shard a file of its own in
``<processed>/.cache/<stage>/``:

- a run reads only the shards holding keys it looks for, one at a time;
- it rewrites only the shards whose set of keys changed (a unit key fixes its results, so a
  shard with the same keys holds the same results), and removes shards none of its keys fall
  in, so the cache holds the last run's units and never grows;
- a shard about to be written with the bytes it already holds (a full run over unchanged input)
  is left as it is: replacing a file costs the file system far more than reading it;
- each shard is written atomically (:func:`soa_analysis.io.atomic_path`), compressed (zstd,
  through pyarrow: pickled tables are about seven times smaller) and starts with the SHA-256 of
  what follows: a shard that is truncated, damaged or not ours is ignored (its units are
  recomputed) and never unpickled;
- a shard lists the keys it holds, and a key read from a shard must belong there.

Pickles: only read caches your own runs wrote (the checksum guards against damage, not against
someone who can write to the processed folder).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable
from pathlib import Path

from .io import atomic_path

__all__ = ["SHARD_HEX", "shard_of", "ShardStore"]

SHARD_HEX = 2  # 256 shards: about 400 units each at 100,000 files
_MAGIC = b"soa-analysis shard 2 zstd\n"
_SUFFIX = ".shard"


def _codec():
    import pyarrow

    return pyarrow.Codec("zstd", compression_level=1)


def shard_of(key: str) -> str:
    """The shard a unit key falls in: its first :data:`SHARD_HEX` hex digits.

    Example
    -------
    >>> shard_of("3fa9c0")
    '3f'
    """
    return key[:SHARD_HEX]


def _holds(path: Path, head: bytes, body: bytes) -> bool:
    """Whether the file at ``path`` holds exactly ``head + body``. Replacing a file costs the file
    system far more than reading one (on ext4 a rename over a file waits for the new file's data
    to reach the disk), so a shard is compared before it is written again."""
    try:
        with open(path, "rb") as fh:
            return fh.read(len(head)) == head and fh.read(len(body) + 1) == body
    except OSError:
        return False


class ShardStore:
    """The shards of one stage's cache, in ``<processed>/.cache/<stage>/``.

    Each shard holds ``{"keys": [...], "data": <the caller's object>}``; :meth:`read` returns
    it only when the file is whole and its keys all fall in the shard.

    Parameters
    ----------
    folder : path-like
        The stage's shard folder.
    full : bool
        Read nothing (every unit is recomputed); writing still works.
    """

    def __init__(self, folder, *, full: bool = False):
        self.folder = Path(folder)
        self.full = full
        self.held: dict[str, frozenset[str]] = {}  # shard -> keys it held when read
        self.damaged: list[str] = []

    def path(self, shard: str) -> Path:
        return self.folder / f"{shard}{_SUFFIX}"

    def on_disk(self) -> set[str]:
        """The shards present (names only; their content is not checked)."""
        if not self.folder.is_dir():
            return set()
        return {p.name[: -len(_SUFFIX)] for p in self.folder.glob(f"*{_SUFFIX}")}

    def read(self, shard: str):
        """The shard's data, or ``None`` when ``full``, absent, damaged or not consistent.

        A damaged shard's name is added to :attr:`damaged`.
        """
        if self.full:
            return None
        try:
            blob = self.path(shard).read_bytes()
        except OSError:
            return None
        head = len(_MAGIC) + 64
        ok = (blob.startswith(_MAGIC) and len(blob) > head + 9
              and hashlib.sha256(blob[head + 1:]).hexdigest().encode() == blob[len(_MAGIC):head])
        if ok:
            try:
                size = int.from_bytes(blob[head + 1:head + 9], "little")
                payload = _codec().decompress(blob[head + 9:], decompressed_size=size, asbytes=True)
                obj = pickle.loads(payload)  # noqa: S301 - checked: written by this package's own runs
                keys = frozenset(obj["keys"])
                ok = all(shard_of(k) == shard for k in keys)
            except Exception:  # noqa: BLE001 - not ours after all
                ok = False
        if not ok:
            self.damaged.append(shard)
            return None
        self.held[shard] = keys
        return obj["data"]

    def write(self, shard: str, keys: Iterable[str], data) -> Path:
        """Replace the shard atomically with ``data`` for ``keys``."""
        keys = sorted(keys)
        if any(shard_of(k) != shard for k in keys):
            raise ValueError(f"a key outside shard {shard!r}")
        payload = pickle.dumps({"keys": keys, "data": data}, protocol=pickle.HIGHEST_PROTOCOL)
        body = len(payload).to_bytes(8, "little") + _codec().compress(payload, asbytes=True)
        del payload
        head = _MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n"
        dest = self.path(shard)
        if not _holds(dest, head, body):  # the same bytes already there (a full run over unchanged input): kept
            with atomic_path(dest, ".tmp") as tmp, open(tmp, "wb") as fh:
                fh.write(head)
                fh.write(body)
        self.held[shard] = frozenset(keys)
        return dest

    def unchanged(self, shard: str, keys: Iterable[str]) -> bool:
        """Whether the shard as read (or written) in this run holds exactly ``keys``."""
        return not self.full and self.held.get(shard) == frozenset(keys)

    def keep_only(self, shards: set[str]) -> None:
        """Remove every shard not in ``shards`` (units of files no longer there)."""
        for shard in self.on_disk() - shards:
            self.path(shard).unlink(missing_ok=True)
            self.held.pop(shard, None)
