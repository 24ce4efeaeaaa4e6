"""Results computed once per frame: the council pages of a run share the run-wide frames
(``ReportData.national``, the ingest log), so what a page derives from them alone is the
same on every page.
"""

from __future__ import annotations

import functools

__all__ = ["per_frame"]


def per_frame(fn):
    """Cache ``fn(frame)`` by the frame's identity (the last two frames seen).

    The frame must not be changed in place after the first call (report data are read
    once and only narrowed, never modified).

    Example
    -------
    >>> import pandas as pd
    >>> calls = []
    >>> @per_frame
    ... def rows(df):
    ...     calls.append(1)
    ...     return len(df)
    >>> df = pd.DataFrame({"a": [1, 2]})
    >>> rows(df), rows(df), len(calls)
    (2, 2, 1)
    """
    seen: list = []

    @functools.wraps(fn)
    def cached(frame):
        for f, result in seen:
            if f is frame:
                return result
        result = fn(frame)
        seen.insert(0, (frame, result))
        del seen[2:]
        return result

    return cached
