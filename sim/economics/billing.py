"""What a replication costs, per client: in-house labour, partner invoices, penalties and credits, telephony. Pure.

Shared costs are split among clients by the scenario's ``cost_allocation`` key over the calls each cost object
handled: an agent group's labour over the calls it answered, a partner site's invoice over the calls its agents
answered. Telephony (and IVR minutes) are charged to the client of each call. Calls arriving in the warm-up are
left out; logged-in time comes from the facts (warm-up intervals already dropped). Per-call work is summed block
by block (the sums are all a bill needs; ``CostSums``), so a run can hand its records over as they finish.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.economics.costs import Invoice, Usage, allocate, allocation_weights, billable_seconds, invoice, telephony_cost
from sim.economics.units import TASK_UNITS, call_sales
from sim.engine.layout import Layout
from sim.engine.overflow import NONE, REFUSED, WAIT
from sim.engine.records import ABANDONED, ANSWERED, BLOCK, BLOCKED, CALLBACK, DEFLECTED, Records
from sim.engine.repeats import CALLBACK as CALLBACK_LEG

COMPONENTS = ("in_house_labour", "partner_fees", "penalties_credits", "telephony", "task_team_labour",
              "partner_task_fees")
"""Cost components per client; penalties and credits paid by partners are negative. ``task_team_labour``: the
labour of in-house groups that take no inbound calls (outbound, back-office and chat teams), billed to the clients
whose campaigns, work items or chats they take; ``partner_task_fees``: what partners charge for such work (its
unit prices, and the share of their time-based charges that the work's agent time took); the cost per call KPIs
leave both out (``inbound_cost``)."""
INBOUND = [k for k, c in enumerate(COMPONENTS) if c not in ("task_team_labour", "partner_task_fees")]
"""The components that inbound calls cost."""


@dataclass(frozen=True)
class CostFacts:
    """One replication's costs: ``by_client[component, client]`` and each partner site's invoice items."""

    by_client: np.ndarray
    invoices: dict[str, dict[str, float]]
    lines: dict[tuple[str, str], Invoice] = field(default_factory=dict)
    """Each invoice as billed: (site, client or 'all' when billed per site) -> the invoice with its terms."""
    site_counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    """[S, 4] per site (partner sites only, else 0): answered, answered within the contract's SLA threshold,
    abandoned there, rejected."""


@dataclass
class _Sums:
    """Per-call work summed over the calls after the warm-up (S sites, G groups, C clients, I intervals)."""

    handled_minutes: np.ndarray  # [G, C]
    handled_calls: np.ndarray  # [G, C]
    site_calls: np.ndarray  # [S, C, I] handled calls by client and interval of arrival
    site_billable: np.ndarray  # [S, C, I] billable seconds (each site's contract rules)
    site_scalars: np.ndarray  # [S, C, 4]: answered, answered within the SLA threshold, abandoned there, rejected
    line_seconds: np.ndarray  # [3, C]: talk, queue and IVR seconds per client
    site_sales: np.ndarray  # [S, C, 2]: Care2Sale sales on calls the site's agents answered, and their revenue


class CostSums:
    """One replication's costs, summed block by block of records (each block starting at a multiple of
    ``sim.engine.records.BLOCK``)."""

    def __init__(self, layout: Layout, first_interval: int):
        n_g, n_c, n_s, n_i = len(layout.groups), len(layout.client_names), len(layout.site_names), layout.n_intervals
        self.layout = layout
        self.first_interval = first_interval
        self.priced = _prices_anything(layout)
        self.sums = _Sums(np.zeros((n_g, n_c)), np.zeros((n_g, n_c)), np.zeros((n_s, n_c, n_i)),
                          np.zeros((n_s, n_c, n_i)), np.zeros((n_s, n_c, 4)), np.zeros((3, n_c)),
                          np.zeros((n_s, n_c, 2)))

    def add(self, records: Records, wait: np.ndarray | None = None) -> None:
        """Add the records of consecutive calls from a multiple of BLOCK on (``wait``: their ``Records.wait``, if
        already computed)."""
        if self.priced:
            for lo in range(0, len(records.outcome), BLOCK):
                part = records.block(lo, lo + BLOCK)
                _add_block(self.sums, part, self.layout, self.first_interval,
                           part.wait if wait is None else wait[lo:lo + BLOCK])

    def finish(self, staffed: np.ndarray, task_time: np.ndarray | None = None,
               tasks: np.ndarray | None = None) -> CostFacts:
        """The costs, given ``staffed[interval, group]``: agent-seconds on shift, ``task_time[group, client]``:
        agent-seconds each client's campaigns, work items and chats took in each group, and ``tasks[group, client,
        TASK_UNITS]``: what they did there (``sim.economics.units.task_units``; None: no such work)."""
        layout, sums, first_interval = self.layout, self.sums, self.first_interval
        n_g, n_c = len(layout.group_names), len(layout.client_names)
        work = _Tasks(np.zeros((n_g, n_c)) if task_time is None else task_time,
                      np.zeros((n_g, n_c, len(TASK_UNITS))) if tasks is None else tasks)
        out = np.zeros((len(COMPONENTS), n_c))
        _add_labour(out, sums, layout, staffed, work)
        invoices = {}
        lines: dict[tuple[str, str], Invoice] = {}
        for s, site in enumerate(layout.sites):
            if site.contract is not None:
                invoices[layout.site_names[s]] = _add_invoice(out, sums, work, layout, staffed, s, first_interval,
                                                              lines)
        _add_telephony(out, sums, layout)
        return CostFacts(out, invoices, lines, sums.site_scalars.sum(axis=1))


@dataclass(frozen=True)
class _Tasks:
    """What campaigns, work items and chats did per group and client: agent-seconds (``time[G, C]``) and units
    (``units[G, C, TASK_UNITS]``)."""

    time: np.ndarray
    units: np.ndarray

    def unit(self, name: str) -> np.ndarray:
        return np.asarray(self.units[:, :, TASK_UNITS.index(name)])


def _prices_anything(layout: Layout) -> bool:
    s = layout.scenario
    return (any(g.cost_per_hour for g in layout.groups) or any(site.contract for site in layout.sites)
            or s.telephony is not None or bool(s.ivr and s.ivr.cost_per_minute))


def _add_block(sums: _Sums, part: Records, layout: Layout, first_interval: int, waits: np.ndarray) -> None:
    c, run = part.callers, layout.scenario.run
    interval = np.minimum((c.arrival_at // run.interval).astype(np.int64), layout.n_intervals - 1)
    keep = interval >= first_interval
    client = np.asarray(layout.type_client, dtype=np.int64)[c.call_type]
    group = part.group.astype(np.int64)
    answered = (part.outcome == ANSWERED) & keep
    handle = np.where(answered, part.end_at - part.start_at, 0.0)
    on_line = c.repeat_kind != CALLBACK_LEG  # a call-back leg waits off the line (virtual hold)
    wait = np.nan_to_num(waits, nan=0.0) * keep * on_line
    n_c = sums.handled_calls.shape[1]
    cell = np.maximum(group, 0) * n_c + client
    size = sums.handled_calls.size
    sums.handled_minutes += np.bincount(cell[answered], weights=handle[answered] / 60.0, minlength=size).reshape(
        sums.handled_calls.shape)
    sums.handled_calls += np.bincount(cell[answered], minlength=size).reshape(sums.handled_calls.shape)
    factor = np.asarray(layout.handle_factors)[np.maximum(group, 0)]
    talk = np.where(answered, c.talk_time * factor, 0.0)
    ivr = np.where(_passed_ivr(part) & keep, c.ivr_time, 0.0)
    for k, values in enumerate((talk, wait, ivr)):
        sums.line_seconds[k] += np.bincount(client, weights=values, minlength=n_c)
    for s, site in enumerate(layout.sites):
        if site.contract is not None:
            _add_site_block(sums, s, part, layout, client, interval, keep, answered, talk, c.wrap_up_time * factor,
                            wait)
    if layout.sells:  # Care2Sale sales per answering partner site and client
        sold = call_sales(part, layout)[1] & keep
        revenue = np.where(sold, np.asarray(layout.sale_revenue)[c.call_type], 0.0)
        at = np.asarray(layout.group_site)[np.maximum(group, 0)]
        for s in (s for s, one in enumerate(layout.sites) if one.contract is not None):
            here = sold & (at == s)
            sums.site_sales[s, :, 0] += np.bincount(client[here], minlength=n_c)
            sums.site_sales[s, :, 1] += np.bincount(client[here], weights=revenue[here], minlength=n_c)


def _passed_ivr(part: Records) -> np.ndarray:
    """Calls that spent their IVR time on a line: answered, abandoned, served by self-service, offered a call back
    (and accepted), or given a busy
    signal at a full queue after the IVR (not those that found the center closed or every line busy)."""
    outcome = part.outcome
    after_ivr = (outcome == BLOCKED) & (part.end_at > part.callers.arrival_at)
    return np.asarray(np.isin(outcome, (ANSWERED, ABANDONED, DEFLECTED, CALLBACK)) | after_ivr)


def _add_site_block(sums: _Sums, s: int, part: Records, layout: Layout, client: np.ndarray, interval: np.ndarray,
                    keep: np.ndarray, answered: np.ndarray, talk: np.ndarray, wrap: np.ndarray,
                    wait: np.ndarray) -> None:
    contract = layout.sites[s].contract
    assert contract is not None
    groups = np.flatnonzero(np.asarray(layout.group_site) == s)
    t = part.callers.call_type
    mine = answered & np.isin(part.group, groups)
    after = np.asarray([ct.overflow.after_wait if ct.overflow and ct.overflow.after_wait is not None else 0.0
                        for ct in layout.call_types])
    partner_wait = np.maximum(wait - np.where(part.overflow == WAIT, after[t], 0.0), 0.0)
    billable = billable_seconds(talk[mine], wrap[mine], partner_wait[mine], contract)
    n_c, n_i = sums.site_calls.shape[1:]
    cell = client * n_i + interval
    sums.site_calls[s] += np.bincount(cell[mine], minlength=n_c * n_i).reshape(n_c, n_i)
    sums.site_billable[s] += np.bincount(cell[mine], weights=billable, minlength=n_c * n_i).reshape(n_c, n_i)
    threshold = contract.sla.threshold if contract.sla else layout.scenario.service_level.threshold
    served, only_here = _types_served(layout, groups), _only_here(layout, groups)
    sent = (part.overflow > NONE) & (part.overflow < REFUSED)
    abandoned = keep & (part.outcome == ABANDONED) & served[t] & (sent | only_here[t])
    rejected = keep & served[t] & ((part.overflow == REFUSED) | ((part.outcome == BLOCKED) & only_here[t]))
    inbound = mine & (part.callers.repeat_kind != CALLBACK_LEG)  # the SLA measures callers answered on the line
    for k, flags in enumerate((inbound, inbound & (partner_wait <= threshold), abandoned, rejected)):
        sums.site_scalars[s, :, k] += np.bincount(client[flags], minlength=n_c)


def _types_served(layout: Layout, groups: np.ndarray) -> np.ndarray:
    """Call types some of ``groups`` can serve."""
    return np.array([any(t in layout.skills[g] for g in groups) for t in range(len(layout.type_names))])


def _only_here(layout: Layout, groups: np.ndarray) -> np.ndarray:
    """Call types whose ordinary groups (overflow targets excluded) all belong to ``groups``."""
    mine = set(groups.tolist())
    out = []
    for t in range(len(layout.type_names)):
        ordinary = [g for g, s in enumerate(layout.skills) if t in s and g not in layout.overflow_groups[t]]
        out.append(bool(ordinary) and all(g in mine for g in ordinary))
    return np.asarray(out)


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


def _clients_served(layout: Layout, groups: np.ndarray) -> np.ndarray:
    """Which clients have a call type that one of ``groups`` (indices) can serve."""
    served = np.zeros(len(layout.client_names), dtype=bool)
    for g in groups:
        for t in layout.skills[g]:
            served[layout.type_client[t]] = True
    return served


def _add_labour(out: np.ndarray, sums: _Sums, layout: Layout, staffed: np.ndarray, tasks: _Tasks) -> None:
    """Each group's scheduled hours at its cost per hour, split among the clients it serves by the allocation key
    (at a partner: over their calls and tasks, ``_weights``); an in-house group that takes no calls (a task team)
    split by the time its clients' tasks took there."""
    partner = layout.group_is_partner
    for g, group in enumerate(layout.groups):
        amount = float(staffed[:, g].sum()) / 3600.0 * group.cost_per_hour
        minutes, calls = _weights(sums, tasks, [g])
        eligible = _clients_served(layout, np.array([g])) | _task_owners(layout, g)
        if partner[g]:
            _split_partner(out, amount, layout, minutes, calls, eligible, _task_share(tasks, [g], minutes))
            continue
        if group.skills:  # a blended team: its tasks' clients pay their share too (it stays in-house labour)
            _split(out, COMPONENTS.index("in_house_labour"), amount, layout, minutes, calls, eligible)
            continue
        owners = _task_owners(layout, g)
        used = tasks.time[g]
        if amount == 0.0 or not owners.any():
            continue
        names = [layout.client_names[c] for c in np.flatnonzero(owners)]
        weights = dict(zip(names, used[owners].tolist(), strict=True))  # all 0 (no task done): an equal split
        for name, part in allocate(amount, weights).items():
            out[COMPONENTS.index("task_team_labour"), layout.client_names.index(name)] += part


def _task_share(tasks: _Tasks, groups: list[int] | np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """Per client: the share of its minutes with ``groups`` (``_weights``) that went to its tasks (0 without
    minutes)."""
    task = tasks.time[groups].sum(axis=0) / 60.0
    return np.asarray(np.divide(task, minutes, out=np.zeros(len(minutes)), where=minutes > 0))


def _split_partner(out: np.ndarray, amount: float, layout: Layout, minutes: np.ndarray, calls: np.ndarray,
                   eligible: np.ndarray, task_share: np.ndarray) -> None:
    """Add a partner's time-based ``amount``, split among the eligible clients by the allocation key, each
    client's part into ``partner_task_fees`` by its ``task_share`` and the rest into ``partner_fees``."""
    parts = np.zeros((1, len(layout.client_names)))
    _split(parts, 0, amount, layout, minutes, calls, eligible)
    out[COMPONENTS.index("partner_fees")] += parts[0] * (1.0 - task_share)
    out[COMPONENTS.index("partner_task_fees")] += parts[0] * task_share


def _unit_charges(layout: Layout, sums: _Sums, tasks: _Tasks, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Per client, what site ``s``'s contract charges per unit: (for sales offers on inbound calls, for tasks:
    chats, work items, outbound contacts and sales). Together they are the invoice's items ``sales``,
    ``revenue_share``, ``chats``, ``items`` and ``contacts``, each charged to the client whose work it was."""
    contract = layout.sites[s].contract
    assert contract is not None
    groups = np.flatnonzero(np.asarray(layout.group_site) == s)

    def price(key: str) -> float:
        value = getattr(contract, key)
        return 0.0 if value is None else float(value)

    def done(unit: str) -> np.ndarray:
        return np.asarray(tasks.unit(unit)[groups].sum(axis=0))

    inbound = price("per_sale") * sums.site_sales[s, :, 0] + price("revenue_share") * sums.site_sales[s, :, 1]
    task = (price("per_chat") * done("chats") + price("per_item") * done("items")
            + price("per_contact") * done("contacts") + price("per_sale") * done("sales")
            + price("revenue_share") * done("revenue"))
    return inbound, task


def _weights(sums: _Sums, tasks: _Tasks, groups: list[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per client, over ``groups``: (handled minutes, handled contacts) of calls and tasks together, the
    allocation key's weights of a partner's cost (minutes with its agents; calls, chats, work items and outbound
    right-party contacts)."""
    minutes = sums.handled_minutes[groups].sum(axis=0) + tasks.time[groups].sum(axis=0) / 60.0
    contacts = sum((tasks.unit(u)[groups].sum(axis=0) for u in ("chats", "items", "contacts")),
                   np.zeros(len(minutes)))
    return minutes, sums.handled_calls[groups].sum(axis=0) + contacts


def _task_owners(layout: Layout, g: int) -> np.ndarray:
    """The clients whose campaigns, work items or chats group ``g`` takes (for a group that takes no calls)."""
    owners = np.zeros(len(layout.client_names), dtype=bool)
    scenario, name = layout.scenario, layout.group_names[g]
    tasks = [(c.groups, c.client) for c in (scenario.campaigns or {}).values()]
    tasks += [(w.groups, w.client) for w in (scenario.work or {}).values()]
    tasks += [(c.groups, c.client) for c in (scenario.chats or {}).values()]
    for groups, client in tasks:
        if name in groups:
            owners[0 if client is None else layout.client_names.index(client)] = True
    return owners


def inbound_cost(money: np.ndarray) -> np.ndarray:
    """``money[..., component]`` -> what inbound calls cost (every component but those of tasks)."""
    return np.asarray(money[..., INBOUND].sum(axis=-1))


CALL_ITEMS = ("minutes", "calls", "minimum_volume", "surcharges")
"""Invoice items driven by the partner's calls (per minute, per call and their surcharges and minimum volume):
charged to the clients whose calls they are, by the allocation key over calls alone, as ``partner_fees``."""


def _add_invoice(out: np.ndarray, sums: _Sums, tasks: _Tasks, layout: Layout, staffed: np.ndarray, s: int,
                 first_interval: int, lines: dict[tuple[str, str], Invoice]) -> dict[str, float]:
    """Bill partner site ``s``: one invoice split among its clients, or (``bill_per_client``) one per client,
    each with the client's own calls and tasks and its share (by handled minutes) of the logged-in hours. Unit
    charges go to the client whose work they priced (``_unit_charges``), call charges (``CALL_ITEMS``) to the
    clients of the calls, the rest (time and fees) by the allocation key over calls and tasks, each client's part
    of it into ``partner_task_fees`` by the share of its minutes its tasks took."""
    site = layout.sites[s]
    groups = np.flatnonzero(np.asarray(layout.group_site) == s)
    minutes, calls = _weights(sums, tasks, groups)
    share = _task_share(tasks, groups, minutes)
    inbound_units, task_units = _unit_charges(layout, sums, tasks, s)
    callers = _clients_served(layout, groups)
    served = callers.copy()
    for g in groups:
        served |= _task_owners(layout, int(g))
    logged_in = staffed[:, groups].sum(axis=1)
    name = layout.site_names[s]
    fees, task_fees = COMPONENTS.index("partner_fees"), COMPONENTS.index("partner_task_fees")
    call_minutes, call_counts = sums.handled_minutes[groups].sum(axis=0), sums.handled_calls[groups].sum(axis=0)
    if not site.bill_per_client:
        billed = _invoice(layout, sums, tasks, s, slice(None), logged_in, first_interval)
        lines[name, "all"] = billed
        bill = billed.items
        by_calls = _call_charges(bill)
        out[fees] += inbound_units
        out[task_fees] += task_units
        _split(out, fees, by_calls, layout, call_minutes, call_counts, callers)
        rest = _rest(_charges(bill), inbound_units.sum() + task_units.sum() + by_calls)
        _split_partner(out, rest, layout, minutes, calls, served, share)
        _split(out, COMPONENTS.index("penalties_credits"), _credits(bill), layout, minutes, calls, served)
        return bill
    clients = np.flatnonzero(served)
    shares = allocate(1.0, allocation_weights("handled_minutes", {str(c): minutes[c] for c in clients},
                                              {str(c): calls[c] for c in clients}))
    items: dict[str, float] = {}
    for c in clients:
        billed = _invoice(layout, sums, tasks, s, [int(c)], logged_in * shares[str(c)], first_interval)
        lines[name, layout.client_names[int(c)]] = billed
        bill = billed.items
        by_calls = _call_charges(bill)
        rest = _rest(_charges(bill), inbound_units[c] + task_units[c] + by_calls)
        out[fees, c] += inbound_units[c] + by_calls + rest * (1.0 - share[c])
        out[task_fees, c] += task_units[c] + rest * share[c]
        out[COMPONENTS.index("penalties_credits"), c] += _credits(bill)
        items = {k: items.get(k, 0.0) + v for k, v in bill.items()}
    return items


def _call_charges(items: dict[str, float]) -> float:
    return math.fsum(v for k, v in items.items() if k in CALL_ITEMS and v > 0)


def _invoice(layout: Layout, sums: _Sums, tasks: _Tasks, s: int, clients: slice | list[int], logged_in: np.ndarray,
             first_interval: int) -> Invoice:
    """The invoice of site ``s`` for the calls and tasks of ``clients``."""
    contract = layout.sites[s].contract
    assert contract is not None
    answered, within, abandoned, rejected = sums.site_scalars[s, clients].sum(axis=0).tolist()
    groups = np.flatnonzero(np.asarray(layout.group_site) == s)
    done = {u: float(tasks.unit(u)[groups][:, clients].sum()) for u in TASK_UNITS}
    sold, revenue = sums.site_sales[s, clients].sum(axis=0).tolist()
    run = layout.scenario.run
    usage = Usage(
        interval_start=np.arange(layout.n_intervals) * run.interval, interval_length=run.interval,
        start_weekday=run.start_day.number, handled_calls=sums.site_calls[s, clients].sum(axis=0),
        billable_seconds=sums.site_billable[s, clients].sum(axis=0), logged_in_seconds=logged_in,
        offered=answered + abandoned, answered=answered, answered_within=within, abandoned=abandoned,
        rejected=rejected, horizon_days=(layout.n_intervals - first_interval) * run.interval / 86400.0,
        sales=sold + done["sales"], revenue=revenue + done["revenue"], chats=done["chats"], items=done["items"],
        contacts=done["contacts"])
    return invoice(contract, usage)


def _rest(charges: float, units: float) -> float:
    """The charges beyond the unit charges (0 where only rounding is left)."""
    rest = charges - units
    return 0.0 if abs(rest) <= 1e-9 * max(1.0, abs(charges)) else rest


def _charges(items: dict[str, float]) -> float:
    return math.fsum(v for v in items.values() if v > 0)


def _credits(items: dict[str, float]) -> float:
    return math.fsum(v for v in items.values() if v < 0)


def _add_telephony(out: np.ndarray, sums: _Sums, layout: Layout) -> None:
    scenario = layout.scenario
    talk, queue, ivr = sums.line_seconds
    k = COMPONENTS.index("telephony")
    if scenario.telephony is not None:
        out[k] += [telephony_cost(scenario.telephony, talk[c], queue[c], ivr[c]) for c in range(len(talk))]
    if scenario.ivr is not None and scenario.ivr.cost_per_minute:
        out[k] += ivr / 60.0 * scenario.ivr.cost_per_minute
