"""The bundled fictional sample, run through ingest, tag and evidence, against its answer key.

``tests/fixtures/sample_expected.csv`` is written by scripts/build_sample_data.py from what each
fictional case study was written to be: its council, priorities, evidence grade, status and, for
the resubmission, what it duplicates. The workbench's judgments are compared with it here;
the figures come from the answer key, not from today's output.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from soa_analysis.evidence import run_evidence
from soa_analysis.ingest.run import run_ingest
from soa_analysis.tagging.stage import run_tagging

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
KEY = ROOT / "tests" / "fixtures" / "sample_expected.csv"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("sample")
    run_ingest(RAW, d, workers=2)
    run_tagging(d, taxonomies=("priorities",))
    run_evidence(d, evaluate=False)
    key = list(csv.DictReader(KEY.open(encoding="utf-8")))
    return d, key


def _match(subs: pd.DataFrame, row: dict) -> pd.Series:
    """The submission an answer-key row describes (a form export has one per council)."""
    m = subs[subs["source_file"].str.split("!").str[0] == row["file"]]
    if len(m) > 1:
        m = m[m["council"] == row["council"]]
    assert len(m) == 1, (row["file"], row["part"], len(m))
    return m.iloc[0]


def test_every_file_has_the_status_and_duplicate_the_key_says(run):
    d, key = run
    log = pd.read_csv(d / "ingest_log.csv", keep_default_na=False).set_index("source_file")
    for row in key:
        assert log.loc[row["file"], "status"] == row["status"], row["file"]
        if row["status"] == "duplicate":
            assert row["duplicate_of"] in log.loc[row["file"], "reason"]


def test_councils_priorities_and_grades_agree_with_the_key(run):
    d, key = run
    subs = pd.read_parquet(d / "submissions.parquet")
    tags = pd.read_parquet(d / "tags.parquet")
    assigned = tags[tags["assigned"]].groupby("submission_id")["priority"].agg(set).to_dict()
    grades = pd.read_parquet(d / "evidence.parquet").set_index("submission_id")["grade"].to_dict()
    rows = [r for r in key if r["status"] == "ingested"]
    tp = fp = fn = exact_tags = exact_grades = 0
    misses = []
    for r in rows:
        sub = _match(subs, r)
        assert sub["council"] == r["council"], r["file"]
        want = {p for p in r["priorities"].split(";") if p}
        got = set(assigned.get(sub["submission_id"], ()))
        tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
        exact_tags += want == got
        exact_grades += grades[sub["submission_id"]] == r["evidence_grade"]
        if want != got or grades[sub["submission_id"]] != r["evidence_grade"]:
            misses.append((r["file"], r["part"], sorted(want), sorted(got), r["evidence_grade"],
                           grades[sub["submission_id"]]))
    micro_f1 = 2 * tp / (2 * tp + fp + fn)
    assert micro_f1 >= 0.95, misses
    assert exact_tags / len(rows) >= 0.9, misses
    assert exact_grades / len(rows) >= 0.9, misses


def test_every_sample_submission_is_flagged_fictional(run):
    """The sample's mark reaches the submissions table, whatever the format hid it in (a Word
    title paragraph, a form export's note column, an e-mail's attachment): the report's banner
    depends on it."""
    d, _ = run
    subs = pd.read_parquet(d / "submissions.parquet")
    assert len(subs) and subs["fictional"].map(bool).all(), subs.loc[~subs["fictional"], "source_file"].tolist()
