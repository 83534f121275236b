"""What the model records: one entry per call (facts, not statistics) and the log of agents logging in/out."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, fields

import numpy as np

from sim.engine.backoffice import Items
from sim.engine.callers import Callers
from sim.engine.chat import Chats
from sim.engine.dialer import Attempts

IN_SYSTEM = 0
"""Still in the IVR, queue or talking when the run ended."""
DEFLECTED = 1
"""Served by IVR self-service."""
BLOCKED = 2
"""Busy signal: every line was taken, or the call type's queue was full."""
ANSWERED = 3
"""Taken by an agent and finished."""
ABANDONED = 4
"""Hung up while waiting in the queue or being transferred to a partner agent."""
CLOSED = 5
"""Arrived outside opening hours (closed-hours demand)."""
CALLBACK = 6
"""Accepted a call-back offer and hung up (the contact continues in a call-back leg)."""
UNREACHED = 7
"""A call-back leg whose customer the agent did not reach."""
OUTCOMES = ("in_system", "deflected", "blocked", "answered", "abandoned", "closed", "callback", "unreached")


class Recorder:
    """Preallocated, compact per-call columns the model writes into (array.array: fast scalar writes)."""

    def __init__(self, n: int):
        self.outcome = array("b", bytes(n))
        self.start_at = array("d", [np.nan]) * n
        self.end_at = array("d", [np.nan]) * n
        self.group = array("h", [-1]) * n
        self.overflow = array("b", bytes(n))
        self.seized_at = array("d", [np.nan]) * n
        self.transferred = array("b", bytes(n))
        self.agent = array("i", [-1]) * n
        self.staff_log: list[tuple[float, int, int]] = []

    def add(self) -> int:
        """Room for one more call (a repeat call born during the run); returns its index."""
        self.outcome.append(IN_SYSTEM)
        self.start_at.append(np.nan)
        self.end_at.append(np.nan)
        self.group.append(-1)
        self.overflow.append(0)
        self.seized_at.append(np.nan)
        self.transferred.append(0)
        self.agent.append(-1)
        return len(self.outcome) - 1

    def freeze(self, callers: Callers, attempts: Attempts | None = None, items: Items | None = None,
               chats: Chats | None = None) -> Records:
        """The finished columns as numpy arrays (no copy), joined with what the callers brought (and the
        outbound attempts, work items and chats, if the scenario has them)."""
        return Records(
            callers=callers,
            outcome=np.frombuffer(self.outcome, dtype=np.int8),
            start_at=np.frombuffer(self.start_at, dtype=np.float64),
            end_at=np.frombuffer(self.end_at, dtype=np.float64),
            group=np.frombuffer(self.group, dtype=np.int16),
            overflow=np.frombuffer(self.overflow, dtype=np.int8),
            seized_at=np.frombuffer(self.seized_at, dtype=np.float64),
            transferred=np.frombuffer(self.transferred, dtype=np.bool_),
            agent=np.frombuffer(self.agent, dtype=np.int32),
            staff_log=np.asarray(self.staff_log, dtype=float).reshape(-1, 3),
            attempts=attempts,
            items=items,
            chats=chats,
        )


@dataclass(frozen=True)
class Records:
    """Facts of one replication; every KPI is a pure function of these.

    Per call (index = arrival order, as in ``callers``): ``outcome`` (one of OUTCOMES), ``start_at`` (instant an
    agent took it, NaN if never), ``end_at`` (instant it left: end of service, hang-up, busy signal or end of
    self-service; NaN if still in the system), ``group`` (agent group that took it, -1 if none; for a caller who
    hung up while being transferred, the partner group whose agent was reserved), ``overflow`` (why it went to a
    partner, ``sim.engine.overflow.REASONS``), ``seized_at`` (instant a partner agent was reserved for a
    transferred call, NaN without a transfer: the agent is busy from then, the caller reaches it at ``start_at``),
    ``transferred`` (answered and passed on to another queue: the contact continues in a transfer leg, a later
    record with ``repeat_kind`` TRANSFER and ``repeat_of`` this call), ``agent`` (id of the agent who took it or was
    reserved for it, ``sim.engine.agents``; -1 if none).
    The queue is entered at ``arrival_at + ivr_time``. ``staff_log`` rows are (instant, group, change in agents
    logged in).
    """

    callers: Callers
    outcome: np.ndarray
    start_at: np.ndarray
    end_at: np.ndarray
    group: np.ndarray
    overflow: np.ndarray
    seized_at: np.ndarray
    transferred: np.ndarray
    agent: np.ndarray
    staff_log: np.ndarray
    attempts: Attempts | None = None
    """The outbound campaigns' attempts (``sim.engine.dialer``); None without campaigns."""
    items: Items | None = None
    """The deferrable work items (``sim.engine.backoffice``); None without work types."""
    chats: Chats | None = None
    """The chats (``sim.engine.chat``); None without chat types."""

    def block(self, lo: int, hi: int) -> Records:
        """The records of calls ``lo`` to ``hi`` (views, no copy); the staffing log stays whole."""
        c = self.callers
        callers = Callers(*(getattr(c, f.name)[lo:hi] for f in fields(Callers)))
        return Records(callers, self.outcome[lo:hi], self.start_at[lo:hi], self.end_at[lo:hi],
                       self.group[lo:hi], self.overflow[lo:hi], self.seized_at[lo:hi], self.transferred[lo:hi],
                       self.agent[lo:hi], self.staff_log)

    @property
    def abandoned_in_transfer(self) -> np.ndarray:
        """Callers who hung up while being transferred to a partner agent reserved for them."""
        return np.asarray((self.outcome == ABANDONED) & (self.group >= 0))

    @property
    def busy_from(self) -> np.ndarray:
        """Instant an agent became busy with the call: reserved for a transfer, else taking it (NaN if never)."""
        return np.where(np.isnan(self.seized_at), self.start_at, self.seized_at)

    @property
    def queue_at(self) -> np.ndarray:
        return np.asarray(self.callers.arrival_at + self.callers.ivr_time)

    @property
    def wait(self) -> np.ndarray:
        """Time in queue (a transfer to a partner agent included): until answered or hang-up; NaN for calls that
        never waited in the queue."""
        leave = np.where(self.outcome == ANSWERED, self.start_at,
                         np.where(self.outcome == ABANDONED, self.end_at, np.nan))
        return np.asarray(leave - self.queue_at)
