"""The command line: ``ccsim run | compare | sweep | breakeven | optimize | staff | validate | regress | report |
schema | erlang | calibrate | backtest``. The only module that touches argv, signals and exit codes.

Exit codes: 0 success, 1 regression found or internal error, 2 bad input (scenario, trace, arguments, a run too
large, a results folder that may not be replaced), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM, SIGHUP).

Only the standard library is imported at start-up: a command imports what it needs when it runs, so that
``ccsim --help`` is quick and a Ctrl-C during start-up is handled like any other.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from sim.errors import CcsimError, Problem, printable

if TYPE_CHECKING:
    from contextlib import ExitStack

    from sim.analysis.experiment import RunResult
    from sim.analysis.summary import Summary
    from sim.analysis.sweep import Executor
    from sim.calibration.survival import KMPatience
    from sim.reports.folders import Staged
    from sim.reports.outputs import Outputs
    from sim.scenario.overrides import Override
    from sim.scenario.schema import Scenario

BAD_INPUT, INTERNAL = 2, 1
INTERRUPTED, TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM (SIGHUP gives 129)
DEFAULT_MAX_CALLS = 500_000_000  # sim.analysis.budget.DEFAULT_MAX_CALLS (a test keeps the two equal)
MAX_FOLDER_NAME = 120
"""Longest default comparison folder name; longer lists of scenario names are shortened with a hash."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled like Ctrl-C: workers end, nothing half-written is left."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


_signalled: list[int] = []
"""Signals received during the current command: an error that follows one is its consequence (a Ctrl-C during
the import of a C extension surfaces as ImportError("initialization failed"), for instance), not an internal
error."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _signalled.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def _handle_signals() -> None:
    """Ctrl-C, SIGTERM and SIGHUP end the command through ``_on_signal`` (only the main thread may set handlers)."""
    _signalled.clear()
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, _on_signal)


def _stopped(signum: int) -> int:
    """Report an interrupted or terminated command; its exit code."""
    print(f"ccsim: {'interrupted' if signum == signal.SIGINT else 'terminated'}; no results were written",
          file=sys.stderr)
    return 128 + signum


def _version() -> str:
    """The installed ccsim version ("unknown" when run from a source tree that is not installed)."""
    from importlib import metadata

    try:
        return metadata.version("ccsim")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def check_package() -> None:
    """CcsimError if the ``sim`` package that Python imports is not the one this command belongs to (a file
    sim.py or a folder sim/ earlier on the path shadows it)."""
    import sim

    mine = Path(__file__).resolve().parents[1]
    found = Path(getattr(sim, "__file__", None) or ".").resolve().parent
    if found != mine:
        raise CcsimError(f"ccsim: the module 'sim' is imported from {found}, not from ccsim ({mine}): a file "
                         "sim.py or a folder sim/ there shadows ccsim's package; rename it, or run 'ccsim' from "
                         "another folder")


def _whole(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value
    return parse


_positive, _seed = _whole(1), _whole(0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ccsim", description="Discrete-event simulation of contact centers.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("--version", action="version", version=f"ccsim {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_simulating(commands)
    _add_checking(commands)
    commands.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")
    rp = commands.add_parser("report", help="write report.html (and plots, workbook) for a results folder")
    rp.add_argument("results", metavar="RESULTS_DIR", help="a folder written by ccsim run")
    rp.add_argument("--plots", action="store_true", help="also write plots/*.png and *.svg")
    rp.add_argument("--xlsx", action="store_true", help="also write results.xlsx")
    _add_erlang(commands)
    _add_calibration(commands)
    _add_sweep(commands)
    _add_breakeven(commands)
    _add_optimize(commands)
    _add_staff(commands)
    for sub in commands.choices.values():  # --debug also after the command
        sub.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return parser


def _run_overrides(p: argparse.ArgumentParser, common: bool = False) -> None:
    """--seed/--replications/--days/--workers; ``common``: the values every compared scenario shares."""
    p.add_argument("--seed", type=_seed, help="common seed (default: the first scenario's)" if common
                   else "override run.seed")
    p.add_argument("--replications", type=_positive, help="common replications (default: the first scenario's)"
                   if common else "override run.replications")
    p.add_argument("--days", type=_positive, help="override run.days")
    p.add_argument("--workers", type=_positive, help="parallel processes (default: one per core)")
    p.add_argument("--max-calls", type=_positive, default=DEFAULT_MAX_CALLS, metavar="N",
                   help=f"refuse runs estimated to simulate more calls than this (default {DEFAULT_MAX_CALLS:,})")


def _printing(p: argparse.ArgumentParser, what: str) -> None:
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help=f"print the {what} as JSON on stdout")
    output.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _add_simulating(commands: Any) -> None:
    """``run`` and ``compare``."""
    p = commands.add_parser("run", help="simulate a scenario and write results/<scenario>/")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--out", help="results folder (default: results/<scenario name>)")
    _run_overrides(p)
    _printing(p, "summary")
    _overriding(p)
    p.add_argument("--compare-analytic", action="store_true",
                   help="show Erlang C/A figures next to simulated ones (stationary single-skill scenarios)")
    _output_flags(p)
    c = commands.add_parser("compare", help="run scenarios with the same callers and compare them side by side")
    c.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files; the first is the reference")
    c.add_argument("--out", help="comparison folder (default: results/compare-<first>-vs-<others>)")
    _run_overrides(c, common=True)
    _output_flags(c)
    _printing(c, "comparison")
    _overriding(c, "every compared scenario's (NAME:KEY.PATH=VALUE: only scenario NAME's)")


def _overriding(p: argparse.ArgumentParser, whose: str = "the scenario's") -> None:
    """``--set KEY.PATH=VALUE`` (repeatable): one-off changes to scenario keys (sim.scenario.overrides)."""
    p.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY.PATH=VALUE",
                   help=f"set one of {whose} keys before validation, addressed as in error messages, e.g. "
                        "run.volume_factor=1.1 (repeatable; the value is YAML: 5min, [a, b], {dist: ...})")


def _load_overridden(files: Sequence[str], texts: Sequence[str],
                     warnings: list[Problem] | None = None) -> list[tuple[Scenario, list[Override]]]:
    """The scenario files with the ``--set`` options laid over them (``NAME:KEY.PATH=VALUE`` only over the
    scenario called NAME), each with the options laid over it."""
    from sim.scenario.loader import load_scenario
    from sim.scenario.overrides import for_scenarios, parse_override

    overrides = [parse_override(t) for t in texts]
    names = [load_scenario(f).name for f in files] if any(o.scenario for o in overrides) else list(files)
    return [(load_scenario(f, warnings, mine), mine)
            for f, mine in zip(files, for_scenarios(overrides, names), strict=True)]


def _add_sweep(commands: Any) -> None:
    """``sweep``."""
    p = commands.add_parser("sweep", help="run a grid of variants of a scenario (common random numbers) and "
                                          "tabulate and plot their KPIs")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--set", action="append", dest="axes", type=lambda t: ("set", t), default=[],
                   metavar="KEY.PATH=V1,V2,...", help="values of one scenario key, addressed as in error messages "
                   "(repeatable; the grid is the product of all; one value = a fixed change)")
    p.add_argument("--range", action="append", dest="axes", type=lambda t: ("range", t),
                   metavar="KEY.PATH=FROM:TO:STEP",
                   help="values FROM, FROM+STEP, ... up to TO (numbers, or durations of one unit: 20s:60s:10s)")
    p.add_argument("--kpi", action="append", default=[], metavar="KPI[,KPI...]",
                   help="KPIs of the table and the plots (default service_level, asa, abandon_rate, occupancy, "
                        "total_cost)")
    p.add_argument("--out", help="sweep folder (default: results/sweep-<scenario name>)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the simulations on this existing Dask cluster (default: a local cluster of --workers "
                        "processes; --workers 1 runs them in this process)")
    _run_overrides(p)
    _printing(p, "sweep table")


def _add_breakeven(commands: Any) -> None:
    """``breakeven``."""
    p = commands.add_parser("breakeven", help="the value of one key of B at which a KPI of B equals A's "
                                              "(bisection on common random numbers, with a CI)")
    p.add_argument("scenarios", nargs=2, metavar="SCENARIO", help="A (the reference) and B (whose key varies)")
    p.add_argument("--vary", required=True, metavar="KEY.PATH", help="the key of B to vary, as in error messages")
    p.add_argument("--between", nargs=2, required=True, metavar=("LO", "HI"),
                   help="the range searched (a key taking whole numbers, such as agents, is searched over whole "
                        "numbers)")
    p.add_argument("--kpi", default="total_cost", help="the KPI to equate (a KPI of ccsim compare; default "
                                                         "total_cost)")
    p.add_argument("--tolerance", type=float, help="stop bisecting when the bracket is this narrow (default "
                   "(HI-LO)/100; the value is then interpolated within the bracket)")
    p.add_argument("--out", help="folder (default: results/breakeven-<A>-vs-<B>)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run the simulations on this Dask cluster")
    _run_overrides(p, common=True)
    _printing(p, "result")


def _add_optimize(commands: Any) -> None:
    """``optimize`` (the choice: sim.analysis.optimize; the files: sim.reports.optimize_output)."""
    p = commands.add_parser("optimize", help="the cheapest (or most profitable) combination of options (staffing, "
                                             "partner contracts, overflow rules) that meets every call type's "
                                             "service target")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--choose", action="append", default=[], metavar="KEY.PATH=V1,V2,...",
                   help="one decision: a scenario key and its options, addressed as in error messages (YAML "
                        "values; null removes the key); repeatable, every combination is tried")
    p.add_argument("--choose-file", action="append", default=[], metavar="OFFERS.yaml",
                   help="decisions from a file: KEY.PATH: {LABEL: VALUE, ...} (e.g. whole partner contracts)")
    p.add_argument("--kpi", default="total_cost", help="the cost to minimise (a cost of ccsim compare; default "
                                                         "total_cost, per the run's period), or profit to maximise")
    p.add_argument("--feasible", default="ci", choices=("ci", "mean"),
                   help="ci (default): the lower end of the 95%% CI of every call type's SL meets its target; "
                        "mean: the point estimate does")
    p.add_argument("--max-abandon", metavar="SHARE", help="also limit every call type's abandonment, e.g. 5%%")
    p.add_argument("--out", help="folder (default: results/optimize-<scenario name>)")
    p.add_argument("--chosen", metavar="CHOSEN.yaml", help="also write the chosen combination here as a scenario "
                                                             "extending SCENARIO (it is always in the folder)")
    p.add_argument("--force", action="store_true", help="replace --chosen if it exists")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run the simulations on this Dask cluster")
    _run_overrides(p)
    _printing(p, "result")


def _add_checking(commands: Any) -> None:
    """``validate`` and ``regress``."""
    v = commands.add_parser("validate", help="check scenario files without running them")
    v.add_argument("scenarios", nargs="+", help="scenario YAML files")
    g = commands.add_parser("regress", help="compare scenarios' KPIs with stored baselines (exit 1 on a regression)")
    g.add_argument("scenarios", nargs="*", default=["scenarios"], metavar="SCENARIO_OR_DIR",
                   help="scenario files or folders of *.yaml/*.yml (default: scenarios/)")
    g.add_argument("--baseline", default="results/baselines", metavar="DIR",
                   help="folder of baselines, one <scenario name>.json each (default: results/baselines)")
    g.add_argument("--update", action="store_true", help="rewrite the baselines and print what changed")
    g.add_argument("--exact", action="store_true",
                   help="determinism check: the same seed must reproduce every KPI (to --rtol)")
    g.add_argument("--alpha", type=float, default=0.01,
                   help="family-wise significance level per scenario, Holm-Bonferroni (default 0.01)")
    g.add_argument("--tolerance", action="append", default=[], metavar="KPI=VALUE",
                   help="practical tolerance of a KPI, absolute in its own units (repeatable; default 0)")
    g.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance of --exact (default 1e-9)")
    g.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report, one test case per scenario")
    g.add_argument("--verbose", "-v", action="store_true", help="also list the KPIs that moved within noise")
    _run_overrides(g)


def _add_erlang(commands: Any) -> None:
    """``erlang`` (values are parsed by ``sim.cli.erlang.parse_inputs``, so every problem is one line)."""
    e = commands.add_parser("erlang", help="Erlang B/C/A calculator: agents for a service level, SL and ASA",
                            description="Erlang calculator. Durations take a unit (190s, 3.5min); shares are "
                                        "0.8 or 80%%. Example: ccsim erlang --calls 350 --aht 190s")
    e.add_argument("--calls", required=True, help="calls offered per interval")
    e.add_argument("--interval", default="30min", help="interval length (default 30min)")
    e.add_argument("--aht", required=True, help="average handle time, e.g. 190s")
    e.add_argument("--target", default="0.8", help="service-level target, 0.8 or 80%% (default 0.8)")
    e.add_argument("--threshold", default="20s", help="service-level threshold (default 20s)")
    e.add_argument("--agents", help="figures for this many agents")
    e.add_argument("--patience", help="callers' mean patience: Erlang A (with abandonment) instead of Erlang C")
    e.add_argument("--lines", help="trunk lines: Erlang B blocking (and M/M/c/K with --agents)")
    e.add_argument("--shrinkage", default="0", help="share of paid time not on the phones, e.g. 30%% (default 0)")
    e.add_argument("--max-occupancy", help="occupancy cap for the agents needed, e.g. 85%%")


def _add_calibration(commands: Any) -> None:
    """``calibrate`` and ``backtest`` (docs/calibration.md)."""
    c = commands.add_parser("calibrate", help="fit a scenario to an ACD/WFM interval history (CSV)")
    c.add_argument("history", metavar="HISTORY.csv", help="interval export: date, interval_start, offered, ...")
    c.add_argument("--out", required=True, metavar="SCENARIO.yaml", help="scenario file to write")
    c.add_argument("--force", action="store_true", help="replace --out if it exists")
    c.add_argument("--name", help="scenario name (default: the name of --out)")
    c.add_argument("--calls", metavar="CALLS.csv", help="call-level records (call_type, wait_s, outcome): fit "
                   "patience by Kaplan-Meier instead of from the intervals")
    _history_columns(c)
    b = commands.add_parser("backtest", help="replay a history's calls on its agents and compare KPIs")
    b.add_argument("scenario", help="scenario YAML file (handle times, patience, routing)")
    b.add_argument("--history", required=True, metavar="HISTORY.csv", help="interval export with agents")
    b.add_argument("--out", help="results folder (default: results/backtest-<scenario name>)")
    b.add_argument("--replications", type=_positive, help="override run.replications")
    b.add_argument("--seed", type=_seed, help="override run.seed")
    _history_columns(b)


def _add_staff(commands: Any) -> None:
    """``staff`` (the search: sim.analysis.staffing; the files: sim.reports.staffed)."""
    s = commands.add_parser("staff", help="the fewest agents per interval and group that meet the targets, by "
                                          "simulation; writes a staffed scenario and a CSV report")
    s.add_argument("scenario", help="scenario YAML file")
    s.add_argument("--out", required=True, metavar="STAFFED.yaml",
                   help="staffed scenario to write (extends SCENARIO); the report goes beside it as .csv")
    s.add_argument("--target", default="per-interval", choices=("per-interval", "daily"),
                   help="meet each call type's SL target in every interval (default) or over each day")
    s.add_argument("--groups", metavar="G1,G2", help="agent groups to staff (default: every in-house group)")
    s.add_argument("--max-abandon", metavar="SHARE", help="abandonment limit per interval (day), e.g. 5%%")
    s.add_argument("--max-occupancy", metavar="SHARE", help="occupancy limit per interval, e.g. 85%%")
    s.add_argument("--margin", default="1", metavar="SE",
                   help="standard errors by which the search seeds must meet the goals (default 1)")
    s.add_argument("--seed", type=_seed, help="seed of the search (default: the scenario's)")
    s.add_argument("--verify-seed", type=_seed, help="seed of the fresh-seed check (default: search seed + 1)")
    s.add_argument("--replications", type=_positive, help="replications per simulation (default: the scenario's)")
    s.add_argument("--workers", type=_positive, help="parallel processes (default: one per core)")
    s.add_argument("--shifts", metavar="SHIFTS.yaml",
                   help="shift templates: turn the requirement into a schedule of shifts (an integer program), "
                        "re-simulated until it meets the goals; the .csv beside --out holds the schedule")
    s.add_argument("--force", action="store_true", help="replace --out and its .csv if they exist")


def _share_option(command: str, option: str, text: str | None) -> float | None:
    """A share 0 < x <= 1 given as 0.05 or 5% (None if the option was not given)."""
    if text is None:
        return None
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        value = math.nan
    if not 0.0 < value <= 1.0:
        raise CcsimError(f"ccsim {command} {option}: expected a share above 0 and at most 1 (100%), such as 0.05 "
                         f"or 5%, got {text!r}")
    return value


def _cmd_staff(args: argparse.Namespace) -> int:
    import time

    from sim.analysis.experiment import with_overrides
    from sim.analysis.schedule import check_reach, schedule
    from sim.analysis.staffing import Goals, staff, staffed_groups, verify, with_plan
    from sim.reports import scheduled
    from sim.reports.staffed import Checked, check_outputs, csv_text, terminal_text, write_outputs, yaml_text
    from sim.scenario.loader import load_scenario, parse_scenario
    from sim.scenario.shiftfile import load_shifts

    out = Path(args.out)
    report = check_outputs(out, args.force)
    try:
        margin = float(args.margin)
    except ValueError:
        raise CcsimError(f"ccsim staff --margin: expected a number of standard errors, got {args.margin!r}") from None
    if not 0.0 <= margin <= 5.0:
        raise CcsimError(f"ccsim staff --margin: expected 0 to 5 standard errors, got {args.margin!r}")
    goals = Goals(args.target, _share_option("staff", "--max-abandon", args.max_abandon),
                  _share_option("staff", "--max-occupancy", args.max_occupancy), margin)
    warnings: list[Problem] = []
    scenario = with_overrides(load_scenario(args.scenario, warnings), seed=args.seed,
                              replications=args.replications)
    _warn(warnings)
    named = None if args.groups is None else [g.strip() for g in args.groups.split(",") if g.strip()]
    if named is not None and not named:
        raise CcsimError("ccsim staff --groups: give agent group names separated by commas")
    groups = staffed_groups(scenario, named)
    seed = scenario.run.seed
    verify_seed = (seed + 1) % 2**32 if args.verify_seed is None else args.verify_seed
    if verify_seed == seed:
        raise CcsimError(f"ccsim staff --verify-seed: must differ from the search seed ({seed})")
    reps = scenario.run.replications

    def progress(iteration: int, missing: int, hours: float) -> None:
        print(f"  simulation {iteration}: {missing} weekday-interval(s) missing a goal, {hours:,.1f} agent h",
              file=sys.stderr, flush=True)

    shifts = None if args.shifts is None else load_shifts(args.shifts, scenario.run.interval, groups)
    if shifts is not None:
        check_reach(shifts, scenario, groups)
    started = time.perf_counter()
    outcome, search = staff(scenario, groups, goals, seed, verify_seed, reps, args.workers, progress)
    source = Path(args.scenario)
    if shifts is not None:
        plan = schedule(outcome, search, shifts, verify_seed, reps)
        text = scheduled.yaml_text(outcome, plan, source, out, None)
        on_shifts = parse_scenario(text, str(out), base_dir=out.absolute().parent)
        both = scheduled.Checked(requirement=verify(search, with_plan(scenario, outcome.staffed), verify_seed, reps),
                                 schedule=verify(search, on_shifts, verify_seed, reps))
        write_outputs(out, report, scheduled.yaml_text(outcome, plan, source, out, both),
                      scheduled.csv_text(outcome, plan))
        print(scheduled.terminal_text(outcome, plan, both, time.perf_counter() - started))
        print(f"wrote {out} (run it: ccsim run {out}) and the schedule {report}")
        return 0
    staffed = parse_scenario(yaml_text(outcome, source, out, None), str(out), base_dir=out.absolute().parent)
    checked = Checked(staffed=verify(search, staffed, verify_seed, reps),
                      erlang_c=verify(search, with_plan(scenario, outcome.erlang_c), verify_seed, reps))
    write_outputs(out, report, yaml_text(outcome, source, out, checked), csv_text(outcome, checked))
    print(terminal_text(outcome, checked))
    print(f"wrote {out} (run it: ccsim run {out}) and {report}")
    return 0


def _history_columns(p: argparse.ArgumentParser) -> None:
    p.add_argument("--call-type-column", default="call_type", metavar="NAME",
                   help="column naming the call type (default call_type; without it: one call type 'calls')")
    p.add_argument("--interval-column", metavar="NAME",
                   help="column of the interval start: a clock time beside 'date', or one date-time column "
                        "(default: interval_start, else datetime/interval/timestamp)")
    p.add_argument("--date-column", default="date", metavar="NAME", help="column of the date (default date)")


def _output_flags(p: argparse.ArgumentParser) -> None:
    """The optional outputs of a results folder (see sim.reports.outputs)."""
    p.add_argument("--plots", action="store_true", help="also write plots/*.png and *.svg into the results folder")
    p.add_argument("--report", action="store_true", help="also write a self-contained report.html")
    p.add_argument("--xlsx", action="store_true", help="also write results.xlsx (one sheet per table)")
    p.add_argument("--records", action="store_true",
                   help="also write every replication's per-call records (records/replication_NN.csv.gz) and, "
                        "for the channels the scenario has, its outbound attempts, work items and chats "
                        "(records/attempts_NN.csv.gz, work_items_NN.csv.gz, chats_NN.csv.gz)")


def _written(staged: Staged) -> str:
    """Where results went, and what they replaced."""
    if staged.replaced is None:
        return f"{staged.target}/"
    return f"{staged.target}/ (replaced the results of {staged.replaced or 'an earlier run'})"


def _simulated(scenario: Scenario, args: argparse.Namespace, out: Path, file: str, overrides: Sequence[str],
               outputs: Outputs) -> tuple[RunResult, Summary, Staged]:
    """Run ``scenario`` and write its results folder ``out``. With ``--records`` the folder is staged first and
    the workers write each replication's records into it, so that a run that fails leaves none."""
    from sim.analysis.experiment import run
    from sim.analysis.summary import summarize
    from sim.reports.call_records import RecordsWriter
    from sim.reports.folders import staged_folder
    from sim.reports.progress import replication_progress
    from sim.reports.report import fill_results, write_results

    def simulate(records: RecordsWriter | None) -> tuple[RunResult, Summary]:
        with replication_progress(scenario.run.replications, sys.stderr, args.quiet or args.json) as on_done:
            result = run(scenario, workers=args.workers, on_done=on_done, max_calls=args.max_calls, records=records)
        return result, summarize(result)

    if not args.records:
        result, summary = simulate(None)
        return result, summary, write_results(result, summary, out, file, extras=outputs.hook(), overrides=overrides)
    with staged_folder(out) as staged:
        result, summary = simulate(RecordsWriter(staged.path, scenario.run.replications))
        fill_results(staged.path, result, summary, file, extras=outputs.hook(), overrides=overrides)
    return result, summary, staged


def _cmd_run(args: argparse.Namespace) -> int:
    from sim.analysis.experiment import with_overrides
    from sim.reports.folders import check_target
    from sim.reports.outputs import Outputs
    from sim.reports.report import analytic_json, analytic_table, run_info, summary_json, terminal_table

    warnings: list[Problem] = []
    scenario = with_overrides(_load_overridden([args.scenario], args.overrides, warnings)[0][0], seed=args.seed,
                              replications=args.replications, days=args.days)
    _warn(warnings)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    check_target(out)  # before the run: a folder that may not be replaced is refused at once
    outputs = Outputs(plots=args.plots, report=args.report, xlsx=args.xlsx)
    result, summary, staged = _simulated(scenario, args, out, args.scenario, args.overrides, outputs)
    if args.json:
        info = run_info(result, args.scenario, args.overrides)
        print(json.dumps(summary_json(summary, info, analytic_json(result)), indent=2))
    elif not args.quiet:
        print(terminal_table(summary, result))
        if args.compare_analytic:
            print(analytic_table(result, summary))
        print(f"Results: {_written(staged)}" + (f" (report: {out / 'report.html'})" if args.report else ""))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from sim.reports.folders import record_files
    from sim.reports.outputs import Outputs, write_outputs

    folder = Path(args.results)
    if not folder.is_dir():
        raise CcsimError(f"ccsim report: {folder} is not a folder")
    for path in write_outputs(folder, Outputs(plots=args.plots, report=True, xlsx=args.xlsx)):
        if path.suffix != ".svg":
            print(f"wrote {path}")
    record_files(folder)
    return 0


def _cmd_erlang(args: argparse.Namespace) -> int:
    from sim.cli import erlang as erlang_cli

    print(erlang_cli.report(erlang_cli.parse_inputs(args)))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from sim.scenario.loader import load_scenario

    failed = 0
    for file in args.scenarios:
        warnings: list[Problem] = []
        try:
            s = load_scenario(file, warnings)
        except CcsimError as exc:
            print(exc, file=sys.stderr)
            failed += 1
            continue
        _warn(warnings)
        print(f"ok: {file} ({s.name}: {len(s.all_call_types())} call types, {len(s.agent_groups)} agent groups)")
    return BAD_INPUT if failed else 0


def _warn(warnings: list[Problem]) -> None:
    """Print what is valid but probably not meant in a scenario, one line each, on stderr."""
    for w in warnings:
        where = w.file if w.line is None else f"{w.file}:{w.line}"
        print(printable(f"{where} {w.path}: warning: {w.message}"), file=sys.stderr)


def _cmd_regress(args: argparse.Namespace) -> int:
    from sim.reports.regress import Options, format_outcome, parse_tolerances, regress, write_junit

    opts = Options(Path(args.baseline), exact=args.exact, update=args.update, alpha=args.alpha, rtol=args.rtol,
                   tolerance=parse_tolerances(args.tolerance), seed=args.seed, replications=args.replications,
                   days=args.days, workers=args.workers, max_calls=args.max_calls,
                   junit=Path(args.junit) if args.junit else None)
    print(f"ccsim regress, {opts.method()}", flush=True)
    outcomes = regress(args.scenarios, opts, lambda o: print(format_outcome(o, args.verbose), flush=True))
    if opts.junit:
        write_junit(outcomes, opts.method(), opts.junit)
    failed = sum(o.failed for o in outcomes)
    if args.update:
        print(f"{len(outcomes)} baseline(s) written to {opts.baseline_dir}/")
    else:
        print(f"{len(outcomes)} scenario(s): " + (f"{failed} failed" if failed else "all passed"))
    return 1 if failed else 0


def comparison_folder(names: Sequence[str]) -> Path:
    """The default folder of a comparison: ``results/compare-<first>-vs-<others>``, shortened with a hash of
    the names where that would be too long a file name."""
    name = f"compare-{names[0]}-vs-{'-'.join(names[1:])}"
    if len(name.encode("utf-8")) > MAX_FOLDER_NAME:
        digest = hashlib.sha256("\0".join(names).encode("utf-8")).hexdigest()[:10]
        name = f"compare-{names[0][:40]}-vs-{len(names) - 1}-others-{digest}"
    return Path("results") / name


def _cmd_compare(args: argparse.Namespace) -> int:
    from sim.analysis.compare import compare
    from sim.analysis.experiment import with_overrides
    from sim.reports.compare_output import comparison_records, comparison_table, write_comparison
    from sim.reports.folders import check_target
    from sim.reports.outputs import Outputs

    if len(args.scenarios) < 2:
        raise CcsimError("ccsim compare: give at least two scenario files (the first is the reference)")
    loaded = _load_overridden(args.scenarios, args.overrides)
    scenarios = [s for s, _ in loaded]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise CcsimError(f"ccsim compare: scenario names must differ (got {', '.join(names)})")
    seed = args.seed if args.seed is not None else scenarios[0].run.seed
    reps = args.replications or scenarios[0].run.replications
    scenarios = [with_overrides(s, seed=seed, replications=reps, days=args.days) for s in scenarios]
    out = Path(args.out) if args.out else comparison_folder(names)
    for target in (out, *(Path("results") / n for n in names)):
        check_target(target)
    outputs = Outputs(plots=args.plots, report=args.report, xlsx=args.xlsx)
    results, written = [], []
    for scenario, file, (_, mine) in zip(scenarios, args.scenarios, loaded, strict=True):
        result, _, staged_one = _simulated(scenario, args, Path("results") / scenario.name, file,
                                           [o.text for o in mine], outputs)
        written.append(staged_one)
        results.append(result)
    rows = compare(results)
    staged = write_comparison(results, list(args.scenarios), rows, out, outputs, [mine for _, mine in loaded])
    if args.json:
        print(json.dumps(comparison_records(names, rows), indent=2))
    elif not args.quiet:
        print(f"{len(names)} scenarios, common random numbers: seed {seed}, {reps} replications each; "
              f"mean ±95% CI, differences paired by replication.")
        print(comparison_table(names, rows, scenarios[0].currency))
        print(f"Results: {_written(staged)}")
        for one in written:
            print(f"         {_written(one)}")
    return 0


def _executor(stack: ExitStack, args: argparse.Namespace, total: int) -> tuple[Executor, str]:
    """Where the simulations run, and its description: ``--scheduler``'s Dask cluster, in this process with
    ``--workers 1`` (or a single simulation), else a local Dask cluster of ``--workers`` (one per core), closed
    with ``stack``."""
    from sim.analysis.cluster import dask_executor
    from sim.analysis.sweep import in_process

    if args.scheduler is None and (args.workers == 1 or total == 1):
        return in_process, "in process"
    return stack.enter_context(dask_executor(args.scheduler, args.workers))


def _cmd_sweep(args: argparse.Namespace) -> int:
    import os
    from contextlib import ExitStack

    from sim.analysis.experiment import with_overrides
    from sim.analysis.sweep import check_sweep_size, list_axis, range_axis, run_sweep, variants
    from sim.reports.folders import check_target
    from sim.reports.progress import replication_progress
    from sim.reports.sweep_output import check_kpis, sweep_info, sweep_records, sweep_table, write_sweep
    from sim.scenario.loader import load_scenario

    kpis = check_kpis(args.kpi)
    axes = [list_axis(text) if kind == "set" else range_axis(text) for kind, text in args.axes]
    base = load_scenario(args.scenario)  # its own problems first, without --set

    def load(overrides: list[Override]) -> Scenario:
        return with_overrides(load_scenario(args.scenario, overrides=overrides), seed=args.seed,
                              replications=args.replications, days=args.days)

    chosen = variants(axes, load)
    _check_optional_kpis(kpis, [v.scenario for v in chosen], base.name)
    total = sum(v.scenario.run.replications for v in chosen)
    check_sweep_size(chosen, args.max_calls, 1 if args.scheduler else (args.workers or os.cpu_count() or 1))
    out = Path(args.out) if args.out else Path("results") / f"sweep-{base.name}"
    check_target(out)
    with ExitStack() as stack:
        execute, where = _executor(stack, args, total)
        on_done = stack.enter_context(replication_progress(total, sys.stderr, args.quiet or args.json,
                                                           "simulations"))
        sweep = run_sweep(axes, chosen, execute, on_done)
    info = sweep_info(sweep, args.scenario, [text for _, text in args.axes], where)
    staged = write_sweep(sweep, kpis, out, info, plots=True)
    if args.json:
        print(json.dumps({"run": info, "kpis": kpis, "rows": sweep_records(sweep)}, indent=2))
    elif not args.quiet:
        def shared(key: str) -> str:
            values = sorted({getattr(v.scenario.run, key) for v in chosen})
            return str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]} (swept)"

        seed = shared("seed")
        crn = f"seed {seed} for every variant (common random numbers)" if "swept" not in seed else \
            f"seed {seed.replace('(swept)', '(swept: no common random numbers)')}"
        print(f"{base.name}: {len(chosen)} variants x {shared('replications')} replications x {shared('days')} "
              f"day(s), {crn}; {info['calls_simulated']:,} calls in "
              f"{sweep.wall_time:.1f}s; mean ±95% CI.")
        print(sweep_table(sweep, kpis))
        print(f"Results: {_written(staged)}")
    return 0


def _check_optional_kpis(kpis: Sequence[str], scenarios: Sequence[Scenario], name: str) -> None:
    """CcsimError for a ``--kpi`` of campaigns or sales offers that no variant has (before anything runs)."""
    from sim.analysis.summary import OPTIONAL_TOTALS, OUTBOUND_TOTALS, REVENUE_TOTALS, optional_totals

    has = set().union(*(optional_totals(s) for s in scenarios))
    for kpi in kpis:
        if kpi in OPTIONAL_TOTALS and kpi not in has:
            what = ("campaigns" if kpi in OUTBOUND_TOTALS else "campaigns or sales offers" if kpi in REVENUE_TOTALS
                    else "sales offers on calls (call_types.<name>.sales)")
            raise CcsimError(f"--kpi {kpi}: {name} has no {what}, so no variant has this KPI")


def _between(texts: Sequence[str], integer: bool) -> tuple[float, float]:
    """``--between LO HI`` as numbers (whole numbers if ``integer``)."""
    try:
        lo, hi = (float(t) for t in texts)
    except ValueError:
        raise CcsimError(f"--between {' '.join(texts)}: LO and HI must be numbers") from None
    if not lo < hi:
        raise CcsimError(f"--between {' '.join(texts)}: LO must be smaller than HI")
    if integer and not (lo.is_integer() and hi.is_integer()):
        raise CcsimError(f"--between {' '.join(texts)}: the key takes whole numbers; give whole LO and HI")
    return lo, hi


def _cmd_breakeven(args: argparse.Namespace) -> int:
    from contextlib import ExitStack

    from sim.analysis.breakeven import find_crossing
    from sim.analysis.compare import objective_pairs
    from sim.analysis.experiment import with_overrides
    from sim.analysis.stats import Estimate, paired_difference
    from sim.analysis.sweep import Variant, check_sweep_size, run_sweep
    from sim.reports.breakeven_output import breakeven_info, breakeven_text, check_kpi, write_breakeven
    from sim.reports.folders import check_target
    from sim.reports.progress import wanted
    from sim.scenario.loader import load_scenario
    from sim.scenario.overrides import Override, parse_path, takes_whole_numbers
    from sim.scenario.yamlmap import format_path

    kpi = check_kpi(args.kpi)
    path = parse_path(args.vary, "--vary")
    integer = takes_whole_numbers(path)
    lo, hi = _between(args.between, integer)
    key = format_path(path)
    file_a, file_b = args.scenarios
    a = load_scenario(file_a)
    seed = a.run.seed if args.seed is None else args.seed
    reps = args.replications or a.run.replications
    if reps < 2:
        raise CcsimError("ccsim breakeven: the CI of the crossing needs at least 2 replications")
    a = with_overrides(a, seed=seed, replications=reps, days=args.days)

    def variant(x: float) -> Scenario:
        value = int(x) if integer else x
        b = load_scenario(file_b, overrides=[Override(f"{key}={value}", path, value, option="--vary")])
        return with_overrides(b, seed=seed, replications=reps, days=args.days)

    ends = [Variant((), a), Variant((), variant(lo)), Variant((), variant(hi))]  # every problem before any run
    check_sweep_size(ends, args.max_calls, 1)
    names = (a.name, ends[1].scenario.name)
    out = Path(args.out) if args.out else Path("results") / f"breakeven-{names[0]}-vs-{names[1]}"
    check_target(out)
    tolerance = args.tolerance if args.tolerance is not None else (hi - lo) / 100
    if not tolerance > 0:
        raise CcsimError(f"--tolerance {args.tolerance:g}: must be > 0")
    with ExitStack() as stack:
        execute, where = _executor(stack, args, reps)

        def simulated(s: Scenario) -> RunResult:
            return run_sweep([], [Variant((), s)], execute).results[0]

        reference = simulated(a)

        def evaluate(x: float) -> Estimate:
            diff = paired_difference(*objective_pairs(reference, kpi), *objective_pairs(simulated(variant(x)), kpi))
            if wanted(sys.stderr, args.quiet or args.json):
                print(f"  {key} = {x:.6g}: {names[1]} - {names[0]} = {diff.mean:+,.6g} ±{diff.half_width:,.3g}",
                      file=sys.stderr, flush=True)
            return diff

        crossing = find_crossing(evaluate, lo, hi, tolerance, integer)
    info = breakeven_info(crossing, (file_a, file_b), names, key, kpi, seed, reps, (lo, hi), where)
    staged = write_breakeven(crossing, info, a.currency, out)
    if args.json:
        print(json.dumps(json.loads((out / "breakeven.json").read_text(encoding="utf-8")), indent=2))
    elif not args.quiet:
        print(f"{names[1]} vs {names[0]}: common random numbers, seed {seed}, {reps} replications per evaluation; "
              f"{kpi} difference B - A, mean ±95% CI.")
        print(breakeven_text(crossing, key, kpi, names, a.currency))
        print(f"Results: {_written(staged)}")
    return 0


def _cmd_optimize(args: argparse.Namespace) -> int:
    import os
    from contextlib import ExitStack

    from sim.analysis import optimize as opt
    from sim.analysis.experiment import with_overrides
    from sim.analysis.summary import period_label
    from sim.analysis.sweep import check_sweep_size, run_sweep, variants
    from sim.reports import optimize_output as report
    from sim.reports.folders import check_target
    from sim.reports.progress import replication_progress
    from sim.scenario.loader import load_scenario, scenario_data

    kpi = opt.check_kpi(args.kpi)
    goals = opt.Goals(args.feasible, _share_option("optimize", "--max-abandon", args.max_abandon))
    axes = [opt.choice(t) for t in args.choose] + [a for f in args.choose_file for a in opt.offers(f)]
    base = with_overrides(load_scenario(args.scenario), seed=args.seed, replications=args.replications,
                          days=args.days)  # its own problems first
    opt.check_goals(goals.rule, base.run.replications)

    def load(overrides: list[Override]) -> Scenario:
        return with_overrides(load_scenario(args.scenario, overrides=overrides), seed=args.seed,
                              replications=args.replications, days=args.days)

    chosen = variants(axes, load, opt.COMMAND, opt.OPTIONS)
    check_sweep_size(chosen, args.max_calls, 1 if args.scheduler else (args.workers or os.cpu_count() or 1),
                     opt.COMMAND)
    out = Path(args.out) if args.out else Path("results") / f"optimize-{base.name}"
    check_target(out)
    extra = Path(args.chosen) if args.chosen else None
    if extra is not None:
        report.check_chosen(extra, args.force)
    total = sum(v.scenario.run.replications for v in chosen)
    with ExitStack() as stack:
        execute, where = _executor(stack, args, total)
        on_done = stack.enter_context(replication_progress(total, sys.stderr, args.quiet or args.json,
                                                           "simulations"))
        sweep = run_sweep(axes, chosen, execute, on_done)
    decision = opt.decide(sweep, kpi, goals)
    period = period_label(sweep.results[0])
    info = report.optimize_info(sweep, decision, args.scenario, [*args.choose, *args.choose_file], where, period)
    texts: dict[Path, str] = {}
    if decision.chosen is not None:
        overrides = [a.override(v) for a, (_, v) in zip(axes, decision.rows[decision.chosen].settings, strict=True)]
        keys = opt.chosen_keys(scenario_data(args.scenario), scenario_data(args.scenario, overrides),
                               [a.key for a in axes])
        run = {k: v for k, v in (("seed", args.seed), ("replications", args.replications), ("days", args.days))
               if v is not None}
        if run:
            keys["run"] = {**(keys.get("run") or {}), **run}
        for path in (out / report.CHOSEN, *([extra] if extra else [])):
            texts[path] = report.chosen_yaml(decision, info, Path(args.scenario), path, keys)
    staged = report.write_optimize(decision, info, out, texts.get(out / report.CHOSEN))
    if extra is not None and extra in texts:
        report.write_chosen(extra, texts[extra])
    if args.json:
        print(json.dumps({"run": info, "rows": report.records(decision)}, indent=2))
    elif not args.quiet:
        print(f"{base.name}: {len(chosen)} combinations x {base.run.replications} replications x {base.run.days} "
              f"day(s), seed {base.run.seed} for every combination (common random numbers); "
              f"{info['calls_simulated']:,} calls in {sweep.wall_time:.1f}s; mean ±95% CI; {report.rule_text(decision)}"
              ".")
        print(report.decision_table(decision, base.currency, period))
        print(report.decision_text(decision, base.currency, period))
        print(f"Results: {_written(staged)}" + ("".join(f"\nChosen scenario: {p} (run it: ccsim run {p})"
                                                        for p in texts)))
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.calibration.fit import fit_history
    from sim.calibration.history import load_history
    from sim.calibration.writer import scenario_yaml, write_scenario
    from sim.scenario.schema import ServiceLevel

    out = Path(args.out)
    history = load_history(args.history, args.call_type_column, args.interval_column, args.date_column)
    fits = fit_history(history, ServiceLevel())
    km = _km_patience(args.calls, args.call_type_column, list(history.series)) if args.calls else None
    scenario = write_scenario(scenario_yaml(args.name or out.stem, history, fits, km, args.calls or ""), out,
                              args.force)
    for fit in fits:
        p = fit.patience
        patience = "none" if p.mean is None else f"{p.mean:.0f}s ({p.method})"
        if km is not None and fit.name in km:
            k = km[fit.name]
            patience = "none (Kaplan-Meier)" if k.mean is None else \
                f"{k.mean:.0f}s (Kaplan-Meier, {'exponential' if k.values is None else 'empirical'})"
        print(f"{fit.name}: {fit.daily_volume:,.1f} calls/day, AHT {fit.aht:.0f}s, patience {patience}, "
              f"busyness CV {'-' if fit.busyness_cv is None else f'{fit.busyness_cv:.3f}'}")
    print(f"wrote {out} (scenario {scenario.name}: {history.n_days} days of {history.interval / 60:g}-min "
          "intervals); check it with: ccsim backtest " + f"{out} --history {args.history}")
    return 0


def _km_patience(path: str, call_type_column: str, call_types: list[str]) -> dict[str, KMPatience]:
    """Kaplan-Meier patience per call type of the call records; every call type must be in the history."""
    from sim.calibration.calls import load_calls
    from sim.calibration.survival import fit_km

    calls = load_calls(path, call_type_column)
    unknown = [n for n in calls if n not in call_types]
    if unknown:
        raise CcsimError(f"calibrate: {path}: call types {', '.join(map(repr, unknown))} are not in the history "
                         f"(it has {', '.join(map(repr, call_types))})")
    return {n: fit_km(c.waits, c.abandoned) for n, c in calls.items()}


def _cmd_backtest(args: argparse.Namespace) -> int:
    from sim.calibration.backtest import run_backtest
    from sim.calibration.history import load_history
    from sim.calibration.output import terminal_report, write_backtest
    from sim.reports.folders import check_target
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    history = load_history(args.history, args.call_type_column, args.interval_column, args.date_column)
    out = Path(args.out) if args.out else Path("results") / f"backtest-{scenario.name}"
    check_target(out)
    reps = args.replications or scenario.run.replications
    bt = run_backtest(scenario, history, reps, scenario.run.seed if args.seed is None else args.seed)
    staged = write_backtest(bt, out, args.scenario)
    print(terminal_report(bt))
    print(f"Results: {_written(staged)}")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from sim.scenario.loader import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


COMMANDS = {"run": _cmd_run, "validate": _cmd_validate, "regress": _cmd_regress, "schema": _cmd_schema,
            "report": _cmd_report, "erlang": _cmd_erlang, "compare": _cmd_compare, "calibrate": _cmd_calibrate,
            "backtest": _cmd_backtest, "sweep": _cmd_sweep, "breakeven": _cmd_breakeven, "optimize": _cmd_optimize,
            "staff": _cmd_staff}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ccsim`` and ``python -m sim``."""
    _handle_signals()
    args = None
    try:
        check_package()
        args = _parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except CcsimError as exc:
        print(exc, file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt as exc:
        return _stopped(exc.signum if isinstance(exc, Terminated) else signal.SIGINT)
    except Exception as exc:
        if _signalled:
            return _stopped(_signalled[0])
        if args is not None and args.debug:
            raise
        print(f"ccsim: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        return INTERNAL


if __name__ == "__main__":
    sys.exit(main())
