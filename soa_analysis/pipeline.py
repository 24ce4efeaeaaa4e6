"""Run the four pipeline notebooks with papermill and publish the reports.

A run executes ``notebooks/01_ingest`` .. ``04_report`` in order (or one of them), and writes
everything it made to ``reports/runs/<UTC timestamp>_<id>/``:

- ``notebooks/``: the executed notebooks, the run's log (kept when a stage fails, with the
  failing cell and its traceback visible);
- ``summary.html`` and ``councils/<slug>.html``: the shared reports;
- ``tables/``: the CSV/XLSX tables behind the charts;
- ``manifest.json``: parameters, every input file's sha256, package versions, per-stage
  timings and the status.

Only a run whose report stage succeeds replaces ``reports/latest/``, and it does so by
swapping a fully built folder into place, so a failed run never replaces the last good report.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as _dt
import json
import os
import platform
import re
import secrets
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TextIO

from . import __version__
from .config import STAGES, RunOptions
from .errors import ConfigError, InputError, PublishError, SoaError, StageError
from .guards import check_submissions, folder_lock, ingest_record, kernel_folder, os_error_reason, recover
from .ingest.files import inventory, sha256_file  # noqa: F401 - sha256_file is part of this module's API
from .io import write_text
from .lineage import check_inputs, stage_record

NOTEBOOKS = {
    "ingest": "01_ingest.ipynb",
    "tag": "02_tag.ipynb",
    "evidence": "03_evidence.ipynb",
    "report": "04_report.ipynb",
}
KERNEL_NAME = "python3"
_VERSIONED_PACKAGES = (
    "pandas", "numpy", "pyarrow", "scikit-learn", "nltk", "matplotlib", "papermill", "nbconvert",
    "python-docx", "pypdf", "pdfplumber", "openpyxl",
)


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

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


# --------------------------------------------------------------------------- helpers

def slugify(name: str) -> str:
    """File-name slug of a council name: ``"Perth and Kinross"`` -> ``"perth-and-kinross"``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "unknown"


def new_run_id(now: _dt.datetime | None = None) -> str:
    """A sortable, unique run id: UTC timestamp plus six random hex digits."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}_{secrets.token_hex(3)}"


def find_notebooks_dir(opts: RunOptions) -> Path:
    """The folder holding the pipeline notebooks.

    ``opts.notebooks_dir`` when set, else the ``notebooks/`` folder of the source checkout
    the package is installed from (``pip install -e .``).

    Raises
    ------
    ConfigError
        If the folder or any of the four notebooks is missing.
    """
    nb_dir = opts.notebooks_dir or Path(__file__).resolve().parent.parent / "notebooks"
    missing = [n for n in NOTEBOOKS.values() if not (Path(nb_dir) / n).is_file()]
    if missing:
        raise ConfigError(
            f"pipeline notebooks not found in {nb_dir} (missing {', '.join(missing)}); install the package "
            "from a source checkout with `pip install -e .` or pass notebooks_dir"
        )
    return Path(nb_dir)


_ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)")


def _assigned_parameters(notebook: Path) -> list[str]:
    """Names assigned at the top level of the notebook's ``parameters`` cell."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return [m.group(1) for line in cell.source.splitlines() if (m := _ASSIGNMENT.match(line))]
    return []


def check_parameters(notebook: Path, params: dict) -> None:
    """Refuse parameters the notebook's ``parameters`` cell does not declare.

    papermill only warns about unknown parameters; a typo in a run file would then be
    silently ignored, so this raises instead.

    Raises
    ------
    ConfigError
        Naming the unknown parameters and the ones the notebook accepts.
    """
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    if not declared:
        raise ConfigError(f"{notebook.name} has no cell tagged 'parameters'")
    for name in _assigned_parameters(notebook):
        if name not in declared:  # papermill skips lines it cannot parse, with only a log message
            raise ConfigError(f"{notebook.name}: papermill cannot parse the parameters line for {name!r} "
                              "(keep comments free of '=' and ';')")
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise ConfigError(
            f"{notebook.name}: unknown parameter(s) {', '.join(unknown)}; it accepts {', '.join(sorted(declared))}"
        )


def stage_parameters(stage: str, opts: RunOptions, *, run_id: str = "", tables_dir: Path | None = None,
                     council: str = "") -> dict:
    """The papermill parameters for one stage's notebook (absolute paths)."""
    processed = str(Path(opts.processed_dir).resolve())
    if stage == "ingest":
        return {
            "raw_dir": str(Path(opts.raw_dir).resolve()),
            "processed_dir": processed,
            "max_file_mb": float(opts.max_file_mb),
            "workers": int(opts.workers),
        }
    if stage == "tag":
        return {"processed_dir": processed, "taxonomies": list(opts.taxonomies),
                "extra_labels": str(Path(opts.extra_labels).resolve()) if opts.extra_labels else ""}
    if stage == "evidence":
        return {"processed_dir": processed, "rubric": str(Path(opts.rubric).resolve()) if opts.rubric else ""}
    if stage == "report":
        return {
            "processed_dir": processed,
            "council": council,
            "run_id": run_id,
            "tables_dir": str(tables_dir) if tables_dir else "",
            "outcome_data": str(Path(opts.outcome_data).resolve()) if opts.outcome_data else "",
        }
    raise ConfigError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")


def input_inventory(raw_dir: Path) -> list[dict]:
    """Every regular file under ``raw_dir`` with its size and sha256, sorted (symbolic links never followed)."""
    return inventory(raw_dir)


def package_versions() -> dict:
    """Versions of Python, soa-analysis and the libraries a run depends on."""
    out = {"python": platform.python_version(), "soa-analysis": __version__}
    for name in _VERSIONED_PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_manifest(run_dir: Path, manifest: dict) -> None:
    write_text(run_dir / "manifest.json", json.dumps(manifest, indent=2, default=str, sort_keys=False) + "\n")


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD = -100
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def publish_latest(run_dir: Path, reports_dir: Path, files: list[Path]) -> Path:
    """Replace ``reports_dir/latest`` with a copy of ``files`` from ``run_dir``.

    The new folder is built beside the old one and swapped in with one atomic rename
    exchange (Linux), so readers see either the old or the new report, never a mix; where
    the exchange is unavailable, two renames are used.

    Raises
    ------
    PublishError
        The copy could not be made (a full or read-only disk); the half-built folder is
        removed and ``latest`` left as it was.
    """
    latest = reports_dir / "latest"
    staging = reports_dir / f".latest-{run_dir.name}"
    try:
        if staging.exists():
            shutil.rmtree(staging)
        for f in files:
            dest = staging / f.relative_to(run_dir)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
    except OSError as exc:  # a full or read-only disk: keep the last good report, leave no half copy
        shutil.rmtree(staging, ignore_errors=True)
        raise PublishError(f"could not publish the report ({os_error_reason(exc)}); the last good report in "
                           f"{latest} was kept") from None
    if latest.exists() and _exchange(staging, latest):
        shutil.rmtree(staging)  # now holds the previous report
    else:
        old = reports_dir / f".latest-old-{run_dir.name}"
        if latest.exists():
            os.rename(latest, old)
        os.rename(staging, latest)
        if old.exists():
            shutil.rmtree(old)
    return latest


@contextlib.contextmanager
def run_lock(reports_dir: Path):
    """Hold an exclusive lock on ``reports_dir`` for the length of a run."""
    with folder_lock(reports_dir, "reports folder"):
        yield


# --------------------------------------------------------------------------- execution

def _cell_error(nb_path: Path) -> str:
    """One line describing the first error output in an executed notebook."""
    import nbformat

    try:
        nb = nbformat.read(str(nb_path), as_version=4)
    except Exception:  # noqa: BLE001 - the notebook may be half-written
        return ""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out.get('ename', 'Error')}: {out.get('evalue', '')}".strip()
    return ""


@contextlib.contextmanager
def _kernel():
    """A kernel manager talking to its kernel over private Unix sockets, not loopback TCP.

    The sockets live in a temporary folder only this user can read, and the kernel is
    shut down when the notebook is done (papermill leaves a kernel it did not create).
    """
    from jupyter_client.manager import KernelManager

    with kernel_folder() as sock_dir:  # labelled, so a run killed mid-stage has it removed by the next run
        km = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(sock_dir / "k"),
                           connection_file=str(sock_dir / "kernel.json"))
        try:
            yield km
        finally:
            if km.has_kernel:
                km.shutdown_kernel(now=True)


def execute_stage(stage: str, notebook: Path, output: Path, params: dict, *, cwd: Path,
                  progress: bool = False) -> None:
    """Execute one notebook with papermill, raising :class:`StageError` on failure.

    The executed notebook is written to ``output`` whether or not the stage succeeds.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    check_parameters(notebook, params)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _kernel() as km:
            # The kernel's working folder is set through nbclient's resources rather than
            # papermill's ``cwd``, which chdirs this whole process: unsafe while council
            # reports run in parallel threads.
            papermill.execute_notebook(
                str(notebook), str(output), parameters=params, kernel_name=KERNEL_NAME,
                progress_bar=progress, log_output=False, km=km,
                resources={"metadata": {"path": str(cwd)}},
            )
    except PapermillExecutionError as exc:
        reason = f"{exc.ename}: {exc.evalue}".strip()
        raise StageError(f"stage '{stage}' failed: {reason}", stage=stage, notebook=str(output)) from None
    except Exception as exc:  # kernel died, notebook unreadable ...
        detail = _cell_error(output) or f"{type(exc).__name__}: {exc}"
        raise StageError(f"stage '{stage}' failed: {detail}", stage=stage,
                         notebook=str(output) if output.exists() else None) from None


def _councils_in(processed_dir: Path) -> list[str]:
    import pandas as pd

    path = Path(processed_dir) / "submissions.parquet"
    if not path.exists():
        return []
    councils = pd.read_parquet(path, columns=["council"])["council"]
    return sorted({c for c in councils.dropna() if str(c).strip()})


def _run_report_stage(opts: RunOptions, nb_dir: Path, run_dir: Path, run_id: str, *, progress: bool,
                      stream: TextIO) -> list[Path]:
    from .report.render import render_notebook_html

    notebook = nb_dir / NOTEBOOKS["report"]
    tables_dir = run_dir / "tables"
    executed = run_dir / "notebooks" / NOTEBOOKS["report"]
    params = stage_parameters("report", opts, run_id=run_id, tables_dir=tables_dir)
    execute_stage("report", notebook, executed, params, cwd=nb_dir, progress=progress)
    summary = render_notebook_html(executed, run_dir / "summary.html")
    made = [summary]
    if tables_dir.exists():
        made += sorted(p for p in tables_dir.rglob("*") if p.is_file())
    if not opts.council_reports:
        return made

    councils = _councils_in(opts.processed_dir)
    if not councils:
        return made

    def one(council: str) -> Path:
        slug = slugify(council)
        out_nb = run_dir / "notebooks" / "councils" / f"04_report_{slug}.ipynb"
        p = stage_parameters("report", opts, run_id=run_id, council=council)
        execute_stage("report", notebook, out_nb, p, cwd=nb_dir, progress=False)
        return render_notebook_html(out_nb, run_dir / "councils" / f"{slug}.html")

    workers = min(2, os.cpu_count() or 1) if opts.workers == 0 else max(1, min(opts.workers, 4))
    print(f"      {len(councils)} council report(s), {workers} at a time", file=stream)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(councils), desc="      council reports", unit="report", file=stream, leave=False)
    results: dict[str, Path] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(one, c): c for c in councils}
        try:
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                if bar:
                    bar.update(1)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        finally:
            if bar:
                bar.close()
    return made + [results[c] for c in councils]


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
    opts = opts.absolute()  # once, before anything runs: a relative path must not depend on when it is read
    if progress is None:
        progress = bool(getattr(stream, "isatty", lambda: False)())
    unknown = [s for s in stages if s not in STAGES]
    if unknown or not stages:
        raise ConfigError(f"unknown stage(s) {unknown}; stages are {', '.join(STAGES)}")
    stages = tuple(s for s in STAGES if s in stages)
    nb_dir = find_notebooks_dir(opts).resolve()
    reports_dir = Path(opts.reports_dir).resolve()
    if "ingest" in stages and not Path(opts.raw_dir).is_dir():
        raise InputError(f"raw folder {opts.raw_dir} does not exist")
    for stage in stages:  # refuse bad parameters before anything runs
        check_parameters(nb_dir / NOTEBOOKS[stage], stage_parameters(stage, opts))
    if opts.compare_to and "report" in stages:
        from .changes import resolve_run

        resolve_run(reports_dir, opts.compare_to)  # ConfigError before any work
    outcome_data = _outcome_data_summary(opts) if "report" in stages else None

    with run_lock(reports_dir), folder_lock(opts.processed_dir, "processed folder"):
        run_id = new_run_id()
        notes = recover(reports_dir, run_id=run_id)  # what killed runs left behind
        check_inputs(opts.processed_dir, stages[0])  # the tables it reads come from one run, or refuse now
        run_dir = reports_dir / "runs" / run_id
        run_dir.mkdir(parents=True)
        Path(opts.processed_dir).mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        manifest: dict = {
            "run_id": run_id,
            "run_name": opts.run_name,
            "status": "running",
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "finished": None,
            "stages": list(stages),
            "parameters": opts.to_dict(),
            "software": package_versions(),
            "inputs": input_inventory(Path(opts.raw_dir)) if Path(opts.raw_dir).is_dir() else [],
            "timings_s": {},
            "outputs": [],
            "warnings": [],
        }
        if outcome_data is not None:
            manifest["outcome_data"] = outcome_data
        _write_manifest(run_dir, manifest)
        print(f"soa-analysis run {run_id}: {', '.join(stages)}", file=stream)
        for note in notes:
            print(f"      {note}", file=stream)

        def guard() -> None:  # never publish less than before: no submissions, or far fewer
            for warning in check_submissions(opts.processed_dir, reports_dir, allow_empty=opts.allow_empty,
                                             max_drop=opts.max_drop):
                manifest["warnings"].append(warning)
                print(f"      warning: {warning}", file=stream)

        result = RunResult(run_id=run_id, run_dir=run_dir, status="running", manifest=manifest)
        made: list[Path] = []
        try:
            for i, stage in enumerate(stages, 1):
                print(f"[{i}/{len(stages)}] {stage} ...", file=stream, flush=True)
                t0 = time.perf_counter()
                if stage == "report" and "ingest" not in stages:
                    guard()
                with stage_record(opts.processed_dir, stage, run_id):
                    if stage == "report":
                        from .changes.stage import run_change_step

                        manifest["changes"] = run_change_step(opts, run_dir)
                        made = _run_report_stage(opts, nb_dir, run_dir, run_id, progress=progress, stream=stream)
                    else:
                        execute_stage(stage, nb_dir / NOTEBOOKS[stage], run_dir / "notebooks" / NOTEBOOKS[stage],
                                      stage_parameters(stage, opts), cwd=nb_dir, progress=progress)
                manifest["timings_s"][stage] = round(time.perf_counter() - t0, 2)
                print(f"[{i}/{len(stages)}] {stage} done in {manifest['timings_s'][stage]:.1f} s", file=stream)
                if stage == "ingest":
                    guard()
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
            manifest["status"] = result.status if result.status != "running" else "failed"
            manifest["error"] = result.error
            manifest["finished"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
            manifest["timings_s"]["total"] = round(time.perf_counter() - started, 2)
            processed = Path(opts.processed_dir)
            manifest["ingest_summary"] = _ingest_summary(processed)
            for meta in ("tagging_meta.json", "evidence_meta.json"):
                data = _read_json(processed / meta)
                if data is not None:
                    manifest[meta.removesuffix(".json")] = {
                        k: v for k, v in data.items() if k in ("taxonomies", "versions", "rubric_version",
                                                               "theme_version", "taxonomy_versions")
                    }
            manifest.update(ingest_record(processed, files="ingest" in stages))
            manifest["outputs"] = [p.relative_to(run_dir).as_posix() for p in made]
            _write_manifest(run_dir, manifest)
        if result.ok and "report" in stages:
            try:
                result.report_path = publish_latest(run_dir, reports_dir, made + [run_dir / "manifest.json"]) / "summary.html"
                result.published = made
            except PublishError as exc:  # a full or read-only disk: the manifest must not say "succeeded"
                result.status, result.error = "failed", str(exc)
                manifest.update(status="failed", error=result.error, failed_stage="publish")
                with contextlib.suppress(OSError):
                    _write_manifest(run_dir, manifest)
        elif result.ok:
            result.report_path = None
        result.manifest = manifest
        return result


def _outcome_data_summary(opts: RunOptions) -> dict:
    """Validate the outcome data file before the run starts; its manifest entry (path, sha256, rows).

    Raises
    ------
    OutcomeDataError
        When the file is missing or malformed (the CLI exits with status 2).
    """
    from .outcomes import describe_outcome_file

    return describe_outcome_file(opts.outcome_data or None)


def _ingest_summary(processed: Path) -> dict:
    import pandas as pd

    path = processed / "ingest_log.csv"
    if not path.exists():
        return {}
    log = pd.read_csv(path, keep_default_na=False)
    return {"files": int(len(log)), **{k: int(v) for k, v in log["status"].value_counts().items()}}
