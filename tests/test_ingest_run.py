"""The ingest stage over a folder of fixture files built here (all content fictional).

Checks the stage's contract: every file accounted for by exactly one log row, raw files
unchanged, duplicates and quarantines with their reasons, tables valid and deterministic.
"""

from __future__ import annotations

import hashlib
import os

import pandas as pd
import pytest
from test_ingest_readers import _case_study_2009, _docx_bytes, _eml, _pdf_bytes, _xlsx_bytes, _zip_bomb

from soa_analysis.errors import InputError
from soa_analysis.ingest import Limits, ingest, run_ingest
from soa_analysis.ingest.run import content_key, list_raw_files
from soa_analysis.io import read_table
from soa_analysis.schema import TABLES, validate

CASE_2010 = """FICTIONAL TEST CASE - not a real submission.
Template for SOA case studies 2010

Name of CPP:
Glenbrae Partnership

Name of case study:
Glenbrae Active Lives

Brief outline of case study:
A fictional walking programme for older people run by the council and NHS Glenbrae.
"""


@pytest.fixture()
def raw(tmp_path):
    r = tmp_path / "raw"
    (r / "2010").mkdir(parents=True)
    (r / "resubmitted").mkdir()
    (r / ".cache").mkdir()
    docx = _docx_bytes(_case_study_2009)
    (r / "case.docx").write_bytes(docx)
    (r / "resubmitted" / "copy of case.docx").write_bytes(docx)  # duplicate (same bytes)
    (r / "2010" / "active.txt").write_text(CASE_2010, encoding="cp1252")
    (r / "2010" / "ACTIVE-spaced.txt").write_text(CASE_2010.upper().replace("\n", "\n\n"), encoding="utf-8")
    (r / "mail.eml").write_bytes(_eml(attach=_docx_bytes(lambda d: d.add_paragraph(
        "FICTIONAL attachment: Westmuir Youth Employment pilot, delivered with Skills Development Scotland."))))
    (r / "report.pdf").write_bytes(_pdf_bytes(["FICTIONAL annual report", "Achievements to date: more jobs."]))
    (r / "export.xlsx").write_bytes(_xlsx_bytes([["Name of CPP", "Description of activity"],
                                                 ["Glenbrae Partnership", "A fictional befriending scheme."],
                                                 ["Westmuir Partnership", "A fictional youth club."]]))
    (r / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (r / ".cache" / "x.txt").write_text("cached")
    (r / "~$case.docx").write_bytes(b"lock")
    (r / "empty.txt").write_bytes(b"")
    (r / "junk.txt").write_bytes(bytes(range(256)) * 8)
    (r / "bomb.docx").write_bytes(_zip_bomb())
    (r / "half.docx").write_bytes(docx[: len(docx) // 3])
    (r / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    _same_mtime(r)
    return r


def _same_mtime(root, when=1_300_000_000):
    """Give every file one modification time, so duplicates are decided by name (not by write order)."""
    for dirpath, _, files in os.walk(root):
        for f in files:
            os.utime(os.path.join(dirpath, f), (when, when), follow_symlinks=False)


def _hashes(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[p] = (hashlib.sha256(fh.read()).hexdigest(), os.stat(p).st_mtime_ns)
    return out


def test_every_file_accounted_for_and_raw_unchanged(raw, tmp_path, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)  # .doc must quarantine, soffice or not
    before = _hashes(raw)
    res = run_ingest(raw, tmp_path / "processed", workers=1)
    assert _hashes(raw) == before
    files = sorted(os.path.relpath(p, raw).replace(os.sep, "/") for p in before)
    log = res.ingest_log
    assert list(log.source_file) == files  # exactly one row per file, sorted
    assert log.source_file.is_unique
    by = log.set_index("source_file")
    assert by.loc["case.docx", "status"] == "ingested"
    assert by.loc["case.docx", "sha256"] == hashlib.sha256((raw / "case.docx").read_bytes()).hexdigest()
    expected = {
        ".DS_Store": ("quarantined", "hidden/system file"),
        ".cache/x.txt": ("quarantined", "hidden/system file (in hidden folder .cache)"),
        "~$case.docx": ("quarantined", "hidden/system file (Office lock/temporary file)"),
        "empty.txt": ("quarantined", "empty file (0 bytes)"),
        "resubmitted/copy of case.docx": ("duplicate", "same content as case.docx (kept: not named as a copy)"),
        "2010/active.txt": ("duplicate", "same content as 2010/ACTIVE-spaced.txt (kept: first in name order)"),
    }
    for f, (status, reason) in expected.items():
        assert (by.loc[f, "status"], by.loc[f, "reason"]) == (status, reason), f
    assert by.loc["resubmitted/copy of case.docx", "submission_id"] == by.loc["case.docx", "submission_id"]
    assert by.loc["junk.txt", "reason"].startswith("binary content, not text")
    assert by.loc["bomb.docx", "reason"].startswith("possible zip bomb")
    assert by.loc["half.docx", "reason"].startswith("truncated or corrupt .docx")
    assert "LibreOffice" in by.loc["old.doc", "reason"]
    assert by.loc["report.pdf", "format"] == "pdf" and by.loc["old.doc", "format"] == "doc"
    assert by.loc["export.xlsx", "n_submissions"] == 2
    assert by.loc["mail.eml", "n_submissions"] == 1  # the attachment; the body is only a cover note
    assert "e-mail body is a cover note" in by.loc["mail.eml", "warnings"]
    assert (log.status == "ingested").sum() == 5
    assert len(res.submissions) == log.n_submissions.sum() == 6
    # written tables honour their contracts and read back
    for name in ("ingest_log", "submissions", "partners", "contacts"):
        validate(read_table(tmp_path / "processed", name, validate=False), name)
    assert (tmp_path / "processed" / TABLES["contacts"].filename).exists()


def test_submission_rows(raw, monkeypatch):
    res = ingest(raw, workers=1)
    subs = res.submissions.set_index("source_file")
    att = subs.loc["mail.eml!attachment-1"] if "mail.eml!attachment-1" in subs.index else None
    sources = set(subs.index)
    assert "mail.eml!case.docx" in sources  # the _eml helper names the attachment case.docx
    assert subs.loc["mail.eml!case.docx", "format"] == "docx"
    assert "mail.eml" not in sources  # "Please find attached." is a cover note, not a submission
    assert att is None
    xl = res.submissions[res.submissions.raw_file == "export.xlsx"]
    assert list(xl.part) == ["row 2", "row 3"]
    assert all(sid.startswith("s-") for sid in res.submissions.submission_id)
    assert res.submissions.submission_id.is_unique
    active = res.submissions[res.submissions.raw_file == "2010/ACTIVE-spaced.txt"].iloc[0]
    body = active.text[len(active.title):] if active.text.startswith(active.title) else active.text
    assert active.submission_id == f"s-{content_key(body)[:10]}-0"


def test_parallel_equals_serial_and_reruns_are_identical(raw, tmp_path):
    a = run_ingest(raw, tmp_path / "a", workers=2)
    b = run_ingest(raw, tmp_path / "b", workers=1)
    c = run_ingest(raw, tmp_path / "c", workers=2)
    for name in ("submissions", "ingest_log", "contacts", "partners"):
        timed = ["seconds"] if name == "ingest_log" else []  # how long a file took is the one thing that varies
        pd.testing.assert_frame_equal(getattr(a, name).drop(columns=timed), getattr(b, name).drop(columns=timed))
        pd.testing.assert_frame_equal(getattr(a, name).drop(columns=timed), getattr(c, name).drop(columns=timed))
    on_disk = [pd.read_csv(tmp_path / d / "ingest_log.csv").drop(columns="seconds") for d in ("a", "c")]
    pd.testing.assert_frame_equal(*on_disk)


def test_one_bad_file_never_stops_the_batch(raw, monkeypatch):
    from soa_analysis.ingest import structure

    real = structure.build_record

    def flaky(doc, *, source_file):
        if source_file == "report.pdf":
            raise KeyError("boom")
        return real(doc, source_file=source_file)

    monkeypatch.setattr(structure, "build_record", flaky)
    log = ingest(raw, workers=1).ingest_log.set_index("source_file")
    assert log.loc["report.pdf", "status"] == "quarantined"
    assert log.loc["report.pdf", "reason"] == "structure error: KeyError: 'boom'"
    assert log.loc["case.docx", "status"] == "ingested"


def test_time_budget_quarantines(raw, monkeypatch, tmp_path):
    """A file whose parsing outlasts the time budget is quarantined with the reason, and the run does not
    wait for it: the slow parse would leave a mark only after a minute, and none is there when the run ends
    (no clock compared: the test holds on a loaded machine)."""
    import time

    from soa_analysis.ingest import structure

    real = structure.build_record
    mark = tmp_path / "slow-parse-finished"

    def slow(doc, *, source_file):
        if source_file == "report.pdf":
            time.sleep(60)
            mark.write_text("finished")
        return real(doc, source_file=source_file)

    monkeypatch.setattr(structure, "build_record", slow)
    log = ingest(raw, workers=1, limits=Limits(time_budget_s=0.4)).ingest_log.set_index("source_file")
    assert not mark.exists()
    assert log.loc["report.pdf", "reason"].startswith("time budget of 0.6 s exceeded")


def test_empty_and_missing_raw_dir(tmp_path):
    (tmp_path / "raw").mkdir()
    res = run_ingest(tmp_path / "raw", tmp_path / "out", workers=2)
    assert len(res.ingest_log) == 0 and len(res.submissions) == 0
    validate(read_table(tmp_path / "out", "submissions", validate=False), "submissions")
    with pytest.raises(InputError):
        ingest(tmp_path / "nope")


def test_symlinked_folder_is_logged_not_followed(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a.txt").write_text("Fictional text outside the raw folder.")
    os.symlink(tmp_path / "elsewhere", tmp_path / "raw" / "link")
    assert list_raw_files(tmp_path / "raw") == [("link", "symbolic link to a folder (not followed)")]
    log = ingest(tmp_path / "raw", workers=1).ingest_log
    assert list(log.status) == ["quarantined"]


def test_progress_bar_on_stderr(tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.txt").write_text("A FICTIONAL note about a walking group.")
    ingest(tmp_path / "raw", workers=1, progress=True)
    err = capsys.readouterr().err
    assert "ingest" in err and "1/1" in err


def test_special_files_are_logged_without_blocking(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    os.mkfifo(raw / "pipe.txt")
    os.symlink(tmp_path / "missing.docx", raw / "dangling.docx")
    log = ingest(raw, workers=1).ingest_log.set_index("source_file")
    assert log.loc["pipe.txt", "reason"] == "not a regular file"
    assert log.loc["dangling.docx", "reason"] == "broken symbolic link"


def test_a_file_that_kills_its_worker_is_quarantined(raw, monkeypatch):
    from soa_analysis.ingest import structure

    real = structure.build_record

    def crash(doc, *, source_file):
        if source_file == "report.pdf":
            os._exit(3)  # like a segfault in a C library: the worker process dies
        return real(doc, source_file=source_file)

    monkeypatch.setattr(structure, "build_record", crash)  # inherited by the forked workers
    log = ingest(raw, workers=2).ingest_log.set_index("source_file")
    assert log.loc["report.pdf", "status"] == "quarantined"
    assert "worker process reading this file crashed" in log.loc["report.pdf", "reason"]
    assert log.loc["report.pdf", "sha256"] == hashlib.sha256((raw / "report.pdf").read_bytes()).hexdigest()
    assert log.loc["case.docx", "status"] == "ingested"
    assert log.loc["export.xlsx", "n_submissions"] == 2


def test_same_case_study_in_another_format_is_a_duplicate(tmp_path):
    """Heading numbering, bullets and a property-derived title differ between formats; the words do not."""
    r = tmp_path / "raw"
    r.mkdir()
    body = ("Name of SOA case study\nGlenbrae Warm Homes (FICTIONAL)\n\n"
            "2. What was the local need addressed by this SOA case study?\nFuel poverty among older people.\n\n"
            "4. What is the evidence of the benefits for communities?\n- 120 homes insulated by March 2011.\n")
    (r / "a.txt").write_text(body, encoding="utf-8")
    (r / "b.md").write_text(body.replace("2. ", "").replace("4. ", "Q4 ").replace("- ", "• "), encoding="utf-8")
    _same_mtime(r)
    log = ingest(r, workers=1).ingest_log.set_index("source_file")
    assert log.loc["b.md", "status"] == "duplicate"
    assert log.loc["b.md", "reason"] == "same content as a.txt (kept: first in name order)"
    assert log.loc["b.md", "submission_id"] == log.loc["a.txt", "submission_id"]


def test_email_without_attachment_keeps_its_body(tmp_path):
    r = tmp_path / "raw"
    r.mkdir()
    (r / "m.eml").write_bytes(_eml(body="FICTIONAL: Please find our case study below. Falls fell by 20%."))
    log = ingest(r, workers=1).ingest_log
    assert log.loc[0, "status"] == "ingested" and log.loc[0, "n_submissions"] == 1


@pytest.mark.parametrize("rows", [
    [],
    [{"a": "fictional", "b": ["x"], "c": True, "d": 1}],
    [{"a": "one", "b": [], "c": False, "d": None}, {"a": "two", "b": ["y", "z"], "c": True, "d": 2012}],
    [{"a": None, "b": None, "c": True, "d": 1.5}, {"a": "text", "b": [], "c": False, "d": 2}],  # not all text
    [{"a": "", "b": "", "c": "", "d": ""}],
    [{"a": 1, "b": "mixed", "c": None, "d": "x"}, {"a": "y", "b": 2, "c": "z", "d": None}],
])
def test_tables_made_a_column_at_a_time_equal_pandas_frames_of_the_rows(rows):
    """ingest's tables are built column by column (text columns by Arrow): the same frames, dtypes included,
    as pandas makes of the rows."""
    from soa_analysis.ingest.run import _frame_of

    columns = ["a", "b", "c", "d"]
    got, want = _frame_of(rows, columns), pd.DataFrame(rows, columns=columns)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes)
