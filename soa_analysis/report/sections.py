"""Report sections: functions ``ReportData -> IPython.display.HTML``.

Each returns one ``<section>`` with its ``<h2>`` (the report's ``<h1>`` comes from
:func:`.contents.title`), a sentence on how to read it, its chart (alt text included) and the table
behind it with a ``<caption>``. A section whose input table is missing says so plainly.
Every value from the data passes through :func:`.safe.esc`. Which sections a page has,
and in which order, is set in :mod:`.contents`; provenance and methodology are in
:mod:`.provenance`.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from ..schema import GRADES, PRIORITY_IDS
from . import charts, tables
from .cards import SENTENCE_CHARS, TITLE_CHARS, card_location, cards_html
from .data import ReportData
from .excerpt import shorten
from .html import fmt, html_table, missing_note, section_html
from .labels import label
from .safe import esc, slug
from .tilemap import tile_map
from .tiles import tile_legend_table

CELL_CHARS = 200  # longest text a table cell quotes


def _section(sid: str, heading: str, lede: str, *parts: str) -> HTML:
    return HTML(section_html(sid, heading, lede, *parts))


def _missing(data: ReportData, *names: str) -> str:
    return missing_note(data.missing, *names)

def headline(data: ReportData) -> HTML:
    """Headline figures: submissions, councils, priorities covered, share with strong evidence."""
    h = tables.headline(data)
    tiles = "".join(
        f'<div class="figure-tile"><p class="big">{esc(fmt(r.value) if r.kind == "count" else ("–" if pd.isna(r.value) else f"{r.value:.0%}"))}</p>'
        f'<p class="what">{esc(r.figure)}</p><p class="note">{esc(r.note)}</p></div>'
        for r in h.itertuples()
    )
    n_subs = h.loc[h["figure"] == "Submissions", "value"].iloc[0]  # len(data["submissions"]), not narrowed again
    extra = "" if n_subs else '<p class="empty">There are no submissions for this report.</p>'
    return _section("headline", "Headline figures",
                    f"The evidence base for {data.scope} at a glance.",
                    f'<div class="figures">{tiles}</div>', extra, _missing(data, "tags", "evidence"))


def coverage(data: ReportData) -> HTML:
    """Councils x priorities grid and the tile map of the 32 council areas."""
    summ = tables.council_summary(data)
    maps = tile_map(summ, value="submissions", highlight=data.council)
    maps2 = tile_map(summ, value="share_strong", highlight=data.council)
    cov = tables.coverage(data)
    if cov.empty:
        grid = '<p class="empty">No submissions, so no coverage to show.</p>'
    else:
        head = "".join(f'<th scope="col">{esc(label(p))}</th>' for p in PRIORITY_IDS)
        rows = []
        cell = {(r["council"], r["priority"]): r for r in cov.to_dict("records")}
        for c in sorted(set(cov["council"])):
            cells = []
            for p in PRIORITY_IDS:
                r = cell[(c, p)]
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
    abbrev = tile_legend_table()
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
    n_out = int((oc["submissions"] > 0).sum()) if len(oc) else 0
    shown = min(n_out, charts.MAX_BARS)
    o_title = (f"Submissions per National Outcome: the {shown} most frequent of {n_out}" if n_out > shown
               else f"Submissions per National Outcome ({n_out} outcome{'s' if n_out != 1 else ''})")
    o_chart = charts.hbar(oc[oc["submissions"] > 0] if len(oc) else oc, label_col="label", value_col="submissions",
                          colour=charts.OKABE_ITO["green"], title=o_title, xlabel="submissions")
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
            "had no supporting text in the submission's added-value answer.</p>") if unsupported else ""
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
    lede = ("Which types of partner organisation appear together in the same submission, counting "
            "submissions tagged with a national priority (the evidence stage's partner pairs).")
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
    return _section("partners", "Partners working together", lede, body, tbl, _missing(data, "partner_pairs"))


def followups(data: ReportData, max_rows: int = 60) -> HTML:
    """Timeline of next steps by due date, and the steps themselves."""
    if "followups" in data.missing:
        return _section("followups", "Follow-up timeline of next steps",
                        "Next steps that submissions committed to, by when they are due.",
                        _missing(data, "followups"))
    tl = tables.followup_timeline(data)
    items = tables.followup_items(data)
    shown = items.head(max_rows)
    shown = shown.assign(**{c: shown[c].map(lambda t: shorten(t, CELL_CHARS)) for c in ("by_when", "who", "what")})
    more = (f'<p class="note">Showing the first {max_rows} of {len(items)} next steps; all are in the '
            "exported tables.</p>") if len(items) > max_rows else ""
    return _section("followups", "Follow-up timeline of next steps",
                    "Next steps that submissions committed to, by when they are due: a list to follow up.",
                    charts.timeline(tl, title="Next steps by due date"),
                    html_table(shown, "Next steps, earliest due first",
                               {"due": "Due", "by_when": "As written", "council": "Council", "who": "Who",
                                "what": "Next step"}) if len(items) else
                    '<p class="empty">No dated next steps were found.</p>', more)


def _card_link(data: ReportData, submission_id: str) -> str:
    href = card_location(data, submission_id)
    return f' (<a href="{esc(href)}">case study card</a>)' if href else ""


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
                f'<figure class="quote"><blockquote>{esc(shorten(r.sentence, SENTENCE_CHARS))}</blockquote>'
                f'<figcaption>{esc(shorten(r.title, TITLE_CHARS) or "Untitled")} — '
                f'{esc(r.council or "council unknown")}{_card_link(data, r.submission_id)}</figcaption></figure>'
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
    thin = tables.thin_priorities(data)
    bullets = "".join(
        f"<li><strong>{esc(r.label)}</strong>: {esc(r.submissions)} submission{'s' if r.submissions != 1 else ''}, "
        f"{esc(r.strong)} with strong evidence"
        + (f"; no submissions from {esc(r.councils_without)} of {esc(r.councils_in_data)} councils in the data"
           if r.councils_without and not data.council else "")
        + "</li>" for r in thin.itertuples()
    ) or (f"<li>No priority falls below the thresholds (fewer than {tables.THIN_SUBMISSIONS} submissions, "
          f"or under {tables.THIN_SHARE_STRONG:.0%} strong).</li>")
    silent = "" if data.council else (
        "<p>Council areas with no submissions: "
        + (esc(", ".join(summ.loc[summ["submissions"] == 0, "council"])) or "none") + ".</p>")
    return _section("gaps", "Gaps: where evidence is thin",
                    f"Priorities with fewer than {tables.THIN_SUBMISSIONS} submissions or under "
                    f"{tables.THIN_SHARE_STRONG:.0%} with strong evidence.",
                    f"<ul>{bullets}</ul>", silent,
                    html_table(g, "Evidence per priority: submissions, strong evidence, councils without any",
                               {"label": "Priority", "submissions": "Submissions", "strong": "Strong",
                                "share_strong": "Share strong", "councils_without": "Councils without"},
                               pct=("share_strong",)))


def case_studies(data: ReportData) -> HTML:
    """One card per case study, filterable by council, priority and grade."""
    return _section("case-studies", "Case studies",
                    "One card per submission: what was done (an excerpt), by whom, the sentences its evidence "
                    "grade rests on, the sentences behind its priority tags (the words that matched highlighted) "
                    "and what comes next. Use the filters to narrow the list; with scripts off, every card shows.",
                    cards_html(data), _missing(data, "tag_evidence", "evidence"))
