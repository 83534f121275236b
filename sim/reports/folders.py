"""Results folders on disk: written whole or not at all, and never over files that ccsim did not write.

A folder is staged beside its target (``.tmp-<name>-<pid>-<token>``) and renamed into place when complete, so an
interrupted run leaves no half-written results. An existing target is replaced only if it is empty or a folder
ccsim wrote: its ``run.json`` says so and lists every file written (``written_files``), and nothing else is in it. Any
other target (a folder of the user's, a file, a FIFO, the working folder or one above it) is refused with a
message. Staging folders left by a process that died (SIGKILL, power loss) are removed by the next write beside
them. Folders are created with the user's umask, like any other tool's.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import CcsimError

MARKER = "run.json"
"""Every folder ccsim writes holds this file; ``written_by`` and ``written_files`` in it identify the folder."""
WRITTEN_BY = "ccsim"
LISTED = "written_files"
"""The key of run.json listing every file of the folder (relative paths)."""
_NAME_CHARS = 40
"""Characters of the target's name kept in staging names (a name of 255 bytes must still leave room)."""
_STAGING = re.compile(r"^\.(tmp|old)-.*-(\d+)-[0-9a-f]{8}$")
_MAX_MARKER_BYTES = 10_000_000


class FolderError(CcsimError):
    """A results folder cannot be written where it was asked for (the CLI turns it into exit code 2)."""


@dataclass
class Staged:
    """A folder being written: ``path`` is where to write; after the write, ``replaced`` is the ``finished_at``
    of the results it replaced ("" if unknown, None if the target did not exist or was empty)."""

    path: Path
    target: Path
    replaced: str | None = None


def _read_marker(folder: Path) -> dict[str, Any] | None:
    """The run.json of a folder if ccsim wrote it, else None."""
    marker = folder / MARKER
    try:
        if marker.is_symlink() or not marker.is_file() or marker.stat().st_size > _MAX_MARKER_BYTES:
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    versions = data.get("versions")
    if data.get("written_by") == WRITTEN_BY or (isinstance(versions, dict) and WRITTEN_BY in versions):
        return data
    return None


def _entries(folder: Path) -> list[str]:
    """Every file and folder below ``folder``, as relative POSIX paths, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _foreign(folder: Path, marker: dict[str, Any]) -> list[str]:
    """Entries of a ccsim folder that its run.json does not list (none for folders of versions without a list)."""
    listed = marker.get(LISTED)
    if not isinstance(listed, list):
        return []
    known = {str(f) for f in listed} | {MARKER}
    known |= {"/".join(p.split("/")[:k]) for p in known for k in range(1, p.count("/") + 1)}  # their folders
    return [e for e in _entries(folder) if e not in known]


def check_target(target: Path) -> dict[str, Any] | None:
    """Raise FolderError unless ``target`` may be (re)placed by a results folder; return the run.json of the
    results it would replace (None if there are none)."""
    resolved, here = target.resolve(), Path.cwd().resolve()
    if resolved == here or resolved in here.parents:
        raise FolderError(f"{target}: is the working folder or one above it; results go into a folder of their "
                          "own (e.g. --out results/mine)")
    if target.is_symlink():
        raise FolderError(f"{target}: is a symbolic link; give the folder itself")
    if not target.exists():
        if target.parent.exists() and not target.parent.is_dir():
            raise FolderError(f"{target}: {target.parent} is not a folder")
        return None
    if not target.is_dir():
        raise FolderError(f"{target}: exists and is not a folder; ccsim writes results into a folder of their own")
    entries = _entries(target)
    if not entries:
        return None
    marker = _read_marker(target)
    if marker is None:
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise FolderError(f"{target}: is not a results folder written by ccsim (it holds {shown}); refusing to "
                          "replace it: choose another --out, or an empty or new folder")
    foreign = _foreign(target, marker)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise FolderError(f"{target}: holds files that ccsim did not write ({shown}); refusing to replace it: "
                          "move them away, or choose another --out")
    return marker


def record_files(folder: Path) -> None:
    """Write the list of files in ``folder`` into its run.json (atomically), so that a later write may replace
    exactly these."""
    marker = folder / MARKER
    data = json.loads(marker.read_text(encoding="utf-8"))
    data["written_by"] = WRITTEN_BY
    data[LISTED] = [e for e in _entries(folder) if (folder / e).is_file() and e != MARKER]
    write_atomic(marker, (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a temporary file beside it (mode from the umask, unlike mkstemp's
    0600), then a rename over it."""
    tmp = path.with_name(f".{path.name[:_NAME_CHARS]}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's
        return True
    return True


def remove_stale(parent: Path) -> None:
    """Remove staging folders beside results that belong to processes no longer running."""
    try:
        children = list(parent.iterdir())
    except OSError:
        return
    for child in children:
        match = _STAGING.match(child.name)
        if match and int(match.group(2)) != os.getpid() and not _alive(int(match.group(2))) and child.is_dir() \
                and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)


def _staging_name(kind: str, target: Path) -> Path:
    return target.with_name(f".{kind}-{target.name[:_NAME_CHARS]}-{os.getpid()}-{secrets.token_hex(4)}")


@contextmanager
def staged_folder(target: str | Path) -> Iterator[Staged]:
    """Yield a staging folder for ``target``; on a clean exit it replaces ``target`` whole, on an exception it
    is removed (with the folders above it that were made for it) and ``target`` is untouched. The folder must
    hold a run.json when the block ends."""
    target = Path(target)
    old = check_target(target)
    made = [p for p in (target.parent, *target.parent.parents) if not p.exists()]  # innermost first
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FolderError(f"{target}: cannot create {target.parent}: {exc.strerror}") from None
    remove_stale(target.parent)
    staged = Staged(_staging_name("tmp", target), target)
    try:
        staged.path.mkdir()  # mode 0777 less the umask (tempfile.mkdtemp would give 0700)
    except OSError as exc:
        raise FolderError(f"{target}: cannot write in {target.parent}: {exc.strerror}") from None
    try:
        yield staged
        record_files(staged.path)
        check_target(target)  # again: the target may have changed during a long run
        _replace(staged.path, target)
    except BaseException:
        shutil.rmtree(staged.path, ignore_errors=True)
        for folder in made:
            try:
                folder.rmdir()
            except OSError:  # no longer empty: another process writes there too
                break
        raise
    if old is not None:
        staged.replaced = str(old.get("finished_at", ""))


def _replace(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is, replacing an older results folder with (almost) no window."""
    old = None
    if target.exists():
        old = _staging_name("old", target)
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
