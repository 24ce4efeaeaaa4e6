"""restore_text puts a listed text back into the cache only when a stretch of the copy hashes to it.

The real-text cache is gitignored; a listed row keeps the length and sha256 of its text (and of the
text with white space folded). All text here is FICTIONAL.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from scripts import load_script

FIELDS = ["id", "url", "organisation", "date", "kind", "query", "chars", "sha256", "split",
          "norm_chars", "norm_sha256", "priorities", "grade", "rationale"]
PAGE = ("Menu\nSearch\n\nFICTIONAL: Glenbrae youth hub opens\n\n12 March 2031\n\n"
        "A made-up partnership of Glenbrae Council and a fictional charity opened a youth hub.\n\n"
        "Forty young people used it in its first month, the made-up report says.\n\nRelated news")


def _load():
    mod = load_script("benchmarks/real_text/restore_text.py")
    return mod


def _row(ident: str, url: str, text: str, query: str = "fictional youth hub") -> dict:
    norm = " ".join(text.split())
    return {"id": ident, "url": url, "organisation": "Fictional Council", "date": "", "kind": "news_item",
            "query": query, "chars": str(len(text)), "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "split": "dev", "norm_chars": str(len(norm)),
            "norm_sha256": hashlib.sha256(norm.encode()).hexdigest(), "priorities": "", "grade": "some",
            "rationale": "fictional"}


def _setup(tmp_path: Path, rows: list[dict]) -> tuple[Path, Path]:
    sources = tmp_path / "sources.csv"
    with sources.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    return sources, tmp_path / "cache"


def _run(mod, monkeypatch, stdin: str, *args) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return mod.main(list(args))


LABELLED = PAGE[PAGE.index("FICTIONAL"):PAGE.index("\n\nRelated")] + "\n"


def test_the_stretch_with_the_listed_hash_is_saved_from_a_json_copy(tmp_path, monkeypatch):
    mod = _load()
    sources, cache = _setup(tmp_path, [_row("zz-001", "https://example.org/a", LABELLED)])
    rc = _run(mod, monkeypatch, json.dumps(PAGE), "--url", "https://example.org/a",
              "--sources", str(sources), "--cache", str(cache))
    assert rc == 0
    assert (cache / "zz" / "zz-001.txt").read_bytes() == LABELLED.encode("utf-8")


def test_a_copy_with_other_line_breaks_is_matched_by_the_folded_hash(tmp_path, monkeypatch):
    mod = _load()
    sources, cache = _setup(tmp_path, [_row("zz-001", "https://example.org/a", LABELLED)])
    rc = _run(mod, monkeypatch, PAGE.replace("\n\n", "\n"), "--url", "https://example.org/a",
              "--sources", str(sources), "--cache", str(cache))
    assert rc == 0
    saved = (cache / "zz" / "zz-001.txt").read_text(encoding="utf-8")
    assert " ".join(saved.split()) == " ".join(LABELLED.split())


def test_a_copy_that_differs_saves_nothing(tmp_path, monkeypatch, capsys):
    mod = _load()
    sources, cache = _setup(tmp_path, [_row("zz-001", "https://example.org/a", LABELLED)])
    rc = _run(mod, monkeypatch, PAGE.replace("Forty", "Fifty"), "--url", "https://example.org/a",
              "--sources", str(sources), "--cache", str(cache))
    assert rc == 1
    assert "no match for zz-001" in capsys.readouterr().err
    assert not (cache / "zz" / "zz-001.txt").exists()


def test_an_unlisted_address_is_refused(tmp_path, monkeypatch):
    mod = _load()
    sources, cache = _setup(tmp_path, [_row("zz-001", "https://example.org/a", LABELLED)])
    assert _run(mod, monkeypatch, PAGE, "--url", "https://example.org/other",
                "--sources", str(sources), "--cache", str(cache)) == 2


def test_todo_lists_missing_texts_by_query_in_shares(tmp_path, monkeypatch, capsys):
    mod = _load()
    rows = [_row(f"zz-00{i}", f"https://example.org/{i}", LABELLED + "x" * i + "\n", query=f"q{i % 3}")
            for i in range(1, 7)]
    sources, cache = _setup(tmp_path, rows)
    (cache / "zz").mkdir(parents=True)
    (cache / "zz" / "zz-001.txt").write_text("cached", encoding="utf-8")
    groups = mod.todo(rows, mod.cached_ids(cache))
    assert [q for q, _ in groups] == ["q1", "q2", "q0"]
    assert sum(len(g) for _, g in groups) == 5
    shares = [mod.todo(rows, mod.cached_ids(cache), f"{k}/2") for k in (1, 2)]
    assert sorted(q for s in shares for q, _ in s) == ["q0", "q1", "q2"]
    # a share is the same set of queries whatever has come back meanwhile
    (cache / "zz" / "zz-002.txt").write_text("cached", encoding="utf-8")
    (cache / "zz" / "zz-005.txt").write_text("cached", encoding="utf-8")
    later = mod.todo(rows, mod.cached_ids(cache), "1/2")
    assert [q for q, _ in later] == [q for q, _ in shares[0] if q != "q2"]
    assert _run(mod, monkeypatch, "", "--todo", "--sources", str(sources), "--cache", str(cache)) == 0
    assert "3 texts missing under 2 queries (3 of 6 listed cached)" in capsys.readouterr().out


def test_todo_can_be_cut_to_some_parts(tmp_path, monkeypatch, capsys):
    mod = _load()
    rows = [_row(f"zz-00{i}", f"https://example.org/{i}", LABELLED + "x" * i + "\n", query=f"q{i}")
            for i in range(1, 5)]
    for r, part in zip(rows, ("dev", "test7", "test7", "test9")):
        r["split"] = part
    sources, cache = _setup(tmp_path, rows)
    (cache / "zz").mkdir(parents=True)
    (cache / "zz" / "zz-002.txt").write_text("cached", encoding="utf-8")
    assert _run(mod, monkeypatch, "", "--todo", "--parts", "test7,test9", "--sources", str(sources),
                "--cache", str(cache)) == 0
    out = capsys.readouterr().out
    assert "zz-003" in out and "zz-004" in out and "zz-001" not in out and "zz-002" not in out
    assert "2 texts missing under 2 queries (1 of 3 listed cached)" in out
    try:
        _run(mod, monkeypatch, "", "--todo", "--parts", "test99", "--sources", str(sources), "--cache", str(cache))
    except SystemExit as e:
        assert e.code == 2
    else:
        raise AssertionError("an unknown part was accepted")
    assert "no such part" in capsys.readouterr().err


def test_a_stretch_glued_to_the_word_before_it_is_found(tmp_path, monkeypatch):
    mod = _load()
    sources, cache = _setup(tmp_path, [_row("zz-001", "https://example.org/a", LABELLED)])
    glued = PAGE.replace("Search\n\nFICTIONAL", "Search nursery3FICTIONAL")
    rc = _run(mod, monkeypatch, glued, "--url", "https://example.org/a", "--sources", str(sources), "--cache", str(cache))
    assert rc == 0
    assert (cache / "zz" / "zz-001.txt").read_bytes() == LABELLED.encode("utf-8")
