"""Save one gathered real text into the gitignored cache and list it in a gatherer's part file.

Used while gathering the real-text development set (see README.md here). The text is read
from standard input exactly as it should be labelled; nothing of it is written anywhere but
``cache/<gatherer>/<id>.txt``. The part file ``parts/sources_<gatherer>.csv`` gets one row:
address, organisation, date, kind, query, length, sha256 and the split, which is decided by
the address alone (a third go to ``test``), before anyone labels or tunes.

A page already listed in any part is refused: the same address (compared without scheme,
``www.``, fragment or trailing slash), the same text, or a near copy (half of its runs of eight
words found in one cached listed text: the same page on a mirror or under another address). So is
an address carrying an e-mail address (a mail program's link wrapper carries its reader's).

Example::

    python benchmarks/real_text/save_text.py --gatherer ga --url URL --organisation "Fife Council" \\
        --date 2012 --kind news_item --query "..." < text.txt
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the package's contact_details (standard library only, as this script)

from soa_analysis.contact_details import find_emails  # noqa: E402  (what an e-mail address looks like, defined once)

KINDS = ("award_summary", "news_item", "soa_annual_report", "progress_report", "change_fund_return",
         "case_study", "inspection_example", "loip_report", "third_sector_evaluation", "research_summary",
         "other")
FIELDS = ["id", "url", "organisation", "date", "kind", "query", "chars", "sha256", "split"]
EXCLUDED = ("awards.cosla.gov.uk", "cosla.gov.uk/excellence")  # reserved for independent evaluation


def split_for(url: str) -> str:
    """``test`` for about a third of addresses, ``dev`` for the rest (stable, by address)."""
    return "test" if int(hashlib.sha256(url.encode("utf-8")).hexdigest()[:8], 16) % 3 == 0 else "dev"


def page_key(url: str) -> str:
    """An address reduced to the page it names: no scheme, no ``www.``, no fragment, no trailing slash,
    the host in lower case, and a document mirror's download address taken as its page address."""
    u = url.strip().split("#", 1)[0]
    u = re.sub(r"^[a-z][a-z0-9+.-]*://", "", u, flags=re.I)
    host, _, path = u.partition("/")
    host = host.lower().removeprefix("www.")
    path = re.sub(r"^download/", "doc/", path).rstrip("/")
    return f"{host}/{path}" if path else host


SHINGLE = 8  # words per shingle for the near-copy check
NEAR_COPY = 0.5  # share of a new text's shingles found in one listed text that makes it a copy


def shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def near_copy(text: str, listed: list[tuple[str, dict]]) -> tuple[str, float] | None:
    """The listed text (id, share) that holds at least ``NEAR_COPY`` of ``text``'s word shingles, among
    those in the local cache: the same page under another address, or a mirror of it."""
    new = shingles(text)
    if not new:
        return None
    best = None
    for _, r in listed:
        ident = r.get("id", "")
        path = HERE / "cache" / ident.rsplit("-", 1)[0] / f"{ident}.txt"
        if not ident or not path.exists():
            continue
        share = len(new & shingles(path.read_text(encoding="utf-8"))) / len(new)
        if share >= NEAR_COPY and (best is None or share > best[1]):
            best = (ident, share)
    return best


def listed_rows() -> list[tuple[str, dict]]:
    """Every row already listed anywhere: ``sources.csv`` and every gatherer's part file, with its file name.

    A page gathered into one part must not come back in another (a later part is scored once as
    held-out text; the same page in a studied part would leak into it).
    """
    files = [HERE / "sources.csv", *sorted((HERE / "parts").glob("sources_*.csv"))]
    return [(f.name, r) for f in files if f.exists() for r in csv.DictReader(f.open(encoding="utf-8"))]


def email_in(url: str) -> str:
    """The first e-mail address in ``url`` (after percent-decoding, twice for a wrapped address), or ``""``: a mail
    program's link wrapper carries its reader's, and a page address can carry a person's before its host, and the
    address would go into sources.csv."""
    from urllib.parse import unquote

    return next(iter(find_emails(unquote(unquote(url)))), "")


def date_ok(text: str) -> bool:
    """A year (``2012``), a year and month (``2012-03``) or a calendar date (``2012-03-31``), of 1900 to 2099: the
    forms ``GATHERING.md`` gives for the date field."""
    if re.fullmatch(r"(?:19|20)\d{2}(?:-(?:0[1-9]|1[0-2]))?", text):
        return True
    try:
        return (re.fullmatch(r"(?:19|20)\d{2}-\d{2}-\d{2}", text) is not None
                and bool(datetime.date.fromisoformat(text)))
    except ValueError:
        return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gatherer", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--organisation", required=True)
    ap.add_argument("--date", default="")
    ap.add_argument("--kind", required=True, choices=KINDS)
    ap.add_argument("--query", default="")
    ap.add_argument("--split", default="", help="put the text in this part instead of the address-hash split "
                                                "(e.g. test2 for a later, separately gathered test part)")
    a = ap.parse_args(argv)
    if a.date and not date_ok(a.date):
        print(f"refused: --date {a.date!r} is not a year (YYYY), a month (YYYY-MM) or a date (YYYY-MM-DD); give "
              "what the page shows in one of those forms, or --date '' when it shows none", file=sys.stderr)
        return 2
    if any(x in a.url for x in EXCLUDED):
        print("refused: that site is reserved for the independent evaluation", file=sys.stderr)
        return 2
    if email_in(a.url):
        print("refused: the address carries an e-mail address (a person's contact detail, which would go into "
              "sources.csv); list the page under its plain address (for a mail program's link wrapper, the address "
              "it wraps), as the search tool gives it", file=sys.stderr)
        return 2
    text = sys.stdin.read().strip() + "\n"
    if len(text) < 200:
        print(f"refused: only {len(text)} characters", file=sys.stderr)
        return 2
    part = HERE / "parts" / f"sources_{a.gatherer}.csv"
    rows = list(csv.DictReader(part.open(encoding="utf-8"))) if part.exists() else []
    listed = listed_rows()
    key = page_key(a.url)
    where = next((origin for origin, r in listed if page_key(r.get("url") or "") == key), None)
    if where or any(page_key(r["url"]) == key for r in rows):
        print(f"refused: {a.url} is already listed ({where or part.name})", file=sys.stderr)
        return 2
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    where = next((origin for origin, r in listed if r.get("sha256") == digest), None)
    if where or any(r["sha256"] == digest for r in rows):
        print(f"refused: the same text is already listed ({where or part.name})", file=sys.stderr)
        return 2
    copy = near_copy(text, listed)  # every part file, this gatherer's own among them
    if copy:
        print(f"refused: {copy[1]:.0%} of this text's word runs are in {copy[0]} (the same page elsewhere?)",
              file=sys.stderr)
        return 2
    ident = f"{a.gatherer}-{len(rows) + 1:03d}"
    out = HERE / "cache" / a.gatherer / f"{ident}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    rows.append({"id": ident, "url": a.url, "organisation": a.organisation, "date": a.date, "kind": a.kind,
                 "query": a.query, "chars": len(text), "sha256": digest, "split": a.split or split_for(a.url)})
    part.parent.mkdir(parents=True, exist_ok=True)
    with part.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    print(f"saved {ident}: {len(text)} chars, split {rows[-1]['split']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
