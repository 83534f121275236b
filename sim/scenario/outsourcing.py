"""Schema of sites (in-house or partner) and of overflow rules (when a call may go to a partner's agents)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema, model_validator

from sim.errors import ValueAtKey
from sim.scenario.contract import Contract
from sim.scenario.distributions import Delay, Deterministic, Distribution
from sim.scenario.hours import Windows, parse_hours
from sim.scenario.types import STRICT, Count, Duration, Name, Share

HOURS_SCHEMA = {"type": "object", "additionalProperties": {
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "examples": [{"mon-fri": "08:00-20:00", "sat": "09:00-14:00"}]}
DEFAULT_TRANSFER_DELAY = Deterministic.model_validate({"dist": "deterministic", "value": "8s"})
"""Transfer to a partner site when a scenario gives none: 8 s, a typical blind transfer between ACDs (see
docs/domain.md, overflow transfer)."""
OpeningHours = Annotated[Windows | None, BeforeValidator(parse_hours), WithJsonSchema(HOURS_SCHEMA)]
"""{mon-fri: "08:00-20:00", sat: "09:00-14:00"}; days not listed are closed."""


class SiteKind(StrEnum):
    in_house = "in_house"
    partner = "partner"


class Site(BaseModel):
    """Where agent groups work: the client's own center or an outsourcing partner (BPO)."""

    model_config = STRICT

    kind: SiteKind = SiteKind.in_house
    description: str = ""
    opening_hours: OpeningHours = Field(None, description="when this in-house site works (default: the scenario's "
                                                          "hours); a partner works when its groups' shifts say")
    unresolved_share: Share = Field(0.0, description="share of handled calls not resolved: the caller calls again")
    repeat_delay: Delay | None = Field(None, description="time until an unresolved caller calls again")
    contract: Contract | None = Field(None, description="the partner's price model (partner sites only)")
    bill_per_client: bool = Field(False, description="apply the contract to each client separately (own minimums, "
                                                     "fees, SLA); logged-in hours split by handled minutes")
    conversion: dict[Name, Share] = Field(default_factory=dict,
                                          description="Care2Sale: this site's agents' conversion of sales offers "
                                                      "per call type (overrides the call type's sales.conversion)")
    transfer_delay: Distribution | None = Field(None, description="time from a partner agent being reserved for a "
                                                                  "call until the caller reaches them (partner "
                                                                  "sites only; default 8 s)")

    @model_validator(mode="after")
    def _check(self) -> Site:
        if self.unresolved_share > 0 and self.repeat_delay is None:
            raise ValueAtKey("unresolved_share", "needs a 'repeat_delay' distribution (when callers call again)")
        if self.bill_per_client and self.contract is None:
            raise ValueAtKey("bill_per_client", "needs a 'contract' to apply per client")
        if self.opening_hours is not None and self.kind == SiteKind.partner:
            raise ValueAtKey("opening_hours", "has no effect on a partner site: a partner answers when its agent "
                                              "groups are staffed (their shifts or staffing table); remove it")
        if self.transfer_delay is not None and self.kind != SiteKind.partner:
            raise ValueAtKey("transfer_delay", "only calls taken by a partner site's agents are transferred; an "
                                               "in-house agent answers at once")
        if self.contract is not None and self.kind != SiteKind.partner:
            raise ValueAtKey("contract", "only a partner site has a contract; in-house cost is the groups' "
                                         "cost_per_hour")
        return self

    @property
    def transfer(self) -> Distribution | None:
        """The transfer delay of a call this site's agents take: the partner's own, else the default; None
        in-house (answered at once)."""
        if self.kind != SiteKind.partner:
            return None
        return self.transfer_delay or DEFAULT_TRANSFER_DELAY


class Overflow(BaseModel):
    """When calls of a type may go to partner groups; conditions combine (any one sends the call).

    ``after_wait``: a waiting call becomes additionally eligible for the partner groups after waiting this long
    (it keeps its place and patience). The other conditions send the call straight to the partner on arrival:
    ``share`` (a fixed share of the volume), ``outside_hours`` (no in-house site open), ``queue_length`` (this many
    calls of the type already wait in-house), ``expected_wait`` (estimated in-house wait above this).
    """

    model_config = STRICT

    to: list[Name] = Field(min_length=1, description="partner agent groups that take the overflow")
    after_wait: Duration | None = None
    share: Share | None = None
    outside_hours: bool = False
    queue_length: Count | None = None
    expected_wait: Duration | None = None
    max_queue: Count | None = Field(None, description="with no partner agent free, the partner refuses direct "
                                                     "overflow beyond this many waiting")

    @model_validator(mode="after")
    def _check(self) -> Overflow:
        if (self.after_wait is None and self.share is None and not self.outside_hours
                and self.queue_length is None and self.expected_wait is None):
            raise ValueError("an overflow rule needs a condition: after_wait, share, outside_hours, "
                             "queue_length or expected_wait")
        return self
