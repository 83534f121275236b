"""Scenario parameters estimated from a history (docs/calibration.md gives every estimator). Pure numpy.

Per call type: the intraday profile (shares of all offered calls per interval of the day, the same every
weekday), day-of-week factors (mean calls per weekday, scaled to average 1 over the seven days), the gamma
busyness CV (day-to-day variance beyond Poisson), the handle time (answered-weighted AHT; lognormal with
``DEFAULT_HANDLE_CV``), the patience mean (the exponential estimator of Erlang A: total waiting time / abandons)
and the agents logged in per interval of each weekday.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.analysis.analytic import agents_for_service_level, erlang_a
from sim.calibration.history import History, Series
from sim.scenario.schema import ServiceLevel

DEFAULT_HANDLE_CV = 1.0
"""CV of the lognormal handle time when only interval means are known (inbound service calls: about 1)."""
DEFAULT_PATIENCE_S = 180.0
"""Mean patience (exponential) written when the history has no ``asa_s`` to fit it from."""


@dataclass(frozen=True)
class Patience:
    """The fitted (or default) mean patience; ``mean`` None: nobody abandoned (callers never hang up)."""

    mean: float | None
    method: str  # "exact" (abandon_time_s), "erlang_a" or "asa" (abandoners' wait estimated), "default", "none"
    abandons: float
    intervals: int


@dataclass(frozen=True)
class CallTypeFit:
    """What ``calibrate`` writes for one call type."""

    name: str
    days: int
    intervals: int  # intervals with calls
    daily_volume: float  # mean calls per calendar day (day-of-week factors average 1)
    profile_start: int  # index of the first interval of the day in the profile
    shares: list[float]
    day_of_week: list[float]  # Monday first
    weekday_days: list[int]  # days of each weekday in the history
    busyness_cv: float | None  # None: fewer than two days of some open weekday
    aht: float
    answered: float
    patience: Patience
    staffing: dict[int, tuple[int, list[int]]]  # weekday -> (first interval, agents per interval)
    staffing_from_history: bool


def fit_history(history: History, service_level: ServiceLevel) -> list[CallTypeFit]:
    """One fit per call type of the history, in file order."""
    return [fit_call_type(name, s, history, service_level) for name, s in history.series.items()]


def fit_call_type(name: str, s: Series, history: History, service_level: ServiceLevel) -> CallTypeFit:
    weekdays = history.weekdays()
    daily = s.offered.sum(axis=1)
    counts = [int(np.sum(weekdays == w)) for w in range(7)]
    means = np.array([daily[weekdays == w].mean() if counts[w] else 0.0 for w in range(7)])
    level = means.mean()
    factors = means / level if level > 0 else np.ones(7)
    by_slot = s.offered.sum(axis=0)
    open_slots = np.flatnonzero(by_slot > 0)
    first, last = (int(open_slots[0]), int(open_slots[-1])) if len(open_slots) else (0, 0)
    shares = by_slot[first:last + 1] / by_slot.sum() if by_slot.sum() > 0 else np.ones(1)
    answered = float(s.answered.sum())
    aht = float(s.handle_sum.sum() / answered) if answered > 0 else math.nan
    fitted = _staffing_from_agents(s.agents, weekdays)
    staffing = fitted if fitted is not None else _erlang_staffing(
        level * factors, shares, first, aht, history.interval, service_level)
    return CallTypeFit(name, history.n_days, int(np.count_nonzero(s.offered)), float(level), first,
                       [float(x) for x in shares], [float(f) for f in factors], counts,
                       busyness_cv(daily, weekdays), aht, answered, fit_patience(s, history.interval),
                       staffing, fitted is not None)


def busyness_cv(daily: np.ndarray, weekdays: np.ndarray) -> float | None:
    """CV of a gamma day factor: c^2 = sum(over-dispersion) / sum(mean^2), day-of-week effects removed.

    A day's total D with weekday mean m (estimated from n days of that weekday) has, under Poisson x gamma,
    Var D = m + c^2 m^2; the residual D - m_hat has expectation of its square Var D x (n - 1) / n. So
    c^2 = sum_d [(D - m_hat)^2 n / (n - 1) - m_hat] / sum_d m_hat^2, over days of weekdays with calls (0 if
    negative). None when some weekday with calls has fewer than two days.
    """
    num = den = 0.0
    for w in range(7):
        days = daily[weekdays == w]
        if not len(days) or days.sum() == 0:
            continue
        if len(days) < 2:
            return None
        m = days.mean()
        num += float(np.sum((days - m) ** 2) * len(days) / (len(days) - 1) - m * len(days))
        den += float(m**2 * len(days))
    return math.sqrt(num / den) if den > 0 and num > 0 else 0.0


def fit_patience(s: Series, interval: float) -> Patience:
    """Exponential patience: mean = total time all callers waited / abandons (the MLE of Erlang A).

    Answered callers waited asa_s x answered. Abandoners waited abandon_time_s x abandoned where the history
    gives it ("exact"). Otherwise their wait is what Erlang A predicts for the interval (its calls, agents and
    the AHT of the call type) at the patience estimate, iterated to a fixed point ("erlang_a"); without agents
    each abandoner is taken to have waited the interval's ASA ("asa"), which understates their wait (the ASA
    counts callers answered at once) and so the patience. Without asa_s: DEFAULT_PATIENCE_S ("default").
    """
    if np.isnan(s.wait_answered_sum[s.answered > 0]).all():
        return Patience(DEFAULT_PATIENCE_S, "default", float(s.abandoned.sum()), 0)
    use = (~np.isnan(s.wait_answered_sum) | (s.answered == 0)) & (s.offered > 0)
    waited = np.where(s.answered > 0, s.wait_answered_sum, 0.0)[use]
    abandoned = s.abandoned[use]
    abandons = float(abandoned.sum())
    if abandons == 0:
        return Patience(None, "none", 0.0, int(np.count_nonzero(use)))
    exact = np.where(abandoned > 0, s.wait_abandoned_sum[use], 0.0)
    if not np.isnan(exact).any():
        return Patience(float(np.sum(waited + exact)) / abandons, "exact", abandons, int(np.count_nonzero(use)))
    asa = np.divide(waited, s.answered[use], out=np.zeros_like(waited), where=s.answered[use] > 0)
    mean = float(np.sum(waited + asa * abandoned)) / abandons
    agents = s.agents[use]
    aht = float(s.handle_sum.sum() / s.answered.sum()) if s.answered.sum() > 0 else math.nan
    if np.isnan(agents).any() or not math.isfinite(aht):
        return Patience(mean, "asa", abandons, int(np.count_nonzero(use)))
    cells = [(int(round(n)), float(lam), float(ab)) for n, lam, ab in
             zip(agents, s.offered[use] / interval, abandoned, strict=True) if ab > 0]
    for _ in range(FIXED_POINT_STEPS):
        new = (float(waited.sum()) + sum(ab * _abandoner_wait(n, lam, aht, mean) for n, lam, ab in cells)) / abandons
        if abs(new - mean) <= FIXED_POINT_RTOL * mean:
            mean = new
            break
        mean = new
    return Patience(mean, "erlang_a", abandons, int(np.count_nonzero(use)))


FIXED_POINT_STEPS = 100
FIXED_POINT_RTOL = 1e-6


@lru_cache(maxsize=65536)
def _abandoner_wait(agents: int, arrival_rate: float, aht: float, patience: float) -> float:
    """Mean wait of the callers who abandon, in Erlang A (no agents: everyone waits until they hang up)."""
    if agents < 1:
        return patience
    a = erlang_a(agents, arrival_rate, aht, patience)
    if a.p_abandon <= 0.0:
        return 0.0
    return max(0.0, (a.mean_wait - a.p_answered * a.mean_wait_answered) / a.p_abandon)


def _staffing_from_agents(agents: np.ndarray, weekdays: np.ndarray) -> dict[int, tuple[int, list[int]]] | None:
    """Per weekday: the mean agents logged in per interval over that weekday's days, rounded; None without
    an ``agents`` column."""
    if np.isnan(agents).all():
        return None
    tables = {}
    filled = np.nan_to_num(agents)
    for w in range(7):
        rows = filled[weekdays == w]
        if not len(rows):
            continue
        mean = np.rint(rows.mean(axis=0)).astype(int)
        on = np.flatnonzero(mean > 0)
        if len(on):
            tables[w] = (int(on[0]), [int(a) for a in mean[on[0]:on[-1] + 1]])
    return tables


def _erlang_staffing(day_volumes: np.ndarray, shares: np.ndarray, first: int, aht: float, interval: float,
                     service_level: ServiceLevel) -> dict[int, tuple[int, list[int]]]:
    """Per weekday: Erlang C agents for the scenario's service-level goal in every interval with calls."""
    tables = {}
    for w, volume in enumerate(day_volumes):
        if volume <= 0 or not math.isfinite(aht):
            continue
        agents = [agents_for_service_level(volume * share / interval, aht, service_level.target,
                                           service_level.threshold) if share > 0 else 0 for share in shares]
        tables[w] = (first, agents)
    return tables
