"""Figures of a sweep: per swept key, the chosen KPIs (mean with its 95 % CI) against the key's values, one line per
combination of the other keys' values. Object API on the Agg canvas, in the style of sim.reports.plots."""

from __future__ import annotations

import re
from collections.abc import Sequence

from matplotlib.figure import Figure

from sim.analysis.sweep import Axis, SweepResult
from sim.reports.plots import DPI, WIDTH
from sim.reports.sweep_output import label, scaled

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
            points = [(at[sweep.variants[i].settings[a][1]], *scaled(totals[i][kpi], kpi)) for i in members]
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
