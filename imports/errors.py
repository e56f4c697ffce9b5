"""What goes wrong in an extract, said so an operations person can find and fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractError:
    """One problem: ``file:line: column: reason``; line and column are left out when the problem
    concerns a whole file (``clients.csv: missing required columns: …``) or a whole row."""

    file: str
    line: int | None = None
    column: str | None = None
    reason: str = ""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"


class Invalid(ValueError):
    """Raised by a column parser: the value cannot be used, and ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class FileProblem(Exception):
    """A file cannot be read at all (encoding, empty, broken CSV quoting)."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line
