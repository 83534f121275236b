"""The SimPy model: trunk lines, IVR, queues and agent groups, and the life of a call through them.

SimPy's Environment is the clock and the event heap. Calls are plain data moved by event handlers (no process per
call): an IVR end, a service end, the end of a transfer to a partner agent (or the caller's hang-up during it), the
end of the talk of a call of a type with a transfer rule (if it is passed on, its transfer leg joins that queue),
a call back's ringing or due time and, only for a caller who really queues, a patience timer. The model's own
events are plain tuples ``(handler, *values)`` on SimPy's heap, handled by the model's run loop as
``handler(event, now)``; SimPy's own events (the shift-change processes) are left to ``Environment.step``. Arrivals
are a sorted stream that the run loop merges with the heap: each arrival is admitted at its own instant after every
event due by then, so it costs no heap operation. Routing decisions are delegated to the scenario's routing policy
(``sim.engine.routing``), agents' bookkeeping to their group's ``Roster`` (``sim.engine.agents``).

The common path of a call (a type without overflow or transfer rule, no IVR, a built-in routing policy) is
handled inline in the run loop: an idle agent takes it at once, without a ``Call`` object, or its caller queues;
``_on_quick_end`` ends every call without a transfer rule (but call backs) and gives the agent its group's next
call; every other path goes through the methods below.

Callers come in blocks of ``records.BLOCK`` calls in arrival order (``sim.engine.callers.CallerSource``); each
block has its own record columns. A run keeps every block (``simulate``: the whole ``Records``), or (``stream``)
hands each block whose calls have all left, in order, to a callback and frees it, so memory no longer grows with
the calls.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import replace
from heapq import heappop, heappush
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, Event

from sim.engine.agents import Agent, Roster
from sim.engine.backoffice import WorkQueue, freeze
from sim.engine.callers import Callers, CallerSource
from sim.engine.chat import ChatDesk
from sim.engine.chat import freeze as freeze_chats
from sim.engine.dialer import Campaigns
from sim.engine.host import IdleWork
from sim.engine.layout import Layout
from sim.engine.overflow import NONE, REFUSED, WAIT, OverflowPolicy
from sim.engine.records import (
    ABANDONED,
    ANSWERED,
    BLOCK,
    BLOCKED,
    CALLBACK,
    CLOSED,
    DEFLECTED,
    UNREACHED,
    Block,
    Records,
    concatenate_records,
    staff_log_array,
)
from sim.engine.repeats import CALLBACK as CALLBACK_LEG
from sim.engine.repeats import FRESH, TRANSFER, Repeats
from sim.engine.routing import ORDINARY, PARTNER, POLICIES, WAITING, PriorityFirstRouter, Router, RoutingPolicy
from sim.engine.streams import Streams
from sim.engine.transfer import TransferDelays
from sim.scenario.hours import closed_at, is_open

_CHUNK = 16384
"""Callers are read from numpy into Python lists this many at a time (fast scalar access, bounded memory)."""
_SHIFT = BLOCK.bit_length() - 1
_IN_SERVICE, _LEFT, _IN_TRANSFER = 2, 3, 4
BlockSink = Callable[[Records, np.ndarray], None]
"""Receives finished records, in call order, and per call whether it is the first answer of its need possible (no
earlier call of its need was answered)."""


class Call:
    """A call in the system."""

    __slots__ = ("id", "type", "work", "patience", "queue_at", "state", "group", "queue", "leg", "kind", "agent",
                 "rec", "j")

    def __init__(self, id: int, type: int, work: float, patience: float, rec: Block, j: int):
        self.id = id
        self.type = type
        self.work = work
        self.patience = patience
        self.queue_at = 0.0
        self.state = 0
        self.group = -1
        self.queue = -1
        self.leg = -1
        """Record of the transfer leg this call continues in when its talk ends (-1: not transferred)."""
        self.kind = FRESH
        """FRESH for a contact's first leg (a repeat or redial too), else TRANSFER or CALLBACK."""
        self.agent: Agent | None = None
        """The agent serving the call (or reserved for it while it is transferred to a partner)."""
        self.rec = rec
        """The record block of the call; ``j``: its index there."""
        self.j = j


ModelEvent = tuple[Any, ...]
"""A model event on SimPy's heap: (handler, values...); the handler is called as ``handler(event, now)``."""


def _act(event: ModelEvent, now: float) -> None:
    """A channel's action (``CallCenter.call_at``)."""
    event[1]()


class CallCenter:
    """One replication's contact center, wired into a SimPy environment."""

    def __init__(self, env: simpy.Environment, layout: Layout, fresh: int, streams: Streams | None):
        """``fresh``: the number of callers the run will admit (born calls are numbered after them)."""
        self.env = env
        self.layout = layout
        self.policy = OverflowPolicy(layout)
        self.router: RoutingPolicy = POLICIES[layout.scenario.routing](
            layout.skills, layout.priorities, layout.overflow_groups, self.policy.after_wait)
        self.factors = layout.handle_factors
        self.lines = layout.lines
        n = self.n_types = len(layout.type_names)
        self.max_queue = layout.max_queue + self.policy.partner_limit  # by queue: ordinary, then partner queues
        self.queues: list[deque[Call]] = [deque() for _ in range(2 * n)]
        self.queued = [0] * (2 * n)
        ids = [0]
        self.rosters = [Roster(g, layout.group_site[g], ids) for g in range(len(layout.groups))]
        self.idle = [r.idle for r in self.rosters]
        """Per group: its idle agents, longest idle first (what the router looks at)."""
        self.in_system = 0
        self.has_rule = tuple(rule is not None for rule in self.policy.rules)
        self.overflow_types = tuple(frozenset(t for t in range(n) if g in layout.overflow_groups[t])
                                    for g in range(len(layout.groups)))
        self._fresh = fresh
        self._rare = any(self.has_rule) or any(ct.transfer for ct in layout.call_types)
        """Whether calls may overflow, be transferred to a partner or passed on (see ``records.Block``)."""
        self._blocks: dict[int, Block] = {}
        """Fresh calls' record blocks still held, by block number."""
        self._born = Block(fresh, 0, None, self._rare)
        self.staff_log: list[tuple[float, int, int]] = []
        self.repeats = Repeats(layout, streams, fresh, self._fresh_value)
        self.transfers = TransferDelays(layout, streams)
        self._delayed = self.transfers.delayed
        self._unresolved = self.repeats.unresolved
        self._transfers = tuple(rule is not None for rule in self.repeats.transfer)
        self._callbacks = self.repeats.callback + [None] * n  # by queue: partner queues offer none
        self._redials = any(self.repeats.redial)
        self._queue: list[Any] = env._queue  # simpy's heap of (time, priority, id, event): see the module docstring
        self._eid = env._eid
        built_in = type(self.router) in (Router, PriorityFirstRouter)
        ordinary = self.router.groups[ORDINARY]
        self._quick = tuple(built_in and not self.has_rule[t] and not self._transfers[t] for t in range(n))
        """Per call type: whether its calls may take the inline common path (see the module docstring)."""
        self._only_group = tuple(tiers[0][0] if len(tiers) == 1 and len(tiers[0]) == 1 else -1 for tiers in ordinary)
        """Per call type: its one ordinary group, -1 if it has several (or none)."""
        queues_of = self.router.queues_for_group if built_in and isinstance(self.router, Router) else \
            [()] * len(layout.groups)
        self._only_queue = tuple(tiers[0][0][0] if len(tiers) == 1 and len(tiers[0]) == 1 and not tiers[0][0][1]
                                 else -1 for tiers in queues_of)
        """Per group: the one queue its agents take calls from (no minimum wait), -1 if several."""
        self._ends = tuple((bool(self._unresolved[g]), self.rosters[g], self.queues[q] if q >= 0 else None,
                            0 <= q < n and q not in self.overflow_types[g], self.idle[g])
                           for g, q in enumerate(self._only_queue))
        """Per group, what a service end looks at: whether its calls may stay unresolved, its roster, its one queue
        (None if several), whether that is an ordinary queue none of whose calls overflow to it, its idle agents."""
        self._plain_wait = tuple(self._quick[t] and self._callbacks[t] is None for t in range(n))
        """Per call type: a caller who finds no idle agent simply queues (no call-back offer, no overflow)."""
        self.campaigns: Campaigns | None = None
        self.work: list[WorkQueue] = []
        self.chats: list[ChatDesk] = []
        scenario = layout.scenario
        if scenario.campaigns or scenario.work or scenario.chats:
            if streams is None:
                raise ValueError("a scenario with campaigns, work items or chats needs the replication's streams")
            run = scenario.run
            self.chats = [ChatDesk(self, c, [layout.group_names.index(g) for g in c.groups], streams, name, run)
                          for name, c in (scenario.chats or {}).items()]
            self.work = [WorkQueue(self, w, [layout.group_names.index(g) for g in w.groups], streams, name, run)
                         for name, w in (scenario.work or {}).items()]
            if scenario.campaigns:
                self.campaigns = Campaigns(self, scenario.campaigns, layout.group_names, streams,
                                           run.start_day.number, run.days)
        self._idle_work: list[tuple[IdleWork, ...]] = [
            (*(d for d in self.chats if g in d.groups), *(q for q in self.work if g in q.groups),
             *((d,) if self.campaigns and (d := self.campaigns.by_group[g]) is not None else ()))
            for g in range(len(layout.groups))]
        """Per group: what its idle agents take when no call waits, in order: chats, work items (in scenario
        order), then its campaign (``sim.engine.host``)."""
        for g, steps in enumerate(layout.staffing):
            self._change_staff(g, steps[0][1])
            if len(steps) > 1:
                env.process(self._shifts(g, steps))

    # -- records --------------------------------------------------------------------------------------------------

    def _fresh_value(self, column: str, i: int) -> Any:
        """Column ``column`` of the callers of fresh call ``i`` (its block is held while it is in the system)."""
        block = self._blocks[i >> _SHIFT]
        assert block.callers is not None
        return getattr(block.callers, column)[i - block.lo]

    def _record(self, i: int) -> tuple[Block, int]:
        """The record block of call ``i`` and its index there."""
        if i < self._fresh:
            block = self._blocks[i >> _SHIFT]
            return block, i - block.lo
        return self._born, i - self._fresh

    def add_record(self) -> int:
        """Room for a call born during the run; returns its index."""
        return self._fresh + self._born.add()

    # -- the run loop ---------------------------------------------------------------------------------------------

    def at(self, when: float, event: ModelEvent) -> None:
        """Handle ``event`` at instant ``when`` (>= the last instant handled)."""
        now = self.env._now
        heappush(self._queue, (now + (when - now), NORMAL, next(self._eid), event))

    def _drain(self, stop: float) -> None:
        """Handle every event due before ``stop``; the clock then stands at ``stop`` (as simpy's ``run(until)``)."""
        queue, env = self._queue, self.env
        while queue:
            top = queue[0]
            if top[0] >= stop:
                break
            event = top[3]
            if event.__class__ is tuple:
                heappop(queue)
                env._now = now = top[0]
                event[0](event, now)
            else:
                env.step()
        env._now = stop

    def run(self, callers: Iterable[Callers], until: float, sink: BlockSink | None) -> Records:
        """Admit ``callers`` (blocks of BLOCK calls in arrival order), then run until ``until`` (horizon + drain).
        With ``sink``, each finished block of fresh calls goes to it (in call order) and is freed while the run
        goes on; returns the records not handed to it (all of them without ``sink``), fresh then born calls."""
        scenario = self.layout.scenario
        lo = 0
        for part in callers:
            block = self._blocks[lo >> _SHIFT] = Block(lo, len(part), part, self._rare)
            closed = closed_at(part.arrival_at, scenario.run.start_day.number, scenario.opening_hours)
            for start in range(0, len(part), _CHUNK):
                if sink is not None:
                    self._release(sink)
                self._admit(block, part.slice(start, start + _CHUNK), closed[start:start + _CHUNK], start)
            lo += len(part)
        self._drain(self.env._now + (until - self.env._now))  # where simpy's run(until) would stop
        log = staff_log_array(self.staff_log)
        parts = [b.records(b.callers, log) for b in self._blocks.values() if b.callers is not None]
        if len(self._born.outcome):
            parts.append(self._born.records(self.repeats.born(), log))
        return replace(concatenate_records(parts), **self._channels(until))

    def _channels(self, end: float) -> dict[str, Any]:
        """The records of the channels beside calls (``Records.attempts``, ``items``, ``chats``)."""
        return {"attempts": self.campaigns.freeze(end) if self.campaigns else None,
                "items": freeze(self.work) if self.work else None,
                "chats": freeze_chats(self.chats, end) if self.chats else None}

    def first_answer(self, part: Records) -> np.ndarray:
        """Per record of ``part`` (what ``run`` returned): whether no earlier call of its need was answered."""
        after = np.zeros(len(part.outcome), dtype=bool)
        born = len(self._born.outcome)
        if born:
            after[-born:] = self.repeats.after
        return ~after

    def _release(self, sink: BlockSink) -> None:
        """Hand the oldest fresh blocks whose calls have all left (and that no born call shares) to ``sink``."""
        blocks = self._blocks
        while len(blocks) > 1:
            k = next(iter(blocks))
            block = blocks[k]
            if (k + 1) * BLOCK > self._fresh or not block.finished():
                return
            assert block.callers is not None
            part = block.records(block.callers, staff_log_array([]))
            sink(part, np.ones(len(part.outcome), dtype=bool))
            del blocks[k]

    def _admit(self, block: Block, c: Callers, closed: np.ndarray, start: int) -> None:
        """Admit callers ``c`` (records ``start``... of ``block``): before each arrival, handle every event due at
        or before its instant; then the call arrives at that instant (inline on the common path)."""
        plain = (np.asarray(self._quick, dtype=bool)[c.call_type] & ~closed & ~c.deflected & ~(c.ivr_time > 0.0))
        queue, env, step, eid = self._queue, self.env, self.env.step, self._eid
        only_group, idle, factors = self._only_group, self.idle, self.factors
        tiers = self.router.groups[ORDINARY]
        start_at, group, agents = block.start_at, block.group, block.agent
        on_quick_end, lines, lo = self._on_quick_end, self.lines, block.lo
        plain_wait, queued, max_queue, queues, on_patience = (
            self._plain_wait, self.queued, self.max_queue, self.queues, self._on_patience)
        j = start - 1
        for now, t, work, patience, simple in zip(c.arrival_at.tolist(), c.call_type.tolist(),
                                                  (c.talk_time + c.wrap_up_time).tolist(), c.patience.tolist(),
                                                  plain.tolist(), strict=True):
            j += 1
            while queue:
                top = queue[0]
                if top[0] > now:
                    break
                event = top[3]
                if event.__class__ is tuple:
                    heappop(queue)
                    env._now = top[0]
                    event[0](event, top[0])
                else:
                    step()
            if simple and self.in_system < lines:  # a type of the common path, open, no IVR (see _arrive)
                g = only_group[t]
                if g < 0:  # Router.pick_group, inline
                    for tier in tiers[t]:
                        since = 0.0
                        for h in tier:
                            free = idle[h]
                            if free and (g < 0 or free[0].since < since):
                                g, since = h, free[0].since
                        if g >= 0:
                            break
                elif not idle[g]:
                    g = -1
                if g >= 0:
                    self.in_system += 1
                    agent = idle[g].popleft()
                    start_at[j] = now
                    group[j] = g
                    agents[j] = agent.id
                    clock = env._now
                    heappush(queue, (clock + ((now + work * factors[g]) - clock), NORMAL, next(eid),
                                     (on_quick_end, lo + j, t, agent, block, j)))
                    continue
                if plain_wait[t] and queued[t] < max_queue[t]:  # what _enter_queue ... _wait do for this caller
                    self.in_system += 1
                    call = Call(lo + j, t, work, patience, block, j)
                    call.queue_at = now
                    call.state = WAITING
                    call.queue = t
                    queues[t].append(call)
                    queued[t] += 1
                    if patience != math.inf:
                        clock = env._now
                        heappush(queue, (clock + ((now + patience) - clock), NORMAL, next(eid), (on_patience, call)))
                    continue
            if closed[j - start]:
                block.outcome[j] = CLOSED
                block.end_at[j] = now
            else:
                k = j - start
                self._arrive(lo + j, t, now, float(c.ivr_time[k]), bool(c.deflected[k]), work, patience, block, j)

    # -- events ---------------------------------------------------------------------------------------------------

    def _on_quick_end(self, event: ModelEvent, now: float) -> None:
        """The service end of a call that is not passed on (its type has no transfer rule) and not a call back
        (``_on_service_end`` for such a call): recorded; the agent takes the next call or idles."""
        _, i, t, agent, block, j = event
        block.outcome[j] = ANSWERED
        block.end_at[j] = now
        self.in_system -= 1
        g = agent.group
        unresolved, roster, queue, plain, idle = self._ends[g]
        if unresolved and self.repeats.is_unresolved(i, g):
            self.repeats.schedule(self, t, i, g, now)
        if roster.leaving:
            self._free_agent(agent, now)
            return
        if queue is not None:  # the group's one queue: Router.pick_queue, inline
            while queue and queue[0].state != WAITING:
                queue.popleft()
            if queue:
                q = self._only_queue[g]
                if plain:  # what _take does when neither an overflow mark nor a transfer applies
                    self.queued[q] -= 1
                    self._serve(queue.popleft(), agent, now)
                else:
                    self._take(q, agent, now)
                return
        else:
            q = self.router.pick_queue(g, self.queues, now)
            if q >= 0:
                self._take(q, agent, now)
                return
        agent.since = now
        idle.append(agent)
        for work in self._idle_work[g]:
            work.on_idle(g, now)

    def _arrive(self, i: int, t: int, now: float, ivr: float, deflected: bool, work: float, patience: float,
                block: Block, j: int) -> None:
        if self.in_system >= self.lines:
            block.outcome[j] = BLOCKED
            block.end_at[j] = now
            if self._redials:
                self.repeats.maybe_redial(self, t, i, now)
            return
        self.in_system += 1
        call = Call(i, t, work, patience, block, j)
        if deflected:
            self.at(now + ivr, (self._on_self_service_end, call))
        elif ivr > 0.0:
            self.at(now + ivr, (self._on_ivr_end, call))
        else:
            self._enter_queue(call, now)

    def _on_self_service_end(self, event: ModelEvent, now: float) -> None:
        self._leave(event[1], DEFLECTED, now)

    def _on_ivr_end(self, event: ModelEvent, now: float) -> None:
        self._enter_queue(event[1], now)

    def _enter_queue(self, call: Call, now: float) -> None:
        call.queue_at = now
        t = call.type
        if self.has_rule[t]:
            self._enter_with_overflow(call, t, now)
            return
        self._serve_wait_or_block(call, self.router.pick_group(t, self.idle), t, now)

    def _serve_or_wait(self, call: Call, g: int, q: int, now: float) -> bool:
        """An idle agent of group ``g`` takes the call, or (g < 0) it waits in queue ``q`` if fewer than the queue's
        ``max_queue`` callers already wait there; False if neither (the call is left where it was)."""
        if g >= 0:
            self._start(call, self.idle[g].popleft(), now)
        elif self.queued[q] < self.max_queue[q]:
            self._wait(call, q, now)
        else:
            return False
        return True

    def _serve_wait_or_block(self, call: Call, g: int, q: int, now: float) -> None:
        """``_serve_or_wait``, else the caller gets a busy signal (the type's queue is full)."""
        if not self._serve_or_wait(call, g, q, now):
            self._leave(call, BLOCKED, now)
            if self._redials:
                self.repeats.maybe_redial(self, call.type, call.id, now)

    def _enter_with_overflow(self, call: Call, t: int, now: float) -> None:
        """Routing of a call type with an overflow rule: in-house, straight to the partner, or refused by it."""
        n = self.n_types
        reason = self.policy.on_arrival(t, now, self.repeats.overflow_draw(call.id))
        g = -1
        if reason == NONE:
            g = self.router.pick_group(t, self.idle, ORDINARY)
            if g < 0:
                reason = self.policy.instead_of_waiting(t, self.queued[t], self._agents_for(t))
        if reason != NONE:
            if self._serve_or_wait(call, self.router.pick_group(t, self.idle, PARTNER), n + t, now):
                call.rec.overflow[call.j] = reason
                return
            call.rec.overflow[call.j] = REFUSED
            g = self.router.pick_group(t, self.idle, ORDINARY)
        self._serve_wait_or_block(call, g, t, now)

    def _wait(self, call: Call, q: int, now: float) -> None:
        """Queue ``call`` in queue ``q`` (which has room) and arm its timers; or, offered a call back, its caller
        hangs up and a call-back leg takes its place."""
        if self._callbacks[q] is not None and call.kind == FRESH and self._calls_back(call, q, now):
            return
        call.state = WAITING
        call.queue = q
        self.queues[q].append(call)
        self.queued[q] += 1
        if call.patience != math.inf:
            self.at(now + call.patience, (self._on_patience, call))
        if q < self.n_types and self.has_rule[q] and self.policy.after_wait[q] != math.inf:
            self.at(now + self.policy.after_wait[q], (self._on_overflow_due, call))

    def _calls_back(self, call: Call, t: int, now: float) -> bool:
        """Whether the caller of ``call``, about to wait in its type's queue, is offered a call back and accepts:
        then it leaves the line and its call-back leg waits in its place."""
        rule = self._callbacks[t]
        assert rule is not None
        waiting = self.queued[t]
        offered = rule.queue_length is not None and waiting >= rule.queue_length
        if not offered and rule.expected_wait is not None:
            offered = self.policy.expected_wait(t, waiting, self._agents_for(t)) > rule.expected_wait
        if not offered:
            return False
        leg = self.repeats.maybe_callback(self, t, call.id, now)
        if leg < 0:
            return False
        self._leave(call, CALLBACK, now)
        back = Call(leg, t, call.work, math.inf, *self._record(leg))
        back.kind = CALLBACK_LEG
        if rule.later is None:  # virtual hold: the call back takes the caller's place
            back.queue_at = now
            self._wait(back, t, now)
        else:
            self.at(now + self.repeats.later.pop(leg), (self._on_callback_due, back))
        return True

    def _on_callback_due(self, event: ModelEvent, now: float) -> None:
        """A call back scheduled for later joins its type's queue (or an idle agent takes it at once); call backs
        are never refused by a full queue."""
        back = event[1]
        back.queue_at = now
        g = self.router.pick_group(back.type, self.idle)
        if g >= 0:
            self._start(back, self.idle[g].popleft(), now)
        else:
            self._wait(back, back.type, now)

    def _agents_for(self, t: int) -> int:
        """Agents logged in in the ordinary (in-house) groups of call type ``t``."""
        return sum(self.rosters[h].logged_in for tier in self.router.groups[ORDINARY][t] for h in tier)

    def _on_overflow_due(self, event: ModelEvent, now: float) -> None:
        """A call has waited ``after_wait``: a free partner agent may now take the oldest eligible call."""
        call = event[1]
        if call.state != WAITING:
            return
        t = call.type
        g = self.router.pick_group(t, self.idle, PARTNER)
        if g >= 0:
            self._take(t, self.idle[g].popleft(), now)

    def _take(self, q: int, agent: Agent, now: float) -> None:
        """``agent`` takes the head-of-line call of queue ``q``."""
        queue = self.queues[q]
        while queue[0].state != WAITING:
            queue.popleft()
        call = queue.popleft()
        self.queued[q] -= 1
        if q < self.n_types and q in self.overflow_types[agent.group]:
            call.rec.overflow[call.j] = WAIT
        self._start(call, agent, now)

    def _start(self, call: Call, agent: Agent, now: float) -> None:
        """``agent`` takes ``call``: at once, or (a partner agent taking an overflow call) reserved while the call
        is transferred from the in-house ACD. Calls whose ordinary route is a partner group reach it directly (the
        carrier delivers them there): no transfer."""
        g = agent.group
        if self._delayed[g] and call.type in self.overflow_types[g]:
            delay = self.transfers.draw(g)
            if delay > 0.0:
                self._transfer(call, agent, now, delay)
                return
        self._serve(call, agent, now)

    def _serve(self, call: Call, agent: Agent, now: float) -> None:
        g = call.group = agent.group
        call.state = _IN_SERVICE
        call.agent = agent
        rec, j = call.rec, call.j
        rec.start_at[j] = now
        rec.group[j] = g
        rec.agent[j] = agent.id
        if call.kind == CALLBACK_LEG:  # the agent calls back, on an outbound line (not one of ``lines``)
            ring, reached = self.repeats.callback_attempt(call.id)
            if reached:
                self.at(now + ring + call.work * self.factors[g], (self._on_service_end, call))
            else:
                self.at(now + ring, (self._on_unreached, call))
            return
        if self._transfers[call.type]:  # its talk end comes first (scheduled first, at most as late as the end)
            self.at(now + self.repeats.talk_time(call.id) * self.factors[g], (self._on_talk_end, call))
            self.at(now + call.work * self.factors[g], (self._on_service_end, call))
        else:  # never passed on: it ends as a call of the common path
            self.at(now + call.work * self.factors[g], (self._on_quick_end, call.id, call.type, agent, rec, j))

    def _on_unreached(self, event: ModelEvent, now: float) -> None:
        """A call back rang out: the customer was not reached; the agent is free again."""
        call = event[1]
        call.rec.outcome[call.j] = UNREACHED
        call.rec.end_at[call.j] = now
        self._free_agent(call.agent, now)

    def _on_talk_end(self, event: ModelEvent, now: float) -> None:
        """The talk of a call of a type with a transfer rule ends: if it is transferred, the caller, on the same
        line, joins the target type's queue as the call's transfer leg (the agent does the wrap-up)."""
        call = event[1]
        leg = call.leg = self.repeats.maybe_transfer(self, call.type, call.id, now)
        if leg < 0:
            return
        call.rec.transferred[call.j] = 1
        t, _, work, patience = self.repeats.attributes(leg)
        second = Call(leg, t, work, patience, *self._record(leg))
        second.kind = TRANSFER
        self._enter_queue(second, now)

    def _transfer(self, call: Call, agent: Agent, now: float, delay: float) -> None:
        """``agent`` is reserved now; the caller, still waiting, reaches it after ``delay`` or hangs up first when
        its patience (counted from entering the queue) runs out on the way."""
        call.state = _IN_TRANSFER
        call.agent = agent
        g = call.group = agent.group
        rec, j = call.rec, call.j
        rec.group[j] = g
        rec.agent[j] = agent.id
        rec.seized_at[j] = now
        hang_up = call.queue_at + call.patience
        if hang_up < now + delay:
            self.at(hang_up, (self._on_transfer_abandon, call))
        else:
            self.at(now + delay, (self._on_transfer_end, call))

    def _on_transfer_end(self, event: ModelEvent, now: float) -> None:
        call = event[1]
        self._serve(call, call.agent, now)

    def _on_transfer_abandon(self, event: ModelEvent, now: float) -> None:
        call = event[1]
        call.state = _LEFT
        self._leave(call, ABANDONED, now)
        if self._redials:
            self.repeats.maybe_redial(self, call.type, call.id, now)
        self._free_agent(call.agent, now)

    def _on_service_end(self, event: ModelEvent, now: float) -> None:
        call = event[1]
        call.rec.outcome[call.j] = ANSWERED
        call.rec.end_at[call.j] = now
        if call.leg < 0:
            if call.kind != CALLBACK_LEG:
                self.in_system -= 1
            g = call.group
            if self._unresolved[g] and self.repeats.is_unresolved(call.id, g):
                self.repeats.schedule(self, call.type, call.id, g, now)
        self._free_agent(call.agent, now)

    def _free_agent(self, agent: Agent | None, now: float) -> None:
        """``agent`` is done with a call: it logs out if due to, else takes the next call or idles."""
        assert agent is not None
        if not self.rosters[agent.group].done(agent):
            self.staff_log.append((now, agent.group, -1))
        elif not self._serve_next(agent, now):
            agent.since = now
            self.idle[agent.group].append(agent)
            for work in self._idle_work[agent.group]:
                work.on_idle(agent.group, now)

    release = _free_agent
    """An agent is done with an outbound call, a work item or its last chat (``sim.engine.host.Host``)."""

    @property
    def now(self) -> float:
        """The current instant (``sim.engine.host.Host``)."""
        return float(self.env._now)

    def call_at(self, when: float, action: Callable[[], None]) -> None:
        """Run ``action()`` at instant ``when`` >= now (``sim.engine.host.Host``)."""
        self.at(when, (_act, action))

    def takes_calls(self, g: int) -> bool:
        """Whether group ``g`` takes inbound calls (``sim.engine.host.Host``)."""
        return bool(self.layout.skills[g])

    def leaving(self, g: int) -> int:
        """Agents of group ``g`` due to log out when their task in hand ends (``sim.engine.host.Host``)."""
        return self.rosters[g].leaving

    def _serve_next(self, agent: Agent, now: float) -> bool:
        """Give ``agent``, free, the next waiting call it should take; False if none may."""
        q = self.router.pick_queue(agent.group, self.queues, now)
        if q < 0:
            return False
        self._take(q, agent, now)
        return True

    def _on_patience(self, event: ModelEvent, now: float) -> None:
        call = event[1]
        if call.state == WAITING:
            call.state = _LEFT
            self.queued[call.queue] -= 1
            self._leave(call, ABANDONED, now)
            if self._redials:
                self.repeats.maybe_redial(self, call.type, call.id, now)

    def on_repeat_arrival(self, event: ModelEvent, now: float) -> None:
        """A repeat or redial arrives: the same path as any call, opening hours included."""
        i = event[1]
        t, ivr, work, patience = self.repeats.attributes(i)
        run = self.layout.scenario.run
        block, j = self._record(i)
        if not is_open(now, run.start_day.number, self.layout.scenario.opening_hours):
            block.outcome[j] = CLOSED
            block.end_at[j] = now
        else:
            self._arrive(i, t, now, ivr, False, work, patience, block, j)

    def _leave(self, call: Call, outcome: int, now: float) -> None:
        call.rec.outcome[call.j] = outcome
        call.rec.end_at[call.j] = now
        self.in_system -= 1

    # -- staffing -------------------------------------------------------------------------------------------------

    def _shifts(self, g: int, steps: list[tuple[float, int]]) -> Generator[Event, None, None]:
        for (_, before), (at, after) in zip(steps, steps[1:], strict=False):
            yield self.env.timeout(at - self.env.now)
            self._change_staff(g, after - before)

    def _change_staff(self, g: int, delta: int) -> None:
        """Log ``delta`` agents in (>0) or out (<0); agents logging out finish the call in hand first."""
        now, roster = self.env.now, self.rosters[g]
        if delta > 0:
            fresh = roster.log_in(delta, now)
            if fresh:
                self.staff_log.append((now, g, len(fresh)))
            idle = roster.idle
            while idle and self._serve_next(idle[0], now):
                idle.popleft()
            for work in self._idle_work[g]:
                work.on_idle(g, now)
        elif delta < 0:
            gone = roster.log_out(-delta)
            if gone:
                self.staff_log.append((now, g, -gone))


def _blocks(callers: Callers) -> Iterator[Callers]:
    for lo in range(0, max(len(callers), 1), BLOCK):
        yield callers.slice(lo, lo + BLOCK)


def simulate(layout: Layout, callers: Callers, streams: Streams | None = None) -> Records:
    """Run one replication for the given callers: horizon plus drain (no new arrivals while draining);
    ``streams`` feed what is born during the run (repeat calls; needed only where calls can stay unresolved).
    Every record is kept."""
    center = CallCenter(simpy.Environment(), layout, len(callers), streams)
    return center.run(_blocks(callers), layout.horizon + layout.scenario.run.drain, None)


def stream(layout: Layout, streams: Streams, sink: BlockSink) -> tuple[int, np.ndarray]:
    """Run one replication, its callers drawn block by block, handing all records to ``sink`` in call order (each
    block of fresh calls as soon as its calls have left, then freed); returns the number of calls simulated and
    the staffing log (``Records.staff_log``)."""
    source = CallerSource(layout, streams)
    center = CallCenter(simpy.Environment(), layout, source.total, streams)
    rest = center.run(source.blocks(BLOCK), layout.horizon + layout.scenario.run.drain, sink)
    sink(rest, center.first_answer(rest))
    return source.total + len(center._born.outcome), rest.staff_log
