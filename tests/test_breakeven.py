"""``ccsim breakeven``: bisection on common random numbers finds where a KPI of B equals A's, with a CI from the
paired differences; checked on cases with a hand-computable answer."""

import json
from pathlib import Path

import pytest

from sim.analysis.breakeven import find_crossing
from sim.analysis.stats import Estimate
from sim.cli.app import main

OWN = """
name: own
run: {days: 1, replications: 10, seed: 3}
call_types:
  calls:
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 5min}
    patience: none
agent_groups:
  team: {skills: [calls], agents: 10, cost_per_hour: 30}
"""

PARTNER = """
name: partner
run: {days: 1, replications: 10, seed: 3}
call_types:
  calls:
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 5min}
    patience: none
sites:
  bpo: {kind: partner, contract: {per_minute: 1.0}}
agent_groups:
  desk: {skills: [calls], agents: 10, site: bpo}
"""


@pytest.fixture()
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "own.yaml").write_text(OWN, encoding="utf-8")
    (tmp_path / "partner.yaml").write_text(PARTNER, encoding="utf-8")
    return tmp_path


def test_partner_price_at_which_outsourcing_stops_paying(pair: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """In house: 10 agents x 24 h x 30 EUR = 7,200 EUR a day, whatever the calls. The partner bills p per
    talked minute: 60 calls/h x 24 h x 5 min = 7,200 minutes a day expected (every call answered, 10 agents for
    5 Erlangs), so outsourcing pays below p* = 1.00 EUR/min. The partner's cost is linear in p, so the search
    lands exactly on 7,200 / (the simulated minutes), and its 95 % CI must contain the true 1.00 (billing to
    the second adds half a second a call: 0.17 %, far inside the CI)."""
    assert main(["breakeven", "own.yaml", "partner.yaml", "--vary", "sites.bpo.contract.per_minute",
                 "--between", "0.5", "2", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "partner's total_cost equals own's at sites.bpo.contract.per_minute = " in out
    result = json.loads(Path("results/breakeven-own-vs-partner/breakeven.json").read_text())
    points = {p["sites.bpo.contract.per_minute"]: p["difference"] for p in result["points"]}
    minutes = (points[2.0] - points[0.5]) / 1.5  # slope of a linear cost: the simulated billable minutes
    assert points[0.5] == pytest.approx(0.5 * minutes - 7200, rel=1e-9)
    assert result["breakeven"] == pytest.approx(7200 / minutes, rel=1e-9)
    assert result["ci_low"] < 1.0 < result["ci_high"]
    assert result["ci_high"] - result["ci_low"] < 0.1
    assert result["seed"] == 3 and result["replications"] == 10 and result["kpi"] == "total_cost"
    assert Path("results/breakeven-own-vs-partner/plots/breakeven.png").stat().st_size > 0
    assert Path("results/breakeven-own-vs-partner/breakeven.csv").read_text().startswith(
        "sites.bpo.contract.per_minute,difference,difference_ci")


SELLING = """
name: selling
run: {days: 1, replications: 10, seed: 4}
call_types:
  calls:
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 5min}
    patience: none
    sales: {offer: 0.5, conversion: 0.2, revenue: 100}
agent_groups:
  team: {skills: [calls], agents: 10, cost_per_hour: 30}
"""
SELLING_PARTNER = """
extends: selling.yaml
name: selling_partner
sites:
  bpo: {kind: partner, conversion: {calls: 0.2}, contract: {per_hour: 20, revenue_share: 0.25}}
agent_groups:
  team: {site: bpo, cost_per_hour: 0}
"""


def test_the_partner_conversion_at_which_revenue_share_stops_paying(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same 720 offers a day (60 calls/h x 24 h x 0.5) sold at 100 EUR: in house 20 % convert at 30 EUR per
    agent hour; at the partner x convert, it keeps 25 % of the revenue and charges 20 EUR an hour. Profits are
    equal where 0.75 x 100 x 720 x = 100 x 720 x 0.2 - 10 x 240 h x 10 EUR, x* = 12,000 / 54,000 = 0.2222; the
    search's 95 % CI must contain it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "selling.yaml").write_text(SELLING, encoding="utf-8")
    (tmp_path / "selling_partner.yaml").write_text(SELLING_PARTNER, encoding="utf-8")
    assert main(["breakeven", "selling.yaml", "selling_partner.yaml", "--vary", "sites.bpo.conversion.calls",
                 "--between", "0.1", "0.4", "--kpi", "profit", "--workers", "1", "--quiet", "--out", "be"]) == 0
    result = json.loads(Path("be/breakeven.json").read_text())
    assert result["kpi"] == "profit" and result["ci_low"] < 12_000 / 54_000 < result["ci_high"]
    assert result["ci_high"] - result["ci_low"] < 0.05


def test_profit_without_revenue_breaks_even_where_the_cost_does(pair: Path) -> None:
    """Without sales profit is minus the total cost: its crossing is the cost's, bit for bit."""
    for kpi in ("total_cost", "profit"):
        assert main(["breakeven", "own.yaml", "partner.yaml", "--vary", "sites.bpo.contract.per_minute", "--between",
                     "0.5", "2", "--kpi", kpi, "--workers", "1", "--quiet", "--out", kpi]) == 0
    cost, profit = (json.loads(Path(f"{k}/breakeven.json").read_text()) for k in ("total_cost", "profit"))
    assert (profit["breakeven"], profit["ci_low"], profit["ci_high"]) == (
        cost["breakeven"], cost["ci_low"], cost["ci_high"])


def test_whole_numbers_find_the_equal_staffing(pair: Path) -> None:
    """B = A with its agents varied: under common random numbers B's SL equals A's exactly at A's own 10
    agents."""
    assert main(["breakeven", "own.yaml", "own.yaml", "--vary", "agent_groups.team.agents", "--between", "6", "14",
                 "--kpi", "service_level", "--workers", "1", "--quiet", "--out", "be"]) == 0
    result = json.loads(Path("be/breakeven.json").read_text())
    assert result["breakeven"] == 10
    assert all(float(p["agent_groups.team.agents"]).is_integer() for p in result["points"])


def test_the_crossing_of_a_line_and_its_ci() -> None:
    """d(x) = 2x - 3 with a half-width of 1 everywhere: crossing 1.5, CI where |2x - 3| <= 1, i.e. [1, 2]; an
    edge that never reaches zero in the range leaves its end open."""
    crossing = find_crossing(lambda x: Estimate(2 * x - 3, 1.0), 0.0, 4.0, 1e-6)
    assert crossing.value == pytest.approx(1.5) and crossing.low == pytest.approx(1.0)
    assert crossing.high == pytest.approx(2.0)
    wide = find_crossing(lambda x: Estimate(2 * x - 3, 6.0), 0.0, 4.0, 1e-6)
    assert wide.low is None and wide.high is None and wide.value == pytest.approx(1.5)


@pytest.mark.parametrize(("args", "message"), [
    (["--between", "1.5", "2"], "no crossing between 1.5 and 2"),
    (["--between", "2", "1"], "LO must be smaller than HI"),
    (["--between", "a", "1"], "LO and HI must be numbers"),
    (["--between", "0.5", "2", "--kpi", "total_cots"], "did you mean 'total_cost'?"),
    (["--between", "-1", "2"], "partner.yaml --vary sites.bpo.contract.per_minute: must be >= 0 (got -1.0)"),
    (["--between", "0.5", "2", "--replications", "1"], "at least 2 replications"),
])
def test_bad_searches_exit_2(pair: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["breakeven", "own.yaml", "partner.yaml", "--vary", "sites.bpo.contract.per_minute", "--workers", "1",
                 *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not Path("results").exists()
