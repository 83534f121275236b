"""Per-leg records of a replication as a gzip CSV (``ccsim run --records``): ``records/replication_NN.csv.gz``.

One row per record, in record order (fresh calls in arrival order, then the calls and legs born during the run):
every call, warm-up included. Times are seconds since the run start, written as ``repr`` of the float (read back
bit for bit); NaN (never happened) is an empty cell, an endless patience ``inf``. The gzip header holds no name
and no time, so the same run writes the same bytes, sequential or parallel.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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

    def path(self, replication: int) -> Path:
        return self.folder / FOLDER / f"replication_{replication + 1:0{max(2, len(str(self.replications)))}d}.csv.gz"

    def __call__(self, replication: int, records: Records, layout: Layout) -> None:
        path = self.path(replication)
        path.parent.mkdir(exist_ok=True)
        write_records(path, records, layout)


def write_records(path: Path, records: Records, layout: Layout) -> None:
    """The records of one replication as a gzip CSV at ``path`` (which must not exist)."""
    with open(path, "xb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                 compresslevel=LEVEL) as zipped, \
            io.TextIOWrapper(zipped, encoding="utf-8", newline="") as text:
        writer = csv.writer(text)
        writer.writerow(COLUMNS)
        contact = contacts(records.callers.repeat_of)
        for lo in range(0, len(records.outcome), CHUNK):
            writer.writerows(zip(*_cells(records.block(lo, lo + CHUNK), contact[lo:lo + CHUNK], lo, layout),
                                 strict=True))


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
    yield [str(i) if i >= 0 else "" for i in c.repeat_of.tolist()]
    yield _names(layout.type_names, c.call_type)
    yield _names(layout.client_names, np.asarray(layout.type_client, dtype=np.int64)[c.call_type])
    yield _floats(c.arrival_at)
    yield _floats(part.queue_at)
    yield _floats(part.start_at)
    yield _floats(part.end_at)
    yield _names(OUTCOMES, part.outcome)
    yield _names(layout.group_names, group)
    yield [str(a) if a >= 0 else "" for a in part.agent.tolist()]
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


def _names(names: Sequence[str], index: np.ndarray) -> list[str]:
    """``names[i]`` per index; -1 gives an empty cell."""
    return np.asarray([*names, ""], dtype=object)[index].tolist()  # type: ignore[no-any-return]


def _floats(values: np.ndarray) -> list[str]:
    """Shortest text that reads back as the same float; NaN empty."""
    cells = list(map(repr, np.asarray(values, dtype=np.float64).tolist()))
    for i in np.flatnonzero(np.isnan(values)).tolist():
        cells[i] = ""
    return cells
