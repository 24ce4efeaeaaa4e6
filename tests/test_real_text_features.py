"""build_features keeps the stored features of a listed text missing from a partly restored cache.

All ids, hashes and labels here are FICTIONAL.
"""

from __future__ import annotations

import json

from scripts import load_script


def _load():
    mod = load_script("benchmarks/real_text/build_features.py")
    return mod


def test_a_text_missing_from_the_cache_keeps_its_stored_document_only_when_it_still_holds(tmp_path):
    mod = _load()
    taxonomy, cats = {"name": "priorities", "sha256": "f" * 64}, ["early_years", "employment"]
    docs = [{"id": f"zz-{i}", "sha256": f"{i}" * 64, "labels": ["early_years"], "features": {"stem": i}}
            for i in range(1, 5)]
    target = tmp_path / "features.json"
    target.write_text(json.dumps({"taxonomy": taxonomy, "categories": cats, "documents": docs}), encoding="utf-8")
    rows = [{"id": "zz-1", "sha256": "1" * 64, "priorities": "early_years"},   # missing: kept
            {"id": "zz-2", "sha256": "2" * 64, "priorities": "early_years"},   # in the cache: computed again
            {"id": "zz-3", "sha256": "9" * 64, "priorities": "early_years"},   # listed text changed: dropped
            {"id": "zz-4", "sha256": "4" * 64, "priorities": "employment"},    # labels changed: dropped
            {"id": "zz-5", "sha256": "5" * 64, "priorities": ""}]              # never stored
    kept = mod.stored_documents(target, rows, {"zz-2"}, taxonomy, cats)
    assert list(kept) == ["zz-1"] and kept["zz-1"]["features"] == {"stem": 1}
    # another taxonomy or category list: nothing stored holds
    assert mod.stored_documents(target, rows, set(), {"name": "priorities", "sha256": "e" * 64}, cats) == {}
    assert mod.stored_documents(target, rows, set(), taxonomy, cats[::-1]) == {}
    assert mod.stored_documents(tmp_path / "absent.json", rows, set(), taxonomy, cats) == {}


def test_a_copy_that_matches_only_once_whitespace_is_folded_keeps_the_stored_document(tmp_path):
    import hashlib

    mod = _load()
    taxonomy, cats = {"name": "priorities", "sha256": "f" * 64}, ["early_years"]
    exact, listed = "Fictional: one. Two.\n", "Fictional: one.\nTwo.\n"  # the cache holds the first; the list the second
    rows = [{"id": "zz-1", "sha256": hashlib.sha256(listed.encode()).hexdigest(), "priorities": "early_years"},
            {"id": "zz-2", "sha256": hashlib.sha256(exact.encode()).hexdigest(), "priorities": "early_years"}]
    for r in rows:
        r |= {"url": "", "norm_sha256": hashlib.sha256(" ".join(exact.split()).encode()).hexdigest()}
    cache = tmp_path / "cache" / "zz"
    cache.mkdir(parents=True)
    for ident in ("zz-1", "zz-2"):
        (cache / f"{ident}.txt").write_bytes(exact.encode())
    matched: set = set()
    texts, problems = mod.rt.find_texts(rows, tmp_path / "cache", exact=matched)
    assert sorted(texts) == ["zz-1", "zz-2"] and not problems  # both accepted; only one byte for byte
    assert matched == {"zz-2"}
    docs = [{"id": r["id"], "sha256": r["sha256"], "labels": ["early_years"], "features": {"n": 1}} for r in rows]
    target = tmp_path / "features.json"
    target.write_text(json.dumps({"taxonomy": taxonomy, "categories": cats, "documents": docs}), encoding="utf-8")
    # the stored document of the text split otherwise is kept; the exact copy is computed again
    assert list(mod.stored_documents(target, rows, matched, taxonomy, cats)) == ["zz-1"]


def test_left_out_texts_are_named_listed_and_of_the_short_parts():
    mod = _load()
    import csv

    with (mod.HERE / "sources.csv").open(encoding="utf-8", newline="") as fh:
        split = {r["id"]: r["split"] for r in csv.DictReader(fh)}
    assert mod.LEFT_OUT and all(split.get(i) in mod.SHORT_PARTS for i in mod.LEFT_OUT)
    from soa_analysis.labelled import real_features_bytes

    stored = {d["id"] for d in json.loads(real_features_bytes())["documents"]}
    assert not mod.LEFT_OUT & stored
