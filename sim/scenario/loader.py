"""File -> validated, frozen Scenario. Every problem is reported at once, with file, line and key path.

pydantic's own messages ("Input should be a valid dictionary or instance of Arrivals") are rewritten in the
words of the scenario file: ``x.yaml:12 call_types.billing.patience.mean: must be > 0 (got '-3min')``.
"""

from __future__ import annotations

import math
import re
import types
import typing
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from sim.errors import Problem, ScenarioError, ValueAtKey, did_you_mean, shown, suggest
from sim.scenario.checks import check_references, check_warnings
from sim.scenario.extends import load_chain
from sim.scenario.files import MAX_SCENARIO_BYTES, UnreadableFile, beside, read_bytes
from sim.scenario.overrides import Override, apply_overrides, attributed
from sim.scenario.schema import Scenario
from sim.scenario.yamlmap import Path, format_path, holds, line_of
from sim.units import format_duration

_NAME_PATTERN = Scenario.model_fields["name"].metadata
_BOUNDS = {"greater_than": ("gt", ">"), "greater_than_equal": ("ge", ">="), "less_than": ("lt", "<"),
           "less_than_equal": ("le", "<=")}
_OVERSIZED = ("finite_number", "int_parsing_size")
"""Whole numbers that are inf, nan or too big to hold (floats past a bound are bound errors)."""
_PLAIN = {
    "int_parsing": "must be a whole number", "int_type": "must be a whole number",
    "int_from_float": "must be a whole number", "float_parsing": "must be a number",
    "float_type": "must be a number",
    "string_type": "must be text", "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list, e.g. [a, b] or lines starting with '- '",
}


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files, from the same definitions that validate them (for editors)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ccsim scenario"
    schema.setdefault("required", [])
    schema["required"] = [k for k in schema["required"] if k != "name"]  # defaults to the file name
    schema["patternProperties"] = {"^x-": {}}  # x-...: free keys for YAML anchors
    props = schema["$defs"]
    for key in ("patience", "arrivals"):  # the word 'none' stands for None
        value = props["CallType"]["properties"][key]
        value["anyOf"] = [a for a in value["anyOf"] if a != {"type": "null"}] + [{"const": "none"}]
    skills = props["AgentGroup"]["properties"]["skills"]
    ranked = {k: skills.pop(k) for k in ("patternProperties", "propertyNames", "type")}
    skills["anyOf"] = [ranked, {"type": "array", "items": {"type": "string"}}]
    return _with_extends(schema)


_TOP = ("type", "properties", "required", "additionalProperties", "patternProperties")
"""The keys of the top-level object schema (the rest is metadata and ``$defs``)."""


def _with_extends(schema: dict[str, Any]) -> dict[str, Any]:
    """Let the schema describe files with ``extends:`` too: such a file holds only the keys it changes, so it is
    checked against a partial copy of every definition (no required keys, ``null`` deletes a key), as merged by
    ``sim.scenario.extends.merge``; a file without ``extends`` is checked against the whole scenario."""
    defs: dict[str, Any] = schema.pop("$defs")
    whole = {key: schema.pop(key) for key in _TOP if key in schema}
    part = _partial(whole)
    part["properties"]["extends"] = {"type": "string", "minLength": 1,
                                     "description": "The scenario file this one changes (a path beside it)."}
    part["required"] = ["extends"]
    defs = {**defs, **{f"{name}Part": _partial(d) for name, d in defs.items()}, "Scenario": whole,
            "ScenarioPart": part}
    return {**schema, "$defs": defs, "if": {"type": "object", "required": ["extends"]},
            "then": {"$ref": "#/$defs/ScenarioPart"}, "else": {"$ref": "#/$defs/Scenario"}}


def _partial(node: Any) -> Any:
    """A copy of a schema node in which nothing is required, a property may be ``null`` (deleted by the
    extending file), alternatives may overlap (``oneOf`` becomes ``anyOf``) and references point at the partial
    definitions."""
    if isinstance(node, list):
        return [_partial(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("required", "discriminator"):
            continue
        if key == "$ref":
            out[key] = f"{value}Part"
        elif key == "oneOf":
            out["anyOf"] = _partial(value)
        elif key in ("properties", "patternProperties"):
            out[key] = {name: _or_null(prop) for name, prop in value.items()}
        elif key == "additionalProperties" and isinstance(value, dict):
            out[key] = _or_null(value)
        else:
            out[key] = _partial(value)
    return out


def _or_null(node: Any) -> dict[str, Any]:
    """The partial node, or ``null``: an extending file deletes a key by setting it to null."""
    return {"anyOf": [_partial(node), {"type": "null"}]}


def load_scenario(file: str | FsPath, warnings: list[Problem] | None = None,
                  overrides: typing.Sequence[Override] = ()) -> Scenario:
    """Read, validate and cross-check a scenario file; raise ScenarioError listing every problem. ``warnings``,
    if given, receives what is valid but probably not meant (``check_warnings``); ``overrides`` (``--set``) are
    laid over the file's keys before validation."""
    try:
        text = read_scenario_text(FsPath(file), str(file))
    except UnreadableFile as exc:
        raise ScenarioError([Problem(str(file), "", None, exc.reason)]) from None
    return parse_scenario(text, str(file), base_dir=FsPath(file).resolve().parent, warnings=warnings,
                          overrides=overrides)


def scenario_data(file: str | FsPath, overrides: typing.Sequence[Override] = ()) -> dict[str, Any]:
    """A valid scenario file's keys as written, merged with the files it ``extends`` and with the ``--set``
    overrides it was run with (units as the user wrote them, no defaults filled in; ``x-`` keys left out): what
    "the scenarios differ in" means."""
    path = FsPath(file)
    data, _, _, _ = load_chain(read_scenario_text(path, str(file)), str(file), path.resolve().parent,
                               read_scenario_text, lambda _data, _folder: None)
    if isinstance(data, dict):
        apply_overrides(data, overrides, str(file))
    return {k: v for k, v in data.items() if not str(k).startswith("x-")} if isinstance(data, dict) else {}


def read_scenario_text(path: FsPath, name: str | None = None) -> str:
    """A scenario file's text. Raises UnreadableFile if it cannot be read, ScenarioError if it is not UTF-8."""
    raw = read_bytes(path, MAX_SCENARIO_BYTES, "scenario file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        message = (f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded; "
                   "save the file with the UTF-8 encoding")
        raise ScenarioError([Problem(name or str(path), "", line, message)]) from None


def parse_scenario(text: str, file: str, base_dir: FsPath | None = None,
                   warnings: list[Problem] | None = None, overrides: typing.Sequence[Override] = ()) -> Scenario:
    """Validate scenario text; ``file`` names it in messages, ``base_dir`` resolves relative paths (traces,
    ``extends``), ``warnings`` (if given) receives what is valid but probably not meant, ``overrides`` are laid
    over the merged keys before validation (a problem at an overridden key names ``--set``)."""
    data, lines, origins, problems = load_chain(text, file, base_dir or FsPath.cwd(), read_scenario_text,
                                               _resolve_traces)
    if data is None and not problems:
        raise ScenarioError([Problem(file, "", 1, "the file is empty; a scenario needs at least 'call_types' "
                                                  "(or 'clients') and 'agent_groups'")])
    if data is None:
        raise ScenarioError(problems)
    if not isinstance(data, dict):
        message = (f"the file {holds(data)}; a scenario must be a mapping of keys "
                   "(name:, run:, call_types:, agent_groups:, ...)")
        raise ScenarioError([*problems, Problem(file, "", 1, message)])
    nowhere = apply_overrides(data, overrides, file)
    if nowhere:
        raise ScenarioError([*problems, *nowhere])
    implied_name = "name" not in data
    data = {k: v for k, v in data.items() if not str(k).startswith("x-")}  # x-...: YAML anchors, ignored
    data.setdefault("name", FsPath(file).stem)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems += validation_problems(exc, file, lines, data, implied_name)
    else:
        problems += [Problem(file, format_path(path), line_of(lines, _locate(data, path)), message)
                     for path, message in check_references(scenario)]
    problems = [attributed(_in_origin(p, origins), overrides, file) for p in problems]
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: p.line or 0))
    if warnings is not None:
        warnings += [attributed(_in_origin(Problem(file, format_path(path), line_of(lines, _locate(data, path)),
                                                   message), origins), overrides, file)
                     for path, message in check_warnings(scenario)]
    return scenario


def _in_origin(problem: Problem, origins: dict[Path, str]) -> Problem:
    """Point a problem at the file (of an ``extends`` chain) that defined its key."""
    if not problem.path or len(set(origins.values())) < 2:
        return problem
    by_text = {format_path(p): f for p, f in origins.items()}
    text = problem.path
    while text and text not in by_text:  # nearest ancestor: drop the last '.key' or '[i]'
        text = text[:max(text.rfind("."), text.rfind("["), 0)]
    return Problem(by_text.get(text, problem.file), problem.path, problem.line, problem.message)


def _resolve_traces(data: dict[str, Any], base_dir: FsPath) -> None:
    """Make trace paths absolute, relative to the scenario file's folder."""
    clients = data.get("clients")
    groups = [c.get("call_types") for c in clients.values() if isinstance(c, dict)] \
        if isinstance(clients, dict) else [data.get("call_types")]
    for call_types in groups:
        for ct in (call_types or {}).values() if isinstance(call_types, dict) else []:
            arrivals = ct.get("arrivals") if isinstance(ct, dict) else None
            if isinstance(arrivals, dict) and isinstance(arrivals.get("trace"), str):
                arrivals["trace"] = str(beside(base_dir, arrivals["trace"]))


def _locate(data: Any, path: Path) -> Path:
    """Turn a name inside a YAML list into its index: ('agent_groups', 'a', 'skills', 'x') -> (..., 2)."""
    out: list[str | int] = []
    node = data
    for part in path:
        if isinstance(node, list) and part in node:
            part = node.index(part)
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def validation_problems(exc: ValidationError, file: str, lines: dict[Path, int], data: dict[str, Any],
                        implied_name: bool = False, root: type[BaseModel] = Scenario) -> list[Problem]:
    """pydantic's errors in validating ``data`` (read from ``file``, keys at ``lines``) as a ``root`` model, in
    the file's words, each with its key path and line."""
    out = []
    for err in exc.errors(include_url=False):
        path, parent, leaf = _yaml_path(err["loc"], root)
        details = dict(err)
        if err["type"] in _BOUNDS and "[key]" not in err["loc"]:
            details["input"] = _value_at(data, path, err.get("input"))  # '-1s' as written, not -1.0
        path, message = _describe(details, path, parent, leaf)
        if implied_name and path == ("name",):
            message += " (the name comes from the file name; add a 'name:' key to choose one)"
        out.append(Problem(file, format_path(path), line_of(lines, path), message))
    return out


def _value_at(data: Any, path: Path, default: Any) -> Any:
    """The value at ``path`` in the file's data, or ``default`` if there is none."""
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return default
    return data


def _describe(err: dict[str, Any], path: Path, parent: Any, leaf: Any) -> tuple[Path, str]:
    """The key path and the message for one pydantic error, in the file's words."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "extra_forbidden":
        return path, _unknown_key(str(path[-1]), _keys_of(parent))
    if kind == "missing":
        return path, "required key is missing" + _described(parent, path, " (", ")")
    if kind == "union_tag_invalid":
        tags = _quoted(ctx.get("expected_tags"))
        tag = str(ctx.get("tag"))
        return (*path, "dist"), f"unknown distribution '{tag}'{did_you_mean(tag, tags)}; " \
                                f"choose one of {', '.join(tags)}"
    if kind == "union_tag_not_found":
        return _tag_missing(path, value, leaf)
    if kind in ("value_error", "assertion_error"):
        error = ctx.get("error")
        if isinstance(error, ValueAtKey):
            return (*path, error.key), str(error)
        return path, str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in _BOUNDS or kind in _OVERSIZED:
        return path, _out_of_range(kind, value, ctx, _limits(parent, path, leaf))
    got = "none" if kind == "too_short" and not ctx.get("actual_length") else shown(value)
    if kind in ("enum", "literal_error"):
        got += did_you_mean(str(value), _quoted(ctx.get("expected")), "; ")
    about = _described(parent, path, "; ") if kind in ("dict_type", "list_type") else ""
    return path, f"{_expected(kind, err, ctx, parent, leaf, path)} (got {got}){about}"


def _expected(kind: str, err: dict[str, Any], ctx: dict[str, Any], parent: Any, leaf: Any, path: Path) -> str:
    """What the value should have been, e.g. 'must be > 0' or 'must be a whole number'."""
    if kind in _PLAIN:
        return _PLAIN[kind]
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if _is_distribution(leaf):
            return "must be a distribution such as {dist: exponential, mean: 3min}" \
                   + (" or 'none'" if path and path[-1] == "patience" else "")
        keys = _keys_of(leaf)
        return f"must be a mapping with keys such as {', '.join(keys[:4])}" if keys else "must be a mapping"
    if kind in ("enum", "literal_error"):
        return f"must be one of {', '.join(_quoted(ctx.get('expected')))}"
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length" if kind == "too_short" else "max_length")
        word = "entry" if bound == 1 else "entries"
        return f"must have at {'least' if kind == 'too_short' else 'most'} {bound} {word}"
    if kind in ("string_too_short", "string_too_long"):
        bound = ctx.get("min_length" if kind == "string_too_short" else "max_length")
        word = "character" if bound == 1 else "characters"
        return f"must have at {'least' if kind == 'string_too_short' else 'most'} {bound} {word}"
    if kind == "string_pattern_mismatch":
        if str(ctx.get("pattern")) == _name_pattern():
            return ("must be a name of letters, digits, '_', '.' and '-' "
                    "(no spaces; it cannot start with '.' or '-')")
        return f"must match the pattern {ctx.get('pattern')}"
    return str(err["msg"]).replace("Input should be", "must be")


def _out_of_range(kind: str, value: Any, ctx: dict[str, Any], limits: dict[str, Any]) -> str:
    """'must be > 0 (got -5)' for a number past one bound; for inf, nan or a whole number too big to hold, the
    whole range: 'must be a finite number > 0 and <= 1e+06 (got inf)'. A duration (written as text) shows its
    bounds as durations: 'must be <= 3660d (got '10000d')'."""
    duration = isinstance(value, str)
    if kind in _BOUNDS and not (isinstance(value, float) and not math.isfinite(value)):
        key, sign = _BOUNDS[kind]
        return f"must be {sign} {_bound(ctx.get(key), duration)} (got {shown(value)})"
    bounds = " and ".join(f"{sign} {_bound(limits[key], duration)}" for key, sign in _BOUNDS.values() if key in limits)
    number = "finite number" if kind in _BOUNDS else "whole number"
    return f"must be a {number} {bounds} (got {shown(value)})" if bounds else f"must be a {number} (got {shown(value)})"


def _bound(bound: Any, duration: bool) -> str:
    """A bound as a message shows it: 1e+06, 100000, or (of a duration) 3660d."""
    if duration and isinstance(bound, int | float) and bound:
        return format_duration(bound)
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


def _limits(parent: Any, path: Path, leaf: Any) -> dict[str, Any]:
    """The bounds ({'gt': 0, 'le': 1e6}) of the number at ``path``, from its field and its annotated type."""
    field = _field(parent, path[-1]) if path else None
    metadata = list(field.metadata) if field is not None else []
    members = typing.get_args(leaf) if typing.get_origin(leaf) in (typing.Union, types.UnionType) else (leaf,)
    metadata += [m for member in members if typing.get_origin(member) is typing.Annotated
                 for m in typing.get_args(member)[1:]]
    limits: dict[str, Any] = {}
    for item in metadata:
        for inner in getattr(item, "metadata", [item]):  # a FieldInfo holds its bounds in its own metadata
            limits.update({key: getattr(inner, key) for key, _ in _BOUNDS.values()
                           if getattr(inner, key, None) is not None})
    return limits


def _tag_missing(path: Path, value: Any, leaf: Any) -> tuple[Path, str]:
    """A distribution mapping without ``dist``: point at a misspelt key if there is one."""
    tags = _dist_tags(leaf)
    choose = f"'dist' names the distribution: {', '.join(tags)}"
    if isinstance(value, dict):
        for key in value:
            if str(key) != "dist" and suggest(str(key), ["dist"]):
                return (*path, str(key)), f"unknown key '{key}' (did you mean 'dist'?); {choose}"
    return (*path, "dist"), f"required key is missing; {choose}"


def _unknown_key(key: str, known: list[str]) -> str:
    hint = did_you_mean(key, known)
    if not hint and known:
        hint = f"; allowed here: {', '.join(known)}"
    return f"unknown key '{key}'{hint}"


def _quoted(text: Any) -> list[str]:
    """"'a', 'b' or 'c'" -> ['a', 'b', 'c'] (pydantic's lists of expected values)."""
    return re.findall(r"'([^']*)'", str(text or ""))


def _described(parent: Any, path: Path, before: str, after: str = "") -> str:
    """The description of the key at the end of ``path`` (what it means) between ``before`` and ``after``."""
    info = _field(parent, path[-1]) if path else None
    return f"{before}{info.description}{after}" if info is not None and info.description else ""


def _name_pattern() -> str:
    return next((str(m.pattern) for m in _NAME_PATTERN if getattr(m, "pattern", None)), "")


def _yaml_path(loc: tuple[Any, ...], root: type[BaseModel]) -> tuple[Path, Any, Any]:
    """Strip pydantic's union tags and '[key]' markers.

    Return the YAML path, the type holding its last key and the type of the value at the path.
    """
    tp: Any = root
    parent: Any = root
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
    return tuple(path), parent, tp


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _union_members(tp: Any) -> tuple[Any, ...]:
    tp = _unwrap(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return tuple(_unwrap(a) for a in typing.get_args(tp))
    return ()


def _models(tp: Any) -> list[type[BaseModel]]:
    """The pydantic models a (possibly annotated, possibly union) type can be, in order."""
    members = _union_members(tp)
    if members:
        return [m for member in members for m in _models(member)]
    tp = _unwrap(tp)
    return [tp] if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _dist_tags(tp: Any) -> list[str]:
    return [str(t) for m in _models(tp) if "dist" in m.model_fields
            for t in typing.get_args(m.model_fields["dist"].annotation)]


def _is_distribution(tp: Any) -> bool:
    return bool(_dist_tags(tp))


def _tagged_member(tp: Any, part: Any) -> Any:
    """The member of a discriminated union whose ``dist`` literal equals ``part``, if any."""
    for member in _models(tp) if _union_members(tp) else []:
        if "dist" in member.model_fields and part in typing.get_args(member.model_fields["dist"].annotation):
            return member
    return None


def _field(tp: Any, key: Any) -> FieldInfo | None:
    for model in _models(tp)[:1]:
        for name, field in model.model_fields.items():
            if key in (name, field.alias):
                return field
    return None


def _child(tp: Any, part: Any) -> Any:
    members = _union_members(tp)
    if members:
        tp = next((m for m in members if m is not type(None)), tp)
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = _field(tp, part)
        return field.annotation if field is not None else None
    args = typing.get_args(tp)
    if typing.get_origin(tp) is dict:
        return args[1]
    if typing.get_origin(tp) is list:
        return args[0]
    return None


def _keys_of(tp: Any) -> list[str]:
    keys: list[str] = []
    for m in _models(tp):
        keys += [f.alias or n for n, f in m.model_fields.items() if (f.alias or n) not in keys]
    return keys
