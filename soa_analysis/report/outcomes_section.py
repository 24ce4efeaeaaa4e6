"""The outcome-indicator section of the shared reports, and the tables behind it.

- On a council page: for each priority the council's case studies address, those case
  studies beside the priority's CPOP indicators for the whole council area against
  Scotland over time (small multiples, projected years marked), with CPOP's reading; the
  indicators its case studies cite by name; and a plain statement that a case study cannot
  claim an area-wide trend.
- On the national page: councils x priorities, the strength of the narrative evidence next
  to the movement of the matching indicators, and the two gap lists (strong narrative
  evidence beside a worsening indicator; an indicator that worsened with no case study
  addressing it).

The logic lives in :mod:`soa_analysis.outcomes`; this module only lays it out. Every value
from the data passes through :func:`.safe.esc`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from IPython.display import HTML

from ..outcomes import OutcomeData, load_outcome_data, views
from ..outcomes import charts as ocharts
from ..outcomes.load import PACKAGED
from ..outcomes.mentions import indicator_mentions
from ..outcomes.reading import cpop_reading, series
from ..schema import PRIORITY_IDS, REPORT_TABLES, validate
from .cards import TITLE_CHARS, card_location
from .carry import carry_of, digest
from .data import ReportData
from .excerpt import shorten
from .html import html_table
from .labels import label
from .memo import per_frame
from .safe import esc, slug
from .tiles import council_tiles

__all__ = ["outcomes", "outcome_tables", "OutcomeFrames", "outcome_frames", "ATTRIBUTION", "MAX_ROWS"]

ATTRIBUTION = ("Source: Improvement Service, Community Planning Outcomes Profile (CPOP), CPP-level data "
               "(as of 3 April 2018).")
CAVEAT = ("These indicators describe the whole of {area}: every resident, every service. A case study describes one "
          "piece of work and the people it reached. It cannot claim an area-wide trend as its result, and an "
          "area-wide trend neither confirms nor disproves what a case study reports.")
MAX_ROWS = 60
SHORT = {"economic_growth": "Economic growth", "employment": "Employment", "early_years": "Early years",
         "safer_communities": "Safer communities", "health_inequalities": "Health inequalities",
         "older_people": "Older people"}


@dataclass
class OutcomeFrames:
    """Everything the section shows, computed once per report.

    ``reading``, ``mentions``, ``links``, ``view``, ``strong_worsening`` and ``unaddressed``
    are the frames of :mod:`soa_analysis.outcomes` for the report's scope (one council, or
    every council for the national page). ``key`` names the outcome file (path, mtime, size)
    whose reading and series for all councils are computed once a process and sliced here.
    ``links``, ``view``, ``strong_worsening`` and ``unaddressed`` are computed when first
    read: a council page shows none of them (the national page and the exports do).
    """

    outcome: OutcomeData
    councils: list
    key: tuple
    reading: pd.DataFrame
    mentions: pd.DataFrame
    tables: tuple = field(repr=False)  # (submissions, tags, evidence) of the report's scope

    @cached_property
    def links(self) -> pd.DataFrame:
        subs, tags, ev = self.tables
        return views.case_study_links(subs, tags, ev, self.mentions, self.outcome.crosswalk)

    @cached_property
    def view(self) -> pd.DataFrame:
        subs, tags, ev = self.tables
        return views.priority_view(self.reading, subs, tags, ev, self.mentions, self.outcome.crosswalk,
                                   self.councils)

    @cached_property
    def strong_worsening(self) -> pd.DataFrame:
        return views.strong_beside_worsening(self.reading, self.links, self.outcome.crosswalk)

    @cached_property
    def unaddressed(self) -> pd.DataFrame:
        return views.worsened_unaddressed(self.reading, self.links, self.tables[0], self.outcome.crosswalk)


def _file_key(path: str) -> tuple:
    if not path or path == PACKAGED:
        return ("", 0, 0)
    p = Path(path)
    st = p.stat() if p.is_file() else None
    return (str(p.resolve()), st.st_mtime_ns if st else 0, st.st_size if st else 0)


def _load(key: tuple) -> OutcomeData:
    return _kept(key)[0]


@dataclass(frozen=True)
class _Whole:
    """What every page reads from one outcome file, computed once a process: CPOP's reading and
    the charts' series for every council, the series also split by council (a page takes its slice)."""

    reading: pd.DataFrame
    series: pd.DataFrame
    by_council: dict


def _whole(key: tuple) -> _Whole:
    return _kept(key)[1]


def _compute(key: tuple) -> tuple[OutcomeData, _Whole]:
    """The outcome file of ``key`` read, and :class:`_Whole` of it."""
    od = load_outcome_data(key[0] or None)
    s = series(od)
    return od, _Whole(reading=cpop_reading(od), series=s,
                      by_council={c: g.reset_index(drop=True) for c, g in s.groupby("council", sort=False)})


# outcome file key (:func:`_file_key`) -> (its data, what every page reads of it): the last two, once a process
_KEPT: dict[tuple, tuple[OutcomeData, _Whole]] = {}
# the modules whose code (at any import depth) reads an outcome file and works out the reading and series
_WHOLE_CODE = ("soa_analysis.outcomes.load", "soa_analysis.outcomes.reading")


def _kept(key: tuple, carry=None) -> tuple[OutcomeData, _Whole]:
    """:func:`_compute` of ``key``, once a process; with ``carry`` (:mod:`.carry`), taken from the last run's
    report when the file's bytes and the code that reads them are unchanged (parsing the CPOP file and working
    out its reading cost about half a second a run, and one submission more changes neither)."""
    if key in _KEPT:
        return _KEPT[key]
    if carry is None:
        got = _compute(key)
    else:
        from .fingerprints import render_fingerprint

        raw = resources.files("soa_analysis.outcomes").joinpath("data/cpop_cpp.csv").read_bytes() if not key[0] \
            else Path(key[0]).read_bytes()
        got = carry.get("outcome-data:" + render_fingerprint(*_WHOLE_CODE), digest(key[0], raw),
                        lambda: _compute(key))
    _KEPT[key] = got
    for old in list(_KEPT)[:-2]:
        del _KEPT[old]
    return got


def _rows_of(df: pd.DataFrame, column: str, keep: list[str]) -> pd.DataFrame:
    return df[df[column].isin(keep)].reset_index(drop=True)


def _series(key: tuple, council: str, indicators: list[str]) -> pd.DataFrame:
    """``series(data, [council], indicators)`` (:func:`.reading.series`), from the process's cached split."""
    whole = _whole(key)
    return _rows_of(whole.by_council.get(council, whole.series.head(0)), "indicator", indicators)


_FRAMES: list[tuple[ReportData, OutcomeFrames]] = []


def _known_mentions(data: ReportData, cw):
    """``known`` for :func:`indicator_mentions`: each text's mentions from the last run's report when
    the data carry them (:mod:`.carry`), keyed by the text, the crosswalk's phrases and the code."""
    carry = carry_of(data)
    if carry is None:
        return None
    kind = "mentions:" + digest(cw.sha256, [(i.id, tuple(i.phrases), i.label) for i in cw.indicators])

    def known(text: str, find):
        return carry.get(kind, digest(text), find)

    return known


def outcome_frames(data: ReportData) -> OutcomeFrames:
    """The outcome frames for ``data`` (cached: the section and the exports share them).

    The outcome data file is ``data.outcome_data`` (``""``: the packaged CPOP file).

    Raises
    ------
    OutcomeDataError
        When the outcome data file is missing or malformed.
    """
    for d, f in _FRAMES:
        if d is data:
            return f
    key = _file_key(str(getattr(data, "outcome_data", "") or ""))
    od = _kept(key, carry_of(data))[0]
    cw = od.crosswalk
    councils = [data.council] if data.council else sorted(t.council for t in council_tiles())
    reading = _rows_of(_whole(key).reading, "council", councils)  # the same rows as cpop_reading(od, councils)
    subs, tags, ev = data["submissions"], data["tags"], data["evidence"]
    mentions = indicator_mentions(subs, cw, known=_known_mentions(data, cw)) if len(subs) else indicator_mentions(
        pd.DataFrame({"submission_id": [], "council": [], "text": []}), cw)
    if (carry := carry_of(data)) is not None:
        carry.save()
    frames = OutcomeFrames(outcome=od, councils=councils, key=key, reading=reading, mentions=mentions,
                           tables=(subs, tags, ev))
    _FRAMES.insert(0, (data, frames))
    del _FRAMES[2:]
    return frames


# --------------------------------------------------------------------------- formatting

def _num(v) -> str:
    """A figure as shown on the page: 4 significant figures or so, thousands separated."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    a = abs(float(v))
    return f"{v:,.0f}" if a >= 1000 else f"{v:,.1f}" if a >= 100 else f"{v:,.2f}"


def _pct(v) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:+.1f}%"


def _table(df: pd.DataFrame, caption: str, columns: dict[str, str], cls: str = "") -> str:
    return html_table(df, caption, columns, cls=cls)


def _source_note(od: OutcomeData) -> str:
    where = ("the CPOP file shipped with the workbench" if od.source == PACKAGED
             else f"the outcome data file {os.path.basename(od.source)}")
    cw = od.crosswalk
    return (f'<p class="note">{esc(ATTRIBUTION if od.source == PACKAGED else "Source: " + where + ".")} '
            f"Read from {esc(where)} (SHA-256 {esc(od.sha256[:12])}…), with the crosswalk {esc(cw.name)} "
            f"version {esc(cw.version)}. Projected years are CPOP's projections, shown shaded and never compared; "
            f"hollow markers are years CPOP imputed. A change smaller than {esc(f'{cw.little_change_pct:g}')}% of "
            "the first year's value counts as little change.</p>")


def _reading_table(r: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "label": r["label"],
        "better": r["higher_is_better"].map({True: "higher", False: "lower"}),
        "first": [f"{_num(v)} ({y})" if y else "–" for v, y in zip(r["value_first"], r["first_year"])],
        "latest": [f"{_num(v)} ({y})" if y else "–" for v, y in zip(r["value_latest"], r["latest_year"])],
        "scot": [_num(v) for v in r["scotland_latest"]],
        "vs": r["vs_scotland"].replace("", "–"),
        "change": [_pct(v) for v in r["change_pct"]],
        "scot_change": [_pct(v) for v in r["scotland_change_pct"]],
        "pace": r["pace_vs_scotland"].replace("", "–"),
        "movement": r["movement"].replace("", "–"),
    })


_READING_COLUMNS = {"label": "Indicator", "better": "Better when", "first": "First year", "latest": "Latest year",
                    "scot": "Scotland, latest", "vs": "Against Scotland", "change": "Change since first year",
                    "scot_change": "Scotland's change", "pace": "Improving faster or slower", "movement": "Movement"}


def _values_table(s: pd.DataFrame, area: str) -> str:
    t = pd.DataFrame({"label": s["label"], "year": s["year"], "type": s["type"],
                      "value": [_num(v) for v in s["value"]], "scotland": [_num(v) for v in s["scotland_value"]]})
    return ("<details><summary>Values by year (the table behind the chart)</summary>"
            + _table(t, f"{area} and Scotland by year; type: raw (published), imputed or projected by CPOP",
                     {"label": "Indicator", "year": "Year", "type": "Type", "value": area, "scotland": "Scotland"},
                     cls="compact")
            + "</details>")


def _case_study_list(data: ReportData, rows: pd.DataFrame) -> str:
    def link(r) -> str:  # the card may be on a further page of the council's cards
        href = card_location(data, r.submission_id)
        title = esc(shorten(r.title, TITLE_CHARS) or "Untitled submission")
        return f'<a href="{esc(href)}">{title}</a>' if href else title

    items = "".join(f'<li>{link(r)} <span class="grade grade-{slug(r.grade)}">({esc(label(r.grade))})</span></li>'
                    for r in rows.itertuples())
    return f"<ul>{items}</ul>"


def _section(heading: str, lede: str, *parts: str) -> HTML:
    return HTML(f'<section id="outcomes" class="soa-section"><h2>{esc(heading)}</h2>'
                f'<p class="lede">{esc(lede)}</p>{"".join(parts)}</section>')


# --------------------------------------------------------------------------- council page

@per_frame
def _councils_in(frame: pd.DataFrame) -> frozenset[str]:
    """The councils the outcome data has figures for (once per outcome frame, not once per page)."""
    return frozenset(frame["council"])


def _council_html(data: ReportData, f: OutcomeFrames) -> HTML:
    council, od, cw = data.council, f.outcome, f.outcome.crosswalk
    subs = data["submissions"]
    lede = (f"For each national priority that {council}'s case studies address, the outcome indicators the crosswalk "
            f"links to it, for the whole council area against Scotland over time, with CPOP's own reading: better or "
            f"worse than Scotland in the latest year, and improving faster or slower than Scotland since the first.")
    parts = [f'<p class="callout">{esc(CAVEAT.format(area=council))}</p>']
    if council not in _councils_in(od.frame):
        parts.append(f'<p class="missing">The outcome data has no figures for {esc(council)}.</p>')
        return _section("Outcome indicators beside the case studies", lede, *parts, _source_note(od))
    pri = views.priority_tags(data["tags"]).merge(
        subs.assign(grade=views.submission_grades(subs, data["evidence"]).to_numpy())[["submission_id", "title", "grade"]],
        on="submission_id")
    directions = {i.id: i.direction for i in cw.indicators}
    reading = f.reading.set_index("indicator")
    shown = 0
    for p in PRIORITY_IDS:
        cs = pri[pri["priority"] == p].drop_duplicates("submission_id")
        if cs.empty:
            continue
        inds = [i.id for i in cw.for_priority(p) if i.id in reading.index]
        parts.append(f'<h3 id="outcomes-{slug(p)}">{esc(label(p))}</h3>'
                     f"<p>{len(cs)} case stud{'y' if len(cs) == 1 else 'ies'} from {esc(council)} tagged with this "
                     f"priority:</p>" + _case_study_list(data, cs))
        if not inds:
            parts.append('<p class="empty">The outcome data has no indicator linked to this priority.</p>')
            continue
        shown += 1
        s = _series(f.key, council, inds)
        r = reading.loc[inds].reset_index()
        why = "".join(f"<li>{esc(cw.get(i).label)}: {esc(cw.get(i).reason(p))}</li>" for i in inds)
        parts += [ocharts.small_multiples(s, council, directions, title=f"{council}: {label(p)} indicators"),
                  _table(_reading_table(r), f"{council}, {label(p)}: CPOP's reading against Scotland",
                         _READING_COLUMNS),
                  "<ul class=\"readings\">" + "".join(f"<li>{esc(x)}</li>" for x in r["reading"]) + "</ul>",
                  f"<details><summary>Why these indicators</summary><ul>{why}</ul></details>",
                  _values_table(s, council)]
    if not shown and not len(pri):
        parts.append(f'<p class="empty">No case study from {esc(council)} is tagged with a national priority, so no '
                     "indicators are set beside them.</p>")
    parts.append(_cited_html(f, council))
    parts.append(_source_note(od))
    return _section("Outcome indicators beside the case studies", lede, *parts)


def _cited_html(f: OutcomeFrames, area: str) -> str:
    m = f.mentions
    if m.empty:
        return ("<h3>Indicators cited by name</h3><p class=\"empty\">No case study here cites an outcome indicator "
                "by name.</p>")
    r = f.reading
    read = dict(zip(zip(r["council"].tolist(), r["indicator"].tolist()), r["reading"].tolist()))
    if len(read) < len(r):  # a (council, indicator) read twice: Series.get's answer, as before
        read = r.set_index(["council", "indicator"])["reading"]
    t = m.assign(
        priorities=m["priorities"].map(lambda s: ", ".join(label(p) for p in s.split(";") if p) or "none"),
        reading=[read.get((c, i), "") for c, i in zip(m["council"].tolist(), m["indicator"].tolist())],
    ).head(MAX_ROWS)
    more = (f'<p class="note">Showing {MAX_ROWS} of {len(m)} citations; all are in the exported tables.</p>'
            if len(m) > MAX_ROWS else "")
    cols = {"label": "Indicator", "council": "Council", "sentence": "Sentence citing it", "priorities": "Priorities",
            "reading": "CPOP's reading for the council"}
    return ("<h3>Indicators cited by name</h3><p>Outcome indicators that case studies name, as they are named in CPOP "
            "and the Menu of Local Outcome Indicators, linked through the crosswalk to their priorities and CPOP's "
            "reading.</p>"
            + _table(t, f"Outcome indicators cited by name in {area}'s case studies", cols) + more)


# --------------------------------------------------------------------------- national page

class _GridRow(NamedTuple):
    case_studies: int
    best_grade: str
    movement: str
    improving: int
    worsening: int


def _view_grid(view: pd.DataFrame) -> str:
    head = "".join(f'<th scope="col">{esc(SHORT[p])}</th>' for p in PRIORITY_IDS)
    rows = []
    # each council's rows by priority, from the columns' lists (a groupby, set_index and loc a council cost
    # more than the page they make)
    cols = ("case_studies", "best_grade", "movement", "improving", "worsening")
    by: dict = {}
    for c, p, *values in zip(*(view[k].tolist() for k in ("council", "priority", *cols))):
        by.setdefault(c, {}).setdefault(p, []).append(_GridRow(*values))
    for c, of in by.items():
        cells = []
        for r in (row for p in PRIORITY_IDS for row in of[p]):
            cs = f"{r.case_studies} case stud{'y' if r.case_studies == 1 else 'ies'}" if r.case_studies else "none"
            best = f", best {label(r.best_grade).lower()}" if r.best_grade else ""
            mv = (f"indicators ↑{r.improving} ↓{r.worsening}" if r.movement != "no indicator data"
                  else "no indicator data")
            cls = f"grade-{slug(r.best_grade)}" if r.best_grade else "cov-empty"
            cells.append(f'<td class="cov {cls}">{esc(cs + best)}<span class="sub">{esc(mv)}</span></td>')
        rows.append(f'<tr><th scope="row">{esc(c)}</th>{"".join(cells)}</tr>')
    return (f'<div class="table-wrap"><table class="grid"><caption>Case studies (and best evidence grade) beside the '
            f'movement of the priority\'s indicators since the first year, per council and priority</caption>'
            f'<thead><tr><th scope="col">Council</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _capped(df: pd.DataFrame, what: str) -> tuple[pd.DataFrame, str]:
    if len(df) <= MAX_ROWS:
        return df, ""
    return df.head(MAX_ROWS), (f'<p class="note">Showing the first {MAX_ROWS} of {len(df)} {what}; all are in the '
                               "exported tables.</p>")


def _gap_frame(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(
        priorities=df["priorities"].map(lambda s: ", ".join(SHORT.get(p, p) for p in str(s).split(";") if p) or "none"),
        change=[f"{_pct(a)} ({y0} to {y1})" for a, y0, y1 in zip(df["change_pct"], df["first_year"], df["latest_year"])],
        scot_change=[_pct(v) for v in df["scotland_change_pct"]],
    )


def _national_html(data: ReportData, f: OutcomeFrames) -> HTML:
    od = f.outcome
    cw = od.crosswalk
    lede = ("Where the narrative evidence is strong and where the outcomes moved: for every council and priority, the "
            "case studies and their best evidence grade beside the movement of the priority's CPOP indicators, and "
            "the gaps a CPP board would want to see.")
    sw, sw_more = _capped(_gap_frame(f.strong_worsening), "pairings")
    un, un_more = _capped(_gap_frame(f.unaddressed), "indicators")
    sw_html = (_table(sw, "Strong narrative evidence beside an indicator that worsened since the first year",
                      {"council": "Council", "label": "Indicator", "priorities": "Priorities", "change": "Change",
                       "scot_change": "Scotland's change", "titles": "Case studies graded strong",
                       "basis": "Linked by"}) + sw_more
               if len(sw) else '<p class="empty">No strong case study sits beside a worsening indicator.</p>')
    un_html = (_table(un, "Indicators that worsened since the first year with no case study from the council "
                          "addressing them (councils with at least one submission)",
                      {"council": "Council", "label": "Indicator", "priorities": "Priorities", "change": "Change",
                       "scot_change": "Scotland's change", "vs_scotland": "Against Scotland, latest year",
                       "case_studies_from_council": "Case studies from the council"}) + un_more
               if len(un) else '<p class="empty">Every indicator that worsened is addressed by a case study.</p>')
    cross = pd.DataFrame([{
        "label": i.label, "measure": i.measure, "better": "higher" if i.higher_is_better else "lower",
        "priorities": "; ".join(f"{SHORT[p]}: {why}" for p, why in i.priority_reasons) or "none of the six",
        "outcomes": "; ".join(f"{t}: {', '.join(ids)}" for t, ids in i.national_outcomes),
    } for i in cw.indicators])
    parts = [
        f'<p class="callout">{esc(CAVEAT.format(area="each council area"))}</p>',
        ocharts.priority_grid(f.view, SHORT, title="Narrative evidence beside indicator movement"),
        _view_grid(f.view),
        "<p>A case study <em>addresses</em> an indicator when it comes from the same council and is tagged with a "
        "priority the crosswalk links the indicator to, or cites the indicator by name. An indicator "
        "<em>worsened</em> when it moved the wrong way between its first and latest year by more than "
        f"{esc(f'{cw.little_change_pct:g}')}% of its first-year value (for crime or early deaths, a rise is "
        "worse).</p>",
        "<h3>Strong narrative evidence beside a worsening indicator</h3>"
        "<p>Not a contradiction in itself: work can help the people it reached while the area-wide figure moves the "
        "other way. These are the places to look closer.</p>", sw_html,
        "<h3>Indicators that worsened with no case study addressing them</h3>", un_html,
        _cited_html(f, "Scotland"),
        f"<details><summary>The crosswalk: indicators, priorities and National Outcomes (version "
        f"{esc(cw.version)})</summary>"
        + _table(cross, "Which indicator speaks to which priority and National Outcomes, and why",
                 {"label": "Indicator", "measure": "Measure", "better": "Better when", "priorities": "Priorities",
                  "outcomes": "National Outcomes"}) + "</details>",
        _source_note(od),
    ]
    return _section("Narrative evidence beside outcome indicators", lede, *parts)


def outcomes(data: ReportData) -> HTML:
    """The outcome-indicator section: per priority on a council page, the national view otherwise.

    Parameters
    ----------
    data : ReportData
        The report's data; ``data.outcome_data`` names the outcome data file (``""``:
        the packaged CPOP file).

    Returns
    -------
    IPython.display.HTML
        One ``<section id="outcomes">``.
    """
    f = outcome_frames(data)
    return _council_html(data, f) if data.council else _national_html(data, f)


def outcome_tables(data: ReportData) -> dict[str, pd.DataFrame]:
    """The tables behind the section's charts and lists, by export name.

    ``outcome_series`` holds every value the small multiples draw (each council in scope
    beside Scotland, projected years included and typed); ``outcome_reading`` CPOP's
    reading; ``outcome_priority_view`` the councils x priorities grid; the two gap lists;
    ``indicator_mentions`` the citations by name; ``outcome_crosswalk`` the crosswalk's
    links. Columns are documented in the data dictionary (``soa_analysis.schema.REPORT_TABLES``).
    """
    f = outcome_frames(data)
    cw = f.outcome.crosswalk
    s = _rows_of(_whole(f.key).series, "council", f.councils)  # the same rows as series(f.outcome, f.councils)
    cross = pd.DataFrame(
        [{"indicator": i.id, "label": i.label, "higher_is_better": i.higher_is_better, "link": "priority",
          "target": p, "reason": why} for i in cw.indicators for p, why in i.priority_reasons]
        + [{"indicator": i.id, "label": i.label, "higher_is_better": i.higher_is_better, "link": tax,
            "target": o, "reason": ""} for i in cw.indicators for tax, ids in i.national_outcomes for o in ids],
        columns=["indicator", "label", "higher_is_better", "link", "target", "reason"])
    tables = {
        "outcome_series": s,
        "outcome_reading": f.reading,
        "outcome_priority_view": f.view,
        "outcome_strong_worsening": f.strong_worsening,
        "outcome_worsened_unaddressed": f.unaddressed,
        "indicator_mentions": f.mentions,
        "outcome_crosswalk": cross,
    }
    return {name: validate(_in_contract_order(df, name), name) for name, df in tables.items()}


def _in_contract_order(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Columns in the order the data dictionary lists them (any others after)."""
    first = [c for c in REPORT_TABLES[name].column_names if c in df.columns]
    return df[first + [c for c in df.columns if c not in first]]

