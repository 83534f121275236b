"""The import directions of the design (docs/architecture.md): only the model imports SimPy, only plots import
matplotlib, only the CLI touches argv and exit codes, and the pure layers (scenario, statistics, costs, routing,
analytic) import neither the model nor the reporting layers."""

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"
MODULES = sorted(p for p in SIM.rglob("*.py"))
PURE = ("routing", "overflow", "staffing", "analytic", "stats", "costs", "billing", "facts", "theory", "units",
        "hours", "distributions", "streams", "arrivals", "traces", "files", "callers", "layout", "scenario")
REPORTING = ("sim.report", "sim.plots", "sim.html", "sim.xlsx", "sim.cli", "sim.outputs", "sim.results")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _module(path: Path) -> str:
    return ".".join(("sim", *path.relative_to(SIM).with_suffix("").parts))


@pytest.mark.parametrize("path", MODULES, ids=_module)
def test_import_directions(path: Path) -> None:
    name, imports = _module(path), _imports(path)
    if name != "sim.model":
        assert not any(i == "simpy" or i.startswith("simpy.") for i in imports), f"{name} imports SimPy"
    if name != "sim.plots":
        assert not any(i.startswith("matplotlib") for i in imports), f"{name} imports matplotlib"
    if any(name == f"sim.{p}" or name.startswith(f"sim.{p}.") for p in PURE):
        assert not imports & {"sim.model", "sim.experiment", *REPORTING}, f"{name} is pure but imports {imports}"


@pytest.mark.parametrize("path", MODULES, ids=_module)
def test_only_the_cli_touches_argv_and_exit_codes(path: Path) -> None:
    if _module(path) in ("sim.cli", "sim.__main__"):
        return
    text = path.read_text(encoding="utf-8")
    assert "sys.argv" not in text and "sys.exit" not in text
