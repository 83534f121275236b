"""Processes of a parallel run die with it: SIGTERM is handled like Ctrl-C (one line, nothing written, workers
ended), workers whose parent was killed (SIGKILL) exit by themselves, and Ctrl-C early in a run gives exit 130
and one line, never a traceback. Real processes, signalled as a shell or a scheduler would; Linux /proc is used
to find the workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

ROOT = Path(__file__).resolve().parents[1]
LONG = """
name: long
run: {days: 3, replications: 2, seed: 1}
call_types:
  a:
    arrivals: {rate_per_hour: 40000}
    handle_time: {dist: exponential, mean: 60s}
    patience: {dist: exponential, mean: 120s}
agent_groups:
  team: {skills: [a], agents: 700}
"""
"""About 3 million calls per replication: many seconds of work for each of two workers."""


ENTRY = {"python -m sim": ["-m", "sim"],
         "ccsim": ["-c", "import sys; from sim.cli.app import main; sys.exit(main())"]}  # what the ccsim script runs


def _start(folder: Path, entry: str = "ccsim") -> subprocess.Popen[str]:
    (folder / "long.yaml").write_text(LONG, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, *ENTRY[entry], "run", "long.yaml", "--workers", "2"], cwd=folder,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _workers(proc: subprocess.Popen[str], timeout: float = 60.0) -> list[int]:
    """The two worker processes, once they are running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = _children(proc.pid)
        if len(kids) >= 2:
            time.sleep(0.5)  # let them get into the simulation
            return kids
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the workers did not start")


def _gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def test_sigterm_ends_the_run_and_its_workers(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    workers = _workers(proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.strip().splitlines() == ["ccsim: terminated; no results were written"]
    assert _gone(workers, 10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.yaml"]


def test_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    workers = _workers(proc)
    proc.kill()
    proc.wait(timeout=10)
    assert _gone(workers, 10), "workers outlived their killed parent"
    # nobody holds the output pipes open any more: reading them ends
    assert proc.stdout is not None and proc.stdout.read() == ""
    proc.communicate(timeout=5)


@pytest.fixture(scope="module")
def startup() -> float:
    """Seconds until ccsim's own code runs (interpreter start and ``import sim.cli``), measured on this machine
    now: a Ctrl-C before that reaches Python itself, not ccsim."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(3):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "import sim.cli"], env=env, check=True)
        times.append(time.monotonic() - started)
    return sorted(times)[1]


@pytest.mark.parametrize("entry", sorted(ENTRY))
@pytest.mark.parametrize("delay", [0.05, 0.3, 1.0])
def test_ctrl_c_early_in_a_run_is_one_line_and_exit_130(tmp_path: Path, delay: float, entry: str,
                                                        startup: float) -> None:
    """Ctrl-C while the scenario loads (imports), while the workers start, and while they simulate."""
    proc = _start(tmp_path, entry)
    time.sleep(startup + delay)
    kids = _children(proc.pid)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["ccsim: interrupted; no results were written"]
    assert "Traceback" not in err and out == ""
    assert _gone(kids, 10)
