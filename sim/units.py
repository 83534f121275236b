"""Durations with units ("45s", "5min", "1.5h", "2d") and clock times ("08:00", "06:00+1") -> seconds."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z]+)\s*$")
_CLOCK = re.compile(r"^\s*([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\s*(\+1)?\s*$")
DAY = 86400.0

DURATION_HINT = "write a duration with its unit, e.g. '45s', '5min', '1.5h' or '2d'"


def parse_duration(value: object) -> float:
    """Return seconds for a duration string; a bare number is rejected (its unit would be a guess)."""
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float):
            raise ValueError(f"a bare number is ambiguous (got {value!r}); {DURATION_HINT}")
        raise ValueError(f"expected a duration (got {value!r}); {DURATION_HINT}")
    match = _DURATION.match(value)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"not a duration: {value!r}; {DURATION_HINT}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_clock(value: object, allow_next_day: bool = False) -> float:
    """Return seconds after midnight for "HH:MM" or "HH:MM:SS"; "24:00" is the end of the day.

    With ``allow_next_day`` a "+1" suffix ("06:00+1") means that time on the next day.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected a clock time in quotes such as \"08:00\" (got {value!r})")
    match = _CLOCK.match(value)
    if not match:
        raise ValueError(f"not a clock time: {value!r}; write \"HH:MM\", e.g. \"08:00\"")
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError(f"not a clock time: {value!r}")
    if match.group(4) and not allow_next_day:
        raise ValueError(f"'+1' (next day) is only allowed for a shift's end (got {value!r})")
    return hours * 3600.0 + minutes * 60.0 + seconds + (DAY if match.group(4) else 0.0)


def format_clock(seconds: float) -> str:
    """Seconds after midnight -> "HH:MM" (with ":SS" if needed)."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
