"""Execute the pipeline notebooks with papermill.

One concern: turning a run's options into each stage notebook's parameters, refusing
parameters a notebook does not declare, and executing a notebook in a kernel of its own
(private Unix sockets, shut down afterwards), so that the executed notebook, failed or
not, is kept as the stage's log.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from .config import STAGES, RunOptions
from .errors import ConfigError, StageError
from .guards import kernel_folder

__all__ = ["NOTEBOOKS", "KERNEL_NAME", "find_notebooks_dir", "check_parameters", "stage_parameters",
           "execute_stage"]

NOTEBOOKS = {
    "ingest": "01_ingest.ipynb",
    "tag": "02_tag.ipynb",
    "evidence": "03_evidence.ipynb",
    "report": "04_report.ipynb",
}
KERNEL_NAME = "python3"


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
                     councils_dir: Path | None = None, council: str = "") -> dict:
    """The papermill parameters for one stage's notebook (absolute paths).

    For the report: ``tables_dir`` and ``councils_dir`` are where the tables and the council
    pages go (``None``: not made), ``council`` narrows the report to one council.
    """
    processed = str(Path(opts.processed_dir).resolve())
    if stage == "ingest":
        return {
            "raw_dir": str(Path(opts.raw_dir).resolve()),
            "processed_dir": processed,
            "max_file_mb": float(opts.max_file_mb),
            "workers": int(opts.workers),
        } | _engine_parameters(opts)
    if stage == "tag":
        return {"processed_dir": processed, "taxonomies": list(opts.taxonomies),
                "extra_labels": str(Path(opts.extra_labels).resolve()) if opts.extra_labels else ""
                } | _engine_parameters(opts)
    if stage == "evidence":
        return {"processed_dir": processed, "rubric": str(Path(opts.rubric).resolve()) if opts.rubric else "",
                "workers": int(opts.workers)} | _engine_parameters(opts)
    if stage == "report":
        return {
            "processed_dir": processed,
            "council": council,
            "run_id": run_id,
            "tables_dir": str(tables_dir) if tables_dir else "",
            "councils_dir": str(councils_dir) if councils_dir else "",
            "workers": int(opts.workers),
            "outcome_data": str(Path(opts.outcome_data).resolve()) if opts.outcome_data else "",
            "full": bool(opts.full),  # council pages: render every one again, or reuse unchanged councils' sections
        }
    raise ConfigError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")


def _engine_parameters(opts: RunOptions) -> dict:
    """Incremental or full, and where ingest, tag and evidence run (:mod:`soa_analysis.engine`)."""
    return {"full": bool(opts.full), "engine": opts.engine, "scheduler": opts.scheduler}


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

    Parameters
    ----------
    stage : str
        Stage name, for the error message.
    notebook, output : pathlib.Path
        The notebook to run and where to write the executed copy.
    params : dict
        Its parameters (checked with :func:`check_parameters` first).
    cwd : pathlib.Path
        The kernel's working folder.
    progress : bool
        Show papermill's cell progress bar.

    Raises
    ------
    ConfigError
        If ``params`` names a parameter the notebook does not declare.
    StageError
        If a cell fails or the kernel dies; ``.notebook`` names the executed notebook.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    check_parameters(notebook, params)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _kernel() as km:
            # The kernel's working folder is set through nbclient's resources rather than
            # papermill's ``cwd``, which chdirs this whole process: unsafe while other
            # threads of the process are working.
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
