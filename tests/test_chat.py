"""Chat: concurrency with a constant stretch against Erlang A with c x k servers, load-dependent stretch against
the agents' own chain, and the rules chats keep."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import Checks, replication_records, scenario

from sim.analysis.analytic import erlang_a
from sim.analysis.chains import stationary
from sim.analysis.facts import GROUP_FIELDS, facts
from sim.analysis.stats import mean_estimate
from sim.engine.chat import Chats
from sim.engine.layout import build_layout
from sim.engine.records import Records
from sim.scenario.schema import Scenario

HOUR = 3600.0


def _chat_scenario(rate: float, agents: int, k: int, stretch: str, patience: str, days: int, reps: int,
                   seed: int) -> Scenario:
    return scenario(f"""
name: chat
run: {{days: {days}, replications: {reps}, seed: {seed}}}
call_types:
  hotline:
    arrivals: {{rate_per_hour: 1}}
    handle_time: {{dist: exponential, mean: 3min}}
    patience: none
agent_groups:
  service: {{skills: [hotline], agents: 1}}
  chat_team: {{skills: [], agents: {agents}}}
chats:
  web:
    arrivals: {{rate_per_hour: {rate}}}
    handle_time: {{dist: exponential, mean: 6min}}
    patience: {patience}
    groups: [chat_team]
    concurrency: {k}
    stretch: {stretch}
""")


def _chats(r: Records) -> Chats:
    assert r.chats is not None
    return r.chats


def _measure(s: Scenario, threshold: float) -> dict[str, np.ndarray]:
    lo, hi = 2 * HOUR, s.run.days * 86400.0
    out: dict[str, list[float]] = {"p_wait": [], "p_abandon": [], "sl": [], "mean_wait": [], "handle": [],
                                   "agents_busy": []}
    for r in replication_records(s):
        c = _chats(r)
        inside = (c.arrival_at >= lo) & (c.arrival_at < hi)
        n = inside.sum()
        wait = np.where(c.abandoned, c.end_at, c.start_at) - c.arrival_at
        answered = inside & ~np.isnan(c.start_at)
        out["p_wait"].append(float((inside & (c.abandoned | (c.start_at > c.arrival_at))).sum() / n))
        out["p_abandon"].append(float((inside & c.abandoned).sum() / n))
        out["sl"].append(float((answered & (wait <= threshold)).sum() / n))
        out["mean_wait"].append(float(np.nan_to_num(wait[inside & (answered | c.abandoned)]).sum() / n))
        done = answered & ~np.isnan(c.end_at)
        out["handle"].append(float((c.end_at - c.start_at)[done].mean()))
        b = c.busy
        out["agents_busy"].append(float((np.clip(b[:, 2], lo, hi) - np.clip(b[:, 1], lo, hi)).sum() / (hi - lo)))
    return {k: np.asarray(v) for k, v in out.items()}


def test_constant_stretch_is_erlang_a_with_c_times_k_servers() -> None:
    """4 agents x 3 chats, every chat 1.2 times longer than alone whatever the load: 12 independent slots, an
    M/M/12+M queue (Erlang A) with mean handle 1.2 x 6 min, 95 chats an hour, patience Exp(90 s)."""
    s = _chat_scenario(95, 4, 3, "[1.2, 1.2, 1.2]", "{dist: exponential, mean: 90s}", 3, 8, 71)
    theory = erlang_a(12, 95 / HOUR, 1.2 * 360.0, 90.0, threshold=60.0)
    m = _measure(s, 60.0)
    checks = Checks("chat 4 agents x 3, stretch 1.2", s.run.replications)
    checks.close("P(wait > 0)", mean_estimate(m["p_wait"]), theory.p_wait)
    checks.close("P(abandon)", mean_estimate(m["p_abandon"]), theory.p_abandon)
    checks.close("answered within 60 s", mean_estimate(m["sl"]), theory.service_level)
    checks.close("mean wait (all)", mean_estimate(m["mean_wait"]), theory.mean_wait)
    checks.close("handle time", mean_estimate(m["handle"]), 1.2 * 360.0)
    checks.verify()


def test_load_dependent_stretch_matches_the_agents_chain() -> None:
    """2 agents x 2 chats, a chat alone takes Exp(6 min) of work, two at once each progress at 1/1.5: per agent
    the completion rate is n / (stretch(n) x 6 min). The chain on (agent loads, queue) with new chats to the least
    loaded agent, patience Exp(2 min), at most 30 waiting (never reached) gives P(wait), P(abandon) and the
    agents' busy share."""
    s = _chat_scenario(25, 2, 2, "[1.0, 1.5]", "{dist: exponential, mean: 2min}", 4, 8, 72)
    lam, mu, theta, stretch = 25 / HOUR, 1 / 360.0, 1 / 120.0, (1.0, 1.5)

    def settle(loads: tuple[int, ...], q: int) -> tuple[tuple[int, ...], int]:
        loads = tuple(sorted(loads))
        while q and loads[0] < 2:
            loads, q = tuple(sorted((loads[0] + 1, *loads[1:]))), q - 1
        return loads, q

    def moves(state: tuple[tuple[int, ...], int]) -> list[tuple[tuple[tuple[int, ...], int], float]]:
        loads, q = state
        out = []
        if q < 30:
            out.append((settle(loads, q + 1), lam))
        for j, n in enumerate(loads):
            if n:
                rest = list(loads)
                rest[j] -= 1
                out.append((settle(tuple(rest), q), n * mu / stretch[n - 1]))
        if q:
            out.append((((loads), q - 1), q * theta))
        return out

    pi = stationary(((0, 0), 0), moves)
    p_wait = sum(p for (loads, _), p in pi.items() if min(loads) == 2)
    p_abandon = sum(p * q for (_, q), p in pi.items()) * theta / lam
    busy = sum(p * sum(1 for n in loads if n) for (loads, _), p in pi.items())
    m = _measure(s, 60.0)
    checks = Checks("chat 2 agents x 2, stretch 1.5", s.run.replications)
    checks.close("P(wait > 0)", mean_estimate(m["p_wait"]), p_wait)
    checks.close("P(abandon)", mean_estimate(m["p_abandon"]), p_abandon)
    checks.close("agents busy", mean_estimate(m["agents_busy"]), busy)
    checks.verify()


def test_chats_keep_first_in_first_out_and_the_concurrency() -> None:
    s = _chat_scenario(60, 3, 3, "[1.0, 1.1, 1.25]", "{dist: exponential, mean: 60s}", 1, 1, 73)
    c = _chats(replication_records(s)[0])
    started = ~np.isnan(c.start_at)
    waited = started & (c.start_at > c.arrival_at)
    order = np.argsort(c.arrival_at[waited], kind="stable")
    assert (np.diff(c.start_at[waited][order]) >= 0).all(), "a waiting chat overtook an older one"
    assert not (started & c.abandoned).any()
    for agent in np.unique(c.agent[started]):
        mine = started & (c.agent == agent) & ~np.isnan(c.end_at)
        events = np.concatenate([np.stack([c.start_at[mine], np.ones(mine.sum())], axis=1),
                                 np.stack([c.end_at[mine], -np.ones(mine.sum())], axis=1)])
        events = events[np.lexsort((events[:, 1], events[:, 0]))]
        assert np.cumsum(events[:, 1]).max() <= 3, f"agent {agent} had more than 3 chats at once"


def test_chat_agents_whose_shift_ended_take_no_new_chats_and_log_out() -> None:
    """A chat team on shift 00:00-12:00 under a queue that never empties: after 12:00 no chat starts, every agent
    finishes its chats (6 min each) and logs out, and the facts of spans that all cross interval boundaries add up."""
    s = scenario("""
name: chat_shift
run: {days: 1, replications: 1, seed: 74, drain: 0s}
call_types:
  hotline:
    arrivals: {rate_per_hour: 1}
    handle_time: {dist: exponential, mean: 3min}
    patience: none
agent_groups:
  service: {skills: [hotline], agents: 1}
  chat_team: {skills: [], shifts: [{start: "00:00", end: "12:00", agents: 4}]}
chats:
  web:
    arrivals: {rate_per_hour: 200}
    handle_time: {dist: deterministic, value: 6min}
    patience: none
    groups: [chat_team]
    concurrency: 2
""")
    r = replication_records(s)[0]
    c = _chats(r)
    assert not (c.start_at >= 12 * HOUR).any(), "an agent off shift took a chat"
    assert (c.busy[:, 2] <= 12 * HOUR + 360.0 + 1e-6).all()
    log = r.staff_log
    assert log[log[:, 1] == 1, 2].sum() == 0, "every chat agent who logged in logged out"
    f = facts(r, build_layout(s))
    busy = f.groups[GROUP_FIELDS.index("chat_time"), :, 1].sum()
    assert busy == pytest.approx((c.busy[:, 2] - c.busy[:, 1]).sum())
