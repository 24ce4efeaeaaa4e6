"""Open the rendered reports in headless Chromium (offline) and check what a reader gets.

Marked ``browser``; skipped with a reason when /usr/bin/chromium or Playwright is missing,
unless SOA_REQUIRE_BROWSER=1 (as in CI), when either missing is an error.
Screenshots go to test-artifacts/ (gitignored). All data is fictional.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from soa_analysis.report.stage import run_report_notebook
from soa_analysis.report.synthetic import make_synthetic_processed

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PAYLOAD = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> mail a.b@c.example"

# CI sets SOA_REQUIRE_BROWSER=1: there a missing browser fails the run instead of skipping.
if os.environ.get("SOA_REQUIRE_BROWSER") == "1" and not Path(CHROMIUM).exists():
    raise RuntimeError(f"SOA_REQUIRE_BROWSER=1 but {CHROMIUM} is missing: run scripts/install_system_deps.sh")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not found: install Debian's chromium"),
]
if os.environ.get("SOA_REQUIRE_BROWSER") == "1":  # required: a missing Playwright fails, never skips
    try:
        from playwright import sync_api
    except ImportError as exc:
        raise RuntimeError(f"SOA_REQUIRE_BROWSER=1 but playwright cannot be imported ({exc}): "
                           "pip install -e '.[dev]'") from None
else:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """A summary and its council pages from one execution of the report notebook, as a run publishes them."""
    base = tmp_path_factory.mktemp("browser")
    p = make_synthetic_processed(base / "processed", n=18, councils=["Fife", "Moray", "Highland"],
                                 narrative_extra={1: PAYLOAD},  # submission 1 is Moray's
                                 fictional=(0,))  # the sample's banner on top, as a run of the sample has it
    national = run_report_notebook(p, base / "summary.html", run_id="browser-test", councils_dir=base / "councils")
    return {"national": national, "council": base / "councils" / "moray.html", "processed": p, "base": base}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser, path: Path, width: int = 1280, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    seen = {"errors": [], "requests": []}
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, seen


@pytest.mark.parametrize("which", ["national", "council"])
def test_report_opens_offline_cleanly(browser, reports, which):
    page, seen = _open(browser, reports[which])
    assert seen["errors"] == []
    assert [u for u in seen["requests"] if not u.startswith(("file:", "data:"))] == []
    imgs = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth, e.alt])")
    assert len(imgs) >= 7
    assert all(done and w > 0 and alt for done, w, alt in imgs)
    assert page.evaluate("window.__pwned") is None  # planted markup did not run
    h1 = page.inner_text("h1")
    assert h1 == ("Moray: community planning evidence" if which == "council"
                  else "Scottish community planning evidence: national summary")
    h2 = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
    middle = ("How the evidence compares with Scotland and similar councils" if which == "council"
              else "Coverage: councils and priorities")
    for want in ("Headline figures", middle, "Case studies", "Provenance", "Methodology and quality"):
        assert want in h2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report_{which}.png"), full_page=False)
    _open_section(page, "case-studies")
    page.locator("#case-studies").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"report_{which}_cards.png"))
    page.close()


def _open_section(page, anchor: str) -> None:
    """Open a section of the summary the way a reader does: its link in the contents list (a
    council page folds nothing and has its contents under its title)."""
    page.click(f"nav[aria-label=Contents] a[href='#{anchor}']")
    sync_api.expect(page.locator(f"#{anchor}")).to_be_visible()


def test_filter_script_hides_other_councils(browser, reports):
    page, seen = _open(browser, reports["national"])
    _open_section(page, "case-studies")
    assert page.is_visible("#card-filter")  # the script un-hid the filter
    total = page.locator("article.card").count()
    assert total == 18
    page.select_option("#card-filter select[name=council]", "Fife")
    visible = page.eval_on_selector_all("article.card", "els => els.filter(e => !e.hidden).map(e => e.dataset.council)")
    assert visible and set(visible) == {"Fife"} and len(visible) < total
    assert page.inner_text("#card-count") == f"{len(visible)} of {total} case studies shown"
    page.select_option("#card-filter select[name=grade]", "strong")
    both = page.eval_on_selector_all("article.card:not([hidden])", "els => els.map(e => [e.dataset.council, e.dataset.grade])")
    assert all(c == "Fife" and g == "strong" for c, g in both)
    page.click("#card-filter button[type=reset]")
    # a locator assertion polls from Playwright's own isolated world; wait_for_function would
    # evaluate a string in the page, which the report's CSP (no 'unsafe-eval') rightly refuses
    sync_api.expect(page.locator("article.card:not([hidden])")).to_have_count(total)
    assert seen["errors"] == []
    page.close()


def test_without_scripts_every_card_shows_and_no_dead_controls(browser, reports):
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(reports["national"].resolve().as_uri(), wait_until="load")
    assert page.locator("article.card:visible").count() == 0  # folded until its heading is clicked
    page.click("#case-studies summary")  # <details> opens without any script
    assert page.locator("article.card:visible").count() == 18
    assert not page.is_visible("#card-filter")
    ctx.close()


def test_council_pages_are_reached_from_the_summary_and_lead_back(browser, reports):
    page, seen = _open(browser, reports["national"])
    page.click("nav.council-index a:text('Moray')")
    page.wait_for_load_state("load")
    assert page.url.endswith("/councils/moray.html")
    assert page.inner_text("h1") == "Moray: community planning evidence"
    page.click("a:text('National summary')")
    page.wait_for_load_state("load")
    assert page.url.endswith("/summary.html")
    assert seen["errors"] == [] and [u for u in seen["requests"] if not u.startswith(("file:", "data:"))] == []
    page.close()


def test_a_further_page_of_cards_opens_cleanly(browser, reports, tmp_path, monkeypatch):
    from soa_analysis.report import cards
    from soa_analysis.report.councils import write_council_pages
    from soa_analysis.report.data import load_report_data

    monkeypatch.setattr(cards, "COUNCIL_BUDGET", 3_000)
    monkeypatch.setattr(cards, "CARDS_PAGE_BUDGET", 3_000)
    written = write_council_pages(load_report_data(reports["processed"]), tmp_path / "councils", workers=1)
    more = next(p for p in written if p.name == "fife-cards-2.html")
    page, seen = _open(browser, more)
    assert page.inner_text("h1").startswith("Fife: case studies, page 2 of ")
    assert page.is_visible("#card-filter") and page.locator("article.card").count() >= 1
    assert seen["errors"] == [] and page.evaluate("window.__pwned") is None
    page.close()


def test_prints_to_a4_pdf(browser, reports, tmp_path):
    page, _ = _open(browser, reports["national"])
    assert page.locator("details.fold[open]").count() == 0
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report_national.pdf").write_bytes(pdf)
    # the folded sections print open: their content is in the PDF, not only their headings
    import io

    from pypdf import PdfReader

    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    first_card = page.locator("article.card h3").first.text_content().strip()
    for inside in (first_card[:30], "How far to trust the tags and grades", "Submissions by priority and evidence grade"):
        assert inside in text, inside
    page.close()



@pytest.mark.parametrize("which", ["national", "council"])
def test_outcome_indicators_section(browser, reports, which):
    """The CPOP section: charts load with alt text, the caveat shows, links reach the case cards."""
    page, seen = _open(browser, reports[which])
    if which == "national":
        _open_section(page, "outcomes")
    section = page.locator("#outcomes")
    section.scroll_into_view_if_needed()
    assert section.is_visible()
    assert "cannot claim an area-wide trend" in section.inner_text()
    assert "Improvement Service" in section.inner_text()
    imgs = section.locator("img").evaluate_all("els => els.map(e => [e.complete, e.naturalWidth, e.alt])")
    assert imgs and all(done and w > 0 and len(alt) > 80 for done, w, alt in imgs)
    srcs = section.locator("img").evaluate_all("els => els.map(e => e.getAttribute('src').slice(0, 30))")
    assert all(s.startswith("data:image/svg+xml;base64,") for s in srcs)  # SVG drawn in-page, nothing fetched
    if which == "council":
        h3 = section.locator("h3").all_inner_texts()
        from soa_analysis.report.labels import PRIORITY_LABELS

        assert set(h3) & set(PRIORITY_LABELS.values())  # a heading per priority the case studies address
        assert "projected" in " ".join(a for _, _, a in imgs)  # projected years are named in the alt text
        hrefs = section.locator("a[href^='#card-']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert hrefs and all(page.locator(h).count() == 1 for h in hrefs)
        section.locator("details summary", has_text="Values by year").first.click()
        assert section.locator("details[open] table").first.is_visible()
    else:
        assert "Strong narrative evidence beside a worsening indicator" in section.inner_text()
        assert section.locator("table.grid tbody tr").count() == 32
    assert seen["errors"] == []
    assert [u for u in seen["requests"] if not u.startswith(("file:", "data:"))] == []
    ARTIFACTS.mkdir(exist_ok=True)
    section.screenshot(path=str(ARTIFACTS / f"report_{which}_outcomes.png"))
    page.close()


# --- issue 15: first sight at desktop and phone widths ----------------------------------------

@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("which", ["national", "council"])
def test_no_sideways_scroll_and_first_screen_screenshots(browser, reports, which, width):
    """No page scrolls sideways at 1280 or 375 px; the first screen of the summary and of a council page
    are saved to test-artifacts/ (first_screen_<page>_<width>.png). A council page leads with its
    case studies, not the national page's charts."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(reports[which].resolve().as_uri(), wait_until="load")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"first_screen_{which}_{width}.png"), full_page=False)
    h2 = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent.trim())")
    if which == "council":
        assert h2[:2] == ["Headline figures", "Case studies"]
        assert page.query_selector("select[name=council]") is None  # no "All councils" filter
    page.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_fictional_banner_is_the_first_thing_a_reader_sees(browser, tmp_path_factory, width):
    from soa_analysis.report.councils import write_council_pages
    from soa_analysis.report.data import load_report_data

    base = tmp_path_factory.mktemp(f"fictional{width}")
    p = make_synthetic_processed(base / "processed", n=4, councils=["Fife", "Moray"], fictional=(0,))
    written = write_council_pages(load_report_data(p, council_pages=True), base / "councils", workers=1)
    for path in written:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(path.resolve().as_uri(), wait_until="load")
        box = page.locator(".fictional-banner").bounding_box()
        assert box and box["y"] < 120 and box["width"] <= width, path.name
        assert "FICTIONAL SAMPLE DATA" in page.inner_text(".fictional-banner").upper()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.close()


# --- issue 15: the summary's first screen, folded sections, what a card says ---------------

_BOX = """sel => { const e = document.querySelector(sel); if (!e) return null;
                   const b = e.getBoundingClientRect(); return {top: b.top, bottom: b.bottom, height: b.height}; }"""
LEAD = {"headline figures": "#headline .figures", "map": ".glance-map img", "what is strong": ".glance-strong",
        "what is missing": ".glance-missing"}


@pytest.mark.parametrize("width,height", [(1280, 900), (375, 812)])
def test_the_summary_leads_with_one_screen_then_its_contents(browser, reports, width, height):
    """At 1280 px the first screen (1280 x 900) holds the banner, the headline figures, the map, what is
    strong and what is missing, whole; the contents list follows and the long sections are folded.
    A phone (375 x 812) cannot hold a map and two lists in one screen: there the figures are whole
    and the map begins in the first screen, the strong and missing parts follow it directly, and
    everything before the contents list fits in two screens."""
    page, seen = _open(browser, reports["national"], width, height)
    boxes = {k: page.evaluate(_BOX, sel) for k, sel in LEAD.items()}
    assert all(b and b["height"] > 0 for b in boxes.values()), boxes
    contents = page.evaluate(_BOX, "#contents")
    assert all(b["bottom"] <= contents["top"] for b in boxes.values())  # all before the contents list
    assert page.evaluate(_BOX, ".fictional-banner")["top"] < 120
    if width >= 1280:
        assert all(b["bottom"] <= height for b in boxes.values()), boxes
    else:
        assert boxes["headline figures"]["bottom"] <= height and boxes["map"]["top"] < height
        assert boxes["what is missing"]["bottom"] <= 2 * height
    strong = page.inner_text(".glance-strong")
    missing = page.inner_text(".glance-missing")
    assert "What is strong" in strong and " strong (" in strong
    assert "What is missing" in missing and "council areas sent no submission" in missing
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # everything after the contents list is folded, closed: the page is a few screens, not dozens
    folded = page.locator("section.folded")
    assert folded.count() >= 10 and page.locator("details.fold[open]").count() == 0
    assert page.evaluate("document.documentElement.scrollHeight") < 8 * height
    assert seen["errors"] == []
    page.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_contents_links_open_the_folded_section(browser, reports, width):
    page, seen = _open(browser, reports["national"], width)
    links = page.eval_on_selector_all("#contents nav[aria-label=Contents] a", "els => els.map(e => e.getAttribute('href'))")
    folded = page.eval_on_selector_all("section.folded", "els => els.map(e => '#' + e.id)")
    assert set(folded) <= set(links)
    for href in folded:
        details = page.locator(f"{href} > details.fold")
        assert details.evaluate("d => d.open") is False
        page.click(f"#contents a[href='{href}']")
        sync_api.expect(details).to_have_js_property("open", True)  # polls: hashchange comes after the click
        body = page.locator(f"{href} > details.fold > :not(summary)").first
        sync_api.expect(body).to_be_visible()
        top = page.evaluate(_BOX, href)["top"]
        assert -2 <= top < 900, (href, top)  # scrolled to it
        page.click(f"{href} summary")  # and its heading folds it again
        sync_api.expect(details).to_have_js_property("open", False)
    # a link into a folded section (an exemplar's card) opens it on the way
    page.goto(reports["national"].resolve().as_uri() + "#exemplars", wait_until="load")
    sync_api.expect(page.locator("#exemplars > details")).to_have_js_property("open", True)
    card = page.locator("#exemplars a[href^='#card-']").first
    href = card.get_attribute("href")
    card.click()
    sync_api.expect(page.locator("#case-studies > details")).to_have_js_property("open", True)
    sync_api.expect(page.locator(href)).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert seen["errors"] == []
    page.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_council_cards_show_by_whom_and_what_comes_next(browser, reports, width):
    page, seen = _open(browser, reports["council"], width)
    card = page.locator("article.card").first
    card.scroll_into_view_if_needed()
    terms = card.locator("dt").all_inner_texts()
    assert terms[0].startswith("What was done") and "By whom" in terms and terms[-1] == "What comes next"
    who = card.locator("dd.by-whom")
    nxt = card.locator("dd.next-steps")
    sync_api.expect(who).to_be_visible()
    sync_api.expect(nxt).to_be_visible()
    assert "Fictional" in who.inner_text() and "@" not in who.inner_text()
    assert "by December" in nxt.inner_text()
    box = card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    ARTIFACTS.mkdir(exist_ok=True)
    card.screenshot(path=str(ARTIFACTS / f"council_card_{width}.png"))
    assert seen["errors"] == []
    page.close()
