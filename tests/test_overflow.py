"""Overflow to a partner (BPO): the after-wait rule against M/M/c+D theory, and the other rules per call.

Statistical checks follow ``helpers``: a fixed seed (only for reproducibility), the tolerance is the simulation's
own 95 % half-width x 3 / 1.96, no simulated number is pinned. The per-call checks read the records of one
replication (``sim.engine.model.simulate``) and test properties that hold for every call, whatever the seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import Checks, scenario, simulate_kpis

from sim.analysis.analytic import mmc_deterministic_patience, mmck
from sim.analysis.facts import CALL_FIELDS, facts
from sim.analysis.stats import ratio_estimate
from sim.engine.callers import draw_callers
from sim.engine.layout import Layout, build_layout
from sim.engine.model import simulate
from sim.engine.overflow import EXPECTED_WAIT, HOURS, NONE, QUEUE, REASONS, REFUSED, SHARE, WAIT
from sim.engine.records import ANSWERED, BLOCKED, Records
from sim.engine.streams import Streams
from sim.scenario.hours import closed_at
from sim.scenario.schema import Scenario

MEAN_SERVICE = 300.0
"""Mean (exponential) handle time of every scenario here, s."""
TIME_EPS = 1e-6
"""Seconds of float noise allowed where a wait is compared with a rule's duration."""


def _rate_per_hour(load: float) -> float:
    """Arrival rate (calls/h) that offers ``load`` Erlangs at MEAN_SERVICE."""
    return load / MEAN_SERVICE * 3600.0


def _two_sites(rule: str, agents: int, load: float, *, partner_agents: int = 200, days: int = 5,
               reps: int = 1, seed: int = 1, warmup: str = "2h", home_hours: str = "",
               threshold: str = "20s", max_queue: int | None = None) -> Scenario:
    """One call type served in-house (``agents`` at site home) with the overflow rule ``rule`` to bpo_team;
    ``max_queue``: the call type's own (in-house) queue limit, none if None. The transfer to the partner is
    instantaneous (``transfer_delay`` 0 s: the theory here has none; tests/test_transfer_delay.py checks it)."""
    limit = "" if max_queue is None else f"\n    max_queue: {max_queue}"
    return scenario(f"""
name: overflow
run: {{days: {days}, replications: {reps}, seed: {seed}, warmup: {warmup}}}
service_level: {{threshold: {threshold}}}
sites:
  home: {{kind: in_house{home_hours}}}
  bpo: {{kind: partner, transfer_delay: {{dist: deterministic, value: 0s}}}}
call_types:
  calls:
    arrivals: {{rate_per_hour: {_rate_per_hour(load)!r}}}
    handle_time: {{dist: exponential, mean: {MEAN_SERVICE:g}s}}
    patience: none{limit}
    overflow: {rule}
agent_groups:
  home_team: {{skills: [calls], agents: {agents}, site: home}}
  bpo_team: {{skills: [calls], agents: {partner_agents}, site: bpo}}
""")


def _records(s: Scenario, replication: int = 0) -> tuple[Layout, Records]:
    """One replication's per-call records (as ``sim.analysis.experiment.replicate`` simulates it)."""
    layout = build_layout(s)
    streams = Streams(s.run.seed, replication)
    return layout, simulate(layout, draw_callers(layout, streams), streams)


def _partner(layout: Layout, records: Records) -> np.ndarray:
    """True for calls answered by a partner group."""
    return (records.outcome == ANSWERED) & np.asarray(layout.group_is_partner)[np.maximum(records.group, 0)]


def _in_house(layout: Layout, records: Records) -> np.ndarray:
    """True for calls answered by an in-house group."""
    return (records.outcome == ANSWERED) & ~np.asarray(layout.group_is_partner)[np.maximum(records.group, 0)]


def _queue_spans(records: Records, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[enter, leave) of the calls in ``mask`` that waited > 0 (leave = inf if still waiting at the end)."""
    wait = records.wait
    waited = mask & ~(wait <= 0.0)  # NaN (still in the system) counts as waiting
    enter = records.queue_at[waited]
    leave = np.where(np.isnan(wait[waited]), np.inf, enter + np.nan_to_num(wait[waited]))
    return enter, leave


def _waiting_at(enter: np.ndarray, leave: np.ndarray, instants: np.ndarray) -> np.ndarray:
    """How many spans [enter, leave) hold a call just before each instant (a call arriving then not counted)."""
    before = np.searchsorted(np.sort(enter), instants, side="left")  # entered strictly before
    gone = np.searchsorted(np.sort(leave), instants, side="right")  # left at or before
    return before - gone


def _max_waiting(enter: np.ndarray, leave: np.ndarray) -> int:
    """The largest number of spans open at once (the maximum is reached at an entry)."""
    if len(enter) == 0:
        return 0
    return int((_waiting_at(enter, leave, enter) + 1).max())


def _after_warmup(layout: Layout, records: Records) -> np.ndarray:
    """Calls that arrived in intervals after the warm-up (those the KPIs count)."""
    run = layout.scenario.run
    first = math.ceil(run.warmup / run.interval - 1e-9)
    return records.callers.arrival_at // run.interval >= first


# -- 1. after_wait with an ample partner is M/M/c+D in-house ------------------------------------------------------

def test_overflow_after_wait_matches_mmc_plus_d() -> None:
    """Overflow after a fixed wait tau to an always-available partner with ample agents: the in-house queue is an
    M/M/c+D system (every call leaves the in-house queue after at most tau, like a caller with constant patience
    tau, but to the partner instead of hanging up).

    c = 10 in-house agents, Poisson arrivals offering a = 9 Erlangs, exponential E[S] = 300 s, ``patience: none``,
    tau = 20 s, 200 partner agents (a partner agent is free whenever a call reaches tau: P(all 200 busy) ~ 0),
    40 days x 10 replications, warm-up 2 h, service-level threshold 10 s (below tau).

    With V the virtual in-house wait (``mmc_deterministic_patience``, whose p_abandon is P(V >= tau)):
    - overflow_rate = overflowed / offered = P(V >= tau) = p_abandon; partner_share = answered by the partner /
      answered = the same (every call is answered);
    - p_wait = P(wait > 0) = P(V > 0) = p_wait (a call overflowing after tau has waited tau > 0);
    - mean_wait (and asa: nobody abandons) = the wait until an agent answers: min(V, tau) in-house plus the wait
      at the partner, which is 0 because a partner agent is free at tau; so E[W] = E[min(V, tau)] = mean_wait;
    - service level (answered within 10 s < tau, all of them in-house) = P(V <= 10 s) = service_level;
    - in-house occupancy = a (1 - P(V >= tau)) / c (only calls with V < tau are served in-house).
    """
    agents, load, tau, threshold, days, reps = 10, 9.0, 20.0, 10.0, 40, 10
    s = _two_sites(f"{{to: [bpo_team], after_wait: {tau:g}s}}", agents, load, days=days, reps=reps, seed=601,
                   threshold=f"{threshold:g}s")
    lam = s.call_types["calls"].arrivals.rate_per_hour / 3600.0
    theory = mmc_deterministic_patience(agents, lam, MEAN_SERVICE, tau, threshold)
    _, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    checks = Checks(f"overflow M/M/{agents}+D tau={tau:g}s", reps)
    checks.close("overflow_rate", k["overflow_rate"], theory.p_abandon)
    checks.close("partner_share", k["partner_share"], theory.p_abandon)
    checks.close("p_wait", k["p_wait"], theory.p_wait)
    checks.close("mean_wait", k["mean_wait"], theory.mean_wait)
    checks.close("asa", k["asa"], theory.mean_wait)
    checks.close("service_level(10s)", k["sl_answered_of_offered"], theory.service_level)
    checks.close("occupancy[home_team]", rows["group", "home_team"].kpis["occupancy"],
                 load * (1.0 - theory.p_abandon) / agents)
    checks.close("abandon_rate", k["abandon_rate"], 0.0, eps=1e-12)
    checks.verify()


def test_after_wait_calls_are_taken_by_the_partner_at_tau() -> None:
    """Per call: a call the partner takes under after_wait is recorded WAIT and waited exactly tau (a partner
    agent is free); every in-house answer came before tau; nothing else is recorded as a reason."""
    tau = 20.0
    s = _two_sites(f"{{to: [bpo_team], after_wait: {tau:g}s}}", 4, 3.8, days=3)
    layout, rec = _records(s)
    wait, partner, in_house = rec.wait, _partner(layout, rec), _in_house(layout, rec)
    assert set(np.unique(rec.overflow).tolist()) == {NONE, WAIT}
    assert np.array_equal(rec.overflow == WAIT, partner)
    assert partner.sum() > 100, "the rule must have fired often enough to mean something"
    assert np.allclose(wait[partner], tau, rtol=0.0, atol=TIME_EPS)
    assert np.all(wait[in_house] < tau + TIME_EPS)


# -- 2. share: a fixed share straight to the partner ----------------------------------------------------------------

def test_share_sends_that_share_of_calls_to_the_partner() -> None:
    """``share: 0.3``: each call goes straight to the partner iff its own uniform number (drawn at birth) is below
    0.3, whatever the in-house state. So the count is Binomial(n, 0.3): per call exactly, in one replication's
    records within 3 binomial standard errors, and over replications the KPIs overflow_rate and partner_share
    (every call is answered) equal 0.3 within the CI tolerance."""
    share, reps = 0.3, 10
    s = _two_sites(f"{{to: [bpo_team], share: {share}}}", 5, 3.0, partner_agents=30, days=10, reps=reps,
                   seed=602)
    layout, rec = _records(s)
    sent = rec.overflow == SHARE
    assert set(np.unique(rec.overflow).tolist()) == {NONE, SHARE}
    assert np.array_equal(sent, rec.callers.overflow_draw < share)
    assert np.array_equal(sent, _partner(layout, rec)), "share calls are answered by the partner, others in-house"
    n = len(sent)
    assert abs(sent.mean() - share) <= 3.0 * math.sqrt(share * (1.0 - share) / n)

    _, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    checks = Checks(f"overflow share={share:g}", reps)
    checks.close("overflow_rate", k["overflow_rate"], share)
    checks.close("partner_share", k["partner_share"], share)
    checks.verify()


# -- 3. outside_hours -------------------------------------------------------------------------------------------

def test_outside_hours_sends_exactly_the_calls_outside_in_house_hours() -> None:
    """``outside_hours: true`` with the in-house site open Mon-Fri 08-20 and Sat 09-14 (the hotline itself is
    24/7): every call arriving outside those hours goes to the partner (reason outside_hours), none inside, over a
    whole week. Calls inside hours are answered in-house, calls outside by the partner; none is closed."""
    hours = ', opening_hours: {mon-fri: "08:00-20:00", sat: "09:00-14:00"}'
    s = _two_sites("{to: [bpo_team], outside_hours: true}", 4, 2.0, partner_agents=20, days=7, warmup="0s",
                   home_hours=hours)
    layout, rec = _records(s)
    windows = s.site_map()["home"].opening_hours
    outside = closed_at(rec.queue_at, s.run.start_day.number, windows)
    assert 0 < outside.sum() < len(outside)
    assert np.array_equal(rec.overflow == HOURS, outside)
    assert set(np.unique(rec.overflow).tolist()) == {NONE, HOURS}
    assert np.array_equal(_partner(layout, rec), outside)
    assert np.array_equal(_in_house(layout, rec), ~outside)


# -- 4. queue_length: the in-house queue never exceeds N; with an ample partner it is M/M/c/K ------------------------

def test_queue_length_caps_the_in_house_queue() -> None:
    """``queue_length: 2``: no more than 2 calls ever wait in-house; a call was sent to the partner (reason
    queue_length) iff it found every in-house agent busy and 2 calls waiting, reconstructed from the records."""
    limit = 2
    s = _two_sites(f"{{to: [bpo_team], queue_length: {limit}}}", 3, 3.3, partner_agents=50, days=5)
    layout, rec = _records(s)
    assert set(np.unique(rec.overflow).tolist()) == {NONE, QUEUE}
    enter, leave = _queue_spans(rec, rec.overflow == NONE)
    assert _max_waiting(enter, leave) == limit, "the in-house queue reaches its cap and never exceeds it"
    seen = _waiting_at(enter, leave, rec.queue_at)
    sent = rec.overflow == QUEUE
    assert sent.sum() > 100
    assert np.all(seen[sent] == limit)
    waited = (rec.overflow == NONE) & (rec.wait > 0)
    assert np.all(seen[waited] < limit)
    assert np.array_equal(sent, _partner(layout, rec))


def test_queue_length_with_ample_partner_matches_mmck() -> None:
    """With ``queue_length: N`` and a partner that always has a free agent, the in-house system is M/M/c/K with
    K = c + N: a call overflows iff it finds K calls in-house (PASTA: p_block), answered at once by the partner.

    c = 3, N = 2, a = 3 Erlangs (rho = 1 is stable with a finite K), 50 partner agents, 60 days x 10
    replications, warm-up 2 h. overflow_rate = p_K; p_wait (over all calls) = P(c <= N_in-house < K); mean_wait
    (all calls, partner calls wait 0) = Lq / lambda; in-house occupancy = a (1 - p_K) / c.
    """
    agents, limit, load, days, reps = 3, 2, 3.0, 60, 10
    s = _two_sites(f"{{to: [bpo_team], queue_length: {limit}}}", agents, load, partner_agents=50, days=days,
                   reps=reps, seed=604)
    lam = s.call_types["calls"].arrivals.rate_per_hour / 3600.0
    theory = mmck(agents, agents + limit, lam, MEAN_SERVICE)
    _, rows = simulate_kpis(s)
    k = rows["total", "all"].kpis
    checks = Checks(f"queue_length={limit} M/M/{agents}/{agents + limit}", reps)
    checks.close("overflow_rate", k["overflow_rate"], theory.p_block)
    checks.close("p_wait", k["p_wait"], theory.p_wait)
    checks.close("mean_wait", k["mean_wait"], theory.mean_queue / lam)
    checks.close("occupancy[home_team]", rows["group", "home_team"].kpis["occupancy"],
                 load * (1.0 - theory.p_block) / agents)
    checks.verify()


def test_expected_wait_is_a_queue_length_rule_at_constant_staffing() -> None:
    """``expected_wait: 250s`` estimates (waiting + 1) x 300 s / 3 agents, which exceeds 250 s iff 2 or more
    calls wait: with constant staffing it must take exactly the decisions of ``queue_length: 2`` for the same
    callers, recorded as expected_wait instead of queue_length."""
    by_queue = _two_sites("{to: [bpo_team], queue_length: 2}", 3, 3.3, partner_agents=50, days=3)
    by_wait = _two_sites("{to: [bpo_team], expected_wait: 250s}", 3, 3.3, partner_agents=50, days=3)
    _, a = _records(by_queue)
    _, b = _records(by_wait)
    assert (a.overflow == QUEUE).sum() > 50
    assert np.array_equal(b.overflow, np.where(a.overflow == QUEUE, EXPECTED_WAIT, a.overflow))
    for column in ("outcome", "group", "start_at", "end_at"):
        assert np.array_equal(getattr(a, column), getattr(b, column), equal_nan=True), column


# -- 5. the partner's max_queue: refusal -----------------------------------------------------------------------

def test_partner_max_queue_refuses_and_records_refused() -> None:
    """``share: 0.5, max_queue: 1`` with one partner agent: a call the share rule sends to the partner while one
    call already waits there is refused (reason 'refused'), stays in-house and is answered there. The partner
    queue never exceeds 1; every refused call found it full; every accepted share call found it not full; the facts
    count refused calls apart from overflowed ones."""
    assert REASONS[REFUSED] == "refused"
    s = _two_sites("{to: [bpo_team], share: 0.5, max_queue: 1}", 10, 6.0, partner_agents=1, days=3)
    layout, rec = _records(s)
    refused, sent = rec.overflow == REFUSED, rec.overflow == SHARE
    assert set(np.unique(rec.overflow).tolist()) == {NONE, SHARE, REFUSED}
    assert np.array_equal(refused | sent, rec.callers.overflow_draw < 0.5)
    assert refused.sum() > 50
    assert np.all(_in_house(layout, rec)[refused])
    assert np.array_equal(_partner(layout, rec), sent)
    enter, leave = _queue_spans(rec, sent)
    assert _max_waiting(enter, leave) == 1
    seen = _waiting_at(enter, leave, rec.queue_at)
    assert np.all(seen[refused] == 1) and np.all(seen[sent] == 0)
    f = facts(rec, layout)
    counted = f.calls[:, f.first_interval:, :].sum(axis=(1, 2))
    kept = _after_warmup(layout, rec)
    assert counted[CALL_FIELDS.index("overflow_refused")] == (refused & kept).sum()
    assert counted[CALL_FIELDS.index("overflowed")] == (sent & kept).sum()


def test_partner_refusal_rate_matches_mmck() -> None:
    """The share rule thins Poisson arrivals, so the partner (1 agent, max_queue 1) is an M/M/1/2 loss system fed
    at share x lambda: P(refused | sent) = p_2; refused / offered = share x p_2 (ratio over replications)."""
    share, reps, days = 0.5, 10, 20
    s = _two_sites(f"{{to: [bpo_team], share: {share}, max_queue: 1}}", 10, 6.0, partner_agents=1, days=days,
                   reps=reps, seed=605)
    lam = s.call_types["calls"].arrivals.rate_per_hour / 3600.0
    theory = mmck(1, 2, share * lam, MEAN_SERVICE)
    result, rows = simulate_kpis(s)
    x = np.stack([f.calls[:, f.first_interval:, :].sum(axis=(1, 2)) for f in result.facts])
    offered = x[:, CALL_FIELDS.index("offered")]
    checks = Checks(f"partner M/M/1/2 share={share:g}", reps)
    checks.close("refused/offered", ratio_estimate(x[:, CALL_FIELDS.index("overflow_refused")], offered),
                 share * theory.p_block)
    checks.close("overflow_rate", rows["total", "all"].kpis["overflow_rate"], share * (1.0 - theory.p_block))
    checks.verify()


def test_partner_without_waiting_room_takes_a_call_when_an_agent_is_free() -> None:
    """A pure loss overflow (``queue_length: 0, max_queue: 0``, in-house ``max_queue: 0``; 1 in-house agent, 5
    partner agents, 10 calls/h): a call that finds the in-house agent busy goes to the partner, which takes it iff
    one of its agents is free; nobody ever waits. Per call, reconstructed from the records: every call sent to the
    partner (reason queue_length) found a partner agent free and was answered there at once; every refused call
    found all 5 partner agents busy and got a busy signal (the in-house queue admits nobody); a call answered
    in-house found its agent free. The max_queue limit counts callers waiting, so a free agent always takes the
    call."""
    partner_agents = 5
    s = _two_sites("{to: [bpo_team], queue_length: 0, max_queue: 0}", 1, 10.0 * MEAN_SERVICE / 3600.0,
                   partner_agents=partner_agents, days=10, max_queue=0)
    layout, rec = _records(s)
    reason, partner, in_house = rec.overflow, _partner(layout, rec), _in_house(layout, rec)
    sent, refused = reason == QUEUE, reason == REFUSED
    assert sent.sum() > 500, "the in-house agent is often busy, so many calls go to the partner"
    assert np.array_equal(sent, partner)
    assert np.array_equal(reason == NONE, in_house)
    assert np.all(rec.outcome[refused] == BLOCKED)
    assert np.all(rec.wait[partner | in_house] == 0.0)

    def busy(answered: np.ndarray) -> np.ndarray:
        """Agents of the calls in ``answered`` talking just before each call's arrival."""
        return _waiting_at(rec.start_at[answered], rec.end_at[answered], rec.queue_at)

    at_partner, at_home = busy(partner), busy(in_house)
    assert np.all(at_home[sent | refused] == 1) and np.all(at_home[in_house] == 0)
    assert np.all(at_partner[sent] < partner_agents)
    assert np.all(at_partner[refused] == partner_agents)


# -- 6. every call's reason is consistent with what happened to it ----------------------------------------------

def test_overflow_reasons_are_recorded_per_call() -> None:
    """Several rules at once (share 0.1, queue_length 3, after_wait 30 s) on an overloaded in-house team with an
    ample partner: each call's recorded reason says what happened to it. share: its draw < 0.1 (checked first);
    queue_length: 3 calls were waiting in-house when it arrived; both answered by the partner without waiting;
    after_wait: the partner took it after exactly 30 s; none: answered in-house within 30 s. The facts count
    exactly the recorded reasons, and the overflow_rate KPI is their share."""
    tau, limit = 30.0, 3
    s = _two_sites(f"{{to: [bpo_team], share: 0.1, queue_length: {limit}, after_wait: {tau:g}s}}", 4, 4.4,
                   partner_agents=60, days=3)
    layout, rec = _records(s)
    reason, wait = rec.overflow, rec.wait
    assert set(np.unique(reason).tolist()) == {NONE, SHARE, QUEUE, WAIT}
    assert np.array_equal(reason == SHARE, rec.callers.overflow_draw < 0.1)
    direct = (reason == SHARE) | (reason == QUEUE)
    partner, in_house = _partner(layout, rec), _in_house(layout, rec)
    assert np.all(partner[direct]) and np.all(wait[direct] == 0.0)
    assert np.all(partner[reason == WAIT])
    assert np.allclose(wait[reason == WAIT], tau, rtol=0.0, atol=TIME_EPS)
    assert np.array_equal(in_house, reason == NONE)
    assert np.all(wait[in_house] < tau + TIME_EPS)
    enter, leave = _queue_spans(rec, (reason == NONE) | (reason == WAIT))
    assert _max_waiting(enter, leave) <= limit
    assert np.all(_waiting_at(enter, leave, rec.queue_at)[reason == QUEUE] == limit)

    f = facts(rec, layout)
    kept = _after_warmup(layout, rec)
    counted = f.calls[:, f.first_interval:, :].sum(axis=(1, 2))
    overflowed = ((reason > NONE) & (reason < REFUSED) & kept).sum()
    assert counted[CALL_FIELDS.index("overflowed")] == overflowed
    assert counted[CALL_FIELDS.index("answered_partner")] == (partner & kept).sum()
    assert counted[CALL_FIELDS.index("overflowed")] / counted[CALL_FIELDS.index("offered")] == \
        pytest.approx(overflowed / kept.sum(), rel=1e-12)
