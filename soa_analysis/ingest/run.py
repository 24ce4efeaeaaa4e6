"""The ingest stage: every file under the raw folder -> the processed ingest tables.

Each file is read (:func:`~soa_analysis.ingest.readers.read_bytes`), each of its Documents
structured (:func:`~soa_analysis.ingest.structure.build_record`), and every file accounted
for by exactly one row of ``ingest_log``: ingested, duplicate (same content as a file kept
instead) or quarantined (with the reason: see :mod:`.files` for what is never read, such as
symbolic links). Files are processed in parallel, results are put back in sorted path order,
so a re-run on the same inputs gives identical tables (apart from the ``seconds`` each file
took). Raw files are opened read-only and never modified.

Ids and duplicates: a Document's content key is the SHA-256 of the words of its structured
narrative (case folded; template headings, punctuation and contact details left out); its
``submission_id`` is ``"s-" + key[:10] + "-" + <index of the Document in its file>``. Files
are compared in keep order (:func:`.files.keep_order`: modified first, then not named as a
copy, then name order); a file whose every Document has the key of a file before it is a
``duplicate`` (reason "same content as <kept source_file> (<why that one was kept>)",
submission_id the kept id(s)); repeated Documents inside one file are dropped with a
warning. An e-mail body that only covers its attachments (no template, at most
``COVER_NOTE_MAX_WORDS`` words) is not a submission: the file's log row says so. A Document
with fewer than ``MIN_NARRATIVE_WORDS`` words is no narrative (a junk file, a form row with
only a date): it is dropped with a warning, and a file of nothing else is quarantined.

Each file's log row also records the seconds it took, the characters of narrative it gave
(``chars_kept``) and what was cut by the per-submission limit (``cut``; see :mod:`.cap`).
"""

from __future__ import annotations

import errno
import os
import re
import signal
import sys
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..datafiles import sha256_hex
from ..errors import QuarantineError
from ..fictional import is_fictional
from ..procs import gc_paused, worker_pool
from ..schema import SECTION_COLUMNS, TABLES
from . import readers_office, readers_pdf, readers_web, structure  # noqa: F401 - see the note below
from .files import RawEntry, display_name, keep_order, kept_because, list_raw_files, read_raw_file, scan_raw_folder
from .readers import Limits, read_bytes

__all__ = ["IngestResult", "FileCache", "ingest", "run_ingest", "list_raw_files", "content_key", "SUBMISSION_COLUMNS",
           "MIN_NARRATIVE_WORDS"]

# The structure step and the readers' libraries are imported with this module (seconds: nltk's
# stemmer among them), not when the first file is read: a pipeline run starts the ingest stage's
# kernel ahead and imports this module there while it prepares the run; forked workers inherit them.

LOG_COLUMNS = ["source_file", "sha256", "status", "reason", "submission_id", "format", "bytes", "n_submissions",
               "warnings", "seconds", "chars_kept", "cut"]
SUBMISSION_COLUMNS = ["submission_id", "source_file", "submission_type", "council", "council_code",
                      *SECTION_COLUMNS, "checklist", "outcomes_cited", "text", "format", "council_source", "date",
                      "year", "warnings", "part", "raw_file", "fictional"]
CONTACT_COLUMNS = ["submission_id", "raw", "name", "job_title", "organisation", "email", "phone", "found_in"]
PARTNER_COLUMNS = ["submission_id", "name", "partner_type", "canonical"]


@dataclass
class IngestResult:
    """The four tables the ingest stage produces.

    Attributes
    ----------
    submissions : pandas.DataFrame
        One row per submission (contract ``submissions``; extra columns ``part``, ``raw_file``).
    ingest_log : pandas.DataFrame
        One row per raw file (contract ``ingest_log``; extra columns ``format``, ``bytes``,
        ``n_submissions``, ``warnings``).
    contacts : pandas.DataFrame
        Lead officers' contact details (restricted).
    partners : pandas.DataFrame
        One row per partner organisation named by a submission.
    row_digests : list of str, optional
        :func:`soa_analysis.partition.row_digests` of ``submissions`` (when ingested with a
        :class:`FileCache`): a reused file's rows' digests are the last run's.
    arrow : dict, optional
        ``submissions``, ``contacts`` and ``partners`` in Arrow (when ingested with a :class:`FileCache`):
        what :func:`run_ingest` writes and keeps for the next run.
    """

    submissions: pd.DataFrame
    ingest_log: pd.DataFrame
    contacts: pd.DataFrame
    partners: pd.DataFrame
    row_digests: list[str] | None = None
    arrow: dict | None = field(default=None, repr=False)
    codes: dict | None = field(default=None, repr=False)  # each Arrow row's file (its position in path order)
    dtypes: dict | None = field(default=None, repr=False)  # the frames' dtypes
    checked: dict | None = field(default=None, repr=False)  # the rows made this run (the others were checked before)
    ids: list | None = field(default=None, repr=False)  # each file's submission ids, in path order
    layouts: dict | None = field(default=None, repr=False)  # the spliced tables' pieces (partition._splice)


_WORD = re.compile(r"[^\W_]+")
_NARRATIVE_WORD = re.compile(r"[^\W\d_]{2,}")
COVER_NOTE_MAX_WORDS = 80
MIN_NARRATIVE_WORDS = 3  # fewer words than this (of two letters or more) is no narrative at all


def content_key(text: str) -> str:
    """SHA-256 (hex) of the text's words, case folded: the duplicate key.

    Only the sequence of words and numbers counts, so the same submission typed into
    another format (other white space, bullets, punctuation, quotes) has the same key.
    The text given is the structured narrative, without template headings (whose
    numbering differs between formats) or contact details.

    Example
    -------
    >>> content_key("A  b\\n• C.") == content_key("a b c")
    True
    """
    return sha256_hex(" ".join(_WORD.findall(text.casefold())))


def _body(rec) -> str:
    """The narrative without its opening title line: a resubmission may be titled from the
    document's properties in one format and from its first line in another."""
    title = rec.sections.get("title", "")
    return rec.text[len(title):] if title and rec.text.startswith(title) else rec.text


def _is_cover_note(doc, rec, docs) -> bool:
    """An e-mail body that only covers its attachments ("please find attached ...")."""
    has_attachment = any(d.meta.get("attachment") for d in docs)
    return (has_attachment and not doc.meta.get("attachment") and rec.submission_type == "unstructured"
            and len(_WORD.findall(rec.text)) <= COVER_NOTE_MAX_WORDS)


class _Timeout(QuarantineError):
    pass


@contextmanager
def _alarm(seconds: float):
    """Hard time limit (SIGALRM) when running in a main thread on POSIX; otherwise no-op."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return

    def handler(signum, frame):
        raise _Timeout(f"time budget of {seconds:g} s exceeded; the file is too large or too complex "
                       "(raise Limits.time_budget_s or split it)")

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _new_result(entry: RawEntry) -> dict:
    return {"rel": entry.rel, "mtime": entry.mtime, "sha256": "", "bytes": 0, "format": "", "status": "quarantined",
            "reason": "", "warnings": [], "docs": [], "seconds": 0.0, "cut": []}


def _records(data: bytes, path: Path, rel: str, limits: Limits, res: dict) -> list[dict]:
    """Read and structure one file's bytes: one dict per Document kept (raises QuarantineError)."""
    from .structure import build_record

    docs = read_bytes(data, name=path.name, limits=limits)
    res["format"] = "eml" if any(d.meta.get("attachment") for d in docs) else docs[0].meta.get("format", "")
    res["warnings"] = list(dict.fromkeys(w for d in docs for w in d.warnings))
    res["cut"] = list(dict.fromkeys(d.meta["cut"] for d in docs if d.meta.get("cut")))
    out, thin = [], []
    for i, doc in enumerate(docs):
        source = f"{rel}!{doc.meta['attachment']}" if doc.meta.get("attachment") else rel
        try:
            rec = build_record(doc, source_file=source)
        except QuarantineError:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad document never stops the batch
            raise QuarantineError(f"structure error: {type(exc).__name__}: {str(exc)[:200]}") from None
        if _is_cover_note(doc, rec, docs):
            n = len(_WORD.findall(rec.text))
            res["warnings"].append(f"e-mail body is a cover note ({n} words) for its attachments; "
                                   "not ingested as a submission")
            continue
        words = len(_NARRATIVE_WORD.findall(rec.text))
        if words < MIN_NARRATIVE_WORDS:
            thin.append((doc.meta.get("part") or "the text", words))
            continue
        out.append({"index": i, "key": content_key(_body(rec) or doc.text), "source_file": source,
                    "format": doc.meta.get("format", ""), "part": str(doc.meta.get("part", "")), "record": rec,
                    "fictional": is_fictional(doc.text) or is_fictional(rec.text)})
    if thin and not out and not any("cover note" in w for w in res["warnings"]):
        n = max(w for _, w in thin)
        raise QuarantineError(f"no narrative text: {n} word(s) found (at least {MIN_NARRATIVE_WORDS} needed); "
                              "nothing to tag or grade")
    for part, n in thin:
        res["warnings"].append(f"{part}: no narrative text ({n} word(s)); not ingested")
    return out


def _process_file(root: str, entry: RawEntry, limits: Limits) -> dict:
    """Read and structure one file (runs in a worker process). Never raises."""
    t0 = time.perf_counter()
    res = _new_result(entry)
    path = Path(root) / entry.rel
    try:
        if not entry.regular:  # a link is never read through; opening a FIFO would block
            res["reason"] = entry.skip or "not a regular file"
            return res
        try:
            data, res["sha256"], res["bytes"] = read_raw_file(path, limits.max_file_bytes, entry.digest)
        except OSError as exc:
            res["reason"] = (f"cannot read file: {exc.strerror or exc}" if exc.errno != errno.ELOOP
                             else "became a symbolic link while being read (not followed)")
            return res
        if entry.skip:
            res["reason"] = entry.skip
            return res
        if data is None:
            res["reason"] = f"file too large: {res['bytes']:,} bytes (limit {limits.max_file_bytes:,})"
            return res
        with _alarm(limits.time_budget_s * 1.5):
            res["docs"] = _records(data, path, entry.rel, limits, res)
        res["status"] = "ingested"
    except QuarantineError as exc:
        res["status"], res["reason"], res["docs"] = "quarantined", str(exc), []
        if not res["format"] and res["bytes"] and not entry.skip:
            res["format"] = _format_of(path, limits)
    except Exception as exc:  # noqa: BLE001
        res["status"], res["docs"] = "quarantined", []
        res["reason"] = f"reader error: {type(exc).__name__}: {str(exc)[:200]}"
    finally:
        res["seconds"] = time.perf_counter() - t0
    return res


FILES_PER_TASK = 8  # files a worker reads in one task of the process pool


def _process_files(root: str, entries: list[RawEntry], limits: Limits) -> list[dict]:
    """:func:`_process_file` for each of ``entries`` (one task of the process pool)."""
    return [_process_file(root, entry, limits) for entry in entries]


def _format_of(path: Path, limits: Limits) -> str:
    """The format a quarantined file's content was typed as, '' if it could not be typed."""
    from .readers import detect_format

    try:
        data = read_raw_file(path, limits.max_file_bytes)[0]
        return detect_format(data, path.name)[0] if data is not None else ""
    except Exception:  # noqa: BLE001 - includes QuarantineError: no format then
        return ""


def _crashed(entry: RawEntry, sha: str = "", n: int = 0) -> dict:
    return {**_new_result(entry), "sha256": sha, "bytes": n,
            "reason": "reader error: the worker process reading this file crashed (BrokenProcessPool)"}


def _warm_up(limits: Limits) -> None:
    """Run the structure step once on a tiny document so lazily loaded data is loaded before forking."""
    from .document import Block, Document
    from .structure import build_record

    try:
        build_record(Document([Block("para", "Warm-up.")], {"format": "txt"}), source_file="warm-up.txt")
    except Exception:  # noqa: BLE001 - only an optimisation
        pass


def _bar(total: int, progress: bool):
    from tqdm import tqdm

    return tqdm(total=total, file=sys.stderr, disable=not progress, desc="ingest", unit="file")


def _run_files(root: str, entries: list[RawEntry], limits: Limits, workers: int, progress: bool) -> list[dict]:
    if workers <= 1 or len(entries) <= 1:
        results = []
        with _bar(len(entries), progress) as bar:
            for entry in entries:
                results.append(_process_file(root, entry, limits))
                bar.update(1)
        return results
    # The structure step's reference data loaded once here (its modules and the readers' libraries
    # came with this module), so that forked workers inherit them instead of each paying the cost.
    _warm_up(limits)
    results: list[dict | None] = [None] * len(entries)
    retry: list[int] = []
    n_workers = min(workers, len(entries))
    # a few files a task (not one): fewer round trips between this process and the workers, while
    # the last tasks still finish close together
    size = max(1, min(FILES_PER_TASK, len(entries) // (8 * n_workers)))
    starts = range(0, len(entries), size)
    with worker_pool(n_workers) as pool:
        futures = [pool.submit(_process_files, root, entries[i:i + size], limits) for i in starts]
        # the bar (and its monitor thread) only once the workers have been started
        with _bar(len(entries), progress) as bar:
            for i, fut in zip(starts, futures):
                n = min(size, len(entries) - i)
                try:
                    results[i:i + n] = fut.result()
                except BrokenProcessPool:
                    retry.extend(range(i, i + n))
                bar.update(n)
    for i in retry:  # one file at a time, in a pool of its own, to find the one that crashes
        entry = entries[i]
        try:
            with worker_pool(1) as solo:
                results[i] = solo.submit(_process_file, root, entry, limits).result()
        except BrokenProcessPool:
            try:
                _, sha, n = read_raw_file(Path(root) / entry.rel, -1, entry.digest) if entry.regular else (None, "", 0)
            except OSError:
                sha, n = "", 0
            results[i] = _crashed(entry, sha, n)
    return [r for r in results if r is not None]


def _chars(d: dict) -> int:
    """The characters of narrative a Document gave (a kept summary's Document holds the count, not the record)."""
    return len(d["record"].text) if "record" in d else d["chars"]


def _file_plan(me: int, results: list[dict], seen: dict, used_ids: set) -> tuple[dict, list[tuple[dict, str]]]:
    """File ``results[me]``'s log row and its Documents that are submissions, each with its submission id;
    ``seen`` maps content keys already taken to (submission_id, source_file, index of the file in ``results``).
    Only the Documents' keys, indices, parts, sources and lengths are read: a result kept from the last run as a
    summary (:class:`FileCache`) is planned as a result read now."""
    res = results[me]
    assigned: list[tuple[dict, str]] = []
    dup_of: list[tuple[str, str, int]] = []
    warnings = list(res["warnings"])
    file_keys: dict[str, str] = {}
    chars = 0
    for d in res["docs"]:
        key = d["key"]
        if key in seen:
            dup_of.append(seen[key])
            continue
        if key in file_keys:
            warnings.append(f"{d['part'] or 'part ' + str(d['index'])}: same content as {file_keys[key]}; not repeated")
            continue
        n_hex = 10
        sid = f"s-{key[:n_hex]}-{d['index']}"
        while sid in used_ids:  # a 40-bit prefix collision: lengthen deterministically
            n_hex += 2
            sid = f"s-{key[:n_hex]}-{d['index']}"
        used_ids.add(sid)
        file_keys[key] = d["part"] or display_name(d["source_file"])
        seen[key] = (sid, display_name(d["source_file"]), me)
        assigned.append((d, sid))
        chars += _chars(d)
    new_ids = [sid for _, sid in assigned]
    status, reason = res["status"], res["reason"]
    if status == "ingested" and not new_ids and dup_of:
        status = "duplicate"
        earlier = {}
        for _, src, j in dup_of:
            kept = results[j]
            earlier.setdefault(src, kept_because((kept["rel"], kept["mtime"]), (res["rel"], res["mtime"])))
        reason = "same content as " + "; ".join(f"{src} ({why})" if why else src for src, why in earlier.items())
        ids = list(dict.fromkeys(sid for sid, _, _ in dup_of))
    else:
        ids = new_ids
        for sid, src, _ in dup_of:
            warnings.append(f"a part has the same content as {src} ({sid}); not repeated")
    log = {"source_file": display_name(res["rel"]), "sha256": res["sha256"], "status": status, "reason": reason,
           "submission_id": ";".join(ids), "format": res["format"], "bytes": int(res["bytes"]),
           "n_submissions": len(new_ids), "warnings": "; ".join(warnings), "seconds": round(res["seconds"], 3),
           "chars_kept": chars, "cut": "; ".join(res["cut"])}
    return log, assigned


def _doc_rows(res: dict, assigned: list[tuple[dict, str]]) -> tuple[list, list, list]:
    """The submission, contact and partner rows of a file's Documents ``assigned`` their ids (:func:`_file_plan`;
    Documents with their records): a row is made from its file's result and its id alone."""
    subs, contacts, partners = [], [], []
    for d, sid in assigned:
        rec = d["record"]
        row = {"submission_id": sid, "source_file": display_name(d["source_file"]),
               "submission_type": rec.submission_type, "council": rec.council, "council_code": rec.council_code}
        row.update({s: rec.sections.get(s, "") or "" for s in SECTION_COLUMNS})
        row.update({"checklist": list(rec.checklist), "outcomes_cited": list(rec.outcomes_cited),
                    "text": rec.text, "format": d["format"], "council_source": rec.council_source,
                    "date": rec.date or "", "year": rec.year, "warnings": list(rec.warnings),
                    "part": d["part"], "raw_file": display_name(res["rel"]),
                    "fictional": bool(d["fictional"])})
        subs.append(row)
        for c in rec.contacts:
            contacts.append({"submission_id": sid, **{k: str(c.get(k) or "") for k in CONTACT_COLUMNS[1:]}})
        for p in rec.partners:
            partners.append({"submission_id": sid, **{k: str(p.get(k) or "") for k in PARTNER_COLUMNS[1:]}})
    return subs, contacts, partners


_TEXT = pd.StringDtype("pyarrow", na_value=float("nan"))  # what pandas infers for a column of strings


def _frame_of(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """``pd.DataFrame(rows, columns=columns)``, the same frame and dtypes, built a column at a time: a
    column whose every value is a string is made text by Arrow in one call (pandas' inference turns such a
    column into the same text dtype a string at a time, most of the cost of assembling the tables), the
    others are inferred by pandas as before.

    Example
    -------
    >>> rows = [{"a": "x", "b": ["1"], "c": True}, {"a": "y", "b": [], "c": False}]
    >>> _frame_of(rows, ["a", "b", "c"]).equals(pd.DataFrame(rows, columns=["a", "b", "c"]))
    True
    """
    if not rows:
        return pd.DataFrame(rows, columns=columns)
    import pyarrow as pa

    index = pd.RangeIndex(len(rows))
    data = {}
    for col in columns:
        values = [r[col] for r in rows]
        if all(type(v) is str for v in values):
            arr = _TEXT.__from_arrow__(pa.chunked_array([pa.array(values, type=pa.large_string())]))
            data[col] = pd.Series(arr, index=index, copy=False)
        else:
            data[col] = pd.DataFrame({col: values}, index=index)[col]
    return pd.DataFrame(data, index=index, columns=columns, copy=False)


ROW_TABLES = {"submissions": SUBMISSION_COLUMNS, "contacts": CONTACT_COLUMNS, "partners": PARTNER_COLUMNS}


def _row_frames(rows: dict[str, list]) -> dict[str, pd.DataFrame]:
    """The submission, contact and partner rows as frames of the tables' columns and types."""
    frames = {name: _frame_of(rows[name], columns) for name, columns in ROW_TABLES.items()}
    frames["submissions"]["year"] = frames["submissions"]["year"].astype("Int64")
    return frames


def _log_frame(log_rows: list[dict]) -> pd.DataFrame:
    log = _frame_of(log_rows, LOG_COLUMNS)
    for col in ("bytes", "n_submissions", "chars_kept"):
        log[col] = log[col].astype("int64")
    log["seconds"] = log["seconds"].astype("float64")
    return log


def _plans(results: list[dict]) -> list[tuple[dict, list[tuple[dict, str]]]]:
    """Each file's :func:`_file_plan`, the files visited in keep order (:func:`.files.keep_order`)."""
    seen: dict[str, tuple[str, str, int]] = {}
    used_ids: set[str] = set()
    plans: list = [None] * len(results)
    for i in sorted(range(len(results)), key=lambda i: keep_order(results[i]["rel"], results[i]["mtime"])):
        plans[i] = _file_plan(i, results, seen, used_ids)
    return plans


def _assemble(results: list[dict], kept: "_Kept | None" = None, fetch=None, *, arrow: bool = False) -> IngestResult:
    """Duplicates, ids and tables from per-file results (given in sorted path order).

    Files are visited in keep order (:func:`.files.keep_order`: modified first, then not
    named as a copy, then name order), so that of two files holding the same submission the
    one that order prefers is kept; the tables list files and submissions in path order.

    ``kept`` (:class:`_Kept`, the last run's tables and per-file summaries) lets a file whose result is that
    summary (``light``) and whose Documents were given the ids the last run gave them keep its rows: they are
    taken from the kept tables as they are, in slices, and the rows made now put in between in table order
    (:func:`soa_analysis.partition._splice`). A summarised file whose ids changed (a duplicate that is one no
    longer) has its whole result fetched (``fetch(i)``) and its rows made again. With ``arrow`` (or ``kept``)
    the result also holds the three row tables in Arrow, each row's file and the rows made now.
    """
    from ..partition import _UNIT, _frame_of_arrow, _splice

    while True:  # a summary whose ids changed is replaced by its whole result and the ids worked out again
        plans = _plans(results)
        ids = [[sid for _, sid in plan[1]] for plan in plans]
        spliced = {i: r["unit"] for i, r in enumerate(results)
                   if kept is not None and r.get("light") and ids[i] == kept.files[r["unit"]]["ids"]}
        need = [i for i, r in enumerate(results) if r.get("light") and ids[i] and i not in spliced]
        if not need:
            break
        for i in need:
            results[i] = fetch(i)
    rows: dict[str, list] = {name: [] for name in ROW_TABLES}
    units: dict[str, list] = {name: [] for name in ROW_TABLES}
    for i, (_, assigned) in enumerate(plans):
        if assigned and i not in spliced:
            for name, part in zip(ROW_TABLES, _doc_rows(results[i], assigned)):
                rows[name] += part
                units[name] += [i] * len(part)
    frames = _row_frames(rows)
    codes = {name: np.array(units[name], dtype=np.int64) for name in ROW_TABLES}
    out = IngestResult(submissions=frames["submissions"], ingest_log=_log_frame([plan[0] for plan in plans]),
                       contacts=frames["contacts"], partners=frames["partners"])
    out.ids, out.checked = ids, frames
    if kept is None:
        if arrow:
            out.arrow = {name: pa.Table.from_pandas(df, preserve_index=False) for name, df in frames.items()}
            out.codes, out.dtypes = codes, {name: df.dtypes for name, df in frames.items()}
        return out
    old_to_new = np.full(len(kept.keys), -1, dtype=np.int64)
    out.layouts = {}
    for i, unit in spliced.items():
        old_to_new[unit] = i
    tables = {}
    for name, df in frames.items():
        old = kept.tables[name]
        # no rows made: none of the kept table's types (an empty frame's columns are of objects)
        new = pa.Table.from_pandas(df, preserve_index=False) if len(df) else old.drop_columns([_UNIT]).slice(0, 0)
        out.layouts[name] = {}
        made = _splice(old, old_to_new, new, codes[name], len(results), None, out.layouts[name])
        if made is None:  # (not expected) rows that cannot be spliced: every file's rows made from its whole result
            results[:] = [fetch(i) if r.get("light") else r for i, r in enumerate(results)]  # (the caller's too)
            return _assemble(results, None, fetch, arrow=True)
        tables[name] = made
    out.arrow = {name: table for name, (table, _) in tables.items()}
    out.codes = {name: units for name, (_, units) in tables.items()}
    out.dtypes = kept.dtypes
    frames = {name: _frame_of_arrow(table, kept.dtypes[name]) for name, table in out.arrow.items()}
    out.submissions, out.contacts, out.partners = frames["submissions"], frames["contacts"], frames["partners"]
    return out


def ingest(raw_dir: str | os.PathLike, *, limits: Limits | None = None, workers: int | None = None,
           progress: bool = False, cache: "FileCache | None" = None, engine=None) -> IngestResult:
    """Read and structure every file under ``raw_dir``; return the tables without writing them.

    Parameters
    ----------
    raw_dir : path-like
        Folder of submissions as received (read recursively, read-only).
    limits : Limits, optional
        Reader guards (file size, zip bombs, nesting, rows, pages, time budget).
    workers : int, optional
        Worker processes (default ``os.cpu_count()``); ``1`` runs in this process.
    progress : bool
        Show a tqdm progress bar on stderr.
    cache : FileCache, optional
        Per-file results of the last run (:class:`FileCache`): a file whose path, sha256 and
        fingerprint are cached is not read again. Duplicates and ids are always worked out
        afresh over every file.
    engine : soa_analysis.engine.Engine, optional
        Where the files are read (default: this machine's process pool).

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        ``raw_dir`` does not exist. (A bad file never raises: it is quarantined.)

    Example
    -------
    >>> res = ingest("data/raw", workers=1)  # doctest: +SKIP
    >>> res.ingest_log.status.value_counts()  # doctest: +SKIP
    """
    limits = limits or Limits()
    entries = scan_raw_folder(raw_dir)
    workers = workers or os.cpu_count() or 1
    root = os.path.realpath(raw_dir)
    # the cyclic garbage collector paused while this process reads the cache and assembles the tables
    # (gc_paused), not while the files are read: the readers' workers are forked from here
    with gc_paused():
        hits = cache.lookup(root, entries) if cache is not None else {}
    todo = [e for i, e in enumerate(entries) if i not in hits]
    if engine is not None and todo:
        done = engine.map_files(root, todo, limits)
    else:
        done = _run_files(root, todo, limits, workers, progress)
    it = iter(done)

    def fetch(i: int) -> dict:
        """File ``i``'s whole result: the last run's from the cache's shards, else the file read again."""
        got = cache.whole(i, entries[i])
        if got is None:
            with _gc_running():
                got = _process_file(root, entries[i], limits)
        return got

    with gc_paused():
        results = [hits[i] if i in hits else next(it) for i in range(len(entries))]
        tables = _assemble(results, cache.kept if cache is not None else None, fetch, arrow=cache is not None)
        if cache is not None:
            tables.row_digests = _row_digests(results, tables)
            cache.store(results, reused=set(hits), tables=tables)
        return tables


@contextmanager
def _gc_running():
    """The cyclic garbage collector running (inside :func:`~soa_analysis.procs.gc_paused`): a raw file read
    again here may make objects that hold cycles."""
    import gc

    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was:
            gc.disable()


def _row_digests(results: list[dict], tables: IngestResult) -> list[str]:
    """:func:`soa_analysis.partition.row_digests` of the submissions table, what the tag and evidence stages key
    their units by: a row of a file whose result kept its rows' digests (the last run's, by submission id) takes
    that digest, the others are worked out. A submission's row is made from its file's result and its id alone
    (:func:`_doc_rows`), so the same file and id give the same row. Each result keeps its rows' digests
    (``row_digests``, by id) for the next run."""
    from ..partition import _frame_of_arrow, row_digests, take_rows

    out: list = []
    for res, ids in zip(results, tables.ids):
        kept = res.get("row_digests") or {}
        out += [kept.get(sid) for sid in ids]
    todo = [j for j, d in enumerate(out) if d is None]
    if todo:
        rows = take_rows(tables.arrow["submissions"], todo)
        for j, d in zip(todo, row_digests(_frame_of_arrow(rows, tables.dtypes["submissions"]))):
            out[j] = d
    at = 0
    for res, ids in zip(results, tables.ids):
        res["row_digests"] = dict(zip(ids, out[at:at + len(ids)]))
        at += len(ids)
    return out


@dataclass
class _Kept:
    """The last run's ingest tables in Arrow (each row's file in column ``__unit__``), its files' unit keys (in path
    order), each file's summary (its result without the Documents' records, and its rows' submission ids: ``None``
    for a result that was not cached) and the frames' dtypes (:meth:`FileCache.store`)."""

    keys: list[str]
    tables: dict[str, pa.Table]
    files: list[dict | None]
    dtypes: dict[str, pd.Series]
    source: object = None  # the partition._Source they were read from (where their rows are kept)


KEPT_FILES = "files"  # the name of the kept file of per-file summaries


def _summary(res: dict, ids: list[str]) -> dict:
    """A file's result as kept beside the tables: its Documents' keys, indices, parts, sources and lengths (what
    :func:`_file_plan` reads), not their records; with its rows' submission ids."""
    out = {k: v for k, v in res.items() if k not in ("docs", "light", "unit", "rel", "mtime")}
    out["docs"] = [{"index": d["index"], "key": d["key"], "part": d["part"], "source_file": d["source_file"],
                    "chars": _chars(d)} for d in res["docs"]]
    out["ids"] = list(ids)
    return out


class FileCache:
    """The ingest stage's per-file results of the last run (:mod:`soa_analysis.partition`).

    A file's result is reused when its path under the raw folder, its sha256 and the
    stage's fingerprint (package version, the code and reference data ingest imports, the
    reader limits, whether LibreOffice is installed) are those of a cached result; its
    modification time (which decides which of two duplicates is kept) is always today's.
    Results that may differ on another try (a time budget exceeded, a worker that crashed,
    a file that could not be opened) are never cached.

    Each file's whole result is kept in the cache's shards; the last run's tables are also kept in Arrow
    (``.cache/ingest.tables/``, memory-mapped when read) with a summary of each file's result (its Documents'
    content keys, ids and lengths, not their text). A re-run takes the reused files' summaries from there (no
    shard is read) and their rows from the kept tables as they are (:func:`_assemble`); a file whose whole result
    is needed again (its submissions' ids changed) is read from its shard. Kept tables of another fingerprint,
    changed since (size or modification time) or unreadable are not used: the shards are read as before.
    """

    _TRANSIENT = ("time budget", "worker process", "cannot read file", "became a symbolic link")

    def __init__(self, processed_dir, limits: Limits, *, full: bool = False):
        import dataclasses
        import shutil

        from ..partition import UnitCache, fingerprint

        self.fp = fingerprint("ingest", "soa_analysis.ingest.run", {
            "limits": dataclasses.asdict(limits),
            "libreoffice": bool(shutil.which("soffice") or shutil.which("libreoffice"))})
        self.processed_dir = processed_dir
        self.cache = UnitCache(processed_dir, "ingest", full=full)
        self.full = full
        self._keys: dict[int, str] = {}
        self.kept: _Kept | None = None
        self.reuse = None
        self.kept_token: str | None = None  # the kept tables' index this run (partition._keep_source)

    def lookup(self, root: str, entries: list[RawEntry]) -> dict[int, dict]:
        """Cached results by entry index (the digest of every regular file finds them): the summaries kept with
        the last run's tables (``light``: their Documents without records) when they can be read, else the whole
        results from the shards.

        A file is hashed here unless the run's inventory hashed it already (its digests, kept in
        the processed folder by :func:`.files.inventory`, taken for a file that still has the identity the scan
        of the raw folder found: it is not opened); each entry of ``entries`` not found
        is given its digest (:attr:`RawEntry.digest`), so that reading it does not hash it again.
        """
        from ..partition import file_key
        from .files import load_digests, raw_digest

        known = load_digests(self.processed_dir, root)
        base = os.path.join(root, "")  # a path a file's relative path is added to (no Path object a file)
        for i, entry in enumerate(entries):
            if not entry.regular or (entry.skip and entry.rel not in known):
                continue
            digest = known.get(entry.rel)
            if digest is None or entry.ident is None or digest[0] != entry.ident:
                try:
                    digest = raw_digest(base + entry.rel, digest)
                except OSError:
                    continue
            # as dataclasses.replace(entry, digest=digest), without its look at the fields a file
            entries[i] = RawEntry(entry.rel, entry.skip, entry.regular, entry.mtime, digest, entry.ident)
            if entry.skip:  # a hidden file: only hashed for the log, never a cached result
                continue
            self._keys[i] = file_key(self.fp, entry.rel, digest[1])
        self.kept = None if self.full else self._open_kept()
        if self.kept is not None:
            kept = self.kept
            where = {key: unit for unit, key in enumerate(kept.keys)}
            hits = {}
            for i, key in self._keys.items():
                unit = where.get(key)
                if unit is not None and kept.files[unit] is not None:
                    hits[i] = {**kept.files[unit], "rel": entries[i].rel, "mtime": entries[i].mtime, "unit": unit,
                               "light": True}
            on_disk = self.cache.store.on_disk()  # what the last run's shards hold, as its kept keys say
            cached = [key for key, f in zip(kept.keys, kept.files) if f is not None]
            for shard, keys in self.cache.shards(cached).items():
                if shard in on_disk:
                    self.cache.store.held[shard] = frozenset(keys)
            return hits
        stored = self.cache.get(self._keys.values())  # the key holds the fingerprint
        return {i: {**stored[key], "rel": entries[i].rel, "mtime": entries[i].mtime}
                for i, key in self._keys.items() if key in stored}

    def _open_kept(self) -> _Kept | None:
        """The last run's kept tables and summaries under this fingerprint, or None."""
        import pickle

        from ..partition import _open_source

        source = _open_source(self.processed_dir, "ingest", self.fp)
        if source is None or set(source.tables) != set(ROW_TABLES) or KEPT_FILES not in source.extra:
            return None
        try:
            kept = pickle.loads(source.extra[KEPT_FILES])  # noqa: S301 - written by this package's own runs
            files, dtypes = kept["files"], kept["dtypes"]
            if len(files) != len(source.keys) or set(dtypes) != set(ROW_TABLES):
                return None
        except Exception:  # noqa: BLE001 - a damaged or old file is only a cache
            return None
        return _Kept(source.keys, source.tables, files, dtypes, source)

    def whole(self, i: int, entry: RawEntry) -> dict | None:
        """Entry ``i``'s whole cached result (read from its shard), or None when the shard does not hold it."""
        key = self._keys.get(i)
        got = self.cache.get([key]).get(key) if key is not None else None
        return None if got is None else {**got, "rel": entry.rel, "mtime": entry.mtime}

    def _summary(self, res: dict, ids: list[str]) -> dict:
        """:func:`_summary` of a result; a kept summary whose ids and rows' digests are unchanged as it is."""
        if res.get("light"):
            was = self.kept.files[res["unit"]]
            if was["ids"] == ids and was.get("row_digests") == res.get("row_digests"):
                return was
        return _summary(res, ids)

    def _key(self, i: int, res: dict) -> str | None:
        """Result ``i``'s unit key, or None when it is not to be cached."""
        from ..partition import file_key

        if not res["sha256"] or any(t in res["reason"] for t in self._TRANSIENT):
            return None
        return self._keys.get(i) or file_key(self.fp, res["rel"], res["sha256"])

    def store(self, results: list[dict], reused: set[int], tables: IngestResult | None = None) -> None:
        """Save this run's cacheable results (the shards whose files changed, the whole results of the files
        reused there taken from the shard as it was), keep ``tables`` and the files' summaries for the next run
        (:class:`_Kept`) and write the reuse record."""
        import pickle

        from ..partition import Reuse, _forget_source, _keep_source

        _forget_source(self.processed_dir, "ingest")  # no kept tables that the shards below disagree with
        files = {}
        keys: list[str] = []
        for i, res in enumerate(results):
            key = self._key(i, res)
            keys.append(key if key is not None else "~" + res["rel"])  # never a unit key (hex digits)
            if key is not None:
                files[key] = res
        groups = self.cache.shards(files)
        for shard, held in groups.items():
            if self.cache.store.unchanged(shard, held):
                continue
            values = {k: files[k] for k in held if not files[k].get("light")}
            light = [k for k in held if files[k].get("light")]
            if light:  # their whole results as the shard holds them (one it no longer holds is left out)
                data = self.cache.store.read(shard) or {}
                values.update((k, {**data[k], "row_digests": files[k].get("row_digests", {})})
                              for k in light if k in data)
            self.cache.store.write(shard, list(values), values)
        self.cache.finish(set(groups))
        names = [display_name(r["rel"]) for r in results]
        self.reuse = Reuse("ingest", self.full, [n for i, n in enumerate(names) if i in reused],
                           [n for i, n in enumerate(names) if i not in reused], self.fp)
        self.reuse.write(self.processed_dir)
        if tables is not None and tables.arrow is not None:
            summaries = [None if k.startswith("~") else self._summary(res, ids)
                         for k, res, ids in zip(keys, results, tables.ids)]
            blob = pickle.dumps({"files": summaries, "dtypes": tables.dtypes}, protocol=pickle.HIGHEST_PROTOCOL)
            self.kept_token = _keep_source(self.processed_dir, "ingest", self.fp, keys, tables.arrow, tables.codes,
                         extra={KEPT_FILES: blob}, layouts=tables.layouts,
                         source=self.kept.source if self.kept is not None and tables.layouts else None)


def run_ingest(raw_dir: str | os.PathLike, processed_dir: str | os.PathLike, *, limits: Limits | None = None,
               workers: int | None = None, progress: bool = False, full: bool = False, engine=None) -> IngestResult:
    """Run the ingest stage and write its tables (validated against their contracts).

    Writes ``ingest_log.csv``, ``submissions.parquet``, ``partners.parquet`` and
    ``restricted/contacts.parquet`` under ``processed_dir``, atomically. Each file's result
    is cached in ``processed_dir/.cache/`` and reused by the next run while the file and
    what shapes its result are unchanged (:class:`FileCache`).

    Parameters
    ----------
    raw_dir, limits, workers, progress, engine
        As for :func:`ingest`.
    processed_dir : path-like
        Output folder.
    full : bool
        Read every file again, whatever is cached.

    Returns
    -------
    IngestResult

    Raises
    ------
    InputError
        ``raw_dir`` does not exist.
    SchemaError
        A table breaks its contract (a bug, not a bad input).
    """
    from ..io import write_arrow_tables, write_table

    limits = limits or Limits()
    cache = FileCache(processed_dir, limits, full=full)
    result = ingest(raw_dir, limits=limits, workers=workers, progress=progress, cache=cache, engine=engine)
    from ..partition import note_written

    out = Path(processed_dir)
    write_table(result.ingest_log, out / TABLES["ingest_log"].filename, table="ingest_log")
    # the kept rows were checked when first written: the rows made now are checked (and the whole table for
    # repeated ids)
    written = write_arrow_tables({name: (result.arrow[name], out / TABLES[name].filename, result.checked[name])
                                  for name in ("submissions", "partners", "contacts")})
    if result.row_digests is not None:
        from ..partition import keep_submission_digests

        keep_submission_digests(out, result.submissions, result.row_digests)  # for the tag and evidence stages
    # the tables written are those kept: the next stages read them from there (partition.read_kept)
    note_written(out, "ingest", cache.kept_token, written)
    return result
