"""Overflow decisions on arrival: whether a call goes straight to the partner, and why. Pure: no SimPy.

Reasons are recorded per call (``Records.overflow``). Share and outside-hours rules apply on arrival whatever the
in-house state; queue-length and expected-wait rules only when no in-house agent is free. A call taken by a
partner agent after waiting ``after_wait`` is recorded as WAIT; a call the partner refused (no partner agent free
and its overflow queue full: ``max_queue`` calls already waiting there) stays in-house and is recorded as REFUSED.
"""

from __future__ import annotations

import math

from sim.engine.layout import Layout
from sim.scenario.hours import is_open
from sim.scenario.schema import CallType

NONE, WAIT, QUEUE, EXPECTED_WAIT, HOURS, SHARE, REFUSED = range(7)
REASONS = ("none", "after_wait", "queue_length", "expected_wait", "outside_hours", "share", "refused")


def _mean_work(ct: CallType) -> float:
    """Mean handle time of a call type (talk + wrap-up), at handle-time factor 1."""
    talk = ct.handle_time if ct.handle_time is not None else ct.talk_time
    assert talk is not None  # the schema requires one of the two
    return talk.mean + (ct.wrap_up.mean if ct.wrap_up else 0.0)


class OverflowPolicy:
    """The overflow rules of a scenario, by call type index."""

    def __init__(self, layout: Layout):
        self.rules = tuple(ct.overflow for ct in layout.call_types)
        self.after_wait = tuple(r.after_wait if r and r.after_wait is not None else math.inf for r in self.rules)
        self.partner_limit = tuple(r.max_queue if r and r.max_queue is not None else math.inf for r in self.rules)
        self.mean_work = tuple(_mean_work(ct) for ct in layout.call_types)
        self.in_house_hours = layout.in_house_windows()
        self.start_day = layout.scenario.run.start_day.number

    def on_arrival(self, t: int, now: float, draw: float) -> int:
        """SHARE or HOURS if a call of type ``t`` arriving at ``now`` goes straight to the partner whatever the
        in-house state (``draw``: the call's own uniform number for the share rule), else NONE."""
        rule = self.rules[t]
        if rule is None:
            return NONE
        if rule.share is not None and draw < rule.share:
            return SHARE
        if rule.outside_hours and not any(is_open(now, self.start_day, w) for w in self.in_house_hours):
            return HOURS
        return NONE

    def instead_of_waiting(self, t: int, waiting: int, agents: int) -> int:
        """QUEUE or EXPECTED_WAIT if a call of type ``t`` that would have to wait in-house goes to the partner
        (``waiting``: calls of the type already waiting in-house; ``agents``: agents logged in in its in-house
        groups), else NONE."""
        rule = self.rules[t]
        if rule is None:
            return NONE
        if rule.queue_length is not None and waiting >= rule.queue_length:
            return QUEUE
        if rule.expected_wait is not None and self.expected_wait(t, waiting, agents) > rule.expected_wait:
            return EXPECTED_WAIT
        return NONE

    def expected_wait(self, t: int, waiting: int, agents: int) -> float:
        """Estimated in-house wait: (calls ahead + 1) x mean handle time / agents logged in (inf without agents)."""
        return math.inf if agents <= 0 else (waiting + 1) * self.mean_work[t] / agents
