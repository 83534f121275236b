"""Partner invoices clause by clause: lines sum to totals, match the cost components, reach invoices.csv and
summary.json, and one invoice checked by hand."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from sim.analysis.experiment import RunResult, run
from sim.analysis.summary import invoice_lines, site_rows, summarize
from sim.economics.billing import COMPONENTS
from sim.economics.costs import Usage, invoice
from sim.reports.html import report_html
from sim.reports.plots import labour_cost_figure
from sim.reports.report import write_results
from sim.reports.results import load_results
from sim.reports.xlsx import write_workbook
from sim.scenario.contract import MONTH_DAYS, Contract
from sim.scenario.loader import parse_scenario

SCENARIO = """
name: inv
run: {{days: 2, replications: 3, seed: 5}}
sites:
  bpo:
    kind: partner
    bill_per_client: {per_client}
    contract:
      per_minute: 1.0
      monthly_minimum: 900
      sla: {{threshold: 20s, target: 0.95, credit: 0.05}}
      rejected_malus: {{per_call: 2.0, free_share: 0.01}}
clients:
  big:
    call_types:
      a:
        arrivals: {{rate_per_hour: 30}}
        handle_time: {{dist: exponential, mean: 240s}}
        patience: {{dist: exponential, mean: 60s}}
  small:
    call_types:
      b:
        arrivals: {{rate_per_hour: 2}}
        handle_time: {{dist: exponential, mean: 240s}}
        patience: {{dist: exponential, mean: 60s}}
agent_groups:
  desk: {{site: bpo, skills: [a, b], agents: 2}}
"""


def _run(per_client: bool) -> RunResult:
    return run(parse_scenario(SCENARIO.format(per_client=str(per_client).lower()), "inv.yaml"), workers=1)


@pytest.fixture(scope="module", params=[False, True], ids=["per_site", "per_client"])
def result(request: pytest.FixtureRequest) -> RunResult:
    return _run(request.param)


def test_lines_sum_to_the_total_and_to_the_cost_components(result: RunResult) -> None:
    for facts in result.facts:
        fees = credits = 0.0
        for bill in facts.costs.lines.values():
            assert set(bill.terms) == set(bill.items)
            assert math.fsum(bill.items.values()) == bill.total
            fees += math.fsum(v for v in bill.items.values() if v > 0)
            credits += math.fsum(v for v in bill.items.values() if v < 0)
        by_client = facts.costs.by_client
        assert by_client[COMPONENTS.index("partner_fees")].sum() == pytest.approx(fees, rel=1e-12)
        assert by_client[COMPONENTS.index("penalties_credits")].sum() == pytest.approx(credits, rel=1e-12)
        assert credits < 0  # the SLA target of 95 % with 2 agents is missed: the credit is traceable


def test_per_client_billing_gives_lines_per_client() -> None:
    assert {client for _, client in _run(True).facts[0].costs.lines} == {"big", "small"}
    assert {client for _, client in _run(False).facts[0].costs.lines} == {"all"}


def test_every_line_reaches_invoices_csv_and_summary_json(result: RunResult, tmp_path: Path) -> None:
    folder = write_results(result, summarize(result), tmp_path / "out", None).target
    lines = invoice_lines(result)
    with (folder / "invoices.csv").open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    stored = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["invoices"]
    assert len(table) == len(stored) == len(lines)
    for row, cells, entry in zip(lines, table, stored, strict=True):
        assert (cells["site"], cells["client"], cells["clause"]) == (row["site"], row["client"], row["clause"])
        assert float(cells["amount"]) == pytest.approx(row["amount"], abs=1e-6)
        assert entry["amount"] == pytest.approx(row["amount"])
    for (site, client) in result.facts[0].costs.lines:
        own = [r for r in lines if (r["site"], r["client"]) == (site, client)]
        total = next(r for r in own if r["clause"] == "total")
        assert math.fsum(r["amount"] for r in own if r["clause"] != "total") == pytest.approx(total["amount"])
        assert total["amount_ci"] > 0  # a CI half-width over 3 replications
        credit = next(r for r in own if r["clause"] == "sla_credit")
        assert credit["reference"] == pytest.approx(0.95)  # contracted SL
        assert credit["quantity"] < 0.95  # measured SL


def test_sla_line_quantity_is_the_site_service_level(result: RunResult) -> None:
    records_sl = [bill.service_level for f in result.facts for bill in f.costs.lines.values()]
    terms_sl = [bill.terms["sla_credit"].quantity for f in result.facts for bill in f.costs.lines.values()]
    assert records_sl == terms_sl


def test_one_invoice_by_hand() -> None:
    """7 days, 600 billable minutes at 1.10, minimum 4000 / month, SLA 80 % missed (78 %), 30 rejected of 1000
    offered with 1 % free at 1.50 each."""
    c = Contract.model_validate({"per_minute": 1.1, "monthly_minimum": 4000,
                                 "sla": {"threshold": "20s", "target": 0.8, "credit": 0.05},
                                 "rejected_malus": {"per_call": 1.5, "free_share": 0.01}})
    u = Usage(interval_start=np.array([36000.0]), interval_length=3600.0, start_weekday=0,
              handled_calls=np.array([900.0]), billable_seconds=np.array([600 * 60.0]),
              logged_in_seconds=np.array([0.0]), offered=1000, answered=900, answered_within=780, abandoned=100,
              rejected=30, horizon_days=7)
    inv = invoice(c, u)
    months = 7 / MONTH_DAYS
    floor = 4000 * months  # 919.92: above the 660 of minutes
    expected: dict[str, tuple[float, float, float, Any]] = {
        "minutes": (600.0, 1.1, 660.0, None),
        "minimum_top_up": (floor - 660.0, 1.0, floor - 660.0, floor),
        "sla_credit": (0.78, -0.05, -0.05 * floor, 0.8),
        "rejected_malus": (20.0, -1.5, -30.0, 10.0),
    }
    assert list(inv.items) == list(expected)
    for key, (quantity, rate, amount, reference) in expected.items():
        term = inv.terms[key]
        assert (term.quantity, term.rate, inv.items[key]) == pytest.approx((quantity, rate, amount)), key
        assert math.isnan(term.reference) if reference is None else term.reference == pytest.approx(reference)
    assert inv.total == pytest.approx(floor * 0.95 - 30.0)


def test_site_service_level_is_the_contract_measure_from_the_facts(result: RunResult) -> None:
    (row,) = site_rows(result)
    answered = np.array([f.costs.site_counts[0, 0] for f in result.facts])
    within = np.array([f.costs.site_counts[0, 1] for f in result.facts])
    offered = answered + np.array([f.costs.site_counts[0, 2] for f in result.facts])
    assert row["service_level"] == pytest.approx(within.sum() / offered.sum())
    assert row["contracted_sl"] == 0.95 and row["cost_basis"] == "invoice"
    per_rep = [math.fsum(b.total for b in f.costs.lines.values()) for f in result.facts]
    assert row["cost"] == pytest.approx(np.mean(per_rep))
    total_sl = [bill.service_level for f in result.facts for bill in f.costs.lines.values()]
    if len(result.facts[0].costs.lines) == 1:  # one invoice: its SL is the site's, replication by replication
        assert total_sl == pytest.approx((within / offered).tolist())


def test_labour_chart_shows_partner_groups_at_their_invoice_share(tmp_path: Path) -> None:
    result = _run(False)
    folder = write_results(result, summarize(result), tmp_path / "out", None).target
    fig = labour_cost_figure(load_results(folder))
    assert fig is not None
    (bar,) = fig.axes[0].patches
    invoiced = math.fsum(f.costs.lines["bpo", "all"].total for f in result.facts) / len(result.facts)
    assert bar.get_width() == pytest.approx(invoiced) and invoiced > 0


def test_every_line_reaches_the_html_report_and_the_workbook(tmp_path: Path) -> None:
    result = _run(True)
    folder = write_results(result, summarize(result), tmp_path / "out", None).target
    results = load_results(folder)
    page = report_html(results, {})
    book = openpyxl.load_workbook(write_workbook(results, folder))
    sheet = [[c.value for c in row] for row in book["Invoices"].iter_rows()]
    header, rows = sheet[0], sheet[1:]
    lines = invoice_lines(result)
    assert len(rows) == len(lines)
    for row, line in zip(rows, lines, strict=True):
        cells = dict(zip(header, row, strict=True))
        assert (cells["site"], cells["client"], cells["clause"]) == (line["site"], line["client"], line["clause"])
        assert cells["amount"] == pytest.approx(line["amount"])
        assert f"{line['amount']:,.2f} ± {line['amount_ci']:,.2f}" in page
    assert [c.value for c in book["Sites"]["A"]][1:] == ["bpo"]
    assert "Contracted SL %" in page


def test_site_asa_and_answered_within_are_those_of_the_calls_its_agents_answered(result: RunResult) -> None:
    """Recomputed from each replication's records (the same streams as the run): wait of answered calls over
    answered calls, and the share within the call type's threshold (20 s, the default)."""
    from sim.engine.callers import draw_callers
    from sim.engine.layout import build_layout
    from sim.engine.model import simulate
    from sim.engine.records import ANSWERED
    from sim.engine.streams import Streams

    layout = build_layout(result.scenario)
    waited = answered = within = 0.0
    for r in range(result.scenario.run.replications):
        streams = Streams(result.scenario.run.seed, r)
        records = simulate(layout, draw_callers(layout, streams), streams)
        mine = records.outcome == ANSWERED
        waited += float(records.wait[mine].sum())
        answered += float(mine.sum())
        within += float((records.wait[mine] <= 20.0).sum())
    row = next(r for r in site_rows(result) if r["site"] == "bpo")
    assert answered > 100 and 0.0 < within < answered
    assert row["asa"] == pytest.approx(waited / answered, rel=1e-9)
    assert row["answered_within"] == pytest.approx(within / answered, rel=1e-9)
    assert row["asa_ci"] > 0.0
