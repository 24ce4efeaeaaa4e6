"""Tests of soa_analysis.outcomes.charts: the outcome indicators' small multiples and the national grid,
drawn as SVG images, and the outcome section's use of them.

Every outcome file and submission here is FICTIONAL (invented figures and text).
"""

from __future__ import annotations

import base64
import re
import textwrap
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from soa_analysis.outcomes import parse_outcome_csv
from soa_analysis.outcomes.charts import (
    COUNCIL_COLOUR,
    SCOTLAND_COLOUR,
    priority_grid,
    small_multiples,
    small_multiples_svg,
)
from soa_analysis.outcomes.reading import series
from soa_analysis.schema import PRIORITY_IDS

SVG = "{http://www.w3.org/2000/svg}"

# FICTIONAL figures: Fife's crime rate falls below Scotland's, with one imputed and one projected year;
# its employment rate has a missing year.
FICTIONAL = textwrap.dedent("""\
    CPP,Indicator,Type,Year,value
    Scotland,Crime Rate,Raw data,2010/11,100
    Scotland,Crime Rate,Raw data,2011/12,90
    Scotland,Crime Rate,Raw data,2012/13,88
    Scotland,Crime Rate,Projected,2013/14,85
    Fife,Crime Rate,Imputed,2010/11,80
    Fife,Crime Rate,Raw data,2011/12,76
    Fife,Crime Rate,Raw data,2012/13,70
    Fife,Crime Rate,Projected,2013/14,60
    Moray,Crime Rate,Raw data,2010/11,120
    Scotland,Employment Rate,Raw data,2010/11,70
    Scotland,Employment Rate,Raw data,2011/12,70.35
    Scotland,Employment Rate,Raw data,2012/13,71
    Fife,Employment Rate,Raw data,2010/11,72
    Fife,Employment Rate,Raw data,2011/12,NA
    Fife,Employment Rate,Raw data,2012/13,73
""")
DIRECTIONS = {"crime_rate": "lower is better", "employment_rate": "higher is better"}


def _fife() -> pd.DataFrame:
    return series(parse_outcome_csv(FICTIONAL.encode(), "fictional.csv"), ["Fife"])


def _svg_of(img: str) -> ET.Element:
    """The SVG inside an ``<img>``'s data: URI, parsed (so it is well-formed XML)."""
    src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', img)
    assert src, img[:200]
    return ET.fromstring(base64.b64decode(src.group(1)))


def _alt(img: str) -> str:
    return re.search(r'alt="([^"]*)"', img).group(1)


def _cls(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(SVG + tag) if cls in e.get("class", "").split()]


def _panel(root: ET.Element, title: str) -> ET.Element:
    """The ``<g class="panel">`` whose first text is ``title``."""
    panels = [g for g in _cls(root, "g", "panel") if g.find(SVG + "text").text == title]
    assert len(panels) == 1, title
    return panels[0]


def _points(e: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in e.get("points").split()]


def test_small_multiples_draw_the_council_and_scotland_one_panel_each():
    img = small_multiples(_fife(), "Fife", DIRECTIONS, title="Fife: Safer communities indicators")
    root = _svg_of(img)
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "Crime rate" in texts and "Employment rate" in texts and "Fife: Safer communities indicators" in texts
    assert len(_cls(root, "g", "panel")) == 2

    def lines(title: str) -> tuple[list[ET.Element], list[ET.Element]]:
        panel = _panel(root, title)
        solid = [e for e in _cls(panel, "polyline", "council") if "projected" not in e.get("class")]
        dashed = [e for e in _cls(panel, "polyline", "scotland") if "projected" not in e.get("class")]
        assert all(e.get("stroke") == COUNCIL_COLOUR and not e.get("stroke-dasharray") for e in solid)
        assert all(e.get("stroke") == SCOTLAND_COLOUR and e.get("stroke-dasharray") for e in dashed)
        return solid, dashed

    # crime rate: Fife 80, 76, 70 against Scotland 100, 90, 88 (a higher value is higher up: a smaller y)
    solid, dashed = lines("Crime rate")
    assert len(solid) == len(dashed) == 1
    fife, scot = _points(solid[0]), _points(dashed[0])
    assert len(fife) == len(scot) == 3
    assert [x for x, _ in fife] == [x for x, _ in scot]  # same years
    assert fife[0][1] < fife[1][1] < fife[2][1]  # falling values go down the panel
    assert all(fy > sy for (_, fy), (_, sy) in zip(fife, scot))  # Fife below Scotland throughout
    # employment rate: the missing 2011/12 breaks Fife's line (two lone years, no line between them), while
    # Scotland's line runs through its three years
    solid, dashed = lines("Employment rate")
    assert solid == [] and len(dashed) == 1 and len(_points(dashed[0])) == 3
    assert len(_cls(_panel(root, "Employment rate"), "circle", "council")) == 2


def test_projected_years_are_shaded_labelled_and_dotted():
    root = _svg_of(small_multiples(_fife(), "Fife", DIRECTIONS))
    shade = _cls(root, "rect", "projected")
    assert len(shade) == 1  # only the crime rate has a projected year
    assert [t.text for t in _cls(root, "text", "projected")] == ["projected"]
    dotted = _cls(root, "polyline", "projected")
    assert {e.get("class") for e in dotted} == {"council projected", "scotland projected"}
    assert all(e.get("stroke-dasharray") for e in dotted)
    # the dotted line starts at the last actual year and ends inside the shaded band
    x, w = float(shade[0].get("x")), float(shade[0].get("width"))
    council = next(e for e in dotted if e.get("class") == "council projected")
    (x_last, _), (x_proj, _) = _points(council)
    assert x_last < x < x_proj < x + w
    # the imputed year and the projected year are hollow markers; raw years are filled
    fills = {e.get("class"): e.get("fill") for e in root.iter(SVG + "circle") if e.get("class")}
    assert fills["council imputed"] == fills["council projected"] == "#fff"
    assert fills["council"] == COUNCIL_COLOUR


def test_alt_text_names_the_lines_the_figures_and_the_projection():
    alt = _alt(small_multiples(_fife(), "Fife", DIRECTIONS, title="Fife: Safer communities indicators"))
    assert alt.startswith("Small multiples: Fife: Safer communities indicators, Fife (solid line) against Scotland "
                          "(dashed), projected years shaded.")
    assert ("Crime rate (lower is better): Fife 80.0 in 2010/11 and 70.0 in 2012/13; Scotland 100 and 88.0; "
            "projected to 2013/14.") in alt
    assert "Employment rate (higher is better): Fife 72.0 in 2010/11 and 73.0 in 2012/13" in alt


def test_names_are_escaped_inside_the_svg_and_the_alt_text():
    s = _fife().assign(label="Crime <b>&</b> rate")
    img = small_multiples(s, "Fife <script>", DIRECTIONS, title='A "title" <i>')
    root = _svg_of(img)  # parses: every text is XML-escaped
    assert "Crime <b>&</b> rate" in [t.text for t in root.iter(SVG + "text")]
    assert "<script>" not in img and "<i>" not in img.split('alt="')[1]
    assert "&lt;script&gt;" in _alt(img)


def test_no_series_no_chart():
    assert small_multiples(_fife().head(0), "Fife", DIRECTIONS) == ""
    assert small_multiples_svg(_fife().head(0), "Fife", DIRECTIONS) == ("", "", 0, 0)


def test_panels_wrap_into_rows_and_the_image_has_its_size():
    s = _fife()
    many = pd.concat([s.assign(indicator=f"{i}_{k}") for k in range(4) for i in ("a",)] + [s])
    svg, alt, width, height = small_multiples_svg(many, "Fife", {}, ncols=3)
    one_row = small_multiples_svg(s, "Fife", {}, ncols=3)[3]
    assert height > one_row  # more panels than columns: a second row
    root = ET.fromstring(svg)
    assert (root.get("width"), root.get("height")) == (str(width), str(height))


def _view() -> pd.DataFrame:
    rows = []
    for c in ("Fife", "Moray"):
        for p in PRIORITY_IDS:
            strong = int(c == "Fife" and p == PRIORITY_IDS[0])
            rows.append({"council": c, "priority": p, "case_studies": 2 if strong else 0,
                         "best_grade": "strong" if strong else "", "strong": strong,
                         "improving": 1, "worsening": 2 if strong else 0,
                         "movement": "more worsening" if strong else ("no indicator data" if c == "Moray"
                                                                      else "more improving")})
    return pd.DataFrame(rows)


def test_priority_grid_draws_every_cell_with_its_numbers_and_names_the_gaps_in_alt_text():
    labels = {p: p.replace("_", " ").capitalize() for p in PRIORITY_IDS}
    img = priority_grid(_view(), labels, title="Narrative evidence beside indicator movement")
    root = _svg_of(img)
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "Fife" in texts and "Moray" in texts
    assert "2" in texts and "\u21911 \u21932" in texts  # Fife's first priority: 2 case studies, 1 up 2 down
    cells = [r for r in root.iter(SVG + "rect") if r.get("stroke-width") == "0.4"]
    assert len(cells) == 2 * 2 * len(PRIORITY_IDS)  # two squares a council and priority
    assert sum(r.get("fill") == "url(#nodata)" for r in cells) == len(PRIORITY_IDS)  # Moray: no indicator data
    alt = _alt(img)
    assert "2 councils by 6 priorities" in alt and f"Fife ({labels[PRIORITY_IDS[0]]})" in alt
    assert priority_grid(_view().head(0), labels, title="t") == ""


@pytest.fixture(scope="module")
def report_data(tmp_path_factory):
    from soa_analysis.report.data import load_report_data
    from soa_analysis.report.synthetic import make_synthetic_processed

    p = make_synthetic_processed(tmp_path_factory.mktemp("outcharts") / "processed", n=12, seed=3,
                                 councils=["Fife", "Moray"])
    return load_report_data(p, run_id="test")


@pytest.mark.parametrize("scope", ["Fife", ""])
def test_the_outcome_section_shows_svg_images_only(report_data, scope):
    from soa_analysis.report.outcomes_section import outcomes

    html = outcomes(report_data.for_council(scope) if scope else report_data).data
    imgs = re.findall(r"<img [^>]*>", html)
    assert imgs and all('src="data:image/svg+xml;base64,' in i for i in imgs)
    assert "image/png" not in html
    for img in imgs:
        _svg_of(img)
        assert len(_alt(img)) > 80
    if scope:  # a chart per priority with indicators that the council's case studies address
        headings = re.findall(r'<h3 id="outcomes-([a-z-]+)"', html)
        assert headings and len(imgs) == len(headings)
        assert all("projected" in _alt(i) for i in imgs)


def test_the_sections_split_of_the_outcome_file_gives_the_rows_reading_them_directly_gives():
    """The section reads CPOP's reading and the series for all councils once a process and slices them."""
    from soa_analysis.outcomes.reading import cpop_reading
    from soa_analysis.report import outcomes_section as sec

    key = sec._file_key("")
    od = sec._load(key)
    inds = ["p1_bmi", "crime_rate", "dwelling_fires"]
    for council in ("Fife", "Na h-Eileanan Siar", "City of Edinburgh"):
        pd.testing.assert_frame_equal(sec._series(key, council, inds), series(od, [council], inds))
    assert sec._series(key, "Atlantis", inds).empty  # not in the data: no rows, same columns
    councils = ["Fife", "Moray", "West Lothian"]
    pd.testing.assert_frame_equal(sec._rows_of(sec._whole(key).reading, "council", councils),
                                  cpop_reading(od, councils))
