"""Read YAML safely and remember the line of every key, so errors can point into the file."""

from __future__ import annotations

from typing import Any

import yaml

from sim.errors import Problem

Path = tuple[str | int, ...]


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int], file: str, problems: list[Problem]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child = (*path, key)
            if key in seen:
                problems.append(Problem(file, format_path(child), key_node.start_mark.line + 1,
                                        "duplicate key (the second one would silently win)"))
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, file, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, file, problems)


def load_yaml(text: str, file: str) -> tuple[Any, dict[Path, int], list[Problem]]:
    """Parse ``text`` with the safe loader; return the data, the line of each key path and any problems."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, {}, [Problem(file, "", line, f"YAML syntax error: {reason}")]
    lines: dict[Path, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), lines, file, problems)
    return data, lines, problems


def format_path(path: Path) -> str:
    """('clients', 'acme', 'shifts', 0, 'end') -> 'clients.acme.shifts[0].end'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path`` or of its nearest ancestor present in the file."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
