"""Start-up of the command line: ``--version``, and a clear error when another ``sim`` shadows ccsim's."""

from __future__ import annotations

import os
import signal
import sys
import time
import types
from importlib import metadata
from pathlib import Path

import pytest

from sim.cli import app
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


def test_an_error_caused_by_ctrl_c_is_reported_as_the_interruption(monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A Ctrl-C while a C extension initialises surfaces as ImportError("initialization failed") (numpy does
    this): still exit 130 and one line, not an internal error."""
    def importing(args: object) -> int:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler raises here
        except KeyboardInterrupt:
            raise ImportError("initialization failed") from None
        return 0

    monkeypatch.setitem(app.COMMANDS, "validate", importing)
    assert main(["validate", "x.yaml"]) == 130
    assert capsys.readouterr().err == "ccsim: interrupted; no results were written\n"
