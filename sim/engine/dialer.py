"""Outbound campaigns in the model: each campaign's dialer works through its call list with the free agents of
its groups and records one row per attempt.

Preview and progressive dialing take a free agent (in a group that also takes inbound calls, only while more than
the campaign's ``reserve`` agents are idle) and keep it for the whole attempt: preview, ringing, talk, after-call
work; the agent is then free again, takes a waiting inbound call first and otherwise the next attempt, so inbound
calls never interrupt an outbound call (non-preemptive blending). Predictive dialing keeps ``floor(ratio x idle
agents)`` lines ringing without reserving agents; a live answer goes to the agent idle longest, or, with none idle,
is a silent (abandoned) call. Under a limit on silent calls, the dialer dials ahead only while the day's silent
calls leave room under it (``Dialer._adapt``).

Dials start only within the campaign's calling hours and the horizon. What an attempt brings (its outcome, times,
a sale, the delay before a retry) is drawn from counter-based streams of (record, attempt number), so two
scenarios compared with one seed dial the same list with the same luck, whatever the order of events.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from sim.engine.agents import Agent
from sim.engine.host import Host
from sim.engine.streams import ContactStreams, Streams
from sim.scenario.campaigns import LIVE, OUTCOMES, Answered, Campaign, Dialing, refills
from sim.scenario.distributions import Distribution
from sim.scenario.hours import spans
from sim.units import DAY

SILENT = len(OUTCOMES)
"""Outcome of a live answer that found no free agent (predictive dialing)."""
IN_PROGRESS = SILENT + 1
"""Outcome of an attempt still under way when the run ended (its agent previewing, ringing, talking or wrapping
up); its ``end_at`` is NaN."""
ATTEMPT_OUTCOMES = (*OUTCOMES, "silent", "in_progress")
_RIGHT = OUTCOMES.index("right_party")
_RETRY_DRAW = 128
"""The retry delay of attempt k is drawn from the record's stream number 128 + k (the attempt's own draws use k)."""
_HEADROOM = 0.9
"""Share of the silent-call limit that paced dialing plans to use (lines already ringing may still add some)."""


class AttemptLog:
    """One row per attempt, in compact columns (array.array: fast appends)."""

    def __init__(self) -> None:
        self.campaign = array("h")
        self.record = array("q")
        self.attempt = array("h")
        self.group = array("h")
        self.agent = array("i")
        self.dial_at = array("d")
        self.rang_at = array("d")
        self.busy_from = array("d")
        self.end_at = array("d")
        self.outcome = array("b")
        self.sale = array("b")
        self.final = array("b")

    def add(self, campaign: int, a: _Attempt, outcome: int, sale: bool, final: bool, now: float,
            rang_at: float | None = None) -> None:
        """Log an attempt that ended at ``now`` (NaN: under way; ``rang_at`` then NaN if it still rang)."""
        agent = a.agent
        self.campaign.append(campaign)
        self.record.append(a.record)
        self.attempt.append(a.number)
        self.group.append(-1 if agent is None else agent.group)
        self.agent.append(-1 if agent is None else agent.id)
        self.dial_at.append(a.dial_at)
        self.rang_at.append(a.dial_at + a.ring if rang_at is None else rang_at)
        self.busy_from.append(a.busy_from)
        self.end_at.append(now)
        self.outcome.append(outcome)
        self.sale.append(sale)
        self.final.append(final)

    def freeze(self) -> Attempts:
        def col(a: array[Any], dtype: type) -> np.ndarray:
            return np.frombuffer(a, dtype=dtype) if len(a) else np.zeros(0, dtype=dtype)

        return Attempts(
            col(self.campaign, np.int16), col(self.record, np.int64), col(self.attempt, np.int16),
            col(self.group, np.int16), col(self.agent, np.int32), col(self.dial_at, np.float64),
            col(self.rang_at, np.float64), col(self.busy_from, np.float64), col(self.end_at, np.float64),
            col(self.outcome, np.int8), col(self.sale, np.bool_), col(self.final, np.bool_))


@dataclass(frozen=True)
class Attempts:
    """The attempts of one replication, one entry per attempt in the order they ended, then those still under way
    when the run ended (outcome ``in_progress``, in the order they began): campaign index, record number within
    the campaign, attempt number (1 = first), agent group and agent (-1: none, a silent call or an attempt a
    predictive dialer ended alone), instant dialled (NaN: still in preview at the end), instant the ringing ended
    (answered, or given up), instant the agent's part began (NaN without an agent), instant it ended (NaN: in
    progress), outcome (``ATTEMPT_OUTCOMES``), whether it was a sale, whether it was the record's last (reached, or
    no retry follows; never for one in progress)."""

    campaign: np.ndarray
    record: np.ndarray
    attempt: np.ndarray
    group: np.ndarray
    agent: np.ndarray
    dial_at: np.ndarray
    rang_at: np.ndarray
    busy_from: np.ndarray
    end_at: np.ndarray
    outcome: np.ndarray
    sale: np.ndarray
    final: np.ndarray

    def __len__(self) -> int:
        return len(self.outcome)


class _Attempt:
    __slots__ = ("record", "number", "agent", "dial_at", "busy_from", "outcome", "ring", "talk", "wrap", "sale",
                 "preview")

    def __init__(self, record: int, number: int):
        self.record = record
        self.number = number
        self.agent: Agent | None = None
        self.dial_at = math.nan
        self.busy_from = math.nan
        self.outcome = -1
        self.ring = self.talk = self.wrap = self.preview = 0.0
        self.sale = False


class Dialer:
    """One campaign's dialer during one replication."""

    def __init__(self, host: Host, index: int, campaign: Campaign, groups: list[int], streams: Streams,
                 name: str, log: AttemptLog, start_day: int, days: int):
        self.host, self.index, self.campaign, self.groups, self.log = host, index, campaign, groups, log
        self.predictive = campaign.dialing == Dialing.predictive
        self.ratio = campaign.pacing.ratio if campaign.pacing else 1.0
        self._limit = campaign.pacing.max_abandoned if campaign.pacing else None
        self._draws = ContactStreams(streams, f"campaign/{name}")
        given = campaign.outcomes.given()
        self._outcomes = [given.get(o) for o in OUTCOMES]
        self._kinds = [OUTCOMES.index(o) for o in given]
        self._cumulative = np.cumsum([o.share for o in given.values()])
        self._retry: list[Distribution | None] = [
            getattr(campaign.retry, o, None) for o in ATTEMPT_OUTCOMES]
        self._ready: deque[tuple[int, int]] = deque()
        """Records due for another attempt: (record, attempts made so far)."""
        self.under_way: dict[_Attempt, None] = {}
        """Attempts begun and not ended, in the order they began (a dict: ordered, O(1) removal)."""
        self._fresh = 0
        self._next_record = 0
        self.open = False
        self.lines = 0
        self._live_today = self._silent_today = 0
        self._day = -1
        horizon = days * DAY
        for day, added in enumerate(refills(campaign, start_day, days)):
            if added:
                self._at(day * DAY, self._refill, added)
        for opens, closes in spans(campaign.hours, start_day, days):
            if opens < horizon:
                self._at(opens, self._open, None)
                self._at(min(closes, horizon), self._close, None)

    # -- list and hours -------------------------------------------------------------------------------------------

    def _at(self, when: float, callback: Callable[[Any], None], value: Any) -> None:
        self.host.call_at(when, partial(callback, value))

    def _refill(self, added: int) -> None:
        self._fresh += added
        self.wake()

    def _open(self, _: None) -> None:
        if self._day != int(self.host.now // DAY):  # a new campaign day: the silent-call count starts again
            self._day = int(self.host.now // DAY)
            self._live_today = self._silent_today = 0
            self._adapt()
        self.open = True
        self.wake()

    def _close(self, _: None) -> None:
        self.open = False

    def _has_record(self) -> bool:
        return bool(self._ready) or self._fresh > 0

    def _next(self) -> _Attempt:
        if self._ready:
            record, made = self._ready.popleft()
            a = _Attempt(record, made + 1)
        else:
            self._fresh -= 1
            self._next_record += 1
            a = _Attempt(self._next_record - 1, 1)
        self.under_way[a] = None
        return a

    def _end(self, a: _Attempt, outcome: int, sale: bool, now: float) -> None:
        """Record the attempt; a record not reached is called again after its outcome's delay, if it has one and
        attempts are left."""
        delay = self._retry[outcome]
        again = delay is not None and a.number < self.campaign.retry.max_attempts
        del self.under_way[a]
        self.log.add(self.index, a, outcome, sale, not again, now)
        if delay is not None and again:
            wait = float(delay.sample(self._draws.get(a.record, _RETRY_DRAW + a.number), 1)[0])
            self._at(now + wait, self._due, (a.record, a.number))

    def _due(self, item: tuple[int, int]) -> None:
        self._ready.append(item)
        self.wake()

    # -- agents ---------------------------------------------------------------------------------------------------

    def wake(self) -> None:
        """Put free agents to work (or pace the lines) after the list, the hours or the agents changed."""
        now = self.host.now
        if self.predictive:
            self._pace(now)
        else:
            for g in self.groups:
                self.on_idle(g, now)

    def on_idle(self, g: int, now: float) -> None:
        """Agents of group ``g`` are idle (one just became idle, or logged in): give them attempts."""
        if self.predictive:
            self._pace(now)
            return
        idle = self.host.idle[g]
        reserve = self.campaign.reserve if self.host.takes_calls(g) else 0
        while self.open and len(idle) > reserve and self._has_record():
            agent = idle.popleft()
            a = self._next()
            a.agent, a.busy_from = agent, now
            self._draw(a)
            if a.preview > 0.0:
                self._at(now + a.preview, self._dial, a)
            else:
                self._dial(a)

    def _draw(self, a: _Attempt) -> None:
        """Everything the attempt brings, from the stream of (record, attempt number), in a fixed order."""
        c = self.campaign
        rng = self._draws.get(a.record, a.number)
        kind = self._kinds[min(int(np.searchsorted(self._cumulative, rng.random(), side="right")),
                               len(self._kinds) - 1)]
        o = self._outcomes[kind]
        assert o is not None
        a.outcome = kind
        a.preview = float(c.preview_time.sample(rng, 1)[0]) if c.preview_time else 0.0
        a.ring = float(o.ring_time.sample(rng, 1)[0])
        a.talk = float(o.talk_time.sample(rng, 1)[0]) if isinstance(o, Answered) else 0.0
        a.wrap = float(o.wrap_up.sample(rng, 1)[0]) if o.wrap_up else 0.0
        a.sale = kind == _RIGHT and c.sale is not None and rng.random() < c.sale.conversion

    def _dial(self, a: _Attempt) -> None:
        now = self.host.now
        a.dial_at = now
        self._at(now + a.ring, self._answered if self.predictive else self._rang, a)

    def _rang(self, a: _Attempt) -> None:
        """Preview or progressive: the outcome is known; the agent talks and wraps up (or only wraps up)."""
        now = self.host.now
        live = OUTCOMES[a.outcome] in LIVE
        self._at(now + (a.talk if live else 0.0) + a.wrap, self._done, a)

    def _done(self, a: _Attempt) -> None:
        now = self.host.now
        self._end(a, a.outcome, a.sale, now)
        assert a.agent is not None
        self.host.release(a.agent, now)

    # -- predictive dialing ---------------------------------------------------------------------------------------

    def _pace(self, now: float) -> None:
        if not self.open:
            return
        free = sum(len(self.host.idle[g]) for g in self.groups)
        target = math.floor(self.ratio * free + 1e-9)
        while self.lines < target and self._has_record():
            a = self._next()
            self._draw(a)
            self.lines += 1
            self._dial(a)

    def _answered(self, a: _Attempt) -> None:
        """Predictive: a line's outcome is known; a live answer goes to the agent idle longest, if any."""
        now = self.host.now
        self.lines -= 1
        if OUTCOMES[a.outcome] not in LIVE:
            self._end(a, a.outcome, False, now)
        else:
            agent = self._take_idle()
            self._live_today += 1
            if agent is None:
                self._silent_today += 1
                self._end(a, SILENT, False, now)
            else:
                a.agent, a.busy_from = agent, now
                self._at(now + a.talk + a.wrap, self._done, a)
            self._adapt()
        self._pace(now)

    def _take_idle(self) -> Agent | None:
        best: deque[Agent] | None = None
        for g in self.groups:
            idle = self.host.idle[g]
            if idle and (best is None or idle[0].since < best[0].since):
                best = idle
        return None if best is None else best.popleft()

    def _adapt(self) -> None:
        """Dial ahead (at the pacing ratio) only while one more silent call would keep the day's silent calls
        under ``_HEADROOM`` of the limit per live answer; otherwise wait for free agents (ratio 1, which makes no
        silent call) until enough live answers restore the room."""
        if self._limit is None or self.campaign.pacing is None:
            return
        room = self._silent_today + 1 <= _HEADROOM * self._limit * (self._live_today + 1)
        self.ratio = self.campaign.pacing.ratio if room else 1.0


class Campaigns:
    """The dialers of one replication and, per agent group, the one whose campaign the group works."""

    def __init__(self, host: Host, scenario_campaigns: dict[str, Campaign], group_names: tuple[str, ...],
                 streams: Streams, start_day: int, days: int):
        self.log = AttemptLog()
        self.dialers = [Dialer(host, i, c, [group_names.index(g) for g in c.groups], streams, name, self.log,
                               start_day, days)
                        for i, (name, c) in enumerate(scenario_campaigns.items())]
        self.by_group: list[Dialer | None] = [None] * len(group_names)
        for d in self.dialers:
            for g in d.groups:
                self.by_group[g] = d

    def freeze(self, end: float) -> Attempts:
        """Every attempt: those ended, then those still under way when the run ended at ``end``
        (``IN_PROGRESS``)."""
        for d in self.dialers:
            for a in d.under_way:
                rang = a.dial_at + a.ring
                self.log.add(d.index, a, IN_PROGRESS, False, False, math.nan, rang if rang <= end else math.nan)
            d.under_way.clear()
        return self.log.freeze()
