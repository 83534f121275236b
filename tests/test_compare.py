"""``ccsim compare`` (scenarios side by side under common random numbers) and ``extends`` (a scenario as a few
keys changed on top of another file)."""

from __future__ import annotations

import csv
import html
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from openpyxl import load_workbook

import sim.analysis.compare
from sim.analysis.experiment import RunResult
from sim.analysis.facts import CALL_FIELDS
from sim.cli import app as cli
from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario

A = """\
name: a
run: {days: 1, replications: 5, seed: 11, warmup: 1h}
lines: 40
call_types:
  calls:
    arrivals: {rate_per_hour: 45}
    handle_time: {dist: exponential, mean: 5min}
    patience: {dist: exponential, mean: 3min}
agent_groups:
  team:
    skills: [calls]
    agents: 4
    cost_per_hour: 25
"""
B = """\
extends: a.yaml
name: b
agent_groups:
  team: {agents: 6}
"""
C = """\
extends: a.yaml
name: c
agent_groups:
  team: {agents: 5, cost_per_hour: 28}
"""


def line(text: str, needle: str) -> int:
    """The 1-based line of the first line of ``text`` containing ``needle``."""
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


@pytest.fixture
def two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """a.yaml and b.yaml (= a with 2 more agents, via extends) in a fresh working folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(A, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(B, encoding="utf-8")
    return tmp_path


def _rows(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["scope"], r["kpi"], r["scenario"]): r for r in records}


Wide = tuple[list[str], list[list[str]]]
"""A wide comparison table as shown: its header and its rows of cells."""


def _terminal(text: str) -> Wide:
    """The comparison table printed by ``ccsim compare`` (columns are separated by two or more spaces)."""
    lines = [line for line in text.splitlines() if line.startswith("Scope") or line.startswith(("all ", "site "))]
    header, *rows = [re.split(r"\s{2,}", line.strip()) for line in lines]
    return header, rows


def _html(page: str) -> Wide:
    """The table under the comparison report's 'Key figures and costs' heading."""
    section = page.split("<h2>Key figures and costs</h2>", 1)[1].split("</table>", 1)[0]
    header = [html.unescape(c) for c in re.findall(r"<th>(.*?)</th>", section)]
    rows = [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", section)]
    return header, rows


def _sheet(path: Path) -> tuple[list[str], dict[tuple[str, str], dict[str, Any]]]:
    """The Comparison sheet of a workbook: its header and {(scope, KPI name): {column: value}}."""
    header, *rows = load_workbook(path, read_only=True)["Comparison"].iter_rows(values_only=True)
    names = [str(c) for c in header]
    return names, {(str(r[0]), str(r[1])): dict(zip(names, r, strict=True)) for r in rows}


def _difference_of(table: Wide, scenario: str) -> dict[tuple[str, str], tuple[str, str]]:
    """{(scope, KPI): (level, difference)} of ``scenario``: its column and the difference column right after it."""
    header, rows = table
    j = header.index(scenario)
    return {(row[0], row[1]): (row[j], row[j + 1]) for row in rows}


# -- compare -------------------------------------------------------------------------------------------------------

def test_compare_writes_the_comparison_with_paired_intervals(two: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 0; comparison.csv/json and run.json written; every difference of a noisy KPI has a CI; both
    scenarios were run with the same callers (offered calls identical per replication, call type and interval);
    two more agents raise the service level by a difference whose paired 95 % CI excludes 0."""
    seen: list[list[RunResult]] = []
    real_compare = sim.analysis.compare.compare

    def spy(results: list[RunResult]) -> Any:
        seen.append(results)
        return real_compare(results)

    monkeypatch.setattr(sim.analysis.compare, "compare", spy)
    assert cli.main(["compare", "a.yaml", "b.yaml", "--out", "cmp", "--workers", "1"]) == 0
    out, err = capsys.readouterr()
    assert "common random numbers" in out and "Traceback" not in err
    assert sorted(p.name for p in (two / "cmp").iterdir()) == ["comparison.csv", "comparison.json", "run.json"]

    a, b = seen[0]
    assert (a.scenario.name, b.scenario.name) == ("a", "b")
    assert len(a.facts) == len(b.facts) == 5
    offered = CALL_FIELDS.index("offered")
    for fa, fb in zip(a.facts, b.facts, strict=True):
        assert np.array_equal(fa.calls[offered], fb.calls[offered])
        assert fa.calls[offered].sum() > 0

    data = json.loads((two / "cmp" / "comparison.json").read_text(encoding="utf-8"))
    assert data["run"]["scenarios"] == ["a", "b"] and data["run"]["files"] == ["a.yaml", "b.yaml"]
    assert data["run"]["seed"] == 11 and data["run"]["replications"] == 5
    rows = _rows(data["rows"])
    with (two / "cmp" / "comparison.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(data["rows"])
    assert list(table[0]) == ["scope", "kpi", "scenario", "mean", "ci", "diff_vs_first", "diff_ci"]
    for kpi in ("service_level", "asa", "abandon_rate", "answered", "cost_per_call"):
        assert rows["all", kpi, "a"]["diff_vs_first"] is None
        diff, half = rows["all", kpi, "b"]["diff_vs_first"], rows["all", kpi, "b"]["diff_ci"]
        assert diff is not None and half is not None and math.isfinite(half) and half > 0, kpi
    sl = rows["all", "service_level", "b"]
    assert sl["diff_vs_first"] == pytest.approx(sl["mean"] - rows["all", "service_level", "a"]["mean"])
    assert sl["diff_vs_first"] - sl["diff_ci"] > 0.0
    paired, unpaired = sl["diff_ci"], math.hypot(sl["ci"], rows["all", "service_level", "a"]["ci"])
    assert paired < unpaired, "common random numbers make the paired interval narrower"
    labour = rows["all", "in_house_labour", "b"]
    assert labour["diff_vs_first"] == pytest.approx(2 * 25 * 23)  # 2 agents x 25 EUR/h x 23 h after warm-up
    assert (two / "results" / "a").is_dir() and (two / "results" / "b").is_dir()


def test_three_way_differences_equal_the_two_way_ones_in_every_output(
        two: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Comparing a, b and c shows, for b, the same level and difference to a as comparing a and b alone: in
    comparison.csv, the JSON records, the terminal, the HTML report and the workbook; every difference column has
    its own header '<scenario> vs <first>'."""
    (two / "c.yaml").write_text(C, encoding="utf-8")
    flags = ["--report", "--xlsx", "--workers", "1", "--replications", "3"]
    outputs = {}
    for out, files in (("cmp2", ["a.yaml", "b.yaml"]), ("cmp3", ["a.yaml", "b.yaml", "c.yaml"])):
        assert cli.main(["compare", *files, "--out", out, *flags]) == 0
        terminal = capsys.readouterr().out
        assert cli.main(["compare", *files, "--out", out, "--json", *flags]) == 0
        outputs[out] = (terminal, json.loads(capsys.readouterr().out))

    def records(out: str) -> dict[tuple[str, str, str], dict[str, Any]]:
        return _rows(json.loads((two / out / "comparison.json").read_text(encoding="utf-8"))["rows"])

    def csv_rows(out: str) -> dict[tuple[str, str, str], dict[str, Any]]:
        with (two / out / "comparison.csv").open(encoding="utf-8", newline="") as handle:
            return _rows(list(csv.DictReader(handle)))

    for source in (records, csv_rows, lambda out: _rows(outputs[out][1])):
        pair, three = source("cmp2"), source("cmp3")
        b = {k: v for k, v in pair.items() if k[2] == "b"}
        assert b and all(three[k] == v for k, v in b.items())
        assert any(v["diff_vs_first"] not in (None, "", 0.0, "0.0") for v in b.values())

    wide = {"terminal": lambda out: _terminal(outputs[out][0]),
            "html": lambda out: _html((two / out / "report.html").read_text(encoding="utf-8"))}
    fixed = {"terminal": ["Scope", "KPI"], "html": ["KPI scope", "KPI (unit)"]}
    for fmt, read in wide.items():
        pair, three = read("cmp2"), read("cmp3")
        b_pair, b_three = _difference_of(pair, "b"), _difference_of(three, "b")
        assert b_pair and all(b_three[k] == v for k, v in b_pair.items()), fmt
        assert b_pair["all", "Service level %"][1].startswith("+"), fmt  # two more agents: a higher service level
        assert pair[0] == [*fixed[fmt], "a", "b", "b vs a"], fmt
        assert three[0] == [*fixed[fmt], "a", "b", "b vs a", "c", "c vs a"], fmt
        c_three = _difference_of(three, "c")
        assert c_three["all", "Total cost per 23 h EUR"] != b_three["all", "Total cost per 23 h EUR"], fmt

    (head2, pair), (head3, three) = _sheet(two / "cmp2" / "results.xlsx"), _sheet(two / "cmp3" / "results.xlsx")
    b_columns = ["b", "b ± 95 % CI", "b vs a", "b vs a ± 95 % CI"]
    assert head2 == ["KPI scope", "KPI name", "KPI unit", "a", "a ± 95 % CI", *b_columns]
    assert head3 == [*head2, "c", "c ± 95 % CI", "c vs a", "c vs a ± 95 % CI"]
    assert pair and all({k: three[key][k] for k in b_columns} == {k: row[k] for k in b_columns}
                        for key, row in pair.items())
    assert pair["all", "Service level"]["b vs a"] > 0 and pair["all", "Service level"]["KPI unit"] == "%"
    assert three["all", "Total cost per 23 h"]["c vs a"] != three["all", "Total cost per 23 h"]["b vs a"]


def test_compare_json_output_parses(two: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["compare", "a.yaml", "b.yaml", "--out", "cmp", "--json", "--workers", "1"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records == json.loads((two / "cmp" / "comparison.json").read_text(encoding="utf-8"))["rows"]
    assert {r["scenario"] for r in records} == {"a", "b"}


def test_compare_needs_different_scenario_names(two: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (two / "a2.yaml").write_text("extends: a.yaml\nname: a\nagent_groups: {team: {agents: 6}}\n", encoding="utf-8")
    assert cli.main(["compare", "a.yaml", "a2.yaml", "--out", "cmp"]) == 2
    err = capsys.readouterr().err
    assert "scenario names must differ" in err and "Traceback" not in err
    assert sorted(p.name for p in two.iterdir()) == ["a.yaml", "a2.yaml", "b.yaml"], "nothing written"


def test_compare_missing_file(two: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["compare", "a.yaml", "nope.yaml", "--out", "cmp"]) == 2
    assert capsys.readouterr().err.strip() == "nope.yaml: file not found"
    assert sorted(p.name for p in two.iterdir()) == ["a.yaml", "b.yaml"], "nothing written"


# -- extends -------------------------------------------------------------------------------------------------------

def test_extends_merges_nested_keys_and_null_deletes(two: Path) -> None:
    """A child overriding one nested key keeps the parent's other keys; ``null`` deletes a key (a top-level
    setting, or a whole agent group); lists and scalars replace."""
    (two / "child.yaml").write_text("""\
extends: a.yaml
name: child
run: {days: 3}
lines: null
agent_groups:
  team: null
  crew: {skills: [calls], agents: 7}
""", encoding="utf-8")
    parent, child, b = load_scenario("a.yaml"), load_scenario("child.yaml"), load_scenario("b.yaml")
    assert (child.run.days, child.run.replications, child.run.seed, child.run.warmup) == (3, 5, 11, 3600.0)
    assert parent.lines == 40 and child.lines is None
    assert list(child.agent_groups) == ["crew"] and child.agent_groups["crew"].agents == 7
    assert child.call_types == parent.call_types
    team = b.agent_groups["team"]
    assert (team.agents, team.cost_per_hour, dict(team.skills)) == (6, 25.0, {"calls": 1})
    assert b.name == "b" and b.lines == 40


def test_extends_chain_without_a_name_takes_the_file_name(two: Path) -> None:
    (two / "c.yaml").write_text("extends: b.yaml\nrun: {replications: 2}\n", encoding="utf-8")
    c = load_scenario("c.yaml")
    assert c.name == "c" and c.agent_groups["team"].agents == 6 and c.run.replications == 2 and c.run.days == 1


@pytest.mark.parametrize("files", [
    {"x.yaml": "extends: y.yaml\nname: x\n", "y.yaml": "extends: x.yaml\nname: y\n"},
    {"x.yaml": "name: x\nextends: x.yaml\n"},
], ids=["two-files", "itself"])
def test_extends_cycle_is_reported(two: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> None:
    for name, text in files.items():
        (two / name).write_text(text, encoding="utf-8")
    assert cli.main(["validate", "x.yaml"]) == 2
    err = capsys.readouterr().err
    assert "(a cycle)" in err and "Traceback" not in err
    with pytest.raises(ScenarioError) as info:
        load_scenario("x.yaml")
    cycle = [p for p in info.value.problems if "a cycle" in p.message]
    assert len(cycle) == 1 and cycle[0].path == "extends"
    closing = list(files)[-1]  # the file whose 'extends' closes the loop
    assert Path(cycle[0].file).resolve() == (two / closing).resolve()
    assert cycle[0].line == line(files[closing], "extends")


def test_error_in_the_child_points_at_the_child(two: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "extends: a.yaml\nname: child\nrun: {days: 0}\n"
    (two / "child.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario("child.yaml")
    (p,) = info.value.problems
    assert (Path(p.file).resolve(), p.line, p.path) == ((two / "child.yaml").resolve(), 3, "run.days")
    assert p.message == "must be >= 1 (got 0)"
    assert cli.main(["validate", "child.yaml"]) == 2
    assert "child.yaml:3 run.days: must be >= 1 (got 0)" in capsys.readouterr().err


def test_error_inherited_from_the_parent_points_at_the_parent(two: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The parent's bad key (a negative cost) is reported at the parent's file and line, even though the child
    overrides another key of the same agent group."""
    parent = A.replace("cost_per_hour: 25", "cost_per_hour: -25")
    (two / "parent.yaml").write_text(parent, encoding="utf-8")
    (two / "child.yaml").write_text("extends: parent.yaml\nname: child\nagent_groups:\n  team: {agents: 5}\n",
                                    encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario("child.yaml")
    (p,) = info.value.problems
    assert p.path == "agent_groups.team.cost_per_hour" and p.message == "must be >= 0 (got -25)"
    assert Path(p.file).resolve() == (two / "parent.yaml").resolve()
    assert p.line == line(parent, "cost_per_hour")
    assert cli.main(["validate", "child.yaml"]) == 2
    assert f"parent.yaml:{line(parent, 'cost_per_hour')} agent_groups.team.cost_per_hour: must be >= 0 (got -25)" \
        in capsys.readouterr().err


def test_cross_reference_error_in_the_child_points_at_the_child(two: Path) -> None:
    """A whole-scenario check (an unknown skill in a group the child adds) also points into the child's file."""
    child = "extends: a.yaml\nname: child\nagent_groups:\n  extra:\n    skills: [cals]\n    agents: 1\n"
    (two / "child.yaml").write_text(child, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario("child.yaml")
    (p,) = info.value.problems
    assert (p.path, p.message) == ("agent_groups.extra.skills.cals", "unknown call type 'cals' (did you mean 'calls'?)")
    assert Path(p.file).resolve() == (two / "child.yaml").resolve()
    assert p.line == line(child, "cals")
