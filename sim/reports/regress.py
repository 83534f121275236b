"""Scenario regression testing (``ccsim regress``): run scenarios and compare their KPIs with stored baselines.

Statistical mode (default) tests every KPI of every row (total, client, call type, agent group) with a Welch
two-sample t-test, each side's standard error recovered from its stored 95% half-width (se = half-width /
t_quantile(n)) and the degrees of freedom by Welch-Satterthwaite; Holm-Bonferroni adjusts the p-values over all
KPIs of a scenario so that ``alpha`` is the family-wise level. A KPI has *changed* only when it is significant and
its difference exceeds the practical tolerance of that KPI (absolute, in the KPI's units; default 0); a KPI
without noise on either side (half-widths 0, e.g. agent hours) is compared exactly. The two runs are treated as
independent; with the same seed they share random numbers, and the positive correlation this brings
makes the test conservative.

Exact mode checks determinism: with the same seed, replications and days, every mean and half-width must be
reproduced to a relative tolerance. A different Python or numpy version is reported as an environment change,
not as a regression.

A baseline is one small JSON file per scenario, ``<dir>/<scenario name>.json``, written atomically.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scipy import stats as sps

from sim.analysis.budget import DEFAULT_MAX_CALLS, check_size
from sim.analysis.experiment import run, with_overrides
from sim.analysis.stats import LEVEL, t_quantile
from sim.analysis.summary import KpiRow, kpi_rows
from sim.errors import CcsimError
from sim.reports.folders import write_atomic
from sim.reports.report import file_hash, json_number, versions
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario

FORMAT = "ccsim-baseline/1"
LEVELS = ("total", "client", "call_type", "group", "campaign", "work", "chat")
KPIS = ("service_level", "asa", "abandon_rate", "blocking_rate", "deflection_rate", "mean_wait", "occupancy",
        "agent_hours", "labour_cost", "cost_per_call", "transfer_rate", "transfer_sl", "transfer_abandon_rate",
        "callback_rate", "callback_sl",
        "attempts", "right_party", "right_party_rate", "silent_rate", "sales", "revenue",
        "offers", "conversion", "revenue_per_call", "profit",
        "right_party_per_agent_hour", "list_penetration",
        "response_sl", "mean_age_h", "mean_backlog", "items_per_agent_hour", "concurrency", "chats_per_agent_hour")
ENVIRONMENT = ("python", "numpy")
SETTINGS = ("seed", "replications", "days")
MAX_REPLICATIONS = 10_000
"""The most replications a scenario may ask for (run.replications), hence the most a baseline KPI may count."""
PASS, NOISE, TOLERATED, CHANGED, ADDED, REMOVED, DIFFERS = (
    "pass", "within noise", "within tolerance", "changed", "added", "removed", "differs (env)")
FAILING = (CHANGED, ADDED, REMOVED)
SHOWN = (*FAILING, TOLERATED, DIFFERS)
"""Verdicts listed in the table by default; the others are counted in the scenario's summary line."""


class RegressError(CcsimError):
    """Bad input to ``ccsim regress``: an option, an unreadable baseline, or run settings that exact mode cannot
    compare (the CLI turns it into exit code 2)."""


@dataclass(frozen=True)
class Stat:
    """One KPI of one run: mean over replications, 95% CI half-width (NaN if undefined) and replications."""

    mean: float
    half_width: float
    n: int


Key = tuple[str, str, str]
"""(level, row name, KPI)"""
Kpis = dict[Key, Stat]


@dataclass(frozen=True)
class Line:
    """The comparison of one KPI: difference new - old, half-width of its 95% CI, Holm-adjusted p-value (NaN where
    no test was made: exact mode, a noiseless KPI or a KPI on one side only) and the verdict."""

    key: Key
    old: Stat | None
    new: Stat | None
    diff: float
    ci: float
    p: float
    verdict: str


@dataclass(frozen=True)
class Options:
    """What ``ccsim regress`` does; run settings left None keep the scenario's own."""

    baseline_dir: Path
    exact: bool = False
    update: bool = False
    alpha: float = 0.01
    rtol: float = 1e-9
    tolerance: Mapping[str, float] = field(default_factory=dict)
    seed: int | None = None
    replications: int | None = None
    days: int | None = None
    workers: int | None = None
    max_calls: float = DEFAULT_MAX_CALLS
    junit: Path | None = None

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise RegressError(f"--alpha: must be between 0 and 1 (got {self.alpha:g})")
        if not self.rtol >= 0:
            raise RegressError(f"--rtol: must be >= 0 (got {self.rtol:g})")
        if self.junit is not None and (self.junit.is_dir() or not self.junit.parent.is_dir()
                                       and self.junit.parent.exists()):
            raise RegressError(f"--junit {self.junit}: must name a file (it is a folder, or lies in a file)")

    def method(self) -> str:
        """The test, stated in the output."""
        if self.exact:
            return f"exact mode: same seed must reproduce every KPI to relative tolerance {self.rtol:g}"
        tol = ", ".join(f"{k}={v:g}" for k, v in sorted(self.tolerance.items())) or "none"
        return (f"statistical mode: Welch t-test per KPI, Holm-Bonferroni over each scenario's KPIs, family-wise "
                f"alpha={self.alpha:g}; practical tolerances: {tol}; diff shown with its {LEVEL:.0%} CI")


def parse_tolerances(items: Iterable[str]) -> dict[str, float]:
    """``["asa=2", "service_level=0.01"]`` -> {"asa": 2.0, "service_level": 0.01}; RegressError if malformed."""
    out = {}
    for item in items:
        kpi, sep, value = item.partition("=")
        if not sep or kpi.strip() not in KPIS:
            raise RegressError(f"--tolerance {item!r}: expected KPI=VALUE with KPI one of {', '.join(KPIS)}")
        try:
            out[kpi.strip()] = number = float(value)
        except ValueError:
            raise RegressError(f"--tolerance {item!r}: {value!r} is not a number") from None
        if not number >= 0:
            raise RegressError(f"--tolerance {item!r}: must be >= 0")
    return out


# -- comparison (pure) ----------------------------------------------------------------------------------------


def same(a: float, b: float, rtol: float = 1e-9) -> bool:
    """Equal to a relative tolerance; NaN equals NaN."""
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rtol, abs_tol=0.0)


def standard_error(s: Stat) -> float:
    """The standard error behind a stored half-width (0 for a noiseless or undefined KPI)."""
    if s.n < 2 or not s.half_width > 0:
        return 0.0
    return s.half_width / float(t_quantile(s.n))


def welch(old: Stat, new: Stat) -> tuple[float, float, float]:
    """Standard error of new - old, Welch-Satterthwaite degrees of freedom and the two-sided p-value
    (0, inf, NaN when there is nothing to test: both sides noiseless, or a mean undefined on one side)."""
    v1, v2 = standard_error(old) ** 2, standard_error(new) ** 2
    if v1 + v2 == 0 or math.isnan(old.mean) or math.isnan(new.mean):
        return 0.0, math.inf, math.nan
    df = (v1 + v2) ** 2 / sum(v * v / (s.n - 1) for v, s in ((v1, old), (v2, new)) if v > 0)
    se = math.sqrt(v1 + v2)
    return se, df, float(2 * sps.t.sf(abs(new.mean - old.mean) / se, df))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values: reject a hypothesis where its adjusted p-value <= alpha."""
    m = len(pvalues)
    adjusted, running = [1.0] * m, 0.0
    for rank, i in enumerate(sorted(range(m), key=pvalues.__getitem__)):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def _keys(old: Kpis, new: Kpis) -> list[Key]:
    """Keys of both sides: rows in LEVELS order, then row name, then KPIS order."""
    return sorted(old.keys() | new.keys(), key=lambda k: (LEVELS.index(k[0]), k[1], KPIS.index(k[2])))


def _one_sided(key: Key, old: Stat | None, new: Stat | None) -> Line:
    return Line(key, old, new, math.nan, math.nan, math.nan, ADDED if old is None else REMOVED)


def compare_statistical(old: Kpis, new: Kpis, alpha: float, tolerance: Mapping[str, float]) -> list[Line]:
    """Every KPI of both runs with its verdict: pass (equal), within noise (not significant), within tolerance
    (significant, |diff| <= tolerance), changed (significant and larger), added or removed."""
    tests = {k: welch(old[k], new[k]) for k in _keys(old, new) if k in old and k in new}
    family = [k for k, (se, _, _) in tests.items() if se > 0]
    adjusted = dict(zip(family, holm([tests[k][2] for k in family]), strict=True))
    lines = []
    for key in _keys(old, new):
        if key not in tests:
            lines.append(_one_sided(key, old.get(key), new.get(key)))
            continue
        o, n = old[key], new[key]
        se, df, _ = tests[key]
        diff, p = n.mean - o.mean, adjusted.get(key, math.nan)
        if same(o.mean, n.mean):
            verdict = PASS
        elif math.isnan(diff) or math.isnan(p) or p <= alpha:  # defined on one side only, noiseless, significant
            verdict = CHANGED if not abs(diff) <= tolerance.get(key[2], 0.0) else TOLERATED
        else:
            verdict = NOISE
        ci = float(sps.t.ppf(0.5 + LEVEL / 2, df)) * se if se > 0 else 0.0
        lines.append(Line(key, o, n, diff, ci, p, verdict))
    return lines


def compare_exact(old: Kpis, new: Kpis, rtol: float) -> list[Line]:
    """Every KPI of both runs: pass when mean and half-width agree to ``rtol``, else changed (or added, removed)."""
    lines = []
    for key in _keys(old, new):
        o, n = old.get(key), new.get(key)
        if o is None or n is None:
            lines.append(_one_sided(key, o, n))
            continue
        equal = same(o.mean, n.mean, rtol) and same(o.half_width, n.half_width, rtol)
        lines.append(Line(key, o, n, n.mean - o.mean, math.nan, math.nan, PASS if equal else CHANGED))
    return lines


def changes(old: Mapping[str, Any], new: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    """``["numpy 1.26.4 -> 2.0.0"]``: the named entries that differ between two mappings."""
    return [f"{k} {old.get(k)} -> {new.get(k)}" for k in names if old.get(k) != new.get(k)]


# -- baselines ----------------------------------------------------------------------------------------------


def kpis_of(rows: Iterable[KpiRow], n: int) -> Kpis:
    """The compared KPIs of a run's whole-run rows; ``n`` replications."""
    return {(r.level, r.name, k): Stat(float(e.mean), float(e.half_width), n)
            for r in rows if r.level in LEVELS for k, e in r.kpis.items() if k in KPIS}


def baseline_document(scenario: Scenario, file: Path, kpis: Kpis) -> dict[str, Any]:
    """The JSON data of a baseline: scenario, its file's sha256, run settings, versions and KPIs by row."""
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for (level, name, kpi), s in kpis.items():
        rows.setdefault(level, {}).setdefault(name, {})[kpi] = {
            "mean": json_number(s.mean), "half_width": json_number(s.half_width), "n": s.n}
    return {"format": FORMAT, "scenario": scenario.name, "scenario_sha256": file_hash(file),
            **{k: getattr(scenario.run, k) for k in SETTINGS}, "versions": versions(), "kpis": rows}


def document_kpis(doc: Mapping[str, Any]) -> Kpis:
    """The KPIs of a baseline document (null becomes NaN); ValueError where a KPI is malformed."""
    return {(level, name, kpi): _stat_of(v, f"kpis.{level}.{name}.{kpi}")
            for level, names in doc["kpis"].items() for name, kpis in names.items() for kpi, v in kpis.items()}


def _stat_of(value: Any, where: str) -> Stat:
    """One stored KPI: finite numbers (or null), a half-width >= 0 and a whole replication count >= 1."""
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected {{mean, half_width, n}}, got {value!r}")
    n = value.get("n")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_REPLICATIONS:
        raise ValueError(f"{where}.n: must be a whole number from 1 to {MAX_REPLICATIONS} (got {n!r})")
    numbers = []
    for key in ("mean", "half_width"):
        x = value.get(key)
        if x is not None and (isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x)):
            raise ValueError(f"{where}.{key}: must be a finite number or null (got {x!r})")
        numbers.append(math.nan if x is None else float(x))
    if numbers[1] < 0:
        raise ValueError(f"{where}.half_width: must be >= 0 (got {numbers[1]!r})")
    return Stat(numbers[0], numbers[1], n)


def read_baseline(path: Path) -> dict[str, Any] | None:
    """A baseline document, None if the file does not exist; RegressError if it is not a ccsim baseline."""
    try:
        if path.exists() and not path.is_file():
            raise ValueError("not a regular file")
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f"format is {doc.get('format') if isinstance(doc, dict) else None!r}, "
                             f"expected {FORMAT!r}")
        missing = [k for k in ("scenario", *SETTINGS, "versions", "kpis") if k not in doc]
        if missing:
            raise KeyError(f"missing {', '.join(missing)}")
        if not isinstance(doc["versions"], dict) or not isinstance(doc["kpis"], dict):
            raise TypeError("versions and kpis must be mappings")
        stats = document_kpis(doc)
        if any(s.n != doc["replications"] for s in stats.values()):
            raise ValueError(f"a KPI's n differs from the baseline's replications ({doc['replications']!r})")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RegressError(f"{path}: not a readable ccsim baseline ({type(exc).__name__}: {exc})") from None
    return doc


_STAT = re.compile(r'\{\s+("half_width": [^,\s]+),\s+("mean": [^,\s]+),\s+("n": \d+)\s+\}')


def baseline_text(doc: Mapping[str, Any]) -> str:
    """Indented, key-sorted JSON with one line per KPI (small diffs under version control)."""
    return _STAT.sub(r"{\1, \2, \3}", json.dumps(doc, indent=2, sort_keys=True)) + "\n"


def write_baseline(path: Path, doc: Mapping[str, Any]) -> None:
    """Write a baseline atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, baseline_text(doc).encode("utf-8"))


# -- running ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """The result of one scenario: its compared lines, a one-line summary and whether it fails the check."""

    scenario: str
    lines: tuple[Line, ...]
    summary: str
    failed: bool
    seconds: float = 0.0


Job = tuple[Path, Scenario, dict[str, Any] | None]
"""A scenario file, its scenario (run overrides applied) and its baseline (None if there is none yet)."""


def scenario_files(paths: Iterable[str]) -> list[Path]:
    """Files as given; a folder stands for its *.yaml and *.yml files, sorted."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(f for f in path.iterdir() if f.suffix in (".yaml", ".yml") and f.is_file())
            if not found:
                raise RegressError(f"{path}: no scenario files (*.yaml, *.yml) in this folder")
            files += found
        else:
            files.append(path)
    return files


def prepare(paths: Iterable[str], opts: Options) -> list[Job]:
    """Load every scenario and baseline and check they can be compared, before anything runs."""
    jobs: list[Job] = []
    for file in scenario_files(paths):
        s = with_overrides(load_scenario(file), seed=opts.seed, replications=opts.replications, days=opts.days)
        if any(other.name == s.name for _, other, _ in jobs):
            raise RegressError(f"{file}: scenario name {s.name!r} is used twice; baselines are stored by name")
        check_size(s, opts.max_calls, opts.workers or os.cpu_count() or 1)
        path = opts.baseline_dir / f"{s.name}.json"
        baseline = read_baseline(path)
        if baseline is not None and baseline["scenario"] != s.name:
            raise RegressError(f"{path}: baseline is for scenario {baseline['scenario']!r}, not {s.name!r} "
                               f"({file}); rebuild it with --update")
        runs = {k: getattr(s.run, k) for k in SETTINGS}
        if not opts.exact and min(runs["replications"], (baseline or runs)["replications"]) < 2:
            raise RegressError(f"{file}: statistical mode needs at least 2 replications in the run and baseline")
        if opts.exact and not opts.update and baseline and (diff := changes(baseline, runs, SETTINGS)):
            raise RegressError(f"{file}: exact mode needs the baseline's run settings ({'; '.join(diff)}); "
                               "drop the overrides, or rebuild the baseline with --update")
        jobs.append((file, s, baseline))
    return jobs


def _summary(name: str, lines: Sequence[Line], head: str, notes: Sequence[str]) -> str:
    counts = {v: sum(line.verdict == v for line in lines) for v in (*FAILING, DIFFERS, TOLERATED, NOISE, PASS)}
    text = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    tested = sum(not math.isnan(line.p) for line in lines)
    family = f"; {tested} KPIs in the Holm family" if tested else ""
    return f"{name}: {head} ({text or 'no KPIs'}{family})" + "".join(f"; {n}" for n in notes)


def regress_one(job: Job, opts: Options) -> Outcome:
    """Run one scenario, compare it with its baseline and (with --update) write the new baseline."""
    file, scenario, baseline = job
    name, path = scenario.name, opts.baseline_dir / f"{scenario.name}.json"
    if baseline is None and not opts.update:
        return Outcome(name, (), f"{name}: FAIL no baseline (run with --update)", True)
    started = time.perf_counter()
    new = kpis_of(kpi_rows(run(scenario, workers=opts.workers, max_calls=opts.max_calls)),
                  scenario.run.replications)
    doc = baseline_document(scenario, file, new)
    seconds = time.perf_counter() - started
    if opts.update:
        write_baseline(path, doc)
    if baseline is None:
        return Outcome(name, (), f"{name}: new baseline {path}", False, seconds=seconds)
    old = document_kpis(baseline)
    lines = compare_exact(old, new, opts.rtol) if opts.exact else compare_statistical(old, new, opts.alpha,
                                                                                      opts.tolerance)
    notes = changes(baseline, doc, SETTINGS)
    if baseline.get("scenario_sha256") != doc["scenario_sha256"]:
        notes.append("scenario file changed since the baseline")
    env = changes(baseline["versions"], doc["versions"], ENVIRONMENT) if opts.exact else []
    if env:
        lines = [replace(x, verdict=DIFFERS) if x.verdict == CHANGED else x for x in lines]
    failed = not opts.update and any(line.verdict in FAILING for line in lines)
    env_head = f"environment changed ({', '.join(env)}), numbers that differ are not a regression"
    head = f"baseline updated {path}" if opts.update else "FAIL" if failed else env_head if env else "ok"
    if env and head != env_head:
        notes.append(env_head)
    return Outcome(name, tuple(lines), _summary(name, lines, head, notes), failed, seconds)


def regress(paths: Iterable[str], opts: Options,
            on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Check (or, with ``opts.update``, rebuild) the baseline of every scenario; ``on_outcome`` as each ends."""
    outcomes = []
    for job in prepare(paths, opts):
        outcomes.append(regress_one(job, opts))
        if on_outcome:
            on_outcome(outcomes[-1])
    return outcomes


# -- output -------------------------------------------------------------------------------------------------


def _num(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.6g}"


def _stat(s: Stat | None) -> str:
    if s is None:
        return "-"
    return _num(s.mean) + ("" if math.isnan(s.half_width) else f" ±{s.half_width:.2g}")


def format_outcome(outcome: Outcome, verbose: bool = False) -> str:
    """The lines that need attention (every differing line if ``verbose``) as a table, then the summary line."""
    shown = [line for line in outcome.lines if line.verdict in SHOWN or (verbose and line.verdict != PASS)]
    if not shown:
        return outcome.summary
    diff_head = "diff" if all(math.isnan(x.ci) for x in shown) else f"diff ±{LEVEL:.0%} CI"
    cells = [["scenario", "level", "name", "kpi", "old", "new", diff_head, "p (Holm)", "verdict"]]
    for line in shown:
        diff = _num(line.diff) if math.isnan(line.ci) else f"{line.diff:+.4g} ±{line.ci:.2g}"
        p = "-" if math.isnan(line.p) else f"{line.p:.2g}"
        cells.append([outcome.scenario, *line.key, _stat(line.old), _stat(line.new), diff, p, line.verdict])
    widths = [max(len(row[j]) for row in cells) for j in range(len(cells[0]))]
    table = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join([*table, outcome.summary])


def junit_xml(outcomes: Sequence[Outcome], method: str) -> ET.ElementTree:
    """A JUnit report: one test case per scenario, failing with the changed KPIs; an environment change that
    moved numbers in exact mode is reported as skipped."""
    skipped = [not o.failed and any(x.verdict == DIFFERS for x in o.lines) for o in outcomes]
    suite = ET.Element("testsuite", name="ccsim.regress", tests=str(len(outcomes)), errors="0",
                       failures=str(sum(o.failed for o in outcomes)), skipped=str(sum(skipped)),
                       time=f"{sum(o.seconds for o in outcomes):.3f}")
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="method", value=method)
    for o, skip in zip(outcomes, skipped, strict=True):
        case = ET.SubElement(suite, "testcase", classname="ccsim.regress", name=o.scenario, time=f"{o.seconds:.3f}")
        if o.failed:
            failure = ET.SubElement(case, "failure", message=o.summary, type="regression")
            failure.text = format_outcome(o)
        elif skip:
            ET.SubElement(case, "skipped", message=o.summary)
        ET.SubElement(case, "system-out").text = format_outcome(o, verbose=True)
    tree = ET.ElementTree(suite)
    ET.indent(tree)
    return tree


def write_junit(outcomes: Sequence[Outcome], method: str, file: str | Path) -> None:
    """Write the JUnit XML report of a regression check (atomically)."""
    path = Path(file)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        root = junit_xml(outcomes, method).getroot()
        assert root is not None
        write_atomic(path, ET.tostring(root, encoding="utf-8", xml_declaration=True))
    except OSError as exc:
        raise RegressError(f"--junit {file}: cannot write it ({exc.strerror or exc})") from None
