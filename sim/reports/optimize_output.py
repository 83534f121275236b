"""An optimisation on the terminal and on disk: optimize.csv and optimize.json (one row per combination),
run.json, and chosen.yaml, the chosen combination as a scenario that ``extends`` the original."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.analysis.compare import CHANNELS, COMPARED
from sim.analysis.optimize import Decision, Row
from sim.analysis.stats import Estimate
from sim.analysis.sweep import SweepResult
from sim.errors import CcsimError
from sim.reports.folders import Staged, staged_folder, write_atomic
from sim.reports.report import json_number, versions, write_csv
from sim.reports.staffed import parent_path

CHOSEN = "chosen.yaml"
_LABELS = {key: label for key, label, _ in (*COMPARED, *CHANNELS)}
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def rule_text(decision: Decision) -> str:
    """The feasibility rule in one sentence."""
    if decision.goals.rule == "ci":
        sl = "the lower end of the 95 % CI of its service level is at or above its target"
        abandon = "the upper end of the CI of its abandonment"
    else:
        sl, abandon = "its service level (mean) is at or above its target", "its abandonment (mean)"
    limit = decision.goals.max_abandon
    extra = "" if limit is None else f" and {abandon} is at most {100 * limit:g} %"
    return f"feasible when, for every call type, {sl}{extra}"


def _money(e: Estimate, signed: bool = False) -> str:
    if math.isnan(e.mean):
        return "-"
    digits = 0 if abs(e.mean) >= 100 or (not math.isnan(e.half_width) and e.half_width >= 100) else 2
    text = f"{e.mean:+,.{digits}f}" if signed else f"{e.mean:,.{digits}f}"
    return text if math.isnan(e.half_width) else f"{text} ±{e.half_width:,.{digits}f}"


def _pct(e: Estimate) -> str:
    if math.isnan(e.mean):
        return "-"
    return f"{100 * e.mean:.1f}" + ("" if math.isnan(e.half_width) else f" ±{100 * e.half_width:.1f}")


def _status(decision: Decision, i: int) -> str:
    if i == decision.chosen:
        return "chosen"
    if i == decision.runner_up:
        return "runner-up"
    return "yes" if decision.rows[i].feasible else "no"


def _worst(row: Row, rule: str) -> str:
    worst = row.worst(rule)
    return "-" if worst is None else f"{worst.call_type} {_pct(worst.sl)} ({100 * worst.target:g})"


def settings_text(row: Row) -> str:
    """'key=label, key=label'."""
    return ", ".join(f"{k}={v}" for k, v in row.settings)


def decision_table(decision: Decision, currency: str, period: str) -> str:
    """The terminal table: a row per combination (the options, the KPI, its difference to the chosen one, the
    worst call type's service level and target, whether it is feasible)."""
    keys = [k for k, _ in decision.rows[0].settings]
    head = [*keys, f"{_LABELS[decision.kpi].lower()} {period} {currency}", "vs chosen",
            "worst call type SL % (target)", "feasible"]
    cells = [head]
    for i, row in enumerate(decision.rows):
        cells.append([*(v for _, v in row.settings), _money(row.kpi),
                      "-" if row.vs_chosen is None or i == decision.chosen else _money(row.vs_chosen, signed=True),
                      _worst(row, decision.goals.rule), _status(decision, i)])
    widths = [max(len(r[j]) for r in cells) for j in range(len(head))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def decision_text(decision: Decision, currency: str, period: str) -> str:
    """The answer: the chosen combination, its KPI and how clearly it beats the runner-up."""
    kpi = _LABELS[decision.kpi].lower()
    if decision.chosen is None:
        closest = max(range(len(decision.rows)), key=lambda i: _slack(decision, i))
        return (f"No combination is feasible ({rule_text(decision)}); the closest is "
                f"{settings_text(decision.rows[closest])} ({_worst(decision.rows[closest], decision.goals.rule)}).")
    chosen = decision.rows[decision.chosen]
    lines = [f"Chosen: {settings_text(chosen)}: {kpi} {_money(chosen.kpi)} {currency} {period}, worst call type "
             f"{_worst(chosen, decision.goals.rule)}."]
    if decision.runner_up is None or decision.margin is None:
        lines.append("It is the only feasible combination.")
    else:
        runner = decision.rows[decision.runner_up]
        if math.isnan(decision.margin.half_width):
            verdict = "no CI with one replication, so no telling whether the choice is clear"
        elif decision.clear:
            verdict = "a clear choice: the CI excludes 0"
        else:
            verdict = "a toss-up: the CI includes 0, so the two are not told apart at these replications"
        margin, word = ((Estimate(-decision.margin.mean, decision.margin.half_width), "less") if decision.maximise
                        else (decision.margin, "more"))
        lines.append(f"Runner-up: {settings_text(runner)}: {_money(margin, signed=not decision.maximise)} {currency} "
                     f"{period} {word} (paired by replication, 95 % CI); {verdict}.")
    return "\n".join(lines)


def _slack(decision: Decision, i: int) -> float:
    worst = decision.rows[i].worst(decision.goals.rule)
    return -math.inf if worst is None else worst.slack(decision.goals.rule)


def records(decision: Decision) -> list[dict[str, Any]]:
    """One record per combination: the options (labels), the KPI and its difference to the chosen one with CI
    half-widths, feasibility, and every call type's service level, target and abandonment."""
    out = []
    for i, row in enumerate(decision.rows):
        worst = row.worst(decision.goals.rule)
        record: dict[str, Any] = dict(row.settings)
        record.update({decision.kpi: json_number(row.kpi.mean), f"{decision.kpi}_ci": json_number(row.kpi.half_width),
                       "vs_chosen": None if row.vs_chosen is None else json_number(row.vs_chosen.mean),
                       "vs_chosen_ci": None if row.vs_chosen is None else json_number(row.vs_chosen.half_width),
                       "feasible": row.feasible, "status": _status(decision, i),
                       "worst_call_type": None if worst is None else worst.call_type})
        for t in row.types:
            record.update({f"sl_{t.call_type}": json_number(t.sl.mean), f"sl_{t.call_type}_ci":
                           json_number(t.sl.half_width), f"target_{t.call_type}": t.target,
                           f"abandon_{t.call_type}": json_number(t.abandon.mean),
                           f"abandon_{t.call_type}_ci": json_number(t.abandon.half_width)})
        out.append(record)
    return out


def optimize_info(sweep: SweepResult, decision: Decision, scenario_file: str, choices: Sequence[str],
                  executor: str, period: str) -> dict[str, Any]:
    """What run.json and optimize.json record: enough to run it again, and the answer."""
    s = sweep.variants[0].scenario
    chosen = None if decision.chosen is None else dict(decision.rows[decision.chosen].settings)
    runner = None if decision.runner_up is None else dict(decision.rows[decision.runner_up].settings)
    m = decision.margin
    return {"kind": "optimize", "scenario": s.name, "scenario_file": scenario_file, "choices": list(choices),
            "decisions": [{"key": a.key, "options": list(a.values)} for a in sweep.axes], "kpi": decision.kpi,
            "period": period, "feasible_rule": decision.goals.rule, "max_abandon": decision.goals.max_abandon,
            "rule": rule_text(decision), "combinations": len(sweep.variants), "seed": s.run.seed,
            "replications": s.run.replications, "days": s.run.days, "chosen": chosen, "runner_up": runner,
            "runner_up_minus_chosen": None if m is None else json_number(m.mean),
            "runner_up_minus_chosen_ci": None if m is None else json_number(m.half_width),
            "clear": decision.clear if m is not None else None,
            "simulations": sum(r.scenario.run.replications for r in sweep.results),
            "calls_simulated": sum(r.calls for r in sweep.results), "wall_time_s": round(sweep.wall_time, 3),
            "executor": executor, "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": versions()}


def chosen_yaml(decision: Decision, info: dict[str, Any], source: Path, out: Path, keys: dict[str, Any]) -> str:
    """The chosen combination as a scenario extending ``source`` with ``keys`` (sim.analysis.optimize.chosen_keys
    and the run settings the optimisation overrode)."""
    assert decision.chosen is not None
    row = decision.rows[decision.chosen]
    lines = [f"# Chosen by 'ccsim optimize' from {source.name} among {info['combinations']} combinations "
             f"(seed {info['seed']}, {info['replications']} replications, common random numbers):",
             f"# {settings_text(row)}",
             f"# {_LABELS[decision.kpi].lower()} {info['period']}: {_money(row.kpi)}; {rule_text(decision)}.",
             f"extends: {parent_path(source, out)}", f"name: {info['scenario'][:54]}_optimized"]
    lines += _block(keys, 0)
    return "\n".join(lines) + "\n"


def _block(data: dict[str, Any], depth: int) -> list[str]:
    """Nested mappings as block YAML, other values as JSON (a subset of YAML's flow style)."""
    out = []
    for key, value in data.items():
        name = key if _PLAIN.match(key) else json.dumps(key)
        if isinstance(value, dict) and value:
            out += [f"{'  ' * depth}{name}:", *_block(value, depth + 1)]
        else:
            out.append(f"{'  ' * depth}{name}: {json.dumps(value)}")
    return out


def check_chosen(path: Path, force: bool) -> None:
    """CcsimError if ``--chosen`` is no .yaml/.yml file name, or exists (without ``force``)."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise CcsimError(f"ccsim optimize --chosen: {path}: give a scenario file name ending in .yaml or .yml")
    if path.is_dir():
        raise CcsimError(f"ccsim optimize --chosen: {path} is a folder")
    if path.exists() and not force:
        raise CcsimError(f"ccsim optimize --chosen: {path} exists; choose another name, or add --force to "
                         "replace it")


def write_chosen(path: Path, text: str) -> None:
    """Write the chosen scenario whole (atomically)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise CcsimError(f"ccsim optimize: cannot write {path}: {exc.strerror}") from None


def write_optimize(decision: Decision, info: dict[str, Any], out_dir: Path, chosen: str | None) -> Staged:
    """Write optimize.csv, optimize.json, run.json and (if a combination was chosen) chosen.yaml into
    ``out_dir`` atomically (see sim.reports.folders)."""
    rows = records(decision)
    with staged_folder(out_dir) as staged:
        tmp = staged.path
        (tmp / "run.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        write_csv(tmp / "optimize.csv", list(rows[0]), rows)
        (tmp / "optimize.json").write_text(json.dumps({"run": info, "rows": rows}, indent=2) + "\n",
                                           encoding="utf-8")
        if chosen is not None:
            (tmp / CHOSEN).write_text(chosen, encoding="utf-8")
    return staged
