"""Durations with units ("45s", "5min", "1.5h", "2d") and clock times ("08:00", "06:00+1") -> seconds."""

from __future__ import annotations

import difflib
import math
import re

_UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_UNIT_WORDS = {"m": "min", "mins": "min", "minute": "min", "minutes": "min", "secs": "sec", "second": "s",
               "seconds": "s", "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "day": "d", "days": "d"}
"""Spellings people write, each with the unit to use instead ('m' is refused: minutes, or months?)."""
_DURATION = re.compile(r"^\s*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]*)\s*$")
_CLOCK = re.compile(r"^\s*([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\s*(\+1)?\s*$")
DAY = 86400.0

DURATION_HINT = "write a duration with its unit, e.g. '45s', '5min', '1.5h' or '2d'"
CLOCK_HINT = "write a clock time in quotes as \"HH:MM\", e.g. \"08:00\" or \"24:00\" for the end of the day"


def parse_duration(value: object) -> float:
    """Return seconds for a duration such as "5min"; a bare number is rejected (its unit would be a guess).

    The sign is kept ("-3min" -> -180.0) so that the field's own bound (> 0, >= 0) reports the problem.
    """
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            plain = abs(value) < 1e15 if isinstance(value, int) else math.isfinite(value)
            example = f"'{value:g}s' or '{value:g}min'" if plain else "'45s'"
            raise ValueError(f"a bare number is ambiguous (got {value!r}): seconds or minutes? "
                             f"write the unit, e.g. {example}")
        raise ValueError(f"expected a duration (got {_shown(value)}); {DURATION_HINT}")
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r}; {DURATION_HINT}")
    number, unit = float(match.group(1)), match.group(2)
    if not unit:
        raise ValueError(f"a duration needs a unit (got {value!r}); {DURATION_HINT}")
    if unit not in _UNITS:
        raise ValueError(f"unknown time unit {unit!r} in {value!r}{_unit_hint(unit)}; "
                         f"the units are {', '.join(_UNITS)}")
    seconds = number * _UNITS[unit]
    if not math.isfinite(seconds):
        raise ValueError(f"a duration must be finite (got {value!r})")
    return seconds


def _unit_hint(unit: str) -> str:
    known = _UNIT_WORDS.get(unit.lower()) or (unit.lower() if unit.lower() in _UNITS else None)
    if known is None:
        close = difflib.get_close_matches(unit.lower(), [*_UNITS, *_UNIT_WORDS], n=1, cutoff=0.6)
        known = _UNIT_WORDS.get(close[0], close[0]) if close else None
    return f" (did you mean '{known}'?)" if known else ""


def _shown(value: object) -> str:
    return "nothing" if value is None else repr(value)


def parse_clock(value: object, allow_next_day: bool = False) -> float:
    """Return seconds after midnight for "HH:MM" or "HH:MM:SS"; "24:00" is the end of the day.

    With ``allow_next_day`` a "+1" suffix ("06:00+1") means that time on the next day.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected a clock time (got {_shown(value)}); {CLOCK_HINT}")
    match = _CLOCK.match(value)
    if not match:
        raise ValueError(f"not a clock time: {value!r}; {CLOCK_HINT}")
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError(f"not a clock time: {value!r}; hours go from 00 to 24 (24:00 only), "
                         "minutes from 00 to 59")
    if match.group(4) and not allow_next_day:
        raise ValueError(f"'+1' (next day) is only allowed for a shift's end (got {value!r})")
    return hours * 3600.0 + minutes * 60.0 + seconds + (DAY if match.group(4) else 0.0)


def format_duration(seconds: float) -> str:
    """Seconds -> a duration in the largest unit that is at least 1: 316224000 -> '3660d', 90 -> '1.5min'."""
    unit = next((u for u in ("d", "h", "min", "s") if abs(seconds) >= _UNITS[u]), "s")
    return f"{seconds / _UNITS[unit]:g}{unit}"


def format_clock(seconds: float) -> str:
    """Seconds after midnight -> "HH:MM" (with ":SS" if needed)."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
