"""Figures of a sweep (per swept key, the chosen KPIs with their 95 % CIs against the key's values, one line per
combination of the other keys' values) and of a break-even search (the paired difference against the varied key).
Object API on the Agg canvas, in the style of sim.reports.plots."""

from __future__ import annotations

import re
from collections.abc import Sequence

from matplotlib.figure import Figure

from sim.analysis.breakeven import Crossing
from sim.analysis.stats import Estimate
from sim.analysis.sweep import Axis, SweepResult
from sim.reports.plots import DPI, WIDTH
from sim.reports.sweep_output import label, scaled

MISSING = Estimate(float("nan"), float("nan"))
"""A KPI a variant's total row lacks (no campaigns or sales offers in it): no point."""

_NUMERIC = re.compile(r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)([a-z]*)")
PANEL_HEIGHT = 2.4
MAX_TICKS = 12
"""Up to this many values, each one labels a tick as written (more numbers: matplotlib's own ticks)."""


def positions(axis: Axis) -> tuple[list[float], str | None]:
    """x positions of an axis' values and their unit: the numbers themselves when every value is a number of one
    unit ('' for plain numbers; e.g. 20s, 30s: 's'), else 0, 1, 2, ... and None (the values label the ticks)."""
    matches = [_NUMERIC.fullmatch(v.strip()) for v in axis.values]
    units = {m.group(2) for m in matches if m}
    if all(matches) and len(units) == 1:
        return [float(m.group(1)) for m in matches if m], units.pop()
    return [float(i) for i in range(len(axis.values))], None


def sweep_figures(sweep: SweepResult, kpis: Sequence[str]) -> dict[str, Figure]:
    """{'sweep_<key>': figure} for every swept key with more than one value."""
    return {f"sweep_{axis.key}": _figure(sweep, a, kpis) for a, axis in enumerate(sweep.axes) if len(axis.values) > 1}


def _figure(sweep: SweepResult, a: int, kpis: Sequence[str]) -> Figure:
    axis = sweep.axes[a]
    scenario = sweep.variants[0].scenario
    xs, unit = positions(axis)
    at = dict(zip(axis.values, xs, strict=True))
    lines: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for i, v in enumerate(sweep.variants):
        lines.setdefault(tuple(s for j, s in enumerate(v.settings) if j != a), []).append(i)
    height = 1.3 + PANEL_HEIGHT * len(kpis) + 0.35 * (len(kpis) - 1) + (0.5 if len(lines) > 1 else 0.0)
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    fig.subplots_adjust(left=0.9 / WIDTH, right=1 - 0.3 / WIDTH, top=1 - 0.85 / height,
                        bottom=(0.55 + (0.5 if len(lines) > 1 else 0.0)) / height, hspace=0.35 / PANEL_HEIGHT)
    fig.text(0.5, 1 - 0.1 / height, f"{scenario.name}: KPIs against {axis.key}", ha="center", va="top",
             fontsize=13, fontweight="bold")
    fig.text(0.5, 1 - 0.42 / height, f"Mean and 95 % CI over {scenario.run.replications} replications of "
             f"{scenario.run.days} day(s); every variant with seed {scenario.run.seed} (common random numbers).",
             ha="center", va="top", fontsize=8.5, color="#444444")
    axes = list(fig.subplots(len(kpis), 1, sharex=True, squeeze=False)[:, 0])
    totals = sweep.totals()
    for ax, kpi in zip(axes, kpis, strict=True):
        for others, members in lines.items():
            points = [(at[sweep.variants[i].settings[a][1]], *scaled(totals[i].get(kpi, MISSING), kpi))
                      for i in members]
            name = ", ".join(f"{k}={v}" for k, v in others) or None
            ax.errorbar([p[0] for p in points], [p[1] for p in points], yerr=[p[2] for p in points], marker="o",
                        markersize=4, capsize=3, linewidth=1.4, label=name)
        ax.set_ylabel(label(kpi, scenario.currency), fontsize=9)
        ax.grid(color="#e4e4e4", linewidth=0.8)
        ax.set_axisbelow(True)
    bottom = axes[-1]
    bottom.set_xlabel(f"{axis.key}" + (f" ({unit})" if unit else ""))
    if unit is None or len(xs) <= MAX_TICKS:
        bottom.set_xticks(xs, list(axis.values))
    if len(lines) > 1:
        handles, names = bottom.get_legend_handles_labels()
        fig.legend(handles, names, loc="lower center", ncol=min(len(names), 4), fontsize=8, frameon=False)
    return fig


def breakeven_figure(crossing: Crossing, key: str, kpi: str, names: tuple[str, str], unit: str,
                     scale: float) -> Figure:
    """The paired difference B - A of ``kpi`` (mean and 95 % CI, in ``unit`` after multiplying by ``scale``) at
    every value of ``key`` evaluated, the zero line, the break-even value and its confidence interval."""
    height = 4.6
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    fig.subplots_adjust(left=0.9 / WIDTH, right=1 - 0.3 / WIDTH, top=1 - 0.85 / height, bottom=0.6 / height)
    a, b = names
    fig.text(0.5, 1 - 0.1 / height, f"Break-even: {b} vs {a} on {kpi.replace('_', ' ')}", ha="center", va="top",
             fontsize=13, fontweight="bold")
    ci = "open" if crossing.low is None or crossing.high is None else \
        f"{crossing.low:.4g} to {crossing.high:.4g}"
    fig.text(0.5, 1 - 0.42 / height, f"{b} minus {a} (paired by replication, common random numbers), mean and 95 % "
             f"CI at every value evaluated; crossing at {crossing.value:.4g} (95 % CI {ci}).", ha="center",
             va="top", fontsize=8.5, color="#444444")
    ax = fig.subplots()
    xs = [p.x for p in crossing.points]
    ax.errorbar(xs, [p.diff.mean * scale for p in crossing.points],
                yerr=[p.diff.half_width * scale for p in crossing.points], marker="o", markersize=3.5, capsize=3,
                linewidth=1.2, color="#1f5fa8", label=f"{b} - {a}")
    ax.axhline(0, color="#222222", linewidth=0.9)
    low = crossing.low if crossing.low is not None else min(xs)
    high = crossing.high if crossing.high is not None else max(xs)
    ax.axvspan(low, high, color="#e08a2c", alpha=0.18, label="95 % CI of the crossing")
    ax.axvline(crossing.value, color="#c0392b", linewidth=1.2, linestyle="--", label=f"break-even {crossing.value:.4g}")
    ax.set_xlabel(key)
    ax.set_ylabel(f"{kpi.replace('_', ' ')} difference {unit}".strip(), fontsize=9)
    ax.grid(color="#e4e4e4", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, frameon=False)
    return fig
