"""KPIs of outbound campaigns over replications: the dialing funnel, silent calls against their limit, sales and
revenue, productivity per agent hour, list penetration, and what the agent time costs.

A campaign's labour cost is the agent time it takes at its groups' cost per hour: all scheduled hours of a group
that takes no inbound calls (its idle time belongs to the campaign), and the hours spent on outbound attempts
in a blended group (its idle time and inbound work stay with inbound; that cost is already in the inbound
totals, so a blended campaign's cost is an opportunity view, not an extra bill).
"""

from __future__ import annotations

import math

import numpy as np

from sim.analysis.campaign_facts import CAMPAIGN_FIELDS
from sim.analysis.facts import GROUP_FIELDS
from sim.analysis.stats import Estimate, mean_estimate, ratio_estimate
from sim.engine.layout import Layout
from sim.units import DAY


def campaign_kpis(x: np.ndarray, groups: np.ndarray, layout: Layout, first: int) -> dict[str, dict[str, Estimate]]:
    """Per campaign name, its KPIs. ``x[r, f, i, c]``: CAMPAIGN_FIELDS[f] in interval i of campaign c in
    replication r; ``groups[r, f, i, g]``: GROUP_FIELDS (for staffed and outbound time); intervals before
    ``first`` are the warm-up."""
    campaigns = layout.scenario.campaigns or {}
    per_day = round(DAY / layout.scenario.run.interval)
    out: dict[str, dict[str, Estimate]] = {}
    staffed = groups[:, GROUP_FIELDS.index("staffed_time"), first:, :].sum(axis=1)  # [R, G]
    outbound = groups[:, GROUP_FIELDS.index("outbound_time"), first:, :].sum(axis=1)
    costs = np.asarray([g.cost_per_hour for g in layout.groups])
    for c, (name, campaign) in enumerate(campaigns.items()):
        f = {k: x[:, i, first:, c].sum(axis=1) for i, k in enumerate(CAMPAIGN_FIELDS)}
        live = f["right_party"] + f["wrong_party"] + f["silent"]
        hours = f["agent_time"] / 3600.0
        index = [layout.group_names.index(g) for g in campaign.groups]
        dedicated = np.asarray([not layout.groups[g].skills for g in index])
        used = np.where(dedicated, staffed[:, index], outbound[:, index]) / 3600.0  # [R, groups of c]
        labour = (used * costs[index]).sum(axis=1)
        kpis = {k: mean_estimate(f[k]) for k in ("attempts", "right_party", "wrong_party", "silent", "sales",
                                                  "revenue", "added")}
        kpis["live_answers"] = mean_estimate(live)
        kpis["contact_rate"] = ratio_estimate(live, f["attempts"])
        kpis["right_party_rate"] = ratio_estimate(f["right_party"], f["attempts"])
        kpis["silent_rate"] = ratio_estimate(f["silent"], live)
        kpis["conversion"] = ratio_estimate(f["sales"], f["right_party"])
        kpis["agent_hours"] = mean_estimate(used.sum(axis=1))
        kpis["attempt_hours"] = mean_estimate(hours)
        kpis["right_party_per_agent_hour"] = ratio_estimate(f["right_party"], used.sum(axis=1))
        kpis["sales_per_agent_hour"] = ratio_estimate(f["sales"], used.sum(axis=1))
        kpis["talk_share"] = ratio_estimate(f["talk_time"], f["agent_time"])
        kpis["list_penetration"] = ratio_estimate(f["first_attempts"], f["added"])
        kpis["list_completion"] = ratio_estimate(f["finished"], f["added"])
        kpis["labour_cost"] = mean_estimate(labour)
        kpis["cost_per_contact"] = ratio_estimate(labour, f["right_party"])
        kpis["cost_per_sale"] = ratio_estimate(labour, f["sales"])
        kpis["margin"] = mean_estimate(f["revenue"] - labour)
        limit = campaign.pacing.max_abandoned if campaign.pacing else None
        if limit is not None:
            kpis["days_over_limit"] = mean_estimate(_days_over(x[:, :, :, c], first, per_day, limit))
        out[name] = kpis
    return out


def _days_over(x: np.ndarray, first: int, per_day: int, limit: float) -> np.ndarray:
    """Per replication: campaign days (measured days with live answers) whose silent calls exceed ``limit`` per
    live answer."""
    n_int = x.shape[2]
    start = math.ceil(first / per_day) * per_day  # whole days after the warm-up
    days = (n_int - start) // per_day
    if days <= 0:
        return np.zeros(len(x))
    cut = x[:, :, start:start + days * per_day].reshape(len(x), x.shape[1], days, per_day).sum(axis=3)
    silent = cut[:, CAMPAIGN_FIELDS.index("silent")]
    live = silent + cut[:, CAMPAIGN_FIELDS.index("right_party")] + cut[:, CAMPAIGN_FIELDS.index("wrong_party")]
    with np.errstate(invalid="ignore", divide="ignore"):
        over = (live > 0) & (silent > limit * live)
    return np.asarray(over.sum(axis=1), dtype=float)
