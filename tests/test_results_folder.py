"""Results folders never replace a user's files: ``--out`` on a folder of the user's, a file or a FIFO, or the
working folder is refused (exit 2, nothing touched); a folder ccsim wrote is replaced whole and the terminal says
so; staging folders of dead processes are cleaned; folders and files follow the user's umask."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.app import comparison_folder, main
from sim.reports.folders import remove_stale, staged_folder

TINY = """
name: tiny
run: {days: 1, replications: 2, seed: 5}
call_types:
  a:
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 180s}
    patience: {dist: exponential, mean: 120s}
agent_groups:
  team: {skills: [a], agents: 4}
"""


@pytest.fixture()
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    return tmp_path


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_out_on_a_users_folder_is_refused_and_nothing_is_touched(here: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    sandbox = here / "sb"
    sandbox.mkdir()
    (sandbox / "notes.txt").write_text("x", encoding="utf-8")
    (sandbox / "s.yaml").write_text(TINY, encoding="utf-8")
    before = _tree(sandbox)
    assert main(["run", "sb/s.yaml", "--out", "sb", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "sb: is not a results folder written by ccsim" in err and "notes.txt" in err
    assert _tree(sandbox) == before
    assert sorted(p.name for p in here.iterdir()) == ["sb", "tiny.yaml"]  # no staging folder left either


@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_out_naming_a_file_or_fifo_is_refused(here: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = here / "target"
    if kind == "file":
        target.write_text("keep me", encoding="utf-8")
    else:
        os.mkfifo(target)
    assert main(["run", "tiny.yaml", "--out", "target", "--quiet"]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    assert (target.read_text(encoding="utf-8") == "keep me") if kind == "file" else stat.S_ISFIFO(
        target.stat().st_mode)


@pytest.mark.parametrize("out", [".", "..", "./", "sub/.."])
def test_out_on_the_working_folder_or_above_is_refused(here: Path, out: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (here / "sub").mkdir()
    assert main(["run", "tiny.yaml", "--out", out, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "working folder or one above it" in err and "internal error" not in err
    assert sorted(p.name for p in here.iterdir()) == ["sub", "tiny.yaml"]


def test_a_folder_ccsim_wrote_is_replaced_and_the_terminal_says_so(here: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "tiny.yaml"]) == 0
    first = capsys.readouterr().out
    assert "Results: results/tiny/\n" in first and "replaced" not in first
    finished = json.loads(Path("results/tiny/run.json").read_text())["finished_at"]
    assert main(["run", "tiny.yaml", "--seed", "6"]) == 0
    assert f"Results: results/tiny/ (replaced the results of {finished})" in capsys.readouterr().out
    assert json.loads(Path("results/tiny/run.json").read_text())["seed"] == 6


def test_a_ccsim_folder_holding_a_users_file_is_not_replaced(here: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "tiny.yaml", "--quiet"]) == 0
    Path("results/tiny/my-notes.txt").write_text("mine", encoding="utf-8")
    assert main(["run", "tiny.yaml", "--quiet"]) == 2
    assert "holds files that ccsim did not write (my-notes.txt)" in capsys.readouterr().err
    assert Path("results/tiny/my-notes.txt").read_text(encoding="utf-8") == "mine"


def test_report_command_keeps_the_folder_replaceable(here: Path) -> None:
    """``ccsim report`` adds report.html to a folder; the folder's list of files follows, so a rerun may
    replace it."""
    assert main(["run", "tiny.yaml", "--quiet"]) == 0
    assert main(["report", "results/tiny"]) == 0
    listed = json.loads(Path("results/tiny/run.json").read_text())["written_files"]
    assert "report.html" in listed
    assert main(["run", "tiny.yaml", "--quiet"]) == 0


def test_an_empty_folder_may_be_the_target(here: Path) -> None:
    Path("empty").mkdir()
    assert main(["run", "tiny.yaml", "--out", "empty", "--quiet"]) == 0
    assert (here / "empty" / "summary.csv").is_file()


def test_a_failed_write_removes_the_folders_made_for_it(here: Path) -> None:
    Path("kept").mkdir()
    for target in ("new/deeper/out", "kept/new/out"):
        with pytest.raises(RuntimeError), staged_folder(target) as staged:
            assert staged.path.is_dir()
            raise RuntimeError("the run failed")
    assert sorted(p.name for p in here.iterdir()) == ["kept", "tiny.yaml"]
    assert not list(Path("kept").iterdir())


def test_staging_folders_of_dead_processes_are_removed(here: Path) -> None:
    """A run killed with SIGKILL leaves its staging folder; the next write beside it removes it (and leaves
    those of live processes, and anything that is not a staging folder)."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    pid = int(dead.stdout)
    results = here / "results"
    results.mkdir()
    stale = [results / f".tmp-tiny-{pid}-0123abcd", results / f".old-other-name-{pid}-89abcdef"]
    live = results / f".tmp-tiny-{os.getppid()}-0123abcd"
    mine = results / ".tmp-my-own-folder"
    for folder in (*stale, live, mine):
        folder.mkdir()
        (folder / "x").write_text("x", encoding="utf-8")
    assert main(["run", "tiny.yaml", "--quiet"]) == 0
    assert sorted(p.name for p in results.iterdir()) == sorted([live.name, mine.name, "tiny"])
    remove_stale(here / "missing")  # a parent that does not exist: nothing to do


def test_folders_and_files_follow_the_umask(here: Path) -> None:
    old = os.umask(0o022)
    try:
        assert main(["run", "tiny.yaml", "--quiet", "--report"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(Path("results/tiny").stat().st_mode) == 0o755
    for path in Path("results/tiny").rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o755 if path.is_dir() else 0o644), path


def test_compare_folder_names_stay_short() -> None:
    names = [f"scenario_with_a_rather_long_name_number_{i:02d}_{'x' * 20}" for i in range(5)]
    folder = comparison_folder(names)
    assert len(folder.name.encode()) <= 120 and folder.name.startswith(f"compare-{names[0][:40]}-vs-4-others-")
    assert comparison_folder(names) == folder and comparison_folder(names[::-1]) != folder
    assert comparison_folder(["a", "b", "c"]).name == "compare-a-vs-b-c"


def test_compare_of_long_names_runs(here: Path) -> None:
    files = []
    for i in range(4):
        name = f"variant_{i}_" + "n" * 50
        Path(f"{i}.yaml").write_text(TINY.replace("name: tiny", f"name: {name}"), encoding="utf-8")
        files.append(f"{i}.yaml")
    assert main(["compare", *files, "--quiet", "--workers", "1"]) == 0
    assert any(p.name.startswith("compare-variant_0_") for p in Path("results").iterdir())


def test_nested_files_listed_in_run_json_are_ccsims(tmp_path: Path) -> None:
    """Every folder above a listed file belongs to the listing; a file of the user's beside them does not."""
    from sim.reports.folders import _foreign

    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c.png").write_text("x", encoding="utf-8")
    (tmp_path / "run.json").write_text("{}", encoding="utf-8")
    assert _foreign(tmp_path, {"written_files": ["a/b/c.png"]}) == []
    (tmp_path / "a" / "mine.txt").write_text("x", encoding="utf-8")
    assert _foreign(tmp_path, {"written_files": ["a/b/c.png"]}) == ["a/mine.txt"]
