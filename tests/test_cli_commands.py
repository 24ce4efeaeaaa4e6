"""The commands as a researcher meets them: `make lab`, each stage's help, misspelt options,
bad options refused before any work (exit 2), the review sheets, `evaluate --labels` on wrong
files, the run lock, and .gitignore. All data is fictional."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_tagging_review import processed  # noqa: F401 - the fixture: three fictional submissions, tagged

from soa_analysis import cli, guards
from soa_analysis.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini_raw"


def _main(argv, capsys) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of the CLI (argparse's own exits included)."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


# --------------------------------------------------------------------------- make lab

def _make_lab(*extra: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    done = subprocess.run(["make", "-n", "lab", *extra], cwd=ROOT, capture_output=True, text=True, check=True)
    (line,) = [x for x in done.stdout.splitlines() if "jupyter lab" in x]
    return line


def test_make_lab_passes_allow_root_only_as_root():
    assert _make_lab("USER_ID=0").split() == [".venv/bin/jupyter", "lab", "--allow-root", "notebooks/"]
    assert _make_lab("USER_ID=1000").split() == [".venv/bin/jupyter", "lab", "notebooks/"]
    assert ("--allow-root" in _make_lab()) == (os.geteuid() == 0)  # whoever runs the tests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_the_lab_command_starts_jupyterlab_on_the_notebooks(tmp_path):
    """The command `make lab` builds starts JupyterLab for whoever runs it (root in CI and containers)."""
    words = _make_lab().split()
    if not (ROOT / words[0]).is_file():
        pytest.skip("no .venv in the checkout (run `make setup`)")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_DATA_DIR=str(tmp_path / "data"))
    cmd = [str(ROOT / words[0]), *words[1:], "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={_free_port()}", "--ServerApp.port_retries=50"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    watchdog = threading.Timer(600, proc.kill)  # a hung server ends the test instead of blocking it (not a timing check)
    watchdog.start()
    try:
        for line in proc.stderr:  # the server logs to stderr; it says where it is serving once it is up
            seen.append(line)
            if "http://127.0.0.1:" in line and "/lab" in line:
                break
    finally:
        watchdog.cancel()
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log = "".join(seen)
    assert "Running as root is not recommended" not in log, log
    assert "/lab" in log and "notebooks" in log, log


# --------------------------------------------------------------------------- help and misspelt options

@pytest.mark.parametrize("command, offered, not_offered", [
    ("ingest", ["--raw-dir", "--max-file-mb", "--workers"], ["--rubric", "--taxonomies", "--outcome-data",
                                                            "--compare-to", "--extra-labels"]),
    ("tag", ["--taxonomies", "--extra-labels"], ["--raw-dir", "--rubric", "--max-file-mb", "--outcome-data"]),
    ("evidence", ["--rubric"], ["--raw-dir", "--taxonomies", "--max-file-mb", "--outcome-data"]),
    ("report", ["--outcome-data", "--compare-to", "--no-council-reports"], ["--max-file-mb", "--raw-dir",
                                                                            "--rubric", "--taxonomies"]),
    ("run", ["--raw-dir", "--taxonomies", "--rubric", "--outcome-data", "--max-file-mb"], []),
])
def test_each_stage_help_lists_only_its_options(command, offered, not_offered, capsys):
    code, out, _ = _main([command, "--help"], capsys)
    assert code == 0
    for flag in offered + ["--config", "--processed-dir", "--reports-dir"]:
        assert flag in out, f"{command} --help lacks {flag}"
    for flag in not_offered:
        assert flag not in out, f"{command} --help offers {flag}"


def _leaves(parser, path=()):
    import argparse

    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for action in subs:
        for name, child in action.choices.items():
            yield from _leaves(child, path + (name,))


def test_every_command_has_a_description(capsys):
    leaves = list(_leaves(cli.build_parser()))
    assert {p for p, _ in leaves} >= {("run",), ("review", "export"), ("review", "import"), ("evaluate",)}
    for path, parser in leaves:
        assert parser.description and len(parser.description) > 30, path
        code, out, _ = _main([*path, "--help"], capsys)
        assert code == 0 and parser.description.split()[0] in out


@pytest.mark.parametrize("argv, said", [
    (["ingest", "--raw-dri", "x"], "--raw-dri: did you mean --raw-dir?"),
    (["run", "--taxonomy", "priorities"], "--taxonomy: did you mean --taxonomies?"),
    (["report", "--raw-dri", "x"], "did you mean --raw-dir? (an option of run and ingest, not of report)"),
    (["ingest", "--rubric", "x.yaml"], "--rubric is an option of run and evidence, not of ingest"),
    (["review", "export", "--outt", "x"], "--outt: did you mean --out?"),
    (["rnu"], "did you mean run?"),
])
def test_a_misspelt_option_gets_a_suggestion(argv, said, capsys):
    code, _, err = _main(argv, capsys)
    assert code == 2
    assert said in err


def test_a_file_given_as_the_raw_folder_is_called_a_file(tmp_path, capsys):
    sub = tmp_path / "submission.txt"
    sub.write_text("FICTIONAL submission", encoding="utf-8")
    code, _, err = _main(["ingest", "--raw-dir", str(sub), "--processed-dir", str(tmp_path / "p"),
                          "--reports-dir", str(tmp_path / "r")], capsys)
    assert code == 2
    assert f"raw folder {sub} is a file, not a folder" in err
    assert not (tmp_path / "r").exists() and not (tmp_path / "p").exists()


# --------------------------------------------------------------------------- refused before any work

def _run_args(tmp_path) -> list[str]:
    return ["run", "--raw-dir", str(MINI), "--processed-dir", str(tmp_path / "p"),
            "--reports-dir", str(tmp_path / "r"), "-q"]


def _bad_file(tmp_path, name, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize("extra, said", [
    (["--taxonomies", "priorites"], "unknown taxonomy 'priorites' (did you mean priorities?)"),
    (["--taxonomies", "priorities,outcomes_sao"], "(did you mean outcomes_soa?)"),
    (["--taxonomies", "mine/missing.yaml"], "taxonomy file mine/missing.yaml not found"),
    (["--taxonomies", "BAD_TAXONOMY"], "taxonomy"),
    (["--rubric", "BAD_RUBRIC"], "rubric"),
    (["--rubric", "FOLDER"], "is a folder, not a file"),
    (["--extra-labels", "BAD_LABELS"], "extra labels"),
    (["--outcome-data", "BAD_LABELS"], "outcome"),
])
def test_bad_options_fail_before_any_work_with_exit_2(extra, said, tmp_path, capsys):
    files = {"BAD_TAXONOMY": _bad_file(tmp_path, "mine.yaml", b"name: mine\ncategories: 3\n"),
             "BAD_RUBRIC": _bad_file(tmp_path, "rubric.yaml", b"version: [unclosed\n"),
             "BAD_LABELS": _bad_file(tmp_path, "labels.csv", b"passage_id,labels\nFICTIONAL,\xff\xfe\n"),
             "FOLDER": str(tmp_path)}
    extra = [files.get(x, x) for x in extra]
    code, _, err = _main(_run_args(tmp_path) + extra, capsys)
    assert code == 2, err
    assert said in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "r").exists() and not (tmp_path / "p").exists()  # nothing ran, nothing written


def test_a_bad_run_file_fails_before_any_work(tmp_path, capsys):
    cfg = tmp_path / "nightly.yaml"
    cfg.write_text(f"raw_dir: {MINI}\nprocessed_dir: {tmp_path / 'p'}\nreports_dir: {tmp_path / 'r'}\n"
                   "taxonomies: [priorities, outcomes_2081]\n", encoding="utf-8")
    code, _, err = _main(["ingest", "--config", str(cfg)], capsys)  # a bad run file fails on any command
    assert code == 2
    assert "unknown taxonomy 'outcomes_2081' (did you mean outcomes_2018?)" in err
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------------- review sheets

def test_review_export_writes_the_workbook_and_the_csv(processed, tmp_path, capsys):  # noqa: F811 - the imported fixture
    code, out, err = _main(["review", "export", "--processed-dir", str(processed),
                            "--out", str(tmp_path / "review.xlsx")], capsys)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.csv", "review.xlsx"]
    assert out.split() == [str(tmp_path / "review.csv"), str(tmp_path / "review.xlsx")]
    book = openpyxl.load_workbook(tmp_path / "review.xlsx")
    assert book.sheetnames == ["review", "instructions"]
    sheet = book["review"]
    header = [c.value for c in sheet[1]]
    col = openpyxl.utils.get_column_letter(header.index("decision") + 1)
    (dv,) = sheet.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == '"yes,no"' and dv.allow_blank
    assert str(dv.sqref) == f"{col}2:{col}{sheet.max_row}"
    notes = " ".join(str(c.value) for row in book["instructions"].iter_rows() for c in row)
    assert "decision" in notes and "soa-analysis review import" in notes
    assert len(pd.read_csv(tmp_path / "review.csv")) == sheet.max_row - 1


def test_a_bad_decision_names_the_row_and_the_allowed_values(processed, tmp_path, capsys):  # noqa: F811 - the imported fixture
    _main(["review", "export", "--processed-dir", str(processed), "--out", str(tmp_path / "review")], capsys)
    sheet = pd.read_csv(tmp_path / "review.csv", dtype=str, keep_default_na=False)
    sheet["decision"] = "yes"
    sheet.loc[1, "decision"] = "maybe"
    sheet.to_csv(tmp_path / "done.csv", index=False)
    code, _, err = _main(["review", "import", str(tmp_path / "done.csv"), "--processed-dir", str(processed)], capsys)
    assert code == 2
    row = sheet.loc[1]
    assert "row 3" in err  # the header is row 1: the second data row is row 3
    assert row["review_id"] in err and row["submission_id"] in err and row["priority"] in err
    assert "'maybe'" in err and "yes or no" in err


# --------------------------------------------------------------------------- evaluate --labels

def test_evaluate_help_names_the_required_columns(capsys):
    code, out, _ = _main(["evaluate", "--help"], capsys)
    assert code == 0
    assert "passage_id, labels, text" in " ".join(out.split())


@pytest.mark.parametrize("name, content, said", [
    ("labels.xlsx", b"PK\x03\x04FICTIONAL", "not a CSV"),
    ("latin1.csv", "passage_id,labels,text\np1,early_years,caf\xe9 FICTIONAL\n".encode("latin-1"), "not UTF-8"),
    ("broken.csv", b'passage_id,labels,text\np1,early_years,"FICTIONAL never closed\n', "not a readable CSV"),
    ("empty.csv", b"", "is empty"),
    ("columns.csv", b"id,text\n1,FICTIONAL\n", "lacks column(s) passage_id, labels"),
    ("sheet.csv", b"review_id,submission_id,taxonomy,priority,decision\nr1,s1,priorities,employment,yes\n",
     "soa-analysis review import"),
])
def test_evaluate_on_a_wrong_file_says_so_in_one_line(name, content, said, tmp_path, capsys):
    code, _, err = _main(["evaluate", "--labels", _bad_file(tmp_path, name, content)], capsys)
    assert code == 2
    assert said in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_evaluate_needs_as_many_passages_as_folds(tmp_path, capsys):
    labels = _bad_file(tmp_path, "few.csv", b"passage_id,labels,text\np1,employment,FICTIONAL jobs\n"
                                            b"p2,,FICTIONAL nothing\n")
    code, _, err = _main(["evaluate", "--labels", labels, "--folds", "3"], capsys)
    assert code == 2 and "2 passage(s); 3-fold cross-validation needs at least 3" in err
    code, _, err = _main(["evaluate", "--folds", "1"], capsys)
    assert code == 2 and "2 folds or more" in err


@pytest.mark.slow
def test_evaluate_on_the_labels_that_review_import_writes(processed, tmp_path, capsys, few_real_texts):  # noqa: F811 - the imported fixture
    """Export, decide, import as labels, evaluate: categories no reviewed passage has are named and left out."""
    _main(["review", "export", "--processed-dir", str(processed), "--out", str(tmp_path / "review")], capsys)
    sheet = pd.read_csv(tmp_path / "review.csv", dtype=str, keep_default_na=False)
    sheet["decision"] = ["yes" if a == "True" else "no" for a in sheet["assigned"]]
    sheet.to_csv(tmp_path / "done.csv", index=False)
    labels = tmp_path / "labels.csv"
    code, _, err = _main(["review", "import", str(tmp_path / "done.csv"), "--processed-dir", str(processed),
                          "--out", str(labels)], capsys)
    assert code == 0, err
    written = pd.read_csv(labels, keep_default_na=False)
    used = {x for s in written["labels"] for x in s.split(";") if x}
    code, out, err = _main(["evaluate", "--labels", str(labels), "--folds", "2"], capsys)
    assert code == 0, err
    from soa_analysis.taxonomies import load_taxonomy

    cats = [c.id for c in load_taxonomy("priorities").categories]
    unused = [c for c in cats if c not in used]
    assert unused, "the fixture should leave some priority without a reviewed passage"
    assert "Left out of the figures" in out
    for c in unused:
        assert f"{c} (no passage labelled with it)" in out
        assert f"| {c} |" not in out  # no row of zeros for a category nothing could measure


# --------------------------------------------------------------------------- run lock, .gitignore

def test_the_run_lock_is_removed_when_the_run_ends(tmp_path):
    with guards.folder_lock(tmp_path, "reports folder"):
        assert (tmp_path / ".run.lock").is_file()
        with pytest.raises(ConfigError, match="another soa-analysis run"):
            with guards.folder_lock(tmp_path, "reports folder"):
                pass
    assert not (tmp_path / ".run.lock").exists()
    with pytest.raises(RuntimeError):
        with guards.folder_lock(tmp_path, "reports folder"):
            raise RuntimeError("FICTIONAL failure inside a run")
    assert not (tmp_path / ".run.lock").exists()


def test_a_lock_file_removed_before_it_was_locked_is_not_trusted(tmp_path, monkeypatch):
    """Between our open and our flock the run before us ends and removes the file: lock a fresh one."""
    real_flock = fcntl.flock
    calls = []

    def flock(fh, op):
        calls.append(op)
        if len(calls) == 1:
            os.unlink(tmp_path / ".run.lock")  # the previous run's release
        return real_flock(fh, op)

    monkeypatch.setattr(guards.fcntl, "flock", flock)
    with guards.folder_lock(tmp_path, "processed folder"):
        monkeypatch.setattr(guards.fcntl, "flock", real_flock)
        assert len(calls) == 2
        with pytest.raises(ConfigError):  # the file now at the path is the one we hold
            with guards.folder_lock(tmp_path, "processed folder"):
                pass
    assert not (tmp_path / ".run.lock").exists()


def test_gitignore_lists_no_committed_file():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(["git", "ls-files", "-ci", "--exclude-standard"], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout == "", f"committed files that .gitignore lists:\n{done.stdout}"
