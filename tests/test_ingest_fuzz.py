"""Fuzzing the reader dispatcher: random and truncated bytes under every extension.

Whatever the bytes, :func:`read_bytes` must return Documents or raise QuarantineError -
never another exception. How long a read may take is the reader's own time budget (an
overrun is itself a QuarantineError), never a test deadline: on a loaded machine a random
file that starts like an OLE document goes through LibreOffice and takes seconds.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ingest_readers import _case_study_2009, _checkboxes, _docx_bytes, _eml, _odt_bytes, _pdf_bytes, _xlsx_bytes

from soa_analysis.errors import QuarantineError
from soa_analysis.ingest.document import Document
from soa_analysis.ingest.readers import Limits, read_bytes

EXTENSIONS = ["docx", "doc", "pdf", "txt", "md", "html", "rtf", "odt", "eml", "csv", "xlsx", ""]
LIMITS = Limits(time_budget_s=5.0)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.data_too_large])


def _valid_samples() -> dict[str, bytes]:
    return {
        "docx": _docx_bytes(_checkboxes),
        "pdf": _pdf_bytes(["FICTIONAL page"], table=[["a", "b"], ["c", "d"]]),
        "xlsx": _xlsx_bytes([["h1", "h2"], ["v1", "v2"]]),
        "odt": _odt_bytes(),
        "eml": _eml(attach=_docx_bytes(_case_study_2009)),
        "html": b"<html><body><h1>T</h1><table><tr><td>a</td><td><table><tr><td>b</td></tr></table></td></tr></table></body></html>",
        "rtf": rb"{\rtf1\ansi\pard Fictional\par}",
        "csv": b"a,b\n1,2\n",
    }


SAMPLES = _valid_samples()


def _check(data: bytes, name: str) -> None:
    try:
        docs = read_bytes(data, name=name, limits=LIMITS)
    except QuarantineError as exc:
        assert str(exc)  # a reason is always given
        return
    assert docs and all(isinstance(d, Document) for d in docs)
    for d in docs:
        assert isinstance(d.meta.get("format"), str)
        for b in d.blocks:
            assert isinstance(b.text, str)


@pytest.mark.parametrize("ext", EXTENSIONS)
@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes(ext, data):
    _check(data, f"fuzz.{ext}" if ext else "fuzz")


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
@FUZZ
@given(cut=st.floats(min_value=0.0, max_value=1.0), flip=st.integers(min_value=0, max_value=10**9),
       ext=st.sampled_from(EXTENSIONS))
def test_truncated_and_corrupted_valid_files(fmt, cut, flip, ext):
    full = SAMPLES[fmt]
    data = bytearray(full[: int(len(full) * cut)])
    if data and flip % 3 == 0:  # also flip a byte somewhere
        i = flip % len(data)
        data[i] ^= 0xFF
    _check(bytes(data), f"fuzz.{ext or fmt}")


@pytest.mark.filterwarnings("ignore:Duplicate name")
@FUZZ
@given(members=st.lists(st.tuples(st.sampled_from(["word/document.xml", "xl/workbook.xml", "content.xml",
                                                     "mimetype", "[Content_Types].xml", "x.bin"]),
                                  st.binary(max_size=300)), max_size=4),
       ext=st.sampled_from(["docx", "xlsx", "odt", "txt"]))
def test_random_zip_packages(members, ext):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, payload in members:
            z.writestr(name, payload)
    _check(buf.getvalue(), f"fuzz.{ext}")


def test_valid_samples_read():
    for fmt, data in SAMPLES.items():
        docs = read_bytes(data, name=f"ok.{fmt}", limits=LIMITS)
        assert docs[0].meta["format"] == fmt
