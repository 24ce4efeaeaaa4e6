"""Units of work per raw file: what shaped their results, the cache of those results, and reuse.

The ingest, tag and evidence stages do most of their work one raw file at a time: a file's
submissions, their tags and their grades depend on that file's bytes (and name) and on the
versions of everything that shaped them, not on the other files. This module lets a stage
keep each raw file's results and reuse them in the next run:

- a **fingerprint** of what shapes a stage's results (:func:`fingerprint`): the package
  version, the source and data files of every module the stage imports
  (:func:`code_fingerprint`, so an edited taxonomy, rubric, labelled corpus or line of code
  counts even when the version number did not move), and the options that change results
  (the content of a taxonomy, rubric or labels file given by path, the reader limits, the
  tagger's parameters);
- a **unit key** per raw file: the SHA-256 of the fingerprint and the unit's input (for
  ingest the file's path and sha256; for tag and evidence its submission rows, and for
  evidence its partner rows too);
- a **cache** per stage: the last run's tables kept in Arrow with each row's unit
  (``<processed>/.cache/<stage>.tables/``, :meth:`TablePlan.tables`), which a re-run splices its
  computed rows into; for ingest also each file's whole result by key in shards by key prefix
  (:class:`UnitCache`, :mod:`soa_analysis.shards`; the tag and evidence stages write shards only
  when their tables cannot be kept): a run rewrites only the shards whose units changed, so a
  re-run with one new file writes one small shard; it holds one run's units and never grows;
- a **reuse record** (``<processed>/.cache/<stage>.reuse.json``): which raw files' results
  were reused and which recomputed; the pipeline copies it into the run's manifest.

What depends on the whole corpus is always recomputed from the per-file results, never
cached: ingest's duplicate detection across files and submission ids (cheap: a pass over
content keys), the evidence stage's exemplars, consistency and partner pairs, and each
stage's counts. Nothing is fitted on the submissions: the tagging model is trained on the
labelled corpus only (its own fingerprint, :func:`soa_analysis.tagging.stage`'s
``_fingerprint``, includes :func:`code_fingerprint` of the tagger).

``full=True`` (``--full``) ignores the cache and recomputes every unit (and rewrites the
cache). One thing a cached result does not see: ingest refuses a date later than the day
it reads a file, so a submission dated in the future keeps that refusal until its file
changes or a ``--full`` run.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import os
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import __version__
from .datafiles import sha256_hex
from .io import atomic_path, read_keyed, read_table, write_keyed, write_text
from .shards import SHARD_HEX as SHARD_HEX_LEN
from .shards import ShardStore, shard_of

__all__ = ["CACHE_DIR", "import_graph", "code_fingerprint", "fingerprint", "StageCache", "UnitCache", "Reuse",
           "Unit", "raw_file_units", "raw_file_groups", "row_digests", "submission_digests", "TablePlan", "plan_tables", "read_reuse",
           "clear_reuse", "file_key", "closure", "CHUNK_SUBMISSIONS", "in_chunks", "concat_frames", "read_submissions",
           "file_identity", "keep_submission_digests", "note_written", "read_kept", "read_kept_arrow",
           "read_kept_or_file", "take_rows"]

CACHE_DIR = ".cache"  # hidden: the run's lineage stamps ignore it
# Submissions a table stage computes at a time: its working memory (sentences, tokens, row
# dicts) stays that of this many submissions whatever the corpus; only the output tables grow.
CHUNK_SUBMISSIONS = 4000
PACKAGE = Path(__file__).resolve().parent


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def import_graph(*, data_reads: bool = True) -> dict[str, set[str]]:
    """Module -> the soa_analysis modules it imports, lazily imported ones included.

    ``from pkg import mod`` points at ``pkg.mod``; importing ``pkg.mod`` also needs ``pkg``
    (its ``__init__``), which :func:`code_fingerprint` follows. A module that reads package
    data (``resources.files``) also points at each package it names in a string, since
    ``resources.files("soa_analysis").joinpath("taxonomies", ...)`` reads its data files
    (``data_reads=False`` leaves those edges out: only import statements).
    """
    return {name: set(deps) for name, deps in _graph(data_reads).items()}


# The start of an import statement at the start of a line (any indent: lazy imports too).
_IMPORT_START = re.compile(r"^[ \t]*(?:from[ \t]+\.*[\w.]*[ \t]+import\b|import[ \t]+[\w.])", re.M)


def _import_statements(source: str):
    """The import statements of a module's source, each parsed on its own.

    Parsing a whole module to find its imports costs most of a second for the package; a stage's
    kernel pays it for every cache key. An import statement is a logical line that starts with
    ``import`` or ``from``, so each such line (with its bracketed or backslash-continued rest) is
    parsed alone; a line inside a string that only looks like one (prose in a docstring) fails to
    parse or names no module of the package, and adds no edge in either case. A test checks the
    graph against a walk of every module's whole syntax tree.
    """
    for m in _IMPORT_START.finditer(source):
        start = m.end() - len(m.group().lstrip())
        end, depth = start, 0
        while end < len(source):
            ch = source[end]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "\\" and source.startswith("\n", end + 1):
                end += 2
                continue
            elif ch == "\n" and depth <= 0:
                break
            elif ch == "#" and depth <= 0:
                break
            end += 1
        try:
            body = ast.parse(source[start:end]).body
        except SyntaxError:
            continue
        yield from (n for n in body if isinstance(n, (ast.Import, ast.ImportFrom)))


# The import graph, kept beside the package's compiled files under the key of its source files' sizes
# and modification times (as Python keeps its .pyc files): working it out costs about 0.35 s of CPU in
# every process that computes a cache key (each stage's kernel, the run's own process), reading it
# about 5 ms. Any failure to read or write it only means working it out again.
GRAPH_CACHE = PACKAGE / "__pycache__" / "soa-import-graph.json"


def _sources_key(mods: dict[str, tuple[Path, bool]]) -> str:
    stats = []
    for name, (path, _) in sorted(mods.items()):
        st = path.stat()
        stats.append([name, st.st_size, st.st_mtime_ns])
    return sha256_hex(json.dumps(stats))


@functools.lru_cache(maxsize=2)
def _graph(data_reads: bool) -> dict[str, frozenset[str]]:
    mods = _modules()
    try:
        key = _sources_key(mods)
    except OSError:
        return _work_out_graph(mods, data_reads)
    kept = read_keyed(GRAPH_CACHE, key, "graphs")
    graph = kept.get(str(data_reads)) if isinstance(kept, dict) else None
    if isinstance(graph, dict):
        return {name: frozenset(deps) for name, deps in graph.items()}
    graphs = {str(flag): _work_out_graph(mods, flag) for flag in (True, False)}
    # not written on a read-only install: worked out in each process, as before
    write_keyed(GRAPH_CACHE, key, "graphs",
                {flag: {name: sorted(deps) for name, deps in g.items()} for flag, g in graphs.items()})
    return graphs[str(data_reads)]


def _work_out_graph(mods: dict[str, tuple[Path, bool]], data_reads: bool) -> dict[str, frozenset[str]]:
    graph: dict[str, frozenset[str]] = {}
    for name, (path, is_pkg) in mods.items():
        here = name.split(".") if is_pkg else name.split(".")[:-1]
        deps: set[str] = set()
        source = path.read_text(encoding="utf-8")
        if data_reads and "resources.files" in source:
            # a package's data read by name: resources.files("soa_analysis").joinpath("taxonomies", ...)
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for t in (node.value, f"soa_analysis.{node.value}"):
                        if t in mods and mods[t][1] and t != name:
                            deps.add(t)
        for node in _import_statements(source):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    deps.add(t)
        graph[name] = frozenset(deps)
    return graph


def closure(*roots: str) -> set[str]:
    """Every soa_analysis module ``roots`` need: what they import, at any depth, and the
    packages those modules live in."""
    graph = _graph(True)
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        m = todo.pop()
        if m in seen or m not in graph:
            continue
        seen.add(m)
        todo.extend(graph[m])
        parent = m.rpartition(".")[0]
        if parent:
            todo.append(parent)
    return seen


# Files in a package folder that describe its data and shape no result: editing them recomputes nothing.
DOCUMENTATION = ("README.md",)


def _data_files(folder: Path) -> list[Path]:
    """A package folder's data files: files other than Python source and :data:`DOCUMENTATION`, and those of
    its sub-folders that are not packages themselves (``outcomes/data/``)."""
    out = []
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix not in (".py", ".pyc") and p.name not in DOCUMENTATION:
            out.append(p)
        elif p.is_dir() and p.name != "__pycache__" and not (p / "__init__.py").exists():
            out.extend(_data_files(p))
    return out


@functools.lru_cache(maxsize=None)
def code_fingerprint(*roots: str, exclude: tuple[str, ...] = ()) -> str:
    """SHA-256 of the source of every module ``roots`` import (at any depth) and of the
    data files of their packages (taxonomies, rubrics, reference lists, labelled corpora),
    leaving out the data files named in ``exclude`` (file names, e.g. a model whose output is not wanted).
    A data file counts where its package is imported, so it lives in the package that reads it: the
    accuracy record in ``soa_analysis.accuracy`` (the report's), not beside the labelled corpora that
    every analysis stage imports.

    Example
    -------
    >>> len(code_fingerprint("soa_analysis.evidence.stage"))
    64
    >>> a = code_fingerprint("soa_analysis.evidence.stage")
    >>> a != code_fingerprint("soa_analysis.evidence.stage", exclude=("evidence_check_model.json",))
    True
    """
    mods = _modules()
    h = hashlib.sha256()
    files: set[Path] = set()
    for name in closure(*roots):
        path, is_pkg = mods[name]
        files.add(path)
        if is_pkg:
            files.update(p for p in _data_files(path.parent) if p.name not in exclude)
    for path in sorted(files):
        h.update(path.relative_to(PACKAGE).as_posix().encode("utf-8") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def fingerprint(stage: str, root: str, options: dict) -> str:
    """What shapes a stage's results: its name, the package version, the code and data it
    imports (:func:`code_fingerprint` of module ``root``) and ``options`` (JSON-able; file
    options given by their content's sha256)."""
    blob = json.dumps({"stage": stage, "version": __version__, "code": code_fingerprint(root), "options": options},
                      sort_keys=True, default=str)
    return sha256_hex(blob)


def _canonical(value) -> object:
    """A JSON-able form of a table cell (numpy arrays and lists alike as lists, NA as None)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool:  # the common cells and list items: as they are
        return value
    if kind is np.ndarray and value.ndim:
        if value.dtype.kind in "iubUS":  # tolist gives (lists of) Python ints, bools or strings
            return value.tolist()
        if value.dtype.kind == "O" and value.ndim == 1:
            return [_canonical(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and not isinstance(value, str)):
        value = value.tolist() if hasattr(value, "tolist") else value
        return [_canonical(v) for v in value] if isinstance(value, (list, tuple)) else value
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value


def row_digests(df: pd.DataFrame, columns: list[str] | None = None) -> list[str]:
    """SHA-256 of each row's values, in row order: of the JSON of its canonical cells other than text,
    then of its text cells, each as its length in UTF-8 bytes, a colon and its bytes (``-:`` when
    missing). A text column is one whose values are all strings or missing (its dtype pandas text, or
    object holding only strings); its cells are laid end to end by Arrow, a few thousand rows at a time,
    instead of escaped into JSON one by one (a submissions table is mostly text).

    Example
    -------
    >>> a = row_digests(pd.DataFrame({"x": ["a"], "y": [[1, 2]]}))
    >>> a == row_digests(pd.DataFrame({"x": ["a"], "y": [__import__("numpy").array([1, 2])]}))
    True
    >>> a == row_digests(pd.DataFrame({"x": pd.array(["a"], dtype="string"), "y": [[1, 2]]}))
    True
    """
    cols = list(df.columns) if columns is None else columns
    text, rest = {}, []
    for c in cols:
        arr = _text_arrow(df[c])
        if arr is None:
            rest.append(c)
        else:
            text[c] = arr
    dumps = json.JSONEncoder(default=str, ensure_ascii=False).encode
    values = zip(*(_canonical_column(df[c]) for c in rest)) if rest else ((),) * len(df)
    heads = [dumps(list(row)).encode("utf-8") + b"\0" for row in values]
    if not text:
        return [hashlib.sha256(h).hexdigest() for h in heads]
    out: list[str] = []
    sha = hashlib.sha256
    for start in range(0, len(df), _DIGEST_ROWS):
        laid = _laid_end_to_end([a.slice(start, _DIGEST_ROWS) for a in text.values()])
        offsets = np.frombuffer(laid.buffers()[1], dtype=np.int64)[laid.offset:laid.offset + len(laid) + 1].tolist()
        data = memoryview(laid.buffers()[2] or b"")
        for i, head in enumerate(heads[start:start + _DIGEST_ROWS]):
            h = sha(head)
            h.update(data[offsets[i]:offsets[i + 1]])
            out.append(h.hexdigest())
    return out


_DIGEST_ROWS = 4096  # rows whose text cells are laid end to end at a time (bounds the copy of the text)


def _text_arrow(col: pd.Series) -> pa.Array | None:
    """A column as an Arrow large string array when it is text (pandas text, or object holding only
    strings and missing values), else ``None``."""
    if isinstance(col.dtype, pd.StringDtype):
        if isinstance(col.array, pd.arrays.ArrowStringArray):
            return _one_chunk(col.array.__arrow_array__()).cast(pa.large_string())
        values = col.to_numpy(dtype=object, na_value=None)
    elif col.dtype == object:
        values = col.to_numpy()
        if not {type(v) for v in values.tolist()} <= {str, type(None)}:
            return None
    else:
        return None
    return pa.array(values, type=pa.large_string(), from_pandas=False)


def _laid_end_to_end(arrays: list[pa.Array]) -> pa.Array:
    """Each row's cells of ``arrays`` (text) as one binary value: per cell its UTF-8 length, ``:`` and its
    bytes, or ``-:`` when missing."""
    parts = []
    colon = pa.scalar(":", pa.large_string())
    for arr in arrays:
        length = pc.cast(pc.binary_length(arr), pa.large_string()).fill_null("-")
        parts += [length, colon, arr.fill_null("")]
    return pc.binary_join_element_wise(*parts, pa.scalar("", pa.large_string())).cast(pa.large_binary())


def submission_digests(df: pd.DataFrame) -> dict[str, str]:
    """SHA-256 of each submission's rows of ``df`` (in row order), by ``submission_id``: one digest a
    submission, not one a row (the tag and evidence tables a unit's key covers have tens of rows a
    submission).

    When every column is text or boolean (the tables the evidence stage's units cover), each row's cells
    are laid end to end by Arrow (each cell its UTF-8 length, a colon and its bytes, ``-:`` when missing;
    a boolean as ``true`` or ``false``) and a submission's rows hashed in one piece
    (:func:`_laid_submission_digests`); otherwise the JSON of their canonical cells is hashed. Either
    way two submissions' digests are equal exactly when their rows are.

    Example
    -------
    >>> d = submission_digests(pd.DataFrame({"submission_id": ["a", "b", "a"], "x": [1, 2, 3]}))
    >>> sorted(d) == ["a", "b"] and d["a"] != submission_digests(pd.DataFrame({"submission_id": ["a", "a"],
    ...                                                                          "x": [3, 1]}))["a"]
    True
    """
    laid = _laid_columns(df)
    if laid is not None:
        return _laid_submission_digests(df["submission_id"].astype(str), laid)
    rows: dict[str, list] = {}
    values = zip(*(_canonical_column(df[c]) for c in df.columns))
    for sid, row in zip(df["submission_id"].astype(str).tolist(), values):
        rows.setdefault(sid, []).append(row)
    dumps = json.JSONEncoder(default=str, ensure_ascii=False).encode
    return {sid: sha256_hex(dumps(r)) for sid, r in rows.items()}


def _laid_columns(df: pd.DataFrame) -> list[pa.Array] | None:
    """Every column of ``df`` as an Arrow large string array (text as it is, booleans as ``true`` or
    ``false``), or ``None`` when a column is neither."""
    out = []
    for c in df.columns:
        arr = _text_arrow(df[c])
        if arr is None and df[c].dtype == bool:
            arr = pc.cast(pa.array(df[c].to_numpy()), pa.large_string())
        if arr is None:
            return None
        out.append(arr)
    return out


def _laid_submission_digests(sids: pd.Series, columns: list[pa.Array]) -> dict[str, str]:
    """:func:`submission_digests` of rows given as text ``columns`` (:func:`_laid_columns`): each
    submission's rows (in row order) laid end to end (:func:`_laid_end_to_end`) and hashed in one piece,
    a few thousand rows at a time (whole submissions)."""
    codes, names = pd.factorize(sids)  # in first-seen order, as the dict of the JSON route
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))  # each submission's rows in ``order``
    out: dict[str, str] = {}
    sha = hashlib.sha256
    first = 0
    names = names.tolist()
    while first < len(names):
        # whole submissions, about _DIGEST_ROWS rows (at least one submission)
        last = max(first + 1, int(np.searchsorted(bounds, bounds[first] + _DIGEST_ROWS, side="right")) - 1)
        last = min(last, len(names))
        at = pa.array(order[bounds[first]:bounds[last]], type=pa.int64())
        laid = _laid_end_to_end([col.take(at) for col in columns])
        offsets = np.frombuffer(laid.buffers()[1], dtype=np.int64)[laid.offset:laid.offset + len(laid) + 1]
        data = memoryview(laid.buffers()[2] or b"")
        base = bounds[first]
        for i in range(first, last):
            lo, hi = int(offsets[bounds[i] - base]), int(offsets[bounds[i + 1] - base])
            out[names[i]] = sha(b"laid rows\0" + data[lo:hi]).hexdigest()
        first = last
    return out


def _canonical_column(col: pd.Series) -> list:
    """``[_canonical(v) for v in col]``, column at a time where the dtype allows (text, numbers,
    booleans: no per-cell Python call)."""
    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else ""
    if kind in "iub":  # numpy integers and booleans: no missing values
        return col.tolist()
    if kind == "f":
        values = col.to_numpy()
        out = values.tolist()
        if np.isnan(values).any():
            out = [None if v != v else v for v in out]
        return out
    if isinstance(col.dtype, pd.StringDtype):
        return col.to_numpy(dtype=object, na_value=None).tolist()
    return [_canonical(v) for v in col.tolist()]


@dataclass
class Reuse:
    """Which raw files' results a stage reused from the last run and which it recomputed (or which of its other
    units: the report's council pages, its workbook's sheets), and any counts of its own (``extra``)."""

    stage: str
    full: bool
    reused: list[str] = field(default_factory=list)
    recomputed: list[str] = field(default_factory=list)
    fingerprint: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"full": self.full, "fingerprint": self.fingerprint[:16], "n_reused": len(self.reused),
                "n_recomputed": len(self.recomputed), "reused": sorted(self.reused),
                "recomputed": sorted(self.recomputed)} | self.extra

    def write(self, processed_dir) -> Path:
        """``<processed>/.cache/<stage>.reuse.json`` (read by the pipeline into the manifest)."""
        return write_text(_reuse_path(processed_dir, self.stage),
                          json.dumps(self.as_dict(), indent=1, sort_keys=True))


def _reuse_path(processed_dir, stage: str) -> Path:
    return Path(processed_dir) / CACHE_DIR / f"{stage}.reuse.json"


def read_reuse(processed_dir, stage: str) -> dict | None:
    """The reuse record the stage wrote in ``processed_dir``, or None."""
    try:
        return json.loads(_reuse_path(processed_dir, stage).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def clear_reuse(processed_dir, stage: str) -> None:
    """Remove the stage's reuse record (before the stage runs again)."""
    _reuse_path(processed_dir, stage).unlink(missing_ok=True)


class StageCache:
    """One stage's results of the last run, by unit key (a pickle in ``<processed>/.cache/``).

    Parameters
    ----------
    processed_dir : path-like
        The processed folder.
    stage : str
        The stage's name (the file is ``<stage>.pkl``).
    full : bool
        Ignore what is cached (everything is recomputed); :meth:`save` still writes.
    """

    def __init__(self, processed_dir, stage: str, *, full: bool = False):
        self.path = Path(processed_dir) / CACHE_DIR / f"{stage}.pkl"
        self.stage = stage
        self.full = full

    def load(self):
        """What the last run saved (``None`` when ``full``, absent or unreadable: recompute)."""
        if self.full or not self.path.is_file():
            return None
        try:
            with open(self.path, "rb") as fh:
                return pickle.load(fh)  # noqa: S301 - written by this package's own runs
        except Exception:  # noqa: BLE001 - a damaged or old cache is only a cache
            return None

    def save(self, data) -> Path:
        """Replace the cache atomically."""
        with atomic_path(self.path, ".pkl") as tmp, open(tmp, "wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return self.path


class UnitCache:
    """One stage's results of the last run by unit key, in shards (:mod:`soa_analysis.shards`).

    Parameters
    ----------
    processed_dir : path-like
        The processed folder (the shards are in ``.cache/<stage>/``).
    stage : str
        The stage's name.
    full : bool
        Read nothing (every unit is recomputed); :meth:`save` still writes.
    """

    def __init__(self, processed_dir, stage: str, *, full: bool = False):
        self.processed_dir = Path(processed_dir)
        self.stage = stage
        self.full = full
        self.store = ShardStore(self.processed_dir / CACHE_DIR / stage, full=full)
        self.path = self.store.folder

    def shards(self, keys) -> dict[str, list[str]]:
        """``keys`` grouped by shard (in first-seen order)."""
        out: dict[str, list[str]] = {}
        for k in keys:
            out.setdefault(shard_of(k), []).append(k)
        return out

    def read(self, keys):
        """Yield ``(shard, the keys of keys it holds, its data)`` for each readable shard
        holding any of ``keys``, one shard at a time."""
        for shard, wanted in self.shards(keys).items():
            data = self.store.read(shard)
            if data is not None:
                held = self.store.held[shard]
                yield shard, [k for k in wanted if k in held], data

    def get(self, keys) -> dict:
        """The cached value of each of ``keys`` found (a cache of one value per key)."""
        out = {}
        for _, found, data in self.read(keys):
            out.update((k, data[k]) for k in found)
        return out

    def save(self, values: dict) -> None:
        """Keep ``values`` (key -> value) as this run's units: write the shards whose keys changed,
        remove the others."""
        groups = self.shards(values)
        for shard, keys in groups.items():
            if not self.store.unchanged(shard, keys):
                self.store.write(shard, keys, {k: values[k] for k in keys})
        self.finish(set(groups))

    def finish(self, shards: set[str]) -> None:
        """Remove the shards not in ``shards`` and the single-file cache of earlier versions."""
        self.store.keep_only(shards)
        (self.processed_dir / CACHE_DIR / f"{self.stage}.pkl").unlink(missing_ok=True)


@dataclass
class Unit:
    """One raw file's submissions: the file, their ids (in table order) and the unit's key."""

    raw_file: str
    ids: list[str]
    key: str = ""


def raw_file_units(subs: pd.DataFrame, fp: str, extra: dict[str, pd.DataFrame] | None = None, *,
                   digests: list[str] | None = None) -> list[Unit]:
    """The submissions grouped by raw file (in table order, each file's rows adjacent), keyed by
    ``fp`` and the rows of ``subs`` (and of each ``extra`` table, by ``submission_id``). ``digests`` may
    give :func:`row_digests` of ``subs`` (:func:`_submission_row_digests`)."""
    units = raw_file_groups(subs)
    digests = iter(row_digests(subs) if digests is None else digests)  # in table order, as the units' ids
    extra_digest: dict[str, list[str]] = {}
    for name, df in sorted((extra or {}).items()):
        if df is None:
            continue
        for sid, d in submission_digests(df).items():
            extra_digest.setdefault(sid, []).append(f"{name}:{d}")
    for u in units:
        parts = [fp, u.raw_file]
        for sid in u.ids:
            parts.extend([next(digests), *extra_digest.get(sid, [])])
        u.key = sha256_hex("\n".join(parts))
    return units


def file_identity(path) -> list[int] | None:
    """What says a file has not been replaced or written since: device, inode, size, and the modification
    and change times in nanoseconds (``None`` when it cannot be read). A table is written to a new file
    and renamed into place (:func:`soa_analysis.io.atomic_path`), so a new table has a new identity."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def read_submissions(processed_dir) -> tuple[pd.DataFrame, list[int] | None]:
    """The submissions table (:func:`soa_analysis.io.read_table`) and the :func:`file_identity` of its file
    when the file kept it while being read (else ``None``): what :func:`plan_tables` keeps the rows'
    digests under."""
    from .schema import TABLES

    path = Path(processed_dir) / TABLES["submissions"].filename
    before = file_identity(path)
    subs = read_kept_or_file(processed_dir, "submissions")
    return subs, before if before is not None and before == file_identity(path) else None


def read_kept_or_file(processed_dir, name: str, columns: list[str] | None = None, *, read=None) -> pd.DataFrame:
    """:func:`soa_analysis.io.read_table` of ``name`` (validated), its rows taken from the kept Arrow table its
    Parquet file was written from when they can be (:func:`read_kept`). ``read``: the function that reads the
    Parquet file otherwise (default :func:`soa_analysis.io.read_table`; a caller passes the one it imported)."""
    from .schema import validate

    df = read_kept(processed_dir, name, columns)
    if df is None:
        return (read or read_table)(processed_dir, name, columns=columns)
    if columns is None:
        validate(df, name)
    else:
        import pyarrow.parquet as pq

        from .schema import TABLES

        validate(df, name, present=pq.read_schema(Path(processed_dir) / TABLES[name].filename).names)
    return df


# The row digests of the submissions table (:func:`row_digests`), kept under the identity of the file they
# were worked out from: the tag and evidence stages key their units by them, and both read the same table in
# a run, so the second takes the first's (about 0.3 s of CPU at 10,000 submissions).
SUBMISSION_DIGESTS = "submission_digests.json"


def _submission_row_digests(processed_dir, subs: pd.DataFrame, identity: list[int] | None) -> list[str]:
    """:func:`row_digests` of ``subs``, read from the processed folder's cache when they were worked out
    from the file of ``identity`` (:func:`read_submissions`) with this code, else worked out and kept."""
    if identity is None:
        return row_digests(subs)
    path = Path(processed_dir) / CACHE_DIR / SUBMISSION_DIGESTS
    key = _digests_key(identity, subs)
    kept = read_keyed(path, key, "digests")
    if isinstance(kept, list) and len(kept) == len(subs) and all(type(d) is str for d in kept):
        return kept
    digests = row_digests(subs)
    write_keyed(path, key, "digests", digests)
    return digests


def _digests_key(identity: list[int], subs: pd.DataFrame) -> str:
    """What the submissions' row digests are kept under: the identity of the file they were worked out from,
    its rows and columns, and the version of this code."""
    return sha256_hex(json.dumps({"file": identity, "rows": len(subs), "columns": [str(c) for c in subs.columns],
                                  "version": __version__, "code": code_fingerprint(__name__)}))


def keep_submission_digests(processed_dir, subs: pd.DataFrame, digests: list[str]) -> bool:
    """Keep ``digests``, the :func:`row_digests` of ``subs`` (the submissions table just written to the processed
    folder), under the identity of its file, where :func:`plan_tables` takes them (the ingest stage hands them
    over: it works out only its recomputed files' rows' digests). ``False`` when they cannot be kept."""
    from .schema import TABLES

    identity = file_identity(Path(processed_dir) / TABLES["submissions"].filename)
    if identity is None or len(digests) != len(subs):
        return False
    return write_keyed(Path(processed_dir) / CACHE_DIR / SUBMISSION_DIGESTS, _digests_key(identity, subs),
                       "digests", list(digests))


def raw_file_groups(subs: pd.DataFrame) -> list[Unit]:
    """The units of :func:`raw_file_units` without their keys (``key`` empty): the submissions grouped by
    raw file, for cutting them into partitions before the keys (a digest of every row) are worked out.

    Example
    -------
    >>> [(u.raw_file, u.ids) for u in raw_file_groups(pd.DataFrame({"submission_id": ["a", "b", "c"],
    ...                                                               "raw_file": ["1", "1", "2"]}))]
    [('1', ['a', 'b']), ('2', ['c'])]
    """
    sids = subs["submission_id"].astype(str).tolist()
    files = subs["raw_file"].astype(str).tolist() if "raw_file" in subs.columns else sids
    units: list[Unit] = []
    for sid, f in zip(sids, files):
        if not units or units[-1].raw_file != f:
            units.append(Unit(f, []))
        units[-1].ids.append(sid)
    return units


@dataclass
class TablePlan:
    """A stage's plan over its per-file units: which are cached, which to compute, and the
    cached rows of its tables."""

    cache: UnitCache
    fp: str
    units: list[Unit]
    todo: list[Unit]
    cached: dict[str, pd.DataFrame]
    source: "_Source | None" = None  # the last run's tables in Arrow, when they can be spliced (:meth:`tables`)
    kept_token: str | None = None  # this run's tables' kept index (:func:`_keep_source`), once kept

    @property
    def todo_ids(self) -> set[str]:
        return {sid for u in self.todo for sid in u.ids}

    @functools.cached_property
    def unit_rows(self) -> tuple[pd.Index, np.ndarray, np.ndarray]:
        """Every submission id of the units, in unit order, with its unit's key and shard: what
        :meth:`combine` orders rows by and :meth:`_save` finds each row's unit and shard in (worked
        out once a plan)."""
        ids = pd.Index([s for u in self.units for s in u.ids])
        counts = [len(u.ids) for u in self.units]
        keys = np.repeat(np.array([u.key for u in self.units], dtype=object), counts)
        shards = np.repeat(np.array([shard_of(u.key) for u in self.units], dtype=object), counts)
        return ids, keys, shards

    def reuse(self) -> Reuse:
        todo = {id(u) for u in self.todo}
        return Reuse(self.cache.stage, self.cache.full, [u.raw_file for u in self.units if id(u) not in todo],
                     [u.raw_file for u in self.todo], self.fp)

    def combine(self, computed: dict[str, pd.DataFrame], major: dict[str, tuple[str, list]] | None = None,
                *, save: bool = True) -> dict[str, pd.DataFrame]:
        """Each table as a full run makes it: the cached rows and the computed rows in table order.

        Rows are ordered by their submission's position (stable: a submission's rows keep
        their order), after ``major[table] = (column, values)`` when given (the tags come
        taxonomy by taxonomy). With ``save``, the units are kept in the cache's shards (:meth:`_save`).
        """
        at = self.unit_rows[0]
        out, positions = {}, {}
        for name, new in computed.items():
            old = self.cached.get(name)
            frames = [f for f in (old, new) if f is not None and len(f)]
            if not frames:
                out[name] = new.iloc[:0]
                continue
            df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
            pos = _positions(at, df["submission_id"])
            keys = [pos]
            if major and name in major:
                col, values = major[name]
                keys.insert(0, _positions(pd.Index(values), df[col]))
            order = np.lexsort(keys[::-1])
            if not np.array_equal(order, np.arange(len(order))):  # already in table order: no copy
                df = df.take(order).reset_index(drop=True)
                pos = pos[order]
            out[name] = df.astype(new.dtypes.to_dict()) if len(frames) > 1 else df
            if at.is_unique:  # each row's submission's position, for _save (else it maps the ids itself)
                positions[name] = np.where(np.isnan(pos), -1, pos).astype(np.int64)
        if save:
            self._save(out, positions)
        else:
            self._positions = positions
        return out

    def tables(self, computed: dict[str, pd.DataFrame], major: dict[str, tuple[str, list]] | None = None
               ) -> dict[str, pa.Table]:
        """Each table as a full run makes it, in Arrow: :meth:`combine`'s rows, and the tables kept (with each
        row's unit) for the next run to splice.

        When the last run's tables could be kept and read back (:attr:`source`), the reused units' rows are
        taken from them as they are, in slices, and the computed rows put in between where they belong in table
        order (:func:`_splice`): no shard is read, no row of a reused unit is turned into a Python object or
        reordered. Otherwise (a first or ``--full`` run, a cache of an earlier layout, a table whose columns'
        types changed) the rows are combined as :meth:`combine` does and turned into Arrow.
        """
        if self.source is not None:
            spliced = self._spliced(computed, major or {})
            if spliced is not None:
                return spliced
            self._fall_back(computed)
        out = self.combine(computed, major, save=False)
        arrow = {name: pa.Table.from_pandas(df, preserve_index=False) for name, df in out.items()}
        self.keep(arrow, self._row_units(out), lambda: out, self._positions)
        return arrow

    def keep(self, tables: dict[str, pa.Table], codes: dict[str, np.ndarray] | None,
             frames: Callable[[], dict[str, pd.DataFrame]], positions: dict[str, np.ndarray] | None = None,
             layouts: dict[str, dict] | None = None) -> None:
        """This run's tables kept for the next run to splice, with each row's unit (``codes``: each table's rows'
        positions in :attr:`units`); when they cannot be (``codes`` is None: a row is not one unit's alone; or the
        folder is read-only) the shards are written instead, from ``frames()`` (the same rows as DataFrames, made
        only then; ``positions`` as :meth:`_save` takes them). ``layouts`` (:func:`_splice`'s) say which rows
        of a spliced table are the kept tables' (:attr:`source`): only the others are written."""
        self.kept_token = None if codes is None else _keep_source(
            self.cache.processed_dir, self.cache.stage, self.fp, [u.key for u in self.units], tables, codes,
            layouts=layouts, source=self.source if layouts else None)
        if self.kept_token is not None:
            self._kept_only()
        else:
            self._save(frames(), positions)

    def _kept_only(self) -> None:
        """The kept tables are this run's cache (one durable copy of the rows, not two): no shard is written, and
        those an earlier run wrote are removed (a unit whose rows are not kept is computed again); the reuse record
        is written."""
        self.cache.finish(set())
        self.reuse().write(self.cache.processed_dir)

    def _row_units(self, out: dict[str, pd.DataFrame]) -> dict[str, np.ndarray] | None:
        """Each row's unit (its position in :attr:`units`) of every table, or None when a row's submission is
        not one unit's alone (then nothing is kept to splice)."""
        ids = self.unit_rows[0]
        if not ids.is_unique:
            return None
        sub_unit = np.repeat(np.arange(len(self.units), dtype=np.int32), [len(u.ids) for u in self.units])
        codes = {}
        for name, df in out.items():
            pos = ids.get_indexer(df["submission_id"].astype(str))
            if len(pos) and pos.min() < 0:
                return None
            codes[name] = sub_unit[pos]
        return codes

    def _fall_back(self, computed: dict[str, pd.DataFrame]) -> None:
        """The splice could not be made: the reused units' rows of the kept tables made frames (of the computed
        tables' dtypes) for :meth:`combine`, as if read from the shards."""
        source, self.source = self.source, None
        if set(computed) - set(source.tables):  # a table the kept ones lack (not expected): the shards' rows
            fallback = plan_tables(self.cache.processed_dir, self.cache.stage, None, self.fp, units=self.units,
                                   splice=False)
            if {u.key for u in fallback.todo} != {u.key for u in self.todo}:
                raise RuntimeError(f"{self.cache.stage}: the reused units' rows are neither kept nor in the shards")
            self.cache, self.cached = fallback.cache, fallback.cached
            return
        index = {u.key for u in self.units}
        reused = np.array([k in index for k in source.keys], dtype=bool)
        self.cached = {}
        for name, table in source.tables.items():
            rows = np.flatnonzero(reused[table.column(_UNIT).to_numpy()])
            if name in computed:
                self.cached[name] = _frame_of_arrow(table.drop_columns([_UNIT]).take(pa.array(rows)),
                                                    computed[name].dtypes)

    def _spliced(self, computed: dict[str, pd.DataFrame], major: dict[str, tuple[str, list]]
                 ) -> dict[str, pa.Table] | None:
        """:meth:`tables` by splicing (None when a table cannot be spliced: see :func:`_splice`)."""
        source = self.source
        index = {u.key: i for i, u in enumerate(self.units)}
        old_to_new = np.array([index.get(k, -1) for k in source.keys], dtype=np.int64)
        ids = self.unit_rows[0]
        if not ids.is_unique or set(computed) != set(source.tables):
            return None
        sub_unit = np.repeat(np.arange(len(self.units), dtype=np.int64), [len(u.ids) for u in self.units])
        out, codes, layouts = {}, {}, {}
        for name, new in computed.items():
            pos = ids.get_indexer(new["submission_id"].astype(str))
            if len(pos) and pos.min() < 0:
                return None
            layouts[name] = {}
            made = _splice(source.tables[name], old_to_new, pa.Table.from_pandas(new, preserve_index=False),
                           sub_unit[pos], len(self.units), major.get(name), layouts[name])
            if made is None:
                return None
            out[name], codes[name] = made
        self.keep(out, codes, lambda: {name: _frame_of_arrow(table, computed[name].dtypes) for name, table in out.items()},
                  layouts=layouts)
        return out

    @functools.cached_property
    def _shard_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Each submission id's shard (of :attr:`unit_rows`) as a number, and the shards' names in that order."""
        names, codes = np.unique(self.unit_rows[2].astype(str), return_inverse=True)
        return codes.astype(np.int64), names.astype(object)

    def _save(self, tables: dict[str, pd.DataFrame], positions: dict[str, np.ndarray] | None = None,
              shards: list[str] | None = None) -> None:
        """Keep this run's units: each shard's rows of every table (with their unit's key), written
        only for the shards whose units changed, one shard at a time. ``positions`` may give a table's
        rows' positions in :attr:`unit_rows` (as :meth:`combine` found them); ``shards`` the shards to
        write, when ``tables`` hold only their rows."""
        groups = self.cache.shards(u.key for u in self.units)
        todo = shards if shards is not None else [s for s, keys in groups.items()
                                                   if not self.cache.store.unchanged(s, keys)]
        if todo:
            empty = np.zeros(0, dtype=np.int64)
            parts = {}
            for name, df in tables.items():
                units, rows = _unit_rows(*self.unit_rows, df["submission_id"], (positions or {}).get(name),
                                         self._shard_codes)  # shard -> rows
                # the rows of the shards to write gathered once, shard after shard; each shard's rows a slice
                parts[name] = _shard_parts(_pack(df, chunks=True), units, [rows.get(shard, empty) for shard in todo])
            for shard in todo:
                self.cache.store.write(shard, groups[shard], {name: next(p) for name, p in parts.items()})
        self.cache.finish(set(groups))
        self.reuse().write(self.cache.processed_dir)


def _unit_rows(ids: pd.Index, keys: np.ndarray, shards: np.ndarray, sids: pd.Series, pos: np.ndarray | None = None,
               shard_codes: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, dict]:
    """Each row's unit key (``sids`` are the rows' submission ids; ``ids``, ``keys``, ``shards``:
    :attr:`TablePlan.unit_rows`) and the rows of each shard (in row order), by array lookups. ``pos`` may
    give each row's position in ``ids`` (-1: absent) and ``shard_codes`` each id's shard as a number and
    the shards' names (:attr:`TablePlan._shard_codes`)."""
    if pos is None:
        pos = ids.get_indexer(sids.astype(str)) if ids.is_unique else None
    if pos is None or (len(pos) and pos.min() < 0):  # a repeated or unknown id: a dict lookup a row
        unit = sids.astype(str).map(dict(zip(ids, keys))).astype(object)
        return unit.to_numpy(), unit.groupby(unit.str[:SHARD_HEX_LEN].to_numpy(), sort=False).indices
    if shard_codes is None:
        names, codes = np.unique(shards.astype(str), return_inverse=True)
        shard_codes = (codes.astype(np.int64), names.astype(object))
    codes = shard_codes[0][pos]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(shard_codes[1]) + 1))
    return keys[pos], {sh: order[bounds[c]:bounds[c + 1]] for c, sh in enumerate(shard_codes[1].tolist())
                       if bounds[c + 1] > bounds[c]}


def plan_tables(processed_dir, stage: str, subs: pd.DataFrame | None, fp: str, *, full: bool = False,
                extra: dict[str, pd.DataFrame] | None = None, identity: list[int] | None = None,
                units: list[Unit] | None = None, splice: bool = True) -> TablePlan:
    """Plan a table stage (tag, evidence) over the raw-file units of ``subs``.

    Parameters
    ----------
    processed_dir : path-like
        The processed folder (its ``.cache/``).
    stage : str
        The stage's name.
    subs : pandas.DataFrame
        The submissions table (``None`` when ``units`` are given).
    fp : str
        The stage's :func:`fingerprint`.
    full : bool
        Recompute every unit.
    extra : dict, optional
        Other per-submission inputs (by ``submission_id``) that shape the unit's rows.
    identity : list, optional
        The :func:`file_identity` of the submissions file ``subs`` was read from unchanged
        (:func:`read_submissions`): its rows' digests are then kept, and taken, under it.
    units : list of Unit, optional
        The units with their keys, when already worked out.
    splice : bool
        Take the reused units' rows from the last run's kept tables (:meth:`TablePlan.tables`) when they
        can be read, instead of from the cache's shards.

    Returns
    -------
    TablePlan
        Call :meth:`TablePlan.tables` (or :meth:`TablePlan.combine`) with the tables computed for ``plan.todo``.
    """
    cache = UnitCache(processed_dir, stage, full=full)
    if units is None:
        units = raw_file_units(subs, fp, extra, digests=_submission_row_digests(processed_dir, subs, identity))
    source = _open_source(processed_dir, stage, fp) if splice and not full else None
    if source is not None:
        known = set(source.keys)
        on_disk = cache.store.on_disk()
        for shard, keys in cache.shards(source.keys).items():  # what the last run's shards hold
            if shard in on_disk:
                cache.store.held[shard] = frozenset(keys)
        return TablePlan(cache, fp, units, [u for u in units if u.key not in known], {}, source)
    found: set[str] = set()
    parts: dict[str, list] = {}
    for shard, keys, data in cache.read(u.key for u in units):
        if not keys:
            continue
        found.update(keys)
        want = set(keys)
        every = len(want) == len(cache.store.held[shard])  # the shard's every unit is wanted
        for name, (rows, unit) in data.items():
            rows = _opened(rows)
            parts.setdefault(name, []).append(rows if every else _take(rows, np.isin(unit, list(want))))
    todo = [u for u in units if u.key not in found]
    cached = {name: _unpack(packs) for name, packs in parts.items()}
    return TablePlan(cache, fp, units, todo, cached)


# The last run's tables of a table stage, kept in Arrow for the next run to splice (:meth:`TablePlan.tables`), in
# ``<processed>/.cache/<stage>.tables/``: each table as a list of pieces (row ranges) of segment files (Arrow IPC
# files, uncompressed: read memory-mapped) that are never written again once made. A full or first run writes each
# table as one segment (``<table>.arrow``); a re-run writes only the rows it computed, as a new segment
# (``<table>.<n>.arrow``), and keeps the reused rows as pieces of the segments they are already in, so a re-run
# with one new file writes its rows, not the whole table again (the tables of 10,000 submissions are about 500 MB).
# A table of more pieces than :data:`_MAX_CHUNKS`, or whose segments are more than half rows no longer used, is
# written again as one segment. Each row's unit (its position in the run's units) is kept beside, run-length
# coded (``<table>.units``), and the table is read back with it as its last column :data:`_UNIT`. ``index.json``
# holds the stage's fingerprint, the units' keys in order, each table's pieces and the size and modification time
# of every file (:func:`_kept_identity`). A file that is not the one the index names (replaced, rewritten,
# half-written by a killed run), an unreadable one or an index of another layout or fingerprint means no splice:
# the shards are read as before.
SOURCE_VERSION = "kept tables 3"
_MAX_CHUNKS = 64  # a kept table of more pieces than this (each run's splice adds a few) is written as one
_UNIT = "__unit__"


@dataclass
class _Source:
    """The last run's tables (each with its rows' unit codes in column :data:`_UNIT`), its units' keys and the
    other files kept with them (``extra``: name -> bytes); where the tables' rows are (``pieces``: table ->
    ``[segment file, first row, rows]``) and each segment file's identity and rows (``files``, ``rows``)."""

    keys: list[str]
    tables: dict[str, pa.Table]
    extra: dict[str, bytes] = field(default_factory=dict)
    pieces: dict[str, list] = field(default_factory=dict)
    files: dict[str, list] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def _source_dir(processed_dir, stage: str) -> Path:
    return Path(processed_dir) / CACHE_DIR / f"{stage}.tables"


def _open_source(processed_dir, stage: str, fp: str) -> _Source | None:
    """The kept tables of ``stage`` made under fingerprint ``fp``, or None (absent, another layout or
    fingerprint, a file replaced or unreadable)."""
    folder = _source_dir(processed_dir, stage)
    try:
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        if index.get("version") != SOURCE_VERSION or index.get("fp") != fp:
            return None
        keys, files, rows = index["keys"], index["files"], index["rows"]
        segment, segments = _segment_reader(folder, files, rows)
        tables, pieces = {}, {}
        for name, spec in index["tables"].items():
            table = _kept_table(spec, segment)
            units_path = folder / spec["units"]
            if _kept_identity(units_path) != files[spec["units"]]:
                return None
            values, lengths = np.load(units_path, allow_pickle=False)
            codes = np.repeat(values, lengths)
            if len(codes) != table.num_rows or (len(codes) and (codes.min() < 0 or codes.max() >= len(keys))):
                return None
            tables[name] = table.append_column(_UNIT, pa.array(codes.astype(np.int32), type=pa.int32()))
            pieces[name] = spec["pieces"]
        extra = {}
        for name, ident in (index.get("extra") or {}).items():
            path = folder / f"{name}.bin"
            data = path.read_bytes()
            if _kept_identity(path) != ident:
                return None
            extra[name] = data
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pa.ArrowException):
        return None
    if len(set(keys)) != len(keys):
        return None
    return _Source(keys, tables, extra, pieces, {k: files[k] for k in segments}, {k: rows[k] for k in segments})


def _segment_reader(folder: Path, files: dict, rows: dict) -> tuple[Callable[[str], pa.Table], dict[str, pa.Table]]:
    """A reader of a stage's kept segment files by name (``files``, ``rows``: the index's identity and rows of each),
    each opened memory-mapped once (its buffers the mapped file's), and the segments it has opened.

    Raises
    ------
    ValueError
        A segment that is not the file the index names (another identity or number of rows).
    """
    opened: dict[str, pa.Table] = {}

    def segment(name: str) -> pa.Table:
        if name not in opened:
            path = folder / name
            if _kept_identity(path) != files[name]:
                raise ValueError(f"{name} is not the file kept")
            table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
            if table.num_rows != rows[name]:
                raise ValueError(f"{name} is not the file kept")
            opened[name] = table
        return opened[name]

    return segment, opened


def _kept_table(spec: dict, segment: Callable[[str], pa.Table]) -> pa.Table:
    """A kept table from its pieces (``spec``: its index entry; ``segment``: a segment file's table by name), each
    piece in the table's schema (its newest segment's).

    Raises
    ------
    ValueError, pyarrow.ArrowException
        A piece that is not in its segment, or cannot be cast.
    """
    schema = segment(spec["schema"]).schema
    parts = []
    for seg, start, n in spec["pieces"]:
        part = segment(seg).slice(start, n)
        if part.num_rows != n:
            raise ValueError(f"{seg} does not hold rows {start}..{start + n}")
        parts.append(part if part.schema.equals(schema, check_metadata=True) else part.cast(schema))
    return pa.concat_tables(parts) if parts else segment(spec["schema"]).slice(0, 0)


# Which Parquet tables of the processed folder were written from a stage's kept tables (``written.json`` beside
# them: each table's Parquet file's :func:`file_identity` and the identity of the index it was kept under). The next
# stage reads such a table from the kept Arrow files, memory-mapped (:func:`read_kept`), instead of decoding the
# Parquet file again: the same rows, columns and types (a test checks).
WRITTEN = "written.json"
# Which stage keeps each table that :func:`read_kept` may read
KEPT_BY = {"submissions": "ingest", "partners": "ingest", "contacts": "ingest", "tags": "tag", "tag_evidence": "tag"}


def note_written(processed_dir, stage: str, token: str | None, paths: dict[str, Path]) -> None:
    """Record that the Parquet files ``paths`` (table name -> file) hold exactly the tables ``stage`` kept this run
    (``token``: what :func:`_keep_source` returned; None when nothing was kept: no record then)."""
    folder = _source_dir(processed_dir, stage)
    with contextlib.suppress(OSError):
        (folder / WRITTEN).unlink(missing_ok=True)
    if token is None:
        return
    try:
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        ident = _kept_identity(folder / "index.json")
        if index.get("token") != token or ident is None:
            return
        record = {name: {"file": file_identity(path), "index": ident} for name, path in paths.items()
                  if name in index["tables"]}
        write_text(folder / WRITTEN, json.dumps(record))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return


def read_kept(processed_dir, name: str, columns: list[str] | None = None) -> pd.DataFrame | None:
    """Table ``name`` of the processed folder read from the kept Arrow table its Parquet file was written from
    (:func:`note_written`), as :func:`pandas.read_parquet` makes it of the file (``columns``: only those); None
    when it was not, or the file or the kept table changed since (then read the Parquet file)."""
    try:
        from pandas.io._util import arrow_table_to_pandas
    except ImportError:  # another pandas: the Parquet file is read
        return None
    table = read_kept_arrow(processed_dir, name, columns)
    try:
        return None if table is None else arrow_table_to_pandas(table)
    except (ValueError, TypeError, pa.ArrowException):
        return None


def read_kept_arrow(processed_dir, name: str, columns: list[str] | None = None) -> pa.Table | None:
    """:func:`read_kept`'s table before it is made a DataFrame: the kept Arrow table (memory-mapped, its schema
    carrying pandas' metadata as the Parquet file's does), ``columns`` of it only; None as :func:`read_kept`. A
    reader that needs a few of its rows takes them here, before any is turned into a frame."""
    from .schema import TABLES

    stage = KEPT_BY.get(name)
    if stage is None:
        return None
    folder = _source_dir(processed_dir, stage)
    try:
        rec = json.loads((folder / WRITTEN).read_text(encoding="utf-8"))[name]
        if rec["file"] != file_identity(Path(processed_dir) / TABLES[name].filename) or rec["file"] is None:
            return None
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        if _kept_identity(folder / "index.json") != rec["index"] or index.get("version") != SOURCE_VERSION:
            return None

        segment, _ = _segment_reader(folder, index["files"], index["rows"])
        table = _kept_table(index["tables"][name], segment)
        if columns is not None:
            table = table.select([c for c in columns if c in table.schema.names])
        return table
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pa.ArrowException):
        return None


def take_rows(table: pa.Table, at) -> pa.Table:
    """``table.take(at)`` for ascending positions ``at``, chunk by chunk: the rows of each chunk are taken from that
    chunk alone. A table of several chunks (a kept table is its pieces; a spliced one its last run's and this run's
    rows) is otherwise joined into one whole copy before any row is taken: half a second for a few rows of the
    submissions' texts, or a tenth of tag_evidence's rows, at 10,000 submissions. The same rows, columns and types;
    positions not ascending, or columns chunked unalike, are taken as ``table.take`` takes them.

    Example
    -------
    >>> t = pa.concat_tables([pa.table({"x": [1, 2]}), pa.table({"x": [3, 4, 5]})])
    >>> take_rows(t, [1, 2, 4]).column("x").to_pylist(), take_rows(t, []).num_rows
    ([2, 3, 5], 0)
    """
    at = np.asarray(at, dtype=np.int64)
    lengths = [len(c) for c in table.column(0).chunks] if table.num_columns else []
    if (len(lengths) <= 1 or (len(at) > 1 and bool(np.any(np.diff(at) < 0)))
            or any([len(c) for c in col.chunks] != lengths for col in table.columns[1:])):
        return table.take(pa.array(at, type=pa.int64()))
    bounds = np.cumsum([0, *lengths])
    cut = np.searchsorted(at, bounds)
    parts = [table.slice(a, b - a).take(pa.array(at[lo:hi] - a, type=pa.int64()))
             for a, b, lo, hi in zip(bounds[:-1], bounds[1:], cut[:-1], cut[1:]) if hi > lo]
    return pa.concat_tables(parts) if parts else table.slice(0, 0)


def _forget_source(processed_dir, stage: str) -> None:
    """Remove the index of ``stage``'s kept tables (they are not used until kept again)."""
    with contextlib.suppress(OSError):
        (_source_dir(processed_dir, stage) / "index.json").unlink(missing_ok=True)


def _kept_identity(path: Path) -> list[int] | None:
    """What says a kept table file is the one the index names: its size and modification time in nanoseconds
    (a file copied with its times, as a backup restores it, is still the same; one written since is not)."""
    ident = file_identity(path)
    return None if ident is None else [ident[2], ident[3]]


def _old_pieces(pieces: list, a: int, n: int):
    """The pieces (``[segment, first row, rows]``) of rows ``a .. a + n`` of a table made of ``pieces``."""
    at = 0
    for seg, start, m in pieces:
        lo, hi = max(a, at), min(a + n, at + m)
        if lo < hi:
            yield [seg, start + lo - at, hi - lo]
        at += m
        if at >= a + n:
            break


def _pieces_of(layout: dict, source: _Source, name: str, new_segment: str) -> list | None:
    """A spliced table's pieces (:func:`_splice`'s ``layout``): its rows kept from the last run's table as the
    pieces of the segments they are in, its computed rows as pieces of ``new_segment``; adjacent pieces of one
    segment joined. None when the table is not made of such slices."""
    if layout.get("pieces") is None or name not in source.pieces:
        return None
    out: list = []
    for kind, start, n in layout["pieces"]:
        for piece in (_old_pieces(source.pieces[name], start, n) if kind == "old" else [[new_segment, start, n]]):
            if out and out[-1][0] == piece[0] and out[-1][1] + out[-1][2] == piece[1]:
                out[-1][2] += piece[2]
            else:
                out.append(piece)
    return out


def _write_segment(path: Path, table: pa.Table) -> list[int] | None:
    with atomic_path(path, ".tmp") as tmp:
        with pa.OSFile(str(tmp), "wb") as fh, pa.ipc.new_file(fh, table.schema) as writer:
            writer.write_table(table)
    return _kept_identity(path)


def _write_units(path: Path, codes: np.ndarray) -> list[int] | None:
    """Each row's unit, run-length coded (a unit's rows are together, or in a few runs)."""
    codes = np.asarray(codes, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.zeros(0, dtype=np.int64)
    runs = np.stack([codes[starts], np.diff(np.r_[starts, len(codes)])]) if len(codes) else np.zeros((2, 0), np.int64)
    with atomic_path(path, ".tmp") as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, runs.astype(np.int64), allow_pickle=False)
    return _kept_identity(path)


def _keep_source(processed_dir, stage: str, fp: str, keys: list[str], tables: dict[str, pa.Table],
                 codes: dict[str, np.ndarray], extra: dict[str, bytes] | None = None,
                 layouts: dict[str, dict] | None = None, source: _Source | None = None) -> str | None:
    """Keep ``tables`` (with each row's unit, ``codes``) and the files ``extra`` (name -> bytes) for the next run
    (:func:`_open_source`). A table spliced from ``source``'s (``layouts[name]``: :func:`_splice`'s layout) is kept
    as the pieces of its segments it reuses and one new segment of the rows computed now; any other table (and one
    of too many pieces or too many rows no longer used) is written whole. The index is removed first and written
    last, so a run killed in between leaves no index (the shards are read then); files no index names are removed
    after. Nothing is kept when it cannot be written (a read-only folder: the next run reads the shards).
    Returns the index's token (for :func:`note_written`), or None when nothing was kept."""
    folder = _source_dir(processed_dir, stage)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.json").unlink(missing_ok=True)
        (folder / WRITTEN).unlink(missing_ok=True)
        others = {}
        for name, data in (extra or {}).items():
            path = folder / f"{name}.bin"
            with atomic_path(path, ".tmp") as tmp:
                tmp.write_bytes(data)
            others[name] = _kept_identity(path)
        files: dict[str, list] = {}
        rows: dict[str, int] = {}
        specs = {}
        taken = set(source.files) if source is not None else set()
        for name, table in tables.items():
            pieces, layout = None, (layouts or {}).get(name)
            if layout is not None and source is not None:
                n = 1 + max([int(p.split(".")[-2]) for p in taken if p.startswith(f"{name}.")
                             and p.split(".")[-2].isdigit()] or [0])
                new_segment = f"{name}.{n}.arrow"
                pieces = _pieces_of(layout, source, name, new_segment)
            if pieces is not None:
                used = {seg for seg, _, _ in pieces} - {new_segment}
                total = sum(source.rows[seg] for seg in used)
                if len(pieces) > _MAX_CHUNKS or 2 * (table.num_rows - layout["new"].num_rows) < total:
                    pieces = None
            if pieces is not None:
                new = layout["new"]
                files[new_segment] = _write_segment(folder / new_segment, new)
                rows[new_segment] = new.num_rows
                for seg in used:
                    files[seg], rows[seg] = source.files[seg], source.rows[seg]
                schema = new_segment
            else:
                whole = table.combine_chunks() if table.num_rows and table.column(0).num_chunks > _MAX_CHUNKS \
                    else table
                schema = f"{name}.arrow"
                files[schema], rows[schema] = _write_segment(folder / schema, whole), whole.num_rows
                pieces = [[schema, 0, whole.num_rows]] if whole.num_rows else []
            units = f"{name}.units"
            files[units] = _write_units(folder / units, codes[name])
            specs[name] = {"pieces": pieces, "schema": schema, "units": units}
        token = os.urandom(16).hex()
        write_text(folder / "index.json", json.dumps({"version": SOURCE_VERSION, "fp": fp, "keys": keys,
                                                     "tables": specs, "files": files, "rows": rows,
                                                     "extra": others, "token": token}))
        for old in folder.iterdir():  # files no index names (a file still mapped where it cannot go stays)
            if old.suffix in (".arrow", ".units") and old.name not in files or \
                    old.suffix == ".bin" and old.stem not in others:
                with contextlib.suppress(OSError):
                    old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            (folder / "index.json").unlink(missing_ok=True)
        return None
    return token


def _rows_where(table: pa.Table, mask: np.ndarray) -> pa.Table:
    """The rows of ``table`` where ``mask`` holds, as slices of its runs of such rows (a take over a table of
    several chunks of text and lists joins the chunks first: a copy of the whole table)."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    pieces = [table.slice(int(a), int(b - a)) for a, b in zip(edges[::2], edges[1::2])]
    return pa.concat_tables(pieces) if pieces else table.slice(0, 0)


def _nullish(t: pa.DataType) -> bool:
    """Whether ``t`` is the null type or a list of it at any depth: what Arrow infers for a column of
    missing values or of empty lists, which a column with values has as a type of its own."""
    while pa.types.is_list(t) or pa.types.is_large_list(t):
        t = t.value_type
    return pa.types.is_null(t)


def _inferred(col: pa.ChunkedArray) -> pa.DataType:
    """The type Arrow infers for ``col``'s values as Python objects: a list column whose lists hold no value
    (at any depth) is a list of the null type, as for a column of empty lists."""
    t = col.type
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return t
    flat = pc.list_flatten(col)
    if flat.null_count == len(flat):
        return pa.list_(pa.null())
    inner = _inferred(flat)
    return pa.list_(inner) if inner != t.value_type else t


def _splice(old: pa.Table, old_to_new: np.ndarray, new: pa.Table, new_units: np.ndarray, n_units: int,
            major: tuple[str, list] | None, layout: dict | None = None) -> tuple[pa.Table, np.ndarray] | None:
    """A table of a full run from the last run's (``old``, with its rows' units in column :data:`_UNIT`) and the
    rows computed now (``new``, of the units ``new_units``): the rows of old units still there (``old_to_new``: each
    old unit's position now, -1 when gone or changed) as slices of ``old``, the new rows put in between in table
    order: by ``major`` (``(column, values)``: the tags come taxonomy by taxonomy), then by their unit's position.
    Returns the table and each row's unit, or None when it cannot be spliced (the reused rows out of order, a
    column's type that differs other than by missing values): the caller combines the rows as before. ``layout``
    (a dict) is given what the table is made of, for :func:`_keep_source`: ``pieces``, its row ranges in order
    (``("old", first row of old, rows)`` or ``("new", first row of new, rows)``; None when it is not made of
    such slices) and ``new``, the new rows in the order and types the table has them.
    """
    if layout is None:
        layout = {}
    layout.update(pieces=None, new=None)
    codes = old.column(_UNIT).to_numpy()
    old = old.drop_columns([_UNIT])
    if old.schema.names != new.schema.names:
        return None
    old_pos = old_to_new[codes]
    keep = np.flatnonzero(old_pos >= 0)
    if not len(keep) and not new.num_rows:
        layout.update(pieces=[], new=new)
        return new, np.zeros(0, dtype=np.int64)
    scale = n_units + 1

    def sort_key(col, pos: np.ndarray) -> np.ndarray | None:  # (major rank, unit position) as one number
        key = pos.astype(np.int64)
        if major is None or not len(key):
            return key
        if pa.types.is_null(col.type):
            return None
        rank = pc.index_in(col, value_set=pa.array(list(major[1]), type=col.type))
        if rank.null_count:  # a value not among them: combine orders the rows
            return None
        return key + rank.to_numpy().astype(np.int64) * scale

    old_key = sort_key(old.column(major[0]) if major is not None else None, old_pos)
    new_key = sort_key(new.column(major[0]) if major is not None else None, new_units)
    if old_key is not None:
        old_key = old_key[keep]
    if old_key is None or new_key is None or (np.diff(old_key) < 0).any():
        return None  # the reused rows out of table order (not expected), or a major value not known: combine
    order = np.argsort(new_key, kind="stable")
    if not np.array_equal(order, np.arange(len(order))):
        new, new_key, new_units = new.take(pa.array(order)), new_key[order], new_units[order]
    schema = _settled_schema(old, new)
    if schema is None:
        return None
    old, new = old.cast(schema), new.cast(schema)
    at = np.searchsorted(old_key, new_key, side="left")  # where each new row goes among the kept rows
    pieces, units, where = [], [], []
    breaks = np.flatnonzero(np.diff(keep) != 1) + 1  # kept rows in runs of consecutive old rows

    def old_rows(a: int, b: int) -> None:  # kept rows a..b (positions in keep), as slices of old
        if a >= b:
            return
        cuts = [a, *[int(c) for c in breaks[(breaks > a) & (breaks < b)]], b]
        for x, y in zip(cuts[:-1], cuts[1:]):
            start = int(keep[x])
            pieces.append(old.slice(start, y - x))
            units.append(old_pos[start:start + y - x])
            where.append(("old", start, y - x))

    done = 0
    starts = np.flatnonzero(np.r_[True, at[1:] != at[:-1]]) if len(at) else np.zeros(0, dtype=np.int64)
    ends = np.r_[starts[1:], len(at)]
    for s, e in zip(starts.tolist(), ends.tolist()):
        old_rows(done, int(at[s]))
        pieces.append(new.slice(s, e - s))
        units.append(new_units[s:e])
        where.append(("new", s, e - s))
        done = int(at[s])
    old_rows(done, len(keep))
    table = pa.concat_tables(pieces) if pieces else new.slice(0, 0)
    final = _inferred_schema(table)
    if final != table.schema:  # a list column whose values all went (rare): Arrow casts no list to a list of nulls
        table = pa.Table.from_arrays([col if col.type == f.type else pa.chunked_array(
            [pa.array(col.to_pylist(), type=f.type)], type=f.type) for col, f in zip(table.columns, final)],
            schema=final)
    else:
        layout.update(pieces=where, new=new)
    return table, np.concatenate(units).astype(np.int64) if units else np.zeros(0, dtype=np.int64)


def _settled_schema(old: pa.Table, new: pa.Table) -> pa.Schema | None:
    """One schema for the rows of ``old`` and ``new``: each column's type where they agree, else the type that
    is not :func:`_nullish` (a column of missing values or of empty lists on one side; of two such, the one that is
    not the null type: Arrow casts no list to it); None when they differ otherwise. The schema's metadata (pandas') is the side's whose types it has, else the new rows'."""
    fields = []
    for a, b in zip(old.schema, new.schema):
        if a.type == b.type:
            fields.append(a)
        elif _nullish(a.type) and _nullish(b.type):  # e.g. empty lists and missing values: the null type goes
            fields.append(b if pa.types.is_null(a.type) else a)
        elif _nullish(a.type) or (not len(old) and not _nullish(b.type)):
            fields.append(b)
        elif _nullish(b.type) or not len(new):
            fields.append(a)
        else:
            return None
    types = [f.type for f in fields]
    meta = old.schema.metadata if types == old.schema.types else new.schema.metadata
    return pa.schema(fields, metadata=meta)


def _inferred_schema(table: pa.Table) -> pa.Schema:
    """``table``'s schema with each list column's type as Arrow infers it from the values (:func:`_inferred`):
    the spliced rows' types are those of the whole table turned into Arrow at once."""
    fields = [f.with_type(_inferred(table.column(i))) if pa.types.is_list(f.type) else f
              for i, f in enumerate(table.schema)]
    return pa.schema(fields, metadata=table.schema.metadata)


class LazyFrame:
    """An Arrow table (a stage's written table) made a DataFrame of ``dtypes`` only when :meth:`frame` is first
    called (:func:`_frame_of_arrow`): a stage's result hands its large tables on without building frames nobody
    reads."""

    __slots__ = ("table", "dtypes")

    def __init__(self, table: pa.Table, dtypes: pd.Series):
        self.table, self.dtypes = table, dtypes

    def frame(self) -> pd.DataFrame:
        return _frame_of_arrow(self.table, self.dtypes)


def _frame_of_arrow(table: pa.Table, dtypes: pd.Series) -> pd.DataFrame:
    """``table`` as a DataFrame of ``dtypes`` (a computed table's), as the pandas reading of a Parquet file
    makes it: text columns as pandas text without a Python string a value, list cells as numpy arrays."""
    index = pd.RangeIndex(table.num_rows)
    cols = {}
    for name in table.schema.names:
        col, dtype = table.column(name), dtypes.get(name, np.dtype(object))
        if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "__from_arrow__") \
                and not pa.types.is_null(col.type):
            values = dtype.__from_arrow__(col)
        else:
            values = col.to_numpy(zero_copy_only=False) if col.num_chunks else np.zeros(0, dtype=object)
            if isinstance(dtype, np.dtype) and dtype.kind != "O":
                values = values.astype(dtype, copy=False)
            elif not isinstance(dtype, np.dtype):
                values = pd.array(values, dtype=dtype)
        cols[name] = pd.Series(values, index=index, dtype=dtype, copy=False)
    return pd.DataFrame(cols, index=index, columns=table.schema.names)


# A shard keeps each table's rows as plain arrays, one a column, with the columns' dtypes: a run reads
# hundreds of shards, and unpickling a DataFrame of Arrow-backed text columns costs about a millisecond a
# shard and table, several times the arrays' cost. Arrow-backed text columns are kept as Arrow arrays
# (pickled as their buffers, not string by string, and made pandas text again without a copy per string),
# other columns as numpy arrays (text kept as object, object). The rows are made a DataFrame once per
# table, after every shard is read, with the dtypes they were saved with. Shards of the earlier layouts
# (every text column an object array; packed rows pickled as they are) read back as before.
_PACKED = "packed table 1"


def _is_arrow(col) -> bool:
    return isinstance(col, (pa.Array, pa.ChunkedArray))


# A shard file keeps a table's rows as "packed shard rows 2": its numpy columns as they are (sliced from the
# table's columns gathered once in shard order) and its Arrow columns as one Arrow IPC stream of their rows
# (an Arrow array pickles its whole buffers even when sliced, and taking each shard's rows from every Arrow
# column cost more than the rest of the write); :func:`_opened` makes them packed rows again when read.
_PACKED_SHARD = "packed shard rows 2"


def _pack(df: pd.DataFrame, *, chunks: bool = False) -> dict:
    """A table's rows as ``{"packed", "dtypes", "columns"}``: each column a numpy array, or an Arrow
    array for Arrow-backed text (its chunks as they are when ``chunks``, else joined into one)."""
    return {"packed": _PACKED, "dtypes": list(df.dtypes.items()),
            "columns": [_pack_column(s, chunks) for _, s in df.items()]}


def _pack_column(s: pd.Series, chunks: bool = False):
    if isinstance(s.dtype, np.dtype):
        return s.to_numpy()
    if isinstance(s.array, pd.arrays.ArrowStringArray):
        col = s.array.__arrow_array__()
        return col if chunks else col.combine_chunks()
    return s.to_numpy(dtype=object)


def _column(dtype, col):
    """A packed column as a pandas array of ``dtype``."""
    if isinstance(dtype, np.dtype):
        return col
    if _is_arrow(col):
        return dtype.__from_arrow__(col if isinstance(col, pa.ChunkedArray) else pa.chunked_array([col], col.type))
    return pd.array(col, dtype=dtype)


def _as_objects(col) -> np.ndarray:
    """A packed column as a numpy array (an Arrow one as objects, missing values as None)."""
    return col.to_numpy(zero_copy_only=False) if _is_arrow(col) else col


def _frame(rows) -> pd.DataFrame:
    """A DataFrame of packed rows (a DataFrame as it is)."""
    if isinstance(rows, pd.DataFrame):
        return rows
    index = pd.RangeIndex(_height(rows))
    # each column as a Series of its own dtype: given a numpy array of strings, the DataFrame constructor
    # would infer a text dtype for a column that was saved as object
    return pd.DataFrame({name: pd.Series(_column(dtype, col), dtype=dtype, index=index, copy=False)
                         for (name, dtype), col in zip(rows["dtypes"], rows["columns"])}, index=index)


# Shards whose rows _shard_parts gathers at a time: the gathered copy holds about this share of a table's
# rows (of 256 shards), not all of them, while a gather still covers many shards.
_GATHER_SHARDS = 32


def _shard_parts(packed: dict, units: np.ndarray, at: list[np.ndarray]):
    """Yield, for each of ``at`` (a shard's row positions), the shard's rows of ``packed`` (as
    ``_PACKED_SHARD``) and each row's unit key: the rows of :data:`_GATHER_SHARDS` shards at a time
    gathered in one take per column, then each shard's a slice."""
    cols = packed["columns"]
    arrow = [i for i, col in enumerate(cols) if _is_arrow(col)]
    whole = pa.Table.from_arrays([_few_values(cols[i]) for i in arrow], names=[str(i) for i in arrow]) if arrow else None
    for start in range(0, len(at), _GATHER_SHARDS):
        group = at[start:start + _GATHER_SHARDS]
        order = np.concatenate(group)
        bounds = np.concatenate(([0], np.cumsum([len(a) for a in group]))).tolist()
        # as a table: a column of several chunks (the stage's parts joined) is taken from without a copy first
        table = whole.take(pa.array(order, type=pa.int64())) if whole is not None else None
        plain = [None if _is_arrow(col) else col[order] for col in cols]
        keys = units[order]
        for j in range(len(group)):
            a, b = bounds[j], bounds[j + 1]
            stream = None
            if table is not None:
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, table.schema) as writer:
                    writer.write_table(table.slice(a, b - a))
                stream = sink.getvalue()
            yield {"packed": _PACKED_SHARD, "dtypes": packed["dtypes"], "arrow": stream,
                   "columns": [None if col is None else _shared_strings(col[a:b]) for col in plain]}, keys[a:b]


def _shared_strings(col: np.ndarray) -> np.ndarray:
    """``col`` with the strings in its list cells shared: a cell that is a list of strings becomes an equal
    list whose strings are one object per distinct value in the column (other cells, and columns that are not
    of objects, as they are).

    A shard is a pickle, and pickle writes an object it has written before as a reference to it: tag_evidence's
    phrase lists (a few hundred distinct phrases over hundreds of thousands of rows) then read back as one
    string per distinct phrase instead of one per cell, about a tenth of the time it took to read them.

    Example
    -------
    >>> col = np.empty(2, dtype=object)
    >>> col[:] = [["".join(["a", "b"])], ["".join(["a", "b"]), "c"]]
    >>> out = _shared_strings(col)
    >>> out.tolist() == col.tolist() and out[0][0] is out[1][0]
    True
    """
    if col.dtype != object or not len(col):
        return col
    memo: dict[str, str] = {}
    share = memo.setdefault
    cells = col.tolist()
    if not any(type(c) is list for c in cells):
        return col
    out = np.empty(len(cells), dtype=object)
    out[:] = [[share(v, v) if type(v) is str else v for v in c] if type(c) is list else c for c in cells]
    return out


def _one_chunk(col) -> pa.Array:
    """``col`` as one Arrow array: a chunked array's chunks joined (its only chunk as it is, not copied)."""
    if not isinstance(col, pa.ChunkedArray):
        return col
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


# A text column of at most this many distinct values (a taxonomy's name, its categories' ids and labels) is
# kept dictionary-encoded in a shard: every shard holds the whole dictionary, and its rows only indices.
_FEW_VALUES = 64


def _few_values(col):
    """``col`` dictionary-encoded (one chunk) when it has at most :data:`_FEW_VALUES` distinct values, else as
    it is."""
    if len(col) <= _FEW_VALUES or pc.count_distinct(col.slice(0, 4096)).as_py() > _FEW_VALUES:
        return col  # a few rows, or many values among the first rows: not worth a pass over every row
    encoded = pc.dictionary_encode(_one_chunk(col))
    return encoded if len(encoded.dictionary) <= _FEW_VALUES else col


def _opened(rows):
    """Packed rows as read from a shard: ``_PACKED_SHARD`` rows made packed rows again (their Arrow columns
    read from the IPC stream), anything else as it is."""
    if not (isinstance(rows, dict) and rows.get("packed") == _PACKED_SHARD):
        return rows
    arrow = iter(pa.ipc.open_stream(rows["arrow"]).read_all().columns if rows["arrow"] is not None else ())
    arrow = (col.dictionary_decode() if pa.types.is_dictionary(col.type) else col for col in map(_one_chunk, arrow))
    return {"packed": _PACKED, "dtypes": rows["dtypes"],
            "columns": [next(arrow) if col is None else col for col in rows["columns"]]}


def _take(rows, mask: np.ndarray):
    """The rows of packed rows (or of a DataFrame) where ``mask`` is true (or at the positions ``mask``)."""
    if isinstance(rows, pd.DataFrame):
        return rows[mask] if mask.dtype == bool else rows.take(mask)
    if mask.dtype == bool:
        mask = np.flatnonzero(mask)
    cols = [None if _is_arrow(col) else col[mask] for col in rows["columns"]]
    arrow = [i for i, col in enumerate(cols) if col is None]
    if len(arrow) > 1 and all(isinstance(rows["columns"][i], pa.Array) for i in arrow):
        # the Arrow columns taken as one record batch: one call, not one a column
        batch = pa.RecordBatch.from_arrays([rows["columns"][i] for i in arrow], names=[str(i) for i in arrow])
        for i, col in zip(arrow, batch.take(mask).columns):
            cols[i] = col
    else:
        for i in arrow:
            cols[i] = rows["columns"][i].take(mask)
    return {**rows, "columns": cols}


def _positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Each of ``values``' position in ``index`` (of unique strings) as float, NaN when absent
    (as ``values.astype(str).map({v: i})`` gives, without a Python call per row)."""
    if not index.is_unique:  # the last position of a repeated value, as a dict of them has
        return values.astype(str).map({v: i for i, v in enumerate(index)}).to_numpy(dtype=float)
    pos = index.get_indexer(values.astype(str)).astype(float)
    pos[pos < 0] = np.nan
    return pos


def _height(rows) -> int:
    return len(rows) if isinstance(rows, pd.DataFrame) else len(rows["columns"][0]) if rows["columns"] else 0


def _unpack(packs: list) -> pd.DataFrame:
    """One table of the rows read from the shards, in shard order: as ``pd.concat`` of their frames
    without the empty ones (the first when all are empty), joined column by column when they all have the
    same columns and dtypes (then one DataFrame is made, not one a shard)."""
    keep = [p for p in packs if _height(p)] or packs[:1]
    if len(keep) == 1:
        return _frame(keep[0]).reset_index(drop=True)
    packed = all(not isinstance(p, pd.DataFrame) for p in keep)
    if packed and all(p["dtypes"] == keep[0]["dtypes"] for p in keep[1:]):
        joined = [_join([p["columns"][i] for p in keep]) for i in range(len(keep[0]["dtypes"]))]
        return _frame({**keep[0], "columns": joined})
    return pd.concat([_frame(p) for p in keep], ignore_index=True)


def _join(cols: list):
    """The shards' arrays of one column as one (Arrow arrays as one chunked array)."""
    if all(_is_arrow(c) for c in cols):
        with contextlib.suppress(pa.ArrowInvalid, pa.ArrowTypeError):  # differing Arrow types: as objects
            return pa.chunked_array(cols)
    return np.concatenate([_as_objects(c) for c in cols])


def file_key(fp: str, rel: str, sha: str) -> str:
    """An ingest unit's key: the stage fingerprint, the file's path under the raw folder and its sha256."""
    return sha256_hex(f"{fp}\n{rel}\n{sha}".encode("utf-8", "surrogateescape"))


def in_chunks(subs: pd.DataFrame, compute, *, size: int | None = None) -> list:
    """``compute(part)`` for consecutive parts of ``subs`` of about ``size`` submissions
    (:data:`CHUNK_SUBMISSIONS`), cut between raw files, in table order.

    The tag and evidence stages compute each submission's rows from its own row (and its own
    partners and tags) alone, so the parts' rows are the rows of one call on all of ``subs``;
    computing them a part at a time bounds the working memory.

    Example
    -------
    >>> df = pd.DataFrame({"submission_id": list("abcde"), "raw_file": ["1", "1", "2", "3", "3"]})
    >>> in_chunks(df, lambda part: "".join(part["submission_id"]), size=2)
    ['ab', 'c', 'de']
    """
    size = size or CHUNK_SUBMISSIONS
    if len(subs) <= size:
        return [compute(subs)]
    files = (subs["raw_file"] if "raw_file" in subs.columns else subs["submission_id"]).astype(str).to_numpy()
    ends = [i for i in range(1, len(files)) if files[i] != files[i - 1]] + [len(files)]  # where each file ends
    bounds, start, prev = [], 0, 0
    for end in ends:
        if end - start > size and prev > start:  # this file would overfill the part: close it before the file
            bounds.append((start, prev))
            start = prev
        prev = end
    bounds.append((start, len(files)))
    return [compute(subs.iloc[a:b].reset_index(drop=True)) for a, b in bounds]


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts' frames as one (empty parts left out, so they cannot change a column's dtype)."""
    keep = [f for f in frames if len(f)]
    if not keep:
        return frames[0]
    return pd.concat(keep, ignore_index=True) if len(keep) > 1 else keep[0]
