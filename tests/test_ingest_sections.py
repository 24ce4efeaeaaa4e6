"""Heading matching, tick parsing, template recognition and sectioning on tiny hand-made
Documents, plus the section-accuracy benchmark on the labelled FICTIONAL fixtures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soa_analysis.ingest.document import Block, Document
from soa_analysis.ingest.sections import (
    HeadingMatcher,
    match_checklist_item,
    normalise_heading,
    outcome_lines,
    parse_tick,
    recognise_template,
    segment,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def matcher():
    return HeadingMatcher().fit()


@pytest.mark.parametrize("text,number,wording", [
    ("Q4 Evidence of benefits", 4, "evidence of benefits"),
    ("4. What is the evidence of the benefits?", 4, "what is the evidence of the benefits"),
    ("Question 5: Added value", 5, "added value"),
    ("(6) Next steps", 6, "next steps"),
    ("## 2. Local need", 2, "local need"),
    ("**Lead officer:**", None, "lead officer"),
    ("Q2 Local need (max 300 words)", 2, "local need"),
    ("Contact:", None, "contact"),
    ("Q5", 5, ""),
])
def test_normalise_heading(text, number, wording):
    assert normalise_heading(text) == (number, wording)


@pytest.mark.parametrize("heading,section", [
    # the 2009 questions, verbatim, numbered, reworded and abbreviated
    ("1 Name of SOA case study", "title"),
    ("What was the local need addressed by this SOA case study?", "need"),
    ("2. The local need", "need"),
    ("What was done – and by which partners?", "actions"),
    ("Actions taken", "actions"),
    ("4. What is the evidence of the benefits for communities - or if the benefits are still to be delivered, "
     "what is the timeline for that?", "evidence"),
    ("Q4 Evidence of benefits", "evidence"),
    ("Benefits for communities", "evidence"),
    ("Evidence of benefit to communities", "evidence"),
    ("What added value has the SOA brought?", "added_value"),
    ("Added value of the SOA", "added_value"),
    ("6. What next steps are you taking?", "next_steps"),
    ("Next Steps:", "next_steps"),
    ("Contact details of lead officer", "contact"),
    ("Lead officer", "contact"),
    ("Contact:", "contact"),
    # 2010
    ("Name of CPP", "cpp"),
    ("Brief outline of the case study", "need"),
    ("Partners involved", "partners_text"),
    ("Partners", "partners_text"),
    ("Description of activity", "actions"),
    ("SOA outcome/s and National Outcome/s supported", "outcomes"),
    ("This case study primarily demonstrates good practice or progress in addressing the following issues",
     "checklist"),
    # annual report
    ("Achievements and particular successes to date", "achievements"),
    ("Key achievements", "achievements"),
    ("Anticipated challenges for future years", "challenges"),
    ("Support or actions required", "support_required"),
    ("Benefits and changes in outcome terms to people's quality of life", "outcome_progress"),
])
def test_heading_matching(matcher, heading, section):
    hm = matcher.match(heading)
    assert hm.section == section
    assert hm.score >= 0.62


@pytest.mark.parametrize("text", [
    "The project reduced falls by 20% in two years",
    "Older people were visited at home",
    "Template for SOA case studies 2010",
])
def test_narrative_is_not_a_section_heading(matcher, text):
    hm = matcher.match(text, sections=["need", "actions", "evidence", "added_value", "next_steps", "title"])
    assert hm.score < 0.78


def test_exact_wording_beats_partial_overlap(matcher):
    # "What was done and by which partners" shares its only content stem with "Partners"
    assert matcher.match("Partners").section == "partners_text"


@pytest.mark.parametrize("line,expected", [
    ("\u2612 Partnership working", [("Partnership working", True)]),
    ("\u2610 Partnership working", [("Partnership working", False)]),
    ("X Health inequalities", [("Health inequalities", True)]),
    ("[x] Economic recovery", [("Economic recovery", True)]),
    ("[ ] Economic recovery", [("Economic recovery", False)]),
    ("Partnership working \u2713", [("Partnership working", True)]),
    ("Partnership working - Yes", [("Partnership working", True)]),
    ("Health inequalities", [("Health inequalities", None)]),
    ("\u2612 Economic recovery \u2610 Health inequalities", [("Economic recovery", True), ("Health inequalities", False)]),
    ("Economic recovery \u2612 Early years \u2610", [("Economic recovery", True), ("Early years", False)]),
])
def test_parse_tick(line, expected):
    assert parse_tick(line) == expected


@pytest.mark.parametrize("label,cid", [
    ("Economic recovery", "economic_growth"),
    ("Children's early years", "early_years"),
    ("Health inequalities", "health_inequalities"),
    ("Other key local issues", "other_local_issues"),
    ("A shift to prevention and early intervention", "prevention"),
    ("Better use of resources (budgets, staff, buildings, equipment, etc.)", "resources"),
    ("Improved business processes", "business_processes"),
    ("Partnership working", "partnership"),
    ("Localisation of the SOA / local Community Planning", "localisation"),
    ("Community engagement and feedback", "community_engagement"),
    ("Engagement of the voluntary sector", "voluntary_sector"),
    ("Engagement of the business sector", "business_sector"),
    ("Improved performance attributable to the SOA approach", "performance"),
    ("More cost effective performance attributable to the SOA approach", "cost_effectiveness"),
    ("Falls among older people fell", None),
])
def test_checklist_item_ids(label, cid):
    assert match_checklist_item(label) == cid


def _doc(*blocks, **meta):
    return Document(list(blocks), dict(meta))


def R(*cells):
    return Block("row", " | ".join(c for c in cells if c), cells=list(cells))


def P(text):
    return Block("para", text)


def H(text):
    return Block("heading", text, level=1)


@pytest.mark.parametrize("doc,template", [
    (_doc(R("Q2 Local need", "a"), R("Q4 Evidence of benefits", "b"), R("Q5 Added value", "c")), "case_study_2009"),
    (_doc(R("Q1", "a"), R("Q2", "b"), R("Q3", "c"), R("Q4", "d")), "case_study_2009"),
    (_doc(P("Name of CPP: Fife Partnership"), P("Brief outline: a"), P("Description of activity: b")), "case_study_2010"),
    (_doc(H("Achievements"), P("a"), H("Challenges"), P("b"), H("Support required"), P("c")), "annual_report"),
    (_doc(H("Title"), P("a"), fields={"Title": "a"}), "form_export"),
    (_doc(P("A fictional note about gardens."), P("Volunteers planted trees.")), "unstructured"),
    (_doc(H("Introduction"), P("a."), H("Background"), P("b."), H("Conclusion"), P("c.")), "unstructured"),
])
def test_template_recognition(doc, template):
    assert recognise_template(doc)[0] == template


def test_rows_with_empty_left_cell_continue_the_answer():
    seg = segment(_doc(R("What was done?", "First."), R("", "Second."), R("Evidence of benefits", "Third.")))
    assert seg.labels == ["actions", "actions", "evidence"]
    assert seg.text_of("actions") == "First.\n\nSecond."
    assert seg.units[0].heading == "What was done?"


def test_same_line_heading_and_answer_are_split():
    seg = segment(_doc(P("Local need: Too many falls."), P("Evidence of benefits: Falls fell."),
                       P("Next steps: Extend it.")))
    assert [u.text for u in seg.units] == ["Too many falls.", "Falls fell.", "Extend it."]
    assert seg.labels == ["need", "evidence", "next_steps"]


def test_checked_none_counts_nothing_and_warns():
    seg = segment(_doc(P("Name of CPP: Orkney Partnership"), P("Brief outline: x"),
                       H("This case study primarily demonstrates good practice or progress in addressing the following issues"),
                       Block("checkbox", "Partnership working", checked=None),
                       Block("checkbox", "Health inequalities", checked=True),
                       P("Description of activity: y")))
    assert seg.checklist == ["health_inequalities"]
    assert any("unreadable" in w and "partnership" in w for w in seg.warnings)


def test_plain_checklist_lines_without_marks_are_unknown():
    seg = segment(_doc(P("Name of CPP: Fife Partnership"), P("Brief outline: x"),
                       P("This case study primarily demonstrates good practice or progress in addressing the following issues:"),
                       P("Economic recovery"), P("Partnership working"), P("Description of activity: y")))
    assert seg.checklist == []
    assert seg.labels[3:5] == ["checklist", "checklist"]
    assert seg.warnings


def test_unstructured_keeps_title_and_warns():
    seg = segment(_doc(H("A FICTIONAL story"), P("It went well."), P("Regards\nA Person")))
    assert seg.template == "unstructured"
    assert seg.title == "A FICTIONAL story"
    assert seg.labels == ["title", "narrative", "contact"]
    assert seg.warnings == ["no template recognised: ingested as unstructured narrative"]


def test_outcome_lines():
    assert outcome_lines("National Outcome 6 - We live longer, healthier lives\n- Local Outcome 18 - Fewer falls") == [
        "National Outcome 6 - We live longer, healthier lives", "Local Outcome 18 - Fewer falls"]


def _benchmark():
    spec = importlib.util.spec_from_file_location("section_accuracy", ROOT / "benchmarks" / "section_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_labelled_fixtures_are_fictional_varied_and_many():
    import json

    paths = sorted((ROOT / "tests" / "data" / "sections").glob("*.json"))
    assert len(paths) >= 40
    fixtures = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    assert all(f["fictional"] and "FICTIONAL" in json.dumps(f) for f in fixtures)
    assert {f["template"] for f in fixtures} == {"case_study_2009", "case_study_2010", "annual_report",
                                                "form_export", "unstructured"}
    kinds = {b["kind"] for f in fixtures for b in f["blocks"]}
    assert kinds == {"heading", "para", "list_item", "row", "checkbox"}


def test_section_accuracy_on_labelled_set():
    bench = _benchmark()
    result = bench.evaluate()
    assert result["documents"] >= 40 and result["paragraphs"] >= 300
    assert result["accuracy"] >= 0.95, "\n".join(result["failures"])
    assert result["template_accuracy"] >= 0.95
    holdout = bench.evaluate(bench.FIXTURES / "holdout")
    assert holdout["documents"] >= 10
    assert holdout["accuracy"] >= 0.95, "\n".join(holdout["failures"])


def test_number_column_question_answer_rows():
    seg = segment(_doc(R("1", "Name of SOA case study", "FICTIONAL Title"),
                       R("2", "What was the local need addressed by this SOA case study?", "A need."),
                       R("4", "What is the evidence of the benefits for communities?", "Evidence."),
                       R("", "", "More evidence."),
                       R("5", "What added value has the SOA process brought?", "Value.")))
    assert seg.template == "case_study_2009"
    assert seg.labels == ["title", "need", "evidence", "evidence", "added_value"]
    assert seg.text_of("evidence") == "Evidence.\n\nMore evidence."


def test_run_in_heading_without_punctuation():
    seg = segment(_doc(P("Name of CPP Fife Partnership"), P("Brief outline of case study A fictional pilot."),
                       P("Partners involved NHS Fife and Fife Council")))
    assert seg.template == "case_study_2010"
    assert seg.text_of("cpp") == "Fife Partnership"
    assert seg.text_of("need") == "A fictional pilot."


def test_a_long_list_is_segmented_with_work_linear_in_its_length(monkeypatch):
    """A report with hundreds of list items under one heading (fictional) is segmented, and the heading
    matching it costs grows with the number of blocks, not with its square: the calls to the matcher and
    to the fuzzy string comparison are counted (no clock: the test holds on a loaded machine)."""
    import soa_analysis.ingest.sections as sections_module

    calls = {"match": 0, "ratio": 0}
    match_norm, ratio = sections_module.HeadingMatcher._match_norm, sections_module.string_ratio

    def counted_match(self, *args, **kwargs):
        calls["match"] += 1
        return match_norm(self, *args, **kwargs)

    def counted_ratio(*args, **kwargs):
        calls["ratio"] += 1
        return ratio(*args, **kwargs)

    monkeypatch.setattr(sections_module.HeadingMatcher, "_match_norm", counted_match)
    monkeypatch.setattr(sections_module, "string_ratio", counted_ratio)
    def word(i: int) -> str:  # a distinct made-up word per item, so no cache answers for another item
        return "".join(chr(97 + (i // 26 ** k) % 26) for k in range(3))

    work = {}
    for n, offset in ((300, 0), (600, 1000)):
        blocks = [Block("heading", "Achievements")]
        blocks += [Block("list_item", f"Fictional {word(offset + i)} item about jobs and older people") for i in range(n)]
        blocks += [Block("heading", "Challenges"), Block("para", "Budgets.")]
        calls.update(match=0, ratio=0)
        seg = segment(_doc(*blocks))
        assert seg.template == "annual_report"
        assert seg.labels[-1] == "challenges"
        work[n] = dict(calls)
    assert work[300]["match"] > 0
    for kind in ("match", "ratio"):
        assert work[600][kind] <= 2 * work[300][kind] + 20, (kind, work)


def test_lines_inside_an_answer_can_open_other_sections():
    seg = segment(_doc(P("Name of CPP: Fife Partnership"), P("Brief outline: x"),
                       R("Description of activity", "Staff visited homes.\nResults: Falls fell by a third.\n"
                         "What the SOA approach added: Pooled budgets.\nNext steps: Extend it."),
                       R("Partners involved", "NHS Fife")))
    assert seg.text_of("actions") == "Staff visited homes."
    assert seg.text_of("evidence") == "Falls fell by a third."
    assert seg.text_of("added_value") == "Pooled budgets."
    assert seg.text_of("next_steps") == "Extend it."
    assert seg.labels == ["cpp", "need", "actions", "partners_text"]


def test_checkbox_of_unknown_state_with_tick_character_in_text():
    seg = segment(_doc(P("Name of CPP: Fife Partnership"), P("Brief outline: x"),
                       Block("checkbox", "\u2612 Partnership working", checked=None),
                       Block("checkbox", "\u2610 Economic recovery", checked=None),
                       P("Description of activity: y")))
    assert seg.checklist == ["partnership"]
    assert not seg.warnings


def test_ticked_items_without_a_checklist_heading():
    seg = segment(_doc(P("Name of CPP: Fife Partnership"), P("Brief outline: x"),
                       P("\u2612 Health inequalities"), P("\u2610 Economic recovery"),
                       P("Description of activity: y")))
    assert seg.checklist == ["health_inequalities"]
    assert seg.labels == ["cpp", "need", "checklist", "checklist", "actions"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([".", "!", "?", " ", "\n", "\t", "A", "b", "9", ":", "x" * 30,
                                 " Contact details of lead officer", " What next?"]), max_size=16))
def test_last_fragment_is_the_match_search_finds(pieces):
    # tried only at the last sentence end (or the one before a final "?"): the same match as search
    from soa_analysis.ingest.sections import _LAST_FRAGMENT, _last_fragment

    text = "".join(pieces)
    a, b = _LAST_FRAGMENT.search(text), _last_fragment(text)
    assert (a.span(), a.groupdict()) == (b.span(), b.groupdict()) if a else b is None


def test_a_table_of_contents_opens_no_section():
    # FICTIONAL report: its contents list names template-like sections with page numbers
    blocks = [P("FICTIONAL: Glenbrae family service impact report"), P("Contents"),
              P("1: Introduction 3"), P("2: Local need 5"), P("4: Evidence of benefits 12"), P("6: Next steps 20"),
              P("The made-up family service supported 42 families in its first year, and most said the "
                "support helped them.")]
    seg = segment(_doc(*blocks))
    assert seg.template == "unstructured"
    assert "42 families" in seg.text_of("narrative")
    assert not seg.text_of("next_steps") and not seg.text_of("evidence")


def test_a_table_of_contents_inside_a_form_is_content_where_it_stands():
    seg = segment(_doc(P("Name of CPP: Fife Partnership"), P("Brief outline: A fictional pilot."),
                       P("Description of activity: Staff visited homes. The plan has these parts:"),
                       P("Local need ........ 2"), P("Next steps ........ 7"), P("Contacts ........ 9"),
                       P("Results: Falls fell by a third.")))
    assert "Next steps ........ 7" in seg.text_of("actions")
    assert seg.text_of("evidence") == "Falls fell by a third."
    assert not seg.text_of("next_steps") and not seg.text_of("contact")


def test_two_lines_ending_in_numbers_are_not_a_table_of_contents():
    from soa_analysis.ingest.sections import toc_blocks

    lines = ["Local Outcome 1", "Jobs rose.", "Local Outcome 2", "Fewer fires.", "Next steps 3", "Evidence 4"]
    assert toc_blocks([P(t) for t in lines]) == frozenset()
    assert toc_blocks([P(t) for t in ["Aims 1", "Budget 2", "Costs 3"]]) == frozenset({0, 1, 2})
    assert toc_blocks([P("We helped 200 people. 40"), P("Budget 2"), P("Costs 3")]) == frozenset()
