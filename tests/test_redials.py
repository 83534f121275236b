"""Redials: callers who abandon or get a busy signal call again (retrials feed back into the load)."""

import numpy as np

from sim.engine.callers import draw_callers
from sim.engine.layout import build_layout
from sim.engine.model import simulate
from sim.engine.records import ABANDONED, BLOCKED, OUTCOMES
from sim.engine.repeats import REDIAL
from sim.engine.streams import Streams
from sim.scenario.loader import parse_scenario

SCENARIO = """
name: redials
run: {{days: 1, seed: 4}}
lines: 12
call_types:
  a:
    arrivals: {{rate_per_hour: 170}}
    handle_time: {{dist: exponential, mean: 180s}}
    patience: {{dist: exponential, mean: 60s}}
    redial: {{share: {share}, delay: {{dist: deterministic, value: 90s}}}}
agent_groups:
  team: {{skills: [a], agents: 10}}
"""


def _records(share: float):  # type: ignore[no-untyped-def]
    layout = build_layout(parse_scenario(SCENARIO.format(share=share), "redials.yaml"))
    streams = Streams(4, 0)
    return simulate(layout, draw_callers(layout, streams), streams), layout


def test_every_caller_who_gives_up_calls_again_when_share_is_one() -> None:
    r, layout = _records(1.0)
    kind, origin = r.callers.repeat_kind, r.callers.repeat_of
    gave_up = np.flatnonzero(np.isin(r.outcome, (ABANDONED, BLOCKED)) & (r.end_at + 90.0 < layout.horizon))
    redials = np.flatnonzero(kind == REDIAL)
    assert len(gave_up) > 50 and (r.outcome == BLOCKED).any()  # the scenario exercises both ways of giving up
    assert sorted(origin[redials].tolist()) == sorted(gave_up.tolist())  # exactly one redial each
    assert np.allclose(r.callers.arrival_at[redials], r.end_at[origin[redials]] + 90.0)
    counts = np.bincount(r.outcome, minlength=len(OUTCOMES))
    assert counts.sum() == len(r.outcome)  # every call, fresh or redial, has one outcome


def test_no_redials_at_share_zero_and_fresh_callers_unchanged() -> None:
    none, _ = _records(0.0)
    some, _ = _records(1.0)
    assert not (none.callers.repeat_kind == REDIAL).any()
    fresh = (some.callers.repeat_kind == 0)
    assert np.array_equal(some.callers.arrival_at[fresh], none.callers.arrival_at)  # same callers (CRN)
    gave_up = (ABANDONED, BLOCKED)
    assert np.isin(some.outcome[fresh], gave_up).sum() > np.isin(none.outcome, gave_up).sum()  # redials add load
