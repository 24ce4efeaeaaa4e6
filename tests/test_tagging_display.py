"""Tests of highlight_html and show_submission: escaping first, then <mark>."""

import re

import pytest
from test_tagging_stage import FALLS, JOBS, make_submissions

from soa_analysis.io import write_table
from soa_analysis.tagging import highlight_html, run_tagging, show_submission


def _row(sentence, phrases, cat="older_people", **kw):
    return {"sentence": sentence, "phrases": phrases, "priority": cat, **kw}


def test_script_is_escaped_and_match_marked():
    text = "<script>alert('x')</script> Telecare helped older people."
    out = highlight_html(text, [_row(text, ["older people"])])
    assert "<script>" not in out and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in out
    assert ">older people</mark>" in out and out.count("<mark") == 1


@pytest.mark.parametrize("text, phrases, marked", [
    ("Care at home & telecare expanded.", ["care at home", "telecare"], ["Care at home", "telecare"]),
    ("Employability pathways opened.", ["employability pathway"], ["Employability pathways"]),
    ("No match here.", ["older people"], []),
])
def test_phrases_found_by_stems(text, phrases, marked):
    out = highlight_html(text, [_row(text, phrases)])
    assert "&amp;" in out or "&" not in text
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", out) == marked


def test_stored_spans_are_used_and_attributes_escaped():
    text = "Jobs for <young> people."
    out = highlight_html(text, [_row(text, ['"jobs"'], cat='x" onmouseover="bad', spans=[[0, 4]])])
    assert '>Jobs</mark>' in out and 'onmouseover="bad' not in out and "&lt;young&gt;" in out


def test_sentence_not_in_text_adds_nothing():
    assert "<mark" not in highlight_html("Other text.", [_row("Missing sentence.", ["missing"])])


def test_unassigned_rows_can_be_hidden():
    text = "Telecare helped."
    out = highlight_html(text, [_row(text, ["telecare"], assigned=False)], only_assigned=True)
    assert "<mark" not in out


def test_show_submission(tmp_path):
    write_table(make_submissions(FALLS, JOBS), tmp_path / "submissions.parquet", table="submissions")
    run_tagging(tmp_path, taxonomies=("priorities",))
    html = show_submission(tmp_path, "sub2").data
    assert "<script>" not in html and "&lt;script&gt;" in html and "<mark" in html and "employment" in html
    html1 = show_submission(tmp_path, "sub1").data
    assert "<h4>actions</h4>" in html1 and "older_people" in html1


def test_token_spans_from_the_stage_are_converted():
    text = "Intro. Reablement and telecare helped older people."
    sentence = "Reablement and telecare helped older people."
    row = _row(sentence, ["reablement", "older people"], token_spans=[[0, 1], [4, 6]])
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", highlight_html(text, [row])) == ["Reablement", "older people"]
