"""A grid of scenario variants (``ccsim sweep``): the cartesian product of the values given per key, every variant
run with the scenario's seed, so that replication r of every variant sees the same callers (common random numbers)
and a variant's numbers are those of ``ccsim run --set`` with its values.

The simulations (variant x replication) are independent jobs handed to an executor (in this process, or on a Dask
cluster: sim.analysis.cluster); the seed of each depends only on the scenario, the variant and the replication, so
the results do not depend on where or in which order they ran.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sim.analysis.budget import DEFAULT_MAX_CALLS, check_size, estimate
from sim.analysis.experiment import RunResult, replicate
from sim.analysis.facts import Facts
from sim.analysis.stats import Estimate
from sim.analysis.summary import kpi_rows
from sim.engine.layout import build_layout
from sim.errors import CcsimError
from sim.scenario.overrides import Override, parse_path, parse_value, split_assignment
from sim.scenario.schema import Scenario
from sim.scenario.yamlmap import format_path

MAX_VARIANTS = 10_000
"""A grid of more variants than this is refused (it is almost certainly a typo in a range)."""
_NUMBER = re.compile(r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)([a-z]*)")

Job = tuple[Scenario, int]
"""One simulation: a variant's scenario and a replication number."""
OnDone = Callable[[int, int], None]
"""``on_done(simulations_done, calls_of_that_simulation)``."""
Executor = Callable[[Sequence[Job], OnDone | None], list[tuple[Facts, int]]]
"""Runs jobs, calling ``on_done`` as they finish; returns (facts, calls) of every job in job order."""


@dataclass(frozen=True)
class Axis:
    """One swept key and its values: YAML texts as given, or labels of ``parsed`` values (offers read from a
    file); ``option`` names where they were given in messages."""

    key: str
    values: tuple[str, ...]
    parsed: tuple[Any, ...] = ()
    option: str = "--set"

    def override(self, value: str) -> Override:
        """The override that sets the key to one of the axis' values."""
        data = self.parsed[self.values.index(value)] if self.parsed else parse_value(value, f"{self.option} "
                                                                                           f"{self.key}")
        return Override(f"{self.key}={value}", parse_path(self.key), data, option=self.option)


@dataclass(frozen=True)
class Variant:
    """One point of the grid: a value per axis and the scenario with those values laid over it."""

    settings: tuple[tuple[str, str], ...]
    scenario: Scenario


@dataclass(frozen=True)
class SweepResult:
    """Every variant's replications, in grid order, and the wall time of the whole sweep."""

    axes: tuple[Axis, ...]
    variants: tuple[Variant, ...]
    results: tuple[RunResult, ...]
    wall_time: float

    def totals(self) -> list[dict[str, Estimate]]:
        """The whole-run KPIs of every variant (the ``total`` row of its summary)."""
        return [kpi_rows(r)[0].kpis for r in self.results]


def split_values(text: str) -> list[str]:
    """'1,2,[a, b],"x,y"' -> ['1', '2', '[a, b]', '"x,y"']: commas outside brackets, braces and quotes."""
    parts, depth, quote, start = [], 0, "", 0
    for i, c in enumerate(text):
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def list_axis(text: str, option: str = "--set") -> Axis:
    """``--set KEY.PATH=V1,V2,...`` (or another ``option``) -> Axis; CcsimError naming the option if it is
    malformed."""
    path, values = split_assignment(text, option)
    key = format_path(path)
    axis = Axis(key, tuple(split_values(values)), option=option)
    if any(not v for v in axis.values):
        raise CcsimError(f"{option} {text!r}: an empty value in the list; write KEY.PATH=V1,V2,...")
    return _checked(axis, f"{option} {key}")


def range_axis(text: str) -> Axis:
    """``--range KEY.PATH=FROM:TO:STEP`` -> Axis of FROM, FROM+STEP, ... up to TO (included when the steps land
    on it); numbers, or durations of one unit (``20s:60s:10s``). CcsimError naming the option if malformed."""
    path, spec = split_assignment(text, "--range")
    key = format_path(path)
    where = f"--range {key}={spec}"
    parts = spec.split(":")
    matches = [_NUMBER.fullmatch(p.strip()) for p in parts]
    if len(parts) != 3 or not all(matches):
        raise CcsimError(f"{where}: expected FROM:TO:STEP, numbers (e.g. 30:40:2) or durations of one unit "
                         "(e.g. 20s:60s:10s)")
    units = {m.group(2) for m in matches if m}
    if len(units) != 1:
        raise CcsimError(f"{where}: FROM, TO and STEP must have the same unit (got {', '.join(sorted(units))})")
    try:
        low, high, step = (Decimal(m.group(1)) for m in matches if m)
    except InvalidOperation:
        raise CcsimError(f"{where}: not numbers") from None
    if step <= 0 or high < low:
        raise CcsimError(f"{where}: STEP must be > 0 and TO >= FROM")
    count = int((high - low) / step) + 1
    if count > MAX_VARIANTS:
        raise CcsimError(f"{where}: {count:,} values; at most {MAX_VARIANTS:,}")
    unit = units.pop()
    return _checked(Axis(key, tuple(f"{_plain(low + i * step)}{unit}" for i in range(count))), where)


def _plain(x: Decimal) -> str:
    """A decimal as written by a person: 2, 0.55, 1.1 (no exponent, no trailing zeros)."""
    return format(x.normalize(), "f")


def _checked(axis: Axis, where: str) -> Axis:
    for v in axis.values:
        parse_value(v, where)
    repeated = sorted({v for v in axis.values if axis.values.count(v) > 1})
    if repeated:
        raise CcsimError(f"{where}: the value {repeated[0]} is given twice")
    return axis


SWEEP_OPTIONS = "--set KEY.PATH=V1,V2,... or --range KEY.PATH=FROM:TO:STEP"


def grid(axes: Sequence[Axis], command: str = "ccsim sweep",
         options: str = SWEEP_OPTIONS) -> list[tuple[tuple[str, str], ...]]:
    """The cartesian product of the axes' values (the first axis varies slowest); CcsimError (naming ``command``
    and, if there are no axes, the ``options`` that give them) if a key is swept twice or the grid has more than
    MAX_VARIANTS points."""
    keys = [a.key for a in axes]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise CcsimError(f"{command}: the key {twice[0]} is given twice; give all its values in one option")
    size = 1
    for a in axes:
        size *= len(a.values)
    if not axes:
        raise CcsimError(f"{command}: give at least one {options}")
    if size > MAX_VARIANTS:
        raise CcsimError(f"{command}: the grid has {size:,} variants; at most {MAX_VARIANTS:,}")
    return [tuple(zip(keys, values, strict=True)) for values in itertools.product(*(a.values for a in axes))]


def variants(axes: Sequence[Axis], load: Callable[[list[Override]], Scenario], command: str = "ccsim sweep",
             options: str = SWEEP_OPTIONS) -> list[Variant]:
    """Every variant of the grid, loaded (and so validated) before anything runs: ``load(overrides)`` is the
    scenario with those overrides laid over it."""
    out = []
    for settings in grid(axes, command, options):
        overrides = [axis.override(v) for axis, (_, v) in zip(axes, settings, strict=True)]
        try:
            out.append(Variant(settings, load(overrides)))
        except CcsimError as exc:
            raise CcsimError(f"{exc}\n(in the variant {', '.join(f'{k}={v}' for k, v in settings)})") from None
    return out


def check_sweep_size(chosen: Sequence[Variant], max_calls: float = DEFAULT_MAX_CALLS, workers: int = 1,
                     command: str = "ccsim sweep") -> float:
    """The estimated calls of the whole sweep; RunTooLarge if one variant would not fit the machine's memory,
    CcsimError if all of them together exceed ``max_calls``."""
    total = 0.0
    for v in chosen:
        check_size(v.scenario, max_calls, workers)
        total += estimate(v.scenario).total
    if total > max_calls:
        raise CcsimError(f"{command}: the {len(chosen)} variants would simulate up to {total:,.0f} calls; the "
                         f"limit is {max_calls:,.0f}: give fewer values, days or replications, or raise --max-calls")
    return total


def in_process(jobs: Sequence[Job], on_done: OnDone | None) -> list[tuple[Facts, int]]:
    """The executor that runs every job here, one after the other."""
    out = []
    for scenario, replication in jobs:
        out.append(replicate(scenario, replication))
        if on_done:
            on_done(len(out), out[-1][1])
    return out


def jobs_of(chosen: Sequence[Variant]) -> list[Job]:
    """Every simulation of the sweep: variant by variant, replication by replication."""
    return [(v.scenario, r) for v in chosen for r in range(v.scenario.run.replications)]


def run_sweep(axes: Sequence[Axis], chosen: Sequence[Variant], execute: Executor = in_process,
              on_done: OnDone | None = None) -> SweepResult:
    """Run every variant's replications through ``execute``; the results per variant in grid order."""
    started = time.perf_counter()
    jobs = jobs_of(chosen)
    done = execute(jobs, on_done)
    wall = time.perf_counter() - started
    results, at = [], 0
    for v in chosen:
        reps = v.scenario.run.replications
        mine = done[at:at + reps]
        at += reps
        results.append(RunResult(v.scenario, build_layout(v.scenario), tuple(f for f, _ in mine),
                                 sum(n for _, n in mine), wall))
    return SweepResult(tuple(axes), tuple(chosen), tuple(results), wall)
