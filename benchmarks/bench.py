"""ccsim's performance figures, measured side by side with a plain heapq reference in the same run.

    python benchmarks/bench.py                      # everything, 3 rounds (about 2 minutes)
    python benchmarks/bench.py w1 --rounds 5        # speed of W1 only (plus the other sections)
    python benchmarks/bench.py --only speed imports --json figures.json

Sections (see benchmarks/README.md for what each figure means and the targets):

- speed: per round and workload, ``python -m sim run W.yaml --quiet`` end to end (interpreter start to results
  written), the heapq reference (benchmarks/reference.py) and ccsim in process (load, simulate, KPIs), each in a
  fresh interpreter, interleaved so that they share the machine's noise; ratios per round, then medians;
- imports: time and peak RSS of ``python -c "import sim.cli"`` and ``python -m sim --help``;
- memory: peak RSS of ``python -m sim run`` on W1 at about 1M and 10M calls, and the line through them;
- writing: ``sim.reports.report.write_results`` at 50 call types x 50 groups, timed apart from the simulation.

Every child runs at the repository root, so ``sim`` is this checkout's whatever ccsim is installed from, and is
timed and measured by a bare launcher interpreter (see LAUNCHER). Linux or macOS (``os.wait4``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKLOADS = ("w1", "w2")
SECTIONS = ("speed", "imports", "memory", "writing")
RATIO_TARGETS = {"w1": 0.30, "w2": 0.40}
"""ccsim end to end / heapq reference, calls per second (the issue "Engine rework")."""
ERLANG_A = {"w1": (0.0286, 3.43)}
"""Exact P(abandon) and mean wait of answered and abandoned calls (s), where the workload has them."""
IMPORTS = {"python -c pass": ["-c", "pass"], "import sim.cli": ["-c", "import sim.cli"],
           "python -m sim --help": ["-m", "sim", "--help"]}
MEMORY_DAYS = (77, 772)
"""W1 at 12,960 calls a day: about 1.0M and 10.0M calls in one replication."""
MEMORY_TARGETS_MB = {1: 150, 10: 250}
"""Peak RSS (MB) at this many million calls, without --records."""
WIDE_TYPES, WIDE_GROUPS, WIDE_DAYS, WIDE_REPLICATIONS = 50, 50, 6, 2
"""The writing workload: 6 days give an intervals.csv of about 11 MB, the size the issue quotes."""
WRITE_TARGET_S = 1.0
MB = 2**20
RU_MAXRSS_BYTES = 1 if sys.platform == "darwin" else 1024
"""ru_maxrss is in bytes on macOS, in KiB on Linux."""


# -- children ---------------------------------------------------------------------------------------------------


LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.executable, [sys.executable, *sys.argv[2:]], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], "w") as report:
    json.dump({"wall_s": wall, "status": os.waitstatus_to_exitcode(status), "maxrss": usage.ru_maxrss}, report)
"""
"""Runs ``python ARGS`` and reports its wall time and peak RSS. On Linux a process's peak RSS starts from its
parent's RSS when it was spawned, so the measured child is spawned by this bare interpreter (``-S``: about the
size of the smallest Python process), never by the benchmark itself."""


@dataclass(frozen=True)
class Spawned:
    """A finished child: wall time from spawn to exit, its peak RSS and what it printed."""

    wall_s: float
    peak_mb: float
    stdout: str


def spawn(args: Sequence[str]) -> Spawned:
    """Run ``python ARGS`` at the repository root (through LAUNCHER); RuntimeError (with its stderr) if it fails."""
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryFile("w+") as out, \
            tempfile.TemporaryFile("w+") as err:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(report), *args], cwd=ROOT, stdout=out,
                       stderr=err, check=True)
        figures = json.loads(report.read_text(encoding="utf-8"))
        out.seek(0)
        err.seek(0)
        if figures["status"]:
            raise RuntimeError(f"python {' '.join(args)} failed ({figures['status']}):\n{err.read()}")
        return Spawned(figures["wall_s"], figures["maxrss"] * RU_MAXRSS_BYTES / MB, out.read())


def in_child(call: str) -> Any:
    """Evaluate ``bench.<call>`` in a fresh interpreter and return its JSON-decoded value."""
    code = f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import bench; print(json.dumps(bench.{call}))"
    return json.loads(spawn(["-c", code]).stdout.strip().splitlines()[-1])


def ccsim_run(scenario: Path, out: Path, *options: str) -> dict[str, float]:
    """``python -m sim run SCENARIO --out OUT --quiet OPTIONS`` as a user runs it: calls over the wall time of the
    whole process, its peak RSS, and the check KPIs (total row of summary.json)."""
    done = spawn(["-m", "sim", "run", str(scenario), "--out", str(out), "--quiet", *options])
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    total = json.loads((out / "summary.json").read_text(encoding="utf-8"))["rows"][0]["kpis"]
    shutil.rmtree(out)
    calls = info["calls_simulated"]
    return {"calls": calls, "wall_s": done.wall_s, "calls_per_s": calls / done.wall_s, "peak_mb": done.peak_mb,
            "abandon_rate": total["abandon_rate"]["mean"], "mean_wait": total["mean_wait"]["mean"]}


# -- run in a child (they import sim) ---------------------------------------------------------------------------


def measure(workload: str) -> dict[str, float]:
    """ccsim in process: load the scenario, run one replication on one core, compute the KPI rows."""
    from sim.analysis.experiment import run
    from sim.analysis.summary import kpi_rows
    from sim.scenario.loader import load_scenario

    started = time.perf_counter()
    result = run(load_scenario(HERE / f"{workload}.yaml"), workers=1)
    kpi_rows(result)
    seconds = time.perf_counter() - started
    return {"calls": result.calls, "seconds": seconds, "calls_per_s": result.calls / seconds}


def reference_speed(workload: str) -> dict[str, float]:
    """The heapq reference on a workload; only its loop is timed. The objects of the modules loaded to read the
    scenario are frozen out of the garbage collector's way, as if the loop ran in a plain script."""
    import reference

    from sim.scenario.loader import load_scenario

    model = reference.workload(load_scenario(HERE / f"{workload}.yaml"))
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    outcome = reference.simulate(model)
    seconds = time.perf_counter() - started
    return {**outcome.figures(), "seconds": seconds, "calls_per_s": outcome.calls / seconds}


def wide_scenario(types: int, groups: int, days: int) -> dict[str, Any]:
    """A scenario of ``types`` call types (10 calls/h each) and ``groups`` groups of 3 agents, group g skilled in
    types g (rank 1), g+1 and g+2 (rank 2 and 3): a small volume, so the simulation is quick."""
    call_types = {f"type{t:02d}": {"arrivals": {"rate_per_hour": 10},
                                   "handle_time": {"dist": "exponential", "mean": "300s"},
                                   "patience": {"dist": "exponential", "mean": "120s"}} for t in range(types)}
    agent_groups = {f"group{g:02d}": {"skills": {f"type{(g + k) % types:02d}": k + 1 for k in range(3)}, "agents": 3}
                    for g in range(groups)}
    return {"name": f"wide-{types}x{groups}", "run": {"days": days, "replications": WIDE_REPLICATIONS, "seed": 1},
            "call_types": call_types, "agent_groups": agent_groups}


def writing(rounds: int) -> dict[str, Any]:
    """Simulate the wide scenario once, then summarize it and write its results ``rounds`` times (medians)."""
    from sim.analysis.experiment import run
    from sim.analysis.summary import summarize
    from sim.reports.report import write_results
    from sim.scenario.loader import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "wide.yaml"  # JSON is YAML
        file.write_text(json.dumps(wide_scenario(WIDE_TYPES, WIDE_GROUPS, WIDE_DAYS)), encoding="utf-8")
        started = time.perf_counter()
        result = run(load_scenario(file), workers=1)
        simulated = time.perf_counter() - started
        summarizing, writes = [], []
        for r in range(rounds):
            started = time.perf_counter()
            summary = summarize(result)
            summarizing.append(time.perf_counter() - started)
            started = time.perf_counter()
            write_results(result, summary, Path(tmp) / f"out{r}", str(file))
            writes.append(time.perf_counter() - started)
        out = Path(tmp) / "out0"
        return {"types": WIDE_TYPES, "groups": WIDE_GROUPS, "days": WIDE_DAYS, "replications": WIDE_REPLICATIONS,
                "calls": result.calls, "simulate_s": simulated, "summarize_s": statistics.median(summarizing),
                "write_s": statistics.median(writes), "write_rounds_s": writes,
                "intervals_mb": (out / "intervals.csv").stat().st_size / MB,
                "folder_mb": sum(f.stat().st_size for f in out.iterdir()) / MB}


# -- sections (in this process) ---------------------------------------------------------------------------------


def _medians(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def speed(workloads: Sequence[str], rounds: int, tmp: Path) -> dict[str, Any]:
    """Per workload: each round ccsim end to end, the reference and ccsim in process, back to back."""
    per_round: dict[str, list[dict[str, float]]] = {w: [] for w in workloads}
    for r in range(rounds):
        for w in workloads:
            e2e = ccsim_run(HERE / f"{w}.yaml", tmp / f"{w}-{r}")
            ref = in_child(f"reference_speed({w!r})")
            inproc = in_child(f"measure({w!r})")
            per_round[w].append({
                "e2e_calls_per_s": e2e["calls_per_s"], "e2e_wall_s": e2e["wall_s"], "e2e_peak_mb": e2e["peak_mb"],
                "ref_calls_per_s": ref["calls_per_s"], "inproc_calls_per_s": inproc["calls_per_s"],
                "ratio_e2e": e2e["calls_per_s"] / ref["calls_per_s"],
                "ratio_inproc": inproc["calls_per_s"] / ref["calls_per_s"],
                "calls": e2e["calls"], "ref_calls": ref["calls"],
                "abandon_rate": e2e["abandon_rate"], "mean_wait": e2e["mean_wait"],
                "ref_abandon_rate": ref["abandon_rate"], "ref_mean_wait": ref["mean_wait"]})
            print(f"  round {r + 1}/{rounds} {w}: ccsim {e2e['calls_per_s']:,.0f} calls/s end to end, "
                  f"reference {ref['calls_per_s']:,.0f}", file=sys.stderr, flush=True)
    return {w: {"median": _medians(rows), "rounds": rows} for w, rows in per_round.items()}


def imports(rounds: int) -> dict[str, Any]:
    """Wall time and peak RSS of each start-up command, rounds interleaved; medians."""
    per: dict[str, list[dict[str, float]]] = {label: [] for label in IMPORTS}
    for _ in range(rounds):
        for label, args in IMPORTS.items():
            done = spawn(args)
            per[label].append({"seconds": done.wall_s, "peak_mb": done.peak_mb})
    return {label: {"median": _medians(rows), "rounds": rows} for label, rows in per.items()}


def memory(tmp: Path) -> dict[str, Any]:
    """Peak RSS of ``ccsim run`` on W1 at each of MEMORY_DAYS, the line through the points, and its values at
    the target sizes."""
    points = []
    for days in MEMORY_DAYS:
        done = ccsim_run(HERE / "w1.yaml", tmp / f"memory-{days}", "--days", str(days))
        points.append({"days": days, "calls": done["calls"], "peak_mb": done["peak_mb"], "wall_s": done["wall_s"]})
        print(f"  memory: {done['calls']:,} calls, {done['peak_mb']:,.0f} MB", file=sys.stderr, flush=True)
    fit = statistics.linear_regression([p["calls"] / 1e6 for p in points], [p["peak_mb"] for p in points])
    return {"points": points, "base_mb": fit.intercept, "per_million_mb": fit.slope,
            "fitted_mb": {m: fit.intercept + fit.slope * m for m in MEMORY_TARGETS_MB}}


# -- report -----------------------------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def speed_lines(figures: dict[str, Any], rounds: int) -> list[str]:
    """The speed table and the check that ccsim and the reference simulate the same system."""
    lines = [f"Speed: one replication on one core; medians of {rounds} round(s), ratios per round then median",
             f"  {'':4}{'calls':>11}{'heapq ref':>12}{'ccsim e2e':>12}{'e2e wall':>10}{'e2e/ref':>9}"
             f"{'target':>8}{'':8}{'in process':>12}{'inproc/ref':>12}",
             f"  {'':4}{'':11}{'calls/s':>12}{'calls/s':>12}{'s':>10}{'':25}{'calls/s':>12}"]
    for w, data in figures.items():
        m, target = data["median"], RATIO_TARGETS[w]
        verdict = _verdict(m["ratio_e2e"] >= target)
        lines.append(f"  {w.upper():4}{m['calls']:>11,.0f}{m['ref_calls_per_s']:>12,.0f}"
                     f"{m['e2e_calls_per_s']:>12,.0f}{m['e2e_wall_s']:>10.2f}{m['ratio_e2e']:>8.3f}x"
                     f"{target:>7.2f}x {verdict:<7}{m['inproc_calls_per_s']:>12,.0f}{m['ratio_inproc']:>11.3f}x")
    lines.append("  same system? P(abandon) and mean wait of answered + abandoned calls, ccsim vs reference "
                 "(one seed each):")
    for w, data in figures.items():
        m = data["median"]
        exact = f"   (Erlang A: {ERLANG_A[w][0]:.4f}, {ERLANG_A[w][1]:.2f} s)" if w in ERLANG_A else ""
        lines.append(f"  {w.upper():4}{m['abandon_rate']:.4f} vs {m['ref_abandon_rate']:.4f}, "
                     f"{m['mean_wait']:.2f} s vs {m['ref_mean_wait']:.2f} s{exact}")
    return lines


def import_lines(figures: dict[str, Any], rounds: int) -> list[str]:
    lines = [f"Start-up, medians of {rounds} round(s)"]
    for label, data in figures.items():
        m = data["median"]
        lines.append(f"  {label:<24}{m['seconds']:>7.2f} s{m['peak_mb']:>7.0f} MB")
    return lines


def memory_lines(figures: dict[str, Any]) -> list[str]:
    lines = ["Memory: peak RSS of `python -m sim run benchmarks/w1.yaml --days D --quiet` (one replication)"]
    for p in figures["points"]:
        lines.append(f"  {p['days']:>4} days {p['calls']:>12,} calls{p['peak_mb']:>8,.0f} MB   ({p['wall_s']:.1f} s)")
    lines.append(f"  line: {figures['base_mb']:.0f} MB + {figures['per_million_mb']:.0f} MB per million calls")
    for millions, target in MEMORY_TARGETS_MB.items():
        value = figures["fitted_mb"][millions]
        lines.append(f"  at {millions:>2}M calls {value:>7,.0f} MB   target <= {target} MB {_verdict(value <= target)}")
    return lines


def writing_lines(figures: dict[str, Any]) -> list[str]:
    f = figures
    return [f"Writing results: {f['types']} call types x {f['groups']} groups, {f['days']} days, "
            f"{f['replications']} replications, "
            f"{f['calls']:,} calls",
            f"  simulate {f['simulate_s']:.2f} s, summarize {f['summarize_s']:.2f} s, write_results "
            f"{f['write_s']:.2f} s (target <= {WRITE_TARGET_S:g} s {_verdict(f['write_s'] <= WRITE_TARGET_S)}); "
            f"intervals.csv {f['intervals_mb']:.1f} MB, folder {f['folder_mb']:.1f} MB"]


def load_average() -> float:
    """The 1-minute load average (NaN where the system does not tell)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def section(name: str, args: argparse.Namespace, tmp: Path) -> tuple[Any, list[str]]:
    """Run one section; return its figures and its lines of the report."""
    if name == "speed":
        figures = speed(args.workloads, args.rounds, tmp)
        return figures, speed_lines(figures, args.rounds)
    if name == "imports":
        figures = imports(args.rounds)
        return figures, import_lines(figures, args.rounds)
    if name == "memory":
        figures = memory(tmp)
        return figures, memory_lines(figures)
    figures = in_child(f"writing({args.rounds})")
    return figures, writing_lines(figures)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                        help=f"workloads of the speed section: {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each measured figure (default 3)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS),
                        help="sections to run (default: all)")
    parser.add_argument("--json", metavar="FILE", help="also save every figure (and each round's) as JSON")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.workloads) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    args.workloads = args.workloads or list(WORKLOADS)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    figures: dict[str, Any] = {
        "started": f"{datetime.now():%Y-%m-%d %H:%M}", "checkout": str(ROOT), "python": platform.python_version(),
        "cores": os.cpu_count(), "load_average_start": load_average(), "rounds": args.rounds}
    print(f"ccsim benchmarks {figures['started']}, {ROOT}, Python {figures['python']}, {figures['cores']} cores, "
          f"load average {figures['load_average_start']:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ccsim-bench-") as tmp:
        for name in args.only:
            figures[name], lines = section(name, args, Path(tmp))
            print("\n".join(["", *lines]), flush=True)
    figures["load_average_end"] = load_average()
    print(f"\nload average {figures['load_average_end']:.1f} at the end; on a shared machine absolute figures are "
          "noisy, the ratios are the comparable ones")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
