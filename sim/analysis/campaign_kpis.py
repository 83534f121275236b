"""KPIs of outbound campaigns over replications: the dialing funnel, silent calls against their limit, sales and
revenue, productivity per agent hour, list penetration, and what the agent time costs (whose time:
``sim.analysis.agent_time``).
"""

from __future__ import annotations

import math

import numpy as np

from sim.analysis.agent_time import task_hours
from sim.analysis.campaign_facts import CAMPAIGN_FIELDS
from sim.analysis.facts import Facts
from sim.analysis.stats import Estimate, ratio_estimate
from sim.engine.layout import Layout
from sim.units import DAY

Pairs = dict[str, tuple[np.ndarray, np.ndarray]]
"""KPI -> (numerator, denominator) per replication; a count or an amount has a denominator of ones."""

COUNTS = ("attempts", "live_answers", "right_party", "wrong_party", "silent", "sales", "revenue", "added",
          "agent_hours", "labour_cost", "margin")
RATIOS = {"contact_rate": ("live_answers", "attempts"), "right_party_rate": ("right_party", "attempts"),
          "silent_rate": ("silent", "live_answers"), "conversion": ("sales", "right_party"),
          "right_party_per_agent_hour": ("right_party", "agent_hours"),
          "sales_per_agent_hour": ("sales", "agent_hours"), "talk_share": ("talk_time", "agent_time"),
          "list_penetration": ("first_attempts", "added"), "list_completion": ("finished", "added"),
          "cost_per_contact": ("labour_cost", "right_party"), "cost_per_sale": ("labour_cost", "sales")}
"""Ratio KPIs as (numerator, denominator) of the campaign's per-replication sums."""


def campaign_sums(facts: tuple[Facts, ...], layout: Layout, c: int) -> dict[str, np.ndarray]:
    """Per replication, the sums behind campaign ``c``'s KPIs (warm-up excluded)."""
    first = facts[0].first_interval
    x = np.stack([f.campaigns[:, first:, c].sum(axis=1) for f in facts])  # [R, F]
    out = {k: x[:, i] for i, k in enumerate(CAMPAIGN_FIELDS)}
    hours = task_hours(facts, layout)[0][:, c, :]  # [R, G]
    out["agent_hours"] = hours.sum(axis=1)
    out["labour_cost"] = hours @ np.asarray([g.cost_per_hour for g in layout.groups], dtype=float)
    out["live_answers"] = out["right_party"] + out["wrong_party"] + out["silent"]
    out["margin"] = out["revenue"] - out["labour_cost"]
    return out


def campaign_pairs(sums: dict[str, np.ndarray]) -> Pairs:
    """(numerator, denominator) per replication of every campaign KPI."""
    ones = np.ones(len(sums["attempts"]))
    out: Pairs = {k: (sums[k], ones) for k in COUNTS}
    out.update({k: (sums[n], sums[d]) for k, (n, d) in RATIOS.items()})
    return out


def campaign_kpis(facts: tuple[Facts, ...], layout: Layout) -> dict[str, dict[str, Estimate]]:
    """Per campaign name, its KPIs."""
    out: dict[str, dict[str, Estimate]] = {}
    per_day = round(DAY / layout.scenario.run.interval)
    first = facts[0].first_interval
    for c, (name, campaign) in enumerate((layout.scenario.campaigns or {}).items()):
        kpis = {k: ratio_estimate(n, d) for k, (n, d) in campaign_pairs(campaign_sums(facts, layout, c)).items()}
        limit = campaign.pacing.max_abandoned if campaign.pacing else None
        if limit is not None:
            x = np.stack([f.campaigns[:, :, c] for f in facts])
            over = _days_over(x, first, per_day, limit)
            kpis["days_over_limit"] = ratio_estimate(over, np.ones(len(over)))
        out[name] = kpis
    return out


def _days_over(x: np.ndarray, first: int, per_day: int, limit: float) -> np.ndarray:
    """Per replication: measured whole days with live answers whose silent calls exceed ``limit`` per live
    answer. ``x[r, f, i]``: CAMPAIGN_FIELDS of one campaign per interval."""
    start = math.ceil(first / per_day) * per_day
    days = (x.shape[2] - start) // per_day
    if days <= 0:
        return np.zeros(len(x))
    cut = x[:, :, start:start + days * per_day].reshape(len(x), x.shape[1], days, per_day).sum(axis=3)
    silent = cut[:, CAMPAIGN_FIELDS.index("silent")]
    live = silent + cut[:, CAMPAIGN_FIELDS.index("right_party")] + cut[:, CAMPAIGN_FIELDS.index("wrong_party")]
    return np.asarray(((live > 0) & (silent > limit * live)).sum(axis=1), dtype=float)
