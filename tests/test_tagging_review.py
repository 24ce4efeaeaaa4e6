"""Tests of the review loop: export, import, training rows and Cohen's kappa."""

import numpy as np
import pandas as pd
import pytest
from test_tagging_stage import FALLS, JOBS, MINUTES, make_submissions

from soa_analysis.errors import SchemaError
from soa_analysis.io import write_table
from soa_analysis.tagging import (
    CombinedTagger,
    cohens_kappa,
    export_review,
    import_review,
    labels_from_review,
    run_tagging,
)
from soa_analysis.tagging.review import REVIEW_COLUMNS


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    d = tmp_path_factory.mktemp("processed")
    write_table(make_submissions(FALLS, JOBS, MINUTES), d / "submissions.parquet", table="submissions")
    run_tagging(d, taxonomies=("priorities",))
    return d


def test_export_writes_csv_and_xlsx(processed, tmp_path):
    paths = export_review(processed, tmp_path / "review")
    assert [p.suffix for p in paths] == [".csv", ".xlsx"]
    csv = pd.read_csv(paths[0], keep_default_na=False)
    xlsx = pd.read_excel(paths[1], keep_default_na=False)
    assert list(csv.columns) == REVIEW_COLUMNS == list(xlsx.columns)
    assert len(csv) == len(xlsx) > 0
    assert (csv["decision"] == "").all()
    older = csv[(csv.submission_id == "sub1") & (csv.priority == "older_people")]
    assert len(older) == 1 and "older people" in older["evidence"].iloc[0]


def test_round_trip_and_training_rows(processed, tmp_path, few_real_texts):
    (path,) = export_review(processed, tmp_path / "r.csv")
    df = pd.read_csv(path, keep_default_na=False)
    df["decision"] = np.where(df["assigned"], "yes", "no")
    df.loc[(df.submission_id == "sub2") & (df.priority == "employment"), "decision"] = "n"
    df["reviewer"] = "ann"
    df.to_csv(path, index=False)
    review = import_review(path)
    assert set(review["label"].dropna()) <= {0.0, 1.0} and (review["reviewer"] == "ann").all()
    extra = labels_from_review(review, processed)
    rows = extra.set_index("passage_id")
    assert "older_people" in rows.loc["review:sub1", "label_list"]
    assert "employment" not in rows.loc["review:sub2", "label_list"]
    model = CombinedTagger().fit_labels(extra=extra)
    assert model.training_["extra_rows"] == len(extra)


def test_bad_decision_is_reported(processed, tmp_path):
    (path,) = export_review(processed, tmp_path / "r.csv")
    df = pd.read_csv(path, keep_default_na=False)
    df.loc[0, "decision"] = "perhaps so"
    df.to_csv(path, index=False)
    with pytest.raises(SchemaError, match="perhaps so"):
        import_review(path)


def _decisions(values, assigned=None):
    n = len(values)
    return pd.DataFrame({"submission_id": [f"s{i}" for i in range(n)], "taxonomy": "priorities",
                         "priority": ["employment"] * n, "label": values,
                         "assigned": assigned if assigned is not None else [False] * n})


def test_kappa_between_two_reviewers_matches_definition():
    # po = 3/4; pe = 0.5*0.25 + 0.5*0.75 = 0.5; kappa = (0.75-0.5)/(1-0.5) = 0.5
    k = cohens_kappa(_decisions([1.0, 1.0, 0.0, 0.0]), _decisions([1.0, 0.0, 0.0, 0.0]))
    row = k.set_index("priority").loc["all"]
    assert row["n"] == 4 and row["agreement"] == pytest.approx(0.75) and row["kappa"] == pytest.approx(0.5)


def test_kappa_reviewer_against_tagger_and_unreviewed_rows_skipped():
    d = _decisions([1.0, 0.0, np.nan, 1.0], assigned=[True, False, True, True])
    k = cohens_kappa(d).set_index("priority").loc["all"]
    assert k["n"] == 3 and k["kappa"] == pytest.approx(1.0)


def test_kappa_perfect_agreement_on_one_value_is_undefined():
    k = cohens_kappa(_decisions([1.0, 1.0]), _decisions([1.0, 1.0])).set_index("priority").loc["all"]
    assert np.isnan(k["kappa"]) and k["agreement"] == 1.0


def test_agreement_summary_two_reviewers(processed, tmp_path):
    from soa_analysis.tagging import agreement_summary

    (path,) = export_review(processed, tmp_path / "r.csv")
    df = pd.read_csv(path, keep_default_na=False)
    df = df[df["assigned"]].head(2)
    assert len(df) == 2
    a = df.assign(reviewer="ann", decision=["yes", "no"])
    b = df.assign(reviewer="bob", decision=["yes", "yes"])
    a.to_csv(tmp_path / "ann.csv", index=False)
    b.to_csv(tmp_path / "bob.csv", index=False)
    text = agreement_summary([tmp_path / "ann.csv", tmp_path / "bob.csv"])
    assert "ann vs tagger" in text and "bob vs tagger" in text and "ann vs bob" in text
    # ann vs bob: po = 1/2, pe = 1/2 * 1 + 1/2 * 0 = 1/2, kappa 0; bob agrees with the
    # tagger on one value only, so kappa is undefined there.
    assert "ann vs bob: n=2, agreement=0.50, kappa=0.00" in text
    assert "bob vs tagger: n=2, agreement=1.00, kappa=undefined" in text
