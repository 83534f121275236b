"""Progress display: a bar on an interactive stderr only; nothing when stderr is not a terminal, with --quiet or
with --json (stdout stays a clean table or clean JSON)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from sim.cli.app import main
from sim.reports.progress import replication_progress, wanted


class FakeTerminal(io.StringIO):
    """A stream that says it is an interactive terminal."""

    def isatty(self) -> bool:
        return True


TINY = """
name: tiny
run: {days: 1, replications: 3, seed: 5}
call_types:
  a:
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 180s}
    patience: none
agent_groups:
  team: {skills: [a], agents: 5}
"""


def test_bar_only_on_a_terminal_and_not_quiet() -> None:
    assert wanted(FakeTerminal(), quiet=False)
    assert not wanted(FakeTerminal(), quiet=True)
    assert not wanted(io.StringIO(), quiet=False)
    assert not wanted(object(), quiet=False)  # type: ignore[arg-type]


def test_no_terminal_no_callback_and_no_output() -> None:
    stream = io.StringIO()
    with replication_progress(5, stream, quiet=False) as on_done:
        assert on_done is None
    assert stream.getvalue() == ""


def test_terminal_bar_counts_replications_and_calls() -> None:
    stream = FakeTerminal()
    with replication_progress(3, stream, quiet=False) as on_done:
        assert on_done is not None
        on_done(1, 1_200)
        on_done(2, 1_300)
        shown = stream.getvalue()
    assert "2/3 replications, 2,500 calls simulated" in shown and " left]" in shown  # done, calls and an ETA
    assert stream.getvalue().endswith("\r")  # the bar is wiped at the end: the table starts on a clean line


def test_run_draws_the_bar_on_a_terminal_and_keeps_stdout_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tiny.yaml").write_text(TINY, encoding="utf-8")
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["run", "tiny.yaml", "--workers", "1"]) == 0
    assert "3 replications" in terminal.getvalue() and "\r" in terminal.getvalue()
    out = capsys.readouterr().out
    assert "calls simulated" not in out and "\r" not in out  # the table is on stdout, the bar on stderr
    terminal.seek(0)
    terminal.truncate()
    assert main(["run", "tiny.yaml", "--workers", "1", "--json"]) == 0
    assert terminal.getvalue() == ""
    assert json.loads(capsys.readouterr().out)["run"]["replications"] == 3
    assert main(["run", "tiny.yaml", "--workers", "1", "--quiet"]) == 0
    assert terminal.getvalue() == "" and capsys.readouterr().out == ""


def test_not_a_terminal_is_line_oriented_and_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tiny.yaml").write_text(TINY, encoding="utf-8")
    assert main(["run", "tiny.yaml", "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "\r" not in captured.out
    assert captured.out.splitlines()[-1] == "Results: results/tiny/"
