"""Chat in the model: customers start chats, wait in a first-in-first-out queue (and may leave), and an agent of
the chat type's groups handles up to ``concurrency`` chats at once, each progressing more slowly the more chats the
agent has (``stretch``).

A chat brings its work: its length at one chat at a time. While its agent has n chats, it progresses at
1 / stretch[n - 1] seconds of work per second, so every change of the agent's load re-times the agent's chats
(pending completions are superseded, not removed: each chat carries a version). A new chat goes to an idle agent
(the one idle longest), else to the agent with the fewest chats below the limit; it waits otherwise. An agent takes
the oldest waiting chat as soon as it has room. While a group has agents due to log out, its busy agents take no
new chats, so that the first to finish its chats logs out. Arrivals, work and patience are drawn per chat type from
streams of its own.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from functools import partial

import numpy as np

from sim.engine.agents import Agent
from sim.engine.arrivals import arrival_times
from sim.engine.host import Host
from sim.engine.streams import Streams
from sim.scenario.schema import ChatType, RunSettings

WAITING, CHATTING, DONE, LEFT = 0, 1, 2, 3


@dataclass(frozen=True)
class Chats:
    """The chats of one replication, per chat type in arrival order (chat types in scenario order): chat type,
    instants of arrival, of the start with an agent and of the end (NaN if none), whether the customer left the
    queue, the agent's group and id (-1 if none). ``busy``: (group, from, to) rows, the spans in which an agent had
    at least one chat."""

    chat: np.ndarray
    arrival_at: np.ndarray
    start_at: np.ndarray
    end_at: np.ndarray
    abandoned: np.ndarray
    group: np.ndarray
    agent: np.ndarray
    busy: np.ndarray

    def __len__(self) -> int:
        return len(self.arrival_at)


class _Seat:
    """An agent while it has chats."""

    __slots__ = ("agent", "chats", "since")

    def __init__(self, agent: Agent, now: float):
        self.agent = agent
        self.chats: list[int] = []
        self.since = now


class ChatDesk:
    """One chat type's queue and agents during one replication."""

    def __init__(self, host: Host, chat: ChatType, groups: list[int], streams: Streams, name: str, run: RunSettings):
        self.host, self.chat, self.groups = host, chat, groups
        self.arrival_at = arrival_times(chat.arrivals, run, streams, f"chat:{name}")
        n = len(self.arrival_at)
        self.work = chat.handle_time.sample(streams.get(f"chat_handle/{name}"), n).tolist()
        self.patience = (chat.patience.sample(streams.get(f"chat_patience/{name}"), n).tolist() if chat.patience
                         else [math.inf] * n)
        self.start_at = np.full(n, np.nan)
        self.end_at = np.full(n, np.nan)
        self.group = np.full(n, -1, dtype=np.int16)
        self.agent = np.full(n, -1, dtype=np.int32)
        self.state = [WAITING] * n
        self._left = [0.0] * n  # work left at ``_at`` (the last re-timing)
        self._at = [0.0] * n
        self._version = [0] * n
        self._seat_of: list[_Seat | None] = [None] * n
        self._stretch = list(chat.stretch) if chat.stretch else [1.0] * chat.concurrency
        self._queue: deque[int] = deque()
        self._seats: dict[int, _Seat] = {}
        self.busy: list[tuple[int, float, float]] = []
        self._times = self.arrival_at.tolist()
        self._next = 0
        if n:
            host.call_at(self._times[0], self._arrive)

    # -- arrivals and the queue -----------------------------------------------------------------------------------

    def _arrive(self) -> None:
        i = self._next
        self._next += 1
        if self._next < len(self._times):
            self.host.call_at(self._times[self._next], self._arrive)
        now = self.host.now
        seat = self._free_seat(now)
        if seat is not None:
            self._start(i, seat, now)
            return
        self._queue.append(i)
        if self.patience[i] != math.inf:
            self.host.call_at(now + self.patience[i], partial(self._give_up, i))

    def _give_up(self, i: int) -> None:
        if self.state[i] == WAITING:
            self.state[i] = LEFT
            self.end_at[i] = self.host.now

    def _free_seat(self, now: float) -> _Seat | None:
        """The agent a new chat goes to: an idle one (longest idle), else the least loaded below the limit."""
        best: Agent | None = None
        for g in self.groups:
            idle = self.host.idle[g]
            if idle and (best is None or idle[0].since < best.since):
                best = idle[0]
        if best is not None:
            self.host.idle[best.group].popleft()
            seat = self._seats[best.id] = _Seat(best, now)
            return seat
        room = [s for s in self._seats.values() if len(s.chats) < self.chat.concurrency
                and not self.host.leaving(s.agent.group)]
        return min(room, key=lambda s: (len(s.chats), s.since), default=None)

    def on_idle(self, g: int, now: float) -> None:
        """Idle agents of group ``g`` take waiting chats (``sim.engine.host.IdleWork``)."""
        idle = self.host.idle[g]
        while idle and self._waiting():
            agent = idle.popleft()
            seat = self._seats[agent.id] = _Seat(agent, now)
            self._fill(seat, now)

    def _waiting(self) -> bool:
        while self._queue and self.state[self._queue[0]] != WAITING:
            self._queue.popleft()
        return bool(self._queue)

    def _fill(self, seat: _Seat, now: float) -> None:
        """``seat`` takes waiting chats while it has room."""
        while len(seat.chats) < self.chat.concurrency and self._waiting() \
                and not (seat.chats and self.host.leaving(seat.agent.group)):
            self._start(self._queue.popleft(), seat, now)

    # -- chats in progress ----------------------------------------------------------------------------------------

    def _start(self, i: int, seat: _Seat, now: float) -> None:
        self._retime(seat, now)
        self.state[i] = CHATTING
        self.start_at[i] = now
        self.group[i] = seat.agent.group
        self.agent[i] = seat.agent.id
        self._seat_of[i] = seat
        self._left[i] = self.work[i]
        self._at[i] = now
        seat.chats.append(i)
        self._schedule(seat, now)

    def _retime(self, seat: _Seat, now: float) -> None:
        """Bring the work left of ``seat``'s chats up to ``now`` at the current load."""
        if not seat.chats:
            return
        rate = 1.0 / self._stretch[len(seat.chats) - 1]
        for j in seat.chats:
            self._left[j] -= (now - self._at[j]) * rate
            self._at[j] = now

    def _schedule(self, seat: _Seat, now: float) -> None:
        """(Re)schedule the completions of ``seat``'s chats at its load (earlier schedules are superseded)."""
        factor = self._stretch[len(seat.chats) - 1]
        for j in seat.chats:
            self._version[j] += 1
            self.host.call_at(now + max(self._left[j], 0.0) * factor, partial(self._end, j, self._version[j]))

    def _end(self, i: int, version: int) -> None:
        if version != self._version[i] or self.state[i] != CHATTING:
            return
        now = self.host.now
        seat = self._seat_of[i]
        assert seat is not None
        self._retime(seat, now)
        seat.chats.remove(i)
        self.state[i] = DONE
        self.end_at[i] = now
        if seat.chats or not self.host.leaving(seat.agent.group):  # an agent due to log out leaves when free
            self._fill(seat, now)
        if seat.chats:
            self._schedule(seat, now)
            return
        del self._seats[seat.agent.id]
        self.busy.append((seat.agent.group, seat.since, now))
        self.host.release(seat.agent, now)

    def close(self, end: float) -> None:
        """The run ended: agents still chatting were busy until ``end``."""
        self.busy += [(s.agent.group, s.since, end) for s in self._seats.values()]


def freeze(desks: list[ChatDesk], end: float) -> Chats:
    """The chats of every chat type, chat types in order."""
    for d in desks:
        d.close(end)
    busy = [row for d in desks for row in d.busy]
    return Chats(
        chat=np.concatenate([np.full(len(d.arrival_at), k, dtype=np.int16) for k, d in enumerate(desks)]),
        arrival_at=np.concatenate([d.arrival_at for d in desks]),
        start_at=np.concatenate([d.start_at for d in desks]),
        end_at=np.concatenate([d.end_at for d in desks]),
        abandoned=np.concatenate([np.asarray(d.state, dtype=np.int8) == LEFT for d in desks]),
        group=np.concatenate([d.group for d in desks]),
        agent=np.concatenate([d.agent for d in desks]),
        busy=np.asarray(busy, dtype=float).reshape(-1, 3),
    )
