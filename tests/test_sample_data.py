"""The bundled fictional sample (data/raw) and the mini fixture corpus (tests/fixtures/mini_raw).

Checks that the committed files are exactly what scripts/build_sample_data.py produces, that the
sample meets its specification (counts, councils, priorities, broken files), and that every
document is marked fictional and uses only fictional contact details.
"""

from __future__ import annotations

import csv
import email
import email.policy
import functools
import importlib.util
import io
import re
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
MINI = ROOT / "tests" / "fixtures" / "mini_raw"
FIXTURES = ROOT / "tests" / "fixtures"
SCRIPT = ROOT / "scripts" / "build_sample_data.py"

MARK = "(FICTIONAL SAMPLE)"
DISCLAIMER = "Fictional case study written for the soa-analysis sample data; not a real submission."
PRIORITIES = {"economic_growth", "employment", "early_years", "safer_communities", "health_inequalities", "older_people"}
GRADES = {"strong", "some", "planned", "none"}
STATUSES = {"ingested", "duplicate", "quarantined"}
# Files that are broken on purpose and hold no readable text.
UNREADABLE = {"empty_submission.docx", "moray_case_study_upload_failed.docx", "scanned_case_study.pdf", "empty_submission.txt"}
FICTIONAL_SURNAMES = {
    "fictional", "sample", "example", "madeup", "placeholder", "notreal", "invented", "pretend", "imaginary",
    "dummy", "specimen", "fabricated", "mockup", "testcase",
}
PHONE = re.compile(r"\b(01\d{2,3}) ?(\d{3}) ?(\d{3,4})\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@functools.cache
def _load_script():
    spec = importlib.util.spec_from_file_location("build_sample_data", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses need the module registered
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("regen")
    _load_script().build(out / "raw", out / "mini", out / "expected")
    return out


def _expected(name: str) -> list[dict]:
    with open(FIXTURES / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# --- the committed files are the generator's output ----------------------------------------


def _zip_members(data: bytes) -> list[tuple[str, bytes]]:
    z = zipfile.ZipFile(io.BytesIO(data))
    return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def _pdf_content(data: bytes) -> list:
    reader = PdfReader(io.BytesIO(data))
    return [dict(reader.metadata or {})] + [p.get_contents().get_data() for p in reader.pages]


def _eml_content(data: bytes) -> list:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    out = [sorted(msg.items())]
    for part in msg.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        out.append(_zip_members(payload) if payload[:2] == b"PK" else payload)
    return out


def same_content(a: Path, b: Path) -> bool:
    """Byte-identical, or (for formats whose bytes also depend on the zlib build: zip containers,
    PDF page streams, e-mails carrying them) identical once decompressed."""
    x, y = a.read_bytes(), b.read_bytes()
    if x == y:
        return True
    ext = a.suffix.lower()
    try:
        if ext in {".docx", ".xlsx"}:
            return _zip_members(x) == _zip_members(y)
        if ext == ".pdf":
            return _pdf_content(x) == _pdf_content(y)
        if ext == ".eml":
            return _eml_content(x) == _eml_content(y)
    except Exception:  # noqa: BLE001 - a broken file that differs is simply different
        return False
    return False


@pytest.mark.parametrize("committed, sub", [(RAW, "raw"), (MINI, "mini")])
def test_committed_corpus_matches_generator(regenerated, committed, sub):
    fresh = regenerated / sub
    assert _files(committed) == _files(fresh)
    differing = [n for n in _files(fresh) if not same_content(committed / n, fresh / n)]
    assert differing == [], "re-run scripts/build_sample_data.py and commit its output"


def test_same_content_notices_a_change(tmp_path):
    mod = _load_script()
    case = mod.CASES["fife_reablement"]
    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    a.write_bytes(mod.docx_table_2009(case))
    b.write_bytes(mod.docx_table_2009(case, "bullets"))
    assert same_content(a, a) and not same_content(a, b)
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.write_bytes(mod.pdf_table(case))
    b.write_bytes(mod.pdf_headings(case))
    assert not same_content(a, b)


@pytest.mark.parametrize("name", ["sample_expected.csv", "mini_expected.csv"])
def test_committed_expectations_match_generator(regenerated, name):
    assert (FIXTURES / name).read_bytes() == (regenerated / "expected" / name).read_bytes()


def test_generator_is_deterministic(tmp_path, regenerated):
    mod = _load_script()
    mod.build(None, tmp_path / "mini", None)
    for n in _files(tmp_path / "mini"):
        assert (tmp_path / "mini" / n).read_bytes() == (regenerated / "mini" / n).read_bytes(), n


# --- the sample meets its specification -----------------------------------------------------


@pytest.mark.parametrize("folder, name", [(RAW, "sample_expected.csv"), (MINI, "mini_expected.csv")])
def test_every_file_is_accounted_for(folder, name):
    rows = _expected(name)
    assert {r["file"] for r in rows} == set(_files(folder))
    for r in rows:
        assert r["status"] in STATUSES
        if r["status"] != "quarantined":
            assert r["council"] and r["evidence_grade"] in GRADES
            assert set(r["priorities"].split(";")) <= PRIORITIES
        if r["status"] == "duplicate":
            assert r["duplicate_of"] in {x["file"] for x in rows if x["status"] == "ingested"}


def test_sample_counts():
    rows = [r for r in _expected("sample_expected.csv") if r["status"] == "ingested"]
    assert len(rows) >= 34
    assert len({r["council"] for r in rows}) >= 14
    assert set().union(*(r["priorities"].split(";") for r in rows)) == PRIORITIES
    assert sum(";" in r["priorities"] for r in rows) >= 3
    assert {r["evidence_grade"] for r in rows} == GRADES
    assert sum(r["evidence_grade"] == "none" for r in rows) in (1, 2, 3)
    formats = {r["format"] for r in rows}
    assert {"docx", "pdf", "txt", "md", "html", "eml", "rtf", "xlsx", "csv"} <= formats
    types = {r["submission_type"] for r in rows}
    assert {"case_study_2009", "case_study_2010", "annual_report", "form_export"} <= types


def test_broken_and_duplicate_files():
    rows = _expected("sample_expected.csv")
    by_status = {s: [r["file"] for r in rows if r["status"] == s] for s in STATUSES}
    assert len(by_status["duplicate"]) == 1
    assert len(by_status["quarantined"]) >= 4
    sizes = {f: (RAW / f).stat().st_size for f in by_status["quarantined"]}
    assert 0 in sizes.values()
    assert 600 in sizes.values()
    assert any(f.endswith(".xyz") for f in sizes)
    assert any((RAW / f).read_bytes().startswith(b"\x89PNG") for f in sizes if f.endswith(".pdf"))


@pytest.mark.parametrize("folder, name", [(RAW, "sample_expected.csv"), (MINI, "mini_expected.csv")])
def test_duplicate_has_the_same_words_in_another_format(folder, name):
    dup = next(r for r in _expected(name) if r["status"] == "duplicate")
    assert Path(dup["file"]).suffix != Path(dup["duplicate_of"]).suffix
    assert " ".join(_text(folder / dup["file"]).split()) == " ".join(_text(folder / dup["duplicate_of"]).split())


def test_form_exports_have_several_councils():
    rows = _expected("sample_expected.csv")
    for ext in ("xlsx", "csv"):
        exp = [r for r in rows if r["format"] == ext]
        assert 4 <= len(exp) <= 6
        assert len({r["council"] for r in exp}) == len(exp)
    mini_csv = [r for r in _expected("mini_expected.csv") if r["format"] == "csv"]
    assert len(mini_csv) == 2


def test_mini_corpus_shape():
    rows = _expected("mini_expected.csv")
    assert 6 <= len(_files(MINI)) <= 8
    assert {r["format"] for r in rows if r["status"] == "ingested"} >= {"docx", "txt", "html", "csv"}
    assert {r["submission_type"] for r in rows} >= {"case_study_2009", "case_study_2010", "form_export"}
    assert [r["status"] for r in rows].count("duplicate") == 1
    assert any((MINI / f).stat().st_size == 0 for f in _files(MINI))


def test_sample_size_is_modest():
    assert sum((RAW / f).stat().st_size for f in _files(RAW)) < 3 * 1024 * 1024


# --- checklists: real ticks only -------------------------------------------------------------

W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"


def _ticked(path: Path) -> list[str]:
    """Labels of the really ticked checklist items: checked w14 checkboxes, or ☒ paragraphs."""
    d = docx.Document(str(path))
    labels = []
    for table in d.tables:
        for row in table.rows:
            boxes = row.cells[-1]._tc.findall(f".//{W14}checked")
            if boxes and boxes[0].get(f"{W14}val") == "1":
                labels.append(row.cells[0].text)
    labels += [p.text[2:] for p in d.paragraphs if p.text.startswith("\u2612 ")]
    return labels


def test_2010_checklists_tick_what_was_intended():
    mod = _load_script()
    label = dict(mod.CHECKLIST_2010)
    rows = [r for r in _expected("sample_expected.csv") if r["submission_type"] == "case_study_2010"]
    assert len(rows) >= 4
    kinds = set()
    for r in rows:
        xml = zipfile.ZipFile(RAW / r["file"]).read("word/document.xml")
        kinds.add(b"w14:checkbox" in xml)
        assert _ticked(RAW / r["file"]) == [label[i] for i in r["checklist"].split(";")]
        assert "National Outcome" in _text(RAW / r["file"])
    assert kinds == {True, False}  # both real checkbox controls and tick characters


# --- every document is marked fictional ------------------------------------------------------


def _docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    parts += [p.text for s in d.sections for p in s.footer.paragraphs]
    return "\n".join(parts)


def _text(path: Path) -> str:
    data = path.read_bytes()
    ext = path.suffix.lower()
    if ext == ".docx":
        return _docx_text(data)
    if ext == ".pdf":
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    if ext == ".eml":
        msg = email.message_from_bytes(data, policy=email.policy.default)
        parts = [str(msg["Subject"]), msg.get_body(("plain",)).get_content()]
        parts += [_docx_text(a.get_content()) for a in msg.iter_attachments()]
        return "\n".join(parts)
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _records(path: Path) -> list[str]:
    """The separately submitted texts in a file: one per spreadsheet row, else the whole text."""
    if path.suffix == ".xlsx":
        ws = load_workbook(path, read_only=True).active
        return [" ".join(str(v) for v in row if v) for row in ws.iter_rows(min_row=2, values_only=True)]
    if path.suffix == ".csv":
        return [" ".join(row) for row in list(csv.reader(io.StringIO(path.read_text("utf-8"))))[1:]]
    return [_text(path)]


def _readable(folder: Path) -> list[Path]:
    return [folder / f for f in _files(folder) if f not in UNREADABLE]


@pytest.mark.parametrize("path", _readable(RAW) + _readable(MINI), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_marked_fictional(path):
    for text in _records(path):
        assert MARK in text
        assert DISCLAIMER in text
    text = "\n".join(_records(path))
    if path.suffix in {".txt", ".md", ".xyz"}:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert MARK in lines[0]
        assert lines[-1].strip("_ ") == DISCLAIMER
    if path.suffix in {".html", ".rtf", ".eml", ".pdf", ".docx"}:
        # the mark is in the title, before any answer; the disclaimer comes after the last answer
        assert text.index(MARK) < text.index("What was") if "What was" in text else True
        assert text.rindex(DISCLAIMER) > text.rindex("Contact") if "Contact" in text else True


@pytest.mark.parametrize("path", _readable(RAW), ids=lambda p: p.name)
def test_contacts_are_fictional(path):
    mod = _load_script()
    domains = {c.domain for c in mod.CASES.values()} | {"example.org", "fictional.example.org"}
    text = "\n".join(_records(path))
    if path.suffix == ".eml":
        text += "\n" + path.read_bytes().decode("ascii", "replace")
    for area, mid, num in PHONE.findall(text):
        assert (area, mid) in {("0131", "496"), ("0141", "496"), ("01632", "960")}, (area, mid, num)
        assert num.startswith("0") or area == "01632"
    for addr in EMAIL.findall(text):
        local, domain = addr.lower().split("@")
        assert domain in domains, addr
        assert domain.endswith("example.org") or local.split(".")[-1] in FICTIONAL_SURNAMES, addr


def test_html_has_a_script_to_drop():
    html = (RAW / "east_dunbartonshire_befriending.html").read_text("utf-8")
    assert "<script>" in html and "<style>" in html


@pytest.mark.parametrize(
    "name, encoding, bom",
    [
        ("east_ayrshire_town_centre.txt", "utf-8", False),
        ("borders_works_youth_employment.txt", "cp1252", False),
        ("clackmannanshire_domestic_abuse.txt", "utf-8", True),
    ],
)
def test_text_encodings(name, encoding, bom):
    data = (RAW / name).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom
    data.decode(encoding)
    if encoding == "cp1252":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        text = data.decode("cp1252")
        assert "£" in text and "\u201c" in text and "\u2019" in text


def test_case_files_carry_the_fictional_mark(tmp_path):
    """The prose lives in scripts/sample_cases/*.yaml; a case file without its mark is refused."""
    mod = _load_script()
    assert set(mod.CASES) == {p.stem for p in mod.CASE_DIR.glob("*.yaml") if not p.name.endswith(mod.REPORT_SUFFIX)}
    (tmp_path / "unmarked.yaml").write_text("council: Fife\n", encoding="utf-8")
    with pytest.raises(ValueError, match="FICTIONAL"):
        mod.load_cases(tmp_path)
