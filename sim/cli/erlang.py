"""``ccsim erlang``: Erlang B / C / A figures from the command line, the way Erlang calculators give them.

Inputs are those of a calculator: calls per interval, interval length, AHT, service-level target and threshold,
optionally the agents, the callers' mean patience (Erlang A) and trunk lines (Erlang B, M/M/c/K), shrinkage and
an occupancy cap. Output: the agents needed for the target and a small table of service level, ASA, P(wait),
abandonment and occupancy for agent counts around it. Pure text; the CLI prints it.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass

from sim.analysis.analytic import agents_for_service_level, erlang_a, erlang_b, erlang_c, mmck
from sim.errors import CcsimError
from sim.units import parse_duration

AROUND = 3
"""Rows shown on each side of the agent count of interest."""


@dataclass(frozen=True)
class Inputs:
    """A calculator's inputs, in seconds and shares."""

    calls: float
    interval: float
    aht: float
    target: float
    threshold: float
    agents: int | None = None
    patience: float | None = None
    lines: int | None = None
    shrinkage: float = 0.0
    max_occupancy: float | None = None

    @property
    def rate(self) -> float:
        return self.calls / self.interval

    @property
    def load(self) -> float:
        """Offered traffic in Erlangs."""
        return self.rate * self.aht


@dataclass(frozen=True)
class Row:
    """Figures for one agent count. ``service_level``: answered within the threshold / all calls."""

    agents: int
    service_level: float
    asa: float
    p_wait: float
    abandoned: float
    occupancy: float


def _number(option: str, text: str, low: float, high: float = math.inf, share: bool = False) -> float:
    """A number within [low, high]; with ``share``, "80%" is 0.8."""
    raw = text.strip()
    percent = share and raw.endswith("%")
    try:
        value = float(raw[:-1] if percent else raw) / (100.0 if percent else 1.0)
    except ValueError:
        raise CcsimError(f"ccsim erlang {option}: expected a number, got {text!r}") from None
    if not (low <= value <= high and math.isfinite(value)):
        shown = f"a share from {low:.0%} to below 100% (0.8 or 80%)" if share else f"a number >= {low:g}"
        raise CcsimError(f"ccsim erlang {option}: expected {shown}, got {text!r}")
    return value


def _whole(option: str, text: str | None) -> int | None:
    if text is None:
        return None
    value = _number(option, text, 1)
    if value != int(value):
        raise CcsimError(f"ccsim erlang {option}: expected a whole number, got {text!r}")
    return int(value)


def _duration(option: str, text: str, positive: bool = True) -> float:
    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise CcsimError(f"ccsim erlang {option}: {exc}") from None
    if value < 0 or (positive and value == 0):
        raise CcsimError(f"ccsim erlang {option}: must be {'> 0' if positive else '>= 0'}, got {text!r}")
    return value


def parse_inputs(args: argparse.Namespace) -> Inputs:
    """Check and convert the command-line values; every problem raises CcsimError with a one-line message."""
    inputs = Inputs(
        calls=_number("--calls", args.calls, 0.0), interval=_duration("--interval", args.interval),
        aht=_duration("--aht", args.aht), target=_number("--target", args.target, 0.0, 0.9999, share=True),
        threshold=_duration("--threshold", args.threshold, positive=False), agents=_whole("--agents", args.agents),
        patience=None if args.patience is None else _duration("--patience", args.patience),
        lines=_whole("--lines", args.lines), shrinkage=_number("--shrinkage", args.shrinkage, 0.0, 0.99, share=True),
        max_occupancy=None if args.max_occupancy is None else _number("--max-occupancy", args.max_occupancy, 0.01,
                                                                      1.0, share=True))
    if inputs.lines is not None and inputs.agents is not None and inputs.lines < inputs.agents:
        raise CcsimError(f"ccsim erlang --lines: must be >= --agents ({inputs.agents}), got {inputs.lines}")
    return inputs


def figures(inputs: Inputs, agents: int) -> Row:
    """Erlang C (or Erlang A with a patience) figures for ``agents``."""
    if inputs.patience is None:
        c = erlang_c(agents, inputs.rate, inputs.aht, inputs.threshold)
        return Row(agents, c.service_level, c.asa, c.p_wait, 0.0, c.occupancy)
    a = erlang_a(agents, inputs.rate, inputs.aht, inputs.patience, inputs.threshold)
    return Row(agents, a.service_level, a.mean_wait_answered, a.p_wait, a.p_abandon, a.occupancy)


def agents_needed(inputs: Inputs) -> int:
    """Fewest agents meeting the target (and the occupancy cap): Erlang C directly, Erlang A by bisection."""
    if inputs.patience is None:
        return agents_for_service_level(inputs.rate, inputs.aht, inputs.target, inputs.threshold,
                                        inputs.max_occupancy)

    def ok(c: int) -> bool:
        row = figures(inputs, c)
        return row.service_level >= inputs.target and (inputs.max_occupancy is None
                                                       or row.occupancy <= inputs.max_occupancy)

    return _first(ok)


def _first(ok: Callable[[int], bool]) -> int:
    """Smallest c >= 1 with ok(c), for ok monotone in c."""
    high = 1
    while not ok(high):
        high *= 2
    low = high // 2 + 1 if high > 1 else 1
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if ok(mid) else (mid + 1, high)
    return low


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _sec(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.1f}"


def table(inputs: Inputs, focus: int) -> list[str]:
    """Rows for agent counts around ``focus`` (marked with '>')."""
    erlang_a_model = inputs.patience is not None
    head = f"  {'agents':>6}  {'SL %':>6}  {'ASA s':>7}  {'P(wait) %':>9}" + \
           (f"  {'abandoned %':>11}" if erlang_a_model else "") + f"  {'occupancy %':>11}"
    lines = [head]
    for c in range(max(1, focus - AROUND), focus + AROUND + 1):
        r = figures(inputs, c)
        mark = ">" if c == focus else " "
        lines.append(f"{mark} {c:>6}  {_pct(r.service_level):>6}  {_sec(r.asa):>7}  {_pct(r.p_wait):>9}"
                     + (f"  {_pct(r.abandoned):>11}" if erlang_a_model else "") + f"  {_pct(r.occupancy):>11}")
    if not erlang_a_model and max(1, focus - AROUND) <= inputs.load:
        lines.append("  (with agents <= offered load the queue grows without limit: SL 0, ASA infinite)")
    return lines


def _blocking(inputs: Inputs) -> list[str]:
    """Erlang B for the lines, and M/M/c/K when the agents are given too."""
    assert inputs.lines is not None
    out = [f"Erlang B: {inputs.load:.2f} Erlangs offered to {inputs.lines} lines (each call holds a line for its "
           f"handle time): {_pct(erlang_b(inputs.lines, inputs.load))} % of calls blocked"]
    if inputs.agents is not None:
        m = mmck(inputs.agents, inputs.lines, inputs.rate, inputs.aht)
        out.append(f"M/M/{inputs.agents}/{inputs.lines} ({inputs.agents} agents, {inputs.lines - inputs.agents} "
                   f"waiting places, no abandonment):\n  {_pct(m.p_block)} % blocked, {_pct(m.p_wait_accepted)} % "
                   f"of accepted calls wait, ASA {_sec(m.mean_wait)} s, occupancy "
                   f"{_pct(inputs.rate * (1 - m.p_block) * inputs.aht / inputs.agents)} %")
    return out


def report(inputs: Inputs) -> str:
    """The calculator's answer as text."""
    model = "Erlang C" if inputs.patience is None else f"Erlang A (mean patience {inputs.patience:g} s)"
    needed = agents_needed(inputs)
    best = figures(inputs, needed)
    cap = "" if inputs.max_occupancy is None else f" and occupancy <= {inputs.max_occupancy:.0%}"
    lines = [f"{model}: {inputs.calls:g} calls per {inputs.interval / 60:g} min, AHT {inputs.aht:g} s -> "
             f"{inputs.load:.2f} Erlangs offered",
             f"Agents needed for {inputs.target:.0%} answered within {inputs.threshold:g} s{cap}: {needed} "
             f"(SL {_pct(best.service_level)} %, ASA {_sec(best.asa)} s, occupancy {_pct(best.occupancy)} %)"]
    if inputs.shrinkage > 0:
        lines.append(f"With {inputs.shrinkage:.0%} shrinkage: {needed / (1 - inputs.shrinkage):.1f} staff scheduled "
                     f"for {needed} on the phones")
    if inputs.agents is not None:
        r = figures(inputs, inputs.agents)
        lines.append(f"With {inputs.agents} agents: SL {_pct(r.service_level)} %, ASA {_sec(r.asa)} s, "
                     f"P(wait) {_pct(r.p_wait)} %" + (f", abandoned {_pct(r.abandoned)} %" if inputs.patience else "")
                     + f", occupancy {_pct(r.occupancy)} %")
    lines += ["", *table(inputs, inputs.agents or needed)]
    lines.append("SL = answered within the threshold / all calls" + (" (abandoned calls count as not answered)"
                                                                     if inputs.patience else ""))
    lines.append("ASA = mean wait of answered calls; occupancy = time on calls / time logged in.")
    if inputs.lines is not None:
        lines += ["", *_blocking(inputs)]
    return "\n".join(lines)
