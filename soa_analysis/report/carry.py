"""Per-submission report work kept across runs: what one submission's rows alone decide.

A re-run after one file was added shows the same submissions as the run before, and one more.
Some of the report's work is one submission's alone and costs more than a lookup: the outcome
indicators its text cites by name (:func:`soa_analysis.outcomes.mentions.indicator_mentions`)
and its case-study card (:func:`.cards.card_html`: excerpts, marked sentences, contact details
removed). :class:`Carry` keeps them in ``<processed>/.cache/report_carry.pkl`` by a key that is a
digest of exactly what decides them (the text; the card's row and the facts about that
submission) and of the code and data that render them (:func:`.fingerprints.render_fingerprint` of
:data:`RENDERERS`, and for the mentions the crosswalk's phrases), so a value found there is the one the work would give.

A key is a SHA-256 of a pickle of its inputs: equal bytes mean equal values (a pickle can be read
back), so two different inputs never share a key; equal inputs pickled differently only miss.

Each kind of value keeps the entries this run used (looked up or computed); a kind this run did
not use keeps the last run's, so the file holds at most one run's entries of each kind and never
grows. ``full`` (``--full``) reads nothing but still writes. Where no pipeline made the processed
folder's cache (``.cache/`` absent), or the report was loaded without ``carry=True``, nothing is
read or written and everything is computed as before.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from ..partition import CACHE_DIR, StageCache
from .fingerprints import render_fingerprint

__all__ = ["Carry", "carry_of", "digest"]

STAGE = "report_carry"
# The modules whose code (at any import depth) computes what is kept: the cards and the indicator mentions.
RENDERERS = ("soa_analysis.report.cards", "soa_analysis.outcomes.mentions")


def digest(*values) -> str:
    """SHA-256 of a pickle of ``values``: equal digests mean equal values.

    Example
    -------
    >>> digest("a", [1, 2]) == digest("a", [1, 2]), digest("a", [1, 2]) == digest("a", [1, 3])
    (True, False)
    """
    return hashlib.sha256(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()


class Carry:
    """Values by kind and key, from the last run's report, for this run's.

    Parameters
    ----------
    processed_dir : path-like
        The processed folder (the file is ``.cache/report_carry.pkl``).
    full : bool
        Read nothing (every value is computed); :meth:`save` still writes.
    """

    def __init__(self, processed_dir, *, full: bool = False):
        self.full = full
        self.fingerprint = render_fingerprint(*RENDERERS)
        self._store = StageCache(processed_dir, STAGE, full=full)
        data = self._store.load()
        ok = isinstance(data, dict) and data.get("fingerprint") == self.fingerprint
        self._old: dict[str, dict] = dict(data["kinds"]) if ok else {}
        self._new: dict[str, dict] = {}
        self.hits = self.misses = 0

    def get(self, kind: str, key: str, compute):
        """The value of ``key`` of ``kind``: the last run's, else ``compute()`` (kept for the next run)."""
        new = self._new.setdefault(kind, {})
        if key in new:
            return new[key]
        old = self._old.get(kind)
        if old is not None and key in old:
            self.hits += 1
            new[key] = value = old[key]
        else:
            self.misses += 1
            new[key] = value = compute()
        return value

    def save(self) -> None:
        """Keep what this run used of each kind (and the last run's entries of the kinds it did not use)."""
        kinds = {**self._old, **self._new}
        self._store.save({"fingerprint": self.fingerprint, "kinds": kinds})


def carry_of(data) -> Carry | None:
    """The :class:`Carry` of a report's data (``data.derived["carry"]``, set by
    :func:`.data.load_report_data` with ``carry=True``), or ``None``: compute everything."""
    return data.derived.get("carry") if data is not None else None


def open_carry(processed_dir, *, full: bool = False) -> Carry | None:
    """A :class:`Carry` for ``processed_dir`` when a pipeline keeps caches there (``.cache/``), else ``None``."""
    if not (Path(processed_dir) / CACHE_DIR).is_dir():
        return None
    return Carry(processed_dir, full=full)
