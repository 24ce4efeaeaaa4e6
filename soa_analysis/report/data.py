"""Load what a report needs from the processed folder, and nothing else.

The loader reads the processed tables by their contracts (:mod:`soa_analysis.schema`),
never the restricted ones (``restricted/contacts.parquet`` holds lead officers' contact
details and no shared report may read it). Optional tables that are missing become empty
frames with their contract's columns and are listed in :attr:`ReportData.missing`, so each
section can say plainly that its input is not available instead of failing.

The data are read once: :meth:`ReportData.for_council` derives a council's report from
the national one without reading the folder again.

``tag_evidence`` and ``evidence_sentences``, the largest tables, are kept to the rows and columns
the case-study cards quote (:mod:`.quotes`), their
only reader.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import ConfigError, InputError
from ..io import parquet_selection, read_table
from ..partition import KEPT_BY, read_kept_arrow, read_kept_or_file, take_rows
from ..procs import gc_paused
from ..schema import TABLES, validate
from .quotes import (
    PRIORITY_TAXONOMY,
    QUOTED_READS,
    TAG_COLUMNS,
    quoted_grade_rows,
    quoted_tag_positions,
    quoted_tag_rows,
)
from .tiles import council_tiles

__all__ = ["PRIORITY_TAXONOMY", "REPORT_TABLES", "ReportData", "LazyTables", "load_report_data",
           "read_quoted_tag_rows", "notebooks_dir", "submissions_column", "NATIONAL_ROWS",
           "resolve_path", "councils_in", "priorities_of"]

# Tables the report reads. "contacts" is deliberately absent: it is restricted.
REPORT_TABLES = (
    "submissions", "ingest_log", "tags", "tag_evidence", "evidence", "evidence_sentences",
    "added_value", "partners", "partner_pairs", "followups", "exemplars", "alignment",
)
META_FILES = ("tagging_meta.json", "evidence_meta.json", "ingest_meta.json")
# Tables of which the report reads a few columns: only those are read (their list columns of phrases and
# sentences were most of what a council page's key digests, and of reading them).
NARROW = {
    "added_value": ["submission_id", "theme", "assigned", "ticked"],
    "alignment": ["submission_id", "expectation", "present"],
    # not the phrases behind each tag (``evidence``, half the table's bytes: tag_evidence has the quoted ones)
    # nor how the tagger scored it: the report shows which tags were assigned, to what, with their labels
    "tags": ["submission_id", "taxonomy", "priority", "label", "score", "assigned"],
}
# Tables that describe the run rather than submissions: a council report keeps them whole.
RUN_TABLES = ("ingest_log",)


def _canonical_council(name: str, present: list[str]) -> str:
    """Match a council parameter to a canonical name (case-insensitive, or by GSS code)."""
    wanted = name.strip().casefold()
    for c in list(present) + [t.council for t in council_tiles()]:
        if c.casefold() == wanted:
            return c
    for t in council_tiles():
        if wanted in (t.code.casefold(), t.old_code.casefold()) and wanted:
            return t.council
    known = sorted(set(present) | {t.council for t in council_tiles()})
    raise ConfigError(f"council {name!r} is not a known council; known: {', '.join(known)}")


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TABLES[name].column_names})


def _only(name: str, df: pd.DataFrame, keep: set) -> pd.DataFrame:
    """Rows of table ``name`` about the submissions in ``keep``."""
    if name in RUN_TABLES:
        return df
    if "submission_id" in df.columns:
        return df[df["submission_id"].isin(keep)].reset_index(drop=True)
    if "submission_ids" in df.columns:  # partner_pairs: one row per pair and priority, with its submissions
        ids = df["submission_ids"].map(lambda s: [x for x in s if x in keep])
        out = df.assign(submission_ids=ids, n=ids.map(len))
        return out[out["n"] > 0].reset_index(drop=True)
    return df


_BY_COUNCIL = "_rows_by_council"
_ALIGNED = "_national_aligned"
# In a council's data made by :meth:`ReportData.for_council`: the positions of its submissions' rows in the
# national frame (:attr:`ReportData.national`), in the order of its own submissions table
NATIONAL_ROWS = "_national_rows"
_SUBMISSION_ROWS = "_submission_rows"


def _split_by_council(tables: dict) -> dict:
    """Table name -> ``council -> rows``: the rows :func:`_only` keeps for that council's submissions
    (same rows, order, values and dtypes), worked out once for every council instead of filtered once
    per council: where each council's rows are in a table keyed by ``submission_id``
    (:class:`_InCouncilOrder`), and each ``partner_pairs`` row's submissions grouped by council."""
    subs = tables["submissions"]
    council_of = _CouncilOf(dict(zip(subs["submission_id"].tolist(), subs["council"].tolist())))
    out = {}
    for name, df in tables.items():
        if name in RUN_TABLES:
            continue
        if "submission_id" in df.columns:
            out[name] = _InCouncilOrder(df, *council_of.codes(df["submission_id"].to_numpy(dtype=object)))
        elif "submission_ids" in df.columns:
            out[name] = _pairs_by_council(df, council_of)
    return out


class _CouncilOf:
    """Submission id -> council (``mapping``: the last row of an id, as a dict of the rows keeps it), for whole
    arrays of ids at once: :meth:`codes` matches them by one hash lookup in C (``Index.get_indexer`` against
    the submissions' ids, each once) instead of a dict lookup a row."""

    def __init__(self, mapping: dict):
        keys = list(mapping)
        self.index = pd.Index(keys, dtype=object)
        self.of, names = pd.factorize(pd.Series([mapping[k] for k in keys], dtype=object))
        self.names = names.tolist()

    def codes(self, ids: np.ndarray) -> tuple[np.ndarray, list]:
        """``(codes, names)``: the council of each of ``ids``, as ``pd.factorize`` of
        ``[mapping.get(i) for i in ids]`` gives it up to the numbering (``-1``: an id not in ``mapping``)."""
        at = self.index.get_indexer(pd.Index(ids, dtype=object))
        mine = np.where(at >= 0, self.of[at], -1) if len(self.of) else np.full(len(at), -1, dtype=np.intp)
        return mine, self.names


class _InCouncilOrder:
    """``council -> rows`` of a table whose row ``i`` belongs to ``councils[i]`` (``None``: to none; or, with
    ``names``, to ``names[councils[i]]``, ``-1``: to none): the positions of each council's rows (in table
    order) are found once for every council, by one stable sort of the rows' councils; the table itself is
    not copied (a council's rows are taken when asked). ``positions(council)``: where its rows are in the
    table."""

    def __init__(self, df: pd.DataFrame, councils: list | np.ndarray, names: list | None = None):
        if names is None:
            codes, names = pd.factorize(pd.Series(councils, dtype=object))
            names = names.tolist()
        else:  # ``councils`` given as codes into ``names`` (-1: to none)
            codes = np.asarray(councils)
        self.df = df
        self.order = np.argsort(codes, kind="stable")
        done = codes[self.order]
        self.at = {c: (int(np.searchsorted(done, k, "left")), int(np.searchsorted(done, k, "right")))
                   for k, c in enumerate(names)}

    def positions(self, council: str) -> np.ndarray:
        a, b = self.at.get(council, (0, 0))
        return self.order[a:b]

    def __call__(self, council: str) -> pd.DataFrame:
        return self.df.iloc[self.positions(council)].reset_index(drop=True)


def _pairs_by_council(df: pd.DataFrame, council_of: _CouncilOf):
    """``council -> rows`` of ``partner_pairs`` as :func:`_only` keeps them: each pair's submissions of
    that council (in order), the pairs with none left out. Every pair's submissions are laid end to end
    once, with their council's code, so a council's are picked out by one comparison."""
    lists = df["submission_ids"].tolist()
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    ids = np.empty(int(lengths.sum()), dtype=object)
    ids[:] = [x for cell in lists for x in cell]
    codes, names = council_of.codes(ids)
    row_of = np.repeat(np.arange(len(lists)), lengths)
    code_of = {c: k for k, c in enumerate(names)}

    def rows(council: str) -> pd.DataFrame:
        at = np.flatnonzero(codes == code_of.get(council, -2))
        ends = np.cumsum(np.bincount(row_of[at], minlength=len(lists)))[:-1] if len(lists) else []
        ids_of = pd.Series([part.tolist() for part in np.split(ids[at], ends)] if len(lists) else [],
                           index=df.index, dtype=object)
        out = df.assign(submission_ids=ids_of, n=ids_of.map(len))
        return out[out["n"] > 0].reset_index(drop=True)

    return rows


@dataclass
class ReportData:
    """Everything one report shows, already filtered to its council.

    Attributes
    ----------
    council : str
        Canonical council name, or ``""`` for the national summary.
    run_id : str
        Pipeline run id, shown in the provenance section.
    tables : dict of str to pandas.DataFrame
        The processed tables (``submissions``, ``tags``, ...), filtered to the council's
        submissions for a council report. Missing optional tables are empty frames.
    national : pandas.DataFrame
        All submissions with their grade, their assigned priorities and whether each is from
        the fictional sample (for the tile map, which always shows Scotland, a council page's
        comparison with Scotland and similar councils, and the fictional-data banner).
    missing : set of str
        Names of the optional tables that were not found.
    meta : dict
        Contents of ``tagging_meta.json``, ``evidence_meta.json`` (and ``ingest_meta.json``)
        keyed by file name, when present.
    generated : str
        UTC time the data was loaded, ISO format.
    council_pages : bool
        Whether the report is published with one page per council (``councils/<slug>.html``
        beside the summary), so the summary may link to them and they to it.
    outcome_data : str
        Outcome data file for the outcome-indicator section; "" for the packaged CPOP data.
    derived : dict
        Tables already computed from these data (see :mod:`.tables`); filled as sections ask.
    """

    council: str
    run_id: str
    processed_dir: Path
    tables: dict
    national: pd.DataFrame
    missing: set = field(default_factory=set)
    meta: dict = field(default_factory=dict)
    generated: str = ""
    council_pages: bool = False
    outcome_data: str = ""
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def scope(self) -> str:
        """``"Scotland"`` or the council name."""
        return self.council or "Scotland"

    def councils(self) -> list[str]:
        """The councils with at least one submission in these data, sorted."""
        return councils_in(self["submissions"])

    def council_rows(self) -> dict:
        """Table name -> ``council -> rows`` (the rows :meth:`for_council` gives), worked out once for these
        data; an entry with ``positions(council)`` gives the rows of the table at those positions."""
        split = self.derived.get(_BY_COUNCIL)
        if split is None:  # one pass per table for every council (the council pages narrow the same data)
            split = self.derived[_BY_COUNCIL] = _split_by_council(self.tables)
        return split

    def for_council(self, council: str, *, lazy: bool = False) -> ReportData:
        """These data narrowed to one council's submissions (the tile map still shows Scotland).

        Parameters
        ----------
        council : str
            Council name (any case) or GSS code.
        lazy : bool
            Narrow each table only when it is first read (:class:`LazyTables`): the same tables, for a
            page that reads a few of them (a council page whose other sections are kept from the last
            run: :mod:`.councils`).

        Raises
        ------
        ConfigError
            If ``council`` is not one of Scotland's 32 councils nor a council in the data.
        """
        subs = self.tables["submissions"]
        canonical = _canonical_council(council, self.councils())
        split = self.council_rows()
        keep: list[set] = []  # the council's submission ids, found when a table needs them

        def narrow(name: str, df: pd.DataFrame) -> pd.DataFrame:
            if name in split:
                return split[name](canonical)
            if name in RUN_TABLES:  # about the run: kept whole (_only), without finding the council's ids
                return df
            if not keep:
                keep.append(set(subs.loc[subs["council"] == canonical, "submission_id"]))
            return _only(name, df, keep[0])

        makers = {name: functools.partial(narrow, name, df) for name, df in self.tables.items()}
        tables = LazyTables(makers) if lazy else {name: make() for name, make in makers.items()}
        derived = {}
        if "submissions" in split:
            at = split["submissions"].positions(canonical)
            derived[_SUBMISSION_ROWS] = (subs, at)  # a column of its submissions without narrowing the whole table
            if self._national_aligned():
                # where the council's rows are in the national frame: those of its submissions, in the same order
                # (the headline figures of a page whose other sections are kept read them there: .tables.headline)
                derived[NATIONAL_ROWS] = at
        return dataclasses.replace(self, council=canonical, tables=tables, derived=derived)

    def _national_aligned(self) -> bool:
        """Whether :attr:`national` has one row per row of the submissions table, the same submissions in the same
        order (as :func:`load_report_data` makes it), worked out once for these data."""
        aligned = self.derived.get(_ALIGNED)
        if aligned is None:
            subs, nat = self.tables["submissions"], self.national
            aligned = self.derived[_ALIGNED] = bool(
                len(subs) == len(nat) and {"submission_id", "council", "grade", "priorities"} <= set(nat.columns)
                and subs["submission_id"].tolist() == nat["submission_id"].tolist())
        return aligned


def submissions_column(data: ReportData, column: str) -> pd.Series:
    """``data["submissions"][column]`` (its values in order, on a fresh index): on a council's data made by
    :meth:`ReportData.for_council`, taken from the whole submissions table at the council's rows, so that a page
    whose other sections are kept from the last run does not narrow every column of the table (its texts among
    them) for one (:class:`LazyTables`)."""
    got = data.derived.get(_SUBMISSION_ROWS)
    if got is None or (isinstance(data.tables, LazyTables) and "submissions" in data.tables.made()):
        return data["submissions"][column]
    subs, at = got
    return subs[column].iloc[at].reset_index(drop=True)


class LazyTables(Mapping):
    """Table name -> table, each made by its function when first read (then kept): a
    :attr:`ReportData.tables` whose tables a page may never read.

    Example
    -------
    >>> made = []
    >>> t = LazyTables({"a": lambda: made.append("a") or 1, "b": lambda: made.append("b") or 2})
    >>> list(t), t["b"], t["b"], made
    (['a', 'b'], 2, 2, ['b'])
    """

    def __init__(self, makers: dict):
        self._makers = dict(makers)
        self._made: dict = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._made:
            self._made[name] = self._makers[name]()
        return self._made[name]

    def __iter__(self):
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)

    def made(self) -> list[str]:
        """The names of the tables made so far, in the order they were first read."""
        return list(self._made)


def councils_in(submissions: pd.DataFrame) -> list[str]:
    """The distinct non-empty council names of a submissions table, sorted."""
    # over the distinct values (a pass in C), not every row: the council pages narrow the data to each council
    return sorted({str(c) for c in pd.unique(submissions["council"].dropna()) if str(c).strip()})


@gc_paused()  # hundreds of thousands of small objects are made; the collector's full passes over them cost more
def load_report_data(processed_dir: str | os.PathLike, council: str = "", run_id: str = "",
                     outcome_data: str = "", *, council_pages: bool = False, carry: bool = False,
                     full: bool = False) -> ReportData:
    """Read the processed tables a report needs.

    The tables a stage kept in Arrow (the submissions, tags and partners: :data:`soa_analysis.partition.KEPT_BY`)
    are taken from the kept tables their Parquet files were written from, memory-mapped, when the files are the
    ones written from them (:func:`soa_analysis.partition.read_kept_or_file`: the same frames; decoding the
    submissions' text from Parquet was about 0.5 s of the report's load at 10,000 submissions), else from the files.

    Parameters
    ----------
    processed_dir : path-like
        The processed folder written by the ingest, tag and evidence stages.
    council : str
        Council name (or GSS code) for a council report; ``""`` for the national summary.
    run_id : str
        Pipeline run id, carried to the provenance section.
    outcome_data : str
        Outcome data file (a CPOP download) for the outcome-indicator section; "" for the
        packaged CPOP data.
    council_pages : bool
        The report is published with one page per council beside it (links between them).
    carry : bool
        Keep per-submission work (cards, indicator mentions) in the processed folder's cache for
        the next run and take the last run's where its inputs are unchanged (:mod:`.carry`), when a
        pipeline keeps caches there; the national report only.
    full : bool
        With ``carry``: take nothing from the last run (still keep this run's).

    Returns
    -------
    ReportData

    Raises
    ------
    InputError
        If the folder or its ``submissions`` table is missing.
    ConfigError
        If ``council`` is not one of Scotland's 32 councils nor a council in the data.
    SchemaError
        If a table present breaks its contract.
    """
    pdir = Path(processed_dir)
    if not pdir.is_dir():
        raise InputError(f"processed folder {pdir} not found: run the ingest, tag and evidence stages first")
    tables: dict[str, pd.DataFrame] = {}
    missing: set[str] = set()
    for name in REPORT_TABLES:
        assert not TABLES[name].restricted
        try:
            # the two largest tables: only the columns and rows the cards can quote (.quotes)
            if name == "tag_evidence":
                tables[name] = _one_chunk(read_quoted_tag_rows(pdir))
                continue
            columns, filters = QUOTED_READS.get(name, (NARROW.get(name), None))
            if filters is None and name in KEPT_BY:  # the kept Arrow table its file was written from, when it is
                tables[name] = _one_chunk(read_kept_or_file(pdir, name, columns, read=read_table))
                continue
            tables[name] = _one_chunk(read_table(pdir, name, columns=columns, filters=filters))
        except InputError:
            if name == "submissions":
                raise
            missing.add(name)
            tables[name] = _empty(name)
    subs = tables["submissions"]
    subs = subs.assign(council=subs["council"].fillna("").astype(str))
    tables["submissions"] = subs
    grades = (tables["evidence"].set_index("submission_id")["grade"] if len(tables["evidence"])
              else pd.Series(dtype=object))
    # the two largest tables, kept to the rows and columns the cards quote (their only reader; tag_evidence's
    # were chosen as it was read)
    tables["evidence_sentences"] = quoted_grade_rows(tables["evidence_sentences"], grades.to_dict())
    national = subs[["submission_id", "council", "council_code", "date"]].copy()
    national["grade"] = national["submission_id"].map(grades).astype(object).fillna("")
    national["fictional"] = (subs["fictional"].fillna(False).astype(bool) if "fictional" in subs.columns
                             else False)
    tags = tables["tags"]
    on = tags[(tags["taxonomy"] == PRIORITY_TAXONOMY) & tags["assigned"].astype(bool)] if len(tags) else tags
    national["priorities"] = priorities_of(national["submission_id"], on)

    meta = {}
    for fname in META_FILES:
        path = pdir / fname
        if path.exists():
            try:
                meta[fname] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                meta[fname] = {"error": f"could not be read: {exc}"}
    data = ReportData(
        council="",
        run_id=run_id,
        processed_dir=pdir,
        tables=tables,
        national=national,
        missing=missing,
        meta=meta,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        council_pages=council_pages,
        outcome_data=str(outcome_data or ""),
    )
    if council.strip():
        return data.for_council(council)
    if carry:
        from .carry import open_carry

        data.derived["carry"] = open_carry(pdir, full=full)
    return data


def read_quoted_tag_rows(processed_dir: str | os.PathLike) -> pd.DataFrame:
    """``quoted_tag_rows(read_table(processed_dir, "tag_evidence", columns=..., filters=...))`` (the columns and
    filters of :data:`.quotes.QUOTED_READS`): the same frame, with its rows chosen in Arrow before any is turned
    into a frame.

    The priorities' assigned rows of ``tag_evidence`` are most of the table and a card quotes about one in
    six of them (:func:`.quotes.quoted_tag_rows`); turning them all into a frame (their sentences as text,
    their phrases and token spans as numpy arrays) and then keeping a sixth cost a re-run about half a second
    at 10,000 submissions. Here the rows are chosen from the four columns that decide them
    (:func:`.quotes.quoted_tag_positions`), taken from the Arrow table, and only they are converted (as
    ``pandas.read_parquet`` converts a table) and checked against the contract
    (:func:`soa_analysis.schema.validate`, as ``read_table`` checks what it reads). The Arrow table is the tag
    stage's kept one when the file was written from it (memory-mapped: :func:`soa_analysis.partition.read_kept_arrow`;
    decoding the 10 MB file at 10,000 submissions took about half a second), its rows taken chunk by chunk
    (:func:`soa_analysis.partition.take_rows`); else the file's. A table that is not Parquet is read and kept to
    those rows as before.

    Raises
    ------
    InputError
        If the table's file does not exist.
    SchemaError
        If the rows read break the table's contract.
    """
    name = "tag_evidence"
    columns, filters = QUOTED_READS[name]
    path = Path(processed_dir) / TABLES[name].filename
    if path.suffix != ".parquet" or not path.exists():
        return quoted_tag_rows(read_table(processed_dir, name, columns=columns, filters=filters))
    import pyarrow.parquet as pq

    present, cols, flt = parquet_selection(path, columns, filters)
    table = read_kept_arrow(processed_dir, name, cols)
    if table is None:
        table = pq.read_table(path, columns=cols, filters=flt, use_pandas_metadata=True)
    deciding = [c for c in ("submission_id", "taxonomy", "priority", "assigned") if c in table.column_names]
    at = quoted_tag_positions(table.select(deciding).to_pandas()) if table.num_rows else np.arange(0)
    df = take_rows(table, at).to_pandas()
    validate(df, name, present=present)
    return df[[c for c in TAG_COLUMNS if c in df.columns]]


def _one_chunk(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each Arrow-backed column held as one chunk (same values, dtypes and array types).

    A Parquet file read in several row groups gives columns of several chunks, and every take or filter of
    such a column joins its chunks first: the council pages narrow the same tables to each council (a take
    a column and council) and the council keys turn every column into one Arrow array. Joined once here,
    each of those takes works on one array (about ten times faster on ``tags``).

    Example
    -------
    >>> import pyarrow as pa
    >>> two = pd.array(pa.chunked_array([["a", "b"], ["c"]]), dtype=pd.StringDtype("pyarrow", na_value=float("nan")))
    >>> df = pd.DataFrame({"x": two, "n": [1, 2, 3]})
    >>> out = _one_chunk(df)
    >>> out["x"].array._pa_array.num_chunks, out["x"].dtype == df["x"].dtype, out.equals(df)
    (1, True, True)
    """
    joined = {}
    for c in df.columns:
        arr = df[c].array
        chunks = getattr(arr, "_pa_array", None)
        if isinstance(chunks, pa.ChunkedArray) and chunks.num_chunks > 1:
            joined[c] = pd.array(pa.chunked_array([chunks.combine_chunks()], type=chunks.type), dtype=arr.dtype)
    if not joined:
        return df
    out = df.copy(deep=False)
    for c, arr in joined.items():
        out[c] = pd.Series(arr, index=df.index, name=c)
    return out


def priorities_of(ids: pd.Series, assigned: pd.DataFrame) -> pd.Series:
    """Each submission's assigned priorities, sorted, as a tuple (``()`` for none), by ``ids``: one pass over
    the rows of ``assigned`` (tags rows with ``submission_id`` and ``priority``), not a group each.

    Example
    -------
    >>> on = pd.DataFrame({"submission_id": ["a", "b", "a", "a"], "priority": ["q", "p", "p", "q"]})
    >>> priorities_of(pd.Series(["a", "c", "b"]), on).tolist()
    [('p', 'q'), (), ('p',)]
    """
    listed: dict = {}
    for sid, priority in zip(assigned["submission_id"].tolist(), assigned["priority"].tolist()):
        listed.setdefault(sid, set()).add(priority)
    done = {sid: tuple(sorted(ps)) for sid, ps in listed.items() if not pd.isna(sid)}  # groupby drops no id
    return pd.Series([done.get(i, ()) for i in ids.tolist()], index=ids.index, dtype=object)


def notebooks_dir() -> Path:
    """The folder the report notebook lives in (``<repo>/notebooks``), else the current folder."""
    here = Path(__file__).resolve().parents[2] / "notebooks"
    return here if here.is_dir() else Path.cwd()


def resolve_path(path: str | os.PathLike, base: str | os.PathLike | None = None) -> Path:
    """Resolve a notebook parameter path: absolute as given, relative against the notebooks folder.

    So ``"../data/processed"`` means ``<repo>/data/processed`` whether the notebook runs in
    JupyterLab (whose working folder is ``notebooks/``) or under papermill from elsewhere.
    """
    p = Path(path).expanduser()
    return p if p.is_absolute() else (Path(base) if base else notebooks_dir()).joinpath(p).resolve()
