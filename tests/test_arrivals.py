"""Arrival processes: profile steps, day-of-week factors, busyness over-dispersion and trace replay."""

from pathlib import Path

import numpy as np
import pytest

from sim.engine.arrivals import arrival_times, read_trace
from sim.engine.streams import Streams
from sim.errors import TraceError
from sim.scenario.schema import Arrivals, RunSettings
from sim.units import DAY


def _times(arrivals: dict, days: int = 1, start_day: str = "mon", rep: int = 0) -> np.ndarray:
    return arrival_times(Arrivals.model_validate(arrivals), RunSettings.model_validate(
        {"days": days, "start_day": start_day}), Streams(11, rep), "a")


def test_profile_counts_match_expected_volume_per_step() -> None:
    """4 steps of 6 h with shares 10/20/30/40 % of 1,000 calls, 400 days: each step's daily mean within 3 sigma
    of its Poisson expectation (sd of a mean of 400 Poisson(m) days = sqrt(m / 400))."""
    t = _times({"daily_volume": 1000, "profile": {"resolution": "6h", "shares": [0.1, 0.2, 0.3, 0.4]}}, days=400)
    step = ((t % DAY) // (6 * 3600)).astype(int)
    for k, share in enumerate([0.1, 0.2, 0.3, 0.4]):
        mean = (step == k).sum() / 400
        assert abs(mean - 1000 * share) <= 3 * np.sqrt(1000 * share / 400)


def test_profile_start_leaves_other_hours_empty_and_times_sorted() -> None:
    t = _times({"daily_volume": 500, "profile": {"start": "08:00", "resolution": "1h", "percent": [50, 50]}},
               days=3)
    clock = t % DAY
    assert np.all((clock >= 8 * 3600) & (clock < 10 * 3600)) and np.all(np.diff(t) >= 0)


def test_day_of_week_factors_follow_the_start_day() -> None:
    dow = {"mon": 2.0, "tue": 1.0, "wed": 1.0, "thu": 1.0, "fri": 1.0, "sat": 0.0, "sun": 0.0}
    t = _times({"daily_volume": 300, "profile": {"shares": [1.0], "resolution": "1h"}, "day_of_week": dow},
               days=7, start_day="sat")
    per_day = np.bincount((t // DAY).astype(int), minlength=7)
    assert per_day[0] == per_day[1] == 0  # sat, sun
    assert per_day[2] > 1.5 * per_day[3]  # Monday at factor 2 (600 vs 300 expected; 7+ sigma apart)


def test_busyness_makes_daily_counts_overdispersed() -> None:
    """Gamma day factor with CV 0.3 on 2,000 calls: Var(N) = m + (0.3 m)^2 = 362,000 vs Poisson's 2,000. Over
    300 days the sample variance exceeds 50x the mean (Poisson would give about 1x)."""
    t = _times({"rate_per_hour": 2000 / 24, "busyness_cv": 0.3}, days=300)
    counts = np.bincount((t // DAY).astype(int), minlength=300)
    assert counts.var(ddof=1) > 50 * counts.mean()
    plain = np.bincount((_times({"rate_per_hour": 2000 / 24}, days=300) // DAY).astype(int), minlength=300)
    assert plain.var(ddof=1) < 2 * plain.mean()


def test_same_stream_same_times_other_replication_differs() -> None:
    a = _times({"rate_per_hour": 100}, rep=0)
    assert np.array_equal(a, _times({"rate_per_hour": 100}, rep=0))
    assert not np.array_equal(a, _times({"rate_per_hour": 100}, rep=1))


def test_trace_seconds_filtered_by_call_type(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("time,call_type\n30,a\n10.5,b\n20,a\n90000,a\n", encoding="utf-8")
    assert read_trace(str(f), "a").tolist() == [20.0, 30.0, 90000.0]
    assert _times({"trace": str(f)}).tolist() == [20.0, 30.0]  # one day: the 90000 s call lies beyond it


def test_trace_iso_times_count_from_midnight_of_the_first_date(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("time\n2026-03-02 08:00:00\n2026-03-03 00:00:30\n", encoding="utf-8")
    assert read_trace(str(f), "a").tolist() == [8 * 3600.0, DAY + 30.0]


def test_trace_bad_row_is_named(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("time\n1\nabc\n", encoding="utf-8")
    with pytest.raises(TraceError, match="row 3"):
        read_trace(str(f), "a")


def test_volume_factor_scales_every_rate() -> None:
    """1,000 calls a day at volume_factor 1.5 over 100 days: mean 1,500 a day, within 3 sigma (sqrt(1500/100))."""
    arrivals = Arrivals.model_validate({"daily_volume": 1000, "profile": {"shares": [0.5, 0.5], "resolution": "12h"}})
    run = RunSettings.model_validate({"days": 100, "volume_factor": 1.5})
    per_day = len(arrival_times(arrivals, run, Streams(3, 0), "a")) / 100
    assert abs(per_day - 1500) <= 3 * np.sqrt(1500 / 100)
