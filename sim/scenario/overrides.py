"""``--set KEY.PATH=VALUE``: one-off changes to a scenario's keys, laid over the file's data after ``extends`` and
before validation, so a bad value gets the usual message (naming ``--set`` and the key path).

Key paths are written as in error messages (``agent_groups.team.shifts[1].agents``); values are YAML scalars or
flow values (``1.1``, ``5min``, ``[a, b]``, ``{dist: exponential, mean: 3min}``); ``null`` removes the key, as in
an extending file.
"""

from __future__ import annotations

import copy
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from sim.errors import CcsimError, Problem, did_you_mean, shown
from sim.scenario.schema import Scenario
from sim.scenario.yamlmap import Path, format_path, load_yaml

OPTION = "--set"
_PART = re.compile(r"([^.\[\]\s]+)|\[(\d+)\]")
_WHOLE = re.compile(r"[^.\[\]\s]+(?:\.[^.\[\]\s]+|\[\d+\])*")
_MISSING = object()


@dataclass(frozen=True)
class Override:
    """One ``[SCENARIO:]KEY.PATH=VALUE``: the text as given, the key path, the parsed value, the name of the
    scenario it is for (None: every scenario of the command) and the option that gave it (named in messages)."""

    text: str
    path: Path
    value: Any
    scenario: str | None = None
    option: str = OPTION

    @property
    def key(self) -> str:
        """The key path as error messages write it."""
        return format_path(self.path)


def parse_path(text: str, option: str = OPTION) -> Path:
    """'a.b[1].c' -> ('a', 'b', 1, 'c'); CcsimError naming ``option`` if it is not a key path."""
    if not _WHOLE.fullmatch(text):
        raise CcsimError(f"{option} {text!r}: not a key path; write it as in error messages, e.g. "
                         "run.volume_factor or agent_groups.team.shifts[0].agents")
    return tuple(name if name else int(index) for name, index in _PART.findall(text))


def parse_value(text: str, where: str) -> Any:
    """A YAML scalar or flow value, read like a scenario file's values; CcsimError naming ``where`` if it is not
    one."""
    data, _, problems = load_yaml(text, where)
    if problems:
        reason = problems[0].message
        raise CcsimError(f"{where}: the value {text!r} is not valid YAML ({reason})")
    return data


def split_assignment(text: str, option: str = OPTION) -> tuple[Path, str]:
    """'KEY.PATH=VALUE' -> (key path, value text)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise CcsimError(f"{option} {text!r}: expected KEY.PATH=VALUE, e.g. {option} run.volume_factor=1.1")
    return parse_path(key.strip(), option), value.strip()


def parse_override(text: str) -> Override:
    """``--set [SCENARIO:]KEY.PATH=VALUE`` -> Override; CcsimError if it is not of that form."""
    key, sep, rest = text.partition("=")
    scenario, colon, key = key.rpartition(":") if ":" in key else ("", "", key)
    if colon and not scenario.strip():
        raise CcsimError(f"{OPTION} {text!r}: name the scenario before ':' (SCENARIO:KEY.PATH=VALUE)")
    path, value = split_assignment(f"{key}{sep}{rest}")
    return Override(text, path, parse_value(value, f"{OPTION} {format_path(path)}"), scenario.strip() or None)


def for_scenarios(overrides: typing.Sequence[Override], names: typing.Sequence[str]) -> list[list[Override]]:
    """The overrides of each named scenario (those without a scenario name, and those naming it); CcsimError if
    one names none of them."""
    for o in overrides:
        if o.scenario is not None and o.scenario not in names:
            hint = did_you_mean(o.scenario, names)
            raise CcsimError(f"{OPTION} {o.text!r}: there is no scenario '{o.scenario}'{hint} "
                             f"(the scenarios are {', '.join(names)})")
    return [[o for o in overrides if o.scenario in (None, name)] for name in names]


def apply_overrides(data: dict[str, Any], overrides: typing.Sequence[Override], file: str) -> list[Problem]:
    """Lay the overrides over a scenario's data in order; the problems of those whose key path leads nowhere (a
    name that is not among the call types, groups, sites or clients; into a value that is not a mapping or a
    list)."""
    problems = []
    for o in overrides:
        problem = _apply(data, o)
        if problem is not None:
            problems.append(Problem(f"{file} {o.option}", o.key, None, problem))
    return problems


def attributed(problem: Problem, overrides: typing.Sequence[Override], file: str) -> Problem:
    """A validation problem at or below an overridden key, pointed at ``--set`` instead of a line of the file:
    ``x.yaml --set run.volume_factor: must be > 0 (got -1)``."""
    for o in overrides:
        if problem.path == o.key or problem.path.startswith((f"{o.key}.", f"{o.key}[")):
            return Problem(f"{file} {o.option}", problem.path, None, problem.message)
    return problem


def _apply(data: dict[str, Any], o: Override) -> str | None:
    """Set one override in ``data``; the problem, if the key path leads nowhere."""
    node: Any = data
    for depth, part in enumerate(o.path[:-1]):
        child = _child(node, part)
        if child is _MISSING:
            if isinstance(part, int) or _named(o.path[:depth]):
                return _nowhere(node, o.path[:depth + 1])
            child = node[part] = {}
        elif not isinstance(child, dict | list):
            return f"{format_path(o.path[:depth + 1])} is {shown(child)}, not a mapping or a list"
        node = child
    leaf = o.path[-1]
    value = copy.deepcopy(o.value)
    if isinstance(node, list):
        if not isinstance(leaf, int) or leaf >= len(node):
            return _nowhere(node, o.path)
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value
    elif isinstance(leaf, int):
        return _nowhere(node, o.path)
    elif value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return None


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict) and isinstance(part, str):
        return node.get(part, _MISSING)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return _MISSING


def _nowhere(node: Any, path: Path) -> str:
    """Why ``path`` (whose last part is missing in ``node``) leads nowhere."""
    parent, part = format_path(path[:-1]) or "the scenario", path[-1]
    if isinstance(node, list):
        if isinstance(part, int):
            return f"{parent} has {len(node)} entries ([0] to [{len(node) - 1}]); there is no [{part}]" \
                if node else f"{parent} is an empty list"
        return f"{parent} is a list; address its entries as [0], [1], ..."
    if isinstance(part, int):
        return f"{parent} is a mapping, not a list; address its keys by name"
    known = [str(k) for k in node]
    return f"there is no '{part}' in {parent}{did_you_mean(part, known)}" + \
        (f"; it has {', '.join(known)}" if known else "")


def _named(path: Path) -> bool:
    """Whether the key path holds user-named entries (call types, agent groups, sites, clients): a name missing
    there is a typo, not a new key."""
    tp: Any = Scenario
    for part in path:
        tp = _inner(_unwrap(tp), part)
    tp = _unwrap(tp)
    return typing.get_origin(tp) is dict and _is_model(_unwrap(typing.get_args(tp)[1]))


def takes_whole_numbers(path: Path) -> bool:
    """Whether the scenario key at ``path`` is a whole number (agents, lines, ...) rather than any number."""
    tp: Any = Scenario
    for part in path:
        tp = _inner(_unwrap(tp), part)
    return _unwrap(tp) is int


def _unwrap(tp: Any) -> Any:
    """The type inside Annotated[...] and Optional[...]."""
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _inner(tp: Any, part: str | int) -> Any:
    """The type of ``tp``'s entry ``part`` (None if unknown)."""
    if _is_model(tp):
        field = next((f for n, f in tp.model_fields.items() if part in (n, f.alias)), None)
        return field.annotation if field is not None else None
    if typing.get_origin(tp) is dict:
        return typing.get_args(tp)[1]
    if typing.get_origin(tp) is list:
        return typing.get_args(tp)[0]
    return None


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)
