"""The cheapest combination of decisions that meets the service targets (``ccsim optimize``).

Each decision is one scenario key and its options (``--choose KEY.PATH=V1,V2,...``, or labelled offers read from
a file); the combinations are a sweep's grid (sim.analysis.sweep), every one run with the scenario's seed, so
replication r of every combination sees the same callers (common random numbers). A combination is feasible when
every call type meets its service-level target (its own, else the scenario's): by the rule ``ci`` the lower end
of the 95 % CI of its service level is at or above the target, by ``mean`` the point estimate is; with a limit on
abandonment, the upper end of its CI (the mean) is at or below it. Among the feasible combinations the one with
the lowest cost (mean) is chosen, or with ``--kpi profit`` the highest profit (revenue of sales and campaigns
minus the total cost); the paired difference to the runner-up says whether the choice is clear.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.analysis.compare import COMPARED, objective_pairs
from sim.analysis.experiment import RunResult
from sim.analysis.stats import Estimate, paired_difference, ratio_estimate
from sim.analysis.summary import kpi_rows
from sim.analysis.sweep import Axis, SweepResult, list_axis
from sim.errors import CcsimError, did_you_mean
from sim.scenario.files import MAX_SCENARIO_BYTES, UnreadableFile, read_bytes
from sim.scenario.overrides import parse_path
from sim.scenario.yamlmap import format_path, line_of, load_yaml

COMMAND = "ccsim optimize"
OPTIONS = "--choose KEY.PATH=V1,V2,... or --choose-file OFFERS.yaml"
COSTS = tuple(key for key, _, kind in COMPARED if kind.startswith("money"))
"""The KPIs an optimisation can minimise: the costs of ``ccsim compare``."""
GAINS = ("profit",)
"""The KPIs an optimisation can maximise."""


@dataclass(frozen=True)
class Goals:
    """What makes a combination feasible: the rule (``ci`` or ``mean``) and an optional abandonment limit."""

    rule: str = "ci"
    max_abandon: float | None = None


@dataclass(frozen=True)
class TypeCheck:
    """One call type in one combination: its service level, target and abandonment, and whether it meets them."""

    call_type: str
    sl: Estimate
    target: float
    abandon: Estimate
    meets: bool

    def slack(self, rule: str) -> float:
        """How far the service level (the lower end of its CI by the rule ``ci``) lies above the target."""
        bound = self.sl.mean - (0.0 if rule == "mean" or math.isnan(self.sl.half_width) else self.sl.half_width)
        return float(bound - self.target)


@dataclass(frozen=True)
class Row:
    """One combination: its KPI, its call types, feasibility and the paired difference of its KPI to the chosen
    combination's (None when nothing is chosen)."""

    settings: tuple[tuple[str, str], ...]
    kpi: Estimate
    types: tuple[TypeCheck, ...]
    feasible: bool
    vs_chosen: Estimate | None

    def worst(self, rule: str) -> TypeCheck | None:
        """The call type closest to (or furthest below) its target; None if no call type had queued calls."""
        measured = [t for t in self.types if not math.isnan(t.sl.mean)]
        return min(measured, key=lambda t: t.slack(rule)) if measured else None


@dataclass(frozen=True)
class Decision:
    """The combinations' table, the chosen one and the runner-up (indices into ``rows``; None if there are
    fewer feasible combinations) and the runner-up's KPI minus the chosen one's, paired by replication."""

    kpi: str
    goals: Goals
    rows: tuple[Row, ...]
    chosen: int | None
    runner_up: int | None
    margin: Estimate | None

    @property
    def maximise(self) -> bool:
        """Whether the KPI is a gain (profit), chosen highest, rather than a cost, chosen lowest."""
        return self.kpi in GAINS

    @property
    def clear(self) -> bool:
        """Whether the runner-up is worse than the chosen combination beyond the noise (its CI excludes 0): it
        costs more, or earns less."""
        m = self.margin
        if m is None or math.isnan(m.half_width):
            return False
        return bool(m.mean + m.half_width < 0 if self.maximise else m.mean - m.half_width > 0)


def check_kpi(kpi: str) -> str:
    """``--kpi`` checked: a cost of ``ccsim compare`` or profit."""
    if kpi not in (*COSTS, *GAINS):
        raise CcsimError(f"{COMMAND} --kpi {kpi}: not a cost KPI or profit{did_you_mean(kpi, [*COSTS, *GAINS])}; "
                         f"choose among {', '.join((*COSTS, *GAINS))}")
    return kpi


def choice(text: str) -> Axis:
    """``--choose KEY.PATH=V1,V2,...`` -> Axis (its options as YAML texts; ``null`` removes the key)."""
    return list_axis(text, "--choose")


def offers(file: str) -> list[Axis]:
    """The decisions of an offers file: a mapping of key paths, each to a mapping of labels to values (whole
    mappings such as a partner contract, or ``null`` to remove the key) or to a list of values (labelled by
    themselves). CcsimError naming the file, line and key if it is not of that form."""
    where = f"--choose-file {file}"
    try:
        text = read_bytes(file, MAX_SCENARIO_BYTES, "offers file").decode("utf-8-sig")
    except UnreadableFile as exc:
        raise CcsimError(f"{where}: {exc.reason}") from None
    except UnicodeDecodeError:
        raise CcsimError(f"{where}: not UTF-8 text; save the file with the UTF-8 encoding") from None
    data, lines, problems = load_yaml(text, file)
    if problems:
        raise CcsimError(str(problems[0]))
    example = "e.g. 'sites.bpo.contract: {cheap: {per_minute: 0.85}, hourly: {per_hour: 32}}'"
    if not isinstance(data, dict) or not data:
        raise CcsimError(f"{where}: expected a mapping of scenario key paths to their options, {example}")
    out = []
    for key, options in data.items():
        line = f"{file}:{line_of(lines, (key,))}"
        at = f"{line} {key}"
        path = parse_path(str(key), f"--choose-file {line}")
        if isinstance(options, dict) and options:
            labels, values = tuple(str(k) for k in options), tuple(options.values())
        elif isinstance(options, list) and options:
            labels, values = tuple(v if isinstance(v, str) else json.dumps(v) for v in options), tuple(options)
        else:
            raise CcsimError(f"{at}: expected the options as a mapping of labels to values or as a list of values, "
                             f"{example}")
        repeated = sorted({v for v in labels if labels.count(v) > 1})
        if repeated:
            raise CcsimError(f"{at}: the option {repeated[0]} is given twice")
        out.append(Axis(format_path(path), labels, values, where))
    return out


def decide(sweep: SweepResult, kpi: str, goals: Goals) -> Decision:
    """Check every combination against the goals, choose the feasible one of lowest ``kpi`` (highest for a gain;
    the first in grid order among equals) and compare every combination with it, paired by replication."""
    pairs = [objective_pairs(r, kpi) for r in sweep.results]
    checks = [_types(r, goals) for r in sweep.results]
    values = [ratio_estimate(*p) for p in pairs]
    feasible = [i for i, types in enumerate(checks) if all(t.meets for t in types)]
    sign = -1.0 if kpi in GAINS else 1.0
    ranked = sorted(feasible, key=lambda i: (sign * values[i].mean, i))
    chosen = ranked[0] if ranked else None
    runner_up = ranked[1] if len(ranked) > 1 else None
    rows = tuple(Row(v.settings, values[i], checks[i], i in feasible,
                     None if chosen is None else paired_difference(*pairs[chosen], *pairs[i]))
                 for i, v in enumerate(sweep.variants))
    margin = None if chosen is None or runner_up is None else rows[runner_up].vs_chosen
    return Decision(kpi, goals, rows, chosen, runner_up, margin)


def _types(result: RunResult, goals: Goals) -> tuple[TypeCheck, ...]:
    """Every call type's service level and abandonment in one combination, checked against the goals."""
    scenario = result.scenario
    own = {name: ct.service_level for name, (_, ct) in scenario.all_call_types().items()}
    out = []
    for row in kpi_rows(result):
        if row.level != "call_type":
            continue
        mine = own[row.name]
        target = scenario.service_level.target if mine is None else mine.target
        sl, abandon = row.kpis["service_level"], row.kpis["abandon_rate"]
        ci = goals.rule == "ci"
        meets = math.isnan(sl.mean) or (sl.mean - sl.half_width if ci else sl.mean) >= target
        if goals.max_abandon is not None and not math.isnan(abandon.mean):
            meets = meets and (abandon.mean + abandon.half_width if ci else abandon.mean) <= goals.max_abandon
        out.append(TypeCheck(row.name, sl, target, abandon, meets))
    return tuple(out)


def chosen_keys(original: dict[str, Any], chosen: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """The keys an extending file needs to turn ``original`` (the scenario's merged data) into ``chosen`` (the
    same with the chosen options laid over it) at the decided ``keys``: a key path into a list writes the whole
    list; a mapping that replaces another names the keys it drops as null (an extending file merges mappings)."""
    cuts = []
    for key in keys:
        path = parse_path(key)
        end = next((i for i, part in enumerate(path) if isinstance(part, int)), len(path))
        cuts.append(tuple(str(p) for p in path[:end]))
    out: dict[str, Any] = {}
    for cut in sorted(set(cuts), key=len):
        if any(cut[:n] in cuts for n in range(1, len(cut))):
            continue  # an enclosing key is written whole
        node = out
        for part in cut[:-1]:
            node = node.setdefault(part, {})
        node[cut[-1]] = _replacing(_at(original, cut), _at(chosen, cut))
    return out


def _at(data: Any, path: Sequence[str]) -> Any:
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _replacing(old: Any, new: Any) -> Any:
    """What an extending file writes so that ``old`` becomes ``new`` (nulls delete what ``new`` lacks)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    return {**{k: None for k in old if k not in new}, **{k: _replacing(old.get(k), v) for k, v in new.items()}}


def check_goals(rule: str, replications: int) -> None:
    """CcsimError if the rule ``ci`` is asked for without the replications a CI needs."""
    if rule == "ci" and replications < 2:
        raise CcsimError(f"{COMMAND}: the feasibility rule 'ci' needs a confidence interval, so at least 2 "
                         "replications; give --replications 2 or more, or --feasible mean")

