"""Scenarios side by side under common random numbers, with confidence intervals on the differences.

All scenarios run with the first one's seed and number of replications, so replication r of every scenario sees
the same callers (every random stream is keyed by call type name); differences are then paired by replication
(``stats.paired_difference``), which makes their intervals much narrower than those of the levels.

Cost risk rows (``total_cost_p90`` per scope, ``invoice_p90`` per partner site) give each scenario's P90 over
replications of the run-period cost, as ``risk.cost_risk`` computes it (numpy ``linear``), next to the mean. They
carry no CI and no difference to the first: a P90 of R replications interpolates between two of the largest
values (the 18th and 19th of 20), it is not a mean, so the paired t-interval does not apply, and a bootstrap over
10-20 paired replications would resample those same few values; the P90s are shown side by side for the reader to
weigh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.analysis.campaign_kpis import campaign_sums
from sim.analysis.chat_facts import CHAT_FIELDS
from sim.analysis.experiment import RunResult
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS
from sim.analysis.risk import METHOD, invoice_totals, meeting_target
from sim.analysis.stats import Estimate, call_ratios, handled_calls, paired_difference, ratio_estimate
from sim.analysis.summary import period_label
from sim.analysis.work_facts import WORK_FIELDS
from sim.economics.billing import COMPONENTS, inbound_cost

COMPARED = (
    ("service_level", "Service level", "pct"), ("asa", "ASA", "sec"), ("abandon_rate", "Abandoned", "pct"),
    ("blocking_rate", "Busy signal", "pct"), ("closed_rate", "Closed hours", "pct"),
    ("overflow_rate", "Overflowed to partner", "pct"), ("partner_share", "Handled by partner", "pct"),
    ("repeat_rate", "Repeat calls", "pct"), ("redial_rate", "Redials", "pct"), ("answered", "Handled calls", "count"),
    ("answered_share", "Answered of offered", "pct"),
    ("days_meeting_sl", "Days meeting the SL target", "pct"),
    ("intervals_meeting_sl", "Intervals meeting the SL target", "pct"),
    *((c, c.replace("_", " ").capitalize(), "money") for c in COMPONENTS),
    ("total_cost", "Total cost", "money"), ("cost_per_call", "Cost per handled call", "money2"),
    ("cost_per_offered", "Cost per offered call", "money2"),
    ("cost_per_resolved_need", "Cost per resolved need", "money2"),
)
"""(key, label, kind) of the compared KPIs, in table order."""
LEGS = (
    ("transfer_rate", "Transferred", "pct"), ("transfer_sl", "Transfer legs answered in time", "pct"),
    ("transfer_abandon_rate", "Transfer legs abandoned", "pct"), ("callback_rate", "Call backs accepted", "pct"),
    ("callback_sl", "Called back in time", "pct"),
)
"""Compared after the redials where some scenario has such legs (a rate: some happened; a service level: some
leg was served)."""


@dataclass(frozen=True)
class CompareRow:
    """One KPI of one slice (``scope``: 'all', a client or 'site <name>') in every scenario."""

    scope: str
    key: str
    label: str
    kind: str
    values: tuple[Estimate, ...]
    diffs: tuple[Estimate | None, ...]  # vs the first scenario (None for the first and in P90 rows)


def kpi_pairs(result: RunResult, client: int | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(numerator, denominator) per replication of every compared KPI, for one client or all."""
    first = result.facts[0].first_interval
    calls = np.stack([f.calls[:, first:, :].sum(axis=1) for f in result.facts])  # [R, F, K]
    money = np.stack([f.costs.by_client for f in result.facts])  # [R, component, client]
    if client is not None:
        mine = np.asarray(result.layout.type_client) == client
        calls, money = calls[:, :, mine], money[:, :, client]
    else:
        money = money.sum(axis=2)
    x = calls.sum(axis=2)
    ones = np.ones(len(x))
    answered = handled_calls(x)
    out = call_ratios(x, result.scenario.service_level)
    out["answered"] = (answered, ones)
    out["answered_share"] = (answered, x[:, CALL_FIELDS.index("offered")])
    out["days_meeting_sl"] = meeting_target(result, "day", client)
    out["intervals_meeting_sl"] = meeting_target(result, "interval", client)
    out.update({c: (money[:, k], ones) for k, c in enumerate(COMPONENTS)})
    out["total_cost"] = (money.sum(axis=1), ones)
    inbound = inbound_cost(money)
    out["cost_per_call"] = (inbound, answered)
    out["cost_per_offered"] = (inbound, x[:, CALL_FIELDS.index("offered")])
    out["cost_per_resolved_need"] = (inbound, x[:, CALL_FIELDS.index("resolved_needs")])
    return out


def objective_pairs(result: RunResult, kpi: str) -> tuple[np.ndarray, np.ndarray]:
    """(numerator, denominator) per replication of one compared KPI over all clients: a KPI of ``kpi_pairs`` or
    of the rows of campaigns, sales, work and chat (``CHANNELS``, e.g. ``profit``)."""
    pairs = kpi_pairs(result, None)
    return pairs[kpi] if kpi in pairs else _channel_pairs(result)[kpi]


def _site_pairs(result: RunResult, field: str, per: str | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """GROUP_FIELDS ``field`` per site (over ``per`` if given, else a count), per replication."""
    first = result.facts[0].first_interval

    def summed(name: str) -> np.ndarray:
        return np.stack([f.groups[GROUP_FIELDS.index(name), first:, :].sum(axis=0) for f in result.facts])

    num = summed(field)
    den = summed(per) if per else np.ones_like(num)
    site_of = np.asarray(result.layout.group_site)
    return {name: (num[:, site_of == s].sum(axis=1), den[:, site_of == s].sum(axis=1) if per else den[:, 0])
            for s, name in enumerate(result.layout.site_names)}


def compare(results: list[RunResult]) -> list[CompareRow]:
    """The comparison table: total, each client present in every scenario, handled calls per site."""
    scopes: list[tuple[str, list[dict[str, tuple[np.ndarray, np.ndarray]]]]] = [
        ("all", [kpi_pairs(r, None) for r in results])]
    shared = [c for c in results[0].layout.client_names if all(c in r.layout.client_names for r in results)]
    if len(shared) > 1:
        for name in shared:
            scopes.append((name, [kpi_pairs(r, r.layout.client_names.index(name)) for r in results]))
    period = period_label(results[0])  # every scenario runs the first one's days (common random numbers)
    rows = []
    for scope, per in scopes:
        shown = [*COMPARED]
        legs = [row for row in LEGS if any(np.sum(p[row[0]][0 if row[0].endswith("_rate") else 1]) > 0 for p in per)]
        at = next(i for i, row in enumerate(shown) if row[0] == "redial_rate") + 1
        shown[at:at] = legs
        for key, label, kind in shown:
            rows.append(_row(scope, key, f"{label} {period}" if kind == "money" else label, kind, per))
            if key == "total_cost":
                rows.append(_p90_row(scope, "total_cost_p90", f"Total cost P90 {period}",
                                     [p["total_cost"][0] for p in per]))
    rows += _channel_rows([_channel_pairs(r) for r in results], period)
    sites = {s for r in results for s in r.layout.site_names}
    handled = [_site_pairs(r, "answered", None) for r in results]
    fcr = [_site_pairs(r, "first_resolved", "first_answered") for r in results]
    zero = (np.zeros(len(results[0].facts)), np.ones(len(results[0].facts)))
    for site in sorted(sites):
        rows.append(_row(f"site {site}", "answered", "Handled calls", "count",
                         [{"answered": p.get(site, zero)} for p in handled]))
        rows.append(_row(f"site {site}", "fcr", "First-contact resolution", "pct",
                         [{"fcr": p.get(site, (zero[0], zero[0]))} for p in fcr]))
        bills = [_invoice(r, site) for r in results]
        if any(b is not None for b in bills):  # a partner site in some scenario; no invoice elsewhere: 0
            paid = [zero[0] if b is None else b for b in bills]
            rows.append(_row(f"site {site}", "invoice", f"Partner invoice {period}", "money",
                             [{"invoice": (b, zero[1])} for b in paid]))
            rows.append(_p90_row(f"site {site}", "invoice_p90", f"Partner invoice P90 {period}", paid))
    return rows


CHANNELS = (
    ("attempts", "Outbound attempts", "count"), ("right_party", "Right-party contacts", "count"),
    ("silent_rate", "Silent calls of live answers", "pct"),
    ("offers", "Sales offers on service calls", "count"), ("conversion", "Offers that sold", "pct"),
    ("sales", "Sales (outbound and on service calls)", "count"),
    ("revenue", "Revenue", "money"), ("profit", "Revenue minus total cost", "money"),
    ("work_arrived", "Work items arrived", "count"), ("work_response_sl", "Work items answered in time", "pct"),
    ("work_backlog", "Mean backlog of work items", "num"),
    ("chat_offered", "Chats offered", "count"), ("chat_sl", "Chat service level", "pct"),
    ("chat_abandon_rate", "Chats left in the queue", "pct"),
)
"""(key, label, kind) of the rows for campaigns, sales offers on inbound calls (Care2Sale), work items and chats
(all campaigns, all work and chat types), shown where some scenario has them."""


def _channel_pairs(result: RunResult) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(numerator, denominator) per replication of the CHANNELS rows; 0 where the scenario has no such work."""
    n = len(result.facts)
    ones, zero = np.ones(n), np.zeros(n)
    camp = [campaign_sums(result.facts, result.layout, c) for c in range(len(result.scenario.campaigns or {}))]

    def total(key: str) -> np.ndarray:
        return np.asarray(sum((c[key] for c in camp), zero))

    first = result.facts[0].first_interval
    work = np.stack([f.work[:, first:, :].sum(axis=(1, 2)) for f in result.facts])  # [R, WORK_FIELDS]
    seconds = (result.layout.n_intervals - first) * result.scenario.run.interval
    money = np.stack([f.costs.by_client for f in result.facts]).sum(axis=(1, 2))
    w = {k: work[:, i] for i, k in enumerate(WORK_FIELDS)}
    chats = np.stack([f.chats[:, first:, :].sum(axis=(1, 2)) for f in result.facts])
    c = {k: chats[:, i] for i, k in enumerate(CHAT_FIELDS)}
    offers, sold, inbound_revenue = np.stack([f.sales.sum(axis=(1, 2)) for f in result.facts]).T
    revenue = total("revenue") + inbound_revenue
    return {"attempts": (total("attempts"), ones), "right_party": (total("right_party"), ones),
            "silent_rate": (total("silent"), total("live_answers")),
            "offers": (offers, ones), "conversion": (sold, offers), "sales": (total("sales") + sold, ones),
            "revenue": (revenue, ones), "profit": (revenue - money, ones),
            "work_arrived": (w["arrived"], ones), "work_response_sl": (w["answered_within"], w["due"]),
            "work_backlog": (w["backlog_area"] / seconds, ones),
            "chat_offered": (c["offered"], ones),
            "chat_sl": (c["answered_within"], c["offered"] - c["abandoned_within"]),
            "chat_abandon_rate": (c["abandoned"], c["offered"])}


def _channel_rows(per: list[dict[str, tuple[np.ndarray, np.ndarray]]], period: str) -> list[CompareRow]:
    """The CHANNELS rows that some scenario has (campaign rows where some has attempts, work rows where some has
    items; profit where some has revenue)."""
    def some(key: str) -> bool:
        return any(np.sum(p[key][0]) > 0 for p in per)

    shown = {"attempts": some("attempts"), "offers": some("offers"), "revenue": some("revenue"),
             "work_arrived": some("work_arrived"), "chat_offered": some("chat_offered")}
    wanted = {"attempts": "attempts", "right_party": "attempts", "silent_rate": "attempts", "offers": "offers",
              "conversion": "offers", "sales": "revenue",
              "revenue": "revenue", "profit": "revenue", "work_arrived": "work_arrived",
              "work_response_sl": "work_arrived", "work_backlog": "work_arrived", "chat_offered": "chat_offered",
              "chat_sl": "chat_offered", "chat_abandon_rate": "chat_offered"}
    return [_row("all", key, f"{label} {period}" if kind == "money" else label, kind, per)
            for key, label, kind in CHANNELS if shown[wanted[key]]]


def _invoice(result: RunResult, site: str) -> np.ndarray | None:
    """Per replication the partner ``site``'s invoice total (all its invoices); None if it is no partner here."""
    return invoice_totals(result, site) if site in result.facts[0].costs.invoices else None


def _p90_row(scope: str, key: str, label: str, per: list[np.ndarray]) -> CompareRow:
    """The P90 over replications of a per-replication cost, per scenario: no CI, no difference (module doc)."""
    values = tuple(Estimate(float(np.percentile(v, 90.0, method=METHOD)), math.nan) for v in per)
    return CompareRow(scope, key, label, "money", values, (None,) * len(per))


def _row(scope: str, key: str, label: str, kind: str,
         per: list[dict[str, tuple[np.ndarray, np.ndarray]]]) -> CompareRow:
    base_num, base_den = per[0][key]
    values = tuple(ratio_estimate(*p[key]) for p in per)
    diffs = (None, *(paired_difference(base_num, base_den, *p[key]) for p in per[1:]))
    return CompareRow(scope, key, label, kind, values, diffs)


LIKE_FOR_LIKE = 0.01
"""Scenarios serve different demand when their answered shares of offered calls differ by more than this
(absolute) and the paired 95 % CI of the difference excludes 0."""


def demand_notes(names: list[str], rows: list[CompareRow]) -> list[str]:
    """A plain warning for each scenario that answers a different share of the offered demand than the first."""
    row = next((r for r in rows if r.scope == "all" and r.key == "answered_share"), None)
    if row is None:
        return []
    causes = {r.key: r for r in rows if r.scope == "all" and r.key in ("closed_rate", "blocking_rate")}
    notes = []
    for k, (name, value, diff) in enumerate(zip(names[1:], row.values[1:], row.diffs[1:], strict=True), start=1):
        assert diff is not None
        if abs(diff.mean) > LIKE_FOR_LIKE and not abs(diff.mean) <= diff.half_width:
            why = [f"{label} {c.values[0].mean:.1%} vs {c.values[k].mean:.1%}"
                   for key, label in (("closed_rate", "closed hours"), ("blocking_rate", "busy signals"))
                   if (c := causes.get(key)) is not None and abs(c.values[0].mean - c.values[k].mean) > LIKE_FOR_LIKE]
            because = f" ({'; '.join(why)})" if why else ""
            notes.append(f"Note: {names[0]} answers {row.values[0].mean:.1%} of offered demand, {name} "
                         f"{value.mean:.1%}{because}: they serve different demand, so their costs are not like for "
                         f"like; compare cost per offered call and per resolved need.")
    return notes
