"""What renders a piece of the report, as one digest: kept across runs only while it is unchanged.

Both the council pages' local parts (:mod:`.reuse`) and the per-submission work kept across runs
(:mod:`.carry`) are reused only while the code that renders them is the same. This module is that
one idea: the package version, the source and data files of every module the renderers import
(:func:`soa_analysis.partition.code_fingerprint`), the versions of the libraries that shape the
HTML, and Python's. It imports nothing of the report, so any report module may use it.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata

from .. import __version__
from ..partition import code_fingerprint

__all__ = ["render_fingerprint", "LIBRARIES"]

# The libraries whose versions can change the HTML a renderer writes.
LIBRARIES = ("pandas", "numpy", "jinja2", "markupsafe")


def render_fingerprint(*roots: str) -> str:
    """SHA-256 of what renders with modules ``roots``: package version, their code and data (at any
    import depth), the versions of :data:`LIBRARIES` and of Python.

    Example
    -------
    >>> len(render_fingerprint("soa_analysis.report.cards"))
    64
    """
    libs = {}
    for name in LIBRARIES:
        try:
            libs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            libs[name] = ""
    blob = json.dumps({"version": __version__, "code": code_fingerprint(*sorted(roots)), "libraries": libs,
                       "python": platform.python_version()}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
