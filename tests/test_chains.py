"""The exact references for outbound dialing, blending and deferrable work, checked by hand-solved cases and
known queueing results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.analytic import erlang_a, mmck
from sim.analysis.chains import blended, dialer, fluid_backlog, stationary


def test_stationary_mm1k_closed_form() -> None:
    lam, mu, k = 0.7, 1.0, 6

    def moves(n: int) -> list[tuple[int, float]]:
        out = [(n + 1, lam)] if n < k else []
        return out + ([(n - 1, mu)] if n else [])

    pi = stationary(0, moves)
    rho = lam / mu
    exact = [(1 - rho) * rho**n / (1 - rho ** (k + 1)) for n in range(k + 1)]
    assert [pi[n] for n in range(k + 1)] == pytest.approx(exact, rel=1e-12)


def test_stationary_refuses_a_reducible_chain_and_bad_rates() -> None:
    with pytest.raises(ValueError, match="> 0"):
        stationary(0, lambda n: [(1 - n, 0.0)])
    with pytest.raises(ValueError, match="irreducible"):
        stationary(0, lambda n: [(1, 1.0)] if n == 0 else [])  # 1 is absorbing


@pytest.mark.parametrize(("agents", "ring", "connect", "handle"), [(1, 20.0, 0.3, 180.0), (10, 25.0, 0.45, 240.0),
                                                                   (40, 15.0, 1.0, 100.0)])
def test_progressive_dialer_is_a_renewal_cycle_per_agent(agents: int, ring: float, connect: float,
                                                         handle: float) -> None:
    d = dialer(agents, ring, connect, handle)
    cycle = ring + connect * handle  # each agent: ring, then with probability ``connect`` a talk
    assert d.connects == pytest.approx(agents * connect / cycle, rel=1e-10)
    assert d.attempts == pytest.approx(agents / cycle, rel=1e-10)
    assert d.occupancy == pytest.approx(connect * handle / cycle, rel=1e-10)
    assert d.abandoned == 0.0 and d.handled == pytest.approx(d.connects)
    assert dialer(agents, ring, connect, handle, ratio=1.0) == d  # ratio 1 never dials ahead of the agents


def test_predictive_dialer_single_agent_solved_by_hand() -> None:
    """c = 1, ratio 2: idle, the dialer keeps 2 lines ringing; busy, none. States (0, 2), (1, 1), (1, 0):
    pi02 2 g p = mu (pi11 + pi10), pi11 (mu + g) = 2 g p pi02, pi10 mu = g pi11."""
    g, p, mu = 1 / 20, 0.4, 1 / 120
    pi02 = 1.0
    pi11 = 2 * g * p * pi02 / (mu + g)
    pi10 = g * pi11 / mu
    total = pi02 + pi11 + pi10
    pi02, pi11, pi10 = pi02 / total, pi11 / total, pi10 / total
    d = dialer(1, 20.0, p, 120.0, ratio=2.0)
    assert d.lines == pytest.approx(2 * pi02 + pi11, rel=1e-12)
    assert d.abandoned == pytest.approx(g * p * pi11, rel=1e-12)
    assert d.connects == pytest.approx(g * p * (2 * pi02 + pi11), rel=1e-12)
    assert d.occupancy == pytest.approx(pi11 + pi10, rel=1e-12)
    assert d.handled == pytest.approx(mu * d.occupancy, rel=1e-10)  # flow balance: put through = finished


def test_predictive_dialing_trades_silent_calls_for_occupancy() -> None:
    shares, occupancy = [], []
    for ratio in (1.0, 1.5, 2.0, 3.0):
        d = dialer(20, 20.0, 0.3, 180.0, ratio=ratio)
        shares.append(d.abandon_share)
        occupancy.append(d.occupancy)
    assert shares[0] == 0.0 and shares == sorted(shares) and occupancy == sorted(occupancy)
    assert all(0.0 < s < 1.0 for s in shares[1:])


def test_dialer_rejects_impossible_values() -> None:
    for bad in ({"agents": 0}, {"connect": 0.0}, {"connect": 1.5}, {"ratio": 0.5}, {"mean_ring": -1.0}):
        args = {"agents": 2, "mean_ring": 20.0, "connect": 0.3, "mean_handle": 100.0, "ratio": None} | bad
        with pytest.raises(ValueError):
            dialer(**args)  # type: ignore[arg-type]


def test_blending_with_everything_reserved_is_mmck() -> None:
    c, q, lam, aht = 8, 12, 6 / 180, 180.0
    b = blended(c, c, lam, aht, 300.0, q)
    m = mmck(c, c + q, lam, aht)
    assert b.outbound == 0.0
    assert b.p_blocked == pytest.approx(m.p_block, rel=1e-10)
    assert b.p_wait == pytest.approx(m.p_wait, rel=1e-10)
    assert b.mean_wait == pytest.approx(m.mean_wait * (1 - m.p_block), rel=1e-10)


def test_blending_with_everything_reserved_and_patience_is_erlang_a() -> None:
    c, lam, aht, patience = 10, 9 / 200, 200.0, 150.0
    b = blended(c, c, lam, aht, 300.0, max_queue=400, mean_patience=patience)  # queue limit never reached
    a = erlang_a(c, lam, aht, patience)
    assert b.p_blocked < 1e-15
    assert b.p_wait == pytest.approx(a.p_wait, rel=1e-9)
    assert b.p_abandon == pytest.approx(a.p_abandon, rel=1e-9)
    assert b.mean_wait == pytest.approx(a.mean_wait, rel=1e-9)


def test_blending_single_agent_solved_by_hand() -> None:
    """c = 1, no reserve, one waiting place: the agent dials whenever idle. States (b, o): (0, 1) on outbound,
    (1, 1) on outbound with a caller waiting, (1, 0) on inbound, (2, 0) on inbound with a caller waiting.
    Balance: pi11 (mu_o + th) = lam pi01; (1, 0): pi10 (mu_i + lam) = mu_o pi11 + (mu_i + th) pi20 with
    pi20 (mu_i + th) = lam pi10, so pi10 mu_i = mu_o pi11."""
    lam, mu_i, mu_o, th = 1 / 300, 1 / 200, 1 / 90, 1 / 60
    pi01 = 1.0
    pi11 = lam * pi01 / (mu_o + th)
    pi10 = mu_o * pi11 / mu_i
    pi20 = lam * pi10 / (mu_i + th)
    total = pi01 + pi11 + pi10 + pi20
    pi01, pi11, pi10, pi20 = pi01 / total, pi11 / total, pi10 / total, pi20 / total
    b = blended(1, 0, lam, 200.0, 90.0, max_queue=1, mean_patience=60.0)
    assert b.p_wait == pytest.approx(pi01 + pi10, rel=1e-12)
    assert b.p_blocked == pytest.approx(pi11 + pi20, rel=1e-12)
    assert b.p_abandon == pytest.approx(th * (pi11 + pi20) / lam, rel=1e-12)
    assert b.outbound == pytest.approx(mu_o * (pi01 + pi11), rel=1e-12)
    assert b.inbound_agents + b.outbound_agents == pytest.approx(1.0)


def test_a_larger_reserve_buys_inbound_service_with_outbound_calls() -> None:
    runs = [blended(12, r, 8 / 240, 240.0, 300.0, max_queue=30, mean_patience=120.0) for r in range(0, 13, 3)]
    waits = [b.p_wait for b in runs]
    outbound = [b.outbound for b in runs]
    assert waits == sorted(waits, reverse=True) and outbound == sorted(outbound, reverse=True)
    assert outbound[-1] == 0.0


def test_fluid_backlog_of_a_morning_peak() -> None:
    """10 items/h for 8 h against 5/h all day: the backlog grows by 5/h to 40, then drains by 5/h; the item
    arriving at t h (the 10 t-th) starts at 2 t h, an age of t."""
    b = fluid_backlog([10 / 3600] * 8 + [0.0] * 16, [5 / 3600] * 24, 3600.0)
    assert b.backlog[:17] == pytest.approx([5.0 * min(j, 16 - j) for j in range(17)], abs=1e-9)
    assert np.all(b.backlog[17:] == 0.0)
    assert b.age[:8] / 3600 == pytest.approx([j + 0.5 for j in range(8)], rel=1e-9)
    assert np.all(np.isnan(b.age[8:]))


def test_fluid_backlog_with_spare_capacity_and_an_initial_backlog() -> None:
    """Capacity 6/h, arrivals 2/h, 8 waiting at 0: the backlog drains at 4/h, empty after 2 h; until then the
    item arriving at t (h) starts when D = 6 t' reaches 8 + 2 t: t' = (8 + 2 t) / 6, an age of 4/3 - 2 t / 3,
    on average over an hour its value at the half hour; after 2 h it starts at once."""
    b = fluid_backlog([2 / 3600] * 4, [6 / 3600] * 4, 3600.0, initial=8.0)
    assert b.backlog == pytest.approx([8.0, 4.0, 0.0, 0.0, 0.0], abs=1e-9)
    assert b.age[0] / 3600 == pytest.approx(4 / 3 - 2 * 0.5 / 3, rel=1e-6)
    assert b.age[1] / 3600 == pytest.approx(4 / 3 - 2 * 1.5 / 3, rel=1e-6)
    assert b.age[2] == pytest.approx(0.0, abs=1e-6) and b.age[3] == pytest.approx(0.0, abs=1e-6)


def test_fluid_backlog_never_worked_is_infinitely_old() -> None:
    b = fluid_backlog([1 / 3600, 0.0], [0.0, 0.0], 3600.0)
    assert b.backlog[-1] == pytest.approx(1.0) and math.isinf(b.age[0])
    with pytest.raises(ValueError):
        fluid_backlog([1.0], [1.0, 2.0], 60.0)
    with pytest.raises(ValueError):
        fluid_backlog([-1.0], [1.0], 60.0)
