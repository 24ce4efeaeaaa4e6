"""The summary's render skips nbconvert's BeautifulSoup pass: the same page, element for element (FICTIONAL data)."""

from __future__ import annotations

from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from soa_analysis.report import render
from soa_analysis.report.page import TEMPLATE_NAME, page_resources, template_dir


def _notebook():
    html = ('<h1>FICTIONAL report</h1><p>A <b>fictional</b> page &amp; a table.</p><table><tr><th>a</th><td>1</td></tr>'
            '</table><img class="chart" src="data:image/svg+xml;base64,PHN2Zy8+"><img src="data:," alt="kept"/>')
    return new_notebook(cells=[new_markdown_cell("FICTIONAL *text* with a [link](#x).\n\n- one\n- two"),
                               new_code_cell("x = 1", outputs=[new_output("display_data", data={"text/html": html}),
                                                                new_output("stream", name="stdout", text="FICTIONAL\n")])])


def test_render_is_nbconverts_page_without_the_soup_pass():
    original = _notebook()  # one notebook: its cells' ids are in both pages
    nb = render._strip_for_sharing(original)
    theirs, _ = HTMLExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(template_dir())],
                             exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                             embed_images=True, sanitize_html=False).from_notebook_node(
        nb, resources=page_resources(render._title(nb)))
    ours = render._notebook_html(original)
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs
    assert ours.count(f'alt="{render.MISSING_ALT}"') == 1 and 'alt="kept"' in ours


def test_alt_text_only_where_missing():
    out = render._IMG_RE.sub(render._with_alt, '<img src="a"> <IMG src=b /> <img alt="x" src="c">')
    assert out == (f'<img src="a" alt="{render.MISSING_ALT}"> <IMG src=b alt="{render.MISSING_ALT}"/> '
                   '<img alt="x" src="c">')
    assert render._NOTEBOOK_CLASS_RE.search('<div class="a jp-Notebook">')
    assert not render._NOTEBOOK_CLASS_RE.search('<div class="jp-Cell jp-Notebook-cell">')
