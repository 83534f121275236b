"""Every number of a scenario is finite and within a stated range (issue: numbers that overflow): 1e999, .inf and
.nan are refused with one message naming the range, and no numeric field of the schema is left without bounds."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import annotated_types
import pytest
from pydantic import BaseModel
from test_bad_input import GOOD, edit, line, only

from sim.cli.app import main
from sim.scenario.hours import Windows
from sim.scenario.loader import scenario_json_schema
from sim.scenario.schema import Scenario

# --- the examples --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "path", "message"), [
    ("rate_per_hour: 60", "rate_per_hour: 1e999", "call_types.billing.arrivals.rate_per_hour",
     "must be a finite number > 0 and <= 1e+06 (got inf)"),
    ("  days: 1", "  days: 1\n  volume_factor: 1e999", "run.volume_factor",
     "must be a finite number > 0 and <= 1000 (got inf)"),
    ("    skills: [billing, sales]", "    skills: [billing, sales]\n    cost_per_hour: 1e999",
     "agent_groups.team.cost_per_hour", "must be a finite number >= 0 and <= 1e+09 (got inf)"),
])
def test_cli_refuses_overflowing_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str], old: str, new: str, path: str,
                                         message: str) -> None:
    monkeypatch.chdir(tmp_path)
    text = edit(old, new)
    Path("x.yaml").write_text(text, encoding="utf-8")
    assert main(["validate", "x.yaml"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"x.yaml:{line(text, '1e999')} {path}: {message}"]


@pytest.mark.parametrize(("value", "message"), [
    (".inf", "must be a finite number > 0 and <= 1e+06 (got inf)"),
    ("-.inf", "must be a finite number > 0 and <= 1e+06 (got -inf)"),
    (".nan", "must be a finite number > 0 and <= 1e+06 (got nan)"),
    ("+.INF", "must be a finite number > 0 and <= 1e+06 (got inf)"),
    ("-1e999", "must be a finite number > 0 and <= 1e+06 (got -inf)"),
    ("2e6", "must be <= 1e+06 (got 2000000.0)"),
])
def test_non_finite_or_huge_rate_gives_one_message(tmp_path: Path, value: str, message: str) -> None:
    text = edit("rate_per_hour: 60", f"rate_per_hour: {value}")
    p = only(tmp_path, text)
    assert (p.line, p.path, p.message) == (line(text, value), "call_types.billing.arrivals.rate_per_hour", message)


@pytest.mark.parametrize(("value", "message"), [
    ("200000", "must be <= 100000 (got 200000)"),
    ("1e300", "must be a whole number >= 1 and <= 100000 (got 1e+300)"),
    (".nan", "must be a whole number >= 1 and <= 100000 (got nan)"),
])
def test_too_many_agents(tmp_path: Path, value: str, message: str) -> None:
    text = edit("        agents: 5", f"        agents: {value}")
    p = only(tmp_path, text)
    assert (p.line, p.path, p.message) == (line(text, value), "agent_groups.team.shifts[0].agents", message)


@pytest.mark.parametrize(("value", "message"), [
    ("10000d", "must be <= 3660d (got '10000d')"),
    ("1e400s", "a duration must be finite (got '1e400s')"),
])
def test_too_long_a_duration(tmp_path: Path, value: str, message: str) -> None:
    text = edit("      mean: 2min", f"      mean: {value}")
    p = only(tmp_path, text)
    assert (p.line, p.path, p.message) == (line(text, value), "call_types.billing.patience.mean", message)


@pytest.mark.parametrize(("old", "new", "path", "message"), [
    ("[0.25, 0.25, 0.25, 0.25]", "[0.25, .nan, 0.25, 0.25]", "call_types.sales.arrivals.profile.shares[1]",
     "must be a finite number >= 0 and <= 1 (got nan)"),
    ("[0.25, 0.25, 0.25, 0.25]", "[0.5, -0.25, 0.5, 0.25]", "call_types.sales.arrivals.profile.shares[1]",
     "must be >= 0 (got -0.25)"),
    ("skills: [billing, sales]", "skills: {billing: 1, sales: 1e999}", "agent_groups.team.skills.sales",
     "must be a whole number >= 1 and <= 1000 (got inf)"),
    ("skills: [billing, sales]", "skills: {billing: 1, sales: 0}", "agent_groups.team.skills.sales",
     "must be >= 1 (got 0)"),
])
def test_numbers_inside_lists_and_mappings(tmp_path: Path, old: str, new: str, path: str, message: str) -> None:
    p = only(tmp_path, edit(old, new))
    assert (p.path, p.message) == (path, message)


def test_a_price_above_a_billion(tmp_path: Path) -> None:
    text = GOOD + "sites:\n  own: {kind: in_house}\n  bpo:\n    kind: partner\n    contract: {per_call: 2e9}\n"
    p = only(tmp_path, text)
    assert (p.line, p.path, p.message) == (line(text, "2e9"), "sites.bpo.contract.per_call",
                                           "must be <= 1e+09 (got 2000000000.0)")


# --- no number is left without a range -------------------------------------------------------------------------


def _bounds(metadata: list[Any]) -> list[str]:
    """The kinds of bound ('gt', 'le', ...) in pydantic field metadata, FieldInfos unpacked."""
    kinds = []
    for item in metadata:
        for inner in getattr(item, "metadata", [item]):
            if isinstance(inner, annotated_types.Gt | annotated_types.Ge | annotated_types.Lt | annotated_types.Le):
                kinds += [k for k in ("gt", "ge", "lt", "le") if getattr(inner, k, None) is not None]
    return kinds


def _numbers(tp: Any, metadata: list[Any], where: str, seen: set[type]) -> Iterator[tuple[str, list[str]]]:
    """Every int or float the type ``tp`` can hold, as (where, kinds of bound that apply to it)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        yield from _numbers(args[0], [*metadata, *args[1:]], where, seen)
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            yield from _numbers(arg, metadata, where, seen)
    elif origin is list:
        yield from _numbers(args[0], [], f"{where}[]", seen)
    elif origin is dict:
        yield from _numbers(args[1], [], f"{where}{{}}", seen)
    elif tp in (int, float):
        yield where, _bounds(metadata)
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp not in seen:
            seen.add(tp)
            for name, field in tp.model_fields.items():
                yield from _numbers(field.annotation, list(field.metadata), f"{tp.__name__}.{name}", seen)
    else:  # text, true/false, enums, literals, and opening hours (clock times, bounded by parse_hours)
        assert tp in (str, bool, type(None), Windows) or origin is typing.Literal \
            or (isinstance(tp, type) and issubclass(tp, str)), f"{where}: unexpected type {tp}"


NUMBERS = list(_numbers(Scenario, [], "Scenario", set()))


def test_the_walk_finds_the_numbers() -> None:
    found = {where for where, _ in NUMBERS}
    assert {"Arrivals.rate_per_hour", "RunSettings.volume_factor", "AgentGroup.cost_per_hour", "Profile.shares[]",
            "Contract.per_hour", "Exponential.mean_", "StaffingTable.agents[]", "AgentGroup.skills{}"} <= found
    assert len(found) > 60


@pytest.mark.parametrize(("where", "kinds"), NUMBERS, ids=[w for w, _ in NUMBERS])
def test_every_number_has_a_lower_and_an_upper_bound(where: str, kinds: list[str]) -> None:
    assert {"gt", "ge"} & set(kinds), f"{where} has no lower bound"
    assert {"lt", "le"} & set(kinds), f"{where} has no upper bound: 1e999 would pass"
    assert len(kinds) == len(set(kinds)), f"{where}: a bound set twice; pydantic keeps the type's, not the field's"


def _json_numbers(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") in ("number", "integer"):
            yield where, node
        for key, value in node.items():
            yield from _json_numbers(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _json_numbers(value, f"{where}/{i}")


def test_every_number_of_the_json_schema_is_bounded() -> None:
    found = list(_json_numbers(scenario_json_schema()))
    assert len(found) > 40
    for where, node in found:
        assert {"minimum", "exclusiveMinimum"} & set(node), f"{where} has no minimum"
        assert {"maximum", "exclusiveMaximum"} & set(node), f"{where} has no maximum"
