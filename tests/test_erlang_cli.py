"""``ccsim erlang``: the calculator's figures against published calculator values and the analytic
formulas; bad input is one line and exit code 2."""

from __future__ import annotations

import argparse

import pytest

from sim.analysis.analytic import erlang_a, erlang_b, mmck
from sim.cli.app import main
from sim.cli.erlang import Inputs, agents_needed, figures, parse_inputs

BASE = ["erlang", "--calls", "350", "--interval", "30min", "--aht", "190s"]


def _run(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main([*BASE, *extra]) == 0
    return capsys.readouterr().out


def test_domain_reference_80_20(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--target", "0.8", "--threshold", "20s")
    assert "36.94 Erlangs offered" in out
    assert "Agents needed for 80% answered within 20 s: 42 (SL 81.2 %, ASA 12.0 s, occupancy 88.0 %)" in out
    marked = next(line for line in out.splitlines() if line.startswith(">"))
    assert marked.split() == [">", "42", "81.2", "12.0", "32.1", "88.0"]
    assert len([line for line in out.splitlines() if line[:1] in (">", " ") and line[2:8].strip().isdigit()]) == 7


def test_domain_reference_90_15_in_percent_and_given_agents(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--target", "90%", "--threshold", "15s", "--agents", "44", "--shrinkage", "30%")
    assert "Agents needed for 90% answered within 15 s: 45 (SL 92.5 %" in out
    assert "With 44 agents: SL 89.2 %" in out
    assert "With 30% shrinkage: 64.3 staff scheduled for 45 on the phones" in out
    assert next(line for line in out.splitlines() if line.startswith(">")).split()[1] == "44"


def test_patience_switches_to_erlang_a(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--patience", "150s", "--agents", "40")
    a = erlang_a(40, 350 / 1800, 190.0, 150.0, 20.0)
    assert out.startswith("Erlang A (mean patience 150 s)") and "abandoned %" in out
    assert f"With 40 agents: SL {100 * a.service_level:.1f} %, ASA {a.mean_wait_answered:.1f} s" in out
    assert f"abandoned {100 * a.p_abandon:.1f} %" in out


def test_erlang_a_bisection_finds_the_smallest_count() -> None:
    for calls, target in ((350.0, 0.8), (40.0, 0.95), (2000.0, 0.7), (0.0, 0.8)):
        inputs = Inputs(calls, 1800.0, 190.0, target, 20.0, patience=120.0)
        needed = agents_needed(inputs)
        assert figures(inputs, needed).service_level >= target
        assert needed == 1 or figures(inputs, needed - 1).service_level < target


def test_occupancy_cap_raises_the_requirement() -> None:
    inputs = Inputs(350.0, 1800.0, 190.0, 0.8, 20.0, max_occupancy=0.85)
    assert agents_needed(inputs) == 44  # 36.94 / 0.85 = 43.5 -> 44 (Erlang C alone: 42)


def test_lines_give_erlang_b_and_mmck(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--lines", "48")
    assert "offered to 48 lines" in out and f"{100 * erlang_b(48, 350 / 1800 * 190):.1f} % of calls blocked" in out
    assert "M/M/" not in out
    out = _run(capsys, "--lines", "48", "--agents", "42")
    m = mmck(42, 48, 350 / 1800, 190.0)
    assert "M/M/42/48 (42 agents, 6 waiting places" in out and f"{100 * m.p_block:.1f} % blocked" in out


@pytest.mark.parametrize(("extra", "message"), [
    (["--calls", "-3"], "--calls: expected a number >= 0, got '-3'"),
    (["--calls", "many"], "--calls: expected a number, got 'many'"),
    (["--aht", "190"], "--aht: a duration needs a unit"),
    (["--aht", "0s"], "--aht: must be > 0"),
    (["--interval", "30"], "--interval: a duration needs a unit"),
    (["--target", "80"], "--target: expected a share from 0% to below 100% (0.8 or 80%), got '80'"),
    (["--target", "100%"], "--target: expected a share"),
    (["--threshold=-5s"], "--threshold: must be >= 0"),
    (["--agents", "2.5"], "--agents: expected a whole number, got '2.5'"),
    (["--agents", "0"], "--agents: expected a number >= 1"),
    (["--patience", "soon"], "--patience: not a duration"),
    (["--lines", "30", "--agents", "40"], "--lines: must be >= --agents (40), got 30"),
])
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], extra: list[str],
                                          message: str) -> None:
    assert main([*BASE, *extra]) == 2  # argparse: the last value of an option wins
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and message in captured.err


def test_inputs_convert_units() -> None:
    args = argparse.Namespace(calls="10", interval="30min", aht="3min", target="0.8", threshold="20s", agents=None,
                              patience=None, lines=None, shrinkage="0", max_occupancy=None)
    inputs = parse_inputs(args)
    assert (inputs.rate, inputs.aht, inputs.load) == (10 / 1800, 180.0, pytest.approx(1.0))
