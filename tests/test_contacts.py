"""Contact extraction (name, job title, organisation, e-mail, UK phone) and redaction."""

from __future__ import annotations

import pytest

from soa_analysis.contact_details import EMAIL_MARK, PHONE_MARK
from soa_analysis.ingest.contacts import extract_contacts, find_emails, find_phones, redact_contact_details


@pytest.mark.parametrize("text,expected", [
    ("Jane Doe, Policy Officer, Fife Council, 01592 583123, jane.doe@fife.gov.uk",
     {"name": "Jane Doe", "job_title": "Policy Officer", "organisation": "Fife Council",
      "phone": "01592 583123", "email": "jane.doe@fife.gov.uk"}),
    ("Name: Dr Morag MacLeod\nJob title: Community Planning Manager\nOrganisation: Comhairle nan Eilean Siar\n"
     "Tel: 01851 600 501\nEmail: m.macleod@cne-siar.gov.uk",
     {"name": "Dr Morag MacLeod", "job_title": "Community Planning Manager",
      "organisation": "Comhairle nan Eilean Siar", "phone": "01851 600 501", "email": "m.macleod@cne-siar.gov.uk"}),
    ("Kind regards\nAlan Fictional\nSenior Policy Officer\nThe Moray Council\nTel 01343 563 999",
     {"name": "Alan Fictional", "job_title": "Senior Policy Officer", "organisation": "The Moray Council",
      "phone": "01343 563 999", "email": ""}),
    ("Lead officer: Pat Example (pat.example@glasgow.gov.uk)",
     {"name": "Pat Example", "job_title": "", "organisation": "", "phone": "", "email": "pat.example@glasgow.gov.uk"}),
    ("Sam Sample; Head of Service; NHS Tayside; +44 (0)1382 000 000",
     {"name": "Sam Sample", "job_title": "Head of Service", "organisation": "NHS Tayside",
      "phone": "+44 (0)1382 000 000", "email": ""}),
])
def test_single_contact(text, expected):
    [contact] = extract_contacts(text)
    for key, value in expected.items():
        assert contact[key] == value, key
    assert contact["raw"]


def test_two_contacts_in_one_paragraph_split_at_the_second_person():
    found = extract_contacts("Ruth Example, ruth.example@glasgow.gov.uk, 0141 287 0000, Tom Sample, NHS Lanarkshire, tom.sample@nhs.net")
    assert [(c["name"], c["email"]) for c in found] == [
        ("Ruth Example", "ruth.example@glasgow.gov.uk"), ("Tom Sample", "tom.sample@nhs.net")]


def test_two_contacts_in_separate_paragraphs():
    found = extract_contacts("Ann One\nann.one@fife.gov.uk\n\nBen Two\n01592 000 000")
    assert [(c["name"], c["email"], c["phone"]) for c in found] == [
        ("Ann One", "ann.one@fife.gov.uk", ""), ("Ben Two", "", "01592 000 000")]


@pytest.mark.parametrize("text", ["", "   ", "Please contact the team for details."])
def test_no_contact(text):
    assert extract_contacts(text) == []


@pytest.mark.parametrize("text,phones", [
    ("Tel: 01592 583 123", ["01592 583 123"]),
    ("call 0131 469 3000 today", ["0131 469 3000"]),
    ("+44 (0)131 469 3000", ["+44 (0)131 469 3000"]),
    ("mobile 07700 900123", ["07700 900123"]),
    ("(01224) 522000", ["(01224) 522000"]),
    ("freephone 0800 123 4567", ["0800 123 4567"]),
    ("In 2010 we helped 1,234 people; budget 250000", []),
    ("Reference 2011/12 and 12.5%", []),
])
def test_uk_phone_formats(text, phones):
    assert find_phones(text) == phones


def test_emails_and_redaction():
    text = "Mail a.b-c@west-dunbarton.gov.uk or call 01389 737000. Falls fell by 20% in 2010."
    assert find_emails(text) == ["a.b-c@west-dunbarton.gov.uk"]
    assert redact_contact_details(text) == f"Mail {EMAIL_MARK} or call {PHONE_MARK}. Falls fell by 20% in 2010."


def test_sentence_style_contact_line():
    [c] = extract_contacts("Robin Placeholder, Regeneration Officer, East Ayrshire Council. "
                           "E-mail: robin.placeholder@east-ayrshire.gov.uk. Tel: 01632 960123")
    assert (c["name"], c["job_title"], c["organisation"], c["email"], c["phone"]) == (
        "Robin Placeholder", "Regeneration Officer", "East Ayrshire Council",
        "robin.placeholder@east-ayrshire.gov.uk", "01632 960123")


def test_contact_broken_across_blocks_is_one_contact():
    [c] = extract_contacts("Jo Example, Services Manager, The Highland Council. E-mail:\n\n"
                           "jo.example@highland.gov.uk. Tel: 01632 960117")
    assert (c["name"], c["organisation"], c["email"], c["phone"]) == (
        "Jo Example", "The Highland Council", "jo.example@highland.gov.uk", "01632 960117")


def test_signature_repeating_a_contact_is_merged():
    found = extract_contacts("Drew Imaginary, Officer, drew.imaginary@argyll-bute.gov.uk\n\nRegards\nDrew Imaginary")
    assert [c["name"] for c in found] == ["Drew Imaginary"]
