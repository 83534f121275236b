"""`ccsim run` end to end: files written (atomically), stdout modes, interruption, analytic comparison."""

import csv
import json
from pathlib import Path

import pytest

import sim.analysis.experiment
import sim.reports.report
from sim.cli.app import main

TINY = """
name: tiny
run: {days: 1, replications: 3, seed: 5}
opening_hours: {mon-sun: "07:00-22:00"}
call_types:
  a:
    arrivals: {daily_volume: 2000, profile: {start: "06:00", resolution: 4h, percent: [20, 30, 30, 20]}}
    handle_time: {dist: exponential, mean: 180s}
    patience: {dist: exponential, mean: 120s}
agent_groups:
  team: {skills: [a], shifts: [{start: "06:00", end: "22:00", agents: 7}], cost_per_hour: 40}
"""

STATIONARY = """
name: mmc
run: {days: 2, replications: 4, seed: 3, warmup: 1h}
call_types:
  a:
    arrivals: {rate_per_hour: 300}
    handle_time: {dist: exponential, mean: 180s}
    patience: none
agent_groups:
  team: {skills: [a], agents: 18}
"""


@pytest.fixture()
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def test_run_writes_every_file(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tiny)]) == 0
    out = Path("results/tiny")
    assert sorted(p.name for p in out.iterdir()) == [
        "cost_risk.csv", "days.csv", "intervals.csv", "risk.csv", "run.json", "summary.csv", "summary.json"]
    info = json.loads((out / "run.json").read_text())
    assert info["seed"] == 5 and info["replications"] == 3 and len(info["scenario_sha256"]) == 64
    assert {"python", "numpy", "simpy"} <= set(info["versions"])
    rows = list(csv.DictReader((out / "summary.csv").open()))
    total = next(r for r in rows if r["level"] == "total")
    counts = ("deflected", "blocked", "closed", "answered", "abandoned", "in_system")
    assert float(total["offered"]) == pytest.approx(sum(float(total[c]) for c in counts))
    assert float(total["closed"]) > 0  # calls from 06:00 to 07:00 find the center closed
    intervals = list(csv.DictReader((out / "intervals.csv").open()))
    assert len(intervals) == 48 * 2 and {"agents_team", "occupancy_team", "wait_p90"} <= set(intervals[0])
    assert "Results: results/tiny/" in capsys.readouterr().out
    assert not [p for p in Path("results").iterdir() if p.name.startswith(".")]


def test_same_seed_same_files_other_seed_differs(tiny: Path) -> None:
    main(["run", str(tiny), "--out", "a", "--quiet"])
    main(["run", str(tiny), "--out", "b", "--quiet", "--workers", "1"])
    main(["run", str(tiny), "--out", "c", "--quiet", "--seed", "6"])
    a, b, c = (Path(d, "summary.csv").read_text() for d in "abc")
    assert a == b and a != c


def test_json_and_quiet_modes(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tiny), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"][0]["level"] == "total" and "service_level" in data["rows"][0]["kpis"]
    assert main(["run", str(tiny), "--quiet"]) == 0
    assert capsys.readouterr().out == ""


def test_failed_write_leaves_old_results_and_no_temporary_folder(tiny: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tiny), "--quiet"]) == 0
    before = Path("results/tiny/summary.csv").read_text()

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.reports.report, "write_csv", broken)
    assert main(["run", str(tiny), "--seed", "9"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert Path("results/tiny/summary.csv").read_text() == before
    assert sorted(p.name for p in Path("results").iterdir()) == ["tiny"]


def test_interrupt_during_simulation(tiny: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.analysis.experiment, "run", interrupted)
    assert main(["run", str(tiny)]) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not Path("results").exists()


def test_compare_analytic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mmc.yaml").write_text(STATIONARY, encoding="utf-8")
    assert main(["run", "mmc.yaml", "--compare-analytic"]) == 0
    out = capsys.readouterr().out
    assert "Analytic check against Erlang C (M/M/18)" in out and "p_wait" in out
    data = json.loads(Path("results/mmc/summary.json").read_text())
    assert data["analytic"]["model"] == "Erlang C (M/M/18)"


def test_days_override_shorter_than_warmup_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mmc.yaml").write_text(STATIONARY.replace("warmup: 1h", "warmup: 30h"), encoding="utf-8")
    assert main(["run", "mmc.yaml", "--days", "1"]) == 2
    assert "warm-up" in capsys.readouterr().err
    assert not Path("results").exists()
