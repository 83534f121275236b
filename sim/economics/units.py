"""What partner prices beyond inbound call time count: Care2Sale sales on calls, and the chats, work items and
outbound contacts and sales of agent groups. Pure numpy over the engine's records."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.engine.dialer import ATTEMPT_OUTCOMES
from sim.engine.layout import Layout
from sim.engine.records import ANSWERED, Records
from sim.scenario.campaigns import Campaign
from sim.scenario.schema import ChatType, WorkType

TASK_UNITS = ("chats", "items", "contacts", "sales", "revenue")
"""Per agent group and client: chats taken, work items finished, outbound right-party contacts, outbound sales
and their revenue."""
_RIGHT_PARTY = ATTEMPT_OUTCOMES.index("right_party")


def call_sales(part: Records, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Per call: (given a sales offer, sold): answered calls of a type with sales whose caller was offered, and of
    them those whose ``sale_draw`` lies below the conversion of the answering group's site."""
    c = part.callers
    offered = (part.outcome == ANSWERED) & c.offered
    site = np.asarray(layout.group_site, dtype=np.int64)[np.maximum(part.group.astype(np.int64), 0)]
    conversion = np.asarray(layout.conversion)[site, c.call_type.astype(np.int64)]
    return offered, offered & (c.sale_draw < conversion)


def task_units(records: Records, layout: Layout, first_interval: int) -> np.ndarray:
    """[groups, clients, TASK_UNITS] of one replication (a chat or work item counted by its arrival, an attempt by
    when it was dialled; those before ``first_interval``, the warm-up, left out)."""
    n_g, n_c = len(layout.group_names), len(layout.client_names)
    out = np.zeros((n_g, n_c, len(TASK_UNITS)))
    scenario = layout.scenario
    since = first_interval * scenario.run.interval

    def owners(tasks: Mapping[str, Campaign | WorkType | ChatType] | None) -> np.ndarray:
        names = [t.client for t in (tasks or {}).values()]
        return np.asarray([0 if n is None else layout.client_names.index(n) for n in names], dtype=np.int64)

    def add(unit: str, group: np.ndarray, client: np.ndarray, values: np.ndarray) -> None:
        taken = group >= 0
        cell = group[taken].astype(np.int64) * n_c + client[taken]
        out[:, :, TASK_UNITS.index(unit)] += np.bincount(cell, weights=values[taken].astype(float),
                                                         minlength=n_g * n_c).reshape(n_g, n_c)

    if records.chats is not None:
        ch = records.chats
        add("chats", ch.group, owners(scenario.chats)[ch.chat], ~np.isnan(ch.start_at) & (ch.arrival_at >= since))
    if records.items is not None:
        it = records.items
        add("items", it.group, owners(scenario.work)[it.work], ~np.isnan(it.end_at) & (it.arrival_at >= since))
    if records.attempts is not None:
        a = records.attempts
        client, kept = owners(scenario.campaigns)[a.campaign], a.dial_at >= since
        revenue = np.asarray([c.sale.revenue if c.sale else 0.0 for c in (scenario.campaigns or {}).values()])
        add("contacts", a.group, client, (a.outcome == _RIGHT_PARTY) & kept)
        add("sales", a.group, client, a.sale & kept)
        add("revenue", a.group, client, np.where(a.sale & kept, revenue[a.campaign], 0.0))
    return out
