"""The size of a run, estimated before it starts, so that runs which cannot finish, or would exhaust memory,
are refused up front with the estimate instead of running for days or being killed.

Fresh calls are the expected arrivals over the horizon (day-of-week factors, busyness of mean 1, the volume
factor; a trace is counted). Redials and repeats can multiply them: a caller who is never served redials with
probability ``redial.share`` each time, so makes at most ``1 / (1 - share)`` attempts on average, and never more
than one per mean redial delay over the horizon; a site's unresolved share multiplies likewise. The estimate takes
that worst case (every attempt fails), so it is an upper bound of what a run can simulate.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from sim.engine.arrivals import expected_calls
from sim.errors import CcsimError
from sim.scenario.schema import CallType, Scenario
from sim.units import DAY

DEFAULT_MAX_CALLS = 500_000_000
"""Calls a run may simulate (all replications together) unless ``--max-calls`` says otherwise."""
BYTES_PER_CALL = 160
"""Peak memory per call of one replication that keeps its records (``--records``; measured: about 140 MB per
million calls on W1 and W2)."""
STREAMED_BYTES_PER_CALL = 30
"""The same for a replication whose records are summed block by block and freed (measured on W1 from 1M to 10M
calls: about 22 MB per million calls, the results included)."""
CALLS_PER_SECOND = 250_000
"""Calls simulated per second and core, for the time shown with a refusal (W1 on a 2-core CI machine)."""
MEMORY_SHARE = 0.8
"""Share of the machine's memory the replications running at once may take."""


class RunTooLarge(CcsimError):
    """A run whose estimated size exceeds the call limit or the machine's memory (exit code 2)."""


@dataclass(frozen=True)
class RunSize:
    """Estimated calls of one run: fresh calls per replication, the worst-case factor of redials and repeats,
    and what drives that factor (empty if it is small)."""

    fresh: float
    factor: float
    replications: int
    reason: str = ""

    @property
    def per_replication(self) -> float:
        return self.fresh * self.factor

    @property
    def total(self) -> float:
        return self.per_replication * self.replications


def _chain(share: float, mean_delay: float, horizon: float) -> float:
    """Most attempts a caller makes on average when every attempt fails and each gives rise to another with
    probability ``share`` after ``mean_delay``."""
    geometric = math.inf if share >= 1.0 else 1.0 / (1.0 - share)
    bounded = 1.0 + horizon / mean_delay if mean_delay > 0 else math.inf
    return min(geometric, bounded)


def estimate(scenario: Scenario) -> RunSize:
    """The estimated size of a run of ``scenario``."""
    run, horizon = scenario.run, scenario.run.days * DAY
    repeat = max((_chain(s.unresolved_share, s.repeat_delay.mean if s.repeat_delay else 0.0, horizon)
                  for s in scenario.site_map().values() if s.unresolved_share > 0), default=1.0)
    fresh, attempts, reasons = 0.0, 0.0, []
    for name, (_, ct) in scenario.all_call_types().items():
        if ct.arrivals is None:
            continue  # its calls are transfer legs of other types' calls, counted with them
        calls = expected_calls(ct.arrivals, run, name)
        factor = repeat
        if ct.redial is not None:
            redials = _chain(ct.redial.share, ct.redial.delay.mean, horizon)
            factor *= redials
            if redials > 10:
                reasons.append(f"{name}: redial share {ct.redial.share:g} with a mean delay of "
                               f"{ct.redial.delay.mean:g}s lets a caller call up to {redials:,.0f} times")
        factor *= 1.0 + _transfer_legs(scenario, ct) + (ct.callback.accept if ct.callback else 0.0)
        fresh += calls
        attempts += calls * factor
    if repeat > 10:
        reasons.append(f"unresolved calls repeat up to {repeat:,.0f} times")
    factor = attempts / fresh if fresh > 0 else 1.0
    return RunSize(fresh, factor, run.replications, "; ".join(reasons))


def _transfer_legs(scenario: Scenario, ct: CallType) -> float:
    """Transfer legs per call of ``ct`` at most (every call answered): the chain of transfer shares."""
    types, legs, share = scenario.all_call_types(), 0.0, 1.0
    rule = ct.transfer
    while rule is not None:
        share *= rule.share
        legs += share
        rule = types[rule.to][1].transfer
    return legs


def _memory_bytes() -> float:
    """Physical memory of this machine (inf where it cannot be told)."""
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return math.inf


def check_size(scenario: Scenario, max_calls: float = DEFAULT_MAX_CALLS, workers: int = 1,
               records: bool = True) -> RunSize:
    """The run's size; RunTooLarge if it exceeds ``max_calls`` or the memory of ``workers`` replications at once
    (``records``: whether they keep their per-call records)."""
    size = estimate(scenario)
    why = f" ({size.reason})" if size.reason else ""
    if not size.total <= max_calls:
        cores = max(1, min(workers, size.replications))
        hours = size.total / (CALLS_PER_SECOND * cores) / 3600
        raise RunTooLarge(
            f"{scenario.name}: this run would simulate up to {size.total:,.0f} calls ({size.replications} "
            f"replication(s) x {size.per_replication:,.0f}){why}, about {hours:,.1f} hours on {cores} core(s); "
            f"the limit is {max_calls:,.0f} calls: use fewer days or replications, or raise it with --max-calls")
    parallel = max(1, min(workers, size.replications))
    per_call = BYTES_PER_CALL if records else STREAMED_BYTES_PER_CALL
    need, have = size.per_replication * per_call * parallel, _memory_bytes() * MEMORY_SHARE
    if need > have:
        raise RunTooLarge(
            f"{scenario.name}: one replication would simulate up to {size.per_replication:,.0f} calls{why}, "
            f"needing about {need / 2**30:,.1f} GiB of memory for {parallel} at once; this machine has "
            f"{have / MEMORY_SHARE / 2**30:,.1f} GiB: use fewer days per replication (and more replications) "
            "or fewer --workers")
    return size
