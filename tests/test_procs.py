"""A pool's workers (soa_analysis.procs.worker_pool) end with the process that made the pool, even when
it ends without shutting the pool down (a Jupyter kernel killed mid-report), and take the fork server
and the resource tracker with them; the pool's own initializer still runs."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time

import pytest

from soa_analysis.procs import OWNER_GONE, worker_pool

# The process that makes the pool: it writes its worker's pid (and, from a fork server, the server's and
# the resource tracker's) to a file and ends at once, the pool still open. (A file, not a pipe: a worker
# left running would hold the pipe open and the test would wait on it instead of failing.)
OWNER = textwrap.dedent("""
    import multiprocessing, os, sys
    from multiprocessing import forkserver, resource_tracker
    from soa_analysis.procs import worker_pool
    ctx = multiprocessing.get_context(sys.argv[1])
    pool = worker_pool(1, ctx)
    pids = [pool.submit(os.getpid).result()]
    if sys.argv[1] == "forkserver":
        pids += [forkserver._forkserver._forkserver_pid, resource_tracker._resource_tracker._pid]
    with open(sys.argv[2], "w") as f:
        f.write(" ".join(map(str, pids)))
    os._exit(0)
""")


def _ended(pid: int) -> bool:
    """Whether process ``pid`` has ended (gone, or a zombie not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


def _wait_ended(pids: list[int], limit: float = 120.0) -> list[int]:
    """The processes of ``pids`` still running after at most ``limit`` seconds (ending is expected within
    a moment; the limit only keeps a broken build from hanging the suite)."""
    end = time.monotonic() + limit
    while time.monotonic() < end and not all(_ended(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if not _ended(p)]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
@pytest.mark.parametrize("method", [m for m in ("fork", "forkserver") if m in multiprocessing.get_all_start_methods()])
def test_workers_end_with_the_process_that_made_the_pool(method, tmp_path):
    out, err = tmp_path / "pids", tmp_path / "stderr"
    with open(err, "w") as stderr:
        done = subprocess.run([sys.executable, "-c", OWNER, method, str(out)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=stderr, timeout=300)
    assert done.returncode == 0, err.read_text()
    pids = [int(p) for p in out.read_text().split()]
    assert len(pids) == (3 if method == "forkserver" else 1)
    left = _wait_ended(pids)
    for pid in left:  # do not leave them behind, whatever the outcome
        os.kill(pid, 9)
    assert left == [], f"still running after their owner ended: {left}"


def test_the_pools_own_initializer_still_runs():
    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    if ctx is None:
        pytest.skip("needs fork")
    with worker_pool(1, ctx, os.environ.__setitem__, ("SOA_ANALYSIS_TEST_INIT", "ran")) as pool:
        assert pool.submit(os.getenv, "SOA_ANALYSIS_TEST_INIT").result() == "ran"
        assert pool.submit(os.getppid).result() == os.getpid()
    assert "SOA_ANALYSIS_TEST_INIT" not in os.environ


WATCHER = textwrap.dedent("""
    import os, sys, time
    if sys.argv[2] == "poll":
        del os.pidfd_open  # as where Linux has no pidfds
    from soa_analysis.procs import exit_with
    exit_with(int(sys.argv[1]), poll=0.05)
    print("watching", flush=True)
    time.sleep(300)
""")


@pytest.mark.parametrize("how", ["pidfd", "poll"])
def test_exit_with_ends_this_process_when_the_owner_ends(how):
    if how == "pidfd" and not hasattr(os, "pidfd_open"):
        pytest.skip("no pidfds here")
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    watcher = subprocess.Popen([sys.executable, "-c", WATCHER, str(owner.pid), how], stdout=subprocess.PIPE, text=True)
    try:
        assert watcher.stdout.readline().strip() == "watching"
        assert watcher.poll() is None  # the owner is alive: it goes on
        owner.kill()
        owner.wait()
        assert watcher.wait(timeout=120) == OWNER_GONE
    finally:
        for p in (owner, watcher):
            if p.poll() is None:
                p.kill()
                p.wait()


def test_exit_with_an_owner_already_gone():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    code = ("import sys, time\nfrom soa_analysis.procs import exit_with\n"
            f"exit_with({gone.pid})\ntime.sleep(300)\n")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == OWNER_GONE

