"""Estimators over replications and the KPIs computed from facts. Pure numpy.

Every ratio KPI (service level, ASA, abandonment, occupancy, ...) is a ratio of per-replication sums: the point
estimate is sum(X)/sum(Y) over replications and its confidence interval comes from the delta method,
Var(R) ~ Var(X - R*Y) / (n * mean(Y)^2), with Student-t quantiles on n-1 degrees of freedom. Counts and
percentiles are averaged over replications with a t interval. With one replication there is no interval (NaN).
The t quantiles are computed here (student_t_quantile), so a run does not import scipy.stats.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import cache
from statistics import NormalDist
from typing import Any

import numpy as np

from sim.analysis.facts import CALL_FIELDS, GROUP_FIELDS, PERCENTILES
from sim.scenario.schema import ServiceLevel, SLDefinition

LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """Point estimates over replications and the half-widths of their confidence intervals (NaN if n < 2).

    Fields are floats for one slice, or arrays when computed for many slices at once (e.g. every interval).
    """

    mean: Any
    half_width: Any

    def at(self, index: Any) -> Estimate:
        """The estimate of one slice of an array-valued estimate."""
        return Estimate(float(self.mean[index]), float(self.half_width[index]))


def t_quantile(n: Any, level: float = LEVEL) -> Any:
    """Two-sided Student-t quantile for ``n`` replications (NaN where n < 2); n may be an array."""
    n = np.asarray(n, dtype=float)
    q = np.full(n.shape, np.nan)
    for count in np.unique(n[n > 1]).tolist():
        if not count.is_integer():
            raise ValueError(f"t_quantile: {count} replications is not a whole number")
        q[n == count] = student_t_quantile(0.5 + level / 2, int(count) - 1)
    return q if q.ndim else float(q)


_DIGITS = 40
_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459")


@cache
def student_t_quantile(p: float, df: int) -> float:
    """The t with P(T <= t) = p for Student's t on ``df`` >= 1 (whole) degrees of freedom, 0 < p < 1.

    Newton's method on P(|T| < t), evaluated in 40-digit decimals by the finite series of Abramowitz & Stegun
    26.7.3-4, from the first terms of the Cornish-Fisher expansion (26.7.5): the result is the double nearest the
    exact quantile of ``p``. P(|T| < t) is concave in t > 0, so iterates below the quantile rise to it, and one
    above falls below it (at worst to 0).
    """
    if df < 1 or not 0.0 < p < 1.0:
        raise ValueError(f"student_t_quantile needs df >= 1 and 0 < p < 1, not df={df}, p={p}")
    log_density = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    z = NormalDist().inv_cdf(0.5 + abs(p - 0.5))
    with localcontext() as ctx:
        ctx.prec = _DIGITS
        target = abs(2 * Decimal(p) - 1)
        t, step = Decimal(z + (z**3 + z) / (4 * df)), Decimal(1)
        while step > t.scaleb(-_DIGITS + 8):
            density = math.exp(log_density - (df + 1) / 2 * math.log1p(float(t) ** 2 / df))
            new = max(t + (target - _two_sided(t, df)) / Decimal(2 * density), Decimal(0))
            t, step = new, abs(new - t)
        return math.copysign(float(t), p - 0.5)


def _two_sided(t: Decimal, df: int) -> Decimal:
    """P(|T| < t) for t >= 0 (A&S 26.7.3 for odd df, 26.7.4 for even), in the current decimal context."""
    cos2 = df / (df + t * t)
    sin = t / (df + t * t).sqrt()
    if df % 2 == 0:
        term = total = Decimal(1)
        for k in range(1, df // 2):
            term *= cos2 * (2 * k - 1) / (2 * k)
            total += term
        return sin * total
    theta = _atan(t / Decimal(df).sqrt())
    if df == 1:
        return 2 * theta / _PI
    term = total = cos2.sqrt()
    for k in range(1, (df - 1) // 2):
        term *= cos2 * (2 * k) / (2 * k + 1)
        total += term
    return 2 * (theta + sin * total) / _PI


def _atan(x: Decimal) -> Decimal:
    """arctan x for x >= 0 in the current decimal context: halve the angle below 0.1, then the Taylor series."""
    if x > 1:
        return _PI / 2 - _atan(1 / x)
    halvings = 0
    while x > Decimal("0.1"):
        x /= 1 + (1 + x * x).sqrt()  # atan x = 2 atan(x / (1 + sqrt(1 + x^2)))
        halvings += 1
    total, power, k = x, x, 1
    while True:
        power *= -x * x
        k += 2
        if total + power / k == total:
            return total * (1 << halvings)
        total += power / k


def mean_estimate(x: np.ndarray, level: float = LEVEL) -> Estimate:
    """Mean over replications (axis 0); NaN entries (e.g. a percentile of no calls) are left out."""
    x = np.asarray(x, dtype=float)
    n = np.sum(~np.isnan(x), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=0)
        sd = np.nanstd(x, axis=0, ddof=1) if len(x) > 1 else np.full_like(mean, np.nan)
        half = t_quantile(n, level) * sd / np.sqrt(n)
    return _scalar_or_array(mean, half)


def ratio_estimate(num: np.ndarray, den: np.ndarray, level: float = LEVEL) -> Estimate:
    """sum(num)/sum(den) over replications (axis 0) with a delta-method interval; NaN where den sums to 0."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    n = len(num)
    total = np.sum(den, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(total > 0, np.sum(num, axis=0) / np.where(total > 0, total, 1.0), np.nan)
        if n < 2:
            return _scalar_or_array(ratio, np.full_like(ratio, np.nan))
        residual = num - ratio * den
        half = t_quantile(n, level) * np.std(residual, axis=0, ddof=1) / (math.sqrt(n) * (total / n))
    return _scalar_or_array(ratio, np.where(total > 0, half, np.nan))


def _scalar_or_array(mean: np.ndarray, half: np.ndarray) -> Estimate:
    if np.ndim(mean) == 0:
        return Estimate(float(mean), float(half))
    return Estimate(mean, half)


SL_DEFINITIONS = tuple(d.value for d in SLDefinition)


COUNTS = ("offered", "deflected", "blocked", "closed", "answered", "answered_within", "abandoned", "abandoned_short",
          "in_system", "repeats", "redials", "overflowed", "overflow_refused", "answered_partner", "transferred",
          "transfer_legs", "transfer_answered", "transfer_abandoned", "transfer_blocked", "callbacks", "callback_legs",
          "callback_reached", "callback_unreached")
"""Call counts reported as they are (means over replications)."""


def handled_calls(x: np.ndarray) -> np.ndarray:
    """Contacts an agent handled: answered on the line, or called back and reached; ``x[r, f, ...]`` as in
    call_kpis (the denominator of cost per handled call)."""
    out: np.ndarray = x[:, CALL_FIELDS.index("answered")] + x[:, CALL_FIELDS.index("callback_reached")]
    return out


def call_ratios(x: np.ndarray, sl: ServiceLevel) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every ratio KPI of calls as (numerator, denominator) per replication; ``x[r, f, ...]`` as in call_kpis."""
    f = {name: x[:, i] for i, name in enumerate(CALL_FIELDS)}
    resolved = f["answered"] + f["abandoned"]
    within = f["answered_within"]
    sl_den = {
        SLDefinition.answered_of_offered.value: resolved,
        SLDefinition.answered_of_answered.value: f["answered"],
        SLDefinition.answered_of_offered_minus_short.value: resolved - f["abandoned_short"],
        SLDefinition.answered_of_offered_minus_abandoned_within.value: resolved - f["abandoned_within"],
    }
    out = {"service_level": (within, sl_den[sl.definition.value])}
    out.update({f"sl_{name}": (within, den) for name, den in sl_den.items()})
    out.update({
        "p_wait": (f["waited"], resolved),
        "asa": (f["wait_answered_sum"], f["answered"]),
        "mean_wait": (f["wait_all_sum"], resolved),
        "mean_time_to_abandon": (f["abandon_time_sum"], f["abandoned"]),
        "abandon_rate": (f["abandoned"], resolved),
        "blocking_rate": (f["blocked"], f["offered"]),
        "deflection_rate": (f["deflected"], f["offered"]),
        "closed_rate": (f["closed"], f["offered"]),
        "overflow_rate": (f["overflowed"], f["offered"]),
        "repeat_rate": (f["repeats"], f["offered"]),
        "redial_rate": (f["redials"], f["offered"]),
        "partner_share": (f["answered_partner"], f["answered"]),
        "aht": (f["handle_sum"], f["answered"]),
        "transfer_rate": (f["transferred"], f["answered"]),
        "transfer_sl": (f["transfer_answered_within"], f["transfer_answered"] + f["transfer_abandoned"]),
        "transfer_asa": (f["transfer_wait_sum"], f["transfer_answered"]),
        "transfer_abandon_rate": (f["transfer_abandoned"], f["transfer_answered"] + f["transfer_abandoned"]),
        "transfer_aht": (f["transfer_handle_sum"], f["transfer_answered"]),
        "callback_rate": (f["callbacks"], f["offered"]),
        "callback_sl": (f["callback_within"], f["callback_reached"] + f["callback_unreached"]),
        "callback_delay": (f["callback_delay_sum"], f["callback_reached"] + f["callback_unreached"]),
        "callback_reached_rate": (f["callback_reached"], f["callback_reached"] + f["callback_unreached"]),
    })
    return out


def call_kpis(x: np.ndarray, seconds: float, sl: ServiceLevel) -> dict[str, Estimate]:
    """KPIs of slices of calls. ``x[r, f, ...]``: field ``CALL_FIELDS[f]`` summed over a slice in replication r
    (trailing axes: many slices at once); ``seconds``: length of the slice's time window (queue length)."""
    f = {name: x[:, i] for i, name in enumerate(CALL_FIELDS)}
    out = {name: mean_estimate(f[name]) for name in COUNTS}
    out.update({name: ratio_estimate(num, den) for name, (num, den) in call_ratios(x, sl).items()})
    out["avg_queue_length"] = mean_estimate(f["queue_area"] / seconds)
    return out


def paired_difference(num_a: np.ndarray, den_a: np.ndarray, num_b: np.ndarray, den_b: np.ndarray,
                      level: float = LEVEL) -> Estimate:
    """Ratio B minus ratio A from paired replications (common random numbers), with a delta-method interval:
    residual_r = (X_b - R_b Y_b) / mean(Y_b) - (X_a - R_a Y_a) / mean(Y_a); half-width = t * sd / sqrt(n).
    For a plain mean pass denominators of ones."""
    a, b = ratio_estimate(num_a, den_a, level), ratio_estimate(num_b, den_b, level)
    n = len(num_a)
    if n < 2 or math.isnan(a.mean) or math.isnan(b.mean):
        return Estimate(b.mean - a.mean, math.nan)
    residual = (num_b - b.mean * den_b) / np.mean(den_b) - (num_a - a.mean * den_a) / np.mean(den_a)
    return Estimate(b.mean - a.mean, t_quantile(n, level) * float(np.std(residual, ddof=1)) / math.sqrt(n))


def percentile_kpis(pct: np.ndarray) -> dict[str, Estimate]:
    """``pct[r, ..., j]``: percentile PERCENTILES[j] of answered waits in replication r."""
    return {f"wait_p{p:g}": mean_estimate(pct[..., j]) for j, p in enumerate(PERCENTILES)}


def group_kpis(x: np.ndarray, cost_per_hour: Any) -> dict[str, Estimate]:
    """KPIs of agent groups. ``x[r, f, ...]``: GROUP_FIELDS[f] summed over a slice in replication r."""
    f = {name: x[:, i] for i, name in enumerate(GROUP_FIELDS)}
    hours = f["staffed_time"] / 3600.0
    return {
        "answered": mean_estimate(f["answered"]),
        "aht": ratio_estimate(f["handle_sum"], f["answered"]),
        "occupancy": ratio_estimate(f["busy_time"], f["staffed_time"]),
        "agent_hours": mean_estimate(hours),
        "labour_cost": mean_estimate(hours * cost_per_hour),
        "fcr": ratio_estimate(f["first_resolved"], f["first_answered"]),
    }
