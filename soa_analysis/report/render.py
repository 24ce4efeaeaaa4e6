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


def _notebook_html(nb) -> str:
    """The report page of an executed notebook (see :func:`render_notebook_html`)."""
    from nbconvert import HTMLExporter

    nb = _strip_for_sharing(nb)
    exporter = HTMLExporter(
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
