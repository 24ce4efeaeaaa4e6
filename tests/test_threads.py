"""One BLAS and OpenMP thread per process: in a run (soa_analysis.procs.one_thread_each, unless the user sized the
pools) and in the tests (tests/conftest.py: each xdist worker and the kernels and subprocesses it starts)."""

import os

import pytest

from soa_analysis import procs


def test_each_test_worker_and_what_it_starts_run_one_blas_thread():
    import numpy  # noqa: F401  (its BLAS pool is what the limit is for)
    from threadpoolctl import threadpool_info

    pools = threadpool_info()
    assert pools and all(pool["num_threads"] == 1 for pool in pools), pools
    assert all(os.environ.get(name) == "1" for name in procs.THREAD_VARIABLES)  # kernels and subprocesses inherit it


def test_a_run_limits_the_pools_for_itself_and_the_processes_it_starts(monkeypatch):
    for name in procs.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert procs.one_thread_each() is True
    assert {name: os.environ[name] for name in procs.THREAD_VARIABLES} == dict.fromkeys(procs.THREAD_VARIABLES, "1")


@pytest.mark.parametrize("name", procs.THREAD_VARIABLES)
def test_a_user_who_sized_the_pools_keeps_the_sizes(monkeypatch, name):
    for other in procs.THREAD_VARIABLES:
        monkeypatch.delenv(other, raising=False)
    monkeypatch.setenv(name, "4")
    assert procs.one_thread_each() is False
    assert os.environ[name] == "4" and not any(os.environ.get(o) for o in procs.THREAD_VARIABLES if o != name)


def test_the_command_line_limits_them_before_a_run(monkeypatch):
    from soa_analysis import cli

    seen = {}

    def fake_run(opts, stages, **kw):
        seen.update({name: os.environ.get(name) for name in procs.THREAD_VARIABLES})
        raise SystemExit(0)

    for name in procs.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("soa_analysis.pipeline.run", fake_run)
    with pytest.raises(SystemExit):
        cli.main(["report", "-q"])
    assert seen == dict.fromkeys(procs.THREAD_VARIABLES, "1")
