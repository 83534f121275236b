"""Arrival times per call type: piecewise-constant Poisson with day factors, gamma busyness, or a replayed trace.

Within a profile step the rate is constant; a day's rate is ``daily_volume x profile share / step length x
day-of-week factor x busyness x volume_factor``. A piecewise Poisson process is drawn exactly: a Poisson count per
step, then that many uniform instants within the step.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime

import numpy as np

from sim.errors import TraceError
from sim.files import MAX_TRACE_BYTES, UnreadableFile, read_bytes
from sim.scenario.schema import Arrivals, RunSettings
from sim.streams import Streams
from sim.units import DAY


def rate_steps(arrivals: Arrivals, run: RunSettings, day_factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start instants and expected calls of every constant-rate step of the horizon (one array each)."""
    if arrivals.rate_per_hour is not None:
        starts = np.arange(run.days) * DAY
        expected = np.full(run.days, arrivals.rate_per_hour * 24.0) * day_factors
        return starts, expected * run.volume_factor
    profile = arrivals.profile
    assert profile is not None and arrivals.daily_volume is not None
    shares = np.asarray(profile.fractions())
    offsets = profile.start + np.arange(len(shares)) * profile.resolution
    starts = (np.arange(run.days)[:, None] * DAY + offsets[None, :]).ravel()
    expected = (arrivals.daily_volume * day_factors[:, None] * shares[None, :]).ravel()
    return starts, expected * run.volume_factor


def step_length(arrivals: Arrivals) -> float:
    """Length of one constant-rate step."""
    return DAY if arrivals.profile is None else arrivals.profile.resolution


def day_factors(arrivals: Arrivals, run: RunSettings, rng: np.random.Generator) -> np.ndarray:
    """Per simulated day: day-of-week factor x gamma busyness (mean 1, CV ``busyness_cv``)."""
    weekdays = [(run.start_day.index + d) % 7 for d in range(run.days)]
    factors = np.ones(run.days)
    if arrivals.day_of_week is not None:
        by_index = {day.index: f for day, f in arrivals.day_of_week.items()}
        factors = np.array([by_index[w] for w in weekdays], dtype=float)
    if arrivals.busyness_cv > 0:
        shape = 1.0 / arrivals.busyness_cv**2
        factors = factors * rng.gamma(shape, 1.0 / shape, run.days)
    return factors


def arrival_times(arrivals: Arrivals, run: RunSettings, streams: Streams, call_type: str) -> np.ndarray:
    """Sorted arrival instants (s) of one call type over the horizon ``[0, days)``."""
    horizon = run.days * DAY
    if arrivals.trace is not None:
        times = read_trace(arrivals.trace, call_type)
        return times[times < horizon]
    factors = day_factors(arrivals, run, streams.get(f"busyness/{call_type}"))
    starts, expected = rate_steps(arrivals, run, factors)
    rng = streams.get(f"arrivals/{call_type}")
    counts = rng.poisson(expected)
    times = np.repeat(starts, counts) + rng.random(int(counts.sum())) * step_length(arrivals)
    times.sort()
    return times


def read_trace(path: str, call_type: str) -> np.ndarray:
    """Arrival instants of ``call_type`` from a CSV trace, in seconds after midnight of day 0, sorted.

    The CSV needs a ``time`` column: seconds since the start of the run, or ISO date-times (day 0 is the date of
    the earliest one). An optional ``call_type`` column keeps only the rows of this call type.
    """
    try:
        text = read_bytes(path, MAX_TRACE_BYTES, "trace file").decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except UnreadableFile as exc:
        raise TraceError(f"cannot read trace {exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise TraceError(f"cannot read trace {path}: {exc}") from None
    if not rows or "time" not in rows[0]:
        raise TraceError(f"trace {path} needs a header with a 'time' column")
    if "call_type" in rows[0]:
        rows = [r for r in rows if r["call_type"] == call_type]
    texts = [(r.get("time") or "").strip() for r in rows]
    return np.sort(_parse_times(texts, path))


def _parse_times(texts: list[str], path: str) -> np.ndarray:
    """Seconds since the run's start, or ISO date-times (day 0 = the earliest date); rows are numbered as in
    the file (the header is row 1)."""
    numbers = [_number(t) for t in texts]
    if numbers and numbers[0] is not None:  # numeric trace: the first row decides
        bad = [i for i, v in enumerate(numbers) if v is None or v < 0 or not math.isfinite(v)]
        if bad:
            raise TraceError(f"trace {path}: row {bad[0] + 2}: time must be a finite number >= 0 "
                             f"(got {texts[bad[0]]!r})")
        return np.asarray(numbers, dtype=float)
    stamps = []
    for i, text in enumerate(texts):
        try:
            stamps.append(datetime.fromisoformat(text))
        except ValueError:
            raise TraceError(f"trace {path}: row {i + 2}: not seconds nor an ISO date-time: {text!r}") from None
    day0 = min(stamps).replace(hour=0, minute=0, second=0, microsecond=0)
    return np.asarray([(s - day0).total_seconds() for s in stamps], dtype=float)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
