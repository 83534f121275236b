"""Exact references for the channels beyond inbound voice: small continuous-time Markov chains, solved
numerically, and a fluid model of deferrable work.

- ``dialer``: an outbound dialer with c agents, exponential ring and handle times and a pacing rule (progressive:
  one line per idle agent, which never makes a silent call; predictive: ``floor(ratio x idle agents)`` lines).
- ``blended``: c agents shared by inbound calls (Poisson, exponential handle time and patience, a finite queue)
  and an endless outbound list, with a reserve of idle agents that outbound work may not use.
- ``fluid_backlog``: the deterministic backlog of deferrable work (e-mail, back office) under piecewise-constant
  arrival and work rates, and the FIFO age at answer of each step's items.

Chains are enumerated from their empty state and solved with a sparse LU (scipy): pi Q = 0, sum pi = 1. Rates are
per second, times in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

S = TypeVar("S", bound=Hashable)

MAX_STATES = 200_000
"""Larger chains are refused (their LU would not fit a laptop's memory)."""


def stationary(start: S, moves: Callable[[S], Iterable[tuple[S, float]]]) -> dict[S, float]:
    """Stationary distribution of the irreducible chain reachable from ``start``; ``moves(s)`` lists the
    (next state, rate) pairs out of ``s`` (rates > 0; several pairs may lead to the same state)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import spsolve

    index: dict[S, int] = {start: 0}
    order, rows, cols, vals = [start], [], [], []
    k = 0
    while k < len(order):
        s = order[k]
        for t, rate in moves(s):
            if not rate > 0.0:
                raise ValueError(f"rate from {s} to {t} must be > 0, got {rate}")
            j = index.setdefault(t, len(order))
            if j == len(order):
                order.append(t)
                if len(order) > MAX_STATES:
                    raise ValueError(f"the chain has more than {MAX_STATES} states")
            if j != k:
                rows += [k, k]
                cols += [j, k]
                vals += [rate, -rate]
        k += 1
    n = len(order)
    if n == 1:
        return {start: 1.0}
    _check_returns(n, rows[0::2], cols[0::2])
    q = coo_matrix((np.array(vals), (np.array(cols), np.array(rows))), shape=(n, n)).tolil()  # Q transposed: Q^T pi = 0
    q[n - 1, :] = np.ones(n)  # ... with one balance equation replaced by sum(pi) = 1
    rhs = np.zeros(n)
    rhs[n - 1] = 1.0
    pi = np.asarray(spsolve(q.tocsc(), rhs))
    pi = np.maximum(pi, 0.0)
    pi /= pi.sum()
    return dict(zip(order, pi.tolist(), strict=True))


def _check_returns(n: int, sources: list[int], targets: list[int]) -> None:
    """Every state leads back to state 0 (with all states reachable from it: the chain is irreducible)."""
    into: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(sources, targets, strict=True):
        into[b].append(a)
    seen, todo = {0}, [0]
    while todo:
        for a in into[todo.pop()]:
            if a not in seen:
                seen.add(a)
                todo.append(a)
    if len(seen) < n:
        raise ValueError(f"the chain is not irreducible: {n - len(seen)} of {n} states never return")


def _positive(**values: float) -> None:
    for name, value in values.items():
        if not 0.0 < value < math.inf:
            raise ValueError(f"{name} must be finite and > 0, got {value}")


@dataclass(frozen=True)
class Dialer:
    """Long-run rates of an outbound dialer (per second) and shares."""

    attempts: float  # calls dialled
    connects: float  # live answers (right or wrong party), with or without a free agent
    handled: float  # live answers put through to an agent
    abandoned: float  # live answers with no free agent: silent calls
    abandon_share: float  # abandoned / connects, the figure regulators limit
    occupancy: float  # mean share of agents talking to a live answer (ringing excluded)
    lines: float  # mean calls ringing


def dialer(agents: int, mean_ring: float, connect: float, mean_handle: float, ratio: float | None = None) -> Dialer:
    """An outbound dialer with an endless list: each attempt rings an Exp(``mean_ring``) time, then is answered
    live with probability ``connect`` (else no answer, busy or machine: the line is free again); a live answer
    is put through to a free agent, who handles it for an Exp(``mean_handle``) time, or is abandoned (silent)
    if every agent is busy. Dialing is instantaneous: after every event the dialer tops the ringing lines up
    to ``floor(ratio x idle agents)``; ``ratio`` None is progressive dialing (one line per idle agent, reserved
    for it: no silent calls). Lines ringing above the target (after an answer) are not hung up.

    State (agents talking k, lines ringing r)."""
    if agents < 1:
        raise ValueError(f"agents must be >= 1, got {agents}")
    _positive(mean_ring=mean_ring, mean_handle=mean_handle)
    if not 0.0 < connect <= 1.0:
        raise ValueError(f"connect must be in (0, 1], got {connect}")
    pace = 1.0 if ratio is None else ratio
    if not 1.0 <= pace < math.inf:
        raise ValueError(f"ratio must be >= 1, got {ratio}")
    ring, handle = 1.0 / mean_ring, 1.0 / mean_handle

    def top_up(k: int, r: int) -> tuple[int, int]:
        return k, max(r, math.floor(pace * (agents - k) + 1e-9))

    def moves(s: tuple[int, int]) -> Iterable[tuple[tuple[int, int], float]]:
        k, r = s
        if k:
            yield top_up(k - 1, r), k * handle
        if r:
            if connect < 1.0:
                yield top_up(k, r - 1), r * ring * (1.0 - connect)
            yield top_up(min(k + 1, agents), r - 1), r * ring * connect

    pi = stationary(top_up(0, 0), moves)
    lines = sum(p * r for (_, r), p in pi.items())
    silent = ring * connect * sum(p * r for (k, r), p in pi.items() if k == agents)
    connects = ring * connect * lines
    return Dialer(
        attempts=ring * lines,
        connects=connects,
        handled=connects - silent,
        abandoned=silent,
        abandon_share=silent / connects,
        occupancy=sum(p * k for (k, _), p in pi.items()) / agents,
        lines=lines,
    )


@dataclass(frozen=True)
class Blended:
    """Long-run figures of a blended team: inbound shares over all inbound arrivals, rates per second."""

    p_wait: float  # arrivals that find no idle agent (and room in the queue)
    p_blocked: float  # arrivals that find the queue full (busy signal)
    p_abandon: float  # arrivals that hang up while waiting
    mean_wait: float  # mean wait over all arrivals (0 for those served at once or blocked)
    outbound: float  # outbound calls completed per second
    inbound_agents: float  # mean agents on inbound calls
    outbound_agents: float  # mean agents on outbound calls


def blended(agents: int, reserve: int, arrival_rate: float, mean_inbound: float, mean_outbound: float,
            max_queue: int, mean_patience: float = math.inf) -> Blended:
    """c = ``agents`` agents shared by inbound calls (Poisson ``arrival_rate``, Exp(``mean_inbound``) handle time,
    Exp(``mean_patience``) patience, at most ``max_queue`` waiting: further arrivals get a busy signal) and an
    endless outbound list (Exp(``mean_outbound``) per call). An agent who is free takes the longest-waiting
    inbound call; with none waiting, it starts an outbound call if more than ``reserve`` agents are idle, else it
    idles. Outbound calls are never interrupted (an agent finishes its outbound call before taking inbound).

    State (inbound calls in the system b, outbound calls o); after every event outbound calls start while more
    than ``reserve`` agents are idle."""
    if agents < 1 or not 0 <= reserve <= agents:
        raise ValueError(f"need agents >= 1 and 0 <= reserve <= agents, got {agents} and {reserve}")
    if max_queue < 0:
        raise ValueError(f"max_queue must be >= 0, got {max_queue}")
    _positive(arrival_rate=arrival_rate, mean_inbound=mean_inbound, mean_outbound=mean_outbound)
    if not mean_patience > 0.0:
        raise ValueError(f"mean_patience must be > 0, got {mean_patience}")
    mu_in, mu_out = 1.0 / mean_inbound, 1.0 / mean_outbound
    theta = 0.0 if math.isinf(mean_patience) else 1.0 / mean_patience

    def settle(b: int, o: int) -> tuple[int, int]:
        while agents - o - min(b, agents - o) > reserve:
            o += 1
        return b, o

    def moves(s: tuple[int, int]) -> Iterable[tuple[tuple[int, int], float]]:
        b, o = s
        serving = min(b, agents - o)
        queued = b - serving
        if queued < max_queue:
            yield settle(b + 1, o), arrival_rate
        if serving:
            yield settle(b - 1, o), serving * mu_in
        if o:
            yield settle(b, o - 1), o * mu_out
        if queued and theta:
            yield settle(b - 1, o), queued * theta

    pi = stationary(settle(0, 0), moves)
    p_wait = p_blocked = queue = inbound = outbound = 0.0
    for (b, o), p in pi.items():
        serving = min(b, agents - o)
        queued = b - serving
        if serving + o == agents:
            if queued < max_queue:
                p_wait += p
            else:
                p_blocked += p
        queue += p * queued
        inbound += p * serving
        outbound += p * o
    return Blended(
        p_wait=p_wait,
        p_blocked=p_blocked,
        p_abandon=theta * queue / arrival_rate,
        mean_wait=queue / arrival_rate,  # Little's law over all arrivals
        outbound=mu_out * outbound,
        inbound_agents=inbound,
        outbound_agents=outbound,
    )


@dataclass(frozen=True)
class Backlog:
    """The fluid backlog at every step boundary and the FIFO age at the start of work of each step's items."""

    backlog: np.ndarray  # items waiting at the start of each step, and (last entry) at the end
    age: np.ndarray  # mean time from arrival to the start of work of the items arriving in each step
    """NaN for a step without arrivals; inf if some of its items are not started within the horizon."""


_AGE_POINTS = 512
"""Midpoints per step at which the age is averaged (it is piecewise linear: error far below 1e-6 of a step)."""


def fluid_backlog(arrivals: Sequence[float], capacity: Sequence[float], step: float,
                  initial: float = 0.0) -> Backlog:
    """Deferrable work as a fluid: in step j items arrive at ``arrivals[j]`` per second and agents can start
    ``capacity[j]`` items per second (agents on this work / mean handle time), first in, first out; ``initial``
    items wait at time 0. Work starts at the capacity rate while a backlog remains, else as it arrives. The
    item arriving at t starts when the cumulative work started, D, reaches initial + A(t). The law of large
    numbers makes this the limit of the stochastic backlog for large volumes."""
    lam = np.asarray(arrivals, dtype=float)
    cap = np.asarray(capacity, dtype=float)
    if lam.shape != cap.shape or lam.ndim != 1:
        raise ValueError("arrivals and capacity need one rate per step each")
    if np.any(lam < 0) or np.any(cap < 0) or not 0 < step < math.inf or not 0 <= initial < math.inf:
        raise ValueError("rates and the initial backlog must be >= 0, the step > 0")
    n = lam.size
    backlog = np.empty(n + 1)
    done = np.empty(n + 1)  # cumulative work started at each step boundary
    backlog[0], done[0] = initial, 0.0
    for j in range(n):
        backlog[j + 1] = max(0.0, backlog[j] + (lam[j] - cap[j]) * step)
        done[j + 1] = done[j] + backlog[j] + lam[j] * step - backlog[j + 1]
    fluid = _Fluid(lam, cap, step, backlog, done)
    age = np.full(n, np.nan)
    offsets = (np.arange(_AGE_POINTS) + 0.5) * step / _AGE_POINTS
    for j in np.flatnonzero(lam > 0).tolist():
        starts = j * step + offsets
        targets = initial + (np.concatenate(([0.0], np.cumsum(lam * step)))[j] + lam[j] * offsets)
        age[j] = float(np.mean([fluid.reaches(x, t) - t for x, t in zip(targets, starts, strict=True)]))
    return Backlog(backlog=backlog, age=age)


@dataclass(frozen=True)
class _Fluid:
    """The cumulative work started, D(t): piecewise linear with at most two pieces per step."""

    lam: np.ndarray
    cap: np.ndarray
    step: float
    backlog: np.ndarray
    done: np.ndarray

    def _pieces(self, j: int) -> tuple[float, float, float]:
        """(length of the first piece, its slope, the slope after it) in step ``j``."""
        lam, cap, b0 = float(self.lam[j]), float(self.cap[j]), float(self.backlog[j])
        if lam >= cap:
            return self.step, cap, cap
        if b0 <= 0.0:
            return 0.0, cap, lam
        return min(self.step, b0 / (cap - lam)), cap, lam

    def reaches(self, target: float, t: float) -> float:
        """First instant u >= t with D(u) >= target (inf if not within the horizon)."""
        j = min(int(t // self.step), self.lam.size - 1)
        at = t
        while j < self.lam.size:
            first, s1, s2 = self._pieces(j)
            t0 = j * self.step
            d = float(self.done[j]) + s1 * min(at - t0, first) + s2 * max(at - t0 - first, 0.0)
            if d >= target - 1e-9 * max(1.0, target):
                return at
            if at - t0 < first:
                end1 = t0 + first
                if s1 > 0 and d + s1 * (end1 - at) >= target:
                    return at + (target - d) / s1
                d, at = d + s1 * (end1 - at), end1
            end = t0 + self.step
            if s2 > 0 and d + s2 * (end - at) >= target:
                return at + (target - d) / s2
            j, at = j + 1, end
        return math.inf
