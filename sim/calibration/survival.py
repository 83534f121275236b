"""Kaplan–Meier patience from call-level records (docs/calibration.md). Pure numpy.

Patience is right-censored by answering: a caller who hung up after waiting w had patience w (an event); a caller
answered after w had patience > w (censored). The Kaplan–Meier curve S(t) estimates P(patience > t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EXPONENTIAL_MAX_DISTANCE = 0.05
"""Largest sup |S_KM(t) - exp(-t/theta)| at which the exponential is written (also allowed: the KS 5 % critical
value 1.36 / sqrt(abandons), so that small samples are not refused for noise)."""
QUANTILES = 20
"""Values of an empirical patience: the KM quantiles at (k - 0.5) / QUANTILES, k = 1..QUANTILES."""


@dataclass(frozen=True)
class Curve:
    """A Kaplan–Meier step curve: S(t) = survival[i] for times[i] <= t < times[i + 1] (1 before times[0])."""

    times: np.ndarray  # distinct event times, ascending
    survival: np.ndarray
    last_wait: float  # largest observed wait (event or censored)

    def at(self, t: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.times, t, side="right")
        return np.asarray(np.concatenate(([1.0], self.survival))[i])


def kaplan_meier(waits: np.ndarray, events: np.ndarray) -> Curve:
    """The product-limit estimator: S(t) = prod over event times t_i <= t of (1 - d_i / n_i), where d_i events
    happen at t_i and n_i observations have wait >= t_i (censored at t_i still count as at risk there)."""
    waits = np.asarray(waits, dtype=float)
    events = np.asarray(events, dtype=bool)
    times = np.unique(waits[events])
    order = np.sort(waits)
    at_risk = len(waits) - np.searchsorted(order, times, side="left")
    deaths = np.searchsorted(np.sort(waits[events]), times, side="right") - np.searchsorted(
        np.sort(waits[events]), times, side="left")
    survival = np.cumprod(1.0 - deaths / at_risk)
    return Curve(times, survival, float(waits.max()) if len(waits) else 0.0)


def km_median(curve: Curve) -> float | None:
    """The smallest t with S(t) <= 0.5; None when the curve stays above 0.5."""
    below = np.flatnonzero(curve.survival <= 0.5)
    return float(curve.times[below[0]]) if len(below) else None


def restricted_mean(curve: Curve) -> float:
    """Integral of S(t) from 0 to the largest observed wait (a lower bound of the mean if S stays above 0)."""
    edges = np.concatenate(([0.0], curve.times[curve.times <= curve.last_wait], [curve.last_wait]))
    levels = np.concatenate(([1.0], curve.survival[: len(edges) - 2]))
    return float(np.sum(np.diff(edges) * levels))


@dataclass(frozen=True)
class KMPatience:
    """What calibrate writes for one call type from its call records."""

    calls: int
    abandons: int
    theta: float | None  # censored-data exponential MLE: total wait / abandons; None without abandons
    median: float | None
    restricted_mean: float
    last_wait: float
    distance: float  # sup |S_KM - exp(-t/theta)|
    threshold: float
    values: list[float] | None  # empirical patience values (equal weights); None: exponential fits

    @property
    def mean(self) -> float | None:
        """Mean of the written patience distribution."""
        return self.theta if self.values is None else float(np.mean(self.values))


def fit_km(waits: np.ndarray, events: np.ndarray) -> KMPatience:
    """KM curve, its summaries, and the patience to write: exponential(theta) if its sup distance to the KM curve
    is within the threshold, else the KM quantiles (beyond the last observed wait: the exponential tail)."""
    waits = np.asarray(waits, dtype=float)
    events = np.asarray(events, dtype=bool)
    curve = kaplan_meier(waits, events)
    abandons = int(events.sum())
    rmean = restricted_mean(curve)
    if abandons == 0:
        return KMPatience(len(waits), 0, None, None, rmean, curve.last_wait, 0.0, 0.0, None)
    theta = float(waits.sum()) / abandons
    model = np.exp(-curve.times / theta)
    before = np.concatenate(([1.0], curve.survival[:-1]))  # left limits at the jumps
    distance = float(max(np.max(np.abs(curve.survival - model)), np.max(np.abs(before - model))))
    threshold = max(EXPONENTIAL_MAX_DISTANCE, 1.36 / math.sqrt(abandons))
    values = None if distance <= threshold else _quantiles(curve, theta)
    return KMPatience(len(waits), abandons, theta, km_median(curve), rmean, curve.last_wait, distance, threshold,
                      values)


def _quantiles(curve: Curve, theta: float) -> list[float]:
    """KM quantiles at (k - 0.5) / QUANTILES; a level above 1 - S(last wait) is taken from the exponential tail
    t = last + theta ln(S(last) / (1 - p))."""
    tail = float(curve.survival[-1]) if len(curve.survival) else 1.0
    out = []
    for k in range(QUANTILES):
        p = (k + 0.5) / QUANTILES
        reached = np.flatnonzero(curve.survival <= 1.0 - p)
        if len(reached):
            out.append(float(curve.times[reached[0]]))
        else:
            out.append(curve.last_wait + theta * math.log(tail / (1.0 - p)))
    return out
