"""Compare two runs' snapshots: what changed, and why.

:func:`compare_snapshots` returns one row per change (the ``changes`` table, contract in
:mod:`soa_analysis.schema`):

- ``item="submission"``: a submission ``added``, ``changed`` (its narrative's SHA-256
  differs), ``removed`` or ``moved`` (the same narrative under another file name), with the
  reason read from the files' hashes and ingest statuses (new file, file edited, file now
  quarantined and why, now a duplicate ...);
- ``item="tag"`` (a taxonomy's category; ``taxonomy`` says which), ``"theme"`` (an
  added-value theme) and ``"grade"``: ``gained``, ``lost`` or ``changed`` for a submission
  present in both runs, with the reason: its text changed, or the taxonomy, rubric, model or
  software that made the result changed, named with both versions;
- ``item`` ``"taxonomy"``, ``"rubric"``, ``"model"`` or ``"software"``: a version that
  changed between the runs (``before`` and ``after`` hold the versions).

Submissions are matched on their raw file and part (:func:`.snapshot.submission_key`), not
on their id, which changes with the content.
"""

from __future__ import annotations

import pandas as pd

from ..schema import TABLES
from .snapshot import THEMES

__all__ = ["CHANGE_COLUMNS", "compare_snapshots", "summarise", "summary_line", "version_changes"]

CHANGE_COLUMNS = TABLES["changes"].column_names  # the contract in soa_analysis/schema.py
_ORDER = {"software": 0, "taxonomy": 1, "model": 2, "rubric": 3, "submission": 4, "grade": 5, "tag": 6, "theme": 7}


def _short(h: str) -> str:
    return (h or "")[:8]


def _version_text(name: str, old: dict | None, new: dict | None, what: str) -> tuple[str, str, str] | None:
    """(before, after, reason) when ``old`` and ``new`` differ, else None."""
    old, new = old or {}, new or {}
    if not old and not new:
        return None
    if not old:
        return "", new.get("version", ""), f"{what} {name} not used in the previous run"
    if not new:
        return old.get("version", ""), "", f"{what} {name} not used in this run"
    ov, nv = old.get("version", ""), new.get("version", "")
    if ov != nv:
        return ov, nv, f"{what} {name} {ov or '?'} → {nv or '?'}"
    osha, nsha = old.get("sha256", ""), new.get("sha256", "")
    if osha and nsha and osha != nsha:
        return (f"{ov} ({_short(osha)})", f"{nv} ({_short(nsha)})",
                f"{what} {name} edited (version {nv or '?'} unchanged, content {_short(osha)} → {_short(nsha)})")
    return None


def version_changes(prev: dict, cur: dict) -> dict[tuple[str, str], tuple[str, str, str]]:
    """Every version that differs between two snapshots: ``(item, name) -> (before, after, reason)``."""
    pv, cv = prev.get("versions") or {}, cur.get("versions") or {}
    out: dict[tuple[str, str], tuple[str, str, str]] = {}
    ps, cs = (pv.get("software") or {}).get("soa-analysis", ""), (cv.get("software") or {}).get("soa-analysis", "")
    if ps and cs and ps != cs:
        out[("software", "soa-analysis")] = (ps, cs, f"soa-analysis {ps} → {cs}")
    ptax, ctax = pv.get("taxonomies") or {}, cv.get("taxonomies") or {}
    for name in sorted(set(ptax) | set(ctax)):
        what = "added-value taxonomy" if name == THEMES else "taxonomy"
        hit = _version_text(name, ptax.get(name), ctax.get(name), what)
        if hit:
            out[("taxonomy", name)] = hit
    pm, cm = pv.get("models") or {}, cv.get("models") or {}
    for name in sorted(set(pm) & set(cm)):
        of, nf = pm[name].get("fingerprint", ""), cm[name].get("fingerprint", "")
        if of and nf and of != nf:
            why = ("training labels changed" if pm[name].get("labels_sha256") != cm[name].get("labels_sha256")
                   else "training data or settings changed")
            out[("model", name)] = (_short(of), _short(nf), f"{name} model retrained ({why}: {_short(of)} → {_short(nf)})")
    name = (cv.get("rubric") or pv.get("rubric") or {}).get("name") or "rubric"
    hit = _version_text(name, pv.get("rubric"), cv.get("rubric"), "rubric")
    if hit:
        out[("rubric", name)] = hit
    return out


def _file_reasons(prev: dict, cur: dict) -> tuple[dict, dict]:
    pf = {f["file"]: f for f in prev.get("files") or []}
    cf = {f["file"]: f for f in cur.get("files") or []}
    return pf, cf


def _raw_file(source_file: str) -> str:
    return source_file.split("!", 1)[0]  # an e-mail attachment's raw file is the e-mail


def _why_removed(source_file: str, pf: dict, cf: dict) -> str:
    f = cf.get(_raw_file(source_file))
    if f is None:
        return "file no longer in the raw folder"
    if f["status"] == "quarantined":
        return f"file now quarantined: {f['reason']}"
    if f["status"] == "duplicate":
        return f"file is now a duplicate ({f['reason']})" if f["reason"] else "file is now a duplicate"
    old = pf.get(_raw_file(source_file))
    if old and old["sha256"] != f["sha256"]:
        return "file edited: this part of it is no longer found"
    return "no longer read from the file"


def _why_added(source_file: str, pf: dict, cf: dict) -> str:
    old = pf.get(_raw_file(source_file))
    if old is None:
        return "new file"
    if old["status"] == "quarantined":
        return f"file was quarantined in the previous run ({old['reason']})" if old["reason"] else \
            "file was quarantined in the previous run"
    if old["status"] == "duplicate":
        return "file was a duplicate in the previous run"
    new = cf.get(_raw_file(source_file))
    if new and new["sha256"] != old["sha256"]:
        return "file edited: a new part of it was read"
    return "newly read from the file"


def _row(change, item, sub, *, taxonomy="", category="", before="", after="", reason="", prev_id="") -> dict:
    return {"change": change, "item": item, "submission_id": sub.get("submission_id", "") if sub else "",
            "council": sub.get("council", "") if sub else "", "title": sub.get("title", "") if sub else "",
            "source": sub.get("key", "") if sub else "", "taxonomy": taxonomy, "category": category,
            "before": before, "after": after, "reason": reason, "previous_submission_id": prev_id}


def _causes(item: str, taxonomy: str, text_changed: bool, versions: dict) -> str:
    reasons = ["text changed"] if text_changed else []
    for (kind, name), (_, _, why) in sorted(versions.items(), key=lambda kv: kv[0][0] == "software"):
        if (kind == "rubric" and item == "grade") or kind == "software" or \
                (kind in ("taxonomy", "model") and name == taxonomy and item != "grade"):
            reasons.append(why)
    return "; ".join(reasons) or "no recorded cause (same text, versions and software)"


def _result_rows(old: dict, new: dict, versions: dict, taxonomies: list[str]) -> list[dict]:
    rows = []
    text_changed = old["text_sha256"] != new["text_sha256"]
    prev_id = old["submission_id"] if old["submission_id"] != new["submission_id"] else ""
    if old.get("grade", "") != new.get("grade", "") and (old.get("grade") or new.get("grade")):
        rows.append(_row("changed", "grade", new, before=old.get("grade", ""), after=new.get("grade", ""),
                         reason=_causes("grade", "", text_changed, versions), prev_id=prev_id))
    for tax in taxonomies:
        before = set((old.get("tags") or {}).get(tax) or [])
        after = set((new.get("tags") or {}).get(tax) or [])
        item = "theme" if tax == THEMES else "tag"
        for cat in sorted(after - before):
            rows.append(_row("gained", item, new, taxonomy=tax, category=cat, after=cat,
                             reason=_causes(item, tax, text_changed, versions), prev_id=prev_id))
        for cat in sorted(before - after):
            rows.append(_row("lost", item, new, taxonomy=tax, category=cat, before=cat,
                             reason=_causes(item, tax, text_changed, versions), prev_id=prev_id))
    return rows


def compare_snapshots(prev: dict | None, cur: dict) -> pd.DataFrame:
    """The changes between two runs (see the module docstring); empty when ``prev`` is None.

    Parameters
    ----------
    prev : dict or None
        The earlier run's snapshot (:func:`.snapshot.load_snapshot`).
    cur : dict
        This run's snapshot (:func:`.snapshot.build_snapshot`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CHANGE_COLUMNS`, ordered: version changes, then submissions, then
        grades, tags and themes, each by council and source.
    """
    if prev is None:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    versions = version_changes(prev, cur)
    rows = [{**_row("changed", item, None, before=b, after=a, reason=why), "category": name}
            for (item, name), (b, a, why) in versions.items()]
    pf, cf = _file_reasons(prev, cur)
    old = {s["key"]: s for s in prev.get("submissions") or []}
    new = {s["key"]: s for s in cur.get("submissions") or []}
    gone = [k for k in old if k not in new]
    came = [k for k in new if k not in old]
    # The same narrative under another name: a moved or renamed file, not a removal and an addition.
    by_hash = {}
    for k in gone:
        by_hash.setdefault(old[k]["text_sha256"], []).append(k)
    pairs = {}
    for k in came:
        cands = by_hash.get(new[k]["text_sha256"])
        if cands:
            pairs[k] = cands.pop(0)
    taxonomies = sorted(set(prev.get("taxonomies_used") or []) | set(cur.get("taxonomies_used") or []))
    for k in came:
        if k in pairs:
            o = old[pairs[k]]
            rows.append(_row("moved", "submission", new[k], before=o["key"], after=k,
                             reason=f"same text, now read from {k} (was {o['key']})",
                             prev_id=o["submission_id"] if o["submission_id"] != new[k]["submission_id"] else ""))
            rows += _result_rows(o, new[k], versions, taxonomies)
        else:
            rows.append(_row("added", "submission", new[k], after=_short(new[k]["text_sha256"]),
                             reason=_why_added(new[k]["source_file"], pf, cf)))
    moved_from = set(pairs.values())
    for k in gone:
        if k not in moved_from:
            rows.append(_row("removed", "submission", old[k], before=_short(old[k]["text_sha256"]),
                             reason=_why_removed(old[k]["source_file"], pf, cf)))
    for k in new:
        if k not in old:
            continue
        o, n = old[k], new[k]
        if o["text_sha256"] != n["text_sha256"]:
            f_old, f_new = pf.get(_raw_file(n["source_file"])), cf.get(_raw_file(n["source_file"]))
            edited = f_old and f_new and f_old["sha256"] != f_new["sha256"]
            rows.append(_row("changed", "submission", n, before=_short(o["text_sha256"]),
                             after=_short(n["text_sha256"]),
                             reason="text changed (file edited)" if edited else "text changed (read differently)",
                             prev_id=o["submission_id"] if o["submission_id"] != n["submission_id"] else ""))
        rows += _result_rows(o, n, versions, taxonomies)
    df = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    if df.empty:
        return df
    df = df.fillna("").astype(str)
    df["_o"] = df["item"].map(_ORDER).fillna(9)
    return df.sort_values(["_o", "council", "source", "change", "taxonomy", "category"], kind="stable") \
        .drop(columns="_o").reset_index(drop=True)


def summarise(changes: pd.DataFrame) -> dict:
    """Counts of the changes by kind, for the CLI line, the manifest and the report."""
    subs = changes[changes["item"] == "submission"]
    results = changes[changes["item"].isin(["tag", "theme", "grade"])]
    return {
        "submissions_added": int((subs["change"] == "added").sum()),
        "submissions_changed": int((subs["change"] == "changed").sum()),
        "submissions_removed": int((subs["change"] == "removed").sum()),
        "submissions_moved": int((subs["change"] == "moved").sum()),
        "tags_gained": int(((results["item"] != "grade") & (results["change"] == "gained")).sum()),
        "tags_lost": int(((results["item"] != "grade") & (results["change"] == "lost")).sum()),
        "grades_changed": int((results["item"] == "grade").sum()),
        "versions_changed": int(changes["item"].isin(["software", "taxonomy", "model", "rubric"]).sum()),
    }


def summary_line(counts: dict | None, previous: str = "") -> str:
    """One line for the CLI: what changed since ``previous`` (or that there is nothing to compare with).

    Example
    -------
    >>> summary_line(None)
    'changes: first run, nothing to compare with'
    """
    if counts is None or not previous:
        return "changes: first run, nothing to compare with"
    parts = [f"{counts['submissions_added']} added", f"{counts['submissions_changed']} changed",
             f"{counts['submissions_removed']} removed"]
    if counts.get("submissions_moved"):
        parts.append(f"{counts['submissions_moved']} moved")
    tail = (f"; tags +{counts['tags_gained']} -{counts['tags_lost']}, {counts['grades_changed']} grade(s) changed")
    if counts.get("versions_changed"):
        tail += f", {counts['versions_changed']} version change(s)"
    return f"changes since run {previous}: submissions {', '.join(parts)}{tail}"
