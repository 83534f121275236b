"""``--set KEY.PATH=VALUE`` on ``run`` and ``compare``: laid over the file after ``extends`` and before validation,
the same numbers as a file holding the value, errors naming --set and the key path (exit 2), recorded in run.json."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.experiment import run
from sim.cli.app import main
from sim.errors import CcsimError, ScenarioError
from sim.scenario.loader import load_scenario
from sim.scenario.overrides import parse_override, parse_path

BASE = """
name: base
run: {days: 1, replications: 2, seed: 7}
call_types:
  a:
    arrivals: {rate_per_hour: 120}
    handle_time: {dist: exponential, mean: 180s}
    patience: {dist: exponential, mean: 100s}
agent_groups:
  team:
    skills: [a]
    cost_per_hour: 30
    shifts: [{start: "00:00", end: "12:00", agents: 7}, {start: "12:00", end: "24:00", agents: 8}]
"""


@pytest.fixture()
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nname: child\n", encoding="utf-8")
    return tmp_path


def _set(*texts: str) -> list:
    return [parse_override(t) for t in texts]


def test_key_paths_and_values_parse_as_in_messages() -> None:
    assert parse_path("agent_groups.team.shifts[1].agents") == ("agent_groups", "team", "shifts", 1, "agents")
    o = parse_override("call_types.a.patience={dist: exponential, mean: 3min}")
    assert o.value == {"dist": "exponential", "mean": "3min"} and o.scenario is None
    assert parse_override("run.volume_factor=1.10").value == 1.1
    assert parse_override("opening_hours.mon-fri=08:00-20:00").value == "08:00-20:00"
    assert parse_override("hybrid:sites.bpo.contract.per_minute=0.55").scenario == "hybrid"
    for bad in ("run.volume_factor", "=1", "a..b=1", "[0].a=1", "run.seed=[1"):
        with pytest.raises(CcsimError, match="--set"):
            parse_override(bad)


def test_override_equals_the_value_written_in_the_file(files: Path) -> None:
    """After extends, before validation: the overridden child runs exactly like a file holding the values."""
    changed = load_scenario(files / "child.yaml", overrides=_set("agent_groups.team.shifts[1].agents=9",
                                                                 "run.volume_factor=1.1"))
    written = files / "written.yaml"
    written.write_text(BASE.replace("name: base", "name: child").replace("agents: 8}", "agents: 9}")
                       .replace("seed: 7}", "seed: 7, volume_factor: 1.1}"), encoding="utf-8")
    a, b = run(changed, workers=1), run(load_scenario(written), workers=1)
    assert changed.agent_groups["team"].shifts[1].agents == 9
    for fa, fb in zip(a.facts, b.facts, strict=True):
        assert (fa.calls == fb.calls).all() and (fa.groups == fb.groups).all()


def test_null_removes_a_key(files: Path) -> None:
    assert load_scenario(files / "base.yaml", overrides=_set("run.seed=null")).run.seed == 1  # the default
    with pytest.raises(ScenarioError, match="call_types.a: give .handle_time."):
        load_scenario(files / "base.yaml", overrides=_set("call_types.a.handle_time=null"))


@pytest.mark.parametrize(("text", "message"), [
    ("run.volume_factr=1.1", "base.yaml --set run.volume_factr: unknown key 'volume_factr' (did you mean "
                             "'volume_factor'?)"),
    ("run.volume_factor=-1", "base.yaml --set run.volume_factor: must be > 0 (got -1)"),
    ("run.volume_factor=abc", "base.yaml --set run.volume_factor: must be a number (got 'abc')"),
    ("call_types.b.arrivals.rate_per_hour=3", "base.yaml --set call_types.b.arrivals.rate_per_hour: there is no "
                                              "'b' in call_types; it has a"),
    ("agent_groups.team.shifts[2].agents=3", "agent_groups.team.shifts has 2 entries ([0] to [1]); there is no [2]"),
    ("run.seed.x=1", "run.seed is 7, not a mapping or a list"),
    ("call_types.a.handle_time={dist: gamma, mean: 3min}", "base.yaml --set call_types.a.handle_time.cv: required "
                                                           "key is missing"),
])
def test_bad_overrides_name_the_option_and_the_key_path(files: Path, text: str, message: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "base.yaml", "--set", text, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not Path("results").exists()


def test_run_records_the_overrides(files: Path) -> None:
    assert main(["run", "base.yaml", "--set", "run.volume_factor=1.2", "--set", "agent_groups.team.shifts[0].agents=8",
                 "--quiet"]) == 0
    info = json.loads(Path("results/base/run.json").read_text())
    assert info["overrides"] == ["run.volume_factor=1.2", "agent_groups.team.shifts[0].agents=8"]
    summary = json.loads(Path("results/base/summary.json").read_text())
    assert summary["run"]["overrides"] == info["overrides"]


def test_compare_sets_every_scenario_or_the_named_one(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "base.yaml", "child.yaml", "--set", "run.volume_factor=1.2",
                 "--set", "child:agent_groups.team.shifts[0].agents=9", "--quiet", "--out", "cmp", "--report"]) == 0
    report = Path("cmp/report.html").read_text()
    assert "agent_groups.team.shifts" in report and "volume_factor" not in report  # What differs: only child's
    assert json.loads(Path("results/base/run.json").read_text())["overrides"] == ["run.volume_factor=1.2"]
    assert json.loads(Path("results/child/run.json").read_text())["overrides"] == [
        "run.volume_factor=1.2", "child:agent_groups.team.shifts[0].agents=9"]
    assert len(json.loads(Path("cmp/run.json").read_text())["overrides"]) == 2
    assert main(["compare", "base.yaml", "child.yaml", "--set", "chidl:run.seed=1", "--quiet"]) == 2
    assert "there is no scenario 'chidl' (did you mean 'child'?)" in capsys.readouterr().err


BUNDLED = Path(__file__).resolve().parents[1] / "scenarios" / "hybrid.yaml"
_KEYS = ["run.volume_factor", "run.days", "lines", "call_types.service.patience", "call_types.service.arrivals",
         "call_types.service.arrivals.day_of_week.mon", "agent_groups.service_team.staffing[0].agents[2]",
         "agent_groups.service_team.staffing[9]", "sites.bpo_day.contract.per_minute", "sites.bpo_day.contract",
         "sites.nowhere.kind", "opening_hours.sat", "run.seed.x", "x-anchor", "name"]


@settings(max_examples=60, derandomize=True, deadline=None)
@given(key=st.sampled_from(_KEYS) | st.text(min_size=1, max_size=20),
       value=st.sampled_from(["1", "-1", "0", "1e999", ".nan", "abc", "[1, 2]", "{a: 1}", "null", "5min", "''",
                              "[", "{dist: gamma}", "true", "08:00", "\x0c"]))
def test_any_override_validates_or_fails_cleanly(key: str, value: str) -> None:
    """Whatever the key path and value, --set gives a scenario or a CcsimError (exit 2), never another error."""
    try:
        load_scenario(BUNDLED, overrides=_set(f"{key}={value}"))
    except CcsimError as exc:
        assert str(exc)
