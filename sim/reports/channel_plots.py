"""Figures of the work beside inbound calls, per interval, from channel_intervals.csv: the backlog of each work
type, the service level of each chat type and the right-party contacts of each campaign (each only where the
scenario has such work). Layout helpers from ``sim.reports.plots``."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim.reports.plots import _clock_axis, _interval_name, _legend, _panels_figure, _scope, _steps, _window
from sim.reports.results import Results, day_panels

FIGURES = (
    ("work_backlog", "work", "mean_backlog", "Work items waiting per {interval} interval",
     "Time average of the items arrived and not yet started (the backlog), per work type; it carries over nights "
     "and weekends.", "items waiting", False),
    ("chat_service_level", "chat", "service_level", "Chat service level per {interval} interval",
     "Chats taken within their type's threshold, of those offered minus those who left within it, by interval "
     "of arrival.", "service level (%)", True),
    ("outbound_contacts", "campaign", "right_party", "Right-party contacts per {interval} interval",
     "Outbound attempts that reached the person of the record, per campaign, by interval of dialling.",
     "right-party contacts", False),
)
"""(file stem, level, KPI, title, subtitle, y label, as percent) of each figure."""


def _wide(rows: list[dict[str, Any]], level: str, kpi: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows of one level and KPI as interval rows with one column per name, and the names."""
    names: list[str] = []
    by_start: dict[tuple[int, str], dict[str, Any]] = {}
    for r in rows:
        if r["level"] != level or r["kpi"] != kpi:
            continue
        if r["name"] not in names:
            names.append(r["name"])
        row = by_start.setdefault((int(r["day"]), r["interval_start"]), {
            "day": r["day"], "weekday": r["weekday"], "interval_start": r["interval_start"]})
        row[r["name"]] = r["mean"]
    return list(by_start.values()), names


def channel_figures(results: Results) -> dict[str, Figure]:
    """Every channel figure the results have, by file stem."""
    out = {}
    width = results.interval_s / 3600.0
    for stem, level, kpi, title, subtitle, ylabel, percent in FIGURES:
        rows, names = _wide(results.channel_intervals, level, kpi)
        if not names:
            continue
        panels = day_panels(rows, names)
        fig, axes = _panels_figure(panels, title.format(interval=_interval_name(results)),
                                   f"{subtitle} {_scope(results, panels)}", ylabel)
        lo, hi = (0.0, 24.0) if percent else _window(panels, names, width)
        top = 105.0 if percent else 1.05 * max(float(np.nanmax(p.values[n], initial=0.0)) for p in panels
                                               for n in names) or 1.0
        for ax, p in zip(axes, panels, strict=True):
            for name in names:
                x, y = _steps(p, name, width)
                ax.plot(x, 100 * y if percent else y, drawstyle="steps-post", linewidth=1.5, label=name)
            ax.set_ylim(0, top)
            ax.yaxis.set_major_formatter(PercentFormatter(decimals=0) if percent
                                         else FuncFormatter(lambda v, _: f"{v:,.0f}"))
            _clock_axis(ax, lo, hi)
        _legend(fig, axes[0])
        out[stem] = fig
    return out
