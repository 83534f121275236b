"""Outsourcing invoices, telephony cost and cost allocation: pure numpy arithmetic, no SimPy, no I/O.

Money is in the scenario's currency, times in seconds. Sign convention of an ``Invoice``: every item is what the
client pays, so charges are positive and anything that lowers the client's cost (SLA credit, quality malus,
rejected-call malus paid by the partner) is negative; a quality bonus is positive.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.scenario.contract import MONTH_DAYS, UNIT_PRICES, AllocationKey, Contract, Telephony
from sim.units import DAY

TIME_EPSILON = 1e-6
"""Seconds: a billable time within this of a whole billing increment counts as that whole increment. Clock
differences carry float noise of at most ~1e-7 s even over a 10-year horizon (3.2e8 s), while no meter bills
below a microsecond; so 120.0000001 s bills 2 minutes at 60 s increments and 120.00001 s bills 3."""

_MAX_NUDGES = 4


@dataclass(frozen=True, eq=False)
class Usage:
    """What a partner site did in one replication over the horizon; arrays are per reporting interval (length I).

    ``billable_seconds`` are per-call values from ``billable_seconds()`` summed per interval; the interval a call
    is booked in (arrival, see docs/domain.md) is the caller's choice. ``answered_within`` counts calls answered within
    the contract's SLA threshold.
    """

    interval_start: np.ndarray
    """Seconds since midnight of day 0."""
    interval_length: float
    start_weekday: int
    """Weekday of day 0 (0 = Monday)."""
    handled_calls: np.ndarray
    billable_seconds: np.ndarray
    logged_in_seconds: np.ndarray
    offered: float
    answered: float
    answered_within: float
    abandoned: float
    rejected: float
    horizon_days: float
    sales: float = 0.0
    """Sales the partner's agents made (Care2Sale on inbound calls and outbound campaigns)."""
    revenue: float = 0.0
    """The revenue of those sales."""
    chats: float = 0.0
    """Chats the partner's agents took."""
    items: float = 0.0
    """Work items the partner's agents finished."""
    contacts: float = 0.0
    """Outbound right-party contacts the partner's agents made."""

    def __post_init__(self) -> None:
        n = len(self.interval_start)
        for name in ("handled_calls", "billable_seconds", "logged_in_seconds"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} intervals, interval_start has {n}")
        if self.horizon_days <= 0:
            raise ValueError(f"horizon_days must be > 0 (got {self.horizon_days})")

    @property
    def months(self) -> float:
        """The horizon in months: horizon_days / MONTH_DAYS."""
        return self.horizon_days / MONTH_DAYS


@dataclass(frozen=True)
class Invoice:
    """One partner invoice for the horizon: ``items`` in the order of ``invoice()``, ``total`` = fsum(items).

    The keys present depend on the contract only (a term the contract has appears even when it is 0), so
    invoices of several replications can be averaged key by key.
    """

    items: dict[str, float]
    total: float
    service_level: float
    """The partner's service level over the horizon as the SLA measures it (NaN without calls to measure)."""
    terms: dict[str, Term] = field(default_factory=dict)
    """Per item: what it was computed from (``amount`` = the item; see ``Term``)."""


@dataclass(frozen=True)
class Term:
    """How one invoice item came about: ``quantity`` (e.g. billable minutes, rejected calls above the free quota,
    the measured SL), ``rate`` (price per unit, or the share of the base for credits) and ``reference`` (what the
    quantity is measured against: the contracted SL, the free quota in calls, the quality threshold; NaN if none)."""

    quantity: float
    rate: float
    reference: float = math.nan


LABELS = {
    "hours": "logged-in hours x hourly rate", "minutes": "billable minutes x per-minute rate",
    "calls": "handled calls x per-call rate", "fte": "FTE-months x monthly FTE rate",
    "surcharges": "surcharged time-based charges x average surcharge",
    "minimum_volume": "calls short of the minimum volume x per-call rate",
    "sales": "sales x fee per sale", "revenue_share": "revenue of the partner's sales x revenue share",
    "chats": "chats taken x per-chat rate", "items": "work items finished x per-item rate",
    "contacts": "outbound right-party contacts x per-contact rate",
    "monthly_fee": "months x monthly fee", "minimum_top_up": "top-up to the monthly minimum",
    "sla_credit": "SLA credit: measured SL (reference: contracted SL), share of the base",
    "quality": "quality malus/bonus: score (reference: threshold), share of the base",
    "rejected_malus": "rejected calls above the free quota (reference: quota) x malus per call",
    "setup": "set-up cost amortised share x set-up cost",
}
"""A readable label for every invoice item key."""


def billable_seconds(talk: np.ndarray, wrap_up: np.ndarray, queue: np.ndarray, contract: Contract) -> np.ndarray:
    """Per-call billable seconds, vectorised over calls.

    ``b = ceil((min(talk + wrap_up*[bill_wrap_up] + queue*[bill_queue_time], cap) - TIME_EPSILON) / inc) * inc``
    with ``inc = billing_increment`` and ``cap = max_billable_per_call`` (a whole number of increments, so the cap
    holds after rounding). ``queue`` is the time the call waited at the partner.
    """
    seconds = np.asarray(talk, dtype=float)
    if contract.bill_wrap_up:
        seconds = seconds + np.asarray(wrap_up, dtype=float)
    if contract.bill_queue_time:
        seconds = seconds + np.asarray(queue, dtype=float)
    if np.any(seconds < 0):
        raise ValueError("billable time must be >= 0")
    if contract.max_billable_per_call is not None:
        seconds = np.minimum(seconds, contract.max_billable_per_call)
    increment = contract.billing_increment
    return np.maximum(np.ceil((seconds - TIME_EPSILON) / increment), 0.0) * increment


def surcharge_factor(contract: Contract, interval_start: np.ndarray, interval_length: float,
                     start_weekday: int) -> np.ndarray:
    """Price factor per interval: ``1 + sum_s percent_s / 100 * overlap_s``.

    ``overlap_s`` is the share of the interval inside surcharge window s; an interval wholly inside counts fully
    (for windows on interval boundaries this is "the interval's start lies in the window"), one half inside
    counts half (work is taken as spread evenly over the interval). Overlapping surcharges add up.
    """
    starts = np.asarray(interval_start, dtype=float)
    if not 0 < interval_length <= DAY:
        raise ValueError(f"interval_length must be in (0, 1 day] (got {interval_length})")
    factor = np.ones(len(starts))
    for surcharge in contract.surcharges:
        days = {d.number for d in surcharge.days}
        end = surcharge.to if surcharge.to > surcharge.from_ else surcharge.to + DAY
        factor += surcharge.percent / 100.0 * _window_share(starts, interval_length, start_weekday, days,
                                                            surcharge.from_, end)
    return factor


def _window_share(starts: np.ndarray, length: float, start_weekday: int, days: set[int],
                  opens: float, closes: float) -> np.ndarray:
    """Share of each interval [start, start + length) inside the windows [opens, closes) of the given weekdays
    (``closes`` may exceed a day: the window runs into the next day). An interval of at most a day can only meet
    the windows of the day before its start, its own day and the day after."""
    first_day = np.floor(starts / DAY)
    inside = np.zeros(len(starts))
    for offset in (-1, 0, 1):
        day = first_day + offset
        applies = np.isin((day + start_weekday) % 7, list(days))
        lo = np.maximum(starts, day * DAY + opens)
        hi = np.minimum(starts + length, day * DAY + closes)
        inside += np.where(applies, np.clip(hi - lo, 0.0, None), 0.0)
    return inside / length


def service_level(contract: Contract, usage: Usage) -> float:
    """``answered_within / offered`` (or ``/ answered`` if the SLA is measured on answered calls); NaN if 0/0."""
    measured_on = contract.sla.measured_on if contract.sla is not None else "offered"
    denominator = usage.offered if measured_on == "offered" else usage.answered
    return usage.answered_within / denominator if denominator > 0 else math.nan


def invoice(contract: Contract, usage: Usage) -> Invoice:
    """The partner's invoice for one replication, built in this order (m = horizon_days / MONTH_DAYS months):

    1. base items: ``hours = per_hour * sum(logged_in)/3600``; ``minutes = per_minute * sum(billable)/60``;
       ``calls = per_call * sum(handled)``; ``fte = per_fte_month * sum(logged_in)/3600 / fte_hours_per_month``
       (the months cancel: FTE = hours / (fte_hours_per_month * m), billed for m months);
    2. ``surcharges = sum_i (factor_i - 1) * (per_hour*h_i + per_minute*min_i + per_call*calls_i)`` per interval i;
    3. ``minimum_volume = per_call * max(0, minimum_calls_per_month * m - sum(handled))``;
    4. work beyond inbound calls: ``sales = per_sale * sales``, ``revenue_share = revenue_share * revenue``,
       ``chats = per_chat * chats``, ``items = per_item * items``, ``contacts = per_contact * contacts``;
       then ``monthly_fee = monthly_fee * m`` (a base fee beside a revenue share, say);
    5. ``minimum_top_up = max(0, monthly_minimum * m - S)``, S = sum of items 1-4; ``B = S + minimum_top_up``;
    6. ``sla_credit = -credit * B`` if the service level < target (else 0);
       ``quality = -malus * B`` if score < threshold, ``+bonus * B`` if score >= bonus_threshold (else 0);
    7. ``rejected_malus = -per_call * max(0, rejected - free_share * offered)`` (paid by the partner);
    8. ``setup = cost * min(1, m / amortise_months)`` (not subject to credits).

    ``total = fsum(items)``. Unpriced terms are left out of ``items``.
    """
    items: dict[str, float] = {}
    terms: dict[str, Term] = {}
    _add_base_items(contract, usage, items, terms)
    months = usage.months
    if contract.per_call is not None and contract.minimum_calls_per_month > 0:
        shortfall = max(0.0, contract.minimum_calls_per_month * months - float(np.sum(usage.handled_calls)))
        items["minimum_volume"] = contract.per_call * shortfall
        terms["minimum_volume"] = Term(shortfall, contract.per_call, contract.minimum_calls_per_month * months)
    for key, count in UNIT_PRICES.items():
        price = getattr(contract, key)
        if price is not None:
            items[count] = price * getattr(usage, count)
            terms[count] = Term(getattr(usage, count), price)
    if contract.revenue_share is not None:
        items["revenue_share"] = contract.revenue_share * usage.revenue
        terms["revenue_share"] = Term(usage.revenue, contract.revenue_share)
    if contract.monthly_fee is not None:
        items["monthly_fee"] = contract.monthly_fee * months
        terms["monthly_fee"] = Term(months, contract.monthly_fee)
    if contract.monthly_minimum > 0:
        floor = contract.monthly_minimum * months
        items["minimum_top_up"] = max(0.0, floor - math.fsum(items.values()))
        terms["minimum_top_up"] = Term(items["minimum_top_up"], 1.0, floor)
    level = service_level(contract, usage)
    _add_performance_items(contract, level, math.fsum(items.values()), items, terms)
    if contract.rejected_malus is not None:
        quota = contract.rejected_malus.free_share * usage.offered
        excess = max(0.0, usage.rejected - quota)
        items["rejected_malus"] = -contract.rejected_malus.per_call * excess
        terms["rejected_malus"] = Term(excess, -contract.rejected_malus.per_call, quota)
    if contract.setup is not None:
        share = min(1.0, months / contract.setup.amortise_months)
        items["setup"] = contract.setup.cost * share
        terms["setup"] = Term(share, contract.setup.cost)
    items = {key: value + 0.0 for key, value in items.items()}  # + 0.0 turns a credit of -0.0 into 0.0
    return Invoice(items=items, total=math.fsum(items.values()), service_level=level, terms=terms)


def _add_base_items(contract: Contract, usage: Usage, items: dict[str, float], terms: dict[str, Term]) -> None:
    """Items 1 and 2 of ``invoice``: time-based and FTE charges, then their surcharges."""
    hours = np.asarray(usage.logged_in_seconds, dtype=float) / 3600.0
    minutes = np.asarray(usage.billable_seconds, dtype=float) / 60.0
    calls = np.asarray(usage.handled_calls, dtype=float)
    time_based = np.zeros(len(hours))
    for key, price, quantity in (("hours", contract.per_hour, hours), ("minutes", contract.per_minute, minutes),
                                 ("calls", contract.per_call, calls)):
        if price is not None:
            items[key] = price * math.fsum(quantity)
            terms[key] = Term(math.fsum(quantity), price)
            time_based += price * quantity
    if contract.per_fte_month is not None:
        items["fte"] = contract.per_fte_month * math.fsum(hours) / contract.fte_hours_per_month
        terms["fte"] = Term(math.fsum(hours) / contract.fte_hours_per_month, contract.per_fte_month)
    if contract.surcharges:
        factor = surcharge_factor(contract, usage.interval_start, usage.interval_length, usage.start_weekday)
        items["surcharges"] = math.fsum((factor - 1.0) * time_based)
        base = math.fsum(time_based)
        terms["surcharges"] = Term(base, items["surcharges"] / base if base > 0 else 0.0)


def _add_performance_items(contract: Contract, level: float, base: float, items: dict[str, float],
                           terms: dict[str, Term]) -> None:
    """Item 6 of ``invoice``: SLA credit and quality malus/bonus as shares of ``base`` (the invoice after
    minimums). A service level that cannot be measured (no calls) misses nothing."""
    if contract.sla is not None:
        missed = not math.isnan(level) and level < contract.sla.target
        items["sla_credit"] = -contract.sla.credit * base if missed else 0.0
        terms["sla_credit"] = Term(level, -contract.sla.credit if missed else 0.0, contract.sla.target)
    quality = contract.quality
    if quality is not None:
        share = 0.0
        if quality.score < quality.threshold:
            share = -quality.malus
        elif quality.bonus is not None and quality.bonus_threshold is not None \
                and quality.score >= quality.bonus_threshold:
            share = quality.bonus
        items["quality"] = share * base
        terms["quality"] = Term(quality.score, share, quality.threshold)


def telephony_cost(telephony: Telephony, talk_seconds: float | np.ndarray, queue_seconds: float | np.ndarray,
                   ivr_seconds: float | np.ndarray) -> float:
    """``per_minute * (talk + queue*[include_queue] + ivr*[include_ivr]) / 60``; arrays are summed (per call or
    per interval alike). ``talk_seconds`` is connected time with an agent (talk + hold, no wrap-up)."""
    seconds = math.fsum(np.ravel(talk_seconds))
    if telephony.include_queue:
        seconds += math.fsum(np.ravel(queue_seconds))
    if telephony.include_ivr:
        seconds += math.fsum(np.ravel(ivr_seconds))
    return telephony.per_minute * seconds / 60.0


def allocate(total: float, weights: Mapping[str, float]) -> dict[str, float]:
    """Split ``total`` among the keys in proportion to ``weights`` (all 0: equal split); the parts sum EXACTLY.

    ``part_k = total * w_k / sum(w)``; the float rounding remainder ``total - sum(parts)`` (computed with fsum)
    is then added to the largest part, and if that part's float spacing is too coarse to absorb it, to the next
    largest. Afterwards ``math.fsum(parts.values()) == total`` holds bit for bit (checked).
    """
    if not weights:
        raise ValueError("allocate needs at least one key")
    if not math.isfinite(total):
        raise ValueError(f"cannot allocate a non-finite total ({total})")
    w = np.array([float(v) for v in weights.values()])
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weights must be finite and >= 0 (got {dict(weights)})")
    w = np.ones(len(w)) if w.max() == 0 else w / w.max()
    parts = [float(x) for x in total * (w / w.sum())]
    for k in sorted(range(len(parts)), key=lambda i: -abs(parts[i])):
        if _settle(parts, k, total):
            return dict(zip(weights, parts, strict=True))
    raise ArithmeticError(f"could not split {total!r} exactly among {list(weights)}")


def _settle(parts: list[float], k: int, total: float) -> bool:
    """Move ``parts[k]`` until ``fsum(parts) == total``: by the exact remainder, or by one float step when the
    remainder is below its spacing. True once exact."""
    for _ in range(_MAX_NUDGES):
        if math.fsum(parts) == total:
            return True
        remainder = math.fsum([total, *(-p for p in parts)])
        moved = parts[k] + remainder
        parts[k] = moved if moved != parts[k] else math.nextafter(parts[k], math.copysign(math.inf, remainder))
    return math.fsum(parts) == total


def allocation_weights(key: AllocationKey, minutes: Mapping[str, float],
                       calls: Mapping[str, float]) -> dict[str, float]:
    """Weights for ``allocate``: handled minutes, handled calls, or 1 each ("equal"); both mappings must have the
    same keys (the clients sharing the cost)."""
    if set(minutes) != set(calls):
        raise ValueError(f"minutes and calls name different clients: {sorted(minutes)} vs {sorted(calls)}")
    if key == "handled_minutes":
        return {name: float(v) for name, v in minutes.items()}
    if key == "handled_calls":
        return {name: float(calls[name]) for name in minutes}
    if key == "equal":
        return {name: 1.0 for name in minutes}
    raise ValueError(f"unknown allocation key {key!r}; use handled_minutes, handled_calls or equal")
