"""Risk figures (sim.reports.risk_plots): drawn in a --plots run, fan bands ordered and equal to a direct computation
from the per-interval facts, the heat map one row per day and one column per interval of the day, the ECDF's
P(day >= target) that of the daily risk row."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from reporting_data import TWO_DAYS, write_folder

from sim.analysis.experiment import RunResult, run
from sim.analysis.facts import CALL_FIELDS
from sim.analysis.risk import risk_profile, risk_rows
from sim.cli.app import main
from sim.reports import risk_plots
from sim.reports.results import Results, load_results
from sim.scenario.loader import parse_scenario
from sim.units import DAY

F = {name: i for i, name in enumerate(CALL_FIELDS)}
NIGHT = """
name: night
run: {days: 3, replications: 4, seed: 9, warmup: 1h}
opening_hours: {mon-sun: ["00:00-06:00", "22:00-24:00"]}
call_types:
  a:
    arrivals: {rate_per_hour: 40}
    handle_time: {dist: exponential, mean: 240s}
    patience: {dist: exponential, mean: 120s}
agent_groups:
  night: {skills: [a], shifts: [{start: "22:00", end: "06:00+1", agents: 3}]}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_folder(tmp_path_factory.mktemp("risk_plots") / "tiny")


@pytest.fixture(scope="module")
def results(folder: Path) -> Results:
    return load_results(folder)


@pytest.fixture(scope="module")
def night() -> RunResult:
    return run(parse_scenario(NIGHT, "night.yaml"), workers=1)


def test_figures_are_written_by_a_plots_run(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TWO_DAYS, encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--plots", "--quiet"]) == 0
    for stem in ("risk_fan", "risk_daily_ecdf", "risk_heatmap"):
        assert (tmp_path / "out" / "plots" / f"{stem}.png").stat().st_size > 10_000


def test_fan_has_a_panel_per_call_type_and_ordered_bands(results: Results) -> None:
    fig = risk_plots.fan_figure(results)
    assert fig is not None and [ax.get_title(loc="left") for ax in fig.axes] == ["sales", "service"]
    for s in results.summary["risk_profile"]["slices"]:
        band = risk_plots.fan_data(s)
        shown = ~np.isnan(band["p50"])
        assert shown.sum() == 20  # 08:00-18:00 in 30-minute intervals
        stacked = np.stack([band[k][shown] for k in ("p5", "p25", "p50", "p75", "p95")])
        assert np.all(np.diff(stacked, axis=0) >= 0)
        assert np.any(stacked[-1] > stacked[0])  # real spread: the test can fail


def _interval_sl(result: RunResult) -> np.ndarray:
    """[replication, interval] service level of all calls (default definition), NaN where undefined, by loops."""
    out = np.full((len(result.facts), result.layout.n_intervals), np.nan)
    for r, facts in enumerate(result.facts):
        for i in range(facts.first_interval, result.layout.n_intervals):
            s = {name: float(facts.calls[F[name], i].sum()) for name in F}
            den = s["answered"] + s["abandoned"] - s["abandoned_within"]
            if s["offered"] > 0 and den > 0:
                out[r, i] = s["answered_within"] / den
    return out


def test_profile_agrees_with_a_direct_computation_across_midnight_and_warmup(night: RunResult) -> None:
    profile = risk_profile(night)
    per_day = int(DAY // night.scenario.run.interval)
    sl = _interval_sl(night).reshape(4, 3, per_day)  # [rep, day, slot]
    fan = risk_plots.fan_data(profile["slices"][0])
    for slot in range(per_day):
        values = sl[:, :, slot][~np.isnan(sl[:, :, slot])]
        if values.size == 0:
            assert math.isnan(fan["p50"][slot])
            continue
        assert [fan[k][slot] for k in ("p5", "p25", "p50", "p75", "p95")] == pytest.approx(
            list(np.percentile(values, [5, 25, 50, 75, 95])), rel=1e-12)
    heat = profile["heat"]
    assert heat["days"] == [f"{w} {d}" for d, w in enumerate(("Mon", "Tue", "Wed"), start=1)]
    defined = (~np.isnan(sl)).sum(axis=0)
    met = (sl >= 0.8).sum(axis=0)
    assert heat["replications"] == defined.tolist()
    assert defined[0, :2].sum() == 0  # the warm-up hour: no unit
    for d in range(3):
        for slot in range(per_day):
            got = heat["p_meet"][d][slot]
            assert (got is None) if defined[d, slot] == 0 else got == pytest.approx(met[d, slot] / defined[d, slot])
    assert 0 < np.nanmean(np.where(defined > 0, met / np.maximum(defined, 1), np.nan)) < 1


def test_night_fan_is_drawn_in_one_piece(tmp_path: Path, night: RunResult) -> None:
    results = Results({"replications": 4, "days": 3}, {"risk_profile": risk_profile(night)}, [])
    fig = risk_plots.fan_figure(results)
    assert fig is not None and fig.axes[0].get_xlim() == (22.0, 30.0)  # 22:00 to 06:00 next morning


def test_heat_map_is_days_by_intervals_and_masked_without_calls(results: Results) -> None:
    data = risk_plots.heat_data(results)
    assert data is not None and data.shape == (2, 48)
    assert data.mask[:, :16].all() and data.mask[:, 36:].all() and not data.mask[:, 16:36].any()
    fig = risk_plots.heat_figure(results)
    assert fig is not None and len(fig.axes) == 2  # the map and its colour bar
    image = fig.axes[0].get_images()[0].get_array()
    assert image is not None and image.shape == (2, 48)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == results.summary["risk_profile"]["heat"]["days"]


def test_ecdf_annotates_the_share_of_days_meeting_the_target(night: RunResult) -> None:
    results = Results({"replications": 4, "days": 3}, {"risk_profile": risk_profile(night)}, [])
    fig = risk_plots.ecdf_figure(results)
    assert fig is not None and len(fig.axes) == 1
    day = next(s for s in risk_rows(night) if (s.level, s.name, s.kpi, s.unit) == ("total", "all", "service_level",
                                                                                  "day"))
    assert day.p_meet is not None
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [f"P(day ≥ target) = {day.p_meet.mean:.2f}"]
    assert len(results.summary["risk_profile"]["slices"][0]["daily"]) == day.units


def test_fan_has_at_most_four_panels_and_says_which_are_shown(night: RunResult) -> None:
    one = risk_profile(night)["slices"][0]
    slices = [one, *({**one, "level": "call_type", "name": f"t{k}"} for k in range(4))]  # the 4 the profile keeps
    rows = [{"level": "call_type", "name": f"t{k}"} for k in range(6)]
    results = Results({"replications": 4, "days": 3}, {"rows": rows, "risk_profile": {**risk_profile(night),
                                                                                      "slices": slices}}, [])
    fig = risk_plots.fan_figure(results)
    assert fig is not None and len(fig.axes) == 4
    assert any("the first 4 of 6 call types" in " ".join(t.get_text().split()) for t in fig.texts)
