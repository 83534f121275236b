"""Chats of one replication -> per-interval facts per chat type, and the time agents had chats. Pure numpy.

A chat counts in the interval in which it arrived; agents' busy time (at least one chat) and the chats' service
time are split exactly at interval boundaries. Intervals in the warm-up are zeroed, as for calls.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.spans import spans_by_interval
from sim.engine.chat import Chats
from sim.engine.layout import Layout

CHAT_FIELDS = ("offered", "answered", "answered_within", "abandoned", "abandoned_within", "wait_sum",
               "handle_sum", "finished", "service_time")
"""Per interval x chat type: chats started by customers; of them, taken by an agent, taken within the chat type's
service-level threshold, left by the customer in the queue (within the threshold), the waits of those taken (s),
and of those finished within the run their handle times (s, stretched) and count; ``service_time``, by time not
by arrival: the chat-seconds agents spent in the interval on the type's chats (from taken to finished, or to the
end of the run), the numerator of the concurrency, as the agents' chat time is its denominator."""


def chat_facts(chats: Chats, layout: Layout, first_interval: int) -> np.ndarray:
    """[len(CHAT_FIELDS), intervals, chat types], without the warm-up."""
    run = layout.scenario.run
    types = layout.scenario.chats or {}
    n_int, n = layout.n_intervals, len(types)
    out = np.zeros((len(CHAT_FIELDS), n_int, n))
    interval = np.minimum((chats.arrival_at // run.interval).astype(np.int64), n_int - 1)
    cell = interval * n + chats.chat
    taken = ~np.isnan(chats.start_at)
    wait = np.where(taken, chats.start_at, chats.end_at) - chats.arrival_at
    threshold = np.asarray([c.service_level.threshold for c in types.values()])[chats.chat]
    finished = taken & ~np.isnan(chats.end_at)
    columns = (np.ones(len(chats)), taken, taken & (wait <= threshold), chats.abandoned,
               chats.abandoned & (wait <= threshold), np.where(taken, wait, 0.0),
               np.where(finished, chats.end_at - chats.start_at, 0.0), finished)
    for f, values in enumerate(columns):
        out[f] = np.bincount(cell, weights=values, minlength=n_int * n).reshape(n_int, n)
    until = np.where(np.isnan(chats.end_at), layout.horizon + run.drain, chats.end_at)
    out[CHAT_FIELDS.index("service_time")] = spans_by_interval(chats.start_at[taken], until[taken],
                                                               chats.chat[taken].astype(np.int64), n, run.interval,
                                                               n_int)
    out[:, :first_interval, :] = 0.0
    return out


def chat_busy(chats: Chats, layout: Layout) -> np.ndarray:
    """[intervals, groups]: agent-seconds with at least one chat, split at interval boundaries."""
    b = chats.busy
    return spans_by_interval(b[:, 1], b[:, 2], b[:, 0].astype(np.int64), len(layout.group_names),
                             layout.scenario.run.interval, layout.n_intervals)
