"""Charts: SVG images drawn with pygal (bars) or by hand (the heatmap), with real alt text.

SVG, not matplotlib PNG: a chart costs a few milliseconds instead of a quarter of a second,
which is what lets every council have a page of its own charts (issue 11), and it stays
sharp when zoomed or printed. Each chart is an ``<img>`` (:mod:`.svg`): no script runs, no
request is made. The palette is Okabe-Ito (colour-blind safe, :mod:`.palette`); the tile map
is drawn in :mod:`.tilemap`. Every chart has a title and labelled axes; its alt text says
what the chart shows in words, including the largest values, so a reader using a screen
reader gets the point without the picture.
"""

from __future__ import annotations

import math

import pandas as pd
import pygal
from pygal.style import Style

from ..schema import GRADES
from .html import empty_note, top_values
from .labels import label
from .palette import GRADE_COLOURS, OKABE_ITO, sequential_hex
from .safe import esc, redact
from .svg import scale_defs, scale_legend, svg_img, text

__all__ = ["hbar", "grade_stack", "grouped_bars", "heatmap", "timeline", "figure_html"]

WIDTH = 760
MAX_BARS = 20  # bars a chart of categories shows at most (the largest); its title says how many
_FONT = "Arial, Helvetica, 'Liberation Sans', sans-serif"


def _ink(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (``#rrggbb``)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def _style(colours: tuple[str, ...]) -> Style:
    return Style(value_colors=tuple(_ink(c) for c in colours), background="#ffffff", plot_background="#ffffff", foreground="#1d1d1d",
                 foreground_strong="#1d1d1d", foreground_subtle="#d0d0d0", font_family=_FONT,
                 title_font_size=15, label_font_size=12, major_label_font_size=12, legend_font_size=12,
                 value_font_size=11, value_label_font_size=11, colors=colours, opacity=1, opacity_hover=1,
                 transition="0s")


def _inert(root):
    """Drop what an image needs not carry: pygal's config ``<script>`` (it never runs in an
    ``<img>``, and the CSP forbids it anyway) and its comments (version, date, web addresses)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if callable(child.tag) or str(child.tag).rpartition("}")[2] == "script":
                parent.remove(child)
    return root


def _chart(kind, *, title: str, height: int, colours: tuple[str, ...], legend: bool = False, **options):
    chart = kind(width=WIDTH, height=height, explicit_size=True, title=title, style=_style(colours), js=[],
                 show_legend=legend, legend_at_bottom=True, legend_at_bottom_columns=2, print_values=True,
                 print_zeroes=False, truncate_label=-1, truncate_legend=-1, tooltip_border_radius=0,
                 disable_xml_declaration=True, pretty_print=False, margin=12, **options)
    chart.add_xml_filter(_inert)
    # pygal names each chart by a random uuid4 (its CSS scope); every chart is an image of its own,
    # so one fixed name is as good and keeps a page the same, byte for byte, from the same data
    chart.uuid = "soa"
    return chart


def _whole_ticks(chart, vmax: float) -> None:
    """Mark a count axis with whole numbers only (pygal would put 0.25 steps on a scale of 0 to 2)."""
    top = max(1, int(math.ceil(vmax)))
    step = max(1, int(math.ceil(top / 8)))
    chart.y_labels = list(range(0, top + step, step))
    chart.range = (0, top + (step if top % step else 0))


def _img(chart, alt: str, height: int) -> str:
    return svg_img(chart.render(), alt, width=WIDTH, height=height)


def _names(values, width: int = 60) -> list[str]:
    return [redact(n)[:width] for n in values]


def hbar(df: pd.DataFrame, *, label_col: str, value_col: str, title: str, xlabel: str,
         colour: str = OKABE_ITO["blue"], max_bars: int = MAX_BARS) -> str:
    """Horizontal bar chart of one count per category (largest first)."""
    if df.empty or df[value_col].sum() == 0:
        return empty_note(f"{title}: nothing to chart.")
    d = df.sort_values(value_col, ascending=False).head(max_bars)
    names = _names(d[label_col])
    height = 28 * len(d) + 110
    chart = _chart(pygal.HorizontalBar, title=title, height=height, colours=(colour,), x_title=xlabel)
    chart.x_labels = names[::-1]  # pygal draws the first label at the bottom
    chart.add(xlabel, [int(v) for v in d[value_col]][::-1])
    _whole_ticks(chart, d[value_col].max())
    alt = f"Bar chart: {title}. " + top_values(names, list(d[value_col]), k=len(d)) + "."
    return _img(chart, alt, height)


def grade_stack(df: pd.DataFrame, *, title: str) -> str:
    """Stacked horizontal bars: per priority, submissions by evidence grade."""
    if df.empty or df[list(GRADES)].to_numpy().sum() == 0:
        return empty_note(f"{title}: no graded submissions to chart.")
    height = 34 * len(df) + 140
    chart = _chart(pygal.HorizontalStackedBar, title=title, height=height, legend=True,
                   colours=tuple(GRADE_COLOURS[g] for g in GRADES), x_title="submissions tagged with the priority")
    chart.x_labels = list(df["label"])[::-1]
    for g in GRADES:
        chart.add(label(g), [int(v) for v in df[g]][::-1])
    _whole_ticks(chart, df[list(GRADES)].sum(axis=1).max())
    parts = [f"{r['label']}: " + ", ".join(f"{r[g]} {g}" for g in GRADES) for _, r in df.iterrows()]
    return _img(chart, f"Stacked bar chart: {title}. " + "; ".join(parts) + ".", height)


def grouped_bars(df: pd.DataFrame, *, label_col: str, series: dict[str, str], title: str, xlabel: str) -> str:
    """Horizontal grouped bars: several counts (``series``: column -> legend) per category."""
    if df.empty or df[list(series)].to_numpy().sum() == 0:
        return empty_note(f"{title}: nothing to chart.")
    colours = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["vermillion"], OKABE_ITO["green"])
    height = 15 * len(df) * len(series) + 150
    chart = _chart(pygal.HorizontalBar, title=title, height=height, legend=True, colours=colours, x_title=xlabel)
    chart.x_labels = _names(df[label_col], 50)[::-1]
    for col, name in series.items():
        chart.add(name, [int(v) for v in df[col]][::-1])
    _whole_ticks(chart, df[list(series)].to_numpy().max())
    parts = [f"{redact(r[label_col])}: " + ", ".join(f"{name} {r[c]}" for c, name in series.items())
             for _, r in df.iterrows()]
    return _img(chart, f"Bar chart: {title}. " + "; ".join(parts) + ".", height)


def timeline(df: pd.DataFrame, *, title: str) -> str:
    """Vertical bars: next steps due per half-year (undated ones shown apart, in another colour)."""
    if df.empty:
        return empty_note(f"{title}: nothing to chart.")
    height = 320
    chart = _chart(pygal.Bar, title=title, height=height, colours=(OKABE_ITO["green"],),
                   x_title="when the next step is due (half-year)", y_title="next steps",
                   x_label_rotation=45 if len(df) > 10 else 0)
    chart.x_labels = list(df["period"])
    chart.add("next steps", [{"value": int(v), "color": OKABE_ITO["sky_blue"] if p == "no date" else OKABE_ITO["green"]}
                             for p, v in zip(df["period"], df["next_steps"])])
    _whole_ticks(chart, df["next_steps"].max())
    alt = f"Bar chart: {title}. " + "; ".join(f"{p}: {v}" for p, v in zip(df["period"], df["next_steps"])) + "."
    return _img(chart, alt, height)


def figure_html(fig, alt: str) -> str:
    """A matplotlib figure drawn elsewhere (the outcome indicators' small multiples) as a PNG ``<img>``
    with a data: URI and escaped alt text; the figure is closed."""
    import base64
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="chart" src="data:image/png;base64,{data}" alt="{esc(alt)}">'


_CELL, _LABELS_W, _TOP = 34, 190, 44


def heatmap(m: pd.DataFrame, *, title: str, cbar_label: str) -> str:
    """Square heatmap of a symmetric count matrix with counts written in the cells."""
    if m.empty:
        return empty_note(f"{title}: nothing to chart.")
    names = [label(x)[:28] for x in m.index]
    vals = m.to_numpy()
    n = len(m)
    vmax = float(vals.max()) or 1.0
    grid_top = _TOP + 10
    width = _LABELS_W + n * _CELL + 110
    height = grid_top + n * _CELL + _LABELS_W
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="{_FONT}">',
             scale_defs(),
             f'<rect width="{width}" height="{height}" fill="#fff"/>',
             text(width / 2, 22, title, size=15, weight="bold")]
    for i in range(n):
        y = grid_top + i * _CELL
        parts.append(text(_LABELS_W - 6, y + _CELL / 2 + 4, names[i], size=12, anchor="end"))
        x = _LABELS_W + i * _CELL + _CELL / 2
        parts.append(text(x + 4, grid_top + n * _CELL + 8, names[i], size=12, anchor="end", rotate=-50))
        for j in range(n):
            v = float(vals[i, j])
            parts.append(f'<rect x="{_LABELS_W + j * _CELL}" y="{y}" width="{_CELL - 1}" height="{_CELL - 1}" '
                         f'fill="{sequential_hex(v / vmax)}"/>')
            if n <= 16:
                parts.append(text(_LABELS_W + j * _CELL + _CELL / 2, y + _CELL / 2 + 4, f"{v:g}", size=11,
                                  colour="#fff" if v / vmax > 0.55 else "#000"))
    parts.append(scale_legend(_LABELS_W + n * _CELL + 20, grid_top + 16, grid_top + 16 + min(n * _CELL, 240),
                              vmax=vmax, share=False, caption=cbar_label))
    parts.append("</svg>")
    pairs = [(vals[i, j], f"{names[i]} with {names[j]}") for i in range(n) for j in range(i + 1, n)]
    top = sorted(pairs, key=lambda p: (-p[0], p[1]))[:3]
    alt = (f"Heatmap: {title}. Most frequent pairs: " + "; ".join(f"{n_} ({v:g} submissions)" for v, n_ in top) + "."
           if top else f"Heatmap: {title}.")
    return svg_img("".join(parts), alt, width=width, height=height)
