"""What the model records: one entry per call (facts, not statistics) and the log of agents logging in/out.

The model writes calls into blocks of BLOCK consecutive calls (``Block``); a finished block becomes ``Records``
(the statistics of a run without per-call records are summed block by block and the block is freed).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from sim.engine.backoffice import Items
from sim.engine.callers import Callers, concatenate, constant, joined
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


BLOCK = 1 << 18
"""Calls per record block: the model records and hands out calls this many at a time, and the statistics sum them
block by block (the same blocks, so a streamed run and one over all records give the same sums)."""


class Block:
    """The record columns of consecutive calls (array.array: fast scalar writes), from global index ``lo``; a block
    of fresh calls also holds their callers (a block of born calls grows call by call). Without ``rare`` (a
    scenario without overflow or transfer rules) the columns only those write are left empty and read as their
    defaults."""

    __slots__ = ("lo", "callers", "outcome", "start_at", "end_at", "group", "overflow", "seized_at", "transferred",
                 "agent", "rare")

    def __init__(self, lo: int, n: int, callers: Callers | None, rare: bool):
        self.lo = lo
        self.callers = callers
        self.rare = rare
        self.outcome = array("b", bytes(n))
        self.start_at = array("d", [np.nan]) * n
        self.end_at = array("d", [np.nan]) * n
        self.group = array("h", [-1]) * n
        self.agent = array("i", [-1]) * n
        m = n if rare else 0
        self.overflow = array("b", bytes(m))
        self.seized_at = array("d", [np.nan]) * m
        self.transferred = array("b", bytes(m))

    def add(self) -> int:
        """Room for one more call; returns its index in the block."""
        self.outcome.append(IN_SYSTEM)
        self.start_at.append(np.nan)
        self.end_at.append(np.nan)
        self.group.append(-1)
        self.agent.append(-1)
        if self.rare:
            self.overflow.append(0)
            self.seized_at.append(np.nan)
            self.transferred.append(0)
        return len(self.outcome) - 1

    def finished(self) -> bool:
        """Whether every call of the block has left (its record is final)."""
        return bool(np.frombuffer(self.outcome, dtype=np.int8).all())

    def records(self, callers: Callers, staff_log: np.ndarray) -> Records:
        """The final columns as numpy arrays (no copy: the block no longer changes), with ``callers``."""
        n = len(self.outcome)

        def rare(column: array[Any], dtype: type, default: float) -> np.ndarray:
            return np.frombuffer(column, dtype=dtype) if self.rare else constant(n, default, dtype)

        return Records(
            callers=callers,
            outcome=np.frombuffer(self.outcome, dtype=np.int8),
            start_at=np.frombuffer(self.start_at, dtype=np.float64),
            end_at=np.frombuffer(self.end_at, dtype=np.float64),
            group=np.frombuffer(self.group, dtype=np.int16),
            overflow=rare(self.overflow, np.int8, 0),
            seized_at=rare(self.seized_at, np.float64, np.nan),
            transferred=rare(self.transferred, np.bool_, False),
            agent=np.frombuffer(self.agent, dtype=np.int32),
            staff_log=staff_log,
        )


def staff_log_array(log: list[tuple[float, int, int]]) -> np.ndarray:
    """The log of agents logging in and out as rows (instant, group, change)."""
    return np.asarray(log, dtype=float).reshape(-1, 3)


CHANNELS = ("attempts", "items", "chats")
"""The fields of ``Records`` that hold a whole replication's channels beside calls (not per call)."""


def concatenate_records(parts: list[Records]) -> Records:
    """The records of ``parts``, one after the other (the staffing log of the first)."""
    if len(parts) == 1:
        return parts[0]
    columns: dict[str, Any] = {f.name: joined(*(getattr(p, f.name) for p in parts)) for f in fields(Records)
                               if f.name not in ("callers", "staff_log", *CHANNELS)}
    return Records(callers=concatenate([p.callers for p in parts]), staff_log=parts[0].staff_log, **columns)


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
    """The outbound campaigns' attempts (``sim.engine.dialer``); None without campaigns (and in blocks)."""
    items: Items | None = None
    """The deferrable work items (``sim.engine.backoffice``); None without work types (and in blocks)."""
    chats: Chats | None = None
    """The chats (``sim.engine.chat``); None without chat types (and in blocks)."""

    def block(self, lo: int, hi: int) -> Records:
        """The records of calls ``lo`` to ``hi`` (views, no copy); the staffing log stays whole."""
        return Records(self.callers.slice(lo, hi), self.outcome[lo:hi], self.start_at[lo:hi], self.end_at[lo:hi],
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
