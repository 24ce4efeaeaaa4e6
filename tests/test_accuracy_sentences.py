"""The plain-language accuracy statements (soa_analysis.accuracy): the caution about grades on real text
holds while any recent held-out part falls short of readers' agreement, and the spread of the earlier
held-out parts is said beside the latest one. Figures here are made up for the test."""

from __future__ import annotations

from soa_analysis.accuracy import READERS_KAPPA, plain_sentences


def _part(kappa: float) -> dict:
    return {"n": 100, "macro_f1": 0.9, "grade_accuracy": 0.85, "grade_kappa": kappa}


def _record(latest: float, earlier: dict[str, float]) -> dict:
    return {"real_text": {"test": _part(latest), "earlier_tests": {p: _part(k) for p, k in earlier.items()}}}


def test_a_good_latest_part_keeps_the_caution_while_earlier_parts_fall_short():
    text = " ".join(plain_sentences(_record(0.8, {"test2": 0.5, "test3": 0.6})))
    assert "sort submissions for a person to read" in text
    assert "kappas from 0.50 to 0.60" in text


def test_the_spread_counts_the_five_latest_earlier_parts_in_their_order():
    earlier = {"test": 0.1, "test2": 0.2, "test9": 0.61, "test10": 0.62, "test11": 0.63, "test12": 0.64,
               "test13": 0.65}
    text = " ".join(plain_sentences(_record(0.7, earlier)))
    assert "The 5 sets" in text and "kappas from 0.61 to 0.65" in text  # test10 sorts after test9


def test_the_spread_gives_the_earlier_parts_tag_scores_beside_their_kappas():
    rec = _record(0.7, {"test2": 0.5, "test3": 0.6, "test4": 0.55})
    rec["real_text"]["test"]["macro_f1"] = 0.66  # a latest part far below the ones before it
    for part, f1 in (("test2", 0.88), ("test3", 0.94), ("test4", 0.9)):
        rec["real_text"]["earlier_tests"][part]["macro_f1"] = f1
    text = " ".join(plain_sentences(rec))
    assert "F1 score of 0.66" in text
    assert "gave priority-tag F1 scores from 0.88 to 0.94 and kappas from 0.50 to 0.60" in text


def test_no_caution_once_every_recent_part_reaches_readers_agreement():
    ok = READERS_KAPPA + 0.05
    text = " ".join(plain_sentences(_record(ok, {"test2": ok, "test3": ok})))
    assert "sort submissions for a person to read" not in text
    assert "below how far two careful readings agree" not in text


def test_the_leave_one_part_out_sentence_names_its_parts_and_counts_its_texts():
    rec = _record(0.7, {"test2": 0.5})
    rec["real_text"]["leave_one_part_out"] = {
        "n": 160, "parts": {"test5": _part(0.5), "test6": _part(0.6)}, "first_part": "test5", "last_part": "test6",
        "macro_f1": 0.91, "grade_accuracy": 0.82, "grade_kappa": 0.55}
    text = " ".join(plain_sentences(rec))
    assert "over 160 real texts in 2 of the studied parts (test5 to test6)" in text
    assert "F1 0.91" in text and "82% of cases (kappa 0.55)" in text
    assert "studied so far" not in text  # a run over some parts is not all the studied texts
    rec["real_text"]["leave_one_part_out"]["n"] = 1390
    assert "over 1,390 real texts" in " ".join(plain_sentences(rec))  # thousands grouped, as elsewhere in the report


def test_the_packaged_leave_one_part_out_figures_add_up():
    from soa_analysis.accuracy import load_accuracy

    lopo = load_accuracy()["real_text"]["leave_one_part_out"]
    assert lopo["n"] == sum(p["n"] for p in lopo["parts"].values())
    assert lopo["first_part"] == next(iter(lopo["parts"])) and lopo["last_part"] == list(lopo["parts"])[-1]
    mean = sum(p["grade_kappa"] for p in lopo["parts"].values()) / len(lopo["parts"])
    assert abs(lopo["grade_kappa"] - mean) < 1e-3
