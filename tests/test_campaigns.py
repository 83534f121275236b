"""Outbound campaigns: the dialer against its Markov chains (progressive, predictive, blended with a reserve)
and a renewal cycle (preview), and the rules of the call list (retries, hours, common random numbers).

The statistical tests follow the tolerance rule of tests/helpers.py (about three standard errors of the
simulation's own estimate over replications; nothing pinned). Each replication is one long stationary horizon
whose first two hours are discarded; rates count attempts dialled in the measured window.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import Checks, inbound_shares, replication_records, scenario

from sim.analysis.chains import blended, dialer
from sim.analysis.stats import mean_estimate
from sim.engine.dialer import ATTEMPT_OUTCOMES, SILENT, Attempts
from sim.engine.records import Records
from sim.scenario.schema import Scenario
from sim.units import DAY

WARMUP = 2 * 3600.0
RIGHT, WRONG, NO_ANSWER = (ATTEMPT_OUTCOMES.index(o) for o in ("right_party", "wrong_party", "no_answer"))


def _attempts(r: Records) -> Attempts:
    assert r.attempts is not None
    return r.attempts


def _window(s: Scenario) -> tuple[float, float]:
    return WARMUP, s.run.days * DAY


def _busy_share(a: Attempts, lo: float, hi: float, agents: int, talking: bool = False) -> float:
    """Share of the agents' time in [lo, hi) spent on attempts (``talking``: only after a live answer)."""
    has = ~np.isnan(a.busy_from)
    if talking:
        has &= (a.outcome == RIGHT) | (a.outcome == WRONG)
    start = np.maximum(a.busy_from, a.rang_at) if talking else a.busy_from
    busy = np.clip(a.end_at[has], lo, hi) - np.clip(start[has], lo, hi)
    return float(busy.sum()) / (agents * (hi - lo))


def _telesales(dialing: str, agents: int, days: int, reps: int, seed: int, extra: str = "") -> Scenario:
    return scenario(f"""
name: telesales
run: {{days: {days}, replications: {reps}, seed: {seed}}}
call_types:
  hotline:
    arrivals: {{rate_per_hour: 1}}
    handle_time: {{dist: exponential, mean: 3min}}
    patience: none
agent_groups:
  service: {{skills: [hotline], agents: 1}}
  telesales: {{skills: [], agents: {agents}}}
campaigns:
  winback:
    groups: [telesales]
    list: {{size: 10000000}}
    dialing: {dialing}
{extra}
    outcomes:
      no_answer: {{share: 0.7, ring_time: {{dist: exponential, mean: 20s}}}}
      right_party: {{share: 0.3, ring_time: {{dist: exponential, mean: 20s}},
                    talk_time: {{dist: exponential, mean: 180s}}}}
""")


def _dialer_checks(s: Scenario, title: str, agents: int, ratio: float | None) -> Checks:
    theory = dialer(agents, 20.0, 0.3, 180.0, ratio=ratio)
    lo, hi = _window(s)
    runs = [_attempts(r) for r in replication_records(s)]
    seconds = hi - lo

    def per_rep(f: object) -> np.ndarray:
        return np.array([f(a) for a in runs])  # type: ignore[operator]

    def dialled(a: Attempts) -> np.ndarray:
        return np.asarray((a.dial_at >= lo) & (a.dial_at < hi))

    checks = Checks(title, s.run.replications)
    checks.close("attempts/s", mean_estimate(per_rep(lambda a: dialled(a).sum() / seconds)), theory.attempts)
    checks.close("put through/s", mean_estimate(per_rep(
        lambda a: (dialled(a) & (a.outcome == RIGHT)).sum() / seconds)), theory.handled)
    checks.close("silent/s", mean_estimate(per_rep(
        lambda a: (dialled(a) & (a.outcome == SILENT)).sum() / seconds)), theory.abandoned, eps=1e-12)
    checks.close("talking", mean_estimate(per_rep(lambda a: _busy_share(a, lo, hi, agents, talking=True))),
                 theory.occupancy)
    return checks


def test_progressive_dialer_matches_its_markov_chain() -> None:
    """c = 10 agents, each dials when free: Exp(20 s) ringing, 30 % right-party contacts with Exp(180 s) talk
    (``sim.analysis.chains.dialer``, ratio None: a renewal cycle per agent, no silent calls)."""
    s = _telesales("progressive", 10, 2, 8, 31)
    _dialer_checks(s, "progressive c=10", 10, None).verify()


def test_predictive_dialer_matches_its_markov_chain() -> None:
    """The same list dialled predictively at ratio 2 (floor(2 x idle agents) lines): the chain on (agents
    talking, lines ringing) gives attempts, contacts put through, silent calls (4.9 % of live answers) and the
    occupancy."""
    s = _telesales("predictive", 10, 2, 8, 32, "    pacing: {ratio: 2.0}")
    _dialer_checks(s, "predictive c=10 ratio 2", 10, 2.0).verify()


def test_preview_dialing_is_a_renewal_cycle() -> None:
    """Preview: the agent reads the record (Exp(30 s)), dials, hears it ring (Exp(20 s)) and talks with 30 %
    probability (Exp(180 s)): per agent one attempt per 30 + 20 + 0.3 x 180 s."""
    s = _telesales("preview", 6, 2, 8, 33, "    preview_time: {dist: exponential, mean: 30s}")
    lo, hi = _window(s)
    cycle = 30.0 + 20.0 + 0.3 * 180.0
    runs = [_attempts(r) for r in replication_records(s)]
    checks = Checks("preview c=6", s.run.replications)
    checks.close("attempts/s", mean_estimate(np.array(
        [((a.dial_at >= lo) & (a.dial_at < hi)).sum() / (hi - lo) for a in runs])), 6 / cycle)
    checks.close("right party/s", mean_estimate(np.array(
        [((a.dial_at >= lo) & (a.dial_at < hi) & (a.outcome == RIGHT)).sum() / (hi - lo) for a in runs])),
        6 * 0.3 / cycle)
    checks.verify()


@pytest.mark.parametrize("reserve", [1, 3])
def test_blended_team_matches_its_markov_chain(reserve: int) -> None:
    """c = 8 agents take inbound calls (Poisson 80/h, Exp(240 s), Exp(120 s) patience, at most 3 waiting) and
    an endless outbound list (no ringing, Exp(300 s) per call); outbound only while more than ``reserve`` agents
    are idle, and an agent finishes an outbound call before taking inbound (``sim.analysis.chains.blended``)."""
    s = scenario(f"""
name: blended
run: {{days: 3, replications: 8, seed: {40 + reserve}}}
call_types:
  orders:
    arrivals: {{rate_per_hour: 80}}
    handle_time: {{dist: exponential, mean: 240s}}
    patience: {{dist: exponential, mean: 120s}}
    max_queue: 3
agent_groups:
  team: {{skills: [orders], agents: 8}}
campaigns:
  followup:
    groups: [team]
    reserve: {reserve}
    list: {{size: 10000000}}
    outcomes:
      right_party: {{share: 1, ring_time: {{dist: deterministic, value: 0s}},
                    talk_time: {{dist: exponential, mean: 300s}}}}
""")
    theory = blended(8, reserve, 80 / 3600, 240.0, 300.0, max_queue=3, mean_patience=120.0)
    lo, hi = _window(s)
    shares, outbound = [], []
    for r in replication_records(s):
        shares.append(inbound_shares(r, lo, hi))
        a = _attempts(r)
        outbound.append(((a.dial_at >= lo) & (a.dial_at < hi)).sum() / (hi - lo))
    checks = Checks(f"blended c=8 reserve {reserve}", s.run.replications)
    for key, label in (("p_wait", "P(wait > 0)"), ("p_blocked", "P(blocked)"), ("p_abandon", "P(abandon)"),
                       ("mean_wait", "mean wait (all arrivals)")):
        checks.close(label, mean_estimate(np.array([x[key] for x in shares])), getattr(theory, key))
    checks.close("outbound calls/s", mean_estimate(np.array(outbound)), theory.outbound)
    checks.verify()


LIST_RULES = """
name: list_rules
run: {days: 3, replications: 1, seed: 9, start_day: mon}
call_types:
  hotline:
    arrivals: {rate_per_hour: 2}
    handle_time: {dist: exponential, mean: 3min}
    patience: none
agent_groups:
  service: {skills: [hotline], agents: 1}
  telesales: {skills: [], agents: AGENTS}
campaigns:
  winback:
    groups: [telesales]
    list: {size: 300, per_day: 100}
    hours: {mon-fri: ["09:00-12:00", "14:00-18:00"]}
    outcomes:
      no_answer: {share: 0.5, ring_time: {dist: deterministic, value: 25s}}
      busy: {share: 0.1, ring_time: {dist: deterministic, value: 5s}}
      wrong_party: {share: 0.1, ring_time: {dist: deterministic, value: 10s},
                    talk_time: {dist: deterministic, value: 30s}}
      right_party: {share: 0.3, ring_time: {dist: deterministic, value: 10s},
                    talk_time: {dist: exponential, mean: 4min}, wrap_up: {dist: deterministic, value: 60s}}
    retry: {max_attempts: 3, no_answer: {dist: deterministic, value: 2h}, busy: {dist: deterministic, value: 15min}}
    sale: {conversion: 0.12, revenue: 60}
"""


def _list_run(agents: int) -> Attempts:
    return _attempts(replication_records(scenario(LIST_RULES.replace("AGENTS", str(agents))))[0])


def test_attempts_keep_the_list_rules() -> None:
    a = _list_run(4)
    assert len(a) > 300
    clock = a.dial_at % DAY
    in_hours = ((clock >= 9 * 3600) & (clock < 12 * 3600)) | ((clock >= 14 * 3600) & (clock < 18 * 3600))
    assert in_hours.all(), "a dial started outside the calling hours"
    assert a.record.max() < 300 + 3 * 100, "a record beyond the list was dialled"
    order = np.lexsort((a.attempt, a.record))
    rec, att, out, dial, end = (x[order] for x in (a.record, a.attempt, a.outcome, a.dial_at, a.end_at))
    first = np.r_[True, rec[1:] != rec[:-1]]
    assert (att[first] == 1).all() and (att[~first] == att[np.flatnonzero(~first) - 1] + 1).all()
    assert att.max() <= 3
    again = np.flatnonzero(~first)
    before = again - 1
    assert np.isin(out[before], [NO_ANSWER, ATTEMPT_OUTCOMES.index("busy")]).all(), "a final outcome was retried"
    delay = np.where(out[before] == NO_ANSWER, 2 * 3600.0, 15 * 60.0)
    assert (dial[again] >= end[before] + delay - 1e-6).all(), "a retry came before its delay"
    assert (a.sale <= (a.outcome == RIGHT)).all()
    assert (a.group[~np.isnan(a.busy_from)] == 1).all()
    busy = ~np.isnan(a.busy_from)
    assert busy.all(), "progressive dialing keeps the agent for every attempt"


def test_more_agents_dial_the_same_records_with_the_same_luck() -> None:
    """Common random numbers: the k-th attempt of a record ends the same way whoever dials it and when."""
    few, many = _list_run(2), _list_run(6)
    key_few = {(r, k): o for r, k, o in zip(few.record.tolist(), few.attempt.tolist(), few.outcome.tolist(),
                                             strict=True)}
    shared = [(key_few[(r, k)], o) for r, k, o in zip(many.record.tolist(), many.attempt.tolist(),
                                                    many.outcome.tolist(), strict=True) if (r, k) in key_few]
    assert len(shared) > 200
    assert all(x == y for x, y in shared)
    assert np.mean(many.dial_at[many.attempt == 1]) < np.mean(few.dial_at[few.attempt == 1])


def test_adaptive_pacing_keeps_silent_calls_under_the_limit() -> None:
    """Predictive dialing at ratio 3 (over 8 % silent calls without a limit) with a 3 % limit per campaign day:
    every day's share of silent calls per live answer stays at or under it, and the dialer still dials ahead
    of the agents (more contacts than progressive dialing)."""
    limited = _telesales("predictive", 10, 4, 1, 34, "    pacing: {ratio: 3.0, max_abandoned: 0.03}")
    fixed = _telesales("predictive", 10, 4, 1, 34, "    pacing: {ratio: 3.0}")
    progressive = _telesales("progressive", 10, 4, 1, 34)
    (a,), (b,), (p,) = (([_attempts(r) for r in replication_records(x)]) for x in (limited, fixed, progressive))
    day = (a.dial_at // DAY).astype(int)
    live = (a.outcome == RIGHT) | (a.outcome == SILENT)
    for d in range(4):
        share = (live & (day == d) & (a.outcome == SILENT)).sum() / (live & (day == d)).sum()
        assert share <= 0.03, f"day {d}: {share:.2%} silent calls"
    fixed_share = (b.outcome == SILENT).sum() / ((b.outcome == RIGHT) | (b.outcome == SILENT)).sum()
    assert fixed_share > 0.08
    assert (a.outcome == RIGHT).sum() > (p.outcome == RIGHT).sum()
    assert math.isfinite(a.end_at.max())


BAD = """
name: bad
sites:
  home: {kind: in_house}
  bpo: {kind: partner, contract: {per_call: 2.0}}
call_types:
  hotline:
    arrivals: {rate_per_hour: 1}
    handle_time: {dist: exponential, mean: 3min}
    patience: none
agent_groups:
  service: {skills: [hotline], agents: 1, site: home}
  telesales: {skills: [], agents: 3, site: home}
  partner_team: {skills: [], agents: 3, site: bpo}
  idle_team: {skills: [], agents: 3, site: home}
campaigns:
  winback:
    groups: [telesale, service, partner_team]
    list: {size: 10}
    dialing: predictive
    pacing: {ratio: 2}
    outcomes:
      no_answer: {share: 0.5, ring_time: {dist: exponential, mean: 20s}}
      right_party: {share: 0.5, ring_time: {dist: exponential, mean: 20s}, talk_time: {dist: exponential, mean: 1min}}
  second:
    groups: [telesales, telesales]
    list: {size: 10}
    outcomes:
      busy: {share: 1, ring_time: {dist: deterministic, value: 5s}}
    sale: {conversion: 0.1}
"""


def test_campaign_mistakes_are_named_with_their_key_paths() -> None:
    from sim.errors import ScenarioError
    from sim.scenario.loader import parse_scenario

    with pytest.raises(ScenarioError) as first:
        parse_scenario(BAD, "bad.yaml")
    assert "bad.yaml:30 campaigns.second.sale: needs right-party contacts" in str(first.value)
    with pytest.raises(ScenarioError) as second:
        parse_scenario(BAD.replace("    sale: {conversion: 0.1}\n", "").replace("[telesales, telesales]",
                                                                               "[telesales]"), "bad.yaml")
    text = str(second.value)
    for expected in ("campaigns.winback.groups[0]: unknown agent group 'telesale' (did you mean 'telesales'?)",
                     "campaigns.winback.groups[1]: 'service' also takes inbound calls: predictive dialing needs",
                     "campaigns.winback.groups[2]: 'partner_team' works at partner site 'bpo', whose contract pays "
                     "nothing",
                     "agent_groups.idle_team.skills: a group needs at least one skill, or must work an outbound"):
        assert expected in text
    for key, value, message in (
            ("    pacing: {ratio: 2}\n", "", "campaigns.winback.pacing: give it for dialing: predictive"),
            ("{share: 0.5, ring_time: {dist: exponential, mean: 20s}}", "{share: 0.4, ring_time: "
             "{dist: exponential, mean: 20s}}", "campaigns.winback.outcomes: the shares must sum to 1 (got 0.9)"),
            ("      busy:", "      voicemail:", "campaigns.second.outcomes.voicemail: unknown key 'voicemail'")):
        with pytest.raises(ScenarioError) as bad:
            parse_scenario(BAD.replace(key, value), "bad.yaml")
        assert message in str(bad.value)
