"""Plots: every figure renders from a results folder, time axes read as clock time, panels per day or a mean day,
the staffing requirement is Erlang C, the waiting-time CDF agrees with the counts, and only the plotting modules
(plots.py, risk_plots.py, sweep_plots.py, channel_plots.py) import matplotlib."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from reporting_data import write_folder

from sim.analysis.analytic import agents_for_service_level
from sim.analysis.facts import WAIT_EDGES, wait_histogram
from sim.reports import plots
from sim.reports.results import Results, day_panels, load_results, requirement

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    return load_results(write_folder(tmp_path_factory.mktemp("plots") / "tiny"))


def test_every_figure_renders_as_png_and_svg(results: Results, tmp_path: Path) -> None:
    rendered = plots.render(results, plots.FORMATS)
    assert set(rendered) == {"service_level", "volumes", "staffing", "occupancy", "waiting_time", "labour_cost",
                             "costs", "risk_fan", "risk_daily_ecdf", "risk_heatmap"}
    files = plots.write_plots(rendered, tmp_path)
    assert len(files) == 20 and all(f.parent == tmp_path / "plots" for f in files)
    for by_format in rendered.values():
        assert by_format["png"].startswith(PNG) and len(by_format["png"]) > 10_000
        ET.fromstring(by_format["svg"])  # well-formed SVG
    assert rendered["volumes"]["svg"] == plots.render(results, ("svg",))["volumes"]["svg"]  # no timestamp


def test_time_axes_show_clock_time_and_every_axis_has_a_unit(results: Results) -> None:
    for make in (plots.service_level_figure, plots.volume_figure, plots.staffing_figure, plots.occupancy_figure):
        fig = make(results)
        bottom = fig.axes[-1]
        assert bottom.get_xlabel().startswith("time of day (HH:MM")
        assert bottom.xaxis.get_major_formatter()(8.5, 0) == "08:30"
        assert fig._supylabel is not None and re.search(r"%|agents|calls", fig._supylabel.get_text())
        assert [ax.get_title(loc="left") for ax in fig.axes] == ["Mon, day 1", "Tue, day 2"]
        lo, hi = bottom.get_xlim()
        assert 7 <= lo <= 8 and 18 <= hi <= 20  # cropped to the opening hours, whole hours
    wait = plots.wait_figure(results)
    assert wait is not None and "seconds" in wait.axes[0].get_xlabel() and "%" in wait.axes[0].get_ylabel()


def test_titles_say_what_is_pooled(results: Results) -> None:
    text = " ".join(t.get_text() for t in plots.staffing_figure(results).texts)
    assert "summed over the 2 groups" in text and "Erlang C" in text


def test_runs_longer_than_a_week_are_averaged_by_time_of_day() -> None:
    rows = [{"day": d, "weekday": "mon", "interval_start": f"{h:02d}:00", "offered": float(d + h)}
            for d in range(1, 11) for h in (8, 9)]
    (panel,) = day_panels(rows, ["offered"])
    assert panel.label == "mean of 10 days by time of day"
    assert panel.hours.tolist() == [8.0, 9.0] and panel.values["offered"].tolist() == [13.5, 14.5]
    assert len(day_panels(rows[:14], ["offered"])) == 7


def test_requirement_is_erlang_c_for_the_calls_of_each_interval() -> None:
    row = {"day": 1.0, "weekday": "mon", "interval_start": "10:00", "call_type": "all", "offered": 380.0,
           "deflected": 20.0, "closed": 10.0, "aht": 190.0, "agents_a": 30.0, "agents_b": 11.5}
    quiet = {**row, "interval_start": "10:30", "offered": 0.0, "deflected": 0.0, "closed": 0.0, "aht": np.nan}
    res = Results({"interval_s": 1800.0, "service_level": {"threshold_s": 20.0, "target": 0.8}},
                  {"rows": [{"level": "total", "name": "all", "kpis": {"aht": {"mean": 200.0, "ci": 1.0}}}]},
                  [row, quiet])
    busy, idle = requirement(res)
    assert busy["required"] == 42 == agents_for_service_level(350 / 1800, 190.0, 0.8, 20.0)  # published
    assert busy["scheduled"] == 41.5 and busy["difference"] == -0.5
    assert idle["required"] == 0 and idle["aht"] == 200.0


def test_wait_histogram_bins_and_cdf_agree_with_the_service_level_counts(results: Results) -> None:
    waits = np.array([0.0, 0.5, 1.0, 1.5, 20.0, np.nan, 7200.0])
    hist = wait_histogram(waits, np.array([0, 0, 0, 1, 1, 0, 1]), 2)
    assert hist.sum() == 6 and hist[0, 0] == 1 and hist[0, 1] == 2 and hist[1, 2] == 1 and hist[1, -1] == 1
    assert hist[1, list(WAIT_EDGES).index(20.0)] == 1
    cdf = results.summary["wait_distribution"]
    total = results.kpi_row("call_type", "sales")
    at_20 = cdf["cdf"]["sales"][cdf["edges_s"].index(20.0)]
    answered = sum(r["answered"] for r in results.intervals if r["call_type"] == "sales")
    within = sum(r["answered_within"] for r in results.intervals if r["call_type"] == "sales")
    assert at_20 == pytest.approx(within / answered, abs=1e-6)
    assert total["answered"]["mean"] == pytest.approx(answered)
    assert cdf["thresholds_s"]["service"] == 30.0


def test_cost_figure_takes_plain_comparison_data() -> None:
    costs = [("baseline", {"in-house labour": 120_000.0}),
             ("overflow", {"in-house labour": 95_000.0, "BPO fees": 18_500.0, "penalties": 1_200.0}),
             ("night pool", {"in-house labour": 80_000.0, "BPO fees": 30_000.0})]
    fig = plots.cost_figure(costs, "EUR", "Cost per scenario", "synthetic")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["120,000 EUR", "114,700 EUR", "110,000 EUR"]
    assert fig.axes[0].get_ylabel() == "cost (EUR)"
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["in-house labour", "BPO fees",
                                                                            "penalties"]
    assert plots.to_bytes(fig, "png").startswith(PNG)


def test_credits_hang_below_zero_and_clients_get_one_bar_each() -> None:
    fig = plots.cost_figure([("a", {"fees": 1000.0, "credits": -200.0, "unused": 0.0})], "EUR", "t", "s")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["800 EUR"] and ax.get_ylim()[0] < -200
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["fees", "credits"]
    kpis = {"in_house_labour": {"mean": 0.0}, "partner_fees": {"mean": 900.0}, "penalties_credits": {"mean": -50.0},
            "telephony": {"mean": 30.0}, "total_cost": {"mean": 880.0}}
    rows = [{"level": level, "name": name, "kpis": kpis}
            for level, name in (("total", "all"), ("client", "shop"), ("client", "insurer"))]
    res = Results({"scenario": "pool", "currency": "EUR", "days": 7, "replications": 3}, {"rows": rows}, [])
    fig = plots.cost_components_figure(res)
    assert fig is not None and [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["shop", "insurer"]
    assert "Cost per client by component" in [t.get_text() for t in fig.texts]


def test_only_the_plotting_module_imports_matplotlib() -> None:
    package = Path(plots.__file__).parent
    importers = sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                       if re.search(r"^\s*(import|from)\s+matplotlib", p.read_text(encoding="utf-8"), re.M))
    assert importers == ["channel_plots.py", "plots.py", "risk_plots.py", "sweep_plots.py"]
