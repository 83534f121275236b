"""The backtest figure: actual against simulated service level per day and per interval (object API, Agg
canvas, no pyplot state; the same conventions as ``sim.reports.plots``)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.calibration.backtest import Backtest
from sim.reports.plots import COLOURS, DPI, FORMATS, to_bytes


def backtest_figure(bt: Backtest) -> Figure:
    """Top: service level per day, actual and simulated (mean and the range over replications). Bottom: every
    interval with calls, simulated against actual, with the diagonal."""
    fig = Figure(figsize=(10.5, 8.0), dpi=DPI)
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 1.2], "hspace": 0.35})
    days = np.arange(1, bt.history.n_days + 1)
    sim = bt.simulated_days["service_level"]
    top.fill_between(days, np.nanmin(sim, axis=0), np.nanmax(sim, axis=0), color=COLOURS["sl"], alpha=0.2,
                     label="simulated, range over replications")
    top.plot(days, np.nanmean(sim, axis=0), color=COLOURS["sl"], label="simulated (mean)")
    top.plot(days, bt.actual_days["service_level"], color=COLOURS["offered"], marker=".", label="actual")
    top.set(xlabel=f"day of the history (day 1 = {bt.history.first_date})", ylabel="service level",
            title=f"Backtest of {bt.scenario.name}: service level per day")
    top.yaxis.set_major_formatter(PercentFormatter(1.0))
    top.legend(fontsize=8)
    sim_sl = bt.simulated["service_level"]
    known = (bt.offered > 0) & np.all(np.isfinite(sim_sl), axis=0) & np.isfinite(bt.actual["service_level"])
    actual, simulated = bt.actual["service_level"][known], sim_sl[:, known].mean(axis=0)
    bottom.scatter(actual, simulated, s=6, color=COLOURS["sl"], alpha=0.4)
    bottom.plot([0, 1], [0, 1], color=COLOURS["target"], linewidth=1, label="simulated = actual")
    bottom.set(xlabel="actual service level of the interval", ylabel="simulated (mean over replications)",
               title=f"per {bt.history.interval / 60:g}-min interval with calls", xlim=(0, 1.02), ylim=(0, 1.02))
    bottom.xaxis.set_major_formatter(PercentFormatter(1.0))
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0))
    bottom.legend(fontsize=8)
    return fig


def backtest_figures(bt: Backtest) -> dict[str, bytes]:
    """The figure in every format of ``sim.reports.plots.FORMATS``."""
    fig = backtest_figure(bt)
    return {fmt: to_bytes(fig, fmt) for fmt in FORMATS}
