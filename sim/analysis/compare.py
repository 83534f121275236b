"""Scenarios side by side under common random numbers, with confidence intervals on the differences.

All scenarios run with the first one's seed and number of replications, so replication r of every scenario sees
the same callers (every random stream is keyed by call type name); differences are then paired by replication
(``stats.paired_difference``), which makes their intervals much narrower than those of the levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.analysis.experiment import RunResult
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS
from sim.analysis.stats import Estimate, call_ratios, paired_difference, ratio_estimate
from sim.economics.billing import COMPONENTS

COMPARED = (
    ("service_level", "Service level", "pct"), ("asa", "ASA", "sec"), ("abandon_rate", "Abandoned", "pct"),
    ("blocking_rate", "Busy signal", "pct"), ("closed_rate", "Closed hours", "pct"),
    ("overflow_rate", "Overflowed to partner", "pct"), ("partner_share", "Handled by partner", "pct"),
    ("repeat_rate", "Repeat calls", "pct"), ("redial_rate", "Redials", "pct"), ("answered", "Handled calls", "count"),
    *((c, c.replace("_", " ").capitalize(), "money") for c in COMPONENTS),
    ("total_cost", "Total cost", "money"), ("cost_per_call", "Cost per handled call", "money2"),
)
"""(key, label, kind) of the compared KPIs, in table order."""


@dataclass(frozen=True)
class CompareRow:
    """One KPI of one slice (``scope``: 'all', a client or 'site <name>') in every scenario."""

    scope: str
    key: str
    label: str
    kind: str
    values: tuple[Estimate, ...]
    diffs: tuple[Estimate | None, ...]  # vs the first scenario (None for the first)


def _pairs(result: RunResult, client: int | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
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
    answered = x[:, CALL_FIELDS.index("answered")]
    out = call_ratios(x, result.scenario.service_level)
    out["answered"] = (answered, ones)
    out.update({c: (money[:, k], ones) for k, c in enumerate(COMPONENTS)})
    out["total_cost"] = (money.sum(axis=1), ones)
    out["cost_per_call"] = (money.sum(axis=1), answered)
    return out


def _site_pairs(result: RunResult) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Handled calls per site, per replication."""
    first = result.facts[0].first_interval
    groups = np.stack([f.groups[GROUP_FIELDS.index("answered"), first:, :].sum(axis=0) for f in result.facts])
    site_of = np.asarray(result.layout.group_site)
    ones = np.ones(len(groups))
    return {name: (groups[:, site_of == s].sum(axis=1), ones) for s, name in enumerate(result.layout.site_names)}


def compare(results: list[RunResult]) -> list[CompareRow]:
    """The comparison table: total, each client present in every scenario, handled calls per site."""
    scopes: list[tuple[str, list[dict[str, tuple[np.ndarray, np.ndarray]]]]] = [
        ("all", [_pairs(r, None) for r in results])]
    shared = [c for c in results[0].layout.client_names if all(c in r.layout.client_names for r in results)]
    if len(shared) > 1:
        for name in shared:
            scopes.append((name, [_pairs(r, r.layout.client_names.index(name)) for r in results]))
    rows = [_row(scope, key, label, kind, per) for scope, per in scopes for key, label, kind in COMPARED]
    sites = {s for r in results for s in r.layout.site_names}
    site_pairs = [_site_pairs(r) for r in results]
    zero = (np.zeros(len(results[0].facts)), np.ones(len(results[0].facts)))
    for site in sorted(sites):
        per = [{"answered": p.get(site, zero)} for p in site_pairs]
        rows.append(_row(f"site {site}", "answered", "Handled calls", "count", per))
    return rows


def _row(scope: str, key: str, label: str, kind: str,
         per: list[dict[str, tuple[np.ndarray, np.ndarray]]]) -> CompareRow:
    base_num, base_den = per[0][key]
    values = tuple(ratio_estimate(*p[key]) for p in per)
    diffs = (None, *(paired_difference(base_num, base_den, *p[key]) for p in per[1:]))
    return CompareRow(scope, key, label, kind, values, diffs)
