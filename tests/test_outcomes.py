"""Tests of soa_analysis.outcomes: the shipped CPOP data, the crosswalk, the loader's checks,
CPOP's reading, indicators cited by name, and the narrative-beside-indicators views.

Small outcome files and submissions written here are FICTIONAL (invented figures and text);
the shipped CPOP file is real published data and is only read.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd
import pytest

from soa_analysis.errors import OutcomeDataError, TaxonomyError
from soa_analysis.ingest.councils import resolve_council
from soa_analysis.outcomes import PACKAGED, SCOTLAND, load_crosswalk, load_outcome_data, parse_outcome_csv, views
from soa_analysis.outcomes.mentions import find_indicator_mentions, indicator_mentions
from soa_analysis.outcomes.reading import cpop_reading, series
from soa_analysis.reference import load_councils
from soa_analysis.schema import PRIORITY_IDS
from soa_analysis.taxonomies import load_taxonomy

# --------------------------------------------------------------------------- the shipped data

def test_shipped_file_maps_all_32_councils_and_scotland():
    d = load_outcome_data()
    areas = d.frame.drop_duplicates("area").set_index("area")[["council", "council_code"]]
    assert len(areas) == 33
    expected = {c["name"]: c["gss_code"] for c in load_councils()}
    mapped = {r.council: r.council_code for r in areas.itertuples() if r.council != SCOTLAND}
    assert mapped == expected  # every one of the 32, each once, with its current GSS code
    assert areas.loc["Scotland", "council_code"] == "S92000003"
    # The Improvement Service's own names reconcile through the ingest stage's lookup.
    assert areas.loc["Edinburgh, City of", "council"] == "City of Edinburgh"
    assert areas.loc["Eilean Siar", "council"] == "Na h-Eileanan Siar"
    assert resolve_council("Edinburgh, City of")[0] == "City of Edinburgh"
    assert d.councils_missing == ()


def test_shipped_file_summary_is_what_its_readme_states():
    d = load_outcome_data()
    s = d.summary()
    assert s["path"] == PACKAGED
    assert s["sha256"] == "ff24b2ad3893f61cd56504e63ff1f2f897fe16fab3de4efc0762a3f7878383ad"
    assert s["rows"] == 7029 and s["areas"] == 33 and s["indicators"] == 18
    assert s["rows_by_type"] == {"imputed": 891, "projected": 792, "raw": 5346}
    assert s["rows_without_value"] == 47
    assert s["indicators_not_in_crosswalk"] == [] and s["crosswalk_indicators_absent"] == []
    assert s["years"] == ["2006/07", "2020/21"]
    from importlib import resources

    readme = resources.files("soa_analysis.outcomes").joinpath("data/README.md").read_text(encoding="utf-8")
    for fact in (s["sha256"], "Improvement-Service/CommunityPlanningOutcomesProfiler",
                 "e04e838c4af1618dff041497733d84f27cae10e5", "retrieved", "Attribution", "7,029"):
        assert fact in readme


@pytest.mark.parametrize("council, indicator, year, kind, value", [
    # figures as published in CPOP's CPPcleandata.csv (read back, never computed)
    ("Aberdeen City", "healthy_birthweight", "2006/07", "raw", 90.05498743601004),
    ("City of Edinburgh", "healthy_birthweight", "2006/07", "raw", 89.36721973622157),
    ("Angus", "crime_rate", "2016/17", "raw", 307.7014751075688),
    ("Angus", "child_poverty", "2015/16", "imputed", 13.662416792064823),
    ("Fuel Poverty", None, None, None, None),
])
def test_values_read_back_from_the_shipped_file(council, indicator, year, kind, value):
    d = load_outcome_data()
    if indicator is None:
        fp = d.frame[(d.frame["indicator"] == "fuel_poverty") & (d.frame["council"] == "Angus")]
        assert list(fp["year"]) == ["2013-2015", "2014-2016"] and list(fp["value"]) == [43.0, 39.13]
        return
    row = d.frame[(d.frame["council"] == council) & (d.frame["indicator"] == indicator) & (d.frame["year"] == year)]
    assert len(row) == 1
    assert row["type"].iloc[0] == kind
    assert row["value"].iloc[0] == pytest.approx(value, rel=1e-9)


def test_reading_matches_cpops_own_improvement_rates():
    # CPOP's app publishes an "Improvement_Rate" per area and indicator (Imp_rate_CPP.csv in the same
    # repository): the change from the first to the latest non-projected year, in per cent.
    r = cpop_reading(load_outcome_data(), ["Angus"]).set_index("indicator")
    assert r.at["crime_rate", "change_pct"] == pytest.approx(-42.378001, abs=1e-5)
    assert r.at["crime_rate", "scotland_change_pct"] == pytest.approx(-42.406016, abs=1e-5)
    assert r.at["child_poverty", "change_pct"] == pytest.approx(-9.223759, abs=1e-5)
    assert r.at["s4_tariff", "change_pct"] == pytest.approx(16.487938, abs=1e-5)
    assert r.at["business_survival", "change_pct"] == pytest.approx(-10.371156, abs=1e-5)
    assert r.at["fuel_poverty", "change_pct"] == pytest.approx(-9.0, abs=1e-9)
    assert r.at["crime_rate", "latest_year"] == "2016/17"  # projected years never enter a reading
    assert r.at["crime_rate", "projected_to"] == "2020/21"


# --------------------------------------------------------------------------- crosswalk

def test_crosswalk_links_the_issues_examples_and_every_link_has_a_reason():
    cw = load_crosswalk()
    want = {
        "early_years": {"healthy_birthweight", "p1_bmi", "child_poverty"},
        "employment": {"employment_rate", "out_of_work_benefits", "positive_destinations"},
        "older_people": {"emergency_admissions_65"},
        "safer_communities": {"crime_rate", "dwelling_fires"},
        "economic_growth": {"median_earnings", "business_survival"},
        "health_inequalities": {"early_mortality"},
    }
    for p, ids in want.items():
        assert ids <= {i.id for i in cw.for_priority(p)}, p
    for ind in cw.indicators:
        for p in ind.priorities:
            assert p in PRIORITY_IDS and ind.reason(p) and "\n" not in ind.reason(p)
        for tax in ("outcomes_soa", "outcomes_2018"):
            assert set(ind.outcome_ids(tax)) <= set(load_taxonomy(tax).ids)
    lower = {i.id for i in cw.indicators if not i.higher_is_better}
    assert {"crime_rate", "early_mortality", "child_poverty", "emergency_admissions_65", "out_of_work_benefits",
            "dwelling_fires"} <= lower
    assert {"employment_rate", "positive_destinations", "healthy_birthweight"}.isdisjoint(lower)
    assert cw.version and len(cw.provenance()["sha256"]) == 64


def test_every_indicator_in_the_shipped_data_is_in_the_crosswalk():
    d = load_outcome_data()
    cw = load_crosswalk()
    assert set(d.frame["indicator"]) == set(cw.ids)


_GOOD_INDICATOR = """
  - id: thing
    label: Thing
    cpop_names: [Thing]
    measure: a thing
    higher_is_better: true
    priorities: {employment: Because.}
    national_outcomes: {outcomes_soa: [no02]}
    phrases: [thing]
"""


@pytest.mark.parametrize("body, message", [
    ("name: x\nversion: '1'\nindicators: []\n", "'indicators' must be a non-empty list"),
    ("name: x\nindicators:" + _GOOD_INDICATOR, "'version' must be a non-empty string"),
    ("name: x\nversion: '1'\nindicators:" + _GOOD_INDICATOR.replace("employment:", "jobs:"),
     "priority 'jobs' is not one of"),
    ("name: x\nversion: '1'\nindicators:" + _GOOD_INDICATOR.replace("[no02]", "[no99]"),
     "not in the outcomes_soa taxonomy"),
    ("name: x\nversion: '1'\nindicators:" + _GOOD_INDICATOR.replace("higher_is_better: true", "higher_is_better: up"),
     "'higher_is_better' must be true or false"),
    ("name: x\nversion: '1'\nindicators:" + _GOOD_INDICATOR + _GOOD_INDICATOR, "repeated"),
    ("name: x\nversion: '1'\nindicators:" + _GOOD_INDICATOR.replace("phrases: [thing]", "phrases: []"),
     "'phrases' must be a non-empty list"),
    ("name: x\nversion: '1'\nextra: 1\nindicators:" + _GOOD_INDICATOR, "unknown top-level key"),
    (": : :", "not valid YAML"),
])
def test_bad_crosswalks_say_what_is_wrong(tmp_path, body, message):
    p = tmp_path / "cw.yaml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message):
        load_crosswalk(p)


def test_an_edited_crosswalk_loads_with_its_own_version(tmp_path):
    p = tmp_path / "cw.yaml"
    p.write_text("name: mine\nversion: '2.1'\nindicators:" + _GOOD_INDICATOR, encoding="utf-8")
    cw = load_crosswalk(p)
    assert cw.version == "2.1" and cw.ids == ("thing",) and cw.source == str(p)


# --------------------------------------------------------------------------- the loader's checks

# FICTIONAL outcome figures for two councils and Scotland.
FICTIONAL = textwrap.dedent("""\
    CPP,Indicator,Type,Year,value
    Scotland,Crime Rate,Raw data,2010/11,100
    Scotland,Crime Rate,Raw data,2011/12,90
    Scotland,Crime Rate,Projected,2012/13,85
    Fife,Crime Rate,Raw data,2010/11,80
    Fife,Crime Rate,Raw data,2011/12,76
    Fife,Crime Rate,Projected,2012/13,10
    Moray,Crime Rate,Raw data,2010/11,120
    Moray,Crime Rate,Raw data,2011/12,130
    Scotland,Employment Rate,Raw data,2010/11,70
    Scotland,Employment Rate,Raw data,2011/12,70.35
    Fife,Employment Rate,Raw data,2010/11,72
    Fife,Employment Rate,Raw data,2011/12,72.5
    Moray,Employment Rate,Imputed,2010/11,NA
    Moray,Employment Rate,Raw data,2011/12,69
""")


def test_a_fictional_file_is_read_with_directions_minded():
    d = parse_outcome_csv(FICTIONAL.encode(), "fictional.csv")
    r = cpop_reading(d).set_index(["council", "indicator"])
    fife = r.loc[("Fife", "crime_rate")]
    # lower is better: Fife 76 < Scotland 90 is better; -5% against Scotland's -10% is slower
    assert fife["vs_scotland"] == "better" and fife["pace_vs_scotland"] == "slower"
    assert fife["movement"] == "improving" and fife["change_pct"] == pytest.approx(-5.0)
    assert fife["latest_year"] == "2011/12" and fife["projected_to"] == "2012/13"  # projection left out
    moray = r.loc[("Moray", "crime_rate")]
    assert moray["vs_scotland"] == "worse" and moray["movement"] == "worsening"
    emp = r.loc[("Fife", "employment_rate")]
    # higher is better: +0.69% is under the 1% band, so "little change"; Scotland +0.5%, Fife faster
    assert emp["movement"] == "little change" and emp["pace_vs_scotland"] == "faster"
    assert emp["vs_scotland"] == "better"
    m_emp = r.loc[("Moray", "employment_rate")]
    assert m_emp["first_year"] == m_emp["latest_year"] == "2011/12" and math.isnan(m_emp["change_pct"])
    assert "only one year" in m_emp["reading"]
    assert "better than Scotland in 2011/12" in fife["reading"]


def test_series_puts_scotland_beside_the_council_and_keeps_projections_marked():
    d = parse_outcome_csv(FICTIONAL.encode(), "fictional.csv")
    s = series(d, ["Fife"], ["crime_rate"])
    assert list(s["year"]) == ["2010/11", "2011/12", "2012/13"]
    assert list(s["scotland_value"]) == [100, 90, 85]
    assert list(s["type"]) == ["raw", "raw", "projected"]


def _bad(text: str) -> bytes:
    return textwrap.dedent(text).encode()


@pytest.mark.parametrize("raw, message", [
    (b"", "is empty"),
    (b"PK\x03\x04 not really a workbook", "spreadsheet workbook, not a CSV"),
    (_bad("Area,Measure,Year,Figure\nFife,Crime Rate,2010/11,1\n"), r"unknown layout: column\(s\) CPP, Indicator, Type, value missing"),
    (_bad("CPP,Indicator,Type,Year,value\n"), "no data rows"),
    (FICTIONAL.replace("Fife,Crime Rate,Raw data,2011/12,76", "Fife,Crime Rate,Estimate,2011/12,76").encode(),
     r"unknown Type value\(s\) \['Estimate'\] at line\(s\) 6"),
    (FICTIONAL.replace("Fife,Crime Rate,Raw data,2011/12,76", "Fife,Crime Rate,Raw data,last year,76").encode(),
     r"unreadable Year value\(s\) \['last year'\] at line\(s\) 6"),
    (FICTIONAL.replace("Fife,Crime Rate,Raw data,2011/12,76", "Fife,Crime Rate,Raw data,2011/12,lots").encode(),
     r"non-numeric value\(s\) \['lots'\] at line\(s\) 6"),
    (FICTIONAL.replace("Moray,", "Atlantis,").encode(), r"area name\(s\) \['Atlantis'\] are neither"),
    ("\n".join(ln for ln in FICTIONAL.splitlines() if not ln.startswith("Scotland")).encode(),
     "no rows for Scotland"),
    ((FICTIONAL + "Fife,Crime Rate,Raw data,2011/12,77\n").encode(),
     r"same area, indicator and year appear more than once, at line\(s\) 6, 16"),
    ((FICTIONAL + "Fife Council,Crime Rate,Raw data,2009/10,77\n").encode(), "all mean Fife"),
    (_bad("CPP,Indicator,Type,Year,value\nScotland,Happiness,Raw data,2010,1\nFife,Happiness,Raw data,2010,2\n"),
     "none of its indicators"),
    (_bad("CPP,Indicator,Type,Year,value\n,Crime Rate,Raw data,2010,1\n"), "without an area, indicator or year"),
])
def test_malformed_files_say_what_is_wrong(raw, message):
    with pytest.raises(OutcomeDataError, match=message):
        parse_outcome_csv(raw, "bad.csv")


def test_missing_file_and_header_case(tmp_path):
    with pytest.raises(OutcomeDataError, match="not found"):
        load_outcome_data(tmp_path / "nope.csv")
    p = tmp_path / "lower.csv"
    p.write_text(FICTIONAL.replace("CPP,Indicator,Type,Year,value", "cpp, indicator ,TYPE,year,Value"),
                 encoding="cp1252")
    d = load_outcome_data(p)
    assert d.source == str(p) and set(d.frame["council"]) == {"Fife", "Moray", SCOTLAND}
    assert d.summary()["councils_missing"][:2] == ["Aberdeen City", "Aberdeenshire"]
    assert "healthy_birthweight" in d.absent_indicators


# --------------------------------------------------------------------------- cited by name

@pytest.mark.parametrize("text, found", [
    ("The share of school leavers in positive destinations rose.", ["positive_destinations"]),
    ("Emergency admissions 65+ fell by a tenth. Emergency-admissions stayed low.", ["emergency_admissions_65"]),
    ("We tracked the P1 BMI and the crime rate.", ["p1_bmi", "crime_rate"]),
    ("Out-of-work benefit claimants fell.", ["out_of_work_benefits"]),
    ("Positive destinationsX is not a word; cybercrime rates are not the crime rate either",
     ["crime_rate"]),
    ("Nothing here about indicators.", []),
])
def test_indicators_cited_by_name(text, found):
    assert [m["indicator"] for m in find_indicator_mentions(text)] == found


def test_mentions_carry_their_sentence_and_link_to_the_crosswalk():
    subs = pd.DataFrame({"submission_id": ["a", "b"], "council": ["Fife", "Moray"],
                         "text": ["A fictional opening. Emergency admissions fell from 9 to 7. Then more.", ""]})
    m = indicator_mentions(subs)
    assert len(m) == 1
    row = m.iloc[0]
    assert row["sentence"] == "Emergency admissions fell from 9 to 7."
    assert row["priorities"] == "older_people" and row["label"] == "Emergency admissions (65+)"


# --------------------------------------------------------------------------- views

def _narrative():
    # FICTIONAL submissions: Fife (strong, safer communities), Moray (some, employment), Angus (none)
    subs = pd.DataFrame({"submission_id": ["f1", "m1", "a1"], "council": ["Fife", "Moray", "Angus"],
                         "title": ["Fictional safety work", "Fictional jobs club", "Fictional plan"],
                         "text": ["", "The employment rate is what we watch.", ""]})
    tags = pd.DataFrame({"submission_id": ["f1", "m1", "a1"], "taxonomy": ["priorities"] * 3,
                         "priority": ["safer_communities", "employment", "older_people"],
                         "assigned": [True, True, False]})
    ev = pd.DataFrame({"submission_id": ["f1", "m1", "a1"], "grade": ["strong", "some", "none"]})
    return subs, tags, ev


def test_views_put_narrative_strength_beside_indicator_movement():
    d = parse_outcome_csv(FICTIONAL.encode(), "fictional.csv")
    cw = d.crosswalk
    subs, tags, ev = _narrative()
    reading = cpop_reading(d)
    mentions = indicator_mentions(subs)
    links = views.case_study_links(subs, tags, ev, mentions, cw)
    assert set(zip(links["council"], links["indicator"])) >= {("Fife", "crime_rate"), ("Moray", "employment_rate")}
    assert "cited by name" in links.set_index(["council", "indicator"]).at[("Moray", "employment_rate"), "basis"]
    pv = views.priority_view(reading, subs, tags, ev, mentions, cw, ["Fife", "Moray", "Angus"]).set_index(
        ["council", "priority"])
    assert pv.at[("Fife", "safer_communities"), "best_grade"] == "strong"
    assert pv.at[("Fife", "safer_communities"), "improving"] == 1
    assert pv.at[("Moray", "safer_communities"), "worsening"] == 1
    assert pv.at[("Moray", "safer_communities"), "movement"] == "more worsening"
    assert pv.at[("Angus", "older_people"), "case_studies"] == 0  # not assigned
    assert pv.at[("Angus", "employment"), "movement"] == "no indicator data"
    assert pv.at[("Moray", "employment"), "cited_by_name"] == 1

    # Fife's strong case study sits beside an improving crime rate: not a gap; make Fife's rise.
    worse = FICTIONAL.replace("Fife,Crime Rate,Raw data,2011/12,76", "Fife,Crime Rate,Raw data,2011/12,96")
    r2 = cpop_reading(parse_outcome_csv(worse.encode(), "f.csv"))
    assert views.strong_beside_worsening(reading, links, cw).empty
    sw = views.strong_beside_worsening(r2, links, cw)
    assert list(zip(sw["council"], sw["indicator"])) == [("Fife", "crime_rate")]
    assert sw.iloc[0]["titles"] == "Fictional safety work" and sw.iloc[0]["strong_case_studies"] == 1

    un = views.worsened_unaddressed(reading, links, subs, cw)
    # Moray's crime rate worsened and its only case study is about employment
    assert list(zip(un["council"], un["indicator"])) == [("Moray", "crime_rate")]
    assert un.iloc[0]["case_studies_from_council"] == 1


def test_mentions_in_ascii_text_are_the_case_insensitive_patterns_matches():
    """ASCII text is searched lower-cased without IGNORECASE (faster): the same indicators, phrases as
    written and sentences as the case-insensitive pattern gives, in text of any case (fictional)."""
    from soa_analysis.outcomes import mentions
    from soa_analysis.outcomes.crosswalk import load_crosswalk

    cw = load_crosswalk()
    pattern, by_phrase = mentions._pattern(cw)
    texts = ["POSITIVE-Destinations rose in the fictional town. Emergency ADMISSIONS 65+ fell; positive destinations.",
             "Fictional: emergency  admissions\n65+ and Positive Destinations, then pre-positive destinations.",
             "Positive destinations in a café, über alles (not ASCII: searched as before).", ""]
    for text in texts:
        want = []
        for m in pattern.finditer(text):
            iid = by_phrase.get(mentions._norm(m.group(0)))
            if iid is not None and iid not in [w[0] for w in want]:
                want.append((iid, m.group(0), m.start(), m.end()))
        got = [(m["indicator"], m["phrase"], m["start"], m["end"]) for m in mentions.find_indicator_mentions(text, cw)]
        assert got == want
    assert len(mentions.find_indicator_mentions(texts[0], cw)) == 2


def test_rows_by_id_is_to_dict_by_index():
    from soa_analysis.outcomes.views import _rows_by_id

    info = pd.DataFrame({"council": pd.Series(["Fife", None], dtype="str"), "title": ["t", "u"],
                         "grade": pd.Series(["strong", None], dtype=object, index=["a", "b"])}, index=pd.Index(["a", "b"], name="submission_id"))
    got, want = _rows_by_id(info), info.to_dict("index")
    assert list(got) == list(want) and all(list(got[k]) == list(want[k]) for k in got)
    for sid in want:
        for column, value in want[sid].items():
            assert type(got[sid][column]) is type(value) and (got[sid][column] == value or pd.isna(value))
    assert got["b"]["grade"] is None and pd.isna(got["b"]["council"])
    with pytest.raises(ValueError):
        _rows_by_id(pd.concat([info, info]))
