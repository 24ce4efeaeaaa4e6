"""Where a report comes from and how far to trust it: the provenance and methodology sections.

Provenance names the run, the data and the software; methodology prints the taxonomy and
rubric versions, how far to trust the tags and grades in plain words (the packaged accuracy
record, :func:`soa_analysis.accuracy.plain_sentences`: the figures ``soa-analysis evaluate``
prints), the ingest stage's file counts, and the caveats a reader should keep in mind.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from IPython.display import HTML

from ..accuracy import plain_sentences
from ..manifest import package_versions
from . import file_listing, tables
from .data import ReportData, submissions_column
from .html import html_table, missing_note, section_html
from .memo import per_frame
from .safe import esc

__all__ = ["DEFAULT_CAVEATS", "provenance", "methodology"]

@lru_cache(maxsize=1)
def _software() -> tuple[tuple[str, str], ...]:
    names = {"python": "Python"}
    return tuple((names.get(k, k), v) for k, v in package_versions().items())


DEFAULT_CAVEATS = (
    "Tags and grades come from simple, explainable text rules: they point a reader to the "
    "passages that matter, they do not replace reading them.",
    "A submission can serve several priorities; counts by priority therefore add up to more "
    "than the number of submissions.",
    "Submissions are what councils chose to send: they are examples of practice, not a "
    "representative sample of all community planning activity.",
    "E-mail addresses and telephone numbers in the narrative are removed from this report; "
    "lead officers' contact details are never read.",
)


META_SOURCES = {
    "tagging_meta.json": "Tagging",
    "evidence_meta.json": "Evidence grading",
    "ingest_meta.json": "Ingest",
}


def _meta_versions(data: ReportData) -> list[tuple[str, str]]:
    """Every (name, version) recorded in the meta files: taxonomies, rubrics, models, package."""
    rows: list[tuple[str, str]] = []

    def walk(d, path, src):
        if not isinstance(d, dict):
            return
        if "version" in d and not isinstance(d["version"], dict):
            name = d.get("name") or " ".join(path) or "file"
            where = f" ({d['source']})" if d.get("source") else ""
            rows.append((f"{src}: {name}{where}", str(d["version"])))
        for k, v in d.items():
            if k.endswith("_version") and not isinstance(v, dict) and not path:
                rows.append((f"{src}: {k.replace('_', ' ')}", str(v)))
            walk(v, path + [k], src)

    for fname, d in data.meta.items():
        walk(d, [], META_SOURCES.get(fname, fname))
    seen, out = set(), []
    for r in rows:
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out


def provenance(data: ReportData) -> HTML:
    """Run id and date, submissions and their date range, software and taxonomy versions."""
    subs_dates = submissions_column(data, "date")  # not the whole table narrowed to a council for one column
    dates = sorted(d for d in subs_dates.fillna("").astype(str).tolist() if d) if len(subs_dates) else []
    rows = [
        ("Run id", data.run_id or "(not given)"), ("Report generated", data.generated),
        ("Scope", data.scope), ("Submissions", f"{len(subs_dates):,}"),
        ("Submission dates", f"{dates[0]} to {dates[-1]} ({len(dates)} dated)" if dates else "no dates known"),
        *_software(), *_meta_versions(data),
    ]
    if not data.meta:
        rows.append(("Taxonomy and rubric versions", "not recorded (tagging_meta.json / evidence_meta.json absent)"))
    df = pd.DataFrame(rows, columns=["item", "value"])
    return HTML(section_html("provenance", "Provenance",
                             "Where this report comes from, so it can be checked and rebuilt.",
                             html_table(df, "Run, data and software", {"item": "Item", "value": "Value"}),
                             _files_not_read(data)))


_listing = per_frame(file_listing.files_not_read)  # the run's ingest log: the same on every council page


def _files_not_read(data: ReportData) -> str:
    """Every file cut, quarantined, skipped or set aside as a duplicate: reasons, then the first files."""
    if "ingest_log" in data.missing:
        return ""
    listing = _listing(data["ingest_log"])
    n = len(listing)
    if not n:
        return "<p>Every file found was read in full.</p>"
    if data.council:
        return (f"<p>{n:,} file(s) of the whole run were not read in full; the national summary lists them "
                "and why.</p>")
    cols = {"what": "What happened", "reason": "Why", "files": "Files", "example": "For example"}
    shown = listing.head(file_listing.LISTED)
    more = (f'<p class="note">The other {n - len(shown):,} are in the tables exported with this report '
            "(files_not_read).</p>" if n > len(shown) else "")
    return ("<h3>Files not read in full</h3>"
            + html_table(file_listing.reasons_summary(listing), f"{n:,} file(s) cut, quarantined, skipped or "
                         "set aside as duplicates, by reason", cols)
            + html_table(shown, f"The first {len(shown):,} of them",
                         {"file": "File", "what": "What happened", "reason": "Why"})
            + more)


def methodology(data: ReportData, caveats: tuple[str, ...] = DEFAULT_CAVEATS) -> HTML:
    """Taxonomy/rubric versions, measured accuracy, ingest log summary and caveats."""
    acc = plain_sentences()
    acc_html = ("<ul class=\"trust\">" + "".join(f"<li>{esc(s)}</li>" for s in acc) + "</ul>"
                if acc else '<p class="missing">No accuracy figures are recorded in this installation.</p>')
    vers = _meta_versions(data)
    vers_html = ("<ul>" + "".join(f"<li>{esc(k)}: {esc(v)}</li>" for k, v in vers) + "</ul>") if vers else \
        '<p class="missing">Taxonomy and rubric versions were not recorded.</p>'
    ing = tables.ingest_summary(data)
    log = data["ingest_log"]
    if "ingest_log" in data.missing:
        ingest_html = missing_note(data.missing, "ingest_log")
    else:
        ingest_html = html_table(ing, f"Files found by the ingest stage ({len(log)} in all)",
                                 {"status": "Status", "files": "Files"})
        if (log["status"] != "ingested").any():
            ingest_html += '<p class="note">Files not read in full, and why, are listed under Provenance.</p>'
        if data.council:
            ingest_html += "<p class=\"note\">File counts cover the whole run, not only this council.</p>"
    warn = submissions_column(data, "warnings")
    warn = warn if len(warn) else pd.Series(dtype=object)
    n_warn = int(sum(len(w) for w in warn if w is not None))
    cav = "".join(f"<li>{esc(c)}</li>" for c in caveats)
    cav += f"<li>{esc(n_warn)} ingest warning{'s' if n_warn != 1 else ''} were recorded on these submissions.</li>"
    return HTML(section_html("methodology", "Methodology and quality",
                             "How the figures were made, how accurate the automatic tagging and grading measured, "
                             "and what to keep in mind.",
                             "<h3>Versions</h3>", vers_html, "<h3>How far to trust the tags and grades</h3>", acc_html,
                             "<h3>Ingest</h3>", ingest_html, "<h3>Caveats</h3>", f"<ul>{cav}</ul>"))


