"""End-to-end speed of ccsim: scenario load -> simulation -> KPIs, in calls simulated per second.

Each workload runs in a fresh process so that its peak memory (max RSS) is its own. Usage:

    python benchmarks/bench.py            # W1 and W2, one replication on one core, then 2 replications on 2 cores
    python benchmarks/bench.py w1         # one workload
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {"w1": 300_000, "w2": 200_000}
REFERENCE = {"w1": "Erlang A: P(abandon) 0.0286, mean wait of all calls 3.43 s"}


def measure(workload: str, replications: int, workers: int) -> dict[str, float]:
    """Run one workload in this process and return its figures."""
    from sim.experiment import run, with_overrides
    from sim.scenario.loader import load_scenario
    from sim.summary import kpi_rows

    started = time.perf_counter()
    scenario = with_overrides(load_scenario(HERE / f"{workload}.yaml"), replications=replications)
    result = run(scenario, workers=workers)
    total = kpi_rows(result)[0].kpis
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"calls": result.calls, "seconds": elapsed, "calls_per_s": result.calls / elapsed,
            "peak_mb": max(peak_kib, children) / 1024, "p_abandon": total["abandon_rate"].mean,
            "mean_wait_s": total["mean_wait"].mean, "service_level": total["service_level"].mean}


def _in_subprocess(workload: str, replications: int, workers: int) -> dict[str, float]:
    code = (f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import bench; "
            f"print(json.dumps(bench.measure({workload!r}, {replications}, {workers})))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(workloads: list[str]) -> None:
    for w in workloads:
        one = _in_subprocess(w, 1, 1)
        target = TARGETS[w]
        print(f"{w.upper()}: {one['calls']:,} calls in {one['seconds']:.2f}s = {one['calls_per_s']:,.0f} calls/s "
              f"on one core (target {target:,}: {'met' if one['calls_per_s'] >= target else 'MISSED'}); "
              f"peak memory {one['peak_mb']:.0f} MB (target 300 MB)")
        print(f"    P(abandon) {one['p_abandon']:.4f}, mean wait of all calls {one['mean_wait_s']:.2f} s, "
              f"SL {one['service_level']:.3f}" + (f"   [{REFERENCE[w]}]" if w in REFERENCE else ""))
        two = _in_subprocess(w, 2, 2)
        print(f"    2 replications on 2 cores: {two['calls_per_s']:,.0f} calls/s "
              f"= {two['calls_per_s'] / one['calls_per_s']:.2f}x one core")


if __name__ == "__main__":
    main(sys.argv[1:] or ["w1", "w2"])
