"""The small interface between the model and the work agents do beside inbound calls (outbound campaigns,
deferrable work items): the model hands idle agents to that work, the work hands them back when done."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol

from sim.engine.agents import Agent


class Host(Protocol):
    """What the model offers: the clock, a way to act at a later instant, the idle agents per group (longest idle
    first) and a way to hand an agent back when its task ends (it then takes a waiting inbound call first)."""

    idle: list[deque[Agent]]

    @property
    def now(self) -> float: ...

    def call_at(self, when: float, action: Callable[[], None]) -> None: ...

    def release(self, agent: Agent, now: float) -> None: ...

    def takes_calls(self, g: int) -> bool:
        """Whether group ``g`` takes inbound calls (a reserve of idle agents applies only then)."""
        ...

    def leaving(self, g: int) -> int:
        """Agents of group ``g`` due to log out when their task in hand ends."""
        ...


class IdleWork(Protocol):
    """Work that idle agents of some groups take: called whenever agents of group ``g`` are idle and no inbound
    call waits for them; it takes agents from ``Host.idle[g]`` or leaves them idle."""

    def on_idle(self, g: int, now: float) -> None: ...
