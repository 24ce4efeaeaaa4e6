"""Council resolution: the 32 councils (domain.md), aliases, both GSS code generations,
e-mail domains, prominent mentions in text, file names."""

from __future__ import annotations

import pytest

from soa_analysis.ingest.councils import (
    council_codes,
    council_from_email,
    council_from_filename,
    council_from_text,
    find_council_mentions,
    resolve_council,
)
from soa_analysis.reference import load_councils

# (name, current GSS code, pre-2019 code) as listed in docs/shared domain reference.
COUNCILS = [
    ("Aberdeen City", "S12000033", None), ("Aberdeenshire", "S12000034", None), ("Angus", "S12000041", None),
    ("Argyll and Bute", "S12000035", None), ("City of Edinburgh", "S12000036", None),
    ("Clackmannanshire", "S12000005", None), ("Dumfries and Galloway", "S12000006", None),
    ("Dundee City", "S12000042", None), ("East Ayrshire", "S12000008", None),
    ("East Dunbartonshire", "S12000045", None), ("East Lothian", "S12000010", None),
    ("East Renfrewshire", "S12000011", None), ("Falkirk", "S12000014", None), ("Fife", "S12000047", "S12000015"),
    ("Glasgow City", "S12000049", "S12000046"), ("Highland", "S12000017", None), ("Inverclyde", "S12000018", None),
    ("Midlothian", "S12000019", None), ("Moray", "S12000020", None), ("Na h-Eileanan Siar", "S12000013", None),
    ("North Ayrshire", "S12000021", None), ("North Lanarkshire", "S12000050", "S12000044"),
    ("Orkney Islands", "S12000023", None), ("Perth and Kinross", "S12000048", "S12000024"),
    ("Renfrewshire", "S12000038", None), ("Scottish Borders", "S12000026", None),
    ("Shetland Islands", "S12000027", None), ("South Ayrshire", "S12000028", None),
    ("South Lanarkshire", "S12000029", None), ("Stirling", "S12000030", None),
    ("West Dunbartonshire", "S12000039", None), ("West Lothian", "S12000040", None),
]


def test_reference_has_the_32_councils_once():
    rows = load_councils()
    assert len(rows) == 32
    assert sorted(r["name"] for r in rows) == sorted(n for n, _, _ in COUNCILS)
    assert len({r["gss_code"] for r in rows}) == 32
    assert all(r["email_domains"] for r in rows)


@pytest.mark.parametrize("name,code,old", COUNCILS)
def test_every_council_by_name_and_codes(name, code, old):
    assert resolve_council(name) == (name, code)
    assert resolve_council(code) == (name, code)
    assert resolve_council(name.upper()) == (name, code)
    if old:
        assert resolve_council(old) == (name, code)
        assert council_codes()[old] == code


@pytest.mark.parametrize("text,expected", [
    ("Edinburgh", "City of Edinburgh"),
    ("Edinburgh, City of", "City of Edinburgh"),
    ("Edinburgh Partnership", "City of Edinburgh"),
    ("Inverclyde Alliance", "Inverclyde"),
    ("Eilean Siar", "Na h-Eileanan Siar"),
    ("Western Isles", "Na h-Eileanan Siar"),
    ("Comhairle nan Eilean Siar", "Na h-Eileanan Siar"),
    ("The Highland Council", "Highland"),
    ("Perth & Kinross Council", "Perth and Kinross"),
    ("Argyll & Bute Community Planning Partnership", "Argyll and Bute"),
    ("Glasgow Community Planning Partnership", "Glasgow City"),
    ("Fife Partnership", "Fife"),
    ("Orkney", "Orkney Islands"),
    ("Shetland Partnership", "Shetland Islands"),
    ("Dundee", "Dundee City"),
    ("Community Planning Aberdeen", "Aberdeen City"),
    ("  Moray Council. ", "Moray"),
    ("GSS S12000044 (North Lanarkshire, old code)", "North Lanarkshire"),
])
def test_aliases_and_cpp_names(text, expected):
    assert resolve_council(text)[0] == expected


@pytest.mark.parametrize("text", ["", "   ", "Scotland", "S92000003", "NHS Tayside", "Strathclyde Police"])
def test_unresolvable_gives_empty(text):
    assert resolve_council(text) == ("", "")


@pytest.mark.parametrize("address,expected", [
    ("jane.doe@fife.gov.uk", "Fife"),
    ("someone@glasgow.gov.uk", "Glasgow City"),
    ("a.b@edinburgh.gov.uk", "City of Edinburgh"),
    ("x@cne-siar.gov.uk", "Na h-Eileanan Siar"),
    ("x@fife.gcsx.gov.uk", "Fife"),
    ("Officer <x.y@northlan.gov.uk>", "North Lanarkshire"),
    ("pkc.gov.uk", "Perth and Kinross"),
    ("x@nhs.net", ""),
    ("x@scotland.pnn.police.uk", ""),
    ("not an address", ""),
])
def test_email_domains(address, expected):
    assert council_from_email(address)[0] == expected


@pytest.mark.parametrize("text,expected", [
    ("Fife Council led the work across Fife.", "Fife"),
    # legacy force names still point at their council when it is one
    ("Fife Constabulary and partners worked in Fife towns.", "Fife"),
    # enterprise agency and police force names are not council areas
    ("Highlands and Islands Enterprise funded the work with Lothian and Borders Police.", ""),
    ("The Scottish Borders Council scheme ran across the Borders.", "Scottish Borders"),
    ("Angus Smith chaired the group.", ""),
    ("Staff from NHS Greater Glasgow and Clyde took part.", ""),
    ("A job club opened in Port Glasgow this week.", ""),
    # a single passing mention is not prominent enough
    ("Late in the project we visited colleagues elsewhere, as far as " + "x " * 200 + "Stirling once.", ""),
])
def test_prominent_council_in_text(text, expected):
    assert council_from_text(text)[0] == expected


def test_title_mention_outweighs_body_mentions():
    body = "x " * 200 + "We learned from Falkirk. "
    assert council_from_text(body, title="Moray fictional case study")[0] == "Moray"


def test_mentions_prefer_longest_name():
    names = [m["name"] for m in find_council_mentions("East Renfrewshire and Renfrewshire and Aberdeenshire")]
    assert names == ["East Renfrewshire", "Renfrewshire", "Aberdeenshire"]


@pytest.mark.parametrize("path,expected", [
    ("raw/2010/perth-and-kinross_case_study.docx", "Perth and Kinross"),
    ("NorthLanarkshireSOA.pdf", "North Lanarkshire"),
    ("west_lothian_annual_report_2011.pdf", "West Lothian"),
    ("2009/eilean-siar.doc", "Na h-Eileanan Siar"),
    ("case_study_17.docx", ""),
])
def test_file_names(path, expected):
    assert council_from_filename(path)[0] == expected
