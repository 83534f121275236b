"""The engine uses three private parts of SimPy in its hot path, for speed (each property access costs a call):
``Environment._now`` for the clock, ``Event._value`` for an event's value, and an ``Event`` subclass that sets
``_value``/``_ok`` itself to schedule an already-triggered event (sim/engine/model.py ``_Due``). pyproject.toml
bounds simpy below the next minor version; this test pins the versions they were checked on and checks that each
private part still means what the engine takes it to mean."""

from __future__ import annotations

from typing import Any

import simpy
from simpy.events import NORMAL, Event

from sim.engine.model import _Due

CHECKED = ("4.1.1", "4.1.2")


def test_simpy_is_a_checked_version() -> None:
    assert simpy.__version__ in CHECKED, (
        f"simpy {simpy.__version__} is not among the versions the engine's private uses were checked on "
        f"({', '.join(CHECKED)}): rerun this file's checks, then add it")


def test_private_clock_and_value_mean_the_public_ones() -> None:
    env = simpy.Environment()
    seen: list[tuple[float, Any]] = []
    timeout = env.timeout(2.5, value="v")
    timeout.callbacks.append(lambda e: seen.append((env._now, e._value)))
    assert timeout._value == "v"  # a timeout is triggered when made
    env.run()
    assert seen == [(2.5, "v")] and env.now == env._now == 2.5 and timeout.value == "v"


def test_a_due_event_fires_its_callback_at_its_time_in_insertion_order() -> None:
    env = simpy.Environment()
    fired: list[tuple[float, str]] = []
    for name, delay in (("b", 2.0), ("a", 1.0), ("c", 2.0)):
        env.schedule(_Due(env, lambda e: fired.append((env.now, e.value)), name), NORMAL, delay)
    env.run()
    assert fired == [(1.0, "a"), (2.0, "b"), (2.0, "c")]
    assert isinstance(_Due(env, lambda e: None, 0), Event) and _Due(env, lambda e: None, 0).ok
