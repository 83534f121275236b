"""Per-weekday risk rows (sim.analysis.risk): daily service level per weekday agrees with a direct computation from
the per-day facts, and the rows reach summary.json, risk.csv and the terminal."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.experiment import RunResult, run
from sim.analysis.facts import CALL_FIELDS
from sim.analysis.risk import COST_QUANTILES, QUANTILES, WEEKDAY_UNITS, Spread, cost_risk, risk_rows
from sim.analysis.stats import Estimate
from sim.cli.app import main
from sim.scenario.loader import parse_scenario
from sim.units import DAY

F = {name: i for i, name in enumerate(CALL_FIELDS)}

TEN_DAYS = """
name: weekly
run: {days: 10, replications: 4, seed: 3, start_day: wed}
opening_hours: {mon-sat: "08:00-18:00"}
call_types:
  a:
    arrivals: {daily_volume: 1200, profile: {start: "08:00", resolution: 5h, percent: [60, 40]}, busyness_cv: 0.2}
    handle_time: {dist: exponential, mean: 180s}
    patience: {dist: exponential, mean: 150s}
agent_groups:
  team: {skills: [a], shifts: [{start: "08:00", end: "18:00", agents: 8}]}
"""


@pytest.fixture(scope="module")
def result() -> RunResult:
    return run(parse_scenario(TEN_DAYS, "weekly.yaml"), workers=1)


def _daily_sl(result: RunResult) -> tuple[np.ndarray, list[str]]:
    """[replication, day] service level (default definition; NaN: undefined) and each day's weekday, by loops."""
    per_day = int(DAY // result.scenario.run.interval)
    days = result.scenario.run.days
    values = np.full((len(result.facts), days), np.nan)
    for r, facts in enumerate(result.facts):
        for d in range(days):
            s = {name: float(facts.calls[F[name], d * per_day:(d + 1) * per_day].sum()) for name in F}
            den = s["answered"] + s["abandoned"] - s["abandoned_within"]
            values[r, d] = s["answered_within"] / den if den > 0 else math.nan
    names = [WEEKDAY_UNITS[(WEEKDAY_UNITS.index("wed") + d) % 7] for d in range(days)]
    return values, names


def _row(spreads: tuple[Spread, ...], unit: str) -> Spread:
    return next(s for s in spreads if (s.level, s.name, s.kpi, s.unit) == ("call_type", "a", "service_level", unit))


def test_weekday_rows_agree_with_a_direct_computation(result: RunResult) -> None:
    spreads = risk_rows(result)
    p0 = Estimate(0.0, 0.0)
    values, names = _daily_sl(result)
    assert {s.unit for s in spreads if s.unit in WEEKDAY_UNITS} == set(WEEKDAY_UNITS)  # 10 days from Wed
    for weekday in WEEKDAY_UNITS:
        cols = [d for d, w in enumerate(names) if w == weekday]
        pooled = values[:, cols][~np.isnan(values[:, cols])]
        got = _row(spreads, weekday)
        if weekday == "sun":  # closed: no defined day
            assert got.units == 0 and got.excluded == len(cols) * len(result.facts)
            continue
        assert got.units == len(pooled) == len(cols) * len(result.facts)
        assert got.mean == pytest.approx(float(pooled.mean()), rel=1e-12)
        assert got.percentiles == pytest.approx(list(np.percentile(pooled, QUANTILES)), rel=1e-12)
        assert got.p_meet is not None and got.p_meet.mean == pytest.approx(float(np.mean(pooled >= 0.8)), rel=1e-12)
        assert all(names[w.day - 1] == weekday for w in got.worst)
    assert any(0.0 < (_row(spreads, w).p_meet or p0).mean < 1.0 for w in WEEKDAY_UNITS)  # a real test


def test_weekday_rows_reach_summary_csv_and_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "weekly.yaml"
    scenario.write_text(TEN_DAYS.replace("replications: 4", "replications: 2"), encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "days below 80 %: mon " in out
    risk = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["risk"]
    mon = next(r for r in risk if (r["level"], r["name"], r["unit"]) == ("call_type", "a", "mon"))
    assert mon["units"] == 2  # one Monday (day 6) x 2 replications and mon["mean"] is not None
    with (tmp_path / "out" / "risk.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["unit"] == "mon"]
    assert {r["level"] for r in rows} == {"total", "client", "call_type"}


PRICED = """
name: priced
run: {days: 7, replications: 6, seed: 11}
sites:
  hq: {kind: in_house}
  bpo:
    kind: partner
    contract: {per_minute: 1.0, sla: {threshold: 20s, target: 0.9, credit: 0.05}}
clients:
  big:
    call_types:
      a:
        arrivals: {rate_per_hour: 20}
        handle_time: {dist: exponential, mean: 240s}
        patience: {dist: exponential, mean: 60s}
  small:
    call_types:
      b:
        arrivals: {rate_per_hour: 4}
        handle_time: {dist: exponential, mean: 240s}
        patience: none
agent_groups:
  desk: {skills: [a, b], agents: 1, cost_per_hour: 30}
  partner: {site: bpo, skills: [a, b], agents: 1}
"""


@pytest.fixture(scope="module")
def priced() -> RunResult:
    return run(parse_scenario(PRICED, "priced.yaml"), workers=1)


def test_cost_risk_percentiles_are_those_of_the_per_replication_costs(priced: RunResult) -> None:
    rows = {(s.level, s.name): s for s in cost_risk(priced)}
    assert set(rows) == {("total", "all"), ("client", "big"), ("client", "small"), ("invoice", "bpo")}
    per_rep = {("total", "all"): [f.costs.by_client.sum() for f in priced.facts],
               ("client", "big"): [f.costs.by_client[:, 0].sum() for f in priced.facts],
               ("client", "small"): [f.costs.by_client[:, 1].sum() for f in priced.facts],
               ("invoice", "bpo"): [sum(f.costs.invoices["bpo"].values()) for f in priced.facts]}
    for key, values in per_rep.items():
        got = rows[key]
        assert got.replications == 6
        assert got.mean == pytest.approx(float(np.mean(values)), rel=1e-12)
        assert got.percentiles == pytest.approx(list(np.percentile(values, COST_QUANTILES)), rel=1e-12)
        assert got.percentiles[0] < got.percentiles[-1]  # costs vary over replications: a real test


def test_cost_risk_reaches_summary_csv_and_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "priced.yaml"
    scenario.write_text(PRICED, encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--replications", "3"]) == 0
    out = capsys.readouterr().out
    block = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["cost_risk"]
    total = next(r for r in block["rows"] if r["level"] == "total")
    assert block["period"] == "week" and total["replications"] == 3
    assert f"P90 per week {total['percentiles']['p90']:,.0f} EUR (of 3 replications)" in out
    with (tmp_path / "out" / "cost_risk.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["level"], r["name"]) for r in rows] == [(r["level"], r["name"]) for r in block["rows"]]
    assert float(rows[0]["p90"]) == pytest.approx(total["percentiles"]["p90"], abs=1e-6)
