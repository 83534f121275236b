"""What ``ccsim staff --shifts`` writes: the scheduled scenario (``extends`` the original; the staffed groups get
``shifts:`` lists, one entry per logged-in piece of a shift between its breaks), the schedule as CSV and the
terminal summary."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from sim.analysis.schedule import Column, Schedule
from sim.analysis.staffing import WEEK, Outcome, Verified, agent_hours, weekdays_of_run
from sim.reports.staffed import parent_path, share_text, staffed_name, unit_text
from sim.scenario.types import Weekday
from sim.units import format_clock

CSV_COLUMNS = ("group", "weekday", "template", "start", "end", "breaks", "paid_hours", "agents")
"""Columns of the schedule CSV: one row per shift worked (template, start, weekday, group) with its agents."""


@dataclass(frozen=True)
class Checked:
    """The requirement (staffing tables) and the schedule, both run on the fresh seeds."""

    requirement: Verified
    schedule: Verified


def _worked(schedule: Schedule) -> list[tuple[Column, int]]:
    return [(c, int(a)) for c, a in zip(schedule.columns, schedule.solved.agents, strict=True) if a > 0]


def _breaks(c: Column, interval: float) -> str:
    return " ".join(f"{format_clock(a * interval)}-{format_clock(b * interval)}"
                    for (_, a), (b, _) in zip(c.pieces, c.pieces[1:], strict=False))


def yaml_text(outcome: Outcome, schedule: Schedule, source: Path, out: Path, checked: Checked | None) -> str:
    """The scheduled scenario; with ``checked`` the header also gives the fresh-seed figures."""
    scenario = outcome.scenario
    interval = scenario.run.interval
    units = "weekday-intervals" if outcome.goals.target == "per-interval" else "weekdays"
    ends = "every goal met" if schedule.met else "goals still missed in the last round"
    lines = [
        f"# Scheduled by 'ccsim staff --shifts' from {source.name}: the original file (extends, below) stays as it",
        "# is; only the staffing of the groups listed here is replaced by shifts (one entry per logged-in piece",
        "# between unpaid breaks).",
        f"# Requirement: {outcome.iterations} simulation(s) of the staffing search on seed {outcome.search_seed}; "
        f"schedule: {len(schedule.rounds)} round(s) on seed {schedule.rounds[0].seed} ({ends}).",
    ]
    if checked is not None:
        lines += [
            f"# Fresh seeds (seed {outcome.verify_seed}, {outcome.replications} replications): {units} "
            f"meeting every goal {share_text(checked.schedule)} (requirement {share_text(checked.requirement)}).",
            f"# Agent hours per run of {scenario.run.days} day(s): {checked.schedule.agent_hours:,.1f} "
            f"(requirement {checked.requirement.agent_hours:,.1f}).",
        ]
    lines += [f"extends: {parent_path(source, out)}", f"name: {staffed_name(out, scenario.name)}", "agent_groups:"]
    worked = _worked(schedule)
    for g, name in enumerate(outcome.staffed.groups):
        mine = [(c, a) for c, a in worked if c.group == g]
        lines += [f"  {name}:", "    agents: null" if mine else "    agents: 0", "    staffing: null"]
        if not mine:
            lines.append("    shifts: null")
            continue
        lines.append("    shifts:")
        for c, a in mine:
            day = list(Weekday)[c.weekday].value
            rest = _breaks(c, interval)
            lines.append(f"      # {c.template} from {format_clock(c.start)}" + (f", break {rest}" if rest else ""))
            lines += [f"      - {{start: \"{format_clock(first * interval)}\", "
                      f"end: \"{format_clock(end * interval)}\", agents: {a}, days: [{day}]}}"
                      for first, end in c.pieces]
    return "\n".join(lines) + "\n"


def csv_text(outcome: Outcome, schedule: Schedule) -> str:
    """The schedule CSV (CSV_COLUMNS)."""
    interval = outcome.scenario.run.interval
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c, a in sorted(_worked(schedule), key=lambda x: (x[0].group, x[0].weekday, x[0].start, x[0].template)):
        writer.writerow([outcome.staffed.groups[c.group], list(Weekday)[c.weekday].value, c.template,
                         format_clock(c.start), format_clock(c.pieces[-1][1] * interval), _breaks(c, interval),
                         f"{c.paid_hours:g}", a])
    return buffer.getvalue()


def terminal_text(outcome: Outcome, schedule: Schedule, checked: Checked, seconds: float) -> str:
    """The summary printed by ``ccsim staff --shifts``."""
    scenario = outcome.scenario
    unit, units = ("interval", "weekday-intervals") if outcome.goals.target == "per-interval" else ("day", "weekdays")
    run_weekdays = weekdays_of_run(scenario)
    required = agent_hours(outcome.staffed, scenario)
    paid = schedule.paid_hours(run_weekdays)
    shifts = sum(a for _, a in _worked(schedule)) if scenario.run.days >= WEEK else None
    rounds = "; ".join(f"{r.missing} missing at {r.paid_hours:,.1f} h" for r in schedule.rounds)
    lines = [
        f"ccsim staff --shifts {scenario.name}: {len(schedule.columns)} possible shifts, "
        f"{'optimal' if schedule.solved.optimal else 'NOT proven optimal (time limit)'} schedule; MILP "
        f"{schedule.solve_seconds:.2f} s over {len(schedule.rounds)} round(s) on seed {schedule.rounds[0].seed} "
        f"({rounds}); "
        + ("every goal met in the last round" if schedule.met else "goals still missed in the last round")
        + f", requirement raised in {schedule.raised} interval(s); {seconds:.1f} s in all",
        f"agent hours per run: requirement {required:,.1f}, schedule {paid:,.1f} "
        f"(+{100 * (paid / required - 1) if required else 0.0:.1f} %: the price of shift rigidity)"
        + (f"; {shifts} shift(s) a week" if shifts is not None else ""),
        f"verified on fresh seeds (seed {outcome.verify_seed}, {outcome.replications} replications):",
        f"  {'':<12} {'agent h':>10}  {units + ' meeting every goal':>36}  "
        f"{'P(' + unit + ' of one replication meets)':>36}",
    ]
    lines += [f"  {name:<12} {v.agent_hours:>10,.1f}  {share_text(v):>36}  {unit_text(v):>36}"
              for name, v in (("requirement", checked.requirement), ("schedule", checked.schedule))]
    return "\n".join(lines)
