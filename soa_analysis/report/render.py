"""Render an executed report notebook to one self-contained, offline HTML file."""

from __future__ import annotations

import base64
import copy
import hashlib
import os
import re
from importlib import resources
from pathlib import Path

import nbformat

from .. import __version__
from ..errors import InputError
from ..io import write_text
from .cards import FILTER_JS

TEMPLATE_NAME = "soa"
_H1_RE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S | re.I)
_TAG_RE = re.compile(r"<[^>]+>")


def csp() -> str:
    """The Content-Security-Policy of every report: no request to any address.

    Images only from ``data:`` URIs, inline styles, and only the card-filter script
    (by its SHA-256), so even a script that slipped past escaping would not run.
    """
    digest = base64.b64encode(hashlib.sha256(FILTER_JS.encode("utf-8")).digest()).decode("ascii")
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def _template_dir() -> Path:
    return Path(str(resources.files("soa_analysis.report").joinpath("templates")))


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
    from nbconvert import HTMLExporter

    nb_path = Path(nb_path)
    try:
        nb = nbformat.read(nb_path, as_version=4)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read notebook {nb_path}: {exc}") from exc
    nb = _strip_for_sharing(nb)
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(_template_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        sanitize_html=False,
    )
    title = _title(nb)
    body, _ = exporter.from_notebook_node(
        nb, resources={"soa_csp": csp(), "soa_version": __version__, "soa_title": title,
                       "metadata": {"name": title}},
    )
    return write_text(html_path, body)
