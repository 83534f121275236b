"""Everything random about the callers, drawn at their birth from their call type's own streams.

Arrival instants, IVR time, self-service outcome, work content and patience of every call are drawn per call type
in numpy blocks, so routing and staffing never change what a caller brings: two scenarios run with one seed see
the same callers (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.arrivals import arrival_times
from sim.engine.layout import Layout
from sim.engine.streams import Streams


@dataclass(frozen=True)
class Callers:
    """One entry per call, in order of arrival (ties: call type order)."""

    call_type: np.ndarray  # int32: index into Layout.type_names
    arrival_at: np.ndarray  # s: instant the call reaches the center
    ivr_time: np.ndarray  # s: time in the IVR before self-service or the queue (0 without IVR)
    deflected: np.ndarray  # bool: served by self-service in the IVR
    talk_time: np.ndarray  # s: talk (+hold) at handle-time factor 1
    wrap_up_time: np.ndarray  # s: after-call work at handle-time factor 1
    patience: np.ndarray  # s: longest wait the caller accepts (inf: never hangs up)
    overflow_draw: np.ndarray  # float32 uniform [0, 1): decides the overflow share rule for this call
    resolution_draw: np.ndarray  # float32 uniform [0, 1): unresolved if below the site's unresolved share
    repeat_of: np.ndarray  # int32: the call this one repeats, redials or continues (a transfer), -1 if fresh
    repeat_kind: np.ndarray  # int8: sim.engine.repeats.FRESH, REPEAT, REDIAL or TRANSFER (a contact's later leg)

    def __len__(self) -> int:
        return len(self.arrival_at)


def draw_callers(layout: Layout, streams: Streams) -> Callers:
    """Draw every call of one replication."""
    parts: list[list[np.ndarray | None]] = [list(_draw_type(layout, t, streams))
                                            for t in range(len(layout.type_names))]
    order = np.argsort(np.concatenate([p[1] for p in parts]), kind="stable")
    columns = []
    for j in range(len(parts[0])):  # one column at a time, releasing its parts: bounded peak memory
        columns.append(np.concatenate([p[j] for p in parts if p[j] is not None])[order])
        for p in parts:
            p[j] = None
    return Callers(*columns)


def _draw_type(layout: Layout, t: int, streams: Streams) -> tuple[np.ndarray, ...]:
    name, ct = layout.type_names[t], layout.call_types[t]
    times = arrival_times(ct.arrivals, layout.scenario.run, streams, name) if ct.arrivals else np.zeros(0)
    n = len(times)
    if ct.handle_time is not None:
        talk = ct.handle_time.sample(streams.get(f"handle/{name}"), n)
        wrap = np.zeros(n)
    else:
        assert ct.talk_time is not None
        talk = ct.talk_time.sample(streams.get(f"talk/{name}"), n)
        wrap = ct.wrap_up.sample(streams.get(f"wrap_up/{name}"), n) if ct.wrap_up else np.zeros(n)
    ivr_dist = ct.ivr_time or (layout.scenario.ivr.time if layout.scenario.ivr else None)
    ivr = ivr_dist.sample(streams.get(f"ivr/{name}"), n) if ivr_dist else np.zeros(n)
    deflected = streams.get(f"deflection/{name}").random(n) < ct.deflection
    patience = ct.patience.sample(streams.get(f"patience/{name}"), n) if ct.patience else np.full(n, np.inf)
    overflow = streams.get(f"overflow/{name}").random(n, dtype=np.float32)
    resolution = streams.get(f"resolution/{name}").random(n, dtype=np.float32)
    return (np.full(n, t, dtype=np.int32), times, ivr, deflected, talk, wrap, patience, overflow, resolution,
            np.full(n, -1, dtype=np.int32), np.zeros(n, dtype=np.int8))
