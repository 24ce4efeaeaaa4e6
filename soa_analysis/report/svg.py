"""SVG pictures as ``<img>`` elements: a ``data:`` URI with alt text.

Every chart and map of a report is an SVG image shown through ``<img>``, which never runs
script and makes no request; the Content-Security-Policy allows images only from
``data:`` URIs. Texts inside hand-drawn SVG go through :func:`text` (XML-escaped).
"""

from __future__ import annotations

import base64
import math
from html import escape as _xml

from .palette import sequential_hex
from .safe import esc

__all__ = ["text", "svg_img", "scale_defs", "scale_legend"]


def text(x: float, y: float, s: str, *, size: float, colour: str = "#000", weight: str = "normal",
         anchor: str = "middle", rotate: float = 0) -> str:
    """One SVG ``<text>`` element, its content XML-escaped."""
    turn = f' transform="rotate({rotate:g} {x:.1f} {y:.1f})"' if rotate else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" fill="{colour}" '
            f'text-anchor="{anchor}"{turn}>{_xml(s)}</text>')


def svg_img(svg: str | bytes, alt: str, *, width: int, height: int, cls: str = "chart") -> str:
    """An ``<img>`` showing ``svg`` (as a base64 ``data:`` URI), with escaped alt text and its size."""
    data = base64.b64encode(svg if isinstance(svg, bytes) else svg.encode("utf-8")).decode("ascii")
    return (f'<img class="{esc(cls)}" src="data:image/svg+xml;base64,{data}" alt="{esc(alt)}" '
            f'width="{int(width)}" height="{int(height)}">')


def scale_defs() -> str:
    """SVG ``<defs>``: the colour scale gradient (``#scale``) and a hatch for "no data" (``#nodata``)."""
    stops = "".join(f'<stop offset="{i / 8:.3f}" stop-color="{sequential_hex(i / 8)}"/>' for i in range(9))
    return ('<defs><pattern id="nodata" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" stroke-width="2"/></pattern>'
            f'<linearGradient id="scale" x1="0" y1="1" x2="0" y2="0">{stops}</linearGradient></defs>')


def scale_legend(x: float, top: float, bottom: float, *, vmax: float, share: bool, caption: str) -> str:
    """A vertical colour bar from 0 (bottom) to ``vmax`` (top), with up to three values and a caption.

    A count scale (``share=False``) is marked with whole numbers only.

    Example
    -------
    >>> import re
    >>> re.findall(r">([^<]*)</text>", scale_legend(0, 10, 110, vmax=3, share=False, caption="n"))[1:]
    ['0', '2', '3']
    """
    parts = [text(x, top - 10, caption, size=11, anchor="start"),
             f'<rect x="{x}" y="{top}" width="16" height="{bottom - top}" fill="url(#scale)" '
             'stroke="#555" stroke-width="0.5"/>']
    # counts get whole-number marks only (0, the middle one when whole, the top)
    values = (0.0, 0.5 * vmax, vmax) if share else sorted({0, round(vmax / 2), int(math.ceil(vmax))})
    for v in values:
        frac = v / vmax if vmax else 0.0
        parts.append(text(x + 22, bottom - frac * (bottom - top) + 4, f"{v:.0%}" if share else f"{int(v)}",
                          size=11, anchor="start"))
    return "".join(parts)
