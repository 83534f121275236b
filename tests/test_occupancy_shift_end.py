"""Occupancy counts the time on shift: agents finishing a call after their shift ended add no false 100 %."""

from __future__ import annotations

import numpy as np

from sim.analysis.experiment import run
from sim.analysis.facts import GROUP_FIELDS, logged_in_time, scheduled_time
from sim.engine.callers import draw_callers
from sim.engine.layout import build_layout
from sim.engine.model import simulate
from sim.engine.streams import Streams
from sim.scenario.loader import parse_scenario

SCENARIO = """
name: shift_end
run: {days: 1, replications: 3, seed: 5, interval: 30min}
service_level: {threshold: 20s, target: 0.8}
call_types:
  service: {arrivals: {rate_per_hour: 200}, handle_time: {dist: exponential, mean: 4min},
            patience: {dist: exponential, mean: 3min}}
agent_groups:
  team:
    skills: [service]
    shifts: [{start: "08:00", end: "12:00", agents: 16}]
"""


def test_no_occupancy_outside_the_shift_and_logged_in_time_covers_the_schedule() -> None:
    scenario = parse_scenario(SCENARIO, "shift_end.yaml")
    result = run(scenario, workers=1)
    interval = scenario.run.interval
    for f in result.facts:
        busy = f.groups[GROUP_FIELDS.index("busy_time"), :, 0]
        staffed = f.groups[GROUP_FIELDS.index("staffed_time"), :, 0]
        on_shift = np.arange(len(staffed)) * interval
        in_shift = (on_shift >= 8 * 3600) & (on_shift < 12 * 3600)
        assert np.allclose(staffed[in_shift], 16 * interval) and np.all(staffed[~in_shift] == 0)
        assert np.allclose(busy[~in_shift], 0.0, atol=1e-6)  # 12:00 holds only the overrun
        assert np.all(busy <= staffed + 1e-6)


def test_logged_in_time_is_the_schedule_plus_the_overrun() -> None:
    scenario = parse_scenario(SCENARIO, "shift_end.yaml")
    layout = build_layout(scenario)
    streams = Streams(scenario.run.seed, 0)
    records = simulate(layout, draw_callers(layout, streams), streams)
    overrun = logged_in_time(records.staff_log, layout) - scheduled_time(layout)
    assert np.all(overrun >= -1e-6)
    assert overrun.sum() > 0  # a loaded team at 12:00 is still talking
    first_after = int(12 * 3600 // scenario.run.interval)
    assert overrun[first_after:].sum() == overrun.sum()
