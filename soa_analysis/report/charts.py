"""Charts: matplotlib (Agg) figures embedded as base64 PNG ``<img>`` with real alt text.

The palette is Okabe-Ito (colour-blind safe). Every chart has a title and labelled axes;
its alt text says what the chart shows in words, including the largest values, so a
reader using a screen reader gets the point without the picture.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402

from ..schema import GRADES  # noqa: E402
from .data import council_tiles, label  # noqa: E402
from .safe import esc, redact  # noqa: E402

OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
}
GRADE_COLOURS = {"strong": OKABE_ITO["blue"], "some": OKABE_ITO["sky_blue"],
                 "planned": OKABE_ITO["orange"], "none": "#BBBBBB"}
# Sequential map from white to Okabe-Ito blue: monotone in lightness, readable in grey.
SEQUENTIAL = LinearSegmentedColormap.from_list("soa_blue", ["#F7FBFF", "#56B4E9", "#0072B2", "#00284D"])
_RC = {
    "text.parse_math": False,  # a "$" in a council or theme name stays a dollar sign
    "font.size": 9, "axes.titlesize": 11, "axes.titleweight": "bold",
    "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100,
}


def figure_html(fig, alt: str, *, width: int | None = None) -> str:
    """Render ``fig`` to an ``<img>`` with a PNG data URI and escaped alt text; close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    w = f' style="max-width:{int(width)}px"' if width else ""
    return f'<img class="chart" src="data:image/png;base64,{data}" alt="{esc(alt)}"{w}>'


def _top(names, values, k=3) -> str:
    pairs = sorted(zip(values, names), key=lambda p: (-p[0], p[1]))[:k]
    return "; ".join(f"{n}: {v:g}" for v, n in pairs)


def _empty_note(msg: str) -> str:
    return f'<p class="empty">{esc(msg)}</p>'


def tile_map(summary: pd.DataFrame, *, value: str = "submissions", highlight: str = "") -> str:
    """Tile map of the 32 council areas, each a square coloured by ``value``.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`.tables.council_summary` (one row per council, all 32).
    value : str
        ``"submissions"`` or ``"share_strong"``.
    highlight : str
        Council whose tile is outlined (a council report); ``""`` for none.
    """
    vals = summary.set_index("council")[value]
    is_share = value == "share_strong"
    vmax = 1.0 if is_share else max(float(vals.max(skipna=True) or 0), 1.0)
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(6.2, 6.6))
        for t in council_tiles():
            v = vals.get(t.council, np.nan)
            x, y = t.col, -t.row
            face = "#FFFFFF" if pd.isna(v) else SEQUENTIAL(float(v) / vmax)
            lw, ec = (3.0, OKABE_ITO["vermillion"]) if t.council == highlight else (0.8, "#555555")
            ax.add_patch(plt.Rectangle((x - 0.46, y - 0.46), 0.92, 0.92, facecolor=face, edgecolor=ec,
                                       linewidth=lw, hatch=None if not pd.isna(v) else "///"))
            dark = not pd.isna(v) and float(v) / vmax > 0.55
            txt = "–" if pd.isna(v) else (f"{v:.0%}" if is_share else f"{int(v)}")
            ax.text(x, y + 0.14, t.abbrev, ha="center", va="center", fontsize=8, fontweight="bold",
                    color="white" if dark else "black")
            ax.text(x, y - 0.18, txt, ha="center", va="center", fontsize=7.5, color="white" if dark else "black")
        ax.set_xlim(-0.6, 6.6)
        ax.set_ylim(-7.6, 0.6)
        ax.set_aspect("equal")
        ax.axis("off")
        what = "Share of graded submissions with strong evidence" if is_share else "Submissions per council area"
        ax.set_title(f"{what}\n(tile map: one square per council, roughly where it lies)")
        sm = plt.cm.ScalarMappable(cmap=SEQUENTIAL, norm=plt.Normalize(0, vmax))
        cb = fig.colorbar(sm, ax=ax, shrink=0.5, pad=0.02)
        cb.set_label("share strong" if is_share else "submissions")
    shown = vals.dropna()
    none = [c for c in vals.index if (pd.isna(vals[c]) or vals[c] == 0)]
    alt = (f"Tile map of Scotland's 32 council areas coloured by {what.lower()}. "
           f"Highest: {_top(list(shown.index), list(shown.values)) or 'none'}. "
           f"{len(none)} council areas have no {'graded ' if is_share else ''}submissions.")
    if highlight:
        alt += f" {highlight} is outlined."
    return figure_html(fig, alt)


def tile_legend_table() -> pd.DataFrame:
    """Tile abbreviations and the councils they stand for."""
    return pd.DataFrame([(t.abbrev, t.council) for t in council_tiles()], columns=["tile", "council"])


def hbar(df: pd.DataFrame, *, label_col: str, value_col: str, title: str, xlabel: str,
         colour: str = OKABE_ITO["blue"], max_bars: int = 20) -> str:
    """Horizontal bar chart of one count per category (largest first)."""
    if df.empty or df[value_col].sum() == 0:
        return _empty_note(f"{title}: nothing to chart.")
    d = df.sort_values(value_col, ascending=False).head(max_bars)
    names = [redact(n)[:60] for n in d[label_col]]
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.5, 0.35 * len(d) + 1.2))
        ax.barh(range(len(d)), d[value_col], color=colour)
        ax.set_yticks(range(len(d)), names)
        ax.invert_yaxis()
        for i, v in enumerate(d[value_col]):
            ax.text(v, i, f" {v:g}", va="center", fontsize=8)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.xaxis.get_major_locator().set_params(integer=True)
    alt = f"Bar chart: {title}. " + _top(names, list(d[value_col]), k=len(d)) + "."
    return figure_html(fig, alt)


def grade_stack(df: pd.DataFrame, *, title: str) -> str:
    """Stacked horizontal bars: per priority, submissions by evidence grade."""
    if df.empty or df[list(GRADES)].to_numpy().sum() == 0:
        return _empty_note(f"{title}: no graded submissions to chart.")
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.5, 3.4))
        left = np.zeros(len(df))
        for g in GRADES:
            ax.barh(range(len(df)), df[g], left=left, color=GRADE_COLOURS[g], label=label(g),
                    edgecolor="white", linewidth=0.5)
            left += df[g].to_numpy()
        ax.set_yticks(range(len(df)), list(df["label"]))
        ax.invert_yaxis()
        ax.set_xlabel("submissions tagged with the priority")
        ax.set_title(title)
        ax.legend(ncols=4, loc="upper center", bbox_to_anchor=(0.45, -0.18), frameon=False)
    parts = [f"{r['label']}: " + ", ".join(f"{r[g]} {g}" for g in GRADES) for _, r in df.iterrows()]
    return figure_html(fig, f"Stacked bar chart: {title}. " + "; ".join(parts) + ".")


def grouped_bars(df: pd.DataFrame, *, label_col: str, series: dict[str, str], title: str, xlabel: str) -> str:
    """Horizontal grouped bars: several counts (``series``: column -> legend) per category."""
    if df.empty or df[list(series)].to_numpy().sum() == 0:
        return _empty_note(f"{title}: nothing to chart.")
    colours = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["vermillion"], OKABE_ITO["green"]]
    n, k = len(df), len(series)
    h = 0.8 / k
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.5, 0.5 * n + 1.4))
        for j, (col, name) in enumerate(series.items()):
            ax.barh(np.arange(n) + j * h, df[col], height=h, color=colours[j % 4], label=name,
                    hatch=["", "//", "..", "xx"][j % 4], edgecolor="white")
        ax.set_yticks(np.arange(n) + h * (k - 1) / 2, [redact(x)[:50] for x in df[label_col]])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(frameon=False, loc="lower right")
    parts = [f"{redact(r[label_col])}: " + ", ".join(f"{name} {r[c]}" for c, name in series.items())
             for _, r in df.iterrows()]
    return figure_html(fig, f"Bar chart: {title}. " + "; ".join(parts) + ".")


def heatmap(m: pd.DataFrame, *, title: str, cbar_label: str) -> str:
    """Square heatmap of a symmetric count matrix with counts written in the cells."""
    if m.empty:
        return _empty_note(f"{title}: nothing to chart.")
    names = [label(x) for x in m.index]
    vals = m.to_numpy()
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(0.55 * len(m) + 3, 0.5 * len(m) + 2))
        im = ax.imshow(vals, cmap=SEQUENTIAL, vmin=0)
        ax.set_xticks(range(len(m)), names, rotation=40, ha="right")
        ax.set_yticks(range(len(m)), names)
        vmax = vals.max() or 1
        if len(m) <= 16:
            for i in range(len(m)):
                for j in range(len(m)):
                    ax.text(j, i, int(vals[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if vals[i, j] / vmax > 0.55 else "black")
        ax.set_title(title)
        ax.set_xlabel("partner type")
        ax.set_ylabel("partner type")
        ax.spines[:].set_visible(False)
        fig.colorbar(im, ax=ax, shrink=0.7, label=cbar_label)
    pairs = [(vals[i, j], f"{names[i]} with {names[j]}") for i in range(len(m)) for j in range(i + 1, len(m))]
    top = sorted(pairs, key=lambda p: (-p[0], p[1]))[:3]
    alt = (f"Heatmap: {title}. Most frequent pairs: " + "; ".join(f"{n} ({v:g} submissions)" for v, n in top) + "."
           if top else f"Heatmap: {title}.")
    return figure_html(fig, alt)


def timeline(df: pd.DataFrame, *, title: str) -> str:
    """Vertical bars: next steps due per half-year (undated ones shown apart)."""
    if df.empty:
        return _empty_note(f"{title}: nothing to chart.")
    colours = [OKABE_ITO["sky_blue"] if p == "no date" else OKABE_ITO["green"] for p in df["period"]]
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.5, 3.0))
        ax.bar(range(len(df)), df["next_steps"], color=colours, edgecolor="#333333", linewidth=0.4)
        ax.set_xticks(range(len(df)), list(df["period"]), rotation=45 if len(df) > 10 else 0, ha="right" if len(df) > 10 else "center")
        ax.set_xlabel("when the next step is due (half-year)")
        ax.set_ylabel("next steps")
        ax.set_title(title)
        ax.yaxis.get_major_locator().set_params(integer=True)
    alt = f"Bar chart: {title}. " + "; ".join(f"{p}: {v}" for p, v in zip(df["period"], df["next_steps"])) + "."
    return figure_html(fig, alt)
