"""Reading the files a user names (scenarios, their ``extends`` targets, arrival traces). Pure.

Only regular files are read, and only up to a size cap: a device (``/dev/zero``) would fill the memory, a named
pipe would block forever, and a file of gigabytes is a mistake rather than a scenario.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sim.errors import CcsimError

MAX_SCENARIO_BYTES = 20 * 2**20
"""A scenario file (or a file it extends) may hold at most 20 MiB; real ones hold a few kB."""
MAX_TRACE_BYTES = 256 * 2**20
"""An arrival trace may hold at most 256 MiB: about 10 million calls of 25 bytes a row."""


class UnreadableFile(CcsimError):
    """A named file cannot be read; ``reason`` says why in a few words ("file not found")."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path = str(path)
        self.reason = reason
        shown = self.path if self.path.isprintable() else repr(self.path)
        super().__init__(f"{shown}: {reason}")


def read_bytes(path: str | os.PathLike[str], limit: int, kind: str = "file") -> bytes:
    """The bytes of the regular file ``path`` of at most ``limit`` bytes; ``kind`` ("trace file") names it in
    messages. Raises UnreadableFile."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise UnreadableFile(path, "file not found") from None
    except IsADirectoryError:
        raise UnreadableFile(path, f"is a folder, not a {kind}") from None
    except OSError as exc:
        raise UnreadableFile(path, _reason(exc)) from None
    except ValueError as exc:  # a NUL byte, or a character the file system cannot encode
        raise UnreadableFile(path, f"the path contains a character no file name may contain ({exc})") from None
    try:
        return _read_open(fd, path, limit, kind)
    except OSError as exc:  # e.g. /proc/self/mem: a regular file that refuses to be read
        raise UnreadableFile(path, _reason(exc)) from None
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    """'permission denied', 'input/output error': the system's reason, as the end of a sentence."""
    reason = exc.strerror or str(exc)
    return reason[:1].lower() + reason[1:]


def _read_open(fd: int, path: str | os.PathLike[str], limit: int, kind: str) -> bytes:
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableFile(path, f"is a folder, not a {kind}")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(path, "not a regular file (a device, a pipe or a socket)")
    data = b""
    while info.st_size <= limit and len(data) <= limit and (chunk := os.read(fd, limit + 1 - len(data))):
        data += chunk
    if info.st_size > limit or len(data) > limit:
        raise UnreadableFile(path, f"too large ({max(info.st_size, len(data)):,} bytes; at most {limit:,})")
    return data


def beside(folder: Path, name: str) -> Path:
    """``name`` read relative to ``folder`` (an absolute ``name`` stays as it is), normalised without touching the
    file system, so that any path, even one with a NUL byte, can be shown in a message."""
    return Path(os.path.normpath(os.path.join(folder, name)))
