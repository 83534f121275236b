"""The command line: ``ccsim run | validate | regress | schema``. The only module that touches argv and exit codes.

Exit codes: 0 success, 1 regression found or internal error, 2 bad input (scenario, trace or arguments),
130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sim import erlang_cli
from sim.compare import compare
from sim.compare_output import comparison_records, comparison_table, write_comparison
from sim.errors import CcsimError
from sim.experiment import run, with_overrides
from sim.outputs import Outputs, write_outputs
from sim.progress import replication_progress
from sim.report import analytic_json, analytic_table, run_info, summary_json, terminal_table, write_results
from sim.scenario.loader import load_scenario, scenario_json_schema
from sim.summary import summarize

BAD_INPUT, INTERRUPTED, INTERNAL = 2, 130, 1


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
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_simulating(commands)
    _add_checking(commands)
    commands.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")
    rp = commands.add_parser("report", help="write report.html (and plots, workbook) for a results folder")
    rp.add_argument("results", metavar="RESULTS_DIR", help="a folder written by ccsim run")
    rp.add_argument("--plots", action="store_true", help="also write plots/*.png and *.svg")
    rp.add_argument("--xlsx", action="store_true", help="also write results.xlsx")
    erlang_cli.add_parser(commands)
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
    p.add_argument("--compare-analytic", action="store_true",
                   help="show Erlang C/A figures next to simulated ones (stationary single-skill scenarios)")
    _output_flags(p)
    c = commands.add_parser("compare", help="run scenarios with the same callers and compare them side by side")
    c.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files; the first is the reference")
    c.add_argument("--out", help="comparison folder (default: results/compare-<first>-vs-<others>)")
    _run_overrides(c, common=True)
    _output_flags(c)
    _printing(c, "comparison")


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


def _output_flags(p: argparse.ArgumentParser) -> None:
    """The optional outputs of a results folder (see sim.outputs)."""
    p.add_argument("--plots", action="store_true", help="also write plots/*.png and *.svg into the results folder")
    p.add_argument("--report", action="store_true", help="also write a self-contained report.html")
    p.add_argument("--xlsx", action="store_true", help="also write results.xlsx (one sheet per table)")


def _cmd_run(args: argparse.Namespace) -> int:
    scenario = with_overrides(load_scenario(args.scenario), seed=args.seed, replications=args.replications,
                              days=args.days)
    with replication_progress(scenario.run.replications, sys.stderr, args.quiet or args.json) as on_done:
        result = run(scenario, workers=args.workers, on_done=on_done)
    summary = summarize(result)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    outputs = Outputs(plots=args.plots, report=args.report, xlsx=args.xlsx)
    write_results(result, summary, out, args.scenario, extras=outputs.hook())
    if args.json:
        print(json.dumps(summary_json(summary, run_info(result, args.scenario), analytic_json(result)), indent=2))
    elif not args.quiet:
        print(terminal_table(summary, result))
        if args.compare_analytic:
            print(analytic_table(result, summary))
        print(f"Results: {out}/" + (f" (report: {out / 'report.html'})" if args.report else ""))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    folder = Path(args.results)
    if not folder.is_dir():
        raise CcsimError(f"ccsim report: {folder} is not a folder")
    for path in write_outputs(folder, Outputs(plots=args.plots, report=True, xlsx=args.xlsx)):
        if path.suffix != ".svg":
            print(f"wrote {path}")
    return 0


def _cmd_erlang(args: argparse.Namespace) -> int:
    print(erlang_cli.report(erlang_cli.parse_inputs(args)))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    failed = 0
    for file in args.scenarios:
        try:
            s = load_scenario(file)
        except CcsimError as exc:
            print(exc, file=sys.stderr)
            failed += 1
            continue
        print(f"ok: {file} ({s.name}: {len(s.all_call_types())} call types, {len(s.agent_groups)} agent groups)")
    return BAD_INPUT if failed else 0


def _cmd_regress(args: argparse.Namespace) -> int:
    from sim.regress import Options, format_outcome, parse_tolerances, regress, write_junit

    opts = Options(Path(args.baseline), exact=args.exact, update=args.update, alpha=args.alpha, rtol=args.rtol,
                   tolerance=parse_tolerances(args.tolerance), seed=args.seed, replications=args.replications,
                   days=args.days, workers=args.workers)
    print(f"ccsim regress, {opts.method()}", flush=True)
    outcomes = regress(args.scenarios, opts, lambda o: print(format_outcome(o, args.verbose), flush=True))
    if args.junit:
        write_junit(outcomes, opts.method(), args.junit)
    failed = sum(o.failed for o in outcomes)
    if args.update:
        print(f"{len(outcomes)} baseline(s) written to {opts.baseline_dir}/")
    else:
        print(f"{len(outcomes)} scenario(s): " + (f"{failed} failed" if failed else "all passed"))
    return 1 if failed else 0


def _cmd_compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise CcsimError("ccsim compare: give at least two scenario files (the first is the reference)")
    scenarios = [load_scenario(f) for f in args.scenarios]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise CcsimError(f"ccsim compare: scenario names must differ (got {', '.join(names)})")
    seed = args.seed if args.seed is not None else scenarios[0].run.seed
    reps = args.replications or scenarios[0].run.replications
    results = []
    for scenario, file in zip(scenarios, args.scenarios, strict=True):
        scenario = with_overrides(scenario, seed=seed, replications=reps, days=args.days)
        with replication_progress(reps, sys.stderr, args.quiet or args.json) as on_done:
            result = run(scenario, workers=args.workers, on_done=on_done)
        outputs = Outputs(plots=args.plots, report=args.report, xlsx=args.xlsx)
        write_results(result, summarize(result), Path("results") / scenario.name, file, extras=outputs.hook())
        results.append(result)
    rows = compare(results)
    out = Path(args.out) if args.out else Path("results") / f"compare-{names[0]}-vs-{'-'.join(names[1:])}"
    write_comparison(results, list(args.scenarios), rows, out, outputs)
    if args.json:
        print(json.dumps(comparison_records(names, rows), indent=2))
    elif not args.quiet:
        print(f"{len(names)} scenarios, common random numbers: seed {seed}, {reps} replications each; "
              f"mean ±95% CI, differences paired by replication.")
        print(comparison_table(names, rows, scenarios[0].currency))
        print(f"Results: {out}/ and results/<scenario>/")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


COMMANDS = {"run": _cmd_run, "validate": _cmd_validate, "regress": _cmd_regress, "schema": _cmd_schema,
            "report": _cmd_report, "erlang": _cmd_erlang, "compare": _cmd_compare}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ccsim`` and ``python -m sim``."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CcsimError as exc:
        print(exc, file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("ccsim: interrupted; no results were written", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        print(f"ccsim: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        return INTERNAL


if __name__ == "__main__":
    sys.exit(main())
