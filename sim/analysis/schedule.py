"""From the per-interval requirement of ``ccsim staff`` to a shift schedule (``--shifts``).

Every template, start time, weekday and staffed group is one column: a shift whose agents are logged in from its
start to its end except during its unpaid breaks. An integer program (scipy's ``milp``, HiGHS) chooses how many
agents work each column: minimise paid agent hours (or their cost) such that the agents logged in reach the
requirement in every interval of every weekday, each template has between ``min`` and ``max`` agents per group
and weekday, and part-time templates hold at most ``part_time_share`` of a group's agents on a day. The schedule
is then simulated on a seed of its own (the fresh-seed check's plus one, the same every round: common random
numbers, so a round sees what the schedule changed, not new noise); where an interval misses its goals (by the
search's margin) the requirement there becomes the agents scheduled plus one and the program is solved again, for
at most ROUNDS simulations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix

from sim.analysis.staffing import (
    WEEK,
    Outcome,
    Plan,
    Search,
    day_met,
    interval_met,
    measure,
    offered_rates,
    queues,
    refuse_legs,
    slots,
    weekdays_of_run,
)
from sim.errors import CcsimError
from sim.scenario.schema import Scenario
from sim.scenario.shiftfile import Objective, ShiftsFile
from sim.scenario.types import Weekday
from sim.units import DAY, format_clock

ROUNDS = 6
"""Simulations of the schedule at most before the final check."""
TIE = 1e-6
"""Cost per paid hour added to the cost objective: among equally cheap schedules, the fewest hours."""
TIME_LIMIT = 120.0
"""Seconds HiGHS may take per solve; it then returns the best schedule found (and says it is not proven optimal)."""


@dataclass(frozen=True)
class Column:
    """One shift: a template started at ``start`` on ``weekday`` by agents of staffed group ``group``."""

    group: int
    template: str
    weekday: int
    start: float  # seconds after midnight
    pieces: tuple[tuple[int, int], ...]  # logged-in [first slot, end slot) between the breaks
    paid_hours: float
    cost_per_hour: float
    part_time: bool


@dataclass(frozen=True)
class Solved:
    """The program's answer: agents per column and the agents logged in ``[group, weekday, slot]``."""

    agents: np.ndarray
    coverage: np.ndarray
    optimal: bool
    seconds: float


@dataclass(frozen=True)
class Round:
    """One simulation of a schedule: its seed, the weekday-intervals missing a goal (by the search's margin) and the
    schedule's paid agent hours."""

    seed: int
    missing: int
    paid_hours: float


@dataclass(frozen=True)
class Schedule:
    """The schedule found: its columns, agents per column, what it covers, the final requirement and the rounds."""

    columns: tuple[Column, ...]
    solved: Solved
    requirement: np.ndarray  # [group, weekday, slot], raised where rounds missed
    raised: int  # weekday-intervals (per group) whose requirement the rounds raised
    rounds: tuple[Round, ...]
    met: bool  # the last round met every goal
    solve_seconds: float  # all solves

    def paid_hours(self, run_weekdays: np.ndarray) -> float:
        """Paid agent hours over the run's days."""
        return paid_hours(self.columns, self.solved.agents, run_weekdays)


def paid_hours(cols: tuple[Column, ...], agents: np.ndarray, run_weekdays: np.ndarray) -> float:
    """Paid agent hours of ``agents`` per column over the run's days (a weekday counts as often as the run has
    it)."""
    days = np.bincount(run_weekdays, minlength=WEEK)
    return float(sum(a * c.paid_hours * days[c.weekday] for a, c in zip(agents, cols, strict=True)))


def columns(shifts: ShiftsFile, scenario: Scenario, groups: tuple[str, ...]) -> tuple[Column, ...]:
    """Every shift the templates allow on the run's weekdays, per staffed group."""
    interval = scenario.run.interval
    weekdays = sorted({int(w) for w in weekdays_of_run(scenario)})
    out = []
    for g, group in enumerate(groups):
        cost = scenario.agent_groups[group].cost_per_hour
        for name, t in shifts.templates.items():
            if t.groups is not None and group not in t.groups:
                continue
            for w in weekdays:
                if list(Weekday)[w] not in t.days:
                    continue
                for start in t.starts(interval):
                    edges = [0.0, *(x for b in t.breaks for x in (b.after, b.after + b.length)), t.length]
                    pieces = tuple((round((start + a) / interval), round((start + b) / interval))
                                   for a, b in zip(edges[::2], edges[1::2], strict=True))
                    out.append(Column(g, name, w, start, pieces, t.paid() / 3600.0,
                                      cost if t.cost_per_hour is None else t.cost_per_hour, t.part_time))
    return tuple(out)


def check_reach(shifts: ShiftsFile, scenario: Scenario, groups: tuple[str, ...]) -> None:
    """CcsimError, before anything is simulated, if calls reach a staffed group in an interval of a simulated
    weekday that no template covers (the requirement is at least one agent there)."""
    refuse_legs(scenario)
    rates, types = offered_rates(scenario), tuple(scenario.all_call_types())
    load = np.zeros((len(groups), WEEK, slots(scenario)))
    for q in queues(scenario, groups):
        load[q.group] += rates[types.index(q.call_type)]
    _refuse_uncovered(columns(shifts, scenario, groups), load > 0, groups)


def _refuse_uncovered(cols: tuple[Column, ...], needed: np.ndarray, groups: tuple[str, ...]) -> csr_matrix:
    """The coverage matrix of ``cols``; CcsimError if an interval ``needed[group, weekday, slot]`` has no column."""
    cover = _coverage_matrix(cols, needed.shape)
    flat = needed.reshape(-1)
    uncovered = np.flatnonzero(flat & (np.asarray(cover.sum(axis=1)).ravel() == 0))
    if uncovered.size:
        g, w, s = np.unravel_index(uncovered[0], needed.shape)
        interval = DAY / needed.shape[2]
        raise CcsimError(f"ccsim staff --shifts: no template covers group '{groups[g]}' on "
                         f"{list(Weekday)[w].value} {format_clock(s * interval)}-{format_clock((s + 1) * interval)}, "
                         f"where calls come ({uncovered.size} such interval(s) in all): add start times or templates "
                         "that reach it")
    return cover


def _coverage_matrix(cols: tuple[Column, ...], shape: tuple[int, int, int]) -> csr_matrix:
    """``[group * weekday * slot, column]``: 1 where the column's agents are logged in."""
    rows, cells = [], []
    for j, c in enumerate(cols):
        for first, end in c.pieces:
            for s in range(first, end):
                rows.append(np.ravel_multi_index((c.group, c.weekday, s), shape))
                cells.append(j)
    return coo_matrix((np.ones(len(rows)), (np.array(rows, dtype=np.int64), np.array(cells, dtype=np.int64))),
                      shape=(int(np.prod(shape)), len(cols))).tocsr()


def solve(cols: tuple[Column, ...], requirement: np.ndarray, shifts: ShiftsFile, groups: tuple[str, ...]) -> Solved:
    """The cheapest agents per column whose coverage reaches ``requirement[group, weekday, slot]``, within each
    template's min/max and the part-time share (CcsimError if no schedule can)."""
    shape = requirement.shape
    cover = _refuse_uncovered(cols, requirement > 0, groups)
    need = requirement.reshape(-1).astype(float)
    rows = np.flatnonzero(need > 0)
    constraints = [LinearConstraint(cover[rows], need[rows], np.inf)]
    keys = sorted({(c.group, c.weekday, c.template) for c in cols})
    limits = np.zeros((len(keys), len(cols)))
    for j, c in enumerate(cols):
        limits[keys.index((c.group, c.weekday, c.template)), j] = 1.0
    low = np.array([float(shifts.templates[t].min) for _, _, t in keys])
    most = [shifts.templates[t].max for _, _, t in keys]
    high = np.array([np.inf if m is None else float(m) for m in most])
    constraints.append(LinearConstraint(limits, low, high))
    share = shifts.part_time_share
    if share is not None:
        days = sorted({(c.group, c.weekday) for c in cols})
        part = np.zeros((len(days), len(cols)))
        for j, c in enumerate(cols):
            part[days.index((c.group, c.weekday)), j] = (1.0 if c.part_time else 0.0) - share
        constraints.append(LinearConstraint(part, -np.inf, 0.0))
    hours = np.array([c.paid_hours for c in cols])
    cost = hours * np.array([c.cost_per_hour for c in cols]) + TIE * hours if shifts.minimise == Objective.cost \
        else hours
    started = time.perf_counter()
    result = milp(cost, integrality=np.ones(len(cols), dtype=np.int64), bounds=Bounds(0, np.inf),
                  constraints=constraints, options={"time_limit": TIME_LIMIT})
    seconds = time.perf_counter() - started
    if result.x is None:
        raise CcsimError("ccsim staff --shifts: no schedule of these templates covers the requirement within their "
                         f"min/max and the part-time share ({result.message.strip()}); raise a max, lower a min or "
                         "add templates")
    agents = np.round(result.x).astype(np.int64)
    return Solved(agents, (cover @ agents).reshape(shape).astype(np.int64), result.status == 0, seconds)


def schedule(outcome: Outcome, search: Search, shifts: ShiftsFile, verify_seed: int, replications: int) -> Schedule:
    """Solve, simulate on seed verify_seed + 1 and raise the requirement where intervals miss, until a schedule
    meets every goal or ROUNDS simulations have run."""
    cols = columns(shifts, search.scenario, search.groups)
    run_weekdays = weekdays_of_run(search.scenario)
    requirement = outcome.staffed.agents.copy()
    requirement[:, np.setdiff1d(np.arange(WEEK), run_weekdays)] = 0
    goals, rounds = search.goals, []
    solved = solve(cols, requirement, shifts, search.groups)
    spent = solved.seconds
    met = False
    seed = (verify_seed + 1) % 2**32
    for r in range(1, ROUNDS + 1):
        plan = Plan(search.groups, solved.coverage)
        m = measure(search.simulate(plan, seed, replications), plan)
        ok = interval_met(m, search.queues, search.types, goals, goals.margin)
        if goals.target == "daily":
            ok |= day_met(m, search.queues, search.types, goals, goals.margin)[..., None]
        rounds.append(Round(seed, int((~ok).any(axis=0).sum()),
                            paid_hours(cols, solved.agents, run_weekdays)))
        met = bool(ok.all())
        if met or r == ROUNDS:
            break
        higher = requirement.copy()
        for j, q in enumerate(search.queues):
            higher[q.group] = np.where(~ok[j], np.maximum(higher[q.group], solved.coverage[q.group] + 1),
                                       higher[q.group])
        requirement = higher
        solved = solve(cols, requirement, shifts, search.groups)
        spent += solved.seconds
    raised = int((requirement > outcome.staffed.agents).sum())
    return Schedule(cols, solved, requirement, raised, tuple(rounds), met, spent)
