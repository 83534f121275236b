"""``extends: other.yaml``: a scenario as a few keys changed on top of another file.

The parent (a path relative to the extending file) is loaded first; the child's mappings are merged into it key by
key, any other value replaces the parent's, and ``null`` removes a key. Chains are allowed, cycles are not.
Every key remembers the file it came from, so errors point into the right file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path as FsPath
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario.files import UnreadableFile, beside
from sim.scenario.yamlmap import Path, holds, load_yaml

Reader = Callable[[FsPath], str]
"""Reads a scenario file's text, raising UnreadableFile (or ScenarioError for a problem inside the file)."""
MAX_CHAIN = 20
"""At most this many files extend each other in a chain."""


def merge(parent: Any, child: Any) -> Any:
    """``child`` laid over ``parent``: mappings merge recursively, ``None`` deletes, other values replace."""
    if not isinstance(parent, dict) or not isinstance(child, dict):
        return child
    out = dict(parent)
    for key, value in child.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge(parent.get(key), value)
    return out


def load_chain(text: str, file: str, base_dir: FsPath, read: Reader, prepare: Callable[[Any, FsPath], None],
               seen: tuple[FsPath, ...] = ()) -> tuple[Any, dict[Path, int], dict[Path, str], list[Problem]]:
    """Load ``text`` and the files it extends; return merged data, the line and the file of every key path,
    and the problems found. ``prepare(data, folder)`` is applied to each file's own data before merging (e.g. to
    resolve relative paths against the folder of the file that names them)."""
    data, lines, problems = load_yaml(text, file)
    if isinstance(data, dict):
        prepare(data, base_dir)
    origins: dict[Path, str] = {path: file for path in lines}
    if not isinstance(data, dict) or "extends" not in data:
        return data, lines, origins, problems
    target = data.pop("extends")

    def refuse(message: str) -> tuple[Any, dict[Path, int], dict[Path, str], list[Problem]]:
        """Without its parent the file cannot be checked further: only this problem (and the file's own)."""
        return None, lines, origins, [*problems, Problem(file, "extends", lines.get(("extends",)), message)]

    if not isinstance(target, str):
        return refuse("must be the path of another scenario file")
    parent_path = beside(base_dir, target)
    if parent_path in seen:
        return refuse(f"extends itself through {target} (a cycle)")
    if len(set(seen)) > MAX_CHAIN:
        return refuse(f"a chain of more than {MAX_CHAIN} files extending each other; flatten it")
    try:
        parent_text = read(parent_path)
    except UnreadableFile as exc:
        return refuse(f"cannot read {exc}")
    except ScenarioError as exc:  # not UTF-8: the problem lies in the parent file
        return None, lines, origins, [*problems, *exc.problems]
    p_data, p_lines, p_origins, p_problems = load_chain(parent_text, str(parent_path), parent_path.parent, read,
                                                         prepare, (*seen, beside(FsPath.cwd(), file), parent_path))
    if not isinstance(p_data, dict):
        if p_problems:
            return None, lines, origins, [*problems, *p_problems]
        return refuse(f"{parent_path} {holds(p_data)}; it must be a scenario (a mapping of keys)")
    p_data.pop("name", None)  # the extending file names itself (or takes its file name)
    merged_lines = {**p_lines, **lines}
    merged_origins = {**p_origins, **origins}
    return merge(p_data, data), merged_lines, merged_origins, [*p_problems, *problems]
