"""Agents as entities: each has an id, a group, a site and the instants it logged in and last became idle.

A group's ``Roster`` knows who is logged in, who is idle (longest idle first: agents become idle in time order, so
a deque keeps that order at O(1) per change) and how many busy agents log out when their call ends. Agents who log
out return to the roster's off-shift pool and keep their id for their next shift, so ids are stable within a
replication and the records can say which agent took a call. Pure: no SimPy.
"""

from __future__ import annotations

from collections import deque


class Agent:
    """One agent of a group."""

    __slots__ = ("id", "group", "site", "since", "shift_start")

    def __init__(self, id: int, group: int, site: int):
        self.id = id
        self.group = group
        self.site = site
        self.since = 0.0
        """Instant the agent last became idle (meaningful while idle)."""
        self.shift_start = 0.0
        """Instant the agent logged in for the current shift."""


class Roster:
    """The agents of one group during one replication."""

    def __init__(self, group: int, site: int, ids: list[int]):
        """``ids``: the replication's id counter (one cell, shared by every roster): ids are unique across groups."""
        self.group = group
        self.site = site
        self.idle: deque[Agent] = deque()
        self.logged_in = 0
        self.leaving = 0
        """Busy agents who log out when the call in hand ends."""
        self._ids = ids
        self._off: list[Agent] = []

    def log_in(self, n: int, now: float) -> list[Agent]:
        """``n`` more agents on shift from ``now``: first cancel pending log-outs, then the rest log in idle; the
        agents who logged in (the caller may give them waiting calls)."""
        kept = min(self.leaving, n)
        self.leaving -= kept
        fresh = []
        for _ in range(n - kept):
            agent = self._off.pop() if self._off else self._new()
            agent.since = agent.shift_start = now
            self.idle.append(agent)
            fresh.append(agent)
        self.logged_in += len(fresh)
        return fresh

    def log_out(self, n: int) -> int:
        """``n`` agents leave the shift: the longest idle go at once, busy ones after their call; how many left now."""
        gone = min(len(self.idle), n)
        for _ in range(gone):
            self._off.append(self.idle.popleft())
        self.logged_in -= gone
        self.leaving += n - gone
        return gone

    def done(self, agent: Agent) -> bool:
        """``agent`` finished a call: False if it logs out now (a pending log-out), True if it stays on shift."""
        if self.leaving:
            self.leaving -= 1
            self.logged_in -= 1
            self._off.append(agent)
            return False
        return True

    def _new(self) -> Agent:
        self._ids[0] += 1
        return Agent(self._ids[0] - 1, self.group, self.site)
