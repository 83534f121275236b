"""Risk figures of a results folder: how the service level spreads over intervals, days and replications.

Drawn from summary.json's ``risk_profile`` (sim.analysis.risk.risk_profile), so ``ccsim report DIR`` redraws them.
The fan chart shows, per interval of the day, percentiles over every (replication, day) of the interval's service
level; the ECDF the share of days at or below each daily service level; the heat map, per day of the run and
interval, the share of replications that met the target. Layout helpers come from sim.reports.plots.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator, PercentFormatter

from sim.reports.plots import COLOURS, WIDTH, _clock_axis, _framed
from sim.reports.results import Results

BAND = "#1f5fa8"
MAX_DAY_TICKS = 31
"""Heat maps of longer runs label every n-th day only."""


def _profile(results: Results) -> dict[str, Any] | None:
    profile = results.summary.get("risk_profile")
    return profile if profile and profile.get("slices") else None


def _array(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _shown(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """The call types of the profile (at most 4 were stored), or all calls if there is one call type."""
    types = [s for s in profile["slices"] if s["level"] == "call_type"]
    return types if len(types) > 1 else profile["slices"][:1]


def fan_data(slice_: dict[str, Any]) -> dict[str, np.ndarray]:
    """{p5, p25, p50, p75, p95: per interval of the day} of one profile slice (NaN where no unit)."""
    return {k: _array(v) for k, v in slice_["fan"].items()}


def _steps(hours: np.ndarray, y: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    return np.append(hours, hours[-1] + width), np.append(y, y[-1])


def fan_figure(results: Results) -> Figure | None:
    """Service level per interval of the day: P5-P95 and P25-P75 bands and the median over every (replication,
    day), one panel per call type (at most 4), with the target line. None without a risk profile."""
    profile = _profile(results)
    if profile is None:
        return None
    shown = _shown(profile)
    width = float(profile["interval_s"]) / 3600.0
    n = len(shown)
    fig = _framed(n, 3.2 if n == 1 else 1.9, "Service level per interval of the day: how much it varies",
                  "Each interval's service level on every simulated day of every replication; per time of day the "
                  "median (line), the middle 50 % (dark band, P25-P75) and 90 % (light band, P5-P95) of those "
                  f"values. Dashed: the target. {results.run.get('replications')} replications x "
                  f"{results.run.get('days')} day(s); intervals without calls are left out.{_left_out(results, n)}")
    axes = list(fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0])
    fig.supylabel("service level (% of calls)", fontsize=10, x=0.15 / WIDTH)
    active = np.any([np.asarray(sl["units"]) > 0 for sl in shown], axis=0)
    start = _first_slot(active)
    order = np.roll(np.arange(len(active)), -start)
    hours = (start + np.arange(len(active))) * width  # may pass 24:00: a night shown in one piece
    kept = hours[active[order]]
    lo = float(np.floor(kept.min())) if kept.size else 0.0
    hi = float(np.ceil(kept.max() + width)) if kept.size else 24.0
    for ax, sl in zip(axes, shown, strict=True):
        _fan_panel(ax, sl, order, hours, width)
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(MultipleLocator(1 if hi - lo <= 10 else 2 if hi - lo <= 16 else 3))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _: f"{int(h) % 24:02d}:{round(h % 1 * 60):02d}"))
    axes[-1].set_xlabel("time of day (HH:MM, start of interval)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=len(labels), fontsize=8.5,
               frameon=False)
    return fig


def _left_out(results: Results, shown: int) -> str:
    """" Shown: the first 4 of 6 call types." when the profile holds fewer call types than the run."""
    types = sum(r["level"] == "call_type" for r in results.summary.get("rows", []))
    return f" Shown: the first {shown} of {types} call types." if types > max(shown, 1) else ""


def _first_slot(active: np.ndarray) -> int:
    """The interval of the day to start the axis at: just after the longest run of intervals without calls
    (wrapping round midnight), so that a night shift is drawn in one piece; 0 if calls come at every hour."""
    if active.all() or not active.any():
        return 0
    best, best_len, run_start, run_len = 0, 0, 0, 0
    for k in range(2 * len(active)):  # twice round the clock: a gap may wrap past midnight
        if active[k % len(active)]:
            run_len = 0
            continue
        run_start, run_len = (k, 1) if run_len == 0 else (run_start, run_len + 1)
        if run_len > best_len:
            best, best_len = run_start, min(run_len, len(active))
    return (best + best_len) % len(active) if best_len < len(active) else 0


def _fan_panel(ax: Axes, slice_: dict[str, Any], order: np.ndarray, hours: np.ndarray, width: float) -> None:
    band = {k: v[order] for k, v in fan_data(slice_).items()}
    x, p5 = _steps(hours, band["p5"], width)
    steps = {k: _steps(hours, v, width)[1] for k, v in band.items()}
    ax.fill_between(x, 100 * p5, 100 * steps["p95"], step="post", color=BAND, alpha=0.18, linewidth=0,
                    label="P5-P95")
    ax.fill_between(x, 100 * steps["p25"], 100 * steps["p75"], step="post", color=BAND, alpha=0.38, linewidth=0,
                    label="P25-P75")
    ax.plot(x, 100 * steps["p50"], drawstyle="steps-post", color=BAND, linewidth=1.8, label="median")
    ax.axhline(100 * slice_["target"], color=COLOURS["target"], linestyle="--", linewidth=1.2,
               label=f"target {slice_['target']:.0%}")
    name = "all call types" if slice_["level"] == "total" else slice_["name"]
    ax.set_title(name, loc="left", fontsize=9, color="#333333", pad=3)
    ax.set_ylim(0, 105)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.grid(axis="y", color="#e4e4e4", linewidth=0.8)
    ax.set_axisbelow(True)


def ecdf_figure(results: Results) -> Figure | None:
    """Cumulative distribution of the daily service level (all calls, and each call type if there are 2 to 4),
    the target line and P(day >= target). None without a risk profile or without a defined day."""
    profile = _profile(results)
    if profile is None or not profile["slices"][0]["daily"]:
        return None
    total = profile["slices"][0]
    types = [s for s in profile["slices"] if s["level"] == "call_type" and s["daily"]]
    types = types if len(types) > 1 else []
    target = float(total["target"])
    daily = _array(total["daily"])
    p_meet = float(np.mean(daily >= target))
    fig = _framed(1, 3.8, "Daily service level: how often a day misses the target",
                  "Share of simulated days (every day of every replication; days without calls left out) whose "
                  "service level was at most the value on the x axis. A step per day. "
                  f"{results.run.get('replications')} replications x {results.run.get('days')} day(s).",
                  bottom=0.6)
    ax = fig.subplots()
    for s in types:
        values = _array(s["daily"])
        ax.step(*_ecdf(values), where="post", linewidth=1.2, label=f"{s['name']} ({len(values)} days)")
    ax.step(*_ecdf(daily), where="post", color="#222222", linewidth=2.2, label=f"all call types ({len(daily)} days)")
    ax.axvline(100 * target, color=COLOURS["target"], linestyle="--", linewidth=1.2, label=f"target {target:.0%}")
    lo = min(float(daily[0]), *(float(_array(s["daily"])[0]) for s in types), target)
    xlo = max(0.0, np.floor(lo * 20 - 1) * 5)
    at = (100 * target - xlo) / (100.5 - xlo)  # the target line in axes fractions
    label = ("all call types: " if types else "") + f"P(day ≥ target) = {p_meet:.2f}"
    ax.annotate(label, (100 * target, 100 * (1 - p_meet)), textcoords="axes fraction",
                xytext=(at - 0.03, 0.55) if at > 0.4 else (at + 0.03, 0.55), ha="right" if at > 0.4 else "left",
                fontsize=9, arrowprops={"arrowstyle": "->", "color": "#444"},
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    ax.set_xlim(xlo, 100.5)
    ax.set_ylim(0, 102)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.grid(color="#e4e4e4", linewidth=0.8)
    ax.set_xlabel("daily service level (% of calls)")
    ax.set_ylabel("days at or below (%)")
    ax.legend(fontsize=8.5, loc="upper left")
    return fig


def _ecdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x (%) and y (% of days at or below) of a sorted sample's ECDF as post steps, from 0 %."""
    return 100 * np.append(values[0], values), 100 * np.arange(len(values) + 1) / len(values)


def heat_data(results: Results) -> np.ma.MaskedArray | None:
    """[day, interval of the day] share of replications meeting the target, masked where no replication had a
    defined service level."""
    profile = _profile(results)
    if profile is None:
        return None
    share = np.array([_array(row) for row in profile["heat"]["p_meet"]])
    return np.ma.masked_invalid(share)


def heat_figure(results: Results) -> Figure | None:
    """Heat map day x interval of P(interval SL >= target) over replications (all calls). None without a profile."""
    profile = _profile(results)
    share = heat_data(results)
    if profile is None or share is None:
        return None
    heat = profile["heat"]
    days, slots = share.shape
    width = float(profile["interval_s"]) / 3600.0
    height = min(max(0.22 * days, 2.2), 9.0)
    fig = _framed(1, height, "Which intervals miss the target, day by day",
                  f"Colour: share of the {results.run.get('replications')} replications in which the interval's "
                  f"service level (all call types) reached the target of {float(heat['target']):.0%}. White: no "
                  "calls (closed, or in the warm-up).", bottom=0.6)
    fig.subplots_adjust(right=1 - 1.3 / WIDTH)
    ax = fig.subplots()
    cmap = _cmap()
    image = ax.imshow(share, aspect="auto", cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest",
                      extent=(0.0, slots * width, days - 0.5, -0.5))
    step = int(np.ceil(days / MAX_DAY_TICKS))
    ax.set_yticks(range(0, days, step), [heat["days"][d] for d in range(0, days, step)], fontsize=8)
    _clock_axis(ax, 0.0, 24.0)
    ax.set_xlabel("time of day (HH:MM, start of interval)")
    ax.set_ylabel("day of the run")
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    bar.set_label("replications meeting the target", fontsize=9)
    return fig


def _cmap() -> Colormap:
    """Red (never met) to green (always met); masked cells white."""
    return colormaps["RdYlGn"].with_extremes(bad="white")


def risk_figures(results: Results) -> dict[str, Figure]:
    """The risk figures of a run that has a risk profile, by file stem."""
    figures = {"risk_fan": fan_figure(results), "risk_daily_ecdf": ecdf_figure(results),
               "risk_heatmap": heat_figure(results)}
    return {name: fig for name, fig in figures.items() if fig is not None}
