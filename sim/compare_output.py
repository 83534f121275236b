"""The comparison of scenarios on the terminal and on disk (comparison.csv, comparison.json, run.json)."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sim.compare import CompareRow
from sim.experiment import RunResult
from sim.report import _number, _replace_dir, _write_csv, versions
from sim.stats import Estimate

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


def comparison_table(names: list[str], rows: list[CompareRow], currency: str) -> str:
    """Side-by-side KPIs (95 % CIs) with the paired difference of each scenario against the first."""
    header = ["", "KPI", *[names[0]], *[c for n in names[1:] for c in (n, f"vs {names[0]}")]]
    cells = [header]
    for row in rows:
        unit = _SCALE[row.kind][2] or (f" {currency}" if row.kind.startswith("money") else "")
        line = [row.scope, row.label + unit, _fmt(row.values[0], row.kind)]
        for value, diff in zip(row.values[1:], row.diffs[1:], strict=True):
            line += [_fmt(value, row.kind), _fmt(diff, row.kind, signed=True)]
        if any(c.lstrip("+").replace("0", "").strip(".") not in ("", "-") for c in line[2:]):
            cells.append(line)  # rows that are zero everywhere (e.g. no busy signals anywhere) are left out
    widths = [max(len(r[j]) for r in cells) for j in range(len(header))]
    lines = ["  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in cells]
    return "\n".join(lines)


def comparison_records(names: list[str], rows: list[CompareRow]) -> list[dict[str, Any]]:
    """One flat record per KPI and scenario: value, CI, difference to the first scenario and its CI."""
    out = []
    for row in rows:
        for name, value, diff in zip(names, row.values, row.diffs, strict=True):
            out.append({"scope": row.scope, "kpi": row.key, "scenario": name, "mean": _number(value.mean),
                        "ci": _number(value.half_width),
                        "diff_vs_first": None if diff is None else _number(diff.mean),
                        "diff_ci": None if diff is None else _number(diff.half_width)})
    return out


def write_comparison(results: list[RunResult], files: list[str], rows: list[CompareRow], out_dir: Path) -> Path:
    """Write comparison.csv/json and run.json into ``out_dir`` atomically."""
    names = [r.scenario.name for r in results]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{out_dir.name}-", dir=out_dir.parent))
    try:
        records = comparison_records(names, rows)
        _write_csv(tmp / "comparison.csv", list(records[0]), records)
        info = {"scenarios": names, "files": files, "seed": results[0].scenario.run.seed,
                "replications": results[0].scenario.run.replications, "versions": versions()}
        (tmp / "run.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        (tmp / "comparison.json").write_text(json.dumps({"run": info, "rows": records}, indent=2) + "\n",
                                             encoding="utf-8")
        _replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir
