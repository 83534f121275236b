"""``ccsim staff``: simulation-based staffing against Erlang A, on fresh seeds, deterministic, and its bad input.

Tolerances. On a stationary single-skill queue every hour is the same M/M/c+M system, so the search must land on
Erlang A's minimal staffing c*; it asks the search seeds to meet the target by one standard error (SE about 1 % of
SL with 1,600 calls per hour pooled), so it may take c* + 1 where SL(c*) lies within that margin, and noise may let
it take c* - 1 where SL(c* - 1) lies within about 2 SE below: hence ±1. On fresh seeds no hour may miss the target
by more than three of its own standard errors (the tolerance rule of docs/validation.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.analysis.analytic import erlang_a, erlang_a_abandoned_within
from sim.analysis.experiment import run
from sim.analysis.risk import meeting_target
from sim.analysis.staffing import Goals, Search, needed, queues, staff, staffed_groups, verify, with_plan
from sim.analysis.stats import call_ratios, ratio_estimate, t_quantile
from sim.cli.app import main
from sim.reports.staffed import parent_path
from sim.scenario.loader import load_scenario, parse_scenario
from sim.scenario.outsourcing import SiteKind
from sim.scenario.schema import SLDefinition
from tests.helpers import SMALL_STAFFED as SMALL
from tests.helpers import scenario, simulate_kpis, tolerance

RATE, AHT, PATIENCE = 200.0, 180.0, 120.0  # 10 Erlangs

STATIONARY = f"""
name: flat
run: {{days: 1, replications: 8, seed: 11, interval: 1h, warmup: 1h}}
service_level: {{threshold: 20s, target: 0.8}}
call_types:
  calls:
    arrivals: {{rate_per_hour: {RATE:g}}}
    handle_time: {{dist: exponential, mean: {AHT:g}s}}
    patience: {{dist: exponential, mean: {PATIENCE:g}s}}
agent_groups:
  team: {{skills: [calls], agents: 10, cost_per_hour: 30}}
"""


def test_abandoned_within_limits_and_simulation() -> None:
    """P(abandon within t) is 0 at t = 0, all abandonment for large t, and gives the simulated ICMI service level."""
    lam = RATE / 3600.0
    assert erlang_a_abandoned_within(10, lam, AHT, PATIENCE, 0.0) == 0.0
    total = erlang_a(10, lam, AHT, PATIENCE).p_abandon
    assert erlang_a_abandoned_within(10, lam, AHT, PATIENCE, 1e6) == pytest.approx(total, rel=1e-9)
    s = scenario(STATIONARY.replace("replications: 8", "replications: 10").replace("days: 1", "days: 2"))
    _, rows = simulate_kpis(s)
    icmi = rows[("total", "all")].kpis["sl_" + SLDefinition.answered_of_offered_minus_abandoned_within.value]
    a = erlang_a(10, lam, AHT, PATIENCE, 20.0)
    theory = a.service_level / (1.0 - erlang_a_abandoned_within(10, lam, AHT, PATIENCE, 20.0))
    assert abs(icmi.mean - theory) <= tolerance(icmi)


def test_single_skill_stationary_equals_erlang_a_and_meets_on_fresh_seeds() -> None:
    s = scenario(STATIONARY)
    outcome, search = staff(s, ("team",), Goals(), seed=11, verify_seed=12, replications=8, workers=2)
    q = queues(s, ("team",))[0]
    exact = needed(q, s.service_level.definition, s.service_level.short_abandon, RATE / 3600.0, None)
    hours = outcome.staffed.agents[0, 0]
    assert outcome.feasible and outcome.status != "limit"
    assert np.all(np.abs(hours[1:] - exact) <= 1), (exact, hours)  # hour 0 is the warm-up: no calls measured
    fresh = run(with_plan(s, outcome.staffed).model_copy(
        update={"run": s.run.model_copy(update={"seed": 13, "replications": 10})}), workers=2)
    calls = np.stack([f.calls for f in fresh.facts])[:, :, 1:, 0]  # [R, F, hour]
    num, den = call_ratios(calls, s.service_level)["service_level"]
    estimate = ratio_estimate(num, den)
    assert np.all(estimate.mean + estimate.half_width * 3 / 1.96 >= 0.8), estimate.mean
    assert search.queues[0].call_type == "calls"


def test_staffed_file_runs_and_meets_the_claimed_share(tmp_path: Path) -> None:
    """The written file runs; on a third seed its intervals meet the target at least as often as the report says,
    within the two confidence intervals; the run is deterministic (same seed, same file, bit for bit)."""
    source = tmp_path / "small.yaml"
    source.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "plans" / "small_staffed.yaml"
    assert main(["staff", str(source), "--out", str(out), "--workers", "2"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "extends: ../small.yaml" in text
    staffed = load_scenario(out)
    assert staffed.agent_groups["team"].shifts is None and staffed.agent_groups["team"].staffing
    report = {row.split(",")[4]: row.split(",")[5:] for row in out.with_suffix(".csv").read_text().splitlines()
              if row.startswith("all,")}
    claimed, claimed_ci = float(report["share_replication_units_meeting"][1]), \
        float(report["share_replication_units_meeting_ci"][1])
    third = run(staffed.model_copy(update={"run": staffed.run.model_copy(update={"seed": 99,
                                                                                 "replications": 8})}), workers=2)
    met, n = meeting_target(third, "interval")
    again = ratio_estimate(met, n)
    assert again.mean >= claimed - np.hypot(claimed_ci, again.half_width), (again, claimed)
    second = tmp_path / "plans" / "again.yaml"
    assert main(["staff", str(source), "--out", str(second), "--workers", "1"]) == 0
    assert second.read_text(encoding="utf-8") == text.replace("name: small_staffed", "name: again")
    assert second.with_suffix(".csv").read_bytes() == out.with_suffix(".csv").read_bytes()


def test_daily_target_meets_each_day_with_no_more_hours() -> None:
    s = parse_scenario(SMALL.replace("replications: 4", "replications: 6"), "small.yaml")
    per_interval, _ = staff(s, ("team",), Goals(), seed=5, verify_seed=6, replications=6, workers=2)
    daily, search = staff(s, ("team",), Goals(target="daily"), seed=5, verify_seed=6, replications=6, workers=2)
    assert daily.staffed.agents.sum() <= per_interval.staffed.agents.sum()
    assert verify(search, with_plan(s, daily.staffed), 7, 10).units == 1  # one weekday simulated
    fresh = run(with_plan(s, daily.staffed).model_copy(
        update={"run": s.run.model_copy(update={"seed": 7, "replications": 10})}), workers=2)
    calls = np.stack([f.calls for f in fresh.facts])[..., 0].sum(axis=2)  # [R, F]: the whole day
    num, den = call_ratios(calls, s.service_level)["service_level"]
    estimate = ratio_estimate(num, den)
    assert estimate.mean + estimate.half_width * 3 / t_quantile(10) >= 0.8, estimate


def test_owner_of_a_call_type_is_its_first_choice_group() -> None:
    s = load_scenario("scenarios/multiskill.yaml")
    search = Search(s, tuple(s.agent_groups), Goals(), workers=1)
    owners = {q.call_type: search.groups[q.group] for q in search.queues}
    for name, group in owners.items():
        assert s.agent_groups[group].skills[name] == min(g.skills[name] for g in s.agent_groups.values()
                                                         if name in g.skills)


@pytest.mark.parametrize(("extra", "message"), [
    (["--groups", "nobody"], "no agent group 'nobody'"),
    (["--groups", ","], "give agent group names"),
    (["--max-abandon", "150%"], "at most 1"),
    (["--max-occupancy", "lots"], "expected a share"),
    (["--margin", "x"], "standard errors"),
    (["--seed", "4", "--verify-seed", "4"], "must differ"),
])
def test_bad_arguments_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
                              message: str) -> None:
    source = tmp_path / "small.yaml"
    source.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "out.yaml"
    assert main(["staff", str(source), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() and not out.with_suffix(".csv").exists()


def test_existing_output_is_refused_and_bad_scenario_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "small.yaml"
    source.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "out.yaml"
    out.write_text("mine", encoding="utf-8")
    assert main(["staff", str(source), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err and out.read_text() == "mine"
    assert main(["staff", str(source), "--out", str(tmp_path / "out.txt")]) == 2
    assert ".yaml" in capsys.readouterr().err
    source.write_text(SMALL.replace("mean: 100s", "mean: -3s"), encoding="utf-8")
    assert main(["staff", str(source), "--out", str(tmp_path / "new.yaml")]) == 2
    err = capsys.readouterr().err
    assert "small.yaml:" in err and "patience.mean" in err
    with pytest.raises(SystemExit) as exc:
        main(["staff", str(source), "--out", str(tmp_path / "new.yaml"), "--target", "weekly"])
    assert exc.value.code == 2


def test_default_groups_are_in_house_and_extends_path_is_relative_only_below_a_shared_folder() -> None:
    hybrid = load_scenario("scenarios/hybrid.yaml")
    sites = hybrid.site_map()
    groups = staffed_groups(hybrid, None)
    assert groups and all(sites[hybrid.site_of(g)].kind == SiteKind.in_house for g in groups)
    assert len(groups) < len(hybrid.agent_groups)
    assert parent_path(Path("/data/a/x.yaml"), Path("/data/b/y.yaml")) == "../a/x.yaml"
    assert parent_path(Path("/data/x.yaml"), Path("/tmp/y.yaml")) == "/data/x.yaml"


@pytest.mark.parametrize("name", ["transfers.yaml", "callbacks.yaml"])
def test_scenarios_with_legs_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    """The search measures calls, not transfer or call-back legs: it says so instead of staffing them wrongly."""
    root = Path(__file__).resolve().parent.parent / "scenarios"
    assert main(["staff", str(root / name), "--out", str(tmp_path / "staffed.yaml")]) == 2
    assert "does not measure transfer and call-back legs" in capsys.readouterr().err
    assert not (tmp_path / "staffed.yaml").exists()
