"""Transfers to partner sites: the delay between a partner agent being reserved for a call and the caller
reaching that agent.

Each partner site's delays come from its own stream ``transfer_delay/<site>``, drawn in blocks and used in the
order the site's agents take calls; a constant delay draws nothing. So the delays never move any other source's
numbers (common random numbers), and a delay of 0 s leaves a run exactly as it was without transfers.
"""

from __future__ import annotations

import numpy as np

from sim.engine.layout import Layout
from sim.engine.streams import Streams
from sim.scenario.distributions import Deterministic, Distribution

_BLOCK = 1024
"""Delays drawn from a site's stream at a time."""


class TransferDelays:
    """The transfer delays of one replication, by agent group."""

    def __init__(self, layout: Layout, streams: Streams | None):
        self._site = layout.group_site
        dists = [site.transfer for site in layout.sites]
        self._dist = dists
        self._constant = [d.value if isinstance(d, Deterministic) else None for d in dists]
        random = [s for s, d in enumerate(dists) if d is not None and self._constant[s] is None]
        if random and streams is None:
            raise ValueError("random transfer delays need the replication's streams")
        self._rng = {s: streams.get(f"transfer_delay/{layout.site_names[s]}") for s in random} if streams else {}
        self._drawn: dict[int, list[float]] = {s: [] for s in random}
        self.delayed = tuple(dists[s] is not None and self._constant[s] != 0.0 for s in layout.group_site)
        """Per group: whether a call its agent takes is transferred first (a partner site with a delay not 0 s)."""

    def draw(self, group: int) -> float:
        """The next transfer delay (s) of a call taken by an agent of ``group`` (a group with ``delayed``)."""
        s = self._site[group]
        constant = self._constant[s]
        if constant is not None:
            return constant
        drawn = self._drawn[s]
        if not drawn:
            dist: Distribution | None = self._dist[s]
            assert dist is not None
            drawn.extend(np.asarray(dist.sample(self._rng[s], _BLOCK))[::-1].tolist())
        return drawn.pop()
