"""Annotated field types shared by the scenario schema: durations and clock times parse to seconds."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from sim.units import parse_clock, parse_duration

STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

_DURATION_SCHEMA = {"type": "string", "pattern": r"^\s*[0-9]*\.?[0-9]+\s*(ms|s|sec|min|h|d)\s*$",
                    "examples": ["45s", "5min", "1.5h"]}
_CLOCK_SCHEMA = {"type": "string", "pattern": r"^\s*[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?\s*$", "examples": ["08:00"]}
_SHIFT_END_SCHEMA = {"type": "string", "pattern": r"^\s*[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?\s*(\+1)?\s*$",
                     "examples": ["16:30", "06:00+1"]}

Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(_DURATION_SCHEMA)]
"""A duration with unit in the file, seconds in the model."""
PositiveDuration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0),
                             WithJsonSchema(_DURATION_SCHEMA)]
Clock = Annotated[float, BeforeValidator(parse_clock), WithJsonSchema(_CLOCK_SCHEMA)]
"""A clock time "HH:MM" in the file, seconds after midnight in the model."""
ShiftEnd = Annotated[float, BeforeValidator(lambda v: parse_clock(v, allow_next_day=True)),
                     WithJsonSchema(_SHIFT_END_SCHEMA)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
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
    def index(self) -> int:
        return list(Weekday).index(self)


ALL_DAYS: tuple[Weekday, ...] = tuple(Weekday)
