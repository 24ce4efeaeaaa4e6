"""The grade check: a narrative read whole, beside the rules' grade, may take another of strong, some and none.

Every passage here is fictional, written for these tests.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from scripts import load_script
from soa_analysis.errors import TaxonomyError
from soa_analysis.evidence import EvidenceGrader
from soa_analysis.evidence.check_model import (
    CLASSES,
    SENTENCE_FEATURES,
    GradeCheck,
    load_check_model,
    sentence_features,
)
from soa_analysis.evidence.sentence_model import load_sentence_model

ROOT = Path(__file__).resolve().parents[1]

# Fictional: a committee's business, no benefit (the rules grade it none).
BUSINESS = ("Fictional example. The council's committee met on Tuesday to discuss the roads budget. Members considered "
            "the report on winter gritting routes. The minutes were approved and the meeting closed.")
# Fictional: output counts and testimony (the rules grade it some).
RESULTS = ("Fictional example. The befriending service began in 2024. Since then 120 older people have been matched "
           "with a volunteer. Participants said they felt less lonely.")
FOUR = ["Fictional sentence one.", "Fictional sentence two.", "Fictional sentence three.", "Fictional sentence four."]


def _check(intercept=(0.0, 0.0, 0.0), rules=None, terms=None, min_sentences=3, sentence=None) -> GradeCheck:
    """A tiny fictional check: by default it follows the rules' grade (a weight of 5 on it)."""
    rules = rules or {g: tuple(5.0 if c == g else 0.0 for c in CLASSES) for g in CLASSES}
    return GradeCheck(intercept=tuple(intercept), rules=rules, terms=terms or {"fictional": (1.0, (0.0, 0.0, 0.0))},
                      min_sentences=min_sentences, sentence=sentence or {})


def test_packaged_check_records_what_it_learned_from():
    rt = load_script("benchmarks/real_text.py")
    m = load_check_model()
    assert m is EvidenceGrader().fit().check_  # the packaged rubric names it
    assert m.min_sentences == 3 and tuple(m.ngram_range) == (1, 2)
    trained = m.meta["trained_on"]
    assert set(trained["parts"]) <= set(rt.STUDIED) and trained["n_texts"] > 1000
    assert set(trained["grades"]) == set(CLASSES) and sum(trained["grades"].values()) == trained["n_texts"]
    # each studied part left out in turn, it agreed with the readers more often than the rules' grade alone
    assert m.meta["left_out"]["accuracy"] > m.meta["rules_left_out"]["accuracy"]
    assert set(m.meta["left_out"]["parts"]) == set(m.meta["rules_left_out"]["parts"]) == set(trained["parts"])
    assert all(1 <= len(t.split()) <= 2 for t in m.terms)  # words and word pairs, no sentence
    assert m.summary()["n_terms"] == len(m.terms) and len(m.sha256) == 64
    # it reads what the packaged sentence model makes of a text, and names the model it was fitted beside
    assert tuple(m.sentence) == SENTENCE_FEATURES and m.summary()["reads_sentence_model"] is True
    assert m.meta["sentence_model"] == load_sentence_model("packaged").sha256


def test_probabilities_are_scikit_learns_tfidf_and_softmax(sklearn_tfidf):
    m = load_check_model()
    vec, names = sklearn_tfidf(m)
    coef = np.array([m.terms[t][1] for t in names])  # terms x classes
    for text in (BUSINESS, RESULTS, ""):
        for rules_grade in ("strong", "some", "planned", "none"):
            rg = "none" if rules_grade == "planned" else rules_grade
            z = np.array(m.intercept) + np.array(m.rules[rg]) + vec.transform([text]).toarray()[0] @ coef
            want = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            got = m.probabilities(text, rules_grade)
            assert list(got) == list(CLASSES)
            assert [got[c] for c in CLASSES] == pytest.approx(list(want), abs=1e-9)
            # beside what the sentence model made of the text: one more weight per feature and class
            reads = (0.9, 0.4, 0.25)
            z = z + np.array(reads) @ np.array([m.sentence[f] for f in SENTENCE_FEATURES])
            want = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            got = m.probabilities(text, rules_grade, reads)
            assert [got[c] for c in CLASSES] == pytest.approx(list(want), abs=1e-9)


def test_check_agreeing_with_the_rules_leaves_grade_and_reason_alone():
    follow = _check()
    for grade in ("strong", "some", "planned", "none"):
        assert follow.decide(grade, "the rules' reason", FOUR) == (grade, "the rules' reason")


def test_check_changes_the_grade_both_ways_and_says_why():
    # fictional weights: "improved" pulls towards some, "minutes" towards none, over a weak pull to the rules' grade
    terms = {"improved": (1.0, (0.0, 9.0, -9.0)), "minutes": (1.0, (0.0, -9.0, 9.0))}
    rules = {g: tuple(1.0 if c == g else 0.0 for c in CLASSES) for g in CLASSES}
    check = _check(rules=rules, terms=terms)
    up, why = check.decide("none", "no sentence counts", ["Fictional.", "Results improved.", "Improved again."])
    assert up == "some" and "grade check some p=" in why and "+ improved" in why
    assert "the rules said none: no sentence counts" in why
    down, why = check.decide("some", "an output count", ["Fictional.", "The minutes.", "More minutes."])
    assert down == "none" and "the rules said some: an output count" in why and "+ minutes" in why
    # planned is none on the check's scale: a check that reads none keeps planned (the planned model decides)
    assert check.decide("planned", "dated", ["Fictional.", "The minutes.", "More minutes."]) == ("planned", "dated")
    # a passage of two sentences keeps the rules' grade
    assert check.decide("none", "x", ["Results improved.", "Improved again."]) == ("none", "x")


def test_a_margin_keeps_the_rules_grade_where_the_check_leans_only_a_little_the_other_way():
    # fictional weights: "improved" pulls towards some by a little, "greatly" by a lot, over a pull to the rules' grade
    terms = {"improved": (1.0, (0.0, 0.6, -0.6)), "greatly": (1.0, (0.0, 6.0, -6.0))}
    rules = {g: tuple(1.0 if c == g else 0.0 for c in CLASSES) for g in CLASSES}
    text = ["Fictional.", "Results improved.", "Improved again."]
    lean = GradeCheck(intercept=(0.0, 0.0, 0.0), rules=rules, terms=terms, min_sentences=3)
    p = lean.probabilities(" ".join(text), "none")
    assert 0 < p["some"] - p["none"] < 0.3  # its likeliest grade is some, but only just
    assert lean.decide("none", "no sentence counts", text)[0] == "some"  # no margin: the likeliest grade wins
    careful = dataclasses.replace(lean, margin=0.3)
    assert careful.decide("none", "no sentence counts", text) == ("none", "no sentence counts")
    # a text it is sure of still moves, and says why as before
    sure = ["Fictional.", "Results improved greatly.", "Greatly improved again."]
    p = careful.probabilities(" ".join(sure), "none")
    assert p["some"] - p["none"] >= 0.3
    up, why = careful.decide("none", "no sentence counts", sure)
    assert up == "some" and "grade check some p=" in why and "the rules said none" in why
    assert careful.summary()["margin"] == 0.3


def test_packaged_check_carries_the_margin_it_was_chosen_with():
    m = load_check_model()
    assert 0 <= m.margin < 1 and m.meta["margin"] == m.margin
    # its left-out figures are those of the check as it decides, margin and all
    assert m.meta["left_out"].get("margin") == m.margin


def test_sentence_features_are_the_top_two_and_the_share_at_even_odds():
    assert sentence_features([0.3, 0.95, 0.5, 0.1], 5) == (0.95, 0.5, 0.4)
    assert sentence_features([0.7], 3) == (0.7, 0.0, pytest.approx(1 / 3))
    assert sentence_features([], 4) == (0.0, 0.0, 0.0)


def test_check_reading_the_sentence_model_weighs_its_probabilities():
    # fictional weights: a likely sentence pulls towards some, over a weak pull to the rules' grade
    rules = {g: tuple(1.0 if c == g else 0.0 for c in CLASSES) for g in CLASSES}
    check = _check(intercept=(0.0, -3.0, 3.0), rules=rules,
                   sentence={"top": (0.0, 6.0, -6.0), "second": (0.0, 0.0, 0.0), "share": (0.0, 0.0, 0.0)})
    up, why = check.decide("none", "no sentence counts", FOUR, [0.8, 0.2, 0.1])
    assert up == "some" and "the sentence model's likeliest sentence 0.80" in why
    assert check.decide("none", "no sentence counts", FOUR, [0.1, 0.05]) == ("none", "no sentence counts")
    # no sentence model read the text: a check fitted beside one keeps the rules' grade
    assert check.decide("none", "no sentence counts", FOUR, None) == ("none", "no sentence counts")
    assert _check(rules=rules).decide("none", "x", FOUR, None) == ("none", "x")  # one that does not read it decides


def test_grader_gives_the_check_the_sentence_models_probabilities():
    grader = EvidenceGrader().fit()
    result = EvidenceGrader(check=None).fit().grade(RESULTS)
    read = grader.model_probabilities(result.sentences)
    assert read is not None and 1 <= len(read) <= len(result.sentences) and all(0.0 <= p <= 1.0 for p in read)
    assert grader.model_probabilities(result.sentences[:2]) is None  # too short for the sentence model
    assert EvidenceGrader(model=None).fit().model_probabilities(result.sentences) is None
    # without a sentence model the packaged check (fitted beside one) leaves the rules' grade
    rules_only = EvidenceGrader(model=None, check=None).fit()
    no_model = EvidenceGrader(model=None).fit()
    for text in (BUSINESS, RESULTS):
        assert no_model.grade(text).grade == rules_only.grade(text).grade


def test_template_submission_and_short_passage_keep_the_rules_grade():
    to_none = _check(intercept=(-20.0, -20.0, 20.0))  # reads every narrative as none
    grader = EvidenceGrader(check=to_none).fit()
    assert EvidenceGrader(check=None).fit().grade(RESULTS).grade == "some"
    changed = grader.grade(RESULTS)
    assert changed.grade == "none" and "the rules said some" in changed.rule
    # on the template the sections say where the evidence is: the check does not read it
    assert grader.grade({"evidence": RESULTS, "text": RESULTS}).grade == "some"
    short = "Since 2024, 120 older people have been matched with a volunteer and said they felt less lonely."
    assert grader.grade(short).grade == EvidenceGrader(check=None).fit().grade(short).grade


def test_rubric_without_check_model_keeps_the_rules_grade(tmp_path):
    src = (ROOT / "soa_analysis" / "rubrics" / "evidence_rubric.yaml").read_text(encoding="utf-8")
    assert "\ncheck_model: evidence_check_model.json\n" in src
    path = tmp_path / "rubric.yaml"
    path.write_text(src.replace("\ncheck_model: evidence_check_model.json\n", "\ncheck_model: none\n"), encoding="utf-8")
    grader = EvidenceGrader(rubric=path).fit()
    assert grader.check_ is None and grader.rubric_.check_model == ""
    bad = tmp_path / "bad.yaml"
    bad.write_text(src.replace("\ncheck_model: evidence_check_model.json\n", "\ncheck_model: missing.json\n"),
                   encoding="utf-8")
    with pytest.raises(TaxonomyError, match="check model 'missing.json' not found"):
        EvidenceGrader(rubric=bad).fit()


def test_rubric_description_names_the_check():
    from soa_analysis.rubrics import rubric_markdown

    text = rubric_markdown()
    assert "**Grade check**" in text and "rules' own grade and reason" in text
    margin = load_check_model().margin
    # its margin where it has one; with none, the likeliest grade wins and the text says no more
    assert (f"likelier than the rules' grade by at least {margin:g}" in text) == bool(margin)
    assert "where it names another of strong, some and none" in text


def test_rubric_description_gives_a_margin_where_the_check_has_one(monkeypatch):
    import soa_analysis.evidence.check_model as check_module
    from soa_analysis.rubrics import rubric_markdown

    packaged = load_check_model()
    with_margin = dataclasses.replace(packaged, margin=0.3)
    monkeypatch.setattr(check_module, "load_check_model", lambda *a, **k: with_margin)
    assert "likelier than the rules' grade by at least 0.3 (a difference of two probabilities)" in rubric_markdown()


@pytest.mark.parametrize("data, match", [
    ("not json", "not valid JSON"),
    (json.dumps({"format": 2}), "format 1"),
    (json.dumps({"format": 1, "classes": ["some", "none"], "intercept": [0, 0], "rules": {}, "terms": {}}), "classes"),
    (json.dumps({"format": 1, "classes": list(CLASSES), "intercept": [0, 0, 0],
                 "rules": {g: [0, 0, 0] for g in CLASSES}, "terms": {"a": [1, 0, 0]}}), "idf and 3 weights"),
    (json.dumps({"format": 1, "classes": list(CLASSES), "intercept": [0, 0],
                 "rules": {g: [0, 0, 0] for g in CLASSES}, "terms": {"a": [1, 0, 0, 0]}}), "3 numbers"),
    (json.dumps({"format": 1, "classes": list(CLASSES), "intercept": [0, 0, 0],
                 "rules": {g: [0, 0, 0] for g in CLASSES}, "terms": {}}), "at least one term"),
    (json.dumps({"format": 1, "classes": list(CLASSES), "intercept": [0, 0, 0], "rules": {g: [0, 0, 0] for g in CLASSES},
                 "sentence": {f: [0, 0] for f in SENTENCE_FEATURES}, "terms": {"a": [1, 0, 0, 0]}}), "3 numbers"),
    (json.dumps({"format": 1, "classes": list(CLASSES), "intercept": [0, 0, 0], "rules": {g: [0, 0, 0] for g in CLASSES},
                 "sentence": {"top": [0, 0, 0]}, "terms": {"a": [1, 0, 0, 0]}}), "second"),
    (json.dumps({"format": 1, "classes": list(CLASSES), "intercept": [0, 0, 0], "rules": {g: [0, 0, 0] for g in CLASSES},
                 "margin": 1.5, "terms": {"a": [1, 0, 0, 0]}}), "margin 1.5"),
])
def test_malformed_check_file_is_refused(tmp_path, data, match):
    path = tmp_path / "m.json"
    path.write_text(data, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=match):
        load_check_model(str(path))


def _tiny_check(path: Path, to: str) -> None:
    """A fictional check file that reads every narrative as ``to``."""
    path.write_text(json.dumps({"format": 1, "classes": list(CLASSES),
                                "intercept": [20.0 if c == to else -20.0 for c in CLASSES],
                                "rules": {g: [0.0, 0.0, 0.0] for g in CLASSES}, "min_sentences": 3,
                                "terms": {"fictional": [1.0, 0.0, 0.0, 0.0]}, "meta": {"note": "a fictional test model"}}),
                    encoding="utf-8")


def test_stage_records_the_check_and_regrades_when_it_changes(tmp_path, one_narrative):
    from soa_analysis.evidence import run_evidence

    processed, rubric = one_narrative(BUSINESS, check_model="tiny.json")
    _tiny_check(tmp_path / "tiny.json", "some")
    first = run_evidence(processed, rubric=rubric, evaluate=False)
    assert list(first.evidence["grade"]) == ["some"]
    assert "grade check some p=" in first.evidence["reasons"].iloc[0]
    meta = json.loads((processed / "evidence_meta.json").read_text())
    assert meta["check_model"]["sha256"] == load_check_model(str(tmp_path / "tiny.json")).sha256
    _tiny_check(tmp_path / "tiny.json", "none")  # the same rubric file with another check: nothing is reused
    second = run_evidence(processed, rubric=rubric, evaluate=False)
    assert second.meta["reuse"]["n_reused"] == 0 and second.evidence["grade"].iloc[0] in ("none", "planned")
