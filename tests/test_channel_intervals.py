"""The per-interval table of campaigns, work and chat (channel_intervals.csv) and its figures: the intervals add
up to the whole-run KPIs, the file is written only for scenarios with such work, and each figure appears exactly
where the scenario has its channel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from sim.analysis.channel_intervals import COLUMNS, channel_interval_rows
from sim.analysis.experiment import RunResult, run, with_overrides
from sim.analysis.summary import kpi_rows, summarize
from sim.reports import plots
from sim.reports.outputs import Outputs, write_outputs
from sim.reports.report import write_results
from sim.reports.results import load_results
from sim.scenario.loader import load_scenario


def _run(path: str) -> RunResult:
    return run(with_overrides(load_scenario(path), replications=2, days=2), workers=1)


@pytest.fixture(scope="module")
def desk() -> RunResult:
    return _run("scenarios/service_desk.yaml")


def _series(rows: list[dict], level: str, name: str, kpi: str) -> np.ndarray:
    return np.asarray([r["mean"] for r in rows if (r["level"], r["name"], r["kpi"]) == (level, name, kpi)])


def test_the_intervals_add_up_to_the_whole_run(desk: RunResult) -> None:
    rows = channel_interval_rows(desk)
    whole = {(r.level, r.name): r.kpis for r in kpi_rows(desk)}
    n = desk.layout.n_intervals - desk.facts[0].first_interval
    for level, name, kpi in (("work", "tickets", "arrived"), ("work", "tickets", "answered"),
                             ("chat", "web_chat", "offered"), ("chat", "web_chat", "answered")):
        series = _series(rows, level, name, kpi)
        assert len(series) == n
        assert series.sum() == pytest.approx(float(whole[level, name][kpi].mean), rel=1e-9)
    backlog = _series(rows, "work", "tickets", "mean_backlog")  # equal intervals: the run's mean is their mean
    assert backlog.mean() == pytest.approx(float(whole["work", "tickets"]["mean_backlog"].mean), rel=1e-9)
    assert set(rows[0]) == set(COLUMNS)


def test_the_file_and_figures_follow_the_channels(desk: RunResult, tmp_path: Path) -> None:
    write_results(desk, summarize(desk), tmp_path / "desk", None)
    results = load_results(tmp_path / "desk")
    assert len(results.channel_intervals) == len(channel_interval_rows(desk))
    write_outputs(tmp_path / "desk", Outputs(xlsx=True))
    sheet = load_workbook(tmp_path / "desk" / "results.xlsx", read_only=True)["Channel intervals"]
    header, *cells = sheet.iter_rows(values_only=True)
    assert list(header) == list(COLUMNS) and len(cells) == len(results.channel_intervals)
    figures = plots.figures(results)
    assert {"work_backlog", "chat_service_level"} <= set(figures) and "outbound_contacts" not in figures
    backlog = figures["work_backlog"]
    top = max(max(line.get_ydata()) for ax in backlog.axes for line in ax.get_lines())
    assert all(ax.get_ylim()[1] >= top for ax in backlog.axes)  # no panel cut off
    sales = _run("scenarios/telesales_predictive.yaml")
    write_results(sales, summarize(sales), tmp_path / "sales", None)
    figures = plots.figures(load_results(tmp_path / "sales"))
    assert "outbound_contacts" in figures and "work_backlog" not in figures
    calls = _run("scenarios/night_pooled.yaml")
    write_results(calls, summarize(calls), tmp_path / "calls", None)
    assert not (tmp_path / "calls" / "channel_intervals.csv").exists()
    assert not {"work_backlog", "chat_service_level", "outbound_contacts"} & set(plots.figures(
        load_results(tmp_path / "calls")))
