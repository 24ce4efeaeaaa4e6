"""Per-submission report work kept across runs (soa_analysis.report.carry): the national summary's
cards and indicator mentions taken from the last run are exactly what computing them gives.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import dataclasses

import pytest

from soa_analysis.io import read_table, write_table
from soa_analysis.report import contents
from soa_analysis.report.carry import Carry, digest
from soa_analysis.report.data import load_report_data
from soa_analysis.report.outcomes_section import outcome_tables
from soa_analysis.report.synthetic import make_synthetic_processed
from soa_analysis.schema import TABLES

COUNCILS = ["Fife", "Moray", "Angus"]
WHEN = "2026-01-01 00:00 UTC"
CARRIED = ("case-studies", "outcomes")


def _load(p, **kw):
    return dataclasses.replace(load_report_data(p, run_id="run", council_pages=True, **kw), generated=WHEN,
                               derived={})


def _with_carry(p, **kw):
    data = load_report_data(p, run_id="run", council_pages=True, carry=True, **kw)
    return dataclasses.replace(data, generated=WHEN)


def _shown(data):
    return {a: contents.show(a, data).data for a in CARRIED}


def _tables(data):
    return outcome_tables(data)


def _equal_tables(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].reset_index(drop=True).equals(b[name].reset_index(drop=True)), name


@pytest.fixture
def processed(tmp_path):
    p = make_synthetic_processed(tmp_path / "p", n=24, councils=COUNCILS, fictional=(2,),
                                 narrative_extra={1: "Fictional <b>markup</b>; positive destinations rose. "
                                                     "Call 0131 496 0000."})
    (p / ".cache").mkdir(exist_ok=True)  # as a pipeline leaves it
    return p


def _edit_text(p, council, extra):
    subs = read_table(p, "submissions")
    i = subs.index[subs["council"] == council][0]
    subs.loc[i, "text"] = str(subs.loc[i, "text"]) + " " + extra
    write_table(subs, p / TABLES["submissions"].filename, table="submissions")


def _drop(p, council):
    subs = read_table(p, "submissions")
    gone = subs.loc[subs["council"] == council, "submission_id"].iloc[0]
    write_table(subs[subs["submission_id"] != gone].reset_index(drop=True), p / TABLES["submissions"].filename,
                table="submissions")


def test_carried_work_equals_work_done_now_across_runs(processed):
    first = _with_carry(processed)
    carry = first.derived["carry"]
    assert carry is not None
    assert _shown(first) == _shown(_load(processed))
    assert carry.misses and not carry.hits

    # a re-run after one text changed (to cite an indicator by name) and one submission went
    _edit_text(processed, "Moray", "FICTIONAL: emergency admissions 65+ fell.")
    _drop(processed, "Fife")
    again = _with_carry(processed)
    shown = _shown(again)
    assert shown == _shown(_load(processed))
    _equal_tables(_tables(again), _tables(_load(processed)))
    assert "emergency admissions 65+" in shown["outcomes"]
    assert again.derived["carry"].hits > 0 and again.derived["carry"].misses >= 2  # the edited text and its card

    # unchanged: everything is taken from the last run, and still equal
    same = _with_carry(processed)
    assert _shown(same) == _shown(_load(processed))
    assert same.derived["carry"].misses == 0 and same.derived["carry"].hits > 0


def test_full_takes_nothing_and_no_cache_folder_means_no_carry(processed, tmp_path):
    _shown(_with_carry(processed))
    forced = _with_carry(processed, full=True)
    assert _shown(forced) == _shown(_load(processed))
    assert forced.derived["carry"].hits == 0
    bare = make_synthetic_processed(tmp_path / "bare", n=6, councils=COUNCILS)
    assert _with_carry(bare).derived["carry"] is None
    assert not (bare / ".cache").exists()


def test_a_damaged_cache_or_other_code_is_ignored(processed):
    _shown(_with_carry(processed))
    path = processed / ".cache" / "report_carry.pkl"
    assert path.is_file()
    path.write_bytes(b"not a pickle")
    data = _with_carry(processed)
    assert _shown(data) == _shown(_load(processed)) and data.derived["carry"].hits == 0
    c = Carry(processed)
    c.fingerprint = "other code"
    c.save()
    assert Carry(processed).get("card", "k", lambda: "now") == "now"


def test_a_kind_not_used_keeps_the_last_runs_entries_and_nothing_grows(tmp_path):
    (tmp_path / ".cache").mkdir()
    a = Carry(tmp_path)
    a.get("x", "1", lambda: 1), a.get("y", "2", lambda: 2)
    a.save()
    b = Carry(tmp_path)
    assert b.get("x", "3", lambda: 3) == 3
    b.save()
    c = Carry(tmp_path)
    assert c._old == {"x": {"3": 3}, "y": {"2": 2}}


def test_digest_tells_values_apart():
    assert digest({"a": "x"}, None) == digest({"a": "x"}, None)
    assert digest({"a": "x"}, None) != digest({"a": "y"}, None)
    assert digest("ab", "c") != digest("a", "bc")


def test_the_outcome_files_reading_is_carried_by_its_bytes(processed, tmp_path, monkeypatch):
    """The CPOP file's parse and reading (:func:`outcomes_section._kept`) are taken from the last run's carry
    when the file's bytes are the same (a new process: nothing kept in memory), and worked out again when they
    changed; the section and its tables equal those worked out now either way."""
    from importlib import resources

    from soa_analysis.report import outcomes_section as osec

    csv = tmp_path / "cpop.csv"
    csv.write_bytes(resources.files("soa_analysis.outcomes").joinpath("data/cpop_cpp.csv").read_bytes())
    computed = []
    real = osec._compute
    monkeypatch.setattr(osec, "_compute", lambda key: computed.append(key) or real(key))

    def run(**kw):
        osec._KEPT.clear()  # as in a new kernel
        data = _with_carry(processed, outcome_data=str(csv), **kw)
        return _shown(data)["outcomes"], _tables(data)

    def now():
        osec._KEPT.clear()
        data = _load(processed, outcome_data=str(csv))
        return _shown(data)["outcomes"], _tables(data)

    first = run()
    assert len(computed) == 1
    again = run()
    assert len(computed) == 1  # taken from the carry
    expected = now()
    assert again[0] == first[0] == expected[0]
    _equal_tables(again[1], expected[1])

    # other bytes (one figure changed): worked out again, and the page shows the new figures
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    head, *rows = lines
    i = next(k for k, r in enumerate(rows) if r.split(",")[0] == "Fife")
    cells = rows[i].rstrip("\n").split(",")
    cells[4] = str(float(cells[4]) * 3 + 1)  # CPP, Indicator, Type, Year, value
    rows[i] = ",".join(cells) + "\n"
    csv.write_text(head + "".join(rows), encoding="utf-8")
    n = len(computed)
    changed = run()
    assert len(computed) == n + 1
    expected = now()
    assert changed[0] == expected[0]
    _equal_tables(changed[1], expected[1])
    run(full=True)  # --full takes nothing from the carry
    assert len(computed) == n + 3  # and now() in between worked it out too
