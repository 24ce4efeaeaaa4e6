"""save_text refuses a page or a text already listed in any part, not only in its own gatherer's file.

All text and addresses here are FICTIONAL.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from scripts import load_script

FIELDS = ["id", "url", "organisation", "date", "kind", "query", "chars", "sha256", "split"]
TEXT = "A FICTIONAL news item about a made-up partnership project in an imaginary town. " * 4


def _load(tmp_path):
    mod = load_script("benchmarks/real_text/save_text.py")
    mod.HERE = tmp_path
    return mod


def _save(mod, monkeypatch, gatherer, url, text=TEXT):
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    return mod.main(["--gatherer", gatherer, "--url", url, "--organisation", "Fictional Council",
                     "--kind", "news_item", "--split", "test99"])


def test_saves_then_refuses_an_address_or_text_listed_in_another_gatherers_part(tmp_path, monkeypatch, capsys):
    mod = _load(tmp_path)
    assert _save(mod, monkeypatch, "zx", "https://example.org/one") == 0
    rows = list(csv.DictReader((tmp_path / "parts" / "sources_zx.csv").open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["zx-001"] and rows[0]["split"] == "test99"
    assert (tmp_path / "cache" / "zx" / "zx-001.txt").read_text(encoding="utf-8").startswith("A FICTIONAL")
    # another gatherer: the same address, then the same text under a new address
    assert _save(mod, monkeypatch, "zy", "https://example.org/one") == 2
    assert "sources_zx.csv" in capsys.readouterr().err
    assert _save(mod, monkeypatch, "zy", "https://example.org/two") == 2
    assert "same text" in capsys.readouterr().err
    assert not (tmp_path / "parts" / "sources_zy.csv").exists()
    assert _save(mod, monkeypatch, "zy", "https://example.org/two", TEXT + "A different ending. ") == 2  # near copy
    assert _save(mod, monkeypatch, "zy", "https://example.org/two", TEXT.replace("news item", "report") * 2) == 0


@pytest.mark.parametrize("url", ["https://awards.cosla.gov.uk/x", "https://www.cosla.gov.uk/excellence/y"])
def test_refuses_the_reserved_site(tmp_path, monkeypatch, url):
    assert _save(_load(tmp_path), monkeypatch, "zx", url) == 2


@pytest.mark.parametrize("url", [
    "https://eur01.safelinks.example.com/?url=https%3A%2F%2Fexample.org%2Fnews&data=04%7C01%7Cjo.bloggs%40example.org"
    "%7Cabc",
    "http://jo.bloggs@example.org/file/contacts.doc",
    "https://example.org/page?ref=jo.bloggs%2540example.gov.uk",
])
def test_refuses_an_address_carrying_an_email_address(tmp_path, monkeypatch, capsys, url):
    """Session 61: a link wrapper's address carried a council officer's e-mail address into a part file (all of
    these addresses are FICTIONAL)."""
    mod = _load(tmp_path)
    assert _save(mod, monkeypatch, "zx", url) == 2
    assert "e-mail address" in capsys.readouterr().err
    assert not (tmp_path / "parts" / "sources_zx.csv").exists()
    # an at sign that is not an e-mail address (a photo site's account id) is not refused
    assert _save(mod, monkeypatch, "zx", "https://photos.example.org/123456@N04/987") == 0


def test_refuses_an_address_listed_in_sources_csv(tmp_path, monkeypatch):
    with (tmp_path / "sources.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerow({"id": "zw-001", "url": "https://example.org/listed", "sha256": "0" * 64})
    assert _save(_load(tmp_path), monkeypatch, "zx", "https://example.org/listed") == 2


@pytest.mark.parametrize("variant", ["http://www.example.org/one/", "https://EXAMPLE.org/one#top",
                                     "https://www.example.org/one"])
def test_refuses_the_same_page_under_a_variant_address(tmp_path, monkeypatch, variant):
    mod = _load(tmp_path)
    assert _save(mod, monkeypatch, "zx", "https://example.org/one") == 0
    assert _save(mod, monkeypatch, "zy", variant, TEXT + "Another ending. ") == 2


def test_a_mirrors_download_address_is_its_page_address():
    mod = _load(Path("."))
    assert mod.page_key("https://docslib.org/download/123/a-plan") == mod.page_key("http://docslib.org/doc/123/a-plan")
    assert mod.page_key("https://example.org/a") != mod.page_key("https://example.org/b")


def test_refuses_a_near_copy_of_a_listed_text(tmp_path, monkeypatch, capsys):
    mod = _load(tmp_path)
    body = " ".join(f"Fictional sentence number {i} about an imaginary town hall and its made-up partners."
                    for i in range(12))
    assert _save(mod, monkeypatch, "zx", "https://example.org/one", body) == 0
    # the same page on a mirror: a heading added, the last sentence cut
    mirror = "Mirror heading. " + body.rsplit(" Fictional", 1)[0]
    assert _save(mod, monkeypatch, "zy", "https://mirror.example.net/x", mirror) == 2
    assert "zx-001" in capsys.readouterr().err
    other = " ".join(f"A different fictional note {i} on a pretend library and its opening hours." for i in range(12))
    assert _save(mod, monkeypatch, "zy", "https://mirror.example.net/y", other) == 0


@pytest.mark.parametrize("date, code", [("2012", 0), ("2015-06", 0), ("2012-03-31", 0), ("", 0), ("2015-13", 2),
                                        ("2012-02-30", 2), ("1850-01-01", 2), ("March 2012", 2), ("2012/03", 2),
                                        ("12", 2)])
def test_a_date_is_a_year_a_month_or_a_full_date(tmp_path, monkeypatch, capsys, date, code):
    mod = _load(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(TEXT))
    args = ["--gatherer", "zx", "--url", "https://example.org/dated", "--organisation", "Fictional Council",
            "--kind", "news_item", "--split", "test99"]
    assert mod.main(args + (["--date", date] if date else [])) == code
    part = tmp_path / "parts" / "sources_zx.csv"
    if code:
        assert "not a year (YYYY), a month (YYYY-MM) or a date" in capsys.readouterr().err and not part.exists()
    else:
        assert list(csv.DictReader(part.open(encoding="utf-8")))[0]["date"] == date
