"""Crash safety proved: a run killed (SIGKILL, the whole process group) during each stage.

After each kill: the last good report is intact, and no half-written table is trusted (a
report built from the processed folder alone is refused, naming the reason). After all
four kills, the next run succeeds, marks the killed runs' manifests as interrupted and
tidies what they left behind. The final report also shows that contact details in every
disguise reach no shared page, table or workbook. Marked slow: six real runs. All data
is fictional.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from soa_analysis import guards, procs
from soa_analysis.config import STAGES

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini_raw"
FORMS = ["jamie.evid [at] fife dot gov dot uk", "riley.next\uff20falkirk.gov.uk", "jo (at) example (dot) org",
         "0044 1632 960112", "01632/960113", "0044 131 496 0000", "0131.496.0000", "+44 (0)131 496 0111",
         "taylor.t@nhs-highland.example"]
NAMES = ["Jamie Evidenceperson", "Taylor Tablecell", "Riley Nextperson"]
CONTACTS_TEXT = "\n\n".join([
    "FICTIONAL TEST CASE - Glenbrae good neighbours",
    "Older people in Fife were isolated, so the council and NHS Fife set up a befriending scheme that "
    "halved the share of members who felt lonely, from 40% to 20% in a year.",
    *(f"For details contact {NAMES[i % 3]}, Project Officer, on {form} any weekday." for i, form in enumerate(FORMS)),
    "NHS Highland Taylor Tablecell taylor.t@nhs-highland.example led the volunteers.",
])


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "soa_analysis", *args]


def _signature(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for p in folder.rglob("*"):
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts):
            st = p.stat()
            out[p.as_posix()] = (st.st_ino, st.st_mtime_ns)
    return out


def _kill_during(stage: str, base: Path) -> str:
    """Start a run, SIGKILL its whole process group once the stage has begun writing; return what it printed.

    The run is ``--full``: otherwise stages whose inputs are unchanged are skipped (never begun).
    """
    k = STAGES.index(stage) + 1
    proc = subprocess.Popen(_cli("run", *_folders(base), "--no-council-reports", "--full", "-q"), cwd=base,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, start_new_session=True)
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for ln in proc.stderr:
            lines.put(ln)
        lines.put(None)  # the run ended

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    run_dir = None
    deadline = time.monotonic() + 900
    try:
        while time.monotonic() < deadline:  # wait for the stage to start
            line = lines.get(timeout=900)
            assert line is not None, "the run ended before the stage began:\n" + "".join(seen)
            seen.append(line)
            if line.startswith("soa-analysis run "):
                run_dir = base / "reports" / "runs" / line.split()[2].rstrip(":")
            if line.startswith(f"[{k}/4] {stage} ..."):
                break
        watched = base / "processed" if stage != "report" else run_dir / "tables"
        before = _signature(watched) if watched.exists() else {}
        while time.monotonic() < deadline:  # then for its first write
            if watched.exists() and _signature(watched) != before:
                break
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    while not lines.empty():
        seen.append(lines.get() or "")
    out = "".join(seen)
    assert f"[{k}/4] {stage} done" not in out, f"the {stage} stage finished before it could be killed"
    return out


def _folders(base: Path) -> list[str]:
    """The run's folders as options; ``[2:]`` leaves out the raw folder (only run and ingest take it)."""
    return ["--raw-dir", str(base / "raw"), "--processed-dir", str(base / "processed"),
            "--reports-dir", str(base / "reports")]


def test_a_run_killed_in_any_stage_publishes_nothing_and_the_next_run_succeeds(tmp_path):
    base = tmp_path
    shutil.copytree(MINI, base / "raw")
    (base / "raw" / "glenbrae_contacts.txt").write_text(CONTACTS_TEXT, encoding="utf-8")
    good = subprocess.run(_cli("run", *_folders(base), "--no-council-reports", "-q"), cwd=base,
                          capture_output=True, text=True, timeout=1800)
    assert good.returncode == 0, good.stderr
    latest = base / "reports" / "latest"
    published = _hashes(latest)

    for stage in STAGES:
        _kill_during(stage, base)
        assert _hashes(latest) == published, f"latest/ changed by a run killed during {stage}"
        if stage != "report":  # the processed folder now holds an unfinished stage's tables
            alone = subprocess.run(_cli("report", *_folders(base)[2:], "--no-council-reports", "-q"), cwd=base,
                                   capture_output=True, text=True, timeout=600)
            assert alone.returncode == 2, alone.stderr
            assert "refuses" in alone.stderr or "holds none that a finished" in alone.stderr, alone.stderr
            assert _hashes(latest) == published

    final = subprocess.run(_cli("run", *_folders(base), "--no-council-reports", "-q"), cwd=base,
                           capture_output=True, text=True, timeout=1800)
    assert final.returncode == 0, final.stderr
    assert _hashes(latest) != published
    assert "was interrupted; its manifest now says so" in final.stderr
    manifests = [json.loads(p.read_text()) for p in (base / "reports" / "runs").glob("*/manifest.json")]
    assert sorted(m["status"] for m in manifests) == ["failed"] * 4 + ["succeeded"] * 2
    assert sum(bool(m.get("interrupted")) for m in manifests) == 4
    assert not [p for p in (base / "reports").iterdir() if p.name.startswith(".latest-")]
    for folder in Path(tempfile.gettempdir()).glob(guards.KERNEL_PREFIX + "*"):  # no socket folder of a dead run
        owner = folder / "owner.pid"
        if owner.exists():
            assert procs.alive(int(owner.read_text())), folder

    # contact details in every disguise: in the restricted table, on no shared page, table or workbook
    contacts = pd.read_parquet(base / "processed" / "restricted" / "contacts.parquet")
    assert set(NAMES) <= set(contacts["name"])
    shared = [p.read_text(encoding="utf-8") for p in latest.rglob("*") if p.suffix in (".html", ".csv")]
    with zipfile.ZipFile(latest / "tables" / "report_tables.xlsx") as book:
        shared += [book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml")]
    for text in shared:
        for secret in FORMS + NAMES + ["jamie.evid", "riley.next", "496 0000"]:
            assert secret not in text
    log = pd.read_csv(base / "processed" / "ingest_log.csv", keep_default_na=False).set_index("source_file")
    assert log.loc["glenbrae_contacts.txt", "status"] == "ingested"
