"""Shared helpers of the statistical validation and invariant tests.

The tolerance rule (docs/validation.md): a simulated KPI is compared with its queueing-theory value
within about three standard errors of the simulation's own estimate. ``Estimate.half_width`` is the half-width
of a 95 % Student-t interval over replications, so the tolerance is ``half_width * 3 / 1.96`` (with 8 to 20
replications this is 3.6 to 3.2 standard errors; a correct simulator misses it with probability < 1 %). A
small absolute epsilon is added only where the theoretical value is about 0 (a zero-width interval).
No simulated number is pinned: a test fails only if theory and simulation disagree beyond their own noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.analysis.experiment import RunResult, replicate, run
from sim.analysis.facts import Facts
from sim.analysis.stats import Estimate
from sim.analysis.summary import KpiRow, Summary, kpi_rows
from sim.engine.callers import draw_callers
from sim.engine.layout import build_layout
from sim.engine.model import simulate
from sim.engine.records import ABANDONED, ANSWERED, BLOCKED, Records
from sim.engine.streams import Streams
from sim.scenario.loader import parse_scenario
from sim.scenario.schema import Scenario

SIGMAS = 3.0
Z_95 = 1.96
MIN_REPLICATIONS = 8
WORKERS = 2
"""Processes used by the validation runs (the CI machine has two cores; results do not depend on it)."""


SMALL_STAFFED = """
name: small
run: {days: 1, replications: 4, seed: 5, interval: 30min}
opening_hours: {mon-sun: "08:00-12:00"}
call_types:
  calls:
    arrivals:
      daily_volume: 400
      profile: {resolution: 1h, start: "08:00", percent: [20, 35, 30, 15]}
    handle_time: {dist: lognormal, mean: 200s, cv: 0.8}
    patience: {dist: exponential, mean: 100s}
agent_groups:
  team: {skills: [calls], shifts: [{start: "08:00", end: "12:00", agents: 10}], cost_per_hour: 30}
"""
"""A small morning line with one shift (the staffing and shift-schedule tests start from it)."""


def scenario(text: str, file: str = "test.yaml") -> Scenario:
    """A validated scenario from YAML text."""
    return parse_scenario(text, file)


def simulate_kpis(s: Scenario, workers: int = WORKERS) -> tuple[RunResult, dict[tuple[str, str], KpiRow]]:
    """Run every replication and return the result and the whole-run KPI rows keyed by (level, name)."""
    result = run(s, workers=workers)
    return result, {(row.level, row.name): row for row in kpi_rows(result)}


def replication_records(s: Scenario) -> list[Records]:
    """The whole records of each replication of ``s`` (1, 2, ...), simulated one after the other."""
    layout = build_layout(s)
    out = []
    for rep in range(1, s.run.replications + 1):
        streams = Streams(s.run.seed, rep)
        out.append(simulate(layout, draw_callers(layout, streams), streams))
    return out


def facts_and_records(s: Scenario, replication: int) -> tuple[Facts, Records]:
    """The facts of replication ``replication`` of ``s`` (numbered as ``run`` numbers them, from 0) and the whole
    records they were drawn from."""
    kept: list[Records] = []
    facts, _ = replicate(s, replication, lambda _, records, __: kept.append(records))
    return facts, kept[0]


def inbound_shares(r: Records, lo: float, hi: float) -> dict[str, float]:
    """Of the calls arriving in [lo, hi): the shares that waited (answered after their arrival or hung up), got a
    busy signal and hung up, and the mean wait of all of them (0 for those answered at once or blocked)."""
    c = r.callers
    inside = (c.arrival_at >= lo) & (c.arrival_at < hi)
    n = inside.sum()
    answered, abandoned = r.outcome == ANSWERED, r.outcome == ABANDONED
    left = np.where(answered, r.start_at, np.where(abandoned, r.end_at, c.arrival_at))
    return {"p_wait": float((inside & (abandoned | (answered & (r.start_at > c.arrival_at)))).sum() / n),
            "p_blocked": float((inside & (r.outcome == BLOCKED)).sum() / n),
            "p_abandon": float((inside & abandoned).sum() / n),
            "mean_wait": float((left - c.arrival_at)[inside].sum()) / n}


def tolerance(estimate: Estimate, eps: float = 0.0) -> float:
    """About three standard errors of ``estimate`` (plus ``eps``, only for theory values near 0)."""
    return float(estimate.half_width) * SIGMAS / Z_95 + eps


@dataclass
class Checks:
    """Simulated-vs-theory comparisons of one test; every line is printed, failures are raised together."""

    title: str
    replications: int
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        assert self.replications >= MIN_REPLICATIONS, "a t-interval needs enough replications"

    def close(self, kpi: str, estimate: Estimate, theory: float, eps: float = 0.0) -> None:
        """|sim - theory| <= tolerance(estimate, eps)."""
        sim, hw = float(estimate.mean), float(estimate.half_width)
        tol = tolerance(estimate, eps)
        ok = math.isfinite(sim) and math.isfinite(tol) and abs(sim - theory) <= tol
        line = (f"{self.title:<34} {kpi:<26} sim={sim:<12.6g} theory={theory:<12.6g} "
                f"|diff|={abs(sim - theory):<11.4g} tol={tol:<11.4g} (hw95={hw:.4g}) {'ok' if ok else 'FAIL'}")
        self.lines.append(line)
        if not ok:
            self.failures.append(line)

    def at_least(self, kpi: str, estimate: Estimate, bound: float) -> None:
        """sim >= bound - tolerance(estimate): a one-sided check against a theoretical lower bound."""
        sim, hw = float(estimate.mean), float(estimate.half_width)
        tol = tolerance(estimate)
        ok = math.isfinite(sim) and math.isfinite(tol) and sim >= bound - tol
        line = (f"{self.title:<34} {kpi:<26} sim={sim:<12.6g} bound={bound:<12.6g} "
                f"sim-bound={sim - bound:<9.4g} tol={tol:<11.4g} (hw95={hw:.4g}) {'ok' if ok else 'FAIL'}")
        self.lines.append(line)
        if not ok:
            self.failures.append(line)

    def verify(self) -> None:
        print("\n" + "\n".join(self.lines))
        assert not self.failures, "simulation disagrees with theory beyond 3 sigma:\n" + "\n".join(self.failures)


def canonical(summary: Summary) -> list[tuple[object, ...]]:
    """A summary as a flat list of (keys..., bytes of the value), for bit-for-bit comparisons."""
    out: list[tuple[object, ...]] = []
    for table, rows in (("rows", summary.rows), ("days", summary.days)):
        for row in rows:
            for kpi, est in row.kpis.items():
                out.append((table, row.level, row.name, kpi, _bits(est.mean), _bits(est.half_width)))
    for i, interval in enumerate(summary.intervals):
        for key, value in interval.items():
            out.append(("intervals", i, key, _bits(value) if not isinstance(value, str) else value))
    return out


def _bits(value: object) -> bytes:
    return np.asarray(value, dtype=np.float64).tobytes()
