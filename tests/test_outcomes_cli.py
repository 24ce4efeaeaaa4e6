"""Outcome indicators end to end: a run on the mini corpus, the values its council pages show read
back against the shipped CPOP file, the tables and manifest, and another outcome file swapped in
from the CLI and from a run file; a malformed file refused with exit status 2.

Outcome files written here are FICTIONAL (invented figures). The shipped CPOP file is only read.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import re
import shutil
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from soa_analysis import cli
from soa_analysis.io import read_table
from soa_analysis.schema import REPORT_TABLES

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini_raw"
# The Improvement Service's names for two areas, and the workbench's (soa_analysis/reference/councils.csv).
IS_NAMES = {"Edinburgh, City of": "City of Edinburgh", "Eilean Siar": "Na h-Eileanan Siar"}

pytestmark = pytest.mark.slow


def _main(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(args)
    return code, err.getvalue()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("outcomes")
    shutil.copytree(MINI, base / "raw")
    code, err = _main(["run", "--raw-dir", str(base / "raw"), "--processed-dir", str(base / "processed"),
                       "--reports-dir", str(base / "reports"), "-q"])
    assert code == 0, err
    return base


class _Tables(HTMLParser):
    """Every <table>: its caption and rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption":
            self._caption = False
        elif tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]["rows"]:
            self.tables[-1]["rows"][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._caption and self.tables:
            self.tables[-1]["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


def _tables(html: str) -> list[dict]:
    p = _Tables()
    p.feed(html)
    return p.tables


def _source_values() -> dict[tuple[str, str, str], float]:
    """(council, CPOP indicator, year) -> value, read straight from the shipped CSV."""
    text = resources.files("soa_analysis.outcomes").joinpath("data/cpop_cpp.csv").read_text(encoding="utf-8")
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["value"] != "NA":
            out[(IS_NAMES.get(row["CPP"], row["CPP"]), row["Indicator"], row["Year"])] = float(row["value"])
    return out


def _close(shown: str, value: float) -> bool:
    """A figure as the page shows it (rounded, thousands separated) equals the source value."""
    digits = shown.replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return abs(float(digits) - value) <= 0.5 * 10 ** -decimals + 1e-9


def _label_to_cpop() -> dict[str, str]:
    from soa_analysis.outcomes import load_crosswalk

    return {i.label: i.cpop_names[0] for i in load_crosswalk().indicators}


def test_council_pages_show_their_priorities_indicators_with_the_source_values(run):
    latest = run / "reports" / "latest"
    subs = read_table(run / "processed", "submissions")
    tags = read_table(run / "processed", "tags")
    assigned = tags[(tags["taxonomy"] == "priorities") & tags["assigned"].astype(bool)]
    source = _source_values()
    names = _label_to_cpop()
    checked: set[tuple[str, str, str]] = set()
    councils = sorted({c for c in subs["council"] if c})
    assert len(councils) >= 3
    for council in councils:
        page = (latest / "councils" / f"{re.sub(r'[^a-z0-9]+', '-', council.lower()).strip('-')}.html").read_text()
        assert 'id="outcomes"' in page and "cannot claim an area-wide trend" in page
        ids = set(subs.loc[subs["council"] == council, "submission_id"])
        for p in set(assigned.loc[assigned["submission_id"].isin(ids), "priority"]):
            assert f'id="outcomes-{p.replace("_", "-")}"' in page, (council, p)
        for t in _tables(page):
            if not t["caption"].startswith(f"{council} and Scotland by year"):
                continue
            for label, year, kind, value, scotland in t["rows"][1:]:
                key = (council, names[label], year)
                if value == "–":  # no value in the source (NA)
                    assert key not in source
                    continue
                assert _close(value, source[key]), (key, value)
                assert _close(scotland, source[("Scotland", names[label], year)]), (key, scotland)
                assert kind in ("raw", "imputed", "projected")
                checked.add(key)
    assert len({c for c, _, _ in checked}) >= 3
    assert len({i for _, i, _ in checked}) >= 3
    assert len({y for _, _, y in checked}) >= 10


def test_summary_holds_the_national_view_and_both_gap_lists(run):
    html = (run / "reports" / "latest" / "summary.html").read_text()
    for want in ("Narrative evidence beside outcome indicators", "Strong narrative evidence beside a worsening indicator",
                 "Indicators that worsened with no case study addressing them", "Improvement Service",
                 "The crosswalk: indicators, priorities and National Outcomes"):
        assert want in html
    captions = [t["caption"] for t in _tables(html)]
    assert any(c.startswith("Case studies (and best evidence grade) beside the movement") for c in captions)


def test_manifest_and_tables_record_the_outcome_data(run):
    latest = run / "reports" / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    od = manifest["outcome_data"]
    assert od["path"] == "package:cpop_cpp.csv" and od["rows"] == 7029
    assert od["sha256"] == hashlib.sha256(
        resources.files("soa_analysis.outcomes").joinpath("data/cpop_cpp.csv").read_bytes()).hexdigest()
    assert od["crosswalk"]["version"]
    sheets = pd.read_excel(latest / "tables" / "report_tables.xlsx", sheet_name=None)
    for name, spec in REPORT_TABLES.items():
        frame = pd.read_csv(latest / "tables" / f"{name}.csv", keep_default_na=False)
        if name == "partner_pairs":  # a square matrix: one column per partner type (tests/test_report_exports.py)
            assert list(frame.columns)[:1] == spec.column_names, name
        else:
            assert list(frame.columns) == spec.column_names, name
        assert name[:31] in sheets
    reading = pd.read_csv(latest / "tables" / "outcome_reading.csv")
    assert set(reading["council"]) == {c["name"] for c in __import__(
        "soa_analysis.reference", fromlist=["load_councils"]).load_councils()}
    view = pd.read_csv(latest / "tables" / "outcome_priority_view.csv")
    assert len(view) == 32 * 6


# FICTIONAL outcome figures: East Ayrshire, Fife and Scotland, two indicators.
FICTIONAL = """CPP,Indicator,Type,Year,value
Scotland,Crime Rate,Raw data,2010/11,500
Scotland,Crime Rate,Raw data,2011/12,480
Fife,Crime Rate,Raw data,2010/11,410.25
Fife,Crime Rate,Raw data,2011/12,432.75
East Ayrshire,Crime Rate,Raw data,2010/11,300
East Ayrshire,Crime Rate,Raw data,2011/12,290
Scotland,Emergency Admissions,Raw data,2010/11,20000
Scotland,Emergency Admissions,Raw data,2011/12,20500
Scotland,Emergency Admissions,Projected,2012/13,21000
Fife,Emergency Admissions,Raw data,2010/11,19000
Fife,Emergency Admissions,Raw data,2011/12,19876
Fife,Emergency Admissions,Projected,2012/13,20111
"""


def test_another_outcome_file_from_the_cli(run, tmp_path):
    f = tmp_path / "newer_cpop.csv"
    f.write_text(FICTIONAL, encoding="utf-8")
    code, err = _main(["report", "--processed-dir", str(run / "processed"), "--reports-dir", str(tmp_path / "r"),
                       "--outcome-data", str(f), "-q"])
    assert code == 0, err
    latest = tmp_path / "r" / "latest"
    od = json.loads((latest / "manifest.json").read_text())["outcome_data"]
    assert od["path"] == str(f) and od["rows"] == 12
    assert od["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
    fife = (latest / "councils" / "fife.html").read_text()
    # Fife's case study is about older people: the fictional emergency admissions, projection included
    assert "19,876" in fife and "20,111" in fife
    assert "newer_cpop.csv" in fife and str(tmp_path) not in fife  # the file's name, never its folder
    series = pd.read_csv(latest / "tables" / "outcome_series.csv")
    assert set(series["council"]) == {"East Ayrshire", "Fife"}
    assert series.loc[(series["council"] == "Fife") & (series["year"] == "2012/13"), "type"].tolist() == ["projected"]


def test_another_outcome_file_from_a_run_file(run, tmp_path, monkeypatch):
    f = tmp_path / "mine.csv"
    f.write_text(FICTIONAL.replace("432.75", "440"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "with_outcomes.yaml"
    cfg.write_text(f"processed_dir: {run / 'processed'}\nreports_dir: r\ncouncil_reports: false\n"
                   "outcome_data: mine.csv\n", encoding="utf-8")
    code, err = _main(["report", "--config", str(cfg), "-q"])
    assert code == 0, err
    od = json.loads((tmp_path / "r" / "latest" / "manifest.json").read_text())["outcome_data"]
    assert od["path"] == "mine.csv" and od["sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()


@pytest.mark.parametrize("content, message", [
    (FICTIONAL.replace("410.25", "about 410"), r"non-numeric value\(s\) \['about 410'\] at line\(s\) 4"),
    (FICTIONAL.replace("CPP,Indicator", "Area,Indicator"), r"unknown layout: column\(s\) CPP missing"),
    (FICTIONAL.replace("Fife,Crime Rate,Raw data,2010/11", "Fyfe,Crime Rate,Raw data,2010/11"), "Fyfe"),
])
def test_a_malformed_outcome_file_exits_2_before_any_work(run, tmp_path, content, message):
    f = tmp_path / "bad.csv"
    f.write_text(content, encoding="utf-8")
    reports = tmp_path / "r"
    code, err = _main(["report", "--processed-dir", str(run / "processed"), "--reports-dir", str(reports),
                       "--outcome-data", str(f), "-q"])
    assert code == 2
    assert re.search(message, err), err
    assert f"outcome data {f}" in err
    assert not (reports / "runs").exists()  # refused before a run folder was made
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(f"processed_dir: {run / 'processed'}\nreports_dir: {reports}\noutcome_data: {f}\n")
    code, err = _main(["report", "--config", str(cfg), "-q"])
    assert code == 2 and re.search(message, err)


def test_a_missing_outcome_file_exits_2(tmp_path):
    code, err = _main(["report", "--processed-dir", str(tmp_path), "--outcome-data", str(tmp_path / "none.csv")])
    assert code == 2 and "none.csv not found" in err
