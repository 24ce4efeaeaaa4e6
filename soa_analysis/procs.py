"""Sharing a stage's work over processes: how many cores, how to start workers safely, and how
the submissions are cut into partitions and their tables joined again.

A stage that shares work over processes (the evidence stage's grading, the report's council
pages, the Dask engine's tasks) starts its workers the same way, whether it runs in a script, a
test or a Jupyter kernel, and cuts its submissions the same way (whole raw files, in order).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import select
import threading
import time

import numpy as np
import pandas as pd

__all__ = ["cores", "one_thread_each", "size_thread_pools", "THREAD_VARIABLES", "pool_context", "worker_pool",
           "exit_with", "alive", "OWNER_GONE", "partitions", "subs_partitions", "iter_partitions", "combine_parts",
           "run_parts", "gc_paused"]


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector (a context manager, or a decorator: ``@gc_paused()``).

    A stage's own process reads its cache and assembles its tables: hundreds of thousands of small
    acyclic objects (lists, dicts, strings) beside the tables it already holds, and each full collection
    the allocations set off walks every one of them. That cost more than the work: a third of the CPU of
    an evidence or ingest re-run at 10,000 files. Reference counting still frees everything; the
    collector is enabled again on leaving (when it was enabled). Not for code that reads files in
    worker processes forked from here (their readers' objects may hold cycles).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# The variables that size each process's BLAS and OpenMP thread pools (OpenBLAS, MKL, OpenMP).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_thread_each() -> bool:
    """One BLAS and OpenMP thread in this process and in every process it starts after (pool workers, kernels),
    unless the user sized the pools (any of :data:`THREAD_VARIABLES` set): returns whether it limited them.

    A run already shares its work over processes, one per core; a pool of one thread per core in each of them as
    well oversubscribes the cores (``benchmarks/bench_pipeline.py --threads`` measures both). Results do not depend
    on the number of threads.
    """
    if any(os.environ.get(name) for name in THREAD_VARIABLES):
        return False
    size_thread_pools(1)
    return True


def size_thread_pools(n: int):
    """Every BLAS and OpenMP pool at ``n`` threads: this process's now (numpy's pools are sized when it is imported,
    before this runs) and, through :data:`THREAD_VARIABLES`, those of the processes it starts after. Returns
    threadpoolctl's limiter: its ``restore_original_limits()`` gives this process its pools back (not the
    environment)."""
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, str(n)))
    from threadpoolctl import threadpool_limits

    return threadpool_limits(n)


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


# A pool worker's exit status when the process that made its pool has ended without shutting it down.
OWNER_GONE = 75


def worker_pool(workers: int, mp_context=None, initializer=None, initargs: tuple = ()):
    """A :class:`concurrent.futures.ProcessPoolExecutor` of ``workers`` processes whose workers end
    when this process ends, even when it ends without shutting the pool down.

    A pool's worker waits for its next task on a pipe it holds both ends of, so it never learns
    that the process that made the pool has gone: a Jupyter kernel killed while its report ran
    (its council pages' or exports' pool open) left its workers waiting for ever, and with them the
    fork server and the resource tracker they hold open. Each worker here watches this process
    (:func:`exit_with`) and exits with :data:`OWNER_GONE` when it ends; ``initializer(*initargs)``,
    if given, then runs as it would. Every process pool the package makes is made here (the Dask
    engine's workers are its cluster's).
    """
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=mp_context, initializer=_owned,
                               initargs=(os.getpid(), initializer, tuple(initargs)))


def _owned(owner: int, initializer, initargs: tuple) -> None:
    """:func:`worker_pool`'s initializer: watch ``owner``, then run the pool's own initializer."""
    exit_with(owner)
    if initializer is not None:
        initializer(*initargs)


def alive(pid: int) -> bool:
    """Whether process ``pid`` is running (one this user may not signal counts as running).

    Example
    -------
    >>> alive(os.getpid())
    True
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, and not ours to signal
        return True
    return True


def exit_with(owner: int, poll: float = 1.0) -> threading.Thread:
    """Watch process ``owner`` from a daemon thread and end this process (``os._exit(OWNER_GONE)``)
    as soon as it has ended: at once through a pidfd where Linux has them, else by checking every
    ``poll`` seconds. Returns the watching thread."""

    def watch() -> None:
        try:
            fd = os.pidfd_open(owner)
        except ProcessLookupError:  # already gone
            os._exit(OWNER_GONE)
        except (AttributeError, OSError):  # no pidfds here: look now and then
            fd = None
        if fd is not None:
            select.select([fd], [], [])  # readable once the owner has ended
            os._exit(OWNER_GONE)
        while alive(owner):
            time.sleep(poll)
        os._exit(OWNER_GONE)

    thread = threading.Thread(target=watch, name=f"exit-with-{owner}", daemon=True)
    thread.start()
    return thread


def partitions(units: list, n: int) -> list[list]:
    """``units`` (raw-file units, in table order) cut into at most ``n`` runs of adjacent units of
    about the same number of submissions.

    Example
    -------
    >>> from soa_analysis.partition import Unit
    >>> [[u.raw_file for u in p] for p in partitions([Unit("a", ["1", "2"]), Unit("b", ["3"]), Unit("c", ["4"])], 2)]
    [['a'], ['b', 'c']]
    """
    total = sum(len(u.ids) for u in units)
    if not units:
        return []
    size = max(1, -(-total // max(1, n)))
    out: list[list] = [[]]
    count = 0
    for u in units:
        if out[-1] and count + len(u.ids) > size:
            out.append([])
            count = 0
        out[-1].append(u)
        count += len(u.ids)
    return out


def subs_partitions(subs: pd.DataFrame, units: list, n: int) -> list[pd.DataFrame]:
    """The rows of ``subs`` cut into at most ``n`` partitions of whole raw files (:func:`partitions`), in order."""
    return [part for part, _ in iter_partitions(subs, units, n, {})]


def iter_partitions(subs: pd.DataFrame, units: list, n: int, inputs: dict):
    """The partitions of :func:`subs_partitions`, each with its submissions' rows of the other
    per-submission tables ``inputs`` (name -> frame; ``None`` stays ``None``), one at a time: only the
    rows' positions are worked out first, and a partition's frames are copied out when it is asked for,
    so a caller that hands them to workers a few at a time does not hold a second copy of every table."""
    groups = [{s for u in part for s in u.ids} for part in partitions(units, n)]
    rows = _rows_by_group(subs, groups)
    split: dict = {k: None for k in inputs}
    if any(v is not None for v in inputs.values()):
        sids = subs["submission_id"].astype(str).to_numpy()
        ids = [set(sids[r]) for r in rows]  # the submissions each partition holds
        split.update({k: _rows_by_group(v, ids) for k, v in inputs.items() if v is not None})
    for i, r in enumerate(rows):
        yield (subs.take(r).reset_index(drop=True),
               {k: (v.take(split[k][i]) if v is not None else None) for k, v in inputs.items()})


def _rows_by_group(df: pd.DataFrame, groups: list[set]) -> list[np.ndarray]:
    """The positions of the rows of ``df`` whose ``submission_id`` is in each of ``groups`` (sets of ids),
    in row order: as ``df["submission_id"].astype(str).isin(group)`` for each group, by one lookup of
    every row's group (not a pass over the table a group). An id in several groups: a pass a group."""
    sids = df["submission_id"].astype(str)
    index = pd.Index([s for g in groups for s in g])
    if not index.is_unique:  # an id in more than one group: its rows go to each of them
        return [np.flatnonzero(sids.isin(g).to_numpy()) for g in groups]
    which = np.append(np.repeat(np.arange(len(groups)), [len(g) for g in groups]), -1)  # [-1]: in no group
    group = which[index.get_indexer(sids)]
    order = np.argsort(group, kind="stable")  # the rows of each group, in row order (those in none first)
    bounds = np.searchsorted(group[order], np.arange(len(groups) + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(len(groups))]


def combine_parts(results: list[dict]) -> dict[str, pd.DataFrame]:
    """The partitions' tables (name -> frame, one dict a partition) joined in partition order
    (:func:`soa_analysis.partition.concat_frames`: an empty part cannot change a column's dtype)."""
    from .partition import concat_frames

    return {name: concat_frames([r[name] for r in results]) for name in results[0]}


def run_parts(fn, calls: list[tuple], workers: int, preload: list[str]) -> list:
    """``fn(*args)`` for each ``args`` of ``calls`` in a pool of ``workers`` processes, results in order."""
    with worker_pool(workers, pool_context(preload)) as pool:
        futures = [pool.submit(fn, *args) for args in calls]
        return [f.result() for f in futures]
