"""build_record on tiny hand-made FICTIONAL Documents: templates, sections, checklist,
outcomes, contacts kept out of the text, council decision order, date/year; and the
packaged reference data."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soa_analysis.errors import TaxonomyError
from soa_analysis.ingest.document import CHECKLIST_IDS, Block, Document, Record
from soa_analysis.ingest.sections import recognise_template, segment
from soa_analysis.ingest.structure import build_record, decide_date, find_outcome_citations
from soa_analysis.reference import load_partner_types, load_templates, read_text
from soa_analysis.schema import SECTION_COLUMNS, SUBMISSION_TYPES


def R(*cells):
    return Block("row", " | ".join(c for c in cells if c), cells=list(cells))


def P(text):
    return Block("para", text)


def H(text):
    return Block("heading", text, level=1)


CASE_2009 = [
    R("1. Name of SOA case study", "FICTIONAL Kirkton Falls Team"),
    R("2. What was the local need addressed by this SOA case study?", "Many falls among older people."),
    R("3. What was done - and by which partners?", "NHS Fife and Fife Constabulary set up a team."),
    R("", "Home visits were offered."),
    R("4. What is the evidence of the benefits for communities?", "Admissions fell from 212 to 168."),
    R("5. What added value has the SOA process brought?", "One shared outcome."),
    R("6. What next steps are you taking?", "Extend to two wards."),
    R("Contact details of lead officer", "Jane Fictional, Policy Officer, jane.fictional@fife.gov.uk, 01592 583 000"),
]


def test_case_study_2009_table():
    r = build_record(Document(CASE_2009, {"format": "docx"}), source_file="a.docx")
    assert isinstance(r, Record)
    assert r.submission_type == "case_study_2009"
    assert set(r.sections) == set(SECTION_COLUMNS)
    assert r.sections["title"] == "FICTIONAL Kirkton Falls Team"
    assert r.sections["need"] == "Many falls among older people."
    assert r.sections["actions"] == "NHS Fife and Fife Constabulary set up a team.\n\nHome visits were offered."
    assert r.sections["evidence"] == "Admissions fell from 212 to 168."
    assert r.sections["added_value"] == "One shared outcome."
    assert r.sections["next_steps"] == "Extend to two wards."
    assert r.sections["achievements"] == ""
    # contact details go to contacts, never into the narrative
    assert r.contacts[0]["name"] == "Jane Fictional"
    assert r.contacts[0]["email"] == "jane.fictional@fife.gov.uk"
    assert "jane" not in r.text.lower() and "583" not in r.text
    assert r.text.startswith("FICTIONAL Kirkton Falls Team\n\nMany falls")
    # the lead officer's e-mail domain decides the council (no CPP field in 2009)
    assert (r.council, r.council_code, r.council_source) == ("Fife", "S12000047", "email_domain")
    assert {p["canonical"] for p in r.partners} >= {"NHS Fife", "Fife Constabulary"}


def test_case_study_2010_fields_checklist_and_outcomes():
    doc = Document([
        P("Name of CPP: Inverclyde Alliance"),
        P("Name of case study: FICTIONAL Money Advice in Surgeries"),
        P("Brief outline of case study: Advice sessions in GP surgeries."),
        H("This case study primarily demonstrates good practice or progress in addressing the following issues"),
        Block("checkbox", "Economic recovery", checked=False),
        Block("checkbox", "Health inequalities", checked=True),
        P("\u2612 Partnership working"),
        P("\u2610 Community engagement and feedback"),
        P("Contact details of lead officer: Lee Notreal, lee.notreal@glasgow.gov.uk"),
        P("SOA outcome/s and National Outcome/s supported: National Outcome 7 - We have tackled the significant "
          "inequalities in Scottish society; Local Outcome 3 - Fewer households in debt"),
        P("Partners involved: Inverclyde Council, NHS Greater Glasgow and Clyde and Citizens Advice."),
        P("Description of activity: Weekly sessions in four surgeries."),
    ], {"format": "docx"})
    r = build_record(doc, source_file="fife.docx")
    assert r.submission_type == "case_study_2010"
    assert r.sections["title"] == "FICTIONAL Money Advice in Surgeries"
    assert r.sections["need"] == "Advice sessions in GP surgeries."
    assert r.sections["actions"] == "Weekly sessions in four surgeries."
    assert r.sections["partners_text"].startswith("Inverclyde Council")
    assert r.checklist == ["health_inequalities", "partnership"]
    assert r.outcomes_cited == ["National Outcome 7 - We have tackled the significant inequalities in Scottish society",
                                "Local Outcome 3 - Fewer households in debt"]
    # the CPP field beats a contact at another council's domain and the file name
    assert (r.council, r.council_source) == ("Inverclyde", "cpp_field")
    assert "Partnership working" not in r.text and "Inverclyde Alliance" not in r.text
    assert {p["partner_type"] for p in r.partners} >= {"local_authority", "nhs_board", "third_sector"}


def test_unknown_ticks_warn_and_tick_nothing():
    doc = Document([
        P("Name of CPP: Orkney Partnership"), P("Brief outline: x"),
        P("This case study primarily demonstrates good practice or progress in addressing the following issues"),
        Block("checkbox", "Economic recovery", checked=None), Block("checkbox", "Partnership working", checked=None),
        P("Description of activity: y"),
    ])
    r = build_record(doc, source_file="x.pdf")
    assert r.checklist == []
    assert any("checklist" in w for w in r.warnings)


def test_annual_report():
    doc = Document([H("FICTIONAL SOA Annual Report 2011/12"), H("Achievements"), P("A."), H("Anticipated challenges"),
                    P("B."), H("Support required"), P("C."), H("Progress against local outcomes"), P("D.")], {})
    r = build_record(doc, source_file="x.docx")
    assert r.submission_type == "annual_report"
    assert [r.sections[k] for k in ("achievements", "challenges", "support_required", "outcome_progress")] == \
        ["A.", "B.", "C.", "D."]
    assert r.sections["title"] == "FICTIONAL SOA Annual Report 2011/12"
    assert r.year == 2011


def test_form_export_from_fields_only():
    fields = {"Timestamp": "2010-05-04", "Council": "Moray", "Case study title": "FICTIONAL Sheds",
              "Q2 Local need": "Isolation.", "Q4 Evidence of benefits": "40 members.",
              "Lead officer": "A Person, a.person@moray.gov.uk"}
    r = build_record(Document([], {"format": "csv", "fields": fields}), source_file="export.csv")
    assert r.submission_type == "form_export"
    assert r.sections["need"] == "Isolation."
    assert r.sections["evidence"] == "40 members."
    assert r.sections["title"] == "FICTIONAL Sheds"
    assert (r.council, r.council_source) == ("Moray", "cpp_field")
    assert r.contacts[0]["email"] == "a.person@moray.gov.uk"
    assert "a.person" not in r.text


def test_unstructured():
    doc = Document([H("FICTIONAL garden news"), P("Volunteers in Falkirk planted gardens with Falkirk Council."),
                    P("Contact a.b@example.org or 01324 000 000 for more.")], {"date": "2010-06-03"})
    r = build_record(doc, source_file="x.txt")
    assert r.submission_type == "unstructured"
    assert all(v == "" for k, v in r.sections.items() if k != "title")
    assert r.sections["title"] == "FICTIONAL garden news"
    assert "no template recognised: ingested as unstructured narrative" in r.warnings
    # contact details outside the contact section move to the restricted table too
    assert "a.b@example.org" not in r.text and "01324" not in r.text
    assert "Contact [email removed] or [phone removed] for more." in r.text
    assert [(c["email"], c["phone"], c["found_in"]) for c in r.contacts] == [
        ("a.b@example.org", "01324 000 000", "narrative")]
    assert "Volunteers in Falkirk" in r.text
    assert (r.council, r.council_source) == ("Falkirk", "text")
    assert (r.date, r.year) == ("2010-06-03", 2010)


@pytest.mark.parametrize("doc,source_file,expected", [
    # 1. CPP field
    (Document([P("Name of CPP: Edinburgh Partnership"), P("Brief outline: x"), P("Partners involved: y")]),
     "glasgow.docx", ("City of Edinburgh", "cpp_field")),
    # 2. e-mail domain (sender) beats text and file name
    (Document([P("Local need: x"), P("Evidence of benefits: y"), P("Added value: z")],
              {"sender": "o@scotborders.gov.uk"}), "fife.docx", ("Scottish Borders", "email_domain")),
    # 3. text: a council named prominently
    (Document([P("Local need: Highland Council staff saw a need across Highland."), P("Evidence of benefits: y"),
               P("Added value: z")]), "fife.docx", ("Highland", "text")),
    # "Highlands and Islands Enterprise" is not Highland, so the file name decides
    (Document([P("Local need: Highlands and Islands Enterprise saw a need."), P("Evidence of benefits: y"),
               P("Added value: z")]), "raw/fife_case.docx", ("Fife", "file_name")),
    # 5. nothing decides
    (Document([P("Local need: x"), P("Evidence of benefits: y"), P("Added value: z")]), "case.docx", ("", "")),
])
def test_council_decision_order(doc, source_file, expected):
    r = build_record(doc, source_file=source_file)
    assert (r.council, r.council_source) == expected
    assert bool(r.council_code) == bool(expected[0])
    if not expected[0]:
        assert any("council could not be decided" in w for w in r.warnings)


@pytest.mark.parametrize("meta,title,text,expected", [
    ({"date": "2010-03-01"}, "", "", ("2010-03-01", 2010)),
    ({"date": "2010-03-01T10:00:00+00:00"}, "", "", ("2010-03-01", 2010)),
    ({"date": "04/05/2011"}, "", "", ("2011-05-04", 2011)),
    ({"date": "2010-13-45"}, "Report 2009", "", ("", 2009)),
    ({}, "SOA Annual Report 2011/12", "In 2009 and 2009 again", ("", 2011)),
    ({}, "", "Between 2008 and 2010 and in 2010 again, 15% fell", ("", 2010)),
    ({}, "", "Budget £2011 and 2012% are not years; 250 people", ("", None)),
])
def test_decide_date(meta, title, text, expected):
    assert decide_date(meta, title=title, text=text) == expected


@pytest.mark.parametrize("value,expected", [
    ("Tue, 03 May 2011 10:00:00 +0100", "2011-05-03"),  # an e-mail header
    ("May 3, 2011", "2011-05-03"),
    ("3 Sept 2011", "2011-09-03"),
    ("03-05-2011", "2011-05-03"),  # day first, as written in Britain
    ("2011.05.03", "2011-05-03"),  # year first
    ("31/02/2011", ""),  # no such day
    ("May 2011", ""),  # no day: not a date
    ("1 2 11", ""),  # bare numbers
    ("Submitted by Jo", ""),
])
def test_a_date_field_in_the_forms_people_write(value, expected):
    date, _ = decide_date({"fields": {"Date submitted": value}}, title="", text="")
    assert date == expected


def test_outcome_citations_in_narrative():
    assert find_outcome_citations("It supports National Outcome 6 - We live longer, healthier lives. And more.") == [
        "National Outcome 6 - We live longer, healthier lives"]


def test_record_fields_match_the_submissions_contract():
    r = build_record(Document(CASE_2009), source_file="a.docx")
    assert r.submission_type in SUBMISSION_TYPES
    assert set(r.checklist) <= set(CHECKLIST_IDS)
    assert all(set(c) == {"raw", "name", "job_title", "organisation", "email", "phone", "found_in"}
               for c in r.contacts)
    assert all(set(p) == {"name", "partner_type", "canonical"} for p in r.partners)
    assert {p["partner_type"] for p in r.partners} <= set(load_partner_types())


def test_reference_data_loads_and_is_consistent():
    spec = load_templates()
    assert set(spec["checklist_items"]) == set(CHECKLIST_IDS)
    for tid, t in spec["templates"].items():
        assert set(t["sections"]) <= set(spec["headings"]), tid
    with pytest.raises(TaxonomyError):
        read_text("no_such_file.yaml")


def test_unmatched_form_column_prose_stays_in_text_but_timestamps_do_not():
    fields = {"Timestamp": "04/05/2010 09:31", "Case study title": "FICTIONAL Sheds",
              "Q2 Local need": "Isolation.", "Q4 Evidence of benefits": "40 members.",
              "Anything else you would like us to know": "Members built benches for the fictional park."}
    r = build_record(Document([], {"fields": fields}), source_file="export.csv")
    assert "Members built benches" in r.text
    assert "09:31" not in r.text


def test_pdf_artefacts_glued_heading_banner_and_property_title():
    # a PDF reader's output: a banner line, a heading run onto the previous answer, and a
    # plausible title only in the document properties; the library's 2000-01-01 date is ignored
    doc = Document([
        P("SOA case study - Fife Partnership"),
        H("2. What was the local need addressed by this SOA case study?"), P("A need."),
        H("4. What is the evidence of the benefits for communities?"), P("Falls fell by a third."),
        H("6. What next steps are you taking to meet this local need?"),
        P("Extend the service in 2012. Contact details of lead officer"),
        P("Alex Fictional, Fife Council, alex.fictional@fife.gov.uk"),
    ], {"format": "pdf", "title": "Home visits for older people (FICTIONAL)", "date": "2000-01-01"})
    r = build_record(doc, source_file="x.pdf")
    assert r.submission_type == "case_study_2009"
    assert r.sections["title"] == "Home visits for older people (FICTIONAL)"
    assert r.sections["next_steps"] == "Extend the service in 2012."
    assert r.contacts[0]["email"] == "alex.fictional@fife.gov.uk"
    assert "Contact details" not in r.text and "alex" not in r.text.lower()
    assert r.date == "" and r.year == 2012


def test_form_timestamp_gives_the_date():
    fields = {"Timestamp": "05/03/2012 10:00:00", "Q1 Name of SOA case study": "FICTIONAL x",
              "Q2 What was the local need addressed?": "y", "Q4 Evidence of benefits": "z"}
    r = build_record(Document([], {"fields": fields}), source_file="export.csv")
    assert (r.date, r.year) == ("2012-03-05", 2012)


def test_contact_section_is_removed_and_narrative_details_go_to_the_restricted_table():
    from soa_analysis.ingest.document import Block, Document
    from soa_analysis.ingest.structure import build_record

    doc = Document(
        [
            Block("heading", "Name of SOA case study"), Block("para", "Safe Steps (FICTIONAL)"),
            Block("heading", "What was the local need addressed by this SOA case study?"),
            Block("para", "Falls among older people in Fife. Residents can call 0131 496 0555 for advice."),
            Block("heading", "Contact details of lead officer"),
            Block("para", "Alex Fictional, Officer, alex.fictional@fife.gov.uk, 0131 496 0123"),
        ],
        {"format": "docx"},
    )
    rec = build_record(doc, source_file="x.docx")
    assert "0131 496 0555" not in rec.text and "0131 496 0555" not in rec.sections["need"]
    assert "Residents can call [phone removed] for advice." in rec.sections["need"]
    assert "alex.fictional@fife.gov.uk" not in rec.text and "0131 496 0123" not in rec.text
    assert rec.contacts and rec.contacts[0]["email"] == "alex.fictional@fife.gov.uk"
    assert [(c["phone"], c["found_in"]) for c in rec.contacts[1:]] == [("0131 496 0555", "narrative")]


_CITATION_PIECES = ["National", "Local", "SOA", " Outcome", " ", "6", "18", " - ", ":", "x", "_", "é", "No.", "\n",
                    "We live longer", ";", "."]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_CITATION_PIECES), max_size=12))
def test_outcome_citations_found_as_the_plain_regex_finds_them(pieces):
    # _CITATION puts each word's first letter before the look-behind; the matches are those of "\b(?:...)"
    from soa_analysis.ingest.structure import _CITATION

    plain = re.compile(r"\b(?:National|Local|SOA) Outcome\s*(?:No\.?\s*)?\d{1,2}\b(?:\s*[-\u2013:]\s*[^.;\n]{3,140})?")
    text = "".join(pieces)
    assert [m.span() for m in _CITATION.finditer(text)] == [m.span() for m in plain.finditer(text)]


# FICTIONAL: a narrative paragraph that opens like a sign-off ("Thank you for ..."), then the story.
THANKS_FIRST = [H("FICTIONAL toy library news"),
                P("Thank you to everyone who came to the open day at the fictional Glenbrae toy library last month."),
                P("Since it opened, 140 families have borrowed toys and 30 parents joined the play sessions."),
                P("Kind regards\nAlex Notreal\nEarly Years Officer")]


def test_a_sentence_that_opens_like_a_sign_off_is_narrative():
    r = build_record(Document(THANKS_FIRST, {}), source_file="x.txt")
    assert "140 families have borrowed toys" in r.text
    assert "Thank you to everyone" in r.text
    # the real sign-off still opens the contact section: its name never reaches the text
    assert "Alex Notreal" not in r.text
    assert [c.get("name") for c in r.contacts if c["found_in"] == "contact section"] == ["Alex Notreal"]


def test_a_name_field_holds_a_name_and_the_story_after_it_is_narrative():
    # FICTIONAL committee report: the council's name in capitals reads as the "Council" heading and a
    # later heading as another template's; its one numbered heading ("1. Purpose") no longer makes it a form
    # (a number alone counts only where three or more number a form in order), so it is read whole as narrative.
    story = ("The fictional wardens patrolled the Millbank estate four nights a week with the police. "
             "Reports of antisocial behaviour fell from 90 to 61 over the year, and residents said "
             "they felt safer walking home. The partnership will keep the patrols next year.")
    doc = Document([P("ITEM 7"), H("FICTIONAL COUNCIL"), P("REPORT TO THE AREA PARTNERSHIP"),
                    P("1. Purpose"), P("To update members on community safety in the fictional area."),
                    P(story), H("What next steps are you taking?"), P("Keep the patrols.")], {})
    r = build_record(doc, source_file="x.txt")
    assert r.submission_type == "unstructured"
    assert "Reports of antisocial behaviour fell from 90 to 61" in r.text
    assert "To update members on community safety" in r.text
    # a name heading followed by the whole story: the first short line is the title, the rest is read
    doc = Document([H("1. Name of SOA case study"), P("FICTIONAL Millbank wardens"), P(story),
                    H("What next steps are you taking?"), P("Keep the patrols.")], {})
    r = build_record(doc, source_file="y.txt")
    assert r.submission_type != "unstructured"
    assert r.sections["title"] == "FICTIONAL Millbank wardens"
    assert "Reports of antisocial behaviour fell from 90 to 61" in r.text


def test_prose_under_a_name_heading_keeps_what_follows_it_narrative_too():
    # FICTIONAL: the answer under the name heading is prose, so it is not a name; nor is what follows it
    prose = ("The fictional Glenbrae partnership ran a walking group for older residents every week of the "
             "year, and forty people joined it.")
    seg = segment(Document([H("1. Name of SOA case study"), P(prose), P("FICTIONAL Glenbrae walks"),
                            H("6. What next steps are you taking?"), P("More walks.")], {}))
    assert seg.template != "unstructured"
    assert [u.label for u in seg.units if u.text.strip()] == ["narrative", "narrative", "next_steps"]


def _numbered(lines, kind="list_item"):
    return [Block(kind, line) for line in lines]


def test_numbered_list_lines_are_not_a_forms_question_numbers():
    # FICTIONAL council news whose lists give counts by service, each line a number and a service's name: read
    # by number alone they once made it a 2009 case study (1 = name, 2 = need, 4 = evidence) and its narrative
    # went to sections the grader never reads; it is unstructured narrative, every sentence kept
    story = ("The fictional council took on 30 apprentices this year across its services, and most of those "
             "who finished last year are now in jobs with the council or its partners.")
    blocks = ([P("FICTIONAL apprentices join the council"), P(story), P("Apprentices by service:")]
              + _numbered(["4 Early years", "2 Parks and play", "1 Libraries", "2 Roads", "1 Finance"])
              + [P("The fictional programme will open again in the spring.")])
    doc = Document(blocks, {})
    assert recognise_template(doc)[0] == "unstructured"
    r = build_record(doc, source_file="z.txt")
    assert r.submission_type == "unstructured"
    assert "most of those who finished last year are now in jobs" in r.text
    # a minute's numbered items out of order are not a form either
    minute = Document([P("FICTIONAL community council minute")]
                      + _numbered(["1. Present: four members", "2. Police report", "4 Road safety", "2 Thefts"],
                                  kind="heading") + [P(story)], {})
    assert recognise_template(minute)[0] == "unstructured"


def test_a_form_numbered_in_order_is_still_recognised_by_its_numbers():
    # FICTIONAL 2009 case study whose short headings match no wording well: numbered 1, 3 and 4 in order, their
    # numbers still say "form"
    story = P("The fictional wardens walked the estate four nights a week.")
    doc = Document(_numbered(["1. Millbank wardens"], kind="heading") + [story]
                   + _numbered(["3. Approach"], kind="heading") + [story]
                   + _numbered(["4. Lunch clubs"], kind="heading") + [story], {})
    assert recognise_template(doc)[0] == "case_study_2009"
    # the same three numbers out of order, or one of them twice, are a list
    doc = Document(_numbered(["3. Approach", "1. Millbank wardens", "4. Lunch clubs"], kind="heading"), {})
    assert recognise_template(doc)[0] == "unstructured"
    doc = Document(_numbered(["1. Millbank wardens", "1. Approach", "4. Lunch clubs"], kind="heading"), {})
    assert recognise_template(doc)[0] == "unstructured"


def test_a_numbered_list_inside_a_forms_answer_stays_in_that_answer():
    # FICTIONAL 2009 case study with worded questions; its answers hold short numbered lists. Read by number alone,
    # "1 Lunch clubs" once opened question 1 (the name) and "3 Befriending" question 3: the evidence went to
    # sections of other questions. A number alone opens a question only going forward through the form, and not as
    # the next item of a list
    blocks = [H("1. Name of SOA case study"), P("FICTIONAL Glenbrae older people's network"),
              H("2. Why was it needed?"),
              P("Older residents of the fictional Glenbrae estate were isolated, and three services were missing:")]
    blocks += _numbered(["1 Lunch clubs", "2 Transport", "3 Befriending"])
    blocks += [H("4. What is the evidence of the benefits for communities?"),
               P("Visits to the fictional lunch clubs rose from 40 to 95 a week after the network opened, in:")]
    blocks += _numbered(["1 Glenbrae hall", "2 Millbank church", "3 Eastfield library", "4 Westfield club"])
    blocks += [H("6. What next steps are you taking?"), P("The fictional network will add a second bus.")]
    seg = segment(Document(blocks, {}))
    assert seg.template == "case_study_2009"
    by_label = {}
    for u in seg.units:
        if u.text.strip():
            by_label.setdefault(u.label, []).append(u.text)
    assert by_label["title"] == ["FICTIONAL Glenbrae older people's network"]
    assert "Befriending" in " ".join(by_label["need"]) and "Transport" in " ".join(by_label["need"])
    assert {"Glenbrae hall", "Westfield club"} <= {t.split(" ", 1)[1] for t in by_label["evidence"] if t[0].isdigit()}
    assert by_label["next_steps"] == ["The fictional network will add a second bus."]
    assert "actions" not in by_label and "added_value" not in by_label
    # a form whose short headings are read by their numbers alone, going forward (1, 3, 4): still its questions
    story = P("The fictional wardens walked the estate four nights a week.")
    seg = segment(Document(_numbered(["1. Millbank wardens"], kind="heading") + [story]
                           + _numbered(["3. Approach"], kind="heading") + [story]
                           + _numbered(["4. Lunch clubs"], kind="heading") + [story], {}))
    assert [u.label for u in seg.units if u.text.strip()] == ["title", "actions", "evidence"]
