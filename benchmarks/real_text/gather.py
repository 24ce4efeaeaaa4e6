"""Gather the real-text set again into the gitignored cache, from the addresses in sources.csv.

The repository keeps no text of these pages, only their addresses, lengths and hashes. Each
labelled text is a contiguous stretch of the opening of its page as published. This script
downloads each page, extracts its visible text (BeautifulSoup), folds white space, and looks
for the stretch whose whitespace-normalised sha256 equals ``norm_sha256``; when it is found the
stretch is saved as ``cache/live/<id>.txt`` and ``benchmarks/real_text.py`` accepts it. Pages
that have changed or gone are named, not guessed at.

Usage (needs network access; the workbench itself never does)::

    .venv/bin/python benchmarks/real_text/gather.py [--only ID ...] [--timeout 20]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import urllib.request
from pathlib import Path

from bs4 import BeautifulSoup

sys.path.insert(0, str(Path(__file__).resolve().parent))
from merge_parts import normalise  # noqa: E402

HERE = Path(__file__).resolve().parent


def find_stretch(page_text: str, length: int, digest: str) -> str | None:
    """The ``length``-character stretch of the normalised page whose sha256 is ``digest``.

    Only stretches starting at a word are tried.

    Example
    -------
    >>> import hashlib
    >>> d = hashlib.sha256(b"b c").hexdigest()
    >>> find_stretch("a  b\\nc d", 3, d)
    'b c'
    """
    norm = normalise(page_text)
    for start in range(0, max(0, len(norm) - length) + 1):
        if start and norm[start - 1] != " ":
            continue
        piece = norm[start:start + length]
        if hashlib.sha256(piece.encode("utf-8")).hexdigest() == digest:
            return piece
    return None


def page_text(url: str, timeout: float) -> str:
    req = urllib.request.Request(url, headers={"User-Agent": "soa-analysis real-text gatherer"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (addresses from sources.csv)
        raw = resp.read()
    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    return soup.get_text("\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None, help="ids to gather (default: all)")
    ap.add_argument("--timeout", type=float, default=20.0)
    a = ap.parse_args(argv)
    rows = list(csv.DictReader((HERE / "sources.csv").open(encoding="utf-8")))
    out = HERE / "cache" / "live"
    out.mkdir(parents=True, exist_ok=True)
    found = 0
    for r in rows:
        if a.only and r["id"] not in a.only:
            continue
        try:
            text = page_text(r["url"], a.timeout)
        except Exception as exc:  # a page that is gone or refuses us is reported, not fatal
            print(f"{r['id']}: could not fetch ({type(exc).__name__}: {exc})")
            continue
        piece = find_stretch(text, int(r["norm_chars"]), r["norm_sha256"])
        if piece is None:
            print(f"{r['id']}: the page has changed; the labelled stretch was not found")
            continue
        (out / f"{r['id']}.txt").write_text(piece, encoding="utf-8")
        found += 1
    print(f"{found} texts gathered into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
