"""Charts and the tile map: SVG images with alt text, labels escaped inside the SVG.

All test data is fictional.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from soa_analysis.report import charts
from soa_analysis.report.tilemap import tile_map
from soa_analysis.report.tiles import council_tiles

IMG = re.compile(r'<img class="[^"]*" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)" '
                 r'width="(\d+)" height="(\d+)">')


def _svg(html: str) -> tuple[ET.Element, str, str]:
    m = IMG.fullmatch(html)
    assert m, html[:200]
    text = base64.b64decode(m.group(1)).decode("utf-8")
    return ET.fromstring(text), text, m.group(2)


def _texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("text")]


def test_bar_chart_escapes_labels_and_says_the_values_in_its_alt_text():
    df = pd.DataFrame({"label": ["<b>Jobs</b> & skills", "Older people"], "n": [3, 5]})
    root, text, alt = _svg(charts.hbar(df, label_col="label", value_col="n", title="Fictional counts", xlabel="n"))
    assert "<b>" not in text and "&lt;b&gt;Jobs" in text
    assert "<script" not in text and "http" not in text.replace("http://www.w3.org", "")
    assert any("<b>Jobs</b> & skills" in t for t in _texts(root))
    assert alt == "Bar chart: Fictional counts. Older people: 5; &lt;b&gt;Jobs&lt;/b&gt; &amp; skills: 3."


def test_an_empty_chart_says_so():
    df = pd.DataFrame({"label": ["a"], "n": [0]})
    assert "nothing to chart" in charts.hbar(df, label_col="label", value_col="n", title="T", xlabel="n")


@pytest.mark.parametrize("make", [
    lambda: charts.grade_stack(pd.DataFrame({"label": ["Employment"], "strong": [1], "some": [2], "planned": [0],
                                             "none": [1]}), title="Grades"),
    lambda: charts.grouped_bars(pd.DataFrame({"label": ["Prevention"], "a": [2], "b": [1]}), label_col="label",
                                series={"a": "evidenced", "b": "ticked"}, title="Themes", xlabel="n"),
    lambda: charts.timeline(pd.DataFrame({"period": ["2013 H1", "no date"], "next_steps": [3, 1]}), title="Due"),
    lambda: charts.heatmap(pd.DataFrame([[2, 1], [1, 3]], index=["police", "nhs_board"],
                                        columns=["police", "nhs_board"]), title="Pairs", cbar_label="submissions"),
])
def test_every_chart_is_a_valid_svg_image_with_alt_text(make):
    root, _, alt = _svg(make())
    assert root.tag.endswith("svg") and alt.strip()


def test_heatmap_writes_the_counts_in_its_cells():
    m = pd.DataFrame([[2, 1], [1, 3]], index=["police", "nhs_board"], columns=["police", "nhs_board"])
    root, _, alt = _svg(charts.heatmap(m, title="Pairs", cbar_label="submissions"))
    assert {"2", "1", "3", "Police", "NHS board"} <= set(_texts(root))
    assert "Police with NHS board (1 submissions)" in alt


def test_tile_map_has_every_council_and_outlines_the_highlighted_one():
    summary = pd.DataFrame({"council": [t.council for t in council_tiles()], "submissions": range(32)})
    root, text, alt = _svg(tile_map(summary, highlight="Fife"))
    assert {t.abbrev for t in council_tiles()} <= set(_texts(root))
    outlined = [r for r in root.iter() if r.tag.endswith("rect") and r.get("stroke-width") == "4"]
    assert len(outlined) == 1 and "Fife is outlined" in alt
    last, before = council_tiles()[-1].council, council_tiles()[-2].council  # the largest values
    assert f"Highest: {last}: 31; {before}: 30;" in alt
    assert "Shetland Islands" not in text  # names are in the legend table, not the picture
