"""Put a listed real text back into the gitignored cache from a longer copy of its page.

The cache (``cache/<gatherer>/<id>.txt``) is not in the repository, so a fresh machine has
none of the texts ``sources.csv`` lists. ``gather.py`` fetches them again where the network
is open. Where it is not, but a stored copy of the page can be read (a search tool's excerpt
of the page's start, a saved page), this script finds the labelled text inside that copy:
the listed text is a stretch of the page's text from one line's start, stripped, with one
newline after it, and ``sources.csv`` holds its length and sha256 (and the sha256 of its
whitespace-normalised form). Every stretch of the right length is hashed; only an exact
match is saved, so nothing that was not labelled ever reaches the cache.

Read from standard input: the page's text, either as it is or as one JSON string (the form
a tool's JSON answer shows it in; ``\\n`` and other escapes are decoded).

    python benchmarks/real_text/restore_text.py --url URL < page.txt      # restore one text
    python benchmarks/real_text/restore_text.py --todo                     # what is missing, by query
    python benchmarks/real_text/restore_text.py --todo --share 2/6         # one of six shares of it
    python benchmarks/real_text/restore_text.py --todo --parts test15,test16   # only these parts

Each search look-up answers one query and restores the two to four texts found under it: restoring the
whole set costs more look-ups than one session of the search tool may have, so restore the parts a
session needs first (``--parts``).

Exit status: 0 when the text was restored (or already cached), 1 when no stretch of the
copy matches (the copy differs, or the page changed), 2 for an unknown address.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load_rows(sources: Path) -> list[dict]:
    with sources.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def cached_ids(cache: Path) -> dict[str, Path]:
    return {p.stem: p for p in cache.rglob("*.txt")} if cache.exists() else {}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _starts(page: str) -> list[int]:
    """Where a stretch may begin: the page's start, each word after white space, a capital glued on."""
    out = [0]
    for i in range(1, len(page)):
        if page[i - 1].isspace() and not page[i].isspace():
            out.append(i)
        elif page[i].isupper() and not page[i - 1].isupper() and not page[i - 1].isspace():
            out.append(i)  # a word glued to the one before it ("nursery3Title"), a join of two elements
    return out


def find_text(page: str, row: dict) -> str | None:
    """The stretch of ``page`` that is the listed text of ``row``, or None.

    The listed text is ``page[s:e].strip() + "\\n"`` for some ``s`` and ``e``; its length
    (``chars``) fixes ``e`` for each ``s`` up to surrounding whitespace. A stretch whose
    whitespace-normalised form matches ``norm_sha256`` is accepted too (its line breaks are
    then the page's own), as ``real_text.py`` accepts it.
    """
    n = int(row.get("chars") or 0)
    want = row.get("sha256", "")
    for s in _starts(page):
        body = page[s:].lstrip()
        if len(body) + 1 < n:
            break
        text = body[: n - 1].rstrip() + "\n"
        if len(text) == n and _sha(text) == want:
            return text
    want_norm, n_norm = row.get("norm_sha256", ""), int(row.get("norm_chars") or 0)
    if not want_norm or not n_norm:
        return None
    tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+", page)]
    for i in range(len(tokens)):
        length = -1
        for j in range(i, len(tokens)):
            length += 1 + tokens[j][1] - tokens[j][0]
            if length >= n_norm:
                break
        if length != n_norm:
            continue
        stretch = page[tokens[i][0]:tokens[j][1]]
        if _sha(" ".join(stretch.split())) == want_norm:
            return stretch + "\n"
    return None


def decode(raw: str) -> str:
    """The page's text: a JSON string is decoded, anything else is taken as it is."""
    stripped = raw.strip()
    if stripped.startswith('"') and stripped.endswith('"'):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError:
            return raw
        if isinstance(value, str):
            return value
    return raw


def save(cache: Path, row: dict, text: str) -> Path:
    gatherer = row["id"].rsplit("-", 1)[0]
    out = cache / gatherer / f"{row['id']}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".restore-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(text.encode("utf-8"))
    os.replace(tmp, out)
    return out


def todo(rows: list[dict], cached: dict, share: str = "", parts: frozenset = frozenset()) -> list[tuple[str, list[dict]]]:
    """Missing texts grouped by the query that found them, optionally one share ``k/n`` of the queries,
    optionally only the texts of ``parts`` (the split column)."""
    by_query: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if not parts or r["split"] in parts:
            by_query[r["query"]].append(r)
    groups = sorted(by_query.items(), key=lambda kv: kv[1][0]["id"])
    if share:  # shares of every listed query, so a share does not change as texts come back
        k, n = (int(x) for x in share.split("/"))
        groups = [g for i, g in enumerate(groups) if i % n == k - 1]
    groups = [(q, [r for r in g if r["id"] not in cached]) for q, g in groups]
    return [(q, g) for q, g in groups if g]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="the listed address whose text the page on standard input holds")
    ap.add_argument("--todo", action="store_true", help="list the texts missing from the cache, by query")
    ap.add_argument("--share", default="", help="with --todo: k/n, the k-th of n shares of the queries")
    ap.add_argument("--parts", default="", help="with --todo: only the texts of these parts (comma-separated "
                    "split names, e.g. test15,test16)")
    ap.add_argument("--sources", type=Path, default=HERE / "sources.csv")
    ap.add_argument("--cache", type=Path, default=HERE / "cache")
    a = ap.parse_args(argv)
    rows = load_rows(a.sources)
    cached = cached_ids(a.cache)
    if a.todo:
        parts = frozenset(p.strip() for p in a.parts.split(",") if p.strip())
        unknown = parts - {r["split"] for r in rows}
        if unknown:
            ap.error(f"no such part in {a.sources.name}: {', '.join(sorted(unknown))}")
        groups = todo(rows, cached, a.share, parts)
        missing = sum(len(g) for _, g in groups)
        for query, group in groups:
            print(f"query: {query}")
            for r in group:
                print(f"    {r['id']}  {r['url']}")
        listed = [r for r in rows if not parts or r["split"] in parts]
        listed_cached = sum(1 for r in listed if r["id"] in cached)
        print(f"{missing} texts missing under {len(groups)} queries "
              f"({listed_cached} of {len(listed)} listed cached)")
        return 0
    if not a.url:
        ap.error("give --url (or --todo)")
    row = next((r for r in rows if r["url"] == a.url), None)
    if row is None:
        print(f"not listed: {a.url}", file=sys.stderr)
        return 2
    if row["id"] in cached:
        print(f"already cached: {row['id']}")
        return 0
    page = decode(sys.stdin.read())
    text = find_text(page, row)
    if text is None:
        print(f"no match for {row['id']}: the copy has {len(page)} characters, the labelled text "
              f"{row['chars']}; no stretch of that length has its sha256", file=sys.stderr)
        return 1
    out = save(a.cache, row, text)
    print(f"restored {row['id']} ({len(text)} chars) -> {out.relative_to(a.cache.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
