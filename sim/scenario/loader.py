"""File -> validated, frozen Scenario. Every problem is reported at once, with file, line and key path."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.checks import check_references
from sim.scenario.schema import Scenario
from sim.scenario.yamlmap import Path, format_path, line_of, load_yaml


def load_scenario(file: str | FsPath) -> Scenario:
    """Read, validate and cross-check a scenario file; raise ScenarioError listing every problem."""
    name = str(file)
    try:
        text = FsPath(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(name, "", None, f"cannot read the file: {exc}")]) from None
    return parse_scenario(text, name, base_dir=FsPath(file).resolve().parent)


def parse_scenario(text: str, file: str, base_dir: FsPath | None = None) -> Scenario:
    """Validate scenario text; ``file`` names it in messages, ``base_dir`` resolves relative trace paths."""
    data, lines, problems = load_yaml(text, file)
    if problems:
        raise ScenarioError(problems)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(file, "", 1, "a scenario file must be a mapping of keys (name:, run:, ...)")])
    data.setdefault("name", FsPath(file).stem)
    _resolve_traces(data, base_dir or FsPath.cwd())
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(exc, file, lines)) from None
    problems = [Problem(file, format_path(path), line_of(lines, path), message)
                for path, message in check_references(scenario)]
    if problems:
        raise ScenarioError(problems)
    return scenario


def _resolve_traces(data: dict[str, Any], base_dir: FsPath) -> None:
    """Make trace paths absolute, relative to the scenario file's folder."""
    clients = data.get("clients")
    groups = [c.get("call_types") for c in clients.values() if isinstance(c, dict)] \
        if isinstance(clients, dict) else [data.get("call_types")]
    for call_types in groups:
        for ct in (call_types or {}).values() if isinstance(call_types, dict) else []:
            arrivals = ct.get("arrivals") if isinstance(ct, dict) else None
            if isinstance(arrivals, dict) and isinstance(arrivals.get("trace"), str):
                arrivals["trace"] = str((base_dir / arrivals["trace"]).resolve())


def _problems(exc: ValidationError, file: str, lines: dict[Path, int]) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        path, tp = _yaml_path(err["loc"])
        out.append(Problem(file, format_path(path), line_of(lines, path), _message(err, path, tp)))
    return out


def _message(err: dict[str, Any], path: Path, parent: Any) -> str:
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        known = _keys_of(parent)
        close = difflib.get_close_matches(str(path[-1]), known, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else (f"; allowed: {', '.join(known)}" if known else "")
        return f"unknown key '{path[-1]}'{hint}"
    if kind == "missing":
        return "required key is missing"
    msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return msg.replace("Input tag", "dist").replace(" found using 'dist'", "")
    if kind.startswith("value_error") or kind.startswith("assertion"):
        return msg
    shown = value if not isinstance(value, dict | list) else type(value).__name__
    return f"{msg} (got {shown!r})"


def _yaml_path(loc: tuple[Any, ...]) -> tuple[Path, Any]:
    """Strip pydantic's union tags and '[key]' markers; return the YAML path and the type holding its last key."""
    tp: Any = Scenario
    parent: Any = Scenario
    path: list[str | int] = []
    for part in loc:
        if part == "[key]":
            continue
        tp = _unwrap(tp)
        member = _tagged_member(tp, part)
        if member is not None:
            tp = member
            continue
        parent = tp
        path.append(part)
        tp = _child(tp, part)
    return tuple(path), parent


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _union_members(tp: Any) -> tuple[Any, ...]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return tuple(_unwrap(a) for a in typing.get_args(tp))
    return ()


def _tagged_member(tp: Any, part: Any) -> Any:
    """The member of a discriminated union whose ``dist`` literal equals ``part``, if any."""
    for member in _union_members(tp):
        inner = _tagged_member(member, part)
        if inner is not None:
            return inner
        if isinstance(member, type) and issubclass(member, BaseModel) and "dist" in member.model_fields:
            if part in typing.get_args(member.model_fields["dist"].annotation):
                return member
    return None


def _child(tp: Any, part: Any) -> Any:
    members = _union_members(tp)
    if members:
        tp = next((m for m in members if m is not type(None)), tp)
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    args = typing.get_args(tp)
    if typing.get_origin(tp) is dict:
        return args[1]
    if typing.get_origin(tp) is list:
        return args[0]
    return None


def _keys_of(tp: Any) -> list[str]:
    tp = _unwrap(tp)
    members = _union_members(tp) or (tp,)
    keys: list[str] = []
    for m in members:
        if isinstance(m, type) and issubclass(m, BaseModel):
            keys += [f.alias or n for n, f in m.model_fields.items() if (f.alias or n) not in keys]
    return keys
