"""Work items of one replication -> per-interval facts per work type (e-mail, back office), their age
percentiles, and the agent time they take from each group. Pure numpy.

An item counts in the interval in which it arrived; the backlog (items arrived and not yet started) is a time
integral split exactly at interval boundaries. Intervals in the warm-up are zeroed, as for calls.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.spans import spans_by_interval
from sim.engine.backoffice import Items
from sim.engine.layout import Layout

WORK_FIELDS = ("arrived", "answered", "answered_within", "age_sum", "handle_sum", "backlog_area", "open_at_end",
               "due")
"""Per interval x work type: items arrived; of them, finished (answered) within the run, finished within the work
type's response time (of those due), the sum of their ages at answer (arrival to finish, s) and of their handle
times, and the items not finished when the run ended; ``backlog_area``: integral of the items waiting (arrived,
not started) over the interval, by time (item-seconds); ``due``: items whose response deadline (arrival + the
response time) falls within the run (horizon + drain), the base of the response service level: for a later
deadline the run cannot tell whether the item will be answered in time."""
AGE_PERCENTILES = (50.0, 90.0)
"""Percentiles of the age at answer of finished items."""


def work_facts(items: Items, layout: Layout, first_interval: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[len(WORK_FIELDS), intervals, work types], the age percentiles [work types, len(AGE_PERCENTILES)] (NaN
    where none was answered) and the agent-seconds per work type and group [work types, groups] of the items
    started after the warm-up."""
    run = layout.scenario.run
    work = layout.scenario.work or {}
    n_int, n = layout.n_intervals, len(work)
    out = np.zeros((len(WORK_FIELDS), n_int, n))
    interval = np.minimum((items.arrival_at // run.interval).astype(np.int64), n_int - 1)
    cell = interval * n + items.work
    done = ~np.isnan(items.end_at)
    age = np.where(done, items.end_at - items.arrival_at, 0.0)
    within = np.asarray([w.response.within for w in work.values()])[items.work]
    end = layout.horizon + run.drain
    due = items.arrival_at + within <= end
    columns = (np.ones(len(items)), done, done & (age <= within) & due, age,
               np.where(done, items.end_at - items.start_at, 0.0), None, ~done, due)
    for f, values in enumerate(columns):
        if values is not None:
            out[f] = np.bincount(cell, weights=values, minlength=n_int * n).reshape(n_int, n)
    waiting_until = np.where(np.isnan(items.start_at), end, items.start_at)
    out[WORK_FIELDS.index("backlog_area")] = spans_by_interval(items.arrival_at, waiting_until,
                                                               items.work.astype(np.int64), n, run.interval, n_int)
    out[:, :first_interval, :] = 0.0
    kept = done & (interval >= first_interval)
    pct = np.full((n, len(AGE_PERCENTILES)), np.nan)
    for k in range(n):
        ages = age[kept & (items.work == k)]
        if ages.size:
            pct[k] = np.percentile(ages, AGE_PERCENTILES)
    started = ~np.isnan(items.start_at) & (items.start_at >= first_interval * run.interval)
    stop = np.where(np.isnan(items.end_at), end, items.end_at)
    n_groups = len(layout.group_names)
    by_group = np.bincount(items.work[started].astype(np.int64) * n_groups + items.group[started],
                           weights=(stop - items.start_at)[started], minlength=n * n_groups).reshape(n, n_groups)
    return out, pct, by_group


def work_busy(items: Items, layout: Layout) -> np.ndarray:
    """[intervals, groups]: agent-seconds each group spent on work items, split at interval boundaries."""
    has = ~np.isnan(items.start_at)
    end = np.where(np.isnan(items.end_at), layout.horizon + layout.scenario.run.drain, items.end_at)
    return spans_by_interval(items.start_at[has], end[has], items.group[has].astype(np.int64),
                             len(layout.group_names), layout.scenario.run.interval, layout.n_intervals)
