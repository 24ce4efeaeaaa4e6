"""Partner mapping: names as written -> partner type and canonical organisation."""

from __future__ import annotations

import re
import string

import pytest

from soa_analysis.ingest.partners import (
    _compiled,
    _needles_in,
    find_partners,
    fold,
    literal_anchor,
    partner_types,
    required_literals,
)
from soa_analysis.reference import load_partner_types

TYPES = ("local_authority", "nhs_board", "police", "fire_rescue", "enterprise", "transport", "skills", "dwp",
         "further_higher_education", "housing", "third_sector", "community", "business", "other_public")


def test_all_partner_types_present():
    assert tuple(partner_types()) == TYPES


def test_fourteen_nhs_boards_eight_legacy_forces_and_services():
    orgs = load_partner_types()
    named = lambda t: [o for o in orgs[t]["organisations"] if "not named" not in o["canonical"]]  # noqa: E731
    assert len(named("nhs_board")) == 14
    assert len(named("police")) == 9  # Police Scotland + 8 legacy forces
    assert len(named("fire_rescue")) == 9  # SFRS + 8 legacy services
    assert len(named("transport")) == 7


@pytest.mark.parametrize("text,name,ptype,canonical", [
    ("Fife Council", "Fife Council", "local_authority", "Fife Council"),
    ("The Highland Council", "Highland Council", "local_authority", "Highland Council"),
    ("Comhairle nan Eilean Siar", "Comhairle nan Eilean Siar", "local_authority", "Na h-Eileanan Siar Council"),
    ("NHS Greater Glasgow & Clyde", "NHS Greater Glasgow & Clyde", "nhs_board", "NHS Greater Glasgow and Clyde"),
    ("Tayside Health Board", "Tayside Health Board", "nhs_board", "NHS Tayside"),
    ("NHS Western Isles", "NHS Western Isles", "nhs_board", "NHS Western Isles"),
    ("Police Scotland", "Police Scotland", "police", "Police Scotland"),
    ("Lothian and Borders Police", "Lothian and Borders Police", "police", "Lothian and Borders Police"),
    ("Northern Constabulary", "Northern Constabulary", "police", "Northern Constabulary"),
    ("Fife Constabulary", "Fife Constabulary", "police", "Fife Constabulary"),
    ("Scottish Fire and Rescue Service", "Scottish Fire and Rescue Service", "fire_rescue", "Scottish Fire and Rescue Service"),
    ("Strathclyde Fire & Rescue", "Strathclyde Fire & Rescue", "fire_rescue", "Strathclyde Fire and Rescue"),
    ("Highlands and Islands Enterprise", "Highlands and Islands Enterprise", "enterprise", "Highlands and Islands Enterprise"),
    ("HIE", "HIE", "enterprise", "Highlands and Islands Enterprise"),
    ("Scottish Enterprise", "Scottish Enterprise", "enterprise", "Scottish Enterprise"),
    ("SPT", "SPT", "transport", "SPT"),
    ("Tactran", "Tactran", "transport", "Tactran"),
    ("ZetTrans", "ZetTrans", "transport", "ZetTrans"),
    ("Skills Development Scotland", "Skills Development Scotland", "skills", "Skills Development Scotland"),
    ("Jobcentre Plus", "Jobcentre Plus", "dwp", "Jobcentre Plus"),
    ("DWP", "DWP", "dwp", "Department for Work and Pensions"),
    ("Forth Valley College", "Forth Valley College", "further_higher_education", "Forth Valley College"),
    ("University of Stirling", "University of Stirling", "further_higher_education", "University of Stirling"),
    ("Kingdom Housing Association", "Kingdom Housing Association", "housing", "Kingdom Housing Association"),
    ("registered social landlords", "registered social landlords", "housing", "Housing associations (not named)"),
    ("the Third Sector Interface", "Third Sector Interface", "third_sector", "Third Sector Interface"),
    ("Voluntary Action Fife", "Voluntary Action Fife", "third_sector", "Voluntary Action Fife"),
    ("voluntary organisations", "voluntary organisations", "third_sector", "Voluntary organisations"),
    ("community councils", "community councils", "community", "Community councils"),
    ("tenants' groups", "tenants' groups", "community", "Tenants' and residents' groups"),
    ("Fife Chamber of Commerce", "Fife Chamber of Commerce", "business", "Chamber of Commerce"),
    ("local businesses", "local businesses", "business", "Local businesses"),
    ("the Scottish Government", "Scottish Government", "other_public", "Scottish Government"),
])
def test_single_partner_mapping(text, name, ptype, canonical):
    assert find_partners(f"We worked with {text} on this.") == [{"name": name, "partner_type": ptype, "canonical": canonical}]


def test_longest_match_wins_over_council_name_inside():
    found = find_partners("Lothian and Borders Fire and Rescue Service and Highlands and Islands Enterprise")
    assert [p["partner_type"] for p in found] == ["fire_rescue", "enterprise"]


def test_duplicates_removed_keeping_first_written_form():
    found = find_partners("NHS Fife led. Later NHS Fife and Fife Health Board and NHS Fife again.")
    assert found == [{"name": "NHS Fife", "partner_type": "nhs_board", "canonical": "NHS Fife"}]


def test_order_of_first_mention():
    found = find_partners("Jobcentre Plus, Police Scotland and NHS Lanarkshire")
    assert [p["canonical"] for p in found] == ["Jobcentre Plus", "Police Scotland", "NHS Lanarkshire"]


@pytest.mark.parametrize("text", ["", "We ran workshops for young people in the summer.",
                                  "Angus Smith, Scotland's best hip-hop fan"])
def test_no_partners(text):
    assert find_partners(text) == []


@pytest.mark.parametrize("text,canonicals", [
    ("Grampian Police and the police", ["Grampian Police"]),
    ("the police and colleges", ["Police (force not named)", "Colleges (not named)"]),
    ("Fife College and other colleges; NHS Fife and the health board", ["Fife College", "NHS Fife"]),
])
def test_unnamed_mentions_dropped_when_a_named_one_exists(text, canonicals):
    assert [p["canonical"] for p in find_partners(text)] == canonicals


# --- the literal prefilter (a pattern runs only over texts holding its required literals) ---

@pytest.mark.parametrize("pattern,flags,expected", [
    ("NHS Fife", re.IGNORECASE, ("nhs fife",)),
    ("NHS Ayrshire (?:and|&) Arran", re.IGNORECASE, ("nhs ayrshire ", " arran")),
    ("Job ?centre Plus", re.IGNORECASE, ("job", "centre plus")),          # optional part ends a run
    (r"(?<![\w-])Police Scotland(?![\w-])", 0, ("police scotland",)),      # assertions are zero width
    (r"(?-i:(?:[A-Z][a-z]+ ){1,3}College)\b", 0, ("college",)),             # classes end a run
    (r"(?:ab){2}c", 0, ("ab", "c")),                                        # a repeat of at least one counts
    (r"(?:ab)*c", 0, ("c",)),                                               # a repeat of zero does not
    (r"cat|dog", 0, ()),                                                    # alternatives: nothing required
    (r"[", 0, ()),                                                          # unreadable: never skip
])
def test_required_literals(pattern, flags, expected):
    assert required_literals(pattern, flags) == expected


def test_every_partner_pattern_has_a_prefilter_that_its_matches_pass():
    phrases = "Fife Council, NHS GG&C, Job centre Plus, Perth & Kinross Council, CHCP, the Council, Kingdom Housing " \
              "Association, Voluntary Action Fife, sport scotland, housing co-operatives"
    folded = fold(phrases)
    for pat in _compiled():
        assert pat.needles, (pat.canonical, pat.rx.pattern[:60])
        for m in pat.rx.finditer(phrases):
            assert all(n in fold(m.group(0)) and n in folded for n in pat.needles)


@pytest.mark.parametrize("pattern,expected", [
    (r"(?<![\w-])NHS Fife(?![\w-])", ("nhs fife", 0, 0)),
    (r"(?:the |local )?police(?! scotland)", ("police", 0, 6)),
    (r"(?-i:[Tt]he Council)\b", ("he council", 1, 1)),
    (r"(?:local |further education )?colleges?\b", ("college", 0, 18)),
    (r"(?:[A-Z][a-z]+ ){1,3}College", None),       # unbounded words before the literal
    (r"Voluntary Action (?-i:[A-Z][a-z]+)", ("voluntary action ", 0, 0)),
    (r"cat|dog", None),
])
def test_literal_anchor(pattern, expected):
    assert literal_anchor(pattern, re.IGNORECASE) == expected


TRICKY = [
    "",
    "the police, local police and Police Scotland; police-led work with the policeman",
    "NHS Fife NHS Fife-wide NHS FIFE and nhs fife; Fife Health Board",
    "Job centre Plus and Jobcentre Plus and jobcentre, Job Centre",
    "local colleges, further education colleges, Fife College and collegestown, the colleges' staff",
    "the Council and The Council, council services and Council Services; Fife Council and The Highland Council",
    "third sector organisations, Third Sector Interface, third-sector, third sector organisation",
    "Scottiſh Enterpriſe, \u0130mprovement Service, SKills Development Scotland, NHS H\u0131ghland",
    "Voluntary Action Fife and voluntary action groups; the CVS, Glenbrae CVS",
]


@pytest.mark.parametrize("text", TRICKY)
def test_prefiltered_matches_are_those_of_finditer(text):
    folded = fold(text)
    for pat in _compiled():
        assert [m.span() for m in pat.finditer(text, folded)] == [m.span() for m in pat.rx.finditer(text)], \
            pat.rx.pattern[:60]


@pytest.mark.parametrize("text", [*TRICKY, "c", "&", "gg", "nhsnhs fife", "councilcouncil", " arran health board",
                                  "FICTIONAL: Glenbrae CVS & NHS GG&C, Strathclyde Partnership for Transport"])
def test_needles_found_in_one_pass_are_those_found_one_by_one(text):
    # the automaton (and the short needles' own search) finds exactly the needles ``in`` finds,
    # overlapping and repeated ones too, so the same patterns run
    folded = fold(text)
    assert _needles_in(folded) == {n for pat in _compiled() for n in pat.needles if n in folded}


def test_fold_keeps_positions():
    for cp in range(0x110000):
        assert len(fold(chr(cp))) == 1, hex(cp)


def test_fold_covers_every_character_that_re_equates_with_ascii():
    # the prefilter looks for literals with ``in`` on folded text: any character that
    # case-insensitive matching equates with a printable ASCII character must fold to it
    chars = re.compile("[" + re.escape(string.printable) + "]", re.IGNORECASE)
    for cp in range(0x80, 0x110000):
        ch = chr(cp)
        if chars.fullmatch(ch):
            for a in string.printable:
                if re.fullmatch(re.escape(a), ch, re.IGNORECASE):
                    assert fold(ch) == fold(a), (hex(cp), a)


@pytest.mark.parametrize("text,canonical", [
    ("NHS FIFE", "NHS Fife"),
    ("\u0130mprovement Service", "Improvement Service"),   # dotted capital I is an "i" to the regex
    ("NHS H\u0131ghland", "NHS Highland"),                 # and so is dotless i
    ("Scottiſh Enterpriſe", "Scottish Enterprise"),     # long s is an "s" to the regex
    ("SKills Development Scotland", "Skills Development Scotland"),   # Kelvin sign
])
def test_prefilter_keeps_case_insensitive_matches(text, canonical):
    assert canonical in [p["canonical"] for p in find_partners(f"We worked with {text} on this.")]


def test_white_space_folded_by_split_is_what_the_regex_folds():
    # find_partners folds a name's white space with str.split: the same characters as re's \s
    assert all(bool(re.fullmatch(r"\s", chr(c))) == chr(c).isspace() for c in range(0x110000))
    text = ("FICTIONAL: Perth and\n \u2003Kinross Council and East\u00a0\tLothian Council worked with Dumfries\x1c "
            "and Galloway Council")
    assert [p["name"] for p in find_partners(text)] == ["Perth and Kinross Council", "East Lothian Council",
                                                        "Dumfries and Galloway Council"]
