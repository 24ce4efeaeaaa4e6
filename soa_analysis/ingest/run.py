"""The ingest stage: every file under the raw folder -> the processed ingest tables.

Each file is read (:func:`~soa_analysis.ingest.readers.read_bytes`), each of its Documents
structured (:func:`~soa_analysis.ingest.structure.build_record`), and every file accounted
for by exactly one row of ``ingest_log``: ingested, duplicate (same content as an earlier
file) or quarantined (with the reason). Files are processed in parallel, results are put
back in sorted path order, so a re-run on the same inputs gives identical tables. Raw files
are opened read-only and never modified.

Ids and duplicates: a Document's content key is the SHA-256 of the words of its structured
narrative (case folded; template headings, punctuation and contact details left out); its ``submission_id`` is ``"s-" + key[:10] + "-" + <index of the
Document in its file>``. A file whose every Document has the key of an earlier one (in
sorted path order) is a ``duplicate`` of it (reason "same content as <earlier source_file>",
submission_id the earlier id(s)); repeated Documents inside one file are dropped with a
warning. An e-mail body that only covers its attachments (no template, at most
``COVER_NOTE_MAX_WORDS`` words) is not a submission: the file's log row says so.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import stat
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError, QuarantineError
from ..schema import SECTION_COLUMNS, TABLES
from .readers import Limits, read_bytes

__all__ = ["IngestResult", "ingest", "run_ingest", "list_raw_files", "content_key", "SUBMISSION_COLUMNS"]

LOG_COLUMNS = ["source_file", "sha256", "status", "reason", "submission_id", "format", "bytes", "n_submissions",
               "warnings"]
SUBMISSION_COLUMNS = ["submission_id", "source_file", "submission_type", "council", "council_code",
                      *SECTION_COLUMNS, "checklist", "outcomes_cited", "text", "format", "council_source", "date",
                      "year", "warnings", "part", "raw_file"]
CONTACT_COLUMNS = ["submission_id", "raw", "name", "job_title", "organisation", "email", "phone", "found_in"]
PARTNER_COLUMNS = ["submission_id", "name", "partner_type", "canonical"]
_SYSTEM_FILES = {"thumbs.db", "desktop.ini", "ehthumbs.db", "icon\r", ".ds_store"}
_NOT_HASHED = ("symbolic link to a folder (not followed)", "broken symbolic link", "not a regular file",
               "cannot read file")


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
    """

    submissions: pd.DataFrame
    ingest_log: pd.DataFrame
    contacts: pd.DataFrame
    partners: pd.DataFrame


_WORD = re.compile(r"[^\W_]+")
COVER_NOTE_MAX_WORDS = 80


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
    return hashlib.sha256(" ".join(_WORD.findall(text.casefold())).encode("utf-8")).hexdigest()


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


def _skip_reason(rel: str, path: Path) -> str | None:
    """Why a file found under raw_dir is not read at all (it is still logged), or None."""
    parts = rel.split("/")
    name = parts[-1]
    if name.lower() in _SYSTEM_FILES or name.startswith("._"):
        return "hidden/system file"
    if name.startswith("~$"):
        return "hidden/system file (Office lock/temporary file)"
    if name.startswith("."):
        return "hidden/system file"
    hidden_dirs = [p for p in parts[:-1] if p.startswith(".")]
    if hidden_dirs:
        return f"hidden/system file (in hidden folder {hidden_dirs[0]})"
    try:
        st = path.stat()
    except OSError:
        return "broken symbolic link" if path.is_symlink() else "cannot read file"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    return None


def list_raw_files(raw_dir: str | os.PathLike) -> list[tuple[str, str | None]]:
    """Every entry under ``raw_dir`` (recursively, sorted) as (relative POSIX path, skip reason or None).

    Nothing is skipped silently: hidden and system files, files in hidden folders and
    symbolic links to folders (not followed) are listed with a reason.

    Raises
    ------
    InputError
        ``raw_dir`` does not exist or is not a folder.
    """
    root = Path(raw_dir)
    if not root.is_dir():
        raise InputError(f"raw folder {root} does not exist or is not a folder")
    out: list[tuple[str, str | None]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        for d in list(dirnames):
            if (base / d).is_symlink():
                rel = (base / d).relative_to(root).as_posix()
                out.append((rel, "symbolic link to a folder (not followed)"))
        for f in filenames:
            p = base / f
            rel = p.relative_to(root).as_posix()
            out.append((rel, _skip_reason(rel, p)))
    out.sort(key=lambda t: t[0])
    return out


def _sha256_file(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


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


def _process_file(root: str, rel: str, skip: str | None, limits: Limits) -> dict:
    """Read and structure one file (runs in a worker process). Never raises."""
    from .structure import build_record

    path = Path(root) / rel
    res = {"rel": rel, "sha256": "", "bytes": 0, "format": "", "status": "quarantined", "reason": "",
           "warnings": [], "docs": []}
    try:
        if skip in _NOT_HASHED:  # nothing to hash; opening a FIFO would block
            res["reason"] = skip
            return res
        try:
            res["sha256"], res["bytes"] = _sha256_file(path)
        except OSError as exc:
            res["reason"] = f"cannot read file: {exc.strerror or exc}"
            return res
        if skip:
            res["reason"] = skip
            return res
        if res["bytes"] > limits.max_file_bytes:
            res["reason"] = f"file too large: {res['bytes']:,} bytes (limit {limits.max_file_bytes:,})"
            return res
        with open(path, "rb") as fh:
            data = fh.read()
        with _alarm(limits.time_budget_s * 1.5):
            docs = read_bytes(data, name=path.name, limits=limits)
            res["format"] = "eml" if any(d.meta.get("attachment") for d in docs) else docs[0].meta.get("format", "")
            res["warnings"] = list(dict.fromkeys(w for d in docs for w in d.warnings))
            out = []
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
                out.append({"index": i, "key": content_key(_body(rec) or doc.text), "source_file": source,
                            "format": doc.meta.get("format", ""), "part": str(doc.meta.get("part", "")),
                            "record": rec})
        res["docs"] = out
        res["status"] = "ingested"
    except QuarantineError as exc:
        res["status"], res["reason"], res["docs"] = "quarantined", str(exc), []
        if not res["format"] and res["bytes"] and not skip:
            res["format"] = _format_of(path, limits)
    except Exception as exc:  # noqa: BLE001
        res["status"], res["docs"] = "quarantined", []
        res["reason"] = f"reader error: {type(exc).__name__}: {str(exc)[:200]}"
    return res


def _format_of(path: Path, limits: Limits) -> str:
    """The format a quarantined file's content was typed as, '' if it could not be typed."""
    from .readers import detect_format

    try:
        with open(path, "rb") as fh:
            data = fh.read(limits.max_file_bytes)
        return detect_format(data, path.name)[0]
    except Exception:  # noqa: BLE001 - includes QuarantineError: no format then
        return ""


def _crashed(rel: str, sha: str = "", n: int = 0) -> dict:
    return {"rel": rel, "sha256": sha, "bytes": n, "format": "", "status": "quarantined",
            "reason": "reader error: the worker process reading this file crashed (BrokenProcessPool)",
            "warnings": [], "docs": []}


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


def _run_files(root: str, entries, limits: Limits, workers: int, progress: bool) -> list[dict]:
    if workers <= 1 or len(entries) <= 1:
        results = []
        with _bar(len(entries), progress) as bar:
            for rel, skip in entries:
                results.append(_process_file(root, rel, skip, limits))
                bar.update(1)
        return results
    # Import the readers' libraries and the structure step (with its reference data) once
    # here, so that forked workers inherit them instead of each paying the start-up cost.
    from . import readers_office, readers_pdf, readers_web, structure  # noqa: F401

    _warm_up(limits)
    results: list[dict | None] = [None] * len(entries)
    retry: list[int] = []
    with ProcessPoolExecutor(max_workers=min(workers, len(entries))) as pool:
        futures = [pool.submit(_process_file, root, rel, skip, limits) for rel, skip in entries]
        # the bar (and its monitor thread) only once the workers have been started
        with _bar(len(entries), progress) as bar:
            for i, fut in enumerate(futures):
                try:
                    results[i] = fut.result()
                except BrokenProcessPool:
                    retry.append(i)
                bar.update(1)
    for i in retry:  # one file at a time, in a pool of its own, to find the one that crashes
        rel, skip = entries[i]
        try:
            with ProcessPoolExecutor(max_workers=1) as solo:
                results[i] = solo.submit(_process_file, root, rel, skip, limits).result()
        except BrokenProcessPool:
            try:
                sha, n = _sha256_file(Path(root) / rel)
            except OSError:
                sha, n = "", 0
            results[i] = _crashed(rel, sha, n)
    return [r for r in results if r is not None]


def _assemble(results: list[dict]) -> IngestResult:
    """Duplicates, ids and tables from per-file results (in sorted path order)."""
    seen: dict[str, tuple[str, str]] = {}  # content key -> (submission_id, source_file)
    used_ids: set[str] = set()
    log_rows, sub_rows, contact_rows, partner_rows = [], [], [], []
    for res in results:
        new_ids: list[str] = []
        dup_of: list[tuple[str, str]] = []
        warnings = list(res["warnings"])
        file_keys: dict[str, str] = {}
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
            file_keys[key] = d["part"] or d["source_file"]
            seen[key] = (sid, d["source_file"])
            new_ids.append(sid)
            rec = d["record"]
            row = {"submission_id": sid, "source_file": d["source_file"], "submission_type": rec.submission_type,
                   "council": rec.council, "council_code": rec.council_code}
            row.update({s: rec.sections.get(s, "") or "" for s in SECTION_COLUMNS})
            row.update({"checklist": list(rec.checklist), "outcomes_cited": list(rec.outcomes_cited),
                        "text": rec.text, "format": d["format"], "council_source": rec.council_source,
                        "date": rec.date or "", "year": rec.year, "warnings": list(rec.warnings),
                        "part": d["part"], "raw_file": res["rel"]})
            sub_rows.append(row)
            for c in rec.contacts:
                contact_rows.append({"submission_id": sid, **{k: str(c.get(k) or "") for k in CONTACT_COLUMNS[1:]}})
            for p in rec.partners:
                partner_rows.append({"submission_id": sid, **{k: str(p.get(k) or "") for k in PARTNER_COLUMNS[1:]}})
        status, reason = res["status"], res["reason"]
        if status == "ingested" and not new_ids and dup_of:
            status = "duplicate"
            earlier = list(dict.fromkeys(src for _, src in dup_of))
            reason = "same content as " + "; ".join(earlier)
            ids = list(dict.fromkeys(sid for sid, _ in dup_of))
        else:
            ids = new_ids
            for sid, src in dup_of:
                warnings.append(f"a part has the same content as {src} ({sid}); not repeated")
        log_rows.append({"source_file": res["rel"], "sha256": res["sha256"], "status": status, "reason": reason,
                         "submission_id": ";".join(ids), "format": res["format"], "bytes": int(res["bytes"]),
                         "n_submissions": len(new_ids), "warnings": "; ".join(warnings)})
    subs = pd.DataFrame(sub_rows, columns=SUBMISSION_COLUMNS)
    subs["year"] = subs["year"].astype("Int64")
    log = pd.DataFrame(log_rows, columns=LOG_COLUMNS)
    log["bytes"] = log["bytes"].astype("int64")
    log["n_submissions"] = log["n_submissions"].astype("int64")
    contacts = pd.DataFrame(contact_rows, columns=CONTACT_COLUMNS)
    partners = pd.DataFrame(partner_rows, columns=PARTNER_COLUMNS)
    return IngestResult(submissions=subs, ingest_log=log, contacts=contacts, partners=partners)


def ingest(raw_dir: str | os.PathLike, *, limits: Limits | None = None, workers: int | None = None,
           progress: bool = False) -> IngestResult:
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
    entries = list_raw_files(raw_dir)
    workers = workers or os.cpu_count() or 1
    results = _run_files(str(Path(raw_dir)), entries, limits, workers, progress)
    return _assemble(results)


def run_ingest(raw_dir: str | os.PathLike, processed_dir: str | os.PathLike, *, limits: Limits | None = None,
               workers: int | None = None, progress: bool = False) -> IngestResult:
    """Run the ingest stage and write its tables (validated against their contracts).

    Writes ``ingest_log.csv``, ``submissions.parquet``, ``partners.parquet`` and
    ``restricted/contacts.parquet`` under ``processed_dir``, atomically.

    Parameters
    ----------
    raw_dir, limits, workers, progress
        As for :func:`ingest`.
    processed_dir : path-like
        Output folder.

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

    result = ingest(raw_dir, limits=limits, workers=workers, progress=progress)
    out = Path(processed_dir)
    for name, df in (("ingest_log", result.ingest_log), ("submissions", result.submissions),
                     ("partners", result.partners), ("contacts", result.contacts)):
        write_table(df, out / TABLES[name].filename, table=name)
    return result
