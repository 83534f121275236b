"""Sweeps on Dask give the numbers of the in-process path bit for bit: the seed of every simulation depends only on
the scenario, the variant and the replication. The clusters here run their workers as threads of the test process
(``processes=False``): starting worker processes costs seconds on the 2-core CI machine and tests nothing more
about the results; ``ccsim sweep`` itself starts processes."""

import logging
from pathlib import Path

import pytest
from distributed import LocalCluster

import sim.analysis.cluster
from sim.analysis.cluster import dask_executor
from sim.analysis.sweep import in_process, list_axis, run_sweep, variants
from sim.cli.app import main
from sim.scenario.loader import load_scenario

SCENARIO = """
name: small
run: {days: 1, replications: 3, seed: 4}
call_types:
  calls:
    arrivals: {rate_per_hour: 150}
    handle_time: {dist: lognormal, mean: 4min, cv: 1}
    patience: {dist: exponential, mean: 2min}
agent_groups:
  team: {skills: [calls], agents: 11, cost_per_hour: 30}
"""


@pytest.fixture()
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "small.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_dask_equals_in_process(small: Path) -> None:
    axes = [list_axis("agent_groups.team.agents=10,12"), list_axis("run.volume_factor=1,1.2")]
    chosen = variants(axes, lambda o: load_scenario(small, overrides=o))
    here = run_sweep(axes, chosen, in_process)
    seen: list[int] = []
    with dask_executor(workers=2, processes=False) as (execute, where):
        there = run_sweep(axes, chosen, execute, lambda done, calls: seen.append(done))
    assert where == "local Dask cluster, 2 workers" and seen == list(range(1, 13))
    for a, b in zip(here.results, there.results, strict=True):
        assert a.calls == b.calls
        for fa, fb in zip(a.facts, b.facts, strict=True):
            assert (fa.calls == fb.calls).all() and (fa.groups == fb.groups).all()
    assert repr(here.totals()) == repr(there.totals())  # repr: exact floats, and NaN equals NaN


def test_sweep_on_an_existing_cluster_equals_in_process(small: Path) -> None:
    args = ["sweep", "small.yaml", "--set", "agent_groups.team.agents=10,12", "--quiet"]
    assert main([*args, "--workers", "1", "--out", "here"]) == 0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        assert main([*args, "--scheduler", cluster.scheduler_address, "--out", "there"]) == 0
    assert Path("here/sweep.csv").read_bytes() == Path("there/sweep.csv").read_bytes()
    assert "Dask cluster at tcp://" in Path("there/run.json").read_text()


def test_an_unreachable_scheduler_exits_2(small: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sim.analysis.cluster, "CONNECT_TIMEOUT_S", 1)
    assert main(["sweep", "small.yaml", "--set", "agent_groups.team.agents=10,12", "--quiet",
                 "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "--scheduler tcp://127.0.0.1:9: cannot reach a Dask scheduler there" in err and "Traceback" not in err
    assert not Path("results").exists()
