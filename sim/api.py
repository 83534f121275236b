"""ccsim from Python (a notebook, a script): load or write a scenario, run it, get its tables, compare scenarios.

    from sim.api import load, simulate, compare
    base = load("scenarios/inhouse.yaml", replications=5)
    result = simulate(base)
    result.kpis()          # one row per slice (total, client, call type, group, site); <kpi> and <kpi>_ci columns

Tables are pandas DataFrames (``pip install -e ".[pandas]"``); ``records=True`` gives the same rows as a list of
dicts without pandas. The numbers are those of ``ccsim run``: same scenario and seed, same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.compare import compare as _paired
from sim.analysis.experiment import RunResult, run, with_overrides
from sim.analysis.risk import risk_csv_rows
from sim.analysis.summary import Summary, summarize
from sim.errors import CcsimError
from sim.reports.compare_output import comparison_records
from sim.reports.report import kpi_table, write_results
from sim.scenario.loader import load_scenario, parse_scenario
from sim.scenario.schema import Scenario

__all__ = ["Result", "compare", "load", "parse", "simulate"]


def load(path: str | Path, *, seed: int | None = None, replications: int | None = None,
         days: int | None = None) -> Scenario:
    """A scenario file, validated (CcsimError with file, line and key otherwise), with run settings replaced."""
    return with_overrides(load_scenario(path), seed=seed, replications=replications, days=days)


def parse(text: str, name: str = "<text>", *, seed: int | None = None, replications: int | None = None,
          days: int | None = None) -> Scenario:
    """A scenario from YAML text (``name`` stands for the file in messages)."""
    return with_overrides(parse_scenario(text, name), seed=seed, replications=replications, days=days)


def _frame(rows: list[dict[str, Any]], records: bool) -> Any:
    """A DataFrame of ``rows``, or the rows themselves."""
    if records:
        return rows
    try:
        import pandas as pd
    except ImportError:
        raise CcsimError("ccsim tables as DataFrames need pandas: pip install -e \".[pandas]\" (or pass "
                         "records=True for plain rows)") from None
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Result:
    """A simulated scenario: every replication's facts and the summary the result files are written from."""

    run: RunResult
    summary: Summary

    @property
    def scenario(self) -> Scenario:
        return self.run.scenario

    def kpis(self, records: bool = False) -> Any:
        """Whole-run KPIs, one row per slice: means and 95 % CI half-widths (``<kpi>_ci``), as summary.csv."""
        return _frame(kpi_table(self.summary.rows)[1], records)

    def days(self, records: bool = False) -> Any:
        """The KPIs per simulated day, as days.csv."""
        return _frame(kpi_table(self.summary.days)[1], records)

    def intervals(self, records: bool = False) -> Any:
        """Per interval and call type (and ``all``), as intervals.csv."""
        return _frame([dict(r) for r in self.summary.intervals], records)

    def risk(self, records: bool = False) -> Any:
        """Distributions over days and intervals (percentiles, P(meet target), worst units), as risk.csv."""
        return _frame(risk_csv_rows(self.summary.risk), records)

    def write(self, folder: str | Path, scenario_file: str | None = None) -> Path:
        """Write the results folder ``ccsim run`` writes (atomically; a folder ccsim did not write is refused)."""
        return write_results(self.run, self.summary, folder, scenario_file).target


def simulate(scenario: Scenario, workers: int | None = None) -> Result:
    """Run every replication of ``scenario`` (``workers`` processes, default one per core)."""
    result = run(scenario, workers=workers)
    return Result(result, summarize(result))


def compare(results: Sequence[Result], records: bool = False) -> Any:
    """KPIs of scenarios side by side with paired differences against the first (one row per scope, KPI and
    scenario: ``mean``, ``ci``, ``diff_vs_first``, ``diff_ci``). Run them with one seed and as many replications
    (common random numbers), as ``ccsim compare`` does, or the differences are not paired."""
    if len(results) < 2:
        raise CcsimError("compare: give at least two results (the first is the reference)")
    runs = [r.run for r in results]
    settings = {(r.scenario.run.seed, r.scenario.run.replications) for r in runs}
    if len(settings) > 1:
        raise CcsimError("compare: the results need the same seed and replications (common random numbers); "
                         "load them with seed=... and replications=...")
    names = [r.scenario.name for r in runs]
    if len(set(names)) != len(names):
        raise CcsimError(f"compare: scenario names must differ (got {', '.join(names)})")
    return _frame(comparison_records(names, _paired(runs)), records)
