"""A sweep on the terminal and on disk: one row per variant with the swept values and the whole-run KPIs (mean and
95 % CI half-width): sweep.csv, sweep.json, run.json and, with plots, plots/sweep_<key>.png/.svg."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.analysis.stats import Estimate
from sim.analysis.sweep import SweepResult
from sim.errors import CcsimError, did_you_mean
from sim.reports.folders import Staged, staged_folder
from sim.reports.report import json_number, versions, write_csv

_SECONDS = ("asa", "mean_wait", "mean_time_to_abandon", "aht", "wait_p50", "wait_p80", "wait_p90", "wait_p95",
            "transfer_asa", "transfer_aht", "callback_delay")
_COUNTS = ("offered", "deflected", "blocked", "closed", "answered", "answered_within", "abandoned", "abandoned_short",
           "in_system", "repeats", "redials", "overflowed", "overflow_refused", "answered_partner", "agent_hours",
           "avg_queue_length", "transferred", "transfer_legs", "transfer_answered", "transfer_abandoned",
           "transfer_blocked", "callbacks", "callback_legs", "callback_reached", "callback_unreached",
           "outbound_contacts", "outbound_sales", "offers", "offer_sales", "sales")
_MONEY = ("labour_cost", "in_house_labour", "partner_fees", "penalties_credits", "telephony", "task_team_labour",
          "partner_task_fees",
          "total_cost", "cost_per_call", "cost_per_resolved_need", "revenue",
          "revenue_per_call", "profit")
_PERCENT = ("service_level", "sl_answered_of_offered", "sl_answered_of_answered", "sl_answered_of_offered_minus_short",
            "sl_answered_of_offered_minus_abandoned_within", "p_wait", "abandon_rate", "blocking_rate",
            "deflection_rate", "closed_rate", "overflow_rate", "repeat_rate", "redial_rate", "partner_share",
            "occupancy", "transfer_rate", "transfer_sl", "transfer_abandon_rate", "callback_rate", "callback_sl",
            "callback_reached_rate", "conversion")
KINDS: dict[str, str] = {**dict.fromkeys(_COUNTS, "count"), **dict.fromkeys(_SECONDS, "sec"),
                         **dict.fromkeys(_MONEY, "money"), **dict.fromkeys(_PERCENT, "pct")}
"""Every whole-run KPI (the ``total`` row of a summary) and how it is shown."""
DEFAULT_KPIS = ("service_level", "asa", "abandon_rate", "occupancy", "total_cost")
UNITS = {"pct": "%", "sec": "s", "count": "", "money": ""}


def check_kpis(names: Sequence[str]) -> list[str]:
    """The KPIs asked for with ``--kpi`` (a comma-separated list each), checked; CcsimError naming a bad one."""
    out: list[str] = []
    for name in (n.strip() for text in names for n in text.split(",")):
        if name not in KINDS:
            raise CcsimError(f"--kpi {name}: not a KPI{did_you_mean(name, list(KINDS))}; choose among "
                             f"{', '.join(KINDS)}")
        if name not in out:
            out.append(name)
    return out or list(DEFAULT_KPIS)


def label(kpi: str, currency: str) -> str:
    """'service_level' -> 'service level %', 'total_cost' -> 'total cost EUR'."""
    kind = KINDS[kpi]
    unit = currency if kind == "money" else UNITS[kind]
    return f"{kpi.replace('_', ' ')} {unit}".strip()


def scaled(e: Estimate, kpi: str) -> tuple[float, float]:
    """Mean and half-width in the unit shown (percent for shares)."""
    scale = 100.0 if KINDS[kpi] == "pct" else 1.0
    return e.mean * scale, e.half_width * scale


def _cell(e: Estimate | None, kpi: str) -> str:
    if e is None or math.isnan(e.mean):
        return "-"
    mean, half = scaled(e, kpi)
    digits = 0 if KINDS[kpi] in ("count", "money") and abs(mean) >= 100 else (2 if KINDS[kpi] == "money" else 1)
    text = f"{mean:,.{digits}f}"
    if not math.isnan(half) and KINDS[kpi] != "count":
        text += f" ±{half:,.{digits}f}"
    return text


def sweep_table(sweep: SweepResult, kpis: Sequence[str]) -> str:
    """The terminal table: a row per variant, the swept values then the chosen KPIs (mean ±95 % CI)."""
    currency = sweep.variants[0].scenario.currency
    cells = [[a.key for a in sweep.axes] + [label(k, currency) for k in kpis]]
    for variant, totals in zip(sweep.variants, sweep.totals(), strict=True):
        cells.append([value for _, value in variant.settings] + [_cell(totals.get(k), k) for k in kpis])
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells)


def sweep_records(sweep: SweepResult) -> list[dict[str, Any]]:
    """One record per variant: the swept values (as given) and every whole-run KPI with its CI half-width."""
    out = []
    for variant, totals in zip(sweep.variants, sweep.totals(), strict=True):
        record: dict[str, Any] = dict(variant.settings)
        for k in KINDS:
            e = totals.get(k)
            record[k] = json_number(e.mean) if e is not None else None
            record[f"{k}_ci"] = json_number(e.half_width) if e is not None else None
        out.append(record)
    return out


def sweep_info(sweep: SweepResult, scenario_file: str, overrides: Sequence[str], workers: str) -> dict[str, Any]:
    """What the sweep's run.json records: enough to run it again."""
    s = sweep.variants[0].scenario
    return {"kind": "sweep", "scenario": s.name, "scenario_file": scenario_file,
            "axes": [{"key": a.key, "values": list(a.values)} for a in sweep.axes], "overrides": list(overrides),
            "variants": len(sweep.variants), "seed": s.run.seed, "replications": s.run.replications,
            "days": s.run.days, "simulations": sum(r.scenario.run.replications for r in sweep.results),
            "calls_simulated": sum(r.calls for r in sweep.results), "wall_time_s": round(sweep.wall_time, 3),
            "executor": workers, "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": versions()}


def write_sweep(sweep: SweepResult, kpis: Sequence[str], out_dir: Path, info: dict[str, Any],
                plots: bool) -> Staged:
    """Write sweep.csv, sweep.json and run.json (and, if ``plots``, a figure per swept key) into ``out_dir``
    atomically (see sim.reports.folders)."""
    records = sweep_records(sweep)
    with staged_folder(out_dir) as staged:
        tmp = staged.path
        (tmp / "run.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        write_csv(tmp / "sweep.csv", list(records[0]), records)
        (tmp / "sweep.json").write_text(json.dumps({"run": info, "kpis": list(kpis), "rows": records}, indent=2)
                                        + "\n", encoding="utf-8")
        if plots:
            from sim.reports import plots as charts
            from sim.reports.sweep_plots import sweep_figures

            charts.write_plots({name: {fmt: charts.to_bytes(fig, fmt) for fmt in charts.FORMATS}
                                for name, fig in sweep_figures(sweep, kpis).items()}, tmp)
    return staged
