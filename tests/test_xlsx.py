"""The Excel workbook: one sheet per table, the CSV files' column names unchanged, numbers as numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from reporting_data import write_folder

from sim.cli import main
from sim.outputs import Outputs, write_outputs
from sim.results import load_results
from sim.xlsx import workbook


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = write_folder(tmp_path_factory.mktemp("xlsx") / "tiny")
    write_outputs(out, Outputs(xlsx=True))
    return out


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def test_one_sheet_per_table_with_the_csv_columns(folder: Path) -> None:
    book = load_workbook(folder / "results.xlsx", read_only=True)
    assert book.sheetnames == ["Run", "KPIs", "Days", "Intervals", "Staffing", "Wait distribution"]
    for sheet, file in (("KPIs", "summary.csv"), ("Days", "days.csv"), ("Intervals", "intervals.csv")):
        rows = list(book[sheet].iter_rows(values_only=True))
        assert list(rows[0]) == _header(folder / file)
        with (folder / file).open(newline="", encoding="utf-8") as handle:
            assert len(rows) - 1 == sum(1 for _ in csv.DictReader(handle))
    staffing = list(book["Staffing"].iter_rows(values_only=True))
    assert list(staffing[0]) == ["day", "weekday", "interval_start", "calls", "aht", "required", "scheduled",
                                 "difference"]
    assert list(next(book["Wait distribution"].iter_rows(values_only=True))) == ["wait_s", "sales", "service", "all"]


def test_values_are_numbers_and_run_settings_are_listed(folder: Path) -> None:
    book = load_workbook(folder / "results.xlsx", read_only=True)
    kpis = list(book["KPIs"].iter_rows(values_only=True))
    header, total = kpis[0], dict(zip(kpis[0], kpis[1], strict=True))
    assert total["level"] == "total" and isinstance(total["offered"], int | float) and 0 < total["service_level"] <= 1
    assert "offered_ci" in header
    run = dict(book["Run"].iter_rows(min_row=2, values_only=True))
    assert run["seed"] == 7 and run["service_level.threshold_s"] == 20 and "versions.numpy" in run


def test_comparison_sheet_when_given(folder: Path) -> None:
    book = workbook(load_results(folder), folder, comparison=[{"scenario": "a", "cost": 1.5},
                                                             {"scenario": "b", "cost": 2.5, "note": "x"}])
    rows = list(book["Comparison"].iter_rows(values_only=True))
    assert rows == [("scenario", "cost", "note"), ("a", 1.5, None), ("b", 2.5, "x")]


TINY = """
name: tiny
run: {days: 1, replications: 2, seed: 5}
call_types:
  a:
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 180s}
    patience: none
agent_groups:
  team: {skills: [a], agents: 5}
"""


def test_run_flags_write_every_output_inside_the_atomic_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tiny.yaml").write_text(TINY, encoding="utf-8")
    assert main(["run", "tiny.yaml", "--xlsx", "--report", "--plots", "--workers", "1"]) == 0
    out = Path("results/tiny")
    assert {"results.xlsx", "report.html", "plots"} <= {p.name for p in out.iterdir()}
    names = {p.stem for p in (out / "plots").glob("*.png")}
    assert names == {p.stem for p in (out / "plots").glob("*.svg")}
    assert {"service_level", "volumes", "staffing", "occupancy", "waiting_time"} <= names
    assert "labour_cost" not in names  # no group has a cost per hour
    assert "report: results/tiny/report.html" in capsys.readouterr().out
    assert [p.name for p in Path("results").iterdir()] == ["tiny"]  # no temporary folder left
