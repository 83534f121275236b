"""A center without inbound calls (an outbound telesales floor): the scenario needs no call types, every output
leaves out what only calls have (service level, the call charts, per-call costs), and a scenario with nothing to
simulate is refused with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.analysis.experiment import run
from sim.analysis.summary import kpi_rows, summarize
from sim.cli.app import main
from sim.errors import ScenarioError
from sim.reports import plots
from sim.reports.html import report_html
from sim.reports.report import terminal_table, write_results
from sim.reports.results import load_results
from sim.scenario.loader import parse_scenario

OUTBOUND = """
name: floor
run: {days: 2, replications: 3, seed: 8, start_day: mon}
agent_groups:
  closers: {skills: [], agents: 6, cost_per_hour: 35}
campaigns:
  leads:
    groups: [closers]
    list: {per_day: 900}
    hours: {mon-fri: "09:00-17:00"}
    dialing: progressive
    outcomes:
      no_answer: {share: 0.7, ring_time: {dist: deterministic, value: 20s}}
      right_party: {share: 0.3, ring_time: {dist: exponential, mean: 6s}, talk_time: {dist: exponential, mean: 3min}}
    retry: {max_attempts: 2, no_answer: {dist: deterministic, value: 2h}}
    sale: {conversion: 0.1, revenue: 50}
"""


def test_an_outbound_floor_runs_without_call_types(tmp_path: Path) -> None:
    s = parse_scenario(OUTBOUND, "floor.yaml")
    result = run(s, workers=1)
    rows = kpi_rows(result)
    assert {r.level for r in rows} == {"total", "client", "group", "campaign"}
    total = next(r for r in rows if r.level == "total").kpis
    campaign = next(r for r in rows if r.level == "campaign").kpis
    assert float(campaign["revenue"].mean) > 0
    assert float(total["revenue"].mean) == pytest.approx(float(campaign["revenue"].mean), rel=1e-12)
    assert float(total["profit"].mean) == pytest.approx(float(total["revenue"].mean - total["total_cost"].mean))
    summary = summarize(result)
    text = terminal_table(summary, result)
    assert "no inbound calls" in text and "nan" not in text and "Service level" not in text
    write_results(result, summary, tmp_path / "floor", None)
    results = load_results(tmp_path / "floor")
    assert not results.has_calls
    assert set(plots.figures(results)) == {"occupancy", "labour_cost", "costs", "outbound_contacts"}
    page = report_html(results, {})
    assert "At a glance" not in page and "Outbound campaigns" in page and ">nan" not in page.lower()
    (tmp_path / "floor.yaml").write_text(OUTBOUND, encoding="utf-8")
    regress = ["regress", str(tmp_path / "floor.yaml"), "--baseline", str(tmp_path / "baselines"), "--workers", "1"]
    assert main([*regress, "--update"]) == 0 and main(regress) == 0 and main([*regress, "--exact"]) == 0


def test_a_scenario_with_nothing_to_simulate_is_refused() -> None:
    with pytest.raises(ScenarioError) as bad:
        parse_scenario("name: nothing\nagent_groups:\n  team: {skills: [x], agents: 3}\n", "nothing.yaml")
    assert "nothing.yaml:1 call_types: nothing to simulate: give call types (inbound calls), or campaigns, work " \
           "or chats" in str(bad.value)


def test_call_types_and_clients_together_are_refused() -> None:
    calls = "{arrivals: {rate_per_hour: 1}, handle_time: {dist: exponential, mean: 3min}, patience: none}"
    text = (f"name: both\ncall_types:\n  a: {calls}\nclients:\n  x:\n    call_types:\n      b: {calls}\n"
            "agent_groups:\n  t: {skills: [a, b], agents: 1}\n")
    with pytest.raises(ScenarioError) as bad:
        parse_scenario(text, "both.yaml")
    assert str(bad.value) == "both.yaml:1: give 'clients' or 'call_types', not both"
