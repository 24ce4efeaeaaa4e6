"""The report stage: execute ``notebooks/04_report`` and turn it into the shared pages.

The pipeline calls :func:`run_report_stage`; :func:`run_report_notebook` is the same for one
page, for tests, benchmarks and users outside a pipeline run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from ..config import RunOptions
from ..execute import NOTEBOOKS, WarmKernels, execute_stage, stage_parameters

__all__ = ["run_report_stage", "run_report_notebook", "report_notebook"]


def report_notebook() -> Path:
    """Path of ``notebooks/04_report.ipynb`` in the repository."""
    from .data import notebooks_dir

    return notebooks_dir() / NOTEBOOKS["report"]


def run_report_notebook(
    processed_dir: str | os.PathLike,
    html_path: str | os.PathLike,
    *,
    council: str = "",
    run_id: str = "",
    tables_dir: str | os.PathLike = "",
    councils_dir: str | os.PathLike = "",
    workers: int = 0,
    notebook: str | os.PathLike | None = None,
) -> Path:
    """Execute the report notebook with papermill and render it: one call, one report.

    The executed notebook is kept beside the HTML (``<name>.ipynb``) as the run's log.

    Parameters
    ----------
    processed_dir : path-like
        The processed folder.
    html_path : path-like
        Where to write the report.
    council, run_id, tables_dir, councils_dir, workers :
        The notebook's parameters (``tables_dir`` ``""`` skips the exports, ``councils_dir``
        ``""`` the council pages; they link to the summary as ``../summary.html``, so give
        the ``councils`` folder beside ``html_path``).
    notebook : path-like, optional
        The notebook to run; default :func:`report_notebook`.

    Returns
    -------
    pathlib.Path
        ``html_path``.

    Raises
    ------
    StageError
        If the notebook fails; ``.notebook`` names the executed notebook to read.
    """
    from .render import render_notebook_html

    html_path = Path(html_path)
    executed = html_path.with_suffix(".ipynb")
    executed.parent.mkdir(parents=True, exist_ok=True)
    params = {"processed_dir": str(Path(processed_dir).resolve()), "council": council, "run_id": run_id,
              "tables_dir": str(Path(tables_dir).resolve()) if str(tables_dir) else "",
              "councils_dir": str(Path(councils_dir).resolve()) if str(councils_dir) else "",
              "workers": int(workers)}
    nb = Path(notebook or report_notebook())
    execute_stage("report", nb, executed, params, cwd=nb.parent)
    return render_notebook_html(executed, html_path)


def run_report_stage(opts: RunOptions, nb_dir: Path, run_dir: Path, run_id: str, *, progress: bool,
                     stream: TextIO, warm: WarmKernels | None = None) -> list[Path]:
    """Build a run's shared pages: ``summary.html``, ``tables/`` and ``councils/``.

    The report notebook is executed once (``notebooks/04_report.ipynb`` in the run folder is
    the log of every page): it shows the national sections, exports the tables and, unless
    ``opts.council_reports`` is off, writes every council's page from the data it loaded.
    The executed notebook is then rendered as ``summary.html``. ``warm``: kernels started ahead
    (:class:`soa_analysis.execute.WarmKernels`).

    Returns
    -------
    list of pathlib.Path
        The files made, to publish.

    Raises
    ------
    StageError
        If the report notebook fails.
    """
    from .render import render_notebook_html

    tables_dir = run_dir / "tables"
    councils_dir = run_dir / "councils" if opts.council_reports else None
    executed = run_dir / "notebooks" / NOTEBOOKS["report"]
    params = stage_parameters("report", opts, run_id=run_id, tables_dir=tables_dir, councils_dir=councils_dir)
    execute_stage("report", nb_dir / NOTEBOOKS["report"], executed, params, cwd=nb_dir, progress=progress, warm=warm)
    made = [render_notebook_html(executed, run_dir / "summary.html")]
    for folder in (tables_dir, councils_dir):
        if folder is not None and folder.exists():
            made += sorted(p for p in folder.rglob("*") if p.is_file())
    if councils_dir is not None:
        pages = sum(1 for p in made if p.parent == councils_dir)
        print(f"      summary and {pages} council page(s)", file=stream)
    return made
