"""Process pools for the stages: how many cores, and how to start workers safely.

One concern: a stage that shares work over processes (the evidence stage's grading, the
report's council pages) starts its workers the same way, whether it runs in a script, a test
or a Jupyter kernel.
"""

from __future__ import annotations

import multiprocessing
import os
import threading

__all__ = ["cores", "pool_context"]


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def pool_context(preload: list[str]):
    """The multiprocessing context to start a pool's workers with.

    A single-threaded caller (a script, a test) forks: the workers inherit the data and the
    imported modules for nothing. A caller with threads (a Jupyter kernel) must not fork, so
    its workers come from a fork server that imports the ``preload`` modules once.

    Example
    -------
    >>> pool_context(["soa_analysis.procs"]).get_start_method() in ("fork", "forkserver", "spawn")
    True
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(list(preload))
    return ctx
