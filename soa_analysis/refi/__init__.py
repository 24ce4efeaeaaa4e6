"""Coding exchanged with CAQDAS tools (NVivo, ATLAS.ti, MAXQDA, QualCoder) as REFI-QDA projects.

- :mod:`.export`: ``soa-analysis export-qdpx`` writes the workbench's coding as a ``.qdpx``;
- :mod:`.read`: reads a ``.qdpx`` (ours, or one a CAQDAS tool wrote) into tables;
- :mod:`.review`: ``soa-analysis review import FILE.qdpx`` turns human coders' codings into
  reviewed labels, like the spreadsheet review loop.
"""

from .common import GUID_RE, NS, guid
from .export import QdpxExport, build_project, export_qdpx, locate
from .read import QdpxProject, read_qdpx


def __getattr__(name: str):
    # The review side imports the tagging package (scikit-learn); exporting does not need it.
    if name in ("qdpx_review", "QdpxReview"):
        from . import review

        return getattr(review, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["GUID_RE", "NS", "QdpxExport", "QdpxProject", "build_project", "export_qdpx", "guid", "locate",
           "qdpx_review", "QdpxReview", "read_qdpx"]
