"""Cost per resolved need and first-contact resolution against direct counts from the records; the
like-for-like note and period labels of comparisons."""

import numpy as np

from sim.analysis.compare import compare, demand_notes
from sim.analysis.experiment import RunResult, run
from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS, facts
from sim.analysis.summary import kpi_rows, period_label
from sim.engine.callers import draw_callers
from sim.engine.layout import build_layout
from sim.engine.model import simulate
from sim.engine.records import ANSWERED, DEFLECTED, Records
from sim.engine.repeats import REDIAL, REPEAT
from sim.engine.streams import Streams
from sim.scenario.loader import parse_scenario

SCENARIO = """
name: {name}
run: {{days: {days}, seed: 3, replications: 2}}
{hours}
call_types:
  a:
    arrivals: {{rate_per_hour: 60}}
    handle_time: {{dist: exponential, mean: 240s}}
    patience: {{dist: exponential, mean: 90s}}
    redial: {{share: 0.6, delay: {{dist: deterministic, value: 300s}}}}
sites:
  home: {{kind: in_house, unresolved_share: 0.1, repeat_delay: {{dist: deterministic, value: 900s}}}}
  bpo: {{kind: partner, unresolved_share: 0.4, repeat_delay: {{dist: deterministic, value: 600s}}}}
agent_groups:
  own: {{site: home, skills: [a], agents: 2, cost_per_hour: 30}}
  partner: {{site: bpo, skills: [a], agents: 2, cost_per_hour: 20}}
"""


def _scenario(name: str = "res", days: int = 1, hours: str = ""):  # type: ignore[no-untyped-def]
    return parse_scenario(SCENARIO.format(name=name, days=days, hours=hours), "res.yaml")


def _records(rep: int = 0) -> tuple[Records, object]:
    layout = build_layout(_scenario())
    streams = Streams(3, rep)
    return simulate(layout, draw_callers(layout, streams), streams), layout


def _resolved_by_hand(r: Records, layout) -> np.ndarray:  # type: ignore[no-untyped-def]
    share = {g: layout.sites[layout.group_site[g]].unresolved_share for g in range(len(layout.group_names))}
    return np.array([r.outcome[i] == ANSWERED and not float(r.callers.resolution_draw[i]) < share[int(r.group[i])]
                     for i in range(len(r.outcome))])


def test_resolved_needs_and_fcr_match_a_walk_through_each_need() -> None:
    r, layout = _records()
    ok = _resolved_by_hand(r, layout)
    kind, origin = r.callers.repeat_kind, r.callers.repeat_of
    assert (kind == REPEAT).sum() > 20 and (kind == REDIAL).sum() > 20  # both kinds of later calls occur
    root = np.arange(len(kind))
    for i in range(len(kind)):
        while kind[root[i]] != 0:
            root[i] = origin[root[i]]
    needs_resolved = {int(root[i]) for i in np.flatnonzero(ok | (r.outcome == DEFLECTED))}
    f = facts(r, layout)
    assert f.calls[CALL_FIELDS.index("resolved_needs")].sum() == len(needs_resolved)
    first_answered: dict[int, int] = {}
    for i in np.flatnonzero(r.outcome == ANSWERED):  # calls are indexed by birth: the first answer comes first
        first_answered.setdefault(int(root[i]), int(i))
    for g in range(len(layout.group_names)):
        mine = [i for i in first_answered.values() if r.group[i] == g]
        assert f.groups[GROUP_FIELDS.index("first_answered"), :, g].sum() == len(mine) > 10
        assert f.groups[GROUP_FIELDS.index("first_resolved"), :, g].sum() == sum(ok[i] for i in mine)


def test_cost_per_resolved_need_is_total_cost_over_resolved_needs() -> None:
    scenario = _scenario()
    layout = build_layout(scenario)
    per_rep = [facts(*_records(rep)) for rep in range(2)]
    result = RunResult(scenario, layout, tuple(per_rep), calls=0, wall_time=0.0)
    total = next(row for row in kpi_rows(result) if row.level == "total").kpis
    cost = [f.costs.by_client.sum() for f in per_rep]
    needs = [f.calls[CALL_FIELDS.index("resolved_needs")].sum() for f in per_rep]
    assert np.isclose(total["cost_per_resolved_need"].mean, sum(cost) / sum(needs))
    assert total["cost_per_resolved_need"].mean > total["cost_per_call"].mean  # unresolved calls cost too


def _run(name: str, days: int = 1, hours: str = "") -> RunResult:
    return run(_scenario(name, days, hours), workers=1)


def test_like_for_like_note_only_when_answered_shares_differ() -> None:
    open_all_day, closed_nights = _run("always"), _run("daytime", hours='opening_hours: {mon-sun: "08:00-20:00"}')
    names = ["daytime", "always"]
    notes = demand_notes(names, compare([closed_nights, open_all_day]))
    assert len(notes) == 1 and notes[0].startswith("Note: daytime answers ") and "not like for like" in notes[0]
    same = _run("same")
    assert demand_notes(["always", "same"], compare([open_all_day, same])) == []


def test_period_labels() -> None:
    assert period_label(_run("day")) == "per day"
    assert period_label(_run("three", days=3)) == "per 3 days"
    week = _run("week", days=7)
    assert period_label(week) == "per week"
    assert any(row.label == "Total cost per week" for row in compare([week, week]))
