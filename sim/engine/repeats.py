"""Calls born during the run: repeats of unresolved calls, redials of callers who gave up, and transfer legs.

A call left unresolved (a site's ``unresolved_share``) comes back after the site's ``repeat_delay``; whether it
stays unresolved is decided by its own uniform number drawn at birth. A caller who abandons or gets a busy signal
calls again with the call type's ``redial.share`` after ``redial.delay``. An answered call of a type with a
``transfer`` rule is, with the rule's share, passed on to the target type's queue when its talk ends (the first
agent does the wrap-up): a new leg of the same contact, holding the same line, without IVR, counted as that
contact's, not as a new call.

Every such decision and every attribute of a born call (IVR time, talk and wrap-up time, patience, its own
resolution and overflow numbers) is drawn from the contact's own counter-based stream
(``sim.engine.streams.ContactStreams``): the k-th draw of the contact that started the chain, so common random
numbers hold for repeats, redials and transfers too, whatever else happens in the run. A repeat or redial is of
the same type as the call it repeats (a redial after hanging up in a transfer queue: of the contact's first type,
calling the number again) and is not deflected by self-service. Calls that would arrive after the horizon are not
simulated; a transfer happens whenever the talk ends.

A caller of a type with a ``callback`` offer who accepts it (decided by its contact stream) leaves the line and is
replaced in the queue by a call-back leg with the same work and the same resolution and overflow numbers (the same
need), which never hangs up; whether the agent reaches the customer, the ringing time and (an offer with
``later``) the delay until the leg joins the queue are drawn with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.engine.callers import Callers
from sim.engine.layout import Layout
from sim.engine.streams import ContactStreams, Streams
from sim.scenario.distributions import Distribution
from sim.scenario.schema import CallType

if TYPE_CHECKING:
    from sim.engine.model import CallCenter

_COLUMNS = ("call_type", "arrival_at", "ivr_time", "deflected", "talk_time", "wrap_up_time", "patience",
            "overflow_draw", "resolution_draw", "offered", "sale_draw", "repeat_of", "repeat_kind")
_DTYPES = (np.int32, np.float64, np.float64, np.bool_, np.float64, np.float64, np.float64, np.float32, np.float32,
           np.bool_, np.float32, np.int32, np.int8)
"""The dtypes of the ``Callers`` columns, as ``sim.engine.callers`` draws them."""
FRESH, REPEAT, REDIAL, TRANSFER, CALLBACK = 0, 1, 2, 3, 4
"""Kinds of call (``Callers.repeat_kind``): an arrival from outside, a repeat of an unresolved call, a redial
after abandoning or a busy signal, a transfer leg (the same contact passed on to another queue), a call-back leg
(the same contact, called back from its place in the queue)."""
KINDS = ("fresh", "repeat", "redial", "transfer", "callback")
"""Names of the kinds, by value."""
LEGS = (TRANSFER, CALLBACK)
"""Kinds that are later legs of a contact, not calls of their own."""


class Repeats:
    """The calls born during one replication, appended after the pre-drawn callers."""

    def __init__(self, layout: Layout, streams: Streams | None, fresh: int, value: Callable[[str, int], Any]):
        """``fresh``: calls drawn before the run (born calls are numbered after them); ``value(column, i)``: the
        ``Callers`` column of fresh call ``i`` (while it is in the system)."""
        sites = layout.sites
        self.layout = layout
        self.fresh = fresh
        self.unresolved = [sites[s].unresolved_share for s in layout.group_site]
        self.site_of_group = layout.group_site
        self.redial = [ct.redial for ct in layout.call_types]
        names = {n: i for i, n in enumerate(layout.type_names)}
        self.transfer = [(ct.transfer.share, names[ct.transfer.to]) if ct.transfer else None
                         for ct in layout.call_types]
        """Per call type: (share, target type) of its transfer rule, or None."""
        if (any(self.unresolved) or any(self.redial) or any(self.transfer)) and streams is None:
            raise ValueError("calls can be born during this run: repeats, redials and transfers need the "
                             "replication's streams")
        self.callback = [ct.callback for ct in layout.call_types]
        if any(self.callback) and streams is None:
            raise ValueError("call-back offers need the replication's streams")
        self._attempts: dict[int, tuple[float, bool]] = {}
        self.later: dict[int, float] = {}
        """Per call-back leg of an offer with ``later``: its delay until it joins the queue."""
        self._contact = ContactStreams(streams) if streams else None
        self._draws: dict[int, int] = {}
        self._root: list[int] = []
        self._first: list[int] = []
        """Per born call: the call type of its contact's first leg (of the call it is a transfer leg of)."""
        self.after: list[bool] = []
        """Per born call: whether an earlier call of its need was answered (a repeat, a transfer leg, or a redial
        or call-back leg of such a call)."""
        self._fresh_value = value
        self.rows: dict[str, list[Any]] = {c: [] for c in _COLUMNS}

    def _value(self, column: str, i: int) -> Any:
        return self._fresh_value(column, i) if i < self.fresh else self.rows[column][i - self.fresh]

    def _rng(self, i: int) -> np.random.Generator:
        """The next stream of the contact that call ``i`` belongs to."""
        root = i if i < self.fresh else self._root[i - self.fresh]
        draw = self._draws.get(root, 0)
        self._draws[root] = draw + 1
        assert self._contact is not None
        return self._contact.get(root, draw)

    def overflow_draw(self, i: int) -> float:
        return float(self._value("overflow_draw", i))

    def talk_time(self, i: int) -> float:
        """Talk time of call ``i`` at handle-time factor 1 (its whole handle time if drawn as one)."""
        return float(self._value("talk_time", i))

    def is_unresolved(self, i: int, group: int) -> bool:
        """Whether call ``i``, handled by ``group``, stays unresolved."""
        return float(self._value("resolution_draw", i)) < self.unresolved[group]

    def schedule(self, center: CallCenter, t: int, i: int, group: int, now: float) -> None:
        """Give birth to the repeat of call ``i`` of type ``t`` (handled by ``group`` and unresolved at ``now``) if
        it falls in the horizon."""
        delay = self.layout.sites[self.site_of_group[group]].repeat_delay
        assert delay is not None
        rng = self._rng(i)
        self._give_birth(center, t, i, now + float(delay.sample(rng, 1)[0]), REPEAT, rng)

    def maybe_redial(self, center: CallCenter, t: int, i: int, now: float) -> None:
        """A caller of type ``t`` (call ``i``) gave up at ``now``: perhaps it calls again (a transfer leg's caller
        calls the contact's first type)."""
        if i >= self.fresh:
            t = self._first[i - self.fresh]
        rule = self.redial[t]
        if rule is None:
            return
        rng = self._rng(i)
        if rng.random() < rule.share:
            self._give_birth(center, t, i, now + float(rule.delay.sample(rng, 1)[0]), REDIAL, rng)

    def maybe_transfer(self, center: CallCenter, t: int, i: int, at: float) -> int:
        """The talk of call ``i`` of type ``t`` (a type with a transfer rule) ends at ``at``: the record of its
        transfer leg, which joins the target type's queue then, or -1 if it is not transferred."""
        rule = self.transfer[t]
        assert rule is not None
        rng = self._rng(i)
        if rng.random() >= rule[0]:
            return -1
        handle = self.layout.call_types[t].transfer
        assert handle is not None
        self._draw(rule[1], at, i, TRANSFER, rng, handle.handle_time)
        return center.add_record()

    def maybe_callback(self, center: CallCenter, t: int, i: int, now: float) -> int:
        """Call ``i`` of type ``t`` is offered a call back at ``now``: the record of its call-back leg if the caller
        accepts, else -1."""
        rule = self.callback[t]
        assert rule is not None
        rng = self._rng(i)
        if rng.random() >= rule.accept:
            return -1
        ring = float(rule.ring_time.sample(rng, 1)[0]) if rule.ring_time else 0.0
        reached = bool(rng.random() < rule.reached)
        later = float(rule.later.sample(rng, 1)[0]) if rule.later else 0.0  # drawn after ring, reached
        values = (t, now, 0.0, False, self._value("talk_time", i), self._value("wrap_up_time", i), np.inf,
                  self._value("overflow_draw", i), self._value("resolution_draw", i), self._value("offered", i),
                  self._value("sale_draw", i), i, CALLBACK)
        self._append(values)
        leg = center.add_record()
        self._attempts[leg] = (ring, reached)
        if rule.later:
            self.later[leg] = later
        return leg

    def callback_attempt(self, leg: int) -> tuple[float, bool]:
        """(ringing time, reached) of call-back leg ``leg``."""
        return self._attempts.pop(leg)

    def _give_birth(self, center: CallCenter, t: int, origin: int, at: float, kind: int,
                    rng: np.random.Generator) -> None:
        if at >= self.layout.horizon:
            return
        self._draw(t, at, origin, kind, rng, None)
        center.at(at, (center.on_repeat_arrival, center.add_record()))

    def _draw(self, t: int, at: float, origin: int, kind: int, rng: np.random.Generator,
              handle: Distribution | None) -> None:
        ct = self.layout.call_types[t]
        ivr = None if kind == TRANSFER else ct.ivr_time or (self.layout.scenario.ivr.time
                                                             if self.layout.scenario.ivr else None)
        talk, wrap = (float(handle.sample(rng, 1)[0]), 0.0) if handle else _work(ct, rng)
        ivr_time = float(ivr.sample(rng, 1)[0]) if ivr else 0.0
        patience = float(ct.patience.sample(rng, 1)[0]) if ct.patience else np.inf
        overflow, resolution = float(rng.random()), float(rng.random())
        offered, sale = False, 1.0
        if ct.sales is not None:  # drawn last: a type without sales draws what it always drew
            offered = bool(rng.random() < ct.sales.offer)
            extra = float(ct.sales.extra_talk.sample(rng, 1)[0]) if ct.sales.extra_talk else 0.0
            talk, sale = talk + extra * offered, float(rng.random())
        self._append((t, at, ivr_time, False, talk, wrap, patience, overflow, resolution, offered, sale, origin,
                      kind))

    def _append(self, values: tuple[Any, ...]) -> None:
        """The columns of a born call, and what it inherits from the call ``values`` names as its origin."""
        for column, value in zip(_COLUMNS, values, strict=True):
            self.rows[column].append(value)
        origin, kind, k = values[-2], values[-1], values[-2] - self.fresh
        born = origin >= self.fresh
        self._root.append(self._root[k] if born else origin)
        self._first.append(self._first[k] if born and kind == TRANSFER else
                           self._value("call_type", origin) if kind == TRANSFER else values[0])
        self.after.append(kind in (REPEAT, TRANSFER) or (born and self.after[k]))

    def attributes(self, i: int) -> tuple[int, float, float, float]:
        """(call type, IVR time, work, patience) of born call ``i``."""
        k, r = i - self.fresh, self.rows
        return r["call_type"][k], r["ivr_time"][k], r["talk_time"][k] + r["wrap_up_time"][k], r["patience"][k]

    def born(self) -> Callers:
        """The born calls, in order of birth."""
        return Callers(*(np.asarray(self.rows[c], dtype=dtype) for c, dtype in zip(_COLUMNS, _DTYPES, strict=True)))


def _work(ct: CallType, rng: np.random.Generator) -> tuple[float, float]:
    """(talk, wrap-up) of one call of ``ct``, drawn from ``rng``."""
    if ct.handle_time is not None:
        return float(ct.handle_time.sample(rng, 1)[0]), 0.0
    assert ct.talk_time is not None
    return float(ct.talk_time.sample(rng, 1)[0]), float(ct.wrap_up.sample(rng, 1)[0]) if ct.wrap_up else 0.0
