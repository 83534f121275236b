"""SHIFTS.yaml, the shift templates of ``ccsim staff --shifts``: read, validated and checked against the scenario
it schedules, every problem with the file, the line and the key path (as scenario files report them)."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path as FsPath

from pydantic import Field, ValidationError, model_validator

from sim.errors import Problem, ScenarioError, ValueAtKey
from sim.scenario.files import MAX_SCENARIO_BYTES, UnreadableFile, read_bytes
from sim.scenario.loader import validation_problems
from sim.scenario.schema import Model
from sim.scenario.types import ALL_DAYS, MAX_AGENTS, Clock, Money, Name, PositiveDuration, Share, Weekday
from sim.scenario.yamlmap import Path, format_path, holds, line_of, load_yaml
from sim.units import DAY, format_clock, format_duration


class Objective(StrEnum):
    """What the schedule minimises."""

    hours = "hours"  # paid agent hours
    cost = "cost"  # paid agent hours x cost per hour


class Break(Model):
    """An unpaid break: the agents of the shift log out ``after`` its start for ``length``."""

    after: PositiveDuration = Field(description="from the start of the shift to the start of the break")
    length: PositiveDuration


class Template(Model):
    """A shift template: agents start at ``start``, ``start + every``, ... up to ``last_start`` and stay
    ``length`` (breaks included) on the weekdays listed."""

    start: Clock = Field(description="the first start time")
    last_start: Clock | None = Field(None, description="the last start time (default: start)")
    every: PositiveDuration | None = Field(None, description="between start times (default: the run's interval)")
    length: PositiveDuration = Field(description="from start to end, breaks included")
    breaks: list[Break] = Field(default_factory=list)
    min: int = Field(0, ge=0, le=MAX_AGENTS, description="agents on this template per day it is used, at least")
    max: int | None = Field(None, ge=0, le=MAX_AGENTS, description="agents on this template per day, at most")
    part_time: bool = Field(False, description="counts against part_time_share")
    days: list[Weekday] = Field(default_factory=lambda: list(ALL_DAYS), min_length=1)
    cost_per_hour: Money | None = Field(None, description="per paid hour (default: the group's cost_per_hour)")
    groups: list[Name] | None = Field(None, min_length=1, description="groups it applies to (default: all staffed)")

    @model_validator(mode="after")
    def _check(self) -> Template:
        if self.last_start is not None and self.last_start < self.start:
            raise ValueAtKey("last_start", f"the last start ({format_clock(self.last_start)}) is before the first "
                                           f"({format_clock(self.start)})")
        if self.max is not None and self.max < self.min:
            raise ValueAtKey("max", f"max ({self.max}) is below min ({self.min})")
        if (self.last_start or self.start) + self.length > DAY + 1e-9:
            raise ValueAtKey("length", f"a shift from {format_clock(self.last_start or self.start)} lasting "
                                       f"{format_duration(self.length)} ends after midnight; shifts must end by "
                                       "24:00")
        end = 0.0
        for i, b in enumerate(self.breaks):
            if b.after <= end:
                raise ValueAtKey("breaks", f"break {i + 1} starts before the previous one ends (or as it ends): "
                                           "list breaks in order, with work between them")
            end = b.after + b.length
        if end >= self.length:
            raise ValueAtKey("breaks", f"the breaks end ({format_duration(end)} after the start) at or after the "
                                       f"end of the shift ({format_duration(self.length)})")
        return self

    def paid(self) -> float:
        """Paid seconds of one shift (length minus breaks)."""
        return self.length - sum(b.length for b in self.breaks)

    def starts(self, interval: float) -> list[float]:
        """The start times, in seconds after midnight."""
        step = self.every or interval
        last = self.start if self.last_start is None else self.last_start
        count = math.floor((last - self.start) / step + 1e-9) + 1
        return [self.start + i * step for i in range(count)]


class ShiftsFile(Model):
    """The whole SHIFTS.yaml."""

    templates: dict[Name, Template] = Field(min_length=1)
    part_time_share: Share | None = Field(None, description="at most this share of a group's agents on a day "
                                                            "on part-time templates")
    minimise: Objective = Objective.hours


def load_shifts(file: str | FsPath, interval: float, groups: tuple[str, ...]) -> ShiftsFile:
    """Read and validate ``file`` for a scenario reported per ``interval`` seconds whose staffed ``groups`` are
    given; raise ScenarioError listing every problem."""
    name = str(file)
    try:
        raw = read_bytes(file, MAX_SCENARIO_BYTES, "shifts file")
    except UnreadableFile as exc:
        raise ScenarioError([Problem(name, "", None, exc.reason)]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(name, "", raw[:exc.start].count(b"\n") + 1,
                                     "not UTF-8 text; save the file with the UTF-8 encoding")]) from None
    data, lines, problems = load_yaml(text, name)
    if data is None and not problems:
        problems = [Problem(name, "", 1, "the file is empty; a shifts file needs 'templates'")]
    elif data is not None and not isinstance(data, dict):
        problems = [*problems, Problem(name, "", 1, f"the file {holds(data)}; a shifts file must be a mapping of "
                                                    "keys (templates:, part_time_share:, minimise:)")]
    if problems:
        raise ScenarioError(problems)
    try:
        shifts = ShiftsFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(sorted(validation_problems(exc, name, lines, data, root=ShiftsFile),
                                   key=lambda p: p.line or 0)) from None
    found = [Problem(name, format_path(path), line_of(lines, path), message)
             for path, message in _against_scenario(shifts, interval, groups)]
    if found:
        raise ScenarioError(sorted(found, key=lambda p: p.line or 0))
    return shifts


def _against_scenario(shifts: ShiftsFile, interval: float, groups: tuple[str, ...]) -> list[tuple[Path, str]]:
    """Rules that need the scenario: times on its interval grid, groups it staffs."""
    out: list[tuple[Path, str]] = []

    def on_grid(path: Path, seconds: float, what: str) -> None:
        if abs(seconds / interval - round(seconds / interval)) > 1e-9:
            shown = format_clock(seconds) if what == "the start time" else format_duration(seconds)
            out.append((path, f"{what} ({shown}) must be a multiple of the scenario's interval "
                              f"({format_duration(interval)}): the schedule covers whole intervals"))

    for name, t in shifts.templates.items():
        at: Path = ("templates", name)
        on_grid((*at, "start"), t.start, "the start time")
        if t.every is not None:
            on_grid((*at, "every"), t.every, "the time between starts")
        on_grid((*at, "length"), t.length, "the length")
        for i, b in enumerate(t.breaks):
            on_grid((*at, "breaks", i, "after"), b.after, "the break's offset")
            on_grid((*at, "breaks", i, "length"), b.length, "the break's length")
        for i, g in enumerate(t.groups or []):
            if g not in groups:
                out.append(((*at, "groups", i), f"'{g}' is not a staffed group (staffed: {', '.join(groups)})"))
    covered = {g for t in shifts.templates.values() for g in (t.groups or groups)}
    for g in groups:
        if g not in covered:
            out.append((("templates",), f"no template applies to the staffed group '{g}'; add one, or name the "
                                        "groups to schedule with --groups"))
    return out
