"""Forecast error: one lognormal volume multiplier per replication, from its own stream."""

import numpy as np
from scipy.stats import norm

from sim.engine.arrivals import arrival_times, forecast_multiplier, forecast_sigma
from sim.engine.streams import Streams
from sim.scenario.schema import Arrivals, ForecastError, RunSettings

RUN = RunSettings.model_validate({"days": 1})
BASE = {"rate_per_hour": 50.0}


def _count(arrivals: dict, rep: int, call_type: str = "a") -> int:
    return len(arrival_times(Arrivals.model_validate(arrivals), RUN, Streams(7, rep), call_type))


def test_multiplier_central_interval_matches_within_at_confidence() -> None:
    """4,000 draws of ±10 % at 80 %: the share inside [1/1.1, 1.1] within 4 binomial sd of 0.8."""
    arrivals = Arrivals.model_validate({**BASE, "forecast_error": {"within": 10, "confidence": 80}})
    f = np.array([forecast_multiplier(arrivals, Streams(7, r), "a") for r in range(4000)])
    inside = np.mean((f >= 1 / 1.1) & (f <= 1.1))
    assert abs(inside - 0.8) <= 4 * np.sqrt(0.8 * 0.2 / 4000)
    assert abs(np.median(f) - 1) < 0.01


def test_total_volume_matches_compound_lognormal_poisson() -> None:
    """N | F ~ Poisson(F m), m = 1,200: E N = m E F, Var N = m E F + m² Var F. 2,000 replications; mean within
    4 sd of its estimator, variance within 4 sd of the sample variance (sd ≈ Var·sqrt(2/(n-1)), near-normal N)."""
    m, n = 1200.0, 2000
    fe = {"within": 20, "confidence": 80}
    s = forecast_sigma(ForecastError.model_validate(fe))
    ef, vf = np.exp(s**2 / 2), (np.exp(s**2) - 1) * np.exp(s**2)
    counts = np.array([_count({**BASE, "forecast_error": fe}, r) for r in range(n)], dtype=float)
    mean, var = m * ef, m * ef + m**2 * vf
    assert abs(counts.mean() - mean) <= 4 * np.sqrt(var / n)
    assert abs(counts.var(ddof=1) - var) <= 4 * var * np.sqrt(2 / (n - 1))
    assert counts.var(ddof=1) > 3 * m  # far above Poisson: the test can fail without the multiplier


def test_absent_forecast_error_leaves_arrivals_unchanged() -> None:
    for r in range(5):
        t = arrival_times(Arrivals.model_validate(BASE), RUN, Streams(7, r), "a")
        rng = Streams(7, r).get("arrivals/a")
        counts = rng.poisson(np.array([50.0 * 24]))
        assert len(t) == int(counts[0])


def test_one_call_types_error_does_not_move_another() -> None:
    for r in range(5):
        plain = _count(BASE, r, "b")
        assert _count({**BASE, "forecast_error": {"within": 10, "confidence": 80}}, r, "a") >= 0
        assert _count(BASE, r, "b") == plain


def test_shared_draw_correlates_call_types() -> None:
    fe = {"within": 10, "confidence": 80, "shared": True}
    arrivals = Arrivals.model_validate({**BASE, "forecast_error": fe})
    assert norm.ppf(0.9) > 0
    for r in range(5):
        assert forecast_multiplier(arrivals, Streams(7, r), "a") == forecast_multiplier(arrivals, Streams(7, r), "b")
