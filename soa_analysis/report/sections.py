"""Report sections: functions ``ReportData -> IPython.display.HTML``.

Each returns one ``<section>`` with its ``<h2>`` (the report's ``<h1>`` comes from
:func:`title`), a sentence on how to read it, its chart (alt text included) and the table
behind it with a ``<caption>``. A section whose input table is missing says so plainly.
Every value from the data passes through :func:`.safe.esc`.
"""

from __future__ import annotations

import math
import platform
from importlib import metadata

import pandas as pd
from IPython.display import HTML

from .. import __version__
from ..schema import GRADES, PRIORITY_IDS
from . import charts, file_listing, tables
from .cards import cards_html
from .data import ReportData, label
from .outcomes_section import outcomes
from .safe import esc, slug

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


def _fmt(v) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        return f"{v:.0%}" if 0 <= v <= 1 and not float(v).is_integer() else f"{v:,.0f}"
    if isinstance(v, (int,)) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def html_table(df: pd.DataFrame, caption: str, columns: dict[str, str] | None = None,
               *, pct: tuple[str, ...] = (), cls: str = "") -> str:
    """An escaped HTML table with a caption and column headers with scope."""
    columns = columns or {c: label(c) for c in df.columns}
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in columns.values())
    body = []
    for _, r in df.iterrows():
        cells = []
        for i, c in enumerate(columns):
            v = r[c]
            text = ("–" if pd.isna(v) else f"{v:.0%}") if c in pct else _fmt(v)
            num = isinstance(v, (int, float)) and not isinstance(v, bool)
            tag = "th scope=\"row\"" if i == 0 else "td"
            cells.append(f'<{tag}{" class=num" if num else ""}>{esc(text)}</{tag.split()[0]}>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="table-wrap"><table class="{esc(cls)}"><caption>{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _section(sid: str, heading: str, lede: str, *parts: str) -> HTML:
    return HTML(f'<section id="{esc(sid)}" class="soa-section"><h2>{esc(heading)}</h2>'
                f'<p class="lede">{esc(lede)}</p>{"".join(parts)}</section>')


def _missing(data: ReportData, *names: str) -> str:
    gone = [n for n in names if n in data.missing]
    if not gone:
        return ""
    return (f'<p class="missing">Not available in this run: the {esc(", ".join(gone))} '
            f'table{"s were" if len(gone) > 1 else " was"} not produced, so this section is incomplete.</p>')


def title(data: ReportData) -> HTML:
    """The report's ``<h1>`` and a one-line scope statement."""
    if data.council:
        h = f"{data.council}: community planning evidence"
        scope = f"Submissions from {data.council} Community Planning Partnership."
    else:
        h = "Scottish community planning evidence: national summary"
        scope = "Submissions from Community Planning Partnerships across Scotland."
    return HTML(f'<header class="soa-title"><h1>{esc(h)}</h1><p class="scope">{esc(scope)} '
                f"Report generated {esc(data.generated)}"
                f'{" for run " + esc(data.run_id) if data.run_id else ""}.</p>'
                '<nav aria-label="Contents"><ul class="toc">'
                + "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in TOC) + "</ul></nav></header>")


TOC = (
    ("headline", "Headline figures"), ("since-last-run", "Since the last run"), ("coverage", "Coverage"), ("priorities", "Priorities and outcomes"),
    ("evidence", "Evidence by priority"), ("added-value", "Added value"), ("partners", "Partners"),
    ("followups", "Next steps"), ("promises", "Promises followed up"), ("exemplars", "Exemplars"), ("gaps", "Gaps"),
    ("outcomes", "Outcome indicators"), ("case-studies", "Case studies"),
    ("provenance", "Provenance"), ("methodology", "Methodology and quality"),
)


def headline(data: ReportData) -> HTML:
    """Headline figures: submissions, councils, priorities covered, share with strong evidence."""
    h = tables.headline(data)
    tiles = "".join(
        f'<div class="figure-tile"><p class="big">{esc(_fmt(r.value) if not r.figure.startswith("Share") else ("–" if pd.isna(r.value) else f"{r.value:.0%}"))}</p>'
        f'<p class="what">{esc(r.figure)}</p><p class="note">{esc(r.note)}</p></div>'
        for r in h.itertuples()
    )
    extra = "" if len(data["submissions"]) else '<p class="empty">There are no submissions for this report.</p>'
    return _section("headline", "Headline figures",
                    f"The evidence base for {data.scope} at a glance.",
                    f'<div class="figures">{tiles}</div>', extra, _missing(data, "tags", "evidence"))


def coverage(data: ReportData) -> HTML:
    """Councils x priorities grid and the tile map of the 32 council areas."""
    summ = tables.council_summary(data)
    maps = charts.tile_map(summ, value="submissions", highlight=data.council)
    maps2 = charts.tile_map(summ, value="share_strong", highlight=data.council)
    cov = tables.coverage(data)
    if cov.empty:
        grid = '<p class="empty">No submissions, so no coverage to show.</p>'
    else:
        head = "".join(f'<th scope="col">{esc(label(p))}</th>' for p in PRIORITY_IDS)
        rows = []
        for c, g in cov.groupby("council", sort=True):
            cells = []
            for p in PRIORITY_IDS:
                r = g[g["priority"] == p].iloc[0]
                if r["submissions"] == 0:
                    cells.append('<td class="cov cov-empty">–</td>')
                else:
                    best = next(x for x in GRADES if r[x] > 0)
                    detail = ", ".join(f"{r[x]} {x}" for x in GRADES if r[x])
                    cells.append(f'<td class="cov grade-{slug(best)}" title="{esc(detail)}">{esc(r["submissions"])}'
                                 f'<span class="sub">{esc(detail)}</span></td>')
            rows.append(f'<tr><th scope="row">{esc(c)}</th>{"".join(cells)}</tr>')
        grid = (f'<div class="table-wrap"><table class="grid"><caption>Submissions per council and priority, '
                f'with the number at each evidence grade (cell colour: best grade present)</caption>'
                f'<thead><tr><th scope="col">Council</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
                '<p class="key">Cell colour: '
                + " ".join(f'<span class="swatch grade-{g}">{esc(label(g))}</span>' for g in GRADES)
                + ' <span class="swatch cov-empty">no submissions</span></p>')
    abbrev = charts.tile_legend_table()
    legend = ('<details class="tile-key"><summary>Tile abbreviations</summary><p>'
              + "; ".join(f"{esc(a)} {esc(c)}" for a, c in abbrev.itertuples(index=False)) + "</p></details>")
    scope = (f"The tile maps show all of Scotland for context; {data.council} is outlined."
             if data.council else "Every council area has a tile; hatched or zero tiles sent nothing.")
    return _section("coverage", "Coverage: councils and priorities",
                    "Which councils sent evidence, and on which national priorities. " + scope,
                    f'<div class="pair">{maps}{maps2}</div>', legend, grid, _missing(data, "tags", "evidence"))


def priorities(data: ReportData) -> HTML:
    """Bar charts of the national priorities and the National Outcomes."""
    pc = tables.priority_counts(data)
    oc = tables.outcome_counts(data)
    p_chart = charts.hbar(pc, label_col="label", value_col="submissions",
                          title="Submissions per national priority", xlabel="submissions")
    o_chart = charts.hbar(oc, label_col="label", value_col="submissions", colour=charts.OKABE_ITO["green"],
                          title="Submissions per National Outcome (top 20)", xlabel="submissions")
    return _section("priorities", "Priorities and National Outcomes",
                    "How many submissions the tagger placed under each national priority and National Outcome.",
                    p_chart,
                    html_table(pc, "Submissions per national priority (share of all submissions)",
                               {"label": "Priority", "submissions": "Submissions", "share": "Share"}, pct=("share",)),
                    o_chart,
                    html_table(oc, "Submissions per National Outcome",
                               {"label": "National Outcome", "taxonomy": "Framework", "submissions": "Submissions"})
                    if len(oc) else '<p class="empty">No National Outcome tags in this run.</p>',
                    _missing(data, "tags"))


def evidence_by_priority(data: ReportData) -> HTML:
    """Evidence grade by priority (stacked bars and table)."""
    g = tables.grade_by_priority(data)
    return _section("evidence", "Evidence of benefit by priority",
                    "Strong: measured change against a baseline or source; some: qualitative or partial evidence; "
                    "planned: benefits still to be delivered, with a timeline; none: no evidence given.",
                    charts.grade_stack(g, title="Evidence grade of submissions, by priority"),
                    html_table(g, "Submissions by priority and evidence grade",
                               {"label": "Priority", **{x: label(x) for x in GRADES}}),
                    _missing(data, "evidence", "tags"))


def added_value(data: ReportData) -> HTML:
    """Added-value themes: evidenced in the text, ticked on the checklist, ticked but unsupported."""
    lede = ("What the SOA approach added, as evidenced in the answer to 'What added value has the SOA "
            "process brought?', compared with what was ticked on the 2010 checklist.")
    if "added_value" in data.missing:
        return _section("added-value", "Added value of the SOA process", lede, _missing(data, "added_value"))
    av = tables.added_value_themes(data)
    chart = charts.grouped_bars(av, label_col="label", title="Added value of the SOA process, by theme",
                                xlabel="submissions", series={"evidenced": "evidenced in the text",
                                                              "ticked": "ticked on the 2010 checklist",
                                                              "ticked_unsupported": "ticked but not supported"})
    unsupported = int(av["ticked_unsupported"].sum()) if len(av) else 0
    note = (f'<p class="callout">{unsupported} ticked checklist claim{"s" if unsupported != 1 else ""} '
            "had no supporting text in the submission's added-value answer.</p>") if len(av) else ""
    if av.empty:
        chart = ""
    return _section("added-value", "Added value of the SOA process", lede,
                    chart, note,
                    html_table(av, "Added-value themes: evidenced, ticked, and ticked but unsupported",
                               {"label": "Theme", "evidenced": "Evidenced", "ticked": "Ticked",
                                "ticked_unsupported": "Ticked, unsupported"}) if len(av) else
                    '<p class="empty">No added-value results for these submissions.</p>')


def partners(data: ReportData) -> HTML:
    """Heatmap of partner types named together in a submission."""
    lede = "Which types of partner organisation appear together in the same submission."
    if "partners" in data.missing:
        return _section("partners", "Partners working together", lede, _missing(data, "partners"))
    m = tables.partner_pairs(data)
    body = charts.heatmap(m, title="Partner types named together in a submission", cbar_label="submissions")
    tbl = ""
    if len(m):
        t = m.reset_index()
        t["partner_type"] = t["partner_type"].map(label)
        tbl = html_table(t, "Submissions naming both partner types (diagonal: submissions naming the type)",
                         {"partner_type": "Partner type", **{c: label(c) for c in m.columns}}, cls="compact")
    else:
        body = '<p class="empty">No partner information is available for these submissions.</p>'
    return _section("partners", "Partners working together", lede, body, tbl)


def followups(data: ReportData, max_rows: int = 60) -> HTML:
    """Timeline of next steps by due date, and the steps themselves."""
    if "followups" in data.missing:
        return _section("followups", "Follow-up timeline of next steps",
                        "Next steps that submissions committed to, by when they are due.",
                        _missing(data, "followups"))
    tl = tables.followup_timeline(data)
    items = tables.followup_items(data)
    shown = items.head(max_rows)
    more = (f'<p class="note">Showing the first {max_rows} of {len(items)} next steps; all are in the '
            "exported tables.</p>") if len(items) > max_rows else ""
    return _section("followups", "Follow-up timeline of next steps",
                    "Next steps that submissions committed to, by when they are due: a list to follow up.",
                    charts.timeline(tl, title="Next steps by due date"),
                    html_table(shown, "Next steps, earliest due first",
                               {"due": "Due", "by_when": "As written", "council": "Council", "who": "Who",
                                "what": "Next step"}) if len(items) else
                    '<p class="empty">No dated next steps were found.</p>', more)


def exemplars(data: ReportData) -> HTML:
    """The best-evidenced sentences, quoted with their case study and council."""
    ex = tables.exemplar_sentences(data)
    if "exemplars" in data.missing:
        body = _missing(data, "exemplars")
    elif ex.empty:
        body = '<p class="empty">No exemplar sentences for these submissions.</p>'
    else:
        quotes = []
        for cat, g in ex.groupby(["kind", "label"], sort=True):
            items = "".join(
                f'<figure class="quote"><blockquote>{esc(r.sentence)}</blockquote>'
                f'<figcaption>{esc(r.title or "Untitled")} — {esc(r.council or "council unknown")} '
                f'(<a href="#card-{slug(r.submission_id)}">case study card</a>)</figcaption></figure>'
                for r in g.itertuples()
            )
            quotes.append(f'<h3>{esc(cat[1])} <span class="kind">({esc(cat[0])})</span></h3>{items}')
        body = "".join(quotes)
    return _section("exemplars", "Exemplars: the best-evidenced practice",
                    "Sentences that carry the strongest evidence, per priority and added-value theme, quoted as written "
                    "(contact details removed).", body)


def gaps(data: ReportData) -> HTML:
    """Priorities and councils where evidence is thin."""
    g = tables.gaps(data)
    summ = tables.council_summary(data)
    thin = g[(g["submissions"] < 3) | (g["share_strong"].fillna(0) < 0.25)]
    bullets = "".join(
        f"<li><strong>{esc(r.label)}</strong>: {esc(r.submissions)} submission{'s' if r.submissions != 1 else ''}, "
        f"{esc(r.strong)} with strong evidence"
        + (f"; no submissions from {esc(r.councils_without)} of {esc(r.councils_in_data)} councils in the data"
           if r.councils_without and not data.council else "")
        + "</li>" for r in thin.itertuples()
    ) or "<li>No priority falls below the thresholds (fewer than 3 submissions, or under 25% strong).</li>"
    silent = "" if data.council else (
        "<p>Council areas with no submissions: "
        + (esc(", ".join(summ.loc[summ["submissions"] == 0, "council"])) or "none") + ".</p>")
    return _section("gaps", "Gaps: where evidence is thin",
                    "Priorities with fewer than 3 submissions or under a quarter with strong evidence.",
                    f"<ul>{bullets}</ul>", silent,
                    html_table(g, "Evidence per priority: submissions, strong evidence, councils without any",
                               {"label": "Priority", "submissions": "Submissions", "strong": "Strong",
                                "share_strong": "Share strong", "councils_without": "Councils without"},
                               pct=("share_strong",)))


def case_studies(data: ReportData) -> HTML:
    """One card per case study, filterable by council, priority and grade."""
    return _section("case-studies", "Case studies",
                    "One card per submission, with the words behind each priority tag highlighted. Use the "
                    "filters to narrow the list; with scripts off, every card shows.", cards_html(data), _missing(data, "tag_evidence", "evidence"))


def _versions() -> list[tuple[str, str]]:
    out = [("soa-analysis", __version__), ("Python", platform.python_version())]
    for pkg in ("pandas", "scikit-learn", "nltk", "matplotlib", "papermill", "nbconvert"):
        try:
            out.append((pkg, metadata.version(pkg)))
        except metadata.PackageNotFoundError:
            out.append((pkg, "not installed"))
    return out


def _flatten(d, prefix="") -> list[tuple[str, object]]:
    out = []
    if isinstance(d, dict):
        for k, v in d.items():
            out += _flatten(v, f"{prefix}{k}." if isinstance(v, dict) else f"{prefix}{k}")
    else:
        out.append((prefix, d))
    return out


META_SOURCES = {
    "tagging_meta.json": "Tagging",
    "evidence_meta.json": "Evidence grading",
    "ingest_meta.json": "Ingest",
}
_ACCURACY_WORDS = ("accuracy", "precision", "recall", "f1", "kappa", "agreement", "n_gold", "n_documents",
                   "passages", "split")


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


def _accuracy_rows(data: ReportData) -> list[tuple[str, str, str]]:
    """(source, measure, value) for the accuracy figures recorded in the meta files."""
    out = []
    for fname, d in data.meta.items():
        for k, v in _flatten(d):
            low = k.lower()
            if isinstance(v, bool) or not any(w in low for w in _ACCURACY_WORDS):
                continue
            if isinstance(v, str) and "accuracy" not in low:
                continue
            if not isinstance(v, (int, float, str)):
                continue
            parts = [label(p) for p in k.split(".") if p not in ("accuracy", "models")]
            value = f"{v:.2f}" if isinstance(v, float) else str(v)
            out.append((META_SOURCES.get(fname, fname), " › ".join(parts), value))
    return out


def provenance(data: ReportData) -> HTML:
    """Run id and date, submissions and their date range, software and taxonomy versions."""
    subs = data["submissions"]
    dates = sorted(d for d in subs["date"].fillna("").astype(str) if d) if len(subs) else []
    rows = [
        ("Run id", data.run_id or "(not given)"), ("Report generated", data.generated),
        ("Scope", data.scope), ("Submissions", f"{len(subs):,}"),
        ("Submission dates", f"{dates[0]} to {dates[-1]} ({len(dates)} dated)" if dates else "no dates known"),
        *_versions(), *_meta_versions(data),
    ]
    if not data.meta:
        rows.append(("Taxonomy and rubric versions", "not recorded (tagging_meta.json / evidence_meta.json absent)"))
    df = pd.DataFrame(rows, columns=["item", "value"])
    return _section("provenance", "Provenance",
                    "Where this report comes from, so it can be checked and rebuilt.",
                    html_table(df, "Run, data and software", {"item": "Item", "value": "Value"}),
                    _files_not_read(data))


def _files_not_read(data: ReportData) -> str:
    """Every file cut, quarantined, skipped or set aside as a duplicate: reasons, then the first files."""
    if "ingest_log" in data.missing:
        return ""
    listing = file_listing.files_not_read(data["ingest_log"])
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
    acc = _accuracy_rows(data)
    acc_html = (html_table(pd.DataFrame(acc, columns=["source", "measure", "value"]),
                           "Accuracy measured against hand-coded (labelled) passages, as recorded by each stage",
                           {"source": "Stage", "measure": "Measure", "value": "Value"})
                if acc else '<p class="missing">No accuracy figures were recorded for this run.</p>')
    vers = _meta_versions(data)
    vers_html = ("<ul>" + "".join(f"<li>{esc(k)}: {esc(v)}</li>" for k, v in vers) + "</ul>") if vers else \
        '<p class="missing">Taxonomy and rubric versions were not recorded.</p>'
    ing = tables.ingest_summary(data)
    log = data["ingest_log"]
    if "ingest_log" in data.missing:
        ingest_html = _missing(data, "ingest_log")
    else:
        ingest_html = html_table(ing, f"Files found by the ingest stage ({len(log)} in all)",
                                 {"status": "Status", "files": "Files"})
        if (log["status"] != "ingested").any():
            ingest_html += '<p class="note">Files not read in full, and why, are listed under Provenance.</p>'

        if data.council:
            ingest_html += "<p class=\"note\">File counts cover the whole run, not only this council.</p>"
    warn = data["submissions"]["warnings"] if len(data["submissions"]) else pd.Series(dtype=object)
    n_warn = int(sum(len(w) for w in warn if w is not None))
    cav = "".join(f"<li>{esc(c)}</li>" for c in caveats)
    cav += f"<li>{esc(n_warn)} ingest warning{'s' if n_warn != 1 else ''} were recorded on these submissions.</li>"
    return _section("methodology", "Methodology and quality",
                    "How the figures were made, how accurate the automatic tagging and grading measured, and what to "
                    "keep in mind.",
                    "<h3>Versions</h3>", vers_html, "<h3>Measured accuracy</h3>", acc_html,
                    "<h3>Ingest</h3>", ingest_html, "<h3>Caveats</h3>", f"<ul>{cav}</ul>")


ALL_SECTIONS = (headline, coverage, priorities, evidence_by_priority, added_value, partners, followups,
                exemplars, gaps, outcomes, case_studies, provenance, methodology)
