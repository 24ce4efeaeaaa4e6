"""The evidence stage's grading shared over this machine's cores (the local engine).

Grading is per submission and pure, so the submissions to grade are cut into partitions of
whole raw files (:func:`soa_analysis.procs.subs_partitions`, as the Dask engine cuts them),
each partition is graded by :func:`.stage.grade_partition` in a worker process, and the
partitions' tables are joined in order: the tables are the same as grading them all in one
process (a test checks). Below :data:`POOL_MIN` submissions a pool would cost more to start
than it saves, and they are graded in the stage's own process.
"""

from __future__ import annotations

import pandas as pd

from ..procs import combine_parts, cores, pool_context, run_parts, subs_partitions, with_inputs

__all__ = ["POOL_MIN", "pool_workers", "grade_in_pool", "start_early"]

POOL_MIN = 200
# what a fork server imports once for its workers (in a Jupyter kernel, which must not fork): the
# stage, and .preload, which builds the packaged rubric's compiled patterns for them to inherit
PRELOAD = ["soa_analysis.evidence.stage", "soa_analysis.evidence.preload"]


def pool_workers(workers: int | None, n_todo: int) -> int:
    """Processes to grade ``n_todo`` submissions with: ``workers`` (0 or None: one per core), or 1
    when there are fewer than :data:`POOL_MIN` of them.

    Example
    -------
    >>> pool_workers(2, 5000), pool_workers(2, 10), pool_workers(1, 5000)
    (2, 1, 1)
    """
    n = min(workers or cores(), max(1, n_todo))
    return n if n > 1 and n_todo >= POOL_MIN else 1


def grade_in_pool(subs: pd.DataFrame, units: list, workers: int, grade, *, rubric, taxonomy, guidance,
                  **inputs) -> dict[str, pd.DataFrame]:
    """The evidence stage's per-submission tables of ``subs`` graded by ``workers`` processes.

    Parameters
    ----------
    subs : pandas.DataFrame
        The submissions to grade, in table order.
    units : list of soa_analysis.partition.Unit
        Their raw files (a raw file's submissions stay in one partition).
    workers : int
        Processes (two partitions each, so that one slow partition does not hold the others up).
    grade : callable
        ``grade(part, rubric, taxonomy, guidance, inputs)`` -> the partition's tables
        (:func:`.stage.grade_partition`, passed in by the stage).
    rubric, taxonomy, guidance
        The fitted rubric, added-value taxonomy and guidance of the stage.
    **inputs
        The other per-submission tables (partners, tags, tag_evidence; each may be None).

    Returns
    -------
    dict
        Table name -> frame, as :func:`.stage.evidence_frames` returns for ``subs`` at once.
    """
    if pool_context(PRELOAD).get_start_method() == "fork":  # workers forked from this process: warm it first
        from .preload import warm

        warm()
    calls = [(part, rubric, taxonomy, guidance, mine)
             for part, mine in with_inputs(subs_partitions(subs, units, 2 * workers), inputs)]
    return combine_parts(run_parts(grade, calls, workers, PRELOAD))


def start_early(workers: int | None, n_subs: int) -> bool:
    """Start the fork server the pool's workers will come from now, when the stage's caller must not
    fork (a Jupyter kernel: :func:`soa_analysis.procs.pool_context`) and ``n_subs`` submissions would
    be graded in a pool: the server imports :data:`PRELOAD` (seconds) in a process of its own
    while this one reads and plans, instead of after. Returns whether it was started (or already ran).

    Only worth calling when most of the submissions will be graded (a full run, or no cache).
    """
    if pool_workers(workers, n_subs) <= 1:
        return False
    ctx = pool_context(PRELOAD)
    if ctx.get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return True
