"""A shared partner desk billed per client (own minimum per client) vs one invoice split among clients."""

import math

import pytest

from sim.analysis.experiment import run
from sim.economics.billing import COMPONENTS
from sim.scenario.contract import MONTH_DAYS
from sim.scenario.loader import parse_scenario

SCENARIO = """
name: desk
run: {{days: 7, replications: 2, seed: 9}}
sites:
  bpo:
    kind: partner
    bill_per_client: {per_client}
    contract: {{per_minute: 1.0, monthly_minimum: 800}}
clients:
  big:
    call_types:
      a:
        arrivals: {{rate_per_hour: 20}}
        handle_time: {{dist: exponential, mean: 240s}}
        patience: none
  small:
    call_types:
      b:
        arrivals: {{rate_per_hour: 0.2}}
        handle_time: {{dist: exponential, mean: 240s}}
        patience: none
agent_groups:
  desk: {{site: bpo, skills: [a, b], agents: 4}}
"""
FEE, MINIMUM = COMPONENTS.index("partner_fees"), 800 * 7 / MONTH_DAYS


def _fees(per_client: bool) -> list[tuple[float, float, dict[str, float]]]:
    result = run(parse_scenario(SCENARIO.format(per_client=str(per_client).lower()), "desk.yaml"), workers=1)
    return [(f.costs.by_client[FEE, 0], f.costs.by_client[FEE, 1], f.costs.invoices["bpo"]) for f in result.facts]


def test_per_client_minimum_applies_to_the_small_client_only() -> None:
    for big, small, items in _fees(True):
        assert small == pytest.approx(MINIMUM, rel=1e-12)  # ~8 calls x 4 min << the weekly minimum of 184 EUR
        assert big > MINIMUM  # ~3,360 calls x 4 min: above its minimum, billed by the minute
        assert math.fsum(items.values()) == pytest.approx(big + small, rel=1e-12)
        assert items["minimum_top_up"] > 0


def test_one_invoice_has_one_minimum_split_by_minutes() -> None:
    for big, small, items in _fees(False):
        assert items["minimum_top_up"] == 0.0  # the desk as a whole is above one minimum
        assert math.fsum([big, small]) == math.fsum(items.values())  # the split adds up exactly
        assert small < MINIMUM
