"""Opening hours: which arrival instants find the center open. Pure.

In a scenario: ``opening_hours: {mon-fri: "08:00-20:00", sat: "09:00-14:00"}``; a value may also be a list of
windows (``["08:00-12:00", "13:00-18:00"]``) or ``closed``. Days not listed are closed; without the key the
center never closes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.units import DAY, parse_clock

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Windows = tuple[tuple[tuple[float, float], ...], ...]
"""Per weekday (0 = Monday): (open, close) pairs in seconds after midnight."""


def _days(key: str) -> list[int]:
    text = str(key).strip().lower()
    if "-" in text:
        first, _, last = text.partition("-")
        if first not in DAYS or last not in DAYS:
            raise ValueError(f"unknown day range {key!r}; write e.g. 'mon-fri'")
        a, b = DAYS.index(first), DAYS.index(last)
        if b < a:
            raise ValueError(f"day range {key!r} runs backwards; write e.g. 'mon-fri'")
        return list(range(a, b + 1))
    if text not in DAYS:
        raise ValueError(f"unknown day {key!r}; use mon, tue, wed, thu, fri, sat, sun or a range like 'mon-fri'")
    return [DAYS.index(text)]


def _window(text: Any) -> tuple[float, float]:
    if not isinstance(text, str) or "-" not in text:
        raise ValueError(f"expected opening hours like \"08:00-20:00\" (got {text!r})")
    start, _, end = text.partition("-")
    opens, closes = parse_clock(start), parse_clock(end)
    if closes <= opens:
        raise ValueError(f"{text!r} closes before it opens")
    return opens, closes


def parse_hours(value: Any) -> Windows:
    """The YAML mapping -> windows per weekday; raises ValueError naming what is wrong."""
    if not isinstance(value, dict):
        raise ValueError("opening_hours must map days to hours, e.g. {mon-fri: \"08:00-20:00\"}")
    table: list[list[tuple[float, float]]] = [[] for _ in DAYS]
    seen: set[int] = set()
    for key, hours in value.items():
        days = _days(key)
        twice = seen.intersection(days)
        if twice:
            raise ValueError(f"{DAYS[min(twice)]} is given twice (in {key!r})")
        seen.update(days)
        items = [] if hours == "closed" else hours if isinstance(hours, list) else [hours]
        windows = sorted(_window(h) for h in items)
        for (_, close), (opens, _) in zip(windows, windows[1:], strict=False):
            if opens < close:
                raise ValueError(f"opening hours of {key!r} overlap")
        for d in days:
            table[d] = windows
    return tuple(tuple(w) for w in table)


def closed_at(times: np.ndarray, start_day: int, windows: Windows | None) -> np.ndarray:
    """True for each instant (s since day 0, which falls on weekday ``start_day``) when the center is closed."""
    if windows is None:
        return np.zeros(len(times), dtype=bool)
    day = np.floor(times / DAY)
    weekday = ((day + start_day) % 7).astype(np.int64)
    clock = times - day * DAY
    is_open = np.zeros(len(times), dtype=bool)
    for d, day_windows in enumerate(windows):
        for opens, closes in day_windows:
            is_open |= (weekday == d) & (clock >= opens) & (clock < closes)
    return ~is_open


def is_open(t: float, start_day: int, windows: Windows | None) -> bool:
    """Whether instant ``t`` (s since day 0, which falls on weekday ``start_day``) lies in opening hours."""
    if windows is None:
        return True
    day = int(t // DAY)
    clock = t - day * DAY
    return any(opens <= clock < closes for opens, closes in windows[(day + start_day) % 7])


def spans(windows: Windows | None, start_day: int, days: int) -> list[tuple[float, float]]:
    """The (open, close) instants of every window in ``days`` days from day 0 (weekday ``start_day``), in time
    order; windows that touch (one closes as the next opens) are merged. None: one span over all days."""
    if windows is None:
        return [(0.0, days * DAY)]
    out: list[tuple[float, float]] = []
    for day in range(days):
        for opens, closes in windows[(day + start_day) % 7]:
            a, b = day * DAY + opens, day * DAY + closes
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
    return out
