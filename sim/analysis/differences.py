"""What differs between scenarios: the key paths of their (merged) data whose values are not the same in all of
them, with each scenario's value as short text, for the "What differs" table of a comparison report.

Pure: it works on plain nested dicts (e.g. ``Scenario.model_dump(mode="json")``, after ``extends``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SKIPPED = ("name", "description")
"""Top-level keys that always differ and say nothing about the assumptions."""
MISSING = "-"
"""Shown for a key a scenario does not have (or has as null)."""
WIDTH = 60
"""Longest value text shown; longer values are cut with an ellipsis."""


@dataclass(frozen=True)
class Difference:
    """One key path (dotted, as in error messages, e.g. ``sites.bpo_day.contract.per_minute``) and its value in
    each scenario, as short text."""

    path: str
    values: tuple[str, ...]


def compact(value: Any, width: int = WIDTH) -> str:
    """A value as one short line: numbers and text as they are, lists and dicts as compact JSON, cut at
    ``width`` characters."""
    if value is None:
        return MISSING
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool | int | float):
        text = json.dumps(value)
    else:
        text = json.dumps(_without_nulls(value), separators=(", ", ": "), ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def _without_nulls(value: Any) -> Any:
    """Dicts without their null entries (unset options), all the way down, so compact text shows what is set."""
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_without_nulls(v) for v in value]
    return value


def _walk(path: str, values: Sequence[Any], out: list[tuple[str, tuple[Any, ...]]]) -> None:
    """Descend into dicts (while at least two scenarios have one there and none has a plain value); elsewhere
    record the path if the values differ."""
    present = [v for v in values if v is not None]
    if len(present) >= 2 and all(isinstance(v, Mapping) for v in present):
        for key in dict.fromkeys(k for v in present for k in v):
            _walk(f"{path}.{key}" if path else str(key), [None if v is None else v.get(key) for v in values], out)
    elif any(v != values[0] for v in values[1:]):
        out.append((path, tuple(values)))


def differences(scenarios: Sequence[Mapping[str, Any]], width: int = WIDTH) -> list[Difference]:
    """The key paths whose values differ between ``scenarios`` (in first-seen key order), each with every
    scenario's value as text. Nested dicts are followed while at least two scenarios have one there (a missing key
    or null counts as missing); lists, and a dict only one scenario has, are compared whole and shown compactly;
    ``name`` and ``description`` are skipped."""
    found: list[tuple[str, tuple[Any, ...]]] = []
    _walk("", [{k: v for k, v in s.items() if k not in SKIPPED} for s in scenarios], found)
    return [Difference(path, tuple(compact(v, width) for v in values)) for path, values in found]
