"""Simulation-based staffing (``ccsim staff``): the fewest agents per interval and group that meet every call type's
targets, verified on fresh seeds.

Start: Erlang A per weekday and interval (Erlang C for callers without patience) on the expected load that reaches
the agents. Search: an iterative staffing algorithm in the spirit of Feldman, Mandelbaum, Massey & Whitt (2008):
simulate the week with common random numbers (the same seed every iteration), measure every call type in every
weekday-interval (pooled over replications and weeks), fit each interval's load so that Erlang A reproduces the
measured service level at its current agents, and move the agents to what that calibrated model needs; an interval
that missed at n agents never gets fewer than n + 1 again. Repeat until the staffing no longer changes (or a cycle,
or MAX_ITERATIONS): the cheapest staffing seen that met every target is the answer. With ``daily`` goals each
weekday's whole-day service level must meet the target: agents are added where the calibrated models gain the most
answered-in-time calls per agent, or taken away where they lose the least, until the day's predicted level just
meets it.

Multi-skill (a greedy over groups): each call type belongs to the staffed group that serves it first (best rank,
then the lower cost per hour, then fewer skills, then file order); a group's interval gets the largest requirement
of the call types it owns (and its occupancy cap). Calls served by other groups too (secondary skills) show in the
measured service level, which the calibration absorbs. Call types no staffed group serves have no target here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.analysis.analytic import erlang_a, erlang_a_abandoned_within, erlang_c
from sim.analysis.experiment import RunResult, run
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS
from sim.analysis.stats import Estimate, call_ratios, ratio_estimate, t_quantile
from sim.engine.arrivals import rate_steps, step_length, weekday_factors
from sim.errors import CcsimError
from sim.scenario.hours import closed_at
from sim.scenario.outsourcing import SiteKind
from sim.scenario.schema import AgentGroup, CallType, Scenario, SLDefinition, StaffingTable
from sim.scenario.traces import read_trace
from sim.scenario.types import Weekday
from sim.units import DAY, format_clock

WEEK = 7
TARGETS = ("per-interval", "daily")
MAX_ITERATIONS = 30
"""Simulations of the search at most (each one run of every replication)."""
STALE = 3
"""The search ends when this many simulations after the first plan that met every goal found none cheaper."""
ENDINGS = {"stable": "stable (the last simulation changed nothing)",
           "cycle": "ended in a cycle (a plan came back): the cheapest plan that met every goal is kept",
           "no gain": f"no cheaper plan meeting every goal in {STALE} simulations: the cheapest one is kept",
           "limit": f"NOT converged within {MAX_ITERATIONS} simulations: the cheapest plan meeting every goal, "
                    "else the last one, is kept"}
"""How a search ended (Outcome.status) and what that means."""
SAMPLES = 30
"""Instants per interval at which the expected arrival rate and the opening hours are read."""
SMOOTH = 2
"""The fitted load factors (fitted / expected load) are averaged over this many intervals on either side: the
factor (redials, busy days, handle-time shape) changes slowly over a day, one interval's noise does not."""
RATE_CLAMP = (0.5, 3.0)
"""A fitted interval load stays within these multiples of the expected one (damps noisy intervals)."""


@dataclass(frozen=True)
class Goals:
    """What every staffed call type must meet: its SL target per interval or per day, and optional limits."""

    target: str = "per-interval"
    max_abandon: float | None = None
    max_occupancy: float | None = None
    margin: float = 1.0  # the search's figures must meet the goals by this many standard errors


@dataclass(frozen=True)
class Queue:
    """The Erlang model of one call type on the group that owns it (times in seconds)."""

    call_type: str
    group: int  # index into the staffed groups
    aht: float
    patience: float | None
    threshold: float
    target: float


@dataclass(frozen=True)
class Plan:
    """Agents per staffed group, weekday (0 = Monday) and interval of the day: ``agents[group, weekday, slot]``."""

    groups: tuple[str, ...]
    agents: np.ndarray

    def key(self) -> bytes:
        return self.agents.astype(np.int64).tobytes()


@dataclass(frozen=True)
class Measured:
    """A run's figures per replication, weekday and interval (summed over the weeks of the run): ``[replication,
    call type, weekday, slot]`` for the SL numerator and denominator and abandonment; ``busy``/``staffed``
    ``[replication, staffed group, weekday, slot]``."""

    sl_num: np.ndarray
    sl_den: np.ndarray
    abandoned: np.ndarray
    resolved: np.ndarray
    busy: np.ndarray
    staffed: np.ndarray

    def day(self) -> Measured:
        """The same summed over each day's intervals (one slot per day)."""
        return Measured(*(x.sum(axis=-1, keepdims=True) for x in (self.sl_num, self.sl_den, self.abandoned,
                                                                   self.resolved, self.busy, self.staffed)))

    def calls(self) -> np.ndarray:
        """``[call type, weekday, slot]``: calls in the SL denominator, all replications."""
        return np.asarray(self.sl_den.sum(axis=0))

    def occupancy(self, margin: float = 0.0) -> np.ndarray:
        """``[group, weekday, slot]``: busy / logged-in time over all replications (NaN without agents) plus
        ``margin`` standard errors."""
        return _bound(self.busy, self.staffed, margin)

    def service_level(self, margin: float = 0.0) -> np.ndarray:
        """``[call type, weekday, slot]``: pooled service level minus ``margin`` standard errors (NaN without
        calls)."""
        return _bound(self.sl_num, self.sl_den, -margin)

    def abandonment(self, margin: float = 0.0) -> np.ndarray:
        """Pooled abandonment plus ``margin`` standard errors."""
        return _bound(self.abandoned, self.resolved, margin)


def _bound(num: np.ndarray, den: np.ndarray, margin: float) -> np.ndarray:
    """Ratio of sums over replications plus ``margin`` of its delta-method standard errors (none with one
    replication)."""
    pooled = _ratio(num.sum(axis=0), den.sum(axis=0))
    if margin == 0.0 or len(num) < 2:
        return pooled
    estimate = ratio_estimate(num, den)
    se = np.nan_to_num(np.asarray(estimate.half_width) / t_quantile(len(num)))
    return np.asarray(pooled + margin * se)


@dataclass(frozen=True)
class Verified:
    """A plan run on fresh seeds: agent hours per run (mean over replications), the share of weekday-intervals
    (or weekdays) whose pooled figures meet every goal, and the share of single units (one interval or day of one
    replication) that do, with its 95 % CI over replications."""

    agent_hours: float
    units: int
    pooled_share: float
    unit_share: Estimate
    met: np.ndarray  # [weekday, slot] (per-interval) or [weekday] (daily): pooled goals met
    sl: np.ndarray  # [call type, weekday, slot]: pooled service level (NaN without calls)


@dataclass(frozen=True)
class Outcome:
    """The answer of ``staff``: the plan found, the Erlang C plan at the same targets, both verified."""

    scenario: Scenario
    goals: Goals
    queues: tuple[Queue, ...]
    staffed: Plan
    erlang_c: Plan
    iterations: int
    status: str  # one of ENDINGS
    feasible: bool  # the plan met every goal on the search seeds
    search_seed: int
    verify_seed: int
    replications: int
    seconds: float


def slots(scenario: Scenario) -> int:
    """Reporting intervals per day."""
    return round(DAY / scenario.run.interval)


def weekdays_of_run(scenario: Scenario) -> np.ndarray:
    """Weekday (0 = Monday) of every simulated day."""
    return (scenario.run.start_day.number + np.arange(scenario.run.days)) % WEEK


def staffed_groups(scenario: Scenario, named: list[str] | None) -> tuple[str, ...]:
    """The groups to staff: ``named`` (checked), else every in-house group."""
    groups = scenario.agent_groups
    if named is not None:
        unknown = [g for g in named if g not in groups]
        if unknown:
            raise CcsimError(f"ccsim staff --groups: no agent group {', '.join(map(repr, unknown))} in "
                             f"{scenario.name} (it has {', '.join(groups)})")
        return tuple(dict.fromkeys(named))
    sites = scenario.site_map()
    mine = tuple(g for g in groups if sites[scenario.site_of(g)].kind == SiteKind.in_house)
    if not mine:
        raise CcsimError(f"ccsim staff: {scenario.name} has no in-house agent group; name the groups to staff "
                         "with --groups")
    return mine


def _mean_work(ct: CallType) -> float:
    if ct.handle_time is not None:
        return ct.handle_time.mean
    assert ct.talk_time is not None
    return ct.talk_time.mean + (0.0 if ct.wrap_up is None else ct.wrap_up.mean)


def queues(scenario: Scenario, groups: tuple[str, ...]) -> tuple[Queue, ...]:
    """Every call type a staffed group serves, with the group that owns it (serves it first, then cheaper, then
    with fewer skills, then in file order)."""
    out = []
    sl = scenario.service_level
    for name, (_, ct) in scenario.all_call_types().items():
        serving = [i for i, g in enumerate(groups) if name in scenario.agent_groups[g].skills]
        if not serving:
            continue

        owner = min(serving, key=lambda i: _preference(scenario.agent_groups[groups[i]], name, i))  # noqa: B023
        goal = ct.service_level
        out.append(Queue(name, owner, _mean_work(ct) * scenario.agent_groups[groups[owner]].handle_time_factor,
                         None if ct.patience is None else ct.patience.mean,
                         sl.threshold if goal is None else goal.threshold, sl.target if goal is None else goal.target))
    return tuple(out)


def _preference(group: AgentGroup, call_type: str, index: int) -> tuple[int, float, int, int]:
    """Sort key of the groups serving a call type: the owner comes first."""
    return group.skills[call_type], group.cost_per_hour, len(group.skills), index


def offered_rates(scenario: Scenario) -> np.ndarray:
    """``[call type, weekday, slot]``: expected calls per second that reach the agents (open hours, after IVR
    self-service), averaged over the run's days of each weekday; 0 on weekdays the run does not simulate."""
    run = scenario.run
    n = slots(scenario)
    width = run.interval
    grid = (np.arange(run.days * n * SAMPLES) + 0.5) * (width / SAMPLES)
    is_open = ~closed_at(grid, run.start_day.number, scenario.opening_hours)
    types = scenario.all_call_types()
    per_day = np.zeros((len(types), run.days, n))
    for k, (name, (_, ct)) in enumerate(types.items()):
        arrivals = ct.arrivals
        assert arrivals is not None, "staff refuses scenarios with transfers (see staff)"
        if arrivals.trace is not None:
            times = read_trace(arrivals.trace, name)
            times = times[(times < run.days * DAY)]
            times = times[~closed_at(times, run.start_day.number, scenario.opening_hours)]
            counts = np.bincount((times // width).astype(np.int64), minlength=run.days * n)
            rate = counts[:run.days * n] / width
        else:
            starts, expected = rate_steps(arrivals, run, weekday_factors(arrivals, run))
            step = step_length(arrivals)
            at = np.searchsorted(starts, grid, side="right") - 1
            inside = (at >= 0) & (grid < starts[np.maximum(at, 0)] + step)
            sampled = np.where(inside & is_open, expected[np.maximum(at, 0)] / step, 0.0)
            rate = sampled.reshape(-1, SAMPLES).mean(axis=1)
        per_day[k] = (rate * (1.0 - ct.deflection)).reshape(run.days, n)
    return _by_weekday(per_day, weekdays_of_run(scenario), mean=True)


def _by_weekday(x: np.ndarray, weekday: np.ndarray, mean: bool) -> np.ndarray:
    """``x[..., day, slot]`` summed (or averaged) over the days of each weekday: ``[..., 7, slot]``."""
    out = np.zeros((*x.shape[:-2], WEEK, x.shape[-1]))
    for w in range(WEEK):
        days = weekday == w
        if days.any():
            out[..., w, :] = x[..., days, :].mean(axis=-2) if mean else x[..., days, :].sum(axis=-2)
    return out


def predicted(q: Queue, sl: SLDefinition, short: float, agents: int, rate: float) -> tuple[float, float]:
    """(service level under the scenario's definition, abandonment) that Erlang A (C) predicts."""
    if rate <= 0.0:
        return 1.0, 0.0
    if agents <= 0:
        return 0.0, 1.0
    if q.patience is None:
        return erlang_c(agents, rate, q.aht, q.threshold).service_level, 0.0
    a = erlang_a(agents, rate, q.aht, q.patience, q.threshold)
    if sl == SLDefinition.answered_of_offered:
        level = a.service_level
    elif sl == SLDefinition.answered_of_answered:
        level = a.service_level / a.p_answered
    else:
        cut = short if sl == SLDefinition.answered_of_offered_minus_short else q.threshold
        level = a.service_level / (1.0 - erlang_a_abandoned_within(agents, rate, q.aht, q.patience, cut))
    return min(1.0, level), a.p_abandon


def _smallest(ok: Callable[[int], bool], low: int = 1) -> int:
    """Smallest n >= low with ok(n), for ok monotone in n."""
    high = low
    while not ok(high):
        low, high = high + 1, high * 2
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if ok(mid) else (mid + 1, high)
    return low


def needed(q: Queue, sl: SLDefinition, short: float, rate: float, max_abandon: float | None) -> int:
    """Fewest agents (>= 1) at which the model meets the target and the abandonment limit; 0 without calls."""
    if rate <= 0.0:
        return 0

    def ok(n: int) -> bool:
        level, abandon = predicted(q, sl, short, n, rate)
        return level >= q.target and (max_abandon is None or abandon <= max_abandon)

    return _smallest(ok, max(1, math.floor(rate * q.aht * 0.5)))


def fitted_rate(q: Queue, sl: SLDefinition, short: float, agents: int, measured: float, nominal: float) -> float:
    """The load (calls per second) at which the model gives the measured service level at ``agents``, within
    RATE_CLAMP of the expected rate (the model's level falls as the rate grows)."""
    low, high = RATE_CLAMP[0] * nominal, RATE_CLAMP[1] * nominal + agents / q.aht
    if agents <= 0 or predicted(q, sl, short, agents, low)[0] <= measured:
        return low
    if predicted(q, sl, short, agents, high)[0] >= measured:
        return high
    for _ in range(40):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if predicted(q, sl, short, agents, mid)[0] > measured else (low, mid)
    return 0.5 * (low + high)


def _smoothed(factor: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``factor[weekday, slot]`` averaged over SMOOTH slots on either side (same weekday), weighted by calls."""
    kernel = np.ones(2 * SMOOTH + 1)
    total = np.apply_along_axis(np.convolve, -1, factor * weight, kernel, mode="same")
    count = np.apply_along_axis(np.convolve, -1, weight, kernel, mode="same")
    return np.asarray(np.divide(total, count, out=factor.copy(), where=count > 0))


def with_plan(scenario: Scenario, plan: Plan) -> Scenario:
    """The scenario with the plan's groups staffed by staffing tables (one per weekday with agents)."""
    groups = dict(scenario.agent_groups)
    for g, name in enumerate(plan.groups):
        groups[name] = group_with(groups[name], plan.agents[g], scenario.run.interval)
    return scenario.model_copy(update={"agent_groups": groups})


def group_with(group: AgentGroup, agents: np.ndarray, interval: float) -> AgentGroup:
    """``group`` staffed by ``agents[weekday, slot]`` (no agents at all: ``agents: 0``)."""
    tables = staffing_tables(agents, interval)
    update = {"agents": None, "shifts": None, "staffing": tables} if tables else \
        {"agents": 0, "shifts": None, "staffing": None}
    return group.model_copy(update=update)


def staffing_tables(agents: np.ndarray, interval: float) -> list[StaffingTable]:
    """One table per weekday with agents, from its first to its last staffed interval."""
    out = []
    weekdays = list(Weekday)
    for w in range(WEEK):
        staffed = np.flatnonzero(agents[w])
        if staffed.size:
            first, last = int(staffed[0]), int(staffed[-1])
            out.append(StaffingTable(days=[weekdays[w]], start=format_clock(first * interval),
                                     resolution=f"{interval:g}s",
                                     agents=[int(a) for a in agents[w, first:last + 1]]))
    return out


def measure(result: RunResult, plan: Plan) -> Measured:
    """Sum a run's facts by weekday and interval, per replication."""
    scenario = result.scenario
    n, days = slots(scenario), scenario.run.days
    weekday = weekdays_of_run(scenario)
    index = [result.layout.group_names.index(g) for g in plan.groups]
    calls = np.stack([f.calls for f in result.facts])  # [R, F, I, K]
    x = _by_weekday(np.moveaxis(calls.reshape(*calls.shape[:2], days, n, -1), -1, 2), weekday, mean=False)
    groups = np.stack([f.groups[:, :, index] for f in result.facts])  # [R, Fg, I, G]
    y = _by_weekday(np.moveaxis(groups.reshape(*groups.shape[:2], days, n, -1), -1, 2), weekday, mean=False)
    return _measured(x, y, result.scenario)


def _measured(x: np.ndarray, y: np.ndarray, scenario: Scenario) -> Measured:
    """From call facts ``x[r, field, type, ...]`` and group facts ``y[r, field, group, ...]``."""
    ratios = call_ratios(x, scenario.service_level)
    (num, den), (abandoned, resolved) = ratios["service_level"], ratios["abandon_rate"]
    return Measured(num, den, abandoned, resolved, y[:, GROUP_FIELDS.index("busy_time")],
                    y[:, GROUP_FIELDS.index("staffed_time")])


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0."""
    out: np.ndarray = np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)
    return out


def _over_cap(m: Measured, qs: tuple[Queue, ...], cap: float | None, margin: float = 0.0) -> np.ndarray:
    """``[call type in qs, weekday, slot]``: the owning group's occupancy exceeded the cap there (by ``margin``
    standard errors)."""
    occupancy = m.occupancy(margin)
    return np.stack([occupancy[q.group] > cap + 1e-12 if cap is not None else np.zeros(occupancy.shape[1:], bool)
                     for q in qs])


def interval_met(m: Measured, qs: tuple[Queue, ...], types: tuple[str, ...], goals: Goals,
                 margin: float = 0.0) -> np.ndarray:
    """``[call type in qs, weekday, slot]``: whether the interval met the call type's goals by ``margin`` standard
    errors (True without calls); the occupancy cap counts against every call type the capped group owns."""
    out = ~_over_cap(m, qs, goals.max_occupancy, margin)
    level, abandon = m.service_level(margin), m.abandonment(margin)
    for j, q in enumerate(qs):
        k = types.index(q.call_type)
        out[j] &= ~(level[k] < q.target)
        if goals.max_abandon is not None:
            out[j] &= ~(abandon[k] > goals.max_abandon)
    return out


def day_met(m: Measured, qs: tuple[Queue, ...], types: tuple[str, ...], goals: Goals,
            margin: float = 0.0) -> np.ndarray:
    """``[call type in qs, weekday]``: whether the whole weekday met the call type's goals by ``margin`` standard
    errors (the occupancy cap holds per interval)."""
    out = interval_met(m.day(), qs, types, Goals(max_abandon=goals.max_abandon), margin)[..., 0]
    return out & ~_over_cap(m, qs, goals.max_occupancy, margin).any(axis=-1)


class Search:
    """The state the iterations share: the scenario, its queues, expected rates and the goals."""

    def __init__(self, scenario: Scenario, groups: tuple[str, ...], goals: Goals, workers: int | None):
        self.scenario, self.groups, self.goals, self.workers = scenario, groups, goals, workers
        self.queues = queues(scenario, groups)
        if not self.queues:
            raise CcsimError(f"ccsim staff: the groups {', '.join(groups)} serve no call type")
        self.types = tuple(scenario.all_call_types())
        self.rates = offered_rates(scenario)
        self.sl, self.short = scenario.service_level.definition, scenario.service_level.short_abandon

    def _pooled(self, rates: np.ndarray, j: int) -> np.ndarray:
        """``[weekday, slot]``: the expected calls per second of every call type owned by queue j's group."""
        mine = [self.types.index(q.call_type) for q in self.queues if q.group == self.queues[j].group]
        return np.asarray(rates[mine].sum(axis=0))

    def start(self, patience: bool = True) -> Plan:
        """Erlang A (``patience``) or Erlang C per interval on the pooled load of each group's call types, with the
        requirement of its strictest call type and the occupancy cap."""
        agents = np.zeros((len(self.groups), WEEK, slots(self.scenario)), dtype=np.int64)
        for j, q in enumerate(self.queues):
            model = q if patience else Queue(q.call_type, q.group, q.aht, None, q.threshold, q.target)
            pooled = self._pooled(self.rates, j)
            for w, s in zip(*np.nonzero(pooled), strict=True):
                n = needed(model, self.sl, self.short, float(pooled[w, s]),
                           self.goals.max_abandon if patience else None)
                agents[q.group, w, s] = max(agents[q.group, w, s], n, self._occupancy_floor(pooled[w, s] * q.aht))
        return Plan(self.groups, agents)

    def _occupancy_floor(self, erlangs: float) -> int:
        cap = self.goals.max_occupancy
        return 0 if cap is None or erlangs <= 0 else math.ceil(erlangs / cap - 1e-9)

    def simulate(self, plan: Plan, seed: int, replications: int) -> RunResult:
        run_settings = self.scenario.run.model_copy(update={"seed": seed, "replications": replications})
        staffed = with_plan(self.scenario, plan).model_copy(update={"run": run_settings})
        return run(staffed, workers=self.workers)

    def _fits(self, plan: Plan, m: Measured) -> np.ndarray:
        """``[queue, weekday, slot]``: each call type's load as fitted to its measured service level (the expected
        load where it had no calls or no agents)."""
        out = np.zeros((len(self.queues), *plan.agents.shape[1:]))
        for j, q in enumerate(self.queues):
            k = self.types.index(q.call_type)
            pooled = self._pooled(self.rates, j)
            sl = m.service_level(self.goals.margin)[k]
            for w, s in zip(*np.nonzero(pooled), strict=True):
                nominal = float(pooled[w, s])
                agents = int(plan.agents[q.group, w, s])
                out[j, w, s] = nominal if np.isnan(sl[w, s]) else fitted_rate(q, self.sl, self.short, agents,
                                                                             float(sl[w, s]), nominal)
            out[j] = pooled * _smoothed(np.divide(out[j], pooled, out=np.ones(pooled.shape), where=pooled > 0),
                                        m.calls()[k])
        return out

    def _floors(self, plan: Plan, m: Measured) -> np.ndarray:
        """``[group, weekday, slot]``: one agent at least where calls come, and with an occupancy cap enough agents
        for the measured busy time (busy / logged-in time x agents = Erlangs carried)."""
        floor = np.zeros(plan.agents.shape, dtype=np.int64)
        for j, q in enumerate(self.queues):
            floor[q.group] = np.maximum(floor[q.group], (self._pooled(self.rates, j) > 0).astype(np.int64))
        cap = self.goals.max_occupancy
        if cap is not None:
            carried = np.nan_to_num(m.occupancy()) * plan.agents
            floor = np.maximum(floor, np.ceil(carried / cap - 1e-9).astype(np.int64))
        return floor

    def step_intervals(self, plan: Plan, m: Measured, tight: np.ndarray) -> Plan:
        """Per-interval goals: every interval gets what its calibrated models need (at least ``tight``)."""
        fits = self._fits(plan, m)
        met = interval_met(m, self.queues, self.types, self.goals, self.goals.margin)
        agents = np.maximum(self._floors(plan, m), tight)
        for j, q in enumerate(self.queues):
            pooled = self._pooled(self.rates, j)
            for w, s in zip(*np.nonzero(pooled), strict=True):
                n = needed(q, self.sl, self.short, float(fits[j, w, s]), self.goals.max_abandon)
                if not met[j, w, s]:
                    n = max(n, int(plan.agents[q.group, w, s]) + 1)
                agents[q.group, w, s] = max(agents[q.group, w, s], n)
        return Plan(self.groups, agents)

    def step_days(self, plan: Plan, m: Measured, tight: np.ndarray) -> Plan:
        """Daily goals: from the current plan, per group and weekday add agents where the calibrated models gain
        the most calls answered in time per agent while a day misses, then take them away where they lose the
        least while every owned call type's day still meets its goals (as predicted)."""
        fits = self._fits(plan, m)
        floors = np.maximum(self._floors(plan, m), tight)
        agents = np.maximum(plan.agents, floors)
        for g in range(len(self.groups)):
            owned = [j for j, q in enumerate(self.queues) if q.group == g]
            for w in range(WEEK):
                if agents[g, w].any():
                    agents[g, w] = self._balance_day(agents[g, w], floors[g, w], owned, fits[:, w], m, w)
        return Plan(self.groups, agents)

    def _day_levels(self, row: np.ndarray, owned: list[int], fits: np.ndarray, weights: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Per owned queue: the predicted day service level and abandonment of ``row`` agents per slot."""
        level, abandon = np.zeros(len(owned)), np.zeros(len(owned))
        for i, j in enumerate(owned):
            q = self.queues[j]
            parts = [predicted(q, self.sl, self.short, int(row[s]), float(fits[j, s])) for s in range(len(row))]
            total = weights[i].sum()
            level[i] = 1.0 if total <= 0 else float(weights[i] @ np.array([p[0] for p in parts])) / total
            abandon[i] = 0.0 if total <= 0 else float(weights[i] @ np.array([p[1] for p in parts])) / total
        return level, abandon

    def _balance_day(self, row: np.ndarray, floor: np.ndarray, owned: list[int], fits: np.ndarray, m: Measured,
                     w: int) -> np.ndarray:
        """One weekday of one group: the predicted day goals met with as few agents as this greedy finds."""
        weights = np.array([np.maximum(m.calls()[self.types.index(self.queues[j].call_type), w], 0.0) +
                            (fits[j] > 0) * 1e-9 for j in owned])
        targets = np.array([self.queues[j].target for j in owned])
        cap = self.goals.max_abandon

        def meets(r: np.ndarray) -> bool:
            level, abandon = self._day_levels(r, owned, fits, weights)
            return bool((level >= targets).all() and (cap is None or (abandon <= cap).all()))

        row = row.copy()
        candidates = np.flatnonzero(fits.sum(axis=0) > 0)
        while not meets(row):
            gains = []
            for s in candidates:
                up = row.copy()
                up[s] += 1
                gains.append(self._day_levels(up, owned, fits, weights)[0].min())
            row[candidates[int(np.argmax(gains))]] += 1
        while True:
            best, best_level = -1, -math.inf
            for s in candidates:
                if row[s] <= floor[s]:
                    continue
                down = row.copy()
                down[s] -= 1
                if meets(down):
                    level = self._day_levels(down, owned, fits, weights)[0].min()
                    if level > best_level:
                        best, best_level = int(s), level
            if best < 0:
                return row
            row[best] -= 1


def refuse_legs(scenario: Scenario) -> None:
    """CcsimError if the scenario has transfers or call-back offers (the search does not measure their legs)."""
    legs = [name for name, (_, ct) in scenario.all_call_types().items() if ct.transfer or ct.callback]
    if legs:
        raise CcsimError(f"ccsim staff: {scenario.name} has transfers or call-back offers ({', '.join(legs)}); the "
                         "staffing search does not measure transfer and call-back legs yet")


def staff(scenario: Scenario, groups: tuple[str, ...], goals: Goals, seed: int, verify_seed: int,
          replications: int, workers: int | None = None,
          on_iteration: Callable[[int, int, float], None] | None = None) -> tuple[Outcome, Search]:
    """Search the staffing on ``seed``; ``on_iteration(iteration, intervals missing, agent hours)`` after each
    simulation. Verification (on ``verify_seed``) is the caller's: see ``verify``."""
    if goals.target not in TARGETS:
        raise CcsimError(f"ccsim staff --target: expected one of {', '.join(TARGETS)}, got {goals.target!r}")
    refuse_legs(scenario)
    started = time.perf_counter()
    search = Search(scenario, groups, goals, workers)
    plan = search.start()
    tight = np.zeros_like(plan.agents)
    seen: set[bytes] = set()
    best: Plan | None = None
    status, stale, iterations = "limit", 0, 0
    for iterations in range(1, MAX_ITERATIONS + 1):
        m = measure(search.simulate(plan, seed, replications), plan)
        met = interval_met(m, search.queues, search.types, goals, goals.margin)
        ok = bool(met.all()) if goals.target == "per-interval" else bool(
            day_met(m, search.queues, search.types, goals, goals.margin).all())
        seen.add(plan.key())
        if on_iteration:
            on_iteration(iterations, int((~met).any(axis=0).sum()), float(m.staffed.sum()) / 3600.0 / replications)
        if ok and (best is None or plan.agents.sum() < best.agents.sum()):
            best, stale = plan, 0
        elif best is not None:
            stale += 1
        if goals.target == "per-interval":
            for j, q in enumerate(search.queues):  # an interval that missed at n agents gets n + 1 at least
                tight[q.group] = np.where(~met[j], np.maximum(tight[q.group], plan.agents[q.group] + 1),
                                          tight[q.group])
            new = search.step_intervals(plan, m, tight)
        else:
            new = search.step_days(plan, m, tight)
        status = "stable" if new.key() == plan.key() else "cycle" if new.key() in seen else \
            "no gain" if stale >= STALE else ""
        if status:
            break
        plan = new
    else:
        status = "limit"
    return Outcome(scenario, goals, search.queues, plan if best is None else best, search.start(patience=False),
                   iterations, status, best is not None, seed, verify_seed, replications,
                   time.perf_counter() - started), search


def verify(search: Search, scenario: Scenario, seed: int, replications: int) -> Verified:
    """Run ``scenario`` (a staffed file, or the original with a plan) on ``seed`` and judge it by the goals (no
    margin: the pooled figures as they are)."""
    settings = scenario.run.model_copy(update={"seed": seed, "replications": replications})
    result = run(scenario.model_copy(update={"run": settings}), workers=search.workers)
    m = measure(result, Plan(search.groups, np.zeros(0)))
    types = tuple(result.layout.type_names)
    met, n = _met_units(m, search, types)
    per_replication = [_met_units(_one_replication(result, search, r), search, types) for r in
                       range(replications)]
    return Verified(agent_hours=float(m.staffed.sum()) / 3600.0 / replications, units=int(n.sum()),
                    pooled_share=float(met.sum() / max(1, n.sum())),
                    unit_share=ratio_estimate(np.array([float(a.sum()) for a, _ in per_replication]),
                                              np.array([float(b.sum()) for _, b in per_replication])),
                    met=met, sl=m.service_level())


def _met_units(m: Measured, search: Search, types: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Units (weekday-intervals, or weekdays, with calls of a staffed call type) meeting every goal, and the
    units, as 0/1 arrays ``[weekday, slot]`` (``[weekday]`` for daily goals)."""
    daily = search.goals.target == "daily"
    ok = day_met(m, search.queues, types, search.goals) if daily else \
        interval_met(m, search.queues, types, search.goals)
    calls = np.stack([m.calls()[types.index(q.call_type)] for q in search.queues])
    has = np.asarray(((calls.sum(axis=-1) if daily else calls) > 0).any(axis=0))
    return np.asarray(ok.all(axis=0) & has), has


def _one_replication(result: RunResult, search: Search, r: int) -> Measured:
    """One replication's figures with its days as they came (the 'weekday' axis holds the run's days)."""
    n, days = slots(result.scenario), result.scenario.run.days
    index = [result.layout.group_names.index(g) for g in search.groups]
    f = result.facts[r]
    x = np.moveaxis(f.calls.reshape(len(CALL_FIELDS), days, n, -1), -1, 1)[None]
    y = np.moveaxis(f.groups[:, :, index].reshape(len(GROUP_FIELDS), days, n, -1), -1, 1)[None]
    return _measured(x, y, result.scenario)


def agent_hours(plan: Plan, scenario: Scenario) -> float:
    """Scheduled agent hours of a plan over the run's days."""
    weekday = weekdays_of_run(scenario)
    return float(plan.agents[:, weekday, :].sum()) * scenario.run.interval / 3600.0
