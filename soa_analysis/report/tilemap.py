"""The tile map: Scotland's 32 council areas as squares, coloured by a value.

Drawn as a small SVG image (:mod:`.svg`): 32 squares are a few kilobytes of markup and cost
no drawing time, which matters because every council page has two maps of its own (its tile
outlined).
"""

from __future__ import annotations

import math

import pandas as pd

from .html import top_values
from .palette import OKABE_ITO, sequential_hex
from .svg import scale_defs, scale_legend, svg_img
from .svg import text as _text
from .tiles import council_tiles

__all__ = ["tile_map"]

_TILE = 56  # side of a square, px
_STEP = 60  # square plus gap
_LEFT, _TOP = 8, 50
_COLS, _ROWS = 7, 8
_LEGEND_X = _LEFT + _COLS * _STEP + 18
_WIDTH = _LEGEND_X + 90
_HEIGHT = _TOP + _ROWS * _STEP + 8


def tile_map_svg(values: dict[str, float], *, share: bool, highlight: str = "") -> str:
    """The SVG markup of a tile map of ``values`` (council -> value; NaN or absent: no data)."""
    vmax = 1.0 if share else max([v for v in values.values() if not math.isnan(v)] + [1.0])
    what = "Share of graded submissions with strong evidence" if share else "Submissions per council area"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" font-family="Arial, Helvetica, sans-serif">',
        scale_defs(),
        f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="#fff"/>',
        _text(_WIDTH / 2, 18, what, size=14, weight="bold"),
        _text(_WIDTH / 2, 36, "(tile map: one square per council, roughly where it lies)", size=11),
    ]
    for t in council_tiles():
        v = values.get(t.council, float("nan"))
        x, y = _LEFT + t.col * _STEP, _TOP + t.row * _STEP
        missing = v is None or (isinstance(v, float) and math.isnan(v))
        fill = "url(#nodata)" if missing else sequential_hex(float(v) / vmax)
        stroke, width = (OKABE_ITO["vermillion"], 4) if t.council == highlight else ("#555", 1)
        parts.append(f'<rect x="{x}" y="{y}" width="{_TILE}" height="{_TILE}" fill="{fill}" '
                     f'stroke="{stroke}" stroke-width="{width}"/>')
        ink = "#fff" if not missing and float(v) / vmax > 0.55 else "#000"
        shown = "–" if missing else (f"{v:.0%}" if share else f"{int(v)}")
        parts.append(_text(x + _TILE / 2, y + 24, t.abbrev, size=12, colour=ink, weight="bold"))
        parts.append(_text(x + _TILE / 2, y + 42, shown, size=11, colour=ink))
    parts.append(scale_legend(_LEGEND_X, _TOP + 90, _TOP + 330, vmax=vmax, share=share,
                              caption="share strong" if share else "submissions"))
    parts.append("</svg>")
    return "".join(parts)


def tile_map(summary: pd.DataFrame, *, value: str = "submissions", highlight: str = "") -> str:
    """Tile map of the 32 council areas, each a square coloured by ``value``, as an ``<img>``.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`.tables.council_summary` (one row per council, all 32).
    value : str
        ``"submissions"`` or ``"share_strong"``.
    highlight : str
        Council whose tile is outlined (a council report); ``""`` for none.

    Returns
    -------
    str
        An ``<img>`` whose ``src`` is the SVG as a ``data:`` URI and whose alt text names the
        largest values.
    """
    vals = summary.set_index("council")[value]
    share = value == "share_strong"
    svg = tile_map_svg({c: float(v) for c, v in vals.items()}, share=share, highlight=highlight)
    what = "Share of graded submissions with strong evidence" if share else "Submissions per council area"
    shown = vals.dropna()
    none = [c for c in vals.index if (pd.isna(vals[c]) or vals[c] == 0)]
    alt = (f"Tile map of Scotland's 32 council areas coloured by {what.lower()}. "
           f"Highest: {top_values(list(shown.index), list(shown.values)) or 'none'}. "
           f"{len(none)} council areas have no {'graded ' if share else ''}submissions.")
    if highlight:
        alt += f" {highlight} is outlined."
    return svg_img(svg, alt, width=_WIDTH, height=_HEIGHT, cls="chart tilemap")
