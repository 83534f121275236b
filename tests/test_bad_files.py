"""Hostile files: control characters, deep nesting, odd ``extends`` and ``trace`` targets (devices, pipes, huge or
empty files, NUL bytes in paths) give one clear problem each, with file, line and key, never a crash or a hang."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from test_bad_input import GOOD, edit, line, only, problems

from sim.cli.app import main
from sim.errors import ScenarioError
from sim.scenario.files import MAX_SCENARIO_BYTES, MAX_TRACE_BYTES
from sim.scenario.loader import load_scenario
from sim.scenario.yamlmap import MAX_DEPTH

CHILD = "extends: base.yaml\nname: child\n"


def _child_problem(tmp_path: Path, base: str | bytes | None = None) -> str:
    """The one problem of a child extending ``base.yaml`` (written from ``base`` unless None), at its key."""
    if isinstance(base, bytes):
        (tmp_path / "base.yaml").write_bytes(base)
    elif base is not None:
        (tmp_path / "base.yaml").write_text(base, encoding="utf-8")
    p = only(tmp_path, CHILD, "child.yaml")
    assert (p.path, p.line) == ("extends", 1), p
    return p.message


# --- control characters ---------------------------------------------------------------------------------------


def test_form_feed_in_a_value(tmp_path: Path) -> None:
    text = edit("name: shop", "name: shop\ndescription: page\fbreak")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (2, "description")
    assert p.message == "a control character (U+000C) at column 18 is not allowed in YAML; delete it"


def test_control_characters_on_two_lines_and_a_schema_problem(tmp_path: Path) -> None:
    text = edit("  days: 1", "  days: 1\x1b")
    text = edit("rate_per_hour: 60", "rate_per_hour: -60\0", text)
    found = problems(tmp_path, text)
    assert [(p.line, p.path) for p in found] == [
        (line(text, "days"), "run.days"),
        (line(text, "rate_per_hour"), "call_types.billing.arrivals.rate_per_hour"),
        (line(text, "rate_per_hour"), "call_types.billing.arrivals.rate_per_hour"),
    ]
    assert "U+001B" in found[0].message and "U+0000" in found[1].message
    assert found[2].message == "must be > 0 (got -60)"


def test_cli_form_feed_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("ff.yaml").write_text("\f" + GOOD, encoding="utf-8")
    assert main(["validate", "ff.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ff.yaml:1") and "U+000C" in err and "internal error" not in err


# --- structure ------------------------------------------------------------------------------------------------


def test_mapping_where_a_skill_name_belongs(tmp_path: Path) -> None:
    text = edit("skills: [billing, sales]", "skills: [{service: 1}, sales]")
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "skills"), "agent_groups.team.skills[0]")
    assert p.message == "must be the name of a call type (got a mapping)"


@pytest.mark.parametrize("nested", ["[" * 1000 + "]" * 1000, "{a: " * 1000 + "1" + "}" * 1000])
def test_nesting_1000_levels_deep(tmp_path: Path, nested: str) -> None:
    text = edit("name: shop", f"name: shop\ndescription: {nested}")
    p = only(tmp_path, text)
    assert p.line == 2
    assert p.message == f"lists and mappings nest more than {MAX_DEPTH} levels deep here; a scenario needs " \
                        "fewer than 10"


def test_nesting_1000_levels_deep_through_aliases(tmp_path: Path) -> None:
    anchors = "x-a0: &a0 [1]\n" + "".join(f"x-a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 1000))
    text = GOOD + anchors + "x-top: *a999\n"
    p = only(tmp_path, text)
    assert p.line == line(text, f"x-a{MAX_DEPTH}: ")
    assert p.message.startswith(f"lists and mappings nest more than {MAX_DEPTH} levels deep here")


def test_nesting_a_scenario_needs_is_fine(tmp_path: Path) -> None:
    deep = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
    (tmp_path / "x.yaml").write_text(GOOD + f"x-deep: {deep}\n", encoding="utf-8")
    assert load_scenario(tmp_path / "x.yaml").name == "shop"


# --- extends targets ------------------------------------------------------------------------------------------


def test_extends_a_missing_file_names_the_extending_file(tmp_path: Path) -> None:
    message = _child_problem(tmp_path)
    assert message == f"cannot read {tmp_path / 'base.yaml'}: file not found"


@pytest.mark.parametrize(("base", "holds"), [
    ("- a\n- b\n", "holds a list"),
    ("just words\n", "holds the single value 'just words'"),
    ("", "is empty"),
    ("# nothing but a comment\n", "is empty"),
])
def test_extends_a_file_that_is_not_a_scenario(tmp_path: Path, base: str, holds: str) -> None:
    message = _child_problem(tmp_path, base)
    assert message == f"{tmp_path / 'base.yaml'} {holds}; it must be a scenario (a mapping of keys)"


def test_extends_with_a_nul_byte_in_the_path(tmp_path: Path) -> None:
    p = only(tmp_path, 'extends: "base\\0.yaml"\nname: child\n')
    assert (p.path, p.line) == ("extends", 1)
    assert p.message.startswith("cannot read ") and p.message.endswith(
        "the path contains a character no file name may contain (embedded null byte)")


def test_extends_a_device(tmp_path: Path) -> None:
    p = only(tmp_path, "extends: /dev/zero\nname: child\n")
    assert (p.path, p.line) == ("extends", 1)
    assert p.message == "cannot read /dev/zero: not a regular file (a device, a pipe or a socket)"


def _without_hanging(action: object) -> list[object]:
    """Run ``action`` in a thread and fail if it does not return within 10 s (reading a pipe would block)."""
    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(action())  # type: ignore[operator]
        except BaseException as exc:  # noqa: B036 - handed to the test
            outcome.append(exc)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "reading the file hangs"
    return outcome


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_extends_a_named_pipe_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "base.yaml")
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    [error] = _without_hanging(lambda: load_scenario(tmp_path / "child.yaml"))
    assert isinstance(error, ScenarioError)
    assert str(error) == f"{tmp_path / 'child.yaml'}:1 extends: cannot read {tmp_path / 'base.yaml'}: " \
                         "not a regular file (a device, a pipe or a socket)"


def test_extends_a_huge_file(tmp_path: Path) -> None:
    with open(tmp_path / "base.yaml", "wb") as handle:
        handle.truncate(MAX_SCENARIO_BYTES + 1)  # sparse: costs no disk
    message = _child_problem(tmp_path)
    assert message == f"cannot read {tmp_path / 'base.yaml'}: too large ({MAX_SCENARIO_BYTES + 1:,} bytes; " \
                      f"at most {MAX_SCENARIO_BYTES:,})"


def test_extends_a_folder(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").mkdir()
    assert _child_problem(tmp_path) == f"cannot read {tmp_path / 'base.yaml'}: is a folder, not a scenario file"


def test_extends_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_bytes(b"description: caf\xe9\n")
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "child.yaml")
    [p] = info.value.problems
    assert (p.file, p.line) == (str(tmp_path / "base.yaml"), 1)
    assert p.message.startswith("not UTF-8 text: byte 0xe9")


def test_the_scenario_itself_may_not_be_a_device_or_huge(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^/dev/zero: not a regular file \(a device, a pipe or a socket\)$"):
        load_scenario("/dev/zero")
    with open(tmp_path / "x.yaml", "wb") as handle:
        handle.truncate(MAX_SCENARIO_BYTES + 1)
    with pytest.raises(ScenarioError, match="too large"):
        load_scenario(tmp_path / "x.yaml")


# --- trace files ------------------------------------------------------------------------------------------------


def _trace_problem(tmp_path: Path, trace: str) -> str:
    text = edit("      rate_per_hour: 60", f'      trace: "{trace}"')
    p = only(tmp_path, text)
    assert (p.line, p.path) == (line(text, "trace:"), "call_types.billing.arrivals.trace")
    return p.message


def test_trace_with_a_nul_byte_in_the_path(tmp_path: Path) -> None:
    message = _trace_problem(tmp_path, "calls\\0.csv")
    assert message.startswith("cannot read trace ") and message.endswith(
        "the path contains a character no file name may contain (embedded null byte)")


def test_trace_that_is_a_device(tmp_path: Path) -> None:
    assert _trace_problem(tmp_path, "/dev/zero") == \
        "cannot read trace /dev/zero: not a regular file (a device, a pipe or a socket)"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_trace_that_is_a_named_pipe_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "calls.csv")
    [message] = _without_hanging(lambda: _trace_problem(tmp_path, "calls.csv"))
    assert message == f"cannot read trace {tmp_path / 'calls.csv'}: not a regular file (a device, a pipe or a socket)"


def test_trace_that_is_huge(tmp_path: Path) -> None:
    with open(tmp_path / "calls.csv", "wb") as handle:
        handle.truncate(MAX_TRACE_BYTES + 1)
    assert _trace_problem(tmp_path, "calls.csv") == f"cannot read trace {tmp_path / 'calls.csv'}: too large " \
                                                    f"({MAX_TRACE_BYTES + 1:,} bytes; at most {MAX_TRACE_BYTES:,})"


def test_trace_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "calls.csv").mkdir()
    assert _trace_problem(tmp_path, "calls.csv") == \
        f"cannot read trace {tmp_path / 'calls.csv'}: is a folder, not a trace file"


def test_a_chain_of_extends_too_long(tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"f{i}.yaml").write_text(f"extends: f{i + 1}.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "f0.yaml")
    [p] = info.value.problems
    assert (p.path, p.line) == ("extends", 1)
    assert p.message == "a chain of more than 20 files extending each other; flatten it"
