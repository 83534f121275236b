"""Partner invoices, telephony and cost allocation, checked against invoices computed by hand (in the comments).

A 7-day horizon is 7 / MONTH_DAYS = 7 * 12 / 365.25 = 84 / 365.25 months; amounts pro-rated over it are written
as ``x * 84 / 365.25``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import yaml
from helpers import scenario
from pydantic import ValidationError

from sim.analysis.experiment import run
from sim.analysis.summary import kpi_rows
from sim.economics.costs import (
    Usage,
    allocate,
    allocation_weights,
    billable_seconds,
    invoice,
    surcharge_factor,
    telephony_cost,
)
from sim.scenario.contract import MONTH_DAYS, Contract, Telephony

WEEK_MONTHS = 84 / 365.25
HOUR = 3600.0


def contract(**terms: Any) -> Contract:
    """A contract as the YAML would give it (durations and clock times as strings)."""
    return Contract.model_validate(terms)


def usage(*, handled: float = 0, billable: float = 0, logged_in: float = 0, days: float = 7, offered: float = 0,
          answered: float = 0, within: float = 0, rejected: float = 0) -> Usage:
    """One 1-hour interval on Monday 10:00 of a ``days``-long horizon carrying all the work."""
    return Usage(interval_start=np.array([10 * HOUR]), interval_length=HOUR, start_weekday=0,
                 handled_calls=np.array([handled]), billable_seconds=np.array([billable]),
                 logged_in_seconds=np.array([logged_in]), offered=offered, answered=answered,
                 answered_within=within, abandoned=0, rejected=rejected, horizon_days=days)


def test_month_days() -> None:
    assert MONTH_DAYS == pytest.approx(30.4375)
    assert 7 / MONTH_DAYS == pytest.approx(WEEK_MONTHS, rel=1e-15)


# --- billable seconds -------------------------------------------------------------------------------------------

def test_per_second_vs_per_started_minute() -> None:
    talk, zero = np.array([61.0, 119.0, 120.0, 61.4, 0.0]), np.zeros(5)
    per_second = contract(per_minute=1.0)
    per_minute = contract(per_minute=1.0, billing_increment="60s")
    # per started second: 61.4 s -> 62 s; per started minute: 61 and 119 -> 2 min, 120 -> exactly 2 min
    assert billable_seconds(talk, zero, zero, per_second).tolist() == [61, 119, 120, 62, 0]
    assert billable_seconds(talk, zero, zero, per_minute).tolist() == [120, 120, 120, 120, 0]


def test_float_noise_does_not_start_a_new_increment() -> None:
    c = contract(per_minute=1.0, billing_increment="60s")
    talk = np.array([100.1 + 19.9, 120.0000001, 120.00001])  # 120 + 1e-14, 120 + 1e-7, 120 + 1e-5
    assert billable_seconds(talk, np.zeros(3), np.zeros(3), c).tolist() == [120, 120, 180]


def test_wrap_up_and_queue_flags() -> None:
    talk, wrap, queue = np.array([100.0]), np.array([30.0]), np.array([20.0])
    assert billable_seconds(talk, wrap, queue, contract(per_minute=1.0))[0] == 100
    assert billable_seconds(talk, wrap, queue, contract(per_minute=1.0, bill_wrap_up=True))[0] == 130
    assert billable_seconds(talk, wrap, queue, contract(per_minute=1.0, bill_queue_time=True))[0] == 120
    both = contract(per_minute=1.0, bill_wrap_up=True, bill_queue_time=True)
    assert billable_seconds(talk, wrap, queue, both)[0] == 150


def test_cap_per_call() -> None:
    talk, zero = np.array([500.0, 700.0]), np.zeros(2)
    assert billable_seconds(talk, zero, zero, contract(per_minute=1.0, max_billable_per_call="10min")).tolist() \
        == [500, 600]
    # 500 s -> 9 started minutes = 540 s; 700 s capped at 600 s = 10 minutes
    c = contract(per_minute=1.0, max_billable_per_call="10min", billing_increment="60s")
    assert billable_seconds(talk, zero, zero, c).tolist() == [540, 600]


# --- base items -----------------------------------------------------------------------------------------------

def test_per_hour() -> None:
    # 10 agents x 8 h = 80 h at 25 /h = 2000
    inv = invoice(contract(per_hour=25.0), usage(logged_in=10 * 8 * HOUR))
    assert inv.items == {"hours": pytest.approx(2000.0)}
    assert inv.total == pytest.approx(2000.0)


def test_per_fte_month_pro_rata_over_a_week() -> None:
    # 5 agents x 8 h x 7 days = 280 h. FTE = 280 h / (160 h/month * 84/365.25 months) = 7.609 FTE,
    # billed for 84/365.25 months at 3500: 7.609 * 0.22998 * 3500 = 280 / 160 * 3500 = 6125
    inv = invoice(contract(per_fte_month=3500.0), usage(logged_in=5 * 8 * 7 * HOUR))
    assert inv.items == {"fte": pytest.approx(6125.0)}
    # 37.5 h/week over 4.348 weeks = 163.04 h per FTE-month: 280 / 163.04 * 3500 = 6010.7
    inv = invoice(contract(per_fte_month=3500.0, fte_hours_per_month=163.04), usage(logged_in=280 * HOUR))
    assert inv.total == pytest.approx(280 / 163.04 * 3500)


def test_per_minute_and_per_call() -> None:
    # 18,000 billable s = 300 min at 0.85 = 255; 123 calls at 4.50 = 553.50
    assert invoice(contract(per_minute=0.85), usage(billable=18000)).total == pytest.approx(255.0)
    assert invoice(contract(per_call=4.5), usage(handled=123)).items == {"calls": pytest.approx(553.5)}


def test_monthly_fee_pro_rata() -> None:
    # 1000 per month over 7 days = 1000 * 84 / 365.25 = 229.979
    inv = invoice(contract(monthly_fee=1000.0), usage())
    assert inv.items == {"monthly_fee": pytest.approx(1000 * WEEK_MONTHS)}
    assert inv.total == pytest.approx(229.97946611909651)


@pytest.mark.parametrize("billable, top_up", [
    (18000, 0.0),  # 300 min * 1.10 = 330 >= minimum 800 * 84/365.25 = 183.98: no top-up
    (6000, 800 * WEEK_MONTHS - 110.0),  # 100 min * 1.10 = 110 < 183.98: topped up by 73.98
])
def test_minimum_fee_top_up(billable: float, top_up: float) -> None:
    inv = invoice(contract(per_minute=1.10, monthly_minimum=800.0), usage(billable=billable))
    assert list(inv.items) == ["minutes", "minimum_top_up"]
    assert inv.items["minimum_top_up"] == pytest.approx(top_up, abs=1e-9)
    assert inv.total == pytest.approx(max(1.10 * billable / 60, 800 * WEEK_MONTHS))


@pytest.mark.parametrize("handled, shortfall", [
    (200, 1000 * WEEK_MONTHS - 200),  # minimum 1000 * 84/365.25 = 229.98 calls: 29.98 more billed at 2.00
    (300, 0.0),  # above the minimum volume
])
def test_minimum_volume(handled: float, shortfall: float) -> None:
    inv = invoice(contract(per_call=2.0, minimum_calls_per_month=1000), usage(handled=handled))
    assert inv.items["calls"] == pytest.approx(2.0 * handled)
    assert inv.items["minimum_volume"] == pytest.approx(2.0 * shortfall, abs=1e-9)


# --- surcharges -----------------------------------------------------------------------------------------------

NIGHT = {"percent": 25, "from": "22:00", "to": "06:00"}
SUNDAY = {"percent": 50, "days": ["sun"], "from": "00:00", "to": "24:00"}
TWO_DAYS = np.arange(48) * HOUR  # hourly intervals, day 0 = Saturday (weekday 5), day 1 = Sunday


def test_night_surcharge_crosses_midnight() -> None:
    f = surcharge_factor(contract(per_hour=20.0, surcharges=[NIGHT]), TWO_DAYS, HOUR, 5)
    night = [0, 1, 2, 3, 4, 5, 22, 23, 24, 25, 26, 27, 28, 29, 46, 47]  # Sat 00-06 is Friday's night
    assert np.flatnonzero(f > 1).tolist() == night
    assert set(f[night]) == {1.25}
    # only the night that starts on Saturday: Sat 22-24 and Sun 00-06
    saturday_night = {**NIGHT, "days": ["sat"]}
    f = surcharge_factor(contract(per_hour=20.0, surcharges=[saturday_night]), TWO_DAYS, HOUR, 5)
    assert np.flatnonzero(f > 1).tolist() == [22, 23, 24, 25, 26, 27, 28, 29]


def test_sunday_and_overlapping_surcharges_add() -> None:
    f = surcharge_factor(contract(per_hour=20.0, surcharges=[SUNDAY]), TWO_DAYS, HOUR, 5)
    assert f.tolist() == [1.0] * 24 + [1.5] * 24
    f = surcharge_factor(contract(per_hour=20.0, surcharges=[NIGHT, SUNDAY]), TWO_DAYS, HOUR, 5)
    assert f[[24, 29, 46, 47]].tolist() == [1.75] * 4  # Sunday night: 1 + 0.25 + 0.50
    assert f[[30, 45]].tolist() == [1.5, 1.5]  # Sunday day
    assert f[[5, 6]].tolist() == [1.25, 1.0]  # Saturday 05:00 night, 06:00 plain


def test_window_off_the_interval_grid_counts_pro_rata() -> None:
    # 22:30-06:00 covers half of the 22:00-23:00 interval: 1 + 0.25 * 0.5
    late = {"percent": 25, "from": "22:30", "to": "06:00"}
    f = surcharge_factor(contract(per_hour=20.0, surcharges=[late]), TWO_DAYS, HOUR, 5)
    assert f[[21, 22, 23, 29, 30]].tolist() == [1.0, 1.125, 1.25, 1.25, 1.0]


def test_surcharges_in_the_invoice() -> None:
    # one agent logged in all 48 hours of Sat+Sun at 20/h: base 48 * 20 = 960; night intervals: 16 * 20 * 0.25
    # = 80; Sunday: 24 * 20 * 0.50 = 240 -> surcharges 320, total 1280
    u = Usage(interval_start=TWO_DAYS, interval_length=HOUR, start_weekday=5, handled_calls=np.zeros(48),
              billable_seconds=np.zeros(48), logged_in_seconds=np.full(48, HOUR), offered=0, answered=0,
              answered_within=0, abandoned=0, rejected=0, horizon_days=2)
    inv = invoice(contract(per_hour=20.0, surcharges=[NIGHT, SUNDAY]), u)
    assert inv.items == {"hours": pytest.approx(960.0), "surcharges": pytest.approx(320.0)}
    assert inv.total == pytest.approx(1280.0)


# --- performance terms ----------------------------------------------------------------------------------------

SLA = {"threshold": "20s", "target": 0.8, "credit": 0.05}


@pytest.mark.parametrize("sla, within, credit", [
    (SLA, 790, -100.0),  # 790 / 1000 offered = 79 % < 80 %: 5 % of 2000 credited
    (SLA, 800, 0.0),  # exactly on target: no credit
    ({**SLA, "measured_on": "answered"}, 790, 0.0),  # 790 / 950 answered = 83.2 %: met
])
def test_sla_credit_only_when_missed(sla: dict[str, Any], within: float, credit: float) -> None:
    inv = invoice(contract(per_call=2.0, sla=sla), usage(handled=1000, offered=1000, answered=950, within=within))
    assert inv.items["sla_credit"] == pytest.approx(credit)
    assert inv.total == pytest.approx(2000.0 + credit)


def test_service_level_without_calls_misses_nothing() -> None:
    inv = invoice(contract(monthly_fee=1000.0, sla=SLA), usage())
    assert math.isnan(inv.service_level)
    assert inv.items["sla_credit"] == 0.0


@pytest.mark.parametrize("rejected, malus", [
    (8, 0.0),  # free quota 1 % of 1000 offered = 10
    (25, -15.0),  # 15 beyond the quota at 1.00, paid by the partner
])
def test_rejected_malus_with_free_quota(rejected: float, malus: float) -> None:
    c = contract(per_call=2.0, rejected_malus={"per_call": 1.0, "free_share": 0.01})
    inv = invoice(c, usage(handled=900, offered=1000, rejected=rejected))
    assert inv.items["rejected_malus"] == pytest.approx(malus)
    assert math.copysign(1.0, inv.items["rejected_malus"]) == (1.0 if malus == 0 else -1.0)  # no -0.0 in reports
    assert inv.total == pytest.approx(1800.0 + malus)


@pytest.mark.parametrize("score, share", [
    (0.80, -0.03),  # below 0.85: 3 % malus
    (0.90, 0.0),  # between threshold and bonus threshold
    (0.96, 0.02),  # from 0.95: 2 % bonus
])
def test_quality_malus_and_bonus(score: float, share: float) -> None:
    quality = {"score": score, "threshold": 0.85, "malus": 0.03, "bonus": 0.02, "bonus_threshold": 0.95}
    inv = invoice(contract(per_call=2.0, quality=quality), usage(handled=1000))
    assert inv.items["quality"] == pytest.approx(2000.0 * share)


def test_setup_amortised_over_twelve_months() -> None:
    # 8000 over 12 months; a week is 84/365.25 months: 8000 * (84/365.25) / 12 = 153.32
    inv = invoice(contract(monthly_fee=0.0, setup={"cost": 8000, "amortise_months": 12}), usage())
    assert inv.items["setup"] == pytest.approx(153.31964407939767)
    # a horizon longer than the amortisation period carries the whole cost
    long = invoice(contract(monthly_fee=0.0, setup={"cost": 8000, "amortise_months": 1}), usage(days=60))
    assert long.items["setup"] == 8000.0


def test_invoice_order_credits_apply_after_minimum_and_not_to_setup() -> None:
    # 100 min at 1.00 = 100 -> minimum 800 * 84/365.25 = B = 183.98 (top-up 83.98)
    # SLA missed (70 % of 500 offered): -10 % of B; quality 0.80 < 0.85: -3 % of B
    # rejected 10 > 1 % of 500 = 5: -5 * 1.00; set-up 8000 * (84/365.25) / 12 = 153.32, no credit on it
    c = contract(per_minute=1.0, monthly_minimum=800.0, sla={**SLA, "credit": 0.10},
                 quality={"score": 0.8, "threshold": 0.85, "malus": 0.03},
                 rejected_malus={"per_call": 1.0, "free_share": 0.01}, setup={"cost": 8000, "amortise_months": 12})
    inv = invoice(c, usage(billable=6000, handled=100, offered=500, answered=480, within=350, rejected=10))
    b = 800 * WEEK_MONTHS
    assert list(inv.items) == ["minutes", "minimum_top_up", "sla_credit", "quality", "rejected_malus", "setup"]
    assert inv.items["sla_credit"] == pytest.approx(-0.10 * b)
    assert inv.items["quality"] == pytest.approx(-0.03 * b)
    assert inv.total == pytest.approx(0.87 * b - 5.0 + 8000 * WEEK_MONTHS / 12)
    assert inv.total == math.fsum(inv.items.values())
    assert inv.service_level == pytest.approx(0.7)


# --- telephony ------------------------------------------------------------------------------------------------

def test_telephony_with_and_without_queue_time() -> None:
    talk, queue, ivr = np.array([400.0, 200.0]), np.array([90.0, 30.0]), np.array([60.0, 0.0])
    # (600 + 120 + 60) s = 13 min at 0.05 = 0.65; without queue 11 min = 0.55; talk only 10 min = 0.50
    assert telephony_cost(Telephony(per_minute=0.05), talk, queue, ivr) == pytest.approx(0.65)
    assert telephony_cost(Telephony(per_minute=0.05, include_queue=False), talk, queue, ivr) == pytest.approx(0.55)
    talk_only = Telephony(per_minute=0.05, include_queue=False, include_ivr=False)
    assert telephony_cost(talk_only, 600.0, 120.0, 60.0) == pytest.approx(0.50)


# --- allocation -----------------------------------------------------------------------------------------------

def test_allocate_in_proportion() -> None:
    assert allocate(300.0, {"c1": 1.0, "c2": 2.0}) == {"c1": pytest.approx(100.0), "c2": pytest.approx(200.0)}
    assert allocate(90.0, {"c1": 0.0, "c2": 0.0, "c3": 0.0}) == {"c1": 30.0, "c2": 30.0, "c3": 30.0}
    parts = allocate(0.1, {"a": 1.0, "b": 1.0, "c": 1.0})
    assert math.fsum(parts.values()) == 0.1


def test_allocate_sums_exactly_for_random_totals_and_weights() -> None:
    rng = np.random.default_rng(20240611)
    for _ in range(3000):
        n = int(rng.integers(1, 12))
        total = float(rng.choice([-1.0, 1.0]) * 10.0 ** rng.uniform(-6, 9) * rng.random())
        weights = rng.random(n) * 10.0 ** rng.uniform(-12, 12, n)
        weights[rng.random(n) < 0.2] = 0.0
        parts = allocate(total, {f"k{i}": float(w) for i, w in enumerate(weights)})
        assert math.fsum(parts.values()) == total
        expected = total * weights / weights.sum() if weights.sum() > 0 else np.full(n, total / n)
        assert np.allclose(list(parts.values()), expected, rtol=0, atol=1e-12 * abs(total))


@pytest.mark.parametrize("total, weights", [
    (1.0 + 2**-52, [1.0, 2**-53]),
    (1e-300, [1.0, 3.0, 7.0]),
    (12345.678, [1e300, 1e-300]),
    (0.0, [1.0, 2.0]),
])
def test_allocate_edge_cases(total: float, weights: list[float]) -> None:
    parts = allocate(total, {str(i): w for i, w in enumerate(weights)})
    assert math.fsum(parts.values()) == total


def test_allocate_refuses_bad_weights() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        allocate(1.0, {})
    with pytest.raises(ValueError, match=">= 0"):
        allocate(1.0, {"a": -1.0})


def test_allocation_keys() -> None:
    minutes, calls = {"c1": 300.0, "c2": 100.0}, {"c1": 10, "c2": 30}
    assert allocation_weights("handled_minutes", minutes, calls) == {"c1": 300.0, "c2": 100.0}
    assert allocation_weights("handled_calls", minutes, calls) == {"c1": 10.0, "c2": 30.0}
    assert allocation_weights("equal", minutes, calls) == {"c1": 1.0, "c2": 1.0}
    # a pooled night desk of 1000 split by minutes 750/250, by calls 250/750
    assert allocate(1000.0, allocation_weights("handled_minutes", minutes, calls)) == {"c1": 750.0, "c2": 250.0}
    assert allocate(1000.0, allocation_weights("handled_calls", minutes, calls)) == {"c1": 250.0, "c2": 750.0}
    with pytest.raises(ValueError, match="different clients"):
        allocation_weights("equal", minutes, {"c1": 1})


# --- validation -----------------------------------------------------------------------------------------------

EXAMPLE = """
per_minute: 1.05
billing_increment: 1s
bill_wrap_up: false
bill_queue_time: false
max_billable_per_call: 30min
monthly_minimum: 1500
surcharges:
  - {percent: 25, from: "20:00", to: "08:00"}
  - {percent: 25, days: [sat, sun], from: "00:00", to: "24:00"}
sla: {threshold: 20s, target: 0.8, credit: 0.10, measured_on: offered}
rejected_malus: {per_call: 1.0, free_share: 0.01}
quality: {score: 0.88, threshold: 0.85, malus: 0.03}
setup: {cost: 20000, amortise_months: 12}
"""


def test_full_yaml_example() -> None:
    c = Contract.model_validate(yaml.safe_load(EXAMPLE))
    assert c.max_billable_per_call == 1800.0
    assert c.surcharges[0].from_ == 20 * HOUR and c.surcharges[0].to == 8 * HOUR
    assert c.sla is not None and c.sla.threshold == 20.0


def test_invoice_keys_depend_on_the_contract_only() -> None:
    inv = invoice(Contract.model_validate(yaml.safe_load(EXAMPLE)), usage())
    assert list(inv.items) == ["minutes", "surcharges", "minimum_top_up", "sla_credit", "quality",
                               "rejected_malus", "setup"]


@pytest.mark.parametrize("terms, message", [
    ({}, "a contract needs at least one price: per_hour, per_fte_month, per_minute, per_call, monthly_fee, per_sale"),
    ({"monthly_minimum": 500}, "a contract needs at least one price"),
    ({"per_hour": -1}, "greater than or equal to 0"),
    ({"per_hour": 20, "surcharges": [{"percent": 25, "from": "25:00", "to": "06:00"}]}, "not a clock time"),
    ({"per_hour": 20, "surcharges": [{"percent": 25, "from": "22:00", "to": "22:00"}]}, "the window is empty"),
    ({"per_hour": 20, "surcharges": [{"percent": 25, "from": "22:00", "to": 6}]}, "expected a clock time"),
    ({"monthly_fee": 900, "surcharges": [NIGHT]}, "the contract has none"),
    ({"per_call": 2, "sla": {**SLA, "credit": 1.5}}, "less than or equal to 1"),
    ({"per_call": 2, "quality": {"score": 0.9, "threshold": 0.85, "malus": 0.03, "bonus": 0.02}}, "together"),
    ({"per_call": 2, "bill_wrap_up": True}, "only applies with 'per_minute'"),
    ({"per_hour": 20, "minimum_calls_per_month": 100}, "needs 'per_call'"),
    ({"per_minute": 1, "billing_increment": "60s", "max_billable_per_call": "90s"}, "whole number"),
    ({"per_minute": 1, "billing_increment": 60}, "bare number"),
    ({"per_call": 2, "setup": {"cost": 100, "amortise_months": 0}}, "greater than or equal to 1"),
    ({"per_call": 2, "per_cal": 3}, "Extra inputs are not permitted"),
])
def test_validation_errors(terms: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Contract.model_validate(terms)


def test_usage_checks_lengths() -> None:
    with pytest.raises(ValueError, match="handled_calls has 2 intervals"):
        Usage(interval_start=np.zeros(1), interval_length=HOUR, start_weekday=0, handled_calls=np.zeros(2),
              billable_seconds=np.zeros(1), logged_in_seconds=np.zeros(1), offered=0, answered=0,
              answered_within=0, abandoned=0, rejected=0, horizon_days=1)


IVR_COST = """
name: ivr_cost
run: {{days: 2, replications: 2, seed: 3}}
{hours}
ivr: {{time: {{dist: deterministic, value: 60s}}, cost_per_minute: 0.10}}
call_types:
  a:
    arrivals: {{rate_per_hour: 30}}
    handle_time: {{dist: exponential, mean: 5min}}
    patience: none
    deflection: 0.5
    max_queue: 0
agent_groups:
  team: {{skills: [a], agents: 1}}
"""


def _ivr_cost(text: str) -> tuple[float, float, float]:
    """(telephony cost, offered, closed) of the whole run, means over replications."""
    rows = {(r.level, r.name): r for r in kpi_rows(run(scenario(text), workers=1))}
    k = rows[("total", "all")].kpis
    return float(k["telephony"].mean), float(k["offered"].mean), float(k["closed"].mean)


def test_ivr_minutes_are_those_spent_in_the_ivr() -> None:
    """Every caller that gets a line spends exactly one IVR minute, also those deflected (self-service) and those
    given a busy signal at the full queue after the IVR; callers who find the center closed spend none."""
    cost, offered, closed = _ivr_cost(IVR_COST.format(hours=""))
    assert closed == 0 and cost == pytest.approx(offered * 0.10)
    cost, offered, closed = _ivr_cost(IVR_COST.format(hours='opening_hours: {mon-sun: "08:00-16:00"}'))
    assert 0 < closed < offered and cost == pytest.approx((offered - closed) * 0.10)
