"""``ccsim staff --shifts``: the shift MILP on hand-checked and brute-forced cases, its constraints, the written
schedule (runs, covers, deterministic) and bad SHIFTS.yaml files."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.schedule import ROUNDS, columns, paid_hours, schedule, solve
from sim.analysis.staffing import WEEK, Goals, Search, staff
from sim.cli.app import main
from sim.scenario.loader import load_scenario
from sim.scenario.shiftfile import ShiftsFile, load_shifts
from tests.helpers import SMALL_STAFFED as SMALL
from tests.helpers import scenario

DAY_SCENARIO = """
name: day
run: {{days: {days}, replications: 4, seed: 5, interval: {interval}}}
opening_hours: {{mon-sun: "08:00-16:00"}}
call_types:
  calls:
    arrivals:
      daily_volume: 800
      profile: {{resolution: 2h, start: "08:00", percent: [20, 35, 30, 15]}}
    handle_time: {{dist: lognormal, mean: 200s, cv: 0.8}}
    patience: {{dist: exponential, mean: 100s}}
agent_groups:
  team: {{skills: [calls], shifts: [{{start: "08:00", end: "16:00", agents: 10}}], cost_per_hour: 30}}
"""


def _search(days: int = 1, interval: str = "30min") -> Search:
    return Search(scenario(DAY_SCENARIO.format(days=days, interval=interval)), ("team",), Goals(), workers=1)


def _shifts(templates: dict[str, dict[str, object]], **top: object) -> ShiftsFile:
    return ShiftsFile.model_validate({"templates": templates, **top})


def test_flat_requirement_takes_exactly_the_template_that_fits() -> None:
    """5 agents 08-16 and 8-hour shifts starting 07:00-09:00: only the 08:00 start covers both ends alone, so the
    optimum is 5 agents on it (any other mix needs two shifts per agent-slot at one end)."""
    search = _search()
    shifts = _shifts({"eight": {"start": "07:00", "last_start": "09:00", "length": "8h"}})
    cols = columns(shifts, search.scenario, search.groups)
    need = np.zeros((1, WEEK, 48), dtype=np.int64)
    need[0, 0, 16:32] = 5  # Monday 08:00-16:00
    solved = solve(cols, need, shifts, ("team",))
    chosen = {(c.template, c.start): int(a) for c, a in zip(cols, solved.agents, strict=True) if a}
    assert chosen == {("eight", 8 * 3600.0): 5}
    assert solved.optimal and (solved.coverage == need).all()


def test_two_templates_and_a_peak_match_brute_force() -> None:
    """Hourly requirement with a midday peak; an 8-hour shift with a 1-hour unpaid break after 4 h (one start) and
    4-hour part-time shifts (five starts, at most 4 agents each, part-time share <= 60 %): the MILP's paid hours
    equal the minimum over every agent count 0..6 per shift."""
    search = _search(interval="1h")
    shifts = _shifts({"full": {"start": "08:00", "length": "8h", "breaks": [{"after": "4h", "length": "1h"}]},
                      "part": {"start": "08:00", "last_start": "12:00", "length": "4h", "max": 4,
                               "part_time": True}}, part_time_share=0.6)
    cols = columns(shifts, search.scenario, search.groups)
    assert len(cols) == 6
    need = np.zeros((1, WEEK, 24), dtype=np.int64)
    need[0, 0, 8:16] = [2, 3, 5, 6, 4, 3, 2, 1]
    solved = solve(cols, need, shifts, ("team",))
    weekdays = np.array([0])
    cover = np.zeros((len(cols), 24), dtype=np.int64)
    for j, c in enumerate(cols):
        for first, end in c.pieces:
            cover[j, first:end] = 1
    hours = np.array([c.paid_hours for c in cols])
    part = np.array([c.part_time for c in cols])
    best = np.inf
    for counts in itertools.product(range(7), repeat=len(cols)):
        x = np.array(counts)
        if ((x @ cover)[8:16] >= need[0, 0, 8:16]).all() and x[part].sum() <= 4 \
                and x[part].sum() <= 0.6 * x.sum() + 1e-9:
            best = min(best, float(x @ hours))
    assert paid_hours(cols, solved.agents, weekdays) == pytest.approx(best)
    assert (solved.coverage[0, 0] >= need[0, 0]).all()


def test_week_schedule_covers_and_honours_min_max_and_share() -> None:
    rng = np.random.default_rng(3)
    search = _search(days=7)
    shifts = _shifts({"full": {"start": "07:30", "last_start": "14:00", "length": "8h", "min": 3,
                               "breaks": [{"after": "4h", "length": "30min"}], "days": ["mon", "tue", "wed", "thu",
                                                                                         "fri", "sat"]},
                      "part": {"start": "07:30", "last_start": "14:00", "length": "6h", "max": 4, "part_time": True},
                      "late": {"start": "10:00", "length": "6h", "max": 2}}, part_time_share=0.3)
    cols = columns(shifts, search.scenario, search.groups)
    need = np.zeros((1, WEEK, 48), dtype=np.int64)
    need[0, :6, 16:32] = rng.integers(1, 12, size=(6, 16))  # closed on Sunday
    solved = solve(cols, need, shifts, ("team",))
    assert (solved.coverage >= need).all()
    for w in range(WEEK):
        on = {t: sum(int(a) for c, a in zip(cols, solved.agents, strict=True) if c.weekday == w and c.template == t)
              for t in shifts.templates}
        assert on["full"] >= (3 if w < 6 else 0) and on["part"] <= 4 and on["late"] <= 2
        assert on["part"] <= 0.3 * sum(on.values()) + 1e-9
        assert w < 6 or on["full"] == 0  # no Sunday template of 'full'


SHIFTS = """templates:
  full:
    start: "08:00"
    last_start: "09:00"
    length: 4h
    breaks: [{after: 2h, length: 30min}]
  short:
    start: "08:00"
    last_start: "12:00"
    length: 2h
    part_time: true
part_time_share: 0.5
"""


def test_scheduled_file_runs_covers_and_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, shifts = tmp_path / "small.yaml", tmp_path / "shifts.yaml"
    source.write_text(SMALL, encoding="utf-8")
    shifts.write_text(SHIFTS, encoding="utf-8")
    out = tmp_path / "plans" / "small_shifts.yaml"
    assert main(["staff", str(source), "--shifts", str(shifts), "--out", str(out), "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert "price of shift rigidity" in printed and "MILP" in printed
    staffed = load_scenario(out)
    team = staffed.agent_groups["team"]
    assert team.staffing is None and team.shifts
    rows = out.with_suffix(".csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "group,weekday,template,start,end,breaks,paid_hours,agents" and len(rows) > 1
    on = np.zeros(48, dtype=np.int64)
    for shift in team.shifts:
        on[round(shift.start / 1800):round(shift.end / 1800)] += shift.agents
    assert on[16:24].min() >= 1 and not on[:16].any() and not on[26:].any()
    results = tmp_path / "results"
    assert main(["run", str(out), "--out", str(results), "--workers", "2"]) == 0
    again = tmp_path / "plans" / "again.yaml"
    assert main(["staff", str(source), "--shifts", str(shifts), "--out", str(again), "--workers", "1"]) == 0
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8").replace(
        "name: small_shifts", "name: again")
    assert again.with_suffix(".csv").read_bytes() == out.with_suffix(".csv").read_bytes()


@pytest.mark.parametrize(("text", "where"), [
    (SHIFTS.replace("length: 4h", "lenght: 4h"), "shifts.yaml:5 templates.full.lenght: unknown key 'lenght' "
                                                  "(did you mean 'length'?)"),
    (SHIFTS.replace('start: "08:00"\n    last_start: "09:00"', 'start: "08:15"\n    last_start: "09:00"'),
     "shifts.yaml:3 templates.full.start: the start time (08:15) must be a multiple of the scenario's interval"),
    (SHIFTS.replace("after: 2h,", "after: 4h,"), "shifts.yaml:6 templates.full.breaks: the breaks end"),
    (SHIFTS.replace("length: 30min}", "length: 30min}, {after: 150min, length: 30min}"),
     "shifts.yaml:6 templates.full.breaks: break 2 starts before the previous one ends (or as it ends)"),
    (SHIFTS.replace("part_time_share: 0.5", "part_time_share: 2"), "shifts.yaml:12 part_time_share: must be <= 1"),
    (SHIFTS.replace("part_time_share", "  other:\n    start: '08:00'\n    length: 2h\n    groups: [nobody]\n"
                    "part_time_share"), "shifts.yaml:15 templates.other.groups[0]: 'nobody' is not a staffed group"),
    (SHIFTS.replace("length: 2h", "length: 2h\n    min: 3\n    max: 1"), "templates.short.max: max (1) is below min"),
    ("- full\n", "shifts.yaml:1: the file holds a list; a shifts file must be a mapping"),
])
def test_bad_shifts_file_exits_2_naming_file_line_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          text: str, where: str) -> None:
    source, shifts = tmp_path / "small.yaml", tmp_path / "shifts.yaml"
    source.write_text(SMALL, encoding="utf-8")
    shifts.write_text(text, encoding="utf-8")
    out = tmp_path / "out.yaml"
    assert main(["staff", str(source), "--shifts", str(shifts), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert where in err and "Traceback" not in err, err
    assert not out.exists() and not out.with_suffix(".csv").exists()


def test_requirement_no_template_reaches_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, shifts = tmp_path / "small.yaml", tmp_path / "shifts.yaml"
    source.write_text(SMALL, encoding="utf-8")
    shifts.write_text("templates:\n  early: {start: '08:00', length: 2h}\n", encoding="utf-8")
    out = tmp_path / "out.yaml"
    assert main(["staff", str(source), "--shifts", str(shifts), "--out", str(out), "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "no template covers group 'team' on mon 10:00-10:30, where calls come" in err and "Traceback" not in err
    assert "simulation" not in err  # refused before the search
    assert not out.exists()


def test_bundled_templates_load_for_the_in_house_scenario() -> None:
    root = Path(__file__).resolve().parents[1]
    shifts = load_shifts(root / "examples" / "shifts_inhouse.yaml", 1800.0, ("service_team",))
    assert [len(t.starts(1800.0)) for t in shifts.templates.values()] == [14, 14]
    assert shifts.templates["full"].paid() == 7.5 * 3600


def test_templates_apply_to_their_groups_only() -> None:
    text = DAY_SCENARIO.format(days=1, interval="1h").replace(
        "agent_groups:\n", "agent_groups:\n  second: {skills: [calls], agents: 2}\n")
    s = scenario(text)
    shifts = _shifts({"mine": {"start": "08:00", "length": "8h", "groups": ["team"]},
                      "both": {"start": "08:00", "length": "4h", "last_start": "12:00"}})
    cols = columns(shifts, s, ("team", "second"))
    assert {c.template for c in cols if c.group == 0} == {"mine", "both"}
    assert {c.template for c in cols if c.group == 1} == {"both"}


def test_rounds_only_raise_the_requirement_and_the_paid_hours() -> None:
    """Shifts of one interval schedule exactly the requirement, which (searched without margin) misses on the
    rounds' seed: rounds raise the requirement; it only grows, so each optimal solve costs at least the one before,
    and the schedule covers the raised requirement, itself at least the search's."""
    s = scenario(SMALL.replace("replications: 4", "replications: 3"))
    outcome, search = staff(s, ("team",), Goals(margin=0.0), seed=5, verify_seed=6, replications=3, workers=1)
    shifts = _shifts({"slot": {"start": "08:00", "last_start": "11:30", "length": "30min"}})
    plan = schedule(outcome, search, shifts, 6, 3)
    assert all(r.seed == 7 for r in plan.rounds)
    hours = [r.paid_hours for r in plan.rounds]
    assert hours == sorted(hours)
    assert (plan.solved.coverage >= plan.requirement).all() and (plan.requirement >= outcome.staffed.agents).all()
    assert plan.raised == int((plan.requirement > outcome.staffed.agents).sum())
    assert plan.met or len(plan.rounds) == ROUNDS
    assert len(plan.rounds) > 1, "the margin was meant to make the first round miss"


def test_daily_goals_schedule_covers_the_daily_requirement() -> None:
    s = scenario(SMALL)
    outcome, search = staff(s, ("team",), Goals(target="daily"), seed=5, verify_seed=6, replications=4, workers=1)
    shifts = _shifts({"full": {"start": "08:00", "last_start": "09:00", "length": "4h",
                               "breaks": [{"after": "2h", "length": "30min"}]}})
    plan = schedule(outcome, search, shifts, 6, 4)
    assert (plan.solved.coverage >= outcome.staffed.agents).all() and plan.rounds


@pytest.mark.parametrize(("minimise", "chosen"), [("hours", "short"), ("cost", "cheap")])
def test_objective_hours_or_cost(minimise: str, chosen: str) -> None:
    """One agent 08-12: 4 h at 30 per hour (120, the fewest hours) or 5 h at 20 per hour (100, the cheapest)."""
    search = _search(interval="1h")
    shifts = _shifts({"short": {"start": "08:00", "length": "4h", "cost_per_hour": 30},
                      "cheap": {"start": "08:00", "length": "5h", "cost_per_hour": 20}}, minimise=minimise)
    cols = columns(shifts, search.scenario, search.groups)
    need = np.zeros((1, WEEK, 24), dtype=np.int64)
    need[0, 0, 8:12] = 1
    solved = solve(cols, need, shifts, ("team",))
    assert {c.template: int(a) for c, a in zip(cols, solved.agents, strict=True) if a} == {chosen: 1}
