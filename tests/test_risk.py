"""Risk outputs (sim.analysis.risk): percentiles, P(SL >= target) and the worst units agree with a direct computation
from the per-day and per-interval facts; P(meet) is ~0 or ~1 where theory says so; its CI is taken over replications;
the figures reach summary.json, risk.csv, the terminal, the HTML report and the workbook."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from scipy import stats as sps

from sim.analysis.experiment import RunResult, run
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS
from sim.analysis.risk import QUANTILES, WORST, Spread, risk_rows
from sim.cli.app import main
from sim.scenario.loader import parse_scenario
from sim.units import DAY

F = {name: i for i, name in enumerate(CALL_FIELDS)}
G = {name: i for i, name in enumerate(GROUP_FIELDS)}

TWO_TYPES = """
name: risky
run: {days: 3, replications: 5, seed: 11, warmup: 2h}
opening_hours: {mon-sun: "07:00-22:00"}
sites: {north: {kind: in_house}, south: {kind: in_house}}
call_types:
  a:
    arrivals: {daily_volume: 1500, profile: {start: "06:00", resolution: 4h, percent: [20, 30, 30, 20]},
               busyness_cv: 0.2}
    handle_time: {dist: exponential, mean: 180s}
    patience: {dist: exponential, mean: 120s}
  b:
    arrivals: {daily_volume: 500, profile: {start: "06:00", resolution: 8h, percent: [50, 50]}}
    handle_time: {dist: exponential, mean: 240s}
    patience: {dist: exponential, mean: 200s}
    service_level: {threshold: 40s, target: 0.9}
agent_groups:
  team_a: {site: north, skills: [a], shifts: [{start: "06:00", end: "22:00", agents: 6}]}
  team_b: {site: south, skills: [b], shifts: [{start: "06:00", end: "22:00", agents: 4}]}
"""

ONE_TYPE = """
name: staffed
run: {days: 2, replications: 6, seed: 4, interval: 1h}
call_types:
  a:
    arrivals: {daily_volume: 2400, profile: {start: "08:00", resolution: 8h, percent: [100]}}
    handle_time: {dist: exponential, mean: 180s}
    patience: {dist: exponential, mean: 300s}
agent_groups:
  team: {skills: [a], shifts: [{start: "08:00", end: "16:00", agents: AGENTS}]}
"""


@pytest.fixture(scope="module")
def result() -> RunResult:
    scenario = parse_scenario(TWO_TYPES, "risky.yaml")
    assert scenario.service_level.definition.value == "answered_of_offered_minus_abandoned_within"  # as in _sl
    return run(scenario, workers=1)


def _row(spreads: tuple[Spread, ...], level: str, name: str, kpi: str, unit: str) -> Spread:
    return next(s for s in spreads if (s.level, s.name, s.kpi, s.unit) == (level, name, kpi, unit))


def _sl(s: dict[str, float]) -> float:
    """The default definition (answered_of_offered_minus_abandoned_within), written out."""
    den = s["answered"] + s["abandoned"] - s["abandoned_within"]
    return s["answered_within"] / den if den > 0 else math.nan


def _value(s: dict[str, float], kpi: str) -> float:
    if kpi == "service_level":
        return _sl(s)
    if kpi == "asa":
        return s["wait_answered_sum"] / s["answered"] if s["answered"] > 0 else math.nan
    resolved = s["answered"] + s["abandoned"]
    return s["abandoned"] / resolved if resolved > 0 else math.nan


def _spans(result: RunResult, unit: str) -> list[tuple[int, int, int]]:
    """(day index, first interval, end interval) of every unit after the warm-up, by plain loops."""
    run_ = result.scenario.run
    per_day, first, n = int(DAY // run_.interval), result.facts[0].first_interval, result.layout.n_intervals
    if unit == "interval":
        return [(i // per_day, i, i + 1) for i in range(first, n)]
    return [(d, max(d * per_day, first), (d + 1) * per_day) for d in range(run_.days)
            if max(d * per_day, first) < (d + 1) * per_day]


def _direct(result: RunResult, types: list[int], kpi: str, unit: str) -> tuple[np.ndarray, int]:
    """[replication, unit] KPI values of the call types ``types`` summed (NaN: undefined or no unit) and the
    count of units left out as undefined, straight from the facts arrays."""
    spans = _spans(result, unit)
    values = np.full((len(result.facts), len(spans)), np.nan)
    excluded = 0
    for r, facts in enumerate(result.facts):
        for u, (_, lo, hi) in enumerate(spans):
            s = {name: float(facts.calls[F[name], lo:hi, types].sum()) for name in F}
            if unit == "interval" and s["offered"] == 0:
                continue
            values[r, u] = _value(s, kpi)
            excluded += math.isnan(values[r, u])
    return values, excluded


@pytest.mark.parametrize("unit", ["day", "interval"])
@pytest.mark.parametrize(("level", "name", "types", "target"), [
    ("call_type", "a", [0], 0.8), ("call_type", "b", [1], 0.9), ("total", "all", [0, 1], 0.8),
    ("client", "risky", [0, 1], 0.8)])
def test_percentiles_and_p_meet_agree_with_a_direct_computation(result: RunResult, unit: str, level: str, name: str,
                                                                types: list[int], target: float) -> None:
    spreads = risk_rows(result)
    for kpi in ("service_level", "asa", "abandon_rate"):
        values, excluded = _direct(result, types, kpi, unit)
        pooled = values[~np.isnan(values)]
        got = _row(spreads, level, name, kpi, unit)
        assert got.units == len(pooled) and got.excluded == excluded
        assert got.percentiles == pytest.approx(list(np.percentile(pooled, QUANTILES)), rel=1e-12)
        if kpi == "service_level":
            assert got.target == target and got.p_meet is not None
            assert got.p_meet.mean == pytest.approx(float(np.mean(pooled >= target)), rel=1e-12)
            assert 0.0 < got.p_meet.mean < 1.0  # the scenario is tight enough for a real test
        else:
            assert got.p_meet is None and got.target is None


def test_closed_hours_units_are_excluded_and_counted(result: RunResult) -> None:
    sl = _row(risk_rows(result), "call_type", "a", "service_level", "interval")
    assert sl.excluded > 0  # 06:00-07:00 intervals: calls arrive, all find the center closed


def test_the_worst_units_are_the_lowest_service_levels(result: RunResult) -> None:
    spreads = risk_rows(result)
    for unit in ("day", "interval"):
        values, _ = _direct(result, [0], "service_level", unit)
        spans = _spans(result, unit)
        cells = sorted((v, r, u) for (r, u), v in np.ndenumerate(values) if not math.isnan(v))[:WORST]
        worst = _row(spreads, "call_type", "a", "service_level", unit).worst
        assert [w.value for w in worst] == pytest.approx([v for v, _, _ in cells], rel=1e-12)
        assert [(w.replication, w.day) for w in worst] == [(r + 1, spans[u][0] + 1) for _, r, u in cells]
    asa = _row(spreads, "total", "all", "asa", "day").worst
    assert [w.value for w in asa] == sorted((w.value for w in asa), reverse=True)  # highest ASA is worst


def test_occupancy_per_group_and_site(result: RunResult) -> None:
    spreads = risk_rows(result)
    for level, name, g in (("group", "team_a", 0), ("site", "north", 0), ("group", "team_b", 1),
                           ("site", "south", 1)):
        for unit in ("day", "interval"):
            direct = [f.groups[G["busy_time"], lo:hi, g].sum() / f.groups[G["staffed_time"], lo:hi, g].sum()
                      for f in result.facts for _, lo, hi in _spans(result, unit)
                      if f.groups[G["staffed_time"], lo:hi, g].sum() > 0]
            got = _row(spreads, level, name, "occupancy", unit)
            assert got.units == len(direct) and got.p_meet is None
            assert got.percentiles == pytest.approx(list(np.percentile(direct, QUANTILES)), rel=1e-12)
    assert not any(s.level == "site" and s.kpi != "occupancy" for s in spreads)


@pytest.mark.parametrize("unit", ["day", "interval"])
def test_the_ci_of_p_meet_is_taken_over_replications(result: RunResult, unit: str) -> None:
    values, _ = _direct(result, [0], "service_level", unit)
    defined = ~np.isnan(values)
    met = (np.nan_to_num(values, nan=-1.0) >= 0.8).sum(axis=1)
    n = defined.sum(axis=1)
    reps = len(result.facts)
    got = _row(risk_rows(result), "call_type", "a", "service_level", unit).p_meet
    assert got is not None
    direct = met.sum() / n.sum()
    assert abs(got.mean - direct) <= got.half_width  # the interval covers the direct estimate
    t = sps.t.ppf(0.975, reps - 1)
    if unit == "day":  # equal units per replication: exactly the t-interval of per-replication shares
        assert (n == n[0]).all()
        shares = met / n
        assert got.half_width == pytest.approx(t * np.std(shares, ddof=1) / math.sqrt(reps), rel=1e-9)
    else:  # units differ between replications: the ratio of sums with the delta method
        residual = met - direct * n
        assert got.half_width == pytest.approx(t * np.std(residual, ddof=1) / (math.sqrt(reps) * n.mean()),
                                               rel=1e-9)


def test_a_hand_built_run(result: RunResult) -> None:
    """Two replications whose day service levels are set by hand: 0.9, 0.7, 0.85 and 0.95, 0.75, 0.5."""
    days = {0: (0.9, 0.7, 0.85), 1: (0.95, 0.75, 0.5)}
    per_day = int(DAY // result.scenario.run.interval)
    facts = []
    for r, levels in days.items():
        calls = np.zeros_like(result.facts[r].calls)
        for d, level in enumerate(levels):
            i = d * per_day + 12  # 06:00, after the warm-up
            calls[F["offered"], i, 0] = calls[F["answered"], i, 0] = 100.0
            calls[F["answered_within"], i, 0] = 100.0 * level
        facts.append(dataclasses.replace(result.facts[r], calls=calls))
    spreads = risk_rows(dataclasses.replace(result, facts=tuple(facts)))
    sl = _row(spreads, "call_type", "a", "service_level", "day")
    pooled = [v for levels in days.values() for v in levels]
    assert sl.percentiles == pytest.approx(list(np.percentile(pooled, QUANTILES)))
    assert sl.p_meet is not None and sl.p_meet.mean == pytest.approx(3 / 6)  # 0.9, 0.85, 0.95 meet 80 %
    shares = [2 / 3, 1 / 3]
    assert sl.p_meet.half_width == pytest.approx(sps.t.ppf(0.975, 1) * np.std(shares, ddof=1) / math.sqrt(2))
    assert [(w.replication, w.day, w.weekday, w.interval_start) for w in sl.worst[:2]] == [
        (2, 3, "wed", None), (1, 2, "tue", None)]
    b = _row(spreads, "call_type", "b", "service_level", "day")
    assert b.units == 0 and b.excluded == 6 and math.isnan(b.p_meet.mean if b.p_meet else 0.0)
    assert all(math.isnan(p) for p in b.percentiles) and b.worst == ()
    assert _row(spreads, "call_type", "a", "service_level", "interval").units == 6


@pytest.mark.parametrize(("agents", "expected"), [(3, 0.0), (40, 1.0)])
def test_p_meet_is_about_0_or_1_where_theory_says_so(agents: int, expected: float) -> None:
    """300 calls an hour of 180 s: 15 Erlangs. 3 agents answer about 60 calls an hour, so most callers wait until
    they hang up and no day or hour comes near 80 % within 20 s; with 40 agents P(wait) is 7e-8 (Erlang C)."""
    scenario = parse_scenario(ONE_TYPE.replace("AGENTS", str(agents)), "staffed.yaml")
    spreads = risk_rows(run(scenario, workers=1))
    for unit in ("day", "interval"):
        p = _row(spreads, "call_type", "a", "service_level", unit).p_meet
        assert p is not None and p.mean == pytest.approx(expected, abs=0.02)


@pytest.fixture()
def cli_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    monkeypatch.chdir(tmp_path)
    Path("risky.yaml").write_text(TWO_TYPES, encoding="utf-8")
    assert main(["run", "risky.yaml", "--workers", "1", "--report", "--xlsx"]) == 0
    return Path("results/risky"), capsys.readouterr().out


def test_outputs_carry_the_risk_figures(cli_run: tuple[Path, str]) -> None:
    out, terminal = cli_run
    risk = json.loads((out / "summary.json").read_text())["risk"]
    first = next(r for r in risk if (r["level"], r["name"], r["kpi"], r["unit"]) == ("call_type", "b",
                                                                                        "service_level", "day"))
    assert set(first["percentiles"]) == {"p5", "p25", "p50", "p75", "p95"} and first["target"] == 0.9
    assert set(first["p_meet"]) == {"mean", "ci"} and len(first["worst"]) == WORST
    assert set(first["worst"][0]) == {"replication", "day", "weekday", "interval_start", "value"}
    with (out / "risk.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(risk)
    row = next(r for r in rows if (r["level"], r["name"], r["kpi"], r["unit"]) == ("call_type", "b",
                                                                                  "service_level", "day"))
    assert float(row["p_meet"]) == pytest.approx(first["p_meet"]["mean"], abs=1e-6)
    assert row["worst_at"].endswith(f"rep {first['worst'][0]['replication']}")
    assert "risk.csv" in json.loads((out / "run.json").read_text())["written_files"]
    lines = [line for line in terminal.splitlines() if "P(day SL" in line]
    assert [line.split(":")[0].strip() for line in lines] == ["a", "b", "all"]
    assert "P(day SL ≥ 90 %) = " in lines[1] and "P(interval SL ≥ 90 %) = " in lines[1]
    assert "worst day: " in lines[0] and " ± " in lines[0]
    assert "Risk: days and intervals" in (out / "report.html").read_text(encoding="utf-8")
    assert "Risk" in load_workbook(out / "results.xlsx", read_only=True).sheetnames
