"""Everything random about the callers, drawn at their birth from their call type's own streams.

Arrival instants, IVR time, self-service outcome, work content and patience of every call are drawn per call type
in numpy blocks, so routing and staffing never change what a caller brings: two scenarios run with one seed see
the same callers (common random numbers). ``CallerSource`` draws them day by day and hands them out in blocks of
arrival order, so a run holds only the blocks still in the system; each attribute has its own stream and
consecutive draws of a numpy Generator continue one another, so the blocks are bit-identical to one draw of the
whole horizon (``draw_callers``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, fields

import numpy as np

from sim.engine.arrivals import ArrivalStream
from sim.engine.layout import Layout
from sim.engine.streams import Streams
from sim.scenario.distributions import Distribution
from sim.units import DAY


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
    offered: np.ndarray  # bool: given a sales offer if answered (its extra talk time is part of talk_time)
    sale_draw: np.ndarray  # float32 uniform [0, 1): an offer sells if below the conversion of the answering site
    repeat_of: np.ndarray  # int32: the call this one repeats, redials or continues (a transfer), -1 if fresh
    repeat_kind: np.ndarray  # int8: sim.engine.repeats.FRESH, REPEAT, REDIAL or TRANSFER (a contact's later leg)

    def __len__(self) -> int:
        return len(self.arrival_at)

    def slice(self, lo: int, hi: int) -> Callers:
        """Calls ``lo`` to ``hi`` (views)."""
        return Callers(*(getattr(self, f.name)[lo:hi] for f in fields(Callers)))

    def copy(self) -> Callers:
        """The calls in arrays of their own (constant columns stay in no memory)."""
        return Callers(*(a if (a := getattr(self, f.name)).strides == (0,) else a.copy() for f in fields(Callers)))


def concatenate(parts: list[Callers]) -> Callers:
    """The calls of ``parts``, one after the other."""
    if len(parts) == 1:
        return parts[0]
    return Callers(*(joined(*(getattr(p, f.name) for p in parts)) for f in fields(Callers)))


def constant(n: int, value: float | bool, dtype: type) -> np.ndarray:
    """``n`` times ``value``, in no memory (a read-only view of one value)."""
    return np.broadcast_to(np.array(value, dtype=dtype), (n,))


def joined(*arrays: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """The arrays one after the other (then taken in ``order``); a constant column stays one in no memory."""
    filled = [a for a in arrays if len(a)]
    if filled and all(a.strides == (0,) for a in filled) and len({a[0].item() for a in filled}) == 1:
        return constant(sum(len(a) for a in filled), filled[0][0].item(), filled[0].dtype.type)
    whole = np.concatenate(arrays)
    return whole if order is None else whole[order]
class _TypeDraws:
    """The streams of one call type: its arrivals and one stream per attribute."""

    def __init__(self, layout: Layout, t: int, streams: Streams):
        name, ct = layout.type_names[t], layout.call_types[t]
        self.t = t
        self.arrivals = ArrivalStream(ct.arrivals, layout.scenario.run, streams, name) if ct.arrivals else None
        self.total = self.arrivals.total if self.arrivals else 0
        ivr = ct.ivr_time or (layout.scenario.ivr.time if layout.scenario.ivr else None)
        work = [(ct.handle_time, "handle"), (None, "")] if ct.handle_time is not None else \
            [(ct.talk_time, "talk"), (ct.wrap_up, "wrap_up")]
        self.samplers: list[tuple[Distribution | None, np.random.Generator | None]] = [
            (dist, streams.get(f"{key}/{name}") if dist else None) for dist, key in (*work, (ivr, "ivr"))]
        self.deflection = ct.deflection
        self.deflection_rng = streams.get(f"deflection/{name}")
        self.patience = ct.patience
        self.patience_rng = streams.get(f"patience/{name}") if ct.patience else None
        self.overflow_rng = streams.get(f"overflow/{name}")
        self.resolution_rng = streams.get(f"resolution/{name}")
        self.sales = ct.sales
        self.sales_rngs = tuple(streams.get(f"sales/{key}/{name}") for key in ("offer", "talk", "conversion")) \
            if ct.sales else ()

    def until(self, end: float) -> Callers:
        """This type's callers arriving before ``end`` not drawn yet (columns that cannot vary take no memory)."""
        times = self.arrivals.until(end) if self.arrivals else np.zeros(0)
        n = len(times)
        talk, wrap, ivr = (dist.sample(rng, n) if dist and rng else constant(n, 0.0, np.float64)
                           for dist, rng in self.samplers)
        deflected = self.deflection_rng.random(n) < self.deflection if self.deflection else constant(n, False, np.bool_)
        patience = self.patience.sample(self.patience_rng, n) if self.patience and self.patience_rng else \
            constant(n, np.inf, np.float64)
        overflow, resolution = (rng.random(n, dtype=np.float32) for rng in (self.overflow_rng, self.resolution_rng))
        offered, talk, sale = self._sales(n, talk)
        return Callers(constant(n, self.t, np.int32), times, ivr, deflected, talk, wrap, patience, overflow,
                       resolution, offered, sale, constant(n, -1, np.int32), constant(n, 0, np.int8))

    def _sales(self, n: int, talk: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(offered, talk time with the offers' extra talk, sale draw) of ``n`` callers; every draw is made for
        every caller, so a changed offer share or conversion leaves the other callers' numbers alone."""
        if self.sales is None:
            return constant(n, False, np.bool_), talk, constant(n, 1.0, np.float32)
        offer_rng, talk_rng, sale_rng = self.sales_rngs
        offered = offer_rng.random(n) < self.sales.offer
        if self.sales.extra_talk is not None:
            talk = talk + np.where(offered, self.sales.extra_talk.sample(talk_rng, n), 0.0)
        return offered, talk, sale_rng.random(n, dtype=np.float32)


class CallerSource:
    """The fresh callers of one replication, drawn a day at a time and handed out in blocks of arrival order."""

    def __init__(self, layout: Layout, streams: Streams):
        self._types = [_TypeDraws(layout, t, streams) for t in range(len(layout.type_names))]
        self._days = layout.scenario.run.days
        self.total = sum(d.total for d in self._types)
        """Calls of the whole horizon (known before any is admitted: their counts are drawn first)."""

    def _day(self, end: float) -> Callers:
        """Every type's callers before ``end``, merged in order of arrival (ties: call type order)."""
        parts = [d.until(end) for d in self._types]
        filled = [p for p in parts if len(p)]
        if len(filled) <= 1:
            return filled[0] if filled else parts[0] if parts else no_callers()
        order = np.argsort(np.concatenate([p.arrival_at for p in parts]), kind="stable")
        return Callers(*(joined(*(getattr(p, f.name) for p in parts), order=order) for f in fields(Callers)))

    def blocks(self, size: int) -> Iterator[Callers]:
        """All callers in order of arrival, ``size`` at a time (the last block may be shorter), each in arrays of
        its own."""
        pending: list[Callers] = []
        held = 0
        for day in range(self._days):
            part = self._day((day + 1) * DAY if day < self._days - 1 else math.inf)
            pending.append(part)
            held += len(part)
            while held >= size:
                cut = size - (held - len(part))  # calls of the last part that fill this block
                yield _own([*pending[:-1], part.slice(0, cut)])
                part = part.slice(cut, len(part))
                pending, held = [part], len(part)
        if held or not self.total:
            yield _own(pending) if pending else self._day(math.inf)


def no_callers() -> Callers:
    """No callers (a scenario without call types: outbound, work or chat only)."""
    f4, f8 = np.zeros(0, dtype=np.float32), np.zeros(0)
    return Callers(np.zeros(0, dtype=np.int32), f8, f8, np.zeros(0, dtype=np.bool_), f8, f8, f8, f4, f4,
                   np.zeros(0, dtype=np.bool_), f4, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int8))


def _own(parts: list[Callers]) -> Callers:
    """The calls of ``parts`` in arrays of their own (not views of a larger day)."""
    return parts[0].copy() if len(parts) == 1 else concatenate(parts)


def draw_callers(layout: Layout, streams: Streams) -> Callers:
    """Draw every call of one replication at once."""
    source = CallerSource(layout, streams)
    return concatenate(list(source.blocks(max(source.total, 1))))
