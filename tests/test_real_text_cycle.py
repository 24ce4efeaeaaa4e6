"""The held-out part's cycle steps (benchmarks/real_text/cycle.py): briefs, disputes, gold labels, grade changes.

All labels and rationales here are FICTIONAL.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from scripts import load_script

FIELDS = ["id", "priorities", "grade", "rationale"]


def _cycle():
    return load_script("benchmarks/real_text/cycle.py")


def _write(path: Path, rows: list[dict], fields: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return path


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_disputes_compare_priorities_as_sets_and_four_grades(tmp_path):
    cy = _cycle()
    a = _write(tmp_path / "a.csv", [
        {"id": "zz-001", "priorities": "employment;early_years", "grade": "some", "rationale": "fictional A1"},
        {"id": "zz-002", "priorities": "", "grade": "planned", "rationale": "fictional A2"},
        {"id": "zz-003", "priorities": "older_people", "grade": "strong", "rationale": "fictional A3"},
    ], FIELDS)
    b = _write(tmp_path / "b.csv", [
        {"id": "zz-001", "priorities": "early_years;employment", "grade": "some", "rationale": "fictional B1"},
        {"id": "zz-002", "priorities": "", "grade": "none", "rationale": "fictional B2"},
        {"id": "zz-003", "priorities": "health_inequalities", "grade": "some", "rationale": "fictional B3"},
    ], FIELDS)
    rows = cy.disputes(a, b)
    assert [(r["id"], r["field"]) for r in rows] == [("zz-002", "grade"), ("zz-003", "priorities+grade")]
    assert rows[1]["a_rationale"] == "fictional A3" and rows[1]["b_grade"] == "some"
    out = tmp_path / "d.csv"
    assert cy.main(["disputes", "zz", str(a), str(b), str(out)]) == 0
    assert [r["id"] for r in _read(out)] == ["zz-002", "zz-003"]


def test_disputes_refuse_passes_over_different_texts_and_unknown_codes(tmp_path):
    cy = _cycle()
    a = _write(tmp_path / "a.csv", [{"id": "zz-001", "priorities": "", "grade": "none", "rationale": "x"}], FIELDS)
    b = _write(tmp_path / "b.csv", [{"id": "zz-002", "priorities": "", "grade": "none", "rationale": "x"}], FIELDS)
    with pytest.raises(ValueError, match="zz-001, zz-002"):
        cy.disputes(a, b)
    c = _write(tmp_path / "c.csv", [{"id": "zz-001", "priorities": "tourism", "grade": "none", "rationale": "x"}],
               FIELDS)
    with pytest.raises(ValueError, match="tourism"):
        cy.disputes(a, c)


def test_gold_takes_adjudicated_labels_over_pass_a_and_leaves_other_parts(tmp_path):
    cy = _cycle()
    src_fields = ["id", "url", "split", "priorities", "grade", "rationale"]
    sources = _write(tmp_path / "sources.csv", [
        {"id": "zy-001", "url": "https://example.org/1", "split": "test8", "priorities": "employment",
         "grade": "some", "rationale": "earlier part, fictional"},
        {"id": "zz-001", "url": "https://example.org/2", "split": "test9", "priorities": "", "grade": "",
         "rationale": ""},
        {"id": "zz-002", "url": "https://example.org/3", "split": "test9", "priorities": "", "grade": "",
         "rationale": ""},
    ], src_fields)
    _write(tmp_path / "labels_a_test9.csv", [
        {"id": "zz-001", "priorities": "early_years", "grade": "strong", "rationale": "A, fictional"},
        {"id": "zz-002", "priorities": "", "grade": "none", "rationale": "A2, fictional"},
    ], FIELDS)
    _write(tmp_path / "labels_adjudicated_test9.csv", [
        {"id": "zz-001", "priorities": "early_years", "grade": "some", "rationale": "adjudicated: with B; fictional"},
    ], FIELDS)
    assert cy.gold("test9", sources, tmp_path) == (2, 1)
    rows = {r["id"]: r for r in _read(sources)}
    assert rows["zz-001"]["grade"] == "some" and rows["zz-001"]["rationale"].startswith("adjudicated: with B")
    assert rows["zz-002"]["grade"] == "none" and rows["zz-002"]["rationale"] == "A2, fictional"
    assert rows["zy-001"]["rationale"] == "earlier part, fictional"
    assert list(rows["zz-001"]) == src_fields


def test_gold_refuses_a_part_with_an_unlabelled_text(tmp_path):
    cy = _cycle()
    sources = _write(tmp_path / "sources.csv", [
        {"id": "zz-001", "split": "test9", "priorities": "", "grade": "", "rationale": ""},
        {"id": "zz-002", "split": "test9", "priorities": "", "grade": "", "rationale": ""},
    ], ["id", "split", "priorities", "grade", "rationale"])
    before = sources.read_bytes()
    _write(tmp_path / "labels_a_test9.csv", [{"id": "zz-001", "priorities": "", "grade": "none", "rationale": "x"}],
           FIELDS)
    with pytest.raises(ValueError, match="zz-002"):
        cy.gold("test9", sources, tmp_path)
    assert sources.read_bytes() == before


def test_grade_changes_count_planned_as_none_and_sort_changes():
    cy = _cycle()
    gold = {"a": "strong", "b": "some", "c": "planned", "d": "none", "e": "some"}
    nocheck = {"a": "some", "b": "none", "c": "planned", "d": "none", "e": "strong"}
    ship = {"a": "strong", "b": "some", "c": "none", "d": "some", "e": "none"}
    res = cy.grade_changes(gold, ship, nocheck)
    assert res["confusion"]["planned"] == {"strong": 0, "some": 0, "planned": 0, "none": 1}
    assert res["accuracy"] == pytest.approx(3 / 5)  # planned graded none counts as right
    assert res["right"] == ["a", "b"] and res["wrong"] == ["d"] and res["neither"] == ["e"]
    assert res["net"] == 1
    with pytest.raises(ValueError, match="no prediction"):
        cy.grade_changes(gold, {"a": "some"})


def test_briefs_fill_every_field_and_the_label_order_follows_the_coder(tmp_path):
    cy = _cycle()
    with pytest.raises(ValueError, match="FOCUS"):
        cy.render("gather", {"CODE": "zz", "PART": "test9"})
    a = cy.render("label", {"PART": "test9", "G1": "zy", "G2": "zz", "CODER": "A", "N": "80", "NOTES": "/tmp/n"})
    b = cy.render("label", {"PART": "test9", "G1": "zy", "G2": "zz", "CODER": "B", "N": "80", "NOTES": "/tmp/n"})
    assert "`zz-040` down to `zz-001`, then `zy-040` down to `zy-001`." in a
    assert "`zy-001` up to `zy-040`, then `zz-001` up to `zz-040`." in b
    assert "/tmp/n/labels_a_test9.csv" in a and "/tmp/n/labels_b_test9.csv" in b
    # the order follows the part files where there are some: one gatherer saved 36, another had text 3 dropped
    parts = tmp_path / "parts"
    parts.mkdir()
    for g, numbers in (("zy", range(1, 37)), ("zz", [1, 2, *range(4, 41)])):
        (parts / f"sources_{g}.csv").write_text("id,url\n" + "".join(f"{g}-{k:03d},u{k}\n" for k in numbers),
                                               encoding="utf-8")
    fields = {"PART": "test9", "G1": "zy", "G2": "zz", "N": "75", "NOTES": "/tmp/n"}
    a = cy.render("label", {**fields, "CODER": "A"}, parts=parts)
    b = cy.render("label", {**fields, "CODER": "B"}, parts=parts)
    assert "`zz-040` down to `zz-001` (there is no `zz-003`), then `zy-036` down to `zy-001`." in a
    assert "`zy-001` up to `zy-036`, then `zz-001` up to `zz-040` (there is no `zz-003`)." in b
    assert "{" not in a.replace("{}", "")
    for name in ("verify", "adjudicate", "marks"):
        text = cy.render(name, {"CODE": "zz", "PART": "test9", "N": "12", "NOTES": str(tmp_path)})
        assert "{REPO}" not in text and str(cy.REPO) in text


def test_the_adjudicate_brief_counts_the_disputes_file(tmp_path):
    """The adjudicator writes one row per disputed id: the brief's N is the disputes file's count (session 61 gave the
    part's size by mistake), and a different N given by hand is refused."""
    cy = _cycle()
    (tmp_path / "disputes_test9.csv").write_text("id,field\nzz-001,grade\nzz-007,priorities\n", encoding="utf-8")
    text = cy.render("adjudicate", {"PART": "test9", "NOTES": str(tmp_path)})
    assert "disagree on 2 texts" in text and "(2 rows)" in text
    with pytest.raises(ValueError, match="lists 2 disputed"):
        cy.render("adjudicate", {"PART": "test9", "NOTES": str(tmp_path), "N": "80"})
    assert "(2 rows)" in cy.render("adjudicate", {"PART": "test9", "NOTES": str(tmp_path), "N": "2"})
