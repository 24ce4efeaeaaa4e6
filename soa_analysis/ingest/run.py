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
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..datafiles import sha256_hex
from ..errors import QuarantineError
from ..fictional import is_fictional
from ..procs import gc_paused
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
    """

    submissions: pd.DataFrame
    ingest_log: pd.DataFrame
    contacts: pd.DataFrame
    partners: pd.DataFrame
    row_digests: list[str] | None = None


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
    with ProcessPoolExecutor(max_workers=n_workers) as pool:
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
            with ProcessPoolExecutor(max_workers=1) as solo:
                results[i] = solo.submit(_process_file, root, entry, limits).result()
        except BrokenProcessPool:
            try:
                _, sha, n = read_raw_file(Path(root) / entry.rel, -1, entry.digest) if entry.regular else (None, "", 0)
            except OSError:
                sha, n = "", 0
            results[i] = _crashed(entry, sha, n)
    return [r for r in results if r is not None]


def _file_rows(me: int, results: list[dict], seen: dict, used_ids: set) -> tuple[dict, list, list, list]:
    """File ``results[me]``'s log row and its submission, contact and partner rows; ``seen`` maps
    content keys already taken to (submission_id, source_file, index of the file in ``results``)."""
    res = results[me]
    new_ids: list[str] = []
    dup_of: list[tuple[str, str, int]] = []
    warnings = list(res["warnings"])
    file_keys: dict[str, str] = {}
    subs, contacts, partners = [], [], []
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
        new_ids.append(sid)
        rec = d["record"]
        chars += len(rec.text)
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
    return log, subs, contacts, partners


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


def _assemble(results: list[dict]) -> IngestResult:
    """Duplicates, ids and tables from per-file results (given in sorted path order).

    Files are visited in keep order (:func:`.files.keep_order`: modified first, then not
    named as a copy, then name order), so that of two files holding the same submission the
    one that order prefers is kept; the tables list files and submissions in path order.
    """
    seen: dict[str, tuple[str, str, int]] = {}
    used_ids: set[str] = set()
    rows: list = [None] * len(results)
    for i in sorted(range(len(results)), key=lambda i: keep_order(results[i]["rel"], results[i]["mtime"])):
        rows[i] = _file_rows(i, results, seen, used_ids)
    log_rows = [r[0] for r in rows]
    sub_rows = [x for r in rows for x in r[1]]
    contact_rows = [x for r in rows for x in r[2]]
    partner_rows = [x for r in rows for x in r[3]]
    subs = _frame_of(sub_rows, SUBMISSION_COLUMNS)
    subs["year"] = subs["year"].astype("Int64")
    log = _frame_of(log_rows, LOG_COLUMNS)
    for col in ("bytes", "n_submissions", "chars_kept"):
        log[col] = log[col].astype("int64")
    log["seconds"] = log["seconds"].astype("float64")
    contacts = _frame_of(contact_rows, CONTACT_COLUMNS)
    partners = _frame_of(partner_rows, PARTNER_COLUMNS)
    return IngestResult(submissions=subs, ingest_log=log, contacts=contacts, partners=partners)


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
    with gc_paused():
        results = [hits[i] if i in hits else next(it) for i in range(len(entries))]
        tables = _assemble(results)
        if cache is not None:
            tables.row_digests = _row_digests(results, tables.submissions, set(hits))
            cache.store(results, reused=set(hits))
        return tables


def _row_digests(results: list[dict], subs: pd.DataFrame, reused: set[int]) -> list[str]:
    """:func:`soa_analysis.partition.row_digests` of ``subs``, what the tag and evidence stages key their units by:
    a row of a reused file (``reused``: indices of ``results``) takes the digest the last run kept with the
    file's result under the row's submission id, the others are worked out. A submission's row is made from
    its file's result and its id alone (:func:`_file_rows`), so the same file and id give the same row. Each
    result keeps its rows' digests (``row_digests``, by id) for the next run."""
    from ..partition import row_digests

    files = subs["raw_file"].astype(str).tolist()
    sids = subs["submission_id"].astype(str).tolist()
    kept: dict[tuple[str, str], str] = {}
    for i in reused:
        name = display_name(results[i]["rel"])
        kept.update(((name, sid), d) for sid, d in (results[i].get("row_digests") or {}).items())
    out = [kept.get(k) for k in zip(files, sids)]
    todo = [j for j, d in enumerate(out) if d is None]
    if todo:
        for j, d in zip(todo, row_digests(subs.iloc[todo] if len(todo) < len(subs) else subs)):
            out[j] = d
    by_file: dict[str, dict[str, str]] = {}
    for f, sid, d in zip(files, sids, out):
        by_file.setdefault(f, {})[sid] = d
    for res in results:
        res["row_digests"] = by_file.get(display_name(res["rel"]), {})
    return out


class FileCache:
    """The ingest stage's per-file results of the last run (:mod:`soa_analysis.partition`).

    A file's result is reused when its path under the raw folder, its sha256 and the
    stage's fingerprint (package version, the code and reference data ingest imports, the
    reader limits, whether LibreOffice is installed) are those of a cached result; its
    modification time (which decides which of two duplicates is kept) is always today's.
    Results that may differ on another try (a time budget exceeded, a worker that crashed,
    a file that could not be opened) are never cached.
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
        self.reuse = None

    def lookup(self, root: str, entries: list[RawEntry]) -> dict[int, dict]:
        """Cached results by entry index (the digest of every regular file finds them).

        A file is hashed here unless the run's inventory hashed it already (its digests, kept in
        the processed folder by :func:`.files.inventory`); each entry of ``entries`` not found
        is given its digest (:attr:`RawEntry.digest`), so that reading it does not hash it again.
        """
        from ..partition import file_key
        from .files import load_digests, raw_digest

        known = load_digests(self.processed_dir, root)
        base = os.path.join(root, "")  # a path a file's relative path is added to (no Path object a file)
        for i, entry in enumerate(entries):
            if not entry.regular or (entry.skip and entry.rel not in known):
                continue
            try:
                digest = raw_digest(base + entry.rel, known.get(entry.rel))
            except OSError:
                continue
            # as dataclasses.replace(entry, digest=digest), without its look at the fields a file
            entries[i] = RawEntry(entry.rel, entry.skip, entry.regular, entry.mtime, digest)
            if entry.skip:  # a hidden file: only hashed for the log, never a cached result
                continue
            self._keys[i] = file_key(self.fp, entry.rel, digest[1])
        stored = self.cache.get(self._keys.values())  # the key holds the fingerprint
        return {i: {**stored[key], "rel": entries[i].rel, "mtime": entries[i].mtime}
                for i, key in self._keys.items() if key in stored}

    def store(self, results: list[dict], reused: set[int]) -> None:
        """Save this run's cacheable results and write the reuse record."""
        from ..partition import Reuse, file_key

        files = {}
        for i, res in enumerate(results):
            if not res["sha256"] or any(t in res["reason"] for t in self._TRANSIENT):
                continue
            key = self._keys.get(i) or file_key(self.fp, res["rel"], res["sha256"])
            files[key] = res
        self.cache.save(files)
        names = [display_name(r["rel"]) for r in results]
        self.reuse = Reuse("ingest", self.full, [n for i, n in enumerate(names) if i in reused],
                           [n for i, n in enumerate(names) if i not in reused], self.fp)
        self.reuse.write(self.processed_dir)


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
    from ..io import write_table

    limits = limits or Limits()
    cache = FileCache(processed_dir, limits, full=full)
    result = ingest(raw_dir, limits=limits, workers=workers, progress=progress, cache=cache, engine=engine)
    out = Path(processed_dir)
    for name, df in (("ingest_log", result.ingest_log), ("submissions", result.submissions),
                     ("partners", result.partners), ("contacts", result.contacts)):
        write_table(df, out / TABLES[name].filename, table=name)
        if name == "submissions" and result.row_digests is not None:
            from ..partition import keep_submission_digests

            keep_submission_digests(out, result.submissions, result.row_digests)  # for the tag and evidence stages
    return result
