"""Council pages across runs: rebuild the parts of a page whose inputs changed, reuse the rest.

A council page has two kinds of sections:

- **local** sections (:data:`LOCAL_SECTIONS`: its case studies, outcome indicators, next steps,
  exemplars, added value and partners, and its further pages of cards), whose HTML depends only
  on the council's own rows. They are always rendered from :func:`local_view`, a copy of the
  council's data with everything about the whole run blanked (the national frame, the run's
  metadata, id and time, the ingest log, the processed folder), in every run, full or not, so
  their HTML cannot depend on anything else. Their key (:func:`council_keys`) is a digest of exactly
  that view (the council, each of its tables' columns, dtypes and values, which tables are
  missing, whether council pages are published, the outcome data file's content) and of what
  renders it (:func:`page_fingerprint`: the package version, the source and data files of the
  report's modules, the versions of the libraries that shape the HTML). The keys of all councils are
  worked out together from the whole tables (:func:`council_keys`), without narrowing the data to each
  council, so an unchanged council costs its share of one pass over the data and a lookup;
- **run-wide** sections (the title, headline figures, the comparison with Scotland and similar
  councils, the changes since the last run, provenance, methodology) and the header of each
  further page of cards: rebuilt every run; they are cheap.

A re-run after one file was added therefore renders the local sections of that file's council
again (and of any council whose rows changed, an exemplar chosen elsewhere included) and takes
every other council's from the cache, ``<processed>/.cache/report/`` (:class:`PageCache`), which
holds the last run's parts and of which a run rewrites only what changed (it never grows). The pages are the same,
byte for byte, as a full run's. The run's reuse record (``report.reuse.json``, copied into the
manifest) names the council pages whose parts were reused and those rendered again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import operator
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..datafiles import sha256_file
from ..partition import Reuse, UnitCache
from .cards import card_pages, cards_block
from .contents import SECTIONS, sections_for, show
from .data import RUN_TABLES, ReportData
from .fingerprints import render_fingerprint

__all__ = ["LOCAL_SECTIONS", "LocalParts", "PageCache", "local_view", "local_parts", "council_keys",
           "page_fingerprint"]

STAGE = "report"
# Sections of a council page whose HTML depends only on the council's own rows (rendered from
# local_view). A section not listed here is rebuilt every run: the safe default for a new one.
LOCAL_SECTIONS = ("case-studies", "outcomes", "followups", "exemplars", "added-value", "partners")


@dataclass
class LocalParts:
    """The local parts of one council's page: each local section's HTML by anchor, and each page
    of cards as ``(file name, cards block)`` (the first page's block is inside its case studies)."""

    sections: dict[str, str] = field(default_factory=dict)
    cards: list[tuple[str, str]] = field(default_factory=list)


def local_view(data: ReportData) -> ReportData:
    """One council's data with everything about the whole run blanked: what local sections see.

    Parameters
    ----------
    data : ReportData
        One council's data (:meth:`.data.ReportData.for_council`).
    """
    tables = {name: (df.iloc[:0] if name in RUN_TABLES else df) for name, df in data.tables.items()}
    return dataclasses.replace(data, tables=tables, national=data.national.iloc[:0], meta={}, run_id="",
                               generated="", processed_dir=Path(os.devnull), derived={})


def local_parts(view: ReportData) -> LocalParts:
    """Render the local sections and the pages of cards of a council's :func:`local_view`."""
    sections = {s.anchor: show(s.anchor, view).data for s in sections_for(view) if s.anchor in LOCAL_SECTIONS}
    pages = card_pages(view)
    return LocalParts(sections, [(p.name, cards_block(p) if i else "") for i, p in enumerate(pages)])


def page_fingerprint() -> str:
    """What renders the local parts (:func:`.fingerprints.render_fingerprint` of every module a
    section's renderer lives in, and this one)."""
    return render_fingerprint(*{s.render.partition(":")[0] for s in SECTIONS if isinstance(s.render, str)},
                              __name__)


def frame_digest(df: pd.DataFrame) -> str:
    """SHA-256 of a table's columns, dtypes and values, in row order (the index is ignored).

    The values are pickled column by column: equal bytes mean equal values (a pickle can be read
    back), so two different tables never share a digest; the same table read twice gives the
    same bytes.

    Example
    -------
    >>> a = frame_digest(pd.DataFrame({"x": ["a", "b"], "y": [[1], [2, 3]]}))
    >>> a == frame_digest(pd.DataFrame({"x": ["a", "b"], "y": [[1], [2, 3]]}, index=[5, 6]))
    True
    >>> a == frame_digest(pd.DataFrame({"x": ["a", "c"], "y": [[1], [2, 3]]}))
    False
    """
    h = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in df.dtypes.items()] + [len(df)]).encode("utf-8"))
    for c in df.columns:
        h.update(pickle.dumps(df[c].tolist(), protocol=pickle.HIGHEST_PROTOCOL))
    return h.hexdigest()


def council_keys(data: ReportData, councils: list[str], fingerprint: str) -> dict[str, str]:
    """The key of each council's local parts: a digest of everything :func:`local_view` of
    ``data.for_council(council)`` carries (the council, each of its tables' columns, dtypes and rows,
    which tables are missing, whether council pages are published, the outcome data file's content)
    and of ``fingerprint``.

    Worked out a table at a time for every council, without narrowing the data to each: a table is
    turned into Arrow once and each council's rows are taken from it and digested
    (:func:`_group_digests`), so a re-run pays about one pass over the data for all the keys. A
    table a council's rows are not a subset of (``partner_pairs``: each pair keeps its submissions of
    the council) is narrowed per council (it is small).
    """
    outcome = data.outcome_data
    sha = sha256_file(outcome) if outcome and Path(outcome).is_file() else ""
    hashes = {}
    for council in councils:
        head = {"fingerprint": fingerprint, "council": council, "council_pages": bool(data.council_pages),
                "missing": sorted(data.missing), "outcome_data": outcome, "outcome_sha256": sha}
        hashes[council] = hashlib.sha256(json.dumps(head, sort_keys=True).encode("utf-8"))
    split = data.council_rows()
    for name in sorted(data.tables):
        df = data.tables[name]
        if name in RUN_TABLES or name not in split:  # blanked in every local view, or the same for each
            whole = df.iloc[:0] if name in RUN_TABLES else df
            digests = dict.fromkeys(councils, _group_digests(whole, {"": None})[""])
        elif hasattr(split[name], "positions"):
            digests = _group_digests(df, {c: split[name].positions(c) for c in councils})
        else:
            digests = {c: _group_digests(split[name](c), {"": None})[""] for c in councils}
        for council in councils:
            hashes[council].update(f"\0{name}\0{digests[council]}".encode())
    return {c: h.hexdigest() for c, h in hashes.items()}


def _group_digests(df: pd.DataFrame, groups: dict) -> dict[str, str]:
    """SHA-256 of the rows of ``df`` at each group's positions (``None``: every row), in that order: of
    the columns, dtypes and number of rows, then of the rows' values.

    A column Arrow holds exactly (:func:`_arrow`) is digested as the Arrow IPC message of the rows
    taken from it (a take writes fresh buffers, so the same values give the same bytes wherever they
    were in the table; a message can be read back, so equal bytes mean equal values); with its Arrow
    type and its form (what numpy arrays its cells are), which tell apart what Arrow holds alike. Any
    other column is pickled, its values as a list (as :func:`frame_digest` does).
    """
    arrow, names, other, forms = [], [], [], []
    for c in df.columns:
        got = _arrow(df[c])
        if got is None:
            other.append(c)
            forms.append([str(c), str(df[c].dtype), "pickle"])
        else:
            arrow.append(got[1])
            names.append(str(c))
            forms.append([str(c), str(df[c].dtype), got[0]])
    batch = pa.RecordBatch.from_arrays(arrow, names=names) if arrow else None
    head = json.dumps(forms).encode("utf-8") + (batch.schema.serialize().to_pybytes() if batch is not None else b"")
    out = {}
    for group, at in groups.items():
        at = np.arange(len(df)) if at is None else np.asarray(at)
        h = hashlib.sha256(head + json.dumps(len(at)).encode())
        if batch is not None:
            h.update(memoryview(batch.take(pa.array(at, type=pa.int64())).serialize()))
        for c in other:
            h.update(pickle.dumps(df[c].to_numpy()[at].tolist(), protocol=pickle.HIGHEST_PROTOCOL))
        out[group] = h.hexdigest()
    return out


def _arrow(col: pd.Series) -> tuple[str, pa.Array] | None:
    """``(form, array)``: a column as Arrow when Arrow holds its values exactly, else ``None``.

    A column of numbers, booleans or text of a pandas dtype is converted as it is (``NaN`` kept apart
    from a missing value). An object column is converted only when its form is one Arrow cannot blur
    (:func:`_form`): all text, or all 1-d numpy arrays of one dtype (arrays of text or of arrays of one
    dtype, as Parquet's lists are read); two object columns of one form hold the same values when
    their Arrow arrays do.
    """
    try:
        if col.dtype != object:
            arr = pa.array(col, from_pandas=False)
            return "", arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        values = col.to_numpy()
        form = _form(values)
        return (form, pa.array(values, from_pandas=False)) if form is not None else None
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None


_DTYPE, _NDIM = operator.attrgetter("dtype"), operator.attrgetter("ndim")


def _form(values: np.ndarray) -> str | None:
    """``"text"`` for cells all ``str`` (or ``None``), ``"array[<dtype>]"`` for cells all 1-d numpy arrays
    of one dtype (or ``None``), with the form of their items for arrays of objects; ``None`` otherwise."""
    items = values.tolist()
    seen = set(map(type, items))  # map: a pass in C over the cells, not a Python loop
    kinds = seen - {type(None)}
    if kinds <= {str}:
        return "text"
    if kinds != {np.ndarray}:
        return None
    arrays = [v for v in items if v is not None] if type(None) in seen else items
    shapes = set(zip(map(_DTYPE, arrays), map(_NDIM, arrays)))
    if len(shapes) != 1 or next(iter(shapes))[1] != 1:
        return None
    dtype = next(iter(shapes))[0]
    if dtype.kind != "O":
        return f"array[{dtype.str}]"
    inner = _form(np.concatenate(arrays))
    return None if inner is None else f"array[object]>{inner}"


class PageCache:
    """The local parts of the last run's council pages, by :func:`council_keys` (``<processed>/.cache/report/``).

    The parts are kept in shards by key (:class:`soa_analysis.partition.UnitCache`: a few councils a
    file, each checked before it is trusted): a re-run reads the shards of the keys it looks for and
    rewrites only those whose keys changed, so a re-run with one council changed writes that council's
    shard, not every council's parts. A key includes :attr:`fingerprint`, so parts rendered by other code
    are never found.

    Parameters
    ----------
    processed_dir : path-like
        The processed folder the report reads.
    full : bool
        Ignore what is cached (every page is rendered); :meth:`save` still writes.
    """

    def __init__(self, processed_dir, *, full: bool = False):
        self.processed_dir = Path(processed_dir)
        self.full = full
        self.fingerprint = page_fingerprint()
        self._store = UnitCache(self.processed_dir, STAGE, full=full)

    def load(self, keys) -> dict[str, LocalParts]:
        """Key -> parts saved by the last run, of those of ``keys`` found (none when ``full``; a damaged
        shard's are not found)."""
        if self.full:
            return {}
        return {k: v for k, v in self._store.get(list(keys)).items() if isinstance(v, LocalParts)}

    def save(self, pages: dict[str, LocalParts], reused: list[str], rendered: list[str]) -> None:
        """Keep this run's parts (only) and write the reuse record (council names)."""
        self._store.save(pages)
        Reuse(STAGE, self.full, reused, rendered, self.fingerprint).write(self.processed_dir)
