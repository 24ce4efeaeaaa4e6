"""Where the ingest, tag and evidence stages run: this machine's processes, or a Dask cluster.

The **local** engine is the default: ingest reads files in a process pool on this machine,
tag and evidence run in the stage's own process. The **dask** engine (``--engine dask``, the
optional ``dask`` extra: ``pip install 'soa-analysis[dask]'``) runs the same per-file units
of work (:mod:`soa_analysis.partition`) as tasks on a Dask cluster (``dask.distributed``):

- ingest: the raw files still to read, in batches, one task a batch;
- tag and evidence: the submissions still to compute, cut into partitions of whole raw files
  (a raw file's submissions stay together), one task a partition.

Results come back to the stage's process, which assembles the tables exactly as the local
engine does (duplicates and ids, the rows in table order, everything that looks across
files), so the outputs are the same. The workers read the raw files and the saved tagging
model by path: on a cluster of several machines the raw and processed folders must be on a
file system every worker sees at the same path. Nothing of the cluster is reached over the
internet: a LocalCluster listens on this machine only, and ``--scheduler`` names a scheduler
you run.

One difference: the ingest stage's per-file time budget is a SIGALRM in the main thread of
the process reading the file; a Dask worker runs tasks in a thread, so there no signal cuts
a file short (the reader limits on size, pages, rows and archives still apply).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from typing import Iterator

import pandas as pd

from .config import ENGINES, RunOptions
from .errors import ConfigError
from .procs import combine_parts, iter_partitions, partitions, subs_partitions

__all__ = ["DaskEngine", "stage_engine", "check_engine", "local_cluster", "run_engine", "partitions",
           "subs_partitions", "iter_partitions", "combine_parts"]

INSTALL_HINT = "pip install 'soa-analysis[dask]' (or: pip install 'dask[distributed]')"
FILES_PER_TASK = 16


def _need_dask():
    try:
        import distributed
    except ImportError:
        raise ConfigError(f"--engine dask needs dask.distributed, which is not installed: {INSTALL_HINT}") from None
    return distributed


def check_engine(opts: RunOptions) -> None:
    """Refuse an engine that cannot run, before any work.

    Raises
    ------
    ConfigError
        An unknown engine, a scheduler address without ``engine: dask``, dask not installed,
        or a scheduler that cannot be reached within 10 seconds.
    """
    if opts.engine not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {opts.engine!r}")
    if opts.scheduler and opts.engine != "dask":
        raise ConfigError("--scheduler is for the Dask engine: add --engine dask")
    if opts.engine != "dask":
        return
    distributed = _need_dask()
    if opts.scheduler:
        try:
            with distributed.Client(opts.scheduler, timeout="10s", set_as_default=False):
                pass
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {opts.scheduler}: {exc}") from None


def local_cluster(workers: int = 0):
    """A LocalCluster on this machine: ``workers`` single-threaded worker processes (0: one per
    core), listening on the loopback interface only, without a dashboard."""
    distributed = _need_dask()
    n = workers or os.cpu_count() or 1
    return distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=None, silence_logs=40)


@contextlib.contextmanager
def run_engine(opts: RunOptions) -> Iterator[tuple[RunOptions, dict]]:
    """For a whole run: with ``engine: dask`` and no scheduler, a LocalCluster the stages share
    (started once, closed at the end). Yields the options the stages get (with the cluster's
    address) and the manifest's ``engine`` entry."""
    if opts.engine != "dask":
        yield opts, {"engine": "local"}
        return
    if opts.scheduler:
        yield opts, {"engine": "dask", "scheduler": opts.scheduler}
        return
    cluster = local_cluster(opts.workers)
    try:
        yield (dataclasses.replace(opts, scheduler=cluster.scheduler_address),
               {"engine": "dask", "scheduler": "LocalCluster", "workers": len(cluster.workers)})
    finally:
        cluster.close()


def stage_engine(engine: str = "local", scheduler: str = ""):
    """The engine a stage function takes: ``None`` for the local engine, else a :class:`DaskEngine`
    connected to ``scheduler`` (or to a LocalCluster of its own when it is "").

    Raises
    ------
    ConfigError
        As :func:`check_engine`.
    """
    opts = RunOptions(engine=engine, scheduler=scheduler)
    check_engine(opts)
    if engine == "local":
        return None
    return DaskEngine(scheduler or None)


def _ingest_batch(root: str, entries: list, limits) -> list[dict]:
    from .ingest.run import _process_file

    return [_process_file(root, e, limits) for e in entries]


def _tag_partition(processed_dir, subs, taxonomies, labels, extra_labels, params):
    from .tagging.stage import tag_frames

    return tag_frames(processed_dir, subs, taxonomies, labels, extra_labels, params)


def _grade_partition(subs, rubric, taxonomy, guidance, inputs):
    from .evidence.stage import grade_partition

    return grade_partition(subs, rubric, taxonomy, guidance, inputs)


class DaskEngine:
    """Runs the stages' per-file units as tasks on a Dask cluster.

    Parameters
    ----------
    scheduler : str or None
        A scheduler's address; ``None`` starts a LocalCluster (one worker per core) that lives
        as long as this object.
    """

    def __init__(self, scheduler: str | None = None):
        distributed = _need_dask()
        self._cluster = None if scheduler else local_cluster()
        self.client = distributed.Client(scheduler or self._cluster, set_as_default=False)

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def _n(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def _gather(self, futures) -> list:
        return self.client.gather(futures)

    def map_files(self, root: str, entries: list, limits) -> list[dict]:
        """Read and structure ``entries`` (ingest's per-file results, in order). A batch whose
        task fails (a worker died) is read again on this machine, where a crashing file is
        found and quarantined."""
        from .ingest.run import _run_files

        batches = [entries[i:i + FILES_PER_TASK] for i in range(0, len(entries), FILES_PER_TASK)]
        futures = [self.client.submit(_ingest_batch, root, b, limits, pure=False, retries=0) for b in batches]
        out: list[dict] = []
        for batch, fut in zip(batches, futures):
            try:
                out.extend(fut.result())
            except Exception:  # noqa: BLE001 - a lost worker: read the batch here, one file at a time
                out.extend(_run_files(root, batch, limits, workers=2, progress=False))
        return out

    def _parts(self, subs: pd.DataFrame, units: list) -> list[pd.DataFrame]:
        return subs_partitions(subs, units, 2 * self._n())

    def tag(self, processed_dir, subs: pd.DataFrame, units: list, taxonomies, labels, extra_labels, params):
        """The tagging stage's rows of ``subs`` (:func:`soa_analysis.tagging.stage.tag_frames`), partitioned."""
        futures = [self.client.submit(_tag_partition, processed_dir, part, tuple(taxonomies), labels, extra_labels,
                                      params, pure=False) for part in self._parts(subs, units)]
        results = self._gather(futures)
        meta = results[0][2]
        meta["partitions"] = len(results)
        return (pd.concat([r[0] for r in results], ignore_index=True),
                pd.concat([r[1] for r in results], ignore_index=True), meta)

    def grade(self, subs: pd.DataFrame, units: list, *, rubric, taxonomy, guidance, **inputs) -> dict:
        """The evidence stage's per-submission tables of ``subs``, partitioned; ``inputs`` are
        its other per-submission tables (partners, tags, tag_evidence: each may be None)."""
        futures = [self.client.submit(_grade_partition, part, rubric, taxonomy, guidance, mine, pure=False)
                   for part, mine in iter_partitions(subs, units, 2 * self._n(), inputs)]
        return combine_parts(self._gather(futures))
