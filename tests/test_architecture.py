"""The import directions of the design (docs/architecture.md): data flows scenario -> engine -> analysis and
economics -> reports -> calibration -> cli, and no layer imports a later one; only the model imports SimPy, only
the plot modules import matplotlib, only the CLI touches argv and exit codes."""

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"
MODULES = sorted(p for p in SIM.rglob("*.py"))
LAYERS = ("scenario", "engine", "economics", "analysis", "reports", "calibration", "cli")
"""In data-flow order: a module may import its own layer and earlier ones (economics prices what the engine
recorded; analysis turns records and prices into statistics; calibration fits scenarios from history and backtests
them, writing its results folder through reports)."""
PLOTS = ("sim.reports.plots", "sim.reports.risk_plots", "sim.reports.channel_plots", "sim.reports.sweep_plots",
         "sim.calibration.plots")
"""The only modules that import matplotlib."""
DASK = "sim.analysis.cluster"
"""The only module that imports Dask."""
SHARED = ("sim.errors", "sim.units")
"""Imported by every layer. (``sim.api``, the Python API, stands beside the CLI: it may import every layer but
the CLI.)"""
PURE = ("sim.engine.routing", "sim.engine.overflow", "sim.engine.staffing", "sim.engine.agents",
        "sim.analysis.analytic",
        "sim.analysis.stats", "sim.analysis.risk")
"""Policies and formulas: they decide from the state they are given and never reach into the model."""


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update({node.module} if node.module != "sim" else {f"sim.{a.name}" for a in node.names})
    return names


def _module(path: Path) -> str:
    return ".".join(("sim", *path.relative_to(SIM).with_suffix("").parts)).removesuffix(".__init__")


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_is_in_a_layer() -> None:
    loose = [_module(p) for p in MODULES if _layer(_module(p)) is None
             and _module(p) not in (*SHARED, "sim", "sim.__main__", "sim.api")]
    assert not loose, f"modules outside the layer packages: {loose}"


@pytest.mark.parametrize("path", MODULES, ids=_module)
def test_import_directions(path: Path) -> None:
    name, imports = _module(path), _imports(path)
    if name != "sim.engine.model":
        assert not any(i == "simpy" or i.startswith("simpy.") for i in imports), f"{name} imports SimPy"
    if name not in PLOTS:
        assert not any(i.startswith("matplotlib") for i in imports), f"{name} imports matplotlib"
    if name != DASK:
        assert not any(i.split(".")[0] in ("dask", "distributed") for i in imports), f"{name} imports Dask"
    mine = _layer(name)
    if mine is not None:
        later = [i for i in imports if i.startswith("sim.") and (_layer(i) or 0) > mine]
        assert not later, f"{name} ({LAYERS[mine]}) imports a later layer: {later}"
    if name in PURE:
        assert "sim.engine.model" not in imports, f"{name} is pure but imports the model"


@pytest.mark.parametrize("path", MODULES, ids=_module)
def test_only_the_cli_touches_argv_and_exit_codes(path: Path) -> None:
    if _module(path).startswith("sim.cli") or _module(path) == "sim.__main__":
        return
    text = path.read_text(encoding="utf-8")
    assert "sys.argv" not in text and "sys.exit" not in text
