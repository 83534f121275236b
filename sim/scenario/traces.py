"""Arrival traces: CSV files of recorded calls, replayed as they happened. Pure.

A trace has a ``time`` column: seconds since the start of the run, or ISO date-times (day 0 is the date of the
earliest one in the file, so call types sharing a file share its day 0; times with a zone count in absolute time,
across daylight-saving changes). An optional ``call_type`` column says which call type each call is. Excel's
"CSV UTF-8" export (with a byte-order mark) is read as it is. Rows are numbered as a spreadsheet shows them: the
header is row 1.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from sim.errors import TraceError, did_you_mean
from sim.scenario.files import MAX_TRACE_BYTES, UnreadableFile, read_bytes


@dataclass(frozen=True)
class Trace:
    """The calls of one trace file, in file order."""

    path: str
    seconds: np.ndarray  # float: arrival instant of each row, in seconds after midnight of day 0
    call_types: tuple[str, ...] | None  # each row's call type, if the file has the column

    def times_of(self, call_type: str) -> np.ndarray:
        """Sorted arrival instants of ``call_type`` (of every row without a call_type column)."""
        if self.call_types is None:
            return np.sort(self.seconds)
        return np.sort(self.seconds[np.array([t == call_type for t in self.call_types], dtype=bool)])

    def unknown_call_types(self, known: list[str]) -> list[str]:
        """One message per call type named in the file but not in ``known``, at its first row."""
        first: dict[str, int] = {}
        for row, name in enumerate(self.call_types or (), start=2):
            if name not in known:
                first.setdefault(name, row)
        return [f"trace {self.path}: row {row}: call type {name!r} is not in the scenario"
                + (did_you_mean(name, known) or f"; the call types are {', '.join(known)}")
                for name, row in first.items()]

    def missing(self, call_type: str) -> str | None:
        """Why ``call_type`` gets no calls from this trace, if it gets none."""
        if len(self.times_of(call_type)):
            return None
        found = f"it has: {', '.join(dict.fromkeys(self.call_types))}" if self.call_types else "it has no rows"
        return f"trace {self.path} has no calls of call type {call_type!r} ({found})"


def load_trace(path: str) -> Trace:
    """Read and parse a trace file; raise TraceError naming the file and the row of the first problem."""
    try:
        raw = read_bytes(path, MAX_TRACE_BYTES, "trace file")
    except UnreadableFile as exc:
        raise TraceError(f"cannot read trace {exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise TraceError(f"trace {path}: line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                         "save the file with the UTF-8 encoding") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise TraceError(f"trace {path}: {exc}") from None
    header = rows[0] if rows else []
    if "time" not in header:
        found = ", ".join(header) or "nothing"
        raise TraceError(f"trace {path}: row 1: needs a header with a 'time' column (found: {found})")
    column = {name: i for i, name in reversed(list(enumerate(header)))}  # a repeated name: its first column
    texts = [_cell(r, column["time"]).strip() for r in rows[1:]]
    types = tuple(_cell(r, column["call_type"]) for r in rows[1:]) if "call_type" in column else None
    return Trace(path, _parse_times(texts, path), types)


def read_trace(path: str, call_type: str) -> np.ndarray:
    """Arrival instants of ``call_type`` from a trace file, in seconds after midnight of day 0, sorted."""
    return load_trace(path).times_of(call_type)


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def _parse_times(texts: list[str], path: str) -> np.ndarray:
    """Seconds since the run's start, or ISO date-times (day 0 = the earliest date)."""
    numbers = [_number(t) for t in texts]
    if numbers and numbers[0] is not None:  # numeric trace: the first row decides
        bad = [i for i, v in enumerate(numbers) if v is None or v < 0 or not math.isfinite(v)]
        if bad:
            raise TraceError(f"trace {path}: row {bad[0] + 2}: time must be a finite number >= 0 "
                             f"(got {texts[bad[0]]!r})")
        return np.asarray(numbers, dtype=float)
    stamps = []
    for i, text in enumerate(texts):
        try:
            stamps.append(datetime.fromisoformat(text))
        except ValueError:
            raise TraceError(f"trace {path}: row {i + 2}: not seconds nor an ISO date-time: {text!r}") from None
        if (stamps[i].utcoffset() is None) != (stamps[0].utcoffset() is None):
            zone = "has no time zone" if stamps[i].utcoffset() is None else "has a time zone"
            raise TraceError(f"trace {path}: row {i + 2}: {text!r} {zone}, unlike row 2 ({texts[0]!r}); "
                             "give every time with a zone, or none")
    if not stamps:
        return np.zeros(0)
    day0 = min(stamps).replace(hour=0, minute=0, second=0, microsecond=0)
    return np.asarray([(s - day0).total_seconds() for s in stamps], dtype=float)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
