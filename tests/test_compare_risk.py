"""Risk next to the mean in ``ccsim compare``: the share of days and of intervals meeting the SL target per
scenario, as the single run's risk rows give it, with paired differences over replications."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.compare import compare
from sim.analysis.experiment import RunResult, run
from sim.analysis.risk import risk_rows
from sim.scenario.loader import parse_scenario

SCENARIO = """
name: {name}
run: {{days: 4, replications: 6, seed: 11, interval: 30min}}
service_level: {{threshold: 20s, target: 0.8}}
call_types:
  service: {{arrivals: {{rate_per_hour: 90}}, handle_time: {{dist: exponential, mean: 4min}},
            patience: {{dist: exponential, mean: 2min}}}}
agent_groups:
  team: {{skills: [service], agents: {agents}}}
"""


def _run(name: str, agents: int) -> RunResult:
    return run(parse_scenario(SCENARIO.format(name=name, agents=agents), f"{name}.yaml"), workers=1)


@pytest.fixture(scope="module")
def results() -> list[RunResult]:
    return [_run("lean", 7), _run("rich", 8)]


def test_share_meeting_the_target_equals_the_risk_rows(results: list[RunResult]) -> None:
    rows = {(r.scope, r.key): r for r in compare(results)}
    for kind, key in (("day", "days_meeting_sl"), ("interval", "intervals_meeting_sl")):
        for k, result in enumerate(results):
            spread = next(s for s in risk_rows(result)
                          if (s.level, s.kpi, s.unit) == ("total", "service_level", kind))
            assert spread.p_meet is not None
            assert rows["all", key].values[k].mean == pytest.approx(float(spread.p_meet.mean), rel=1e-12)
            assert rows["all", key].values[k].half_width == pytest.approx(float(spread.p_meet.half_width),
                                                                          rel=1e-12)


def test_difference_is_paired_by_replication(results: list[RunResult]) -> None:
    row = next(r for r in compare(results) if (r.scope, r.key) == ("all", "intervals_meeting_sl"))
    diff = row.diffs[1]
    assert diff is not None
    # every interval has calls here, so each replication counts the same intervals: the paired difference of the
    # shares is the mean of the per-replication differences
    assert diff.mean == pytest.approx(row.values[1].mean - row.values[0].mean, abs=1e-12)
    assert diff.mean > 0  # one agent more meets the target in more intervals
    assert 0 < diff.half_width < row.values[0].half_width + row.values[1].half_width  # pairing narrows the CI
    assert np.isfinite(diff.half_width)
