"""KPIs of Care2Sale (sales offers on inbound service calls) over replications, per call type, client, agent
group, site and in total: offers, sales, conversion, revenue and revenue per handled call."""

from __future__ import annotations

import numpy as np

from sim.analysis.facts import SALES_FIELDS, Facts
from sim.analysis.stats import Estimate, ratio_estimate

SALES_KPIS = ("offers", "sales", "conversion", "revenue", "revenue_per_call")
"""What a row of a scenario with sales offers adds; ``revenue_per_call`` only where handled calls are known
(call type, client, total)."""


def sales_by_cell(facts: tuple[Facts, ...]) -> np.ndarray:
    """[replications, SALES_FIELDS, call types, groups]."""
    return np.stack([f.sales for f in facts])


def sales_kpis(x: np.ndarray, handled: np.ndarray | None = None) -> dict[str, Estimate]:
    """``x[r, SALES_FIELDS]`` summed over a row's cells -> its KPIs; ``handled[r]``: the row's handled calls
    (None: no revenue per call)."""
    offers, sales, revenue = (x[:, SALES_FIELDS.index(k)] for k in SALES_FIELDS)
    ones = np.ones(len(offers))
    out = {"offers": ratio_estimate(offers, ones), "sales": ratio_estimate(sales, ones),
           "conversion": ratio_estimate(sales, offers), "revenue": ratio_estimate(revenue, ones)}
    if handled is not None:
        out["revenue_per_call"] = ratio_estimate(revenue, handled)
    return out
