"""The test run's thread limits (tests/conftest.py's THREAD_LIMITS): each xdist worker's BLAS and OpenMP pools,
and those of the kernels and subprocesses it starts, run one thread."""

import os

import conftest


def test_each_worker_and_what_it_starts_run_one_blas_thread():
    import numpy  # noqa: F401  (its BLAS pool is what the limit is for)
    from threadpoolctl import threadpool_info

    pools = threadpool_info()
    assert pools and all(pool["num_threads"] == 1 for pool in pools), pools
    assert all(os.environ.get(name) == "1" for name in conftest.THREAD_LIMITS)  # kernels and subprocesses inherit it
