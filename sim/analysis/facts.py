"""Records of one replication -> compact per-interval facts (counts, sums, time integrals, wait percentiles).

Pure numpy. A call counts in the interval in which it arrived. Intervals that start before the warm-up ends are
dropped from every total (the warm-up is rounded up to an interval boundary). Time integrals (busy agents,
logged-in agents, queue length) are split exactly at interval boundaries. ``FactsSum`` sums records block by
block (a streamed run hands it each block as its calls finish); ``facts`` is the same over whole records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

import numpy as np

from sim.analysis.campaign_facts import CAMPAIGN_FIELDS, campaign_facts, outbound_busy
from sim.analysis.chat_facts import CHAT_FIELDS, chat_busy, chat_facts
from sim.analysis.spans import spans_by_interval
from sim.analysis.work_facts import AGE_PERCENTILES, WORK_FIELDS, work_busy, work_facts
from sim.economics.billing import CostFacts, CostSums
from sim.economics.units import call_sales, task_units
from sim.engine.layout import Layout
from sim.engine.overflow import NONE, REFUSED
from sim.engine.records import (
    ABANDONED,
    ANSWERED,
    BLOCK,
    BLOCKED,
    CALLBACK,
    CLOSED,
    DEFLECTED,
    IN_SYSTEM,
    UNREACHED,
    Records,
)
from sim.engine.repeats import CALLBACK as CALLBACK_LEG
from sim.engine.repeats import LEGS, REDIAL, REPEAT, TRANSFER

CALL_FIELDS = (
    "offered", "deflected", "blocked", "closed", "answered", "answered_within", "abandoned", "abandoned_short",
    "abandoned_within", "waited", "in_system", "wait_answered_sum", "wait_all_sum", "abandon_time_sum",
    "handle_sum", "talk_sum", "repeats", "redials", "overflowed", "overflow_refused", "answered_partner",
    "resolved_needs", "abandoned_transfer", "transferred", "callbacks",
    "transfer_legs", "transfer_answered", "transfer_answered_within", "transfer_abandoned", "transfer_blocked",
    "transfer_wait_sum", "transfer_handle_sum",
    "callback_legs", "callback_reached", "callback_unreached", "callback_within", "callback_delay_sum",
    "queue_area",
)
"""Per interval x call type. ``waited``: calls that reached the queue and waited > 0; ``*_sum`` in seconds;
``repeats``: repeat calls of unresolved earlier calls; ``redials``: callers calling again after abandoning or a
busy signal; ``overflowed``: calls sent to or taken by a partner under
an overflow rule; ``answered_partner``: answered by a partner site's agents; ``resolved_needs``: calls that ended
a customer need (answered and resolved, or deflected by self-service: each need ends so at most once);
``abandoned_transfer``: abandoned while being transferred to a partner agent (part of ``abandoned``);
``transferred``: answered calls passed on to another call type's queue (a transfer rule); ``callbacks``: callers
who accepted a call-back offer and hung up (their outcome: neither answered nor abandoned).
Every field up to here counts contacts: a call from outside, a repeat or a redial, by its first leg; only
``resolved_needs`` also counts a transfer or call-back leg that ends its need resolved (at the leg's type). The
``transfer_*`` fields count transfer legs, by the call type whose queue they join and the interval they join it
in: ``transfer_legs`` joined, then answered (within the type's threshold), abandoned, given a busy signal (queue
full), their waits and handle times. The ``callback_*`` fields count call-back legs by their call type and the
interval of the request: legs, called back and reached, called back and not reached, called back within the
offer's ``within``, and the time from request to call back of those called back. ``queue_area``: integral
of the number of waiting calls (transfer legs included) of the type over the interval (call-seconds); callers on
virtual hold are not on the line and not in it."""
GROUP_FIELDS = ("answered", "handle_sum", "busy_time", "staffed_time", "first_answered", "first_resolved",
                "wait_sum", "answered_within", "answered_on_line", "outbound_time", "work_time", "chat_time")
"""Per interval x agent group; ``staffed_time`` is the agent-seconds on shift within the interval (the schedule)
and ``busy_time`` the part of it spent on calls (or reserved for a call being transferred to it). The minutes an
agent spends finishing the call in hand after the shift ended count in neither, so occupancy shows no false 100 %
at shift ends; agent hours, labour cost and per-hour invoices are the scheduled hours. ``first_answered``: first
answered call of a need (no answered call before it in its chain of repeats and redials); ``first_resolved``:
those resolved on that call (first-contact resolution); ``answered_on_line``: answered calls whose caller waited
on the line (all but call-back legs); ``wait_sum``: their waiting time; ``answered_within``: those of them answered
within their call type's service-level threshold. ``outbound_time``, ``work_time`` and
``chat_time``: the part of ``busy_time`` spent on outbound attempts (``sim.analysis.campaign_facts``), on
deferrable work items (``sim.analysis.work_facts``) and with at least one chat (``sim.analysis.chat_facts``)."""
SALES_FIELDS = ("offers", "sales", "revenue")
"""Care2Sale, per call type x agent group (calls after the warm-up, every leg counted at its own type and group):
answered calls given a sales offer, offers that sold (``Callers.sale_draw`` below the conversion of the group's
site), and their revenue."""
PERCENTILES = (50.0, 80.0, 90.0, 95.0)
"""Percentiles of the waiting time of answered calls."""
WAIT_EDGES = np.concatenate((np.arange(0.0, 120.0), np.arange(120.0, 600.0, 5.0), np.arange(600.0, 3601.0, 60.0)))
"""Upper edges (s) of the waiting-time histogram of answered calls: bin 0 holds waits of exactly 0, bin j holds
WAIT_EDGES[j-1] < wait <= WAIT_EDGES[j], the last bin waits above one hour; so cumulative counts at WAIT_EDGES give
P(wait <= t) exactly at every edge (1 s steps to 2 min, 5 s to 10 min, 1 min to 1 h)."""


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
    wait_hist: np.ndarray  # [call types, len(WAIT_EDGES) + 1]: answered calls by wait (see WAIT_EDGES)
    costs: CostFacts  # cost components per client and partner invoices
    campaigns: np.ndarray  # [len(CAMPAIGN_FIELDS), intervals, campaigns]
    work: np.ndarray  # [len(WORK_FIELDS), intervals, work types]
    work_age_pct: np.ndarray  # [work types, len(AGE_PERCENTILES)]: age at answer, NaN where none was answered
    work_by_group: np.ndarray  # [work types, groups]: agent-seconds on each work type (after the warm-up)
    chats: np.ndarray  # [len(CHAT_FIELDS), intervals, chat types]
    sales: np.ndarray  # [len(SALES_FIELDS), call types, groups]


class FactsSum:
    """One replication's facts, summed block by block of records (``sim.engine.records.BLOCK`` calls, in call
    order, each block starting at a multiple of BLOCK): a run can hand its records over as they finish and free
    them. Answered waits of 0 s are only counted; the others are kept (8 bytes and a cell each) for the exact
    percentiles."""

    def __init__(self, layout: Layout):
        run = layout.scenario.run
        self.layout = layout
        self.first = int(np.ceil(run.warmup / run.interval - 1e-9))
        n_int, n_types = layout.n_intervals, len(layout.type_names)
        self.calls = np.zeros((len(CALL_FIELDS), n_int, n_types))
        self.groups = np.zeros((len(GROUP_FIELDS), n_int, len(layout.group_names)))
        self._cell_type = np.int32 if n_int * n_types < 2**31 else np.int64
        self._zeros = np.zeros(n_int * n_types, dtype=np.int64)
        """Answered waits of exactly 0 s per interval x call type."""
        self._waits: list[np.ndarray] = []
        self._cells: list[np.ndarray] = []
        self._hist = np.zeros((n_types, len(WAIT_EDGES) + 1))
        self.costs = CostSums(layout, self.first)
        self.sales = np.zeros((len(SALES_FIELDS), n_types, len(layout.group_names)))
        self._channels: Records | None = None
        """The records that carry the replication's campaigns, work items and chats (``Records.attempts`` ...)."""

    def add(self, records: Records, first_answer: np.ndarray) -> None:
        """Add the records of consecutive calls from a multiple of BLOCK on (``first_answer``: per call, whether no
        earlier call of its need was answered)."""
        layout, run, n_int, first = self.layout, self.layout.scenario.run, self.layout.n_intervals, self.first
        n_types = len(layout.type_names)
        if records.attempts is not None or records.items is not None or records.chats is not None:
            self._channels = records
        for lo in range(0, len(records.outcome), BLOCK):
            part = records.block(lo, lo + BLOCK)
            interval = np.minimum((part.callers.arrival_at // run.interval).astype(np.int64), n_int - 1)
            keep = interval >= first
            wait = part.wait
            _add_call_facts(self.calls, part, layout, interval, keep, wait)
            _add_group_facts(self.groups, part, layout, interval, keep, first_answer[lo:lo + BLOCK], wait)
            first_leg = ~np.isin(part.callers.repeat_kind, LEGS)  # percentiles of contacts' waits, as SL and ASA
            counted = (part.outcome == ANSWERED) & keep & first_leg
            types = part.callers.call_type[counted].astype(np.int64)
            cell = interval[counted] * n_types + types
            waits = wait[counted]
            zero = waits == 0.0
            self._zeros += np.bincount(cell[zero], minlength=len(self._zeros))
            self._waits.append(waits[~zero])
            self._cells.append(cell[~zero].astype(self._cell_type))
            self._hist += wait_histogram(waits, types, n_types)
            self.costs.add(part, wait)
            if layout.sells:
                self.sales += sales_facts(part, layout, keep)

    def finish(self, staff_log: np.ndarray) -> Facts:
        """The facts, given the run's staffing log (``Records.staff_log``)."""
        layout, calls, groups, first = self.layout, self.calls, self.groups, self.first
        channels = _channel_facts(groups, self._channels, layout, first)
        logged_in = logged_in_time(staff_log, layout)
        on_shift = scheduled_time(layout)
        groups[GROUP_FIELDS.index("busy_time")] -= np.maximum(logged_in - on_shift, 0.0)
        groups[GROUP_FIELDS.index("staffed_time")] = on_shift
        calls[:, :first, :] = 0.0
        groups[:, :first, :] = 0.0
        waits = np.concatenate([np.zeros(0), *self._waits])  # none without call types
        self._waits = []
        cells = np.concatenate([np.zeros(0, dtype=self._cell_type), *self._cells])
        self._cells = []
        return Facts(calls, groups, *_percentiles(waits, cells, self._zeros, layout), first_interval=first,
                     wait_hist=self._hist,
                     costs=self.costs.finish(groups[GROUP_FIELDS.index("staffed_time")],
                                             _task_time(groups, channels["work_by_group"], layout),
                                             None if self._channels is None else
                                             task_units(self._channels, layout, first)),
                     sales=self.sales, **channels)


def sales_facts(part: Records, layout: Layout, keep: np.ndarray) -> np.ndarray:
    """[SALES_FIELDS, call types, groups] of the calls of ``part`` (``keep``: arrived after the warm-up)."""
    offered, sold = call_sales(part, layout)
    offered &= keep
    sold &= keep
    types = part.callers.call_type.astype(np.int64)
    n_types, n_groups = len(layout.type_names), len(layout.group_names)
    cell = types * n_groups + np.maximum(part.group.astype(np.int64), 0)
    revenue = np.asarray(layout.sale_revenue)[types]
    n = n_types * n_groups
    return np.stack([cell_sums(cell, offered, n), cell_sums(cell, sold, n),
                     np.bincount(cell[sold], weights=revenue[sold], minlength=n)]).reshape(
        len(SALES_FIELDS), n_types, n_groups)


def _task_time(groups: np.ndarray, work_by_group: np.ndarray, layout: Layout) -> np.ndarray | None:
    """[groups, clients]: agent-seconds each client's campaigns, work items and chats took in each group (warm-up
    excluded: ``groups`` is already zeroed there); None without such work."""
    scenario = layout.scenario
    if not (scenario.campaigns or scenario.work or scenario.chats):
        return None
    out = np.zeros((len(layout.group_names), len(layout.client_names)))

    def owner(client: str | None) -> int:
        return 0 if client is None else layout.client_names.index(client)

    for field, tasks in (("outbound_time", scenario.campaigns), ("chat_time", scenario.chats)):
        time = groups[GROUP_FIELDS.index(field)].sum(axis=0)  # a group works one campaign and one chat type
        for task in (tasks or {}).values():
            for name in task.groups:
                g = layout.group_names.index(name)
                out[g, owner(task.client)] += time[g]
    for k, work in enumerate((scenario.work or {}).values()):
        out[:, owner(work.client)] += work_by_group[k]
    return out


def _channel_facts(groups: np.ndarray, records: Records | None, layout: Layout, first: int) -> dict[str, np.ndarray]:
    """The facts of outbound campaigns, work items and chats (the ``Facts`` fields); their agent time is added to
    the groups' busy time."""
    n_int, n_groups = layout.n_intervals, len(layout.group_names)
    scenario = layout.scenario
    n_camp, n_work, n_chat = len(scenario.campaigns or {}), len(scenario.work or {}), len(scenario.chats or {})
    out = {"campaigns": np.zeros((len(CAMPAIGN_FIELDS), n_int, n_camp)),
           "work": np.zeros((len(WORK_FIELDS), n_int, n_work)),
           "work_age_pct": np.full((n_work, len(AGE_PERCENTILES)), np.nan),
           "work_by_group": np.zeros((n_work, n_groups)), "chats": np.zeros((len(CHAT_FIELDS), n_int, n_chat))}
    if records is None:
        return out
    busy = groups[GROUP_FIELDS.index("busy_time")]
    if records.attempts is not None:
        out["campaigns"] = campaign_facts(records.attempts, layout, first)
        groups[GROUP_FIELDS.index("outbound_time")] = outbound_busy(records.attempts, layout)
        busy += groups[GROUP_FIELDS.index("outbound_time")]
    if records.items is not None:
        out["work"], out["work_age_pct"], out["work_by_group"] = work_facts(records.items, layout, first)
        groups[GROUP_FIELDS.index("work_time")] = work_busy(records.items, layout)
        busy += groups[GROUP_FIELDS.index("work_time")]
    if records.chats is not None:
        out["chats"] = chat_facts(records.chats, layout, first)
        groups[GROUP_FIELDS.index("chat_time")] = chat_busy(records.chats, layout)
        busy += groups[GROUP_FIELDS.index("chat_time")]
    return out


def facts(records: Records, layout: Layout) -> Facts:
    """Aggregate one replication's records."""
    total = FactsSum(layout)
    total.add(records, ~_after_answer(records.callers.repeat_kind, records.callers.repeat_of))
    return total.finish(records.staff_log)


def _add_call_facts(calls: np.ndarray, part: Records, layout: Layout, interval: np.ndarray, keep: np.ndarray,
                    wait: np.ndarray) -> None:
    n_int, n_types = calls.shape[1], calls.shape[2]
    cells = n_int * n_types

    def add(field: int, where: np.ndarray, values: np.ndarray) -> None:
        calls[field] += cell_sums(where, values, cells + 1)[:cells].reshape(n_int, n_types)

    cell = np.where(keep, interval * n_types + part.callers.call_type, cells)  # warm-up calls: a spare cell
    kind = part.callers.repeat_kind
    leg = np.isin(kind, LEGS)
    if not leg.any():  # the leg fields would add nothing; one column at a time: bounded temporary memory
        for f, values in enumerate(_call_columns(part, layout, wait)):
            add(f, cell, values)
    else:
        contact_cell, leg_cell = np.where(leg, cells, cell), np.where(leg, cell, cells)
        del cell
        columns = chain(((contact_cell, v) for v in _call_columns(part, layout, wait)),
                        ((np.where(kind == TRANSFER, leg_cell, cells), v) for v in _leg_columns(part, layout, wait)),
                        ((np.where(kind == CALLBACK_LEG, leg_cell, cells), v) for v in _callback_columns(part, layout)))
        for f, (where, values) in enumerate(columns):  # a field each, in order, up to (without) queue_area
            add(f, where, values)
        add(CALL_FIELDS.index("resolved_needs"), leg_cell, (part.outcome == ANSWERED) & resolved(part, layout))
    calls[-1] += _queue_area(part, layout, wait)


def cell_sums(cells: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """[n]: the sum of ``values`` per cell (``np.bincount`` with weights); a flag column is counted instead, the same
    numbers (sums of ones are exact) for less work, and one without a flag set adds nothing."""
    if values.dtype != np.bool_:
        return np.bincount(cells, weights=values, minlength=n)
    if not values.any():
        return np.zeros(n)
    return np.bincount(cells[values], minlength=n)


def _call_columns(records: Records, layout: Layout, wait: np.ndarray) -> Iterator[np.ndarray]:
    """The per-call values summed into CALL_FIELDS (all but queue_area), one array at a time."""
    sl, c, out = layout.scenario.service_level, records.callers, records.outcome
    ans, abd = out == ANSWERED, out == ABANDONED
    threshold = np.asarray(layout.sl_thresholds)[c.call_type]
    factor = np.asarray(layout.handle_factors)[np.maximum(records.group, 0)]
    yield np.ones(len(out), dtype=bool)
    yield out == DEFLECTED
    yield out == BLOCKED
    yield out == CLOSED
    yield ans
    yield ans & (wait <= threshold)
    yield abd
    yield abd & (wait <= sl.short_abandon)
    yield abd & (wait <= threshold)
    yield (ans | abd) & (wait > 0.0)
    yield out == IN_SYSTEM
    yield np.where(ans, wait, 0.0)
    yield np.where(ans | abd, wait, 0.0)
    yield np.where(abd, wait, 0.0)
    yield np.where(ans, records.end_at - records.start_at, 0.0)
    yield np.where(ans, c.talk_time * factor, 0.0)
    yield c.repeat_kind == REPEAT
    yield c.repeat_kind == REDIAL
    yield (records.overflow > NONE) & (records.overflow < REFUSED)
    yield records.overflow == REFUSED
    yield ans & np.asarray(layout.group_is_partner)[np.maximum(records.group, 0)]
    yield (ans & resolved(records, layout)) | (out == DEFLECTED)
    yield records.abandoned_in_transfer
    yield records.transferred
    yield out == CALLBACK


def _callback_columns(records: Records, layout: Layout) -> Iterator[np.ndarray]:
    """The per-leg values summed into the ``callback_*`` CALL_FIELDS, one array at a time."""
    out = records.outcome
    within = np.asarray([ct.callback.within if ct.callback else np.inf for ct in layout.call_types])
    delay = records.start_at - records.callers.arrival_at
    called = ~np.isnan(records.start_at)
    yield np.ones(len(out), dtype=bool)
    yield out == ANSWERED
    yield out == UNREACHED
    yield called & (delay <= within[records.callers.call_type])
    yield np.where(called, delay, 0.0)


def _leg_columns(records: Records, layout: Layout, wait: np.ndarray) -> Iterator[np.ndarray]:
    """The per-leg values summed into the ``transfer_*`` CALL_FIELDS, one array at a time."""
    out = records.outcome
    ans, abd = out == ANSWERED, out == ABANDONED
    yield np.ones(len(out), dtype=bool)
    yield ans
    yield ans & (wait <= np.asarray(layout.sl_thresholds)[records.callers.call_type])
    yield abd
    yield out == BLOCKED
    yield np.where(ans, wait, 0.0)
    yield np.where(ans, records.end_at - records.start_at, 0.0)


def resolved(records: Records, layout: Layout) -> np.ndarray:
    """Per call: whether it was left resolved by its agent group (meaningful for answered calls); a call passed on
    to another queue is not (its transfer leg may resolve the need)."""
    share = np.asarray([layout.sites[s].unresolved_share for s in layout.group_site], dtype=float)
    unresolved: np.ndarray = records.callers.resolution_draw < share[np.maximum(records.group, 0)]
    kept: np.ndarray = ~unresolved & ~records.transferred
    return kept


def _after_answer(kind: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Per call: whether an earlier call of its need was answered (a repeat, a transfer leg, or a redial or
    call-back leg of such a call)."""
    after: np.ndarray = (kind == REPEAT) | (kind == TRANSFER)
    redial = np.flatnonzero((kind == REDIAL) | (kind == CALLBACK_LEG))  # inherit from the call they continue
    while True:  # chains of redials are short: propagate until nothing changes
        new = after.copy()
        new[redial] |= after[origin[redial]]
        if np.array_equal(new, after):
            return after
        after = new


def _queue_area(records: Records, layout: Layout, wait: np.ndarray) -> np.ndarray:
    """Integral of queue length per interval x call type."""
    end = layout.horizon + layout.scenario.run.drain
    out = records.outcome
    never_served = (out == IN_SYSTEM) & np.isnan(records.start_at) & ~records.callers.deflected
    queued = ((out == ANSWERED) | (out == ABANDONED) | never_served) & (records.callers.repeat_kind != CALLBACK_LEG)
    enter = records.queue_at
    leave = np.where(never_served, np.maximum(end, enter), enter + np.nan_to_num(wait, nan=0.0))[queued]
    enter = enter[queued]
    run = layout.scenario.run
    return spans_by_interval(enter, leave, records.callers.call_type[queued], len(layout.type_names), run.interval,
                             layout.n_intervals)


def _add_group_facts(groups: np.ndarray, part: Records, layout: Layout, interval: np.ndarray,
                     keep: np.ndarray, first_answer: np.ndarray, all_waits: np.ndarray) -> None:
    run = layout.scenario.run
    n_int, n_groups = groups.shape[1], groups.shape[2]
    done = (part.outcome == ANSWERED) & keep
    cell = interval[done] * n_groups + part.group[done]
    handle = (part.end_at - part.start_at)[done]
    groups[0] += np.bincount(cell, minlength=n_int * n_groups).reshape(n_int, n_groups)
    groups[1] += np.bincount(cell, weights=handle, minlength=n_int * n_groups).reshape(n_int, n_groups)
    first = first_answer[done]
    on_line = part.callers.repeat_kind[done] != CALLBACK_LEG  # a call-back leg's wait is not on the line
    wait = np.where(on_line, all_waits[done], 0.0)
    within = on_line & (wait <= np.asarray(layout.sl_thresholds)[part.callers.call_type[done]])
    for f, values in (("first_answered", first), ("first_resolved", first & resolved(part, layout)[done]),
                      ("wait_sum", wait), ("answered_within", within), ("answered_on_line", on_line)):
        groups[GROUP_FIELDS.index(f)] += cell_sums(cell, values, n_int * n_groups).reshape(n_int, n_groups)
    del cell, handle, first, on_line, wait, within  # the busy time's spans need room of their own
    busy_from = part.busy_from
    served = ~np.isnan(busy_from)
    start = busy_from[served]
    del busy_from
    stop = np.where(np.isnan(part.end_at), layout.horizon + run.drain, part.end_at)[served]
    groups[2] += spans_by_interval(start, stop, part.group[served].astype(np.int64), n_groups, run.interval, n_int)


def scheduled_time(layout: Layout) -> np.ndarray:
    """Agent-seconds on shift per interval x group, from the shift calendar."""
    edges = np.arange(layout.n_intervals + 1) * layout.scenario.run.interval
    out = np.zeros((layout.n_intervals, len(layout.group_names)))
    for g, steps in enumerate(layout.staffing):
        times = np.array([t for t, _ in steps], dtype=float)
        levels = np.array([n for _, n in steps], dtype=float)
        out[:, g] = step_area(times, np.diff(levels, prepend=0.0), edges)
    return out


def logged_in_time(log: np.ndarray, layout: Layout) -> np.ndarray:
    """Agent-seconds logged in per interval x group, from the staffing log: the schedule plus the time agents
    whose shift ended spent finishing the call in hand."""
    edges = np.arange(layout.n_intervals + 1) * layout.scenario.run.interval
    out = np.zeros((layout.n_intervals, len(layout.group_names)))
    for g in range(len(layout.group_names)):
        rows = log[log[:, 1] == g]
        out[:, g] = step_area(rows[:, 0], rows[:, 2], edges)
    return out


def step_area(times: np.ndarray, deltas: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Integral over each [edges[j], edges[j+1]] of the step function that jumps by ``deltas`` at ``times``."""
    order = np.argsort(times, kind="stable")
    t, d = times[order], deltas[order]
    level, moment = np.concatenate(([0.0], np.cumsum(d))), np.concatenate(([0.0], np.cumsum(d * t)))
    k = np.searchsorted(t, edges, side="right")
    cumulative = edges * level[k] - moment[k]  # integral of the level from -inf to each edge
    return np.diff(cumulative)


def _percentiles(waits: np.ndarray, cells: np.ndarray, zeros: np.ndarray,
                 layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Wait percentiles of answered calls per call type, client and overall; p90 per interval x type. ``waits``:
    the waits other than 0 s, ``cells`` their interval x call type; ``zeros``: waits of 0 s per cell. One grouping
    at a time: the temporary memory is a few arrays of the waits' length."""
    n_types, n_int = len(layout.type_names), layout.n_intervals
    order = np.argsort(waits, kind="stable")
    w = waits[order]
    del waits
    c = cells[order]
    del order, cells
    zeros_by_type = zeros.reshape(n_int, n_types)
    type_zeros = zeros_by_type.sum(axis=0)
    client = np.asarray(layout.type_client, dtype=np.int64)
    n_clients = len(layout.client_names)
    q = np.asarray(PERCENTILES)
    by_type = segment_percentiles(c % n_types, w, n_types, q, type_zeros)
    client_zeros = np.bincount(client, weights=type_zeros, minlength=n_clients).astype(np.int64)
    by_client = segment_percentiles(client[c % n_types], w, n_clients, q, client_zeros)
    total = segment_percentiles(np.zeros(len(w), dtype=np.int64), w, 1, q, type_zeros.sum(keepdims=True))[0]
    p90 = np.empty((n_int, n_types + 1))
    p90[:, :n_types] = segment_percentiles(c, w, n_int * n_types, np.array([90.0]), zeros).reshape(n_int, n_types)
    p90[:, n_types] = segment_percentiles(c // n_types, w, n_int, np.array([90.0]), zeros_by_type.sum(axis=1))[:, 0]
    return by_type, by_client, total, p90


def wait_histogram(answered_wait: np.ndarray, types: np.ndarray, n_types: int) -> np.ndarray:
    """[n_types, len(WAIT_EDGES) + 1]: answered calls (non-NaN waits) per call type and WAIT_EDGES bin."""
    ok = ~np.isnan(answered_wait)
    bins = np.searchsorted(WAIT_EDGES, answered_wait[ok], side="left")
    width = len(WAIT_EDGES) + 1
    cells = types[ok].astype(np.int64) * width + bins
    return np.bincount(cells, minlength=n_types * width).reshape(n_types, width).astype(float)


def segment_percentiles(keys: np.ndarray, values: np.ndarray, n_keys: int, q: np.ndarray,
                        zeros: np.ndarray | None = None) -> np.ndarray:
    """Percentiles ``q`` (linear interpolation, as numpy's default) of ``values`` grouped by integer ``keys``, each
    group with ``zeros[key]`` more values of 0 that ``values`` leaves out (none if not given).

    ``values`` must be sorted ascending; returns [n_keys, len(q)], NaN for empty groups.
    """
    if n_keys == 1:
        v = values
    else:
        order = np.argsort(keys, kind="stable")  # stable: values stay sorted within each key
        v = values[order]
        del order
    given = np.bincount(keys, minlength=n_keys)
    zero = np.zeros(n_keys, dtype=np.int64) if zeros is None else zeros
    below = np.bincount(keys[values < 0.0], minlength=n_keys)  # values before the zeros of their group
    counts = given + zero
    starts = np.concatenate(([0], np.cumsum(given)[:-1]))
    h = (q[None, :] / 100.0) * np.maximum(counts - 1, 0)[:, None]
    lo = np.floor(h).astype(np.int64)
    frac = h - lo
    hi = np.minimum(lo + 1, np.maximum(counts - 1, 0)[:, None])
    ok = counts > 0
    padded = np.concatenate((v, [0.0]))  # the last entry stands in where a zero is meant

    def value(rank: np.ndarray) -> np.ndarray:
        """The ``rank``-th value of each group, its zeros counted in."""
        neg, z = below[:, None], zero[:, None]
        index = starts[:, None] + np.where(rank < neg, rank, rank - z)
        return np.asarray(np.where((rank >= neg) & (rank < neg + z), 0.0, padded[np.clip(index, 0, len(v))]))

    a, b = value(lo), value(hi)
    out = np.full((n_keys, len(q)), np.nan)
    out[ok] = a[ok] + frac[ok] * (b[ok] - a[ok])
    return out
