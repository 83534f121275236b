"""Start-up of the command line: ``--version``, and a clear error when another ``sim`` shadows ccsim's."""

from __future__ import annotations

import sys
import types
from importlib import metadata
from pathlib import Path

import pytest

from sim.cli.app import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"ccsim {metadata.version('ccsim')}"


def test_a_shadowing_sim_module_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    fake = types.ModuleType("sim")
    fake.__file__ = str(tmp_path / "sim.py")
    monkeypatch.setitem(sys.modules, "sim", fake)
    assert main(["validate", "x.yaml"]) == 2
    err = capsys.readouterr().err
    assert f"imported from {tmp_path}" in err and "shadows ccsim's package" in err
