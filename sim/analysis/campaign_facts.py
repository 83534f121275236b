"""Outbound attempts of one replication -> per-interval facts per campaign, and the agent time campaigns take
from each group. Pure numpy.

An attempt counts in the interval in which it was dialled (as a call counts where it arrived); the agent time is
split exactly at interval boundaries, that of an attempt under way at the end counted until the run ended.
Intervals in the warm-up are zeroed, as for calls.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from sim.analysis.spans import spans_by_interval
from sim.engine.dialer import ATTEMPT_OUTCOMES, Attempts
from sim.engine.layout import Layout
from sim.scenario.campaigns import refills
from sim.scenario.hours import spans
from sim.units import DAY

CAMPAIGN_FIELDS = (
    "attempts", *ATTEMPT_OUTCOMES, "sales", "revenue", "agent_time", "talk_time", "first_attempts", "finished",
    "added",
)
"""Per interval x campaign: attempts dialled, then by outcome (``no_answer``, ``busy``, ``machine``,
``right_party``, ``wrong_party``: put through to an agent, ``silent``: a live answer with no agent free,
``in_progress``: under way when the run ended, counted where it began if still in preview), sales and
their revenue, the agent-seconds spent on the campaign's attempts (preview, ringing, talk, after-call work), the
part of it talking to live answers, records dialled for the first time (list penetration), records finished
(reached, or their last attempt made) and records added to the list (the start list and each calling day's new
records, counted in the interval in which that day's calling starts); first dials and finished records count
only for records added after the warm-up, as the additions do."""


def campaign_facts(attempts: Attempts, layout: Layout, first_interval: int) -> np.ndarray:
    """[len(CAMPAIGN_FIELDS), intervals, campaigns]."""
    run = layout.scenario.run
    n_int = layout.n_intervals
    campaigns = layout.scenario.campaigns or {}
    n = len(campaigns)
    out = np.zeros((len(CAMPAIGN_FIELDS), n_int, n))
    began = np.where(np.isnan(attempts.dial_at), attempts.busy_from, attempts.dial_at)
    interval = np.minimum((began // run.interval).astype(np.int64), n_int - 1)
    cell = interval * n + attempts.campaign
    revenue = np.asarray([c.sale.revenue if c.sale else 0.0 for c in campaigns.values()])
    early = np.zeros(n, dtype=np.int64)  # per campaign: records added in the warm-up (they come first)
    for c, campaign in enumerate(campaigns.values()):
        opens = [a for a, _ in spans(campaign.hours, run.start_day.number, run.days)]
        for day, added in enumerate(refills(campaign, run.start_day.number, run.days)):
            if added:  # booked when the day's calling starts
                at = next((a for a in opens if day * DAY <= a < (day + 1) * DAY), day * DAY)
                booked = min(int(at // run.interval), n_int - 1)
                out[CAMPAIGN_FIELDS.index("added"), booked, c] += added
                early[c] += added if booked < first_interval else 0
    listed = attempts.record >= early[attempts.campaign]  # records of lists added after the warm-up
    for f, values in enumerate(_columns(attempts, revenue, _stop(attempts, layout), listed)):
        out[f] = np.bincount(cell, weights=values, minlength=n_int * n).reshape(n_int, n)
    out[:, :first_interval, :] = 0.0
    return out


def _stop(a: Attempts, layout: Layout) -> np.ndarray:
    """Per attempt: when it ended, or the end of the run for one under way."""
    return np.where(np.isnan(a.end_at), layout.horizon + layout.scenario.run.drain, a.end_at)


def _columns(a: Attempts, revenue: np.ndarray, stop: np.ndarray, listed: np.ndarray) -> Iterator[np.ndarray]:
    """The per-attempt values summed into CAMPAIGN_FIELDS, in order (``stop``: ``_stop``; ``listed``: the record
    was added after the warm-up, so its first dial and its end count against the lists added)."""
    yield np.ones(len(a))
    for k in range(len(ATTEMPT_OUTCOMES)):
        yield a.outcome == k
    yield a.sale
    yield np.where(a.sale, revenue[a.campaign], 0.0)
    has_agent = ~np.isnan(a.busy_from)
    yield np.where(has_agent, stop - a.busy_from, 0.0)
    live = has_agent & np.isin(a.outcome, [ATTEMPT_OUTCOMES.index("right_party"),
                                           ATTEMPT_OUTCOMES.index("wrong_party")])
    yield np.where(live, stop - np.fmax(a.busy_from, a.rang_at), 0.0)
    yield (a.attempt == 1) & listed
    yield a.final & listed


def outbound_busy(attempts: Attempts, layout: Layout) -> np.ndarray:
    """[intervals, groups]: agent-seconds each group spent on outbound attempts, split at interval boundaries."""
    has = ~np.isnan(attempts.busy_from)
    return spans_by_interval(attempts.busy_from[has], _stop(attempts, layout)[has],
                             attempts.group[has].astype(np.int64),
                             len(layout.group_names), layout.scenario.run.interval, layout.n_intervals)
