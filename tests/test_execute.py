"""Notebook execution: where the notebooks are, their parameters, and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from soa_analysis import execute
from soa_analysis.config import make_options
from soa_analysis.errors import ConfigError


def test_unknown_parameter_is_refused_before_running(fake_notebooks):
    with pytest.raises(ConfigError, match="unknown parameter"):
        execute.check_parameters(fake_notebooks / "02_tag.ipynb", {"processed_dir": "x", "taxonmies": []})


def test_missing_notebooks_dir(tmp_path):
    with pytest.raises(ConfigError, match="notebooks not found"):
        execute.find_notebooks_dir(make_options(notebooks_dir=tmp_path))


def test_real_notebooks_declare_the_parameters_the_pipeline_passes():
    opts = make_options()
    nb_dir = execute.find_notebooks_dir(opts)
    for stage, name in execute.NOTEBOOKS.items():
        execute.check_parameters(nb_dir / name, execute.stage_parameters(stage, opts))


def test_a_parameters_line_papermill_cannot_parse_is_refused(tmp_path, write_notebook):
    nb = write_notebook(tmp_path / "x.ipynb", 'a: int = 1  # fine\nb: int = 0  # 0 = off, which papermill cannot parse\n',
                        "pass")
    with pytest.raises(ConfigError, match="cannot parse the parameters line for 'b'"):
        execute.check_parameters(nb, {"a": 2})


def test_unknown_stage_has_no_parameters():
    with pytest.raises(ConfigError, match="unknown stage"):
        execute.stage_parameters("tagging", make_options())


def _cells(path):
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    return [(c.execution_count, [o.get("text", "") for o in c.outputs]) for c in nb.cells if c.cell_type == "code"]


def test_a_kernel_started_ahead_runs_the_notebook_as_a_new_one_would(tmp_path, write_notebook, monkeypatch):
    # the warm-up imports a module of its own: the notebook sees it loaded, its cells and counts are its own
    (tmp_path / "warm_probe.py").write_text("LOADED = True\n")
    monkeypatch.setitem(execute.WARM_IMPORTS, "ingest", "import warm_probe")
    nb = write_notebook(tmp_path / "nb.ipynb", "x: int = 1  # a number",
                        "import sys, os\nprint(x, 'warm_probe' in sys.modules, os.getcwd() == %r)" % str(tmp_path))
    warm = execute.WarmKernels()
    try:
        warm.start("ingest", tmp_path)
        execute.execute_stage("ingest", nb, tmp_path / "warm.ipynb", {"x": 2}, cwd=tmp_path, warm=warm)
        # a kernel started for another folder is not used: a new one is started in the right folder
        warm.start("tag", tmp_path / "elsewhere")
        execute.execute_stage("tag", nb, tmp_path / "moved.ipynb", {"x": 2}, cwd=tmp_path, warm=warm)
    finally:
        warm.close()
    execute.execute_stage("ingest", nb, tmp_path / "cold.ipynb", {"x": 2}, cwd=tmp_path)
    warm_cells, cold_cells = _cells(tmp_path / "warm.ipynb"), _cells(tmp_path / "cold.ipynb")
    assert [c for c, _ in warm_cells] == [c for c, _ in cold_cells] == [1, 2, 3]  # parameters, injected, body
    assert warm_cells[-1][1] == ["2 True True\n"]
    assert cold_cells[-1][1] == ["2 False True\n"]
    assert _cells(tmp_path / "moved.ipynb")[-1][1] == ["2 False True\n"]


def test_kernels_started_ahead_and_not_used_are_shut_down(tmp_path):
    warm = execute.WarmKernels()
    warm.start("evidence", tmp_path)
    km = warm._pending["evidence"][0].result().km
    folder = Path(km.connection_file).parent  # its private socket folder
    assert km.is_alive() and folder.is_dir()
    warm.close()
    assert not km.is_alive()
    assert not folder.exists()


def test_running_notebooks_does_not_build_the_iri_grammar():
    """papermill and nbformat are imported without jsonschema's IRI parsers (about 2 s a run), and
    nbformat still validates a notebook (a broken one is still refused)."""
    import subprocess
    import sys

    # execute first, as the pipeline imports it: nbformat and papermill come after
    code = ("import sys\n"
            "from soa_analysis import execute\n"
            "import nbformat, papermill\n"
            "assert sys.modules.get('rfc3987_syntax') is None, 'the IRI grammar was imported'\n"
            "nb = nbformat.read(sys.argv[1], as_version=4)\n"
            "nbformat.validate(nb)\n"
            "nb.cells[0]['cell_type'] = 'not a cell type'\n"
            "try:\n"
            "    nbformat.validate(nb)\n"
            "except nbformat.ValidationError:\n"
            "    print('refused')\n")
    nb = execute.find_notebooks_dir(make_options()) / execute.NOTEBOOKS["report"]
    out = subprocess.run([sys.executable, "-c", code, str(nb)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "refused"


def test_a_discarded_kernel_is_shut_down_once_started_without_waiting_for_it(tmp_path):
    warm = execute.WarmKernels()
    warm.start("ingest", tmp_path)
    future = warm._pending["ingest"][0]
    warm.discard("ingest")  # a skipped stage: returns at once
    assert "ingest" not in warm._pending
    warm.discard("tag")  # none started: nothing to do
    km = future.result().km
    warm.close()  # waits for the discarded one's shutdown
    assert not km.is_alive()


def test_the_executed_notebook_is_written_at_its_start_and_end_not_around_every_cell(tmp_path, write_notebook,
                                                                                        monkeypatch):
    import papermill.engines

    from soa_analysis.errors import StageError

    writes = []
    real = papermill.engines.write_ipynb
    monkeypatch.setattr(papermill.engines, "write_ipynb", lambda nb, path: writes.append(path) or real(nb, path))
    # no periodic save in between, however slow a loaded machine runs the cells: only the start and end count here
    monkeypatch.setattr(execute, "SAVE_EVERY_S", 1e9)
    nb = write_notebook(tmp_path / "nb.ipynb", "x: int = 1  # a number", "print(x)")
    execute.execute_stage("ingest", nb, tmp_path / "out.ipynb", {"x": 2}, cwd=tmp_path)
    assert len(writes) == 2  # papermill alone wrote it 8 times (before and after each of its 3 cells, and twice more)
    assert _cells(tmp_path / "out.ipynb")[-1][1] == ["2\n"]
    # a failing cell: the notebook is written at the end all the same, with the error in it
    bad = write_notebook(tmp_path / "bad.ipynb", "x: int = 1  # a number", "raise ValueError('FICTIONAL failure')")
    with pytest.raises(StageError, match="FICTIONAL failure"):
        execute.execute_stage("tag", bad, tmp_path / "bad-out.ipynb", {"x": 2}, cwd=tmp_path)
    assert "FICTIONAL failure" in (tmp_path / "bad-out.ipynb").read_text()


def test_stages_sharing_one_kernel_each_start_as_in_a_new_kernel(tmp_path, write_notebook, monkeypatch):
    """A re-run's stages share one kernel (WarmKernels with shared): the kernel is the same process, but each
    notebook starts with an empty namespace and its counts at 1, later stages' modules are imported ahead,
    the kernel's __main__ keeps what multiprocessing reads, and closing shuts it down."""
    (tmp_path / "warm_probe.py").write_text("LOADED = True\n")
    monkeypatch.setitem(execute.WARM_IMPORTS, "tag", "import warm_probe")
    first = write_notebook(tmp_path / "a.ipynb", "x: int = 1  # a number",
                           "import os\nleft_behind = 'planted'\nprint(x, os.getpid())")
    second = write_notebook(tmp_path / "b.ipynb", "x: int = 1  # a number",
                            "import gc, os, sys, __main__\nprint(x, os.getpid(), 'left_behind' in dir(), "
                            "'warm_probe' in sys.modules, __main__.__spec__ is None, gc.get_freeze_count() > 0)")
    from jupyter_client.blocking.client import BlockingKernelClient

    waits = []
    real_wait = BlockingKernelClient.wait_for_ready
    monkeypatch.setattr(BlockingKernelClient, "wait_for_ready", lambda self, *a, **k: (waits.append(self),
                                                                                        real_wait(self, *a, **k))[1])
    warm = execute.WarmKernels(shared=True)
    try:
        warm.start("ingest", tmp_path)
        warm.start("tag", tmp_path)
        km = warm._pending["ingest"][0].result().km
        execute.execute_stage("ingest", first, tmp_path / "a_out.ipynb", {"x": 2}, cwd=tmp_path, warm=warm)
        assert warm._ready[0] == "tag"  # made ready for the next stage as soon as the notebook was done
        execute.execute_stage("tag", second, tmp_path / "b_out.ipynb", {"x": 3}, cwd=tmp_path, warm=warm)
        assert km.is_alive()  # kept for the next stage
        assert len(waits) == 1  # one client connected, once: the warm-up's, the resets' and papermill's
    finally:
        warm.close()
    assert not km.is_alive()
    a, b = _cells(tmp_path / "a_out.ipynb"), _cells(tmp_path / "b_out.ipynb")
    assert [c for c, _ in a] == [c for c, _ in b] == [1, 2, 3]
    x, pid = a[-1][1][0].split()
    assert x == "2"
    # the modules loaded before the notebook are out of the cyclic collector's reach (gc.freeze)
    assert b[-1][1] == [f"3 {pid} False True True True\n"]


def test_a_run_shares_one_kernel_only_when_it_reuses_an_earlier_runs_cache(tmp_path):
    from soa_analysis import pipeline

    opts = make_options(processed_dir=tmp_path / "p")
    assert not pipeline.one_kernel(opts)  # a first run: a kernel per stage
    (tmp_path / "p" / ".cache").mkdir(parents=True)
    assert pipeline.one_kernel(opts)
    assert not pipeline.one_kernel(make_options(processed_dir=tmp_path / "p", full=True))
    assert not pipeline.one_kernel(make_options(processed_dir=tmp_path / "p", engine="dask"))
