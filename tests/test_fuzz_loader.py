"""Property-based fuzzing of the scenario loader (issue: bad input must never crash).

The bundled scenarios (scenarios/*.yaml) are mutated structurally (keys deleted, renamed, duplicated; values
swapped for other types, for negative, zero, huge, NaN or infinite numbers, for unicode, control characters or
deep nesting) and as raw text, and generated CSV files are replayed as traces; ``ccsim validate`` must end in
exit 0, or exit 2 with every line of its message naming a file. A scenario that validates must also be simulable:
one replication of one day is run (when it has few enough calls) and summarised.

The examples are fixed (``derandomize=True``: the same ones in every run, no example database); the budgets
(``max_examples``) keep the file at about 25 s on a two-core machine (measured; the limit is 60 s).
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
import signal
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.experiment import run
from sim.analysis.summary import summarize
from sim.cli.app import main
from sim.engine.arrivals import day_factors, rate_steps
from sim.engine.streams import Streams
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario
from sim.scenario.traces import read_trace
from sim.scenario.yamlmap import load_yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "scenarios").glob("*.yaml"))}
TREES = {name: load_yaml(text, name)[0] for name, text in SOURCES.items()}
MAX_CALLS = 20_000
"""A validated mutant with more expected calls than this in its day is only validated, not simulated."""
TIME_LIMIT = 20
"""Seconds one day of a mutant may take to simulate (a hang fails the test instead of stalling CI)."""
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
"""Fixed examples in every run (see the module docstring for the budget)."""

Pos = tuple[Any, ...]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of scenarios/, so that a mutant written there finds the files it extends."""
    folder = tmp_path_factory.mktemp("fuzz")
    for name, text in SOURCES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# --- values a mutation puts in --------------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    """A value nested ``depth`` levels deep: lists for an odd depth, mappings for an even one."""
    value: Any = 1
    for _ in range(depth):
        value = [value] if depth % 2 else {"a": value}
    return value


NUMBERS = st.sampled_from([0, -1, -0.5, 0.5, 1, 2, 7, 1e-300, 1e300, -1e300, 10**30, 2**63, 10**400,
                           float("nan"), float("inf"), float("-inf")])
WORDS = st.sampled_from(["", "none", "0s", "0.001s", "-3min", "1e999s", "10000d", "24:00", "23:59", "08:00+1",
                         "mon-fri", "closed", "partner", "in_house", "exponential", "deterministic", "x-y",
                         "inhouse.yaml", "fuzz.yaml", "../scenarios", "/dev/null", "a\0b", "é", "日本", "\x0c"])
ODD = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), NUMBERS, WORDS, st.text(max_size=12),
                st.lists(st.one_of(NUMBERS, WORDS), max_size=4),
                st.dictionaries(st.one_of(WORDS, st.text(max_size=6)), st.one_of(NUMBERS, WORDS), max_size=3),
                st.integers(1, 45).map(_nested))
CONTROL = st.sampled_from(["\x00", "\x07", "\x0c", "\x1b", "\x7f", "\t", "\r", "\x85", "\u2028", "\ufeff", "\ud7ff",
                           "\ue000", "'", '"', ":", "- ", "{", "[", "&a ", "*a", "!!", "%", "@", "`", "#"])


# --- structural mutations of the parsed tree ----------------------------------------------------------------------


def _positions(node: Any, path: Pos = (), seen: frozenset[int] = frozenset()) -> Iterator[Pos]:
    """Every key of every mapping and index of every list under ``node`` (a value moved into itself makes the
    tree recursive, as a YAML alias can: it is not entered again)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield (*path, key)
        if id(value) not in seen:
            yield from _positions(value, (*path, key), seen | {id(node)})


def _at(tree: Any, pos: Pos) -> Any:
    for part in pos:
        tree = tree[part]
    return tree


def _replacement(data: st.DataObject, old: Any, tree: Any) -> Any:
    """A new value for ``old``: an odd one, one from elsewhere in the tree, or (for a number) a near relative."""
    others = [_at(tree, p) for p in _positions(tree)]
    choices = [ODD, st.sampled_from(others)] if others else [ODD]
    if isinstance(old, int | float) and not isinstance(old, bool):
        choices.append(st.sampled_from([-old, 0, old * 1_000_000, old + 1]))
    return data.draw(st.one_of(choices))


def _mutate(data: st.DataObject, tree: Any) -> None:
    """Apply one structural mutation to ``tree`` in place."""
    positions = list(_positions(tree))
    if not positions:
        return
    pos = data.draw(st.sampled_from(positions))
    parent, key = _at(tree, pos[:-1]), pos[-1]
    kind = data.draw(st.sampled_from(["delete", "rename", "replace", "replace", "duplicate", "wrap"]))
    if kind == "delete":
        del parent[key]
    elif kind == "rename" and isinstance(parent, dict):
        keys = [p[-1] for p in positions if isinstance(p[-1], str)]
        new = data.draw(st.one_of(st.sampled_from(keys), WORDS, st.text(max_size=10),
                                  st.just(key[:-1] or "x"), st.just(key.upper()), st.just(f"x-{key}")))
        parent[new] = parent.pop(key)
    elif kind == "duplicate":
        value = copy.deepcopy(parent[key])
        if isinstance(parent, list):
            parent.insert(key, value)
        else:
            parent[data.draw(st.sampled_from([k for k in parent if k != key] or [key]))] = value
    elif kind == "wrap":
        parent[key] = data.draw(st.sampled_from([[parent[key]], {"value": parent[key]}, {key: parent[key]}]))
    else:
        parent[key] = _replacement(data, parent[key], tree)


def _dump(tree: Any) -> str:
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False, width=200)


# --- mutations of the raw text ----------------------------------------------------------------------------------


def _mutate_text(data: st.DataObject, text: str) -> str:
    """Apply one textual mutation: insert a character, duplicate, delete or swap lines, nest deeply, cut short,
    or replace a number with an overflowing one."""
    lines = text.splitlines(keepends=True) or [""]
    at = data.draw(st.integers(0, len(text)))
    row = data.draw(st.integers(0, len(lines) - 1))
    kind = data.draw(st.sampled_from(["insert", "duplicate", "delete", "swap", "nest", "cut", "number"]))
    if kind == "insert":
        return text[:at] + data.draw(st.one_of(CONTROL, st.characters())) + text[at:]
    if kind == "duplicate":
        return "".join(lines[:row + 1] + lines[row:])
    if kind == "delete":
        return "".join(lines[:row] + lines[row + 1:])
    if kind == "swap":
        other = data.draw(st.integers(0, len(lines) - 1))
        lines[row], lines[other] = lines[other], lines[row]
        return "".join(lines)
    if kind == "nest":
        depth = data.draw(st.integers(20, 1200))
        indent = re.match(r"\s*", lines[row]).group()  # type: ignore[union-attr]
        nested = data.draw(st.sampled_from(["[" * depth + "]" * depth, "{a: " * depth + "1" + "}" * depth]))
        return "".join(lines[:row] + [f"{indent}zz: {nested}\n"] + lines[row:])
    if kind == "cut":
        return text[:at]
    numbers = list(re.finditer(r"(?<![\w.:-])\d+(\.\d+)?(?![\w:])", text))
    if not numbers:
        return text
    match = data.draw(st.sampled_from(numbers))
    new = data.draw(st.sampled_from(["1e999", "-1e999", ".nan", ".inf", "-.inf", "1e300", "-0", "0", "9" * 400]))
    return text[:match.start()] + new + text[match.end():]


# --- what must hold ---------------------------------------------------------------------------------------------


class _TooSlow(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """Raise _TooSlow in the block after ``seconds`` (where the system has interval timers)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _TooSlow(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _expected_calls(scenario: Scenario) -> float:
    """Calls one replication of ``scenario`` draws at its birth (before redials and repeats)."""
    total = 0.0
    for name, (_, ct) in scenario.all_call_types().items():
        if ct.arrivals is None:
            continue  # reached only by transfer legs
        if ct.arrivals.trace is not None:
            total += len(read_trace(ct.arrivals.trace, name))
        else:
            factors = day_factors(ct.arrivals, scenario.run, Streams(scenario.run.seed, 0).get(f"busyness/{name}"))
            total += float(rate_steps(ct.arrivals, scenario.run, factors)[1].sum())
    return total


def _simulate_one_day(scenario: Scenario) -> None:
    """One replication of one day of a validated scenario, summarised: it must not crash or hang."""
    short = scenario.model_copy(update={"run": scenario.run.model_copy(
        update={"days": 1, "warmup": 0.0, "replications": 1})})
    if _expected_calls(short) <= MAX_CALLS:
        with _time_limit(TIME_LIMIT):
            summarize(run(short, workers=1))


def _check(workdir: Path, content: str) -> None:
    """``ccsim validate`` on ``content``: exit 0 (and the scenario simulates) or a clean exit 2."""
    file = workdir / "fuzz.yaml"
    file.write_bytes(content.encode("utf-8", "surrogatepass"))  # a lone surrogate: bytes that are not UTF-8
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(file)])
    message = err.getvalue()
    assert code in (0, 2), message
    assert "Traceback" not in message and "internal error" not in message, message
    if code == 2:
        lines = message.splitlines()
        assert lines, "exit 2 without a message"
        assert all(line.startswith(str(workdir)) for line in lines), message
    else:
        _simulate_one_day(load_scenario(file))


@given(data=st.data())
@settings(FUZZ, max_examples=400)
def test_structural_mutations_exit_0_or_2(workdir: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(TREES)))
    tree = copy.deepcopy(TREES[name])
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(data, tree)
    _check(workdir, _dump(tree))


@given(data=st.data())
@settings(FUZZ, max_examples=400)
def test_text_mutations_exit_0_or_2(workdir: Path, data: st.DataObject) -> None:
    text = SOURCES[data.draw(st.sampled_from(sorted(SOURCES)))]
    for _ in range(data.draw(st.integers(1, 2))):
        text = _mutate_text(data, text)
    _check(workdir, text)


TRACED = copy.deepcopy(TREES["multiskill.yaml"])
for _ct in TRACED["call_types"].values():
    _ct["arrivals"] = {"trace": "calls.csv"}
ZONES = [timezone(timedelta(minutes=m)) for m in (-300, 0, 60, 120, 330)]
CELLS = st.one_of(st.sampled_from([*TRACED["call_types"], "", "x", "DE_GENERAL", "1e999", "nan", "-1", "0"]),
                  st.floats().map(repr), st.integers(-10, 10**6).map(str), st.text(max_size=8),
                  st.datetimes(timezones=st.one_of(st.none(), st.sampled_from(ZONES))).map(datetime.isoformat))
HEADERS = st.sampled_from(["time,call_type", "call_type,time", "time", "\ufefftime,call_type", "time,time",
                           "when,call_type", "time;call_type", ""])


@given(header=HEADERS, rows=st.lists(st.lists(CELLS, min_size=0, max_size=3), max_size=12),
       quote=st.sampled_from(["", '"']), newline=st.sampled_from(["\n", "\r\n", "\r"]))
@settings(FUZZ, max_examples=200)
def test_trace_files_exit_0_or_2(workdir: Path, header: str, rows: list[list[str]], quote: str,
                                 newline: str) -> None:
    """multiskill.yaml with every call type replayed from one generated calls.csv."""
    lines = [header, *(",".join(f"{quote}{cell}{quote}" for cell in row) for row in rows)]
    (workdir / "calls.csv").write_text(newline.join(lines) + newline, encoding="utf-8", newline="")
    _check(workdir, _dump(TRACED))


def test_the_bundled_scenarios_themselves_pass(workdir: Path) -> None:
    for name in SOURCES:
        _check(workdir, SOURCES[name])
