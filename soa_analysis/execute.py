"""Execute the pipeline notebooks with papermill.

One concern: turning a run's options into each stage notebook's parameters, refusing
parameters a notebook does not declare, and executing a notebook in a kernel of its own
(private Unix sockets, shut down afterwards), so that the executed notebook, failed or
not, is kept as the stage's log.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
import threading
from pathlib import Path
from typing import NamedTuple

from .config import STAGES, RunOptions
from .errors import ConfigError, StageError
from .guards import kernel_folder

__all__ = ["NOTEBOOKS", "KERNEL_NAME", "find_notebooks_dir", "check_parameters", "stage_parameters",
           "execute_stage", "WarmKernels", "WARM_IMPORTS", "skip_iri_grammar"]


def skip_iri_grammar() -> None:
    """Keep jsonschema from building its IRI grammar in this process (call before nbformat is imported).

    nbformat (under papermill and nbconvert) imports jsonschema, whose format checkers import
    ``rfc3987_syntax`` when it is installed (JupyterLab's dependencies bring it): that module
    builds dozens of parsers at import, about 2 s of CPU a run, for the ``iri`` formats, which no
    notebook schema uses. Marking the module absent makes jsonschema skip those two checkers, as
    it does when the package is not installed; nothing else changes. A process that has already
    imported it keeps it.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


skip_iri_grammar()  # this module is what runs the notebooks: papermill and nbformat are imported after it

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


def _notebook_parameters(notebook: Path) -> tuple[dict, list[str]]:
    """papermill's reading of a notebook's parameters and the names its ``parameters`` cell assigns, once per
    version of the file (:func:`soa_analysis.partition.file_identity`): a run checks each stage's before any
    work and again when it runs it. A file that cannot be stat'ed is read each time."""
    from .partition import file_identity

    identity = file_identity(notebook)
    if identity is None:
        return _read_notebook_parameters.__wrapped__(str(notebook), ())
    return _read_notebook_parameters(str(notebook), tuple(identity))


@functools.lru_cache(maxsize=16)
def _read_notebook_parameters(notebook: str, identity: tuple) -> tuple[dict, list[str]]:
    import papermill

    return papermill.inspect_notebook(notebook), _assigned_parameters(Path(notebook))


def check_parameters(notebook: Path, params: dict) -> None:
    """Refuse parameters the notebook's ``parameters`` cell does not declare.

    papermill only warns about unknown parameters; a typo in a run file would then be
    silently ignored, so this raises instead.

    Raises
    ------
    ConfigError
        Naming the unknown parameters and the ones the notebook accepts.
    """
    declared, assigned = _notebook_parameters(notebook)
    if not declared:
        raise ConfigError(f"{notebook.name} has no cell tagged 'parameters'")
    for name in assigned:
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


@contextlib.contextmanager
def _new_kernel():
    """A kernel manager of :func:`_kernel` and no client: papermill starts the kernel and connects to it."""
    with _kernel() as km:
        yield km, None


# What each stage's notebook imports first: a kernel started ahead of its stage imports them
# while the stage before it runs (the notebook's own imports then find them loaded).
WARM_IMPORTS = {
    "ingest": "import pandas, IPython.display, soa_analysis.ingest, soa_analysis.ingest.run, soa_analysis.engine",
    "tag": "import IPython.display, soa_analysis.labelled, soa_analysis.tagging, soa_analysis.tagging.stage, "
           "soa_analysis.engine",
    "evidence": "import IPython.display, soa_analysis.evidence, soa_analysis.evidence.stage, soa_analysis.engine",
    "report": "import soa_analysis.report, soa_analysis.report.councils, soa_analysis.report.exports",
}
# nbclient starts a kernel with its history in memory; a kernel started ahead is started the same way
_KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]


class _Warm(NamedTuple):
    """A kernel started ahead: its open context (``stack``: close it to stop the client and shut the kernel
    down), its manager and a client connected to it and ready (:func:`_ready_client`)."""

    stack: contextlib.ExitStack
    km: object
    kc: object


def _ready_client(km):
    """A blocking client of ``km``'s kernel, its channels started and the kernel answering.

    Made once a kernel and kept: a new client's first wait for the kernel (jupyter_client's
    ``wait_for_ready``) costs at least 0.2 s, as its IOPub subscription only takes messages sent
    after it has joined; a client that is connected takes requests at once."""
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
    except BaseException:
        kc.stop_channels()
        raise
    kc.allow_stdin = False  # as nbclient sets its own clients
    return kc


def _start_warm(stage: str, cwd: Path, *, fresh: bool = False, launched=None) -> _Warm:
    """Start a kernel for ``stage`` in ``cwd``, connect a client and import what its notebook imports
    (``fresh``: then empty its namespace, :data:`_FRESH_NAMESPACE`); returns the open kernel.
    ``launched``: an event set once the kernel's process is started (or its start failed)."""
    stack = contextlib.ExitStack()
    try:
        try:
            km = stack.enter_context(_kernel())
            km.start_kernel(extra_arguments=list(_KERNEL_ARGS), cwd=str(cwd))
        finally:
            if launched is not None:
                launched.set()
        kc = _ready_client(km)
        stack.callback(kc.stop_channels)  # before the kernel is shut down
        _run_silently(kc, WARM_IMPORTS.get(stage, "pass"))
        if fresh:
            _run_silently(kc, _FIRST_NAMESPACE, check=True)
    except BaseException:
        stack.close()
        raise
    return _Warm(stack, km, kc)


def _run_silently(kc, code: str, *, check: bool = False) -> None:
    """Run ``code`` through ``kc`` (a ready client, :func:`_ready_client`), silent and not stored: the
    executed notebooks' cells and counts stay their own. ``check``: raise when the code fails (else the
    notebook meets the error)."""
    reply = kc.execute_interactive(code, silent=True, store_history=False, timeout=300)
    if check and reply.get("content", {}).get("status") != "ok":
        raise RuntimeError(f"kernel refused: {code[:60]}")


# Between two notebooks run in one kernel (:class:`WarmKernels` with ``shared``): the namespace is
# emptied, the history and the execution count start again, as in a new kernel. Modules stay imported.
# IPython's reset also drops the module attributes (``__spec__``, ``__loader__``...) of the kernel's
# ``__main__``, which multiprocessing's fork server and spawn read: they are put back as they were.
# What is left then (the modules imported, their data) lives as long as the kernel: it is moved out of the
# cyclic collector's reach (``gc.freeze``), so the reset's own full collections, the next reset's and those
# of the stages' code walk only what was made since (they walked some 200,000 objects each, 0.1 s a time).
_FRESH_NAMESPACE = """(lambda ip, keep, gc: (ip.reset(new_session=True), ip.user_ns.update(keep), gc.collect(), gc.freeze())
 )(get_ipython(), {k: v for k, v in globals().items() if k.startswith("__") and k.endswith("__")}, __import__("gc"))"""
# The first time, in a kernel just started whose namespace holds only the names of the modules it imported
# (:func:`_start_warm`): those modules are moved out of the collector's reach before the reset, not after, so
# the reset's full collection and the one after it walk only what the reset made, not every object the imports
# made (about 160,000 after the ingest stage's imports: two full collections were on the way to the first
# notebook of a re-run). Later resets empty a namespace holding a stage's results: they are collected first.
_FIRST_NAMESPACE = "__import__('gc').freeze(); " + _FRESH_NAMESPACE


class WarmKernels:
    """Kernels started ahead of their stages, in a background thread.

    A run calls :meth:`start` for the next stages while a stage runs and passes this object to
    :func:`execute_stage`, which takes the stage's kernel (waiting for it to be ready) or, when
    none was started or it failed to start, starts one as before. Only the modules the
    notebook imports anyway are loaded ahead: the executed notebook is the same. A kernel started
    ahead comes with a client that is connected (:func:`_ready_client`), which papermill uses too.
    :meth:`close` shuts down any kernel not taken (a failed run).

    With ``shared``, the stages share one kernel: the first :meth:`start` starts it (and imports that
    stage's modules); each stage's notebook begins with the namespace emptied and the execution count at
    1 (as in a new kernel; modules imported stay imported), so each executed notebook is still the stage's
    own log. The next stage asked for is made ready as soon as a notebook is done with the kernel, in the
    background (its modules imported, then the namespace emptied), while this process does its own work
    between the stages (the report's change step). A re-run with little to recompute then pays one kernel
    start and one set of imports instead of one per stage (seconds each). :meth:`close` shuts it down.
    """

    def __init__(self, shared: bool = False):
        from concurrent.futures import ThreadPoolExecutor

        self.shared = shared
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm-kernel")
        self._pending: dict = {}
        self._kernel = None  # shared: (future of the _Warm, cwd)
        self._wanted: list[str] = []  # shared: stages started and not yet made ready, in order
        self._ready = None  # shared: (stage, future) of the last request to the kernel; stage: made ready for it
        self._launched = threading.Event()  # set when a kernel's process has been started

    def wait_launched(self, timeout: float = 5.0) -> None:
        """Wait (at most ``timeout`` seconds) until the kernel :meth:`start` asked for has its process started.

        The kernel then boots and imports in its own process while this one works on; without the wait,
        this process's own work (long calls that hold the interpreter's lock, such as decoding a large
        JSON file) could keep the starting thread from even launching it."""
        self._launched.wait(timeout)

    def start(self, stage: str, cwd: Path) -> None:
        """Start ``stage``'s kernel in ``cwd`` in the background (once); shared: have the run's kernel
        import its modules, starting the kernel first if this is the first stage."""
        if stage in self._pending:
            return
        if not self.shared:
            self._pending[stage] = (self._pool.submit(_start_warm, stage, Path(cwd), launched=self._launched),
                                    str(cwd))
            return
        if self._kernel is None:
            future = self._pool.submit(_start_warm, stage, Path(cwd), fresh=True, launched=self._launched)
            self._kernel = (future, str(cwd))
            self._ready = (stage, future)
        elif self._kernel[1] == str(cwd):
            self._wanted.append(stage)  # made ready once the kernel is free (:meth:`_prepare_next`)
        else:
            return  # another folder: the stage starts a kernel of its own
        self._pending[stage] = self._kernel

    @contextlib.contextmanager
    def take(self, stage: str, cwd: Path):
        """The kernel started ahead for ``stage`` as ``(manager, client)`` (shut down afterwards), else a new
        kernel's manager and no client (papermill connects one); shared: the run's kernel with its namespace
        emptied (kept for the next stage)."""
        if self.shared:
            warm = self._take_shared(stage, cwd)
            if warm is not None:
                yield warm.km, warm.kc
                self._prepare_next(warm)  # not after a failed notebook: the run stops there
                return
        pending = self._pending.pop(stage, None)
        warm = None
        if pending is not None and pending[1] == str(cwd):
            try:
                warm = pending[0].result()
            except Exception:  # noqa: BLE001 - it could not start: start one as usual below
                warm = None
        elif pending is not None:
            self._discard(pending[0])
        if warm is None:
            with _new_kernel() as made:
                yield made
            return
        with warm.stack:
            yield warm.km, warm.kc

    def _take_shared(self, stage: str, cwd: Path) -> _Warm | None:
        """The shared kernel, its namespace emptied, or None (not started, another folder, not alive)."""
        self._pending.pop(stage, None)
        if stage in self._wanted:
            self._wanted.remove(stage)
        if self._kernel is None:
            self.start(stage, cwd)  # the first stage taken starts it
        if self._kernel is None or self._kernel[1] != str(cwd):
            return None
        try:
            warm = self._kernel[0].result()
            made_for, last = self._ready
            last.result()  # the kernel answers one request at a time: no use sending more
            if not warm.km.is_alive():
                return None
            if made_for != stage:  # not made ready for this stage: its imports, then an empty namespace
                _run_silently(warm.kc, WARM_IMPORTS.get(stage, "pass"))
                _run_silently(warm.kc, _FRESH_NAMESPACE, check=True)
            self._ready = (None, last)  # used: the next stage is made ready again
        except Exception:  # noqa: BLE001 - it could not start, or died: the stage starts its own
            return None
        return warm

    def _prepare_next(self, warm: _Warm) -> None:
        """Once a notebook is done with the shared kernel: import the next stage's modules and empty the
        namespace, in the background (nothing when no later stage was started)."""
        if not self._wanted:
            return
        stage = self._wanted.pop(0)

        def prepare():
            _run_silently(warm.kc, WARM_IMPORTS.get(stage, "pass"))
            _run_silently(warm.kc, _FRESH_NAMESPACE, check=True)

        self._ready = (stage, self._pool.submit(prepare))

    def discard(self, stage: str) -> None:
        """Shut down ``stage``'s kernel if one was started and not taken (a stage that is skipped), once it
        has started: this does not wait for it. Shared: the kernel stays for the stages that run."""
        pending = self._pending.pop(stage, None)
        if self.shared:
            if stage in self._wanted:
                self._wanted.remove(stage)
            return
        if pending is not None:
            pending[0].add_done_callback(self._discard)

    @staticmethod
    def _discard(future) -> None:
        try:
            warm = future.result()
        except Exception:  # noqa: BLE001 - nothing was started
            return
        warm.stack.close()

    def close(self) -> None:
        """Shut down the kernels started and not taken (shared: the run's kernel, once its last request is
        answered), and wait for those discarded (again: nothing more)."""
        if self.shared:
            if self._ready is not None:
                self._ready[1].exception()  # done before the kernel is shut down
            if self._kernel is not None:
                self._discard(self._kernel[0])
            self._kernel = self._ready = None
            self._wanted.clear()
            self._pending.clear()
        for future, _ in self._pending.values():
            self._discard(future)
        self._pending.clear()
        self._pool.shutdown(wait=True)


# papermill writes the whole executed notebook before and after every cell: 110 writes a run, about 2 s
# (the report's notebook grows to megabytes). Between its first and last write, a stage's notebook is
# written at most this often (a long cell still updates it every 30 s, papermill's autosave).
SAVE_EVERY_S = 5.0
ENGINE_NAME = "soa-analysis"
_ENGINE_REGISTERED = False


def _engine():
    """The papermill engine the stages run on: papermill's nbclient engine, whose notebook is written
    when it starts and when it ends (failed or not: the log keeps the failing cell), and in between at
    most every :data:`SAVE_EVERY_S` seconds instead of before and after every cell."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    global _ENGINE_REGISTERED
    if _ENGINE_REGISTERED:
        return ENGINE_NAME

    class Manager(NotebookExecutionManager):
        _force = True  # the first write (and the last) always

        def save(self, **kwargs):
            if self._force or (self.now() - self.last_save_time).total_seconds() >= SAVE_EVERY_S:
                super().save(**kwargs)

        def notebook_start(self, **kwargs):
            self._force = True
            try:
                super().notebook_start(**kwargs)
            finally:
                self._force = False

        def notebook_complete(self, **kwargs):
            self._force = True
            super().notebook_complete(**kwargs)

    class Engine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, kc=None, **kwargs):
            # papermill's NBClientEngine.execute_managed_notebook (2.x), given the connected client of a kernel
            # started ahead (``kc``): nbclient then skips connecting one of its own (0.2 s or more a notebook)
            from papermill.clientwrap import PapermillNotebookClient
            from papermill.engines import logger
            from papermill.utils import merge_kwargs, remove_args

            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout, kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, **final_kwargs)
            client.kc = kc  # None: nbclient connects one (and, with no kernel manager given, starts the kernel)
            return client.execute()

        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):
            # papermill's Engine.execute_notebook (2.x) with the Manager above
            nb_man = Manager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                             autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(ENGINE_NAME, Engine)
    _ENGINE_REGISTERED = True
    return ENGINE_NAME


def execute_stage(stage: str, notebook: Path, output: Path, params: dict, *, cwd: Path,
                  progress: bool = False, warm: WarmKernels | None = None) -> None:
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
    warm : WarmKernels, optional
        Kernels started ahead: the stage takes its own from there when there is one.

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
        with (warm.take(stage, cwd) if warm is not None else _new_kernel()) as (km, kc):
            # The kernel's working folder is set through nbclient's resources rather than
            # papermill's ``cwd``, which chdirs this whole process: unsafe while other
            # threads of the process are working.
            papermill.execute_notebook(
                str(notebook), str(output), parameters=params, kernel_name=KERNEL_NAME,
                progress_bar=progress, log_output=False, km=km, kc=kc, engine_name=_engine(),
                resources={"metadata": {"path": str(cwd)}},
            )
    except PapermillExecutionError as exc:
        reason = f"{exc.ename}: {exc.evalue}".strip()
        raise StageError(f"stage '{stage}' failed: {reason}", stage=stage, notebook=str(output)) from None
    except Exception as exc:  # kernel died, notebook unreadable ...
        detail = _cell_error(output) or f"{type(exc).__name__}: {exc}"
        raise StageError(f"stage '{stage}' failed: {detail}", stage=stage,
                         notebook=str(output) if output.exists() else None) from None
