"""Provenance: every file the report does not rest on in full, and why.

From the ingest log, each file that was cut (text beyond the per-submission limit dropped),
quarantined (could not be read), skipped (hidden and system files, lock files, symbolic
links, special files: never read by design) or a duplicate of another. The page shows the
reasons with their counts and the first :data:`LISTED` files, so it stays small whatever
the input (5,000 junk files make one line of the summary); the full list is exported with
the report's tables as ``files_not_read``.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["LISTED", "files_not_read", "reasons_summary"]

LISTED = 100  # files listed one by one on the page; the export lists them all
_SKIPPED = ("hidden/system file", "symbolic link", "broken symbolic link", "not a regular file")
_NUMBER = re.compile(r"\d[\d,.]*")
COLUMNS = ["file", "what", "reason"]


def files_not_read(log: pd.DataFrame) -> pd.DataFrame:
    """Files not read in full, from the ingest log: columns file, what (cut, quarantined, skipped,
    duplicate) and reason, cut files first, then by what and file name.

    Example
    -------
    >>> log = pd.DataFrame({"source_file": ["a.txt", "~$b.docx", "c.txt"], "status": ["ingested", "quarantined",
    ...                     "ingested"], "reason": ["", "hidden/system file", ""], "cut": ["", "", "text cut ..."]})
    >>> files_not_read(log).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'file': 'c.txt', 'what': 'cut', 'reason': 'text cut ...'},
     {'file': '~$b.docx', 'what': 'skipped', 'reason': 'hidden/system file'}]
    """
    if log is None or not len(log):
        return pd.DataFrame(columns=COLUMNS)
    cut = log["cut"].fillna("").astype(str) if "cut" in log.columns else pd.Series("", index=log.index)
    status = log["status"].astype(str)
    reason = log["reason"].fillna("").astype(str)
    what = pd.Series("", index=log.index, dtype=object)
    what[status == "duplicate"] = "duplicate"
    what[status == "quarantined"] = "quarantined"
    what[(status == "quarantined") & reason.str.startswith(_SKIPPED)] = "skipped"
    what[(status == "ingested") & (cut != "")] = "cut"
    out = pd.DataFrame({"file": log["source_file"].astype(str), "what": what,
                        "reason": reason.where(what != "cut", cut)})
    out = out[out["what"] != ""]
    order = {"cut": 0, "quarantined": 1, "skipped": 2, "duplicate": 3}
    return (out.assign(_o=out["what"].map(order)).sort_values(["_o", "file"], kind="stable")
            .drop(columns="_o").reset_index(drop=True))


def reasons_summary(listing: pd.DataFrame) -> pd.DataFrame:
    """The listing by kind of reason (figures in a reason do not split it): what, reason, files, example.

    Example
    -------
    >>> listing = pd.DataFrame({"file": ["1.txt", "2.txt"], "what": ["quarantined"] * 2,
    ...                         "reason": ["no narrative text: 1 word(s)", "no narrative text: 2 word(s)"]})
    >>> reasons_summary(listing).to_dict("records")
    [{'what': 'quarantined', 'reason': 'no narrative text: 1 word(s)', 'files': 2, 'example': '1.txt'}]
    """
    if not len(listing):
        return pd.DataFrame(columns=["what", "reason", "files", "example"])
    key = listing["what"] + "|" + listing["reason"].str.replace(_NUMBER, "#", regex=True)
    groups = listing.assign(_k=key).groupby("_k", sort=False)
    out = groups.agg(what=("what", "first"), reason=("reason", "first"), files=("file", "size"),
                     example=("file", "first")).reset_index(drop=True)
    return out.sort_values(["files", "what"], ascending=[False, True], kind="stable").reset_index(drop=True)
