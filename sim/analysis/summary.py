"""RunResult -> KPI tables: per call type, client, agent group and total; per day; per interval. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from sim.analysis.campaign_kpis import campaign_kpis, campaign_sums
from sim.analysis.chat_kpis import chat_kpis
from sim.analysis.experiment import RunResult
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS, SALES_FIELDS, WAIT_EDGES
from sim.analysis.risk import Spread, risk_rows
from sim.analysis.sales_kpis import sales_by_cell, sales_kpis
from sim.analysis.stats import (
    Estimate,
    call_kpis,
    group_kpis,
    handled_calls,
    mean_estimate,
    percentile_kpis,
    ratio_estimate,
)
from sim.analysis.work_kpis import work_kpis
from sim.economics.billing import COMPONENTS, inbound_cost
from sim.economics.costs import LABELS
from sim.engine.layout import Layout
from sim.scenario.contract import SLACredit
from sim.scenario.schema import Scenario
from sim.units import DAY, format_clock

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class KpiRow:
    """KPIs of one slice: ``level`` is total, client, call_type, group, site or day."""

    level: str
    name: str
    kpis: dict[str, Estimate]


@dataclass(frozen=True)
class Summary:
    rows: tuple[KpiRow, ...]
    days: tuple[KpiRow, ...]
    intervals: IntervalTable
    waits: dict[str, Any] = field(default_factory=dict)  # wait_distribution(): CDF of answered calls' waits
    invoices: dict[str, dict[str, Estimate]] = field(default_factory=dict)  # partner site -> item -> estimate
    risk: tuple[Spread, ...] = ()  # sim.analysis.risk: KPIs over days and intervals


def summarize(result: RunResult) -> Summary:
    """Every KPI table of a run."""
    return Summary(tuple(kpi_rows(result)), tuple(day_rows(result)), interval_table(result),
                   wait_distribution(result), invoice_rows(result), risk_rows(result))


def _stack(result: RunResult) -> tuple[np.ndarray, np.ndarray, int]:
    calls = np.stack([f.calls for f in result.facts])  # [R, F, I, K]
    groups = np.stack([f.groups for f in result.facts])  # [R, Fg, I, G]
    return calls, groups, result.facts[0].first_interval


def kpi_rows(result: RunResult) -> list[KpiRow]:
    """Whole-run KPIs (warm-up excluded): total, each client, each call type, each agent group."""
    layout, sl = result.layout, result.scenario.service_level
    calls, groups, first = _stack(result)
    seconds = (layout.n_intervals - first) * result.scenario.run.interval
    by_type = calls[:, :, first:, :].sum(axis=2)  # [R, F, K]
    client_of = np.asarray(layout.type_client)
    costs = np.asarray([g.cost_per_hour for g in layout.groups])
    by_group = groups[:, :, first:, :].sum(axis=2)  # [R, Fg, G]
    staffed_at = GROUP_FIELDS.index("staffed_time")
    labour = (by_group[:, staffed_at, :] / 3600.0 * costs).sum(axis=1)
    answered = handled_calls(by_type).sum(axis=1)
    total = call_kpis(by_type.sum(axis=2), seconds, sl)
    total.update(percentile_kpis(np.stack([f.wait_pct_total for f in result.facts])))
    busy, staffed = (by_group[:, GROUP_FIELDS.index(f), :].sum(axis=1) for f in ("busy_time", "staffed_time"))
    total["occupancy"] = ratio_estimate(busy, staffed)
    total["agent_hours"] = mean_estimate(staffed / 3600.0)
    total["labour_cost"] = mean_estimate(labour)
    money = np.stack([f.costs.by_client for f in result.facts])  # [R, component, client]
    resolved_needs = by_type[:, CALL_FIELDS.index("resolved_needs"), :].sum(axis=1)
    total.update(cost_kpis(money.sum(axis=2), answered, resolved_needs))
    sales = sales_by_cell(result.facts)  # [R, SALES_FIELDS, K, G]
    selling = _selling(layout)
    if layout.sells:
        total.update(sales_kpis(sales.sum(axis=(2, 3)), answered))
    total.update(_revenue_totals(result, sales, money.sum(axis=(1, 2))))
    rows = [KpiRow("total", "all", total)]
    for c, name in enumerate(layout.client_names):
        x = by_type[:, :, client_of == c].sum(axis=2)
        kpis = call_kpis(x, seconds, sl)
        kpis.update(percentile_kpis(np.stack([f.wait_pct_client[c] for f in result.facts])))
        kpis.update(cost_kpis(money[:, :, c], handled_calls(x),
                              x[:, CALL_FIELDS.index("resolved_needs")]))
        if selling[0][client_of == c].any():
            kpis.update(sales_kpis(sales[:, :, client_of == c, :].sum(axis=(2, 3)), handled_calls(x)))
        rows.append(KpiRow("client", name, kpis))
    for t, name in enumerate(layout.type_names):
        kpis = call_kpis(by_type[:, :, t], seconds, sl)
        kpis.update(percentile_kpis(np.stack([f.wait_pct_type[t] for f in result.facts])))
        if selling[0][t]:
            kpis.update(sales_kpis(sales[:, :, t, :].sum(axis=2), handled_calls(by_type[:, :, t])))
        rows.append(KpiRow("call_type", name, kpis))
    for g, name in enumerate(layout.group_names):
        kpis = group_kpis(by_group[:, :, g], costs[g])
        if selling[1][g]:
            kpis.update(sales_kpis(sales[:, :, :, g].sum(axis=2)))
        rows.append(KpiRow("group", name, kpis))
    if len(layout.site_names) > 1:
        site_of = np.asarray(layout.group_site)
        for s, name in enumerate(layout.site_names):
            mine = site_of == s
            kpis = group_kpis(by_group[:, :, mine].sum(axis=2), 0.0)
            site_hours = by_group[:, staffed_at, :][:, mine] / 3600.0
            kpis["labour_cost"] = mean_estimate((site_hours * costs[mine]).sum(axis=1))
            if selling[1][mine].any():
                kpis.update(sales_kpis(sales[:, :, :, mine].sum(axis=(2, 3))))
            rows.append(KpiRow("site", name, kpis))
    rows += [KpiRow("campaign", name, kpis) for name, kpis in campaign_kpis(result.facts, layout).items()]
    rows += [KpiRow("work", name, kpis) for name, kpis in work_kpis(result.facts, layout).items()]
    rows += [KpiRow("chat", name, kpis) for name, kpis in chat_kpis(result.facts, layout).items()]
    return rows


def _selling(layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """(per call type, per group) whether it has sales rows: types with sales offers, and the groups that can
    answer one (by skill or as an overflow target)."""
    types = np.asarray([ct.sales is not None for ct in layout.call_types], dtype=bool)
    groups = np.asarray([any(types[t] for t in skills) or any(g in layout.overflow_groups[t]
                                                             for t in np.flatnonzero(types))
                         for g, skills in enumerate(layout.skills)], dtype=bool)
    return types, groups


OUTBOUND_TOTALS = ("outbound_contacts", "outbound_sales")
"""KPIs of the total row that only scenarios with campaigns have."""
OFFER_TOTALS = ("offers", "offer_sales", "conversion", "revenue_per_call")
"""KPIs of the total row that only scenarios with sales offers on calls have (``conversion``: offer sales /
offers)."""
REVENUE_TOTALS = ("sales", "revenue", "profit")
"""KPIs of the total row of scenarios with campaigns or sales offers: every sale, its revenue, revenue minus the
total cost."""
OPTIONAL_TOTALS = (*OUTBOUND_TOTALS, *OFFER_TOTALS, *REVENUE_TOTALS)
"""KPIs of the total row that only some scenarios have (``optional_totals``)."""


def optional_totals(scenario: Scenario) -> set[str]:
    """The OPTIONAL_TOTALS that ``scenario``'s total row has."""
    campaigns = bool(scenario.campaigns)
    sells = any(ct.sales is not None for _, ct in scenario.all_call_types().values())
    return ({*OUTBOUND_TOTALS} if campaigns else set()) | ({*OFFER_TOTALS} if sells else set()) | (
        {*REVENUE_TOTALS} if campaigns or sells else set())


def _revenue_totals(result: RunResult, sales: np.ndarray, cost: np.ndarray) -> dict[str, Estimate]:
    """For the total row of a scenario with campaigns or sales offers (else {}): the campaigns' right-party
    contacts and sales, the sales offers' sales (``offer_sales``), ``sales`` and ``revenue`` of both and
    ``profit``, revenue minus the total cost (``cost[r]``); sweeps and comparisons show them next to the service
    level."""
    n = len(result.scenario.campaigns or {})
    if not n and not result.layout.sells:
        return {}
    sums = [campaign_sums(result.facts, result.layout, c) for c in range(n)]
    ones = np.ones(len(result.facts))
    out = {name: ratio_estimate(np.sum([s[key] for s in sums], axis=0), ones)
           for name, key in zip(OUTBOUND_TOTALS, ("right_party", "sales"), strict=True)} if n else {}
    sold = sales[:, SALES_FIELDS.index("sales")].sum(axis=(1, 2))
    if result.layout.sells:
        out["offer_sales"] = ratio_estimate(sold, ones)
    out["sales"] = ratio_estimate(sold + np.sum([s["sales"] for s in sums], axis=0), ones)
    revenue = sales[:, SALES_FIELDS.index("revenue")].sum(axis=(1, 2)) + np.sum([s["revenue"] for s in sums], axis=0)
    out["revenue"] = ratio_estimate(revenue, ones)
    out["profit"] = ratio_estimate(revenue - cost, ones)
    return out


def period_label(result: RunResult) -> str:
    """The period the run's totals cover (warm-up excluded): 'per week' for 7 days from a Monday, 'per day' for
    one day, else 'per N days' (or 'per N h' when a warm-up leaves part of a day)."""
    run = result.scenario.run
    first = result.facts[0].first_interval
    days = (result.layout.n_intervals - first) * run.interval / DAY
    if abs(days - 7.0) < 1e-9 and first == 0 and run.start_day.number == 0:
        return "per week"
    if abs(days - 1.0) < 1e-9:
        return "per day"
    return f"per {days:g} days" if abs(days - round(days)) < 1e-9 else f"per {days * 24:g} h"


def cost_kpis(money: np.ndarray, answered: np.ndarray, resolved: np.ndarray) -> dict[str, Estimate]:
    """``money[r, component]`` (COMPONENTS) -> each component, ``total_cost``, ``cost_per_call`` (per handled
    call) and ``cost_per_resolved_need`` (per customer need that ended resolved, CALL_FIELDS ``resolved_needs``);
    the per-call figures count what inbound calls cost (``billing.inbound_cost``)."""
    out = {name: mean_estimate(money[:, k]) for k, name in enumerate(COMPONENTS)}
    out["total_cost"] = mean_estimate(money.sum(axis=1))
    out["cost_per_call"] = ratio_estimate(inbound_cost(money), answered)
    out["cost_per_resolved_need"] = ratio_estimate(inbound_cost(money), resolved)
    return out


def invoice_rows(result: RunResult) -> dict[str, dict[str, Estimate]]:
    """Each partner site's invoice items (and total), averaged over replications."""
    out: dict[str, dict[str, Estimate]] = {}
    for site in result.facts[0].costs.invoices:
        items = list(result.facts[0].costs.invoices[site])
        values = np.array([[f.costs.invoices[site][k] for k in items] for f in result.facts])
        out[site] = {k: mean_estimate(values[:, j]) for j, k in enumerate(items)}
        out[site]["total"] = mean_estimate(values.sum(axis=1))
    return out


INVOICE_COLUMNS = ("site", "client", "clause", "label", "quantity", "quantity_ci", "rate", "rate_ci",
                   "reference", "reference_ci", "amount", "amount_ci")
"""Columns of invoices.csv: one line per invoice clause, then the invoice's ``total`` line."""


def invoice_lines(result: RunResult) -> list[dict[str, Any]]:
    """Every partner invoice clause by clause (site, client or 'all' when billed per site), each number averaged
    over replications with its CI half-width; per replication the amounts of an invoice sum to its total."""
    rows: list[dict[str, Any]] = []
    for (site, client), first in result.facts[0].costs.lines.items():
        bills = [f.costs.lines[site, client] for f in result.facts]
        for key in first.terms:
            row: dict[str, Any] = {"site": site, "client": client, "clause": key, "label": LABELS[key]}
            for name in ("quantity", "rate", "reference"):
                row.update(_estimate_cells(name, [getattr(b.terms[key], name) for b in bills]))
            row.update(_estimate_cells("amount", [b.items[key] for b in bills]))
            rows.append(row)
        rows.append({"site": site, "client": client, "clause": "total", "label": "invoice total",
                     **_estimate_cells("amount", [b.total for b in bills])})
    return rows


SITE_COLUMNS = ("site", "kind", "groups", "offered", "answered", "service_level", "contracted_sl", "abandon_rate",
                "occupancy", "agent_hours", "cost", "cost_basis")
"""Columns of the per-site table; the CI half-width of each number follows it as ``<name>_ci``."""


def site_rows(result: RunResult) -> list[dict[str, Any]]:
    """Per site, for the calls its agents answered (their wait counted from reaching the queue, a transfer
    included): ASA and the share answered within the call type's service-level threshold; occupancy, agent hours
    and what the client pays it (labour in house, the invoice plus any priced labour for a partner); for partner
    sites also offered, answered, abandonment and the service level as the contract measures it
    (``sim.economics.costs.service_level``) next to the contracted target."""
    layout, first = result.layout, result.facts[0].first_interval
    groups = np.stack([f.groups for f in result.facts])[:, :, first:, :].sum(axis=2)  # [R, Fg, G]
    rates = np.asarray([g.cost_per_hour for g in layout.groups])
    site_of = np.asarray(layout.group_site)
    rows: list[dict[str, Any]] = []
    for s, (name, site) in enumerate(zip(layout.site_names, layout.sites, strict=True)):
        mine = site_of == s
        busy, staffed = (groups[:, GROUP_FIELDS.index(k), :][:, mine].sum(axis=1)
                         for k in ("busy_time", "staffed_time"))
        occupancy = ratio_estimate(busy, staffed)
        answered, waited, within = (groups[:, GROUP_FIELDS.index(k), :][:, mine].sum(axis=1)
                                    for k in ("answered_on_line", "wait_sum", "answered_within"))
        asa, answered_sl = ratio_estimate(waited, answered), ratio_estimate(within, answered)
        row: dict[str, Any] = {"site": name, "kind": "partner" if site.contract is not None else "in_house",
                               "groups": [g for g, m in zip(layout.group_names, mine, strict=True) if m],
                               "occupancy": float(occupancy.mean), "occupancy_ci": float(occupancy.half_width),
                               "asa": float(asa.mean), "asa_ci": float(asa.half_width),
                               "answered_within": float(answered_sl.mean),
                               "answered_within_ci": float(answered_sl.half_width)}
        hours = groups[:, GROUP_FIELDS.index("staffed_time"), :][:, mine] / 3600.0
        row.update(_estimate_cells("agent_hours", list(hours.sum(axis=1))))
        cost = (hours * rates[mine]).sum(axis=1)
        if site.contract is None:
            row.update(_estimate_cells("cost", list(cost)), cost_basis="labour")
        else:
            row.update(_partner_cells(result, s, site.contract.sla))
            bills = [math.fsum(b.total for (at, _), b in f.costs.lines.items() if at == name) for f in result.facts]
            row.update(_estimate_cells("cost", list(cost + np.asarray(bills))), cost_basis="invoice")
        rows.append(row)
    return rows


def _partner_cells(result: RunResult, s: int, sla: SLACredit | None) -> dict[str, Any]:
    """Offered, answered, abandonment and the contract's service level of partner site ``s``."""
    answered, within, abandoned = (np.array([f.costs.site_counts[s, k] for f in result.facts]) for k in range(3))
    offered = answered + abandoned
    base = answered if sla is not None and sla.measured_on == "answered" else offered
    level, abandon = ratio_estimate(within, base), ratio_estimate(abandoned, offered)
    return {**_estimate_cells("offered", list(offered)), **_estimate_cells("answered", list(answered)),
            "service_level": float(level.mean), "service_level_ci": float(level.half_width),
            "contracted_sl": sla.target if sla is not None else math.nan, "contracted_sl_ci": math.nan,
            "abandon_rate": float(abandon.mean), "abandon_rate_ci": float(abandon.half_width)}


def _estimate_cells(name: str, values: list[float]) -> dict[str, float]:
    e = mean_estimate(np.asarray(values, dtype=float))
    return {name: float(e.mean), f"{name}_ci": float(e.half_width)}


def day_rows(result: RunResult) -> list[KpiRow]:
    """KPIs of every simulated day, all call types together (warm-up intervals excluded)."""
    run = result.scenario.run
    calls, _, first = _stack(result)
    per_day = round(DAY / run.interval)
    rows = []
    for d in range(run.days):
        lo, hi = max(d * per_day, first), (d + 1) * per_day
        if lo >= hi:
            continue
        x = calls[:, :, lo:hi, :].sum(axis=(2, 3))
        name = f"day {d + 1} ({WEEKDAYS[(run.start_day.number + d) % 7]})"
        rows.append(KpiRow("day", name, call_kpis(x, (hi - lo) * run.interval, result.scenario.service_level)))
    return rows


INTERVAL_KPIS = ("service_level", "asa", "mean_wait", "abandon_rate", "avg_queue_length")
INTERVAL_COUNTS = ("offered", "deflected", "blocked", "closed", "answered", "answered_within", "abandoned",
                   "abandoned_short")


@dataclass(frozen=True, eq=False)
class IntervalTable(Sequence[dict[str, Any]]):
    """intervals.csv: one row per interval x call type (and 'all'), warm-up intervals left out, as columns. As a
    sequence, its rows as dicts: day, weekday, interval_start, call_type, then ``calls``, then ``groups``.

    ``starts``: (day, weekday, interval_start) of each interval; ``calls``: column -> [interval, call type];
    ``groups``: the agent group columns, the same in every row of an interval: column -> [interval].
    """

    starts: tuple[tuple[int, str, str], ...]
    call_types: tuple[str, ...]
    calls: dict[str, np.ndarray]
    groups: dict[str, np.ndarray]

    @property
    def header(self) -> list[str]:
        return ["day", "weekday", "interval_start", "call_type", *self.calls, *self.groups]

    def __len__(self) -> int:
        return len(self.starts) * len(self.call_types)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        i, k = divmod(range(len(self))[index], len(self.call_types))
        day, weekday, start = self.starts[i]
        return {"day": day, "weekday": weekday, "interval_start": start, "call_type": self.call_types[k],
                **{c: v[i, k] for c, v in self.calls.items()}, **{c: v[i] for c, v in self.groups.items()}}


_INTERVAL_CHUNK = 2048
"""Intervals whose KPIs ``interval_table`` computes at once (the estimators are per interval)."""


def interval_table(result: RunResult) -> IntervalTable:
    """The interval table of a run (see IntervalTable); group columns per interval."""
    layout, run = result.layout, result.scenario.run
    calls, groups, first = _stack(result)
    wanted = (*INTERVAL_COUNTS, *INTERVAL_KPIS, "aht")
    parts: list[dict[str, Estimate]] = []
    for lo in range(0, calls.shape[2], _INTERVAL_CHUNK):  # every KPI of a chunk at a time: bounded memory
        part = calls[:, :, lo:lo + _INTERVAL_CHUNK, :]
        with_all = np.concatenate([part, part.sum(axis=3, keepdims=True)], axis=3)  # [R, F, I, K+1]
        chunk = call_kpis(with_all, run.interval, result.scenario.service_level)
        parts.append({k: chunk[k] for k in wanted})
    kpis = {k: Estimate(np.concatenate([p[k].mean for p in parts]), np.concatenate([p[k].half_width for p in parts]))
            for k in wanted}
    p90 = mean_estimate(np.stack([f.wait_p90_interval for f in result.facts]))
    busy, staffed = groups[:, GROUP_FIELDS.index("busy_time")], groups[:, GROUP_FIELDS.index("staffed_time")]
    occupancy = ratio_estimate(busy, staffed)
    logged_in = mean_estimate(staffed / run.interval)
    starts = interval_starts(result)
    columns = {c: kpis[c].mean for c in (*INTERVAL_COUNTS, *INTERVAL_KPIS)}
    columns.update(service_level_ci=kpis["service_level"].half_width, asa_ci=kpis["asa"].half_width,
                   wait_p90=p90.mean, aht=kpis["aht"].mean)
    group_columns = {}
    for g, name in enumerate(layout.group_names):
        group_columns[f"agents_{name}"] = logged_in.mean[first:, g]
        group_columns[f"occupancy_{name}"] = occupancy.mean[first:, g]
    return IntervalTable(tuple(starts), (*layout.type_names, "all"), {c: v[first:] for c, v in columns.items()},
                         group_columns)


def interval_starts(result: RunResult) -> list[tuple[int, str, str]]:
    """(day from 1, weekday, clock time) of every interval after the warm-up."""
    run = result.scenario.run
    starts = []
    for i in range(result.facts[0].first_interval, result.layout.n_intervals):
        start = i * run.interval
        day = int(start // DAY)
        starts.append((day + 1, WEEKDAYS[(run.start_day.number + day) % 7], format_clock(start - day * DAY)))
    return starts


def wait_distribution(result: RunResult) -> dict[str, Any]:
    """P(wait <= t) of answered calls at t = ``edges_s``, per call type and 'all', pooled over replications
    (warm-up excluded), with each call type's service-level threshold: the data of the waiting-time CDF plot."""
    hist = np.sum([f.wait_hist for f in result.facts], axis=0)  # [K, bins]
    hist = np.vstack([hist, hist.sum(axis=0)])
    names = (*result.layout.type_names, "all")
    cdf = {}
    for name, counts in zip(names, hist, strict=True):
        total = counts.sum()
        cdf[name] = [round(float(x), 6) for x in np.cumsum(counts)[:-1] / total] if total > 0 else None
    thresholds = dict(zip(result.layout.type_names, result.layout.sl_thresholds, strict=True))
    return {"edges_s": WAIT_EDGES.tolist(), "cdf": cdf,
            "thresholds_s": {**thresholds, "all": result.scenario.service_level.threshold}}
