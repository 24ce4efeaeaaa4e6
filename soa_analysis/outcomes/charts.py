"""Charts of outcome indicators: functions returning ``(matplotlib Figure, alt text)``.

- :func:`small_multiples`: one panel per indicator, the council against Scotland over time;
  projected years shaded and labelled "projected", imputed years drawn as hollow markers.
- :func:`priority_grid`: councils x priorities, the narrative evidence (best grade and
  number of case studies) beside the movement of the priority's indicators.

The report turns a figure into an ``<img>`` with its alt text (``report.charts.figure_html``).
Colours are Okabe-Ito (colour-blind safe), and nothing rests on colour alone: lines differ
in style, markers in fill, and grid cells carry their numbers as text.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from ..schema import GRADES, PRIORITY_IDS  # noqa: E402

__all__ = ["small_multiples", "priority_grid", "COUNCIL_COLOUR", "SCOTLAND_COLOUR"]

COUNCIL_COLOUR = "#0072B2"   # Okabe-Ito blue
SCOTLAND_COLOUR = "#555555"
PROJECTED_SHADE = "#F0E442"  # Okabe-Ito yellow, light
GRADE_FILL = {"strong": "#0072B2", "some": "#56B4E9", "planned": "#E69F00", "none": "#BBBBBB", "": "#FFFFFF"}
MOVEMENT_FILL = {"more improving": "#009E73", "more worsening": "#D55E00", "mixed or little change": "#DDDDDD",
                 "no indicator data": "#FFFFFF"}
_RC = {"text.parse_math": False, "font.size": 8, "axes.titlesize": 9, "axes.titleweight": "bold",
       "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100}


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "no value"
    a = abs(v)
    return f"{v:,.0f}" if a >= 100 else f"{v:,.1f}"


def _panel(ax, g: pd.DataFrame, council: str, direction: str) -> str:
    g = g.sort_values(["period", "year"])
    actual = g[g["type"] != "projected"]
    proj = g[g["type"] == "projected"]
    x = list(g["period"])
    if len(proj):
        lo, hi = proj["period"].min() - 0.5, proj["period"].max() + 0.5
        ax.axvspan(lo, hi, color=PROJECTED_SHADE, alpha=0.25, linewidth=0, zorder=0)
        ax.text((lo + hi) / 2, 0.98, "projected", transform=ax.get_xaxis_transform(), ha="center", va="top",
                fontsize=7, style="italic")
    # Scotland: dashed grey; council: solid blue; projections: dotted, joined to the last actual year.
    ax.plot(actual["period"], actual["scotland_value"], color=SCOTLAND_COLOUR, linestyle="--", linewidth=1.2)
    ax.plot(actual["period"], actual["value"], color=COUNCIL_COLOUR, linewidth=1.8)
    if len(proj):
        join = pd.concat([actual.tail(1), proj])
        ax.plot(join["period"], join["scotland_value"], color=SCOTLAND_COLOUR, linestyle=":", linewidth=1.2)
        ax.plot(join["period"], join["value"], color=COUNCIL_COLOUR, linestyle=":", linewidth=1.8)
    raw = g[g["type"] == "raw"]
    est = g[g["type"] != "raw"]
    ax.plot(raw["period"], raw["value"], "o", color=COUNCIL_COLOUR, markersize=3.5)
    ax.plot(est["period"], est["value"], "o", markerfacecolor="white", markeredgecolor=COUNCIL_COLOUR,
            markersize=3.5)
    ticks = sorted({x[0], x[len(x) // 2], x[-1]}) if x else []
    labels = dict(zip(g["period"], g["year"]))
    ax.set_xticks(ticks, [labels[t] for t in ticks])
    ax.set_title(g["label"].iloc[0])
    ax.text(0.0, -0.22, direction, transform=ax.transAxes, fontsize=7, color="#333333")
    ax.margins(x=0.04)
    first, last = actual.head(1), actual.tail(1)
    if first.empty:
        return f"{g['label'].iloc[0]}: no values."
    text = (f"{g['label'].iloc[0]} ({direction}): {council} {_fmt(first['value'].iloc[0])} in {first['year'].iloc[0]} "
            f"and {_fmt(last['value'].iloc[0])} in {last['year'].iloc[0]}; Scotland "
            f"{_fmt(first['scotland_value'].iloc[0])} and {_fmt(last['scotland_value'].iloc[0])}")
    if len(proj):
        text += f"; projected to {proj['year'].iloc[-1]}"
    return text + "."


def small_multiples(series: pd.DataFrame, council: str, directions: dict[str, str], *, title: str = "",
                    ncols: int = 3):
    """One panel per indicator: the council against Scotland over time.

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
        Figure title.
    ncols : int
        Panels per row.

    Returns
    -------
    tuple
        ``(matplotlib.figure.Figure, alt text)``; ``(None, "")`` when ``series`` is empty.
    """
    if series.empty:
        return None, ""
    order = list(dict.fromkeys(series["indicator"]))
    n = len(order)
    cols = min(ncols, n)
    rows = math.ceil(n / cols)
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.3 * rows + 0.7), squeeze=False)
        alts = []
        for k, iid in enumerate(order):
            ax = axes[k // cols][k % cols]
            alts.append(_panel(ax, series[series["indicator"] == iid], council, directions.get(iid, "")))
        for k in range(n, rows * cols):
            axes[k // cols][k % cols].set_visible(False)
        handles = [plt.Line2D([], [], color=COUNCIL_COLOUR, linewidth=1.8, label=council),
                   plt.Line2D([], [], color=SCOTLAND_COLOUR, linestyle="--", linewidth=1.2, label="Scotland"),
                   plt.Line2D([], [], color="#333333", marker="o", linestyle="", markerfacecolor="white",
                              markersize=4, label="imputed year (hollow)"),
                   Patch(facecolor=PROJECTED_SHADE, alpha=0.25, label="projected years (dotted)")]
        fig.legend(handles=handles, loc="lower center", ncols=4, frameon=False, bbox_to_anchor=(0.5, 0.0))
        if title:
            fig.suptitle(title, fontweight="bold", fontsize=10, y=1 - 0.12 / fig.get_figheight())
        # fixed margins in inches (tight_layout would measure every label: most of the chart's cost)
        w, h = fig.get_figwidth(), fig.get_figheight()
        fig.subplots_adjust(left=0.5 / w, right=1 - 0.15 / w, top=1 - 0.62 / h, bottom=0.85 / h,
                            wspace=0.35, hspace=0.6 if rows > 1 else 0.2)
    alt = (f"Small multiples: {title or 'outcome indicators'}, {council} (solid line) against Scotland (dashed), "
           "projected years shaded. " + " ".join(alts))
    return fig, alt


def priority_grid(view: pd.DataFrame, labels: dict[str, str], *, title: str):
    """Councils x priorities: evidence grade and case studies beside indicator movement.

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
    tuple
        ``(matplotlib.figure.Figure, alt text)``; ``(None, "")`` when ``view`` is empty.
    """
    if view.empty:
        return None, ""
    councils = list(dict.fromkeys(view["council"]))
    cell = view.set_index(["council", "priority"])
    n = len(councils)
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(9.2, 0.26 * n + 2.0))
        for r, c in enumerate(councils):
            for k, p in enumerate(PRIORITY_IDS):
                if (c, p) not in cell.index:
                    continue
                v = cell.loc[(c, p)]
                y = n - 1 - r
                ax.add_patch(Rectangle((k * 2, y), 0.96, 0.9, facecolor=GRADE_FILL.get(v["best_grade"], "#FFFFFF"),
                                       edgecolor="#888888", linewidth=0.4))
                dark = v["best_grade"] == "strong"
                ax.text(k * 2 + 0.48, y + 0.45, str(int(v["case_studies"])) if v["case_studies"] else "–",
                        ha="center", va="center", fontsize=7, color="white" if dark else "black")
                ax.add_patch(Rectangle((k * 2 + 1.0, y), 0.96, 0.9,
                                       facecolor=MOVEMENT_FILL.get(v["movement"], "#FFFFFF"),
                                       edgecolor="#888888", linewidth=0.4,
                                       hatch="///" if v["movement"] == "no indicator data" else None))
                mv = f"\u2191{int(v['improving'])} \u2193{int(v['worsening'])}" if v["movement"] != "no indicator data" else ""
                ax.text(k * 2 + 1.48, y + 0.45, mv, ha="center", va="center", fontsize=6.5)
        ax.set_xlim(-0.1, 2 * len(PRIORITY_IDS))
        ax.set_ylim(-0.2, n + 0.1)
        ax.set_yticks([n - 1 - r + 0.45 for r in range(n)], councils)
        ax.set_xticks([k * 2 + 0.98 for k in range(len(PRIORITY_IDS))], [labels.get(p, p) for p in PRIORITY_IDS])
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
        ax.set_title(title, pad=28)
        handles = [Patch(facecolor=GRADE_FILL[g], edgecolor="#888888", label=f"best grade: {g}") for g in GRADES]
        handles += [Patch(facecolor=MOVEMENT_FILL[m], edgecolor="#888888", label=f"indicators: {m}",
                          hatch="///" if m == "no indicator data" else None) for m in MOVEMENT_FILL]
        fig.legend(handles=handles, loc="lower center", ncols=4, frameon=False, fontsize=7)
        fig.text(0.5, 0.085 if n > 10 else 0.16,
                 "Each priority: left square = case studies (number; colour = best evidence grade); right square = "
                 "the priority's indicators since the first year (\u2191 improving, \u2193 worsening).",
                 ha="center", fontsize=7)
        fig.tight_layout(rect=(0, 0.1 if n > 10 else 0.2, 1, 1))
    strong_worse = view[(view["strong"] > 0) & (view["worsening"] > 0)]
    alt = (f"Grid: {title}. {n} councils by {len(PRIORITY_IDS)} priorities; each cell shows the number of case "
           "studies with the best evidence grade, beside how many of the priority's indicators improved or worsened. "
           f"{int((view['case_studies'] > 0).sum())} council-priority pairs have case studies; "
           f"{int((view['movement'] == 'more worsening').sum())} have more indicators worsening than improving; "
           f"{len(strong_worse)} pair strong evidence with at least one worsening indicator"
           + (": " + "; ".join(f"{a} ({labels.get(b, b)})" for a, b in
                              zip(strong_worse["council"], strong_worse["priority"])) if len(strong_worse) else "")
           + ".")
    return fig, alt
