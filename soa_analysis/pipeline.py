"""One pipeline run: the stages in order, a run folder, and publishing on success.

A run executes ``notebooks/01_ingest`` .. ``04_report`` in order (or some of them), and writes
everything it made to ``reports/runs/<UTC timestamp>_<id>/``:

- ``notebooks/``: the executed notebooks, the run's log (kept when a stage fails, with the
  failing cell and its traceback visible);
- ``summary.html`` and ``councils/<slug>.html``: the shared reports;
- ``tables/``: the CSV/XLSX tables behind the charts;
- ``manifest.json``: parameters, every input file's sha256, package versions, per-stage
  timings and the status.

Only a run whose report stage succeeds replaces ``reports/latest/`` (see :mod:`.runs`), so a
failed run never replaces the last good report; the run guards (:mod:`.guards`) also refuse
to publish a run with no submissions or far fewer than before, and the next run tidies what
a killed run left behind.

The pieces live in modules of their own: notebook execution in :mod:`.execute`, the
manifest in :mod:`.manifest`, run folders, the lock and publishing in :mod:`.runs`, and the
report stage in :mod:`.report.stage`.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .config import STAGES, RunOptions
from .engine import check_engine, run_engine
from .errors import ConfigError, InputError, PublishError, SoaError, StageError
from .execute import NOTEBOOKS, WarmKernels, check_parameters, execute_stage, find_notebooks_dir, stage_parameters
from .guards import check_submissions, folder_lock, ingest_record, os_error_reason, recover
from .lineage import check_inputs, stage_record
from .manifest import finish_manifest, new_manifest, write_manifest
from .partition import CACHE_DIR, clear_reuse, read_reuse
from .prepare import prepare_report, wait_prepared
from .runs import new_run_id, prune_runs, publish_latest, run_lock
from .stageskip import reusable_run, stage_key

__all__ = ["RunResult", "run"]

# Reuse records a stage writes besides its own, copied into the manifest's ``reuse`` entry under their names: the
# report's exports (which workbook sheets and redacted cells were taken from the last run:
# soa_analysis.report.exports.EXPORTS_STAGE)
EXTRA_REUSE = {"report": ("report_exports",)}
AHEAD = 2  # while a stage runs, the kernels of the next AHEAD stages are started (or starting)


@dataclass
class RunResult:
    """What a run did: where it wrote, whether it succeeded, and its manifest."""

    run_id: str
    run_dir: Path
    status: str
    manifest: dict
    report_path: Path | None = None
    error: str = ""
    published: list[Path] = field(default_factory=list)
    pruned: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


def _run_stage(stage: str, opts: RunOptions, nb_dir: Path, run_dir: Path, run_id: str, *, progress: bool,
               stream: TextIO, warm: WarmKernels | None = None) -> list[Path]:
    """Execute one stage (in its kernel from ``warm`` when one was started ahead); the report
    stage returns the files it made to publish."""
    if stage == "report":
        from .report.stage import run_report_stage

        return run_report_stage(opts, nb_dir, run_dir, run_id, progress=progress, stream=stream, warm=warm)
    execute_stage(stage, nb_dir / NOTEBOOKS[stage], run_dir / "notebooks" / NOTEBOOKS[stage],
                  stage_parameters(stage, opts), cwd=nb_dir, progress=progress, warm=warm)
    return []


def run(opts: RunOptions, stages: tuple[str, ...] = STAGES, *, progress: bool | None = None,
        stream: TextIO | None = None) -> RunResult:
    """Execute ``stages`` in order as one run and publish its report on success.

    Parameters
    ----------
    opts : RunOptions
        Folders and settings.
    stages : tuple of str
        A subset of :data:`soa_analysis.config.STAGES`, run in pipeline order.
    progress : bool, optional
        Show progress bars (default: when ``stream`` is a terminal). Stage lines are always printed.
    stream : file-like, optional
        Where progress goes (default ``sys.stderr``).

    Returns
    -------
    RunResult
        ``status`` is ``succeeded`` or ``failed``; failures do not raise (the CLI turns them
        into an exit status), except configuration errors found before anything runs.

    Raises
    ------
    ConfigError
        Bad options, unknown stage, missing notebooks, or another run holding the lock.
    InputError
        The raw folder does not exist (when ingesting).
    """
    stream = stream or sys.stderr
    given = opts
    opts = opts.absolute()  # once, before anything runs: a relative path must not depend on when it is read
    if progress is None:
        progress = bool(getattr(stream, "isatty", lambda: False)())
    # each stage's kernel started (and its imports done) while the stage before runs; one kernel for all the
    # stages of a re-run
    warm = WarmKernels(shared=one_kernel(opts))
    try:
        stages, nb_dir, reports_dir = _check_run(opts, stages, warm)
        # read now, before anything runs; the manifest names the file as the user gave it
        outcome_data = _outcome_data_summary(given) if "report" in stages else None

        with run_lock(reports_dir), folder_lock(opts.processed_dir, "processed folder"):
            result, started = _start_run(opts, stages, reports_dir, outcome_data, stream)
            made = _execute_stages(result, opts, stages, nb_dir, reports_dir, started, progress=progress,
                                   stream=stream, warm=warm)
            if result.ok and "report" in stages:
                _publish(result, reports_dir, made)
            result.pruned = prune_runs(reports_dir, opts.keep_runs, current=result.run_id)
            if result.pruned:
                print(f"removed {len(result.pruned)} old run folder(s) (keeping {opts.keep_runs})", file=stream)
            return result
    finally:
        warm.close()


def one_kernel(opts: RunOptions) -> bool:
    """Whether the run's stages share one kernel (:class:`~.execute.WarmKernels` with ``shared``): a re-run
    (not ``--full``, a cache of an earlier run in the processed folder) on the local engine. Its stages mostly
    reuse cached rows, and a kernel start with a stage's imports (scikit-learn, scipy, nltk, pandas: about
    2.5 s of CPU) cost more than their work; each stage's notebook still runs on its own, with a fresh
    namespace, and is kept as its log. A first or ``--full`` run gives each stage a kernel of its own, as does
    the Dask engine (each stage's notebook connects a client of its own)."""
    return not opts.full and opts.engine == "local" and (Path(opts.processed_dir) / CACHE_DIR).is_dir()


def _start_first_kernel(warm: WarmKernels, opts: RunOptions, first: str, nb_dir: Path) -> None:
    """Start the first stage's kernel now, while the run's slower checks and keys are worked out (it was
    the one kernel start nothing hid), unless the stage will be skipped (:mod:`.stageskip`; the key is
    worked out again under the run's locks). Nothing is written: a run refused by the checks shuts it
    down unused. papermill is imported first, so the kernel's thread and this one do not import the
    same modules at once."""
    import papermill  # noqa: F401 - the checks import it anyway; jupyter_client with it

    try:
        if _may_skip(opts, first, nb_dir):
            return
    except (SoaError, OSError, ValueError):
        return  # refused by the checks next
    warm.start(first, nb_dir)
    warm.wait_launched()  # its process booting before this thread's checks take the interpreter


def _may_skip(opts: RunOptions, first: str, nb_dir: Path) -> bool:
    """Whether the run's first stage may be skipped, as far as can be told before the run's inventory of the
    raw folder: ingest's key is worked out from the digests that inventory keeps, which until then are the
    last run's, so a raw file added, changed or removed since (:func:`~.ingest.files.digests_current`)
    means ingest runs."""
    if opts.full:
        return False
    if first == "ingest":
        from .ingest.files import digests_current

        if not digests_current(opts.processed_dir, opts.raw_dir):
            return False
    return reusable_run(opts.processed_dir, first, stage_key(first, opts, nb_dir / NOTEBOOKS[first])) is not None


def _check_run(opts: RunOptions, stages: tuple[str, ...], warm: WarmKernels | None = None
               ) -> tuple[tuple[str, ...], Path, Path]:
    """Everything :func:`run` refuses before any work: unknown stages, a missing raw folder,
    bad notebook parameters, an unusable engine, an unknown run to compare to. Once the stages and
    folders are known good, the first stage's kernel is started in ``warm`` (:func:`_start_first_kernel`)
    while the slower checks run.

    Returns the stages in pipeline order, the notebooks folder and the reports folder.

    Raises
    ------
    ConfigError, InputError
        As :func:`run` documents.
    """
    unknown = [s for s in stages if s not in STAGES]
    if unknown or not stages:
        raise ConfigError(f"unknown stage(s) {unknown}; stages are {', '.join(STAGES)}")
    stages = tuple(s for s in STAGES if s in stages)
    nb_dir = find_notebooks_dir(opts).resolve()
    reports_dir = Path(opts.reports_dir).resolve()
    if "ingest" in stages and not Path(opts.raw_dir).is_dir():
        raise InputError(f"raw folder {opts.raw_dir} does not exist")
    if warm is not None:
        _start_first_kernel(warm, opts, stages[0], nb_dir)
    for stage in stages:  # refuse bad parameters before anything runs
        check_parameters(nb_dir / NOTEBOOKS[stage], stage_parameters(stage, opts))
    check_engine(opts)  # dask installed, the scheduler reachable (ConfigError before any work)
    if opts.compare_to and "report" in stages:
        from .changes import resolve_run

        resolve_run(reports_dir, opts.compare_to)  # ConfigError before any work
    return stages, nb_dir, reports_dir


def _start_run(opts: RunOptions, stages: tuple[str, ...], reports_dir: Path, outcome_data: dict | None,
               stream: TextIO) -> tuple[RunResult, float]:
    """Open a run (under the locks): tidy what killed runs left, check the input tables come
    from one run, make the run folder and write its first manifest.

    Returns the running :class:`RunResult` and the run's start time (``time.perf_counter``).
    """
    run_id = new_run_id()
    notes = recover(reports_dir, run_id=run_id)  # what killed runs left behind
    check_inputs(opts.processed_dir, stages[0])  # the tables it reads come from one run, or refuse now
    run_dir = reports_dir / "runs" / run_id
    run_dir.mkdir(parents=True)
    Path(opts.processed_dir).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    manifest = new_manifest(run_id, opts, stages)
    if outcome_data is not None:
        manifest["outcome_data"] = outcome_data
    write_manifest(run_dir, manifest)
    print(f"soa-analysis run {run_id}: {', '.join(stages)}", file=stream)
    for note in notes:
        print(f"      {note}", file=stream)
    return RunResult(run_id=run_id, run_dir=run_dir, status="running", manifest=manifest), started


def _guard(opts: RunOptions, reports_dir: Path, manifest: dict, stream: TextIO) -> None:
    """Never publish less than before: warn on, or refuse (GuardError), no submissions or far fewer."""
    for warning in check_submissions(opts.processed_dir, reports_dir, allow_empty=opts.allow_empty,
                                     max_drop=opts.max_drop):
        manifest["warnings"].append(warning)
        print(f"      warning: {warning}", file=stream)


def _report_with_changes(opts: RunOptions, stage_opts: RunOptions, nb_dir: Path, run_dir: Path, run_id: str,
                         manifest: dict, *, progress: bool, stream: TextIO, warm: WarmKernels) -> list[Path]:
    """The report stage, with the run's change step in a thread of this process meanwhile
    (:class:`.changes.stage.BackgroundChangeStep`: what reads its files waits for them). The step's error,
    when it failed, is the run's (the report's notebook then failed waiting for it)."""
    from .changes.stage import BackgroundChangeStep

    step = BackgroundChangeStep(opts, run_dir)
    try:
        made = _run_stage("report", stage_opts, nb_dir, run_dir, run_id, progress=progress, stream=stream, warm=warm)
    except BaseException:
        if (error := step.error()) is not None:
            raise error from None
        raise
    finally:
        step.close()
    manifest["changes"] = step.result()
    return made


def _execute_stages(result: RunResult, opts: RunOptions, stages: tuple[str, ...], nb_dir: Path,
                    reports_dir: Path, started: float, *, progress: bool, stream: TextIO,
                    warm: WarmKernels) -> list[Path]:
    """Run the stages in order on the configured engine, timing each, and close the manifest.

    A stage error, package error, OS error or interrupt marks ``result`` failed (with the
    failing stage in the manifest) instead of raising. Returns the files the stages made.
    """
    manifest, run_dir, run_id = result.manifest, result.run_dir, result.run_id
    made: list[Path] = []
    engine = contextlib.ExitStack()
    prepared = None
    stage = stages[0]
    try:
        keys = {s: None if opts.full else stage_key(s, opts, nb_dir / NOTEBOOKS[s]) for s in stages}
        # the stages that will be skipped: reusable now, after stages that are all skipped too (a stage that
        # runs makes every later one run); no kernel is started ahead for them
        skipped = set(itertools.takewhile(lambda s: reusable_run(opts.processed_dir, s, keys[s]) is not None, stages))

        def start_ahead(s: str) -> None:
            if s not in skipped:
                warm.start(s, nb_dir)

        # kernels are started up to AHEAD stages ahead (one after the other, in one thread): in a re-run the
        # stages are short, and a kernel started only one stage ahead was not ready when its stage began
        for s in stages[:1 + AHEAD]:
            start_ahead(s)
        # the report's work in this process (the change step's and the render's imports) is prepared while
        # the two stages before it run (:mod:`.prepare`)
        prepare_at = stages[max(0, stages.index("report") - 2)] if "report" in stages and "report" not in skipped else ""
        stage_opts, manifest["engine"] = engine.enter_context(run_engine(opts))  # a LocalCluster for dask
        for i, stage in enumerate(stages, 1):
            if stage == prepare_at:
                prepared = prepare_report()
            for s in stages[i:i + AHEAD]:
                start_ahead(s)
            if stage == "report":
                engine.close()  # the report runs on this machine: the cluster's workers are done
            t0 = time.perf_counter()
            key = keys[stage]
            if (made_by := reusable_run(opts.processed_dir, stage, key)) is not None:
                warm.discard(stage)  # the first stage's, when it became skippable since run() started it
                _skip_stage(manifest, stage, made_by, t0, f"[{i}/{len(stages)}]", stream)
                if stage == "ingest":
                    _guard(opts, reports_dir, manifest, stream)
                continue
            print(f"[{i}/{len(stages)}] {stage} ...", file=stream, flush=True)
            if stage == "report" and "ingest" not in stages:
                _guard(opts, reports_dir, manifest, stream)
            for record in (stage, *EXTRA_REUSE.get(stage, ())):  # a record left by an earlier run must not be copied
                clear_reuse(opts.processed_dir, record)
            with stage_record(opts.processed_dir, stage, run_id, key=key):
                if stage == "report":
                    wait_prepared(prepared)  # not both importing the same modules at once
                    made += _report_with_changes(opts, stage_opts, nb_dir, run_dir, run_id, manifest,
                                                 progress=progress, stream=stream, warm=warm)
                else:
                    made += _run_stage(stage, stage_opts, nb_dir, run_dir, run_id, progress=progress,
                                       stream=stream, warm=warm)
            manifest["timings_s"][stage] = round(time.perf_counter() - t0, 2)
            _record_reuse(manifest, opts.processed_dir, stage)
            print(f"[{i}/{len(stages)}] {stage} done in {manifest['timings_s'][stage]:.1f} s", file=stream)
            if stage == "ingest":
                _guard(opts, reports_dir, manifest, stream)
    except (StageError, SoaError, OSError) as exc:
        result.status = "failed"
        where = f" (executed notebook kept: {exc.notebook})" if getattr(exc, "notebook", None) else ""
        result.error = os_error_reason(exc) if isinstance(exc, OSError) else f"{exc}{where}"
        manifest["failed_stage"] = getattr(exc, "stage", None) or stage
    except KeyboardInterrupt:
        result.status = "failed"
        result.error = "run interrupted"
    else:
        result.status = "succeeded"
    finally:
        engine.close()
        warm.close()  # kernels started and not taken (a failed run)
        wait_prepared(prepared)
        finish_manifest(manifest, status=result.status if result.status != "running" else "failed",
                        error=result.error, total_s=time.perf_counter() - started,
                        processed_dir=Path(opts.processed_dir),
                        outputs=[p.relative_to(run_dir).as_posix() for p in made])
        manifest.update(ingest_record(opts.processed_dir, files="ingest" in stages))
        write_manifest(run_dir, manifest)
    return made


def _publish(result: RunResult, reports_dir: Path, made: list[Path]) -> None:
    """Make a succeeded run the latest report; a failure to publish (a full or read-only disk)
    marks the run failed, in ``result`` and its manifest, instead of raising."""
    manifest, run_dir = result.manifest, result.run_dir
    try:
        result.report_path = publish_latest(run_dir, reports_dir, made + [run_dir / "manifest.json"]) / "summary.html"
        result.published = made
    except PublishError as exc:  # a full or read-only disk: the manifest must not say "succeeded"
        result.status, result.error = "failed", str(exc)
        manifest.update(status="failed", error=result.error, failed_stage="publish")
        with contextlib.suppress(OSError):
            write_manifest(run_dir, manifest)


def _skip_stage(manifest: dict, stage: str, made_by: str, t0: float, step: str, stream: TextIO) -> None:
    """Record a stage skipped because its inputs, settings and code are unchanged (:mod:`.stageskip`)."""
    manifest.setdefault("reuse", {})[stage] = {"full": False, "skipped": True, "tables_of_run": made_by}
    manifest["timings_s"][stage] = round(time.perf_counter() - t0, 2)
    print(f"{step} {stage}: inputs, settings and code unchanged; the tables of run {made_by} are reused",
          file=stream, flush=True)


def _record_reuse(manifest: dict, processed_dir: Path, stage: str) -> None:
    """Copy the stage's reuse record (which raw files' results it reused, which it recomputed:
    :mod:`.partition`; for the report, which council pages' sections: :mod:`.report.reuse`) into the
    manifest's ``reuse`` entry, and the records it writes besides (:data:`EXTRA_REUSE`)."""
    if stage in STAGES and (record := read_reuse(processed_dir, stage)) is not None:
        manifest.setdefault("reuse", {})[stage] = record
    for extra in EXTRA_REUSE.get(stage, ()):
        if (record := read_reuse(processed_dir, extra)) is not None:
            manifest.setdefault("reuse", {})[extra] = record


def _outcome_data_summary(opts: RunOptions) -> dict:
    """Validate the outcome data file before the run starts; its manifest entry (path, sha256, rows).

    Raises
    ------
    OutcomeDataError
        When the file is missing or malformed (the CLI exits with status 2).
    """
    from .outcomes import describe_outcome_file

    return describe_outcome_file(opts.outcome_data or None)
