"""Benchmark memory and time as the corpus grows, up to 100,000 generated (FICTIONAL) submissions.

Generates the largest size once (``bench_pipeline.generate``: the mix of formats of
``bench_ingest.py``, 2% exact duplicates, files named after the 32 councils) and gives each
smaller size N files spread evenly over it (hard links, so nothing is copied). For each size it runs
the pipeline (``pipeline.run``: notebooks and kernels, as ``soa-analysis run``) into a fresh
processed and reports folder and prints, per stage:

- wall time and CPU seconds (user+system of this process and every process it waited for: the
  stage kernels and their worker processes; not the memory sampler's own, which is taken out). A
  re-run's stages share one kernel, whose CPU is counted when it ends: its stages' CPU columns then
  show only this process's share, and the total holds the kernel's;
- peak memory of the whole process tree (this process, the kernels, their workers): the largest
  single process's RSS, sampled every ``--interval`` seconds, and the sum of the processes' PSS
  (proportional set size: a page shared by forked workers counts once in total), sampled as often
  but reading at most a twentieth of the time (:class:`TreeMemory`: reading a process's PSS walks
  its page tables and holds its memory map's lock, which stalls a large process that maps or
  unmaps memory meanwhile).

Then the memory curve: each stage's peak per size and MB per 1,000 submissions, so what grows with
the corpus is visible, and the processed tables' and the cache's size on disk. ``--rerun`` also
adds one new file and runs again (the incremental re-run, ``bench_incremental.py``'s measure).

Usage::

    nice -n 10 .venv/bin/python benchmarks/bench_100k.py                          # 2,000 and 10,000
    nice -n 10 .venv/bin/python benchmarks/bench_100k.py --sizes 2000 10000 100000 --corpus /tmp/corpus100k
    .venv/bin/python benchmarks/bench_100k.py --sizes 200 --no-report --rerun     # a quick look

``--corpus DIR`` keeps the generated files (generating 100,000 takes a while) for the next run; the
generation goes in chunks on every core, and an interrupted one resumes from the chunks it finished.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil  # noqa: E402
from bench_ingest import MAKERS  # noqa: E402
from bench_pipeline import generate  # noqa: E402

from soa_analysis import pipeline  # noqa: E402
from soa_analysis.config import STAGES, make_options  # noqa: E402

MB = 1024 * 1024

# after reading the PSS, at least this many times as long as the reading took passes before the next
PSS_QUIET = 19.0


def cpu_seconds() -> float:
    """User+system CPU seconds of this process and of every descendant it (or they) waited for."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class TreeMemory(threading.Thread):
    """Samples the process tree's memory in the background; peaks are kept per stage.

    Each sample reads every process's RSS (``/proc/PID/statm``: a counter, cheap). The PSS needs the
    kernel to walk each process's page tables (``smaps_rollup``) while it holds that process's memory
    map lock, which blocks the process whenever it maps or unmaps memory (pandas and Arrow do, for
    every large array): with a sample every half second, a process of a few gigabytes spent as long
    blocked as computing (measured: a 4 GB process doing array work, 10 s of CPU, blocked 2 to 22 s
    depending on the machine's load; 0.05 s without the sampler). So the PSS is read only after at
    least :data:`PSS_QUIET` times as long as the last reading took has passed: at most about a twentieth
    of the time, whatever the size. Peaks between two PSS readings are missed; the RSS peak is not.
    """

    def __init__(self, interval: float):
        super().__init__(daemon=True)
        self.interval = interval
        self.stage = "start"
        self.pss: dict[str, float] = defaultdict(float)
        self.largest: dict[str, float] = defaultdict(float)
        self.processes: dict[str, int] = defaultdict(int)
        self._done = threading.Event()
        self._me = psutil.Process()
        self._cpu = 0.0  # CPU seconds this sampler has spent, kept out of the run's figures
        self._next_pss = 0.0  # time.monotonic() from which the PSS may be read again

    def own_cpu(self) -> float:
        """CPU seconds spent sampling so far (reading every process's memory maps is not free)."""
        return self._cpu

    def sample(self) -> None:
        t0 = time.thread_time()
        try:
            self._sample()
        finally:
            self._cpu += time.thread_time() - t0

    def _sample(self) -> None:
        stage = self.stage
        started = time.monotonic()
        with_pss = started >= self._next_pss
        total, largest, n = 0.0, 0.0, 0
        for p in [self._me, *self._me.children(recursive=True)]:
            try:
                m = p.memory_full_info() if with_pss else p.memory_info()
            except (psutil.Error, OSError):
                continue
            total += getattr(m, "pss", 0.0)
            largest = max(largest, m.rss)
            n += 1
        if with_pss:
            self.pss[stage] = max(self.pss[stage], total / MB)
            self._next_pss = time.monotonic() + PSS_QUIET * (time.monotonic() - started)
        self.largest[stage] = max(self.largest[stage], largest / MB)
        self.processes[stage] = max(self.processes[stage], n)

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._done.set()
        self.join()


class StageLines(io.StringIO):
    """The run's progress stream: notes each stage's start and end (wall, CPU) and tells the sampler."""

    def __init__(self, memory: TreeMemory):
        super().__init__()
        self.memory = memory
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def write(self, text: str) -> int:
        m = re.search(r"\] (\w+) (\.\.\.|done in)", text)
        if m:
            stage, start = m.group(1), m.group(2) == "..."
            self.memory.sample()
            if start:
                self.memory.stage = stage
                self.wall[stage] = -time.perf_counter()
                self.cpu[stage] = -(cpu_seconds() - self.memory.own_cpu())
            else:
                self.wall[stage] += time.perf_counter()
                self.cpu[stage] += cpu_seconds() - self.memory.own_cpu()
                self.memory.stage = "between stages"
        return super().write(text)


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / MB if folder.is_dir() else 0.0


def run_size(raw: Path, work: Path, stages: tuple[str, ...], *, interval: float, full: bool) -> dict:
    """One pipeline run; its per-stage wall, CPU and peak memory, and sizes on disk."""
    memory = TreeMemory(interval)
    lines = StageLines(memory)
    opts = make_options(raw_dir=raw, processed_dir=work / "processed", reports_dir=work / "reports", keep_runs=2,
                        full=full)
    memory.start()
    t0, c0 = time.perf_counter(), cpu_seconds()
    try:
        result = pipeline.run(opts, stages, progress=False, stream=lines)
    finally:
        memory.stop()
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0 - memory.own_cpu()
    if not result.ok:
        raise SystemExit(f"run failed: {result.error}")
    processed = work / "processed"
    summary = result.manifest.get("ingest_summary") or {}
    return {"wall": wall, "cpu": cpu, "submissions": _n_submissions(processed), "files": summary.get("files", 0),
            "stages": {s: {"wall": lines.wall.get(s, 0.0), "cpu": lines.cpu.get(s, 0.0), "pss": memory.pss[s],
                           "largest": memory.largest[s], "processes": memory.processes[s]} for s in stages},
            "tables_mb": _folder_mb(processed) - _folder_mb(processed / ".cache") - _folder_mb(processed / "models"),
            "cache_mb": _folder_mb(processed / ".cache"),
            "reuse": {s: (r.get("n_reused", 0), r.get("n_recomputed", 0))
                      for s, r in (result.manifest.get("reuse") or {}).items()}}


def _n_submissions(processed: Path) -> int:
    import pyarrow.parquet as pq

    path = processed / "submissions.parquet"
    return pq.ParquetFile(path).metadata.num_rows if path.exists() else 0


def print_run(label: str, r: dict) -> None:
    n = r["submissions"]
    print(f"\n== {label}: {r['files']:,} files, {n:,} submissions; total {r['wall']:.1f} s wall, "
          f"{r['cpu']:.1f} s CPU ({n / max(r['cpu'], 1e-9):.1f} submissions per CPU second); "
          f"load average now {os.getloadavg()[0]:.1f}")
    print(f"  {'stage':<9} {'wall s':>9} {'CPU s':>9} {'peak PSS tree MB':>17} {'largest RSS MB':>15} {'procs':>6}")
    for s, v in r["stages"].items():
        print(f"  {s:<9} {v['wall']:>9.1f} {v['cpu']:>9.1f} {v['pss']:>17.0f} {v['largest']:>15.0f} "
              f"{v['processes']:>6}")
    print(f"  on disk: processed tables {r['tables_mb']:.1f} MB, stage caches {r['cache_mb']:.1f} MB")
    if r["reuse"]:
        print("  reuse: " + ", ".join(f"{s} {a} reused / {b} recomputed" for s, (a, b) in r["reuse"].items()))


def print_curve(results: list[tuple[int, dict]], stages: tuple[str, ...]) -> None:
    """Each stage's peak tree memory per size, and per 1,000 submissions: what grows with the corpus."""
    print("\n== memory curve: peak PSS of the process tree per stage (MB), and MB per 1,000 submissions")
    print(f"  {'submissions':>11} " + " ".join(f"{s:>16}" for s in stages))
    for _, r in results:
        n = max(r["submissions"], 1)
        cells = [f"{r['stages'][s]['pss']:>7.0f} ({1000 * r['stages'][s]['pss'] / n:>5.1f}/k)" for s in stages]
        print(f"  {r['submissions']:>11,} " + " ".join(f"{c:>16}" for c in cells))
    if len(results) >= 2:
        (_, a), (_, b) = results[-2], results[-1]
        dn = b["submissions"] - a["submissions"]
        if dn > 0:
            print("  growth between the two largest sizes (MB per 1,000 more submissions): " + ", ".join(
                f"{s} {1000 * (b['stages'][s]['pss'] - a['stages'][s]['pss']) / dn:.1f}" for s in stages))
            print("  (an extrapolation to larger sizes from these slopes is an estimate, not a measurement)")


MARK = ".soa-bench-corpus"  # a folder this benchmark generated (and may generate again)
CHUNK = 2000  # files generated per task: a chunk done is kept, so an interrupted generation resumes


def _chunk(folder: Path, k: int, n: int) -> int:
    """Generate chunk ``k`` (``n`` files, its own seed, so no two chunks repeat each other) into ``folder``;
    the files are written in a hidden scratch folder and moved in, then the chunk is marked done."""
    done = folder / f".chunk{k:04d}.done"
    if done.exists() and done.read_text(encoding="utf-8").strip() == str(n):
        return 0
    for p in folder.glob(f"*_c{k:04d}_*"):  # an unfinished chunk, or a shorter last chunk of a smaller corpus
        p.unlink()
    scratch = folder / f".chunk{k:04d}.tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    generate(scratch, n, seed=1000 + k, prefix=f"c{k:04d}_")
    for p in scratch.iterdir():
        p.rename(folder / p.name)
    scratch.rmdir()
    done.write_text(f"{n}\n", encoding="utf-8")
    return n


def corpus(folder: Path, n: int, workers: int | None = None) -> Path:
    """``folder`` holding at least ``n`` generated files (the missing chunks generated now, in parallel).

    Generation goes in chunks of ``CHUNK`` files, each marked when done: an interrupted generation
    resumes where it stopped. A folder that holds files this benchmark did not generate is refused,
    never emptied.
    """
    folder.mkdir(parents=True, exist_ok=True)
    have = _files(folder)
    if have and not (folder / MARK).exists():
        raise SystemExit(f"{folder} holds files this benchmark did not generate; give an empty or new folder")
    (folder / MARK).write_text("generated by benchmarks/bench_100k.py (FICTIONAL)\n", encoding="utf-8")
    if len(have) >= n:
        return folder
    chunks = [(k, min(CHUNK, n - k * CHUNK)) for k in range(-(-n // CHUNK))]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        made = sum(pool.map(_chunk, [folder] * len(chunks), [k for k, _ in chunks], [m for _, m in chunks]))
    print(f"generated {made:,} files in {time.perf_counter() - t0:.1f} s ({len(_files(folder)):,} in {folder})",
          flush=True)
    return folder


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def subset(source: Path, dest: Path, n: int) -> Path:
    """``n`` files of ``source`` spread evenly over it in name order (so every council and format
    is among them), hard-linked into ``dest``."""
    dest.mkdir(parents=True)
    files = _files(source)
    for p in (files[i * len(files) // n] for i in range(min(n, len(files)))):
        try:
            os.link(p, dest / p.name)
        except OSError:  # another file system
            shutil.copy2(p, dest / p.name)
    return dest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000], help="numbers of generated files")
    ap.add_argument("--corpus", type=Path, help="keep the generated files here (reused when it holds enough)")
    ap.add_argument("--no-report", action="store_true", help="run ingest, tag and evidence only")
    ap.add_argument("--rerun", action="store_true", help="also add one new file and run again (incremental)")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between memory samples")
    args = ap.parse_args(argv)
    stages = tuple(s for s in STAGES if s != "report") if args.no_report else STAGES
    sizes = sorted(set(args.sizes))
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, load average "
          f"{os.getloadavg()[0]:.1f} at start (shared: wall times vary, CPU seconds less so); stages {', '.join(stages)}")
    with tempfile.TemporaryDirectory(prefix="soa-bench-100k-") as tmp:
        tmp = Path(tmp)
        source = corpus(args.corpus or tmp / "corpus", sizes[-1])
        results = []
        for n in sizes:
            raw = subset(source, tmp / f"raw{n}", n)
            work = tmp / f"run{n}"
            r = run_size(raw, work, stages, interval=args.interval, full=True)
            print_run(f"{n:,} generated files", r)
            results.append((n, r))
            if args.rerun:
                new = raw / f"falkirk_new_{n}.txt"  # one more FICTIONAL file, not a copy of any other
                new.write_bytes(MAKERS["txt"](random.Random(n + 1), n + 1))
                again = run_size(raw, work, stages, interval=args.interval, full=False)
                print_run(f"{n:,} files + 1 new, re-run", again)
                print(f"  re-run / full run: wall {again['wall'] / r['wall']:.3f}, CPU {again['cpu'] / r['cpu']:.3f} "
                      "(target at most 0.1)")
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(raw, ignore_errors=True)
            sys.stdout.flush()
        print_curve(results, stages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
