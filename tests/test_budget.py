"""Runs that cannot finish or would exhaust memory are refused before they start, with the estimate (exit 2);
command-line overrides obey the limits of the scenario file."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from helpers import scenario as scenario_text

from sim.analysis import budget
from sim.analysis.budget import RunTooLarge, check_size, estimate
from sim.analysis.experiment import run
from sim.cli import app as cli
from sim.cli.app import main

BASE = """
name: big
run: {days: 2, replications: 3, seed: 1}
call_types:
  a:
    arrivals: {rate_per_hour: 100}
    handle_time: {dist: exponential, mean: 180s}
    patience: {dist: exponential, mean: 120s}
agent_groups:
  team: {skills: [a], agents: 4}
"""


def test_estimate_counts_expected_fresh_calls() -> None:
    size = estimate(scenario_text(BASE))
    assert size.fresh == pytest.approx(100 * 48) and size.factor == 1.0 and size.total == pytest.approx(3 * 4800)


def test_estimate_follows_profiles_day_factors_and_volume() -> None:
    text = BASE.replace("{rate_per_hour: 100}", """
      daily_volume: 1000
      profile: {start: "08:00", resolution: 6h, percent: [50, 50]}
      day_of_week: {mon: 1.5, tue: 0.5, wed: 1, thu: 1, fri: 1, sat: 1, sun: 1}""").replace(
        "seed: 1}", "seed: 1, volume_factor: 2}")
    assert estimate(scenario_text(text)).fresh == pytest.approx((1.5 + 0.5) * 1000 * 2)


def test_redials_bound_the_estimate() -> None:
    text = BASE.replace("    patience:", "    redial: {share: 0.5, delay: {dist: exponential, mean: 10min}}\n"
                                         "    patience:")
    assert estimate(scenario_text(text)).factor == pytest.approx(2.0)
    forever = text.replace("share: 0.5", "share: 1.0").replace("mean: 10min", "mean: 1ms")
    size = estimate(scenario_text(forever))
    assert size.factor == pytest.approx(1 + 2 * 86400 / 0.001) and "redial share 1" in size.reason


def test_a_run_too_large_is_refused_with_its_estimate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("big.yaml").write_text(BASE.replace("rate_per_hour: 100", "rate_per_hour: 100000"), encoding="utf-8")
    assert main(["run", "big.yaml", "--replications", "10000", "--days", "3660"]) == 2
    err = capsys.readouterr().err
    assert "this run would simulate up to 87,840,000,000,000 calls" in err and "--max-calls" in err
    assert err.count("\n") == 1 and not Path("results").exists()


def test_redial_forever_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("loop.yaml").write_text(BASE.replace("agents: 4", "agents: 1").replace(
        "    patience:", "    redial: {share: 1.0, delay: {dist: exponential, mean: 1ms}}\n    patience:"),
        encoding="utf-8")
    assert main(["run", "loop.yaml"]) == 2
    assert "lets a caller call up to" in capsys.readouterr().err


def test_max_calls_raises_or_lowers_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("big.yaml").write_text(BASE, encoding="utf-8")
    assert main(["run", "big.yaml", "--max-calls", "1000", "--quiet"]) == 2
    assert "the limit is 1,000 calls" in capsys.readouterr().err
    assert main(["run", "big.yaml", "--max-calls", "20000", "--quiet", "--workers", "1"]) == 0


def test_memory_of_one_replication_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "_memory_bytes", lambda: 1e5)  # a machine of 100 kB
    with pytest.raises(RunTooLarge, match="GiB of memory"):
        check_size(scenario_text(BASE), workers=2)
    with pytest.raises(RunTooLarge):
        run(scenario_text(BASE), workers=1)


def test_cli_default_equals_the_library_default() -> None:
    assert cli.DEFAULT_MAX_CALLS == budget.DEFAULT_MAX_CALLS


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--days", "3661", "--days: must be at most 3660"),
    ("--replications", "10001", "--replications: must be at most 10000"),
])
def test_overrides_obey_the_files_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str], flag: str, value: str,
                                         message: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("big.yaml").write_text(BASE, encoding="utf-8")
    Path("big2.yaml").write_text(BASE.replace("name: big", "name: big2"), encoding="utf-8")
    for command in (["run", "big.yaml"], ["compare", "big.yaml", "big2.yaml"], ["regress", "big.yaml"]):
        assert main([*command, flag, value]) == 2
        assert message in capsys.readouterr().err
    assert not Path("results").exists()


def test_unlimited_share_is_infinite_chain() -> None:
    assert budget._chain(1.0, 0.0, 86400) == math.inf
