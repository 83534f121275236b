"""Errors a person can act on: every problem names the file, the line and the key path."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


class CcsimError(Exception):
    """Base class of every error ccsim reports to a user (the CLI turns it into exit code 2)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return printable(text)


class ValueAtKey(ValueError):
    """A model-level rule broken by one key of the model: raised in a validator, it makes the loader point the
    message (key path and line) at that key instead of at the whole mapping.

    ``raise ValueAtKey("end", "shift ends before it starts")`` inside ``Shift``'s validator is reported as
    ``x.yaml:12 agent_groups.day.shifts[0].end: shift ends before it starts``.
    """

    def __init__(self, key: str | int, message: str):
        self.key = key
        super().__init__(message)


class ScenarioError(CcsimError):
    """A scenario file could not be read or validated; holds every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class TraceError(CcsimError):
    """An arrival trace file could not be read."""


def printable(text: str) -> str:
    """``text`` with unprintable characters escaped (a form feed as \\x0c), so that a message stays on one line
    even where it quotes a key or value of the file."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shown(value: object) -> str:
    """A value as a message shows it after "got": 'nothing', 'true', 'a mapping', 'a list', or its repr."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text):,} characters)"


def suggest(word: str, options: Iterable[str]) -> str | None:
    """The option ``word`` most likely meant: same but for case, a prefix ('monday'), a near miss, or the only
    option sharing a word with it ('by_calls' -> 'handled_calls')."""
    lower = {o.lower(): o for o in options}
    if word.lower() in lower:
        return lower[word.lower()]
    prefixed = [o for o in lower.values() if len(o) >= 3 and word.lower().startswith(o.lower())]
    if prefixed:
        return max(prefixed, key=len)
    close = difflib.get_close_matches(word.lower(), list(lower), n=1, cutoff=0.6)
    if close:
        return lower[close[0]]
    parts = set(word.lower().replace("-", "_").split("_")) - {""}  # 'by_calls' -> 'handled_calls'
    shared = [o for o in lower.values() if len(parts & set(o.lower().split("_"))) == 1]
    return shared[0] if len(shared) == 1 else None


def did_you_mean(word: str, options: Iterable[str], sep: str = " (") -> str:
    """" (did you mean 'x'?)" for the closest option, or ""; with another ``sep`` no parentheses are added."""
    close = suggest(word, options)
    if close is None:
        return ""
    return f" (did you mean '{close}'?)" if sep == " (" else f"{sep}did you mean '{close}'?"
