"""The run manifest: inputs with their hashes, software, and how the run ended."""

from __future__ import annotations

import hashlib
import json

from soa_analysis import manifest
from soa_analysis.config import make_options


def test_inventory_lists_every_file_with_size_and_sha256(tmp_path):
    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    (raw / "b.txt").write_bytes(b"FICTIONAL b")
    (raw / "sub" / "a.txt").write_bytes(b"FICTIONAL a")
    inv = manifest.input_inventory(raw)
    assert [i["file"] for i in inv] == ["b.txt", "sub/a.txt"]
    assert inv[1] == {"file": "sub/a.txt", "bytes": 11, "sha256": hashlib.sha256(b"FICTIONAL a").hexdigest()}


def test_manifest_from_start_to_finish(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "ingest_log.csv").write_text("source_file,status\na.txt,ingested\nb.txt,quarantined\n")
    (tmp_path / "p" / "evidence_meta.json").write_text(json.dumps({"rubric_version": "r-1", "other": 1}))
    opts = make_options(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "p", run_name="nightly")
    m = manifest.new_manifest("run-1", opts, ("ingest", "report"))
    assert m["status"] == "running" and m["run_name"] == "nightly" and m["software"]["soa-analysis"]
    manifest.finish_manifest(m, status="succeeded", error="", total_s=1.234, processed_dir=tmp_path / "p",
                             outputs=["summary.html"])
    manifest.write_manifest(tmp_path, m)
    back = manifest.read_manifest(tmp_path)
    assert back["status"] == "succeeded" and back["timings_s"]["total"] == 1.23
    assert back["ingest_summary"] == {"files": 2, "ingested": 1, "quarantined": 1}
    assert back["evidence_meta"] == {"rubric_version": "r-1"}
    assert back["outputs"] == ["summary.html"]
    assert manifest.read_manifest(tmp_path / "nowhere") is None


def test_the_manifest_reads_back_as_written_one_line_per_entry(tmp_path):
    """write_manifest: the same content json.dumps(indent=2) wrote (a path as its text), one line per
    top-level entry, each value compact; read_manifest gives it back."""
    from pathlib import Path

    m = {"run_id": "r1", "status": "succeeded", "empty": {}, "none": None,
         "inputs": [{"path": f"raw/f{i}.txt", "size": i, "sha256": "0" * 64} for i in range(3)],
         "parameters": {"raw_dir": Path("data/raw"), "full": False}, "timings_s": {"ingest": 1.25}}
    path = manifest.write_manifest(tmp_path, m)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == json.loads(json.dumps(m, indent=2, default=str))
    assert manifest.read_manifest(tmp_path) == json.loads(text)
    assert text.count("\n") == len(m) + 2 and text.startswith("{\n") and text.endswith("\n}\n")
    manifest.write_manifest(tmp_path, {})
    assert manifest.read_manifest(tmp_path) == {}
