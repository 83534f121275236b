"""The scenario flattened to indices: call types 0..K-1, agent groups 0..G-1, clients 0..C-1. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from sim.engine.staffing import agent_steps
from sim.scenario.distributions import Distribution
from sim.scenario.hours import Windows
from sim.scenario.outsourcing import Site, SiteKind
from sim.scenario.schema import AgentGroup, CallType, Scenario
from sim.units import DAY

NO_LIMIT = 2**62
"""Stands for 'no limit' in integer capacities (lines, queue lengths)."""


@dataclass(frozen=True)
class Layout:
    """Index-based view of a scenario, shared by the model and the statistics."""

    scenario: Scenario
    type_names: tuple[str, ...]
    type_client: tuple[int, ...]
    client_names: tuple[str, ...]
    group_names: tuple[str, ...]
    call_types: tuple[CallType, ...]
    groups: tuple[AgentGroup, ...]
    skills: tuple[dict[int, int], ...]
    staffing: tuple[list[tuple[float, int]], ...]
    site_names: tuple[str, ...]
    group_site: tuple[int, ...]

    @property
    def horizon(self) -> float:
        return self.scenario.run.days * DAY

    @property
    def n_intervals(self) -> int:
        return round(self.horizon / self.scenario.run.interval)

    @property
    def lines(self) -> int:
        return NO_LIMIT if self.scenario.lines is None else self.scenario.lines

    @property
    def priorities(self) -> tuple[int, ...]:
        return tuple(ct.priority for ct in self.call_types)

    @property
    def max_queue(self) -> tuple[int, ...]:
        return tuple(NO_LIMIT if ct.max_queue is None else ct.max_queue for ct in self.call_types)

    @property
    def sites(self) -> tuple[Site, ...]:
        site_map = self.scenario.site_map()
        return tuple(site_map[n] for n in self.site_names)

    @property
    def group_is_partner(self) -> tuple[bool, ...]:
        return tuple(self.sites[s].kind == SiteKind.partner for s in self.group_site)

    @property
    def group_transfer(self) -> tuple[Distribution | None, ...]:
        """Per group: the transfer delay of a call its agent takes (None: in-house, answered at once)."""
        return tuple(self.sites[s].transfer for s in self.group_site)

    @property
    def overflow_groups(self) -> tuple[frozenset[int], ...]:
        """Per call type: the partner groups its overflow rule sends calls to (empty without a rule)."""
        index = {g: i for i, g in enumerate(self.group_names)}
        return tuple(frozenset(index[g] for g in ct.overflow.to) if ct.overflow else frozenset()
                     for ct in self.call_types)

    def in_house_windows(self) -> list[Windows | None]:
        """Opening hours of each in-house site (its own, else the scenario's; None: always open)."""
        return [site.opening_hours or self.scenario.opening_hours for site in self.sites
                if site.kind == SiteKind.in_house]

    @property
    def sl_thresholds(self) -> tuple[float, ...]:
        """Service-level threshold of each call type (its own, else the scenario's)."""
        default = self.scenario.service_level.threshold
        return tuple(default if ct.service_level is None else ct.service_level.threshold for ct in self.call_types)

    @property
    def handle_factors(self) -> tuple[float, ...]:
        return tuple(g.handle_time_factor for g in self.groups)

    @property
    def sells(self) -> bool:
        """Whether some call type makes sales offers (Care2Sale)."""
        return any(ct.sales is not None for ct in self.call_types)

    @property
    def conversion(self) -> tuple[tuple[float, ...], ...]:
        """Per site and call type: the share of sales offers that sell (the site's own, else the type's; 0 for a
        type without sales)."""
        return tuple(tuple(site.conversion.get(name, ct.sales.conversion) if ct.sales else 0.0
                           for name, ct in zip(self.type_names, self.call_types, strict=True))
                     for site in self.sites)

    @property
    def sale_revenue(self) -> tuple[float, ...]:
        """Per call type: the revenue of one sale (0 without sales)."""
        return tuple(ct.sales.revenue if ct.sales else 0.0 for ct in self.call_types)


def build_layout(scenario: Scenario) -> Layout:
    """Number the call types, clients and groups of a validated scenario in file order."""
    all_types = scenario.all_call_types()
    client_names = tuple(scenario.client_map())
    type_names = tuple(all_types)
    index = {name: i for i, name in enumerate(type_names)}
    groups = tuple(scenario.agent_groups.values())
    return Layout(
        scenario=scenario,
        type_names=type_names,
        type_client=tuple(client_names.index(c) for c, _ in all_types.values()),
        client_names=client_names,
        group_names=tuple(scenario.agent_groups),
        call_types=tuple(ct for _, ct in all_types.values()),
        groups=groups,
        skills=tuple({index[t]: rank for t, rank in g.skills.items()} for g in groups),
        staffing=tuple(agent_steps(g, scenario.run) for g in groups),
        site_names=tuple(scenario.site_map()),
        group_site=tuple(list(scenario.site_map()).index(scenario.site_of(g)) for g in scenario.agent_groups),
    )
