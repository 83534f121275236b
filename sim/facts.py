"""Records of one replication -> compact per-interval facts (counts, sums, time integrals, wait percentiles).

Pure numpy. A call counts in the interval in which it arrived. Intervals that start before the warm-up ends are
dropped from every total (the warm-up is rounded up to an interval boundary). Time integrals (busy agents,
logged-in agents, queue length) are split exactly at interval boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.layout import Layout
from sim.records import ABANDONED, ANSWERED, BLOCKED, DEFLECTED, IN_SYSTEM, Records

CALL_FIELDS = (
    "offered", "deflected", "blocked", "answered", "answered_within", "abandoned", "abandoned_short",
    "abandoned_within", "waited", "in_system", "wait_answered_sum", "wait_all_sum", "abandon_time_sum",
    "handle_sum", "talk_sum", "queue_area",
)
"""Per interval x call type. ``waited``: calls that reached the queue and waited > 0; ``*_sum`` in seconds;
``queue_area``: integral of the number of waiting calls of the type over the interval (call-seconds)."""
GROUP_FIELDS = ("answered", "handle_sum", "busy_time", "staffed_time")
"""Per interval x agent group; ``busy_time`` and ``staffed_time`` are agent-seconds within the interval."""
PERCENTILES = (50.0, 80.0, 90.0, 95.0)
"""Percentiles of the waiting time of answered calls."""


@dataclass(frozen=True)
class Facts:
    """What one replication contributes to the statistics."""

    calls: np.ndarray  # [len(CALL_FIELDS), intervals, call types]
    groups: np.ndarray  # [len(GROUP_FIELDS), intervals, groups]
    wait_pct_type: np.ndarray  # [call types, len(PERCENTILES)], NaN where no call was answered
    wait_pct_client: np.ndarray  # [clients, len(PERCENTILES)]
    wait_pct_total: np.ndarray  # [len(PERCENTILES)]
    wait_p90_interval: np.ndarray  # [intervals, call types + 1]; last column: all types
    first_interval: int  # intervals before this one lie in the warm-up


def facts(records: Records, layout: Layout) -> Facts:
    """Aggregate one replication's records."""
    run, sl = layout.scenario.run, layout.scenario.service_level
    n_int, n_types = layout.n_intervals, len(layout.type_names)
    first = int(np.ceil(run.warmup / run.interval - 1e-9))
    c = records.callers
    interval = np.minimum((c.arrival_at // run.interval).astype(np.int64), n_int - 1)
    keep = interval >= first
    wait = records.wait
    out, ans, abd = records.outcome, records.outcome == ANSWERED, records.outcome == ABANDONED
    handle = np.where(ans, records.end_at - records.start_at, 0.0)
    factor = np.asarray(layout.handle_factors)[np.maximum(records.group, 0)]
    columns = {
        "offered": np.ones(len(c)),
        "deflected": out == DEFLECTED,
        "blocked": out == BLOCKED,
        "answered": ans,
        "answered_within": ans & (wait <= sl.threshold),
        "abandoned": abd,
        "abandoned_short": abd & (wait <= sl.short_abandon),
        "abandoned_within": abd & (wait <= sl.threshold),
        "waited": (ans | abd) & (wait > 0.0),
        "in_system": out == IN_SYSTEM,
        "wait_answered_sum": np.where(ans, wait, 0.0),
        "wait_all_sum": np.where(ans | abd, wait, 0.0),
        "abandon_time_sum": np.where(abd, wait, 0.0),
        "handle_sum": handle,
        "talk_sum": np.where(ans, c.talk_time * factor, 0.0),
    }
    cell = interval[keep] * n_types + c.call_type[keep]
    calls = np.zeros((len(CALL_FIELDS), n_int, n_types))
    for f, name in enumerate(CALL_FIELDS[:-1]):
        values = np.asarray(columns[name], dtype=float)[keep]
        calls[f] = np.bincount(cell, weights=values, minlength=n_int * n_types).reshape(n_int, n_types)
    calls[-1] = _queue_area(records, layout)
    calls[:, :first, :] = 0.0
    groups = _group_facts(records, layout, interval, keep, handle)
    groups[:, :first, :] = 0.0
    answered_wait = np.where(ans & keep, wait, np.nan)
    return Facts(calls, groups, *_percentiles(answered_wait, c.call_type, interval, layout), first_interval=first)


def _queue_area(records: Records, layout: Layout) -> np.ndarray:
    """Integral of queue length per interval x call type."""
    end = layout.horizon + layout.scenario.run.drain
    queued = np.isin(records.outcome, (ANSWERED, ABANDONED)) | (
        (records.outcome == IN_SYSTEM) & np.isnan(records.start_at) & ~records.callers.deflected)
    enter = records.queue_at
    leave = enter + np.nan_to_num(records.wait, nan=0.0)
    waiting_at_end = queued & (records.outcome == IN_SYSTEM)
    leave = np.where(waiting_at_end, np.maximum(end, enter), leave)
    edges = _edges(layout)
    out = np.zeros((layout.n_intervals, len(layout.type_names)))
    for t in range(len(layout.type_names)):
        m = queued & (records.callers.call_type == t) & (enter < end)
        out[:, t] = area_by_interval(enter[m], leave[m], edges)
    return out


def _group_facts(records: Records, layout: Layout, interval: np.ndarray, keep: np.ndarray,
                 handle: np.ndarray) -> np.ndarray:
    n_int, n_groups = layout.n_intervals, len(layout.group_names)
    end = layout.horizon + layout.scenario.run.drain
    edges = _edges(layout)
    out = np.zeros((len(GROUP_FIELDS), n_int, n_groups))
    served = ~np.isnan(records.start_at)
    stop = np.where(np.isnan(records.end_at), end, records.end_at)
    log = records.staff_log
    for g in range(n_groups):
        mine = served & (records.group == g)
        done = mine & (records.outcome == ANSWERED) & keep
        out[0, :, g] = np.bincount(interval[done], minlength=n_int)
        out[1, :, g] = np.bincount(interval[done], weights=handle[done], minlength=n_int)
        out[2, :, g] = area_by_interval(records.start_at[mine], stop[mine], edges)
        rows = log[log[:, 1] == g]
        out[3, :, g] = step_area(rows[:, 0], rows[:, 2], edges)
    return out


def _edges(layout: Layout) -> np.ndarray:
    return np.arange(layout.n_intervals + 1) * layout.scenario.run.interval


def step_area(times: np.ndarray, deltas: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Integral over each [edges[j], edges[j+1]] of the step function that jumps by ``deltas`` at ``times``."""
    order = np.argsort(times, kind="stable")
    t, d = times[order], deltas[order]
    level, moment = np.concatenate(([0.0], np.cumsum(d))), np.concatenate(([0.0], np.cumsum(d * t)))
    k = np.searchsorted(t, edges, side="right")
    cumulative = edges * level[k] - moment[k]  # integral of the level from -inf to each edge
    return np.diff(cumulative)


def area_by_interval(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Integral over each interval of the number of [start, end) spans covering the instant."""
    times = np.concatenate((starts, ends))
    deltas = np.concatenate((np.ones(len(starts)), -np.ones(len(ends))))
    return step_area(times, deltas, edges)


def _percentiles(answered_wait: np.ndarray, types: np.ndarray, interval: np.ndarray,
                 layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n_types, n_int = len(layout.type_names), layout.n_intervals
    clients = np.asarray(layout.type_client)[types]
    ok = ~np.isnan(answered_wait)
    by_type = np.array([_pct(answered_wait[ok & (types == t)]) for t in range(n_types)])
    by_client = np.array([_pct(answered_wait[ok & (clients == c)]) for c in range(len(layout.client_names))])
    total = _pct(answered_wait[ok])
    p90 = np.full((n_int, n_types + 1), np.nan)
    values = answered_wait[ok]
    for column in (types[ok], np.full(len(values), n_types)):
        keys = interval[ok] * (n_types + 1) + column
        order = np.lexsort((values, keys))
        k, v = keys[order], values[order]
        bounds = np.flatnonzero(np.diff(k)) + 1
        for part_k, part_v in zip(np.split(k, bounds), np.split(v, bounds), strict=True):
            if len(part_k):
                p90.flat[part_k[0]] = np.percentile(part_v, 90.0)
    return by_type, by_client, total, p90


def _pct(values: np.ndarray) -> np.ndarray:
    return np.percentile(values, PERCENTILES) if len(values) else np.full(len(PERCENTILES), np.nan)
