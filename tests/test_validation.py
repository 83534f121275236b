"""Validation against queueing theory (docs/validation.md: the tolerance rule).

Every test simulates a stationary scenario (constant Poisson arrivals, agents around the clock) as one long
horizon per replication with the warm-up discarded, and compares whole-run KPIs with the exact steady-state
values of ``sim.analysis.analytic``. The tolerance is about three standard errors of the simulation's own estimate
(``helpers.tolerance``: 95 % t half-width x 3 / 1.96), never a pinned seeded number. Horizons are long enough that
the bias of the empty start (relaxation times of minutes to a few hours, against a warm-up of 2 h or more and
horizons of days) is far below that tolerance; a FIFO call's wait does not depend on later arrivals, so the drain
after the horizon adds no bias either. The seeds are fixed only to make a failure reproducible.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import Checks, scenario, simulate_kpis

from sim.analysis.analytic import cobham_priority_waits, erlang_a, erlang_b, erlang_c, mmc_deterministic_patience, mmck
from sim.analysis.facts import CALL_FIELDS
from sim.analysis.stats import ratio_estimate
from sim.units import DAY

MEAN_SERVICE = 300.0
"""Mean handle time of every validation scenario, s (exponential unless said otherwise)."""
THRESHOLD = 20.0
"""Service-level threshold, s."""
ZERO = 1e-12
"""Absolute epsilon for theory values that are exactly 0 (the simulated interval then has zero width)."""


def _rate_per_hour(load: float) -> float:
    """Arrival rate (calls/h) that offers ``load`` Erlangs at MEAN_SERVICE."""
    return load / MEAN_SERVICE * 3600.0


def _measured_seconds(days: int, warmup_h: float) -> float:
    return days * DAY - warmup_h * 3600.0


# -- 1. M/M/c vs Erlang C ------------------------------------------------------------------------------------------

ERLANG_C_CASES = [
    # agents c, utilisation rho, days per replication, replications, warm-up (h), seed
    pytest.param(2, 0.85, 500, 10, 12, 101, id="small-c2-rho0.85"),
    pytest.param(20, 0.90, 120, 10, 6, 102, marks=pytest.mark.slow, id="medium-c20-rho0.90"),
    pytest.param(100, 0.90, 30, 10, 2, 103, marks=pytest.mark.slow, id="large-c100-rho0.90"),
]


@pytest.mark.parametrize(("agents", "rho", "days", "reps", "warmup_h", "seed"), ERLANG_C_CASES)
def test_mmc_matches_erlang_c(agents: int, rho: float, days: int, reps: int, warmup_h: int, seed: int) -> None:
    """M/M/c (FIFO, infinite queue, no abandonment) against Erlang C.

    Poisson arrivals at lambda = rho * c / E[S], exponential handle time E[S] = 300 s, c agents around the clock,
    ``patience: none``. Erlang C with a = lambda E[S]: P(W > 0) = C(c, a), P(W <= 20 s) = 1 - C exp(-(c mu -
    lambda) 20), ASA = E[W] = C / (c mu - lambda), occupancy a / c, mean queue length Lq = lambda ASA (Little),
    wait quantile w_p = ln(C / (1 - p)) / (c mu - lambda) where C > 1 - p, offered calls lambda x measured time.
    With no abandonment every service-level definition is answered-within / answered.
    """
    s = scenario(f"""
name: erlang_c_{agents}
run: {{days: {days}, replications: {reps}, seed: {seed}, warmup: {warmup_h}h}}
service_level: {{threshold: {THRESHOLD:g}s}}
call_types:
  calls:
    arrivals: {{rate_per_hour: {_rate_per_hour(rho * agents)!r}}}
    handle_time: {{dist: exponential, mean: {MEAN_SERVICE:g}s}}
    patience: none
agent_groups:
  agents: {{skills: [calls], agents: {agents}}}
""")
    lam = s.call_types["calls"].arrivals.rate_per_hour / 3600.0
    theory = erlang_c(agents, lam, MEAN_SERVICE, THRESHOLD)
    _, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    checks = Checks(f"M/M/{agents} rho={rho:g}", reps)
    checks.close("offered", k["offered"], lam * _measured_seconds(days, warmup_h))
    checks.close("p_wait", k["p_wait"], theory.p_wait)
    checks.close("sl_answered_of_offered", k["sl_answered_of_offered"], theory.service_level)
    checks.close("service_level", k["service_level"], theory.service_level)
    checks.close("asa", k["asa"], theory.asa)
    checks.close("mean_wait", k["mean_wait"], theory.asa)
    checks.close("avg_queue_length", k["avg_queue_length"], lam * theory.asa)
    checks.close("occupancy", k["occupancy"], theory.occupancy)
    checks.close("abandon_rate", k["abandon_rate"], 0.0, eps=ZERO)
    drain = agents / MEAN_SERVICE - lam
    for p in (50.0, 80.0, 90.0, 95.0):
        if theory.p_wait >= 1.0 - p / 100.0 + 0.1:  # the quantile lies well inside the continuous part
            checks.close(f"wait_p{p:g}", k[f"wait_p{p:g}"], math.log(theory.p_wait / (1.0 - p / 100.0)) / drain)
    checks.verify()


# -- 2. M/M/c+M vs Erlang A ----------------------------------------------------------------------------------------

ERLANG_A_CASES = [
    # agents c, utilisation rho = lambda E[S] / c, mean patience (s), days, replications, seed
    pytest.param(3, 0.95, 180.0, 250, 10, 201, id="small-c3-rho0.95"),
    pytest.param(20, 0.90, 600.0, 80, 10, 202, id="medium-c20-rho0.90"),
    pytest.param(20, 1.20, 600.0, 60, 10, 203, marks=pytest.mark.slow, id="overloaded-c20-rho1.20"),
]


@pytest.mark.parametrize(("agents", "rho", "patience", "days", "reps", "seed"), ERLANG_A_CASES)
def test_mmc_abandonment_matches_erlang_a(agents: int, rho: float, patience: float, days: int, reps: int,
                                          seed: int) -> None:
    """M/M/c+M (FIFO, exponential patience) against Erlang A (Palm), including an overloaded center (rho > 1).

    Poisson arrivals at lambda = rho c / E[S], exponential handle time E[S] = 300 s, exponential patience with
    the given mean, c agents, warm-up 2 h. Every probability is over all arrivals (answered + abandoned):
    P(abandon), P(W > 0), mean wait of all calls E[min(V, patience)], ASA (answered only), P(answered within
    20 s), occupancy lambda (1 - P(abandon)) / c mu, mean queue length lambda E[W] (Little).
    """
    s = scenario(f"""
name: erlang_a_{agents}
run: {{days: {days}, replications: {reps}, seed: {seed}, warmup: 2h}}
service_level: {{threshold: {THRESHOLD:g}s}}
call_types:
  calls:
    arrivals: {{rate_per_hour: {_rate_per_hour(rho * agents)!r}}}
    handle_time: {{dist: exponential, mean: {MEAN_SERVICE:g}s}}
    patience: {{dist: exponential, mean: {patience:g}s}}
agent_groups:
  agents: {{skills: [calls], agents: {agents}}}
""")
    lam = s.call_types["calls"].arrivals.rate_per_hour / 3600.0
    theory = erlang_a(agents, lam, MEAN_SERVICE, patience, THRESHOLD)
    _, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    checks = Checks(f"M/M/{agents}+M rho={rho:g}", reps)
    checks.close("abandon_rate", k["abandon_rate"], theory.p_abandon)
    checks.close("p_wait", k["p_wait"], theory.p_wait)
    checks.close("mean_wait", k["mean_wait"], theory.mean_wait)
    checks.close("asa", k["asa"], theory.mean_wait_answered)
    checks.close("sl_answered_of_offered", k["sl_answered_of_offered"], theory.service_level)
    checks.close("sl_answered_of_answered", k["sl_answered_of_answered"], theory.service_level / theory.p_answered)
    checks.close("occupancy", k["occupancy"], theory.occupancy)
    checks.close("avg_queue_length", k["avg_queue_length"], lam * theory.mean_wait)
    checks.verify()


def test_constant_patience_matches_mmc_plus_d() -> None:
    """M/M/c+D: every caller hangs up after exactly 60 s of waiting (deterministic patience), against the exact
    virtual-wait solution (Baccelli & Hebuterne; Mandelbaum & Zeltyn) in ``mmc_deterministic_patience``.

    c = 10 agents, Poisson arrivals offering a = 10 Erlangs (rho = 1), exponential E[S] = 300 s, 60 days x 10
    replications, warm-up 2 h. P(abandon) = P(V >= 60 s), P(W > 0), mean wait of all calls E[min(V, 60 s)],
    ASA = E[V | V < 60 s], P(answered within 20 s); every abandoner waited exactly 60 s.
    """
    agents, load, tau, days, reps = 10, 10.0, 60.0, 60, 10
    s = scenario(f"""
name: mmc_d
run: {{days: {days}, replications: {reps}, seed: 204, warmup: 2h}}
service_level: {{threshold: {THRESHOLD:g}s}}
call_types:
  calls:
    arrivals: {{rate_per_hour: {_rate_per_hour(load)!r}}}
    handle_time: {{dist: exponential, mean: {MEAN_SERVICE:g}s}}
    patience: {{dist: deterministic, value: {tau:g}s}}
agent_groups:
  agents: {{skills: [calls], agents: {agents}}}
""")
    lam = s.call_types["calls"].arrivals.rate_per_hour / 3600.0
    theory = mmc_deterministic_patience(agents, lam, MEAN_SERVICE, tau, THRESHOLD)
    _, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    checks = Checks(f"M/M/{agents}+D a={load:g} tau={tau:g}s", reps)
    checks.close("abandon_rate", k["abandon_rate"], theory.p_abandon)
    checks.close("p_wait", k["p_wait"], theory.p_wait)
    checks.close("mean_wait", k["mean_wait"], theory.mean_wait)
    checks.close("asa", k["asa"], theory.mean_wait_served)
    checks.close("sl_answered_of_offered", k["sl_answered_of_offered"], theory.service_level)
    checks.close("mean_time_to_abandon", k["mean_time_to_abandon"], tau, eps=1e-6)
    checks.verify()


# -- 3. Loss systems: M/M/c/c vs Erlang B, M/M/c/K -------------------------------------------------------------------

ERLANG_B_CASES = [
    # lines = agents c, offered load a (Erlangs), handle-time distribution, days, replications, seed
    pytest.param(10, 8.0, "{dist: exponential, mean: 300s}", 100, 10, 301, id="c10-a8-exponential"),
    pytest.param(50, 45.0, "{dist: exponential, mean: 300s}", 20, 10, 302, id="c50-a45-exponential"),
    pytest.param(10, 8.0, "{dist: lognormal, mean: 300s, cv: 1.5}", 100, 10, 303, id="c10-a8-lognormal"),
]


@pytest.mark.parametrize(("agents", "load", "handle", "days", "reps", "seed"), ERLANG_B_CASES)
def test_loss_system_matches_erlang_b(agents: int, load: float, handle: str, days: int, reps: int,
                                      seed: int) -> None:
    """M/G/c/c against Erlang B: ``lines: c`` with c agents, so a call either finds a free agent or is blocked.

    Poisson arrivals at lambda = a / E[S], E[S] = 300 s (exponential, and lognormal with CV 1.5: Erlang B is
    insensitive to the service distribution), warm-up 2 h. P(blocked) = B(c, a) over all offered calls;
    nobody waits; occupancy a (1 - B) / c.
    """
    s = scenario(f"""
name: erlang_b_{agents}
run: {{days: {days}, replications: {reps}, seed: {seed}, warmup: 2h}}
lines: {agents}
call_types:
  calls:
    arrivals: {{rate_per_hour: {_rate_per_hour(load)!r}}}
    handle_time: {handle}
    patience: none
agent_groups:
  agents: {{skills: [calls], agents: {agents}}}
""")
    blocking = erlang_b(agents, load)
    _, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    checks = Checks(f"M/G/{agents}/{agents} a={load:g}", reps)
    checks.close("blocking_rate", k["blocking_rate"], blocking)
    checks.close("occupancy", k["occupancy"], load * (1.0 - blocking) / agents)
    checks.close("p_wait", k["p_wait"], 0.0, eps=ZERO)
    checks.verify()


def test_finite_capacity_matches_mmck() -> None:
    """M/M/c/K against the exact birth-death solution: c = 10 agents, ``lines: 14`` (K = 14 calls in the system:
    10 talking + at most 4 waiting), Poisson arrivals offering a = 9.5 Erlangs, exponential E[S] = 300 s, no
    abandonment, 100 days x 10 replications, warm-up 2 h.

    P(blocked) = p_K over all offered calls; P(wait | accepted) = P(c <= N < K) / (1 - p_K) (``p_wait``'s
    denominator is answered + abandoned, i.e. the accepted calls); ASA = Wq over accepted calls; Lq; occupancy
    lambda (1 - p_K) / (c mu).
    """
    agents, capacity, load, days, reps = 10, 14, 9.5, 100, 10
    s = scenario(f"""
name: mmck
run: {{days: {days}, replications: {reps}, seed: 304, warmup: 2h}}
lines: {capacity}
call_types:
  calls:
    arrivals: {{rate_per_hour: {_rate_per_hour(load)!r}}}
    handle_time: {{dist: exponential, mean: {MEAN_SERVICE:g}s}}
    patience: none
agent_groups:
  agents: {{skills: [calls], agents: {agents}}}
""")
    lam = s.call_types["calls"].arrivals.rate_per_hour / 3600.0
    theory = mmck(agents, capacity, lam, MEAN_SERVICE)
    _, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    checks = Checks(f"M/M/{agents}/{capacity} a={load:g}", reps)
    checks.close("blocking_rate", k["blocking_rate"], theory.p_block)
    checks.close("p_wait", k["p_wait"], theory.p_wait_accepted)
    checks.close("asa", k["asa"], theory.mean_wait)
    checks.close("avg_queue_length", k["avg_queue_length"], theory.mean_queue)
    checks.close("occupancy", k["occupancy"], load * (1.0 - theory.p_block) / agents)
    checks.verify()


def _loss_overflow_distribution(in_house: int, partner: int, lam: float, mean_in_house: float,
                                mean_partner: float) -> np.ndarray:
    """Stationary distribution pi[i, j] of (busy in-house agents, busy partner agents) when a call takes a free
    in-house agent, else a free partner agent, else is lost (no waiting room anywhere); Poisson arrivals at
    ``lam``, exponential handle times of the given means at each site. Solves pi Q = 0, sum(pi) = 1."""
    shape = (in_house + 1, partner + 1)
    q = np.zeros((math.prod(shape),) * 2)
    for i, j in np.ndindex(shape):
        here = np.ravel_multi_index((i, j), shape)
        if i < in_house:
            q[here, np.ravel_multi_index((i + 1, j), shape)] += lam
        elif j < partner:
            q[here, np.ravel_multi_index((i, j + 1), shape)] += lam
        if i:
            q[here, np.ravel_multi_index((i - 1, j), shape)] += i / mean_in_house
        if j:
            q[here, np.ravel_multi_index((i, j - 1), shape)] += j / mean_partner
    q -= np.diag(q.sum(axis=1))
    system = np.vstack((q.T, np.ones(len(q))))
    rhs = np.zeros(len(q) + 1)
    rhs[-1] = 1.0
    return np.linalg.lstsq(system, rhs, rcond=None)[0].reshape(shape)


LOSS_OVERFLOW_CASES = [
    # in-house agents, partner agents, offered load a (Erlangs), partner handle_time_factor, days, replications, seed
    pytest.param(3, 2, 2.2, 1.0, 80, 10, 305, id="c3+2-a2.2-same-means"),
    pytest.param(3, 2, 2.2, 1.5, 80, 10, 306, id="c3+2-a2.2-partner-slower"),
]


@pytest.mark.parametrize(("in_house", "partner", "load", "factor", "days", "reps", "seed"), LOSS_OVERFLOW_CASES)
def test_loss_overflow_to_partner_matches_ctmc(in_house: int, partner: int, load: float, factor: float, days: int,
                                               reps: int, seed: int) -> None:
    """A pure loss overflow against the exact two-site Markov chain: c1 in-house agents with no waiting room
    (``max_queue: 0``); a call that finds them all busy overflows (``queue_length: 0``) to c2 partner agents with
    no waiting room either (``max_queue: 0``), and is lost (refused, then a busy signal) if those are all busy too.

    Poisson arrivals offering a = lambda x 300 s, exponential E[S] = 300 s in-house and 300 s x ``factor`` at the
    partner (its ``handle_time_factor``), ``patience: none``, warm-up 2 h. With pi the stationary distribution of
    (busy in-house, busy partner) and PASTA: blocking_rate = refused / offered = pi[c1, c2]; overflow_rate =
    P(i = c1, j < c2); partner_share = overflow_rate / (1 - loss); occupancy E[i] / c1 and E[j] / c2; nobody
    waits. With equal means the loss is Erlang B(c1 + c2, a) whatever the routing (a check of the chain itself).
    """
    s = scenario(f"""
name: loss_overflow
run: {{days: {days}, replications: {reps}, seed: {seed}, warmup: 2h}}
sites:
  home: {{kind: in_house}}
  bpo: {{kind: partner, transfer_delay: {{dist: deterministic, value: 0s}}}}
call_types:
  calls:
    arrivals: {{rate_per_hour: {_rate_per_hour(load)!r}}}
    handle_time: {{dist: exponential, mean: {MEAN_SERVICE:g}s}}
    patience: none
    max_queue: 0
    overflow: {{to: [bpo_team], queue_length: 0, max_queue: 0}}
agent_groups:
  home_team: {{skills: [calls], agents: {in_house}, site: home}}
  bpo_team: {{skills: [calls], agents: {partner}, site: bpo, handle_time_factor: {factor!r}}}
""")
    lam = s.call_types["calls"].arrivals.rate_per_hour / 3600.0
    pi = _loss_overflow_distribution(in_house, partner, lam, MEAN_SERVICE, MEAN_SERVICE * factor)
    loss, overflow = pi[in_house, partner], pi[in_house, :partner].sum()
    if factor == 1.0:
        assert loss == pytest.approx(erlang_b(in_house + partner, load), rel=1e-9)
    result, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    x = np.stack([f.calls[:, f.first_interval:, :].sum(axis=(1, 2)) for f in result.facts])
    checks = Checks(f"loss overflow {in_house}+{partner} a={load:g} x{factor:g}", reps)
    checks.close("blocking_rate", k["blocking_rate"], loss)
    checks.close("refused/offered", ratio_estimate(x[:, CALL_FIELDS.index("overflow_refused")],
                                                   x[:, CALL_FIELDS.index("offered")]), loss)
    checks.close("overflow_rate", k["overflow_rate"], overflow)
    checks.close("partner_share", k["partner_share"], overflow / (1.0 - loss))
    checks.close("occupancy[home_team]", rows["group", "home_team"].kpis["occupancy"],
                 float(pi.sum(axis=1) @ np.arange(in_house + 1)) / in_house)
    checks.close("occupancy[bpo_team]", rows["group", "bpo_team"].kpis["occupancy"],
                 float(pi.sum(axis=0) @ np.arange(partner + 1)) / partner)
    checks.close("p_wait", k["p_wait"], 0.0, eps=ZERO)
    checks.verify()


# -- 4. IVR deflection is Poisson thinning -------------------------------------------------------------------------

def test_ivr_deflection_is_poisson_thinning() -> None:
    """M/M/c behind an IVR with self-service: every call spends a deterministic 30 s in the IVR, a share p = 0.3
    is deflected (self-served). The calls reaching the queue are a p-thinned Poisson process shifted by 30 s,
    i.e. Poisson at (1 - p) lambda, so the queue is Erlang C at (1 - p) lambda.

    c = 20 agents, exponential E[S] = 300 s, (1 - p) lambda E[S] = 17 Erlangs (rho = 0.85), no abandonment,
    80 days x 10 replications, warm-up 2 h. deflection_rate = p; P(W > 0), P(W <= 20 s), ASA from Erlang C.
    """
    agents, p, load, days, reps = 20, 0.3, 17.0, 80, 10
    s = scenario(f"""
name: deflection
run: {{days: {days}, replications: {reps}, seed: 401, warmup: 2h}}
service_level: {{threshold: {THRESHOLD:g}s}}
ivr: {{time: {{dist: deterministic, value: 30s}}}}
call_types:
  calls:
    arrivals: {{rate_per_hour: {_rate_per_hour(load) / (1.0 - p)!r}}}
    handle_time: {{dist: exponential, mean: {MEAN_SERVICE:g}s}}
    patience: none
    deflection: {p}
agent_groups:
  agents: {{skills: [calls], agents: {agents}}}
""")
    lam = s.call_types["calls"].arrivals.rate_per_hour / 3600.0
    theory = erlang_c(agents, (1.0 - p) * lam, MEAN_SERVICE, THRESHOLD)
    _, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    checks = Checks(f"IVR p={p:g} M/M/{agents}", reps)
    checks.close("deflection_rate", k["deflection_rate"], p)
    checks.close("p_wait", k["p_wait"], theory.p_wait)
    checks.close("sl_answered_of_offered", k["sl_answered_of_offered"], theory.service_level)
    checks.close("asa", k["asa"], theory.asa)
    checks.close("occupancy", k["occupancy"], theory.occupancy)
    checks.close("blocking_rate", k["blocking_rate"], 0.0, eps=ZERO)
    checks.verify()


# -- 5. Non-preemptive priorities vs Cobham -------------------------------------------------------------------------

@pytest.mark.slow
def test_priority_classes_match_cobham() -> None:
    """M/M/c with two non-preemptive priority classes against Cobham's formula.

    Two call types, ``high`` (priority 0, 40 % of the traffic) and ``low`` (priority 1, 60 %), served by one group
    of c = 10 agents with both skills at the same rank; the same exponential E[S] = 300 s; total load 9 Erlangs
    (rho = 0.9); no abandonment; 250 days x 10 replications, warm-up 2 h. Per class k (sigma_k = cumulative
    utilisation of classes <= k): W_k = C(c, a) / (c mu) / ((1 - sigma_{k-1})(1 - sigma_k)) (the per-call-type
    ASA) and L_k = lambda_k W_k its mean queue length (Little); both classes wait with probability C(c, a)
    (PASTA); the total ASA equals the FIFO Erlang C value (work conservation with identical service times).
    """
    agents, rho, high_share, days, reps = 10, 0.9, 0.4, 250, 10
    total = _rate_per_hour(rho * agents)
    s = scenario(f"""
name: priorities
run: {{days: {days}, replications: {reps}, seed: 501, warmup: 2h}}
call_types:
  high:
    arrivals: {{rate_per_hour: {total * high_share!r}}}
    handle_time: {{dist: exponential, mean: {MEAN_SERVICE:g}s}}
    patience: none
    priority: 0
  low:
    arrivals: {{rate_per_hour: {total * (1.0 - high_share)!r}}}
    handle_time: {{dist: exponential, mean: {MEAN_SERVICE:g}s}}
    patience: none
    priority: 1
agent_groups:
  agents: {{skills: [high, low], agents: {agents}}}
""")
    rates = [s.call_types[t].arrivals.rate_per_hour / 3600.0 for t in ("high", "low")]
    waits = cobham_priority_waits(rates, agents, MEAN_SERVICE)
    fifo = erlang_c(agents, sum(rates), MEAN_SERVICE)
    _, rows = simulate_kpis(s)
    checks = Checks(f"priorities M/M/{agents} rho={rho:g}", reps)
    for name, rate, wait in zip(("high", "low"), rates, waits, strict=True):
        checks.close(f"asa[{name}]", rows["call_type", name].kpis["asa"], wait)
        checks.close(f"p_wait[{name}]", rows["call_type", name].kpis["p_wait"], fifo.p_wait)
        checks.close(f"avg_queue_length[{name}]", rows["call_type", name].kpis["avg_queue_length"], rate * wait)
    checks.close("asa[all]", rows["total", "all"].kpis["asa"], fifo.asa)
    checks.verify()
