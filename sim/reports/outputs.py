"""The optional outputs of a results folder: plots (PNG + SVG), the HTML report and the Excel workbook.

They are made from the files already in the folder, so ``ccsim run --report`` (into the temporary folder before
its rename) and ``ccsim report DIR`` (in place, later) produce the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sim.reports.results import load_results


@dataclass(frozen=True)
class Outputs:
    """Which optional outputs to write."""

    plots: bool = False
    report: bool = False
    xlsx: bool = False

    def hook(self) -> Callable[[Path], object] | None:
        """A ``write_results(..., extras=...)`` hook writing these outputs, or None if none is wanted."""
        return partial(write_outputs, wanted=self) if self.plots or self.report or self.xlsx else None


def write_outputs(folder: Path, wanted: Outputs) -> list[Path]:
    """Write the wanted outputs into ``folder`` from its result files; return the files written."""
    results = load_results(folder)
    files: list[Path] = []
    if wanted.plots or wanted.report:
        # imported here: matplotlib costs a noticeable fraction of a second, and runs without plots skip it
        from sim.reports import plots
        from sim.reports.html import write_report

        rendered = plots.render(results, plots.FORMATS if wanted.plots else ("png",))
        if wanted.plots:
            files += plots.write_plots(rendered, folder)
        if wanted.report:
            files.append(write_report(results, {name: by_format["png"] for name, by_format in rendered.items()},
                                      folder))
    if wanted.xlsx:
        from sim.reports.xlsx import write_workbook

        files.append(write_workbook(results, folder))
    return files
