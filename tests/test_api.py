"""The Python API (sim.api): the same numbers as ``ccsim run``, tables as DataFrames or plain rows, comparisons with
paired differences; and the README's Python example runs as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sim import api
from sim.cli.app import main
from sim.errors import CcsimError

ROOT = Path(__file__).resolve().parents[1]
TINY = """
name: {name}
run: {{days: 1, replications: 3, seed: 4}}
call_types:
  a:
    arrivals: {{rate_per_hour: 120}}
    handle_time: {{dist: exponential, mean: 180s}}
    patience: {{dist: exponential, mean: 120s}}
agent_groups:
  team: {{skills: [a], agents: {agents}}}
"""


def test_kpis_equal_those_of_ccsim_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("t.yaml").write_text(TINY.format(name="t", agents=8), encoding="utf-8")
    assert main(["run", "t.yaml", "--quiet", "--workers", "1"]) == 0
    from_file = json.loads(Path("results/t/summary.json").read_text())["rows"]
    result = api.simulate(api.load("t.yaml"), workers=1)
    rows = result.kpis(records=True)
    total = next(r for r in rows if r["level"] == "total")
    expected = next(r for r in from_file if r["level"] == "total")["kpis"]
    assert total["service_level"] == expected["service_level"]["mean"]
    assert total["service_level_ci"] == expected["service_level"]["ci"]
    frame = result.kpis()
    assert list(frame.columns[:2]) == ["level", "name"] and len(frame) == len(rows)
    assert len(result.days()) == 1 and len(result.intervals()) > 0 and "p_meet" in result.risk().columns


def test_compare_pairs_the_differences() -> None:
    base = api.simulate(api.parse(TINY.format(name="base", agents=6)), workers=1)
    more = api.simulate(api.parse(TINY.format(name="more", agents=8)), workers=1)
    table = api.compare([base, more])
    sl = table[(table.kpi == "service_level") & (table.scenario == "more") & (table.scope == "all")].iloc[0]
    assert sl.diff_vs_first > 0 and sl.diff_ci >= 0
    other_seed = api.simulate(api.parse(TINY.format(name="other", agents=8), seed=9), workers=1)
    with pytest.raises(CcsimError, match="same seed"):
        api.compare([base, other_seed])


def test_write_gives_the_results_folder(tmp_path: Path) -> None:
    result = api.simulate(api.parse(TINY.format(name="w", agents=8)), workers=1)
    folder = result.write(tmp_path / "out")
    assert (folder / "summary.csv").is_file() and (folder / "risk.csv").is_file()


def test_bad_scenario_text_is_a_ccsim_error() -> None:
    with pytest.raises(CcsimError, match="agents"):
        api.parse(TINY.format(name="bad", agents=-1), "bad.yaml")


def test_the_readme_example_runs_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first ```python block of the README, run from the repository root."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has a Python example"
    monkeypatch.chdir(ROOT)
    exec(compile(blocks[0], "README.md", "exec"), {})  # noqa: S102 - the documented example, run as a user would
