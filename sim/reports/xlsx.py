"""The results folder as one Excel workbook (openpyxl), one sheet per table, for analysts who live in spreadsheets.

Sheets and their columns (stable; the CSV sheets keep the CSV files' column names exactly):

- ``Run``: key / value pairs of run.json (nested keys joined with dots, e.g. ``service_level.target``);
- ``KPIs``, ``Days``, ``Intervals``, ``Risk``: summary.csv, days.csv, intervals.csv and risk.csv;
- ``Cost risk``: cost_risk.csv (only when the scenario prices something);
- ``Channel intervals``: channel_intervals.csv (only with campaigns, work items or chats);
- ``Staffing``: per interval ``day, weekday, interval_start, calls, aht, required, scheduled, difference``
  (calls that wanted an agent, Erlang C agents required, agents logged in, logged in - required);
- ``Wait distribution``: ``wait_s`` and, per call type and ``all``, the share of answered calls that waited at
  most ``wait_s`` seconds;
- ``Invoices``: every partner invoice clause by clause (summary.json ``invoices``, as invoices.csv);
- ``Sites``: per site SL (the contract's measure), contracted SL, abandonment, occupancy and cost (``sites``);

The workbook of a comparison (``ccsim compare --xlsx``, ``comparison_workbook``) has instead:

- ``Run``: the run facts (seed, replications, days, ccsim version, each scenario file and its sha256);
- ``Comparison``: one row per KPI: ``KPI scope, KPI name, KPI unit``, then per scenario its mean and 95 % CI
  half-width and, for all but the first, the paired difference to the first and its half-width, all numbers
  (``<scenario>``, ``<scenario> ± 95 % CI``, ``<scenario> vs <first>``, ``<scenario> vs <first> ± 95 % CI``);
  P90 cost rows have neither CI nor difference (sim.analysis.compare);
- ``What differs``: ``key`` and one column per scenario, the keys whose values differ between the files;
- ``Invoices``: every scenario's partner invoice lines, with a first column ``scenario``;
- per scenario ``<scenario> KPIs``, ``<scenario> Days``, ``<scenario> Intervals``: its summary.csv, days.csv and
  intervals.csv (titles cut to Excel's 31 characters and made unique).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sim.analysis.compare import CompareRow
from sim.reports.compare_output import shown_rows, unit_of
from sim.reports.compare_report import Comparison, sheet_titles
from sim.reports.results import Results, read_table, requirement

CSV_SHEETS = (("KPIs", "summary.csv"), ("Days", "days.csv"), ("Intervals", "intervals.csv"), ("Risk", "risk.csv"),
              ("Cost risk", "cost_risk.csv"), ("Channel intervals", "channel_intervals.csv"))
BOLD = Font(bold=True)


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _value(value: Any) -> Any:
    """A cell value: NaN and None become empty cells, other values stay as they are."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _cell(sheet: Worksheet, value: Any) -> Cell:
    """A cell of ``value``; text is always a string cell: openpyxl would store text starting with '=' as a formula
    and '#N/A' and the like as error values, which a spreadsheet evaluates (formula injection)."""
    cell = Cell(sheet, value=_value(value))  # type: ignore[call-arg]  # row and column are set by append()
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Add a sheet: bold frozen header row, an autofilter, widths fitted to the header."""
    sheet = book.create_sheet(title)
    for j, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = max(10, min(len(str(name)) + 2, 40))
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, name) for name in header])
    for cell in sheet[1]:
        cell.font = BOLD
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, v) for v in row])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(header), 1))}{count + 1}"


def workbook(results: Results, folder: Path) -> Workbook:
    """The workbook of a results folder (tables read from its CSV files)."""
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    _sheet(book, "Run", ["key", "value"], ([k, v if not isinstance(v, list) else str(v)]
                                          for k, v in _flatten(results.run)))
    for title, file in CSV_SHEETS:
        if (folder / file).exists():
            rows = read_table(folder / file)
            header = list(rows[0]) if rows else []
            _sheet(book, title, header, ([r[k] for k in header] for r in rows))
    staffing = requirement(results)
    if staffing:
        header = list(staffing[0])
        _sheet(book, "Staffing", header, ([r[k] for k in header] for r in staffing))
    waits = results.summary.get("wait_distribution") or {}
    cdf = {k: v for k, v in (waits.get("cdf") or {}).items() if v is not None}
    if cdf:
        _sheet(book, "Wait distribution", ["wait_s", *cdf],
               ([edge, *(c[i] for c in cdf.values())] for i, edge in enumerate(waits["edges_s"])))
    _json_sheet(book, "Invoices", results.summary.get("invoices") or [])
    sites = results.summary.get("sites") or []
    if len(sites) > 1 or any(r["kind"] == "partner" for r in sites):  # not for one in-house site
        _json_sheet(book, "Sites", sites)
    return book


def _json_sheet(book: Workbook, title: str, rows: Sequence[dict[str, Any]]) -> None:
    """A sheet of summary.json rows (lists such as a site's groups joined with commas); none if no rows."""
    if rows:
        header = list(dict.fromkeys(k for r in rows for k in r))
        _sheet(book, title, header, ([", ".join(v) if isinstance(v := r.get(k), list) else v for k in header]
                                     for r in rows))


COMPARE_FIXED = ("KPI scope", "KPI name", "KPI unit")
"""The text columns of the Comparison sheet: with a space, so no scenario name (no spaces) can be the same."""
PER_SCENARIO = (("KPIs", "summary.csv"), ("Days", "days.csv"), ("Intervals", "intervals.csv"))


def comparison_header(names: Sequence[str]) -> list[str]:
    """The Comparison sheet's header: fixed text columns, then value and CI half-width per scenario and per
    difference to the first."""
    out = [*COMPARE_FIXED, names[0], f"{names[0]} ± 95 % CI"]
    for name in names[1:]:
        diff = f"{name} vs {names[0]}"
        out += [name, f"{name} ± 95 % CI", diff, f"{diff} ± 95 % CI"]
    return out


def _numbers(row: CompareRow, currency: str) -> list[Any]:
    """A Comparison sheet row: numbers in the unit shown (percentages in %), empty where not estimated."""
    unit, scale, _ = unit_of(row, currency)
    out: list[Any] = [row.scope, row.label, unit]
    for k, (value, diff) in enumerate(zip(row.values, row.diffs, strict=True)):
        out += [value.mean * scale, value.half_width * scale]
        if k:  # no difference in P90 rows: empty cells
            out += [None, None] if diff is None else [diff.mean * scale, diff.half_width * scale]
    return out


def comparison_workbook(comparison: Comparison) -> Workbook:
    """The workbook of a comparison (see the module docstring)."""
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    _sheet(book, "Run", ["key", "value"], comparison.facts())
    names = comparison.names
    _sheet(book, "Comparison", comparison_header(names),
           (_numbers(r, comparison.currency) for r in shown_rows(names, comparison.rows, comparison.currency)))
    _sheet(book, "What differs", ["key", *names], ([d.path, *d.values] for d in comparison.differences))
    invoices = [{"scenario": name, **line} for name, results in zip(names, comparison.results, strict=True)
                for line in results.summary.get("invoices") or []]
    _json_sheet(book, "Invoices", invoices)
    titles = sheet_titles(names, [kind for kind, _ in PER_SCENARIO])
    for name, folder in zip(names, comparison.folders, strict=True):
        for kind, file in PER_SCENARIO:
            if (folder / file).exists():
                rows = read_table(folder / file)
                header = list(rows[0]) if rows else []
                _sheet(book, titles[name, kind], header, ([r[k] for k in header] for r in rows))
    return book


def write_comparison_workbook(comparison: Comparison, folder: Path) -> Path:
    """Write the comparison's ``folder/results.xlsx`` (via a temporary file and a rename); return its path."""
    path = folder / "results.xlsx"
    tmp = folder / ".results.xlsx.tmp"
    comparison_workbook(comparison).save(tmp)
    tmp.replace(path)
    return path


def write_workbook(results: Results, folder: Path) -> Path:
    """Write ``folder/results.xlsx`` (via a temporary file and a rename); return its path."""
    path = folder / "results.xlsx"
    tmp = folder / ".results.xlsx.tmp"
    workbook(results, folder).save(tmp)
    tmp.replace(path)
    return path
