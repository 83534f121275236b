"""The heapq reference: a plain-Python event loop simulating the queueing core of a benchmark scenario.

It is the yardstick of ccsim's speed targets ("ccsim end to end reaches 0.30x the reference on W1"): what a
competent plain-Python discrete-event loop costs for the same calls and the same events, without SimPy, numpy,
per-call records, statistics tables or result files. One binary heap (``heapq``) of service ends and patience
ends; the arrivals are a Poisson stream merged with the heap (the next arrival is compared with the heap's top,
as ccsim merges its pre-drawn arrivals), so they cost no heap operation; a patience timer whose caller was answered
is ignored when it fires; ``random.Random`` draws, exponential ones inlined as ``-log(1 - u) * mean``. The
single-queue loop (W1) and the skill-based loop (W2) repeat their arrival and service-start steps on purpose:
shared helpers would put function calls into the hot loop and slow the yardstick down.

What it models (``workload`` refuses a scenario that needs more):

- Poisson arrivals at each call type's constant rate (times ``run.volume_factor``) over ``run.days``; the call
  types' streams are merged into one Poisson stream of the summed rate whose calls draw their type by its share
  (the superposition of independent Poisson streams: the same arrival process);
- handle time: exponential or lognormal (mean, cv), drawn when service starts, times the group's factor;
- patience: exponential or lognormal, or none; a caller waiting longer hangs up;
- agent groups of constant size. One call type and one group (W1): an M/M/c+M loop with a counter of idle agents
  and one FIFO queue. Otherwise (W2) ccsim's routing rules: an arriving call goes to the idle agent of its best
  skill rank, longest idle first; a freed agent takes the call of its best rank, then lowest priority number, then
  longest waiting; FIFO within a call type;
- after the horizon no call arrives and the calls in the system finish.

Not modelled (ccsim's extra work): warm-up (its calls are counted here), opening hours, IVR, trunk lines, queue
limits, overflow, redials, shifts, per-call records and every KPI but the abandonment rate and the mean wait of
answered and abandoned calls, which are kept to check that both simulate the same system.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

DAY = 86400.0

Dist = tuple[str, float, float]
"""A duration distribution: ("exponential", mean, 0) or ("lognormal", mu, sigma) of the underlying normal."""


@dataclass(frozen=True)
class CallType:
    rate: float  # calls per second
    handle: Dist
    patience: Dist | None  # None: never hangs up
    priority: int


@dataclass(frozen=True)
class Group:
    agents: int
    skills: dict[int, int]  # call type -> skill rank (1 = first choice)
    factor: float  # multiplies handle times


@dataclass(frozen=True)
class Workload:
    types: tuple[CallType, ...]
    groups: tuple[Group, ...]
    horizon: float  # s: arrivals end here
    seed: int


@dataclass(frozen=True)
class Outcome:
    calls: int
    answered: int
    abandoned: int
    wait_sum: float  # s: waits of answered and abandoned calls

    def figures(self) -> dict[str, float]:
        """Calls and the two check KPIs, defined as ccsim defines them (of answered + abandoned calls)."""
        resolved = self.answered + self.abandoned
        return {"calls": self.calls, "abandon_rate": self.abandoned / resolved, "mean_wait": self.wait_sum / resolved}


def _dist(dist: Any, where: str) -> Dist:
    """A ccsim distribution as a ``Dist``; ValueError for kinds the reference does not model."""
    if dist.dist == "exponential":
        return ("exponential", dist.mean, 0.0)
    if dist.dist == "lognormal":
        sigma2 = math.log1p(dist.cv**2)
        return ("lognormal", math.log(dist.mean) - sigma2 / 2, math.sqrt(sigma2))
    raise ValueError(f"{where}: the reference models exponential and lognormal durations, not {dist.dist}")


def _unsupported(scenario: Any) -> list[str]:
    """What a scenario uses that the reference does not model."""
    found = [key for key in ("opening_hours", "lines", "ivr", "sites") if getattr(scenario, key) is not None]
    for name, (_, ct) in scenario.all_call_types().items():
        a = ct.arrivals
        if a.rate_per_hour is None or a.day_of_week is not None or a.busyness_cv:
            found.append(f"{name}: arrivals other than a constant rate")
        found += [f"{name}.{key}" for key in ("talk_time", "ivr_time", "max_queue", "overflow", "redial")
                  if getattr(ct, key) is not None]
        if ct.deflection:
            found.append(f"{name}.deflection")
    found += [f"{name}: agents other than a constant number" for name, g in scenario.agent_groups.items()
              if g.agents is None]
    return found


def workload(scenario: Any) -> Workload:
    """The reference's model of a loaded ccsim scenario (``sim.scenario.loader.load_scenario``); ValueError if the
    scenario uses features the reference does not model."""
    problems = _unsupported(scenario)
    if problems:
        raise ValueError(f"{scenario.name}: the heapq reference does not model {', '.join(problems)}")
    run, index = scenario.run, {}
    types: list[CallType] = []
    for name, (_, ct) in scenario.all_call_types().items():
        index[name] = len(types)
        patience = _dist(ct.patience, f"{name}.patience") if ct.patience is not None else None
        types.append(CallType(ct.arrivals.rate_per_hour * run.volume_factor / 3600.0,
                              _dist(ct.handle_time, f"{name}.handle_time"), patience, ct.priority))
    groups = tuple(Group(g.agents, {index[t]: rank for t, rank in g.skills.items()}, g.handle_time_factor)
                   for g in scenario.agent_groups.values())
    return Workload(tuple(types), groups, run.days * DAY, run.seed)


def _durations(rng: random.Random, dist: Dist) -> tuple[float, Callable[[], float] | None]:
    """(mean, None) for an exponential distribution, whose draws the loops inline as ``-log(1 - u) * mean``;
    (0, a function drawing one duration) for a lognormal one."""
    kind, a, b = dist
    return (a, None) if kind == "exponential" else (0.0, partial(rng.lognormvariate, a, b))


def simulate(w: Workload) -> Outcome:
    """Run the reference loop that fits the workload: one queue and one group, or skill-based routing."""
    if len(w.types) == 1 and len(w.groups) == 1:
        return _one_queue(w)
    return _skills(w)


def _one_queue(w: Workload) -> Outcome:
    """M/G/c+G, FIFO: one call type, one group of ``agents`` (W1). The heap holds (service end, -1) and
    (patience end, call)."""
    rng = random.Random(w.seed)
    u, log, push, pop, horizon, inf = rng.random, math.log, heapq.heappush, heapq.heappop, w.horizon, math.inf
    (ct,), (group,) = w.types, w.groups
    gap, factor, impatient = 1.0 / ct.rate, group.factor, ct.patience is not None
    h_mean, h_draw = _durations(rng, ct.handle)
    p_mean, p_draw = _durations(rng, ct.patience) if ct.patience else (0.0, None)
    heap: list[tuple[float, int]] = []
    queue: deque[int] = deque()
    waiting: dict[int, float] = {}  # call -> instant it queued, while it waits
    idle, calls, answered, abandoned, wait_sum = group.agents, 0, 0, 0, 0.0
    arrival = -log(1.0 - u()) * gap
    while True:
        if heap and heap[0][0] <= arrival:
            now, call = pop(heap)
            if call >= 0:
                since = waiting.pop(call, None)
                if since is not None:
                    abandoned += 1
                    wait_sum += now - since
                continue
            while queue:
                since = waiting.pop(queue.popleft(), None)
                if since is not None:
                    answered += 1
                    wait_sum += now - since
                    push(heap, (now + (-log(1.0 - u()) * h_mean if h_draw is None else h_draw()) * factor, -1))
                    break
            else:
                idle += 1
        elif arrival != inf:
            now, call = arrival, calls
            calls += 1
            arrival = now - log(1.0 - u()) * gap
            if arrival >= horizon:
                arrival = inf
            if idle:
                idle -= 1
                answered += 1
                push(heap, (now + (-log(1.0 - u()) * h_mean if h_draw is None else h_draw()) * factor, -1))
            else:
                waiting[call] = now
                queue.append(call)
                if impatient:
                    push(heap, (now + (-log(1.0 - u()) * p_mean if p_draw is None else p_draw()), call))
        else:
            return Outcome(calls, answered, abandoned, wait_sum)


def _tiers(ranked: dict[int, int]) -> tuple[tuple[int, ...], ...]:
    """{index: rank} -> indices grouped by rank, best rank first, in index order within a rank."""
    return tuple(tuple(sorted(i for i, r in ranked.items() if r == rank)) for rank in sorted(set(ranked.values())))


def _skills(w: Workload) -> Outcome:
    """Several call types and agent groups with ranked skills, routed by ccsim's rules (W2). The heap holds
    (service end, group) and (patience end, -1 - call)."""
    rng = random.Random(w.seed)
    u, log, push, pop, horizon, inf = rng.random, math.log, heapq.heappush, heapq.heappop, w.horizon, math.inf
    n, total = len(w.types), sum(t.rate for t in w.types)
    shares = [sum(t.rate for t in w.types[: k + 1]) / total for k in range(n - 1)]  # type = bisect(shares, u)
    handle = [_durations(rng, t.handle) for t in w.types]
    patience = [_durations(rng, t.patience) if t.patience else None for t in w.types]
    priority = [t.priority for t in w.types]
    factor = [g.factor for g in w.groups]
    groups_of = [_tiers({g: grp.skills[t] for g, grp in enumerate(w.groups) if t in grp.skills}) for t in range(n)]
    types_of = [_tiers(g.skills) for g in w.groups]
    idle = [deque([0.0] * g.agents) for g in w.groups]  # per group: instants its idle agents became idle
    queues: list[deque[int]] = [deque() for _ in range(n)]
    waiting: dict[int, float] = {}  # call -> instant it queued, while it waits
    heap: list[tuple[float, int]] = []
    calls, answered, abandoned, wait_sum = 0, 0, 0, 0.0
    gap, arrival = 1.0 / total, -log(1.0 - u()) / total
    while True:
        if heap and heap[0][0] <= arrival:
            now, g = pop(heap)
            if g < 0:
                since = waiting.pop(-1 - g, None)
                if since is not None:
                    abandoned += 1
                    wait_sum += now - since
                continue
            best, key = -1, (0, 0.0)
            for tier in types_of[g]:
                for t in tier:
                    queue = queues[t]
                    while queue and queue[0] not in waiting:
                        queue.popleft()
                    if queue and (best < 0 or (priority[t], waiting[queue[0]]) < key):
                        best, key = t, (priority[t], waiting[queue[0]])
                if best >= 0:
                    break
            if best >= 0:
                answered += 1
                wait_sum += now - waiting.pop(queues[best].popleft())
                h_mean, h_draw = handle[best]
                push(heap, (now + (-log(1.0 - u()) * h_mean if h_draw is None else h_draw()) * factor[g], g))
            else:
                idle[g].append(now)
        elif arrival != inf:
            now, call = arrival, calls
            calls += 1
            arrival = now - log(1.0 - u()) * gap
            if arrival >= horizon:
                arrival = inf
            t = bisect(shares, u())
            best, since = -1, inf
            for tier in groups_of[t]:
                for h in tier:
                    agents = idle[h]
                    if agents and agents[0] < since:
                        best, since = h, agents[0]
                if best >= 0:
                    break
            if best >= 0:
                idle[best].popleft()
                answered += 1
                h_mean, h_draw = handle[t]
                push(heap, (now + (-log(1.0 - u()) * h_mean if h_draw is None else h_draw()) * factor[best], best))
            else:
                waiting[call] = now
                queues[t].append(call)
                hangs_up = patience[t]
                if hangs_up is not None:
                    p_mean, p_draw = hangs_up
                    push(heap, (now + (-log(1.0 - u()) * p_mean if p_draw is None else p_draw()), -1 - call))
        else:
            return Outcome(calls, answered, abandoned, wait_sum)
