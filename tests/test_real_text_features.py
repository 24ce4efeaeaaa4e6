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
