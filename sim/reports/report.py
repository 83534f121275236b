"""Results on disk and on the terminal: run.json, summary.csv/json, days.csv, intervals.csv, risk.csv, cost_risk.csv,
a KPI table.

Files are written into a staging folder beside the target, then renamed into place (sim.reports.folders): an interrupted
run never leaves a half-written results folder, and a folder ccsim did not write is never replaced.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.channel_intervals import COLUMNS as CHANNEL_INTERVAL_COLUMNS
from sim.analysis.channel_intervals import channel_interval_rows
from sim.analysis.experiment import RunResult
from sim.analysis.risk import (
    COST_CSV_COLUMNS,
    CSV_COLUMNS,
    cost_risk,
    cost_risk_csv_rows,
    cost_risk_json,
    cost_risk_text,
    risk_csv_rows,
    risk_json,
    risk_profile,
    terminal_lines,
)
from sim.analysis.stats import Estimate
from sim.analysis.summary import (
    INVOICE_COLUMNS,
    IntervalTable,
    KpiRow,
    Summary,
    invoice_lines,
    period_label,
    site_rows,
)
from sim.analysis.theory import analytic_twin, comparison_rows
from sim.economics.billing import COMPONENTS
from sim.reports.channel_output import LEVELS as CHANNEL_LEVELS
from sim.reports.channel_output import terminal_lines as channel_lines
from sim.reports.folders import Staged, staged_folder

PACKAGES = ("ccsim", "simpy", "numpy", "scipy", "pydantic", "pyyaml", "matplotlib", "openpyxl", "distributed")


def versions() -> dict[str, str]:
    """Python and package versions, recorded with every result."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def file_hash(path: str | Path | None) -> str | None:
    """sha256 of a scenario file (None if there is no file)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None


def run_info(result: RunResult, scenario_file: str | None, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """What run.json records: enough to reproduce the run (with the ``--set`` overrides laid over the file) and
    to know what produced it."""
    s = result.scenario
    return {
        "scenario": s.name,
        "scenario_file": scenario_file,
        "scenario_sha256": file_hash(scenario_file),
        "overrides": list(overrides),
        "description": s.description,
        "currency": s.currency,
        "interval_s": s.run.interval,
        "seed": s.run.seed,
        "replications": s.run.replications,
        "days": s.run.days,
        "period": period_label(result),
        "service_level": {"threshold_s": s.service_level.threshold, "target": s.service_level.target,
                          "definition": s.service_level.definition.value,
                          "short_abandon_s": s.service_level.short_abandon},
        "calls_simulated": result.calls,
        "wall_time_s": round(result.wall_time, 3),
        "calls_per_second": round(result.calls / result.wall_time) if result.wall_time > 0 else None,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
    }


def json_number(x: Any) -> float | None:
    """A float for JSON: NaN and infinity become None (null)."""
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def summary_json(summary: Summary, info: dict[str, Any], analytic: dict[str, Any] | None = None) -> dict[str, Any]:
    """The summary as plain JSON data (NaN becomes null)."""
    def rows(items: Iterable[KpiRow]) -> list[dict[str, Any]]:
        return [{"level": r.level, "name": r.name,
                 "kpis": {k: {"mean": json_number(e.mean), "ci": json_number(e.half_width)} for k, e in r.kpis.items()}}
                for r in items]
    return {"run": info, "rows": rows(summary.rows), "days": rows(summary.days), "analytic": analytic,
            "wait_distribution": summary.waits, "risk": risk_json(summary.risk)}


def kpi_table(rows: Iterable[KpiRow]) -> tuple[list[str], list[dict[str, Any]]]:
    """Header and rows of a KPI table (summary.csv, days.csv): level, name, then each KPI and its CI half-width."""
    rows = list(rows)
    kpis: list[str] = []
    for r in rows:
        kpis += [k for k in r.kpis if k not in kpis]
    header = ["level", "name"] + [c for k in kpis for c in (k, f"{k}_ci")]
    table = []
    for r in rows:
        line: dict[str, Any] = {"level": r.level, "name": r.name}
        for k, e in r.kpis.items():
            line[k], line[f"{k}_ci"] = json_number(e.mean), json_number(e.half_width)
        table.append(line)
    return header, table


def write_csv(path: Path, header: list[str], rows: Iterable[dict[str, Any]]) -> None:
    """A CSV table of ``rows`` (keys from ``header``; a missing key is an empty cell, an unknown one an error), as
    csv.writer writes it. Numbers are rounded to 6 decimals, NaN and infinity are empty; columns of floats are
    converted at once."""
    rows = list(rows)
    known = set(header)
    for row in rows:
        if not row.keys() <= known:
            raise ValueError(f"{path.name}: columns {sorted(row.keys() - known)} are not in the header")
    if rows and all(len(row) == len(header) for row in rows):  # every row complete: transpose in C
        raw: list[Sequence[Any]] = list(zip(*map(itemgetter(*header), rows), strict=True)) if len(header) > 1 \
            else [[row[header[0]] for row in rows]]
    else:
        raw = [[row.get(key, "") for row in rows] for key in header]
    _write_lines(path, header, [",".join(cells) for cells in zip(*map(_column, raw), strict=True)])


def write_intervals(path: Path, table: IntervalTable) -> None:
    """intervals.csv: the table's rows as write_csv writes them, the group cells of an interval formatted once for
    all its rows; written ``_ROWS_AT_ONCE`` intervals at a time (the cells of a long run would not fit at once)."""
    types = [_quoted(name) for name in table.call_types]
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(",".join(map(_quoted, table.header)) + "\r\n")
        for lo in range(0, len(table.starts), _ROWS_AT_ONCE):
            hi = min(lo + _ROWS_AT_ONCE, len(table.starts))
            calls = [",".join(cells) for cells in zip(*(_numbers(v[lo:hi].ravel()) for v in table.calls.values()),
                                                      strict=True)]
            groups = ["," + ",".join(cells) for cells in zip(*(_numbers(v[lo:hi]) for v in table.groups.values()),
                                                             strict=True)] if table.groups else [""] * (hi - lo)
            lines, row = [], 0
            for (day, weekday, start), tail in zip(table.starts[lo:hi], groups, strict=True):
                head = f"{day},{_quoted(weekday)},{_quoted(start)},"
                for name in types:
                    lines.append(f"{head}{name},{calls[row]}{tail}")
                    row += 1
            handle.write("\r\n".join(lines) + "\r\n")


_ROWS_AT_ONCE = 4096
"""Intervals of intervals.csv formatted at a time."""


def _write_lines(path: Path, header: list[str], lines: list[str]) -> None:
    """A CSV file of a header and lines of cells joined by commas, with csv.writer's line ends (and its '""' for
    the empty cell of a one-column line)."""
    lines = [",".join(map(_quoted, header)), *lines]
    if len(header) == 1:
        lines = [line or '""' for line in lines]
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write("\r\n".join(lines) + "\r\n")


def _column(values: Sequence[Any]) -> list[str]:
    """The cells of one column: a column of floats in one numpy pass, anything else cell by cell."""
    kinds = set(map(type, values))
    if kinds and kinds <= {float, np.float64}:
        return _numbers(np.asarray(values, dtype=float))
    return [_text(_cell(v)) for v in values]


def _numbers(values: np.ndarray) -> list[str]:
    """Cells of floats: rounded to 6 decimals (by numpy), NaN and infinity empty."""
    cells = list(map(repr, np.round(values, 6).tolist()))
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        cells[i] = ""
    return cells


def _cell(value: Any) -> Any:
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, int):
        return value
    number = json_number(value)
    return "" if number is None else round(number, 6)


def _text(value: str | int | float | None) -> str:
    """A cell as csv.writer writes it: None empty, floats by repr, text quoted where needed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _quoted(value)
    return repr(value) if isinstance(value, float) else str(value)


def _quoted(text: str) -> str:
    """Text in double quotes (inner ones doubled) if it holds a comma, a quote or a line break (csv.QUOTE_MINIMAL)."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_results(result: RunResult, summary: Summary, out_dir: str | Path, scenario_file: str | None,
                  extras: Callable[[Path], object] | None = None, overrides: Sequence[str] = ()) -> Staged:
    """Write every result file of a run into ``out_dir`` atomically (see sim.reports.folders: a folder that ccsim did
    not write is never replaced); return where it went and what it replaced. ``extras(folder)`` runs on the complete
    staging folder before the rename (plots, HTML report, workbook: see sim.reports.outputs); ``overrides`` are
    the ``--set`` texts the scenario was run with."""
    with staged_folder(out_dir) as staged:
        fill_results(staged.path, result, summary, scenario_file, extras, overrides)
    return staged


def fill_results(tmp: Path, result: RunResult, summary: Summary, scenario_file: str | None,
                 extras: Callable[[Path], object] | None = None, overrides: Sequence[str] = ()) -> None:
    """Write every result file of a run into the staging folder ``tmp`` (see write_results)."""
    info = run_info(result, scenario_file, overrides)
    (tmp / "run.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    data = summary_json(summary, info, analytic_json(result))
    lines = invoice_lines(result)
    sites = site_rows(result)
    data["sites"] = [{k: json_number(v) if k not in ("site", "kind", "groups", "cost_basis") else v
                      for k, v in row.items()} for row in sites]
    data["invoices"] = [{k: json_number(v) if k not in ("site", "client", "clause", "label") else v
                         for k, v in row.items()} for row in lines]
    costs = cost_risk(result)
    data["cost_risk"] = cost_risk_json(costs, period_label(result).removeprefix("per "))
    data["risk_profile"] = risk_profile(result)
    (tmp / "summary.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    write_csv(tmp / "summary.csv", *kpi_table(summary.rows))
    write_csv(tmp / "days.csv", *kpi_table(summary.days))
    if summary.intervals:
        write_intervals(tmp / "intervals.csv", summary.intervals)
    channels = channel_interval_rows(result)
    if channels:
        write_csv(tmp / "channel_intervals.csv", list(CHANNEL_INTERVAL_COLUMNS), channels)
    write_csv(tmp / "risk.csv", list(CSV_COLUMNS), risk_csv_rows(summary.risk))
    if costs:
        write_csv(tmp / "cost_risk.csv", list(COST_CSV_COLUMNS),
                  cost_risk_csv_rows(costs, period_label(result).removeprefix("per ")))
    if lines:
        write_csv(tmp / "invoices.csv", list(INVOICE_COLUMNS), lines)
    if extras is not None:
        extras(tmp)


TERMINAL_COLUMNS = (
    ("offered", "Offered", "count"), ("answered", "Answered", "count"), ("service_level", "SL %", "pct"),
    ("asa", "ASA s", "sec"), ("abandon_rate", "Aband %", "pct"), ("blocking_rate", "Block %", "pct"),
    ("deflection_rate", "Defl %", "pct"), ("closed_rate", "Closed %", "pct"), ("overflow_rate", "Overfl %", "pct"),
    ("partner_share", "Partner %", "pct"), ("repeat_rate", "Repeat %", "pct"), ("redial_rate", "Redial %", "pct"),
    ("transfer_rate", "Xfer %", "pct"), ("transfer_sl", "Xfer SL %", "pct"),
    ("transfer_abandon_rate", "Xfer ab %", "pct"), ("callback_rate", "Callb %", "pct"),
    ("callback_sl", "Callb SL %", "pct"),
    ("occupancy", "Occ %", "pct"), ("fcr", "FCR %", "pct"),
    ("agent_hours", "Agent h", "count"),
    ("offers", "Offers", "count"), ("sales", "Sales", "count"), ("conversion", "Conv %", "pct"),
    ("revenue_per_call", "Rev/call", "money"),
)


def _fmt(e: Estimate | None, kind: str) -> str:
    if e is None or math.isnan(e.mean):
        return "-"
    scale = 100.0 if kind == "pct" else 1.0
    digits = 0 if kind == "count" else 1
    text = f"{e.mean * scale:,.{digits}f}"
    if not math.isnan(e.half_width) and kind != "count":
        text += f" ±{e.half_width * scale:.{digits}f}"
    return text


def terminal_table(summary: Summary, result: RunResult) -> str:
    """A compact KPI table (means ± 95% CI half-widths) for the terminal."""
    s = result.scenario
    rows = [r for r in summary.rows if (r.level != "client" or len(result.layout.client_names) > 1)
            and r.level not in CHANNEL_LEVELS]
    cells = [["", "", *[title for _, title, _ in TERMINAL_COLUMNS]]]
    for r in rows:
        cells.append([r.level, r.name, *[_fmt(r.kpis.get(key), kind) for key, _, kind in TERMINAL_COLUMNS]])
    empty = ("-", "0.0 ±0.0", "0.0", "0")
    keep = [j for j in range(len(cells[0])) if j < 2 or any(row[j] not in empty for row in cells[1:])]
    cells = [[row[j] for j in keep] for row in cells]
    widths = [max(len(row[j]) for row in cells) for j in range(len(keep))]
    lines = ["  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in cells]
    total = next(r for r in summary.rows if r.level == "total")
    inbound = (f"{result.calls:,} calls in {result.wall_time:.1f}s. Service level {s.service_level.target:.0%}/"
               f"{s.service_level.threshold:g}s ({s.service_level.definition.value})" if result.layout.type_names
               else f"no inbound calls; {result.wall_time:.1f}s")
    head = (f"{s.name}: {s.run.replications} replications x {s.run.days} day(s), seed {s.run.seed}; "
            f"{inbound}; 95% CIs.")
    period = period_label(result)
    risk = cost_risk_text(cost_risk(result), period.removeprefix("per "), s.currency)
    cost = _cost_line(total.kpis, s.currency, period, risk) + _revenue_line(total.kpis, s.currency, period)
    channels = channel_lines([(r.level, r.name, r.kpis) for r in summary.rows if r.level in CHANNEL_LEVELS],
                             s.currency, period)
    return (head + "\n" + "\n".join(lines) + cost + _site_lines(result, s.currency) + channels
            + terminal_lines(summary.risk))


def _site_lines(result: RunResult, currency: str) -> str:
    """One line per partner site: its SL as the contract measures it against the contracted one, abandonment,
    occupancy and its invoice (nothing without partner contracts)."""
    out = []
    for r in site_rows(result):
        if r["kind"] != "partner":
            continue
        target = "" if math.isnan(r["contracted_sl"]) else f" (contract {r['contracted_sl']:.0%})"
        out.append(f"\nSite {r['site']}: SL {100 * r['service_level']:.1f} ±{100 * r['service_level_ci']:.1f}%"
                   f"{target}, ASA {r['asa']:.1f}s, aband {100 * r['abandon_rate']:.1f}%, "
                   f"occ {100 * r['occupancy']:.1f}%, "
                   f"invoice {r['cost']:,.0f} ±{r['cost_ci']:,.0f} {currency}")
    return "".join(out)


def _cost_line(kpis: dict[str, Estimate], currency: str, period: str, risk: str) -> str:
    """Total cost over ``period``, its components, cost per handled call and per resolved need, and ``risk`` (the
    P90 of the run-period cost; nothing if nothing is priced)."""
    total, per_call, per_need = kpis.get("total_cost"), kpis.get("cost_per_call"), kpis.get("cost_per_resolved_need")
    if total is None or per_call is None or not total.mean:
        return ""
    parts = [f"{name.replace('_', ' ')} {kpis[name].mean:,.0f}" for name in COMPONENTS if kpis[name].mean]
    per = [f"per {what} {e.mean:.2f} ±{e.half_width:.2f} {currency}"
           for what, e in (("handled call", per_call), ("resolved need", per_need))
           if e is not None and not math.isnan(e.mean)]  # none without inbound calls
    return (f"\nCost {period} {total.mean:,.0f} ±{total.half_width:,.0f} {currency} ({'; '.join(parts)})"
            + "".join(f"; {p}" for p in per) + risk)


def _revenue_line(kpis: dict[str, Estimate], currency: str, period: str) -> str:
    """Revenue over ``period`` (campaign sales and sales offers on service calls) and profit, revenue minus the
    total cost (nothing without revenue)."""
    revenue, profit = kpis.get("revenue"), kpis.get("profit")
    if revenue is None or profit is None:
        return ""
    return (f"\nRevenue {period} {revenue.mean:,.0f} ±{revenue.half_width:,.0f} {currency}; profit (revenue minus "
            f"total cost) {profit.mean:,.0f} ±{profit.half_width:,.0f} {currency}")


def analytic_table(result: RunResult, summary: Summary) -> str:
    """Simulated KPIs next to the exact queueing formula, for stationary single-skill scenarios."""
    twin = analytic_twin(result.scenario)
    if twin is None:
        return ("No analytic twin: --compare-analytic needs one call type with a constant rate, one group with "
                "constant agents, exponential handle times, no opening hours and exponential or no patience.")
    total = next(r for r in summary.rows if r.level == "total").kpis
    lines = [f"Analytic check against {twin.model}:", f"  {'KPI':<24}{'simulated (95% CI)':>26}{'analytic':>12}"]
    for key, mean, half, value in comparison_rows(twin, total):
        inside = "" if math.isnan(half) else ("  inside CI" if abs(mean - value) <= half else "  outside CI")
        lines.append(f"  {key:<24}{mean:>14.4f} ±{half:<10.4f}{value:>12.4f}{inside}")
    return "\n".join(lines)


def analytic_json(result: RunResult) -> dict[str, Any] | None:
    """The analytic twin's figures for summary.json (None if the scenario has none)."""
    twin = analytic_twin(result.scenario)
    return None if twin is None else {"model": twin.model, "figures": twin.figures}
