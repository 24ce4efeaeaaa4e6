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


# --- issue 15: what a board member sees first -------------------------------------------------

_FRACTION = re.compile(r"^-?\d+\.\d+$")


@pytest.mark.parametrize("draw", [
    lambda: charts.hbar(pd.DataFrame({"label": ["Fife"], "n": [1]}), label_col="label", value_col="n",
                        title="One council", xlabel="submissions"),
    lambda: charts.hbar(pd.DataFrame({"label": list("abc"), "n": [2, 1, 1]}), label_col="label", value_col="n",
                        title="Three", xlabel="submissions"),
    lambda: charts.grade_stack(pd.DataFrame({"label": ["Jobs"], "strong": [1], "some": [0], "planned": [1],
                                             "none": [0]}), title="Grades"),
    lambda: charts.grouped_bars(pd.DataFrame({"label": ["t"], "a": [1], "b": [0]}), label_col="label",
                                series={"a": "A", "b": "B"}, title="Grouped", xlabel="submissions"),
    lambda: charts.timeline(pd.DataFrame({"period": ["2012 H1", "no date"], "next_steps": [3, 1]}), title="Due"),
    lambda: charts.heatmap(pd.DataFrame([[3, 1], [1, 2]], index=["police", "nhs_board"],
                                        columns=["police", "nhs_board"]), title="Pairs", cbar_label="submissions"),
    lambda: tile_map(pd.DataFrame({"council": [t.council for t in council_tiles()],
                                   "submissions": [i % 3 for i in range(32)]}), value="submissions"),
], ids=["hbar-1", "hbar-3", "stack", "grouped", "timeline", "heatmap", "tilemap"])
def test_charts_of_counts_have_whole_number_marks(draw):
    root, _, _ = _svg(draw())
    fractions = [t for t in _texts(root) if _FRACTION.match(t.strip())]
    assert fractions == []


def test_national_outcome_chart_says_how_many_bars(tmp_path):
    from soa_analysis.report import sections
    from soa_analysis.report.data import load_report_data
    from soa_analysis.report.synthetic import make_synthetic_processed

    data = load_report_data(make_synthetic_processed(tmp_path / "p", n=6))
    html = sections.priorities(data).data
    assert "top 20" not in html
    assert re.search(r"Submissions per National Outcome \(\d+ outcomes?\)|the 20 most frequent of \d+", html)


def _lab(hex_colour: str) -> tuple[float, float, float]:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4))
    lin = [((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92 for c in (r, g, b)]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def test_priority_highlights_are_clearly_distinct():
    """Each pair of the six highlight colours at least 20 apart in CIELAB (the two yellows were 9)."""
    from itertools import combinations

    from soa_analysis.report.page import template_dir
    from soa_analysis.schema import PRIORITY_IDS

    css = (template_dir() / "soa" / "soa.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"\.tag-([a-z-]+) \{ background: #([0-9a-f]{6}); \}", css))
    assert set(colours) == {p.replace("_", "-") for p in PRIORITY_IDS}
    for a, b in combinations(colours, 2):
        d = sum((x - y) ** 2 for x, y in zip(_lab(colours[a]), _lab(colours[b]))) ** 0.5
        assert d >= 20, (a, b, round(d, 1))


def test_dates_in_tables_are_never_wrapped():
    from soa_analysis.report.html import html_table
    from soa_analysis.report.page import template_dir

    html = html_table(pd.DataFrame({"what": ["Open the hub"], "due": ["2011-03-31"], "by_when": ["2011/12"]}), "x")
    assert html.count("class=date") == 2
    css = (template_dir() / "soa" / "soa.css").read_text(encoding="utf-8")
    assert re.search(r"td\.date[^{]*\{ white-space: nowrap; \}", css)
    # cards are laid out (and printed) without scrolling to them; the only use is printing folded sections open
    assert re.findall(r"content-visibility:\s*(\w+)", css) == ["visible"]


def test_no_callout_announcing_zero_unsupported_claims(tmp_path):
    from soa_analysis.report import sections
    from soa_analysis.report.data import load_report_data
    from soa_analysis.report.synthetic import make_synthetic_processed

    p = make_synthetic_processed(tmp_path / "p", n=6)
    av = pd.read_parquet(p / "added_value.parquet")
    av["ticked"] = False
    if "unsupported" in av.columns:
        av["unsupported"] = False
    av.to_parquet(p / "added_value.parquet")
    html = sections.added_value(load_report_data(p)).data
    assert 'class="callout"' not in html and "0 ticked" not in html


def test_council_page_offers_no_council_filter(tmp_path):
    from soa_analysis.report.cards import cards_html
    from soa_analysis.report.data import load_report_data
    from soa_analysis.report.synthetic import make_synthetic_processed

    data = load_report_data(make_synthetic_processed(tmp_path / "p", n=6, councils=["Fife", "Moray"]))
    assert "All councils" in cards_html(data)
    council = cards_html(data.for_council("Fife"))
    assert "All councils" not in council and 'name="council"' not in council
    assert "All priorities" in council
