"""KPIs of outbound campaigns over replications: the dialing funnel, silent calls against their limit, sales and
revenue, productivity per agent hour, list penetration, and what the agent time costs.

A campaign's labour cost is the agent time it takes at its groups' cost per hour: all scheduled hours of a group
that takes no inbound calls (its idle time belongs to the campaign), and the hours spent on outbound attempts
in a blended group (its idle time and inbound work stay with inbound; that cost is already in the inbound
totals, so a blended campaign's cost is the value of the time it uses, not an extra bill).
"""

from __future__ import annotations

import math

import numpy as np

from sim.analysis.campaign_facts import CAMPAIGN_FIELDS
from sim.analysis.facts import GROUP_FIELDS
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


def campaign_sums(x: np.ndarray, groups: np.ndarray, layout: Layout, first: int, c: int) -> dict[str, np.ndarray]:
    """Per replication, the sums behind campaign ``c``'s KPIs. ``x[r, f, i, c]``: CAMPAIGN_FIELDS[f] in interval i
    of campaign c in replication r; ``groups[r, f, i, g]``: GROUP_FIELDS; intervals before ``first`` are the
    warm-up."""
    campaign = list((layout.scenario.campaigns or {}).values())[c]
    f = {k: x[:, i, first:, c].sum(axis=1) for i, k in enumerate(CAMPAIGN_FIELDS)}
    staffed = groups[:, GROUP_FIELDS.index("staffed_time"), first:, :].sum(axis=1)  # [R, G]
    outbound = groups[:, GROUP_FIELDS.index("outbound_time"), first:, :].sum(axis=1)
    index = [layout.group_names.index(g) for g in campaign.groups]
    dedicated = np.asarray([not layout.groups[g].skills for g in index])
    hours = np.where(dedicated, staffed[:, index], outbound[:, index]) / 3600.0  # [R, groups of c]
    f["agent_hours"] = hours.sum(axis=1)
    f["labour_cost"] = (hours * np.asarray([layout.groups[g].cost_per_hour for g in index])).sum(axis=1)
    f["live_answers"] = f["right_party"] + f["wrong_party"] + f["silent"]
    f["margin"] = f["revenue"] - f["labour_cost"]
    return f


def campaign_pairs(sums: dict[str, np.ndarray]) -> Pairs:
    """(numerator, denominator) per replication of every campaign KPI."""
    ones = np.ones(len(sums["attempts"]))
    out: Pairs = {k: (sums[k], ones) for k in COUNTS}
    out.update({k: (sums[n], sums[d]) for k, (n, d) in RATIOS.items()})
    return out


def campaign_kpis(x: np.ndarray, groups: np.ndarray, layout: Layout, first: int) -> dict[str, dict[str, Estimate]]:
    """Per campaign name, its KPIs (see ``campaign_sums`` for the arrays)."""
    out: dict[str, dict[str, Estimate]] = {}
    per_day = round(DAY / layout.scenario.run.interval)
    for c, (name, campaign) in enumerate((layout.scenario.campaigns or {}).items()):
        kpis = {k: ratio_estimate(n, d) for k, (n, d) in campaign_pairs(campaign_sums(x, groups, layout, first,
                                                                                    c)).items()}
        limit = campaign.pacing.max_abandoned if campaign.pacing else None
        if limit is not None:
            over = _days_over(x[:, :, :, c], first, per_day, limit)
            kpis["days_over_limit"] = ratio_estimate(over, np.ones(len(over)))
        out[name] = kpis
    return out


def _days_over(x: np.ndarray, first: int, per_day: int, limit: float) -> np.ndarray:
    """Per replication: measured whole days with live answers whose silent calls exceed ``limit`` per live answer."""
    start = math.ceil(first / per_day) * per_day
    days = (x.shape[2] - start) // per_day
    if days <= 0:
        return np.zeros(len(x))
    cut = x[:, :, start:start + days * per_day].reshape(len(x), x.shape[1], days, per_day).sum(axis=3)
    silent = cut[:, CAMPAIGN_FIELDS.index("silent")]
    live = silent + cut[:, CAMPAIGN_FIELDS.index("right_party")] + cut[:, CAMPAIGN_FIELDS.index("wrong_party")]
    return np.asarray(((live > 0) & (silent > limit * live)).sum(axis=1), dtype=float)
