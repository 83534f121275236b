"""Whole-scenario rules: names that must refer to something, call types someone can serve, readable traces."""

from __future__ import annotations

import difflib

from sim.arrivals import read_trace
from sim.errors import TraceError
from sim.scenario.schema import AgentGroup, Scenario
from sim.scenario.yamlmap import Path


def check_references(scenario: Scenario) -> list[tuple[Path, str]]:
    """Every cross-reference problem of ``scenario`` as (key path, message)."""
    problems: list[tuple[Path, str]] = []
    problems += _unique_call_types(scenario)
    known = list(scenario.all_call_types())
    for gname, group in scenario.agent_groups.items():
        for skill in group.skills:
            if skill not in known:
                close = difflib.get_close_matches(skill, known, n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else f"; known call types: {', '.join(known)}"
                problems.append((("agent_groups", gname, "skills", skill), f"unknown call type '{skill}'{hint}"))
    for tname, (cname, ct) in scenario.all_call_types().items():
        path = _call_type_path(scenario, cname, tname)
        servers = [g for g in scenario.agent_groups.values() if tname in g.skills]
        if not servers:
            problems.append((path, f"no agent group has the skill '{tname}': its callers could never be answered"))
        elif not any(_ever_staffed(g) for g in servers):
            problems.append((path, f"every group with the skill '{tname}' has zero agents at all times"))
        if ct.arrivals.trace is not None:
            try:
                read_trace(ct.arrivals.trace, tname)
            except TraceError as exc:
                problems.append(((*path, "arrivals", "trace"), str(exc)))
    return problems


def _unique_call_types(scenario: Scenario) -> list[tuple[Path, str]]:
    seen: dict[str, str] = {}
    problems: list[tuple[Path, str]] = []
    for cname, client in (scenario.clients or {}).items():
        for tname in client.call_types:
            if tname in seen:
                problems.append((("clients", cname, "call_types", tname),
                                 f"call type '{tname}' is also defined by client '{seen[tname]}'; names must be unique"))
            seen.setdefault(tname, cname)
    return problems


def _call_type_path(scenario: Scenario, client: str, call_type: str) -> Path:
    if scenario.clients is None:
        return ("call_types", call_type)
    return ("clients", client, "call_types", call_type)


def _ever_staffed(group: AgentGroup) -> bool:
    if group.agents is not None:
        return group.agents > 0
    if group.staffing is not None:
        return any(a > 0 for table in group.staffing for a in table.agents)
    return bool(group.shifts)
