"""The 32 council areas and their squares on the tile map (packaged ``data/tiles.csv``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

__all__ = ["Tile", "council_tiles", "tile_legend_table"]


@dataclass(frozen=True)
class Tile:
    """One council's square on the tile map."""

    council: str
    code: str
    old_code: str
    abbrev: str
    row: int
    col: int


@lru_cache(maxsize=1)
def council_tiles() -> tuple[Tile, ...]:
    """The 32 council areas with their tile-map positions."""
    text = resources.files("soa_analysis.report").joinpath("data/tiles.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return tuple(
        Tile(r["council"], r["code"], r["old_code"], r["abbrev"], int(r["row"]), int(r["col"])) for r in rows
    )


def tile_legend_table() -> pd.DataFrame:
    """Tile abbreviations and the councils they stand for."""
    return pd.DataFrame([(t.abbrev, t.council) for t in council_tiles()], columns=["tile", "council"])
