"""Schema of Care2Sale: selling during inbound service calls (up- and cross-selling).

Per call type a share of answered calls is offered a product (the offer adds talk time), a share of those buys,
and each sale brings a revenue (or margin). How well agents sell is a property of where they work: a site may give
its own conversion per call type (``Site.conversion``), e.g. a partner whose agents convert fewer offers.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from sim.scenario.distributions import Distribution
from sim.scenario.types import STRICT, Money, Share


class Sales(BaseModel):
    """Sales offers on the answered calls of one call type."""

    model_config = STRICT

    offer: Share = Field(description="share of answered calls given a sales offer, e.g. 0.4")
    conversion: Share = Field(description="share of offers that end in a sale (agents of a site without its own "
                                          "'conversion' for this type)")
    extra_talk: Distribution | None = Field(None, description="talk time an offer adds to the call; omit: none")
    revenue: Money = Field(description="revenue (or margin) per sale, in the scenario's currency")
