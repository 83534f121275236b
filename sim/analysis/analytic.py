"""Closed-form and exact numerical queueing results for cross-checks, staffing and reports.

Pure functions, no simulation. Times are in seconds and rates per second. ``servers`` is c (agents),
``load`` is the offered traffic a = arrival_rate * mean_service in Erlangs, and mu = 1 / mean_service.

Stability convention: an M/M/c queue with a >= c has no steady state; Erlang C then returns the saturated
limit (every call waits, ASA infinite, service level 0) instead of raising, so staffing searches and report
tables can show the row. Models with abandonment or blocking (Erlang A, M/M/c/K, M/M/c+D) are stable for
every load.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# scipy.special is imported by the functions that use it: a run imports this module (the analytic twin, the
# staffing table of reports) and need not pay for scipy's import unless a formula with it is evaluated.

__all__ = [
    "MMCD",
    "MMCK",
    "ErlangA",
    "ErlangC",
    "agents_for_service_level",
    "cobham_priority_waits",
    "erlang_a",
    "erlang_a_abandoned_within",
    "erlang_b",
    "erlang_c",
    "erlang_c_wait_cdf",
    "mmc_deterministic_patience",
    "mmck",
    "square_root_staffing",
]

_TAIL_LOG_EPS = 40.0  # truncated queue-length tails weigh less than exp(-40) of the largest term


def _check_system(servers: int, arrival_rate: float, mean_service: float) -> None:
    if servers < 1:
        raise ValueError(f"servers must be >= 1, got {servers}")
    if not 0.0 <= arrival_rate < math.inf:
        raise ValueError(f"arrival_rate must be finite and >= 0, got {arrival_rate}")
    if not 0.0 < mean_service < math.inf:
        raise ValueError(f"mean_service must be finite and > 0, got {mean_service}")


def _check_time(name: str, value: float) -> None:
    if not value >= 0.0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c (Erlang B) for ``load`` Erlangs offered to ``servers`` lines.

    Standard recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)); stable for thousands of servers.
    """
    if servers < 0:
        raise ValueError(f"servers must be >= 0, got {servers}")
    if not 0.0 <= load < math.inf:
        raise ValueError(f"load must be finite and >= 0, got {load}")
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def _erlang_c_from_b(servers: int, load: float, blocking: float) -> float:
    """Erlang C probability of waiting from Erlang B: C = c B / (c - a (1 - B)); 1 when a >= c."""
    if load >= servers:
        return 1.0
    return servers * blocking / (servers - load * (1.0 - blocking))


@dataclass(frozen=True)
class ErlangC:
    """M/M/c steady state: ``service_level`` = P(W <= threshold) and ``asa`` = E[W], both over all calls."""

    p_wait: float
    service_level: float
    asa: float
    mean_wait_given_wait: float
    occupancy: float


def erlang_c(servers: int, arrival_rate: float, mean_service: float, threshold: float = 20.0) -> ErlangC:
    """Erlang C (M/M/c, FIFO, infinite queue, no abandonment).

    C = P(W > 0); P(W <= t) = 1 - C exp(-(c mu - lambda) t); E[W] = C / (c mu - lambda);
    E[W | W > 0] = 1 / (c mu - lambda); occupancy = a / c. If a >= c the saturated limit is returned:
    p_wait 1, service_level 0, asa and mean_wait_given_wait infinite, occupancy 1.
    """
    _check_system(servers, arrival_rate, mean_service)
    _check_time("threshold", threshold)
    load = arrival_rate * mean_service
    if load >= servers:
        return ErlangC(1.0, service_level=0.0, asa=math.inf, mean_wait_given_wait=math.inf, occupancy=1.0)
    p_wait = _erlang_c_from_b(servers, load, erlang_b(servers, load))
    drain = servers / mean_service - arrival_rate
    return ErlangC(
        p_wait=p_wait,
        service_level=1.0 - p_wait * math.exp(-drain * threshold),
        asa=p_wait / drain,
        mean_wait_given_wait=1.0 / drain,
        occupancy=load / servers,
    )


def erlang_c_wait_cdf(servers: int, arrival_rate: float, mean_service: float, t: float) -> float:
    """P(W <= t) in M/M/c: 1 - C exp(-(c mu - lambda) t) for t >= 0; 0 for t < 0 or an unstable queue."""
    _check_system(servers, arrival_rate, mean_service)
    if t < 0.0 or arrival_rate * mean_service >= servers:
        return 0.0
    return erlang_c(servers, arrival_rate, mean_service, threshold=t).service_level


@dataclass(frozen=True)
class ErlangA:
    """M/M/c+M steady state; every probability and mean is over ALL arrivals unless named otherwise.

    mean_wait: E[time in queue] incl. abandoners; mean_wait_answered: ASA = E[W | answered];
    service_level: P(answered and W <= threshold); occupancy: lambda (1 - p_abandon) / (c mu).
    """

    p_wait: float
    p_abandon: float
    mean_wait: float
    mean_wait_answered: float
    service_level: float
    p_answered: float
    occupancy: float


def _queue_log_weights(x: float, y: float) -> np.ndarray:
    """log(p_{c+k} / p_c) = sum_{j<=k} log(y / (x + j)) for k = 0..K-1, K chosen so the tail is negligible."""
    size = 64
    while True:
        steps = math.log(y) - np.log(x + np.arange(1.0, size))
        log_w = np.concatenate(([0.0], np.cumsum(steps)))
        last = steps[-1]
        if last < 0.0 and log_w[-1] - math.log(-math.expm1(last)) < log_w.max() - _TAIL_LOG_EPS:
            return log_w
        size *= 2


def erlang_a(
    servers: int, arrival_rate: float, mean_service: float, mean_patience: float, threshold: float = 20.0
) -> ErlangA:
    """Erlang A / Palm (M/M/c+M, FIFO, exponential patience with rate theta = 1 / mean_patience).

    Exact, no approximation beyond an exp(-40) truncation of the queue-length tail. With x = c mu / theta,
    y = lambda / theta and k calls queued ahead of an arrival, p_{c+k} = p_c y^k / prod_{j=1..k}(x + j)
    (Mandelbaum & Zeltyn 2005, "The Palm/Erlang-A queue"): with S = sum_k p_{c+k}/p_c and B = Erlang B(c, a),
    P(W > 0) = S B / (1 - B + S B). The tagged arrival's offered wait V is a sum of Exp(theta (x + j)),
    j = 0..k, so U = exp(-theta V) ~ Beta(x, k + 1). It is answered iff its patience exceeds V, hence
    P(answered | k) = x / (x + k + 1),
    P(answered, W <= t | k) = x / (x + k + 1) * I_{1 - exp(-theta t)}(k + 1, x + 1) (regularised beta),
    E[W; answered | k] = x / (x + k + 1) * sum_{j=1..k+1} 1 / (x + j) / theta.
    Works for any load (rho > 1 too); mean_patience = inf gives Erlang C.
    """
    from scipy.special import betainc, expit, logsumexp

    _check_system(servers, arrival_rate, mean_service)
    _check_time("threshold", threshold)
    if not mean_patience > 0.0:
        raise ValueError(f"mean_patience must be > 0, got {mean_patience}")
    load = arrival_rate * mean_service
    if math.isinf(mean_patience):
        c = erlang_c(servers, arrival_rate, mean_service, threshold)
        return ErlangA(c.p_wait, 0.0, c.asa, c.asa, c.service_level, 1.0, c.occupancy)
    blocking = erlang_b(servers, load)
    if blocking == 0.0:  # no traffic, or so little that all-busy has probability below 1e-308
        return ErlangA(0.0, 0.0, 0.0, 0.0, 1.0, 1.0, load / servers)
    x, y = servers * mean_patience / mean_service, arrival_rate * mean_patience
    log_w = _queue_log_weights(x, y)
    log_s = float(logsumexp(log_w))
    q = np.exp(log_w - log_s)  # distribution of the number queued ahead, given the arrival waits
    p_wait = float(expit(log_s + math.log(blocking) - math.log1p(-blocking)))  # S B / (1 - B + S B)
    k = np.arange(q.size, dtype=float)
    answered_k = x / (x + k + 1.0)
    p_abandon = p_wait * float(q @ ((k + 1.0) / (x + k + 1.0)))
    within = betainc(k + 1.0, x + 1.0, -math.expm1(-threshold / mean_patience))
    wait_answered = p_wait * mean_patience * float(q @ (answered_k * np.cumsum(1.0 / (x + k + 1.0))))
    return ErlangA(
        p_wait=p_wait,
        p_abandon=p_abandon,
        mean_wait=p_abandon * mean_patience,
        mean_wait_answered=wait_answered / (1.0 - p_abandon),
        service_level=1.0 - p_wait + p_wait * float(q @ (answered_k * within)),
        p_answered=1.0 - p_abandon,
        occupancy=load * (1.0 - p_abandon) / servers,
    )


def erlang_a_abandoned_within(
    servers: int, arrival_rate: float, mean_service: float, mean_patience: float, threshold: float
) -> float:
    """P(abandon with a wait <= threshold) in M/M/c+M, over all arrivals (the service-level definitions that leave
    out short or early abandons need it).

    A caller waits min(V, P) with offered wait V and patience P ~ Exp(theta), independent, and abandons iff P <= V,
    so P(abandon, wait <= t) = P(min(V, P) <= t) - P(answered, W <= t) = 1 - P(V > t) exp(-theta t) - SL(t).
    Given k queued ahead, U = exp(-theta V) ~ Beta(x, k + 1) (see erlang_a), so P(V > t | k) = I_{exp(-theta t)}
    (x, k + 1). mean_patience = inf gives 0.
    """
    from scipy.special import betainc, logsumexp

    _check_time("threshold", threshold)
    a = erlang_a(servers, arrival_rate, mean_service, mean_patience, threshold)
    if math.isinf(mean_patience) or a.p_wait == 0.0:
        return 0.0
    x, y = servers * mean_patience / mean_service, arrival_rate * mean_patience
    log_w = _queue_log_weights(x, y)
    q = np.exp(log_w - float(logsumexp(log_w)))
    k = np.arange(q.size, dtype=float)
    survive = math.exp(-threshold / mean_patience)
    p_longer = a.p_wait * float(q @ betainc(x, k + 1.0, survive))
    return min(a.p_abandon, max(0.0, 1.0 - p_longer * survive - a.service_level))


@dataclass(frozen=True)
class MMCK:
    """M/M/c/K steady state (K = capacity = servers + waiting places).

    p_wait = P(c <= N < K) over ALL arrivals (accepted and must wait);
    p_wait_accepted = p_wait / (1 - p_block); mean_wait (Wq) and mean_sojourn (W) are over accepted calls.
    """

    p0: float
    p_block: float
    p_wait: float
    p_wait_accepted: float
    mean_in_system: float
    mean_queue: float
    mean_wait: float
    mean_sojourn: float


def mmck(servers: int, capacity: int, arrival_rate: float, mean_service: float) -> MMCK:
    """M/M/c/K (Erlang's loss-delay system): p_n = p0 a^n / n! for n <= c, p_c (a / c)^(n - c) for c < n <= K.

    Solved in log space (stable for large c and K); blocked calls are lost (PASTA: p_block = p_K).
    Wq = Lq / (lambda (1 - p_K)), W = L / (lambda (1 - p_K)) by Little's law. capacity = servers is Erlang B.
    """
    from scipy.special import gammaln, logsumexp, xlogy

    _check_system(servers, arrival_rate, mean_service)
    if capacity < servers:
        raise ValueError(f"capacity must be >= servers ({servers}), got {capacity}")
    load = arrival_rate * mean_service
    n_low = np.arange(servers + 1)
    log_low = xlogy(n_low, load) - gammaln(n_low + 1.0)
    log_high = log_low[-1] + xlogy(np.arange(1, capacity - servers + 1), load / servers)
    log_p = np.concatenate((log_low, log_high))
    p = np.exp(log_p - logsumexp(log_p))
    n = np.arange(capacity + 1)
    in_system, in_queue = float(n @ p), float(np.maximum(n - servers, 0) @ p)
    p_block = float(p[-1])
    p_wait = float(p[servers:capacity].sum())
    throughput = arrival_rate * (1.0 - p_block)
    return MMCK(
        p0=float(p[0]),
        p_block=p_block,
        p_wait=p_wait,
        p_wait_accepted=p_wait / (1.0 - p_block),
        mean_in_system=in_system,
        mean_queue=in_queue,
        mean_wait=in_queue / throughput if throughput > 0.0 else 0.0,
        mean_sojourn=in_system / throughput if throughput > 0.0 else mean_service,
    )


def cobham_priority_waits(arrival_rates: Sequence[float], servers: int, mean_service: float) -> list[float]:
    """Mean wait per class in M/M/c with non-preemptive priorities (class 0 highest), common service rate mu.

    Cobham (1954); Kella & Yechiali (1985): W_k = C(c, a) / (c mu) / ((1 - sigma_{k-1}) (1 - sigma_k)) with
    sigma_k = sum_{i<=k} lambda_i / (c mu) and C the Erlang C probability for the total load. A class with
    sigma_k >= 1 (and every class below it) gets math.inf.
    """
    rates = [float(r) for r in arrival_rates]
    _check_system(servers, sum(rates), mean_service)
    if min(rates, default=0.0) < 0.0:
        raise ValueError(f"arrival rates must be >= 0, got {rates}")
    load = sum(rates) * mean_service
    capacity = servers / mean_service
    base = _erlang_c_from_b(servers, load, erlang_b(servers, load)) / capacity
    waits: list[float] = []
    sigma_prev = 0.0
    for rate in rates:
        sigma = sigma_prev + rate / capacity
        waits.append(base / ((1.0 - sigma_prev) * (1.0 - sigma)) if sigma < 1.0 else math.inf)
        sigma_prev = sigma
    return waits


@dataclass(frozen=True)
class MMCD:
    """M/M/c+D steady state (constant patience tau), over ALL arrivals unless named otherwise.

    p_wait: P(all agents busy on arrival); p_abandon: P(V >= tau) (the call leaves, or overflows, after tau);
    mean_wait: E[min(V, tau)]; mean_wait_served: E[V | V < tau]; service_level: P(served and W <= threshold).
    """

    p_wait: float
    p_abandon: float
    mean_wait: float
    mean_wait_served: float
    service_level: float


def _h0_scaled(z: float) -> float:
    """exp(-max(z, 0)) * integral_0^1 exp(z s) ds, free of overflow."""
    return 1.0 if z == 0.0 else -math.expm1(-abs(z)) / abs(z)


def _h1(z: float) -> float:
    """integral_0^1 s exp(z s) ds for z <= 0 (Taylor series near 0 against cancellation)."""
    if abs(z) < 1e-2:
        return 0.5 + z / 3.0 + z * z / 8.0 + z**3 / 30.0
    return (z * math.exp(z) - math.expm1(z)) / (z * z)


def _h1_scaled(z: float) -> float:
    """exp(-max(z, 0)) * integral_0^1 s exp(z s) ds, free of overflow."""
    return _h1(z) if z <= 0.0 else _h0_scaled(z) - _h1(-z)


def mmc_deterministic_patience(
    servers: int, arrival_rate: float, mean_service: float, patience: float, threshold: float = 20.0
) -> MMCD:
    """M/M/c+D: FIFO, every caller waits at most ``patience`` = tau (e.g. overflow after tau).

    Virtual (offered) wait V (Baccelli & Hebuterne 1981; Mandelbaum & Zeltyn, "The M/M/n+G queue: summary of
    performance measures", with G = deterministic): with P0 = P(fewer than c busy) and
    p_{c-1} = P0 * ErlangB(c-1, a), V has an atom 1 - P(W > 0) at 0 and density
    f(v) = lambda p_{c-1} exp((lambda - c mu) v) on (0, tau), f(v) = f(tau) exp(-c mu (v - tau)) for v >= tau,
    because only calls with V < tau join the servers' backlog. P0 follows from normalisation; a call is served
    iff V < tau and waits min(V, tau). tau = 0 gives Erlang B, tau -> inf Erlang C.
    """
    _check_system(servers, arrival_rate, mean_service)
    _check_time("threshold", threshold)
    if not 0.0 <= patience < math.inf:
        raise ValueError(f"patience must be finite and >= 0 (for none use erlang_c), got {patience}")
    if arrival_rate == 0.0:
        return MMCD(0.0, 0.0, 0.0, 0.0, 1.0)
    drift = arrival_rate - servers / mean_service
    z = drift * patience
    scale = math.exp(-max(z, 0.0))  # every mass below is multiplied by this to avoid overflow
    entry = arrival_rate * erlang_b(servers - 1, arrival_rate * mean_service)  # f(0+) / P0
    short = min(threshold, patience)
    waiting_short = entry * patience * _h0_scaled(z)
    waiting_long = entry * math.exp(z - max(z, 0.0)) * mean_service / servers
    wait_mass = entry * patience**2 * _h1_scaled(z)
    within = entry * short * _h0_scaled(drift * short) * math.exp(max(drift * short, 0.0) - max(z, 0.0))
    total = scale + waiting_short + waiting_long
    return MMCD(
        p_wait=(waiting_short + waiting_long) / total,
        p_abandon=waiting_long / total,
        mean_wait=(wait_mass + patience * waiting_long) / total,
        mean_wait_served=wait_mass / (scale + waiting_short),
        service_level=(scale + within) / total,
    )


def agents_for_service_level(
    arrival_rate: float,
    mean_service: float,
    target: float,
    threshold: float,
    max_occupancy: float | None = None,
) -> int:
    """Smallest c >= 1 with Erlang C P(W <= threshold) >= target and, if given, a / c <= max_occupancy.

    Erlang B is stepped incrementally from c = floor(a) + 1, so the search costs O(c). 0 calls give 1 agent.
    """
    _check_system(1, arrival_rate, mean_service)
    _check_time("threshold", threshold)
    if not 0.0 <= target < 1.0:
        raise ValueError(f"target must be in [0, 1), got {target}")
    if max_occupancy is not None and not 0.0 < max_occupancy <= 1.0:
        raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy}")
    load = arrival_rate * mean_service
    servers = math.floor(load) + 1
    blocking = erlang_b(servers, load)
    while True:
        p_wait = _erlang_c_from_b(servers, load, blocking)
        level = 1.0 - p_wait * math.exp(-(servers / mean_service - arrival_rate) * threshold)
        if level >= target and (max_occupancy is None or load / servers <= max_occupancy):
            return servers
        servers += 1
        blocking = load * blocking / (servers + load * blocking)


def square_root_staffing(load: float, beta: float) -> int:
    """Square-root safety staffing ceil(a + beta sqrt(a)) (Halfin & Whitt 1981; Borst et al. 2004)."""
    if not 0.0 <= load < math.inf:
        raise ValueError(f"load must be finite and >= 0, got {load}")
    return math.ceil(load + beta * math.sqrt(load))
