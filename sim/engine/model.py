"""The SimPy model: trunk lines, IVR, queues and agent groups, and the life of a call through them.

SimPy's Environment is the clock and the event heap. Calls are plain data moved by event callbacks (no process per
call): an IVR end, a service end, the end of a transfer to a partner agent (or the caller's hang-up during it), the
end of the talk of a call of a type with a transfer rule (if it is passed on, its transfer leg joins that queue),
a call back's ringing or due time and, only for a caller who really queues, a patience timer. Arrivals are a
sorted stream that the run loop merges with the heap (``env.peek``/``env.step``): each arrival is admitted at its
own instant after every event due by then, so it costs no heap operation. Handlers take that instant as ``now``.
Shift changes are SimPy processes. Routing decisions are delegated to the scenario's routing policy
(``sim.engine.routing``), agents' bookkeeping to their group's ``Roster`` (``sim.engine.agents``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import simpy
from simpy.events import NORMAL, Event

from sim.engine.agents import Agent, Roster
from sim.engine.backoffice import WorkQueue, freeze
from sim.engine.callers import Callers
from sim.engine.chat import ChatDesk
from sim.engine.chat import freeze as freeze_chats
from sim.engine.dialer import Campaigns
from sim.engine.host import IdleWork
from sim.engine.layout import Layout
from sim.engine.overflow import NONE, REFUSED, WAIT, OverflowPolicy
from sim.engine.records import ABANDONED, ANSWERED, BLOCKED, CALLBACK, CLOSED, DEFLECTED, UNREACHED, Recorder, Records
from sim.engine.repeats import CALLBACK as CALLBACK_LEG
from sim.engine.repeats import FRESH, TRANSFER, Repeats
from sim.engine.routing import ORDINARY, PARTNER, POLICIES, WAITING, RoutingPolicy
from sim.engine.streams import Streams
from sim.engine.transfer import TransferDelays
from sim.scenario.hours import closed_at, is_open

_CHUNK = 16384
"""Callers are read from numpy into Python lists this many at a time (fast scalar access, bounded memory)."""
_IN_SERVICE, _LEFT, _IN_TRANSFER = 2, 3, 4


class Call:
    """A call in the system."""

    __slots__ = ("id", "type", "work", "patience", "queue_at", "state", "group", "queue", "leg", "kind", "agent")

    def __init__(self, id: int, type: int, work: float, patience: float):
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


class _Due(Event):
    """An event that is already triggered and only needs to fire its one callback at its time."""

    def __init__(self, env: simpy.Environment, callback: Callable[[Event], None], value: Any):
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True


def _act(event: Event) -> None:
    event._value()


class CallCenter:
    """One replication's contact center, wired into a SimPy environment."""

    def __init__(self, env: simpy.Environment, layout: Layout, callers: Callers, streams: Streams | None):
        self.env = env
        self.layout = layout
        self.callers = callers
        self.rec = Recorder(len(callers))
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
        self.repeats = Repeats(layout, streams, len(callers))
        self.transfers = TransferDelays(layout, streams)
        self._delayed = self.transfers.delayed
        self._unresolved = self.repeats.unresolved
        self._transfers = tuple(rule is not None for rule in self.repeats.transfer)
        self._callbacks = self.repeats.callback + [None] * n  # by queue: partner queues offer none
        self._redials = any(self.repeats.redial)
        self._n = len(callers)
        run = layout.scenario.run
        self._closed = closed_at(callers.arrival_at, run.start_day.number, layout.scenario.opening_hours)
        self._start_at, self._group, self._outcome, self._end_at, self._agent = (
            self.rec.start_at, self.rec.group, self.rec.outcome, self.rec.end_at, self.rec.agent)
        self.campaigns: Campaigns | None = None
        self.work: list[WorkQueue] = []
        self.chats: list[ChatDesk] = []
        scenario = layout.scenario
        if scenario.campaigns or scenario.work or scenario.chats:
            if streams is None:
                raise ValueError("a scenario with campaigns, work items or chats needs the replication's streams")
            self.chats = [ChatDesk(self, c, [layout.group_names.index(g) for g in c.groups], streams, name, run)
                          for name, c in (scenario.chats or {}).items()]
            if scenario.campaigns:
                self.campaigns = Campaigns(self, scenario.campaigns, layout.group_names, streams,
                                           run.start_day.number, run.days)
            self.work = [WorkQueue(self, w, [layout.group_names.index(g) for g in w.groups], streams, name, run)
                         for name, w in (scenario.work or {}).items()]
        self._idle_work: list[tuple[IdleWork, ...]] = [
            (*(d for d in self.chats if g in d.groups), *(q for q in self.work if g in q.groups),
             *((d,) if self.campaigns and (d := self.campaigns.by_group[g]) is not None else ()))
            for g in range(len(layout.groups))]
        """Per group: what its idle agents take when no inbound call waits, in order: chats, work items (in
        scenario order), then its campaign."""
        for g, steps in enumerate(layout.staffing):
            self._change_staff(g, steps[0][1])
            if len(steps) > 1:
                env.process(self._shifts(g, steps))

    def run(self, until: float) -> Records:
        """Simulate up to ``until`` (horizon + drain) and return the facts."""
        self._admit_arrivals()
        self.env.run(until=until)
        return self.rec.freeze(self.repeats.join(self.callers),
                               self.campaigns.freeze() if self.campaigns else None,
                               freeze(self.work) if self.work else None,
                               freeze_chats(self.chats, until) if self.chats else None)

    # -- events ---------------------------------------------------------------------------------------------------

    def _at(self, when: float, callback: Callable[[Event], None], value: Any) -> None:
        """Fire ``callback(event)`` at instant ``when`` (>= the last instant handled)."""
        env = self.env
        env.schedule(_Due(env, callback, value), NORMAL, when - env._now)

    def _admit_arrivals(self) -> None:
        """Merge the sorted arrival stream with the event heap: before each arrival, process every heap event
        due at or before its instant; then admit the call at that instant."""
        c, step, peek = self.callers, self.env.step, self.env.peek
        for lo in range(0, self._n, _CHUNK):
            j = slice(lo, lo + _CHUNK)
            types, times, ivr, deflected, patience, closed = (
                c.call_type[j].tolist(), c.arrival_at[j].tolist(), c.ivr_time[j].tolist(),
                c.deflected[j].tolist(), c.patience[j].tolist(), self._closed[j].tolist())
            work = (c.talk_time[j] + c.wrap_up_time[j]).tolist()
            for k, now in enumerate(times):
                while peek() <= now:
                    step()
                if closed[k]:
                    self._leave_closed(lo + k, now)
                else:
                    self._arrive(lo + k, types[k], now, ivr[k], deflected[k], work[k], patience[k])

    def _arrive(self, i: int, t: int, now: float, ivr: float, deflected: bool, work: float,
                patience: float) -> None:
        if self.in_system >= self.lines:
            self._outcome[i] = BLOCKED
            self._end_at[i] = now
            if self._redials:
                self.repeats.maybe_redial(self, t, i, now)
            return
        self.in_system += 1
        call = Call(i, t, work, patience)
        if deflected:
            self._at(now + ivr, self._on_self_service_end, call)
        elif ivr > 0.0:
            self._at(now + ivr, self._on_ivr_end, call)
        else:
            self._enter_queue(call, now)

    def _on_self_service_end(self, event: Event) -> None:
        self._leave(event._value.id, DEFLECTED, self.env._now)

    def _on_ivr_end(self, event: Event) -> None:
        self._enter_queue(event._value, self.env._now)

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
            self._leave(call.id, BLOCKED, now)
            if self._redials:
                self.repeats.maybe_redial(self, call.type, call.id, now)

    def _enter_with_overflow(self, call: Call, t: int, now: float) -> None:
        """Routing of a call type with an overflow rule: in-house, straight to the partner, or refused by it."""
        n, i = self.n_types, call.id
        reason = self.policy.on_arrival(t, now, self.repeats.overflow_draw(self.callers, i))
        g = -1
        if reason == NONE:
            g = self.router.pick_group(t, self.idle, ORDINARY)
            if g < 0:
                reason = self.policy.instead_of_waiting(t, self.queued[t], self._agents_for(t))
        if reason != NONE:
            if self._serve_or_wait(call, self.router.pick_group(t, self.idle, PARTNER), n + t, now):
                self.rec.overflow[i] = reason
                return
            self.rec.overflow[i] = REFUSED
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
            self._at(now + call.patience, self._on_patience, call)
        if q < self.n_types and self.has_rule[q] and self.policy.after_wait[q] != math.inf:
            self._at(now + self.policy.after_wait[q], self._on_overflow_due, call)

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
        self._leave(call.id, CALLBACK, now)
        back = Call(leg, t, call.work, math.inf)
        back.kind = CALLBACK_LEG
        if rule.later is None:  # virtual hold: the call back takes the caller's place
            back.queue_at = now
            self._wait(back, t, now)
        else:
            self._at(now + self.repeats.later.pop(leg), self._on_callback_due, back)
        return True

    def _on_callback_due(self, event: Event) -> None:
        """A call back scheduled for later joins its type's queue (or an idle agent takes it at once); call backs
        are never refused by a full queue."""
        back, now = event._value, self.env._now
        back.queue_at = now
        g = self.router.pick_group(back.type, self.idle)
        if g >= 0:
            self._start(back, self.idle[g].popleft(), now)
        else:
            self._wait(back, back.type, now)

    def _agents_for(self, t: int) -> int:
        """Agents logged in in the ordinary (in-house) groups of call type ``t``."""
        return sum(self.rosters[h].logged_in for tier in self.router.groups[ORDINARY][t] for h in tier)

    def _on_overflow_due(self, event: Event) -> None:
        """A call has waited ``after_wait``: a free partner agent may now take the oldest eligible call."""
        call = event._value
        if call.state != WAITING:
            return
        t = call.type
        g = self.router.pick_group(t, self.idle, PARTNER)
        if g >= 0:
            self._take(t, self.idle[g].popleft(), self.env._now)

    def _take(self, q: int, agent: Agent, now: float) -> None:
        """``agent`` takes the head-of-line call of queue ``q``."""
        queue = self.queues[q]
        while queue[0].state != WAITING:
            queue.popleft()
        call = queue.popleft()
        self.queued[q] -= 1
        if q < self.n_types and q in self.overflow_types[agent.group]:
            self.rec.overflow[call.id] = WAIT
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
        self._start_at[call.id] = now
        self._group[call.id] = g
        self._agent[call.id] = agent.id
        if call.kind == CALLBACK_LEG:  # the agent calls back, on an outbound line (not one of ``lines``)
            ring, reached = self.repeats.callback_attempt(call.id)
            self._at(now + ring + call.work * self.factors[g] if reached else now + ring,
                     self._on_service_end if reached else self._on_unreached, call)
            return
        if self._transfers[call.type]:  # its talk end comes first (scheduled first, at most as late as the end)
            self._at(now + self.repeats.talk_time(self.callers, call.id) * self.factors[g], self._on_talk_end, call)
        self._at(now + call.work * self.factors[g], self._on_service_end, call)

    def _on_unreached(self, event: Event) -> None:
        """A call back rang out: the customer was not reached; the agent is free again."""
        call, now = event._value, self.env._now
        self._outcome[call.id] = UNREACHED
        self._end_at[call.id] = now
        self._free_agent(call.agent, now)

    def _on_talk_end(self, event: Event) -> None:
        """The talk of a call of a type with a transfer rule ends: if it is transferred, the caller, on the same
        line, joins the target type's queue as the call's transfer leg (the agent does the wrap-up)."""
        call, now = event._value, self.env._now
        leg = call.leg = self.repeats.maybe_transfer(self, call.type, call.id, now)
        if leg < 0:
            return
        self.rec.transferred[call.id] = 1
        t, _, work, patience = self.repeats.attributes(leg)
        second = Call(leg, t, work, patience)
        second.kind = TRANSFER
        self._enter_queue(second, now)

    def _transfer(self, call: Call, agent: Agent, now: float, delay: float) -> None:
        """``agent`` is reserved now; the caller, still waiting, reaches it after ``delay`` or hangs up first when
        its patience (counted from entering the queue) runs out on the way."""
        call.state = _IN_TRANSFER
        call.agent = agent
        g = call.group = agent.group
        self._group[call.id] = g
        self._agent[call.id] = agent.id
        self.rec.seized_at[call.id] = now
        hang_up = call.queue_at + call.patience
        if hang_up < now + delay:
            self._at(hang_up, self._on_transfer_abandon, call)
        else:
            self._at(now + delay, self._on_transfer_end, call)

    def _on_transfer_end(self, event: Event) -> None:
        call = event._value
        self._serve(call, call.agent, self.env._now)

    def _on_transfer_abandon(self, event: Event) -> None:
        call, now = event._value, self.env._now
        call.state = _LEFT
        self._leave(call.id, ABANDONED, now)
        if self._redials:
            self.repeats.maybe_redial(self, call.type, call.id, now)
        self._free_agent(call.agent, now)

    def _on_service_end(self, event: Event) -> None:
        call, now = event._value, self.env._now
        i, g = call.id, call.group
        self._outcome[i] = ANSWERED
        self._end_at[i] = now
        if call.leg < 0:
            if call.kind != CALLBACK_LEG:
                self.in_system -= 1
            if self._unresolved[g] and self.repeats.is_unresolved(self.callers, i, g):
                self.repeats.schedule(self, call, now)
        self._free_agent(call.agent, now)

    def _free_agent(self, agent: Agent | None, now: float) -> None:
        """``agent`` is done with a call: it logs out if due to, else takes the next call or idles."""
        assert agent is not None
        if not self.rosters[agent.group].done(agent):
            self.rec.staff_log.append((now, agent.group, -1))
        elif not self._serve_next(agent, now):
            agent.since = now
            self.idle[agent.group].append(agent)
            for work in self._idle_work[agent.group]:
                work.on_idle(agent.group, now)

    release = _free_agent
    """An agent is done with an outbound call or a work item (``sim.engine.host.Host``)."""

    @property
    def now(self) -> float:
        """The current instant (``sim.engine.host.Host``)."""
        return float(self.env.now)

    def takes_calls(self, g: int) -> bool:
        """Whether group ``g`` takes inbound calls (``sim.engine.host.Host``)."""
        return bool(self.layout.skills[g])

    def leaving(self, g: int) -> int:
        """Agents of group ``g`` due to log out when their task in hand ends (``sim.engine.host.Host``)."""
        return self.rosters[g].leaving

    def call_at(self, when: float, action: Callable[[], None]) -> None:
        """Run ``action()`` at instant ``when`` >= now (``sim.engine.host.Host``)."""
        self._at(when, _act, action)

    def _serve_next(self, agent: Agent, now: float) -> bool:
        """Give ``agent``, free, the next waiting call it should take; False if none may."""
        q = self.router.pick_queue(agent.group, self.queues, now)
        if q < 0:
            return False
        self._take(q, agent, now)
        return True

    def _on_patience(self, event: Event) -> None:
        call = event._value
        if call.state == WAITING:
            call.state = _LEFT
            self.queued[call.queue] -= 1
            self._leave(call.id, ABANDONED, self.env._now)
            if self._redials:
                self.repeats.maybe_redial(self, call.type, call.id, self.env._now)

    def on_repeat_arrival(self, event: Event) -> None:
        """A repeat or redial arrives: the same path as any call, opening hours included."""
        i, now = event._value, self.env._now
        t, ivr, work, patience = self.repeats.attributes(i)
        run = self.layout.scenario.run
        if not is_open(now, run.start_day.number, self.layout.scenario.opening_hours):
            self._leave_closed(i, now)
        else:
            self._arrive(i, t, now, ivr, False, work, patience)

    def _leave_closed(self, i: int, now: float) -> None:
        self._outcome[i] = CLOSED
        self._end_at[i] = now

    def _leave(self, i: int, outcome: int, now: float) -> None:
        self._outcome[i] = outcome
        self._end_at[i] = now
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
                self.rec.staff_log.append((now, g, len(fresh)))
            idle = roster.idle
            while idle and self._serve_next(idle[0], now):
                idle.popleft()
            for work in self._idle_work[g]:
                work.on_idle(g, now)
        elif delta < 0:
            gone = roster.log_out(-delta)
            if gone:
                self.rec.staff_log.append((now, g, -gone))


def simulate(layout: Layout, callers: Callers, streams: Streams | None = None) -> Records:
    """Run one replication for the given callers: horizon plus drain (no new arrivals while draining);
    ``streams`` feed what is born during the run (repeat calls; needed only where calls can stay unresolved)."""
    env = simpy.Environment()
    center = CallCenter(env, layout, callers, streams)
    return center.run(until=layout.horizon + layout.scenario.run.drain)
