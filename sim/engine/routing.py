"""Routing policies. PURE: no SimPy; a policy decides from the static skill structure and the current state.

The model asks a policy two questions (``RoutingPolicy``): *a contact arrives: which group's idle agent takes it?*
(``pick_group``) and *an agent frees: which waiting contact does it take?* (``pick_queue``). A scenario picks the
policy with its top-level ``routing`` key; both are deterministic (no random tie-breaks):

- ``rank_first`` (default, ``Router``): a call arrives: among groups with an idle agent, the best skill rank for
  its call type wins; among groups of equal rank, the agent idle the longest (then the group listed first). An
  agent frees: among waiting calls it may take, the best rank wins, then the call type's priority (lower is served
  first), then the call that has waited longest (then the queue listed first);
- ``priority_first`` (``PriorityFirstRouter``): arrivals as above; a freed agent takes the call type with the
  best priority among those it may take, then its best rank, then the longest waiting (ACDs that let priority
  override skill level).

Overflow: a call type's overflow groups (partner groups named by its overflow rule) are not among its ordinary
groups. A call sent to the partner on arrival waits in the type's partner queue, which only overflow groups serve;
a call waiting in the ordinary queue becomes additionally eligible for the overflow groups once it has waited
``after_wait`` (it keeps its place). Queue ``t`` is call type t's ordinary queue, queue ``n_types + t`` its
partner queue.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Protocol, TypeVar

from sim.scenario.schema import RoutingRule

WAITING = 1
"""State of a call that is in a queue (any other state means it left: answered, abandoned, ...)."""
ORDINARY, PARTNER = 0, 1
"""Routing modes: the call type's ordinary groups, or (sent to the partner) its overflow groups."""


class Queued(Protocol):
    """What routing needs to know about a waiting call."""

    state: int
    queue_at: float


Q = TypeVar("Q", bound=Queued)
"""The engine's own call type, as long as it has what Queued names (a deque is invariant in its items)."""


class Available(Protocol):
    """What routing needs to know about an idle agent."""

    since: float


A = TypeVar("A", bound=Available)
"""The engine's agent type (``sim.engine.agents.Agent``)."""

Tiers = tuple[tuple[int, ...], ...]
"""Indices grouped by rank, best rank first; within a tier in file order."""


def tiers(ranked: Sequence[tuple[int, int]]) -> Tiers:
    """(index, rank) pairs -> indices grouped by rank, best (lowest) rank first, stable within a rank."""
    ranks = sorted({rank for _, rank in ranked})
    return tuple(tuple(i for i, r in ranked if r == rank) for rank in ranks)


class Router:
    """The static routing structure of a scenario: which groups serve which queues, at which rank."""

    def __init__(self, skills: Sequence[dict[int, int]], priorities: Sequence[int],
                 overflow_groups: Sequence[frozenset[int]] = (), after_wait: Sequence[float] = ()):
        """``skills[g]``: call type -> rank for group g; ``overflow_groups[t]``: partner groups of type t's
        overflow rule; ``after_wait[t]``: wait after which an ordinary call of type t may go to them (inf: never)."""
        n = len(priorities)
        overflow = list(overflow_groups) or [frozenset()] * n
        wait = list(after_wait) or [math.inf] * n
        self.n_types = n
        self.groups: tuple[list[Tiers], list[Tiers]] = (
            [tiers([(g, s[t]) for g, s in enumerate(skills) if t in s and g not in overflow[t]]) for t in range(n)],
            [tiers([(g, s[t]) for g, s in enumerate(skills) if t in s and g in overflow[t]]) for t in range(n)],
        )
        self.queues_for_group: list[tuple[tuple[tuple[int, float], ...], ...]] = []
        for g, s in enumerate(skills):
            entries = []
            for t, rank in sorted(s.items()):
                if g not in overflow[t]:
                    entries.append(((t, 0.0), rank))
                else:
                    entries.append(((n + t, 0.0), rank))
                    if wait[t] != math.inf:
                        entries.append(((t, wait[t]), rank))
            ranks = sorted({r for _, r in entries})
            self.queues_for_group.append(tuple(tuple(e for e, r in entries if r == rank) for rank in ranks))
        self.priorities = tuple(priorities) * 2

    def pick_group(self, call_type: int, idle: Sequence[deque[A]], mode: int = ORDINARY) -> int:
        """The group whose agent takes a call of ``call_type`` now, or -1 if no eligible agent is idle.

        ``idle[g]`` holds the idle agents of group ``g``, longest idle first.
        """
        for tier in self.groups[mode][call_type]:
            best, since = -1, 0.0
            for g in tier:
                agents = idle[g]
                if agents and (best < 0 or agents[0].since < since):
                    best, since = g, agents[0].since
            if best >= 0:
                return best
        return -1

    def pick_queue(self, group: int, queues: Sequence[deque[Q]], now: float) -> int:
        """The queue whose head-of-line call a freed agent of ``group`` takes, or -1 if none may.

        Calls that left a queue (abandoned) are dropped from the queue heads on the way.
        """
        priorities = self.priorities
        for tier in self.queues_for_group[group]:
            best, key = -1, (0, 0.0)
            for q, min_wait in tier:
                queue = queues[q]
                while queue and queue[0].state != WAITING:
                    queue.popleft()
                if queue and (not min_wait or now - queue[0].queue_at >= min_wait):
                    candidate = (priorities[q], queue[0].queue_at)
                    if best < 0 or candidate < key:
                        best, key = q, candidate
            if best >= 0:
                return best
        return -1


class PriorityFirstRouter(Router):
    """``priority_first``: a freed agent takes the best priority first, then its best rank, then the longest
    waiting call; arrivals are routed as by ``Router``."""

    def __init__(self, skills: Sequence[dict[int, int]], priorities: Sequence[int],
                 overflow_groups: Sequence[frozenset[int]] = (), after_wait: Sequence[float] = ()):
        super().__init__(skills, priorities, overflow_groups, after_wait)
        self.ranked_queues = [tuple((q, min_wait, rank) for rank, tier in enumerate(tiers) for q, min_wait in tier)
                              for tiers in self.queues_for_group]

    def pick_queue(self, group: int, queues: Sequence[deque[Q]], now: float) -> int:
        priorities = self.priorities
        best, key = -1, (0, 0, 0.0)
        for q, min_wait, rank in self.ranked_queues[group]:
            queue = queues[q]
            while queue and queue[0].state != WAITING:
                queue.popleft()
            if queue and (not min_wait or now - queue[0].queue_at >= min_wait):
                candidate = (priorities[q], rank, queue[0].queue_at)
                if best < 0 or candidate < key:
                    best, key = q, candidate
        return best


class RoutingPolicy(Protocol):
    """The two decisions the model delegates (see the module docstring); ``groups[mode][t]``: the groups that may
    take call type t, by rank tier."""

    groups: tuple[list[Tiers], list[Tiers]]

    def pick_group(self, call_type: int, idle: Sequence[deque[A]], mode: int = ORDINARY) -> int: ...

    def pick_queue(self, group: int, queues: Sequence[deque[Q]], now: float) -> int: ...


POLICIES: dict[RoutingRule, type[Router]] = {RoutingRule.rank_first: Router,
                                             RoutingRule.priority_first: PriorityFirstRouter}
"""The scenario's ``routing`` key -> its policy."""
