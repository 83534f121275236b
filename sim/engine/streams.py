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


class ContactStreams:
    """Counter-based random numbers of each contact: what a contact's later life draws (whether it redials, its
    repeat's delay, a transfer, the attributes of the calls it gives birth to) depends only on that contact and on
    how many such draws it has made before, never on the order in which events of other calls happened.

    One Philox generator (key from the seed, the replication and the name ``contact``) whose 256-bit counter is
    set to (0, 0, draw, contact) before each draw: counter-based generators give disjoint, independent blocks for
    distinct counters, so every (contact, draw) has its own stream of 2^128 numbers. Setting the counter costs a
    few microseconds, paid only where a contact can give birth to another call.
    """

    def __init__(self, streams: Streams, name: str = "contact"):
        """``name`` keys the generator: distinct names give independent families (e.g. one per campaign)."""
        seq = np.random.SeedSequence(streams.seed, spawn_key=(streams.replication, zlib.crc32(name.encode())))
        self._bits = np.random.Philox(key=seq.generate_state(2, np.uint64))
        self._rng = np.random.Generator(self._bits)
        self._key = self._bits.state["state"]["key"]

    def get(self, contact: int, draw: int) -> np.random.Generator:
        """The generator positioned at the stream of the ``draw``-th use of ``contact`` (valid until next call)."""
        self._bits.state = {"bit_generator": "Philox",
                            "state": {"counter": np.array([0, 0, draw, contact], dtype=np.uint64), "key": self._key},
                            "buffer": np.zeros(4, dtype=np.uint64), "buffer_pos": 4, "has_uint32": 0,
                            "uinteger": 0}
        return self._rng
