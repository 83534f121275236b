"""A progress bar for long runs (tqdm): replications done, calls simulated, time left.

Shown on stderr only when stderr is an interactive terminal and the user did not ask for quiet or JSON output;
otherwise nothing is written, so logs and pipes stay line-oriented and stdout stays machine-readable.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

OnDone = Callable[[int, int], None]
"""``on_done(replications_done, calls_of_that_replication)``, as ``sim.analysis.experiment.run`` calls it."""


def wanted(stream: TextIO, quiet: bool) -> bool:
    """A bar is drawn only on an interactive terminal and when output is not quiet (or JSON)."""
    isatty = getattr(stream, "isatty", None)
    return not quiet and callable(isatty) and bool(isatty())


@contextmanager
def replication_progress(total: int, stream: TextIO, quiet: bool,
                         what: str = "replications") -> Iterator[OnDone | None]:
    """Yield an ``on_done`` callback driving a bar on ``stream``, or None when no bar is wanted; ``what`` names
    the units counted (a sweep counts "simulations": variant x replication).

    The bar is removed when the run ends, so the result table that follows starts on a clean screen.
    """
    if not wanted(stream, quiet):
        yield None
        return
    width = min(shutil.get_terminal_size((100, 24)).columns, 120)  # some terminals report 0 columns: fall back
    with tqdm(total=total, unit="rep", file=stream, leave=False, ncols=width, postfix="0 calls simulated",
              mininterval=0.0,  # one refresh per finished replication: rare enough to draw every one
              bar_format="|{bar}| {n_fmt}/{total_fmt} " + what + "{postfix} [{elapsed} elapsed, {remaining} left]",
              ) as bar:
        calls = 0

        def on_done(done: int, new_calls: int) -> None:
            nonlocal calls
            calls += new_calls
            bar.set_postfix_str(f"{calls:,} calls simulated", refresh=False)
            bar.update(done - bar.n)

        yield on_done
