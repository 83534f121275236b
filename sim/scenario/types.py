"""Annotated field types shared by the scenario schema: durations and clock times parse to seconds."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from sim.units import DAY, parse_clock, parse_duration

STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

# Every number of a scenario is finite and lies in a range a demanding user accepts; a test walks the schema to
# make sure no field is left without one. Give a field either one of these types or bounds of its own, not both:
# pydantic lets a type's bound win over a ``Field(...)`` default's.
MAX_AGENTS = 100_000
"""Agents of one group at one time."""
MAX_RATE = 1e6
"""Calls per hour of one call type; a day's volume is at most 24 times this."""
MAX_FACTOR = 1000
"""Factors that scale volumes or times (volume_factor, day_of_week, handle_time_factor)."""
MAX_MONEY = 1e9
"""An amount of money per unit (an hour, a minute, a call, a month) or once (a set-up cost)."""
MAX_COUNT = 1_000_000
"""Lines and queue lengths."""
MAX_RANK = 1000
"""Skill ranks, priorities and the phases of an Erlang distribution."""
MAX_CV = 100.0
"""Coefficients of variation of distributions."""
MAX_DURATION = 3660 * DAY
"""Any duration: ten years, the longest run (run.days <= 3660)."""

_DURATION_SCHEMA = {"type": "string", "pattern": r"^\s*[0-9]*\.?[0-9]+\s*(ms|s|sec|min|h|d)\s*$",
                    "examples": ["45s", "5min", "1.5h"]}
_CLOCK_SCHEMA = {"type": "string", "pattern": r"^\s*[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?\s*$", "examples": ["08:00"]}
_SHIFT_END_SCHEMA = {"type": "string", "pattern": r"^\s*[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?\s*(\+1)?\s*$",
                     "examples": ["16:30", "06:00+1"]}

Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0, le=MAX_DURATION),
                     WithJsonSchema(_DURATION_SCHEMA)]
"""A duration with unit in the file, seconds in the model."""
PositiveDuration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0, le=MAX_DURATION),
                             WithJsonSchema(_DURATION_SCHEMA)]
Clock = Annotated[float, BeforeValidator(parse_clock), Field(ge=0, le=DAY), WithJsonSchema(_CLOCK_SCHEMA)]
"""A clock time "HH:MM" in the file, seconds after midnight in the model."""
ShiftEnd = Annotated[float, BeforeValidator(lambda v: parse_clock(v, allow_next_day=True)), Field(ge=0, le=2 * DAY),
                     WithJsonSchema(_SHIFT_END_SCHEMA)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Percent = Annotated[float, Field(ge=0.0, le=100.0)]
Factor = Annotated[float, Field(ge=0.0, le=MAX_FACTOR)]
"""A factor that may be 0 (a closed day); a positive one is ``PositiveFactor``."""
PositiveFactor = Annotated[float, Field(gt=0.0, le=MAX_FACTOR)]
Money = Annotated[float, Field(ge=0.0, le=MAX_MONEY)]
"""An amount of money in the scenario's currency."""
Weight = Annotated[float, Field(ge=0.0, le=MAX_MONEY)]
"""A relative weight (of an empirical value); any scale up to 1e9."""
CV = Annotated[float, Field(gt=0.0, le=MAX_CV)]
Agents = Annotated[int, Field(ge=0, le=MAX_AGENTS)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Rank = Annotated[int, Field(ge=1, le=MAX_RANK)]
"""A skill rank (1 = first choice) or a number of phases."""
Priority = Annotated[int, Field(ge=0, le=MAX_RANK)]
"""0 is served first."""
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$", max_length=64)]


class Weekday(StrEnum):
    """Days of the week; day 0 of a run falls on ``run.start_day``."""

    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"

    @property
    def number(self) -> int:
        """0 for Monday ... 6 for Sunday."""
        return list(Weekday).index(self)


ALL_DAYS: tuple[Weekday, ...] = tuple(Weekday)
