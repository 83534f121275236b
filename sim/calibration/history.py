"""ACD/WFM interval exports: read, check and arrange per call type as day x interval arrays. Pure.

A history has one row per interval (and call type): ``date`` + ``interval_start`` (or one date-time column),
optionally ``call_type``, then ``offered``, ``answered``, ``abandoned``, ``aht_s`` and optionally ``asa_s``,
``abandon_time_s`` (mean wait of the callers who hung up), ``service_level`` (share, or percent with ``%`` or
above 1) and ``agents`` (mean agents logged in). Intervals are 15, 30 or 60 minutes, one length per file. Column
names are matched without regard to case or surrounding spaces. European exports read as they are: a UTF-8
byte-order mark, ``;`` or tab separators, decimal commas (``12,5``) and dates as ``DD.MM.YYYY``. A date between the
first and last one without any row counts as a closed day (no calls). Lines are numbered as an editor shows them:
the header is line 1. Every problem is reported (up to ``MAX_PROBLEMS``) with file, line and column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from sim.errors import CcsimError, Problem
from sim.scenario.files import UnreadableFile, read_bytes
from sim.units import DAY

MAX_HISTORY_BYTES = 200_000_000
MAX_PROBLEMS = 20
"""Problems listed in one message; the rest are counted."""
INTERVALS = (900.0, 1800.0, 3600.0)
REQUIRED = ("offered", "answered", "abandoned", "aht_s")
OPTIONAL = ("asa_s", "abandon_time_s", "service_level", "agents")
DATETIME_NAMES = ("datetime", "interval", "timestamp")
"""Names of a single date-time column, tried in order when there is no ``date`` + ``interval_start`` pair."""


class HistoryError(CcsimError):
    """A history file could not be read; holds every problem found (the CLI turns it into exit code 2)."""

    def __init__(self, problems: list[Problem]):
        self.problems = tuple(problems)
        shown = [str(p) for p in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
        super().__init__("\n".join(shown))


@dataclass(frozen=True)
class Series:
    """One call type's history; every array is [days, intervals of a day]. NaN: not in the file."""

    offered: np.ndarray
    answered: np.ndarray
    abandoned: np.ndarray
    handle_sum: np.ndarray  # aht_s x answered
    wait_answered_sum: np.ndarray  # asa_s x answered
    wait_abandoned_sum: np.ndarray  # abandon_time_s x abandoned
    service_level: np.ndarray
    agents: np.ndarray
    rows: int


@dataclass(frozen=True)
class History:
    """A whole history file: the days from ``first_date`` on, one Series per call type (file order)."""

    path: str
    interval: float
    first_date: date
    n_days: int
    columns: frozenset[str]  # the optional columns the file has
    series: dict[str, Series]

    @property
    def per_day(self) -> int:
        return int(DAY // self.interval)

    def weekdays(self) -> np.ndarray:
        """Weekday number (0 = Monday) of every day."""
        return (self.first_date.weekday() + np.arange(self.n_days)) % 7

    def dates(self) -> list[date]:
        return [self.first_date + timedelta(days=d) for d in range(self.n_days)]


@dataclass(frozen=True)
class Columns:
    """Which columns of the file hold what (indices); ``interval`` alone when it is a date-time column."""

    date: int | None
    interval: int
    call_type: int | None
    values: dict[str, int]


@dataclass(frozen=True)
class Row:
    line: int
    day: date
    start: float  # seconds after midnight
    call_type: str
    values: dict[str, float]  # NaN where the optional column is absent


def load_history(path: str, call_type_column: str = "call_type", interval_column: str | None = None,
                 date_column: str = "date") -> History:
    """Read, check and arrange a history file; HistoryError listing every problem otherwise."""
    text = _text(path)
    sep = _separator(text)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
        header = next(reader, [])
        columns = _columns(path, header, call_type_column, interval_column, date_column)
        problems: list[Problem] = []
        rows: list[Row] = []
        names = [h.strip().lower() for h in header]
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            row = _row(path, reader.line_num, cells, columns, names, sep, problems)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        raise HistoryError([Problem(path, "", None, f"not a readable CSV file: {exc}")]) from None
    raise_problems(path, bool(rows), problems)
    return _arrange(path, rows, frozenset(n for n in OPTIONAL if n in columns.values))


def raise_problems(path: str, has_rows: bool, problems: list[Problem]) -> None:
    """HistoryError with every problem found in ``path`` (a header without rows is one)."""
    if not has_rows and not problems:
        problems.append(Problem(path, "", 1, "the file has a header but no rows"))
    if problems:
        raise HistoryError(problems)


def _text(path: str) -> str:
    try:
        raw = read_bytes(path, MAX_HISTORY_BYTES, "history file")
    except UnreadableFile as exc:
        raise HistoryError([Problem(path, "", None, exc.reason)]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise HistoryError([Problem(path, "", line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the "
                                                    "file with the UTF-8 encoding")]) from None


def _separator(text: str) -> str:
    """The separator of the header line: the most frequent of ``;``, tab and ``,``."""
    header = text.split("\n", 1)[0]
    return max((";", "\t", ","), key=header.count)


def _columns(path: str, header: list[str], call_type_column: str, interval_column: str | None,
             date_column: str) -> Columns:
    names = [h.strip().lower() for h in header]
    index = {n: i for i, n in reversed(list(enumerate(names)))}
    missing = [n for n in REQUIRED if n not in index]
    if interval_column is not None:
        wanted = interval_column.strip().lower()
        interval = index.get(wanted)
        day = index.get(date_column.lower()) if wanted == "interval_start" else None
        if interval is None:
            missing.append(interval_column)
    elif "interval_start" in index and date_column.lower() in index:
        interval, day = index["interval_start"], index[date_column.lower()]
    else:
        found = [index[n] for n in DATETIME_NAMES if n in index]
        interval, day = (found[0] if found else None), None
        if interval is None:
            missing.append(f"'{date_column}' + 'interval_start' (or one date-time column: "
                           f"{', '.join(DATETIME_NAMES)})")
    if missing:
        shown = ", ".join(h.strip() for h in header) or "nothing"
        raise HistoryError([Problem(path, "", 1, f"the header lacks {', '.join(missing)} (found: {shown})")])
    assert interval is not None
    values = {n: index[n] for n in (*REQUIRED, *OPTIONAL) if n in index}
    return Columns(day, interval, index.get(call_type_column.strip().lower()), values)


def _row(path: str, line: int, cells: list[str], columns: Columns, names: list[str], sep: str,
         problems: list[Problem]) -> Row | None:
    """One data row, or None after adding its problems."""
    def cell(i: int) -> str:
        return cells[i].strip() if i < len(cells) else ""

    before = len(problems)

    def bad(column: int, message: str) -> None:
        problems.append(Problem(path, names[column], line, message))

    stamp = _when(cell(columns.date) if columns.date is not None else None, cell(columns.interval))
    if isinstance(stamp, str):
        bad(columns.interval if columns.date is None or "date" not in stamp else columns.date, stamp)
    values: dict[str, float] = dict.fromkeys(OPTIONAL, math.nan)
    for name, i in columns.values.items():
        text = cell(i)
        if not text and name in OPTIONAL:
            continue
        if not text and name == "aht_s":  # blank where nothing was answered (checked below)
            values[name] = 0.0
            continue
        number = _number(text, sep, percent=name == "service_level")
        if number is None or not math.isfinite(number) or number < 0:
            bad(i, f"must be a number >= 0 (got {text!r})")
        else:
            values[name] = number
    if len(problems) == before:
        for name in ("answered", "abandoned"):
            if values[name] > values["offered"] + 1e-9:
                bad(columns.values[name], f"{name} ({values[name]:g}) exceeds offered ({values['offered']:g})")
        if values["answered"] > 0 and values["aht_s"] <= 0:
            bad(columns.values["aht_s"], "must be > 0 where calls were answered")
        if values["service_level"] > 1 + 1e-9:
            bad(columns.values["service_level"], f"a share must be <= 1 (got {values['service_level']:g})")
    if len(problems) > before or isinstance(stamp, str):
        return None
    call_type = cell(columns.call_type) if columns.call_type is not None else "calls"
    if not call_type:
        problems.append(Problem(path, names[columns.call_type or 0], line, "is empty"))
        return None
    return Row(line, stamp[0], stamp[1], call_type, values)


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _when(day_text: str | None, time_text: str) -> tuple[date, float] | str:
    """(date, seconds after midnight), or what is wrong."""
    if day_text is None:
        parts = time_text.replace("T", " ").split()
        if len(parts) != 2:
            return f"expected a date and a time such as '2026-03-02 08:30' (got {time_text!r})"
        day_text, time_text = parts
    day = None
    for fmt in _DATE_FORMATS:
        try:
            day = datetime.strptime(day_text, fmt).date()
            break
        except ValueError:
            continue
    if day is None:
        return f"not a date as YYYY-MM-DD or DD.MM.YYYY (got {day_text!r})"
    match = _TIME.match(time_text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return f"not a clock time HH:MM (got {time_text!r})"
    return day, int(match.group(1)) * 3600.0 + int(match.group(2)) * 60.0 + int(match.group(3) or 0)


def _number(text: str, sep: str, percent: bool = False) -> float | None:
    """A number as exports write it: ``12.5``, or with a decimal comma where ``,`` is not the separator."""
    scale = 1.0
    if percent and text.endswith("%"):
        text, scale = text[:-1].strip(), 0.01
    if sep != "," and "," in text:
        text = text.replace(".", "").replace(",", ".") if "." in text else text.replace(",", ".")
    try:
        value = float(text) * scale
    except ValueError:
        return None
    return value / 100.0 if percent and scale == 1.0 and value > 1.0 else value


def _interval(path: str, rows: list[Row]) -> float:
    """The interval length: the shortest step between rows of one day and call type; all steps of a day agree."""
    starts: dict[tuple[date, str], list[Row]] = {}
    for r in rows:
        starts.setdefault((r.day, r.call_type), []).append(r)
    seen: dict[float, Row] = {}
    for group in starts.values():
        ordered = sorted(group, key=lambda r: r.start)
        steps = [b.start - a.start for a, b in zip(ordered, ordered[1:], strict=False) if b.start > a.start]
        if steps:
            seen.setdefault(min(steps), ordered[0])
    if not seen:
        return INTERVALS[1] if all(r.start % INTERVALS[1] == 0 for r in rows) else INTERVALS[0]
    if len(seen) > 1:
        found = "; ".join(f"{s / 60:g} min (from line {r.line}, {r.day})" for s, r in sorted(seen.items()))
        raise HistoryError([Problem(path, "", None, f"mixes interval lengths: {found}; export one length")])
    step = next(iter(seen))
    if step not in INTERVALS:
        raise HistoryError([Problem(path, "", seen[step].line, f"intervals of {step / 60:g} min; ccsim reads "
                                                               "15-, 30- or 60-minute intervals")])
    return step


def _arrange(path: str, rows: list[Row], columns: frozenset[str]) -> History:
    interval = _interval(path, rows)
    problems: list[Problem] = []
    seen: dict[tuple[date, float, str], int] = {}
    for r in rows:
        key = (r.day, r.start, r.call_type)
        if r.start % interval:
            problems.append(Problem(path, "", r.line, f"interval start {r.start / 3600:g}h is not on the "
                                                      f"{interval / 60:g}-minute grid"))
        elif key in seen:
            problems.append(Problem(path, "", r.line, f"repeats the interval of line {seen[key]}"))
        seen.setdefault(key, r.line)
    if problems:
        raise HistoryError(problems)
    first = min(r.day for r in rows)
    n_days = (max(r.day for r in rows) - first).days + 1
    per_day = int(DAY // interval)
    names = list(dict.fromkeys(r.call_type for r in rows))
    series = {}
    for name in names:
        mine = [r for r in rows if r.call_type == name]
        cols = {k: np.zeros((n_days, per_day)) for k in ("offered", "answered", "abandoned", "handle_sum")}
        cols |= {k: np.full((n_days, per_day), np.nan)
                 for k in ("wait_answered_sum", "wait_abandoned_sum", "service_level", "agents")}
        for r in mine:
            at = ((r.day - first).days, int(r.start // interval))
            v = r.values
            for k in ("offered", "answered", "abandoned"):
                cols[k][at] = v[k]
            cols["handle_sum"][at] = v["aht_s"] * v["answered"]
            cols["wait_answered_sum"][at] = v["asa_s"] * v["answered"]
            cols["wait_abandoned_sum"][at] = v["abandon_time_s"] * v["abandoned"]
            cols["service_level"][at] = v["service_level"]
            cols["agents"][at] = v["agents"]
        series[name] = Series(**cols, rows=len(mine))
    return History(path, interval, first, n_days, columns, series)
