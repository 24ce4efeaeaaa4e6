"""Whole pages: the HTML document around a page's sections, and its Content-Security-Policy.

The notebook-rendered summary (:mod:`.render`, nbconvert) and the pages built straight
from the sections (:mod:`.councils`) share one head (CSP, stylesheet) and footer: the
templates in ``templates/soa/``.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .. import __version__
from .cards import FILTER_JS
from .folding import OPEN_JS

__all__ = ["TEMPLATE_NAME", "csp", "template_dir", "page_resources", "render_page"]

TEMPLATE_NAME = "soa"


def csp() -> str:
    """The Content-Security-Policy of every report: no request to any address.

    Images only from ``data:`` URIs, inline styles, and only the report's own two scripts
    (the card filter and the opener of folded sections, each by its SHA-256), so even a
    script that slipped past escaping would not run.
    """
    digests = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(js.encode('utf-8')).digest()).decode('ascii')}'"
                       for js in (FILTER_JS, OPEN_JS))
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src {digests}; base-uri 'none'; form-action 'none'")


def template_dir() -> Path:
    """The folder holding the ``soa`` template (nbconvert's ``extra_template_basedirs``)."""
    return Path(str(resources.files("soa_analysis.report").joinpath("templates")))


def page_resources(title: str) -> dict:
    """The values the templates read: CSP, version, title."""
    return {"soa_csp": csp(), "soa_version": __version__, "soa_title": title, "metadata": {"name": title}}


@lru_cache(maxsize=1)
def _page_template():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir() / TEMPLATE_NAME)),
                             autoescape=False, keep_trailing_newline=True)
    return env.get_template("page.html.j2")


def render_page(title: str, body: str) -> str:
    """A whole self-contained HTML document around ``body``.

    Parameters
    ----------
    title : str
        The page's ``<title>`` (escaped by the template).
    body : str
        HTML of the page's contents, every value from the data already escaped.
    """
    return _page_template().render(resources=page_resources(title), body=body)
