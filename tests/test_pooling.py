"""Pooling: separate vs pooled agent groups against Erlang C, the pooled desk under common random numbers, and
how a pooled partner group's cost is split among clients.

Statistical checks follow ``helpers`` (fixed seed for reproducibility only; tolerance = 95 % half-width x 3 /
1.96; no pinned simulated number). Cost checks are exact arithmetic on one replication's facts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from helpers import Checks, scenario, simulate_kpis

from sim.analysis.analytic import erlang_c
from sim.analysis.compare import compare
from sim.analysis.experiment import RunResult
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS, facts
from sim.analysis.stats import call_ratios
from sim.economics.billing import COMPONENTS, CostFacts
from sim.engine.callers import draw_callers
from sim.engine.layout import Layout, build_layout
from sim.engine.model import simulate
from sim.engine.records import ANSWERED
from sim.engine.streams import Streams
from sim.scenario.schema import Scenario

MEAN_SERVICE = 300.0
THRESHOLD = 20.0


def _rate_per_hour(load: float) -> float:
    return load / MEAN_SERVICE * 3600.0


# -- (a) two separate M/M/c vs one M/M/2c -----------------------------------------------------------------------

def _two_queues(pooled: bool, agents: int, load: float, days: int, reps: int, seed: int) -> Scenario:
    groups = (f"  pool: {{skills: [a, b], agents: {2 * agents}}}" if pooled else
              f"  team_a: {{skills: [a], agents: {agents}}}\n  team_b: {{skills: [b], agents: {agents}}}")
    call = (f"{{arrivals: {{rate_per_hour: {_rate_per_hour(load)!r}}}, "
            f"handle_time: {{dist: exponential, mean: {MEAN_SERVICE:g}s}}, patience: none}}")
    return scenario(f"""
name: {'pooled' if pooled else 'separate'}
run: {{days: {days}, replications: {reps}, seed: {seed}, warmup: 6h}}
service_level: {{threshold: {THRESHOLD:g}s}}
call_types:
  a: {call}
  b: {call}
agent_groups:
{groups}
""")


@pytest.mark.parametrize("pooled", [False, True], ids=["separate-2xMM5", "pooled-MM10"])
def test_separate_and_pooled_groups_match_erlang_c(pooled: bool) -> None:
    """Two call types a and b, each Poisson offering 4 Erlangs (E[S] = 300 s exponential, no abandonment).

    Separate: each type has its own group of c = 5 agents, i.e. two independent M/M/5 queues at rho = 0.8:
    every type's (and the total's) p_wait, service level and ASA are Erlang C(5, 4 E). Pooled: one group of
    2c = 10 agents with both skills (same rank, same priority: FIFO over both queues) is one M/M/10 at rho = 0.8:
    Erlang C(10, 8 E) for the total and for each type (same service time, FIFO). 40 days x 10 replications,
    warm-up 6 h.
    """
    agents, load, days, reps = 5, 4.0, 40, 10
    s = _two_queues(pooled, agents, load, days, reps, seed=701)
    lam = s.call_types["a"].arrivals.rate_per_hour / 3600.0
    theory = erlang_c(2 * agents, 2 * lam, MEAN_SERVICE, THRESHOLD) if pooled else \
        erlang_c(agents, lam, MEAN_SERVICE, THRESHOLD)
    _, rows = simulate_kpis(s)
    checks = Checks(("pooled M/M/10" if pooled else "separate 2 x M/M/5") + " rho=0.8", reps)
    for level, name in (("total", "all"), ("call_type", "a"), ("call_type", "b")):
        k = rows[level, name].kpis
        checks.close(f"p_wait[{name}]", k["p_wait"], theory.p_wait)
        checks.close(f"service_level[{name}]", k["service_level"], theory.service_level)
        checks.close(f"asa[{name}]", k["asa"], theory.asa)
    group = "pool" if pooled else "team_a"
    checks.close(f"occupancy[{group}]", rows["group", group].kpis["occupancy"], theory.occupancy)
    checks.verify()


# -- (b) a pooled night desk vs dedicated desks, common random numbers ---------------------------------------------

CLIENTS = ("x", "y", "z")


def _night(pooled: bool, agents: int, load: float, days: int, reps: int, seed: int) -> Scenario:
    """Three clients with one call type each (night_x, ...); dedicated desks of ``agents`` each, or one pooled
    desk of 3 x ``agents`` with every skill. Same call type names and seed: the same callers in both."""
    clients = "\n".join(
        f"  {c}:\n    call_types:\n      night_{c}: {{arrivals: {{rate_per_hour: {_rate_per_hour(load)!r}}}, "
        f"handle_time: {{dist: exponential, mean: {MEAN_SERVICE:g}s}}, patience: none}}" for c in CLIENTS)
    if pooled:
        groups = f"  night_pool: {{skills: [{', '.join(f'night_{c}' for c in CLIENTS)}], agents: {3 * agents}}}"
    else:
        groups = "\n".join(f"  desk_{c}: {{skills: [night_{c}], agents: {agents}}}" for c in CLIENTS)
    return scenario(f"""
name: {'pooled' if pooled else 'dedicated'}
run: {{days: {days}, replications: {reps}, seed: {seed}, warmup: 6h}}
service_level: {{threshold: {THRESHOLD:g}s}}
clients:
{clients}
agent_groups:
{groups}
""")


def test_pooled_night_desk_beats_dedicated_desks_under_common_random_numbers() -> None:
    """A night desk for three clients (a stationary stand-in: constant Poisson arrivals, 3.4 Erlangs per client,
    E[S] = 300 s, no abandonment): three dedicated desks of 4 agents (3 x M/M/4, rho = 0.85) vs one pooled desk of
    12 agents with all three skills (M/M/12, same agent count). Same seed and call type names: replication r of
    both scenarios sees the same callers (checked: identical offered counts per call type and interval).

    The pooled service level is higher in every replication (theory: +0.22, against a standard deviation of the
    per-replication difference of about 0.01), the paired difference's 95 % CI (``sim.analysis.compare`` ->
    ``stats.paired_difference``) excludes 0 for the total and for each client, and the difference agrees with
    Erlang C(12, 10.2 E) - Erlang C(4, 3.4 E) within the CI tolerance. 20 days x 10 replications, warm-up 6 h.
    """
    agents, load, days, reps = 4, 3.4, 20, 10
    dedicated = _night(False, agents, load, days, reps, seed=702)
    pooled = _night(True, agents, load, days, reps, seed=702)
    lam = load / MEAN_SERVICE
    theory = (erlang_c(3 * agents, 3 * lam, MEAN_SERVICE, THRESHOLD).service_level
              - erlang_c(agents, lam, MEAN_SERVICE, THRESHOLD).service_level)
    a, _ = simulate_kpis(dedicated)
    b, _ = simulate_kpis(pooled)
    offered = CALL_FIELDS.index("offered")
    for fa, fb in zip(a.facts, b.facts, strict=True):
        assert np.array_equal(fa.calls[offered], fb.calls[offered]), "common random numbers: the same callers"

    def sl(result: RunResult) -> np.ndarray:
        x = np.stack([f.calls[:, f.first_interval:, :].sum(axis=(1, 2)) for f in result.facts])
        num, den = call_ratios(x, dedicated.service_level)["service_level"]
        return num / den

    per_rep_gain = sl(b) - sl(a)
    print(f"\nper-replication SL gain of pooling: {np.round(per_rep_gain, 4).tolist()}")
    assert np.all(per_rep_gain > 0.0)

    rows = {(r.scope, r.key): r for r in compare([a, b])}
    checks = Checks("pooled - dedicated night desk", reps)
    diff = rows["all", "service_level"].diffs[1]
    assert diff is not None
    checks.close("service_level gain (paired)", diff, theory)
    checks.verify()
    assert diff.mean - diff.half_width > 0.0
    for client in CLIENTS:
        d = rows[client, "service_level"].diffs[1]
        assert d is not None and d.mean - d.half_width > 0.0, (client, d)


# -- (c) cost allocation of a pooled partner group ------------------------------------------------------------------

ALLOCATION = """
name: shared_bpo
run: {{days: 2, replications: 1, seed: 703, warmup: 2h}}
cost_allocation: {key}
sites:
  home: {{kind: in_house}}
  bpo:
    kind: partner
    contract:
      per_hour: 30
      per_call: 0.5
      quality: {{score: 0.80, threshold: 0.85, malus: 0.05}}
clients:
  x:
    call_types:
      calls_x: {{arrivals: {{rate_per_hour: 20}}, handle_time: {{dist: exponential, mean: 5min}}, patience: none}}
  y:
    call_types:
      calls_y: {{arrivals: {{rate_per_hour: 40}}, handle_time: {{dist: exponential, mean: 5min}}, patience: none}}
  z:
    call_types:
      calls_z: {{arrivals: {{rate_per_hour: 60}}, handle_time: {{dist: exponential, mean: 4min}}, patience: none}}
agent_groups:
  desk_x: {{skills: [calls_x], agents: 2, site: home, cost_per_hour: 25}}
  desk_y: {{skills: [calls_y], agents: 3, site: home, cost_per_hour: 25}}
  desk_z: {{skills: [calls_z], agents: 4, site: home, cost_per_hour: 27}}
  pool: {{skills: {{calls_x: 2, calls_y: 2, calls_z: 2}}, agents: 4, site: bpo}}
"""


@dataclass(frozen=True)
class _Shared:
    """One replication of the shared-partner scenario: its cost facts and what they must be computed from."""

    layout: Layout
    costs: CostFacts
    labour: dict[str, float]  # each group's cost_per_hour x logged-in hours (warm-up excluded)
    partner_hours: float  # logged-in hours of the pooled partner group
    calls: np.ndarray  # calls answered by the partner, per client (warm-up excluded)
    minutes: np.ndarray  # their handled minutes, per client


def _costs(key: str) -> _Shared:
    """One replication of the shared-partner scenario with allocation ``key``."""
    s = scenario(ALLOCATION.format(key=key))
    layout = build_layout(s)
    streams = Streams(s.run.seed, 0)
    rec = simulate(layout, draw_callers(layout, streams), streams)
    f = facts(rec, layout)
    staffed = f.groups[GROUP_FIELDS.index("staffed_time")]
    labour = {g: float(staffed[:, j].sum()) / 3600.0 * layout.groups[j].cost_per_hour
              for j, g in enumerate(layout.group_names)}
    kept = rec.callers.arrival_at // s.run.interval >= f.first_interval
    pool = layout.group_names.index("pool")
    at_partner = (rec.outcome == ANSWERED) & (rec.group == pool) & kept
    client = np.asarray(layout.type_client)[rec.callers.call_type]
    handle = np.where(at_partner, rec.end_at - rec.start_at, 0.0)
    return _Shared(layout, f.costs, labour, float(staffed[:, pool].sum()) / 3600.0,
                   np.bincount(client[at_partner], minlength=3).astype(float),
                   np.bincount(client, weights=handle / 60.0, minlength=3))


@pytest.mark.parametrize("key", ["handled_minutes", "handled_calls", "equal"])
def test_cost_components_per_client_sum_exactly_to_the_total(key: str) -> None:
    """Three clients, an in-house desk each (cost_per_hour) and one pooled partner group shared by all three under
    a contract (per_hour + per_call, and a quality malus, i.e. a credit). Per replication: the per-client cost
    components (``facts.costs.by_client``) sum exactly (math.fsum, bit for bit) to the partner invoice plus the
    groups' labour; each in-house desk's labour is its client's in_house_labour; the invoice's shared charges and
    credits are split completely; the invoice items follow from the usage."""
    d = _costs(key)
    by_client, items = d.costs.by_client, d.costs.invoices["bpo"]
    assert set(items) == {"hours", "calls", "quality"}
    assert by_client.shape == (len(COMPONENTS), 3)
    assert math.fsum(by_client.ravel()) == math.fsum([*items.values(), *d.labour.values()])
    in_house = by_client[COMPONENTS.index("in_house_labour")]
    for c, name in enumerate(CLIENTS):
        assert in_house[c] == d.labour[f"desk_{name}"]
    charges = math.fsum(v for v in items.values() if v > 0)
    credits = math.fsum(v for v in items.values() if v < 0)
    assert credits < 0.0
    assert math.fsum(by_client[COMPONENTS.index("partner_fees")]) == charges
    assert math.fsum(by_client[COMPONENTS.index("penalties_credits")]) == credits
    assert math.fsum(by_client[COMPONENTS.index("telephony")]) == 0.0
    assert items["hours"] == pytest.approx(30.0 * d.partner_hours, rel=1e-12)
    assert items["calls"] == pytest.approx(0.5 * d.calls.sum(), rel=1e-12)
    assert items["quality"] == pytest.approx(-0.05 * (items["hours"] + items["calls"]), rel=1e-12)


def test_allocation_key_changes_only_the_split_of_the_shared_part() -> None:
    """The same replication under the three ``cost_allocation`` keys: the total and the in-house labour do not
    move; the partner's shared charges are split equally (equal: thirds), in proportion to the calls the
    partner handled per client (handled_calls) or to its handled minutes (handled_minutes, the default)."""
    runs = {key: _costs(key) for key in ("handled_minutes", "handled_calls", "equal")}
    fees, labour_row = COMPONENTS.index("partner_fees"), COMPONENTS.index("in_house_labour")
    assert len({math.fsum(d.costs.by_client.ravel()) for d in runs.values()}) == 1
    base = runs["equal"].costs.by_client
    for d in runs.values():
        assert np.array_equal(d.costs.by_client[labour_row], base[labour_row])
    charges = math.fsum(base[fees])
    calls, minutes = runs["handled_calls"].calls, runs["handled_minutes"].minutes
    assert np.all(calls > 0)
    expected = {"equal": np.full(3, charges / 3.0), "handled_calls": charges * calls / calls.sum(),
                "handled_minutes": charges * minutes / minutes.sum()}
    for key, d in runs.items():
        assert d.costs.by_client[fees] == pytest.approx(expected[key], rel=1e-12), key
    assert not np.allclose(expected["equal"], expected["handled_calls"], rtol=0.05)
