"""A results folder read back from its files, and the derived tables that plots, the HTML report and the workbook
share: day panels of the interval table, and the Erlang C staffing requirement per interval.

Everything here works from the files alone (run.json, summary.json, intervals.csv), so ``ccsim report DIR``
redraws a report from a folder written earlier, and ``ccsim run --report`` draws it from the same files.
"""

from __future__ import annotations

import csv
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.analytic import agents_for_service_level
from sim.errors import CcsimError

TEXT_COLUMNS = ("weekday", "interval_start", "call_type", "kpi", "unit", "worst_at", "period")
MAX_DAY_PANELS = 7
"""Runs of up to this many days get one panel per day; longer runs are averaged by time of day."""


SL_FORMULAS = {
    "answered_of_offered": "answered within T / (answered + abandoned)",
    "answered_of_answered": "answered within T / answered",
    "answered_of_offered_minus_short": "answered within T / (answered + abandoned - short abandons)",
    "answered_of_offered_minus_abandoned_within": "answered within T / (answered + abandoned - abandoned within T)",
}
"""Each service-level definition as a formula a reader can check (T = the threshold)."""
COST_COMPONENTS = {"in_house_labour": "in-house labour", "partner_fees": "partner fees",
                   "penalties_credits": "penalties and credits", "telephony": "telephony",
                   "task_team_labour": "outbound, back-office and chat teams",
                   "partner_task_fees": "partner fees for outbound, back-office and chat work"}
"""Cost components of summary.json's total and client rows, with the words shown for them."""


@dataclass(frozen=True)
class Results:
    """The content of a results folder: run.json, summary.json and the rows of intervals.csv and
    channel_intervals.csv (numbers as floats, NaN for empty cells)."""

    run: dict[str, Any]
    summary: dict[str, Any]
    intervals: list[dict[str, Any]]
    channel_intervals: list[dict[str, Any]] = field(default_factory=list)
    """Rows of channel_intervals.csv (campaigns, work, chat per interval; none without them)."""

    @property
    def name(self) -> str:
        return str(self.run.get("scenario", ""))

    @property
    def interval_s(self) -> float:
        """Length of a reporting interval in seconds (inferred from the table for folders without it)."""
        if self.run.get("interval_s"):
            return float(self.run["interval_s"])
        starts = sorted({clock_hours(r["interval_start"]) for r in self.intervals})
        return (starts[1] - starts[0]) * 3600.0 if len(starts) > 1 else 1800.0

    @property
    def groups(self) -> list[str]:
        """Agent group names, from the ``agents_<group>`` columns."""
        return [k[len("agents_"):] for k in (self.intervals[0] if self.intervals else {}) if k.startswith("agents_")]

    def total_rows(self) -> list[dict[str, Any]]:
        """Interval rows of all call types together."""
        return [r for r in self.intervals if r["call_type"] == "all"]

    @property
    def sl(self) -> tuple[float, float, str]:
        """(threshold s, target share, definition) of the scenario's service level."""
        sl = self.run.get("service_level", {})
        return float(sl.get("threshold_s", 20.0)), float(sl.get("target", 0.8)), str(sl.get("definition", ""))

    @property
    def has_calls(self) -> bool:
        """Whether the scenario has inbound call types (it may have only campaigns, work or chats)."""
        return any(r["level"] == "call_type" for r in self.summary["rows"])

    def kpi_row(self, level: str, name: str) -> dict[str, dict[str, float | None]]:
        """KPIs ({kpi: {mean, ci}}) of one row of summary.json ({} if absent)."""
        return next((r["kpis"] for r in self.summary["rows"] if r["level"] == level and r["name"] == name), {})


def load_results(folder: str | Path) -> Results:
    """Read a results folder written by ``ccsim run``."""
    folder = Path(folder)
    try:
        info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        rows = read_table(folder / "intervals.csv") if (folder / "intervals.csv").exists() else []
        channels = read_table(folder / "channel_intervals.csv") if (folder / "channel_intervals.csv").exists() else []
    except FileNotFoundError as exc:
        raise CcsimError(f"{folder}: not a results folder ({Path(exc.filename).name} is missing)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CcsimError(f"{folder}: unreadable result file: {exc}") from None
    return Results(info, summary, rows, channels)


def read_table(path: Path) -> list[dict[str, Any]]:
    """A CSV result table; every column but the text columns becomes float (NaN where empty)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: v if k in TEXT_COLUMNS or k in ("level", "name") else _float(v) for k, v in row.items()}
                for row in csv.DictReader(handle)]


def _float(text: str) -> float:
    return float(text) if text not in ("", None) else math.nan


def clock_hours(text: str) -> float:
    """"08:30" -> 8.5."""
    parts = [int(p) for p in text.split(":")]
    return parts[0] + parts[1] / 60.0 + (parts[2] / 3600.0 if len(parts) > 2 else 0.0)


@dataclass(frozen=True)
class Panel:
    """One day of the interval table (or the mean day of a long run): interval starts in hours after midnight
    and one array per column; ``days`` > 1 for a mean day."""

    label: str
    hours: np.ndarray
    values: dict[str, np.ndarray]
    days: int = 1


def day_panels(rows: list[dict[str, Any]], columns: list[str]) -> list[Panel]:
    """The interval rows as one panel per day, or, past MAX_DAY_PANELS days, one panel averaged by time of day."""
    days = sorted({int(r["day"]) for r in rows})
    if len(days) <= MAX_DAY_PANELS:
        panels = []
        for d in days:
            mine = [r for r in rows if int(r["day"]) == d]
            panels.append(Panel(f"{mine[0]['weekday'].capitalize()}, day {d}", _hours(mine),
                                {c: np.array([r[c] for r in mine], dtype=float) for c in columns}))
        return panels
    by_start: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_start.setdefault(r["interval_start"], []).append(r)
    starts = sorted(by_start, key=clock_hours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column empty at some time of day: NaN
        values = {c: np.array([np.nanmean([r[c] for r in by_start[s]]) for s in starts]) for c in columns}
    return [Panel(f"mean of {len(days)} days by time of day", np.array([clock_hours(s) for s in starts]), values,
                  len(days))]


def _hours(rows: list[dict[str, Any]]) -> np.ndarray:
    return np.array([clock_hours(r["interval_start"]) for r in rows])


def requirement(results: Results) -> list[dict[str, Any]]:
    """Per interval (all call types): calls that wanted an agent, AHT, Erlang C agents required for the scenario's
    service-level goal, agents logged in (all groups) and the difference, like a WFM staffing table.

    Calls wanting an agent = offered - deflected - closed (blocked calls count: they wanted one). An interval
    without answered calls uses the run's mean AHT; an interval without calls needs 0 agents.
    """
    threshold, target, _ = results.sl
    target = min(target, 0.999)
    mean_aht = results.kpi_row("total", "all").get("aht", {}).get("mean") or 300.0
    out = []
    for r in results.total_rows():
        calls = max(r["offered"] - r["deflected"] - r["closed"], 0.0)
        aht = r.get("aht", math.nan)
        aht = aht if aht > 0 else mean_aht
        required = agents_for_service_level(calls / results.interval_s, aht, target, threshold) if calls > 0 else 0
        scheduled = sum(r[f"agents_{g}"] for g in results.groups)
        out.append({"day": int(r["day"]), "weekday": r["weekday"], "interval_start": r["interval_start"],
                    "calls": calls, "aht": aht, "required": required, "scheduled": scheduled,
                    "difference": scheduled - required})
    return out



def cost_by(results: Results, level: str) -> list[tuple[str, dict[str, float]]]:
    """[(row name, {component words: mean cost})] of the summary rows of ``level`` that carry cost components."""
    out = []
    for r in results.summary["rows"]:
        if r["level"] == level and "total_cost" in r["kpis"]:
            out.append((r["name"], {words: (r["kpis"].get(key) or {}).get("mean") or 0.0
                                    for key, words in COST_COMPONENTS.items()}))
    return out
