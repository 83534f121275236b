"""KPIs of chat over replications: service level, abandonment, waits, the stretched handle time, concurrency,
productivity and what the agent time costs (whose time: ``sim.analysis.agent_time``)."""

from __future__ import annotations

import numpy as np

from sim.analysis.agent_time import task_hours
from sim.analysis.chat_facts import CHAT_FIELDS
from sim.analysis.facts import GROUP_FIELDS, Facts
from sim.analysis.stats import Estimate, mean_estimate, ratio_estimate
from sim.engine.layout import Layout


def chat_kpis(facts: tuple[Facts, ...], layout: Layout) -> dict[str, dict[str, Estimate]]:
    """Per chat type name, its KPIs (warm-up excluded). ``service_level`` is answered within the threshold over
    offered minus those who left within it (the scenario's default definition, ICMI); ``concurrency`` the mean
    number of chats of an agent while it has at least one."""
    first = facts[0].first_interval
    hours = task_hours(facts, layout)[2]  # [R, chat types, G]
    costs = np.asarray([g.cost_per_hour for g in layout.groups], dtype=float)
    out: dict[str, dict[str, Estimate]] = {}
    for k, name in enumerate(layout.scenario.chats or {}):
        x = np.stack([f.chats[:, first:, k].sum(axis=1) for f in facts])  # [R, F]
        f = {n: x[:, i] for i, n in enumerate(CHAT_FIELDS)}
        agent_hours = hours[:, k, :].sum(axis=1)
        labour = hours[:, k, :] @ costs
        kpis = {n: mean_estimate(f[n]) for n in ("offered", "answered", "abandoned")}
        kpis["service_level"] = ratio_estimate(f["answered_within"], f["offered"] - f["abandoned_within"])
        kpis["abandon_rate"] = ratio_estimate(f["abandoned"], f["offered"])
        kpis["asa"] = ratio_estimate(f["wait_sum"], f["answered"])
        kpis["aht"] = ratio_estimate(f["handle_sum"], f["finished"])
        index = [layout.group_names.index(g) for g in (layout.scenario.chats or {})[name].groups]
        chatting = np.stack([one.groups[GROUP_FIELDS.index("chat_time"), first:, :][:, index].sum()
                             for one in facts])
        kpis["concurrency"] = ratio_estimate(f["service_time"], chatting)
        kpis["agent_hours"] = mean_estimate(agent_hours)
        kpis["chats_per_agent_hour"] = ratio_estimate(f["finished"], agent_hours)
        kpis["labour_cost"] = mean_estimate(labour)
        kpis["cost_per_chat"] = ratio_estimate(labour, f["finished"])
        out[name] = kpis
    return out
