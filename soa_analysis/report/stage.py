"""The report stage: execute ``notebooks/04_report`` and turn it into the shared pages.

The pipeline calls :func:`run_report_stage`; :func:`run_report_notebook` is the same for one
page, for tests, benchmarks and users outside a pipeline run.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TextIO

from ..config import RunOptions
from ..execute import NOTEBOOKS, execute_stage, stage_parameters
from .safe import slug

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
    council, run_id, tables_dir :
        The notebook's parameters (``tables_dir`` ``""`` skips the exports).
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
              "tables_dir": str(Path(tables_dir).resolve()) if str(tables_dir) else ""}
    nb = Path(notebook or report_notebook())
    execute_stage("report", nb, executed, params, cwd=nb.parent)
    return render_notebook_html(executed, html_path)


def _councils_in(processed_dir: Path) -> list[str]:
    import pandas as pd

    path = Path(processed_dir) / "submissions.parquet"
    if not path.exists():
        return []
    councils = pd.read_parquet(path, columns=["council"])["council"]
    return sorted({c for c in councils.dropna() if str(c).strip()})


def run_report_stage(opts: RunOptions, nb_dir: Path, run_dir: Path, run_id: str, *, progress: bool,
                     stream: TextIO) -> list[Path]:
    """Build a run's shared pages: ``summary.html``, ``tables/`` and ``councils/<slug>.html``.

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
        name = slug(council)
        out_nb = run_dir / "notebooks" / "councils" / f"04_report_{name}.ipynb"
        p = stage_parameters("report", opts, run_id=run_id, council=council)
        execute_stage("report", notebook, out_nb, p, cwd=nb_dir, progress=False)
        return render_notebook_html(out_nb, run_dir / "councils" / f"{name}.html")

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
