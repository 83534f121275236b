"""The engine's inline common path (sim/engine/model.py) is an optimisation of the general one, never a change of
behaviour: with the built-in routing policies replaced by subclasses (which the model routes through the
``RoutingPolicy`` interface only, every call taking the general methods), every record is the same; and a
streamed replication (records summed block by block and freed) has the very facts of one over all its records."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from sim.analysis.experiment import replicate, with_overrides
from sim.analysis.facts import facts
from sim.engine import model
from sim.engine.callers import draw_callers
from sim.engine.layout import build_layout
from sim.engine.records import CHANNELS, Records
from sim.engine.routing import POLICIES, PriorityFirstRouter, Router
from sim.engine.streams import Streams
from sim.scenario.loader import load_scenario
from sim.scenario.schema import RoutingRule

SCENARIOS = ("benchmarks/w2.yaml", "scenarios/multiskill.yaml", "scenarios/callbacks.yaml",
             "scenarios/transfers.yaml", "scenarios/outsourced.yaml", "scenarios/hybrid.yaml")


class _Rank(Router):
    """rank_first, but not the built-in class."""


class _Priority(PriorityFirstRouter):
    """priority_first, but not the built-in class."""


def _records(path: str, rule: RoutingRule) -> tuple[Records, Records]:
    s = with_overrides(load_scenario(path), days=2)
    s = s.model_copy(update={"routing": rule})
    layout = build_layout(s)
    runs = []
    for policies in (dict(POLICIES), {RoutingRule.rank_first: _Rank, RoutingRule.priority_first: _Priority}):
        saved = dict(POLICIES)
        POLICIES.update(policies)
        try:
            streams = Streams(s.run.seed, 0)
            runs.append(model.simulate(layout, draw_callers(layout, streams), streams))
        finally:
            POLICIES.update(saved)
    return runs[0], runs[1]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


@pytest.mark.parametrize("rule", list(RoutingRule))
@pytest.mark.parametrize("path", SCENARIOS)
def test_the_inline_path_records_what_the_general_one_does(path: str, rule: RoutingRule) -> None:
    fast, general = _records(path, rule)
    for f in fields(Records):
        if f.name in CHANNELS:  # none in these scenarios
            assert getattr(fast, f.name) is None and getattr(general, f.name) is None
        elif f.name == "callers":
            for c in fields(fast.callers):
                assert _same(getattr(fast.callers, c.name), getattr(general.callers, c.name)), c.name
        else:
            assert _same(getattr(fast, f.name), getattr(general, f.name)), f.name


@pytest.mark.parametrize("path", [*SCENARIOS, "scenarios/blended_team.yaml", "scenarios/telesales_predictive.yaml",
                                  "scenarios/service_desk.yaml", "scenarios/care2sale_partner.yaml"])
def test_a_streamed_replication_has_the_facts_of_its_whole_records(path: str) -> None:
    s = with_overrides(load_scenario(path), days=6 if "w2" in path else 3)  # W2: 310,000 calls, two blocks
    streamed, calls = replicate(s, 1)
    layout = build_layout(s)
    streams = Streams(s.run.seed, 1)
    records = model.simulate(layout, draw_callers(layout, streams), streams)
    whole = facts(records, layout)
    assert calls == len(records.outcome)
    for f in ("calls", "groups", "wait_pct_type", "wait_pct_client", "wait_pct_total", "wait_p90_interval",
              "wait_hist", "campaigns", "work", "work_age_pct", "work_by_group", "chats", "sales"):
        assert _same(getattr(streamed, f), getattr(whole, f)), f
    assert _same(streamed.costs.by_client, whole.costs.by_client)
    assert streamed.costs.invoices == whole.costs.invoices
