"""Call-back offers (virtual hold): a caller who would wait behind at least N others, or longer than a threshold,
is offered a call back; one who accepts hangs up and a call-back leg keeps its place in the queue.

Validation against a hand-computed limit: without abandonment and with instant, always successful call backs the
service order and service times are those of FIFO M/M/c, whatever is accepted. By PASTA an arrival finds all c
agents busy and k >= N callers waiting with probability C rho^N (C = Erlang C), so the call-back rate is
accept x C rho^N; the wait of an accepted caller (request to call back) is the FIFO wait given k >= N ahead: the
sum of (k + 1) Exp(c mu) with k - N geometric, i.e. Erlang(N + 1, c mu) plus, with probability rho, an
Exp(c mu (1 - rho)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import Checks, scenario, simulate_kpis
from scipy import stats as sps

from sim.analysis.analytic import erlang_c
from sim.analysis.experiment import run
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS, facts
from sim.analysis.summary import kpi_rows, site_rows
from sim.engine.callers import draw_callers
from sim.engine.layout import build_layout
from sim.engine.model import simulate
from sim.engine.records import ANSWERED, CALLBACK, UNREACHED, Records
from sim.engine.repeats import CALLBACK as CALLBACK_LEG
from sim.engine.repeats import REDIAL, REPEAT, TRANSFER
from sim.engine.streams import Streams
from sim.errors import CcsimError
from sim.scenario.loader import parse_scenario
from sim.scenario.schema import Scenario

RATE, AGENTS, MEAN, N, ACCEPT, WITHIN = 170.0, 10, 180.0, 2, 0.6, 300.0
YAML = f"""
name: virtual_hold
run: {{days: 12, replications: 10, seed: 17, warmup: 1h}}
call_types:
  a:
    arrivals: {{rate_per_hour: {RATE}}}
    handle_time: {{dist: exponential, mean: {MEAN}s}}
    patience: none
    callback: {{queue_length: {N}, accept: {ACCEPT}, within: {WITHIN}s}}
agent_groups:
  team: {{skills: [a], agents: {AGENTS}}}
"""


def _records(s: Scenario, replication: int = 0) -> Records:
    layout = build_layout(s)
    streams = Streams(s.run.seed, replication)
    return simulate(layout, draw_callers(layout, streams), streams)


def _delay_cdf(w: float, rho: float, rate: float) -> float:
    """P(Erlang(N + 1, rate) + X <= w), X = 0 w.p. 1 - rho, else Exp(rate (1 - rho))."""
    n, beta = N + 1, rate * (1.0 - rho)
    erlang = sps.gamma.cdf(w, n, scale=1.0 / rate)
    with_exp = erlang - math.exp(-beta * w) * (rate / (rate - beta)) ** n * sps.gamma.cdf(w, n, scale=1 / (rate - beta))
    return float((1.0 - rho) * erlang + rho * with_exp)


@pytest.mark.slow
def test_virtual_hold_matches_the_mmc_limit() -> None:
    s = scenario(YAML)
    _, rows = simulate_kpis(s)
    k = rows[("call_type", "a")].kpis
    lam, mu = RATE / 3600.0, 1.0 / MEAN
    rho, c = lam / (AGENTS * mu), erlang_c(AGENTS, lam, MEAN).p_wait
    rate = AGENTS * mu
    checks = Checks("virtual hold, M/M/10 limit", s.run.replications)
    checks.close("call-back rate", k["callback_rate"], ACCEPT * c * rho ** N)
    checks.close("mean time to call back", k["callback_delay"], (N + 1 + rho / (1 - rho)) / rate)
    checks.close(f"called back within {WITHIN:g}s", k["callback_sl"], _delay_cdf(WITHIN, rho, rate))
    checks.close("reached", k["callback_reached_rate"], 1.0, eps=1e-12)
    checks.close("occupancy", rows[("group", "team")].kpis["occupancy"], rho)
    checks.verify()


def test_legs_and_contacts_add_up() -> None:
    """Every accepted offer has exactly one call-back leg of the same work, request instant and type; per contact
    the outcomes add up (callbacks being one of them); per leg, reached + unreached + still waiting = legs."""
    s = scenario(YAML.replace("days: 12, replications: 10", "days: 1, replications: 1").replace("warmup: 1h",
                                                                                                 "warmup: 0s"))
    r = _records(s)
    leg = np.flatnonzero(r.callers.repeat_kind == CALLBACK_LEG)
    origin = r.callers.repeat_of[leg]
    assert len(leg) > 100 and np.array_equal(np.sort(origin), np.flatnonzero(r.outcome == CALLBACK))
    assert np.array_equal(r.callers.talk_time[leg], r.callers.talk_time[origin])
    assert np.array_equal(r.callers.arrival_at[leg], r.end_at[origin])
    assert np.all(r.end_at[origin] == r.callers.arrival_at[origin]), "no IVR: the offer comes on joining the queue"
    f = facts(r, build_layout(s)).calls.sum(axis=1)[:, 0]
    field = dict(zip(CALL_FIELDS, f, strict=True))
    outcomes = sum(field[k] for k in ("deflected", "blocked", "closed", "answered", "abandoned", "in_system",
                                      "callbacks"))
    assert field["offered"] == outcomes
    waiting = np.isnan(r.start_at[leg]).sum()
    assert field["callback_legs"] == field["callback_reached"] + field["callback_unreached"] + waiting
    assert field["answered"] + field["callback_reached"] == (r.outcome == ANSWERED).sum()


def test_unreached_call_backs_cost_the_ring_time_only() -> None:
    text = YAML.replace(f"within: {WITHIN}s}}", "within: 5min, reached: 0.7, ring_time: {dist: deterministic, "
                                                 "value: 25s}}").replace("days: 12, replications: 10",
                                                                         "days: 1, replications: 1")
    r = _records(scenario(text))
    leg = r.callers.repeat_kind == CALLBACK_LEG
    unreached, reached = leg & (r.outcome == UNREACHED), leg & (r.outcome == ANSWERED)
    share = unreached.sum() / (unreached.sum() + reached.sum())
    assert abs(share - 0.3) < 3 * math.sqrt(0.3 * 0.7 / (unreached.sum() + reached.sum()))
    assert np.allclose(r.end_at[unreached] - r.start_at[unreached], 25.0)
    assert np.allclose(r.end_at[reached] - r.start_at[reached], 25.0 + r.callers.talk_time[reached])


def test_no_acceptance_leaves_the_run_as_it_was() -> None:
    a = _records(scenario(YAML.replace(f"accept: {ACCEPT}", "accept: 0").replace("days: 12", "days: 1")))
    b = _records(scenario(YAML.replace(f"\n    callback: {{queue_length: {N}, accept: {ACCEPT}, within: "
                                       f"{WITHIN}s}}", "").replace("days: 12", "days: 1")))
    assert np.array_equal(a.start_at, b.start_at) and np.array_equal(a.outcome, b.outcome)


def test_an_offer_needs_a_condition() -> None:
    with pytest.raises(CcsimError) as err:
        parse_scenario(YAML.replace(f"queue_length: {N}, ", ""), "bad.yaml")
    assert "call_types.a.callback" in str(err.value) and "expected_wait or queue_length" in str(err.value)


def test_called_back_later_joins_the_queue_after_its_delay() -> None:
    """With ``later`` the call back does not keep the caller's place: it joins the queue 10 minutes after the
    request (an idle agent takes it at once, else it waits its turn), and the call-back service level counts from
    the request."""
    text = YAML.replace(f"within: {WITHIN}s}}", "within: 15min, later: {dist: deterministic, value: 10min}}")
    r = _records(scenario(text.replace("days: 12, replications: 10", "days: 1, replications: 1")))
    leg = np.flatnonzero(r.callers.repeat_kind == CALLBACK_LEG)
    called = leg[~np.isnan(r.start_at[leg])]
    delay = r.start_at[called] - r.callers.arrival_at[called]
    assert len(called) > 100 and np.all(delay >= 600.0 - 1e-9 * r.start_at[called])
    assert np.mean(np.isclose(delay, 600.0)) > 0.3, "often an agent is idle when the call back is due"
    assert np.any(delay > 660.0), "and sometimes it waits in the queue"
    np.testing.assert_allclose(r.end_at[called] - r.start_at[called], r.callers.talk_time[called], atol=1e-6)


def test_call_backs_of_repeats_are_not_first_answers_and_sites_measure_callers_on_the_line() -> None:
    """A call back continues its call: of a repeat it is not the need's first answer (first-contact resolution);
    its virtual wait is in no site ASA or site service level (one type at one site: they equal the call type's)."""
    text = YAML.replace("days: 12, replications: 10", "days: 3, replications: 2").replace(
        "agent_groups:", "sites: {house: {kind: in_house, unresolved_share: 0.3, repeat_delay: {dist: exponential, "
                         "mean: 2h}}}\nagent_groups:").replace("agents: 10}", "agents: 10, site: house}")
    s = scenario(text)
    r = _records(s)
    kind, origin = r.callers.repeat_kind, r.callers.repeat_of
    after = np.zeros(len(kind), dtype=bool)
    for i in range(len(kind)):  # origins come first: one pass in record order
        after[i] = kind[i] in (REPEAT, TRANSFER) or (kind[i] in (REDIAL, CALLBACK_LEG) and after[origin[i]])
    assert (after & (kind == CALLBACK_LEG) & (r.outcome == ANSWERED)).sum() > 50
    f = facts(r, build_layout(s))
    kept = r.callers.arrival_at >= f.first_interval * s.run.interval
    first = f.groups[GROUP_FIELDS.index("first_answered")].sum()
    assert first == np.sum((r.outcome == ANSWERED) & ~after & kept)
    result = run(s, workers=1)
    site = next(row for row in site_rows(result) if row["site"] == "house")
    k = next(row.kpis for row in kpi_rows(result) if row.level == "call_type")
    assert site["asa"] == pytest.approx(k["asa"].mean, rel=1e-12)
    assert site["answered_within"] == pytest.approx(k["sl_answered_of_answered"].mean, rel=1e-12)
