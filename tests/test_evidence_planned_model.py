"""The planned model: a text with no sentence that counts, read whole, is planned or none.

Every passage here is fictional, written for these tests.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from scripts import load_script
from soa_analysis.errors import TaxonomyError
from soa_analysis.evidence import EvidenceGrader
from soa_analysis.evidence.planned_model import PlannedModel, load_planned_model

ROOT = Path(__file__).resolve().parents[1]

# Fictional: a dated plan whose benefits are still to come, in four sentences.
PLAN = ("Fictional example. The partnership has agreed a new plan for the town's early years services. A new family "
        "centre will open in spring 2027, and outcomes for young children are expected to improve over the next three "
        "years. The first results will be reported to the board in March 2028.")
# Fictional: a committee's business, no benefit and nothing to come.
BUSINESS = ("Fictional example. The council's committee met on Tuesday to discuss the roads budget. Members considered "
            "the report on winter gritting routes. The minutes were approved and the meeting closed.")
# Fictional: output counts and testimony (some), which the planned model must leave alone.
RESULTS = ("Fictional example. The befriending service began in 2024. Since then 120 older people have been matched "
           "with a volunteer. Participants said they felt less lonely.")


def test_packaged_model_records_what_it_learned_from():
    rt = load_script("benchmarks/real_text.py")
    m = load_planned_model()
    assert m is EvidenceGrader().fit().planned_  # the packaged rubric names it
    assert 0 < m.threshold < 1 and m.min_sentences == 3 and tuple(m.ngram_range) == (1, 2)
    assert set(m.meta["trained_on"]["parts"]) <= set(rt.STUDIED)
    trained = m.meta["trained_on"]
    assert trained["n_texts"] > 1000 and 0 < trained["n_planned"] < trained["n_texts"]
    # left out part by part it did better than the rules' planned, on the texts it decides
    assert m.meta["left_out"]["all"]["accuracy"] > m.meta["rules_left_out"]["all"]["accuracy"]
    assert all(1 <= len(t.split()) <= 2 for t in m.terms)  # words and word pairs, no sentence
    assert m.summary()["n_terms"] == len(m.terms) and len(m.sha256) == 64


def test_probability_is_scikit_learns_tfidf_and_logistic_function(sklearn_tfidf):
    m = load_planned_model()
    vec, names = sklearn_tfidf(m)
    coef = np.array([m.terms[t][1] for t in names])
    for text in (PLAN, BUSINESS, RESULTS, ""):
        z = m.intercept + float(vec.transform([text]).toarray()[0] @ coef)
        assert m.probability(text) == pytest.approx(1 / (1 + math.exp(-z)), abs=1e-9)


def test_dated_plan_is_planned_and_business_is_none():
    grader = EvidenceGrader().fit()
    plan = grader.grade(PLAN, reference="2026-01-01")
    assert plan.grade == "planned" and "planned model p=" in plan.rule
    business = grader.grade(BUSINESS, reference="2026-01-01")
    assert business.grade == "none" and "planned model p=" in business.rule


def test_evidence_and_short_passages_keep_their_grade():
    grader = EvidenceGrader().fit()
    assert grader.grade(RESULTS).grade == "some"
    short = "A new family centre will open in spring 2027 and outcomes are expected to improve by 2028."
    with_model, rules_alone = grader.grade(short, reference="2026-01-01"), EvidenceGrader(planned=None).fit().grade(
        short, reference="2026-01-01")
    assert with_model.grade == rules_alone.grade == "planned" and with_model.rule == rules_alone.rule


def test_model_decides_both_ways_and_says_why():
    always = PlannedModel(intercept=5.0, terms={"fictional": (1.0, 0.0)}, threshold=0.6)
    never = PlannedModel(intercept=-5.0, terms={"fictional": (1.0, 0.0)}, threshold=0.6)
    four = ["Fictional.", "A plan.", "A date.", "A benefit."]
    assert always.decide("none", "assertion only", four)[0] == "planned"
    grade, rule = never.decide("planned", "benefits still to come", four)
    assert grade == "none" and "the rules said planned" in rule
    assert always.decide("some", "x", four) == ("some", "x")  # evidence is never touched
    assert always.decide("none", "x", four[:2]) == ("none", "x")  # nor a passage of two sentences


def test_template_submission_keeps_the_rules_planned():
    # on the template, question 4's timeline is a section the rules read: the model reads narratives only
    never = PlannedModel(intercept=-5.0, terms={"fictional": (1.0, 0.0)}, threshold=0.6)
    form = {"evidence": PLAN, "text": PLAN}
    assert EvidenceGrader(planned=None).fit().grade(form, reference="2026-01-01").grade == "planned"
    assert EvidenceGrader(planned=never).fit().grade(form, reference="2026-01-01").grade == "planned"
    assert EvidenceGrader(planned=never).fit().grade(PLAN, reference="2026-01-01").grade == "none"


def test_rubric_without_planned_model_grades_by_rules(tmp_path):
    src = (ROOT / "soa_analysis" / "rubrics" / "evidence_rubric.yaml").read_text(encoding="utf-8")
    assert "\nplanned_model: evidence_planned_model.json\n" in src
    path = tmp_path / "rubric.yaml"
    path.write_text(src.replace("\nplanned_model: evidence_planned_model.json\n", "\nplanned_model: none\n"),
                    encoding="utf-8")
    grader = EvidenceGrader(rubric=path).fit()
    assert grader.planned_ is None
    assert "planned model" not in grader.grade(BUSINESS).rule
    bad = tmp_path / "bad.yaml"
    bad.write_text(src.replace("\nplanned_model: evidence_planned_model.json\n", "\nplanned_model: missing.json\n"),
                   encoding="utf-8")
    with pytest.raises(TaxonomyError, match="planned model 'missing.json' not found"):
        EvidenceGrader(rubric=bad).fit()


@pytest.mark.parametrize("data, match", [
    ("not json", "not valid JSON"),
    (json.dumps({"format": 2}), "format 1"),
    (json.dumps({"format": 1, "intercept": 0, "threshold": 1.5, "terms": {"a": [1, 1]}}), "threshold between"),
    (json.dumps({"format": 1, "intercept": 0, "threshold": 0.5, "terms": {}}), "at least one term"),
    (json.dumps({"format": 1, "intercept": 0, "threshold": 0.5, "terms": {"a": [1]}}), "malformed"),
])
def test_malformed_model_file_is_refused(tmp_path, data, match):
    path = tmp_path / "m.json"
    path.write_text(data, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=match):
        load_planned_model(str(path))


def _tiny_model(path: Path, intercept: float) -> None:
    path.write_text(json.dumps({"format": 1, "intercept": intercept, "threshold": 0.6, "min_sentences": 3,
                                "terms": {"fictional": [1.0, 0.0]}, "meta": {"note": "a fictional test model"}}),
                    encoding="utf-8")


def test_stage_records_the_planned_model_and_regrades_when_it_changes(tmp_path, one_narrative):
    from soa_analysis.evidence import run_evidence

    processed, rubric = one_narrative(BUSINESS, planned_model="tiny.json")
    _tiny_model(tmp_path / "tiny.json", 5.0)
    first = run_evidence(processed, rubric=rubric, evaluate=False)
    assert list(first.evidence["grade"]) == ["planned"]
    assert "planned model p=" in first.evidence["reasons"].iloc[0]
    meta = json.loads((processed / "evidence_meta.json").read_text())
    assert meta["planned_model"]["sha256"] == load_planned_model(str(tmp_path / "tiny.json")).sha256
    _tiny_model(tmp_path / "tiny.json", -5.0)  # the same rubric file with another model: nothing is reused
    second = run_evidence(processed, rubric=rubric, evaluate=False)
    assert second.meta["reuse"]["n_reused"] == 0 and list(second.evidence["grade"]) == ["none"]
