"""The engine uses private parts of SimPy in its hot path, for speed (each property access and each Event costs a
call): ``Environment._now`` for the clock, ``Environment._queue`` (the heap of ``(time, priority, id, event)``
entries) and ``Environment._eid`` (the counter of event ids) to put its own events, plain tuples, on SimPy's heap
and take them off in its run loop, leaving SimPy's own events to ``Environment.step`` (sim/engine/model.py).
pyproject.toml bounds simpy below the next minor version; this test pins the versions they were checked on and
checks that each private part still means what the engine takes it to mean."""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import NORMAL

CHECKED = ("4.1.1", "4.1.2")


def test_simpy_is_a_checked_version() -> None:
    assert simpy.__version__ in CHECKED, (
        f"simpy {simpy.__version__} is not among the versions the engine's private uses were checked on "
        f"({', '.join(CHECKED)}): rerun this file's checks, then add it")


def test_private_clock_means_the_public_one() -> None:
    env = simpy.Environment()
    seen: list[tuple[float, Any]] = []
    timeout = env.timeout(2.5, value="v")
    timeout.callbacks.append(lambda e: seen.append((env._now, e.value)))
    env.run()
    assert seen == [(2.5, "v")] and env.now == env._now == 2.5


def test_tuples_on_the_heap_keep_their_place_among_simpy_events() -> None:
    """What the model's run loop does: its tuples and SimPy's events are ordered by (time, priority, id), ids from
    ``_eid`` in the order of scheduling; ``step`` handles SimPy's event at the top and sets the clock."""
    env = simpy.Environment()
    fired: list[tuple[float, str]] = []
    heappush(env._queue, (2.0, NORMAL, next(env._eid), ("b",)))
    timeout = env.timeout(2.0)
    timeout.callbacks.append(lambda e: fired.append((env.now, "simpy")))
    heappush(env._queue, (1.0, NORMAL, next(env._eid), ("a",)))
    heappush(env._queue, (2.0, NORMAL, next(env._eid), ("c",)))
    while env._queue:
        top = env._queue[0]
        if top[3].__class__ is tuple:
            heappop(env._queue)
            env._now = top[0]
            fired.append((env.now, top[3][0]))
        else:
            env.step()
    assert fired == [(1.0, "a"), (2.0, "b"), (2.0, "simpy"), (2.0, "c")]
    assert all(len(entry) == 4 for entry in env._queue)
