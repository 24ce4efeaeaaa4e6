"""Execute notebooks/04_report.ipynb with papermill and check the rendered reports.

Marked slow: each execution starts a kernel. All data is fictional, built in tmp_path.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from soa_analysis.errors import StageError
from soa_analysis.report.cards import FILTER_JS
from soa_analysis.report.folding import OPEN_JS
from soa_analysis.report.stage import report_notebook, run_report_notebook
from soa_analysis.report.synthetic import make_synthetic_processed

pytestmark = pytest.mark.slow

PAYLOAD = (
    "Ask jane.doe@council.example or phone 0131 496 0000. <script>alert('pwned')</script> "
    '<img src=x onerror=alert(1)> <a href="javascript:alert(2)">click</a> https://evil.example/x.js'
)
PARAMETERS = (
    'processed_dir: str = "../data/processed"  # folder of processed tables (from the ingest/tag/evidence stages)\n'
    'council: str = ""  # council name for a council report; "" for the national summary\n'
    'run_id: str = ""  # id of the pipeline run, shown in the provenance section\n'
    'tables_dir: str = ""  # where to write the CSV/XLSX tables behind the charts; "" to skip\n'
    'councils_dir: str = ""  # where to write one page per council (the councils/ folder beside the summary); "" to skip\n'
    'workers: int = 0  # processes that build the council pages; 0 for one per core\n'
    'outcome_data: str = ""  # CPOP outcome data CSV beside the narrative; "" for the data shipped in the package\n'
    'full: bool = False  # render every council page again; otherwise a council whose rows are unchanged since the last run keeps its sections'
)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    base = tmp_path_factory.mktemp("reports")
    full = make_synthetic_processed(base / "full", n=16, narrative_extra={0: PAYLOAD, 3: PAYLOAD})
    thin = make_synthetic_processed(base / "thin", n=8, councils=["Fife", "Moray"], narrative_extra={0: PAYLOAD},
                                    drop=("followups", "partners", "exemplars", "tagging_meta", "evidence_meta"))
    national = run_report_notebook(full, base / "out" / "summary.html", run_id="test-run-1",
                                   tables_dir=base / "out" / "tables", councils_dir=base / "out" / "councils",
                                   workers=2)
    council = run_report_notebook(thin, base / "solo" / "fife.html", council="Fife", run_id="test-run-1")
    return {"national": national, "council": council, "tables": base / "out" / "tables",
            "council page": base / "out" / "councils" / "highland.html"}  # submission 3, a payload


def test_parameters_cell_is_exact_and_notebook_defines_no_functions():
    nb = nbformat.read(report_notebook(), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].source == PARAMETERS
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(def|class)\s|lambda", code, re.M)


@pytest.mark.parametrize("which", ["national", "council", "council page"])
def test_report_is_self_contained_and_safe(reports, which, html_page, safe_page):
    html = reports[which].read_text(encoding="utf-8")
    page = html_page(html)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)  # ours, inline
    # the summary folds its long sections (the opener's script); a council page folds nothing
    assert scripts == ([("", OPEN_JS), ("", FILTER_JS)] if which == "national" else [("", FILTER_JS)])
    safe_page(html)  # images are data URIs, links stay within the report, no address in any attribute
    # the only URLs left are the planted one, shown as escaped text
    urls = re.findall(r"https?://[^\s<\"']+", html)
    assert set(urls) <= {"https://evil.example/x.js"}
    assert "https://evil.example/x.js" in "".join(page.text)
    text = "".join(page.text)
    assert "<script>alert('pwned')</script>" in text and "<script>alert" not in html  # shown, not run
    assert "<img src=x onerror=alert(1)>" in text and "<img src=x" not in html
    # no contact details: restricted table never read, narrative redacted
    for secret in ("contact-secret", "jane.doe", "496 0000", "Fictional Officer"):
        assert secret not in html
    assert "[email removed]" in html and "[phone removed]" in html
    # no code input or prompts
    assert "load_report_data" not in html and "processed_dir: str" not in html
    assert "jp-InputPrompt jp-InputArea-prompt" not in html and "jp-InputArea-editor" not in html and "In&nbsp;[" not in html


def test_national_report_headings_and_exports(reports, html_page):
    page = html_page(reports["national"].read_text(encoding="utf-8"))
    levels = [h[0] for h in page.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:]))
    h2 = [t for lvl, t in page.headings if lvl == 2]
    for want in ("Headline figures", "Coverage: councils and priorities", "Priorities and National Outcomes",
                 "Evidence of benefit by priority", "Added value of the SOA process", "Partners working together",
                 "Follow-up timeline of next steps", "Exemplars: the best-evidenced practice",
                 "Gaps: where evidence is thin", "Case studies", "Provenance", "Methodology and quality"):
        assert want in h2
    assert page.tags.count("img") >= 7
    assert all(v.strip() for t, k, v in page.attrs if t == "img" and k == "alt")
    assert "test-run-1" in "".join(page.text)
    files = {p.name for p in Path(reports["tables"]).iterdir()}
    assert {"report_tables.xlsx", "coverage.csv", "priorities.csv", "partner_pairs.csv", "case_studies.csv"} <= files


def test_one_execution_makes_the_summary_and_every_council_page(reports, html_page):
    """The summary links to every council's page, and each of them exists and links back."""
    out = reports["national"].parent
    links = sorted(v for t, k, v in html_page(reports["national"].read_text(encoding="utf-8")).attrs
                   if k == "href" and v.startswith("councils/"))
    pages = sorted(f"councils/{p.name}" for p in (out / "councils").glob("*.html"))
    assert links == pages and len(pages) == 8  # the synthetic folder's eight councils
    assert 'href="../summary.html"' in reports["council page"].read_text(encoding="utf-8")
    nb = nbformat.read(out / "summary.ipynb", as_version=4)  # one executed notebook: the log of every page
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_council_report_scope_and_missing_tables(reports, html_page):
    html = reports["council"].read_text(encoding="utf-8")
    page = html_page(html)
    assert page.headings[0] == (1, "Fife: community planning evidence")
    cards = re.findall(r'<article class="card"[^>]*data-council="([^"]*)"', html)
    assert cards and set(cards) == {"Fife"}
    assert "Not available in this run: the followups table was not produced" in html
    assert "How far to trust the tags and grades" in html  # the packaged accuracy record, in plain words
    assert Path(reports["council"]).with_suffix(".ipynb").exists()  # executed notebook kept as the log


def test_failure_raises_stage_error_and_keeps_the_log(tmp_path):
    with pytest.raises(StageError) as err:
        run_report_notebook(tmp_path / "no-such-folder", tmp_path / "r.html")
    assert err.value.stage == "report"
    assert Path(err.value.notebook).exists()
    assert not (tmp_path / "r.html").exists()
