"""``ccsim regress``: the comparison functions on hand-made numbers, then end to end through ``sim.cli.main``."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scipy import stats

from sim.cli.app import main
from sim.reports.regress import (
    ADDED,
    CHANGED,
    DIFFERS,
    NOISE,
    PASS,
    REMOVED,
    TOLERATED,
    RegressError,
    Stat,
    compare_exact,
    compare_statistical,
    holm,
    parse_tolerances,
    read_baseline,
    welch,
)

TINY = """\
name: {name}
call_types:
  a:
    arrivals: {{rate_per_hour: 300}}
    handle_time: {{dist: exponential, mean: 180s}}
    patience: {{dist: exponential, mean: 120s}}
agent_groups:
  team: {{skills: [a], agents: {agents}}}
run: {{days: 1, replications: 8, seed: 1}}
"""
SL = ("total", "all", "service_level")


def one(old: Stat, new: Stat, alpha: float = 0.01, tolerance: dict[str, float] | None = None) -> str:
    """The verdict of a single KPI compared on its own."""
    (line,) = compare_statistical({SL: old}, {SL: new}, alpha, tolerance or {})
    return line.verdict


# -- pure comparison ----------------------------------------------------------------------------------------


def test_significant_difference_is_changed_and_small_one_is_noise() -> None:
    old = Stat(0.90, 0.01, 8)
    assert one(old, Stat(0.85, 0.01, 8)) == CHANGED
    assert one(old, Stat(0.895, 0.01, 8)) == NOISE
    assert one(old, Stat(0.90, 0.01, 8)) == PASS


def test_welch_matches_the_textbook_formula() -> None:
    se, df, p = welch(Stat(10.0, 2.0, 8), Stat(13.0, 4.0, 5))
    s1, s2 = 2.0 / stats.t.ppf(0.975, 7), 4.0 / stats.t.ppf(0.975, 4)
    assert se == pytest.approx(math.hypot(s1, s2))
    assert df == pytest.approx((s1**2 + s2**2) ** 2 / (s1**4 / 7 + s2**4 / 4))
    assert p == pytest.approx(2 * stats.t.sf(3.0 / se, df))


def test_practical_tolerance_keeps_a_significant_but_small_change() -> None:
    old, new = Stat(0.90, 0.01, 8), Stat(0.85, 0.01, 8)
    assert one(old, new, tolerance={"service_level": 0.1}) == TOLERATED
    assert one(old, new, tolerance={"service_level": 0.01}) == CHANGED
    assert one(old, new, tolerance={"asa": 10.0}) == CHANGED  # a tolerance is per KPI


def test_holm_adjusted_p_values() -> None:
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([]) == []


def test_holm_correction_counts_every_kpi_compared() -> None:
    old, new = Stat(0.90, 0.01, 8), Stat(0.88, 0.01, 8)
    raw = welch(old, new)[2]
    assert 0.001 < raw < 0.01  # significant alone at alpha 0.01 ...
    assert one(old, new) == CHANGED
    others = {("call_type", f"t{i}", "asa"): Stat(5.0, 1.0, 8) for i in range(20)}
    lines = compare_statistical({SL: old, **others}, {SL: new, **others}, 0.01, {})
    sl = next(x for x in lines if x.key == SL)
    assert sl.p == pytest.approx(min(1.0, 21 * raw)) and sl.verdict == NOISE  # ... not among 21 KPIs


def test_noiseless_kpis_compare_exactly() -> None:
    key = ("group", "team", "agent_hours")
    (line,) = compare_statistical({key: Stat(432.0, 0.0, 8)}, {key: Stat(384.0, 0.0, 8)}, 0.01, {})
    assert line.verdict == CHANGED and math.isnan(line.p) and line.diff == -48.0
    (line,) = compare_statistical({key: Stat(432.0, 0.0, 8)}, {key: Stat(432.0, 0.0, 8)}, 0.01, {})
    assert line.verdict == PASS


def test_undefined_values_and_missing_kpis() -> None:
    nan = math.nan
    assert one(Stat(nan, nan, 8), Stat(nan, nan, 8)) == PASS
    assert one(Stat(5.0, 1.0, 8), Stat(nan, nan, 8)) == CHANGED
    a, b = ("call_type", "a", "asa"), ("call_type", "b", "asa")
    lines = compare_statistical({a: Stat(1.0, 0.1, 8)}, {b: Stat(1.0, 0.1, 8)}, 0.01, {})
    assert [(x.key, x.verdict) for x in lines] == [(a, REMOVED), (b, ADDED)]


def test_exact_compare_uses_a_relative_tolerance_on_mean_and_half_width() -> None:
    def verdict(new: Stat) -> str:
        return compare_exact({SL: Stat(0.9, 0.01, 8)}, {SL: new}, 1e-9)[0].verdict

    assert verdict(Stat(0.9 * (1 + 1e-12), 0.01, 8)) == PASS
    assert verdict(Stat(0.9 * (1 + 1e-6), 0.01, 8)) == CHANGED
    assert verdict(Stat(0.9, 0.011, 8)) == CHANGED


def test_tolerance_option_parsing() -> None:
    assert parse_tolerances(["asa=2", "service_level=0.01"]) == {"asa": 2.0, "service_level": 0.01}
    for bad in ("asa", "wait=2", "asa=fast", "asa=-1"):
        with pytest.raises(RegressError):
            parse_tolerances([bad])


# -- end to end ---------------------------------------------------------------------------------------------


def scenario(folder: Path, agents: int = 18, name: str = "tiny") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(TINY.format(name=name, agents=agents), encoding="utf-8")
    return path


def regress(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = main(["regress", *map(str, args), "--workers", "1"])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A baseline of the tiny scenario (18 agents, seed 1), built once."""
    root = tmp_path_factory.mktemp("baseline")
    assert main(["regress", str(scenario(root / "s")), "--baseline", str(root / "b"), "--update"]) == 0
    return root / "b"


def test_update_writes_a_small_readable_baseline_then_regress_passes(
        baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (baseline / "tiny.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert {"scenario", "scenario_sha256", "seed", "replications", "days", "versions", "kpis"} <= doc.keys()
    assert doc["versions"]["numpy"] and doc["versions"]["python"] and doc["replications"] == 8
    assert doc["kpis"]["total"]["all"]["service_level"]["n"] == 8
    assert set(doc["kpis"]) == {"total", "client", "call_type", "group"}
    assert '"service_level": {"half_width": ' in text  # one line per KPI
    assert len(text.splitlines()) < 80
    assert read_baseline(baseline / "tiny.json") == doc
    code, out = regress(capsys, scenario(tmp_path), "--baseline", baseline)
    assert code == 0, out
    assert "tiny: ok" in out and "alpha=0.01" in out


def test_fewer_agents_is_a_regression(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = regress(capsys, scenario(tmp_path, agents=16), "--baseline", baseline, "--seed", "2")
    assert code == 1, out
    changed = [line.split() for line in out.splitlines() if line.endswith(CHANGED)]
    assert ["tiny", "total", "all", "service_level"] in [x[:4] for x in changed]
    assert ["tiny", "group", "team", "agent_hours"] in [x[:4] for x in changed]
    assert "tiny: FAIL" in out and "scenario file changed" in out


def test_unchanged_scenario_with_another_seed_passes(
        baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = regress(capsys, scenario(tmp_path), "--baseline", baseline, "--seed", "7", "--verbose")
    assert code == 0, out
    assert NOISE in out and "seed 1 -> 7" in out


def test_exact_mode_catches_one_agent_less(baseline: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out = regress(capsys, scenario(tmp_path), "--baseline", baseline, "--exact")
    assert code == 0, out
    code, out = regress(capsys, scenario(tmp_path, agents=17), "--baseline", baseline, "--exact")
    assert code == 1, out
    assert "agent_hours" in out and "relative tolerance 1e-09" in out


def test_exact_mode_refuses_other_run_settings(baseline: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out = regress(capsys, scenario(tmp_path), "--baseline", baseline, "--exact", "--replications", "4")
    assert code == 2
    assert "replications 8 -> 4" in out


def test_environment_change_is_reported_not_failed(baseline: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads((baseline / "tiny.json").read_text(encoding="utf-8"))
    current = doc["versions"]["numpy"]
    doc["versions"]["numpy"] = "1.0.0"
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "tiny.json").write_text(json.dumps(doc), encoding="utf-8")
    junit = tmp_path / "report.xml"
    code, out = regress(capsys, scenario(tmp_path / "s", agents=17), "--baseline", tmp_path / "b", "--exact",
                        "--junit", junit)
    assert code == 0, out
    assert f"environment changed (numpy 1.0.0 -> {current})" in out and DIFFERS in out
    assert ET.parse(junit).getroot().get("skipped") == "1"


def test_junit_has_one_testcase_per_scenario(baseline: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "scenarios"
    scenario(folder, agents=16)
    scenario(folder, name="other")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "tiny.json").write_bytes((baseline / "tiny.json").read_bytes())
    assert main(["regress", str(folder), "--baseline", str(tmp_path / "b"), "--update", "--workers", "1"]) == 0
    capsys.readouterr()
    scenario(folder, agents=18)
    junit = tmp_path / "out" / "junit.xml"
    code, out = regress(capsys, folder, "--baseline", tmp_path / "b", "--junit", junit)
    assert code == 1, out
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {str(case.get("name")): case for case in suite.iter("testcase")}
    assert sorted(cases) == ["other", "tiny"]
    assert all(case.get("classname") == "ccsim.regress" for case in cases.values())
    assert cases["other"].find("failure") is None
    failure = cases["tiny"].find("failure")
    assert failure is not None and "service_level" in (failure.text or "")


def test_missing_baseline_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = regress(capsys, scenario(tmp_path), "--baseline", tmp_path / "none")
    assert code == 1
    assert "no baseline (run with --update)" in out


@pytest.mark.parametrize(("problem", "message"), [
    ("bad scenario", "agents"), ("corrupt baseline", "not a readable ccsim baseline"),
    ("empty folder", "no scenario files"), ("bad tolerance", "--tolerance 'speed=3'")])
def test_bad_input_exits_2(problem: str, message: str, baseline: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    path, extra = scenario(tmp_path / "s"), []
    if problem == "bad scenario":
        path.write_text(TINY.format(name="tiny", agents=-3), encoding="utf-8")
    elif problem == "corrupt baseline":
        (tmp_path / "b").mkdir()
        (tmp_path / "b" / "tiny.json").write_text("{not json", encoding="utf-8")
        baseline = tmp_path / "b"
    elif problem == "empty folder":
        path = tmp_path / "empty"
        path.mkdir()
    else:
        extra = ["--tolerance", "speed=3"]
    code, out = regress(capsys, path, "--baseline", baseline, *extra)
    assert code == 2, out
    assert message in out


def _doctored(baseline: Path, tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the tiny baseline, changed by ``change``; returns its folder."""
    doc = json.loads((baseline / "tiny.json").read_text(encoding="utf-8"))
    change(doc)
    folder = tmp_path / "doctored"
    folder.mkdir()
    (folder / "tiny.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def test_a_baseline_of_another_scenario_is_bad_input(baseline: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    folder = _doctored(baseline, tmp_path, lambda doc: doc.update(scenario="other"))
    code, out = regress(capsys, scenario(tmp_path / "s"), "--baseline", folder)
    assert code == 2, out
    assert "baseline is for scenario 'other', not 'tiny'" in out


def _set_n(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["kpis"]["total"]["all"]["service_level"]["n"] = value
    return change


@pytest.mark.parametrize("n", [0, -3, 2.5, "8", True, 10**9, 7, None])
def test_corrupted_counts_are_refused(n: Any, baseline: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = _doctored(baseline, tmp_path, _set_n(n))
    code, out = regress(capsys, scenario(tmp_path / "s"), "--baseline", folder)
    assert code == 2, out
    assert "not a readable ccsim baseline" in out and ("service_level.n" in out or "replications" in out)


@pytest.mark.parametrize(("key", "value"), [("mean", "high"), ("half_width", -1.0), ("mean", [1])])
def test_corrupted_values_are_refused(key: str, value: Any, baseline: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["kpis"]["total"]["all"]["asa"][key] = value
    code, out = regress(capsys, scenario(tmp_path / "s"), "--baseline", _doctored(baseline, tmp_path, change))
    assert code == 2 and f"asa.{key}" in out, out


def test_junit_pointing_at_a_folder_is_bad_input(baseline: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "reports").mkdir()
    code, out = regress(capsys, scenario(tmp_path / "s"), "--baseline", baseline, "--junit", tmp_path / "reports")
    assert code == 2, out
    assert "--junit" in out and "must name a file" in out and "tiny: ok" not in out
