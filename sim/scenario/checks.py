"""Whole-scenario rules: names that must refer to something, call types someone can serve, readable traces; and
warnings about what is valid but probably not meant."""

from __future__ import annotations

from sim.errors import TraceError, did_you_mean
from sim.scenario.campaigns import Dialing
from sim.scenario.contract import TIME_AND_FEES
from sim.scenario.outsourcing import Overflow, SiteKind
from sim.scenario.schema import AgentGroup, CallType, Scenario
from sim.scenario.traces import Trace, load_trace
from sim.scenario.yamlmap import Path
from sim.units import format_duration


def check_references(scenario: Scenario) -> list[tuple[Path, str]]:
    """Every cross-reference problem of ``scenario`` as (key path, message)."""
    problems: list[tuple[Path, str]] = []
    problems += _unique_call_types(scenario)
    problems += _site_problems(scenario)
    problems += _campaign_problems(scenario)
    known = list(scenario.all_call_types())
    if not known and not (scenario.campaigns or scenario.work or scenario.chats):
        problems.append((("call_types",), "nothing to simulate: give call types (inbound calls), or campaigns, work "
                                          "or chats"))
    traces: dict[str, Trace | None] = {}
    for gname, group in scenario.agent_groups.items():
        for skill in group.skills:
            if skill not in known:
                hint = did_you_mean(skill, known) or f"; the call types are {', '.join(known) or '(none)'}"
                problems.append((("agent_groups", gname, "skills", skill),
                                 f"unknown call type '{skill}'{hint}"))
    for tname, (cname, ct) in scenario.all_call_types().items():
        path = _call_type_path(scenario, cname, tname)
        servers = [g for g in scenario.agent_groups.values() if tname in g.skills]
        if not servers:
            problems.append((path, f"no agent group has the skill '{tname}': "
                                   "its callers could never be answered"))
        elif not any(_ever_staffed(g) for g in servers):
            problems.append((path, f"every group with the skill '{tname}' has zero agents at all times"))
        if ct.overflow is not None:
            problems += _overflow_problems(scenario, path, tname, ct.overflow)
        problems += _transfer_problems(scenario, path, tname, ct)
        if ct.arrivals is not None and ct.arrivals.trace is not None:
            trace_path: Path = (*path, "arrivals", "trace")
            problems += [(trace_path, m) for m in _trace_problems(ct.arrivals.trace, tname, known, traces)]
    return problems


def check_warnings(scenario: Scenario) -> list[tuple[Path, str]]:
    """What is valid but probably not meant, as (key path, message): an overflow rule whose wait equals the call
    type's service-level threshold; a site's conversion for a call type none of its groups can answer."""
    found: list[tuple[Path, str]] = []
    for sname, site in scenario.site_map().items():
        skills = {t for g, group in scenario.agent_groups.items() if scenario.site_of(g) == sname for t in group.skills}
        found += [(("sites", sname, "conversion", t), f"no group at '{sname}' answers '{t}' calls: this conversion "
                                                      "is never used") for t in site.conversion if t not in skills]
    for tname, (cname, ct) in scenario.all_call_types().items():
        rule, path = ct.overflow, _call_type_path(scenario, cname, tname)
        threshold = scenario.service_level.threshold if ct.service_level is None else ct.service_level.threshold
        if rule is not None and rule.after_wait == threshold:
            found.append(((*path, "overflow", "after_wait"), _AT_THRESHOLD.format(format_duration(threshold))))
        if rule is not None and rule.expected_wait == threshold:
            found.append(((*path, "overflow", "expected_wait"), _EXPECTED_AT_THRESHOLD.format(
                format_duration(threshold))))
    return found


_AT_THRESHOLD = ("equals the service-level threshold ({0}): a call the partner takes after waiting this long reaches "
                 "its agent at {0} plus the partner's transfer_delay and just misses the service level (with a "
                 "transfer_delay of 0s it would be answered at exactly {0} and count as within it: a jump in the "
                 "wait curve at the threshold); give a shorter after_wait if the partner should help meet the "
                 "target")
_EXPECTED_AT_THRESHOLD = ("equals the service-level threshold ({0}): only calls expected to miss it go to the "
                          "partner, and their partner wait plus its transfer_delay decides whether they still make "
                          "it; give a shorter expected_wait to keep a margin")


def _trace_problems(file: str, call_type: str, known: list[str], loaded: dict[str, Trace | None]) -> list[str]:
    """Why the trace cannot be replayed for ``call_type``. A file's own problems are given once, at the first call
    type naming it; ``loaded`` keeps the files read (None: unreadable). Paths were made absolute by the loader."""
    first = file not in loaded
    if first:
        try:
            loaded[file] = load_trace(file)
        except TraceError as exc:
            loaded[file] = None
            return [str(exc)]
    trace = loaded[file]
    if trace is None:
        return []
    missing = trace.missing(call_type)
    return [*(trace.unknown_call_types(known) if first else []), *([missing] if missing else [])]


def _unique_call_types(scenario: Scenario) -> list[tuple[Path, str]]:
    seen: dict[str, str] = {}
    problems: list[tuple[Path, str]] = []
    for cname, client in (scenario.clients or {}).items():
        for tname in client.call_types:
            if tname in seen:
                problems.append((("clients", cname, "call_types", tname),
                                 f"call type '{tname}' is also defined by client '{seen[tname]}'; "
                                 "call type names must be unique across clients"))
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


def _site_problems(scenario: Scenario) -> list[tuple[Path, str]]:
    """Every group works at a known site; without a 'site' key there must be exactly one in-house site."""
    sites = scenario.site_map()
    in_house = [n for n, s in sites.items() if s.kind == SiteKind.in_house]
    problems: list[tuple[Path, str]] = []
    for gname, group in scenario.agent_groups.items():
        if group.site is None and len(in_house) != 1:
            problems.append((("agent_groups", gname), "give 'site': there is not exactly one in-house site "
                                                      f"to default to (sites: {', '.join(sites)})"))
        elif group.site is not None and group.site not in sites:
            hint = did_you_mean(group.site, list(sites)) or f"; the sites are {', '.join(sites)}"
            problems.append((("agent_groups", gname, "site"), f"unknown site '{group.site}'{hint}"))
    types = scenario.all_call_types()
    for sname, site in sites.items():
        for tname in site.conversion:
            where: Path = ("sites", sname, "conversion", tname)
            if tname not in types:
                hint = did_you_mean(tname, list(types)) or f"; the call types are {', '.join(types)}"
                problems.append((where, f"unknown call type '{tname}'{hint}"))
            elif types[tname][1].sales is None:
                problems.append((where, f"call type '{tname}' has no 'sales': give it sales offers, or remove this "
                                        "conversion"))
    return problems


def _campaign_problems(scenario: Scenario) -> list[tuple[Path, str]]:
    """A campaign's, work type's or chat type's groups exist (at a partner: priced, ``_partner_price_problems``);
    each group works at most one campaign; predictive dialing only with groups that take no inbound calls; a
    group without skills must work a campaign or work items."""
    groups = scenario.agent_groups
    problems: list[tuple[Path, str]] = []
    works: dict[str, str] = {}
    busy: set[str] = set()
    tasks = [("campaigns", n, c.groups, c.client) for n, c in (scenario.campaigns or {}).items()]
    tasks += [("work", n, w.groups, w.client) for n, w in (scenario.work or {}).items()]
    tasks += [("chats", n, c.groups, c.client) for n, c in (scenario.chats or {}).items()]
    chatting: dict[str, str] = {}
    clients = list(scenario.client_map())
    for key, name, names, client in tasks:
        if client is None and len(clients) > 1:
            what = {"campaigns": "campaign", "work": "work", "chats": "chats"}[key]
            problems.append(((key, name), f"give 'client': whose {what} is it (the clients are "
                                          f"{', '.join(clients)})"))
        elif client is not None and client not in clients:
            hint = did_you_mean(client, clients) or f"; the clients are {', '.join(clients)}"
            problems.append(((key, name, "client"), f"unknown client '{client}'{hint}"))
        for i, gname in enumerate(names):
            where: Path = (key, name, "groups", i)
            if gname not in groups:
                hint = did_you_mean(gname, list(groups)) or f"; the groups are {', '.join(groups)}"
                problems.append((where, f"unknown agent group '{gname}'{hint}"))
                continue
            busy.add(gname)
            sells = key == "campaigns" and (scenario.campaigns or {})[name].sale is not None
            problems += _partner_price_problems(scenario, where, gname, key, sells)
            if key == "chats":
                if groups[gname].skills:
                    problems.append((where, f"'{gname}' takes phone calls: chats go to groups without skills "
                                            "(a chat team)"))
                if gname in chatting:
                    problems.append((where, f"'{gname}' already takes chats '{chatting[gname]}': a group takes "
                                            "one chat type"))
                chatting.setdefault(gname, name)
            if key != "campaigns":
                continue
            if gname in works:
                problems.append((where, f"'{gname}' already works campaign '{works[gname]}': a group works at "
                                        "most one campaign"))
            works.setdefault(gname, name)
            campaign = (scenario.campaigns or {})[name]
            if campaign.dialing == Dialing.predictive and groups[gname].skills:
                problems.append((where, f"'{gname}' also takes inbound calls: predictive dialing needs groups "
                                        "that only work the campaign (use progressive or preview for blending)"))
    for gname, group in groups.items():
        if not group.skills and gname not in busy:
            problems.append((("agent_groups", gname, "skills"), "a group needs at least one skill, or must work "
                                                                "an outbound campaign, work items or chats"))
    return problems


_TASK_PRICES = {"campaigns": ("per_contact",), "work": ("per_item",), "chats": ("per_chat",)}
"""The contract prices that pay for each kind of task at a partner (besides TIME_AND_FEES; and per_sale or
revenue_share for a campaign that sells)."""


def _partner_price_problems(scenario: Scenario, where: Path, gname: str, key: str,
                            sells: bool) -> list[tuple[Path, str]]:
    """A task worked at a partner site must be paid for: by a price of the contract for that work (``sells``: a
    campaign with sales, also per sale or by revenue share) or for the agents' hours, or by the group's
    cost_per_hour."""
    site = _site_name(scenario, gname)
    sites = scenario.site_map()
    if site not in sites or sites[site].kind != SiteKind.partner or scenario.agent_groups[gname].cost_per_hour:
        return []
    contract = sites[site].contract
    prices = (*_TASK_PRICES[key], *(("per_sale", "revenue_share") if sells else ()), *TIME_AND_FEES)
    if contract is not None and any(getattr(contract, p) is not None for p in prices):
        return []
    return [(where, f"'{gname}' works at partner site '{site}', whose contract pays nothing for this work: give "
                    f"the contract {' or '.join(prices)}, or the group a cost_per_hour")]


def _transfer_problems(scenario: Scenario, path: Path, call_type: str, ct: CallType) -> list[tuple[Path, str]]:
    """A transfer must name another call type and must not lead back to ``call_type``; a call type without
    arrivals must be some transfer's target."""
    types = scenario.all_call_types()
    problems: list[tuple[Path, str]] = []
    if ct.arrivals is None and not any(o.transfer and o.transfer.to == call_type for _, o in types.values()):
        problems.append(((*path, "arrivals"), "is 'none' but no call type transfers to it: no call would arrive"))
    if ct.transfer is None:
        return problems
    where: Path = (*path, "transfer", "to")
    target = ct.transfer.to
    if target not in types:
        known = [t for t in types if t != call_type]
        hint = did_you_mean(target, known) or f"; the other call types are {', '.join(known) or '(none)'}"
        return [*problems, (where, f"unknown call type '{target}'{hint}")]
    if types[target][0] != types[call_type][0]:
        return [*problems, (where, f"'{target}' is a call type of client '{types[target][0]}': a transfer stays "
                                   f"with the caller's client ('{types[call_type][0]}')")]
    seen = [call_type]
    while target not in seen:
        seen.append(target)
        rule = types[target][1].transfer
        if rule is None:
            return problems
        target = rule.to
    loop = " -> ".join([*seen[seen.index(target):], target])
    return [*problems, (where, f"transfers would go round in a circle ({loop}): a caller could be passed on "
                               "forever")]


def _overflow_problems(scenario: Scenario, path: Path, call_type: str, rule: Overflow) -> list[tuple[Path, str]]:
    """Overflow targets are partner groups with the call type's skill; hour rules need in-house hours."""
    problems: list[tuple[Path, str]] = []
    groups, sites = scenario.agent_groups, scenario.site_map()
    for i, target in enumerate(rule.to):
        where: Path = (*path, "overflow", "to", i)
        if target not in groups:
            hint = did_you_mean(target, list(groups)) or f"; the groups are {', '.join(groups)}"
            problems.append((where, f"unknown agent group '{target}'{hint}"))
        elif (site_name := _site_name(scenario, target)) is None or site_name not in sites:
            continue  # the group's missing or unknown site is reported on its own
        elif sites[site_name].kind != SiteKind.partner:
            problems.append((where, f"'{target}' is not a partner group: overflow goes to groups at a site with "
                                    "kind: partner"))
        elif call_type not in groups[target].skills:
            problems.append((where, f"'{target}' lacks the skill '{call_type}'"))
    if rule.outside_hours and scenario.opening_hours is None and not any(
            s.opening_hours for s in sites.values() if s.kind == SiteKind.in_house):
        problems.append(((*path, "overflow", "outside_hours"),
                         "needs opening hours: give the in-house site's (or the scenario's) opening_hours"))
    return problems


def _site_name(scenario: Scenario, group: str) -> str | None:
    """The group's site, or None where it names none and there is no single in-house site to default to."""
    in_house = [n for n, s in scenario.site_map().items() if s.kind == SiteKind.in_house]
    return scenario.agent_groups[group].site or (in_house[0] if len(in_house) == 1 else None)
