"""Conservation per contact, per outbound attempt, per work item and per chat, exactly, whatever the seed.

Every contact ends in one outcome or is still in the system; every attempt ends in one outcome or is still under
way (``in_progress``) when the run stops; every record of a call list is never dialled, finished, waiting for a
retry or has an attempt under way; every work item is answered, being worked or waiting; every chat is taken,
left in the queue or still waiting. The per-interval facts count exactly what the records hold. Run with
``drain: 0s`` so that the run stops with every channel busy (the in-progress cases occur), and with the default
drain, under which everything that began also ends.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.campaign_facts import CAMPAIGN_FIELDS
from sim.analysis.chat_facts import CHAT_FIELDS
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS, Facts
from sim.analysis.work_facts import WORK_FIELDS
from sim.engine.dialer import ATTEMPT_OUTCOMES, IN_PROGRESS, Attempts
from sim.engine.layout import Layout, build_layout
from sim.engine.records import OUTCOMES, Records
from sim.engine.repeats import LEGS
from sim.scenario.campaigns import refills
from sim.scenario.schema import Scenario
from tests.helpers import facts_and_records, scenario

REL = 1e-9
ALL_CHANNELS = """
name: all_channels
run: {days: 2, replications: 3, seed: 21, interval: 1h, start_day: mon, drain: DRAIN}
call_types:
  phone:
    arrivals: {rate_per_hour: 40}
    handle_time: {dist: exponential, mean: 4min}
    patience: {dist: exponential, mean: 2min}
agent_groups:
  desk: {skills: [phone], agents: 3}
  previewers: {skills: [], agents: 3}
  dialers: {skills: [], agents: 4}
  back: {skills: [], agents: 2}
  chatters: {skills: [], agents: 2}
campaigns:
  care:
    groups: [previewers]
    list: {size: 400, per_day: 150}
    hours: {mon-sun: "00:00-24:00"}
    dialing: preview
    preview_time: {dist: exponential, mean: 40s}
    outcomes:
      no_answer: {share: 0.5, ring_time: {dist: exponential, mean: 20s}}
      right_party: {share: 0.5, ring_time: {dist: exponential, mean: 8s},
                    talk_time: {dist: exponential, mean: 5min}, wrap_up: {dist: exponential, mean: 1min}}
    retry: {max_attempts: 3, no_answer: {dist: exponential, mean: 1h}}
    sale: {conversion: 0.2, revenue: 40}
  leads:
    groups: [dialers]
    list: {per_day: 5000}
    hours: {mon-sun: "00:00-24:00"}
    dialing: predictive
    pacing: {ratio: 2.5}
    outcomes:
      no_answer: {share: 0.6, ring_time: {dist: exponential, mean: 20s}}
      wrong_party: {share: 0.1, ring_time: {dist: exponential, mean: 8s}, talk_time: {dist: exponential, mean: 30s}}
      right_party: {share: 0.3, ring_time: {dist: exponential, mean: 8s}, talk_time: {dist: exponential, mean: 4min}}
    retry: {max_attempts: 2, no_answer: {dist: deterministic, value: 3h}, silent: {dist: deterministic, value: 1h}}
work:
  mail:
    channel: email
    arrivals: {rate_per_hour: 25}
    handle_time: {dist: exponential, mean: 6min}
    groups: [back]
    response: {within: 4h, target: 0.9}
chats:
  web:
    arrivals: {rate_per_hour: 30}
    handle_time: {dist: exponential, mean: 6min}
    patience: {dist: exponential, mean: 90s}
    groups: [chatters]
    concurrency: 2
    stretch: [1.0, 1.25]
    service_level: {threshold: 60s, target: 0.8}
"""


def _runs(drain: str) -> tuple[Scenario, Layout, list[tuple[Facts, Records]]]:
    s = scenario(ALL_CHANNELS.replace("DRAIN", drain))
    return s, build_layout(s), [facts_and_records(s, rep) for rep in range(s.run.replications)]


@pytest.fixture(scope="module", params=["0s", "1d"])
def runs(request: pytest.FixtureRequest) -> tuple[Scenario, Layout, list[tuple[Facts, Records]]]:
    return _runs(request.param)


def _ended(s: Scenario) -> bool:
    return s.run.drain > 0


def test_every_contact_has_one_outcome(runs: tuple[Scenario, Layout, list[tuple[Facts, Records]]]) -> None:
    s, _, reps = runs
    for facts, rec in reps:
        fresh = ~np.isin(rec.callers.repeat_kind, LEGS)
        counts = np.bincount(rec.outcome[fresh], minlength=len(OUTCOMES))
        assert counts.sum() == fresh.sum() and set(np.unique(rec.outcome)) <= set(range(len(OUTCOMES)))
        f = facts.calls.sum(axis=1)[:, 0]  # one call type
        assert f[CALL_FIELDS.index("offered")] == fresh.sum()
        assert f[CALL_FIELDS.index("in_system")] == counts[OUTCOMES.index("in_system")]
        assert (counts[OUTCOMES.index("in_system")] > 0) != _ended(s)  # drain 0: callers are left waiting


def _by_record(a: Attempts, c: int) -> dict[int, list[int]]:
    """Row indices of campaign ``c``'s attempts per record, by attempt number."""
    rows: dict[int, list[int]] = {}
    for i in np.flatnonzero(a.campaign == c)[np.argsort(a.attempt[a.campaign == c], kind="stable")]:
        rows.setdefault(int(a.record[i]), []).append(int(i))
    return rows


def test_every_attempt_has_one_outcome_and_every_record_one_state(
        runs: tuple[Scenario, Layout, list[tuple[Facts, Records]]]) -> None:
    s, layout, reps = runs
    campaigns = s.campaigns or {}
    under_way = 0
    for facts, rec in reps:
        a = rec.attempts
        assert a is not None
        assert set(np.unique(a.outcome)) <= set(range(len(ATTEMPT_OUTCOMES)))
        going = a.outcome == IN_PROGRESS
        assert np.array_equal(np.isnan(a.end_at), going) and not (a.final[going] | a.sale[going]).any()
        under_way += int(going.sum())
        for c, campaign in enumerate(campaigns.values()):
            rows = _by_record(a, c)
            added = sum(refills(campaign, s.run.start_day.number, s.run.days))
            assert len(rows) <= added and max(rows) < added  # records come from the list, in order
            finished = waiting = flying = 0
            for record_rows in rows.values():
                assert [int(a.attempt[i]) for i in record_rows] == list(range(1, len(record_rows) + 1))
                last = record_rows[-1]
                assert not any(a.final[i] or going[i] for i in record_rows[:-1]), "a row after the record's end"
                finished += bool(a.final[last])
                flying += bool(going[last])
                waiting += not (a.final[last] or going[last])
            assert finished + flying + waiting == len(rows)
            f = facts.campaigns[:, :, c].sum(axis=1)
            mine = a.campaign == c
            assert f[CAMPAIGN_FIELDS.index("attempts")] == mine.sum()
            for k, name in enumerate(ATTEMPT_OUTCOMES):
                assert f[CAMPAIGN_FIELDS.index(name)] == (mine & (a.outcome == k)).sum(), name
            assert sum(f[CAMPAIGN_FIELDS.index(n)] for n in ATTEMPT_OUTCOMES) == mine.sum()
            assert f[CAMPAIGN_FIELDS.index("first_attempts")] == len(rows)
            assert f[CAMPAIGN_FIELDS.index("finished")] == finished
            assert f[CAMPAIGN_FIELDS.index("sales")] <= f[CAMPAIGN_FIELDS.index("right_party")]
            stop = np.where(np.isnan(a.end_at), layout.horizon + s.run.drain, a.end_at)
            agent = mine & ~np.isnan(a.busy_from)
            time = float((stop - a.busy_from)[agent].sum())
            assert f[CAMPAIGN_FIELDS.index("agent_time")] == pytest.approx(time, rel=REL)
            g = layout.group_names.index(campaign.groups[0])
            outbound = facts.groups[GROUP_FIELDS.index("outbound_time"), :, g].sum()  # up to the horizon
            inside = np.clip(stop, None, layout.horizon) - np.clip(a.busy_from, None, layout.horizon)
            assert outbound == pytest.approx(float(inside[agent].sum()), rel=REL)
    assert (under_way > 0) != _ended(s)  # drain 0: the run stops with attempts under way


def test_every_work_item_is_answered_worked_or_waiting(
        runs: tuple[Scenario, Layout, list[tuple[Facts, Records]]]) -> None:
    s, _, reps = runs
    for facts, rec in reps:
        it = rec.items
        assert it is not None
        started, done = ~np.isnan(it.start_at), ~np.isnan(it.end_at)
        assert not (done & ~started).any() and (it.start_at[started] >= it.arrival_at[started]).all()
        worked, waiting = started & ~done, ~started
        assert done.sum() + worked.sum() + waiting.sum() == len(it)
        f = facts.work[:, :, 0].sum(axis=1)
        assert f[WORK_FIELDS.index("arrived")] == len(it)
        assert f[WORK_FIELDS.index("answered")] == done.sum()
        assert f[WORK_FIELDS.index("open_at_end")] == worked.sum() + waiting.sum()
        due = it.arrival_at + 4 * 3600.0 <= s.run.days * 86400.0 + s.run.drain  # the response SL's base
        assert f[WORK_FIELDS.index("due")] == due.sum() and (due.sum() < len(it)) != _ended(s)
        within = done & (it.end_at - it.arrival_at <= 4 * 3600.0) & due
        assert f[WORK_FIELDS.index("answered_within")] == within.sum()
        assert (worked.sum() + waiting.sum() > 0) != _ended(s)


def test_every_chat_is_taken_left_or_waiting(runs: tuple[Scenario, Layout, list[tuple[Facts, Records]]]) -> None:
    s, _, reps = runs
    for facts, rec in reps:
        ch = rec.chats
        assert ch is not None
        taken = ~np.isnan(ch.start_at)
        assert not (taken & ch.abandoned).any()
        waiting = ~taken & ~ch.abandoned
        assert taken.sum() + ch.abandoned.sum() + waiting.sum() == len(ch)
        assert np.isnan(ch.end_at[waiting]).all() and (ch.end_at[ch.abandoned] >= ch.arrival_at[ch.abandoned]).all()
        finished = taken & ~np.isnan(ch.end_at)
        f = facts.chats[:, :, 0].sum(axis=1)
        for name, count in (("offered", len(ch)), ("answered", taken.sum()), ("abandoned", ch.abandoned.sum()),
                            ("finished", finished.sum())):
            assert f[CHAT_FIELDS.index(name)] == count, name
        assert ((taken & ~finished).sum() + waiting.sum() > 0) != _ended(s)
        horizon = s.run.days * 86400.0  # the concurrency: chat-seconds in service per agent-second with a chat
        until = np.minimum(np.where(np.isnan(ch.end_at), np.inf, ch.end_at), horizon)
        service = float((until - np.minimum(ch.start_at, horizon))[taken].sum())
        assert f[CHAT_FIELDS.index("service_time")] == pytest.approx(service, rel=REL)
        g = build_layout(s).group_names.index("chatters")
        chatting = facts.groups[GROUP_FIELDS.index("chat_time"), :, g].sum()
        assert chatting <= service <= 2 * chatting  # 1 to `concurrency` chats while an agent has any


def test_with_a_warm_up_list_penetration_counts_the_lists_after_it() -> None:
    """Calling starts at midnight, inside a 3 h warm-up: the first day's list falls in the warm-up, so neither its
    records nor their first dials count; the second day's do, and every one of them is dialled or not, once."""
    s = scenario(ALL_CHANNELS.replace("DRAIN", "1d").replace("start_day: mon,", "start_day: mon, warmup: 3h,"))
    care = list(s.campaigns or {}).index("care")
    first_day = 400 + 150  # the start list and day 1's records
    for facts, rec in (facts_and_records(s, rep) for rep in range(s.run.replications)):
        a = rec.attempts
        assert a is not None
        f = facts.campaigns[:, :, care].sum(axis=1)
        assert f[CAMPAIGN_FIELDS.index("added")] == 150  # day 2's records
        mine = (a.campaign == care) & (a.record >= first_day)
        assert f[CAMPAIGN_FIELDS.index("first_attempts")] == (mine & (a.attempt == 1)).sum() <= 150
        assert f[CAMPAIGN_FIELDS.index("finished")] == (mine & a.final).sum()
