"""The scenario loader's parts: the safe YAML reader with key lines, key paths, suggestions and wording."""

from __future__ import annotations

import math

import pytest
import yaml

from sim.errors import Problem, ScenarioError, ValueAtKey, did_you_mean, suggest
from sim.scenario.loader import parse_scenario
from sim.scenario.yamlmap import Path, ScenarioLoader, format_path, line_of, load_yaml

MINIMAL = """\
name: mini
call_types:
  calls:
    arrivals: {rate_per_hour: 30}
    handle_time: {dist: exponential, mean: 3min}
    patience: none
agent_groups:
  all: {skills: [calls], agents: 2}
"""


def test_loader_is_a_safe_loader() -> None:
    assert issubclass(ScenarioLoader, yaml.SafeLoader)
    assert not issubclass(ScenarioLoader, yaml.UnsafeLoader | yaml.FullLoader)


def test_lines_of_every_key_and_item() -> None:
    text = "a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\ne: [1, 2]\n"
    data, lines, problems = load_yaml(text, "f.yaml")
    assert data == {"a": {"b": 1, "c": ["x", {"d": 2}]}, "e": [1, 2]}
    assert problems == []
    assert lines[("a",)] == 1 and lines[("a", "b")] == 2 and lines[("a", "c")] == 3
    assert lines[("a", "c", 0)] == 4 and lines[("a", "c", 1)] == 5 and lines[("a", "c", 1, "d")] == 5
    assert lines[("e",)] == 6


def test_line_of_falls_back_to_the_nearest_ancestor() -> None:
    lines: dict[Path, int] = {(): 1, ("a",): 3, ("a", "b"): 4}
    assert line_of(lines, ("a", "b", "missing")) == 4
    assert line_of(lines, ("z",)) == 1
    assert line_of({}, ("z",)) is None


def test_format_path() -> None:
    assert format_path(("clients", "acme", "shifts", 0, "end")) == "clients.acme.shifts[0].end"
    assert format_path(()) == ""
    assert format_path(("a", 0, 1)) == "a[0][1]"


@pytest.mark.parametrize(("text", "value"), [
    ("v: 16:30", "16:30"), ("v: 8:30", "8:30"), ("v: yes", "yes"), ("v: no", "no"), ("v: on", "on"),
    ("v: true", True), ("v: False", False), ("v: 010", "010"), ("v: 12", 12), ("v: -3", -3),
    ("v: 1_000", 1000),
    ("v: 0x1f", 31), ("v: 2.5", 2.5), ("v: .5", 0.5), ("v: 1e3", 1000.0), ("v: -1.5e-2", -0.015),
    ("v: 5min", "5min"), ("v: ~", None), ("v:", None), ("v: null", None),
])
def test_scalars_are_typed_like_yaml_1_2(text: str, value: object) -> None:
    data, _, problems = load_yaml(text, "f.yaml")
    assert problems == []
    assert data["v"] == value and type(data["v"]) is type(value)


def test_keys_stay_text_as_written() -> None:
    data, lines, _ = load_yaml("on: 1\nno: 2\n1: 3\nnull: 4\n", "f.yaml")
    assert data == {"on": 1, "no": 2, "1": 3, "null": 4}
    assert lines[("no",)] == 2


def test_complex_key_is_refused() -> None:
    data, _, problems = load_yaml("? [a, b]\n: 1\n", "f.yaml")
    assert data is None
    assert problems == [Problem("f.yaml", "", 1,
                                "YAML error: a key must be plain text, not a list or a mapping")]


def test_anchors_aliases_and_merge_keys() -> None:
    text = "base: &b {mean: 3min, dist: exponential}\nother: *b\nmerged:\n  <<: *b\n  mean: 4min\n"
    data, lines, problems = load_yaml(text, "f.yaml")
    assert problems == []  # an explicit key after a merge is not a duplicate
    assert data["other"] == data["base"]
    assert data["merged"] == {"mean": "4min", "dist": "exponential"}
    assert lines[("other",)] == 2 and lines[("merged", "mean")] == 5


def test_duplicate_keys_are_all_found() -> None:
    text = "a: 1\nb:\n  c: 1\n  c: 2\na: 3\n"
    data, _, problems = load_yaml(text, "f.yaml")
    assert data == {"a": 3, "b": {"c": 2}}
    assert [(p.path, p.line) for p in problems] == [("b.c", 4), ("a", 5)]
    assert problems[1].message.startswith("duplicate key 'a' (first given on line 1)")


@pytest.mark.parametrize("value", [".inf", "-.inf", ".NaN", "+.INF", "1e999"])
def test_non_finite_numbers_are_left_to_the_schema(value: str) -> None:
    """Every number field has a range (tests/test_number_ranges.py): one message there, none here."""
    data, _, problems = load_yaml(f"x:\n  y: [1, {value}]\n", "f.yaml")
    assert problems == [] and not math.isfinite(data["x"]["y"][1])


def test_tags_that_build_objects_are_refused_at_their_key() -> None:
    data, _, problems = load_yaml("a:\n  b: !!python/object/apply:os.system [ls]\n", "f.yaml")
    assert data is None
    assert [(p.path, p.line) for p in problems] == [("a.b", 2)]
    assert "'!!python/object/apply:os.system' is not allowed" in problems[0].message


def test_second_document_is_a_syntax_error() -> None:
    _, _, problems = load_yaml("a: 1\n---\nb: 2\n", "f.yaml")
    assert problems[0].line == 2
    assert "remove the second '---'" in problems[0].message


def test_suggest() -> None:
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert suggest("Monday", days) == "mon"
    assert suggest("THU", days) == "thu"
    assert suggest("thursday", days) == "thu"
    assert suggest("cvv", ["dist", "mean", "cv"]) == "cv"
    assert suggest("zebra", days) is None
    assert did_you_mean("replicatons", ["replications", "seed"]) == " (did you mean 'replications'?)"
    assert did_you_mean("x", ["replications"]) == ""
    assert did_you_mean("tue", ["Tue"], "; ") == "; did you mean 'Tue'?"


def test_problem_text() -> None:
    assert str(Problem("x.yaml", "a.b", 4, "must be > 0 (got -3)")) == "x.yaml:4 a.b: must be > 0 (got -3)"
    assert str(Problem("x.yaml", "", None, "file not found")) == "x.yaml: file not found"
    error = ScenarioError([Problem("x.yaml", "a", 1, "one"), Problem("x.yaml", "b", 2, "two")])
    assert str(error) == "x.yaml:1 a: one\nx.yaml:2 b: two"
    assert isinstance(ValueAtKey("end", "too late"), ValueError) and ValueAtKey("end", "m").key == "end"


def test_parse_scenario_from_text() -> None:
    scenario = parse_scenario(MINIMAL, "mini.yaml")
    assert scenario.name == "mini"
    assert scenario.call_types is not None and scenario.call_types["calls"].handle_time is not None
    assert scenario.call_types["calls"].handle_time.mean == 180.0


def test_name_defaults_to_the_file_stem() -> None:
    scenario = parse_scenario(MINIMAL.replace("name: mini\n", ""), "scenarios/night-pool.yaml")
    assert scenario.name == "night-pool"


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "s.yaml")
    return list(info.value.problems)


@pytest.mark.parametrize("key", ["talk_time", "wrap_up", "ivr_time"])
def test_did_you_mean_in_every_distribution_field(key: str) -> None:
    given = f"    {key}: {{dist: gamma, mean: 1min, cvs: 1}}"
    text = MINIMAL.replace("    patience: none\n", f"    patience: none\n{given}\n")
    if key != "ivr_time":
        text = text.replace("    handle_time: {dist: exponential, mean: 3min}\n", "")
    paths = {p.path: p for p in problems_of(text)}
    typo = paths[f"call_types.calls.{key}.cvs"]
    line = text.splitlines().index(given) + 1
    assert (typo.line, typo.message) == (line, "unknown key 'cvs' (did you mean 'cv'?)")


def test_did_you_mean_in_the_ivr_block() -> None:
    found = problems_of(MINIMAL + "ivr:\n  time: {dist: deterministic, valu: 20s}\n")
    assert [(p.path, p.line, p.message) for p in found] == [
        ("ivr.time.value", 10, "required key is missing"),
        ("ivr.time.valu", 10, "unknown key 'valu' (did you mean 'value'?)"),
    ]


def test_did_you_mean_for_keys_of_a_client_and_a_group() -> None:
    text = """\
name: pool
clients:
  acme:
    description: A
    calltypes:
      calls: {arrivals: {rate_per_hour: 1}, handle_time: {dist: exponential, mean: 3min}, patience: none}
agent_groups:
  all: {skills: [calls], agent: 2}
"""
    assert [(p.path, p.line, p.message) for p in problems_of(text)] == [  # a client may have no call types
        ("clients.acme.calltypes", 5, "unknown key 'calltypes' (did you mean 'call_types'?)"),
        ("agent_groups.all.agent", 8, "unknown key 'agent' (did you mean 'agents'?)"),
    ]


def test_staffing_table_past_midnight_points_at_agents() -> None:
    text = MINIMAL.replace("  all: {skills: [calls], agents: 2}",
                           "  all:\n    skills: [calls]\n    staffing:\n      - start: \"23:00\"\n"
                           "        resolution: 1h\n        agents: [1, 2]\n")
    found = problems_of(text)
    assert [(p.path, p.line) for p in found] == [("agent_groups.all.staffing[0].agents", 13)]
    assert found[0].message.startswith("the staffing table runs past midnight")


def test_day_of_week_missing_days() -> None:
    text = MINIMAL.replace("{rate_per_hour: 30}",
                           "\n      rate_per_hour: 30\n      day_of_week: {mon: 1, tue: 1}")
    found = problems_of(text)
    assert [(p.path, p.line) for p in found] == [("call_types.calls.arrivals.day_of_week", 6)]
    assert found[0].message == "needs all seven days; missing wed, thu, fri, sat, sun"


def test_skills_as_a_single_word() -> None:
    found = problems_of(MINIMAL.replace("skills: [calls]", "skills: calls"))
    assert [(p.path, p.line) for p in found] == [("agent_groups.all.skills", 8)]
    assert found[0].message.startswith("must be a mapping (got 'calls'); call types served;")


def test_empty_block_is_called_nothing() -> None:
    found = problems_of(MINIMAL + "service_level:\n")
    assert [(p.path, p.line, p.message) for p in found] == [
        ("service_level", 9,
         "must be a mapping with keys such as threshold, target, definition, short_abandon (got nothing)")]


def test_alias_bomb_is_refused_quickly() -> None:
    rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    rows += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
    data, _, problems = load_yaml("\n".join(rows) + "\n", "f.yaml")
    assert data is None
    assert [p.message for p in problems] == ["the aliases (*name) of this file expand to more than 1,000,000 "
                                             "values; write the scenario out plainly"]


def test_recursive_alias_is_a_plain_problem() -> None:
    found = problems_of(MINIMAL + "description: &d [*d]\n")
    assert [(p.path, p.line) for p in found] == [("description", 9)]
    assert found[0].message == "must be text (got a list)"
