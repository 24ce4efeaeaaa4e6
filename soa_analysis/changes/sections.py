"""Report sections for the change step: "Since the last run" and "Promises followed up".

Each function takes the report's :class:`~soa_analysis.report.ReportData` and returns one
``<section>`` (an ``IPython.display.HTML``), reading the ``changes`` and ``followup_status``
tables and ``changes_meta.json`` that the run's change step wrote to the processed folder;
a council report shows its council's rows only. :func:`change_tables` gives the same tables
for the exports (``tables/changes.csv``, ``tables/followup_status.csv`` and the workbook).
Long lists are cut to ``max_rows`` on the page (the exports hold every row), so pages stay
small whatever the input; every value passes through :func:`~soa_analysis.report.esc`.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from ..io import read_table
from ..report.html import html_table
from ..report.labels import label
from ..report.safe import esc, redact
from ..schema import TABLES
from .compare import CHANGE_COLUMNS
from .followups import FOLLOWUP_COLUMNS, MATCH_THRESHOLD
from .stage import load_changes_meta, wait_for_change_step

__all__ = ["since_last_run", "promises_followed_up", "change_tables", "SECTIONS"]

_VERSION_ITEMS = ("software", "taxonomy", "model", "rubric")
_STATUS = {"reported": "reported on", "overdue": "overdue, no update", "not_yet_due": "not yet due",
           "no_date": "no date given"}


@functools.lru_cache(maxsize=4)
def _table(processed_dir: Path, name: str, stamp: tuple) -> pd.DataFrame:
    """A change table, read once per file version (``stamp``: its mtime and size): every council
    page of a run reads the same one. Callers only narrow it, never change it."""
    return read_table(processed_dir, name)


def _read(data, name: str, columns: list[str]) -> pd.DataFrame | None:
    wait_for_change_step(data.processed_dir)  # a run's change step may be writing it now
    path = data.processed_dir / TABLES[name].filename
    if not path.exists():
        return None
    st = path.stat()
    df = _table(data.processed_dir, name, (st.st_mtime_ns, st.st_size))
    if data.council:
        keep = (df["council"] == data.council)
        if name == "changes":
            keep |= df["item"].isin(_VERSION_ITEMS)
        df = df[keep].reset_index(drop=True)
    return df[columns]


def _section(sid: str, heading: str, lede: str, *parts: str) -> HTML:
    return HTML(f'<section id="{esc(sid)}" class="soa-section"><h2>{esc(heading)}</h2>'
                f'<p class="lede">{esc(lede)}</p>{"".join(parts)}</section>')


def _more(shown: int, total: int, table: str) -> str:
    if total <= shown:
        return ""
    return (f'<p class="note">Showing {shown} of {total}; all are in the exported table {esc(table)} '
            "(CSV, and a sheet of the XLSX workbook).</p>")


def _category(data, taxonomy: str, category: str) -> str:
    tags = data["tags"]
    if "label" in tags.columns and len(tags):
        hit = tags.loc[(tags["taxonomy"] == taxonomy) & (tags["priority"] == category), "label"]
        if len(hit):
            return str(hit.iloc[0])
    return label(category)


def change_tables(data) -> dict[str, pd.DataFrame]:
    """The ``changes`` and ``followup_status`` tables of this report's scope, for the exports.

    Empty frames with their columns when the change step did not run (a report made outside a run).
    """
    changes = _read(data, "changes", CHANGE_COLUMNS)
    follow = _read(data, "followup_status", FOLLOWUP_COLUMNS)
    return {"changes": changes if changes is not None else pd.DataFrame(columns=CHANGE_COLUMNS),
            "followup_status": follow if follow is not None else pd.DataFrame(columns=FOLLOWUP_COLUMNS)}


def since_last_run(data, max_rows: int = 40) -> HTML:
    """What changed since the last good run: submissions, versions, and each submission's tags and grade."""
    meta = load_changes_meta(data.processed_dir)
    heading = "Since the last run"
    if meta is None or meta.get("run_id") != (data.run_id or meta.get("run_id")):
        return _section("since-last-run", heading, "What changed since the last run.",
                        '<p class="missing">No change report: this report was not made by a pipeline run '
                        "(soa-analysis run or report), so it was not compared with an earlier one.</p>")
    if not meta.get("previous_run"):
        note = meta.get("note") or "This is the first run: there is nothing to compare with."
        return _section("since-last-run", heading, "What changed since the last run.",
                        f'<p class="empty">{esc(note)}</p>')
    changes = _read(data, "changes", CHANGE_COLUMNS)
    when = str(meta.get("previous_started") or "")[:10]
    lede = (f"Compared with run {meta['previous_run']}" + (f" of {when}" if when else "")
            + (f", for {data.council}'s submissions" if data.council else "") + ": what was added, changed or "
            "removed, and which tags and grades changed, with the reason for each.")
    if changes is None or changes.empty:
        return _section("since-last-run", heading, lede, '<p class="empty">Nothing changed.</p>')
    subs = changes[changes["item"] == "submission"]
    results = changes[changes["item"].isin(["grade", "tag", "theme"])]
    versions = changes[changes["item"].isin(_VERSION_ITEMS)]
    counts = {k: int((subs["change"] == k).sum()) for k in ("added", "changed", "removed", "moved")}
    figures = (f"<ul class=\"counts\"><li>{counts['added']} submission(s) added, {counts['changed']} changed, "
               f"{counts['removed']} removed" + (f", {counts['moved']} moved" if counts["moved"] else "") + "</li>"
               f"<li>{int((results['item'] == 'grade').sum())} grade(s) changed; "
               f"{int((results['change'] == 'gained').sum())} tag(s) gained and "
               f"{int((results['change'] == 'lost').sum())} lost</li></ul>")
    parts = [figures]
    if len(versions):
        parts.append("<h3>Versions</h3><ul>" + "".join(f"<li>{esc(r)}</li>" for r in versions["reason"]) + "</ul>")
    if len(subs):
        shown = subs.head(max_rows)
        parts.append(html_table(shown.assign(title=shown["title"].map(redact)),
                                "Submissions added, changed or removed",
                                {"change": "Change", "council": "Council", "title": "Submission",
                                 "source": "File", "reason": "Why"}))
        parts.append(_more(len(shown), len(subs), "changes"))
    if len(results):
        shown = results.head(max_rows)
        what = [("evidence grade" if r.item == "grade" else
                 f"{_category(data, r.taxonomy, r.category)} ({'added-value theme' if r.item == 'theme' else label(r.taxonomy)})")
                for r in shown.itertuples()]
        view = shown.assign(what=what, title=shown["title"].map(redact),
                            move=[f"{r.before or '–'} → {r.after or '–'}" if r.item == "grade" else r.change
                                  for r in shown.itertuples()])
        parts.append(html_table(view, "Tags and grades gained, lost or changed, and why",
                                {"council": "Council", "title": "Submission", "what": "Tag or grade",
                                 "move": "Change", "reason": "Why"}))
        parts.append(_more(len(shown), len(results), "changes"))
    return _section("since-last-run", heading, lede, *parts)


def promises_followed_up(data, max_rows: int = 40) -> HTML:
    """Next steps whose due date has passed: reported on by a later submission from the same council, or overdue."""
    heading = "Promises followed up"
    follow = _read(data, "followup_status", FOLLOWUP_COLUMNS)
    meta = load_changes_meta(data.processed_dir) or {}
    if follow is None:
        return _section("promises", heading, "Next steps followed up across submissions.",
                        '<p class="missing">Not available: the follow-up table was not produced (it is made when '
                        "a pipeline run reaches the report stage).</p>")
    as_of = meta.get("as_of") or "the run's date"
    lede = (f"Dated next steps and whether they were kept, on {as_of}: reported on when a later submission from "
            f"the same council has a sentence whose wording matches the next step (TF-IDF cosine of content words "
            f"at least {MATCH_THRESHOLD}), overdue when none does. A match is a pointer for a reader to check, not "
            "proof that the promise was kept.")
    if follow.empty:
        return _section("promises", heading, lede, '<p class="empty">No dated next steps were found.</p>')
    counts = follow["status"].value_counts()
    since = (f"since the last run ({meta['previous_as_of']})" if meta.get("previous_run") and meta.get("previous_as_of")
             else "by now (first run)")
    fell = follow[follow["fell_due_since_last_run"]]
    figures = ("<ul class=\"counts\">" + "".join(f"<li>{int(counts.get(s, 0))} {esc(t)}</li>" for s, t in _STATUS.items())
               + f"<li>{len(fell)} fell due {esc(since)}</li></ul>")
    parts = [figures]
    cols = {"due": "Due", "council": "Council", "what": "Next step", "status_text": "Status", "report": "Reported in"}

    def view(df):
        return df.assign(what=df["what"].map(redact), status_text=df["status"].map(_STATUS),
                         report=[f"{redact(t)} ({d or 'undated'}): {redact(s)}" if r else ""
                                 for r, t, d, s in zip(df["reported_in"], df["reported_title"], df["reported_date"],
                                                       df["reported_sentence"])])

    if len(fell):
        shown = fell.head(max_rows)
        parts.append(html_table(view(shown), f"Next steps that fell due {since}", cols))
        parts.append(_more(len(shown), len(fell), "followup_status"))
    overdue = follow[follow["status"] == "overdue"]
    if len(overdue):
        shown = overdue.head(max_rows)
        parts.append(html_table(view(shown), "Overdue with no update from a later submission",
                                {"due": "Due", "council": "Council", "who": "Who", "what": "Next step"}))
        parts.append(_more(len(shown), len(overdue), "followup_status"))
    reported = follow[follow["status"] == "reported"]
    if len(reported):
        shown = reported.head(max_rows)
        parts.append(html_table(view(shown), "Reported on by a later submission", cols))
        parts.append(_more(len(shown), len(reported), "followup_status"))
    return _section("promises", heading, lede, *parts)


SECTIONS = (since_last_run, promises_followed_up)
