"""Which queueing formula describes a scenario exactly, and its figures next to the simulated ones. Pure.

A scenario has an analytic twin when it is stationary and single-skill: one call type with a constant Poisson
rate, one group with a constant number of agents (handle-time factor 1), exponential handle times, no opening
hours, and either exponential patience (Erlang A), no abandonment (Erlang C), or no abandonment with a line limit
(M/M/c/K; Erlang B when lines = agents). IVR self-service thins the Poisson stream and an IVR delay keeps it
Poisson, so the agent queue sees rate (1 - deflection) x lambda.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.analysis.analytic import erlang_a, erlang_c, mmck
from sim.analysis.stats import Estimate
from sim.scenario.distributions import Exponential
from sim.scenario.schema import CallType, Scenario


@dataclass(frozen=True)
class Twin:
    """The analytic model of a scenario and its predicted KPIs (keys as in the simulated summary)."""

    model: str
    figures: dict[str, float]


def _stationary_poisson(scenario: Scenario, ct: CallType) -> bool:
    """Calls reach the agents as one constant-rate Poisson stream: no day-of-week or busyness factors, no
    redials or repeats feeding back, no overflow elsewhere."""
    arrivals = ct.arrivals
    return (arrivals is not None and arrivals.rate_per_hour is not None and arrivals.day_of_week is None
            and arrivals.busyness_cv == 0
            and ct.redial is None and ct.overflow is None and ct.transfer is None
            and all(site.unresolved_share == 0 for site in scenario.site_map().values()))


def analytic_twin(scenario: Scenario) -> Twin | None:
    """The exact analytic counterpart of ``scenario``, or None if there is none."""
    types, groups = scenario.all_call_types(), list(scenario.agent_groups.values())
    if len(types) != 1 or len(groups) != 1 or scenario.opening_hours is not None:
        return None
    (_, ct), = types.values()
    group = groups[0]
    rate = ct.arrivals.rate_per_hour if ct.arrivals else None
    if rate is None or not _stationary_poisson(scenario, ct) or group.agents is None \
            or group.handle_time_factor != 1.0 or not isinstance(ct.handle_time, Exponential) \
            or ct.max_queue is not None:
        return None
    lam = rate / 3600.0 * scenario.run.volume_factor * (1.0 - ct.deflection)
    c, mean = group.agents, ct.handle_time.mean
    threshold = scenario.service_level.threshold if ct.service_level is None else ct.service_level.threshold
    if ct.patience is None and scenario.lines is None:
        r = erlang_c(c, lam, mean, threshold)
        return Twin(f"Erlang C (M/M/{c})", {"p_wait": r.p_wait, "sl_answered_of_offered": r.service_level,
                                             "asa": r.asa, "mean_wait": r.asa, "occupancy": r.occupancy})
    if isinstance(ct.patience, Exponential) and scenario.lines is None:
        a = erlang_a(c, lam, mean, ct.patience.mean, threshold)
        return Twin(f"Erlang A (M/M/{c}+M)", {
            "p_wait": a.p_wait, "abandon_rate": a.p_abandon, "mean_wait": a.mean_wait,
            "asa": a.mean_wait_answered, "sl_answered_of_offered": a.service_level, "occupancy": a.occupancy})
    if ct.patience is None and scenario.lines is not None and scenario.ivr is None and ct.ivr_time is None:
        k = scenario.lines
        if k < c:
            return None
        m = mmck(c, k, lam, mean)
        name = f"Erlang B (M/M/{c}/{c})" if k == c else f"M/M/{c}/{k}"
        accepted = 1.0 - m.p_block
        return Twin(name, {"blocking_rate": m.p_block, "asa": m.mean_wait,
                           "p_wait": m.p_wait_accepted,
                           "occupancy": lam * accepted * mean / c})
    return None


def comparison_rows(twin: Twin, simulated: dict[str, Estimate]) -> list[tuple[str, float, float, float]]:
    """(kpi, simulated mean, CI half-width, analytic) for every KPI the twin predicts."""
    return [(key, float(simulated[key].mean), float(simulated[key].half_width), value)
            for key, value in twin.figures.items() if key in simulated and not math.isnan(value)]
