"""Figures of a results folder: the only module that imports matplotlib (object API, Agg canvas, no pyplot state).

Every figure takes data as stored in the result files (``sim.reports.results.Results``), so ``ccsim report DIR`` redraws
what ``ccsim run --plots`` drew. Time axes show clock time (HH:MM) per day: one panel per day for runs of up to a
week, the mean by time of day for longer runs (said in the title). Every axis names its unit.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MultipleLocator, PercentFormatter

from sim.reports.results import SL_FORMULAS, Panel, Results, cost_by, day_panels, requirement

FORMATS = ("png", "svg")
DPI = 110
WIDTH = 10.5
GAP = 0.42
WRAP = 150
COLOURS = {"answered": "#4c9a64", "abandoned": "#e08a2c", "blocked": "#c0392b", "deflected": "#7f9fc6",
           "closed": "#c8c8c8", "offered": "#222222", "sl": "#1f5fa8", "target": "#c0392b", "scheduled": "#1f5fa8",
           "required": "#222222", "under": "#e74c3c", "over": "#7fbf8e"}
OUTCOMES = (("answered", "answered"), ("abandoned", "abandoned (hung up while waiting)"),
            ("blocked", "blocked (busy signal)"), ("deflected", "served by IVR self-service"),
            ("closed", "arrived while closed"))


def _seconds(x: float) -> str:
    return f"{x:g} s"


def _interval_name(results: Results) -> str:
    return f"{results.interval_s / 60:g}-min"


def _framed(n_panels: int, panel_height: float, title: str, subtitle: str, bottom: float = 0.95,
            width: float = WIDTH) -> Figure:
    """An empty figure with room for a bold title, a wrapped subtitle, ``n_panels`` stacked axes and, below them,
    an x label and a legend (margins in inches, so every figure reads the same at any height)."""
    lines = [line for part in subtitle.split("\n") for line in textwrap.wrap(part, round(WRAP * width / WIDTH))]
    top = 0.62 + 0.16 * len(lines)
    height = top + n_panels * panel_height + (n_panels - 1) * GAP + bottom
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(left=0.95 / width, right=1 - 0.3 / width, top=1 - top / height, bottom=bottom / height,
                        hspace=GAP / panel_height)
    fig.text(0.5, 1 - 0.1 / height, title, ha="center", va="top", fontsize=13, fontweight="bold")
    fig.text(0.5, 1 - 0.42 / height, "\n".join(lines), ha="center", va="top", fontsize=8.5, color="#444444",
             linespacing=1.3)
    return fig


def _panels_figure(panels: Sequence[Panel], title: str, subtitle: str, ylabel: str) -> tuple[Figure, list[Axes]]:
    """A figure with one row per panel (shared axes), a title, a subtitle and a common y label."""
    n = max(len(panels), 1)
    fig = _framed(n, 3.2 if n == 1 else 1.45, title, subtitle)
    axes = list(fig.subplots(n, 1, sharex=True, sharey=True, squeeze=False)[:, 0])
    fig.supylabel(ylabel, fontsize=10, x=0.15 / WIDTH)
    for ax, panel in zip(axes, panels, strict=False):
        ax.set_title(panel.label, loc="left", fontsize=9, color="#333333", pad=3)
        ax.grid(axis="y", color="#e4e4e4", linewidth=0.8)
        ax.set_axisbelow(True)
    axes[-1].set_xlabel("time of day (HH:MM, start of interval)")
    return fig, axes


def _clock_axis(ax: Axes, lo: float, hi: float) -> None:
    """x axis in hours after midnight, labelled HH:MM."""
    ax.set_xlim(lo, hi)
    span = hi - lo
    ax.xaxis.set_major_locator(MultipleLocator(1 if span <= 10 else 2 if span <= 16 else 3))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _: f"{int(h) % 25:02d}:{round(h % 1 * 60):02d}"))


def _window(panels: Sequence[Panel], keys: Sequence[str], width: float, above: float = 0.0) -> tuple[float, float]:
    """Whole hours spanning every interval where any of ``keys`` is > ``above`` in any panel (0-24 if none)."""
    starts = [h for p in panels for k in keys for h, v in zip(p.hours, p.values[k], strict=True) if v > above]
    if not starts:
        return 0.0, 24.0
    return float(math.floor(min(starts))), float(min(math.ceil(max(starts) + width), 24))


def _steps(panel: Panel, key: str, width: float) -> tuple[np.ndarray, np.ndarray]:
    """x and y for a steps-post line that also covers the last interval."""
    y = panel.values[key]
    return np.append(panel.hours, panel.hours[-1] + width), np.append(y, y[-1])


def _active(panels: Sequence[Panel], keys: Sequence[str]) -> tuple[list[Panel], str]:
    """Panels where any of ``keys`` is > 0, and a note naming the days left out."""
    keep = [p for p in panels if any(np.nansum(p.values[k]) > 0 for k in keys)]
    dropped = [p.label for p in panels if p not in keep]
    return keep or list(panels), (f" Not shown (no calls handled): {'; '.join(dropped)}." if dropped else "")


def _legend(fig: Figure, ax: Axes) -> None:
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(labels), 6),
               fontsize=8.5, frameon=False)


def _scope(results: Results, panels: Sequence[Panel]) -> str:
    """What the panels show and over how many replications."""
    reps = results.run.get("replications", "?")
    days = f"; {panels[0].label}" if panels and panels[0].days > 1 else ""
    return f"Mean over {reps} replications{days}."


def service_level_figure(results: Results) -> Figure:
    """Service level per interval (all call types) with its 95 % CI band and the target line."""
    threshold, target, definition = results.sl
    width = results.interval_s / 3600.0
    panels, note = _active(day_panels(results.total_rows(), ["service_level", "service_level_ci", "answered"]),
                           ["answered"])
    formula = SL_FORMULAS.get(definition, definition).replace("T", _seconds(threshold))
    averaged = panels[0].days > 1  # half-widths of single days do not combine into one of their mean
    band = "No confidence band: it is per day and does not carry over to a mean of days." if averaged else \
        "Shaded: 95 % confidence interval."
    fig, axes = _panels_figure(
        panels, f"Service level per {_interval_name(results)} interval: target {target:.0%} within "
        f"{_seconds(threshold)}", f"Service level = {formula}, all call types. {band} "
        f"{_scope(results, panels)}{note}", "service level (% of calls)")
    lo, hi = _window(panels, ["answered"], width)
    for ax, p in zip(axes, panels, strict=True):
        x, sl = _steps(p, "service_level", width)
        _, ci = _steps(p, "service_level_ci", width)
        if not averaged:
            ax.fill_between(x, 100 * (sl - ci), 100 * np.minimum(sl + ci, 1), step="post", color=COLOURS["sl"],
                            alpha=0.2, linewidth=0, label="95 % confidence interval")
        ax.plot(x, 100 * sl, drawstyle="steps-post", color=COLOURS["sl"], linewidth=1.8, label="service level")
        ax.axhline(100 * target, color=COLOURS["target"], linestyle="--", linewidth=1.2,
                   label=f"target {target:.0%}")
        ax.set_ylim(0, 105)
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        _clock_axis(ax, lo, hi)
    _legend(fig, axes[0])
    return fig


def volume_figure(results: Results) -> Figure:
    """What happened to the calls of each interval, stacked; the top is the calls offered."""
    width = results.interval_s / 3600.0
    keys = [k for k, _ in OUTCOMES]
    panels, note = _active(day_panels(results.total_rows(), [*keys, "offered"]), ["offered"])
    shown = [(k, label) for k, label in OUTCOMES if any(np.nansum(p.values[k]) > 0 for p in panels)]
    fig, axes = _panels_figure(
        panels, f"Calls per {_interval_name(results)} interval and what happened to them",
        f"Stacked by outcome; the outline is all calls offered (incl. the few still in the system at the end). "
        f"All call types; counted in the interval of arrival. {_scope(results, panels)}{note}",
        f"calls per {_interval_name(results)} interval")
    lo, hi = _window(panels, ["offered"], width)
    for ax, p in zip(axes, panels, strict=True):
        bottom = np.zeros(len(p.hours) + 1)
        for key, label in shown:
            x, values = _steps(p, key, width)
            top = bottom + np.nan_to_num(values)
            ax.fill_between(x, bottom, top, step="post", color=COLOURS[key], label=label, linewidth=0)
            bottom = top
        x, offered = _steps(p, "offered", width)
        ax.plot(x, offered, drawstyle="steps-post", color=COLOURS["offered"], linewidth=1.0, label="offered")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        _clock_axis(ax, lo, hi)
    _legend(fig, axes[0])
    return fig


def staffing_figure(results: Results) -> Figure:
    """Agents logged in (all groups) against the Erlang C requirement per interval: the staffing gap."""
    threshold, target, _ = results.sl
    width = results.interval_s / 3600.0
    panels, note = _active(day_panels(requirement(results), ["required", "scheduled"]), ["required", "scheduled"])
    groups = results.groups
    pooled = f" Logged-in agents summed over the {len(groups)} groups; Erlang C treats them as one pool " \
             "(an approximation for multi-skill centers)." if len(groups) > 1 else ""
    fig, axes = _panels_figure(
        panels, f"Agents logged in vs Erlang C requirement per {_interval_name(results)} interval",
        f"Requirement: fewest agents for {target:.0%} within {_seconds(threshold)} (Erlang C) given the "
        f"interval's calls (offered minus IVR self-service and closed hours) and AHT.{pooled}\n"
        f"{_scope(results, panels)}{note}", "agents")
    lo, hi = _window(panels, ["required", "scheduled"], width, above=0.5)
    for ax, p in zip(axes, panels, strict=True):
        x, scheduled = _steps(p, "scheduled", width)
        _, required = _steps(p, "required", width)
        top = np.maximum(scheduled, required)
        ax.fill_between(x, scheduled, top, step="post", color=COLOURS["under"], alpha=0.35, linewidth=0,
                        label="understaffed (fewer agents than required)")
        ax.fill_between(x, required, top, step="post", color=COLOURS["over"], alpha=0.35, linewidth=0,
                        label="overstaffed")
        ax.plot(x, scheduled, drawstyle="steps-post", color=COLOURS["scheduled"], linewidth=1.8,
                label="agents logged in" + (" (all groups)" if len(groups) > 1 else ""))
        ax.plot(x, required, drawstyle="steps-post", color=COLOURS["required"], linewidth=1.2, linestyle="--",
                label="required (Erlang C)")
        ax.set_ylim(bottom=0)
        _clock_axis(ax, lo, hi)
    _legend(fig, axes[0])
    return fig


def occupancy_figure(results: Results) -> Figure:
    """Occupancy of each agent group per interval, with the 85 % guideline."""
    width = results.interval_s / 3600.0
    groups = results.groups
    columns = [f"occupancy_{g}" for g in groups] + [f"agents_{g}" for g in groups] + ["answered", "abandoned"]
    panels, note = _active(day_panels(results.total_rows(), columns),
                           ["answered"] if results.has_calls else [f"agents_{g}" for g in groups])
    fig, axes = _panels_figure(
        panels, f"Occupancy per agent group per {_interval_name(results)} interval",
        "Occupancy = time busy with calls (talk + wrap-up) / time logged in on shift (an agent finishing a call "
        "after the shift's end counts in neither). Dotted: 85 %, above which sustained work risks burnout. Left out: "
        "intervals without calls and with less than one agent of the group on shift on average. "
        f"{_scope(results, panels)}{note}",
        "occupancy (% of logged-in time)")
    lo, hi = _window(panels, ["answered", "abandoned"], width)
    for ax, p in zip(axes, panels, strict=True):
        _, answered = _steps(p, "answered", width)
        _, abandoned = _steps(p, "abandoned", width)
        for g in groups:
            x, occupancy = _steps(p, f"occupancy_{g}", width)
            _, agents = _steps(p, f"agents_{g}", width)
            shown = (agents >= 1.0) & ((answered + abandoned > 0) | (not results.has_calls))
            ax.plot(x, np.where(shown, 100 * occupancy, np.nan), drawstyle="steps-post", linewidth=1.5, label=g)
        ax.axhline(85, color="#666666", linestyle=":", linewidth=1.2, label="85 %")
        ax.set_ylim(0, 105)
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        _clock_axis(ax, lo, hi)
    _legend(fig, axes[0])
    return fig


def wait_figure(results: Results) -> Figure | None:
    """Cumulative distribution of the waits of answered calls, with the SL threshold and target marked."""
    waits = results.summary.get("wait_distribution") or {}
    cdf = {k: np.asarray(v) for k, v in (waits.get("cdf") or {}).items() if v is not None}
    if "all" not in cdf:
        return None
    threshold, target, _ = results.sl
    edges = np.asarray(waits["edges_s"])
    reach = edges[np.argmax(cdf["all"] >= 0.99)] if np.any(cdf["all"] >= 0.99) else edges[-1]
    types = [k for k in cdf if k != "all"] if 1 < len(cdf) - 1 <= 8 else []
    fig = _framed(1, 3.8, "How long answered calls waited",
                  "Share of answered calls that waited at most the time on the x axis (abandoned calls are not in "
                  "this curve; the service level counts them). " + ("Dots: each call type's own threshold. "
                                                                    if types else "")
                  + f"Pooled over {results.run.get('replications')} replications.", bottom=0.6)
    ax = fig.subplots()
    for name in types:
        ax.plot(edges, 100 * cdf[name], linewidth=1.2, label=name)
        own = float(waits.get("thresholds_s", {}).get(name, threshold))
        ax.plot([own], [100 * np.interp(own, edges, cdf[name])], "o", color=ax.lines[-1].get_color(), markersize=4)
    ax.plot(edges, 100 * cdf["all"], color="#222222", linewidth=2.2, label="all call types")
    ax.axvline(threshold, color=COLOURS["target"], linestyle="--", linewidth=1.2,
               label=f"{'scenario ' if types else ''}threshold {_seconds(threshold)}")
    ax.axhline(100 * target, color="#666666", linestyle=":", linewidth=1.2, label=f"target {target:.0%}")
    within = float(np.interp(threshold, edges, cdf["all"]))
    box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
    arrow = {"arrowstyle": "->", "color": "#444444"}
    ax.annotate(f"{within:.1%} waited {_seconds(threshold)} or less", (threshold, 100 * within), xytext=(14, -30),
                textcoords="offset points", fontsize=9, arrowprops=arrow, bbox=box)
    ax.annotate(f"{cdf['all'][0]:.1%} answered at once", (0, 100 * cdf["all"][0]), xytext=(8, -52),
                textcoords="offset points", fontsize=9, arrowprops=arrow, bbox=box)
    ax.set_xlim(0, float(min(max(reach * 1.1, 3 * threshold, 60.0), edges[-1])))
    start = min([target, *(float(c[0]) for c in cdf.values())])
    ax.set_ylim(max(0.0, math.floor(start * 10 - 0.5) * 10), 101)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.grid(color="#e4e4e4", linewidth=0.8)
    ax.set_xlabel("waiting time before an agent answered (seconds)")
    ax.set_ylabel("answered calls (%)")
    ax.legend(fontsize=8.5, loc="lower right")
    return fig


def cost_figure(costs: Sequence[tuple[str, dict[str, float]]], currency: str, title: str, subtitle: str) -> Figure:
    """Stacked bars: one bar per scenario (or client), one segment per cost component, the net total at its end.
    Negative components (credits) hang below zero. Upright bars while their labels fit side by side; else (e.g.
    3 clients x 4 scenarios) horizontal bars, one row per bar, the figure as tall as the bars need.

    ``costs``: [(bar label, {component: amount})]; the comparison command passes one entry per scenario, and one
    per client for pooled scenarios. Components that are 0 everywhere are left out.
    """
    components = [c for c in dict.fromkeys(c for _, parts in costs for c in parts)
                  if any(parts.get(c, 0.0) for _, parts in costs)]
    fig = _cost_columns(costs, components, currency, title, subtitle)
    if overlapping(fig, fig.axes[0].get_xticklabels()):
        fig = _cost_rows(costs, components, currency, title, subtitle)
    return fig


def overlapping(fig: Figure, texts: Sequence[Text]) -> bool:
    """Whether any two of ``texts`` (artists of ``fig``, e.g. tick labels) overlap as drawn."""
    FigureCanvasAgg(fig)  # measure as the PNG draws it
    fig.draw_without_rendering()  # lay out the ticks
    boxes = [t.get_window_extent() for t in texts if t.get_text()]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def wrapped(label: str, width: int = 14) -> str:
    """A bar label on lines of about ``width`` characters, broken after spaces and underscores (kept)."""
    lines = [""]
    for token in re.split(r"(?<=[_ ])", label):
        if lines[-1] and len(lines[-1]) + len(token.rstrip()) > width:
            lines.append("")
        lines[-1] += token
    return "\n".join(line.rstrip() for line in lines)


def _stack(ax: Axes, costs: Sequence[tuple[str, dict[str, float]]], components: Sequence[str],
           horizontal: bool) -> tuple[np.ndarray, np.ndarray]:
    """Draw the stacked segments (labels wrapped on upright bars); return the positive and negative end of every
    bar."""
    labels = [label if horizontal else wrapped(label) for label, _ in costs]
    up, down = np.zeros(len(costs)), np.zeros(len(costs))
    for component in components:
        values = np.array([parts.get(component, 0.0) for _, parts in costs])
        base = np.where(values >= 0, up, down)
        if horizontal:
            ax.barh(labels, values, left=base, height=0.6, label=component)
        else:
            ax.bar(labels, values, bottom=base, width=0.55, label=component)
        up, down = up + np.maximum(values, 0), down + np.minimum(values, 0)
    return up, down


def _cost_columns(costs: Sequence[tuple[str, dict[str, float]]], components: Sequence[str], currency: str,
                  title: str, subtitle: str) -> Figure:
    """Upright stacked bars, the net total on top."""
    width = min(WIDTH, 5.2 + 1.2 * len(costs))
    lines = max((wrapped(label).count("\n") + 1 for label, _ in costs), default=1)
    fig = _framed(1, 3.8, title, subtitle, bottom=0.3 + 0.17 * lines, width=width)
    fig.subplots_adjust(right=1 - 2.3 / width)
    ax = fig.subplots()
    up, down = _stack(ax, costs, components, horizontal=False)
    for x, (top, total) in enumerate(zip(up, up + down, strict=True)):
        ax.annotate(f"{total:,.0f} {currency}", (x, top), xytext=(0, 4), textcoords="offset points",
                    ha="center", fontsize=9, fontweight="bold")
    if down.min(initial=0.0) < 0:
        ax.axhline(0, color="#222222", linewidth=0.8)
    ax.set_xlim(-0.6, len(costs) - 0.4)
    ax.set_ylim(down.min(initial=0.0) * 1.15, max(up.max(initial=0.0), 1.0) * 1.15)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylabel(f"cost ({currency})")
    ax.grid(axis="y", color="#e4e4e4", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def _cost_rows(costs: Sequence[tuple[str, dict[str, float]]], components: Sequence[str], currency: str,
               title: str, subtitle: str) -> Figure:
    """Horizontal stacked bars, first on top, labels on one line; the net total right of the bar."""
    fig = _framed(1, 0.42 * len(costs) + 0.2, title, subtitle, bottom=0.6)
    longest = max((len(label) for label, _ in costs), default=1)
    fig.subplots_adjust(left=(0.35 + 0.075 * longest) / WIDTH, right=1 - 2.3 / WIDTH)
    ax = fig.subplots()
    up, down = _stack(ax, costs, components, horizontal=True)
    for y, (end, total) in enumerate(zip(up, up + down, strict=True)):
        ax.annotate(f"{total:,.0f} {currency}", (end, y), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=9, fontweight="bold")
    if down.min(initial=0.0) < 0:
        ax.axvline(0, color="#222222", linewidth=0.8)
    ax.set_ylim(len(costs) - 0.4, -0.6)  # the first bar on top
    ax.set_xlim(down.min(initial=0.0) * 1.15, max(up.max(initial=0.0), 1.0) * 1.22)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel(f"cost ({currency})")
    ax.tick_params(axis="y", labelsize=9)
    ax.grid(axis="x", color="#e4e4e4", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def labour_cost_figure(results: Results) -> Figure | None:
    """Labour cost of each agent group of a single run: horizontal bars with cost, hours and hourly rate; a partner
    group shows what the client pays for it instead, its site's invoice shared by agent hours (None if no group
    costs anything)."""
    currency = results.run.get("currency", "")
    groups = [r for r in results.summary["rows"] if r["level"] == "group"]
    hours = np.array([r["kpis"].get("agent_hours", {}).get("mean") or 0.0 for r in groups])
    cost = np.array([r["kpis"].get("labour_cost", {}).get("mean") or 0.0 for r in groups])
    invoiced = _invoice_shares([r["name"] for r in groups], hours, results.summary.get("sites", []))
    cost = np.where(invoiced > 0, invoiced, cost)
    if not cost.sum() > 0:
        return None
    fig = _framed(1, 0.5 + 0.45 * len(groups), f"Labour cost per agent group: {cost.sum():,.0f} {currency}",
                  f"Cost per hour x logged-in agent hours over the {results.run.get('days')} simulated day(s), "
                  f"mean over {results.run.get('replications')} replications; partner groups: their share (by "
                  "agent hours) of the site's invoice.", bottom=0.6)
    fig.subplots_adjust(left=2.2 / WIDTH, right=1 - 2.6 / WIDTH)
    ax = fig.subplots()
    names = [r["name"] for r in groups]
    ax.barh(names, cost, height=0.6, color=[COLOURS["deflected" if i > 0 else "scheduled"] for i in invoiced])
    for y, (c, h, i) in enumerate(zip(cost, hours, invoiced, strict=True)):
        rate = f" x {c / h:,.2f} {currency}/h" if h > 0 else ""
        what = "invoice share, " if i > 0 else ""
        ax.annotate(f"{c:,.0f} {currency}  ({what}{h:,.0f} agent h{rate})", (c, y), xytext=(5, 0),
                    textcoords="offset points", va="center", fontsize=9, annotation_clip=False)
    ax.invert_yaxis()
    ax.set_xlim(0, max(cost.max(initial=0.0), 1.0) * 1.05)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel(f"labour cost ({currency})")
    ax.grid(axis="x", color="#e4e4e4", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig


def _invoice_shares(names: list[str], hours: np.ndarray, sites: list[dict[str, Any]]) -> np.ndarray:
    """Each group's share of its partner site's cost (summary.json ``sites``), by agent hours; 0 in house."""
    out = np.zeros(len(names))
    for site in sites:
        if site.get("kind") != "partner" or not site.get("cost"):
            continue
        mine = np.isin(names, site.get("groups", []))
        weight = hours[mine].sum()
        out[mine] = site["cost"] * (hours[mine] / weight if weight > 0 else 1.0 / mine.sum())
    return out


def cost_components_figure(results: Results) -> Figure | None:
    """Cost by component (labour, partner fees, penalties and credits, telephony): one bar per client when
    several clients share the center, else one bar for the scenario. None for results without cost components."""
    clients = cost_by(results, "client")
    costs = clients if len(clients) > 1 else cost_by(results, "total")
    if not costs or not any(costs[0][1].values()):
        return None
    costs = [(results.name if name == "all" else name, parts) for name, parts in costs]
    title = "Cost per client by component" if len(clients) > 1 else "Cost by component"
    return cost_figure(costs, results.run.get("currency", ""), title,
                       f"Over the {results.run.get('days')} simulated day(s), mean over "
                       f"{results.run.get('replications')} replications; the number on a bar is its net total"
                       + (" (shared costs split among clients by the scenario's key)." if len(clients) > 1
                          else "."))


def figures(results: Results) -> dict[str, Figure]:
    """Every figure of a single run, by file stem (the risk figures: sim.reports.risk_plots)."""
    from sim.reports.channel_plots import channel_figures  # likewise
    from sim.reports.risk_plots import risk_figures  # it imports this module's layout helpers
    optional = {"waiting_time": wait_figure(results), "labour_cost": labour_cost_figure(results),
                "costs": cost_components_figure(results)}
    calls = {"service_level": service_level_figure(results), "volumes": volume_figure(results),
             "staffing": staffing_figure(results)} if results.has_calls else {}
    return {**calls, "occupancy": occupancy_figure(results),
            **{name: fig for name, fig in optional.items() if fig is not None}, **channel_figures(results),
            **risk_figures(results)}


def to_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes (SVG without a timestamp and with fixed ids: equal figures, equal files)."""
    buffer = io.BytesIO()
    with rc_context({"svg.hashsalt": "ccsim"}):
        fig.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def render(results: Results, formats: Sequence[str] = ("png",)) -> dict[str, dict[str, bytes]]:
    """{figure stem: {format: bytes}} for every figure of a run."""
    return {name: {fmt: to_bytes(fig, fmt) for fmt in formats} for name, fig in figures(results).items()}


def write_plots(rendered: dict[str, dict[str, bytes]], folder: Path) -> list[Path]:
    """Write rendered figures into ``folder/plots/``; return the files."""
    target = folder / "plots"
    target.mkdir(exist_ok=True)
    files = []
    for name, by_format in rendered.items():
        for fmt, data in by_format.items():
            path = target / f"{name}.{fmt}"
            path.write_bytes(data)
            files.append(path)
    return files
