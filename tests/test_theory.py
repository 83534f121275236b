"""Which scenarios have an exact analytic twin: only stationary Poisson single-skill ones."""

from __future__ import annotations

import pytest
from helpers import scenario

from sim.analysis.theory import analytic_twin

BASE = """
name: twin
call_types:
  a:
    arrivals: {rate_per_hour: 300%s}
    handle_time: {dist: exponential, mean: 180s}
    patience: {dist: exponential, mean: 120s}%s
agent_groups:
  team: {skills: [a], agents: 18}
"""
WEEK = ", day_of_week: {mon: 1.2, tue: 1, wed: 1, thu: 1, fri: 1, sat: 0.5, sun: 0.3}"


def test_a_stationary_scenario_has_its_twin() -> None:
    twin = analytic_twin(scenario(BASE % ("", "")))
    assert twin is not None and twin.model == "Erlang A (M/M/18+M)"


@pytest.mark.parametrize(("arrivals", "extra"), [
    (WEEK, ""),
    (", busyness_cv: 0.2", ""),
    ("", "\n    redial: {share: 0.3, delay: {dist: exponential, mean: 10min}}"),
])
def test_day_factors_busyness_and_redials_have_no_twin(arrivals: str, extra: str) -> None:
    """Each makes the stream offered to the agents non-stationary or non-Poisson: Erlang figures would be wrong."""
    assert analytic_twin(scenario(BASE % (arrivals, extra))) is None
