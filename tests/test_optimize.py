"""``ccsim optimize``: the cheapest combination of options that meets every call type's target, on a case whose
answer is known by construction; the feasibility rules; the same numbers on every run; bad options refused with
exit 2 and nothing written; the chosen scenario file reproduces the chosen row."""

import dataclasses
import json
from pathlib import Path

import pytest

from sim.analysis.experiment import RunResult
from sim.analysis.optimize import Goals, chosen_keys, decide, offers
from sim.analysis.sweep import SweepResult, list_axis, run_sweep, variants
from sim.cli.app import main
from sim.errors import CcsimError
from sim.scenario.loader import load_scenario

CENTER = """
name: center
run: {days: 1, replications: 8, seed: 5}
call_types:
  service:
    arrivals: {rate_per_hour: 120}
    handle_time: {dist: exponential, mean: 5min}
    patience: none
  sales:
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 5min}
    patience: none
sites:
  in_house: {kind: in_house}
  bpo: {kind: partner, contract: {per_minute: 1.0, setup: {cost: 1200, amortise_months: 12}}}
agent_groups:
  team: {skills: [service], agents: 20, cost_per_hour: 30, site: in_house}
  desk: {skills: [sales], agents: 10, site: bpo}
"""

OFFERS = """
sites.bpo.contract:
  cheap: {per_minute: 0.8}
  dear: {per_minute: 0.9, monthly_minimum: 100}
"""
AGENTS = "agent_groups.team.agents=12,15,18"


@pytest.fixture()
def center(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "center.yaml").write_text(CENTER, encoding="utf-8")
    (tmp_path / "offers.yaml").write_text(OFFERS, encoding="utf-8")
    return tmp_path


def _optimize(*extra: str) -> int:
    return main(["optimize", "center.yaml", "--choose", AGENTS, "--choose-file", "offers.yaml", "--workers", "1",
                 *extra])


def test_the_cheapest_feasible_combination_is_known_by_construction(center: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Service: 10 Erlangs without abandonment; Erlang C gives 60.7 % within 20 s at 12 agents (misses 80 %),
    92.7 % at 15 and 98 % at 18 (each 3 agents more cost 3 x 24 h x 30 = 2,160 EUR a day). Sales go to the
    partner at 0.8 or 0.9 EUR a minute, the same minutes whatever the service staffing (common random numbers).
    So the choice is 15 agents and the cheap offer: labour 15 x 24 x 30 = 10,800 EUR plus 0.8 EUR a minute; the
    runner-up is the dear offer at 15 agents, 0.1 EUR a minute more (about 720 EUR a day) in every replication."""
    assert _optimize() == 0
    out = capsys.readouterr().out
    assert "6 combinations x 8 replications" in out and "the lower end of the 95 % CI" in out
    assert "Chosen: agent_groups.team.agents=15, sites.bpo.contract=cheap" in out and "a clear choice" in out
    result = json.loads(Path("results/optimize-center/optimize.json").read_text())
    rows = {(r["agent_groups.team.agents"], r["sites.bpo.contract"]): r for r in result["rows"]}
    assert [k for k, r in rows.items() if r["status"] == "chosen"] == [("15", "cheap")]
    assert [k for k, r in rows.items() if not r["feasible"]] == [("12", "cheap"), ("12", "dear")]
    assert rows[("12", "cheap")]["sl_service"] < 0.7 < 0.88 < rows[("15", "cheap")]["sl_service"]
    assert rows[("12", "cheap")]["total_cost"] < rows[("15", "cheap")]["total_cost"]  # cheaper, but misses
    chosen = rows[("15", "cheap")]["total_cost"]
    minutes = (rows[("15", "dear")]["total_cost"] - chosen) / 0.1  # the partner's billed minutes, the same for all
    assert 6500 < minutes < 7900  # 60 calls/h x 24 h x 5 min = 7,200 expected
    assert chosen == pytest.approx(10_800 + 0.8 * minutes + 1200 / 12 / 30.4375, rel=1e-3)  # setup per day
    assert rows[("18", "cheap")]["vs_chosen"] == pytest.approx(2160, rel=1e-9)
    assert rows[("18", "cheap")]["vs_chosen_ci"] == pytest.approx(0, abs=1e-6)
    run = result["run"]
    assert run["chosen"] == {"agent_groups.team.agents": "15", "sites.bpo.contract": "cheap"}
    assert run["runner_up"] == {"agent_groups.team.agents": "15", "sites.bpo.contract": "dear"}
    assert run["runner_up_minus_chosen"] == pytest.approx(rows[("15", "dear")]["vs_chosen"], rel=1e-12)
    assert 0 < run["runner_up_minus_chosen_ci"] < run["runner_up_minus_chosen"] and run["clear"] is True
    csv = Path("results/optimize-center/optimize.csv").read_text().splitlines()
    assert csv[0].startswith("agent_groups.team.agents,sites.bpo.contract,total_cost,total_cost_ci,vs_chosen")
    assert len(csv) == 7


def test_the_chosen_scenario_reproduces_the_chosen_row(center: Path) -> None:
    """chosen.yaml extends the original with the chosen keys (a replaced contract drops the keys the offer
    lacks); ``ccsim run`` on it gives the chosen row's numbers exactly. --chosen refuses to overwrite."""
    assert _optimize("--quiet", "--chosen", "plans/best.yaml") == 0
    text = Path("plans/best.yaml").read_text()
    assert "extends: ../center.yaml" in text and "setup: null" in text and "per_minute: 0.8" in text
    assert Path("results/optimize-center/chosen.yaml").read_text().count("extends: ../../center.yaml") == 1
    chosen = load_scenario("plans/best.yaml")
    assert chosen.agent_groups["team"].agents == 15 and chosen.sites["bpo"].contract is not None
    row = next(r for r in json.loads(Path("results/optimize-center/optimize.json").read_text())["rows"]
               if r["status"] == "chosen")
    assert main(["run", "plans/best.yaml", "--workers", "1", "--quiet", "--out", "again"]) == 0
    total = json.loads(Path("again/summary.json").read_text())["rows"]
    kpis = {(r["level"], r["name"]): r["kpis"] for r in total}
    assert kpis[("total", "all")]["total_cost"]["mean"] == pytest.approx(row["total_cost"], rel=1e-12)
    assert kpis[("call_type", "service")]["service_level"]["mean"] == pytest.approx(row["sl_service"], rel=1e-6)
    assert _optimize("--quiet", "--chosen", "plans/best.yaml") == 2  # exists
    assert _optimize("--quiet", "--chosen", "plans/best.yaml", "--force") == 0


def test_run_settings_join_a_chosen_run_key(center: Path) -> None:
    assert main(["optimize", "center.yaml", "--choose", "run.volume_factor=0.9,1", "--choose", "agent_groups.team."
                 "agents=15", "--seed", "7", "--days", "1", "--workers", "1", "--quiet"]) == 0
    chosen = load_scenario("results/optimize-center/chosen.yaml")
    assert (chosen.run.seed, chosen.run.days, chosen.run.volume_factor) == (7, 1, 0.9)


def test_null_removes_a_key(center: Path) -> None:
    """``null`` as an option deletes the key (here the team's cost: the default 0 makes it the cheapest), also
    in the chosen scenario."""
    assert main(["optimize", "center.yaml", "--choose", "agent_groups.team.cost_per_hour=30,null", "--choose",
                 "agent_groups.team.agents=15", "--workers", "1", "--quiet"]) == 0
    run = json.loads(Path("results/optimize-center/run.json").read_text())
    assert run["chosen"]["agent_groups.team.cost_per_hour"] == "null"
    assert run["runner_up_minus_chosen"] == pytest.approx(15 * 24 * 30, rel=1e-9)
    assert "cost_per_hour: null" in Path("results/optimize-center/chosen.yaml").read_text()
    assert load_scenario("results/optimize-center/chosen.yaml").agent_groups["team"].cost_per_hour == 0


def test_same_seed_same_numbers(center: Path) -> None:
    assert _optimize("--quiet", "--out", "one") == 0
    assert _optimize("--quiet", "--out", "two") == 0
    for name in ("optimize.csv", "chosen.yaml"):
        assert Path("one", name).read_bytes() == Path("two", name).read_bytes()


def _one(center: Path, agents: int) -> SweepResult:
    axis = list_axis(f"agent_groups.team.agents={agents}")
    return run_sweep([axis], variants([axis], lambda o: load_scenario(center / "center.yaml", overrides=o)))


def _with_target(sweep: SweepResult, target: float) -> SweepResult:
    def moved(r: RunResult) -> RunResult:
        s = r.scenario
        return dataclasses.replace(r, scenario=s.model_copy(update={
            "service_level": s.service_level.model_copy(update={"target": target})}))
    return dataclasses.replace(sweep, results=tuple(moved(r) for r in sweep.results))


def test_the_feasibility_rules(center: Path) -> None:
    """By the rule ci a combination is feasible when the lower end of each call type's SL CI reaches the target,
    by mean when the point estimate does; an abandonment limit applies to the upper end (the mean)."""
    sweep = _one(center, 13)  # service near 77 %, sales near 100 %
    sl = decide(sweep, "total_cost", Goals()).rows[0].types[0].sl
    assert 0.7 < sl.mean < 0.85 and sl.half_width > 0.005
    low, between = sl.mean - sl.half_width, sl.mean - sl.half_width / 2
    assert decide(_with_target(sweep, low), "total_cost", Goals("ci")).chosen == 0  # at the target: meets
    assert decide(_with_target(sweep, between), "total_cost", Goals("ci")).chosen is None
    assert decide(_with_target(sweep, between), "total_cost", Goals("mean")).chosen == 0
    assert decide(_with_target(sweep, sl.mean + 1e-9), "total_cost", Goals("mean")).chosen is None
    ab = decide(sweep, "total_cost", Goals()).rows[0].types[0].abandon
    assert ab.mean == 0  # patience none: the limit holds for any share
    assert decide(_with_target(sweep, low), "total_cost", Goals("ci", 0.01)).chosen == 0


def test_an_abandonment_limit_between_the_mean_and_the_upper_end(center: Path) -> None:
    text = CENTER.replace("patience: none\n  sales", "patience: {dist: exponential, mean: 3min}\n  sales")
    (center / "center.yaml").write_text(text, encoding="utf-8")
    sweep = _with_target(_one(center, 13), 0.1)
    ab = decide(sweep, "total_cost", Goals()).rows[0].types[0].abandon
    assert ab.mean > 0.01 and ab.half_width > 0
    limit = ab.mean + ab.half_width / 2
    assert decide(sweep, "total_cost", Goals("ci", limit)).chosen is None
    assert decide(sweep, "total_cost", Goals("mean", limit)).chosen == 0


def test_no_feasible_combination_says_so(center: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["optimize", "center.yaml", "--choose", "agent_groups.team.agents=11,12", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "No combination is feasible" in out and "the closest is agent_groups.team.agents=12" in out
    assert not Path("results/optimize-center/chosen.yaml").exists()
    assert json.loads(Path("results/optimize-center/run.json").read_text())["chosen"] is None


def test_chosen_keys_for_an_extending_file() -> None:
    """A key into a list writes the whole list; a mapping that replaces another names what it drops as null;
    null removes a key."""
    original = {"a": {"b": {"x": 1, "y": {"p": 1, "q": 2}}, "s": [{"n": 1}, {"n": 2}]}, "o": {"to": ["p"]}}
    chosen = {"a": {"b": {"y": {"p": 3}, "z": 4}, "s": [{"n": 1}, {"n": 5}]}}
    assert chosen_keys(original, chosen, ["a.b", "a.s[1].n", "o"]) == {
        "a": {"b": {"x": None, "y": {"q": None, "p": 3}, "z": 4}, "s": [{"n": 1}, {"n": 5}]}, "o": None}
    assert chosen_keys(original, chosen, ["a", "a.b.z"]) == {"a": {"b": {"x": None, "y": {"q": None, "p": 3},
                                                                          "z": 4}, "s": [{"n": 1}, {"n": 5}]}}


@pytest.mark.parametrize(("args", "message"), [
    (["--choose", "agent_groups.team.agents=12,-1"], "center.yaml --choose agent_groups.team.agents: must be >= 0"),
    (["--choose", "agent_groups.tem.agents=3"], "there is no 'tem' in agent_groups (did you mean 'team'?)"),
    (["--choose", "agent_groups.team.agents"], "--choose 'agent_groups.team.agents': expected KEY.PATH=VALUE"),
    (["--choose", "agent_groups.team.agents=3,3"], "the value 3 is given twice"),
    (["--choose", "run.seed=1", "--choose", "run.seed=2"], "ccsim optimize: the key run.seed is given twice"),
    ([], "ccsim optimize: give at least one --choose KEY.PATH=V1,V2,... or --choose-file"),
    (["--choose-file", "missing.yaml"], "--choose-file missing.yaml: file not found"),
    (["--choose-file", "bad.yaml"], "bad.yaml:1 sites.bpo.contract: expected the options as a mapping"),
    (["--choose-file", "negative.yaml"], "center.yaml --choose-file negative.yaml sites.bpo.contract.per_minute: "
                                         "must be >= 0"),
    (["--choose", AGENTS, "--kpi", "service_level"], "--kpi service_level: not a cost KPI"),
    (["--choose", AGENTS, "--max-abandon", "7"], "--max-abandon: expected a share above 0 and at most 1"),
    (["--choose", AGENTS, "--replications", "1"], "the feasibility rule 'ci' needs a confidence interval"),
    (["--choose", AGENTS, "--chosen", "plan.txt"], "--chosen: plan.txt: give a scenario file name ending in .yaml"),
])
def test_bad_options_exit_2_and_write_nothing(center: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                              message: str) -> None:
    (center / "bad.yaml").write_text("sites.bpo.contract: 3\n", encoding="utf-8")
    (center / "negative.yaml").write_text("sites.bpo.contract: {minus: {per_minute: -1}}\n", encoding="utf-8")
    assert main(["optimize", "center.yaml", *args, "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not Path("results").exists() and not Path("plan.txt").exists()


def test_an_offers_list_is_labelled_by_its_values(center: Path) -> None:
    (center / "list.yaml").write_text("agent_groups.team.agents: [12, 15]\n", encoding="utf-8")
    assert offers("list.yaml")[0].values == ("12", "15")
    (center / "twice.yaml").write_text("agent_groups.team.agents: [12, 12]\n", encoding="utf-8")
    with pytest.raises(CcsimError, match="twice.yaml:1 agent_groups.team.agents: the option 12 is given twice"):
        offers("twice.yaml")


SELLING = """
name: selling
run: {days: 1, replications: 6, seed: 9}
call_types:
  service:
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 5min}
    patience: none
    sales: {offer: 0.5, conversion: 0.2, revenue: 100}
sites:
  bpo: {kind: partner, contract: {per_hour: 20, revenue_share: 0.2}}
agent_groups:
  desk: {skills: [service], agents: 8, site: bpo}
"""


def test_the_most_profitable_contract_is_known_by_construction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The same calls, offers and sales under three contracts: 20 EUR an hour plus a revenue share of 20 % or
    10 %, or 27 EUR an hour and no share. Profit = revenue - 8 x 24 x hourly - share x revenue, so the 10 % share
    wins unless 0.1 x revenue > 7 x 192 h = 1,344 EUR, i.e. revenue over 13,440 EUR: about 720 offers x 0.2 x 100
    = 14,400 EUR a day, so the flat 27 EUR wins; the 10 % share is runner-up, short by exactly 0.1 x revenue -
    1,344 in every replication."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "selling.yaml").write_text(SELLING, encoding="utf-8")
    assert main(["optimize", "selling.yaml", "--choose", "sites.bpo.contract={per_hour: 20, revenue_share: 0.2},"
                 "{per_hour: 20, revenue_share: 0.1},{per_hour: 27}", "--kpi", "profit", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "Chosen: sites.bpo.contract={per_hour: 27}" in out and "EUR per day less" in out
    result = json.loads(Path("results/optimize-selling/optimize.json").read_text())
    rows = {r["sites.bpo.contract"]: r for r in result["rows"]}
    flat, ten, twenty = (rows[k] for k in ("{per_hour: 27}", "{per_hour: 20, revenue_share: 0.1}",
                                           "{per_hour: 20, revenue_share: 0.2}"))
    revenue = (ten["profit"] - twenty["profit"]) / 0.1  # the same revenue under every contract
    assert 12_000 < revenue < 17_000
    assert ten["vs_chosen"] == pytest.approx(1344 - 0.1 * revenue, rel=1e-9)
    assert flat["profit"] == pytest.approx(revenue - 27 * 192, rel=1e-9)
    assert result["run"]["runner_up"] == {"sites.bpo.contract": "{per_hour: 20, revenue_share: 0.1}"}
