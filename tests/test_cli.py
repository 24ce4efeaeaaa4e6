"""The CLI end to end on the mini fixture corpus: every notebook executed by papermill."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from soa_analysis import cli
from soa_analysis.io import read_table
from soa_analysis.schema import TABLES

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini_raw"

pytestmark = pytest.mark.slow


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    raw = base / "raw"
    shutil.copytree(MINI, raw)
    before = _hashes(raw)
    args = ["run", "--raw-dir", str(raw), "--processed-dir", str(base / "processed"),
            "--reports-dir", str(base / "reports"), "-q"]
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(args)
    return {"base": base, "raw": raw, "before": before, "code": code, "args": args, "stderr": err.getvalue()}


def test_run_exits_zero_and_publishes_latest(full_run, capsys):
    assert full_run["code"] == 0, full_run["stderr"]
    latest = full_run["base"] / "reports" / "latest"
    assert (latest / "summary.html").is_file()
    assert (latest / "manifest.json").is_file()


def test_no_lock_file_is_left_behind(full_run):
    base = full_run["base"]
    assert not (base / "reports" / ".run.lock").exists()
    assert not (base / "processed" / ".run.lock").exists()


def test_raw_files_are_never_modified(full_run):
    assert _hashes(full_run["raw"]) == full_run["before"]


def test_every_raw_file_is_accounted_for_once(full_run):
    log = pd.read_csv(full_run["base"] / "processed" / "ingest_log.csv", keep_default_na=False)
    assert sorted(log["source_file"]) == sorted(full_run["before"])
    assert set(log["status"]) <= {"ingested", "duplicate", "quarantined"}
    assert (log["status"] == "quarantined").any()  # the mini corpus has a broken file
    assert (log.loc[log["status"] == "quarantined", "reason"].str.len() > 10).all()


def test_all_processed_tables_meet_their_contracts(full_run):
    processed = full_run["base"] / "processed"
    for name in ("ingest_log", "submissions", "partners", "contacts", "tags", "tag_evidence", "evidence"):
        read_table(processed, name)  # validates
    tags = read_table(processed, "tags")
    subs = read_table(processed, "submissions")
    pri = tags[tags["taxonomy"] == "priorities"]
    assert set(pri["submission_id"]) == set(subs["submission_id"])
    assert set(read_table(processed, "evidence")["submission_id"]) == set(subs["submission_id"])


def test_run_folder_keeps_notebooks_and_manifest(full_run):
    runs = sorted((full_run["base"] / "reports" / "runs").iterdir())
    assert len(runs) == 1
    run_dir = runs[0]
    for name in ("01_ingest", "02_tag", "03_evidence", "04_report"):
        assert (run_dir / "notebooks" / f"{name}.ipynb").is_file()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert {i["file"] for i in manifest["inputs"]} == set(full_run["before"])
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert set(manifest["timings_s"]) >= {"ingest", "tag", "evidence", "report", "total"}
    assert manifest["software"]["papermill"]


def test_one_report_per_council(full_run):
    subs = read_table(full_run["base"] / "processed", "submissions")
    councils = {c for c in subs["council"] if c}
    pages = list((full_run["base"] / "reports" / "latest" / "councils").glob("*.html"))
    assert len(pages) == len(councils) >= 2


def test_reports_never_show_contact_details(full_run):
    contacts = pd.read_parquet(full_run["base"] / "processed" / "restricted" / "contacts.parquet")
    emails = [e for e in contacts.get("email", pd.Series(dtype=str)) if e]
    assert emails, "the mini corpus should have lead officers' e-mails to check against"
    for page in (full_run["base"] / "reports" / "latest").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for email in emails:
            assert email not in html, f"{email} leaked into {page.name}"


def test_a_failing_stage_exits_nonzero_and_keeps_the_last_good_report(full_run, capsys):
    base = full_run["base"]
    latest = base / "reports" / "latest" / "summary.html"
    good = latest.read_bytes()
    args = full_run["args"][:]
    args[0] = "run"
    # its own copy of the processed tables: a failed stage leaves them unfit for the later tests' stages
    shutil.copytree(base / "processed", base / "processed_failing")
    args[args.index("--processed-dir") + 1] = str(base / "processed_failing")
    # the tag stage fails inside its notebook (a bad option would be refused before any work, exit 2)
    import nbformat

    notebooks = base / "notebooks_failing"
    shutil.copytree(ROOT / "notebooks", notebooks)
    nb = nbformat.read(notebooks / "02_tag.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('FICTIONAL failure in the tag stage')"))
    nbformat.write(nb, notebooks / "02_tag.ipynb")
    cfg = base / "failing.yaml"
    cfg.write_text(f"notebooks_dir: {notebooks}\n", encoding="utf-8")
    code = cli.main(args + ["--config", str(cfg)])
    err = capsys.readouterr().err
    assert code == 1
    assert "failed" in err and "tag" in err and "FICTIONAL failure in the tag stage" in err
    assert latest.read_bytes() == good
    failed = sorted((base / "reports" / "runs").iterdir())[-1]
    manifest = json.loads((failed / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["failed_stage"] == "tag"
    assert (failed / "notebooks" / "02_tag.ipynb").is_file()


def test_single_stage_command_with_a_researchers_rubric(full_run, tmp_path):
    """A researcher copies the packaged rubric, edits it, and re-grades with it alone."""
    import re
    from importlib.resources import files

    base = full_run["base"]
    packaged = files("soa_analysis.rubrics").joinpath("evidence_rubric.yaml").read_text(encoding="utf-8")
    edited, n = re.subn(r"(?m)^version:.*$", 'version: "9.9.9-test"', packaged, count=1)
    assert n == 1
    rubric = tmp_path / "my_rubric.yaml"
    rubric.write_text(edited, encoding="utf-8")
    code = cli.main(["evidence", "--processed-dir", str(base / "processed"), "--reports-dir", str(base / "reports"),
                     "--rubric", str(rubric), "-q"])
    assert code == 0
    evidence = read_table(base / "processed", "evidence")
    assert set(evidence["rubric_version"]) == {"9.9.9-test"}


def test_run_file_with_relative_paths_and_parallel_council_reports(full_run, tmp_path, monkeypatch, capsys):
    """As cron runs it: from a folder, with a run file whose paths are relative to it."""
    shutil.copytree(full_run["raw"], tmp_path / "in")
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "nightly.yaml"
    cfg.write_text("raw_dir: in\nprocessed_dir: p\nreports_dir: r\ncouncil_reports: true\nworkers: 2\n")
    code = cli.main(["run", "--config", "nightly.yaml", "-q"])
    assert code == 0, capsys.readouterr().err
    assert Path.cwd() == tmp_path  # parallel notebook runs must not move the process
    latest = tmp_path / "r" / "latest"
    assert (latest / "summary.html").is_file()
    councils = {c for c in read_table(tmp_path / "p", "submissions")["council"] if c}
    assert len(list((latest / "councils").glob("*.html"))) == len(councils)
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["run_name"] == "nightly"


def test_no_council_reports(full_run, tmp_path):
    base = full_run["base"]
    code = cli.main(["report", "--processed-dir", str(base / "processed"), "--reports-dir", str(tmp_path / "r"),
                     "--no-council-reports", "-q"])
    assert code == 0
    assert (tmp_path / "r" / "latest" / "summary.html").is_file()
    assert not (tmp_path / "r" / "latest" / "councils").exists()


def test_missing_raw_dir_exits_2(tmp_path, capsys):
    assert cli.main(["run", "--raw-dir", str(tmp_path / "nope"), "--reports-dir", str(tmp_path / "r")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bad_run_file_exits_2(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("raw_dirr: x\n")
    assert cli.main(["run", "--config", str(cfg)]) == 2
    assert "unknown option" in capsys.readouterr().err


def test_every_column_written_is_in_the_data_dictionary(full_run):
    processed = full_run["base"] / "processed"
    by_file = {spec.filename: spec for spec in TABLES.values()}
    written = sorted(p for p in processed.rglob("*") if p.suffix in (".parquet", ".csv"))
    assert written
    for path in written:
        rel = path.relative_to(processed).as_posix()
        assert rel in by_file, f"{rel} has no contract in soa_analysis/schema.py"
        df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, nrows=1)
        documented = {c.name for c in by_file[rel].all_columns}
        assert set(df.columns) <= documented, f"{rel}: undocumented columns {set(df.columns) - documented}"


def test_review_loop_from_the_command_line(full_run, tmp_path, capsys, model_store_off):
    """Export for reviewers, two reviewers decide, import with agreement, retrain with their labels."""
    base = full_run["base"]
    processed = base / "processed"
    assert cli.main(["review", "export", "--processed-dir", str(processed), "--out", str(tmp_path / "sheet")]) == 0
    sheet = pd.read_csv(tmp_path / "sheet.csv", keep_default_na=False)
    assert len(sheet) and {"decision", "comment", "evidence"} <= set(sheet.columns)
    pri = sheet["taxonomy"] == "priorities"
    first, second = sheet.copy(), sheet.copy()
    first.loc[pri, "decision"] = ["yes" if a else "no" for a in sheet.loc[pri, "assigned"].astype(str) == "True"]
    second.loc[pri, "decision"] = "yes"
    first.assign(reviewer="reviewer one").to_csv(tmp_path / "r1.csv", index=False)
    second.assign(reviewer="reviewer two").to_csv(tmp_path / "r2.csv", index=False)
    capsys.readouterr()
    labels = tmp_path / "labels.csv"
    assert cli.main(["review", "import", str(tmp_path / "r1.csv"), str(tmp_path / "r2.csv"),
                     "--processed-dir", str(processed), "--out", str(labels)]) == 0
    out = capsys.readouterr().out
    assert "kappa" in out.lower()
    assert pd.read_csv(labels, keep_default_na=False)["text"].str.len().gt(0).all()
    model_json = processed / "models" / "priorities.json"
    before = json.loads(model_json.read_text())["training"]
    code = cli.main(["tag", "--processed-dir", str(processed), "--reports-dir", str(base / "reports"),
                     "--extra-labels", str(labels), "-q"])
    assert code == 0
    after = json.loads(model_json.read_text())["training"]
    assert after["fingerprint"] != before["fingerprint"]  # retrained with the reviewers' labels
    assert after["n_documents"] == before["n_documents"] + len(pd.read_csv(labels))


def test_keep_runs_flag_reaches_the_run(monkeypatch):
    seen = {}

    def fake_run(opts, stages, **kw):
        seen["keep_runs"] = opts.keep_runs
        raise SystemExit(0)

    monkeypatch.setattr("soa_analysis.pipeline.run", fake_run)
    with pytest.raises(SystemExit):
        cli.main(["report", "--keep-runs", "3", "-q"])
    assert seen == {"keep_runs": 3}
