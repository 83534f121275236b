"""Shift calendars -> agents logged in per group over time (a step function). Pure: no SimPy."""

from __future__ import annotations

import math

from sim.scenario.schema import AgentGroup, RunSettings
from sim.units import DAY


def agent_steps(group: AgentGroup, run: RunSettings) -> list[tuple[float, int]]:
    """(instant, agents logged in from then on) for the whole run including the drain, sorted by instant;
    the first entry is at time 0.

    Shifts that started the day before the run (night shifts) are already on at time 0: the run starts warm.
    """
    if group.agents is not None:
        return [(0.0, group.agents)]
    last_day = math.ceil((run.days * DAY + run.drain) / DAY)
    deltas: dict[float, int] = {}
    for day in range(-1, last_day + 1):
        weekday = (run.start_day.number + day) % 7
        for start, end, agents in _blocks(group, weekday):
            deltas[day * DAY + start] = deltas.get(day * DAY + start, 0) + agents
            deltas[day * DAY + end] = deltas.get(day * DAY + end, 0) - agents
    steps: list[tuple[float, int]] = [(0.0, 0)]
    level = 0
    for instant in sorted(deltas):
        level += deltas[instant]
        if instant <= 0.0:
            steps[0] = (0.0, level)
        elif steps[-1][1] != level:
            steps.append((instant, level))
    return steps


def _blocks(group: AgentGroup, weekday: int) -> list[tuple[float, float, int]]:
    """(start, end, agents) blocks that begin on ``weekday``, in seconds after that day's midnight."""
    blocks: list[tuple[float, float, int]] = []
    for shift in group.shifts or []:
        if any(d.number == weekday for d in shift.days):
            blocks.append((shift.start, shift.end, shift.agents))
    for table in group.staffing or []:
        if any(d.number == weekday for d in table.days):
            for i, agents in enumerate(table.agents):
                start = table.start + i * table.resolution
                if agents:
                    blocks.append((start, start + table.resolution, agents))
    return blocks
