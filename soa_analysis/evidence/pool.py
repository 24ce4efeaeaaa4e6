"""The evidence stage's grading shared over this machine's cores (the local engine).

Grading is per submission and pure, so the submissions to grade are cut into partitions of
whole raw files (:func:`soa_analysis.procs.subs_partitions`, as the Dask engine cuts them),
each partition is graded by :func:`.stage.grade_partition` in a worker process, and the
partitions' tables are joined in order: the tables are the same as grading them all in one
process (a test checks). Below :data:`POOL_MIN` submissions a pool would cost more to start
than it saves, and they are graded in the stage's own process.

The partitions are small (about :data:`TASK_SUBMISSIONS` submissions, at least
:data:`TASKS_PER_WORKER` a worker): a worker starts on its first one as soon as it is sent, and
when the last ones are graded the cores wait at most for one small partition, not for a
quarter of the corpus. :func:`start_grading` returns while the workers grade, so that the stage
can do its own work meanwhile (:meth:`Grading.tables` waits for them). The pool is handed
:data:`AHEAD_PER_WORKER` partitions a worker at a time and the next as one is done, each cut from
the tables only then (:func:`soa_analysis.procs.iter_partitions`): the stage does not hold a second
copy of every submission and its tag rows while they are graded.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

import pandas as pd

from ..procs import combine_parts, cores, iter_partitions, pool_context, worker_pool

__all__ = ["POOL_MIN", "TASK_SUBMISSIONS", "TASKS_PER_WORKER", "AHEAD_PER_WORKER", "pool_workers", "n_partitions", "grade_in_pool",
           "start_grading", "Grading", "start_early"]

POOL_MIN = 200
# partitions handed to the pool ahead of those being graded, a worker: the rest are cut from the tables only
# when one is done, so the stage does not hold a second copy of every submission and its tag rows meanwhile
AHEAD_PER_WORKER = 3
# submissions a grading task holds about (a few seconds of a core), and the fewest tasks a worker gets
TASK_SUBMISSIONS = 200
TASKS_PER_WORKER = 4
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


def n_partitions(n_subs: int, workers: int) -> int:
    """The partitions ``n_subs`` submissions are cut into for ``workers`` processes: about
    :data:`TASK_SUBMISSIONS` submissions each, at least :data:`TASKS_PER_WORKER` a worker.

    Example
    -------
    >>> n_partitions(10_000, 2), n_partitions(500, 2)
    (50, 8)
    """
    return max(TASKS_PER_WORKER * workers, -(-n_subs // TASK_SUBMISSIONS))


class Grading:
    """Partitions being graded in a pool (:func:`start_grading`): at most ``ahead`` of them handed to
    the pool at a time, the next cut and handed over as one is done (in :meth:`tables`)."""

    def __init__(self, executor: ProcessPoolExecutor, submit, parts, ahead: int):
        self._executor = executor
        self._submit = submit
        self._parts = parts
        self._futures: list = []
        self._ahead = ahead
        self._hand_over(ahead)

    def _hand_over(self, k: int) -> None:
        for _ in range(k):
            nxt = next(self._parts, None)
            if nxt is None:
                return
            self._futures.append(self._submit(*nxt))

    def tables(self) -> dict[str, pd.DataFrame]:
        """Wait for the partitions' tables, handing the pool the rest as it frees, and join them in
        order (the pool is then shut down; a worker's error is raised here)."""
        try:
            pending = {f for f in self._futures if not f.done()}
            while True:
                before = len(self._futures)
                self._hand_over(self._ahead - len(pending))  # keep ``ahead`` in the pool's hands
                pending |= set(self._futures[before:])
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    f.result()  # a worker's error: raised now, the partitions not handed over are dropped
            return combine_parts([f.result() for f in self._futures])
        finally:
            self.close()

    def close(self) -> None:
        """Shut the pool down (partitions not started are dropped)."""
        self._parts = iter(())
        self._executor.shutdown(wait=True, cancel_futures=True)


def start_grading(subs: pd.DataFrame, units: list, workers: int, grade, *, rubric, taxonomy, guidance,
                  **inputs) -> Grading:
    """Start grading the evidence stage's per-submission tables of ``subs`` in ``workers`` processes.

    Parameters
    ----------
    subs : pandas.DataFrame
        The submissions to grade, in table order.
    units : list of soa_analysis.partition.Unit
        Their raw files (a raw file's submissions stay in one partition; their keys are not read).
    workers : int
        Processes (the submissions are cut into :func:`n_partitions` partitions).
    grade : callable
        ``grade(part, rubric, taxonomy, guidance, inputs)`` -> the partition's tables
        (:func:`.stage.grade_partition`, passed in by the stage).
    rubric, taxonomy, guidance
        The fitted rubric, added-value taxonomy and guidance of the stage.
    **inputs
        The other per-submission tables (partners, tags, tag_evidence; each may be None).

    Returns
    -------
    Grading
        Its :meth:`~Grading.tables`: table name -> frame, as :func:`.stage.evidence_frames` returns
        for ``subs`` at once.
    """
    ctx = pool_context(PRELOAD)
    if ctx.get_start_method() == "fork":  # workers forked from this process: warm it first
        from .preload import warm

        warm()
    parts = iter_partitions(subs, units, n_partitions(len(subs), workers), inputs)
    executor = worker_pool(workers, ctx)
    try:
        return Grading(executor, lambda part, mine: executor.submit(grade, part, rubric, taxonomy, guidance, mine),
                       parts, AHEAD_PER_WORKER * workers)
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        raise


def grade_in_pool(subs: pd.DataFrame, units: list, workers: int, grade, *, rubric, taxonomy, guidance,
                  **inputs) -> dict[str, pd.DataFrame]:
    """The evidence stage's per-submission tables of ``subs`` graded by ``workers`` processes
    (:func:`start_grading`, waited for)."""
    return start_grading(subs, units, workers, grade, rubric=rubric, taxonomy=taxonomy, guidance=guidance,
                         **inputs).tables()


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
