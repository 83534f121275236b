"""The comparison of scenarios on the terminal and on disk (comparison.csv, comparison.json, run.json)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.analysis.compare import CompareRow, demand_notes
from sim.analysis.experiment import RunResult
from sim.analysis.stats import Estimate
from sim.economics.billing import COMPONENTS
from sim.reports.folders import Staged, staged_folder
from sim.reports.outputs import Outputs
from sim.reports.report import json_number, versions, write_csv
from sim.scenario.overrides import Override

_SCALE = {"pct": (100.0, 1, " %"), "sec": (1.0, 1, " s"), "count": (1.0, 0, ""), "money": (1.0, 0, ""),
          "money2": (1.0, 2, "")}


def _fmt(e: Estimate | None, kind: str, signed: bool = False) -> str:
    if e is None or math.isnan(e.mean):
        return "-"
    scale, digits, _ = _SCALE[kind]
    text = f"{e.mean * scale:+,.{digits}f}" if signed else f"{e.mean * scale:,.{digits}f}"
    if not math.isnan(e.half_width) and e.half_width > 0:
        text += f" ±{e.half_width * scale:,.{digits}f}"
    return text


@dataclass(frozen=True)
class Column:
    """A scenario column of the wide comparison table (terminal, HTML report): the level of one scenario, or its
    paired difference to the first."""

    header: str
    scenario: int
    difference: bool

    def text(self, row: CompareRow) -> str:
        """This column's cell of ``row``."""
        if self.difference:
            return _fmt(row.diffs[self.scenario], row.kind, signed=True)
        return _fmt(row.values[self.scenario], row.kind)


def columns(names: Sequence[str]) -> list[Column]:
    """The first scenario's level, then each other scenario's level and its difference to the first, headed
    "<scenario> vs <first>": no two headers alike (scenario names differ and hold no spaces)."""
    out = [Column(names[0], 0, False)]
    for k, name in enumerate(names[1:], start=1):
        out += [Column(name, k, False), Column(f"{name} vs {names[0]}", k, True)]
    return out


def _cells(row: CompareRow, scenarios: Sequence[Column], currency: str) -> list[str]:
    unit = _SCALE[row.kind][2] or (f" {currency}" if row.kind.startswith("money") else "")
    return [row.scope, row.label + unit, *(c.text(row) for c in scenarios)]


def _shown(cells: list[str]) -> bool:
    """Rows that are zero everywhere (e.g. no busy signals in any scenario) are left out."""
    return any(c.lstrip("+").replace("0", "").strip(".") not in ("", "-") for c in cells[2:])


def _table(names: Sequence[str], rows: Sequence[CompareRow], currency: str) -> list[list[str]]:
    """The wide comparison table: header, then the cells of every shown KPI row."""
    scenarios = columns(names)
    cells = (_cells(r, scenarios, currency) for r in rows)
    return [["Scope", "KPI", *(c.header for c in scenarios)], *(c for c in cells if _shown(c))]


def comparison_table(names: list[str], rows: list[CompareRow], currency: str) -> str:
    """Side-by-side KPIs (95 % CIs) with the paired difference of each scenario against the first."""
    cells = _table(names, rows, currency)
    widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in cells]
    return "\n".join(lines + demand_notes(names, rows))


FIXED = ("KPI scope", "KPI (unit)")
"""Headers of the two text columns of the report's and workbook's comparison tables: with a space, so no scenario
name (no spaces) and no "<scenario> vs <first>" header can be the same; the terminal keeps its short headers."""


def comparison_cells(names: list[str], rows: list[CompareRow], currency: str) -> tuple[list[str], list[list[str]]]:
    """The comparison as the terminal shows it (for the HTML report): header and rows of cells, by position; the
    text columns headed ``FIXED``."""
    header, *cells = _table(names, rows, currency)
    return [*FIXED, *header[2:]], cells


def unit_of(row: CompareRow, currency: str) -> tuple[str, float, int]:
    """(unit, scale, digits) of a row's numbers as shown: percentages in %, seconds, counts, money in ``currency``."""
    scale, digits, unit = _SCALE[row.kind]
    return unit.strip() or (currency if row.kind.startswith("money") else ""), scale, digits


def shown_rows(names: list[str], rows: list[CompareRow], currency: str) -> list[CompareRow]:
    """The rows the comparison tables show (not zero everywhere)."""
    scenarios = columns(names)
    return [r for r in rows if _shown(_cells(r, scenarios, currency))]


def comparison_records(names: list[str], rows: list[CompareRow]) -> list[dict[str, Any]]:
    """One flat record per KPI and scenario: value, CI, difference to the first scenario and its CI."""
    out = []
    for row in rows:
        for name, value, diff in zip(names, row.values, row.diffs, strict=True):
            out.append({"scope": row.scope, "kpi": row.key, "scenario": name, "mean": json_number(value.mean),
                        "ci": json_number(value.half_width),
                        "diff_vs_first": None if diff is None else json_number(diff.mean),
                        "diff_ci": None if diff is None else json_number(diff.half_width)})
    return out


def cost_bars(results: list[RunResult], rows: list[CompareRow]) -> list[tuple[str, dict[str, float]]]:
    """(bar label, {cost component: mean}) per scenario, and per client and scenario when several clients."""
    bars = []
    scopes = dict.fromkeys(r.scope for r in rows if not r.scope.startswith("site "))
    for scope in scopes:
        for k, result in enumerate(results):
            parts = {r.label: float(r.values[k].mean) for r in rows if r.scope == scope and r.key in COMPONENTS}
            name = result.scenario.name
            label = name if scope == "all" else f"{scope}: {name}"
            bars.append((label, parts))
    return bars


def _extras(results: list[RunResult], files: list[str], rows: list[CompareRow], folder: Path,
            wanted: Outputs, overrides: Sequence[Sequence[Override]]) -> None:
    """Cost chart, HTML report and workbook of a comparison, about all its scenarios."""
    from sim.reports import plots
    from sim.reports.compare_report import comparison_of, write_compare_report
    from sim.reports.xlsx import write_comparison_workbook

    currency, names = results[0].scenario.currency, [r.scenario.name for r in results]
    charts: dict[str, dict[str, bytes]] = {}
    if wanted.plots or wanted.report:
        unlike = (" Not like for like: the scenarios answer different shares of the offered demand (closed hours, "
                  "busy signals); compare cost per offered call." if demand_notes(names, rows) else "")
        figure = plots.cost_figure(cost_bars(results, rows), currency, "Cost per scenario",
                                   "Mean over replications (common random numbers); credits below zero." + unlike)
        charts["cost_comparison"] = {fmt: plots.to_bytes(figure, fmt) for fmt in plots.FORMATS}
    if wanted.plots:
        plots.write_plots(charts, folder)
    comparison = comparison_of(results, files, rows, overrides)
    if wanted.report:
        write_compare_report(comparison, {name: by_format["png"] for name, by_format in charts.items()}, folder)
    if wanted.xlsx:
        write_comparison_workbook(comparison, folder)


def write_comparison(results: list[RunResult], files: list[str], rows: list[CompareRow], out_dir: Path,
                     wanted: Outputs | None = None, overrides: Sequence[Sequence[Override]] = ()) -> Staged:
    """Write comparison.csv/json and run.json (and the wanted plots, report, workbook) into ``out_dir``
    atomically (see sim.reports.folders); return where it went and what it replaced. ``overrides``: the
    ``--set`` options each scenario was run with."""
    names = [r.scenario.name for r in results]
    with staged_folder(out_dir) as staged:
        tmp = staged.path
        records = comparison_records(names, rows)
        write_csv(tmp / "comparison.csv", list(records[0]), records)
        texts = list(dict.fromkeys(o.text for mine in overrides for o in mine))
        info = {"scenarios": names, "files": files, "overrides": texts, "seed": results[0].scenario.run.seed,
                "replications": results[0].scenario.run.replications, "versions": versions(),
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds")}
        (tmp / "run.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        (tmp / "comparison.json").write_text(json.dumps({"run": info, "notes": demand_notes(names, rows),
                                                         "rows": records}, indent=2) + "\n",
                                             encoding="utf-8")
        if wanted is not None and (wanted.plots or wanted.report or wanted.xlsx):
            _extras(results, files, rows, tmp, wanted, overrides)
    return staged
