"""Call-level records for the Kaplan–Meier patience: one row per call that reached the queue, read as tolerantly
as the interval history (sim.calibration.history: byte-order mark, ``;`` or tab separators, decimal commas).

Columns: ``call_type`` (optional; without it every call is of type ``calls``), ``wait_s`` (seconds in the queue
until answered or hung up) and ``outcome`` (answered or abandoned; synonyms in OUTCOMES, any case).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from sim.calibration.history import HistoryError, _number, _separator, _text, raise_problems
from sim.errors import Problem

OUTCOMES = {"answered": False, "answer": False, "handled": False, "served": False, "connected": False,
            "abandoned": True, "abandon": True, "abandoned_in_queue": True, "hangup": True, "hung_up": True,
            "lost": True}
"""Outcome words (lower case) -> abandoned?"""


@dataclass(frozen=True)
class Calls:
    """One call type's records."""

    waits: np.ndarray
    abandoned: np.ndarray  # bool


def load_calls(path: str, call_type_column: str = "call_type") -> dict[str, Calls]:
    """The call records per call type (file order); HistoryError listing every bad row (file:line column)."""
    text = _text(path)
    sep = _separator(text)
    problems: list[Problem] = []
    rows: dict[str, tuple[list[float], list[bool]]] = {}
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        names = [h.strip().lower() for h in next(reader, [])]
        index = {n: i for i, n in reversed(list(enumerate(names)))}
        missing = [n for n in ("wait_s", "outcome") if n not in index]
        if missing:
            raise HistoryError([Problem(path, "", 1, f"the header lacks {', '.join(missing)} (found: "
                                                     f"{', '.join(names) or 'nothing'})")])
        kind = index.get(call_type_column.strip().lower())
        for cells in reader:
            if any(c.strip() for c in cells):
                record = _record(path, reader.line_num, cells, index, kind, call_type_column, sep, problems)
                if record is not None:
                    waits, outcomes = rows.setdefault(record[0], ([], []))
                    waits.append(record[1])
                    outcomes.append(record[2])
    except csv.Error as exc:
        raise HistoryError([Problem(path, "", None, f"not a readable CSV file: {exc}")]) from None
    raise_problems(path, bool(rows), problems)
    return {n: Calls(np.asarray(w, dtype=float), np.asarray(a, dtype=bool)) for n, (w, a) in rows.items()}


def _record(path: str, line: int, cells: list[str], index: dict[str, int], kind: int | None, call_type_column: str,
            sep: str, problems: list[Problem]) -> tuple[str, float, bool] | None:
    """(call type, wait, abandoned?) of one row, or None after adding its problems."""
    def cell(i: int) -> str:
        return cells[i].strip() if i < len(cells) else ""

    before = len(problems)
    wait = _number(cell(index["wait_s"]), sep)
    outcome = OUTCOMES.get(cell(index["outcome"]).lower().replace(" ", "_").replace("-", "_"))
    name = cell(kind) if kind is not None else "calls"
    if wait is None or not math.isfinite(wait) or wait < 0:
        problems.append(Problem(path, "wait_s", line, f"must be a number >= 0 (got {cell(index['wait_s'])!r})"))
    if outcome is None:
        problems.append(Problem(path, "outcome", line, f"must be one of answered, abandoned (or "
                                                       f"{', '.join(sorted(OUTCOMES))}; got "
                                                       f"{cell(index['outcome'])!r})"))
    if not name:
        problems.append(Problem(path, call_type_column, line, "is empty"))
    if len(problems) > before or wait is None or outcome is None:
        return None
    return name, wait, outcome
