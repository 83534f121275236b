"""Price models of an outsourcing partner (BPO) and of in-house telephony (DOMAIN.md section 3).

A ``Contract`` combines any of the usual billing units (productive hour, FTE-month, billable minute, handled call,
monthly fee) with minimums, time-window surcharges, an SLA service credit, a malus for calls rejected for overload,
a quality malus/bonus from mystery calls and an amortised set-up cost. The arithmetic lives in ``sim.economics.costs``;
these models only hold the validated terms (money in the scenario's currency, times in seconds).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from sim.errors import ValueAtKey
from sim.scenario.types import ALL_DAYS, STRICT, Clock, Duration, Money, PositiveDuration, Share, Weekday
from sim.units import DAY, format_clock

MONTH_DAYS = 365.25 / 12
"""Days in an average month: monthly amounts are pro-rated over the simulated horizon as horizon_days / MONTH_DAYS."""

AllocationKey = Literal["handled_minutes", "handled_calls", "equal"]
"""How a shared cost (e.g. a pooled night desk) is split among clients."""

_PRICES = ("per_hour", "per_fte_month", "per_minute", "per_call", "monthly_fee", "per_sale", "revenue_share",
           "per_chat", "per_item", "per_contact")
UNIT_PRICES = {"per_sale": "sales", "per_chat": "chats", "per_item": "items", "per_contact": "contacts"}
"""Prices per unit of work beyond inbound calls -> the ``Usage`` count they multiply."""
TIME_AND_FEES = ("per_hour", "per_fte_month", "monthly_fee")
"""Prices that pay for whatever the partner's agents do in their hours."""
_TIME_BASED = ("per_hour", "per_minute", "per_call")
_PER_MINUTE_TERMS = ("billing_increment", "bill_wrap_up", "bill_queue_time", "max_billable_per_call")
_WHOLE_INCREMENT_TOLERANCE = 1e-6


class _Model(BaseModel):
    model_config = STRICT


class Surcharge(_Model):
    """A percentage added to the time-based items for work done inside a weekly time window.

    ``from`` > ``to`` crosses midnight ("22:00"-"06:00"); ``days`` are the weekdays on which the window starts, so
    a Saturday night window runs from Saturday 22:00 to Sunday 06:00.
    """

    percent: float = Field(gt=0, le=1000, description="added to the price in the window, e.g. 25 for +25 %")
    days: list[Weekday] = Field(default_factory=lambda: list(ALL_DAYS), min_length=1,
                                description="weekdays on which the window starts; default every day")
    from_: Clock = Field(alias="from", description="start of the window, e.g. \"22:00\"")
    to: Clock = Field(description="end of the window, e.g. \"06:00\" (next day if before 'from'); \"24:00\" = midnight")

    @model_validator(mode="after")
    def _check(self) -> Surcharge:
        if self.from_ >= DAY:
            raise ValueAtKey("from", "a window starts before 24:00; write \"00:00\" for midnight")
        if self.from_ == self.to:
            raise ValueAtKey("to", f"the window is empty (from {format_clock(self.from_)} to "
                                   f"{format_clock(self.to)}); for a whole day write from \"00:00\" to \"24:00\"")
        return self


class SLACredit(_Model):
    """A service credit: a share of the invoice is refunded when the partner misses its service level."""

    threshold: Duration = Field(description="calls answered within this wait count as in service level")
    target: Share = Field(description="contracted service level over the horizon, e.g. 0.8")
    credit: Share = Field(description="share of the invoice (after minimums) credited if the target is missed")
    measured_on: Literal["offered", "answered"] = Field(
        "offered", description="denominator: calls offered to the partner, or calls it answered")


class RejectedMalus(_Model):
    """A malus the partner pays per call rejected for overload (busy signal, refused overflow)."""

    per_call: Money = Field(description="malus per rejected call beyond the free share")
    free_share: Share = Field(0.0, description="rejections up to this share of offered calls are free")


class Quality(_Model):
    """Mystery-call quality terms: a malus below the threshold, an optional bonus from a higher score."""

    score: Share = Field(description="the partner's mystery-call score (an input, e.g. 0.88)")
    threshold: Share = Field(description="a score below this triggers the malus")
    malus: Share = Field(description="share of the invoice (after minimums) deducted below the threshold")
    bonus: Share | None = Field(None, description="share of the invoice added from bonus_threshold on")
    bonus_threshold: Share | None = Field(None, description="score from which the bonus is paid")

    @model_validator(mode="after")
    def _check(self) -> Quality:
        if (self.bonus is None) != (self.bonus_threshold is None):
            raise ValueError("give 'bonus' and 'bonus_threshold' together")
        if self.bonus_threshold is not None and self.bonus_threshold < self.threshold:
            raise ValueAtKey("bonus_threshold", f"must be >= threshold ({self.threshold:g}), "
                                                f"got {self.bonus_threshold:g}")
        return self


class Setup(_Model):
    """A one-off set-up cost (concept, scripts, training, IT) spread evenly over an amortisation period."""

    cost: Money = Field(description="the one-off amount")
    amortise_months: int = Field(ge=1, le=1200, description="months over which the cost is spread")


class Contract(_Model):
    """A partner's price model; any items may be combined, at least one price must be given.

    Billing units: ``per_hour`` (logged-in agent hours), ``per_fte_month`` (logged-in hours / fte_hours_per_month,
    pro rata), ``per_minute`` (billable minutes, see ``sim.economics.costs.billable_seconds``), ``per_call`` (handled
    calls), ``monthly_fee``; beyond inbound service: ``per_sale`` and ``revenue_share`` (sales the partner's agents
    make, with or without a base fee), ``per_chat``, ``per_item`` (work items finished), ``per_contact`` (outbound
    right-party contacts). How the terms combine into an invoice: ``sim.economics.costs.invoice``.
    """

    per_hour: Money | None = Field(None, description="price per logged-in (productive) agent hour")
    per_fte_month: Money | None = Field(None, description="price per FTE and month (fractions pro rata)")
    fte_hours_per_month: float = Field(160.0, gt=0, le=744, description="logged-in hours that make one FTE in a month")
    per_minute: Money | None = Field(None, description="price per billable minute")
    billing_increment: PositiveDuration = Field(
        1.0, description="each call's billable time is rounded up to a whole increment: 1s, or 60s per started minute")
    bill_wrap_up: bool = Field(False, description="after-call work is billable")
    bill_queue_time: bool = Field(False, description="the time a call waited at the partner is billable")
    max_billable_per_call: PositiveDuration | None = Field(None, description="cap on one call's billable time")
    per_call: Money | None = Field(None, description="price per handled call")
    monthly_fee: Money | None = Field(None, description="fixed fee per month")
    per_sale: Money | None = Field(None, description="fee per sale the partner's agents make (Care2Sale on inbound "
                                                     "calls and outbound campaign sales)")
    revenue_share: Share | None = Field(None, description="share of the revenue of the partner's sales paid to it, "
                                                          "e.g. 0.15")
    per_chat: Money | None = Field(None, description="price per chat the partner's agents take")
    per_item: Money | None = Field(None, description="price per work item (e-mail, letter, back-office case) the "
                                                     "partner's agents finish")
    per_contact: Money | None = Field(None, description="price per outbound right-party contact the partner's agents "
                                                        "make")
    monthly_minimum: Money = Field(0.0, description="the invoice before credits is at least this per month")
    minimum_calls_per_month: float = Field(0.0, ge=0, le=1e9,
                                           description="handled calls are billed as at least this many")
    surcharges: list[Surcharge] = Field(default_factory=list,
                                        description="time-window surcharges on per_hour, per_minute and per_call")
    sla: SLACredit | None = Field(None, description="service credit when the service level misses its target")
    rejected_malus: RejectedMalus | None = Field(None, description="malus for calls rejected for overload")
    quality: Quality | None = Field(None, description="mystery-call malus and bonus")
    setup: Setup | None = Field(None, description="one-off set-up cost, amortised")

    @model_validator(mode="after")
    def _check(self) -> Contract:
        if all(getattr(self, k) is None for k in _PRICES):
            raise ValueError("a contract needs at least one price: per_hour, per_fte_month, per_minute, per_call, "
                             "monthly_fee, per_sale, revenue_share, per_chat, per_item or per_contact")
        self._check_dependent_terms()
        if self.max_billable_per_call is not None:
            whole = self.max_billable_per_call / self.billing_increment
            if abs(whole - round(whole)) > _WHOLE_INCREMENT_TOLERANCE:
                raise ValueAtKey("max_billable_per_call", f"must be a whole number of billing increments "
                                                          f"({self.billing_increment:g}s), got "
                                                          f"{self.max_billable_per_call:g}s")
        return self

    def _check_dependent_terms(self) -> None:
        """Terms that only mean something together with a price are refused without it (likely a slip)."""
        if self.per_minute is None:
            for key in _PER_MINUTE_TERMS:
                if key in self.model_fields_set:
                    raise ValueAtKey(key, "only applies with 'per_minute'")
        if self.per_fte_month is None and "fte_hours_per_month" in self.model_fields_set:
            raise ValueAtKey("fte_hours_per_month", "only applies with 'per_fte_month'")
        if self.per_call is None and self.minimum_calls_per_month > 0:
            raise ValueAtKey("minimum_calls_per_month", "needs 'per_call' (the price of each call billed)")
        if self.surcharges and all(getattr(self, k) is None for k in _TIME_BASED):
            raise ValueAtKey("surcharges", "apply to per_hour, per_minute and per_call; the contract has none")


class Telephony(_Model):
    """In-house telephony priced per connected minute (e.g. a toll-free 0800 number paid by the client)."""

    per_minute: Money = Field(description="price per minute of connected call time")
    include_queue: bool = Field(True, description="queue time is paid too (toll-free: the client pays it)")
    include_ivr: bool = Field(True, description="time in the IVR is paid too")
