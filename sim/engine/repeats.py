"""Calls born during the run: repeats of unresolved calls and redials of callers who gave up.

A call left unresolved (a site's ``unresolved_share``) comes back after the site's ``repeat_delay``; whether it
stays unresolved is decided by its own uniform number drawn at birth (common random numbers). A caller who
abandons or gets a busy signal calls again with the call type's ``redial.share`` after ``redial.delay``
(decided and timed from the stream ``redial/<type>``). The new call is of the same type; its attributes (IVR
time, talk and wrap-up time, patience, its own resolution and overflow numbers) are drawn when it is born from
``repeat/<type>``; it is not deflected by self-service. Calls that would arrive after the horizon are not
simulated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.engine.callers import Callers
from sim.engine.layout import Layout
from sim.engine.streams import Streams

if TYPE_CHECKING:
    from sim.engine.model import Call, CallCenter

_COLUMNS = ("call_type", "arrival_at", "ivr_time", "deflected", "talk_time", "wrap_up_time", "patience",
            "overflow_draw", "resolution_draw", "repeat_of", "repeat_kind")
REPEAT, REDIAL = 1, 2


class Repeats:
    """The repeat calls of one replication, appended after the pre-drawn callers."""

    def __init__(self, layout: Layout, streams: Streams | None, fresh: int):
        sites = layout.sites
        self.layout = layout
        self.fresh = fresh
        self.unresolved = [sites[s].unresolved_share for s in layout.group_site]
        self.site_of_group = layout.group_site
        self.redial = [ct.redial for ct in layout.call_types]
        if (any(self.unresolved) or any(self.redial)) and streams is None:
            raise ValueError("calls can be born during this run: repeats and redials need the replication's streams")
        self._delay_rng = [streams.get(f"repeat_delay/{name}") for name in layout.site_names] if streams else []
        self._call_rng = [streams.get(f"repeat/{name}") for name in layout.type_names] if streams else []
        self._redial_rng = [streams.get(f"redial/{name}") for name in layout.type_names] if streams else []
        self.rows: dict[str, list[Any]] = {c: [] for c in _COLUMNS}

    def _value(self, callers: Callers, column: str, i: int) -> Any:
        return getattr(callers, column)[i] if i < self.fresh else self.rows[column][i - self.fresh]

    def overflow_draw(self, callers: Callers, i: int) -> float:
        return float(self._value(callers, "overflow_draw", i))

    def is_unresolved(self, callers: Callers, i: int, group: int) -> bool:
        """Whether call ``i``, handled by ``group``, stays unresolved."""
        return float(self._value(callers, "resolution_draw", i)) < self.unresolved[group]

    def schedule(self, center: CallCenter, call: Call, now: float) -> None:
        """Give birth to the repeat of ``call`` (handled and unresolved at ``now``) if it falls in the horizon."""
        site = self.site_of_group[call.group]
        delay = self.layout.sites[site].repeat_delay
        assert delay is not None
        self._give_birth(center, call.type, call.id, now + float(delay.sample(self._delay_rng[site], 1)[0]), REPEAT)

    def maybe_redial(self, center: CallCenter, t: int, i: int, now: float) -> None:
        """A caller of type ``t`` (call ``i``) gave up at ``now``: perhaps it calls again."""
        rule, rng = self.redial[t], self._redial_rng[t]
        if rule is not None and rng.random() < rule.share:
            self._give_birth(center, t, i, now + float(rule.delay.sample(rng, 1)[0]), REDIAL)

    def _give_birth(self, center: CallCenter, t: int, origin: int, at: float, kind: int) -> None:
        if at >= self.layout.horizon:
            return
        i = center.rec.add()
        self._draw(t, at, origin, kind)
        center._at(at, center.on_repeat_arrival, i)

    def _draw(self, t: int, at: float, origin: int, kind: int) -> None:
        ct, rng, scenario = self.layout.call_types[t], self._call_rng[t], self.layout.scenario
        ivr = ct.ivr_time or (scenario.ivr.time if scenario.ivr else None)
        if ct.handle_time is not None:
            talk, wrap = float(ct.handle_time.sample(rng, 1)[0]), 0.0
        else:
            assert ct.talk_time is not None
            talk = float(ct.talk_time.sample(rng, 1)[0])
            wrap = float(ct.wrap_up.sample(rng, 1)[0]) if ct.wrap_up else 0.0
        values = (t, at, float(ivr.sample(rng, 1)[0]) if ivr else 0.0, False, talk, wrap,
                  float(ct.patience.sample(rng, 1)[0]) if ct.patience else np.inf,
                  float(rng.random()), float(rng.random()), origin, kind)
        for column, value in zip(_COLUMNS, values, strict=True):
            self.rows[column].append(value)

    def attributes(self, i: int) -> tuple[int, float, float, float]:
        """(call type, IVR time, work, patience) of repeat call ``i``."""
        k, r = i - self.fresh, self.rows
        return r["call_type"][k], r["ivr_time"][k], r["talk_time"][k] + r["wrap_up_time"][k], r["patience"][k]

    def join(self, callers: Callers) -> Callers:
        """The pre-drawn callers followed by the repeat calls (in order of birth)."""
        if not self.rows["call_type"]:
            return callers
        return Callers(*(np.concatenate([old := getattr(callers, c), np.asarray(self.rows[c], dtype=old.dtype)])
                         for c in _COLUMNS))
