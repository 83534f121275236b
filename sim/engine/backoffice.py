"""Deferrable work in the model (e-mail, social-media messages, back-office cases): items arrive, wait in a
first-in-first-out backlog that carries over from day to day, and are worked by idle agents of their groups.

An agent takes an item when no inbound call waits for it, within the work type's working hours, and (in a group
that also takes inbound calls) only while more than ``reserve`` of the group's agents are idle; it finishes the
item before taking anything else. Arrival instants and handle times are drawn per work type from streams of its
own, as callers are, so staffing never changes the work that arrives.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import partial

import numpy as np

from sim.engine.agents import Agent
from sim.engine.arrivals import arrival_times
from sim.engine.host import Host
from sim.engine.streams import Streams
from sim.scenario.hours import spans
from sim.scenario.schema import RunSettings, WorkType
from sim.units import DAY


@dataclass(frozen=True)
class Items:
    """The work items of one replication, one entry per item in arrival order within each work type (work types
    in scenario order): work type index, instant it arrived, instant an agent started it and finished it (NaN if
    not within the run), the agent's group and id (-1 if none)."""

    work: np.ndarray
    arrival_at: np.ndarray
    start_at: np.ndarray
    end_at: np.ndarray
    group: np.ndarray
    agent: np.ndarray

    def __len__(self) -> int:
        return len(self.arrival_at)


class WorkQueue:
    """One work type's backlog during one replication."""

    def __init__(self, host: Host, work: WorkType, groups: list[int], streams: Streams, name: str,
                 run: RunSettings):
        self.host, self.work, self.groups = host, work, groups
        self.arrival_at = arrival_times(work.arrivals, run, streams, f"work:{name}")
        n = len(self.arrival_at)
        self.handle = work.handle_time.sample(streams.get(f"work_handle/{name}"), n).tolist()
        self.start_at = np.full(n, np.nan)
        self.end_at = np.full(n, np.nan)
        self.group = np.full(n, -1, dtype=np.int16)
        self.agent = np.full(n, -1, dtype=np.int32)
        self._backlog: deque[int] = deque()
        self.open = work.hours is None
        self._times = self.arrival_at.tolist()
        self._next = 0
        if n:
            host.call_at(self._times[0], self._arrive)
        if work.hours is not None:
            for opens, closes in spans(work.hours, run.start_day.number, run.days + int(run.drain // DAY) + 1):
                self._at(opens, True)
                self._at(closes, False)

    def _arrive(self) -> None:
        """The next item arrives (each arrival schedules the one after it)."""
        i = self._next
        self._next += 1
        if self._next < len(self._times):
            self.host.call_at(self._times[self._next], self._arrive)
        self._backlog.append(i)
        self.wake()

    def _at(self, when: float, opening: bool) -> None:
        self.host.call_at(when, partial(self._hours, opening))

    def _hours(self, opening: bool) -> None:
        self.open = opening
        if opening:
            self.wake()

    def wake(self) -> None:
        now = self.host.now
        for g in self.groups:
            self.on_idle(g, now)

    def on_idle(self, g: int, now: float) -> None:
        """Idle agents of group ``g`` take the oldest items (``sim.engine.host.IdleWork``)."""
        idle = self.host.idle[g]
        reserve = self.work.reserve if self.host.takes_calls(g) else 0
        while self.open and self._backlog and len(idle) > reserve:
            agent = idle.popleft()
            i = self._backlog.popleft()
            self.start_at[i] = now
            self.group[i] = g
            self.agent[i] = agent.id
            self.host.call_at(now + self.handle[i], partial(self._done, i, agent))

    def _done(self, i: int, agent: Agent) -> None:
        now = self.host.now
        self.end_at[i] = now
        self.host.release(agent, now)


def freeze(queues: list[WorkQueue]) -> Items:
    """The items of every work type, work types in order."""
    return Items(
        work=np.concatenate([np.full(len(q.arrival_at), k, dtype=np.int16) for k, q in enumerate(queues)]),
        arrival_at=np.concatenate([q.arrival_at for q in queues]),
        start_at=np.concatenate([q.start_at for q in queues]),
        end_at=np.concatenate([q.end_at for q in queues]),
        group=np.concatenate([q.group for q in queues]),
        agent=np.concatenate([q.agent for q in queues]),
    )
