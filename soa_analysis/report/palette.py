"""Colours of the charts and the tile map: Okabe-Ito (colour-blind safe) and one sequential map."""

from __future__ import annotations

from matplotlib.colors import LinearSegmentedColormap, to_hex

__all__ = ["OKABE_ITO", "GRADE_COLOURS", "SEQUENTIAL", "sequential_hex"]

OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
}
GRADE_COLOURS = {"strong": OKABE_ITO["blue"], "some": OKABE_ITO["sky_blue"],
                 "planned": OKABE_ITO["orange"], "none": "#BBBBBB"}
# Sequential map from white to Okabe-Ito blue: monotone in lightness, readable in grey.
SEQUENTIAL = LinearSegmentedColormap.from_list("soa_blue", ["#F7FBFF", "#56B4E9", "#0072B2", "#00284D"])


def sequential_hex(x: float) -> str:
    """The colour of ``x`` (0 to 1) on :data:`SEQUENTIAL`, as ``#rrggbb``.

    Example
    -------
    >>> sequential_hex(0.0), sequential_hex(1.0)
    ('#f7fbff', '#00284d')
    """
    return to_hex(SEQUENTIAL(min(max(float(x), 0.0), 1.0)))
