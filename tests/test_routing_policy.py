"""Routing policies and agents as entities.

Validation: one group of c = 10 agents with skills ``a`` (rank 1, priority 1) and ``b`` (rank 2, priority 0), the
same exponential handle time, no abandonment: under ``rank_first`` a freed agent takes ``a`` first, under
``priority_first`` it takes ``b`` first. Either way the queue is M/M/10 with two non-preemptive priority classes,
so the per-class ASA must match Cobham's formula with the classes in that order (and the two policies must
differ). Agents: ids are stable, unique per group, never serve two calls at once, and the busy agents never
exceed the group's logged-in count.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import Checks, scenario, simulate_kpis

from sim.analysis.analytic import cobham_priority_waits
from sim.engine.callers import draw_callers
from sim.engine.layout import build_layout
from sim.engine.model import simulate
from sim.engine.records import ANSWERED
from sim.engine.streams import Streams
from sim.errors import CcsimError
from sim.scenario.loader import parse_scenario

AGENTS, MEAN, RATE = 10, 180.0, 80.0  # per type: rho = 2 x 80/h x 180 s / 10 = 0.8
YAML = f"""
name: policies
run: {{days: 40, replications: 8, seed: 31, warmup: 2h}}
routing: POLICY
call_types:
  a:
    arrivals: {{rate_per_hour: {RATE}}}
    handle_time: {{dist: exponential, mean: {MEAN}s}}
    patience: none
    priority: 1
  b:
    arrivals: {{rate_per_hour: {RATE}}}
    handle_time: {{dist: exponential, mean: {MEAN}s}}
    patience: none
    priority: 0
agent_groups:
  team: {{skills: {{a: 1, b: 2}}, agents: {AGENTS}}}
"""


@pytest.mark.slow
@pytest.mark.parametrize(("policy", "first"), [("rank_first", "a"), ("priority_first", "b")])
def test_each_policy_gives_cobham_with_its_order(policy: str, first: str) -> None:
    s = scenario(YAML.replace("POLICY", policy))
    _, rows = simulate_kpis(s)
    high, low = first, "b" if first == "a" else "a"
    waits = cobham_priority_waits([RATE / 3600.0, RATE / 3600.0], AGENTS, MEAN)
    checks = Checks(f"{policy}: M/M/10 priorities", s.run.replications)
    checks.close(f"ASA {high} (served first)", rows[("call_type", high)].kpis["asa"], waits[0])
    checks.close(f"ASA {low} (served second)", rows[("call_type", low)].kpis["asa"], waits[1])
    checks.verify()
    assert waits[1] > 3 * waits[0]  # the two orders are far apart: a wrong policy cannot pass


def test_agents_are_entities_with_stable_ids() -> None:
    text = YAML.replace("POLICY", "rank_first").replace("days: 40, replications: 8", "days: 1, replications: 1")
    text = text.replace(f"team: {{skills: {{a: 1, b: 2}}, agents: {AGENTS}}}",
                        "team: {skills: {a: 1, b: 2}, shifts: [{start: '00:00', end: '12:00', agents: 10},"
                        " {start: '08:00', end: '24:00', agents: 6}]}\n"
                        "  extra: {skills: [b], agents: 2}")
    s = scenario(text)
    layout = build_layout(s)
    streams = Streams(s.run.seed, 0)
    r = simulate(layout, draw_callers(layout, streams), streams)
    served = r.outcome == ANSWERED
    assert np.all(r.agent[served] >= 0) and np.all(r.agent[~served & np.isnan(r.start_at)] == -1)
    by_group = {g: set(r.agent[served & (r.group == g)].tolist()) for g in range(2)}
    assert not by_group[0] & by_group[1], "an agent belongs to one group"
    assert len(by_group[0]) == 16 and len(by_group[1]) == 2  # at most 16 of team on shift at once (08-12)
    for agent in set(r.agent[served].tolist()):  # one call at a time per agent
        mine = served & (r.agent == agent)
        order = np.argsort(r.start_at[mine])
        assert np.all(r.start_at[mine][order][1:] >= r.end_at[mine][order][:-1])


def test_an_unknown_policy_names_the_choices() -> None:
    with pytest.raises(CcsimError) as err:
        parse_scenario(YAML.replace("POLICY", "skill_first"), "bad.yaml")
    assert "routing" in str(err.value) and "rank_first" in str(err.value) and "priority_first" in str(err.value)
