"""Transfers: answered calls passed on to another call type's queue, as a second leg of the same contact.

Validation: a two-station network with exponential times is a Jackson network when station 1 has no abandonment
(its departures are Poisson, Burke), so station 2 sees Poisson arrivals at rate p * lambda and is an Erlang A
queue of its own. Invariants: conservation per contact and per leg, the caller keeps its line across legs, both
legs billed by their site's contract. Common random numbers: a contact's transfer and redial decisions are its
own, whatever other calls do.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import Checks, scenario, simulate_kpis

from sim.analysis.analytic import erlang_a, erlang_c
from sim.analysis.experiment import run
from sim.analysis.facts import CALL_FIELDS, facts
from sim.analysis.summary import kpi_rows
from sim.engine.callers import draw_callers
from sim.engine.layout import build_layout
from sim.engine.model import simulate
from sim.engine.records import ABANDONED, ANSWERED, BLOCKED, IN_SYSTEM, Records
from sim.engine.repeats import FRESH, REDIAL, TRANSFER
from sim.engine.streams import Streams
from sim.errors import CcsimError
from sim.scenario.loader import parse_scenario
from sim.scenario.schema import Scenario

LAMBDA, SHARE, C1, C2, S1, S2, PATIENCE = 200.0, 0.25, 12, 5, 180.0, 300.0, 120.0
JACKSON = f"""
name: jackson
run: {{days: 4, replications: 10, seed: 11, warmup: 1h}}
call_types:
  first:
    arrivals: {{rate_per_hour: {LAMBDA}}}
    handle_time: {{dist: exponential, mean: {S1}s}}
    patience: none
    transfer: {{share: {SHARE}, to: second}}
  second:
    arrivals: none
    handle_time: {{dist: exponential, mean: {S2}s}}
    patience: {{dist: exponential, mean: {PATIENCE}s}}
agent_groups:
  one: {{skills: [first], agents: {C1}}}
  two: {{skills: [second], agents: {C2}}}
"""


def _records(s: Scenario, replication: int = 0) -> Records:
    layout = build_layout(s)
    streams = Streams(s.run.seed, replication)
    return simulate(layout, draw_callers(layout, streams), streams)


@pytest.mark.slow
def test_two_station_network_matches_jackson() -> None:
    """Station 1 is M/M/12 (Erlang C); station 2 is M/M/5+M fed by a Poisson stream of p * lambda (Erlang A)."""
    s = scenario(JACKSON)
    _, rows = simulate_kpis(s)
    one, two = rows[("call_type", "first")].kpis, rows[("call_type", "second")].kpis
    c = erlang_c(C1, LAMBDA / 3600, S1, 20.0)
    a = erlang_a(C2, LAMBDA * SHARE / 3600, S2, PATIENCE, 20.0)
    checks = Checks("jackson 2-station", s.run.replications)
    checks.close("station 1 service level", one["service_level"], c.service_level)
    checks.close("station 1 ASA", one["asa"], c.asa)
    checks.close("transfer rate", one["transfer_rate"], SHARE)
    checks.close("station 2 service level", two["transfer_sl"], a.service_level)
    checks.close("station 2 abandonment", two["transfer_abandon_rate"], a.p_abandon)
    checks.close("station 2 ASA", two["transfer_asa"], a.mean_wait_answered)
    checks.close("station 2 handle time", two["transfer_aht"], S2)
    checks.close("station 2 occupancy", rows[("group", "two")].kpis["occupancy"], a.occupancy)
    checks.verify()


def test_legs_are_counted_as_legs_not_as_calls() -> None:
    """The target type is offered no calls; its legs have their own counts, which add up per leg; per contact the
    first legs add up as before; each leg belongs to an answered, transferred first leg of the other type."""
    s = scenario(JACKSON.replace("days: 4, replications: 10", "days: 1, replications: 2")
                 .replace("warmup: 1h", "warmup: 0s"))  # no first leg in the warm-up with its leg after it
    r = _records(s)
    leg = r.callers.repeat_kind == TRANSFER
    assert leg.sum() > 100
    origin = r.callers.repeat_of[leg]
    assert np.all(r.transferred[origin]) and r.transferred.sum() == leg.sum()
    assert np.all(r.outcome[origin] == ANSWERED) and np.all(r.callers.call_type[origin] == 0)
    assert np.all(r.callers.call_type[leg] == 1) and np.all(r.callers.ivr_time[leg] == 0.0)
    talk_end = r.start_at[origin] + r.callers.talk_time[origin]
    assert np.allclose(r.callers.arrival_at[leg], talk_end), "the caller joins the second queue as the talk ends"
    f = facts(r, build_layout(s)).calls.sum(axis=1)
    field = {name: f[i] for i, name in enumerate(CALL_FIELDS)}
    assert field["offered"][1] == 0 and field["transfer_legs"][0] == 0
    assert field["transferred"][0] == field["transfer_legs"][1] > 0
    outcomes = sum(field[k] for k in ("deflected", "blocked", "closed", "answered", "abandoned", "in_system"))
    assert np.array_equal(field["offered"], outcomes)
    in_system = ((r.outcome == IN_SYSTEM) & leg).sum()
    assert field["transfer_legs"][1] == (field["transfer_answered"][1] + field["transfer_abandoned"][1]
                                         + field["transfer_blocked"][1] + in_system)


def test_a_transferred_caller_keeps_its_line() -> None:
    """With few lines, the contacts in the system (first leg to the end of the last) never exceed them."""
    s = scenario(JACKSON.replace("days: 4, replications: 10", "days: 1, replications: 1")
                 .replace("name: jackson", "name: jackson\nlines: 14"))
    r = _records(s)
    end = r.end_at.copy()
    leg = np.flatnonzero(r.callers.repeat_kind == TRANSFER)
    end[r.callers.repeat_of[leg]] = np.where(np.isnan(r.end_at[leg]), np.inf, r.end_at[leg])
    contact = (r.callers.repeat_kind != TRANSFER) & (r.outcome != BLOCKED)
    end = np.where(np.isnan(end), np.inf, end)
    times = np.concatenate([r.callers.arrival_at[contact], end[contact]])
    steps = np.concatenate([np.ones(contact.sum()), -np.ones(contact.sum())])
    order = np.lexsort((steps, times))  # at equal instants, leave before arriving
    assert np.cumsum(steps[order]).max() == 14
    assert (r.outcome == BLOCKED).sum() > 0


def test_no_transfer_share_leaves_the_run_as_it_was() -> None:
    with_rule = scenario(JACKSON.replace(f"share: {SHARE}", "share: 0").replace("days: 4", "days: 1"))
    plain = scenario(JACKSON.replace(f"\n    transfer: {{share: {SHARE}, to: second}}", "")
                     .replace("arrivals: none", "arrivals: {rate_per_hour: 1}").replace("days: 4", "days: 1"))
    a, b = _records(with_rule), _records(plain)
    first_a, first_b = a.callers.call_type == 0, b.callers.call_type == 0
    assert np.array_equal(a.start_at[first_a], b.start_at[first_b])
    assert not a.transferred.any()


def test_redial_decisions_are_the_contacts_own() -> None:
    """Common random numbers for redials: a contact that abandons in two scenarios with different staffing makes
    the same redial decision in both (its own first draw), although the order of events differs."""
    base = """
name: crn
run: {days: 1, replications: 1, seed: 5}
call_types:
  a:
    arrivals: {rate_per_hour: 240}
    handle_time: {dist: exponential, mean: 180s}
    patience: {dist: exponential, mean: 60s}
    redial: {share: 0.5, delay: {dist: exponential, mean: 5min}}
agent_groups:
  team: {skills: [a], agents: AGENTS}
"""
    few, more = (_records(scenario(base.replace("AGENTS", str(n)))) for n in (10, 11))
    fresh = int((few.callers.repeat_kind == FRESH).sum())
    assert fresh == int((more.callers.repeat_kind == FRESH).sum())

    def redialed(r: Records) -> np.ndarray:
        out = np.zeros(fresh, dtype=bool)
        origin = r.callers.repeat_of[r.callers.repeat_kind == REDIAL]
        out[origin[origin < fresh]] = True
        return out

    both = (few.outcome[:fresh] == ABANDONED) & (more.outcome[:fresh] == ABANDONED)
    both &= (few.end_at[:fresh] < 23 * 3600) & (more.end_at[:fresh] < 23 * 3600)  # redials within the horizon
    assert both.sum() > 100
    assert np.array_equal(redialed(few)[both], redialed(more)[both])
    assert 0.4 < redialed(few)[both].mean() < 0.6


def test_both_legs_are_billed_by_their_sites_contract() -> None:
    """Specialists at a partner billed per handled call: the invoice counts exactly the answered legs."""
    text = JACKSON.replace("days: 4, replications: 10", "days: 1, replications: 2") + """
sites:
  in_house: {kind: in_house}
  bpo: {kind: partner, contract: {per_call: 2.5}}
"""
    text = text.replace("two: {skills: [second]", "two: {site: bpo, skills: [second]")
    rows = {(r.level, r.name): r.kpis for r in kpi_rows(run(parse_scenario(text, "b.yaml"), workers=1))}
    legs = rows[("call_type", "second")]["transfer_answered"].mean
    assert legs > 100
    assert rows[("total", "all")]["total_cost"].mean == pytest.approx(2.5 * legs, rel=1e-12)


@pytest.mark.parametrize(("change", "where", "message"), [
    ("to: second}", "call_types.first.transfer.to", "unknown call type 'secnd'"),
    ("arrivals: none", "call_types.second.arrivals", "no call type transfers to it"),
    ("loop", "call_types.first.transfer.to", "round in a circle (first -> second -> first)"),
])
def test_bad_transfers_name_the_key(change: str, where: str, message: str) -> None:
    text = JACKSON
    if change == "to: second}":
        text = text.replace("to: second}", "to: secnd}")
    elif change == "arrivals: none":
        text = text.replace(f"\n    transfer: {{share: {SHARE}, to: second}}", "")
    else:
        text = text.replace("    arrivals: none\n", "    arrivals: none\n    transfer: {share: 0.1, to: first}\n")
    with pytest.raises(CcsimError) as err:
        parse_scenario(text, "bad.yaml")
    assert where in str(err.value) and message in str(err.value)


def test_compare_shows_transfer_rows_only_where_there_are_transfers() -> None:
    from sim.analysis.compare import compare

    small = JACKSON.replace("days: 4, replications: 10", "days: 1, replications: 2")
    with_legs, without = (run(scenario(small.replace(f"share: {SHARE}", f"share: {p}")), workers=1) for p in (SHARE, 0))
    keys = {row.key for row in compare([without, with_legs]) if row.scope == "all"}
    assert {"transfer_rate", "transfer_sl", "transfer_abandon_rate"} <= keys
    assert not keys & {"callback_rate", "callback_sl"}
    assert not {row.key for row in compare([without, without])} & {"transfer_rate", "transfer_sl"}
