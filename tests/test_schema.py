"""The JSON Schema for editors comes from the validating definitions, is committed, and accepts every scenario."""

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from sim.scenario.extends import load_chain
from sim.scenario.loader import scenario_json_schema

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "benchmarks").glob("*.yaml"))


def test_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "ccsim.schema.json").read_text(encoding="utf-8"))
    assert committed == scenario_json_schema(), "regenerate it: ccsim schema > ccsim.schema.json"


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(scenario_json_schema())


def _merged(path: Path) -> dict[str, Any]:
    """The file's data with the files it extends merged in (what the schema describes)."""
    data, _, _, problems = load_chain(path.read_text(encoding="utf-8"), str(path), path.parent,
                                      lambda p: p.read_text(encoding="utf-8"), lambda data, folder: None)
    assert not problems
    return data


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_bundled_scenarios_match_schema(path: Path) -> None:
    jsonschema.validate(_merged(path), scenario_json_schema())


def test_schema_rejects_unknown_key_and_bare_duration() -> None:
    data = yaml.safe_load((ROOT / "benchmarks" / "w1.yaml").read_text(encoding="utf-8"))
    data["call_types"]["only"]["handle_time"]["cvv"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, scenario_json_schema())
    data = yaml.safe_load((ROOT / "benchmarks" / "w1.yaml").read_text(encoding="utf-8"))
    data["call_types"]["only"]["handle_time"]["mean"] = 300
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, scenario_json_schema())


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_scenario_files_as_written_match_schema(path: Path) -> None:
    """What an editor checks: the file itself, ``extends`` and partial overrides included."""
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), scenario_json_schema())


def test_extending_file_is_checked_key_by_key() -> None:
    schema = scenario_json_schema()
    ok = {"extends": "inhouse.yaml", "run": {"days": 3}, "agent_groups": {"service_team": None},
          "call_types": {"service": {"handle_time": {"mean": "5min"}}}}
    jsonschema.validate(ok, schema)
    for bad in ({"extends": 3}, {"extends": "inhouse.yaml", "run": {"dayz": 3}},
                {"extends": "inhouse.yaml", "call_types": {"service": {"handle_time": {"mean": 300}}}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    with pytest.raises(jsonschema.ValidationError):  # without extends a file must be whole
        jsonschema.validate({"run": {"days": 3}}, schema)
