"""The report stage's own-process work, prepared while the earlier stages run.

Around the report notebook, a run's own process runs the change step (which imports
scikit-learn, to match next steps with later reports) and nbconvert's render of the executed
notebook as ``summary.html`` (whose first render imports nbconvert and compiles its Markdown
parser's expressions and templates): several seconds on the critical path of every run. The
process only waits while the ingest, tag and evidence kernels work, so
:func:`prepare_report` does those imports, and one render of a small notebook of its own, in a
thread then; the report stage finds them done. Nothing the run writes changes.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["prepare_report", "wait_prepared", "PREPARED_MODULES"]

# what the change step and the render import, beyond what a run has loaded by then
PREPARED_MODULES = ("soa_analysis.changes.stage", "soa_analysis.nlp", "sklearn.feature_extraction.text",
                    "soa_analysis.report.render", "nbconvert")


def _prepare() -> None:
    import importlib

    for name in PREPARED_MODULES:
        importlib.import_module(name)
    from .report.render import warm_render

    warm_render()


def prepare_report() -> Future:
    """Start the imports and a first render of :mod:`.report.render` in a thread of this process.

    Returns
    -------
    concurrent.futures.Future
        Done when they are. Wait for it before the change step (:meth:`~concurrent.futures.Future.result`
        or :func:`wait_prepared`): the two must not import the same modules at the same time.
        A failure here is not the run's: the step does the work itself and reports its own errors.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare-report")
    try:
        return pool.submit(_prepare)
    finally:
        pool.shutdown(wait=False)  # the thread ends when its one task does


def wait_prepared(prepared: Future | None) -> None:
    """Wait for :func:`prepare_report`'s thread (``None``: none was started); its errors are ignored."""
    if prepared is not None:
        try:
            prepared.result()
        except Exception:  # noqa: BLE001 - the step itself imports and renders, and reports its own errors
            pass
