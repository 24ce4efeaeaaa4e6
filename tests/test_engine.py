"""The Dask engine: ingest, tag and evidence over a LocalCluster give the local engine's tables.

Skipped when dask.distributed is not installed (``pip install -e ".[dask]"``); CI installs the
extra and sets SOA_REQUIRE_DASK=1, which turns a missing dask into a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from soa_analysis import engine, partition
from soa_analysis.config import make_options
from soa_analysis.errors import ConfigError
from soa_analysis.evidence import run_evidence
from soa_analysis.ingest import run_ingest
from soa_analysis.io import read_table
from soa_analysis.partition import Unit
from soa_analysis.tagging import run_tagging

try:
    import distributed
except ImportError:
    distributed = None
    if os.environ.get("SOA_REQUIRE_DASK") == "1":
        raise RuntimeError("SOA_REQUIRE_DASK=1 but dask.distributed is not installed: pip install -e '.[dask]'")

needs_dask = pytest.mark.skipif(distributed is None, reason="dask.distributed is not installed "
                                                             "(the optional extra: pip install -e '.[dask]')")
MINI = Path(__file__).parent / "fixtures" / "mini_raw"
STAGE_TABLES = [name for name in ("ingest_log", "submissions", "contacts", "partners", "tags", "tag_evidence",
                                  "evidence", "evidence_sentences", "added_value", "alignment", "followups",
                                  "exemplars", "partner_pairs", "consistency")]


def _run(raw, processed, eng) -> None:
    run_ingest(raw, processed, workers=1, full=True, engine=eng)
    run_tagging(processed, full=True, engine=eng)
    run_evidence(processed, full=True, engine=eng)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    shutil.copytree(MINI, tmp / "raw")
    _run(tmp / "raw", tmp / "processed", None)
    return tmp


@needs_dask
@pytest.mark.parametrize("workers", [1, 2])
def test_dask_engine_gives_the_local_engines_tables(tmp_path, local_run, workers):
    raw, local = local_run / "raw", local_run / "processed"
    shutil.copytree(local / "models", tmp_path / "dask" / "models")  # one model, trained once
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        eng = engine.stage_engine("dask", cluster.scheduler_address)
        try:
            assert eng._n() == workers
            _run(raw, tmp_path / "dask", eng)
        finally:
            eng.close()
    for name in STAGE_TABLES:
        a, b = read_table(tmp_path / "dask", name), read_table(local, name)
        if name == "ingest_log":
            a, b = a.drop(columns=["seconds"]), b.drop(columns=["seconds"])
        pd.testing.assert_frame_equal(a, b, obj=name)
    assert partition.read_reuse(tmp_path / "dask", "evidence")["n_recomputed"] > 0


def test_partitions_keep_a_raw_files_submissions_together():
    units = [Unit("a.csv", ["1", "2", "3"]), Unit("b.txt", ["4"]), Unit("c.txt", ["5"]), Unit("d.txt", ["6"])]
    parts = engine.partitions(units, 3)
    assert [u for p in parts for u in p] == units  # in order, each unit once
    assert len(parts) <= 3 and all(p for p in parts)
    assert engine.partitions([], 4) == []
    assert len(engine.partitions(units, 100)) == len(units)


def test_the_local_engine_is_none_and_bad_engines_are_refused():
    assert engine.stage_engine("local", "") is None
    with pytest.raises(ConfigError, match="add --engine dask"):
        engine.check_engine(make_options(scheduler="tcp://127.0.0.1:1"))
    with pytest.raises(ConfigError, match="engine must be one of"):
        engine.stage_engine("spark", "")


def test_engine_dask_without_dask_installed_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(ConfigError, match=r"pip install 'soa-analysis\[dask\]'"):
        engine.check_engine(make_options(engine="dask"))


@needs_dask
def test_an_unreachable_scheduler_is_refused_before_any_work():
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        engine.check_engine(make_options(engine="dask", scheduler="tcp://127.0.0.1:9"))
