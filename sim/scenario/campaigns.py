"""The schema of outbound campaigns: a call list, calling hours, a dialing mode, what each attempt can end in,
retries, and the agent groups who work it (dedicated, or blended with inbound work under a reserve)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from sim.errors import ValueAtKey
from sim.scenario.distributions import Delay, Distribution
from sim.scenario.outsourcing import OpeningHours
from sim.scenario.types import MAX_AGENTS, MAX_COUNT, STRICT, Money, Name, Share

LIVE = ("right_party", "wrong_party")
"""Outcomes in which a person answers: the dialer must put them through to an agent (or they become silent)."""
OUTCOMES = ("no_answer", "busy", "machine", *LIVE)
"""What an attempt can end in, in the order the attempt records number them (a silent call comes after)."""


class Dialing(StrEnum):
    """How the dialer paces attempts (the agent's part of an attempt differs)."""

    preview = "preview"  # the agent reviews the record (preview_time), then dials and hears the ringing
    progressive = "progressive"  # a free agent's call is dialled at once; the agent hears the ringing
    predictive = "predictive"  # lines are dialled ahead of free agents; a live answer with none free is silent


class Model(BaseModel):
    model_config = STRICT


class CallList(Model):
    """The records to call: a list of ``size`` at the start, and/or ``per_day`` new records at 00:00 of every
    calling day (a day with calling hours)."""

    size: int = Field(0, ge=0, le=100 * MAX_COUNT, description="records available at the start")
    per_day: int = Field(0, ge=0, le=MAX_COUNT, description="records added at 00:00 of every calling day (unused "
                                                            "ones stay on the list)")

    @model_validator(mode="after")
    def _check(self) -> CallList:
        if self.size == 0 and self.per_day == 0:
            raise ValueError("give 'size' (records at the start) and/or 'per_day' (new records every day)")
        return self


class Unanswered(Model):
    """An attempt no person answers: its share of attempts and the time until that is known (ringing to the
    no-answer timeout, the busy tone, the machine detection)."""

    share: Share
    ring_time: Distribution = Field(description="dialling until the attempt gives up or is recognised")
    wrap_up: Distribution | None = Field(None, description="the agent's notes after it (not in predictive dialing)")


class Answered(Model):
    """An attempt a person answers: its share of attempts, the ringing until then, the talk and after-call work."""

    share: Share
    ring_time: Distribution = Field(description="dialling until the person answers")
    talk_time: Distribution
    wrap_up: Distribution | None = None


class Outcomes(Model):
    """What attempts end in; the shares of the outcomes given sum to 1."""

    no_answer: Unanswered | None = None
    busy: Unanswered | None = None
    machine: Unanswered | None = Field(None, description="an answering machine (detected; no message is left)")
    right_party: Answered | None = Field(None, description="the person the record is for")
    wrong_party: Answered | None = Field(None, description="someone else answers")

    @model_validator(mode="after")
    def _check(self) -> Outcomes:
        total = sum(o.share for o in self.given().values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the shares must sum to 1 (got {total:g})")
        return self

    def given(self) -> dict[str, Unanswered | Answered]:
        """The outcomes given, in ``OUTCOMES`` order."""
        return {name: o for name in OUTCOMES if (o := getattr(self, name)) is not None}


class Pacing(Model):
    """Predictive dialing: lines dialled per free agent, and a limit on silent calls."""

    ratio: float = Field(ge=1.0, le=20.0, description="lines dialled per free agent (floor of ratio x free)")
    max_abandoned: Share | None = Field(None, description="limit on silent calls per live answer of a campaign "
                                                          "day (e.g. 0.03): dial ahead only while under it")

    @model_validator(mode="after")
    def _check(self) -> Pacing:
        if self.max_abandoned == 0.0:
            raise ValueAtKey("max_abandoned", "0 forbids every silent call: use dialing: progressive instead")
        return self


class Retry(Model):
    """Records not reached are called again: at most ``max_attempts`` attempts, after a delay per outcome."""

    max_attempts: int = Field(1, ge=1, le=100)
    no_answer: Delay | None = None
    busy: Delay | None = None
    machine: Delay | None = None
    silent: Delay | None = Field(None, description="after a silent call (predictive dialing)")


class Sale(Model):
    """Right-party contacts that buy: the share of them, and the revenue (or margin) per sale."""

    conversion: Share
    revenue: Money = 0.0


class Campaign(Model):
    """An outbound campaign."""

    description: str = ""
    client: Name | None = Field(None, description="whose campaign (needed with several clients): a team that only "
                                                  "works it bills its hours to that client")
    groups: list[Name] = Field(min_length=1, description="agent groups working the campaign")
    reserve: int = Field(0, ge=0, le=MAX_AGENTS, description="in a group that also takes inbound calls, this many "
                                                             "agents stay idle for inbound: outbound only beyond it")
    list: CallList
    hours: OpeningHours = Field(None, description="calling hours, e.g. {mon-fri: '09:00-20:00'}; omit: 24/7")
    dialing: Dialing = Dialing.progressive
    preview_time: Distribution | None = Field(None, description="time the agent reviews a record (preview only)")
    pacing: Pacing | None = Field(None, description="predictive dialing only")
    outcomes: Outcomes
    retry: Retry = Retry()
    sale: Sale | None = None

    @model_validator(mode="after")
    def _check(self) -> Campaign:
        if self.dialing == Dialing.predictive:
            noted = [n for n, o in self.outcomes.given().items() if isinstance(o, Unanswered) and o.wrap_up]
            if noted:
                raise ValueAtKey("outcomes", f"{', '.join(noted)}: a predictive dialer handles these without an "
                                             "agent, so they have no wrap_up")
        if (self.preview_time is None) == (self.dialing == Dialing.preview):
            raise ValueAtKey("preview_time", "give it for dialing: preview, and only then")
        if (self.pacing is None) == (self.dialing == Dialing.predictive):
            raise ValueAtKey("pacing", "give it for dialing: predictive, and only then")
        if self.sale is not None and self.outcomes.right_party is None:
            raise ValueAtKey("sale", "needs right-party contacts: add the outcome right_party")
        if len(set(self.groups)) != len(self.groups):
            raise ValueAtKey("groups", "lists a group twice")
        return self


def refills(campaign: Campaign, start_day: int, days: int) -> list[int]:
    """Records added to the list at 00:00 of each simulated day (day 0 falls on weekday ``start_day``): the start
    list on day 0, ``per_day`` on every day with calling hours."""
    hours = campaign.hours
    return [(campaign.list.size if d == 0 else 0)
            + (campaign.list.per_day if hours is None or hours[(d + start_day) % 7] else 0) for d in range(days)]
