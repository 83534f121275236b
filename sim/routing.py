"""Skill-based routing policy. PURE: no SimPy; decides from the static skill structure and the current state.

Both decisions are deterministic (no random tie-breaks):

- a call arrives: among groups with an idle agent, the best skill rank for its call type wins; among groups of
  equal rank, the agent idle the longest (then the group listed first);
- an agent frees: among waiting calls of its skills, the best rank wins, then the call type's priority (lower is
  served first), then the call that has waited longest (then the call type listed first).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Protocol

WAITING = 1
"""State of a call that is in a queue (any other state means it left: answered, abandoned, ...)."""


class Queued(Protocol):
    """What routing needs to know about a waiting call."""

    state: int
    queue_at: float


Tiers = tuple[tuple[int, ...], ...]
"""Indices grouped by rank, best rank first; within a tier in file order."""


def tiers(ranked: Sequence[tuple[int, int]]) -> Tiers:
    """(index, rank) pairs -> indices grouped by rank, best (lowest) rank first, stable within a rank."""
    ranks = sorted({rank for _, rank in ranked})
    return tuple(tuple(i for i, r in ranked if r == rank) for rank in ranks)


class Router:
    """The static routing structure of a scenario: which groups serve which call types, at which rank."""

    def __init__(self, skills: Sequence[dict[int, int]], n_types: int, priorities: Sequence[int]):
        """``skills[g]`` maps call type index -> rank for group ``g``."""
        self.groups_for_type: list[Tiers] = [
            tiers([(g, s[t]) for g, s in enumerate(skills) if t in s]) for t in range(n_types)]
        self.types_for_group: list[Tiers] = [tiers(sorted(s.items())) for s in skills]
        self.priorities = tuple(priorities)

    def pick_group(self, call_type: int, idle: Sequence[deque[float]]) -> int:
        """The group whose agent takes an arriving call of ``call_type``, or -1 if no eligible agent is idle.

        ``idle[g]`` holds the instants at which the idle agents of group ``g`` became idle, oldest first.
        """
        for tier in self.groups_for_type[call_type]:
            best, since = -1, 0.0
            for g in tier:
                agents = idle[g]
                if agents and (best < 0 or agents[0] < since):
                    best, since = g, agents[0]
            if best >= 0:
                return best
        return -1

    def pick_call(self, group: int, queues: Sequence[deque[Queued]]) -> int:
        """The call type whose head-of-line call a freed agent of ``group`` takes, or -1 if none waits.

        Calls that left a queue (abandoned) are dropped from the queue heads on the way.
        """
        priorities = self.priorities
        for tier in self.types_for_group[group]:
            best, key = -1, (0, 0.0)
            for t in tier:
                queue = queues[t]
                while queue and queue[0].state != WAITING:
                    queue.popleft()
                if queue:
                    candidate = (priorities[t], queue[0].queue_at)
                    if best < 0 or candidate < key:
                        best, key = t, candidate
            if best >= 0:
                return best
        return -1
