"""Replications of a scenario: sequential or in parallel processes, with identical results either way."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from sim.callers import draw_callers
from sim.errors import CcsimError
from sim.facts import Facts, facts
from sim.layout import Layout, build_layout
from sim.model import simulate
from sim.scenario.schema import Scenario
from sim.streams import Streams
from sim.units import DAY


@dataclass(frozen=True)
class RunResult:
    """Facts of every replication of one scenario, in replication order."""

    scenario: Scenario
    layout: Layout
    facts: tuple[Facts, ...]
    calls: int
    wall_time: float


def with_overrides(scenario: Scenario, *, seed: int | None = None, replications: int | None = None,
                   days: int | None = None) -> Scenario:
    """The scenario with run settings replaced (values already checked by the caller)."""
    update = {k: v for k, v in (("seed", seed), ("replications", replications), ("days", days)) if v is not None}
    if not update:
        return scenario
    if days is not None and scenario.run.warmup >= days * DAY:
        raise CcsimError(f"--days {days}: the scenario's warm-up ({scenario.run.warmup:g}s) must be shorter "
                         f"than the horizon ({days * DAY:g}s)")
    return scenario.model_copy(update={"run": scenario.run.model_copy(update=update)})


def replicate(scenario: Scenario, replication: int) -> tuple[Facts, int]:
    """Run one replication; return its facts and the number of calls simulated."""
    layout = build_layout(scenario)
    streams = Streams(scenario.run.seed, replication)
    records = simulate(layout, draw_callers(layout, streams), streams)
    return facts(records, layout), len(records.outcome)


def _replicate(args: tuple[Scenario, int]) -> tuple[Facts, int]:
    return replicate(*args)


def run(scenario: Scenario, workers: int | None = None,
        on_done: Callable[[int, int], None] | None = None) -> RunResult:
    """Run all replications of ``scenario``; ``workers`` processes (default: one per core, at most one per
    replication). ``on_done(replications_done, calls)`` is called as replications finish, in order."""
    reps = scenario.run.replications
    workers = max(1, min(workers or os.cpu_count() or 1, reps))
    started = time.perf_counter()
    jobs = [(scenario, r) for r in range(reps)]
    done: list[tuple[Facts, int]] = []

    def collect(items: Iterable[tuple[Facts, int]]) -> None:
        for item in items:
            done.append(item)
            if on_done:
                on_done(len(done), item[1])

    if workers == 1:
        collect(map(_replicate, jobs))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            try:
                collect(pool.map(_replicate, jobs))
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return RunResult(scenario, build_layout(scenario), tuple(f for f, _ in done), sum(n for _, n in done),
                     time.perf_counter() - started)
