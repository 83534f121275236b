"""Risk next to the mean in ``ccsim compare``: the share of days and of intervals meeting the SL target per
scenario, as the single run's risk rows give it, with paired differences over replications; the P90 of the
period cost and of a partner's invoice, as the single run's cost risk gives it, without a difference."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from sim.analysis.compare import compare
from sim.analysis.experiment import RunResult, run
from sim.analysis.risk import COST_QUANTILES, cost_risk, risk_rows
from sim.cli.app import main
from sim.scenario.loader import parse_scenario

SCENARIO = """
name: {name}
run: {{days: 4, replications: 6, seed: 11, interval: 30min}}
service_level: {{threshold: 20s, target: 0.8}}
call_types:
  service: {{arrivals: {{rate_per_hour: 90}}, handle_time: {{dist: exponential, mean: 4min}},
            patience: {{dist: exponential, mean: 2min}}}}
agent_groups:
  team: {{skills: [service], agents: {agents}}}
"""


def _run(name: str, agents: int) -> RunResult:
    return run(parse_scenario(SCENARIO.format(name=name, agents=agents), f"{name}.yaml"), workers=1)


@pytest.fixture(scope="module")
def results() -> list[RunResult]:
    return [_run("lean", 7), _run("rich", 8)]


def test_share_meeting_the_target_equals_the_risk_rows(results: list[RunResult]) -> None:
    rows = {(r.scope, r.key): r for r in compare(results)}
    for kind, key in (("day", "days_meeting_sl"), ("interval", "intervals_meeting_sl")):
        for k, result in enumerate(results):
            spread = next(s for s in risk_rows(result)
                          if (s.level, s.kpi, s.unit) == ("total", "service_level", kind))
            assert spread.p_meet is not None
            assert rows["all", key].values[k].mean == pytest.approx(float(spread.p_meet.mean), rel=1e-12)
            assert rows["all", key].values[k].half_width == pytest.approx(float(spread.p_meet.half_width),
                                                                          rel=1e-12)


def test_difference_is_paired_by_replication(results: list[RunResult]) -> None:
    row = next(r for r in compare(results) if (r.scope, r.key) == ("all", "intervals_meeting_sl"))
    diff = row.diffs[1]
    assert diff is not None
    # every interval has calls here, so each replication counts the same intervals: the paired difference of the
    # shares is the mean of the per-replication differences
    assert diff.mean == pytest.approx(row.values[1].mean - row.values[0].mean, abs=1e-12)
    assert diff.mean > 0  # one agent more meets the target in more intervals
    assert 0 < diff.half_width < row.values[0].half_width + row.values[1].half_width  # pairing narrows the CI
    assert np.isfinite(diff.half_width)


PRICED = """
name: {name}
run: {{days: 2, replications: 8, seed: 5}}
sites:
  hq: {{kind: in_house}}
  bpo: {{kind: partner, contract: {{per_minute: 1.0}}}}
call_types:
  a:
    arrivals: {{rate_per_hour: 30}}
    handle_time: {{dist: exponential, mean: 240s}}
    patience: {{dist: exponential, mean: 60s}}
agent_groups:
  desk: {{skills: [a], agents: {agents}, cost_per_hour: 30}}
  partner: {{site: bpo, skills: [a], agents: 2}}
"""


@pytest.fixture(scope="module")
def priced() -> list[RunResult]:
    return [run(parse_scenario(PRICED.format(name=name, agents=agents), f"{name}.yaml"), workers=1)
            for name, agents in (("small", 1), ("large", 2))]


def test_cost_p90_is_that_of_the_per_replication_costs(priced: list[RunResult]) -> None:
    rows = {(r.scope, r.key): r for r in compare(priced)}
    keys = [k for _, k in rows]
    assert keys.index("total_cost_p90") == keys.index("total_cost") + 1  # next to the mean
    for key, scope, per_rep in (
            ("total_cost_p90", "all", lambda r: [f.costs.by_client.sum() for f in r.facts]),
            ("invoice_p90", "site bpo", lambda r: [sum(f.costs.invoices["bpo"].values()) for f in r.facts])):
        row = rows[scope, key]
        assert row.label.endswith("P90 per 2 days") and row.kind == "money"
        assert row.diffs == (None, None)  # a P90 is no mean: no paired difference
        for k, result in enumerate(priced):
            values = per_rep(result)
            assert row.values[k].mean == pytest.approx(float(np.percentile(values, 90)), rel=1e-12)
            assert math.isnan(row.values[k].half_width)
            assert row.values[k].mean > float(np.mean(values))  # the costs vary: P90 above the mean
        mean = rows[scope, key.removesuffix("_p90")]
        assert mean.values[0].mean == pytest.approx(float(np.mean(per_rep(priced[0]))), rel=1e-12)
    total = next(s for s in cost_risk(priced[0]) if s.level == "total")
    p90 = total.percentiles[COST_QUANTILES.index(90.0)]
    assert rows["all", "total_cost_p90"].values[0].mean == pytest.approx(p90, rel=1e-12)


def test_cost_p90_reaches_terminal_files_and_workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The P90 of comparison.json equals each scenario's own cost_risk (summary.json), the terminal shows it with
    '-' as difference, the workbook leaves the difference cells empty."""
    monkeypatch.chdir(tmp_path)
    names = ("small", "large", "huge")
    for name, agents in zip(names, (1, 2, 3), strict=True):
        Path(f"{name}.yaml").write_text(PRICED.format(name=name, agents=agents), encoding="utf-8")
    assert main(["compare", *(f"{n}.yaml" for n in names), "--replications", "4", "--workers", "1", "--xlsx",
                 "--out", "cmp"]) == 0
    out = capsys.readouterr().out
    records = json.loads(Path("cmp/comparison.json").read_text(encoding="utf-8"))["rows"]
    with Path("cmp/comparison.csv").open(newline="", encoding="utf-8") as handle:
        csv_rows = list(csv.DictReader(handle))
    for name in names:
        own = json.loads(Path(f"results/{name}/summary.json").read_text(encoding="utf-8"))["cost_risk"]["rows"]
        expected = {"total_cost_p90": next(r for r in own if r["level"] == "total")["percentiles"]["p90"],
                    "invoice_p90": next(r for r in own if r["name"] == "bpo")["percentiles"]["p90"]}
        for key, p90 in expected.items():
            record = next(r for r in records if (r["kpi"], r["scenario"]) == (key, name))
            assert record["mean"] == pytest.approx(p90, rel=1e-9)
            assert record["ci"] is None and record["diff_vs_first"] is None and record["diff_ci"] is None
            line = next(r for r in csv_rows if (r["kpi"], r["scenario"]) == (key, name))
            assert float(line["mean"]) == pytest.approx(p90, rel=1e-9)
    line = next(li for li in out.splitlines() if "Total cost P90 per 2 days EUR" in li)
    p90s = [next(r["mean"] for r in records if (r["kpi"], r["scenario"]) == ("total_cost_p90", n)) for n in names]
    # columns: small, large, large vs small, huge, huge vs small; no ±, no difference
    assert line.split()[-5:] == [f"{p90s[0]:,.0f}", f"{p90s[1]:,.0f}", "-", f"{p90s[2]:,.0f}", "-"]
    sheet = load_workbook("cmp/results.xlsx", read_only=True)["Comparison"]
    header, *cells = sheet.iter_rows(values_only=True)
    row = dict(zip(header, next(c for c in cells if c[1] == "Total cost P90 per 2 days"), strict=True))
    for name in names:  # three scenarios: the empty difference cells keep every later column in place
        mean = next(r["mean"] for r in records if (r["kpi"], r["scenario"]) == ("total_cost_p90", name))
        assert row[name] == pytest.approx(mean, rel=1e-9) and row[f"{name} ± 95 % CI"] is None
    assert all(row[f"{name} vs small{ci}"] is None for name in names[1:] for ci in ("", " ± 95 % CI"))
