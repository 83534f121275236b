"""Arrival times per call type: piecewise-constant Poisson with day factors, gamma busyness, or a replayed trace
(read by ``sim.scenario.traces``).

Within a profile step the rate is constant; a day's rate is ``daily_volume x profile share / step length x
day-of-week factor x busyness x volume_factor x forecast multiplier``
(the multiplier is drawn once per replication: the forecast is wrong for the whole horizon). A piecewise Poisson
process is drawn exactly: a Poisson count per step, then that many uniform instants within the step.
``ArrivalStream`` hands them out window by window (the model admits callers in blocks), bit-identical to one draw.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from sim.engine.streams import Streams
from sim.scenario.schema import Arrivals, ForecastError, RunSettings
from sim.scenario.traces import read_trace
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


def weekday_factors(arrivals: Arrivals, run: RunSettings) -> np.ndarray:
    """Per simulated day: the day-of-week factor (1 without ``day_of_week``)."""
    if arrivals.day_of_week is None:
        return np.ones(run.days)
    by_index = {day.number: f for day, f in arrivals.day_of_week.items()}
    return np.array([by_index[(run.start_day.number + d) % 7] for d in range(run.days)], dtype=float)


def day_factors(arrivals: Arrivals, run: RunSettings, rng: np.random.Generator) -> np.ndarray:
    """Per simulated day: day-of-week factor x gamma busyness (mean 1, CV ``busyness_cv``)."""
    factors = weekday_factors(arrivals, run)
    if arrivals.busyness_cv > 0:
        shape = 1.0 / arrivals.busyness_cv**2
        factors = factors * rng.gamma(shape, 1.0 / shape, run.days)
    return factors


def forecast_sigma(error: ForecastError) -> float:
    """Log-sd of the multiplier whose central ``confidence`` interval is ``[1/(1+w), 1+w]`` (median 1)."""
    z = NormalDist().inv_cdf(0.5 + error.confidence / 200.0)
    return float(np.log1p(error.within / 100.0)) / z


def forecast_multiplier(arrivals: Arrivals, streams: Streams, call_type: str) -> float:
    """This replication's volume multiplier (1 without ``forecast_error``), from its own stream."""
    error = arrivals.forecast_error
    if error is None:
        return 1.0
    name = "forecast/shared" if error.shared else f"forecast/{call_type}"
    return float(np.exp(forecast_sigma(error) * streams.get(name).standard_normal()))


def expected_calls(arrivals: Arrivals, run: RunSettings, call_type: str) -> float:
    """Expected fresh calls of one call type over the horizon (busyness has mean 1; a trace is counted)."""
    if arrivals.trace is not None:
        return float(np.count_nonzero(read_trace(arrivals.trace, call_type) < run.days * DAY))
    return float(rate_steps(arrivals, run, weekday_factors(arrivals, run))[1].sum())


def arrival_times(arrivals: Arrivals, run: RunSettings, streams: Streams, call_type: str) -> np.ndarray:
    """Sorted arrival instants (s) of one call type over the horizon ``[0, days)``."""
    return ArrivalStream(arrivals, run, streams, call_type).until(math.inf)


class ArrivalStream:
    """The sorted arrival instants of one call type, window after window, with the very numbers of one draw over
    the whole horizon: the Poisson counts of every step are drawn first, then the uniform instants of the steps a
    window needs from the same stream (consecutive draws of a numpy Generator continue one another)."""

    def __init__(self, arrivals: Arrivals, run: RunSettings, streams: Streams, call_type: str):
        horizon = run.days * DAY
        self._carry = np.zeros(0)
        """Instants drawn but not returned yet (a step can end after the window that drew it)."""
        self._step = 0
        if arrivals.trace is not None:
            times = read_trace(arrivals.trace, call_type)
            self._carry = times[times < horizon]
            self._starts, self._counts, self._length = np.zeros(0), np.zeros(0, dtype=np.int64), 0.0
            self._rng: np.random.Generator | None = None
            self.total = len(self._carry)
            return
        factors = day_factors(arrivals, run, streams.get(f"busyness/{call_type}"))
        factors = factors * forecast_multiplier(arrivals, streams, call_type)
        self._starts, expected = rate_steps(arrivals, run, factors)
        self._rng = streams.get(f"arrivals/{call_type}")
        self._counts = self._rng.poisson(expected)
        self._length = step_length(arrivals)
        self.total = int(self._counts.sum())
        """Calls of the whole horizon."""

    def until(self, end: float) -> np.ndarray:
        """The instants before ``end`` not returned yet, sorted."""
        times = self._carry
        stop = int(np.searchsorted(self._starts, end, side="left"))
        if stop > self._step:
            assert self._rng is not None
            counts = self._counts[self._step:stop]
            drawn = np.repeat(self._starts[self._step:stop], counts) + self._rng.random(int(counts.sum())) * \
                self._length
            self._step = stop
            times = np.concatenate((times, drawn))
            times.sort()
        cut = int(np.searchsorted(times, end, side="left"))
        self._carry = times[cut:]
        return times[:cut]
