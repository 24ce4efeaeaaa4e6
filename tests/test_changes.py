"""The change report between runs, and promises followed up (soa_analysis.changes).

Every submission text here is fictional, written for these tests.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from soa_analysis import changes as ch
from soa_analysis.errors import ConfigError
from soa_analysis.evidence import run_evidence
from soa_analysis.ingest import run_ingest
from soa_analysis.io import read_table
from soa_analysis.rubrics import load_rubric
from soa_analysis.schema import validate
from soa_analysis.tagging import run_tagging

QUESTIONS = (
    "2. What was the local need addressed by this SOA case study?",
    "3. What was done - and by which partners?",
    "4. What is the evidence of the benefits for communities - or if the benefits are still to be delivered, "
    "what is the timeline for that?",
    "5. What added value has the SOA process brought to the delivery of these benefits?",
    "6. What next steps are you taking to meet this local need?",
)


def case_study(title: str, date: str, *answers: str) -> str:
    """A fictional 2009-template case study as plain text (five answers: need .. next steps)."""
    parts = [f"{title} (FICTIONAL)", f"Date submitted: {date}"]
    for q, a in zip(QUESTIONS, answers):
        parts += [q, a]
    parts.append("Fictional case study written for the soa-analysis tests; not a real submission.")
    return "\n\n".join(parts) + "\n"


FALLS = case_study(
    "Fewer falls at home in Moray", "3 May 2011",
    "Older people in Moray were falling at home and being admitted to hospital.",
    "The Moray Council and NHS Grampian ran strength and balance classes in village halls.",
    "Emergency admissions after a fall among people aged 65 and over fell from 120 in 2009 to 80 in 2011 in "
    "the villages with classes.",
    "The SOA brought the council and the health board together to pool budgets for prevention.",
    "Add an in-home exercise programme for people who cannot reach a class by March 2012.")
JOBS = case_study(
    "Work clubs in Fife", "14 June 2011",
    "Long-term unemployment in Fife rose during the recession.",
    "Fife Council and Jobcentre Plus opened work clubs in libraries.",
    "The number of people into jobs from the clubs rose from 40 in 2009/10 to 95 in 2010/11, compared with a "
    "baseline of 35 a year before the clubs, and youth unemployment in the town fell from 9% to 6%.",
    "Partnership working through the SOA meant one offer instead of three.",
    "Open two more work clubs by December 2011.")
JOBS_EDITED = JOBS.replace(
    "The number of people into jobs from the clubs rose from 40 in 2009/10 to 95 in 2010/11, compared with a "
    "baseline of 35 a year before the clubs, and youth unemployment in the town fell from 9% to 6%.",
    "120 people attended the clubs, and they told us the clubs gave them confidence to apply for jobs.")
TOWNS = case_study(
    "Market town shop fronts in Angus", "8 December 2009",
    "Empty shops were spreading in the Angus market towns.",
    "Angus Council and the traders' associations offered shop front grants.",
    "Fourteen shop fronts were repaired and traders report more visitors.",
    "The SOA gave a shared focus on town centres.",
    "Run a second grant round in 2010/11.")
NURSERY = case_study(
    "Outreach to families with young children in Highland", "20 September 2011",
    "Families with babies and toddlers in remote Highland glens rarely used early learning and childcare.",
    "The Highland Council and NHS Highland sent early years practitioners to parent and toddler groups.",
    "Parents said their children were more ready for nursery.",
    "The SOA helped the partners plan early intervention together.",
    "Recruit two early years practitioners by December 2011.")


PACKAGED = load_rubric().version
STRICT = f"{PACKAGED}-strict"
RUBRIC_REASON = f"rubric evidence_rubric {PACKAGED} → {STRICT}"


def strict_rubric(tmp_path: Path) -> Path:
    """A copy of the packaged rubric, version "<packaged>-strict", that needs nine strong sentences for 'strong'
    (its rules alone: no sentence model, so which sentences count is the rules' reading)."""
    src = load_rubric().source
    from importlib import resources

    text = resources.files("soa_analysis.rubrics").joinpath(src.rsplit("/", 1)[-1]).read_text(encoding="utf-8")
    assert f'version: "{PACKAGED}"' in text and "min: {strong: 1}" in text
    text = text.replace(f'version: "{PACKAGED}"', f'version: "{STRICT}"').replace("min: {strong: 1}", "min: {strong: 9}")
    text = text.replace("sentence_model: evidence_sentence_model.json", "sentence_model: none")
    path = tmp_path / "strict_rubric.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def one_run(raw: Path, processed: Path, reports: Path, run_id: str, *, rubric=None, as_of=dt.date(2012, 1, 1),
            status="succeeded", compare_to=""):
    """The stages a run executes, in process, then its change step; the run folder as the pipeline leaves it."""
    run_ingest(raw, processed, workers=1)
    run_tagging(processed, taxonomies=("priorities", "outcomes_soa"))
    run_evidence(processed, rubric=rubric, evaluate=False)
    run_dir = reports / "runs" / run_id
    run_dir.mkdir(parents=True)
    report = ch.update_changes(processed, run_dir, compare_to=compare_to, as_of=as_of)
    (run_dir / "manifest.json").write_text(json.dumps({"run_id": run_id, "status": status,
                                                       "started": "2026-01-01T00:00:00+00:00"}))
    return report


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Run 1: falls, jobs, towns. Run 2: jobs edited, towns removed, nursery added, and a stricter rubric."""
    base = tmp_path_factory.mktemp("two_runs")
    raw, processed, reports = base / "raw", base / "processed", base / "reports"
    raw.mkdir()
    (raw / "moray_falls.txt").write_text(FALLS, encoding="utf-8")
    (raw / "fife_work_clubs.txt").write_text(JOBS, encoding="utf-8")
    (raw / "angus_shop_fronts.txt").write_text(TOWNS, encoding="utf-8")
    first = one_run(raw, processed, reports, "20260101T000000Z_aaaaaa")
    first_tags = read_table(processed, "tags")
    first_grades = read_table(processed, "evidence").set_index("submission_id")["grade"]
    (raw / "fife_work_clubs.txt").write_text(JOBS_EDITED, encoding="utf-8")
    (raw / "angus_shop_fronts.txt").unlink()
    (raw / "highland_outreach.txt").write_text(NURSERY, encoding="utf-8")
    second = one_run(raw, processed, reports, "20260102T000000Z_bbbbbb", rubric=strict_rubric(base))
    return {"first": first, "second": second, "processed": processed, "reports": reports,
            "first_tags": first_tags, "first_grades": first_grades}


def test_first_run_says_there_is_nothing_to_compare_with(two_runs):
    first = two_runs["first"]
    assert first.previous_run == "" and first.counts is None
    assert first.line == "changes: first run, nothing to compare with"
    assert first.changes.empty
    assert (two_runs["reports"] / "runs" / "20260101T000000Z_aaaaaa" / ch.SNAPSHOT_FILE).is_file()


def test_edited_added_removed_files_and_a_new_rubric_are_listed_exactly_with_reasons(two_runs):
    c = two_runs["second"].changes
    assert two_runs["second"].previous_run == "20260101T000000Z_aaaaaa"
    subs = c[c["item"] == "submission"]
    assert sorted(zip(subs["change"], subs["source"], subs["reason"])) == [
        ("added", "highland_outreach.txt", "new file"),
        ("changed", "fife_work_clubs.txt", "text changed (file edited)"),
        ("removed", "angus_shop_fronts.txt", "file no longer in the raw folder"),
    ]
    versions = c[c["item"].isin(["software", "taxonomy", "model", "rubric"])]
    assert versions[["item", "category", "before", "after", "reason"]].values.tolist() == [
        ["rubric", "evidence_rubric", PACKAGED, STRICT, RUBRIC_REASON]]
    # The unchanged case study lost its strong grade to the rubric alone (one strong sentence, no other
    # graded one: "none" under the strict rubric), and nothing else changed for it.
    falls = c[c["source"] == "moray_falls.txt"]
    assert falls[["change", "item", "before", "after", "reason"]].values.tolist() == [
        ["changed", "grade", "strong", "none", RUBRIC_REASON]]
    # The edited one: its results changed, and the reasons name the text as well as the rubric.
    jobs = c[(c["source"] == "fife_work_clubs.txt") & (c["item"] != "submission")]
    assert len(jobs) >= 1
    assert all(r.startswith("text changed") for r in jobs["reason"])
    assert all(RUBRIC_REASON in r for r in jobs.loc[jobs["item"] == "grade", "reason"])
    assert not any("rubric" in r for r in jobs.loc[jobs["item"] != "grade", "reason"])
    # Added and removed submissions get one row each, nothing about their tags.
    assert len(c[c["source"] == "highland_outreach.txt"]) == 1
    assert len(c[c["source"] == "angus_shop_fronts.txt"]) == 1


def test_result_changes_match_the_tables_of_the_two_runs(two_runs):
    """Every tag and grade change listed for the edited submission is a real difference, and all are listed."""
    c = two_runs["second"].changes
    jobs_new = c.loc[(c["source"] == "fife_work_clubs.txt") & (c["item"] == "submission"), "submission_id"].iloc[0]
    jobs_old = c.loc[(c["source"] == "fife_work_clubs.txt") & (c["item"] == "submission"),
                     "previous_submission_id"].iloc[0]
    assert jobs_old and jobs_old != jobs_new
    t1, t2 = two_runs["first_tags"], read_table(two_runs["processed"], "tags")

    def assigned(t, sid):
        return {(r.taxonomy, r.priority) for r in t[(t["submission_id"] == sid) & t["assigned"]].itertuples()}

    gained, lost = assigned(t2, jobs_new) - assigned(t1, jobs_old), assigned(t1, jobs_old) - assigned(t2, jobs_new)
    rows = c[(c["source"] == "fife_work_clubs.txt") & (c["item"] == "tag")]
    assert {(r.taxonomy, r.category) for r in rows.itertuples() if r.change == "gained"} == gained
    assert {(r.taxonomy, r.category) for r in rows.itertuples() if r.change == "lost"} == lost
    g2 = read_table(two_runs["processed"], "evidence").set_index("submission_id")["grade"]
    grade = c[(c["source"] == "fife_work_clubs.txt") & (c["item"] == "grade")]
    if two_runs["first_grades"][jobs_old] != g2[jobs_new]:
        assert grade[["before", "after"]].values.tolist() == [[two_runs["first_grades"][jobs_old], g2[jobs_new]]]
    else:
        assert grade.empty


def test_change_tables_are_written_and_meet_their_contracts(two_runs):
    p = two_runs["processed"]
    validate(read_table(p, "changes"), "changes")
    validate(read_table(p, "followup_status"), "followup_status")
    meta = ch.load_changes_meta(p)
    assert meta["previous_run"] == "20260101T000000Z_aaaaaa"
    assert meta["counts"]["submissions_added"] == 1 and meta["counts"]["versions_changed"] == 1
    assert meta["line"] == two_runs["second"].line
    assert two_runs["second"].line.startswith(
        "changes since run 20260101T000000Z_aaaaaa: submissions 1 added, 1 changed, 1 removed; tags +")


def test_compare_runs_from_kept_snapshots_equals_the_run_report(two_runs):
    changes, line = ch.compare_runs(two_runs["reports"])
    pd.testing.assert_frame_equal(changes, two_runs["second"].changes)
    assert line.startswith("run 20260102T000000Z_bbbbbb: changes since run 20260101T000000Z_aaaaaa")
    back, _ = ch.compare_runs(two_runs["reports"], run="20260101T", compare_to="20260102T")
    assert sorted(back.loc[back["item"] == "submission", "change"]) == ["added", "changed", "removed"]


# --------------------------------------------------------------------------- snapshots compared directly

def snap(*subs, versions=None, files=None, used=("priorities",)):
    return {"format": 1, "run_id": "x", "as_of": "2012-01-01", "taxonomies_used": list(used),
            "versions": versions or {"software": {"soa-analysis": "0.1.0"}, "taxonomies": {}, "models": {}},
            "files": files or [], "submissions": list(subs)}


def sub(key, sha, grade="some", tags=(), sid=None, **kw):
    return {"key": key, "submission_id": sid or f"s-{sha}", "source_file": key.split("#")[0],
            "part": key.split("#")[1] if "#" in key else "", "council": "Fife", "title": "T", "date": "",
            "year": 2011, "text_sha256": sha, "grade": grade, "tags": {"priorities": list(tags)}, **kw}


def test_a_renamed_file_is_moved_not_removed_and_added():
    prev = snap(sub("old_name.txt", "aaa", tags=["employment"]))
    cur = snap(sub("new_name.txt", "aaa", tags=["employment"]))
    c = ch.compare_snapshots(prev, cur)
    assert c[["change", "item", "before", "after"]].values.tolist() == [
        ["moved", "submission", "old_name.txt", "new_name.txt"]]


def test_quarantine_and_duplicate_reasons_come_from_the_ingest_log():
    prev = snap(sub("a.docx", "aaa"), sub("b.docx", "bbb"),
                files=[{"file": "a.docx", "sha256": "1", "status": "ingested", "reason": ""},
                       {"file": "b.docx", "sha256": "2", "status": "ingested", "reason": ""}])
    cur = snap(files=[{"file": "a.docx", "sha256": "3", "status": "quarantined", "reason": "empty file (0 bytes)"},
                      {"file": "b.docx", "sha256": "2", "status": "duplicate", "reason": "same content as c.docx"}])
    c = ch.compare_snapshots(prev, cur)
    assert c[["change", "source", "reason"]].values.tolist() == [
        ["removed", "a.docx", "file now quarantined: empty file (0 bytes)"],
        ["removed", "b.docx", "file is now a duplicate (same content as c.docx)"]]


def test_version_reasons_name_taxonomy_model_software_and_an_edit_under_the_same_version():
    v1 = {"software": {"soa-analysis": "0.1.0"},
          "taxonomies": {"priorities": {"version": "1.0.0", "sha256": "a" * 64}},
          "models": {"priorities": {"fingerprint": "f" * 64, "labels_sha256": "1"}},
          "rubric": {"name": "evidence_rubric", "version": "1.0.0", "sha256": "c" * 64}}
    v2 = copy.deepcopy(v1)
    v2["taxonomies"]["priorities"]["sha256"] = "b" * 64
    v2["models"]["priorities"] = {"fingerprint": "e" * 64, "labels_sha256": "2"}
    v2["software"]["soa-analysis"] = "0.2.0"
    prev = snap(sub("a.txt", "aaa", tags=["employment"]), versions=v1)
    cur = snap(sub("a.txt", "aaa", tags=["early_years"]), versions=v2)
    c = ch.compare_snapshots(prev, cur)
    reasons = dict(zip(c["item"] + ":" + c["category"], c["reason"]))
    assert reasons["software:soa-analysis"] == "soa-analysis 0.1.0 → 0.2.0"
    assert reasons["taxonomy:priorities"] == ("taxonomy priorities edited (version 1.0.0 unchanged, "
                                              "content aaaaaaaa → bbbbbbbb)")
    assert reasons["model:priorities"] == "priorities model retrained (training labels changed: ffffffff → eeeeeeee)"
    tag_reason = ("taxonomy priorities edited (version 1.0.0 unchanged, content aaaaaaaa → bbbbbbbb); priorities "
                  "model retrained (training labels changed: ffffffff → eeeeeeee); soa-analysis 0.1.0 → 0.2.0")
    assert reasons["tag:early_years"] == tag_reason and reasons["tag:employment"] == tag_reason
    assert "rubric" not in tag_reason


def test_a_taxonomy_used_for_the_first_time():
    v1 = {"software": {}, "taxonomies": {"priorities": {"version": "1"}}, "models": {}}
    v2 = {"software": {}, "taxonomies": {"priorities": {"version": "1"}, "outcomes_2018": {"version": "1.0.0"}},
          "models": {}}
    prev = snap(sub("a.txt", "aaa"), versions=v1)
    new = sub("a.txt", "aaa")
    new["tags"]["outcomes_2018"] = ["health"]
    c = ch.compare_snapshots(prev, snap(new, versions=v2, used=("priorities", "outcomes_2018")))
    row = c[c["item"] == "tag"].iloc[0]
    assert (row["change"], row["taxonomy"], row["category"]) == ("gained", "outcomes_2018", "health")
    assert row["reason"] == "taxonomy outcomes_2018 not used in the previous run"


def test_no_change_no_rows_and_a_clear_line():
    s = snap(sub("a.txt", "aaa", tags=["employment"]))
    c = ch.compare_snapshots(s, copy.deepcopy(s))
    assert c.empty
    assert ch.summary_line(ch.summarise(c), "r1") == (
        "changes since run r1: submissions 0 added, 0 changed, 0 removed; tags +0 -0, 0 grade(s) changed")


# --------------------------------------------------------------------------- finding the run to compare with

def _run_folder(reports: Path, name: str, status="succeeded", snapshot=True):
    d = reports / "runs" / name
    d.mkdir(parents=True)
    (d / "manifest.json").write_text(json.dumps({"status": status}))
    if snapshot:
        ch.write_snapshot(d, snap())
    return d


def test_previous_run_is_the_last_good_one_with_a_snapshot(tmp_path):
    good = _run_folder(tmp_path, "20260101T000000Z_aaaaaa")
    _run_folder(tmp_path, "20260102T000000Z_bbbbbb", status="failed")
    _run_folder(tmp_path, "20260103T000000Z_cccccc", snapshot=False)
    cur = _run_folder(tmp_path, "20260104T000000Z_dddddd", snapshot=False)
    _run_folder(tmp_path, "20260105T000000Z_eeeeee")  # later than the current run: not "previous"
    assert ch.previous_run(tmp_path, cur) == good.resolve()
    assert ch.previous_run(tmp_path / "nowhere") is None


def test_compare_to_names_a_run_or_fails_clearly(tmp_path):
    a = _run_folder(tmp_path, "20260101T000000Z_aaaaaa")
    _run_folder(tmp_path, "20260101T000500Z_bbbbbb")
    _run_folder(tmp_path, "20260102T000000Z_cccccc", snapshot=False)
    assert ch.resolve_run(tmp_path, "20260101T000000Z_aaaaaa") == a.resolve()
    assert ch.resolve_run(tmp_path, str(a)) == a.resolve()
    with pytest.raises(ConfigError, match="no such run"):
        ch.resolve_run(tmp_path, "19990101")
    with pytest.raises(ConfigError, match="ambiguous"):
        ch.resolve_run(tmp_path, "20260101T")
    with pytest.raises(ConfigError, match="kept no snapshot.json"):
        ch.resolve_run(tmp_path, "20260102T")


def test_an_unreadable_previous_snapshot_is_reported_not_fatal(tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "moray_falls.txt").write_text(FALLS, encoding="utf-8")
    bad = _run_folder(tmp_path / "reports", "20260101T000000Z_aaaaaa")
    (bad / ch.SNAPSHOT_FILE).write_text("{not json")
    report = one_run(raw, processed, tmp_path / "reports", "20260102T000000Z_bbbbbb")
    assert report.previous_run == "" and report.counts is None
    assert report.line.startswith("changes: nothing compared (could not compare with run 20260101T000000Z_aaaaaa")


# --------------------------------------------------------------------------- follow-ups

def followup_frames(*subs_rows, steps):
    subs = pd.DataFrame([{"submission_id": s, "source_file": f"{s}.txt", "part": "", "council": c, "title": f"T {s}",
                          "date": d, "year": int(d[:4]) if d else y, "text": text, "next_steps": nxt}
                         for s, c, d, y, text, nxt in subs_rows])
    fu = pd.DataFrame([{"submission_id": s, "who": "", "what": w, "by_when": b, "due": due} for s, w, b, due in steps])
    return subs, fu


FILLER = "The partnership met quarterly. A steering group of officers oversaw the work."


@pytest.mark.parametrize("promise, report, matches", [
    ("Add an in-work mentoring strand by September 2012.",
     "The in-work mentoring strand started in October 2012 and 45 people have had a mentor.", True),
    ("Recruit 40 more befrienders in 2011/12 and measure wellbeing with a simple questionnaire.",
     "We recruited 38 new befrienders during 2011/12, and the wellbeing questionnaire shows most clients feel "
     "less lonely.", True),
    ("Open a second hub in the south of the county by August 2012.",
     "The second hub opened in the south of the county in September 2012.", True),
    ("Extend nurture groups to two primary schools by August 2012.",
     "Nurture groups now run in two more primary schools.", True),
    ("Add an in-work mentoring strand by September 2012.",
     "Town centre footfall rose by 8% after the market square was repaved.", False),
    ("Open a second hub in the south of the county by August 2012.",
     "Smoke alarms were fitted in 300 homes heated by open fires.", False),
    ("Recruit 40 more befrienders in 2011/12 and measure wellbeing with a simple questionnaire.",
     "Apprenticeship starts rose from 120 to 180 in two years.", False),
    ("Extend nurture groups to two primary schools by August 2012.",
     "The council extended its recycling service to two more villages by August 2012.", False),
])
def test_a_later_report_matches_on_wording(promise, report, matches):
    subs, fu = followup_frames(
        ("s1", "Fife", "2011-06-01", None, f"{FILLER} {promise}", promise),
        ("s2", "Fife", "2013-02-01", None, f"{FILLER} {report}", ""),
        steps=[("s1", promise, "by 2012", "2012-09-30")])
    out = ch.track_followups(subs, fu, as_of=dt.date(2014, 1, 1))
    row = out.iloc[0]
    assert (row["status"] == "reported") is matches, row["similarity"]
    if matches:
        assert row["reported_in"] == "s2" and row["reported_sentence"] == report
        assert row["similarity"] >= ch.MATCH_THRESHOLD
    else:
        assert row["status"] == "overdue" and row["reported_in"] == ""


def test_only_a_later_submission_from_the_same_council_and_not_its_own_next_steps_counts():
    promise = "Open a second hub in the south of the county by August 2012."
    report = "The second hub opened in the south of the county in September 2012."
    subs, fu = followup_frames(
        ("s1", "Midlothian", "2011-12-01", None, promise, promise),
        ("s0", "Midlothian", "2010-01-01", None, report, ""),          # earlier
        ("s2", "East Lothian", "2013-01-01", None, report, ""),        # another council
        ("s3", "Midlothian", "2013-01-01", None, promise, promise),     # the promise repeated as a next step
        ("s4", "Midlothian", "", 2011, report, ""),                     # same year, no date: not later
        steps=[("s1", promise, "by August 2012", "2012-08-31")])
    out = ch.track_followups(subs, fu, as_of=dt.date(2014, 1, 1))
    assert out["status"].tolist() == ["overdue"]
    subs.loc[subs["submission_id"] == "s4", "year"] = 2012
    out = ch.track_followups(subs, fu, as_of=dt.date(2014, 1, 1))
    assert out[["status", "reported_in"]].values.tolist() == [["reported", "s4"]]


def test_statuses_and_what_changed_since_the_last_run():
    steps = [("s1", "Train 20 walk leaders by December 2012.", "by December 2012", "2012-12-31"),
             ("s1", "Publish a directory of walks by March 2012.", "by March 2012", "2012-03-31"),
             ("s1", "Review the scheme next year.", "next year", ""),
             ("s1", "Open a cafe at the park by June 2013.", "by June 2013", "2013-06-30")]
    subs, fu = followup_frames(("s1", "Dundee City", "2011-10-01", None, "Walks. " + " ".join(w for _, w, _, _ in steps),
                                " ".join(w for _, w, _, _ in steps)), steps=steps)
    first = ch.track_followups(subs, fu, as_of=dt.date(2012, 6, 30))
    by_what = first.set_index("what")
    assert by_what["status"].to_dict() == {
        "Publish a directory of walks by March 2012.": "overdue",
        "Train 20 walk leaders by December 2012.": "not_yet_due",
        "Open a cafe at the park by June 2013.": "not_yet_due",
        "Review the scheme next year.": "no_date"}
    assert first["due"].tolist() == ["2012-03-31", "2012-12-31", "2013-06-30", ""]  # earliest due first
    assert first["fell_due_since_last_run"].tolist() == [True, False, False, False]
    assert set(first["since_last_run"]) == {""}  # nothing to compare with
    records = ch.followups.followup_records(first, subs)
    later = ch.track_followups(subs, fu, as_of=dt.date(2013, 1, 31), previous_as_of=dt.date(2012, 6, 30),
                               previous=records)
    assert later.set_index("what")["since_last_run"].to_dict() == {
        "Publish a directory of walks by March 2012.": "",
        "Train 20 walk leaders by December 2012.": "fell due",
        "Open a cafe at the park by June 2013.": "",
        "Review the scheme next year.": ""}
    assert later["fell_due_since_last_run"].tolist() == [False, True, False, False]
    # A new next step (a new submission) is "new"; a report turns the step "now reported".
    subs2, fu2 = followup_frames(
        ("s1", "Dundee City", "2011-10-01", None, "Walks.", ""),
        ("s2", "Dundee City", "2013-01-10", None, "Twenty walk leaders were trained and lead walks every week.", ""),
        steps=steps[:1] + [("s2", "Map the walks by May 2013.", "by May 2013", "2013-05-31")])
    again = ch.track_followups(subs2, fu2, as_of=dt.date(2013, 1, 31), previous_as_of=dt.date(2012, 6, 30),
                               previous=records)
    assert again.set_index("what")["since_last_run"].to_dict() == {
        "Train 20 walk leaders by December 2012.": "now reported", "Map the walks by May 2013.": "new"}


def test_match_tokens_drop_dates_numbers_and_the_council_name():
    assert ch.match_tokens("We will add an in-work mentoring strand by September 2012.") == [
        "add", "work", "mentor", "strand"]
    assert ch.match_tokens("Fife Council will open 2 hubs in 2012/13", frozenset({"fife", "council"})) == [
        "open", "hub"]


def test_no_followups_gives_an_empty_table_of_the_right_shape():
    subs, fu = followup_frames(("s1", "Fife", "2011-01-01", None, "Text.", ""), steps=[])
    out = ch.track_followups(subs, fu.iloc[0:0] if len(fu.columns) else None, as_of=dt.date(2012, 1, 1))
    assert list(out.columns) == ch.FOLLOWUP_COLUMNS and out.empty
    validate(out, "followup_status")


def test_the_snapshot_keeps_what_the_comparison_needs_and_stays_small(two_runs):
    s = ch.load_snapshot(two_runs["reports"] / "runs" / "20260102T000000Z_bbbbbb")
    assert {x["key"] for x in s["submissions"]} == {"moray_falls.txt", "fife_work_clubs.txt", "highland_outreach.txt"}
    one = s["submissions"][0]
    assert set(one) >= {"key", "submission_id", "text_sha256", "grade", "tags", "council", "title"}
    assert set(s["versions"]) >= {"software", "taxonomies", "models", "rubric"}
    assert s["versions"]["rubric"]["version"] == STRICT and len(s["versions"]["rubric"]["sha256"]) == 64
    assert {f["file"] for f in s["files"]} == {"moray_falls.txt", "fife_work_clubs.txt", "highland_outreach.txt"}
    size = (two_runs["reports"] / "runs" / "20260102T000000Z_bbbbbb" / ch.SNAPSHOT_FILE).stat().st_size
    assert size < 3 * 1500 + 3000, size  # well under 2 kB a submission


# --------------------------------------------------------------------------- report sections and exports

def _report_data(processed, council="", run_id=""):
    from soa_analysis.report import load_report_data

    return load_report_data(processed, council=council, run_id=run_id)


def test_since_the_last_run_section_lists_changes_with_reasons(two_runs):
    from soa_analysis.changes import sections

    html = sections.since_last_run(_report_data(two_runs["processed"], run_id="20260102T000000Z_bbbbbb")).data
    assert 'id="since-last-run"' in html and "Compared with run 20260101T000000Z_aaaaaa" in html
    assert "1 submission(s) added, 1 changed, 1 removed" in html
    assert f"<li>{RUBRIC_REASON}</li>" in html
    for reason in ("new file", "text changed (file edited)", "file no longer in the raw folder"):
        assert reason in html
    assert "strong → none" in html and "Fewer falls at home in Moray (FICTIONAL)" in html


def test_a_council_report_shows_its_own_changes_and_the_versions(two_runs):
    from soa_analysis.changes import sections

    data = _report_data(two_runs["processed"], council="Moray")
    html = sections.since_last_run(data).data
    assert "for Moray&#x27;s submissions" in html and RUBRIC_REASON in html
    assert "Fewer falls" in html and "Work clubs" not in html and "shop fronts" not in html
    tables = sections.change_tables(data)
    assert set(tables["changes"]["council"]) <= {"Moray", ""}
    assert set(tables["followup_status"]["council"]) == {"Moray"}


def test_first_run_and_no_change_step_are_said_plainly(two_runs, tmp_path):
    from soa_analysis.changes import sections

    p = tmp_path / "processed"
    shutil.copytree(two_runs["processed"], p)
    meta = json.loads((p / "changes_meta.json").read_text())
    (p / "changes_meta.json").write_text(json.dumps(meta | {"previous_run": ""}))
    assert "This is the first run: there is nothing to compare with." in sections.since_last_run(_report_data(p)).data
    (p / "changes_meta.json").unlink()
    assert "No change report: this report was not made by a pipeline run" in sections.since_last_run(_report_data(p)).data


def test_sections_escape_submission_text_and_stay_small(two_runs, tmp_path):
    from soa_analysis.changes import sections
    from soa_analysis.io import write_table

    p = tmp_path / "processed"
    shutil.copytree(two_runs["processed"], p)
    c = read_table(p, "changes")
    many = pd.concat([c[c["item"] == "grade"]] * 30, ignore_index=True)
    many["title"] = '<script>alert("x")</script> reach jo@example.org'
    write_table(pd.concat([c, many], ignore_index=True), p / "changes.parquet", table="changes")
    f = read_table(p, "followup_status")
    f = pd.concat([f] * 50, ignore_index=True).assign(what="<img src=x onerror=alert(1)> call 0131 496 0000")
    write_table(f, p / "followup_status.parquet", table="followup_status")
    data = _report_data(p)
    html = sections.since_last_run(data, max_rows=10).data + sections.promises_followed_up(data, max_rows=10).data
    assert "<script>" not in html and "<img" not in html and "jo@example.org" not in html and "496 0000" not in html
    assert "&lt;script&gt;" in html and "[email removed]" in html and "[phone removed]" in html
    assert "Showing 10 of 62; all are in the exported table changes" in html
    assert html.count("<tr>") <= 4 * 11 + 2


def test_promises_section_and_exports(two_runs, tmp_path):
    from soa_analysis.changes import sections
    from soa_analysis.report import export_tables

    data = _report_data(two_runs["processed"])
    html = sections.promises_followed_up(data).data
    assert 'id="promises"' in html and "on 2012-01-01" in html and "Overdue with no update" in html
    assert "Open two more work clubs by December 2011." in html
    written = export_tables(data, tmp_path / "tables")
    names = {w.name for w in written}
    assert {"changes.csv", "followup_status.csv"} <= names
    assert len(pd.read_csv(tmp_path / "tables" / "changes.csv")) == len(two_runs["second"].changes)
    sheets = pd.read_excel(tmp_path / "tables" / "report_tables.xlsx", sheet_name=None)
    assert len(sheets["changes"]) == len(two_runs["second"].changes)
    assert "followup_status" in sheets


def test_a_snapshot_reads_only_the_columns_it_records_and_equals_one_of_whole_tables(tmp_path, monkeypatch):
    """build_snapshot asks each table for the columns it records only, and the snapshot is the one the whole
    tables give (read_table made to ignore the columns asked for)."""
    import datetime as dt

    from soa_analysis.changes import snapshot as snap
    from soa_analysis.io import read_table as real_read
    from soa_analysis.report.synthetic import make_synthetic_processed

    p = make_synthetic_processed(tmp_path / "p", n=12, councils=["Fife", "Moray"])
    asked = {}

    def recording(processed_dir, name, **kw):
        asked[name] = kw.get("columns")
        return real_read(processed_dir, name, **kw)

    monkeypatch.setattr(snap, "read_table", recording)
    narrow = snap.build_snapshot(p, run_id="r", as_of=dt.date(2026, 1, 1))
    assert asked and all(cols is not None for cols in asked.values()), asked
    monkeypatch.setattr(snap, "read_table", lambda processed_dir, name, **kw: real_read(processed_dir, name))
    whole = snap.build_snapshot(p, run_id="r", as_of=dt.date(2026, 1, 1))
    narrow.pop("created"), whole.pop("created")
    assert narrow == whole and narrow["submissions"]


def test_the_change_step_reads_the_submissions_once_with_the_columns_it_uses(tmp_path, monkeypatch):
    """update_changes reads the submissions table once, only the columns the snapshot and the follow-ups
    read, and finds the same changes, follow-up statuses and snapshot as from whole tables."""
    from soa_analysis.changes import snapshot as snap
    from soa_analysis.changes import stage
    from soa_analysis.io import read_table as real_read
    from soa_analysis.report.synthetic import make_synthetic_processed

    p = make_synthetic_processed(tmp_path / "p", n=12, councils=["Fife", "Moray"])
    reports = tmp_path / "reports"
    asked: list = []

    def recording(processed_dir, name, **kw):
        asked.append((name, kw.get("columns")))
        return real_read(processed_dir, name, **kw)

    def whole(processed_dir, name, **kw):
        return real_read(processed_dir, name)

    def change_step(run_id, reader):
        monkeypatch.setattr(stage, "read_table", reader)
        monkeypatch.setattr(snap, "read_table", reader)
        run_dir = reports / "runs" / run_id
        run_dir.mkdir(parents=True)
        report = ch.update_changes(p, run_dir, as_of=dt.date(2030, 1, 1))
        kept = json.loads((run_dir / ch.SNAPSHOT_FILE).read_text(encoding="utf-8"))
        return report, {k: v for k, v in kept.items() if k not in ("created", "run_id")}

    first, _ = change_step("20260101T000000Z_aaaaaa", whole)  # the run both others compare with
    (reports / "runs" / first.run_id / "manifest.json").write_text(json.dumps({"status": "succeeded"}))
    narrow, narrow_snap = change_step("20260102T000000Z_bbbbbb", recording)
    wide, wide_snap = change_step("20260103T000000Z_cccccc", whole)  # the narrow run kept no manifest: not compared
    reads = [cols for name, cols in asked if name == "submissions"]
    assert len(reads) == 1 and reads[0] is not None and "need" not in reads[0], asked
    assert len(narrow.followups) and narrow.previous_run == wide.previous_run == first.run_id
    pd.testing.assert_frame_equal(narrow.followups, wide.followups)
    pd.testing.assert_frame_equal(narrow.changes, wide.changes)
    assert narrow_snap == wide_snap and narrow_snap["submissions"] and narrow_snap["followups"]
    assert {k: v for k, v in narrow.to_meta().items() if k != "run_id"} == \
        {k: v for k, v in wide.to_meta().items() if k != "run_id"}


def test_snapshot_rows_are_read_from_the_columns_as_to_dict_gives_them():
    """The snapshot's rows come from the columns' lists, not to_dict("records"): the same values, a missing
    text its NaN and a missing whole number None, as to_dict gives them; an absent column left out."""
    from soa_analysis.changes.snapshot import _records

    df = pd.DataFrame({"submission_id": ["s1", "s2", "s3"], "part": ["row 2", None, ""],
                       "year": pd.array([2019, None, 2021], dtype="Int64"),
                       "fictional": pd.array([True, None, False], dtype="boolean")})
    got, want = list(_records(df, ["submission_id", "part", "year", "fictional", "absent"])), df.to_dict("records")
    assert [list(r) for r in got] == [list(r) for r in want]
    assert repr(got) == repr(want)
    assert [type(v) for r in got for v in r.values()] == [type(v) for r in want for v in r.values()]


def test_followup_records_key_only_the_submissions_with_next_steps():
    """followup_records keys each next step by its submission's file and part (the id when the submission is not
    in the table); none when there are no next steps."""
    subs = pd.DataFrame({"submission_id": ["a", "b"], "source_file": ["forms.csv", "case.docx"],
                         "part": ["row 2", None]})
    status = pd.DataFrame({"submission_id": ["a", "b", "gone"], "what": ["Open a hub", "Train staff", "Report"],
                           "due": ["2020-01-01", "", "2021-06-30"], "status": ["due", "open", "overdue"]})
    got = ch.followups.followup_records(status, subs)
    assert [r["key"] for r in got] == ["forms.csv#row 2", "case.docx", "gone"]
    assert [r["status"] for r in got] == ["due", "open", "overdue"]
    assert ch.followups.followup_records(status.iloc[:0], subs) == []
    assert [r["key"] for r in ch.followups.followup_records(status, subs.drop(columns="part"))] == \
        ["forms.csv", "case.docx", "gone"]
