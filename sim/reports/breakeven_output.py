"""A break-even search on the terminal and on disk: breakeven.json (the crossing, its CI, every evaluation),
breakeven.csv (one row per value evaluated), run.json and plots/breakeven.png/.svg."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.analysis.breakeven import Crossing
from sim.analysis.compare import CHANNELS, COMPARED
from sim.errors import CcsimError, did_you_mean
from sim.reports.folders import Staged, staged_folder
from sim.reports.report import json_number, versions, write_csv

KINDS = {key: kind for key, _, kind in (*COMPARED, *CHANNELS)}
"""The KPIs a break-even can equate (those of ``ccsim compare``, with the rows of campaigns, sales, work and chat
such as ``revenue`` and ``profit``) and their kinds."""


def check_kpi(kpi: str) -> str:
    """``--kpi`` checked; CcsimError naming it if it is not a compared KPI."""
    if kpi not in KINDS:
        raise CcsimError(f"--kpi {kpi}: not a KPI of ccsim compare{did_you_mean(kpi, list(KINDS))}; choose among "
                         f"{', '.join(KINDS)}")
    return kpi


def unit(kpi: str, currency: str) -> tuple[str, float]:
    """The unit a difference of ``kpi`` is shown in and the factor to it (shares in percentage points)."""
    kind = KINDS[kpi]
    if kind == "pct":
        return "points", 100.0
    if kind == "sec":
        return "s", 1.0
    return (currency, 1.0) if kind.startswith("money") else ("", 1.0)


def _bound(x: float | None, side: str) -> str:
    return f"{side} the range searched" if x is None else f"{x:.6g}"


def breakeven_text(crossing: Crossing, key: str, kpi: str, names: tuple[str, str], currency: str) -> str:
    """The answer in one sentence, then the evaluations (value, difference ± CI)."""
    a, b = names
    shown, scale = unit(kpi, currency)
    lines = [f"{b}'s {kpi} equals {a}'s at {key} = {crossing.value:.6g} (95% CI {_bound(crossing.low, 'below')} to "
             f"{_bound(crossing.high, 'above')}); {len(crossing.points)} values evaluated:",
             f"{key:>24}  {b} - {a} {shown}".rstrip()]
    digits = 0 if shown == currency and max(abs(p.diff.mean) for p in crossing.points) >= 100 else 2
    for p in crossing.points:
        lines.append(f"{p.x:>24.6g}  {p.diff.mean * scale:+,.{digits}f} ±{p.diff.half_width * scale:,.{digits}f}")
    return "\n".join(lines)


def breakeven_info(crossing: Crossing, files: tuple[str, str], names: tuple[str, str], key: str, kpi: str,
                   seed: int, replications: int, between: tuple[float, float], executor: str) -> dict[str, Any]:
    """What run.json and breakeven.json record."""
    return {"kind": "breakeven", "scenarios": list(names), "files": list(files), "vary": key, "kpi": kpi,
            "between": list(between), "seed": seed, "replications": replications,
            "breakeven": json_number(crossing.value), "ci_low": crossing.low, "ci_high": crossing.high,
            "evaluations": len(crossing.points), "executor": executor, "versions": versions(),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds")}


def write_breakeven(crossing: Crossing, info: dict[str, Any], currency: str, out_dir: Path) -> Staged:
    """Write breakeven.json, breakeven.csv, run.json and the plot into ``out_dir`` atomically."""
    from sim.reports import plots
    from sim.reports.sweep_plots import breakeven_figure

    rows = [{info["vary"]: p.x, "difference": json_number(p.diff.mean), "difference_ci": json_number(p.diff.half_width)}
            for p in crossing.points]
    with staged_folder(out_dir) as staged:
        tmp = staged.path
        (tmp / "run.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        (tmp / "breakeven.json").write_text(json.dumps({**info, "points": rows}, indent=2) + "\n", encoding="utf-8")
        write_csv(tmp / "breakeven.csv", list(rows[0]), rows)
        shown, scale = unit(info["kpi"], currency)
        figure = breakeven_figure(crossing, info["vary"], info["kpi"], tuple(info["scenarios"]), shown, scale)
        plots.write_plots({"breakeven": {fmt: plots.to_bytes(figure, fmt) for fmt in plots.FORMATS}}, tmp)
    return staged
