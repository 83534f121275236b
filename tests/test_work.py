"""Deferrable work (e-mail, back office): the backlog against its fluid model, a blended team against the blending
chain, and the rules items keep (first in, first out; working hours; handle times)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import Checks, inbound_shares, replication_records, scenario

from sim.analysis.chains import blended, fluid_backlog
from sim.analysis.facts import facts
from sim.analysis.stats import mean_estimate
from sim.economics.billing import COMPONENTS
from sim.engine.backoffice import Items
from sim.engine.layout import build_layout
from sim.engine.records import Records

HOUR = 3600.0

MORNING_MAIL = """
name: morning_mail
run: {days: 1, replications: 10, seed: 61}
call_types:
  hotline:
    arrivals: {rate_per_hour: 1}
    handle_time: {dist: exponential, mean: 3min}
    patience: none
agent_groups:
  service: {skills: [hotline], agents: 1}
  back_office: {skills: [], shifts: [{start: "08:00", end: "20:00", agents: 10}]}
work:
  mail:
    arrivals:
      daily_volume: 1200
      profile: {resolution: 1h, start: "08:00", shares: [0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125]}
    handle_time: {dist: deterministic, value: 6min}
    groups: [back_office]
    response: {within: 4h, target: 0.9}
"""


def _items(r: Records) -> Items:
    assert r.items is not None
    return r.items


def _backlog(items: Items, t: float) -> int:
    """Items arrived and not yet started at instant ``t``."""
    return int(((items.arrival_at < t) & ~(items.start_at < t)).sum())


def test_mail_backlog_is_bounded_by_its_fluid_and_moves_at_its_rates() -> None:
    """150 e-mails an hour from 08:00 to 16:00, 10 agents 08-20 h at exactly 6 min each (100 an hour). The fluid
    model: the backlog grows by 50/h to 400 at 16:00, then falls by 100/h to 0 at 20:00
    (``sim.analysis.chains.fluid_backlog``). The mean backlog lies above the fluid (the reflection is convex:
    Jensen), and while every agent is busy it moves at exactly the fluid's rates: from 10:00 to 16:00 it grows by
    the 900 arrivals minus 600 starts, from 16:00 to 18:00 it falls by exactly 200 (each busy agent starts one
    item every 6 minutes)."""
    s = scenario(MORNING_MAIL)
    hours = np.arange(9, 21)
    fluid = fluid_backlog([0.0] * 8 + [150 / HOUR] * 8 + [0.0] * 8, [0.0] * 8 + [100 / HOUR] * 12 + [0.0] * 4,
                          HOUR).backlog[hours]
    assert fluid.tolist() == [50.0 * min(h - 8, 8) - 100.0 * max(h - 16, 0) for h in hours]
    runs = [_items(r) for r in replication_records(s)]
    backlog = np.array([[_backlog(a, h * HOUR) for h in hours] for a in runs], dtype=float)
    checks = Checks("fluid backlog", s.run.replications)
    for j, h in enumerate(hours):
        checks.at_least(f"backlog at {h}:00", mean_estimate(backlog[:, j]), fluid[j])
    at = {h: j for j, h in enumerate(hours)}
    checks.close("growth 10-16 h", mean_estimate(backlog[:, at[16]] - backlog[:, at[10]]), 900.0 - 600.0)
    checks.verify()
    assert (backlog[:, at[16]] - backlog[:, at[18]] == 200.0).all()


def test_items_keep_first_in_first_out_and_the_working_hours() -> None:
    s = scenario(MORNING_MAIL.replace("    response:", '    hours: {mon-sun: ["08:00-12:00", "13:00-20:00"]}\n'
                                                        "    response:").replace("replications: 10",
                                                                                 "replications: 1"))
    a = _items(replication_records(s)[0])
    started = ~np.isnan(a.start_at)
    assert started.all()
    assert (np.diff(a.start_at) >= 0).all(), "an item overtook an older one"
    assert (a.start_at >= a.arrival_at).all() and np.allclose(a.end_at - a.start_at, 360.0)
    clock = a.start_at % 86400
    assert not ((clock >= 12 * HOUR) & (clock < 13 * HOUR)).any(), "an item was started in the lunch break"
    assert (a.group == 1).all()


def test_blended_team_with_an_endless_backlog_matches_the_blending_chain() -> None:
    """8 agents take inbound calls (80/h, Exp(240 s), Exp(120 s) patience, 3 waiting) and e-mails that arrive far
    faster than they are worked (an endless backlog), Exp(300 s) each, only while more than 2 agents are idle:
    the blending chain with outbound calls of 300 s (``sim.analysis.chains.blended``)."""
    s = scenario("""
name: blended_mail
run: {days: 2, replications: 8, seed: 62}
call_types:
  orders:
    arrivals: {rate_per_hour: 80}
    handle_time: {dist: exponential, mean: 240s}
    patience: {dist: exponential, mean: 120s}
    max_queue: 3
agent_groups:
  team: {skills: [orders], agents: 8}
work:
  mail:
    arrivals: {rate_per_hour: 200}
    handle_time: {dist: exponential, mean: 300s}
    groups: [team]
    reserve: 2
""")
    theory = blended(8, 2, 80 / HOUR, 240.0, 300.0, max_queue=3, mean_patience=120.0)
    lo, hi = 2 * HOUR, 2 * 86400.0
    shares, done = [], []
    for r in replication_records(s):
        shares.append(inbound_shares(r, lo, hi))
        a = _items(r)
        done.append(((a.start_at >= lo) & (a.start_at < hi)).sum() / (hi - lo))
    checks = Checks("blended e-mail c=8 reserve 2", s.run.replications)
    for key, label in (("p_wait", "P(wait > 0)"), ("p_blocked", "P(blocked)"), ("p_abandon", "P(abandon)")):
        checks.close(label, mean_estimate(np.array([x[key] for x in shares])), getattr(theory, key))
    checks.close("e-mails started/s", mean_estimate(np.array(done)), theory.outbound)
    checks.verify()


def test_a_reserve_binds_only_groups_that_take_calls() -> None:
    """The reserve keeps agents of a group with phone skills free for calls; a back office (no skills) has no calls
    to keep agents for: all 10 of its agents work the backlog even with reserve: 3, exactly as without it."""
    plain = _items(replication_records(scenario(MORNING_MAIL.replace("replications: 10", "replications: 1")))[0])
    reserved = _items(replication_records(scenario(MORNING_MAIL.replace("replications: 10", "replications: 1").replace(
        "    groups: [back_office]\n", "    groups: [back_office]\n    reserve: 3\n")))[0])
    assert np.array_equal(plain.start_at, reserved.start_at)
    assert len(np.unique(plain.agent)) == 10


def test_a_shared_back_office_bills_each_client_the_time_its_items_took() -> None:
    """One back office works the e-mails of two clients, 9 to 1 in volume: its labour (task_team_labour) is split
    by the agent time each client's items took, so about 90 / 10, and adds up to the team's whole cost."""
    s = scenario("""
name: shared_office
run: {days: 2, replications: 1, seed: 63}
clients:
  big:
    call_types:
      big_line: {arrivals: {rate_per_hour: 2}, handle_time: {dist: exponential, mean: 3min}, patience: none}
  small:
    call_types:
      small_line: {arrivals: {rate_per_hour: 2}, handle_time: {dist: exponential, mean: 3min}, patience: none}
agent_groups:
  service: {skills: [big_line, small_line], agents: 1}
  back_office: {skills: [], agents: 4, cost_per_hour: 40}
work:
  big_mail: {client: big, arrivals: {rate_per_hour: 18}, handle_time: {dist: exponential, mean: 6min},
             groups: [back_office]}
  small_mail: {client: small, arrivals: {rate_per_hour: 2}, handle_time: {dist: exponential, mean: 6min},
               groups: [back_office]}
""")
    layout = build_layout(s)
    r = replication_records(s)[0]
    f = facts(r, layout)
    task = f.costs.by_client[COMPONENTS.index("task_team_labour")]
    assert task.sum() == pytest.approx(4 * 48 * 40.0)
    items = _items(r)
    time = [float(np.nansum((items.end_at - items.start_at)[items.work == k])) for k in range(2)]
    assert task[0] / task.sum() == pytest.approx(time[0] / sum(time), rel=1e-6)
    assert 0.85 < task[0] / task.sum() < 0.95
