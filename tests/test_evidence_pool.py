"""The evidence stage's grading over a process pool (soa_analysis.evidence.pool) gives the tables
it gives in one process.

The corpus is made here from the bundled sample's case studies (scripts/sample_cases: FICTIONAL,
written for the project), their answers mixed across cases and cut at random, so that it is
varied; two submissions share a raw file now and then (a raw file's rows stay in one partition).
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
import yaml

from soa_analysis.evidence import pool, run_evidence
from soa_analysis.io import read_table, write_table
from soa_analysis.nlp import split_sentences
from soa_analysis.schema import PRIORITY_IDS, SECTION_COLUMNS

CASES = Path(__file__).resolve().parents[1] / "scripts" / "sample_cases"
TABLES = ("evidence", "evidence_sentences", "added_value", "alignment", "followups", "exemplars",
          "partner_pairs", "consistency")
ANSWERS = ("title", "need", "actions", "evidence", "added_value", "next_steps")
PARTNER_TYPES = ["local_authority", "health_board", "police", "voluntary", "college"]


def _cases() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(CASES.glob("*.yaml"))
            if not p.name.endswith(".report.yaml")]


def make_corpus(folder: Path, n: int = 90, seed: int = 5) -> None:
    """``n`` fictional submissions (with tags, tag evidence and partners) in ``folder``."""
    rng = random.Random(seed)
    cases = _cases()
    subs, tags, te, partners = [], [], [], []
    raw = 0
    for i in range(n):
        row = {s: "" for s in SECTION_COLUMNS}
        for s in ANSWERS:
            sents = split_sentences(str(rng.choice(cases).get(s) or ""))
            if rng.random() < 0.1:
                sents = []  # an unanswered question
            row[s] = " ".join(rng.sample(sents, rng.randint(1, len(sents))) if sents else [])
        if rng.random() < 0.8 or i == 0:
            raw += 1  # otherwise this submission shares the last one's raw file
        sid = f"pool{i:04d}"
        case = rng.choice(cases)
        subs.append({"submission_id": sid, "source_file": f"raw{raw:04d}.docx", "submission_type": "case_study_2009",
                     "council": case["council"], "council_code": "", **row,
                     "checklist": list(case.get("themes") or [])[: rng.randint(0, 2)], "outcomes_cited": [],
                     "text": "\n\n".join(row[s] for s in SECTION_COLUMNS if row[s]), "format": "docx",
                     "council_source": "", "date": case["date"] if rng.random() < 0.8 else "",
                     "year": int(case["date"][:4]), "warnings": []})
        for p in PRIORITY_IDS:
            assigned = rng.random() < 0.3
            tags.append({"submission_id": sid, "taxonomy": "priorities", "priority": p, "score": 0.5,
                         "assigned": assigned, "evidence": ""})
            if assigned:
                for s in ("need", "evidence"):
                    for sent in split_sentences(row[s])[:2]:
                        te.append({"submission_id": sid, "taxonomy": "priorities", "priority": p, "section": s,
                                   "sentence": sent, "phrases": []})
        for j, ptype in enumerate(rng.sample(PARTNER_TYPES, rng.randint(0, 3))):
            partners.append({"submission_id": sid, "name": f"Fictional partner {j}", "partner_type": ptype})
    df = pd.DataFrame(subs)
    df["year"] = df["year"].astype("Int64")
    write_table(df, folder / "submissions.parquet", table="submissions")
    write_table(pd.DataFrame(tags), folder / "tags.parquet", table="tags")
    write_table(pd.DataFrame(te), folder / "tag_evidence.parquet", table="tag_evidence")
    write_table(pd.DataFrame(partners), folder / "partners.parquet", table="partners")


@pytest.fixture(scope="module")
def in_one_process(tmp_path_factory):
    folder = tmp_path_factory.mktemp("one")
    make_corpus(folder)
    run_evidence(folder, full=True, evaluate=False, workers=1)
    return folder


def test_the_corpus_is_varied(in_one_process):
    ev = read_table(in_one_process, "evidence")
    assert set(ev["grade"]) >= {"strong", "some", "none"}
    assert len(read_table(in_one_process, "followups")) > 20
    assert len(read_table(in_one_process, "exemplars")) > 10


@pytest.mark.parametrize("workers", [2, 3])
def test_the_pool_gives_the_tables_of_one_process(tmp_path, in_one_process, workers, monkeypatch):
    monkeypatch.setattr(pool, "POOL_MIN", 1)
    make_corpus(tmp_path)
    calls = []
    real = pool.start_grading
    monkeypatch.setattr("soa_analysis.evidence.stage.start_grading",
                        lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    run_evidence(tmp_path, full=True, evaluate=False, workers=workers)
    assert calls == [workers]  # graded in the pool
    for name in TABLES:
        pd.testing.assert_frame_equal(read_table(tmp_path, name), read_table(in_one_process, name), obj=name)


def test_few_submissions_are_graded_in_the_stage_process():
    assert pool.pool_workers(2, pool.POOL_MIN - 1) == 1
    assert pool.pool_workers(0, 10 * pool.POOL_MIN) >= 1
    assert pool.pool_workers(4, pool.POOL_MIN) == 4


def test_the_fork_servers_preload_builds_the_rubrics_search_plan():
    """The pool's fork server imports .preload, which grades a passage: the packaged rubric's
    compiled patterns are then in the caches the workers inherit."""
    import importlib

    from soa_analysis.evidence import grader

    assert "soa_analysis.evidence.preload" in pool.PRELOAD
    for name in pool.PRELOAD:
        importlib.import_module(name)
    from soa_analysis.evidence.preload import warm

    grader._PLANS.clear()
    warm()
    assert len(grader._PLANS) == 1


def test_the_fork_server_is_started_early_only_for_a_pool_in_a_caller_that_must_not_fork(monkeypatch):
    import threading

    started = []
    monkeypatch.setattr("multiprocessing.forkserver.ensure_running", lambda: started.append(1))
    assert not pool.start_early(2, pool.POOL_MIN - 1)  # too few to grade in a pool
    assert not pool.start_early(1, 5000)  # one process
    if threading.active_count() == 1:
        assert not pool.start_early(2, 5000)  # a script or test forks its workers: nothing to start
    assert not started
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # as in a Jupyter kernel
    if "forkserver" in __import__("multiprocessing").get_all_start_methods():
        assert pool.start_early(2, 5000)
        assert started == [1]


def test_partitions_cut_one_at_a_time_are_those_cut_at_once(tmp_path):
    from soa_analysis.partition import raw_file_groups
    from soa_analysis.procs import iter_partitions, subs_partitions

    make_corpus(tmp_path)
    subs = read_table(tmp_path, "submissions")
    inputs = {"tags": read_table(tmp_path, "tags"), "tag_evidence": read_table(tmp_path, "tag_evidence"),
              "partners": None}
    units = raw_file_groups(subs.assign(raw_file=subs["source_file"]))  # a raw file's submissions together
    assert any(len(u.ids) > 1 for u in units)
    lazy = iter_partitions(subs, units, 7, inputs)
    assert not isinstance(lazy, list)  # a generator: nothing is copied before it is asked for
    lazy = list(lazy)
    eager = [(part, {k: (v[v["submission_id"].isin(set(part["submission_id"]))] if v is not None else None)
                     for k, v in inputs.items()}) for part in subs_partitions(subs, units, 7)]
    assert len(lazy) == len(eager) > 1
    for (part, mine), (part2, mine2) in zip(lazy, eager):
        pd.testing.assert_frame_equal(part, part2)
        assert mine["partners"] is None and mine2["partners"] is None
        for k in ("tags", "tag_evidence"):
            pd.testing.assert_frame_equal(mine[k], mine2[k])


def test_the_pool_is_handed_a_few_partitions_at_a_time_and_all_are_graded():
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    lock, state = threading.Lock(), {"running": 0, "most": 0}

    def grade(i):
        with lock:
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
        time.sleep(0.01)
        with lock:
            state["running"] -= 1
        return {"t": pd.DataFrame({"i": [i]})}

    handed = []
    executor = ThreadPoolExecutor(8)  # more threads than ``ahead``: only the hand-over limits what runs

    def submit(i, _):
        handed.append(i)
        return executor.submit(grade, i)

    grading = pool.Grading(executor, submit, ((i, None) for i in range(25)), ahead=3)
    assert len(handed) == 3  # nothing more is cut before the stage waits for the tables
    tables = grading.tables()
    assert tables["t"]["i"].tolist() == list(range(25))  # every partition, in order
    assert 1 <= state["most"] <= 3


def test_a_workers_error_stops_the_hand_over_and_is_raised():
    from concurrent.futures import ThreadPoolExecutor

    def grade(i):
        if i == 2:
            raise ValueError("partition 2 is broken (FICTIONAL)")
        return {"t": pd.DataFrame({"i": [i]})}

    handed = []
    executor = ThreadPoolExecutor(2)

    def submit(i, _):
        handed.append(i)
        return executor.submit(grade, i)

    grading = pool.Grading(executor, submit, ((i, None) for i in range(50)), ahead=2)
    with pytest.raises(ValueError, match="partition 2"):
        grading.tables()
    assert len(handed) < 50
