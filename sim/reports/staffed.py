"""What ``ccsim staff`` writes: the staffed scenario (a small file that ``extends`` the original, so the user's
file and its comments stay as they are), the per-interval CSV report and the terminal summary."""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.analysis.staffing import ENDINGS, WEEK, Outcome, Plan, Verified, slots, weekdays_of_run
from sim.errors import CcsimError
from sim.reports.folders import write_atomic
from sim.scenario.types import Weekday
from sim.units import format_clock

NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")
CSV_COLUMNS = ("weekday", "interval_start", "level", "name", "kpi", "erlang_c", "staffed")
"""Columns of the CSV report: per weekday and interval the agents of each staffed group, each call type's service
level on the fresh seeds and whether every goal was met (1/0); rows with weekday 'all' hold the totals."""


@dataclass(frozen=True)
class Checked:
    """Both plans verified on the fresh seeds."""

    staffed: Verified
    erlang_c: Verified


def staffed_name(out: Path, original: str) -> str:
    """The staffed scenario's name: the file's stem if it is a valid name, else '<original>_staffed'."""
    return out.stem if NAME.match(out.stem) else f"{original[:56]}_staffed"


def parent_path(source: Path, out: Path) -> str:
    """The original scenario as ``extends`` names it: relative to the folder of ``out`` when the two share a
    folder below the root (so the pair can be moved together), else absolute."""
    parent, folder = Path(os.path.abspath(source)), Path(os.path.abspath(out.parent))
    try:
        common = Path(os.path.commonpath([parent, folder]))
    except ValueError:  # another drive
        return parent.as_posix()
    if common == Path(common.anchor):
        return parent.as_posix()
    return Path(os.path.relpath(parent, folder)).as_posix()


def _goal_text(outcome: Outcome) -> str:
    targets = ", ".join(f"{q.call_type} {100 * q.target:g} % within {q.threshold:g}s" for q in outcome.queues)
    goals = outcome.goals
    limits = "".join([f"; abandonment <= {100 * goals.max_abandon:g} %" if goals.max_abandon is not None else "",
                      f"; occupancy <= {100 * goals.max_occupancy:g} %" if goals.max_occupancy is not None else ""])
    return f"{goals.target} service level ({targets}){limits}"


def share_text(v: Verified) -> str:
    """'115 of 130 (88.5 %)': the units meeting every goal."""
    return f"{v.met.sum():.0f} of {v.units} ({100 * v.pooled_share:.1f} %)"


def unit_text(v: Verified) -> str:
    """'0.79 ± 0.06': P(one unit of one replication meets every goal)."""
    e = v.unit_share
    return f"{e.mean:.2f}" + ("" if np.isnan(e.half_width) else f" ± {e.half_width:.2f}")


def yaml_text(outcome: Outcome, source: Path, out: Path, checked: Checked | None) -> str:
    """The staffed scenario; with ``checked`` the header also gives the fresh-seed figures."""
    scenario = outcome.scenario
    units, one = ("weekday-intervals", "interval") if outcome.goals.target == "per-interval" else ("weekdays", "day")
    lines = [
        f"# Staffed by 'ccsim staff' from {source.name}: the original file (extends, below) stays as it is, comments",
        "# included; only the staffing of the groups listed here is replaced.",
        f"# Goals: {_goal_text(outcome)}; on the search seeds by {outcome.goals.margin:g} standard error(s).",
        f"# Search: Erlang A per interval, then {outcome.iterations} simulation(s) of {outcome.replications} "
        f"replications on seed {outcome.search_seed} (common random numbers)"
        f"; it ended: {outcome.status}"
        + ("" if outcome.feasible else "; NO plan met every goal on the search seeds") + ".",
    ]
    if checked is not None:
        lines += [
            f"# Fresh seeds (seed {outcome.verify_seed}, {outcome.replications} replications): {units} meeting "
            f"every goal {share_text(checked.staffed)};",
            f"# Erlang C at the same targets {share_text(checked.erlang_c)}.",
            f"# P({one} of one replication meets every goal): {unit_text(checked.staffed)} "
            f"(Erlang C {unit_text(checked.erlang_c)}).",
            f"# Agent hours per run of {scenario.run.days} day(s): {checked.staffed.agent_hours:,.1f} "
            f"(Erlang C {checked.erlang_c.agent_hours:,.1f}).",
        ]
    if scenario.run.days < WEEK:
        days = sorted({int(w) for w in weekdays_of_run(scenario)})
        lines.append(f"# Only the simulated weekdays ({', '.join(list(Weekday)[w].value for w in days)}) are staffed.")
    lines += [f"extends: {parent_path(source, out)}", f"name: {staffed_name(out, scenario.name)}", "agent_groups:"]
    minutes = f"{scenario.run.interval / 60:g}min"
    for g, name in enumerate(outcome.staffed.groups):
        agents = outcome.staffed.agents[g]
        lines += [f"  {name}:", "    agents: null" if agents.any() else "    agents: 0", "    shifts: null"]
        if not agents.any():
            lines.append("    staffing: null")
            continue
        lines.append(f"    staffing:               # agents logged in per {minutes}, found by simulation")
        for w in range(WEEK):
            staffed = np.flatnonzero(agents[w])
            if staffed.size:
                first, last = int(staffed[0]), int(staffed[-1])
                lines += [f"      - days: [{list(Weekday)[w].value}]",
                          f"        start: \"{format_clock(first * scenario.run.interval)}\"",
                          f"        resolution: {minutes}",
                          f"        agents: [{', '.join(str(int(a)) for a in agents[w, first:last + 1])}]"]
    return "\n".join(lines) + "\n"


def csv_text(outcome: Outcome, checked: Checked) -> str:
    """The CSV report (CSV_COLUMNS)."""
    scenario = outcome.scenario
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    days = sorted({int(w) for w in weekdays_of_run(scenario)})
    types = tuple(scenario.all_call_types())
    plans: tuple[Plan, Plan] = (outcome.erlang_c, outcome.staffed)
    daily = outcome.goals.target == "daily"
    for w in days:
        weekday = list(Weekday)[w].value
        for s in range(slots(scenario)):
            start = format_clock(s * scenario.run.interval)
            if not any(p.agents[:, w, s].any() for p in plans):
                continue
            for g, name in enumerate(outcome.staffed.groups):
                writer.writerow([weekday, start, "group", name, "agents", *(int(p.agents[g, w, s]) for p in plans)])
            for q in outcome.queues:
                k = types.index(q.call_type)
                writer.writerow([weekday, start, "call_type", q.call_type, "service_level",
                                 *(_cell(v.sl[k, w, s]) for v in (checked.erlang_c, checked.staffed))])
            if not daily:
                writer.writerow([weekday, start, "all", "all", "meets_goals",
                                 *(int(v.met[w, s]) for v in (checked.erlang_c, checked.staffed))])
        if daily:
            writer.writerow([weekday, "", "all", "all", "meets_goals",
                             *(int(v.met[w]) for v in (checked.erlang_c, checked.staffed))])
    both = (checked.erlang_c, checked.staffed)
    for kpi, values in (("agent_hours", [v.agent_hours for v in both]),
                        ("units", [v.units for v in both]),
                        ("share_units_meeting", [v.pooled_share for v in both]),
                        ("share_replication_units_meeting", [v.unit_share.mean for v in both]),
                        ("share_replication_units_meeting_ci", [v.unit_share.half_width for v in both])):
        writer.writerow(["all", "", "all", "all", kpi, *(_cell(x) for x in values)])
    return buffer.getvalue()


def _cell(x: float) -> str:
    return "" if np.isnan(x) else f"{x:.6g}"


def terminal_text(outcome: Outcome, checked: Checked) -> str:
    """The summary printed by ``ccsim staff``."""
    unit = "interval" if outcome.goals.target == "per-interval" else "day"
    rows = [("Erlang C", checked.erlang_c), ("ccsim staff", checked.staffed)]
    units = "weekday-intervals" if unit == "interval" else "weekdays"
    head = f"  {'':<12} {'agent h':>10}  {units + ' meeting every goal':>36}  " \
           f"{'P(' + unit + ' of one replication meets)':>36}"
    lines = [
        f"ccsim staff {outcome.scenario.name}: {_goal_text(outcome)}; groups {', '.join(outcome.staffed.groups)}",
        f"search: {outcome.iterations} simulation(s) x {outcome.replications} replications on seed "
        f"{outcome.search_seed}, margin {outcome.goals.margin:g} SE, {outcome.seconds:.1f} s; {ENDINGS[outcome.status]}"
        + ("" if outcome.feasible else "; NO plan met every goal on the search seeds: the last one is kept"),
        f"verified on fresh seeds (seed {outcome.verify_seed}, {outcome.replications} replications), "
        f"{outcome.scenario.run.days} day(s) per run:",
        head,
    ]
    lines += [f"  {name:<12} {v.agent_hours:>10,.1f}  {share_text(v):>36}  {unit_text(v):>36}" for name, v in rows]
    return "\n".join(lines)


def check_outputs(out: Path, force: bool) -> Path:
    """The CSV path beside ``out``; CcsimError if ``out`` is no .yaml/.yml file name or either file exists (without
    ``force``)."""
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise CcsimError(f"ccsim staff --out: {out}: give a scenario file name ending in .yaml or .yml")
    report = out.with_suffix(".csv")
    for path in (out, report):
        if path.is_dir():
            raise CcsimError(f"ccsim staff --out: {path} is a folder")
        if path.exists() and not force:
            raise CcsimError(f"ccsim staff: {path} exists; choose another --out, or add --force to replace it")
    return report


def write_outputs(out: Path, report: Path, yaml: str, table: str) -> None:
    """Write both files whole (each atomically)."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(report, table.encode("utf-8"))
        write_atomic(out, yaml.encode("utf-8"))
    except OSError as exc:
        raise CcsimError(f"ccsim staff: cannot write {out}: {exc.strerror}") from None
