"""Named random streams: one independent numpy Generator per source of randomness.

Streams are keyed by name (crc32 of the name), never by position: adding a call type or a group to a scenario
does not change the numbers any other source draws, so compared scenarios see the same callers.
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    """The random streams of one replication of one scenario seed."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication

    def get(self, name: str) -> np.random.Generator:
        """A fresh generator for the source ``name`` (e.g. ``"handle/billing"``); same name, same numbers."""
        key = (self.replication, zlib.crc32(name.encode("utf-8")))
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=key)))
