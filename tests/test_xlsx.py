"""The Excel workbook: one sheet per table, the CSV files' column names unchanged, numbers as numbers."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from reporting_data import write_folder

from sim.cli.app import main
from sim.reports.outputs import Outputs, write_outputs


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
    assert book.sheetnames == ["Run", "KPIs", "Days", "Intervals", "Risk", "Cost risk", "Staffing",
                               "Wait distribution"]
    for sheet, file in (("KPIs", "summary.csv"), ("Days", "days.csv"), ("Intervals", "intervals.csv"),
                        ("Risk", "risk.csv"), ("Cost risk", "cost_risk.csv")):
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


PARTNER = """
name: partner
run: {days: 1, replications: 3, seed: 3}
sites:
  hq: {kind: in_house}
  bpo: {kind: partner, contract: {per_minute: 1.0}}
call_types:
  a:
    arrivals: {rate_per_hour: 30}
    handle_time: {dist: exponential, mean: 240s}
    patience: none
agent_groups:
  desk: {skills: [a], agents: 1, cost_per_hour: 30}
  partner: {site: bpo, skills: [a], agents: 2}
"""


def test_cost_risk_sheet_holds_the_csv_values_as_numbers(tmp_path: Path) -> None:
    out = write_folder(tmp_path / "partner", PARTNER)
    write_outputs(out, Outputs(xlsx=True))
    book = load_workbook(out / "results.xlsx", read_only=True)
    header, *rows = book["Cost risk"].iter_rows(values_only=True)
    with (out / "cost_risk.csv").open(newline="", encoding="utf-8") as handle:
        expected = list(csv.DictReader(handle))
    assert list(header) == list(expected[0])
    assert [(r["level"], r["name"]) for r in expected] == [("total", "all"), ("invoice", "bpo")]
    for row, want in zip(rows, expected, strict=True):
        got = dict(zip(header, row, strict=True))
        assert (got["level"], got["name"], got["period"]) == (want["level"], want["name"], "day")
        for key in ("replications", "mean", "p10", "p50", "p90", "p95"):
            assert isinstance(got[key], int | float), key
            assert got[key] == pytest.approx(float(want[key]), rel=1e-12), key
        assert got["p10"] < got["p90"]  # per-minute invoices differ between replications: a real comparison


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


@pytest.mark.parametrize(("description", "currency", "file"), [
    ('=HYPERLINK("http://example.invalid","open me")', "=1+1", "=1+1.yaml"),
    ("+1+1 agents", "+1", "+cmd.yaml"),
    ("-2+3 agents", "-1", "-cmd.yaml"),
    ("@SUM(1,2)", "@SUM(1)", "@cmd.yaml"),
    ("#N/A", "#REF!", "#cmd.yaml"),
], ids=["equals", "plus", "minus", "at", "error-code"])
def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    description: str, currency: str, file: str) -> None:
    """Scenario text (description, currency, file name) is stored as string cells, never as a formula or an error
    value, in the workbook of a run and of a comparison; numbers stay numbers."""
    monkeypatch.chdir(tmp_path)
    text = TINY + f"description: {json.dumps(description)}\ncurrency: {json.dumps(currency)}\n"
    Path(file).write_text(text, encoding="utf-8")
    Path("other.yaml").write_text(text.replace("name: tiny", "name: other"), encoding="utf-8")
    assert main(["run", "--xlsx", "--workers", "1", "--", file]) == 0
    assert main(["compare", "--xlsx", "--workers", "1", "--out", "cmp", "--", file, "other.yaml"]) == 0
    texts = {"results/tiny/results.xlsx": (("description", description), ("currency", currency),
                                            ("scenario_file", file)),
             "cmp/results.xlsx": (("File of tiny", file),)}
    for path, numbers, first, seed in ((Path("results/tiny/results.xlsx"), "KPIs", 3, "seed"),
                                       (Path("cmp/results.xlsx"), "Comparison", 4, "Seed")):
        with zipfile.ZipFile(path) as archive:
            sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in xml or b't="e"' in xml for xml in sheets), path  # no formula, no error
        book = load_workbook(path)
        run = {row[0].value: row[1] for row in book["Run"].iter_rows(min_row=2)}
        for key, literal in texts[str(path)]:
            assert (run[key].value, run[key].data_type) == (literal, "s"), (path, key)
        assert (run[seed].value, run[seed].data_type) == (5, "n")
        for sheet in book:
            types = {c.data_type for row in sheet.iter_rows() for c in row if c.value is not None}
            assert types <= {"s", "n"}, (path, sheet.title, types)
        assert {c.data_type for row in book[numbers].iter_rows(min_row=2, min_col=first) for c in row} == {"n"}
    assert "Comparison" in load_workbook("cmp/results.xlsx").sheetnames
