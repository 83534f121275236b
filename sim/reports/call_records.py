"""Per-leg records of a replication as a gzip CSV (``ccsim run --records``): ``records/replication_NN.csv.gz``,
and, for the channels the scenario has, ``records/attempts_NN.csv.gz`` (outbound attempts),
``records/work_items_NN.csv.gz`` and ``records/chats_NN.csv.gz``.

Calls: one row per record, in record order (fresh calls in arrival order, then the calls and legs born during the
run): every call, warm-up included. The other channels: one row per entry of ``Records.attempts``, ``items``,
``chats`` in their order, a column per field (``CHANNEL_COLUMNS``). Times are seconds since the run start, written
as ``repr`` of the float (read back bit for bit); NaN (never happened) is an empty cell, an endless patience
``inf``; an index without a name (a group or agent of -1) is an empty cell, a flag ``0``/``1``. The gzip header
holds no name and no time, so the same run writes the same bytes, sequential or parallel.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from sim.engine import dialer
from sim.engine.backoffice import Items
from sim.engine.chat import Chats
from sim.engine.dialer import Attempts
from sim.engine.layout import Layout
from sim.engine.overflow import REASONS
from sim.engine.records import OUTCOMES, Records
from sim.engine.repeats import KINDS

FOLDER = "records"
"""Where the files go inside a results folder."""
COLUMNS = ("record", "contact", "kind", "origin", "call_type", "client", "arrival_at", "queue_at", "start_at",
           "end_at", "outcome", "group", "agent", "site", "overflow_reason", "seized_at", "wait", "talk_time",
           "wrap_up_time", "patience", "transferred")
"""``record``: its index; ``contact``: the fresh call its chain of repeats, redials and legs started from;
``origin``: the record it repeats, redials or continues (empty for a fresh call); ``start_at``: an agent took
it; ``agent``: id of the agent who took it (or was reserved for it), empty if none; ``seized_at``: a partner
agent was reserved for its transfer; ``talk_time`` and ``wrap_up_time`` at handle-time factor 1;
``transferred``: 1 if passed on to another queue (a TRANSFER leg follows)."""
CHANNEL_FILES = {"attempts": "attempts", "items": "work_items", "chats": "chats"}
"""The ``Records`` field of each channel beside calls -> the name its files start with."""
CHANNEL_COLUMNS = {name: tuple(f.name for f in fields(table) if f.name != "busy")
                   for name, table in (("attempts", Attempts), ("items", Items), ("chats", Chats))}
"""Per channel: its columns, the fields of its class (``Chats.busy``, spans of agents and not one per chat, is
left out). Indexes of campaigns, work types, chat types, groups and attempt outcomes are written as names."""
CHUNK = 1 << 14
"""Rows formatted at a time: bounds the text held at once (measured: about 13 MB)."""
LEVEL = 1
"""gzip compression level: files 8 % larger than at the default 9, written in less than half the time."""


@dataclass(frozen=True)
class RecordsWriter:
    """Writes each replication's records into ``folder``/records/ (picklable: it runs in the worker that
    simulated them); files are numbered from 1, padded to the width of ``replications`` (at least 2 digits)."""

    folder: Path
    replications: int

    def path(self, replication: int, name: str = "replication") -> Path:
        """The file of ``replication`` (from 0) whose name starts with ``name`` (a ``CHANNEL_FILES`` value for
        the channels beside calls)."""
        return self.folder / FOLDER / f"{name}_{replication + 1:0{max(2, len(str(self.replications)))}d}.csv.gz"

    def __call__(self, replication: int, records: Records, layout: Layout) -> None:
        path = self.path(replication)
        path.parent.mkdir(exist_ok=True)
        write_records(path, records, layout)
        for channel, name in CHANNEL_FILES.items():
            if getattr(records, channel) is not None:
                write_channel(self.path(replication, name), records, channel, layout)


def write_records(path: Path, records: Records, layout: Layout) -> None:
    """The call records of one replication as a gzip CSV at ``path`` (which must not exist)."""
    contact = contacts(records.callers.repeat_of)
    write_table(path, COLUMNS, len(records.outcome),
                lambda lo, hi: _cells(records.block(lo, hi), contact[lo:hi], lo, layout))


def write_channel(path: Path, records: Records, channel: str, layout: Layout) -> None:
    """The entries of one channel beside calls (a ``CHANNEL_FILES`` key) as a gzip CSV at ``path`` (which must
    not exist)."""
    table = getattr(records, channel)
    s = layout.scenario
    names: Mapping[str, Sequence[str]] = {
        "campaign": list(s.campaigns or {}), "work": list(s.work or {}), "chat": list(s.chats or {}),
        "group": layout.group_names, "outcome": dialer.ATTEMPT_OUTCOMES}
    columns = CHANNEL_COLUMNS[channel]

    def cells(lo: int, hi: int) -> Iterator[list[str]]:
        for column in columns:
            values = getattr(table, column)[lo:hi]
            if column in names:
                yield _names(names[column], values)
            elif column == "agent":
                yield _ids(values)
            elif values.dtype.kind == "f":
                yield _floats(values)
            else:
                yield _ints(values.astype(np.int64))  # a flag as 0/1

    write_table(path, columns, len(table), cells)


def write_table(path: Path, columns: Sequence[str], rows: int,
                cells: Callable[[int, int], Iterable[list[Any]]]) -> None:
    """A gzip CSV at ``path`` (which must not exist): a header of ``columns``, then ``rows`` rows formatted
    ``CHUNK`` at a time, ``cells(lo, hi)`` giving the cells of rows ``lo`` to ``hi`` column by column."""
    with open(path, "xb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                 compresslevel=LEVEL) as zipped, \
            io.TextIOWrapper(zipped, encoding="utf-8", newline="") as text:
        writer = csv.writer(text)
        writer.writerow(columns)
        for lo in range(0, rows, CHUNK):
            writer.writerows(zip(*cells(lo, min(lo + CHUNK, rows)), strict=True))


def contacts(origin: np.ndarray) -> np.ndarray:
    """Per record: the first record of its chain (itself for a fresh call); an origin always comes earlier."""
    root = np.where(origin < 0, np.arange(len(origin)), origin)
    while True:  # pointer jumping: a chain of length k takes log2(k) steps
        up = root[root]
        if np.array_equal(up, root):
            return root
        root = up


def _cells(part: Records, contact: np.ndarray, lo: int, layout: Layout) -> Iterator[list[str]]:
    """The cells of each column of a block of records starting at record ``lo``."""
    c = part.callers
    site_of_group = np.asarray(layout.group_site, dtype=np.int64)
    group = part.group.astype(np.int64)
    yield _ints(np.arange(lo, lo + len(part.outcome)))
    yield _ints(contact)
    yield _names(KINDS, c.repeat_kind)
    yield _ids(c.repeat_of)
    yield _names(layout.type_names, c.call_type)
    yield _names(layout.client_names, np.asarray(layout.type_client, dtype=np.int64)[c.call_type])
    yield _floats(c.arrival_at)
    yield _floats(part.queue_at)
    yield _floats(part.start_at)
    yield _floats(part.end_at)
    yield _names(OUTCOMES, part.outcome)
    yield _names(layout.group_names, group)
    yield _ids(part.agent)
    yield _names(layout.site_names, np.where(group >= 0, site_of_group[np.maximum(group, 0)], -1))
    yield _names(REASONS, part.overflow)
    yield _floats(part.seized_at)
    yield _floats(part.wait)
    yield _floats(c.talk_time)
    yield _floats(c.wrap_up_time)
    yield _floats(c.patience)
    yield _ints(part.transferred.astype(np.int8))


def _ints(values: np.ndarray) -> list[str]:
    return list(map(str, values.tolist()))


def _ids(values: np.ndarray) -> list[str]:
    """An index per row; -1 (none) gives an empty cell."""
    return [str(i) if i >= 0 else "" for i in values.tolist()]


def _names(names: Sequence[str], index: np.ndarray) -> list[str]:
    """``names[i]`` per index; an index without a name (-1: none) gives an empty cell."""
    index = np.asarray(index, dtype=np.int64)
    known = np.where((index >= 0) & (index < len(names)), index, len(names))
    return np.asarray([*names, ""], dtype=object)[known].tolist()  # type: ignore[no-any-return]


def _floats(values: np.ndarray) -> list[str]:
    """Shortest text that reads back as the same float; NaN empty."""
    cells = list(map(repr, np.asarray(values, dtype=np.float64).tolist()))
    for i in np.flatnonzero(np.isnan(values)).tolist():
        cells[i] = ""
    return cells
