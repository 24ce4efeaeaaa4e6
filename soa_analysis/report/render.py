"""Render an executed report notebook to one self-contained, offline HTML file."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path

from ..errors import InputError
from ..execute import skip_iri_grammar
from ..io import write_text
from .page import TEMPLATE_NAME, page_resources, template_dir

skip_iri_grammar()  # before nbformat is imported (about 2 s less a process)
import nbformat  # noqa: E402, I001

_H1_RE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S | re.I)
_TAG_RE = re.compile(r"<[^>]+>")


def _strip_for_sharing(nb):
    """Drop code inputs' outputs that must not travel: stderr streams (warnings)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", [])
                               if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return nb


def _title(nb) -> str:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            m = _H1_RE.search(html)
            if m:
                import html as _html

                return _html.unescape(_TAG_RE.sub("", m.group(1))).strip()
    return "soa-analysis report"


def render_notebook_html(nb_path: str | os.PathLike, html_path: str | os.PathLike) -> Path:
    """Convert an executed report notebook to a self-contained HTML report.

    Uses nbconvert's ``HTMLExporter`` with the package's ``soa`` template (extends
    ``lab``; no require.js, MathJax or CDN link; a print stylesheet for A4); code inputs
    and prompts are excluded and stderr streams dropped. The file is written atomically.

    Parameters
    ----------
    nb_path : path-like
        The executed notebook (e.g. the papermill output of ``notebooks/04_report.ipynb``).
    html_path : path-like
        Where to write the HTML report.

    Returns
    -------
    pathlib.Path
        ``html_path``.

    Raises
    ------
    InputError
        If the notebook does not exist or cannot be read.

    Example
    -------
    >>> render_notebook_html("reports/run1/04_report.ipynb", "reports/run1/national.html")  # doctest: +SKIP
    """
    nb_path = Path(nb_path)
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read notebook {nb_path}: {exc}") from exc
    return write_text(html_path, _notebook_html(nb))


_IMG_RE = re.compile(r"<img\b[^>]*>", re.I)
_ALT_RE = re.compile(r"\salt\s*=", re.I)
_NOTEBOOK_CLASS_RE = re.compile(r"""class\s*=\s*["'](?:[^"']*\s)?jp-Notebook(?=["'\s])""")
MISSING_ALT = "No description has been provided for this image"  # nbconvert's own words for it


def _exporter_class():
    """nbconvert's ``HTMLExporter`` without the BeautifulSoup pass at the end of its
    ``from_notebook_node``.

    After rendering its templates, ``HTMLExporter`` parses the whole page with BeautifulSoup and
    writes it out again, for two touches: an ``alt`` text on every ``<img>`` without one, and
    ``tabindex="0"`` on the input and output areas inside a ``.jp-Notebook`` element. For a
    report page of 2 MB that pass took about 2 of the render's 2.3 s. The ``soa`` template has no
    ``.jp-Notebook`` element (its body is ``<main>``), so here only the ``alt`` texts are added,
    by a regular expression over the ``<img>`` tags; a page that does have one (another template)
    gets nbconvert's own pass. The page differs from before only in how the markup is written
    (attribute order, quotes, blank lines), not in its elements, attributes or text.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            # HTMLExporter.from_notebook_node's steps before its BeautifulSoup pass (nbconvert 7)
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            if _NOTEBOOK_CLASS_RE.search(html):  # not the soa template's page: nbconvert's own pass
                return HTMLExporter.from_notebook_node(self, nb, resources, **kw)
            return _IMG_RE.sub(_with_alt, html), resources

    return ReportExporter


def _with_alt(m: re.Match) -> str:
    tag = m.group(0)
    if _ALT_RE.search(tag):
        return tag
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:end].rstrip()} alt="{MISSING_ALT}"{tag[end:]}'


def _notebook_html(nb) -> str:
    """The report page of an executed notebook (see :func:`render_notebook_html`)."""
    nb = _strip_for_sharing(nb)
    exporter = _exporter_class()(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(template_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        sanitize_html=False,
    )
    title = _title(nb)
    body, _ = exporter.from_notebook_node(nb, resources=page_resources(title))
    return body


def warm_render() -> str:
    """Render a small notebook of our own, as :func:`render_notebook_html` renders a report: the
    first render of a process imports nbconvert and compiles its parsers and templates, which
    later renders find done (:mod:`soa_analysis.prepare`). Returns the page (written nowhere)."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    html = "<h1>Fictional warm-up</h1><table><tr><th>a</th><td>1</td></tr></table>"
    nb = new_notebook(cells=[new_markdown_cell("Fictional *warm-up* text with a [link](#x).\n\n- one\n- two"),
                             new_code_cell("", outputs=[new_output("display_data", data={"text/html": html})])])
    return _notebook_html(nb)
