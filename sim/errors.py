"""Errors a person can act on: every problem names the file, the line and the key path."""

from __future__ import annotations

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
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(CcsimError):
    """A scenario file could not be read or validated; holds every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class TraceError(CcsimError):
    """An arrival trace file could not be read."""
