"""Tests of the evaluation: metric arithmetic on tiny cases, and the acceptance figure."""

import numpy as np
import pytest

from soa_analysis.errors import SchemaError
from soa_analysis.tagging import evaluate
from soa_analysis.tagging.evaluation import bootstrap_f1, f1_table


def test_f1_table_by_hand():
    Y = np.array([[1, 0], [1, 1], [0, 0]])
    P = np.array([[1, 0], [0, 1], [1, 1]])
    prec, rec, f1, micro, macro = f1_table(Y, P)
    # column 0: tp 1, fp 1, fn 1; column 1: tp 1, fp 1, fn 0
    np.testing.assert_allclose(prec, [0.5, 0.5])
    np.testing.assert_allclose(rec, [0.5, 1.0])
    np.testing.assert_allclose(f1, [0.5, 2 / 3])
    assert micro == pytest.approx(4 / 7) and macro == pytest.approx((0.5 + 2 / 3) / 2)


def test_bootstrap_of_perfect_predictions_is_degenerate():
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    b = bootstrap_f1(Y, Y, n_boot=50)
    assert b["macro"][1] == pytest.approx(1.0) and b["micro"] == pytest.approx((1.0, 1.0))


def test_small_labels_file(tmp_path, few_real_texts):
    p = tmp_path / "labels.csv"
    rows = ["passage_id,labels,kind,text"]
    for i in range(12):
        rows.append(f"a{i},older_people,single,Telecare and reablement helped older people at home number {i}.")
        rows.append(f"b{i},employment,single,Apprenticeships helped unemployed people into jobs number {i}.")
        rows.append(f"c{i},,near_miss,The board approved its minutes number {i}.")
    p.write_text("\n".join(rows) + "\n")
    with pytest.raises(SchemaError, match="positive and negative"):
        evaluate(p, folds=3, n_boot=50, real_text=False)  # priorities with no examples cannot be trained
    # with the shipped real-text documents in every training fold, every priority has examples
    rep = evaluate(p, folds=3, n_boot=50)
    assert rep.settings["real_text_documents"] > 100
    assert rep.settings["real_text_documents"] <= few_real_texts["real"]["n"]  # the tenth it was given
    assert set(rep.per_category["category"]) >= {"older_people", "employment"}


@pytest.fixture(scope="module")
def report():
    return evaluate(folds=5, seed=0, n_boot=300)


def test_report_structure(report):
    df = report.to_frame()
    assert list(df["category"])[-2:] == ["micro", "macro"]
    per = report.per_category
    assert len(per) == 6
    for col in ("precision", "recall", "f1", "heldout_f1", "threshold"):
        assert ((per[col] >= 0) & (per[col] <= 1)).all()
    assert (per["f1_lo"] <= per["f1"] + 1e-9).all() and (per["f1"] <= per["f1_hi"] + 1e-9).all()
    assert report.macro_ci[0] <= report.macro_f1 <= report.macro_ci[1]
    text = report.to_markdown()
    assert "macro-F1" in text and "older_people" in text
    assert report.to_dict()["heldout_size"] == report.heldout_size > 0


def test_heldout_macro_f1_meets_target(report):
    assert report.heldout_macro_f1 >= 0.85


def test_hard_negatives_mostly_untagged(report):
    kinds = report.by_kind.set_index("kind")["exact_match"]
    assert kinds["near_miss"] >= 0.8 and kinds["negated"] >= 0.8


def test_packaged_accuracy_record_matches_the_evaluation(report):
    """The report's methodology and `soa-analysis evaluate` quote one record; it must be the
    figure this evaluation computes (rebuild with benchmarks/accuracy_record.py)."""
    from soa_analysis.accuracy import load_accuracy, plain_sentences

    rec = load_accuracy()["tagging_own"]
    assert rec["settings"] == {"folds": 5, "seed": 0, "n_boot": 300}
    assert rec["macro_f1"] == round(report.macro_f1, 4)
    assert rec["heldout_macro_f1"] == round(report.heldout_macro_f1, 4)
    per = dict(zip(report.per_category["category"], report.per_category["f1"]))
    assert rec["per_priority_f1"] == {k: round(float(v), 4) for k, v in per.items()}
    assert any(f"{rec['macro_f1']:.2f}" in s for s in plain_sentences())
