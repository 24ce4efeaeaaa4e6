"""Merge the gatherers' part files into ``sources.csv`` (run once, after gathering).

Drops a row whose page (``save_text.page_key``: the address without scheme, ``www.``, fragment or
trailing slash, a mirror's download address as its page address) or text another row already has, adds the whitespace-normalised
length and sha256 (``norm_chars``, ``norm_sha256``: what ``gather.py --live`` checks a page
against) and keeps any label columns already in ``sources.csv``. A row already listed in
``sources.csv`` whose text is not in this machine's cache keeps the lengths and hashes measured
when it was gathered (the cache is not kept between machines). Prints what it dropped.

``--leave-out SPLIT`` (repeatable) merges without the rows of a part that is still being gathered: a row of
that split that ``sources.csv`` does not list yet stays in its part file only, to be merged once the part is
complete (a row already listed is kept as usual).

Usage::

    python3 benchmarks/real_text/merge_parts.py
    python3 benchmarks/real_text/merge_parts.py --leave-out test70
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from save_text import page_key  # noqa: E402  (one notion of "the same page" for gathering and merging)

BASE = ["id", "url", "organisation", "date", "kind", "query", "chars", "sha256", "split", "norm_chars", "norm_sha256"]
LABELS = ["priorities", "grade", "rationale"]


def normalise(text: str) -> str:
    """Whitespace runs folded to one space, ends stripped: the form compared with a live page."""
    return re.sub(r"\s+", " ", text).strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leave-out", action="append", default=[], metavar="SPLIT",
                    help="leave out the rows of this part not listed yet (a part still being gathered); repeatable")
    args = ap.parse_args(argv)
    left_out = set(args.leave_out)
    old = {}
    target = HERE / "sources.csv"
    if target.exists():
        old = {r["id"]: r for r in csv.DictReader(target.open(encoding="utf-8"))}
    rows, seen_url, seen_hash = [], set(), set()
    for part in sorted((HERE / "parts").glob("sources_*.csv")):
        for r in csv.DictReader(part.open(encoding="utf-8")):
            if r["split"] in left_out and r["id"] not in old:
                print(f"left out {r['id']}: part {r['split']} is still being gathered")
                continue
            url_key = page_key(r["url"])
            if url_key in seen_url or r["sha256"] in seen_hash:
                print(f"dropped {r['id']}: same address or text as an earlier row")
                continue
            path = next((HERE / "cache").rglob(f"{r['id']}.txt"), None)
            listed = old.get(r["id"])
            if path is None and not (listed and listed.get("norm_sha256")):
                print(f"dropped {r['id']}: not in the cache")
                continue
            seen_url.add(url_key)
            seen_hash.add(r["sha256"])
            if path is None:
                # listed before and its text not gathered again here: keep what was measured then
                r["norm_chars"], r["norm_sha256"] = listed["norm_chars"], listed["norm_sha256"]
            else:
                norm = normalise(path.read_text(encoding="utf-8"))
                r["norm_chars"] = len(norm)
                r["norm_sha256"] = hashlib.sha256(norm.encode("utf-8")).hexdigest()
            for k in LABELS:
                r[k] = old.get(r["id"], {}).get(k, "")
            rows.append(r)
    with target.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=BASE + LABELS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    from collections import Counter

    parts = ", ".join(f"{n} {k}" for k, n in sorted(Counter(r["split"] for r in rows).items()))
    print(f"{len(rows)} texts: {parts} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
