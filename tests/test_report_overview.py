"""The summary's first screen: what is strong, what is missing, folded sections and the contents.

All test data is fictional and built in tmp_path.
"""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from soa_analysis.report import contents, overview, tables
from soa_analysis.report.contents import SECTIONS, sections_for, show
from soa_analysis.report.data import load_report_data
from soa_analysis.report.folding import OPEN_JS, fold
from soa_analysis.report.page import csp
from soa_analysis.report.synthetic import make_synthetic_processed


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    p = make_synthetic_processed(tmp_path_factory.mktemp("ov") / "processed", n=12, councils=["Fife", "Moray", "Angus"])
    return load_report_data(p, council_pages=True)


def _text(items: list[str]) -> list[str]:
    return [re.sub(r"<[^>]+>", "", i) for i in items]


def test_strong_and_missing_points_follow_the_gaps_table(national):
    g = tables.gaps(national)
    strong = _text(overview.strong_points(national))
    best = g[g["strong"] > 0].sort_values(["share_strong", "strong"], ascending=False).iloc[0]
    assert strong[0] == f"{best.label}: {best.strong} of {best.submissions} submissions strong ({best.share_strong:.0%})"
    assert len([s for s in strong if " strong (" in s]) == min(overview.SHOWN, int((g["strong"] > 0).sum()))
    summ = tables.council_summary(national)
    n = int((summ["strong"] > 0).sum())
    assert any(s.startswith(f"Strong evidence from {n} council area") for s in strong)
    missing = _text(overview.missing_points(national))
    thin = tables.thin_priorities(national)
    for r in thin.head(overview.SHOWN).itertuples():
        assert any(m.startswith(f"{r.label}: ") for m in missing)
    assert "29 of 32 council areas sent no submission" in missing


def test_nothing_strong_is_said_plainly(national, tmp_path):
    folder = tmp_path / "processed"
    shutil.copytree(national.processed_dir, folder)
    ev = pd.read_parquet(folder / "evidence.parquet")
    ev.assign(grade="some").to_parquet(folder / "evidence.parquet")
    none_strong = load_report_data(folder)
    assert _text(overview.strong_points(none_strong)) == ["No submission has strong evidence of benefit yet."]
    missing = _text(overview.missing_points(none_strong))
    assert not any(m.endswith("give no evidence of benefit") for m in missing)
    assert len(tables.thin_priorities(none_strong)) == 6  # every priority under a quarter strong
    assert sum(m.startswith("and 3 more priorities") for m in missing) == 1


def test_overview_has_the_map_and_links_to_the_detail(national):
    html = show("overview", national).data
    assert html.startswith('<section id="overview"') and html.count("<img") == 1 and "Tile map" in html
    for target in ("#evidence", "#exemplars", "#gaps", "#coverage"):
        assert f'href="{target}"' in html
        assert any(s.anchor == target[1:] for s in sections_for(national))


def test_the_summary_leads_with_one_screen_then_its_contents_then_folded_sections(national):
    order = [s.anchor for s in sections_for(national)]
    assert order[:3] == ["headline", "overview", "contents"]
    for s in sections_for(national):
        html = show(s.anchor, national).data
        folded = 'class="soa-section folded"' in html
        assert folded == (order.index(s.anchor) > 2), s.anchor
        if folded:
            assert re.match(rf'<section id="{s.anchor}" class="soa-section folded"><details class="fold">'
                            r"<summary><h2>[^<]+</h2></summary>", html)
            assert "<details class=\"fold\" open" not in html  # closed by default
    toc = show("contents", national).data
    links = re.findall(r'<a href="#([\w-]+)">', toc)
    assert links == [a for a in order if a != "contents"]
    assert toc.count(f"<script>{OPEN_JS}</script>") == 1 and 'href="councils/fife.html"' in toc
    assert "<nav" not in contents.title(national).data  # the contents list comes after the first screen


def test_a_council_page_folds_nothing_and_lists_its_contents_under_its_title(national):
    fife = national.for_council("Fife")
    assert all("folded" not in show(s.anchor, fife).data[:80] for s in sections_for(fife))
    head = contents.title(fife).data
    assert '<nav aria-label="Contents">' in head and OPEN_JS not in head
    assert "contents" not in [s.anchor for s in sections_for(fife)]


def test_the_page_policy_allows_exactly_the_report_s_two_scripts():
    import base64
    import hashlib

    from soa_analysis.report.cards import FILTER_JS

    policy = csp()
    allowed = re.search(r"script-src ([^;]+);", policy).group(1).split()
    want = [f"'sha256-{base64.b64encode(hashlib.sha256(js.encode()).digest()).decode()}'" for js in (FILTER_JS, OPEN_JS)]
    assert allowed == want and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


@pytest.mark.parametrize("bad", ['<div id="x"><h2>X</h2></div>', '<section id="x" class="soa-section"><p>no heading</p></section>',
                                 '<section id="x" class="soa-section"><h2>X</h2>'])
def test_fold_refuses_what_is_not_a_section(bad):
    with pytest.raises(ValueError, match="a section to fold"):
        fold(bad)


def test_every_folded_section_is_one_a_link_can_reach():
    folded = [s for s in SECTIONS if contents.NATIONAL in s.folded]
    assert folded and all(contents.NATIONAL in s.pages for s in folded)
    assert {s.anchor for s in folded}.isdisjoint({"headline", "overview", "contents"})
    assert pd.Series([s.anchor for s in SECTIONS]).is_unique
