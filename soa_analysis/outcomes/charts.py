"""Charts of outcome indicators, drawn directly as SVG and shown as ``<img>`` with alt text.

- :func:`small_multiples`: one panel per indicator, the council against Scotland over time;
  projected years shaded and labelled "projected", imputed years drawn as hollow markers.
- :func:`priority_grid`: councils x priorities, the narrative evidence (best grade and
  number of case studies) beside the movement of the priority's indicators.

SVG, not matplotlib PNG: a few lines and markers per panel cost about a millisecond to
write, where a matplotlib figure cost 0.2 to 1 s (issue 11: it was most of a council page's
build). Each chart is an ``<img>`` with a ``data:`` URI (:func:`..report.svg.svg_img`), so no
script runs and no request is made; every text is XML-escaped (:func:`..report.svg.text`).
Colours are Okabe-Ito (colour-blind safe), and nothing rests on colour alone: lines differ
in style, markers in fill, and grid cells carry their numbers as text. The markup's parts
carry classes (``panel``, ``council``, ``scotland``, ``projected``, ``imputed``) saying what they draw.
"""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..report.svg import scale_defs, svg_img, text
from ..schema import GRADES, PRIORITY_IDS

__all__ = ["small_multiples", "small_multiples_svg", "priority_grid", "priority_grid_svg",
           "COUNCIL_COLOUR", "SCOTLAND_COLOUR"]

COUNCIL_COLOUR = "#0072B2"   # Okabe-Ito blue
SCOTLAND_COLOUR = "#555555"
PROJECTED_SHADE = "#F0E442"  # Okabe-Ito yellow, light
GRADE_FILL = {"strong": "#0072B2", "some": "#56B4E9", "planned": "#E69F00", "none": "#BBBBBB", "": "#FFFFFF"}
MOVEMENT_FILL = {"more improving": "#009E73", "more worsening": "#D55E00", "mixed or little change": "#DDDDDD",
                 "no indicator data": "#FFFFFF"}
_FONT = "Arial, Helvetica, 'Liberation Sans', sans-serif"
_INK = "#333333"
_COUNCIL_LINE = f'stroke="{COUNCIL_COLOUR}" stroke-width="1.8"'
_SCOTLAND_LINE = f'stroke="{SCOTLAND_COLOUR}" stroke-width="1.2"'
_DASHED, _DOTTED = ' stroke-dasharray="5 3"', ' stroke-dasharray="1.5 2.5"'

# small multiples: panel size and the plot area inside a panel (px)
_PW, _PH = 250, 200
_PL, _PR, _PT, _PB = 46, 12, 30, 46
_HEAD, _FOOT = 34, 34


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "no value"
    a = abs(v)
    return f"{v:,.0f}" if a >= 100 else f"{v:,.1f}"


def _float(v) -> float:
    return float("nan") if v is None or pd.isna(v) else float(v)


def _open(width: int, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{_FONT}"><rect width="{width}" height="{height}" fill="#fff"/>')


def _tick_label(v: float, step: float) -> str:
    decimals = min(max(0, -math.floor(math.log10(step))), 3) if step > 0 else 0
    return f"{v:,.{decimals}f}"


def _segments(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Runs of points with a value (a missing year breaks the line, as matplotlib did)."""
    runs, run = [], []
    for x, y in points:
        if y is None or math.isnan(y):
            if run:
                runs.append(run)
            run = []
        else:
            run.append((x, y))
    return runs + ([run] if run else [])


def _line(points: list[tuple[float, float]], style: str, cls: str) -> str:
    out = []
    for run in _segments(points):
        if len(run) > 1:
            xy = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            out.append(f'<polyline class="{cls}" points="{xy}" fill="none" {style} stroke-linejoin="round"/>')
    return "".join(out)


def _panel(name: str, rows: list[tuple], council: str, direction: str, left: float, top: float) -> tuple[str, str]:
    """One indicator's panel at (left, top): its SVG markup and its sentence of alt text.

    ``rows`` are ``(period, year, type, value, scotland_value)`` tuples, one per year.
    """
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    actual = [r for r in rows if r[2] != "projected"]
    proj = [r for r in rows if r[2] == "projected"]
    periods = [r[0] for r in rows]
    x_lo, x_hi = periods[0] - 0.5, periods[-1] + 0.5
    values = [v for r in rows for v in (r[3], r[4]) if not math.isnan(v)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (hi - lo) * 0.05 or abs(hi) * 0.05 or 1.0
    ticks = [float(t) for t in MaxNLocator(nbins=4).tick_values(lo - pad, hi + pad)]
    y_lo, y_hi = ticks[0], ticks[-1]
    x0, x1 = left + _PL, left + _PW - _PR
    y0, y1 = top + _PT, top + _PH - _PB

    def sx(p: float) -> float:
        return x0 + (p - x_lo) / (x_hi - x_lo) * (x1 - x0)

    def sy(v: float) -> float:
        return y1 - (v - y_lo) / (y_hi - y_lo) * (y1 - y0)

    def pts(rs: list[tuple], col: int) -> list[tuple[float, float]]:
        return [(sx(r[0]), float("nan") if math.isnan(r[col]) else sy(r[col])) for r in rs]

    parts = [text(left + _PW / 2, top + 16, name, size=12, weight="bold", colour="#1d1d1d")]
    if proj:
        a, b = sx(proj[0][0] - 0.5), sx(proj[-1][0] + 0.5)
        parts.append(f'<rect class="projected" x="{a:.1f}" y="{y0:.1f}" width="{b - a:.1f}" height="{y1 - y0:.1f}" '
                     f'fill="{PROJECTED_SHADE}" fill-opacity="0.3"/>')
        parts.append(text((a + b) / 2, y0 + 11, "projected", size=10, colour=_INK).replace(
            "<text ", '<text class="projected" font-style="italic" ', 1))
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 0.0
    for t in ticks:
        parts.append(f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" stroke="#e4e4e4"/>')
        parts.append(text(x0 - 5, sy(t) + 3.5, _tick_label(t, step), size=10, colour=_INK, anchor="end"))
    parts.append(f'<path d="M{x0:.1f},{y0:.1f}V{y1:.1f}H{x1:.1f}" fill="none" stroke="#777"/>')
    years = {r[0]: r[1] for r in rows}
    for p in sorted({periods[0], periods[len(periods) // 2], periods[-1]}):
        parts.append(f'<line x1="{sx(p):.1f}" x2="{sx(p):.1f}" y1="{y1:.1f}" y2="{y1 + 4:.1f}" stroke="#777"/>')
        parts.append(text(sx(p), y1 + 15, years[p], size=10, colour=_INK))
    parts.append(text(left + _PL - 34, y1 + 32, direction, size=10, colour=_INK, anchor="start"))
    # Scotland: dashed grey; council: solid blue; projections: dotted, joined to the last actual year.
    parts.append(_line(pts(actual, 4), _SCOTLAND_LINE + _DASHED, "scotland"))
    parts.append(_line(pts(actual, 3), _COUNCIL_LINE, "council"))
    if proj:
        join = actual[-1:] + proj
        parts.append(_line(pts(join, 4), _SCOTLAND_LINE + _DOTTED, "scotland projected"))
        parts.append(_line(pts(join, 3), _COUNCIL_LINE + _DOTTED, "council projected"))
    for (x, y), kind in zip(pts(rows, 3), (r[2] for r in rows)):
        if not math.isnan(y):
            fill, cls = (COUNCIL_COLOUR, "council") if kind == "raw" else ("#fff", f"council {kind}")
            parts.append(f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{fill}" '
                         f'stroke="{COUNCIL_COLOUR}" stroke-width="1.2"/>')
    svg = '<g class="panel">' + "".join(parts) + "</g>"
    if not actual:
        return svg, f"{name}: no values."
    first, last = actual[0], actual[-1]
    alt = (f"{name} ({direction}): {council} {_fmt(first[3])} in {first[1]} and {_fmt(last[3])} in {last[1]}; "
           f"Scotland {_fmt(first[4])} and {_fmt(last[4])}")
    if proj:
        alt += f"; projected to {proj[-1][1]}"
    return svg, alt + "."


def _legend(council: str, width: float, y: float) -> str:
    """The small multiples' key, one row: council, Scotland, imputed marker, projected shade."""
    x = width / 2 - 330
    return "".join([
        f'<line x1="{x:.1f}" x2="{x + 26:.1f}" y1="{y - 4}" y2="{y - 4}" {_COUNCIL_LINE}/>',
        text(x + 32, y, council[:40], size=11, anchor="start"),
        f'<line x1="{x + 200:.1f}" x2="{x + 226:.1f}" y1="{y - 4}" y2="{y - 4}" {_SCOTLAND_LINE}{_DASHED}/>',
        text(x + 232, y, "Scotland", size=11, anchor="start"),
        f'<circle cx="{x + 312:.1f}" cy="{y - 4}" r="3" fill="#fff" stroke="{_INK}" stroke-width="1.2"/>',
        text(x + 321, y, "imputed year (hollow)", size=11, anchor="start"),
        f'<rect x="{x + 460:.1f}" y="{y - 10}" width="20" height="12" fill="{PROJECTED_SHADE}" fill-opacity="0.3" '
        'stroke="#bbb" stroke-width="0.5"/>',
        text(x + 486, y, "projected years (dotted)", size=11, anchor="start"),
    ])


def small_multiples_svg(series: pd.DataFrame, council: str, directions: dict[str, str], *, title: str = "",
                        ncols: int = 3) -> tuple[str, str, int, int]:
    """The SVG markup of :func:`small_multiples`, its alt text, width and height.

    Returns ``("", "", 0, 0)`` when ``series`` is empty.
    """
    if series.empty:
        return "", "", 0, 0
    order = list(dict.fromkeys(series["indicator"]))
    n = len(order)
    cols = min(ncols, n)
    rows = math.ceil(n / cols)
    width = max(cols * _PW + 20, 700)
    height = _HEAD + rows * _PH + _FOOT
    left = (width - cols * _PW) / 2
    parts = [_open(width, height)]
    if title:
        parts.append(text(width / 2, 20, title, size=14, weight="bold", colour="#1d1d1d"))
    rows: dict[str, list[tuple]] = {iid: [] for iid in order}
    names: dict[str, str] = {}
    cols_ = ["indicator", "label", "period", "year", "type", "value", "scotland_value"]
    for iid, name, period, year, kind, v, sv in series[cols_].itertuples(index=False, name=None):
        names.setdefault(iid, str(name))
        rows[iid].append((float(period), str(year), kind, _float(v), _float(sv)))
    alts = []
    for k, iid in enumerate(order):
        svg, alt = _panel(names[iid], rows[iid], council, directions.get(iid, ""),
                          left + (k % cols) * _PW, _HEAD + (k // cols) * _PH)
        parts.append(svg)
        alts.append(alt)
    parts.append(_legend(council, width, height - 12))
    parts.append("</svg>")
    alt = (f"Small multiples: {title or 'outcome indicators'}, {council} (solid line) against Scotland (dashed), "
           "projected years shaded. " + " ".join(alts))
    return "".join(parts), alt, width, height


def small_multiples(series: pd.DataFrame, council: str, directions: dict[str, str], *, title: str = "",
                    ncols: int = 3) -> str:
    """One panel per indicator: the council against Scotland over time, as an ``<img>``.

    Parameters
    ----------
    series : pandas.DataFrame
        :func:`.reading.series` rows of one council (indicator, label, year, period, type,
        value, scotland_value), for the indicators to draw, in the order to draw them.
    council : str
        The council's name, for the legend and alt text.
    directions : dict
        Indicator id -> "higher is better" / "lower is better".
    title : str
        Chart title.
    ncols : int
        Panels per row.

    Returns
    -------
    str
        An ``<img>`` (SVG as a ``data:`` URI) whose alt text gives, per indicator, the council's
        and Scotland's first and latest actual values and the last projected year; ``""`` when
        ``series`` is empty.
    """
    svg, alt, width, height = small_multiples_svg(series, council, directions, title=title, ncols=ncols)
    return svg_img(svg, alt, width=width, height=height) if svg else ""


# --------------------------------------------------------------------------- the national grid

_ROW, _SQ, _PITCH, _NAMES, _GRID_TOP = 20, 44, 100, 180, 66


def _grid_key(y: float) -> str:
    """Swatches (best grade in one row; movement of the indicators in two) and two lines saying how to read a cell."""
    parts = []
    for k, g in enumerate(GRADES):
        x = 20 + 150 * k
        parts.append(f'<rect x="{x}" y="{y - 10}" width="14" height="12" fill="{GRADE_FILL[g]}" stroke="#888" '
                     'stroke-width="0.5"/>' + text(x + 19, y, f"best grade: {g}", size=11, anchor="start"))
    for k, (m, fill) in enumerate(MOVEMENT_FILL.items()):
        x, row = 20 + 300 * (k % 2), y + 18 * (1 + k // 2)
        hatch = "url(#nodata)" if m == "no indicator data" else fill
        parts.append(f'<rect x="{x}" y="{row - 10}" width="14" height="12" fill="{hatch}" stroke="#888" '
                     'stroke-width="0.5"/>' + text(x + 19, row, f"indicators: {m}", size=11, anchor="start"))
    parts.append(text(20, y + 62, "Each priority: left square = case studies (number; colour = best evidence grade);",
                      size=11, anchor="start"))
    parts.append(text(20, y + 77, "right square = the priority's indicators since the first year (\u2191 improving, "
                      "\u2193 worsening).", size=11, anchor="start"))
    return "".join(parts)


def priority_grid_svg(view: pd.DataFrame, labels: dict[str, str], *, title: str) -> tuple[str, str, int, int]:
    """The SVG markup of :func:`priority_grid`, its alt text, width and height (``("", "", 0, 0)`` if empty)."""
    if view.empty:
        return "", "", 0, 0
    councils = list(dict.fromkeys(view["council"]))
    cell = view.set_index(["council", "priority"])
    n = len(councils)
    width = _NAMES + len(PRIORITY_IDS) * _PITCH + 10
    height = _GRID_TOP + n * _ROW + 108
    parts = [_open(width, height), scale_defs(), text(width / 2, 20, title, size=14, weight="bold", colour="#1d1d1d")]
    for k, p in enumerate(PRIORITY_IDS):
        words = labels.get(p, p).split(" ", 1)
        cx = _NAMES + k * _PITCH + _SQ
        for line, w in enumerate(words):
            parts.append(text(cx, _GRID_TOP - 26 + 13 * line + (6 if len(words) == 1 else 0), w, size=11))
    for r, c in enumerate(councils):
        y = _GRID_TOP + r * _ROW
        parts.append(text(_NAMES - 8, y + 14, c, size=11, anchor="end"))
        for k, p in enumerate(PRIORITY_IDS):
            if (c, p) not in cell.index:
                continue
            v = cell.loc[(c, p)]
            x = _NAMES + k * _PITCH
            grade, movement = v["best_grade"], v["movement"]
            parts.append(f'<rect x="{x}" y="{y + 1}" width="{_SQ - 1}" height="{_ROW - 2}" '
                         f'fill="{GRADE_FILL.get(grade, "#FFFFFF")}" stroke="#888" stroke-width="0.4"/>')
            parts.append(text(x + _SQ / 2, y + 14, str(int(v["case_studies"])) if v["case_studies"] else "–", size=11,
                              colour="#fff" if grade == "strong" else "#000"))
            fill = "url(#nodata)" if movement == "no indicator data" else MOVEMENT_FILL.get(movement, "#FFFFFF")
            parts.append(f'<rect x="{x + _SQ}" y="{y + 1}" width="{_SQ - 1}" height="{_ROW - 2}" fill="{fill}" '
                         'stroke="#888" stroke-width="0.4"/>')
            if movement != "no indicator data":
                parts.append(text(x + 1.5 * _SQ, y + 14, f"\u2191{int(v['improving'])} \u2193{int(v['worsening'])}",
                                  size=10))
    parts.append(_grid_key(_GRID_TOP + n * _ROW + 22))
    parts.append("</svg>")
    strong_worse = view[(view["strong"] > 0) & (view["worsening"] > 0)]
    alt = (f"Grid: {title}. {n} councils by {len(PRIORITY_IDS)} priorities; each cell shows the number of case "
           "studies with the best evidence grade, beside how many of the priority's indicators improved or worsened. "
           f"{int((view['case_studies'] > 0).sum())} council-priority pairs have case studies; "
           f"{int((view['movement'] == 'more worsening').sum())} have more indicators worsening than improving; "
           f"{len(strong_worse)} pair strong evidence with at least one worsening indicator"
           + (": " + "; ".join(f"{a} ({labels.get(b, b)})" for a, b in
                              zip(strong_worse["council"], strong_worse["priority"])) if len(strong_worse) else "")
           + ".")
    return "".join(parts), alt, width, height


def priority_grid(view: pd.DataFrame, labels: dict[str, str], *, title: str) -> str:
    """Councils x priorities: evidence grade and case studies beside indicator movement, as an ``<img>``.

    Parameters
    ----------
    view : pandas.DataFrame
        :func:`.views.priority_view` (council, priority, case_studies, best_grade,
        improving, worsening, movement).
    labels : dict
        Priority id -> short column heading.
    title : str

    Returns
    -------
    str
        An ``<img>`` (SVG as a ``data:`` URI) whose alt text counts the pairs with case studies and
        with more indicators worsening, and names where strong evidence sits beside a worsening
        indicator; ``""`` when ``view`` is empty.
    """
    svg, alt, width, height = priority_grid_svg(view, labels, title=title)
    return svg_img(svg, alt, width=width, height=height, cls="chart outcome-grid") if svg else ""
