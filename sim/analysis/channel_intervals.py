"""Per reporting interval, the KPIs of the work beside inbound calls: outbound attempts, contacts, sales and the
silent-call rate per campaign; arrivals, answers, the mean backlog and the response service level per work type;
offers, the service level, abandonment and ASA per chat type. Pure; the table behind ``channel_intervals.csv``
and the backlog and chat figures.

Counts and ratios of attempts, items and chats are booked in the interval they were dialled or arrived in (as in
the per-interval facts); the backlog is the time average of the items waiting in the interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sim.analysis.campaign_facts import CAMPAIGN_FIELDS
from sim.analysis.chat_facts import CHAT_FIELDS
from sim.analysis.experiment import RunResult
from sim.analysis.stats import Estimate, mean_estimate, ratio_estimate
from sim.analysis.summary import interval_starts
from sim.analysis.work_facts import WORK_FIELDS

COLUMNS = ("day", "weekday", "interval_start", "level", "name", "kpi", "mean", "ci")
"""Columns of channel_intervals.csv: one row per interval, campaign / work type / chat type and KPI."""
Fields = dict[str, np.ndarray]
"""A facts field -> its values [replications, intervals] for one campaign, work type or chat type."""


def _campaign(x: Fields, interval: float) -> dict[str, Estimate]:
    live = x["right_party"] + x["wrong_party"] + x["silent"]
    return {"attempts": mean_estimate(x["attempts"]), "right_party": mean_estimate(x["right_party"]),
            "sales": mean_estimate(x["sales"]), "silent_rate": ratio_estimate(x["silent"], live)}


def _work(x: Fields, interval: float) -> dict[str, Estimate]:
    return {"arrived": mean_estimate(x["arrived"]), "answered": mean_estimate(x["answered"]),
            "mean_backlog": mean_estimate(x["backlog_area"] / interval),
            "response_sl": ratio_estimate(x["answered_within"], x["due"])}


def _chat(x: Fields, interval: float) -> dict[str, Estimate]:
    return {"offered": mean_estimate(x["offered"]), "answered": mean_estimate(x["answered"]),
            "service_level": ratio_estimate(x["answered_within"], x["offered"] - x["abandoned_within"]),
            "abandon_rate": ratio_estimate(x["abandoned"], x["offered"]),
            "asa": ratio_estimate(x["wait_sum"], x["answered"])}


LEVELS: dict[str, tuple[str, tuple[str, ...], Callable[[Fields, float], dict[str, Estimate]]]] = {
    "campaign": ("campaigns", CAMPAIGN_FIELDS, _campaign),
    "work": ("work", WORK_FIELDS, _work),
    "chat": ("chats", CHAT_FIELDS, _chat),
}
"""Level -> (the Facts attribute and the scenario key, its fields, its KPIs)."""


def channel_interval_rows(result: RunResult) -> list[dict[str, Any]]:
    """Every interval's KPIs of every campaign, work type and chat type (none: [])."""
    first, interval = result.facts[0].first_interval, result.scenario.run.interval
    starts = interval_starts(result)
    rows: list[dict[str, Any]] = []
    for level, (key, fields, kpis) in LEVELS.items():
        names = list(getattr(result.scenario, key) or {})
        if not names:
            continue
        x = np.stack([getattr(f, key)[:, first:, :] for f in result.facts])  # [R, F, I, n]
        for k, name in enumerate(names):
            values = kpis({field: x[:, i, :, k] for i, field in enumerate(fields)}, interval)
            for kpi, e in values.items():
                rows += [{"day": day, "weekday": weekday, "interval_start": clock, "level": level, "name": name,
                          "kpi": kpi, "mean": float(m), "ci": float(h)}
                         for (day, weekday, clock), m, h in zip(starts, e.mean, e.half_width, strict=True)]
    return rows
