"""A backtest's results folder (run.json, intervals.csv, days.csv, errors.csv, backtest.json, backtest_sl.png and
.svg), written whole or not at all through ``sim.reports.folders``, and its terminal table."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.calibration.backtest import KPIS, Backtest, ErrorStats, all_error_stats
from sim.calibration.plots import backtest_figures
from sim.reports.folders import Staged, staged_folder
from sim.reports.report import file_hash, versions
from sim.units import format_clock

TERMINAL_DAYS = 31
"""Days listed on the terminal; longer histories show their worst days by service-level error."""


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)


def day_rows(bt: Backtest) -> list[dict[str, Any]]:
    """Per day: offered, then actual, simulated (mean over replications) and difference of every KPI."""
    rows = []
    for d, day in enumerate(bt.history.dates()):
        row: dict[str, Any] = {"date": day.isoformat(), "weekday": day.strftime("%a").lower(),
                               "offered": float(bt.offered[d].sum())}
        for k in KPIS:
            actual, sim = bt.actual_days[k][d], float(np.mean(bt.simulated_days[k][:, d]))
            row |= {f"{k}_actual": _num(actual), f"{k}_simulated": _num(sim), f"{k}_diff": _num(sim - actual)}
        rows.append(row)
    return rows


def interval_rows(bt: Backtest) -> list[dict[str, Any]]:
    """Per interval with calls: as ``day_rows``."""
    rows = []
    for d, day in enumerate(bt.history.dates()):
        for i in np.flatnonzero(bt.offered[d] > 0):
            row: dict[str, Any] = {"date": day.isoformat(), "interval_start": format_clock(i * bt.history.interval),
                                   "offered": float(bt.offered[d, i])}
            for k in KPIS:
                actual, sim = bt.actual[k][d, i], float(np.mean(bt.simulated[k][:, d, i]))
                row |= {f"{k}_actual": _num(actual), f"{k}_simulated": _num(sim), f"{k}_diff": _num(sim - actual)}
            rows.append(row)
    return rows


def error_rows(stats: list[ErrorStats]) -> list[dict[str, Any]]:
    return [{"kpi": s.kpi, "level": s.level, "units": s.units, "bias": _num(s.bias), "bias_ci": _num(s.bias_ci),
             "mape": _num(s.mape), "mae": _num(s.mae)} for s in stats]


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    return out.getvalue()


def write_backtest(bt: Backtest, out: Path, scenario_file: str) -> Staged:
    """Write the results folder of a backtest atomically."""
    stats = all_error_stats(bt)
    sl = bt.scenario.service_level
    info = {"command": "backtest", "scenario": bt.scenario.name, "scenario_file": scenario_file,
            "scenario_sha256": file_hash(scenario_file), "history_file": bt.history.path,
            "history_sha256": file_hash(bt.history.path), "interval_s": bt.history.interval,
            "days": bt.history.n_days, "replications": bt.replications, "seed": bt.seed,
            "service_level": {"threshold_s": sl.threshold, "definition": sl.definition.value},
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"), "versions": versions()}
    with staged_folder(out) as staged:
        folder = staged.path
        (folder / "run.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        (folder / "intervals.csv").write_text(_csv(interval_rows(bt)), encoding="utf-8")
        (folder / "days.csv").write_text(_csv(day_rows(bt)), encoding="utf-8")
        (folder / "errors.csv").write_text(_csv(error_rows(stats)), encoding="utf-8")
        (folder / "backtest.json").write_text(json.dumps(
            {"errors": error_rows(stats), "days": day_rows(bt)}, indent=2) + "\n", encoding="utf-8")
        for fmt, data in backtest_figures(bt).items():
            (folder / f"backtest_sl.{fmt}").write_bytes(data)
    return staged


def _pct(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{100 * x:.{digits}f}%"


def _value(kpi: str, x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.1f}s" if kpi == "asa" else _pct(x)


def terminal_report(bt: Backtest) -> str:
    """The error statistics and the per-day table (the worst days of a long history)."""
    stats = all_error_stats(bt)
    lines = [f"Backtest of {bt.scenario.name} on {bt.history.path}: {bt.history.n_days} days, "
             f"{bt.replications} replications; simulated - actual, bias with 95% CI (the history counted as one "
             "more draw), MAPE over units with actual > 0.",
             f"{'KPI':<14} {'level':<9} {'units':>6} {'bias':>10} {'± CI':>9} {'MAPE':>7} {'MAE':>9}"]
    for s in stats:
        lines.append(f"{s.kpi:<14} {s.level:<9} {s.units:>6} {_value(s.kpi, _num(s.bias)):>10} "
                     f"{_value(s.kpi, _num(s.bias_ci)):>9} {_pct(_num(s.mape)):>7} {_value(s.kpi, _num(s.mae)):>9}")
    days = day_rows(bt)
    shown = days
    if len(days) > TERMINAL_DAYS:
        shown = sorted(days, key=lambda r: -abs(r["service_level_diff"] or 0.0))[:10]
        lines.append(f"\nThe 10 days with the largest service-level error (all {len(days)} in days.csv):")
    else:
        lines.append("")
    lines.append(f"{'date':<11} {'day':<4} {'offered':>8}  {'SL act':>7} {'SL sim':>7}  {'ASA act':>8} "
                 f"{'ASA sim':>8}  {'aband act':>9} {'aband sim':>9}")
    for r in shown:
        lines.append(f"{r['date']:<11} {r['weekday']:<4} {r['offered']:>8,.0f}  "
                     f"{_pct(r['service_level_actual']):>7} {_pct(r['service_level_simulated']):>7}  "
                     f"{_value('asa', r['asa_actual']):>8} {_value('asa', r['asa_simulated']):>8}  "
                     f"{_pct(r['abandon_rate_actual']):>9} {_pct(r['abandon_rate_simulated']):>9}")
    return "\n".join(lines)
