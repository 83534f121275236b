"""The results folder as one Excel workbook (openpyxl), one sheet per table, for analysts who live in spreadsheets.

Sheets and their columns (stable; the CSV sheets keep the CSV files' column names exactly):

- ``Run``: key / value pairs of run.json (nested keys joined with dots, e.g. ``service_level.target``);
- ``KPIs``, ``Days``, ``Intervals``, ``Risk``: summary.csv, days.csv, intervals.csv and risk.csv;
- ``Staffing``: per interval ``day, weekday, interval_start, calls, aht, required, scheduled, difference``
  (calls that wanted an agent, Erlang C agents required, agents logged in, logged in - required);
- ``Wait distribution``: ``wait_s`` and, per call type and ``all``, the share of answered calls that waited at
  most ``wait_s`` seconds;
- ``Invoices``: every partner invoice clause by clause (summary.json ``invoices``, as invoices.csv);
- ``Sites``: per site SL (the contract's measure), contracted SL, abandonment, occupancy and cost (``sites``);
- ``Comparison``: only when a comparison table is given (for ``ccsim compare``: one row per KPI, a column per
  scenario and one ``<scenario> vs <first>`` per difference, as on the terminal).
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

from sim.reports.results import Results, read_table, requirement

CSV_SHEETS = (("KPIs", "summary.csv"), ("Days", "days.csv"), ("Intervals", "intervals.csv"), ("Risk", "risk.csv"))
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


def workbook(results: Results, folder: Path, comparison: Sequence[dict[str, Any]] | None = None) -> Workbook:
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
    if comparison:
        header = list(dict.fromkeys(k for r in comparison for k in r))
        _sheet(book, "Comparison", header, ([r.get(k) for k in header] for r in comparison))
    return book


def _json_sheet(book: Workbook, title: str, rows: Sequence[dict[str, Any]]) -> None:
    """A sheet of summary.json rows (lists such as a site's groups joined with commas); none if no rows."""
    if rows:
        header = list(dict.fromkeys(k for r in rows for k in r))
        _sheet(book, title, header, ([", ".join(v) if isinstance(v := r.get(k), list) else v for k in header]
                                     for r in rows))


def write_workbook(results: Results, folder: Path, comparison: Sequence[dict[str, Any]] | None = None) -> Path:
    """Write ``folder/results.xlsx`` (via a temporary file and a rename); return its path."""
    path = folder / "results.xlsx"
    tmp = folder / ".results.xlsx.tmp"
    workbook(results, folder, comparison).save(tmp)
    tmp.replace(path)
    return path
