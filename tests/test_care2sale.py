"""Care2Sale: sales offers on answered service calls, conversion per site, revenue, and a partner paid per sale
and by a share of the revenue.

Theory: every answered call of a type with ``sales`` is offered with probability ``offer`` and an offer sells with
the conversion of the answering agent's site, independently of everything else, so offers / answered and
sales / offers are binomial shares; the mean handle time of the type's answered calls is its talk time plus
``offer x extra_talk``. Checked with the house tolerance (three standard errors of the simulated estimate).
Counts, revenue and invoice items are checked exactly per replication.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.experiment import RunResult, with_overrides
from sim.analysis.facts import CALL_FIELDS, SALES_FIELDS
from sim.analysis.stats import ratio_estimate
from sim.scenario.loader import parse_scenario
from sim.scenario.overrides import parse_override
from tests.helpers import Checks, scenario, simulate_kpis

SELLING = """
name: selling
run: {days: 2, replications: 10, seed: 31, interval: 1h}
call_types:
  service:
    arrivals: {rate_per_hour: 120}
    talk_time: {dist: exponential, mean: 240s}
    patience: none
    sales: {offer: 0.4, conversion: 0.25, extra_talk: {dist: deterministic, value: 60s}, revenue: 50}
  billing:
    arrivals: {rate_per_hour: 60}
    talk_time: {dist: exponential, mean: 180s}
    patience: none
    sales: {offer: 0.5, conversion: 0.25, revenue: 80}
  complaints:
    arrivals: {rate_per_hour: 20}
    talk_time: {dist: exponential, mean: 300s}
    patience: none
sites:
  home: {kind: in_house}
  bpo: {kind: partner, conversion: {billing: 0.1}, contract: {per_sale: 5, revenue_share: 0.1, monthly_fee: 300}}
agent_groups:
  team: {site: home, skills: [service, complaints], agents: 18, cost_per_hour: 30}
  bpo_team: {site: bpo, skills: [billing], agents: 7}
"""
TYPES = ("service", "billing", "complaints")
MONTH_DAYS = 365.25 / 12


@pytest.fixture(scope="module")
def selling() -> tuple[RunResult, dict[tuple[str, str], object]]:
    return simulate_kpis(scenario(SELLING))


def _per_rep(result: RunResult, field: str, t: int) -> np.ndarray:
    """Per replication, the SALES_FIELDS ``field`` of call type ``t`` over all groups."""
    return np.asarray([f.sales[SALES_FIELDS.index(field), t].sum() for f in result.facts])


def _answered(result: RunResult, t: int) -> np.ndarray:
    first = result.facts[0].first_interval
    return np.asarray([f.calls[CALL_FIELDS.index("answered"), first:, t].sum() for f in result.facts])


def test_offers_and_sales_are_the_binomial_shares_of_the_scenario(selling: tuple[RunResult, dict]) -> None:
    result, rows = selling
    checks = Checks("Care2Sale shares", len(result.facts))
    service, billing = TYPES.index("service"), TYPES.index("billing")
    for t, offer in ((service, 0.4), (billing, 0.5)):
        checks.close(f"{TYPES[t]} offers/answered", ratio_estimate(_per_rep(result, "offers", t),
                                                                   _answered(result, t)), offer)
    checks.close("home conversion", rows["group", "team"].kpis["conversion"], 0.25)
    checks.close("bpo conversion (site's own)", rows["group", "bpo_team"].kpis["conversion"], 0.1)
    checks.close("service conversion", rows["call_type", "service"].kpis["conversion"], 0.25)
    checks.close("service AHT = talk + offer x extra", rows["call_type", "service"].kpis["aht"], 240 + 0.4 * 60)
    checks.close("billing AHT (no extra talk)", rows["call_type", "billing"].kpis["aht"], 180)
    checks.verify()


def test_sales_never_exceed_offers_nor_offers_answered_and_revenue_is_sales_times_price(
        selling: tuple[RunResult, dict]) -> None:
    result, rows = selling
    complaints = TYPES.index("complaints")
    for t, price in zip(range(3), (50, 80, 0), strict=True):
        offers, sales, revenue = (_per_rep(result, k, t) for k in SALES_FIELDS)
        assert np.all(sales <= offers) and np.all(offers <= _answered(result, t))
        assert np.array_equal(revenue, sales * price)
    assert _per_rep(result, "offers", complaints).sum() == 0
    assert "offers" not in rows["call_type", "complaints"].kpis  # a type without sales has no sales KPIs
    total = rows["total", "all"].kpis
    inbound = sum(_per_rep(result, "revenue", t) for t in range(3))
    cost = np.asarray([f.costs.by_client.sum() for f in result.facts])
    assert float(total["revenue"].mean) == pytest.approx(inbound.mean(), rel=1e-12)
    assert float(total["profit"].mean) == pytest.approx((inbound - cost).mean(), rel=1e-12)
    assert float(total["revenue_per_call"].mean) == pytest.approx(
        inbound.sum() / sum(_answered(result, t) for t in range(3)).sum(), rel=1e-12)


def test_the_partner_invoice_pays_per_sale_a_revenue_share_and_the_base_fee(selling: tuple[RunResult, dict]) -> None:
    result, _ = selling
    billing, months = TYPES.index("billing"), result.scenario.run.days / MONTH_DAYS
    for f, sales, revenue in zip(result.facts, _per_rep(result, "sales", billing), _per_rep(result, "revenue", billing),
                                 strict=True):
        items = f.costs.invoices["bpo"]
        assert items["sales"] == pytest.approx(5 * sales, rel=1e-12)
        assert items["revenue_share"] == pytest.approx(0.1 * revenue, rel=1e-12)
        assert items["monthly_fee"] == pytest.approx(300 * months, rel=1e-12)
        assert sum(items.values()) == pytest.approx(5 * sales + 0.1 * revenue + 300 * months, rel=1e-12)


def _variant(*overrides: str) -> RunResult:
    s = parse_scenario(SELLING, "test.yaml", overrides=[parse_override(o) for o in overrides])
    return simulate_kpis(with_overrides(s, replications=2))[0]


def test_conversion_and_revenue_change_nothing_but_the_sales() -> None:
    """Common random numbers: a higher conversion sells on a superset of the same offers; every other fact is
    identical bit for bit."""
    base = _variant()
    more = _variant("sites.bpo.conversion.billing=0.2", "call_types.service.sales.revenue=70")
    for a, b in zip(base.facts, more.facts, strict=True):
        assert np.array_equal(a.calls, b.calls) and np.array_equal(a.groups, b.groups)
        assert np.array_equal(a.sales[0], b.sales[0])  # the same offers
        assert np.all(b.sales[1] >= a.sales[1]) and b.sales[1].sum() > a.sales[1].sum()


def test_a_changed_offer_share_leaves_the_other_types_alone() -> None:
    base = _variant()
    more = _variant("call_types.service.sales.offer=0.6")
    service = TYPES.index("service")
    for a, b in zip(base.facts, more.facts, strict=True):
        offered = CALL_FIELDS.index("offered")
        assert np.array_equal(a.calls[offered], b.calls[offered])  # the same arrivals of every type
        others = [t for t in range(3) if t != service and t != TYPES.index("complaints")]
        assert np.array_equal(a.calls[:, :, others], b.calls[:, :, others])  # billing: its own team
        assert a.sales[0, service].sum() < b.sales[0, service].sum()


def test_a_conversion_no_group_of_the_site_can_use_is_a_warning() -> None:
    warnings: list = []
    parse_scenario(SELLING.replace("conversion: {billing: 0.1}", "conversion: {billing: 0.1, service: 0.2}"),
                   "selling.yaml", warnings=warnings)
    assert [(w.path, w.message) for w in warnings] == [
        ("sites.bpo.conversion.service", "no group at 'bpo' answers 'service' calls: this conversion is never used")]
