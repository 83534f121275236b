"""Replications of a scenario: sequential or in parallel processes, with identical results either way. A
replication whose records nobody asked for is streamed (``sim.engine.model.stream``): its records are summed into
facts block by block and freed, so its memory does not grow with its calls."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from sim.analysis.budget import DEFAULT_MAX_CALLS, check_size
from sim.analysis.facts import Facts, FactsSum, facts
from sim.engine.callers import draw_callers
from sim.engine.layout import Layout, build_layout
from sim.engine.model import simulate, stream
from sim.engine.records import Records
from sim.engine.streams import Streams
from sim.errors import CcsimError
from sim.scenario.schema import RunSettings, Scenario
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
    """The scenario with run settings replaced; CcsimError if a value is outside the range a scenario file
    may give it."""
    update = {k: v for k, v in (("seed", seed), ("replications", replications), ("days", days)) if v is not None}
    if not update:
        return scenario
    for key, value in update.items():
        _check_range(key, value)
    if days is not None and scenario.run.warmup >= days * DAY:
        raise CcsimError(f"--days {days}: the scenario's warm-up ({scenario.run.warmup:g}s) must be shorter "
                         f"than the horizon ({days * DAY:g}s)")
    return scenario.model_copy(update={"run": scenario.run.model_copy(update=update)})


def _check_range(key: str, value: int) -> None:
    """The bounds of ``run.<key>`` in the schema, applied to a command-line override."""
    for rule in RunSettings.model_fields[key].metadata:
        low, high = getattr(rule, "ge", None), getattr(rule, "le", None)
        if low is not None and value < low:
            raise CcsimError(f"--{key}: must be at least {low} (got {value})")
        if high is not None and value > high:
            raise CcsimError(f"--{key}: must be at most {high} (got {value})")


class RecordSink(Protocol):
    """Keeps a replication's records before they are dropped: called with them in the process that simulated
    them (so it must pickle), before their facts are drawn."""

    def __call__(self, replication: int, records: Records, layout: Layout) -> None: ...


Job = tuple[Scenario, int, RecordSink | None]


def replicate(scenario: Scenario, replication: int, records: RecordSink | None = None) -> tuple[Facts, int]:
    """Run one replication (handing its records to ``records``); return its facts and the number of calls
    simulated."""
    layout = build_layout(scenario)
    streams = Streams(scenario.run.seed, replication)
    if records is None:  # the records are summed as they finish and freed: memory does not grow with the calls
        total = FactsSum(layout)
        calls, staff_log = stream(layout, streams, total.add)
        return total.finish(staff_log), calls
    simulated = simulate(layout, draw_callers(layout, streams), streams)
    records(replication, simulated, layout)
    return facts(simulated, layout), len(simulated.outcome)


def _replicate(args: Job) -> tuple[Facts, int]:
    return replicate(*args)


def run(scenario: Scenario, workers: int | None = None, on_done: Callable[[int, int], None] | None = None,
        max_calls: float = DEFAULT_MAX_CALLS, records: RecordSink | None = None) -> RunResult:
    """Run all replications of ``scenario``; ``workers`` processes (default: one per core, at most one per
    replication). ``on_done(replications_done, calls)`` is called as replications finish, in order. A run whose
    estimated size exceeds ``max_calls`` or the machine's memory is refused before it starts (sim.analysis.budget).
    ``records``, if given, receives every replication's records in the worker that simulated them."""
    reps = scenario.run.replications
    workers = max(1, min(workers or os.cpu_count() or 1, reps))
    check_size(scenario, max_calls, workers, records is not None)
    started = time.perf_counter()
    jobs: list[Job] = [(scenario, r, records) for r in range(reps)]
    done: list[tuple[Facts, int]] = []

    def collect(items: Iterable[tuple[Facts, int]]) -> None:
        for item in items:
            done.append(item)
            if on_done:
                on_done(len(done), item[1])

    if workers == 1:
        collect(map(_replicate, jobs))
    else:
        with _worker_pool(workers) as pool:
            collect(_submitted(pool, jobs))
    return RunResult(scenario, build_layout(scenario), tuple(f for f, _ in done), sum(n for _, n in done),
                     time.perf_counter() - started)


def _submitted(pool: ProcessPoolExecutor, jobs: list[Job]) -> Iterator[tuple[Facts, int]]:
    """``pool.map`` of the jobs; the workers are forked with SIGINT blocked, so that a Ctrl-C reaches only this
    process (which then ends them) and never a worker still starting up."""
    blocked = hasattr(signal, "pthread_sigmask")
    if blocked:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        results = pool.map(_replicate, jobs)  # submits every job: the workers start here
    finally:
        if blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    return results


@contextmanager
def _worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers die with the run: on any exception (Ctrl-C, SIGTERM turned into one by the
    CLI) they are terminated at once, and a worker whose parent died (SIGKILL) exits by itself."""
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_started, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        for child in multiprocessing.active_children():
            child.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


PARENT_POLL_S = 0.5
"""How often a worker checks that the process that started it is still alive."""


def _worker_started(parent: int) -> None:
    """In each worker: leave Ctrl-C to the parent, die on SIGTERM, and exit when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="ccsim-parent-watch").start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)
