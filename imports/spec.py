"""The declaration of a kind of extract file, and the validation that applies it.

A ``FileSpec`` says everything the importer needs to know about, say, ``clients.csv``:
its columns and their parsers, its key, the other files (or tables) its columns refer to, the
checks across columns or against the database, and the function that writes it. Validation is
the same for every kind:

1. the header has every required column;
2. each column is parsed as a whole (``columns.parse_column``);
3. the key is unique within the file;
4. ``row_checks`` — rules across the columns of one row, pure Python;
5. references — a value must be a key of the referenced file or already be in the database;
6. ``checks`` — whatever needs the database or the other files (run in the import transaction).

Every problem becomes an ``ExtractError`` tied to the row's physical line; validation never
stops at the first one.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models

from core.bulk.writes import existing_values
from imports.columns import Column, parse_column
from imports.errors import ExtractError
from imports.reader import Table

if TYPE_CHECKING:
    from imports.service import FileReport, Progress

# (row index, column, reason)
Problem = tuple[int, str | None, str]
RowCheck = Callable[["ParsedFile"], Iterable[Problem]]
Check = Callable[["ParsedFile", "Context"], Iterable[Problem]]


@dataclass
class Written:
    """What a loader did with a file's rows."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0  # append-only rows that were already there
    details: dict[str, int] = field(default_factory=dict)  # e.g. assignments opened / ended


Loader = Callable[["ParsedFile", "Context"], Written]


@dataclass(frozen=True)
class Reference:
    """``column`` holds a key of ``target`` (another file of the folder), or of ``model.field``
    in the database. ``kind``: the referenced row's ``kind`` must be this (used for org units:
    a client's branch must be a branch); the file wins over the database when both have the key."""

    column: str
    target: str
    model: type[models.Model]
    field: str
    noun: str
    kind: str | None = None


@dataclass(frozen=True)
class FileSpec:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    load: Loader
    references: tuple[Reference, ...] = ()
    row_checks: tuple[RowCheck, ...] = ()
    checks: tuple[Check, ...] = ()


@dataclass
class Context:
    """What validation and loading share across the files of one import."""

    today: datetime.date
    actor: Any = None
    files: dict[str, ParsedFile] = field(default_factory=dict)
    progress: Progress | None = None
    unreadable: set[str] = field(default_factory=set)  # files of the folder that could not be read

    def advance(self, parsed: ParsedFile, rows: int) -> None:
        if self.progress is not None and rows:
            self.progress.advance(parsed.report, rows)


@dataclass
class ParsedFile:
    """A file after parsing: typed columns (None where a value failed), the rows with problems
    and the problems themselves."""

    spec: FileSpec
    table: Table
    report: FileReport
    values: dict[str, list[Any]] = field(default_factory=dict)
    bad_rows: set[int] = field(default_factory=set)
    errors: list[ExtractError] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    def __len__(self) -> int:
        return len(self.table)

    @property
    def lines(self) -> list[int]:
        return self.table.lines

    def has(self, column: str) -> bool:
        """Whether the file carries ``column``. An optional column it leaves out reads as blanks
        for the checks, but a loader must not write those blanks over what is stored."""
        return column in self.table.columns

    def problem(self, index: int, column: str | None, reason: str) -> None:
        self.bad_rows.add(index)
        self.errors.append(ExtractError(self.name, self.lines[index], column, reason))

    def key(self, index: int) -> tuple:
        return tuple(self.values[column][index] for column in self.spec.key)

    def keys(self) -> dict[tuple, int]:
        """Key → row index of its first occurrence, for rows whose key parsed."""
        found: dict[tuple, int] = {}
        for index in range(len(self)):
            key = self.key(index)
            if None not in key:
                found.setdefault(key, index)
        return found

    def rows(self, *columns: str) -> Iterable[tuple]:
        """``(index, value, value …)`` for every row, as tuples, for quick loops."""
        return zip(range(len(self)), *(self.values[column] for column in columns), strict=True)


def parse_file(spec: FileSpec, table: Table, report: FileReport) -> ParsedFile:
    """Steps 1–4 above; no database access."""
    parsed = ParsedFile(spec=spec, table=table, report=report)
    parsed.errors.extend(table.errors)
    missing = [column.name for column in spec.columns if not column.optional and column.name not in table.columns]
    if missing:
        parsed.errors.append(ExtractError(spec.name, None, None, f"missing required columns: {', '.join(missing)}"))
        return parsed

    for column in spec.columns:
        raws = table.columns.get(column.name)
        if raws is None:  # an optional column the file does not have: all blank
            raws = [""] * len(table)
        values, problems = parse_column(column.parser, raws)
        parsed.values[column.name] = values
        for index, reason in problems.items():
            parsed.problem(index, column.name, reason)

    first_seen: dict[tuple, int] = {}
    label = "+".join(spec.key)
    for index in range(len(parsed)):
        key = parsed.key(index)
        if None in key:
            continue
        if key in first_seen:
            shown = " ".join(str(part) for part in key)
            parsed.problem(index, label, f"duplicate key {shown} (also on line {parsed.lines[first_seen[key]]})")
        else:
            first_seen[key] = index

    for check in spec.row_checks:
        for index, column, reason in check(parsed):
            parsed.problem(index, column, reason)
    return parsed


def check_references(parsed: ParsedFile, ctx: Context) -> None:
    """Step 5: one query per reference for the values the referenced file does not have."""
    for ref in parsed.spec.references:
        if ref.column not in parsed.values:
            continue
        target = ctx.files.get(ref.target)
        if ref.target in ctx.unreadable or (target is not None and not target.values):
            continue  # the referenced file is rejected already; its keys are unknown
        in_file: dict[Any, Any] = {}
        if target is not None:
            kinds = target.values.get("kind") if ref.kind else None
            for key, index in target.keys().items():
                in_file[key[0]] = kinds[index] if kinds is not None else None
        wanted = {value for value in parsed.values[ref.column] if value not in (None, "")}
        lookup = [value for value in wanted if value not in in_file]
        in_db = existing_values(ref.model, ref.field, lookup, "kind" if ref.kind else None)
        known = {**in_db, **in_file}
        for index, value in parsed.rows(ref.column):
            if value in (None, ""):
                continue
            if value not in known:
                parsed.problem(index, ref.column, f"{ref.noun} {value} not found in {ref.target} or the database")
            elif ref.kind and known[value] not in (None, ref.kind):
                actual = str(known[value]).replace("_", " ")
                wanted_kind = ref.kind.replace("_", " ")
                parsed.problem(index, ref.column, f"org unit {value} is a {actual}, not a {wanted_kind}")


def run_checks(parsed: ParsedFile, ctx: Context) -> None:
    """Step 6, after the references."""
    for check in parsed.spec.checks:
        for index, column, reason in check(parsed, ctx):
            parsed.problem(index, column, reason)
