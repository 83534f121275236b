"""``ccsim sweep``: the grid of variants (product of --set lists and --range), every variant with the scenario's
seed (common random numbers), rows equal to ``ccsim run --set`` bit for bit, a monotone SL curve over agents in
every replication, bad grid specs refused with exit 2 and nothing written."""

import csv
import dataclasses
import json
from pathlib import Path

import pytest

from sim.analysis.experiment import with_overrides
from sim.analysis.summary import OPTIONAL_TOTALS, kpi_rows
from sim.analysis.sweep import list_axis, range_axis, run_sweep, split_values, variants
from sim.cli.app import main
from sim.errors import CcsimError
from sim.reports.sweep_output import KINDS
from sim.scenario.loader import load_scenario

SCENARIO = """
name: queue
run: {days: 2, replications: 4, seed: 12, warmup: 2h}
call_types:
  calls:
    arrivals: {rate_per_hour: 228}
    handle_time: {dist: lognormal, mean: 5min, cv: 1.2}
    patience: {dist: exponential, mean: 3min}
agent_groups:
  team: {skills: [calls], agents: 20, cost_per_hour: 30}
"""


@pytest.fixture()
def queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "queue.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_value_lists_and_ranges() -> None:
    assert split_values("1, 2,[a, b],{x: 1, y: 2},'p,q'") == ["1", "2", "[a, b]", "{x: 1, y: 2}", "'p,q'"]
    assert range_axis("run.volume_factor=0.9:1.2:0.1").values == ("0.9", "1", "1.1", "1.2")
    assert range_axis("agent_groups.team.agents=18:24:3").values == ("18", "21", "24")
    assert range_axis("x.y=20s:50s:20s").values == ("20s", "40s")  # up to TO, not past it
    assert list_axis("agent_groups.team.shifts[0].agents=3,4").key == "agent_groups.team.shifts[0].agents"


def test_the_kpi_kinds_cover_the_total_row(queue: Path) -> None:
    """Every whole-run KPI can be chosen with --kpi and is formatted by its kind (the outbound and sales totals
    exist only with campaigns or sales offers)."""
    scenario = with_overrides(load_scenario(queue), replications=2, days=1)
    sweep = run_sweep([], variants([list_axis("run.seed=12")], lambda o: scenario))
    assert set(sweep.totals()[0]) == set(KINDS) - set(OPTIONAL_TOTALS)


def test_sl_rises_with_agents_in_every_replication(queue: Path) -> None:
    """Common random numbers: every variant sees the same callers, so the SL curve over agents is monotone in
    each replication, not just on average (2 agents more shorten ASA by far more than a replication's noise)."""
    axis = range_axis("agent_groups.team.agents=18:24:2")
    sweep = run_sweep([axis], variants([axis], lambda o: load_scenario(queue, overrides=o)))
    offered = {kpi_rows(r)[0].kpis["offered"].mean for r in sweep.results}
    assert len(offered) == 1, "every variant must see the same callers"
    for rep in range(4):
        sl = [kpi_rows(dataclasses.replace(r, facts=r.facts[rep:rep + 1]))[0].kpis["service_level"].mean
              for r in sweep.results]
        assert sl == sorted(sl) and sl[0] < sl[-1], f"replication {rep}: SL over 18..24 agents {sl}"


def test_a_row_equals_ccsim_run_of_that_variant(queue: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "queue.yaml", "--set", "agent_groups.team.agents=19,21", "--set",
                 "run.volume_factor=1.05", "--kpi", "service_level,asa", "--kpi", "total_cost"]) == 0
    out = capsys.readouterr().out
    assert "2 variants x 4 replications" in out and "service level %" in out and "total cost EUR" in out
    folder = Path("results/sweep-queue")
    assert sorted(p.name for p in (folder / "plots").iterdir()) == [
        "sweep_agent_groups.team.agents.png", "sweep_agent_groups.team.agents.svg"]  # one value: no plot
    rows = json.loads((folder / "sweep.json").read_text())["rows"]
    assert [r["agent_groups.team.agents"] for r in rows] == ["19", "21"]
    assert main(["run", "queue.yaml", "--set", "agent_groups.team.agents=21", "--set", "run.volume_factor=1.05",
                 "--quiet", "--out", "single"]) == 0
    total = json.loads(Path("single/summary.json").read_text())["rows"][0]["kpis"]
    for kpi, value in total.items():
        assert rows[1][kpi] == value["mean"] and rows[1][f"{kpi}_ci"] == value["ci"], kpi
    assert "agent_groups.team.agents,run.volume_factor,offered,offered_ci" in \
        (folder / "sweep.csv").read_text().splitlines()[0]


@pytest.mark.parametrize(("args", "message"), [
    (["--range", "agent_groups.team.agents=18:24"], "expected FROM:TO:STEP"),
    (["--range", "agent_groups.team.agents=24:18:2"], "STEP must be > 0 and TO >= FROM"),
    (["--range", "call_types.calls.patience.mean=1min:300s:30s"], "must have the same unit"),
    (["--set", "agent_groups.team.agents=18,,20"], "an empty value"),
    (["--set", "agent_groups.team.agents=18,18"], "the value 18 is given twice"),
    (["--set", "agent_groups.team.agents=18", "--range", "agent_groups.team.agents=1:2:1"], "given twice"),
    (["--set", "agent_groups.team.agents=20,-1"], "queue.yaml --set agent_groups.team.agents: must be >= 0 (got -1)"
                                                  "\n(in the variant agent_groups.team.agents=-1)"),
    (["--set", "agent_groups.tema.agents=20,21"], "there is no 'tema' in agent_groups (did you mean 'team'?)"),
    (["--set", "agent_groups.team.agents=20", "--kpi", "servce_level"], "did you mean 'service_level'?"),
    (["--range", "run.volume_factor=0.001:100:0.001"], "at most 10,000"),
    (["--set", "agent_groups.team.agents=20,21", "--kpi", "profit"],
     "--kpi profit: queue has no campaigns or sales offers, so no variant has this KPI"),
    (["--set", "agent_groups.team.agents=20,21", "--kpi", "offers"],
     "--kpi offers: queue has no sales offers on calls (call_types.<name>.sales)"),
    ([], "give at least one --set"),
])
def test_bad_grid_specs_exit_2_and_write_nothing(queue: Path, capsys: pytest.CaptureFixture[str],
                                                 args: list[str], message: str) -> None:
    assert main(["sweep", "queue.yaml", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not Path("results").exists()


def test_sales_kpis_of_some_variants_are_swept_and_drawn(queue: Path) -> None:
    """Sales offers switched on in one variant only: the other has no sales KPIs (empty cells, no point), the
    sweep and its figure are still written; sales = offer sales there, profit = revenue - total cost."""
    offers = "{offer: 0.5, conversion: 0.2, revenue: 50}"
    assert main(["sweep", "queue.yaml", "--set", f"call_types.calls.sales=null,{offers}", "--kpi",
                 "sales,offer_sales,conversion,revenue,profit", "--days", "1", "--replications", "2", "--workers",
                 "1", "--quiet"]) == 0
    rows = list(csv.DictReader(Path("results/sweep-queue/sweep.csv").open(encoding="utf-8")))
    off, on = rows
    assert off["profit"] == "" and float(on["conversion"]) == pytest.approx(0.2, abs=0.05)
    assert on["sales"] == on["offer_sales"] and float(on["revenue"]) == pytest.approx(50 * float(on["sales"]))
    assert Path("results/sweep-queue/plots").is_dir()


def test_a_bad_value_text_names_the_option() -> None:
    with pytest.raises(CcsimError, match=r"--set agent_groups.team.agents: the value '\[1,2' is not valid YAML"):
        list_axis("agent_groups.team.agents=[1,2")
