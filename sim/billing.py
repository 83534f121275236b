"""What a replication costs, per client: in-house labour, partner invoices, penalties and credits, telephony. Pure.

Shared costs are split among clients by the scenario's ``cost_allocation`` key over the calls each cost object
handled: an agent group's labour over the calls it answered, a partner site's invoice over the calls its agents
answered. Telephony (and IVR minutes) are charged to the client of each call. Calls arriving in the warm-up are
left out; logged-in time comes from the facts (warm-up intervals already dropped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.costs import Usage, allocate, allocation_weights, billable_seconds, invoice, telephony_cost
from sim.layout import Layout
from sim.overflow import NONE, REFUSED, WAIT
from sim.records import ABANDONED, ANSWERED, BLOCKED, Records
from sim.scenario.contract import Contract

COMPONENTS = ("in_house_labour", "partner_fees", "penalties_credits", "telephony")
"""Cost components per client; penalties and credits paid by partners are negative."""


@dataclass(frozen=True)
class CostFacts:
    """One replication's costs: ``by_client[component, client]`` and each partner site's invoice items."""

    by_client: np.ndarray
    invoices: dict[str, dict[str, float]]


@dataclass(frozen=True)
class _Calls:
    """The per-call columns billing needs (calls after the warm-up only)."""

    client: np.ndarray
    call_type: np.ndarray
    group: np.ndarray
    answered: np.ndarray
    interval: np.ndarray
    handle: np.ndarray
    talk: np.ndarray
    wrap: np.ndarray
    wait: np.ndarray
    ivr: np.ndarray
    overflow: np.ndarray
    outcome: np.ndarray


def cost_facts(records: Records, layout: Layout, staffed: np.ndarray, first_interval: int) -> CostFacts:
    """Costs of one replication; ``staffed[interval, group]``: logged-in agent-seconds."""
    calls = _columns(records, layout, first_interval)
    out = np.zeros((len(COMPONENTS), len(layout.client_names)))
    _add_labour(out, calls, layout, staffed)
    invoices = {}
    for s, site in enumerate(layout.sites):
        if site.contract is not None:
            invoices[layout.site_names[s]] = _add_invoice(out, calls, layout, staffed, s, site.contract,
                                                          first_interval)
    _add_telephony(out, calls, layout)
    return CostFacts(out, invoices)


def _columns(records: Records, layout: Layout, first_interval: int) -> _Calls:
    c, run = records.callers, layout.scenario.run
    interval = np.minimum((c.arrival_at // run.interval).astype(np.int64), layout.n_intervals - 1)
    keep = interval >= first_interval
    group = records.group.astype(np.int64)
    factor = np.asarray(layout.handle_factors)[np.maximum(group, 0)]
    answered = records.outcome == ANSWERED
    wait = np.nan_to_num(records.wait, nan=0.0)
    return _Calls(
        client=np.asarray(layout.type_client)[c.call_type][keep], call_type=c.call_type[keep], group=group[keep],
        answered=answered[keep], interval=interval[keep],
        handle=np.where(answered, records.end_at - records.start_at, 0.0)[keep],
        talk=(c.talk_time * factor)[keep], wrap=(c.wrap_up_time * factor)[keep], wait=wait[keep],
        ivr=np.where(c.deflected | (records.outcome == ANSWERED) | (records.outcome == ABANDONED), c.ivr_time,
                     0.0)[keep],
        overflow=records.overflow[keep], outcome=records.outcome[keep])


def _split(out: np.ndarray, component: int, amount: float, layout: Layout, minutes: np.ndarray,
           calls: np.ndarray, eligible: np.ndarray) -> None:
    """Add ``amount`` to ``component``, split among the eligible clients by the scenario's allocation key."""
    if amount == 0.0 or not eligible.any():
        return
    names = [layout.client_names[c] for c in np.flatnonzero(eligible)]
    weights = allocation_weights(layout.scenario.cost_allocation,
                                 dict(zip(names, minutes[eligible].tolist(), strict=True)),
                                 dict(zip(names, calls[eligible].tolist(), strict=True)))
    for name, part in allocate(amount, weights).items():
        out[component, layout.client_names.index(name)] += part


def _handled_by(calls: _Calls, layout: Layout, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Handled minutes and calls per client among the answered calls selected by ``mask``."""
    n = len(layout.client_names)
    sel = calls.answered & mask
    return (np.bincount(calls.client[sel], weights=calls.handle[sel] / 60.0, minlength=n),
            np.bincount(calls.client[sel], minlength=n).astype(float))


def _clients_served(layout: Layout, groups: np.ndarray) -> np.ndarray:
    """Which clients have a call type that one of ``groups`` (indices) can serve."""
    served = np.zeros(len(layout.client_names), dtype=bool)
    for g in groups:
        for t in layout.skills[g]:
            served[layout.type_client[t]] = True
    return served


def _add_labour(out: np.ndarray, calls: _Calls, layout: Layout, staffed: np.ndarray) -> None:
    partner = layout.group_is_partner
    for g, group in enumerate(layout.groups):
        amount = float(staffed[:, g].sum()) / 3600.0 * group.cost_per_hour
        minutes, handled = _handled_by(calls, layout, calls.group == g)
        component = COMPONENTS.index("partner_fees" if partner[g] else "in_house_labour")
        _split(out, component, amount, layout, minutes, handled, _clients_served(layout, np.array([g])))


def _add_invoice(out: np.ndarray, calls: _Calls, layout: Layout, staffed: np.ndarray, s: int,
                 contract: Contract, first_interval: int) -> dict[str, float]:
    groups = np.flatnonzero(np.asarray(layout.group_site) == s)
    at_site = np.isin(calls.group, groups)
    mine = calls.answered & at_site
    after = np.asarray([w if math.isfinite(w) else 0.0 for w in _after_wait(layout)])
    partner_wait = np.maximum(calls.wait - np.where(calls.overflow == WAIT, after[calls.call_type], 0.0), 0.0)
    billable = billable_seconds(calls.talk[mine], calls.wrap[mine], partner_wait[mine], contract)
    n_int = layout.n_intervals
    threshold = contract.sla.threshold if contract.sla else layout.scenario.service_level.threshold
    types_here = _types_sent_to(layout, groups)
    abandoned_here = (calls.outcome == ABANDONED) & types_here[calls.call_type] & (
        (calls.overflow > NONE) & (calls.overflow < REFUSED) | _only_partner(layout, groups)[calls.call_type])
    rejected = types_here[calls.call_type] & ((calls.overflow == REFUSED) | (
        (calls.outcome == BLOCKED) & _only_partner(layout, groups)[calls.call_type]))
    run = layout.scenario.run
    usage = Usage(
        interval_start=np.arange(n_int) * run.interval, interval_length=run.interval,
        start_weekday=run.start_day.index,
        handled_calls=np.bincount(calls.interval[mine], minlength=n_int).astype(float),
        billable_seconds=np.bincount(calls.interval[mine], weights=billable, minlength=n_int),
        logged_in_seconds=staffed[:, groups].sum(axis=1),
        offered=float(mine.sum() + abandoned_here.sum()), answered=float(mine.sum()),
        answered_within=float((mine & (partner_wait <= threshold)).sum()),
        abandoned=float(abandoned_here.sum()), rejected=float(rejected.sum()),
        horizon_days=(n_int - first_interval) * run.interval / 86400.0)
    bill = invoice(contract, usage)
    minutes, handled = _handled_by(calls, layout, at_site)
    served = _clients_served(layout, groups)
    charges = math.fsum(v for v in bill.items.values() if v > 0)
    credits = math.fsum(v for v in bill.items.values() if v < 0)
    _split(out, COMPONENTS.index("partner_fees"), charges, layout, minutes, handled, served)
    _split(out, COMPONENTS.index("penalties_credits"), credits, layout, minutes, handled, served)
    return dict(bill.items)


def _after_wait(layout: Layout) -> list[float]:
    return [ct.overflow.after_wait if ct.overflow and ct.overflow.after_wait is not None else math.inf
            for ct in layout.call_types]


def _types_sent_to(layout: Layout, groups: np.ndarray) -> np.ndarray:
    """Call types some of ``groups`` can serve."""
    return np.array([any(t in layout.skills[g] for g in groups) for t in range(len(layout.type_names))])


def _only_partner(layout: Layout, groups: np.ndarray) -> np.ndarray:
    """Call types whose ordinary groups (overflow targets excluded) all belong to ``groups``."""
    mine = set(groups.tolist())
    out = []
    for t in range(len(layout.type_names)):
        ordinary = [g for g, s in enumerate(layout.skills) if t in s and g not in layout.overflow_groups[t]]
        out.append(bool(ordinary) and all(g in mine for g in ordinary))
    return np.asarray(out)


def _add_telephony(out: np.ndarray, calls: _Calls, layout: Layout) -> None:
    scenario, n = layout.scenario, len(layout.client_names)
    talk = np.bincount(calls.client, weights=np.where(calls.answered, calls.talk, 0.0), minlength=n)
    queue = np.bincount(calls.client, weights=calls.wait, minlength=n)
    ivr = np.bincount(calls.client, weights=calls.ivr, minlength=n)
    k = COMPONENTS.index("telephony")
    if scenario.telephony is not None:
        out[k] += [telephony_cost(scenario.telephony, talk[c], queue[c], ivr[c]) for c in range(n)]
    if scenario.ivr is not None and scenario.ivr.cost_per_minute:
        out[k] += ivr / 60.0 * scenario.ivr.cost_per_minute
