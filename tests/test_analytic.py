"""Analytic queueing formulas: published reference values and independent numerical routes."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from scipy.integrate import trapezoid
from scipy.linalg import expm
from scipy.optimize import brentq
from scipy.stats import poisson

from sim.analysis.analytic import (
    agents_for_service_level,
    cobham_priority_waits,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_wait_cdf,
    mmc_deterministic_patience,
    mmck,
    square_root_staffing,
)

REL = 1e-6


def bd_stationary(birth: np.ndarray, death: np.ndarray) -> np.ndarray:
    """Stationary law of a birth-death chain on 0..N (birth[n]: n -> n+1, death[n]: n+1 -> n): pi Q = 0."""
    size = birth.size + 1
    q = np.zeros((size, size))
    idx = np.arange(size - 1)
    q[idx, idx + 1] = birth
    q[idx + 1, idx] = death
    q[np.arange(size), np.arange(size)] = -q.sum(axis=1)
    system = q.T.copy()
    system[-1, :] = 1.0
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    return np.linalg.solve(system, rhs)


def erlang_a_chain(c: int, lam: float, mu: float, theta: float, extra: int) -> np.ndarray:
    """M/M/c+M truncated at c + extra customers."""
    n = np.arange(1, c + extra + 1)
    return bd_stationary(np.full(n.size, lam), np.minimum(n, c) * mu + np.maximum(n - c, 0) * theta)


def tagged_answer_stats(pi: np.ndarray, c: int, mu: float, theta: float, t: float) -> tuple[float, float]:
    """(P(answered within t), ASA) of a tagged FIFO arrival by a transient CTMC: queue position j moves to j-1
    at rate c mu + (j-1) theta and abandons at rate theta; initial position from pi (PASTA)."""
    m = pi.size - c  # positions 1..m; state 0 = answered, m + 1 = abandoned
    gen = np.zeros((m + 2, m + 2))
    for j in range(1, m + 1):
        gen[j, j - 1] = c * mu + (j - 1) * theta
        gen[j, m + 1] = theta
        gen[j, j] = -(gen[j, j - 1] + theta)
    init = np.concatenate(([pi[:c].sum()], pi[c:], [0.0]))
    within = float((init @ expm(gen * t))[0])
    fundamental = np.linalg.inv(-gen[1 : m + 1, 1 : m + 1])
    p_answer = fundamental @ gen[1 : m + 1, 0]
    answered = init[0] + init[1 : m + 1] @ p_answer
    return within, float(init[1 : m + 1] @ (fundamental @ p_answer)) / answered


# --- published reference values (docs/validation.md) -------------------------------------------------------


def test_r_erlangc_documentation_example() -> None:
    r = erlang_c(14, 100 / 1800, 180, threshold=20)
    assert round(r.p_wait, 7) == 0.1741319
    assert round(r.service_level, 5) == 0.88835
    assert r.asa == pytest.approx(7.83593701177724, rel=1e-12)


def test_abstract_micro_erlcwait4() -> None:
    # ErlcWait4(agents, interval s, calls, AHT s) = ASA
    assert erlang_c(20, 100 / 1800, 240).asa == pytest.approx(2.243505841, rel=1e-8)
    assert erlang_c(20, 100 / 1800, 300).asa == pytest.approx(30.4312286, rel=1e-7)


def test_mitan_maxima_example() -> None:
    # lambda = 0.2 call/s, Ts = 240 s, m = 55 agents
    r = erlang_c(55, 0.2, 240, threshold=15)
    assert round(r.p_wait, 4) == 0.2387
    assert round(r.asa, 3) == 8.184
    assert round(erlang_c_wait_cdf(55, 0.2, 240, 15), 4) == 0.8459


@pytest.mark.parametrize(
    ("lam", "mu", "c", "k", "expected"),
    [
        (3, 2, 2, 5, {"p0": 0.179334, "p_block": 0.085113, "mean_in_system": 2.00595, "mean_wait": 0.230857}),
        (40, 30, 3, 7, {"p0": 0.255037, "mean_sojourn": 0.036517}),
        (50, 10, 4, 6, {"p_block": 0.293543}),
    ],
)
def test_octave_qsmmmk(lam: float, mu: float, c: int, k: int, expected: dict[str, float]) -> None:
    # the %!test blocks of qsmmmk.m, whose values are truncated (p0 = 0.1793345...): tolerance = one unit of
    # the last printed digit, as in qsmmmk.m's own asserts
    r = mmck(c, k, lam, 1 / mu)
    for name, value in expected.items():
        decimals = len(f"{value}".split(".")[1])
        assert getattr(r, name) == pytest.approx(value, abs=10**-decimals), name


def test_erlang_com_15_lines_carry_8_108_erlangs() -> None:
    assert erlang_b(15, 8.108) == pytest.approx(0.01, abs=1e-6)
    assert round(brentq(lambda a: erlang_b(15, a) - 0.01, 1, 15, xtol=1e-12), 3) == 8.108


def test_published_calculator_values_maki_mono() -> None:
    lam, aht = 350 / 1800, 190
    r42 = erlang_c(42, lam, aht, threshold=20)
    assert (round(100 * r42.service_level, 1), round(r42.asa, 1)) == (81.2, 12.0)
    assert round(100 * r42.occupancy) == 88
    r45 = erlang_c(45, lam, aht, threshold=15)
    assert (round(100 * r45.service_level, 1), round(100 * r45.occupancy)) == (92.5, 82)
    assert agents_for_service_level(lam, aht, 0.80, 20) == 42
    assert agents_for_service_level(lam, aht, 0.90, 15) == 45


def test_reference_case_a_check_value() -> None:
    calls = 3600 * 0.099 / 2  # 178.2 calls (printed rounded as 178), AHT 315 s -> 31.2 Erl
    r = erlang_c(37, calls / 1800, 315, threshold=20)
    assert round(calls * 315 / 1800, 1) == 31.2
    assert (round(100 * r.service_level, 1), round(r.asa, 1), round(100 * r.occupancy)) == (84.0, 12.5, 84)


# --- Erlang B / C properties -----------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (15, 8.108), (200, 180.0), (1000, 950.0), (1000, 1200.0)])
def test_erlang_b_matches_poisson_ratio(c: int, a: float) -> None:
    assert erlang_b(c, a) == pytest.approx(poisson.pmf(c, a) / poisson.cdf(c, a), rel=1e-9)


def test_erlang_b_edges() -> None:
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0
    with pytest.raises(ValueError):
        erlang_b(-1, 1.0)


def test_erlang_c_large_c_against_birth_death() -> None:
    c, lam, aht = 800, 4.3, 180.0  # a = 774 Erl
    pi = bd_stationary(np.full(c + 3000, lam), np.minimum(np.arange(1, c + 3001), c) / aht)
    r = erlang_c(c, lam, aht)
    assert r.p_wait == pytest.approx(pi[c:].sum(), rel=REL)
    assert r.asa == pytest.approx(np.maximum(np.arange(pi.size) - c, 0) @ pi / lam, rel=REL)


def test_erlang_c_unstable_returns_saturated_limit() -> None:
    for lam in (10 / 180, 0.2):
        r = erlang_c(10, lam, 180)
        assert (r.p_wait, r.service_level, r.occupancy) == (1.0, 0.0, 1.0)
        assert r.asa == r.mean_wait_given_wait == math.inf
    assert erlang_c_wait_cdf(10, 0.2, 180, 60) == 0.0


def test_erlang_c_wait_cdf() -> None:
    r = erlang_c(14, 100 / 1800, 180)
    assert erlang_c_wait_cdf(14, 100 / 1800, 180, 0) == pytest.approx(1 - r.p_wait, rel=1e-12)
    assert erlang_c_wait_cdf(14, 100 / 1800, 180, -1) == 0.0
    assert erlang_c_wait_cdf(14, 100 / 1800, 180, 20) == pytest.approx(r.service_level, rel=1e-12)


def test_erlang_c_zero_traffic_and_bad_input() -> None:
    r = erlang_c(1, 0.0, 180)
    assert (r.p_wait, r.service_level, r.asa, r.occupancy) == (0, 1, 0, 0)
    with pytest.raises(ValueError):
        erlang_c(0, 0.1, 180)
    with pytest.raises(ValueError):
        erlang_c(3, 0.1, 0)


# --- Erlang A against the birth-death chain ---------------------------------------------------------------

ERLANG_A_CASES = [
    (10, 0.2, 60.0, 120.0, 20.0, 300),  # overloaded: rho = 1.2
    (38, 350 / 1800, 190.0, 150.0, 20.0, 300),
    (5, 0.02, 300.0, 30.0, 10.0, 200),  # impatient callers
    (300, 300 / 180 * 1.05, 180.0, 150.0, 20.0, 600),  # large c, rho = 1.05
]


@pytest.mark.parametrize(("c", "lam", "aht", "patience", "t", "extra"), ERLANG_A_CASES)
def test_erlang_a_against_birth_death(
    c: int, lam: float, aht: float, patience: float, t: float, extra: int
) -> None:
    pi = erlang_a_chain(c, lam, 1 / aht, 1 / patience, extra)
    queue = np.maximum(np.arange(pi.size) - c, 0) @ pi
    r = erlang_a(c, lam, aht, patience, threshold=t)
    assert r.p_wait == pytest.approx(pi[c:].sum(), rel=REL)
    assert r.p_abandon == pytest.approx(queue / patience / lam, rel=REL)
    assert r.mean_wait == pytest.approx(queue / lam, rel=REL)
    assert r.p_answered == pytest.approx(1 - r.p_abandon, rel=1e-12)
    within, asa = tagged_answer_stats(pi, c, 1 / aht, 1 / patience, t)
    assert r.service_level == pytest.approx(within, rel=REL)
    assert r.mean_wait_answered == pytest.approx(asa, rel=REL)
    assert r.occupancy == pytest.approx(lam * aht * (1 - r.p_abandon) / c, rel=1e-12)


def test_erlang_a_approaches_erlang_c_for_patient_callers() -> None:
    c, lam, aht = 38, 350 / 1800, 190.0
    ec = erlang_c(c, lam, aht)
    ea = erlang_a(c, lam, aht, mean_patience=1e12)  # x = c mu / theta = 2e11: stresses the numerics
    assert ea.p_wait == pytest.approx(ec.p_wait, rel=1e-6)
    assert ea.mean_wait_answered == pytest.approx(ec.asa, rel=1e-6)
    assert ea.service_level == pytest.approx(ec.service_level, rel=1e-6)
    assert ea.p_abandon < 1e-9
    inf = erlang_a(c, lam, aht, mean_patience=math.inf)
    assert (inf.p_wait, inf.p_abandon, inf.mean_wait_answered) == (ec.p_wait, 0.0, ec.asa)


def test_erlang_a_single_server_closed_form() -> None:
    # c = 1, theta = mu: death rate n mu as in M/M/inf, so N ~ Poisson(a) and P(wait) = 1 - e^-a
    lam, aht = 0.01, 60.0
    r = erlang_a(1, lam, aht, mean_patience=aht)
    a = lam * aht
    assert r.p_wait == pytest.approx(-math.expm1(-a), rel=1e-12)
    assert r.p_abandon == pytest.approx((a - 1 + math.exp(-a)) / a, rel=1e-9)


def test_erlang_a_large_c_overload_is_finite() -> None:
    r = erlang_a(1000, 1000 / 180 * 1.3, 180, 150)
    assert r.p_abandon == pytest.approx(1 - 1 / 1.3, rel=0.05)
    assert all(math.isfinite(v) for v in (r.p_wait, r.mean_wait, r.mean_wait_answered, r.service_level))
    assert erlang_a(10, 0.0, 180, 150).service_level == 1.0


# --- M/M/c/K ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("c", "k", "lam", "aht"), [(2, 5, 3.0, 0.5), (10, 40, 0.2, 60.0), (50, 80, 0.5, 120.0)]
)
def test_mmck_against_birth_death(c: int, k: int, lam: float, aht: float) -> None:
    n = np.arange(1, k + 1)
    pi = bd_stationary(np.full(k, lam), np.minimum(n, c) / aht)
    r = mmck(c, k, lam, aht)
    states = np.arange(k + 1)
    accepted = lam * (1 - pi[-1])
    assert r.p0 == pytest.approx(pi[0], rel=REL)
    assert r.p_block == pytest.approx(pi[-1], rel=REL)
    assert r.p_wait == pytest.approx(pi[c:k].sum(), rel=REL)
    assert r.p_wait_accepted == pytest.approx(pi[c:k].sum() / (1 - pi[-1]), rel=REL)
    assert r.mean_in_system == pytest.approx(states @ pi, rel=REL)
    assert r.mean_queue == pytest.approx(np.maximum(states - c, 0) @ pi, rel=REL)
    assert r.mean_wait == pytest.approx(np.maximum(states - c, 0) @ pi / accepted, rel=REL)
    assert r.mean_sojourn == pytest.approx(r.mean_wait + aht, rel=REL)


@pytest.mark.parametrize(("c", "a"), [(1, 0.3), (15, 8.108), (500, 520.0)])
def test_mmcc_is_erlang_b(c: int, a: float) -> None:
    r = mmck(c, c, a / 100, 100)
    assert r.p_block == pytest.approx(erlang_b(c, a), rel=1e-9)
    assert r.p_wait == 0.0


def test_mmck_large_queue_tends_to_erlang_c() -> None:
    r = mmck(14, 600, 100 / 1800, 180)
    ec = erlang_c(14, 100 / 1800, 180)
    assert r.p_wait == pytest.approx(ec.p_wait, rel=1e-9)
    assert r.mean_wait == pytest.approx(ec.asa, rel=1e-9)
    with pytest.raises(ValueError):
        mmck(5, 4, 0.1, 60)


# --- Cobham non-preemptive priorities ---------------------------------------------------------------------


def test_cobham_single_class_is_erlang_c() -> None:
    fifo = erlang_c(42, 350 / 1800, 190).asa
    assert cobham_priority_waits([350 / 1800], 42, 190)[0] == pytest.approx(fifo, rel=1e-12)


@pytest.mark.parametrize("rates", [[0.05, 0.05, 0.04], [0.01, 0.12], [0.03, 0.03, 0.03, 0.03, 0.0299]])
def test_cobham_conservation_law(rates: list[float]) -> None:
    waits = cobham_priority_waits(rates, 10, 60)
    fifo = erlang_c(10, sum(rates), 60).asa
    assert np.dot(rates, waits) / sum(rates) == pytest.approx(fifo, rel=1e-12)
    assert waits == sorted(waits)


def test_cobham_overloaded_lower_classes_are_infinite() -> None:
    waits = cobham_priority_waits([0.1, 0.1], 10, 60)  # sigma_0 = 0.6, sigma_1 = 1.2
    assert math.isfinite(waits[0]) and waits[1] == math.inf
    assert waits[0] == pytest.approx(6.0 / 0.4, rel=1e-12)  # all agents always busy: C = 1


# --- M/M/c+D (deterministic patience) ---------------------------------------------------------------------


def simulate_mmcd(c: int, lam: float, aht: float, tau: float, calls: int, seed: int) -> dict[str, np.ndarray]:
    """FIFO M/M/c+D by the Kiefer-Wolfowitz recursion: each arrival takes the earliest-free agent unless its
    offered wait V reaches tau (then it leaves after tau, using no agent). Per-call outcomes after warm-up."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, calls))
    services = rng.exponential(aht, calls)
    free = [0.0] * c
    offered = np.empty(calls)
    for i, (t, s) in enumerate(zip(arrivals, services, strict=True)):
        v = max(free[0] - t, 0.0)
        offered[i] = v
        if v < tau:
            heapq.heapreplace(free, t + v + s)
    offered = offered[calls // 20 :]
    served = offered < tau
    return {
        "p_wait": offered > 0,
        "p_abandon": ~served,
        "mean_wait": np.minimum(offered, tau),
        "service_level": served & (offered <= 20.0),
    }


@pytest.mark.parametrize(("c", "lam", "aht", "tau"), [(10, 0.2, 60.0, 30.0), (10, 0.15, 60.0, 20.0)])
def test_mmcd_against_simulation(c: int, lam: float, aht: float, tau: float) -> None:
    sim = simulate_mmcd(c, lam, aht, tau, calls=200_000, seed=20240611)
    exact = mmc_deterministic_patience(c, lam, aht, tau, threshold=20.0)
    for name, values in sim.items():
        batches = np.array_split(values.astype(float), 20)
        means = np.array([b.mean() for b in batches])
        half_width = 4.0 * means.std(ddof=1) / math.sqrt(means.size)
        assert abs(getattr(exact, name) - values.mean()) < half_width, name


def test_mmcd_limits_erlang_b_and_erlang_c() -> None:
    zero = mmc_deterministic_patience(10, 0.2, 60, 0.0)
    assert zero.p_abandon == pytest.approx(erlang_b(10, 12.0), rel=1e-12)
    assert (zero.mean_wait, zero.mean_wait_served) == (0.0, 0.0)
    long = mmc_deterministic_patience(10, 0.15, 60, 1e5, threshold=20)
    ec = erlang_c(10, 0.15, 60, threshold=20)
    assert long.p_wait == pytest.approx(ec.p_wait, rel=1e-12)
    assert long.mean_wait == pytest.approx(ec.asa, rel=1e-9)
    assert long.service_level == pytest.approx(ec.service_level, rel=1e-12)
    assert long.p_abandon < 1e-12


def test_mmcd_against_fine_discretisation_of_density() -> None:
    # independent check of normalisation and moments by numerical integration of the stated density
    c, lam, aht, tau = 10, 0.18, 60.0, 45.0
    a, mu = lam * aht, 1 / aht
    entry = lam * erlang_b(c - 1, a)
    v = np.linspace(0.0, tau, 200_001)
    dens = entry * np.exp((lam - c * mu) * v)
    lo, vmass = trapezoid(dens, v), trapezoid(v * dens, v)
    hi = dens[-1] / (c * mu)
    r = mmc_deterministic_patience(c, lam, aht, tau)
    assert r.p_abandon == pytest.approx(hi / (1 + lo + hi), rel=REL)
    assert r.mean_wait == pytest.approx((vmass + tau * hi) / (1 + lo + hi), rel=REL)
    assert r.mean_wait_served == pytest.approx(vmass / (1 + lo), rel=REL)


def test_mmcd_extreme_overload_is_finite() -> None:
    r = mmc_deterministic_patience(10, 100.0, 60.0, 100.0)
    assert r.p_abandon == pytest.approx(1 - (10 / 60) / 100, rel=1e-9)
    assert r.mean_wait == pytest.approx(100.0, rel=1e-6)


# --- staffing -------------------------------------------------------------------------------------------


def test_agents_for_service_level_is_smallest() -> None:
    lam, aht = 350 / 1800, 190
    assert agents_for_service_level(lam, aht, 0.80, 20, max_occupancy=0.85) == 44  # 36.9 Erl / 0.85 = 43.4
    for target, t in [(0.8, 20), (0.95, 10), (0.5, 60)]:
        c = agents_for_service_level(lam, aht, target, t)
        assert erlang_c(c, lam, aht, t).service_level >= target > erlang_c(c - 1, lam, aht, t).service_level
    assert agents_for_service_level(0.0, 180, 0.8, 20) == 1
    assert agents_for_service_level(4.3, 180, 0.8, 20) > 774
    with pytest.raises(ValueError):
        agents_for_service_level(lam, aht, 1.0, 20)


def test_square_root_staffing() -> None:
    assert square_root_staffing(100.0, 1.0) == 110
    assert square_root_staffing(36.94, 0.5) == math.ceil(36.94 + 0.5 * math.sqrt(36.94))
    assert square_root_staffing(0.0, 2.0) == 0
