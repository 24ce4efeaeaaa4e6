"""merge_parts keeps the rows already listed when their texts are not in this machine's cache.

The real-text cache is gitignored and is not kept between machines; merging a new gatherer's part
must not drop the labelled rows gathered before. All text here is FICTIONAL.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from scripts import load_script


def _load():
    mod = load_script("benchmarks/real_text/merge_parts.py")
    return mod


def _write(path: Path, rows: list[dict], fields: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def test_listed_rows_without_cache_are_kept_and_new_rows_measured(tmp_path):
    mp = _load()
    mp.HERE = tmp_path
    (tmp_path / "parts").mkdir()
    (tmp_path / "cache" / "zz").mkdir(parents=True)
    part_fields = ["id", "url", "organisation", "date", "kind", "query", "chars", "sha256", "split"]
    old_row = {"id": "zy-001", "url": "https://example.org/a", "organisation": "Fictional Council", "date": "",
               "kind": "other", "query": "q", "chars": "40", "sha256": "a" * 64, "split": "test9"}
    text = "A FICTIONAL  note\nabout a made-up project.\n"
    new_row = {"id": "zz-001", "url": "https://example.org/b", "organisation": "Fictional Board", "date": "",
               "kind": "other", "query": "q", "chars": str(len(text)),
               "sha256": hashlib.sha256(text.encode()).hexdigest(), "split": "test10"}
    (tmp_path / "cache" / "zz" / "zz-001.txt").write_text(text, encoding="utf-8")
    _write(tmp_path / "parts" / "sources_zy.csv", [old_row], part_fields)
    _write(tmp_path / "parts" / "sources_zz.csv", [new_row], part_fields)
    listed = dict(old_row, norm_chars="38", norm_sha256="b" * 64, priorities="employment", grade="some",
                  rationale="fictional")
    _write(tmp_path / "sources.csv", [listed], mp.BASE + mp.LABELS)

    assert mp.main([]) == 0
    rows = {r["id"]: r for r in csv.DictReader((tmp_path / "sources.csv").open(encoding="utf-8"))}
    assert set(rows) == {"zy-001", "zz-001"}
    assert rows["zy-001"]["norm_sha256"] == "b" * 64 and rows["zy-001"]["grade"] == "some"
    norm = "A FICTIONAL note about a made-up project."
    assert rows["zz-001"]["norm_chars"] == str(len(norm))
    assert rows["zz-001"]["norm_sha256"] == hashlib.sha256(norm.encode()).hexdigest()


def test_a_row_never_listed_and_not_cached_is_dropped(tmp_path, capsys):
    mp = _load()
    mp.HERE = tmp_path
    (tmp_path / "parts").mkdir()
    fields = ["id", "url", "organisation", "date", "kind", "query", "chars", "sha256", "split"]
    _write(tmp_path / "parts" / "sources_zx.csv",
           [{"id": "zx-001", "url": "https://example.org/c", "organisation": "Fictional", "date": "",
             "kind": "other", "query": "", "chars": "1", "sha256": "c" * 64, "split": "test10"}], fields)
    assert mp.main([]) == 0
    assert "dropped zx-001: not in the cache" in capsys.readouterr().out
    assert list(csv.DictReader((tmp_path / "sources.csv").open(encoding="utf-8"))) == []


def test_a_part_still_being_gathered_can_be_left_out_and_help_writes_nothing(tmp_path, capsys):
    mp = _load()
    mp.HERE = tmp_path
    (tmp_path / "parts").mkdir()
    (tmp_path / "cache" / "zw").mkdir(parents=True)
    fields = ["id", "url", "organisation", "date", "kind", "query", "chars", "sha256", "split"]
    rows = []
    for n, split in ((1, "test69"), (2, "test70")):
        text = f"A FICTIONAL note number {n} about a made-up project.\n"
        (tmp_path / "cache" / "zw" / f"zw-00{n}.txt").write_text(text, encoding="utf-8")
        rows.append({"id": f"zw-00{n}", "url": f"https://example.org/{n}", "organisation": "Fictional", "date": "",
                     "kind": "other", "query": "", "chars": str(len(text)),
                     "sha256": hashlib.sha256(text.encode()).hexdigest(), "split": split})
    _write(tmp_path / "parts" / "sources_zw.csv", rows, fields)

    with pytest.raises(SystemExit) as exit_:
        mp.main(["--help"])
    assert exit_.value.code == 0
    assert not (tmp_path / "sources.csv").exists()  # asking for help merges nothing

    assert mp.main(["--leave-out", "test70"]) == 0
    assert "left out zw-002: part test70 is still being gathered" in capsys.readouterr().out
    listed = [r["id"] for r in csv.DictReader((tmp_path / "sources.csv").open(encoding="utf-8"))]
    assert listed == ["zw-001"]

    assert mp.main([]) == 0  # once the part is complete it is merged; the row listed before stays
    listed = [r["id"] for r in csv.DictReader((tmp_path / "sources.csv").open(encoding="utf-8"))]
    assert listed == ["zw-001", "zw-002"]
