"""Tests of run_tagging on fictional submissions built in tmp_path."""

import json

import pandas as pd
import pytest

from soa_analysis.errors import InputError
from soa_analysis.io import read_table, write_table
from soa_analysis.schema import SECTION_COLUMNS
from soa_analysis.tagging import run_tagging
from soa_analysis.tagging.model import RELATIVE
from soa_analysis.taxonomies import load_taxonomy

# Fictional submissions written for these tests.
FALLS = dict(
    title="Falls prevention for older people in Glenbrae (fictional)",
    need="Emergency admissions of people aged 65 and over after a fall were rising.",
    actions="Strength and balance classes, telecare and home safety checks helped older people stay at home. "
            "The project had no impact on employment.",
    outcomes_cited=["National Outcome 15 - Our people are able to maintain their independence as they get older"],
)
JOBS = dict(text="<script>alert('x')</script> Modern apprenticeships and job coaching helped unemployed "
                 "young people into sustained work with local employers (fictional).")
MINUTES = dict(text="The board approved its minutes and agreed the meeting dates (fictional).")


def make_submissions(*specs):
    rows = []
    for i, spec in enumerate(specs, 1):
        r = {"submission_id": f"sub{i}", "source_file": f"f{i}.txt", "submission_type": "case_study_2009",
             "council": "Angus", "council_code": "S12000041", **{s: "" for s in SECTION_COLUMNS},
             "checklist": [], "outcomes_cited": [], "text": "", "format": "txt", "council_source": "text",
             "date": "", "year": None, "warnings": []}
        r.update(spec)
        if not r["text"]:
            r["text"] = "\n".join(r[s] for s in SECTION_COLUMNS if r[s])
        rows.append(r)
    df = pd.DataFrame(rows)
    df["year"] = df["year"].astype("Int64")
    return df


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("processed")
    write_table(make_submissions(FALLS, JOBS, MINUTES), d / "submissions.parquet", table="submissions")
    return d, run_tagging(d)


def test_one_row_per_submission_taxonomy_category(run):
    d, res = run
    n_cats = len(load_taxonomy("priorities").ids) + len(load_taxonomy("outcomes_soa").ids)
    assert len(res.tags) == 3 * n_cats
    assert not res.tags.duplicated(["submission_id", "taxonomy", "priority"]).any()
    on_disk = read_table(d, "tags")  # validates the contract
    pd.testing.assert_frame_equal(on_disk, res.tags, check_dtype=False)
    read_table(d, "tag_evidence")


def test_expected_tags(run):
    _, res = run
    got = {(r.submission_id, r.taxonomy, r.priority) for r in res.assigned().itertuples()}
    assert ("sub1", "priorities", "older_people") in got
    assert ("sub1", "outcomes_soa", "no15") in got
    assert ("sub2", "priorities", "employment") in got
    assert ("sub1", "priorities", "employment") not in got  # negated
    assert not any(s == "sub3" for s, _, _ in got)


def test_tags_carry_evidence(run):
    _, res = run
    tag = res.tags.set_index(["submission_id", "taxonomy", "priority"]).loc[("sub1", "priorities", "older_people")]
    assert "older people" in tag["evidence"] and 0 < tag["score"] <= 1
    ev = res.evidence[(res.evidence.submission_id == "sub1") & (res.evidence.priority == "older_people")]
    assert {"title", "actions"} <= set(ev["section"])
    assert all(len(p) for p in ev["phrases"])


def test_meta_records_versions_and_thresholds(run):
    d, res = run
    meta = json.loads((d / "tagging_meta.json").read_text())
    assert meta["taxonomies"]["priorities"]["version"] == load_taxonomy("priorities").version
    assert set(meta["taxonomies"]["priorities"]["thresholds"]) == set(load_taxonomy("priorities").ids)
    assert meta["models"]["priorities"]["cv_f1"]
    # the stage's tagger takes the relative rule's one default (chosen on real text, issue 9)
    assert meta["models"]["priorities"]["params"]["relative"] == RELATIVE
    assert (d / "models" / "priorities.joblib").exists() and (d / "models" / "priorities.json").exists()


def test_rerun_is_deterministic_and_reuses_model(run):
    d, res = run
    again = run_tagging(d)
    assert again.meta["models"]["priorities"]["how"] == "loaded"
    pd.testing.assert_frame_equal(again.tags, res.tags)
    pd.testing.assert_frame_equal(again.evidence, res.evidence)


def test_lexicon_only_taxonomy_and_path(tmp_path):
    write_table(make_submissions(FALLS), tmp_path / "submissions.parquet", table="submissions")
    res = run_tagging(tmp_path, taxonomies=("outcomes_2018",))
    assert set(res.tags["taxonomy"]) == {"outcomes_2018"} and (res.tags["method"] == "lexicon").all()


def test_empty_submissions_table(tmp_path):
    write_table(make_submissions(FALLS).iloc[0:0], tmp_path / "submissions.parquet", table="submissions")
    res = run_tagging(tmp_path)
    assert res.tags.empty and read_table(tmp_path, "tags").empty


def test_missing_submissions_raise(tmp_path):
    with pytest.raises(InputError, match="submissions.parquet"):
        run_tagging(tmp_path)


# Fictional: an unstructured submission whose guessed title names no priority; its narrative does.
UNTITLED = dict(submission_type="unstructured", title="Update from the Glenbrae partnership (fictional)",
                text="Update from the Glenbrae partnership (fictional)\n"
                     "Strength and balance classes, telecare and home safety checks helped older people "
                     "stay at home, and emergency admissions of people aged 65 and over after a fall dropped.")


def test_unstructured_submission_is_tagged_from_its_narrative_not_its_title(tmp_path):
    """Regression (issue 9): a title was taken for a template section, so the narrative in
    ``text`` of a submission without a template was never read."""
    write_table(make_submissions(UNTITLED), tmp_path / "submissions.parquet", table="submissions")
    res = run_tagging(tmp_path, taxonomies=("priorities",))
    assert "older_people" in set(res.assigned()["priority"])
    sections = set(res.evidence.loc[res.evidence["priority"] == "older_people", "section"])
    assert "text" in sections


def test_narrative_parts_reads_text_when_only_a_title_was_found():
    from soa_analysis.schema import narrative_parts
    from soa_analysis.tagging import submission_document

    row = make_submissions(UNTITLED).iloc[0].to_dict()
    parts = narrative_parts(row, row["text"])
    assert [s for s, _ in parts] == ["title", "text"]
    assert "Update from" not in parts[1][1]  # the title is not read twice
    assert any(sec == "text" and "telecare" in s for sec, s in submission_document(row))
    structured = make_submissions(FALLS).iloc[0].to_dict()
    assert [s for s, _ in narrative_parts(structured, structured["text"])] == ["title", "need", "actions"]


def test_model_evidence_rows_name_their_submission_sentence_and_category(tmp_path, monkeypatch):
    """Rows of model-only tags (assigned without a phrase match) carry the text of their own submission,
    taxonomy, category, section and sentence, as the document's analysed sentences give them."""
    from soa_analysis.tagging import stage
    from soa_analysis.tagging.corpus import submission_pairs
    from soa_analysis.tagging.model import CombinedTagger
    from soa_analysis.tagging.text import analyse

    write_table(make_submissions(FALLS, JOBS, MINUTES, FALLS | {"title": "Second (fictional)"}),
                tmp_path / "submissions.parquet", table="submissions")
    monkeypatch.setattr(CombinedTagger, "decide", lambda self, scores, n_sentences=None: scores >= 0.02)
    res = run_tagging(tmp_path, taxonomies=("priorities",), full=True)
    ev = res.evidence
    model_rows = ev[ev["method"] == "model"]
    assert len(model_rows) and (ev["method"] == "lexicon").any()
    subs = read_table(tmp_path, "submissions").reset_index(drop=True)
    columns = {s: subs[s].tolist() for s in SECTION_COLUMNS}
    ids = subs["submission_id"].tolist()
    lexicon_cells = set(zip(ev.loc[ev["method"] == "lexicon", "submission_id"], ev.loc[ev["method"] == "lexicon", "priority"]))
    for r in model_rows.itertuples():
        i = ids.index(r.submission_id)
        sents = analyse(submission_pairs(columns, subs["outcomes_cited"].tolist(), subs["text"].tolist(), i))
        s = sents[r.sentence_index]
        assert (r.sentence, r.section, r.taxonomy) == (s.sentence, s.section, "priorities")
        assert (r.submission_id, r.priority) not in lexicon_cells
        assert r.priority in load_taxonomy("priorities").ids
    assert stage.EVIDENCE_COLUMNS == list(ev.columns)


def test_a_full_runs_arrow_tables_equal_the_combined_frames(tmp_path, monkeypatch):
    """A full run builds its tables in Arrow, part by part, without DataFrames between (stage._fast_tables): the
    Parquet tables (their schema's pandas metadata included), the result's frames and the tables kept for the next
    run (with each row's unit) are those TablePlan.tables makes of the computed frames, over several parts and
    raw files; and a re-run splices the kept tables as before."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from soa_analysis import partition
    from soa_analysis.tagging import stage

    subs = make_submissions(FALLS, JOBS, MINUTES, FALLS, JOBS, FALLS, MINUTES)
    subs["raw_file"] = ["a.txt", "a.txt", "b.txt", "c.txt", "c.txt", "d.txt", "e.txt"]
    subs["submission_id"] = [f"s{i}" for i in range(len(subs))]
    monkeypatch.setattr(partition, "CHUNK_SUBMISSIONS", 3)
    combined = []
    real_combine = partition.TablePlan.combine
    monkeypatch.setattr(partition.TablePlan, "combine", lambda self, *a, **k: combined.append(1) or
                        real_combine(self, *a, **k))
    out = {}
    for how in ("arrow", "frames"):
        d = tmp_path / how
        write_table(subs, d / "submissions.parquet", table="submissions")
        if how == "frames":
            monkeypatch.setattr(stage, "_fast_tables", lambda *a, **k: None)
        combined.clear()
        res = run_tagging(d, full=True)
        assert bool(combined) == (how == "frames")
        kept = {n: pa.ipc.open_file(pa.memory_map(str(d / ".cache" / "tag.tables" / f"{n}.arrow"))).read_all()
                for n in ("tags", "tag_evidence")}
        out[how] = (res.tags, res.evidence, {n: pq.read_table(d / f"{n}.parquet") for n in ("tags", "tag_evidence")},
                    kept)
    (tags_a, ev_a, pq_a, kept_a), (tags_f, ev_f, pq_f, kept_f) = out["arrow"], out["frames"]
    assert len(ev_a) and (tags_a["method"] == "combined").any()
    pd.testing.assert_frame_equal(tags_a, tags_f)
    pd.testing.assert_frame_equal(ev_a, ev_f)
    for name in ("tags", "tag_evidence"):
        assert pq_a[name].equals(pq_f[name], check_metadata=True), name
        assert kept_a[name].equals(kept_f[name], check_metadata=True), name
    monkeypatch.undo()
    more = pd.concat([subs, make_submissions(JOBS).assign(submission_id="new", raw_file="f.txt")], ignore_index=True)
    for name in ("arrow", "fresh"):
        write_table(more, tmp_path / name / "submissions.parquet", table="submissions")
    again, fresh = run_tagging(tmp_path / "arrow"), run_tagging(tmp_path / "fresh")
    assert again.meta["reuse"]["n_recomputed"] == 1 and fresh.meta["reuse"]["n_recomputed"] == 6
    for name in ("tags", "tag_evidence"):
        assert pq.read_table(tmp_path / "arrow" / f"{name}.parquet").equals(
            pq.read_table(tmp_path / "fresh" / f"{name}.parquet"), check_metadata=True), name
