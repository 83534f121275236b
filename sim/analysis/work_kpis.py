"""KPIs of deferrable work (e-mail, back office) over replications: volumes, the response-time service level,
the age at answer, the backlog, productivity and what the agent time costs (whose time:
``sim.analysis.agent_time``)."""

from __future__ import annotations

import numpy as np

from sim.analysis.agent_time import task_hours
from sim.analysis.facts import Facts
from sim.analysis.stats import Estimate, mean_estimate, ratio_estimate
from sim.analysis.work_facts import AGE_PERCENTILES, WORK_FIELDS
from sim.engine.layout import Layout


def work_kpis(facts: tuple[Facts, ...], layout: Layout) -> dict[str, dict[str, Estimate]]:
    """Per work type name, its KPIs (warm-up excluded)."""
    first = facts[0].first_interval
    seconds = (layout.n_intervals - first) * layout.scenario.run.interval
    hours = task_hours(facts, layout)[1]  # [R, work types, G]
    costs = np.asarray([g.cost_per_hour for g in layout.groups], dtype=float)
    out: dict[str, dict[str, Estimate]] = {}
    for k, name in enumerate(layout.scenario.work or {}):
        x = np.stack([f.work[:, first:, k].sum(axis=1) for f in facts])  # [R, F]
        f = {n: x[:, i] for i, n in enumerate(WORK_FIELDS)}
        agent_hours = hours[:, k, :].sum(axis=1)
        labour = hours[:, k, :] @ costs
        kpis = {n: mean_estimate(f[n]) for n in ("arrived", "answered", "open_at_end")}
        kpis["response_sl"] = ratio_estimate(f["answered_within"], f["due"])
        kpis["mean_age_h"] = ratio_estimate(f["age_sum"] / 3600.0, f["answered"])
        pct = np.stack([one.work_age_pct[k] for one in facts]) / 3600.0
        kpis.update({f"age_p{p:g}_h": mean_estimate(pct[:, j]) for j, p in enumerate(AGE_PERCENTILES)})
        kpis["mean_backlog"] = mean_estimate(f["backlog_area"] / seconds)
        kpis["handle_time"] = ratio_estimate(f["handle_sum"], f["answered"])
        kpis["agent_hours"] = mean_estimate(agent_hours)
        kpis["items_per_agent_hour"] = ratio_estimate(f["answered"], agent_hours)
        kpis["labour_cost"] = mean_estimate(labour)
        kpis["cost_per_item"] = ratio_estimate(labour, f["answered"])
        out[name] = kpis
    return out
