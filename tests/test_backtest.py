"""``ccsim backtest``: the scenario calibrated from a synthetic history replays that history without bias.

The history is one simulation of the known scenario of test_calibrate (84 days); calibrate fits it, and the
backtest replays the history's own calls on its own agents with the fitted handle time and patience. If the fit is
right, the history is one more draw of what the replications draw, so the 95 % CI of the service-level bias
(a prediction interval, sim.calibration.backtest.error_stats) covers 0. A scenario with patience far too short
(30 s for 150 s) must fail that check: the test can fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_calibrate import history_csv, history_rows

from sim.calibration.backtest import all_error_stats, run_backtest
from sim.calibration.history import load_history
from sim.cli.app import main
from sim.scenario.loader import load_scenario

REPLICATIONS = 8


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("backtest")
    history = folder / "history.csv"
    columns = ("date", "interval_start", "offered", "answered", "abandoned", "aht_s", "asa_s", "service_level",
               "agents")
    history.write_text(history_csv(history_rows(), columns), encoding="utf-8")
    scenario = folder / "fitted.yaml"
    assert main(["calibrate", str(history), "--out", str(scenario)]) == 0
    return history, scenario


def test_calibrated_scenario_shows_no_bias(files: tuple[Path, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    history, scenario = files
    out = tmp_path / "bt"
    assert main(["backtest", str(scenario), "--history", str(history), "--out", str(out),
                 "--replications", str(REPLICATIONS)]) == 0
    printed = capsys.readouterr().out
    assert "service_level" in printed and "largest service-level error" in printed
    errors = {(e["kpi"], e["level"]): e for e in json.loads((out / "backtest.json").read_text())["errors"]}
    for kpi in ("service_level", "abandon_rate"):
        for level in ("interval", "day"):
            e = errors[(kpi, level)]
            assert abs(e["bias"]) <= e["bias_ci"], (kpi, level, e)
    assert errors[("service_level", "day")]["units"] == 84
    for name in ("intervals.csv", "days.csv", "errors.csv", "backtest_sl.png", "backtest_sl.svg", "run.json"):
        assert (out / name).is_file()
    assert main(["backtest", str(scenario), "--history", str(history), "--out", str(out),
                 "--replications", "1"]) == 0  # its own folder may be replaced


def test_too_short_patience_is_detected(files: tuple[Path, Path], tmp_path: Path) -> None:
    history, scenario = files
    wrong = tmp_path / "wrong.yaml"
    text = scenario.read_text(encoding="utf-8")
    start = text.index("patience: {dist: exponential, mean: ")
    end = text.index("}", start)
    wrong.write_text(text[:start] + "patience: {dist: exponential, mean: 30s" + text[end:], encoding="utf-8")
    bt = run_backtest(load_scenario(wrong), load_history(str(history)), 2, 1)
    sl = next(s for s in all_error_stats(bt) if s.kpi == "abandon_rate" and s.level == "day")
    assert sl.bias - sl.bias_ci > 0  # far more abandons simulated than happened
    assert np.isfinite(bt.simulated["asa"]).any()


def test_history_without_agents_is_refused(files: tuple[Path, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    _, scenario = files
    history = tmp_path / "h.csv"
    history.write_text("date,interval_start,offered,answered,abandoned,aht_s\n2026-01-05,08:00,10,9,1,200\n",
                       encoding="utf-8")
    assert main(["backtest", str(scenario), "--history", str(history), "--out", str(tmp_path / "o")]) == 2
    assert "no 'agents' column" in capsys.readouterr().err


def test_unknown_call_type_is_refused(files: tuple[Path, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    _, scenario = files
    history = tmp_path / "h.csv"
    history.write_text("date,interval_start,call_type,offered,answered,abandoned,aht_s,agents\n"
                       "2026-01-05,08:00,sales,10,9,1,200,3\n", encoding="utf-8")
    assert main(["backtest", str(scenario), "--history", str(history), "--out", str(tmp_path / "o")]) == 2
    assert "call type(s) sales are not in the scenario" in capsys.readouterr().err
