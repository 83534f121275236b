"""Backtest: replay a history's own calls on its own logged-in agents through a scenario's handle times,
patience and routing, and compare simulated with actual service level, ASA and abandonment.

Arrivals: every interval gets exactly the history's offered calls, placed uniformly at random within it (a new
placement per replication), so only what the scenario models (handle times, patience, routing) is on trial, not
the volume forecast. Agents: the history's ``agents`` per interval, rounded, summed over the call types each agent
group serves (each call type of the history must be served by exactly one group). Redials, deflection and
opening hours of the scenario are left out: the history's offered calls already are the calls that reached the
queue. The engine's staffing tables repeat by weekday, so the history is simulated a week at a time (the queue
starts empty at the start of each week). Comparisons are over all call types together.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.analysis.experiment import replicate
from sim.analysis.facts import CALL_FIELDS
from sim.analysis.stats import call_ratios, t_quantile
from sim.calibration.history import History
from sim.errors import CcsimError
from sim.scenario.schema import Arrivals, CallType, RunSettings, Scenario, StaffingTable
from sim.scenario.types import Weekday

KPIS = ("service_level", "asa", "abandon_rate")
WEEK = 7


@dataclass(frozen=True)
class Backtest:
    """Actual and simulated KPIs: ``actual[kpi]`` is [days, intervals], ``simulated[kpi]`` [replications,
    days, intervals]; ``*_days`` the same per day."""

    history: History
    scenario: Scenario
    replications: int
    seed: int
    offered: np.ndarray  # [days, intervals], all call types
    actual: dict[str, np.ndarray]
    simulated: dict[str, np.ndarray]
    actual_days: dict[str, np.ndarray]
    simulated_days: dict[str, np.ndarray]


@dataclass(frozen=True)
class ErrorStats:
    """Simulated minus actual over the units (intervals or days) where both are known."""

    kpi: str
    level: str  # "interval" or "day"
    units: int
    bias: float
    bias_ci: float  # 95 % half-width; the history counts as one more draw (see ``error_stats``)
    mape: float  # mean |simulated - actual| / actual over units with actual > 0
    mae: float


def group_call_types(scenario: Scenario, history: History) -> dict[str, list[str]]:
    """The history's call types each agent group serves; CcsimError unless each is served by exactly one."""
    known = scenario.all_call_types()
    unknown = [t for t in history.series if t not in known]
    if unknown:
        raise CcsimError(f"backtest: the history's call type(s) {', '.join(unknown)} are not in the scenario "
                         f"(it has {', '.join(known)}); the names must agree")
    served = {g: [t for t in history.series if t in group.skills] for g, group in scenario.agent_groups.items()}
    for t in history.series:
        groups = [g for g, types in served.items() if t in types]
        if len(groups) != 1:
            raise CcsimError(f"backtest: call type {t!r} is served by {len(groups)} agent groups "
                             f"({', '.join(groups) or 'none'}); the history's agents can only be assigned to "
                             "a scenario where each call type has exactly one group")
    return served


def run_backtest(scenario: Scenario, history: History, replications: int, seed: int) -> Backtest:
    """Simulate the history ``replications`` times under ``scenario``."""
    missing = [t for t, s in history.series.items() if np.isnan(s.agents).all()]
    if missing:
        raise CcsimError(f"backtest: {history.path} has no 'agents' column (agents logged in per interval) for "
                         f"{', '.join(missing)}; a backtest replays the history on its own staffing")
    served = group_call_types(scenario, history)
    offered = _total(s.offered for s in history.series.values())
    fields = np.zeros((replications, len(CALL_FIELDS), history.n_days, history.per_day))
    with tempfile.TemporaryDirectory(prefix="ccsim-backtest-") as folder:
        for week, first in enumerate(range(0, history.n_days, WEEK)):
            days = range(first, min(first + WEEK, history.n_days))
            for r in range(replications):
                trace = Path(folder) / f"w{week}-r{r}.csv"
                _write_trace(trace, history, days, np.random.default_rng([seed, r, week]))
                week_scenario = _week_scenario(scenario, history, served, days, trace, _week_seed(seed, week))
                calls = replicate(week_scenario, r)[0].calls
                index = [list(week_scenario.all_call_types()).index(t) for t in history.series]
                fields[r, :, first:days.stop] = calls[:, :, index].sum(axis=2).reshape(
                    len(CALL_FIELDS), len(days), history.per_day)
    sl = scenario.service_level
    sim = {k: _ratio(*call_ratios(fields, sl)[k]) for k in KPIS}
    sim_days = {k: _ratio(*call_ratios(fields.sum(axis=3), sl)[k]) for k in KPIS}
    actual, actual_days = _actual(history)
    return Backtest(history, scenario, replications, seed, offered, actual, sim, actual_days, sim_days)


def _week_seed(seed: int, week: int) -> int:
    """Each week its own engine seed, so weeks do not repeat one another's handle times and patience."""
    return int(np.random.SeedSequence([seed, week]).generate_state(1)[0])


def _write_trace(path: Path, history: History, days: range, rng: np.random.Generator) -> None:
    """The offered calls of ``days`` as a trace: each interval's count, placed uniformly within it."""
    lines = ["time,call_type"]
    step = history.interval
    for name, s in history.series.items():
        counts = np.rint(s.offered[days.start:days.stop]).astype(np.int64).ravel()
        starts = np.arange(len(counts)) * step
        times = np.repeat(starts, counts) + rng.random(int(counts.sum())) * step
        lines += [f"{t:.3f},{name}" for t in times]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _week_scenario(scenario: Scenario, history: History, served: dict[str, list[str]], days: range,
                   trace: Path, seed: int) -> Scenario:
    """The scenario for one week of the history: its calls as a trace, its agents as staffing tables."""
    arrivals = Arrivals(trace=str(trace))

    def replayed(ct: CallType) -> CallType:
        return ct.model_copy(update={"arrivals": arrivals, "redial": None, "deflection": 0.0})

    clients = {c: client.model_copy(update={"call_types": {t: replayed(ct) for t, ct in client.call_types.items()}})
               for c, client in scenario.client_map().items()}
    weekdays = history.weekdays()
    groups = {}
    for g, group in scenario.agent_groups.items():
        tables = []
        for d in days:
            agents = sum((np.rint(np.nan_to_num(history.series[t].agents[d])) for t in served[g]),
                         np.zeros(history.per_day))
            tables.append(StaffingTable.model_validate({
                "resolution": f"{history.interval:g}s", "start": "00:00", "agents": [int(a) for a in agents],
                "days": [list(Weekday)[weekdays[d]].value]}))
        groups[g] = group.model_copy(update={"agents": None, "shifts": None, "staffing": tables})
    run = RunSettings.model_validate({"days": len(days), "start_day": list(Weekday)[weekdays[days.start]].value,
                                      "replications": 1, "seed": seed, "interval": f"{history.interval:g}s",
                                      "drain": f"{scenario.run.drain:g}s"})
    shape = {"clients": clients, "call_types": None} if scenario.clients is not None else \
        {"call_types": clients[scenario.name].call_types}
    return scenario.model_copy(update={"run": run, "agent_groups": groups, "opening_hours": None, **shape})


def _total(arrays: Iterable[np.ndarray]) -> np.ndarray:
    """The sum of arrays of one shape (over call types)."""
    return np.asarray(np.sum(np.stack(list(arrays)), axis=0))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _actual(history: History) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The history's KPIs over all call types, per interval and per day (service level weighted by the calls
    answered or abandoned: the export gives only the share)."""
    series = list(history.series.values())
    resolved = _total(s.answered + s.abandoned for s in series)
    answered = _total(s.answered for s in series)
    within = _total(np.where(s.answered + s.abandoned > 0, s.service_level * (s.answered + s.abandoned), 0.0)
                    for s in series)
    waited = _total(np.where(s.answered > 0, s.wait_answered_sum, 0.0) for s in series)
    abandoned = _total(s.abandoned for s in series)
    per_interval = {"service_level": _ratio(within, resolved), "asa": _ratio(waited, answered),
                    "abandon_rate": _ratio(abandoned, resolved)}
    per_day = {"service_level": _ratio(within.sum(axis=1), resolved.sum(axis=1)),
               "asa": _ratio(waited.sum(axis=1), answered.sum(axis=1)),
               "abandon_rate": _ratio(abandoned.sum(axis=1), resolved.sum(axis=1))}
    return per_interval, per_day


def error_stats(actual: np.ndarray, simulated: np.ndarray, kpi: str, level: str) -> ErrorStats:
    """Bias, its 95 % CI, MAPE and MAE of ``simulated`` ([replications, *units]) against ``actual``.

    The bias of replication r is the mean over units of simulated_r - actual. If the scenario is right, the
    history is one more draw of what the replications draw, as noisy as one of them; so the CI of the mean bias
    over R replications has half-width t(R-1) x sd(bias_r) x sqrt(1 + 1/R) (a prediction interval), and covers
    0 in 95 % of backtests of a correct scenario.
    """
    known = np.isfinite(actual) & np.all(np.isfinite(simulated), axis=0)
    reps = simulated.shape[0]
    if not known.any():
        return ErrorStats(kpi, level, 0, math.nan, math.nan, math.nan, math.nan)
    bias_r = (simulated[:, known] - actual[known]).mean(axis=1)
    half = float(t_quantile(reps) * bias_r.std(ddof=1) * math.sqrt(1 + 1 / reps)) if reps > 1 else math.nan
    mean_sim = simulated[:, known].mean(axis=0)
    positive = actual[known] > 0
    mape = float(np.mean(np.abs(mean_sim[positive] - actual[known][positive]) / actual[known][positive])) \
        if positive.any() else math.nan
    return ErrorStats(kpi, level, int(known.sum()), float(bias_r.mean()), half, mape,
                      float(np.mean(np.abs(mean_sim - actual[known]))))


def all_error_stats(bt: Backtest) -> list[ErrorStats]:
    """Per KPI, over intervals with calls and over days."""
    out = []
    for kpi in KPIS:
        actual = np.where(bt.offered > 0, bt.actual[kpi], np.nan)
        out.append(error_stats(actual, bt.simulated[kpi], kpi, "interval"))
        out.append(error_stats(bt.actual_days[kpi], bt.simulated_days[kpi], kpi, "day"))
    return out
