"""The daily trading files of the extract: positions, cash balances, transactions, cash flows.

These are the large files (a brokerage of 200,000 clients sends a million position rows a
night), so they take a path of their own beside the master files' row-by-row machinery:

- **Reading**: a file without quote characters (the usual case for numbers and codes) is split
  into lines and parsed by pandas' C reader, each row's physical line number kept; a file with
  quotes goes through the strict ``reader.read_table`` like the master files.
- **Validation, column-wise**: every column is checked as a whole — a vectorised pattern that
  only valid values match, then the master files' exact parser on the few values that do not
  (for the reason, in the same words as the master files), and low-cardinality columns (dates,
  choices) parsed once per distinct value. Keys must be unique in the file; accounts and
  products must be in the folder's master files or in the database (on PostgreSQL, the numbers
  the resolving join of a file staged while it was parsed did not find — ``early_staging`` —
  or else one set difference per column against the values sent as an array). Nothing is
  converted to float: amounts stay the validated strings until PostgreSQL (or ``Decimal``)
  reads them.
- **Loading**: the file's bytes are ``COPY``-ed into a temporary staging table and
  merged with one set-based statement per table (``INSERT … SELECT … ON CONFLICT DO UPDATE …
  WHERE … IS DISTINCT FROM``, in client order), so unchanged rows are not written; a day's
  positions file also deletes that day's positions it no longer lists, and, when it brings the
  book's latest day, refreshes each client's highest risk level held (``clients.held_risk``).
  The fact tables have no foreign-key constraints (``clients.models.LOADED_REFERENCE``): the
  staging join proves the references, and a ``SHARE`` lock on accounts and products keeps them
  until commit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from pandas.api.types import union_categoricals

from clients.held_risk import refresh_after_positions
from clients.models import Account, CashBalance, CashFlow, Position, Transaction
from clients.partitions import ensure_months, holding, is_partitioned
from imports.closures import close_drift_on_sold_holdings
from imports.columns import EMPTY_REQUIRED, Choice, Code, Column, Date, Money, Number, Parser
from imports.errors import ExtractError, FileProblem, Invalid
from imports.reader import read_table
from imports.spec import Context, Written
from products.models import Product

LOW_CARDINALITY = (Date, Choice)


@dataclass(frozen=True)
class Reference:
    column: str
    target: str  # the master file of the folder
    model: type
    field: str
    noun: str


@dataclass(frozen=True)
class TradingSpec:
    """One trading file: columns, key, references, and how it is merged (see ``load``)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...]
    model: type
    # the model's unique columns the merge conflicts on, and the columns it writes
    conflict: tuple[str, ...]
    replaces_day: bool = False  # positions: the file is the whole of each day it names
    positive: tuple[str, ...] = ()  # amounts that must be > 0

    def load(self, parsed: BulkParsed, ctx: Context) -> Written:
        written = _merge(self, parsed, ctx)
        # Positions: a holding gone from the latest day was sold; its drift alert closes in this
        # transaction (``imports.closures``).
        if self.replaces_day and (closed := close_drift_on_sold_holdings()):
            written.details["drift alerts closed"] = closed
        return written


@dataclass
class BulkParsed:
    """A trading file after parsing: the columns as a frame of stripped, normalised strings,
    each row's physical line, and the problems found."""

    spec: TradingSpec
    report: Any
    frame: pd.DataFrame | None = None
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    bad: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    errors: list[ExtractError] = field(default_factory=list)
    text: str | None = None  # the file as it can be COPY-ed verbatim (header + clean rows), or None
    bodies: list[str] | None = None  # or, parsed in pieces, its rows as they can be COPY-ed
    header: list[str] = field(default_factory=list)
    failed: dict[str, np.ndarray] = field(default_factory=dict)  # column → rows whose value failed
    prepared: Prepared | None = None  # staged and resolved while it was parsed (``early_staging``)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def values(self) -> bool:
        """True when the header was complete (the master files' ``ParsedFile.values`` test)."""
        return self.frame is not None

    @property
    def bad_rows(self) -> set[int]:
        return set(np.flatnonzero(self.bad).tolist())

    def __len__(self) -> int:
        return len(self.lines)

    def problems(self, mask: np.ndarray, column: str | None, reasons) -> None:
        """Record a problem on every row of ``mask`` (booleans, or row indices); ``reasons`` is
        one string or one per row."""
        indices = np.flatnonzero(mask) if mask.dtype == bool else mask
        if not len(indices):
            return
        self.bad[indices] = True
        if column is not None:
            self.failed.setdefault(column, np.zeros(len(self.bad), dtype=bool))[indices] = True
        if isinstance(reasons, str):
            reasons = [reasons] * len(indices)
        for index, reason in zip(indices.tolist(), reasons, strict=True):
            self.errors.append(ExtractError(self.name, int(self.lines[index]), column, reason))

    def check(self, ctx: Context) -> None:
        """References to the folder's master files or to the database (one query per column)."""
        if self.frame is None:
            return
        for ref in self.spec.references:
            column = self.frame[ref.column]
            usable = ~self.failed.get(ref.column, np.zeros(len(self.bad), dtype=bool))
            wanted = set(column[usable].unique().tolist()) - {""} if self.prepared is None else set()
            target = ctx.files.get(ref.target)
            if ref.target in ctx.unreadable or (target is not None and not target.values):
                continue  # the master file is rejected already; its keys are unknown
            in_file = {key[0] for key in target.keys()} if target is not None else set()  # noqa: SIM118 (a method)
            if self.prepared is not None:  # the resolving join found these numbers missing
                unknown = self.prepared.unresolved.get(ref.column, set()) - in_file
            else:
                unknown = _unknown(ref, wanted - in_file)
            if unknown:
                mask = column.isin(unknown).to_numpy() & usable
                values = column[mask].tolist()
                self.problems(
                    mask, ref.column, [f"{ref.noun} {v} not found in {ref.target} or the database" for v in values]
                )
        self.errors.sort(key=lambda error: error.line or 0)


def _unknown(ref: Reference, values: set[str]) -> set[str]:
    """The ``values`` that ``ref.model.field`` does not have: one set difference against the
    values sent as a single array (200,000 account numbers in a fraction of a
    second; the ORM's chunked ``IN`` lists took 8 s per column to build, bind and read)."""
    if not values:
        return set()
    table = ref.model._meta.db_table
    column = ref.model._meta.get_field(ref.field).column
    with connection.cursor() as cursor:
        # EXCEPT hashes both sides; NOT EXISTS would probe the index once per value.
        cursor.execute(
            f"SELECT v FROM unnest(%s::text[]) AS u(v) EXCEPT SELECT {column} FROM {table}", [sorted(values)]
        )
        return {row[0] for row in cursor.fetchall()}


# --- Reading ---------------------------------------------------------------------------------


# A file longer than this (in characters) is parsed in pieces of about this size,
# keeping only what the checks after parsing need: each row's line, its problems, and the key and
# reference columns as categoricals. Parsed whole, the 4M-row positions file of a million-client
# book (243 MB) took 3.2 GiB as a frame of Python strings; the loader COPYs the file's own text.
PIECE_CHARS = 8 * 1024 * 1024


def parse(spec: TradingSpec, text: str, report) -> BulkParsed:
    """Read and validate one trading file (no database access)."""
    parsed = BulkParsed(spec=spec, report=report)
    if len(text) > PIECE_CHARS and '"' not in text:
        header = _header(text[: text.find("\n")] if "\n" in text else text)
        if all(column.name in header for column in spec.columns if not column.optional):
            return _parse_in_pieces(parsed, text, header)
    wanted = [column.name for column in spec.columns]
    frame, lines, header, clean = _read(spec.name, text, wanted, parsed)
    report.rows = len(lines)
    parsed.header, parsed.lines = header, lines
    parsed.bad = np.zeros(len(lines), dtype=bool)
    missing = [column.name for column in spec.columns if column.name not in frame.columns and not column.optional]
    if missing:
        parsed.errors.append(ExtractError(spec.name, None, None, f"missing required columns: {', '.join(missing)}"))
        return parsed
    parsed.frame = frame
    _validate_frame(parsed, frame)
    _check_key(parsed)
    parsed.errors.sort(key=lambda error: error.line or 0)
    parsed.text = text if clean and not parsed.errors else None
    return parsed


def _validate_frame(parsed: BulkParsed, frame: pd.DataFrame) -> None:
    """Every column of ``frame`` checked (and normalised in place), then the positive amounts. An
    optional column the file leaves out is checked as blanks (its default), but not written over
    stored rows (``_merge``)."""
    for column in parsed.spec.columns:
        if column.name not in frame.columns:
            frame[column.name] = pd.Series([""] * len(frame), index=frame.index, dtype=object)
        frame[column.name] = _validate(parsed, column, frame[column.name])
    for name in parsed.spec.positive:
        values = frame[name]
        zero = (~parsed.bad) & values.str.fullmatch(r"-?0*(\.0*)?").to_numpy()
        parsed.problems(zero, name, [f"the amount must be greater than 0: {v!r}" for v in values[zero]])


def _parse_in_pieces(parsed: BulkParsed, text: str, header: list[str]) -> BulkParsed:
    """``parse`` for a large file without quotes, a piece of about ``PIECE_CHARS`` at a time (the
    same checks and reasons, the same line numbers). What is kept of each piece: its lines, its
    problems, and the key and reference columns as categoricals (an account number repeated on
    four rows is stored once), for the duplicate and reference checks that span the file."""
    spec = parsed.spec
    wanted = [column.name for column in spec.columns]
    kept = list(dict.fromkeys([*spec.key, *(ref.column for ref in spec.references)]))
    columns: dict[str, list[pd.Categorical]] = {name: [] for name in kept}
    lines, bad, bodies = [], [], []  # bodies: a piece's kept rows, or its place in ``text`` when clean
    failed: list[dict[str, np.ndarray]] = []
    clean, first_line = True, 2
    for start, end in _pieces(text, text.find("\n") + 1):
        part = BulkParsed(spec=spec, report=None)
        piece = text[start:end]
        count = _clean_line_count(piece, len(header) - 1)
        if count is not None:
            frame, piece_clean, body = _frame(piece, header, wanted, count), True, None
            part.lines = np.arange(first_line, first_line + count, dtype=np.int64)
        else:
            raw_lines = _split_lines(piece)
            frame, part.lines, piece_clean, body = _rows(spec.name, raw_lines, header, wanted, part, first_line)
            count = len(raw_lines)
        first_line += count
        part.bad = np.zeros(len(part.lines), dtype=bool)
        _validate_frame(part, frame)
        for name in kept:
            columns[name].append(pd.Categorical(frame[name]))
        lines.append(part.lines)
        bad.append(part.bad)
        failed.append(part.failed)
        parsed.errors.extend(part.errors)
        clean = clean and piece_clean
        bodies.append((start, end) if piece_clean else body)  # a clean piece's body is its text again
    parsed.header = header
    parsed.lines = np.concatenate(lines) if lines else np.zeros(0, dtype=np.int64)
    parsed.bad = np.concatenate(bad) if bad else np.zeros(0, dtype=bool)
    for name in {name for part in failed for name in part}:
        parsed.failed[name] = np.concatenate(
            [part.get(name, np.zeros(len(piece), dtype=bool)) for part, piece in zip(failed, lines, strict=True)]
        )
    joined = {name: union_categoricals(parts) if parts else [] for name, parts in columns.items()}
    parsed.frame = pd.DataFrame({name: pd.Series(values, dtype="category") for name, values in joined.items()})
    parsed.report.rows = len(parsed.lines)
    _check_key(parsed)
    parsed.errors.sort(key=lambda error: error.line or 0)
    if not parsed.errors:
        if clean:
            parsed.text = text
        else:  # blank lines or trailing commas: the rows as they are COPY-ed, without the header
            parsed.bodies = [
                "\n".join(_split_lines(text[body[0] : body[1]])) if isinstance(body, tuple) else body for body in bodies
            ]
    return parsed


def _pieces(text: str, start: int):
    """``(start, end)`` of ``text[start:]``'s pieces of about ``PIECE_CHARS`` characters, each
    ending with a line."""
    while start < len(text):
        end = text.find("\n", start + PIECE_CHARS)
        end = len(text) if end < 0 else end + 1
        yield start, end
        start = end


def _split_lines(text: str) -> list[str]:
    raw_lines = text.split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in raw_lines]


def _header(line: str) -> list[str]:
    """The header's column names, lower-cased; ``FileProblem`` if it is empty or repeats a name."""
    line = line[:-1] if line.endswith("\r") else line
    if not line.strip(","):
        raise FileProblem("the file is empty (expected a header row)")
    header = [cell.strip().lstrip("\ufeff").strip().lower() for cell in line.split(",")]
    seen: set[str] = set()
    for cell in header:
        if cell and cell in seen:
            raise FileProblem(f"column {cell!r} appears twice in the header", line=1)
        seen.add(cell)
    return header


def _read(name: str, text: str, wanted: list[str], parsed: BulkParsed):
    """``(frame of the wanted columns, physical lines, header, clean)``; ``clean`` means the
    text can be COPY-ed as it is (no blank lines, every row as wide as the header)."""
    if '"' in text:
        table = read_table(name, text, wanted)
        parsed.errors.extend(table.errors)
        frame = pd.DataFrame({column: pd.Series(values, dtype=object) for column, values in table.columns.items()})
        return frame, np.asarray(table.lines, dtype=np.int64), table.header, False
    first = text.find("\n")
    header = _header(text if first < 0 else text[:first])
    body = "" if first < 0 else text[first + 1 :]
    count = _clean_line_count(body, len(header) - 1)
    if count is not None:
        return _frame(body, header, wanted, count), np.arange(2, count + 2, dtype=np.int64), header, True
    frame, lines, clean, _body = _rows(name, _split_lines(text)[1:], header, wanted, parsed, first_line=2)
    return frame, lines, header, clean


def _rows(name: str, raw_lines: list[str], header: list[str], wanted: list[str], parsed: BulkParsed, first_line: int):
    """The data lines ``raw_lines`` (the first is physical line ``first_line``) as ``(frame of the
    wanted columns, physical lines, clean, body)``: ``body`` is the kept rows as CSV text."""
    width = len(header) - 1
    commas = np.fromiter((line.count(",") for line in raw_lines), dtype=np.int64, count=len(raw_lines))
    blank = np.fromiter((not line.strip(", \t") for line in raw_lines), dtype=bool, count=len(raw_lines))
    keep = ~blank
    clean = bool(blank.sum() == 0)
    wrong = keep & (commas != width)
    if wrong.any():
        for index in np.flatnonzero(wrong).tolist():
            cells = raw_lines[index].split(",")
            if len(cells) > width + 1 and not any(cell.strip() for cell in cells[width + 1 :]):
                raw_lines[index] = ",".join(cells[: width + 1])  # trailing commas: tolerated
                continue
            keep[index] = False
            parsed.errors.append(
                ExtractError(
                    name, first_line + index, None, f"the row has {len(cells)} fields but the header has {width + 1}"
                )
            )
        clean = False
    rows = np.flatnonzero(keep)
    body = "\n".join(raw_lines[index] for index in rows.tolist()) if not clean else "\n".join(raw_lines)
    return _frame(body, header, wanted, len(rows)), rows + first_line, clean, body


def _frame(body: str, header: list[str], wanted: list[str], rows: int) -> pd.DataFrame:
    """The wanted columns of ``body``'s ``rows`` rows (CSV without quotes), as stripped strings."""
    usecols = [position for position, cell in enumerate(header) if cell in wanted]
    if not rows:
        return pd.DataFrame({header[position]: pd.Series([], dtype=object) for position in usecols})
    frame = pd.read_csv(
        io.StringIO(body),
        header=None,
        names=list(range(len(header))),
        usecols=usecols,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
    )
    frame.columns = [header[position] for position in usecols]
    padded = " " in body or "\t" in body or "\r" in body
    for column in frame.columns:
        frame[column] = (frame[column].str.strip() if padded else frame[column]).astype(object)
    return frame


def _clean_line_count(text: str, commas: int) -> int | None:
    """The number of lines of ``text`` when each is a row with ``commas`` commas and something
    besides them, and there is no quote, carriage return, space or tab — the usual file, which
    then needs no line-by-line look (about 0.2 s per 8 MB piece, counted over the bytes with
    numpy in 0.03 s); None otherwise, for ``_rows`` to say which line is wrong, or to strip."""
    if "\r" in text or '"' in text or " " in text or "\t" in text:
        return None
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)  # a comma or newline is one byte in UTF-8
    if not len(data):
        return 0
    ends = np.flatnonzero(data == ord("\n"))
    if data[-1] != ord("\n"):
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1] + 1))
    comma_at = np.flatnonzero(data == ord(","))
    per_line = np.searchsorted(comma_at, ends) - np.searchsorted(comma_at, starts)
    if (per_line != commas).any() or ((ends - starts) <= commas).any():  # only commas: a blank line
        return None
    return len(ends)


def _validate(parsed: BulkParsed, column: Column, values: pd.Series) -> pd.Series:
    """Check a column; returns it normalised (choices in their canonical case, blanks filled)."""
    parser: Parser = column.parser
    if isinstance(parser, LOW_CARDINALITY) or len(values) < 64:
        outcome: dict[str, tuple[bool, str]] = {}
        for raw in values.unique().tolist():
            try:
                value = parser(raw)
                outcome[raw] = (True, "" if value is None else _text(value))
            except Invalid as exc:
                outcome[raw] = (False, exc.reason)
        failed = {raw: reason for raw, (ok, reason) in outcome.items() if not ok}
        if failed:
            mask = values.isin(failed).to_numpy()
            parsed.problems(mask, column.name, [failed[raw] for raw in values[mask]])
        if all(raw == text for raw, (ok, text) in outcome.items() if ok):
            return values
        # Every distinct value to its normal form (a failed one to itself): ``map`` with a dict
        # covering them all takes a sixth of ``replace``'s time on a column where most values
        # change, as when a counter system's codes are mapped (0.1 s against 0.7 s per million).
        return values.map({raw: text if ok else raw for raw, (ok, text) in outcome.items()})
    empty = (values == "").to_numpy()
    if empty.any():
        if parser.required:
            parsed.problems(empty, column.name, EMPTY_REQUIRED)
        else:
            values = values.where(~empty, "" if parser.blank is None else _text(parser.blank))
    fast = _fast_check(parser, values)
    slow = ~fast & ~empty
    failed, reasons = [], []
    for index in np.flatnonzero(slow).tolist():
        try:
            parser(values.iat[index])
        except Invalid as exc:
            failed.append(index)
            reasons.append(exc.reason)
    parsed.problems(np.asarray(failed, dtype=np.int64), column.name, reasons)
    return values


def _fast_check(parser: Parser, values: pd.Series) -> np.ndarray:
    """Booleans: the values that certainly pass ``parser`` (the rest go through the parser
    itself). ASCII values are checked as a matrix of bytes — a few numpy operations per column
    instead of a regular expression per value — others with pandas' string methods."""
    matrix = _ascii_matrix(values)
    if isinstance(parser, Code):
        if matrix is None:
            return ((~values.str.contains(r"\s", regex=True)) & (values.str.len() <= parser.max_length)).to_numpy()
        blank = np.isin(matrix, np.frombuffer(b" \t\n\r\x0b\x0c", dtype=np.uint8)).any(axis=1)
        return ~blank & ((matrix != 0).sum(axis=1) <= parser.max_length)
    if isinstance(parser, Money | Number):
        whole = parser.max_digits - (2 if isinstance(parser, Money) else parser.places)
        places = 2 if isinstance(parser, Money) else parser.places
        if matrix is None:
            pattern = rf"{'-?' if parser.negative else ''}\d{{1,{whole}}}(\.\d{{1,{places}}})?"
            return values.str.fullmatch(pattern).to_numpy(dtype=bool)
        return _plain_decimals(matrix, whole, places, parser.negative)
    return np.zeros(len(values), dtype=bool)


def _ascii_matrix(values: pd.Series) -> np.ndarray | None:
    """The values as an ``(n, width)`` matrix of bytes, zero-padded on the right (the files
    hold no NUL), or None when a value is not ASCII or is longer than any value checked here."""
    if values.empty:
        return np.zeros((0, 1), dtype=np.uint8)
    try:
        fixed = values.to_numpy(dtype=object).astype("S")
    except UnicodeEncodeError:
        return None
    width = fixed.dtype.itemsize
    if width > 64:
        return None
    return fixed.view(np.uint8).reshape(len(fixed), width)


def _plain_decimals(matrix: np.ndarray, whole: int, places: int, negative: bool) -> np.ndarray:
    """``-?\\d{1,whole}(\\.\\d{1,places})?`` over a byte matrix (the minus only if ``negative``)."""
    digit = (matrix >= ord("0")) & (matrix <= ord("9"))
    dot = matrix == ord(".")
    pad = matrix == 0
    sign = (matrix[:, 0] == ord("-")) if negative else np.zeros(len(matrix), dtype=bool)
    allowed = digit | dot | pad
    allowed[:, 0] |= sign
    length = (~pad).sum(axis=1)
    dots = dot.sum(axis=1)
    dot_at = np.where(dots == 1, dot.argmax(axis=1), length)
    whole_digits = dot_at - sign
    decimals = length - dot_at - 1
    return (
        allowed.all(axis=1)
        & (dots <= 1)
        & (whole_digits >= 1)
        & (whole_digits <= whole)
        & ((dots == 0) | ((decimals >= 1) & (decimals <= places)))
    )


def _text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _check_key(parsed: BulkParsed) -> None:
    frame, key = parsed.frame, list(parsed.spec.key)
    usable = pd.Series(~parsed.bad, index=frame.index)
    keys = frame.loc[usable, key]
    duplicated = keys.duplicated(keep=False)
    if not duplicated.any():
        return
    first_line: dict[tuple, int] = {}
    label = "+".join(key)
    for index, row in zip(keys.index[duplicated], keys[duplicated].itertuples(index=False, name=None), strict=True):
        line = int(parsed.lines[index])
        if row not in first_line:
            first_line[row] = line
            continue
        mask = np.zeros(len(frame), dtype=bool)
        mask[index] = True
        parsed.problems(mask, label, f"duplicate key {' '.join(row)} (also on line {first_line[row]})")


# --- Loading ------------------------------------------------------------------------

_SQL_TYPES = {Date: "date", Money: "numeric", Number: "numeric"}


def _sql_value(column: Column, stage: str) -> str:
    """The staging column as the target type: trimmed, choices lower-cased, blanks defaulted."""
    parser = column.parser
    expression = f"btrim({stage})"
    if isinstance(parser, Choice):
        expression = f"lower({expression})"  # columns.fold_code
        if parser.aliases:  # the operations' code map (imports.code_maps); validation checked every code
            cases = " ".join(f"WHEN {_literal(key)} THEN {_literal(ours)}" for key, ours in parser.aliases.items())
            expression = f"(CASE {expression} {cases} ELSE {expression} END)"
    if not parser.required and parser.blank not in (None, ""):
        expression = f"COALESCE(NULLIF({expression}, ''), '{_text(parser.blank)}')"
    sql_type = next((name for kind, name in _SQL_TYPES.items() if isinstance(parser, kind)), None)
    return f"({expression})::{sql_type}" if sql_type else expression


def _default(column: Column) -> str:
    """An optional column the file leaves out: its default for the rows it creates (the merge
    does not update it on stored rows)."""
    parser = column.parser
    if parser.blank in (None, ""):
        sql_type = next((name for kind, name in _SQL_TYPES.items() if isinstance(parser, kind)), "text")
        return f"NULL::{sql_type}" if parser.blank is None else "''"
    return _sql_value(column, "''")


def _present(spec: TradingSpec, header: list[str]) -> list[Column]:
    return [column for column in spec.columns if column.name in header]


def absent(spec: TradingSpec, header: list[str]) -> set[str]:
    """The optional columns a file's header leaves out."""
    return {column.name for column in spec.columns if column.optional and column.name not in header}


def _literal(text: str) -> str:
    """A SQL string literal (the server's standard_conforming_strings: only quotes are special)."""
    return "'" + text.replace("\x00", "").replace("'", "''") + "'"


def _staged(spec: TradingSpec, parsed: BulkParsed, cursor) -> dict[str, str]:
    """COPY the file into a temporary table of text columns; ``{column: staged expression}``."""
    if parsed.text is not None:
        return stage_text(spec, parsed.text, cursor)
    if parsed.bodies is not None:
        where = {column.name: f"c{parsed.header.index(column.name)}" for column in _present(spec, parsed.header)}
        payload = [body + "\n" for body in parsed.bodies if body]
        return _copy_stage(spec, len(parsed.header), where, payload, False, cursor)
    where = {name: f"c{position}" for position, name in enumerate(parsed.frame.columns)}
    buffer = io.StringIO()
    parsed.frame.to_csv(buffer, index=False, header=False)
    return _copy_stage(spec, len(parsed.frame.columns), where, [buffer.getvalue()], False, cursor)


def stage_text(spec: TradingSpec, text: str, cursor) -> dict[str, str] | None:
    """COPY a file's text, header and all, into the staging table; None when the header lacks
    one of the spec's required columns (the parse says which)."""
    first = text.find("\n")
    header = _header(text if first < 0 else text[:first])
    if any(column.name not in header for column in spec.columns if not column.optional):
        return None
    where = {column.name: f"c{header.index(column.name)}" for column in _present(spec, header)}
    return _copy_stage(spec, len(header), where, [text.lstrip("\ufeff")], True, cursor)


def _copy_stage(spec: TradingSpec, width: int, where: dict[str, str], payload: list[str], header: bool, cursor):
    stage = f"stage_{spec.name.split('.')[0]}"
    cursor.execute(f"DROP TABLE IF EXISTS {stage}")
    columns = ", ".join(f"c{position} text" for position in range(width))
    cursor.execute(f"CREATE TEMP TABLE {stage} ({columns}) ON COMMIT DROP")
    # Read in large blocks: run in ``early_staging``'s thread while the main thread parses and
    # holds the GIL, each of psycopg2's default 8 kB reads would wait for it.
    cursor.copy_expert(
        f"COPY {stage} FROM STDIN WITH (FORMAT csv, HEADER {'true' if header else 'false'})",
        _Utf8Reader(payload),
        size=4 << 20,
    )
    staged = {
        column.name: _sql_value(column, f"s.{where[column.name]}") if column.name in where else _default(column)
        for column in spec.columns
    }
    staged["__from__"] = f"{stage} s"
    return staged


class _Utf8Reader(io.RawIOBase):
    """The texts as one UTF-8 byte stream, encoded a block at a time as ``COPY`` reads it: a
    243 MB file is not held a second time as bytes."""

    BLOCK = 1 << 20  # characters

    def __init__(self, texts: list[str]):
        self.texts, self.index, self.offset = texts, 0, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while self.index < len(self.texts):
            text = self.texts[self.index]
            if self.offset < len(text):
                block = text[self.offset : self.offset + max(self.BLOCK, size // 4 if size > 0 else 0)]
                self.offset += len(block)
                return block.encode("utf-8")
            self.index, self.offset = self.index + 1, 0
        return b""


# model column ← expression over the staged row and the joined account (a) / product (p)
_TARGETS = {
    "positions.csv": {
        "account_id": "a.id",
        "client_id": "a.client_id",
        "product_id": "p.id",
        "as_of": "{as_of}",
        "quantity": "{quantity}",
        "market_value": "{market_value}",
        "cost": "{cost}",
    },
    "balances.csv": {"account_id": "a.id", "client_id": "a.client_id", "as_of": "{as_of}", "cash": "{cash}"},
    "transactions.csv": {
        "trade_id": "{trade_id}",
        "account_id": "a.id",
        "client_id": "a.client_id",
        "product_id": "p.id",
        "trade_date": "{trade_date}",
        "side": "{side}",
        "quantity": "{quantity}",
        "price": "{price}",
        "amount": "{amount}",
        "commission": "{commission}",
        "channel": "{channel}",
    },
    "cashflows.csv": {
        "flow_id": "{flow_id}",
        "account_id": "a.id",
        "client_id": "a.client_id",
        "flow_date": "{flow_date}",
        "direction": "{direction}",
        "amount": "{amount}",
    },
}


@dataclass
class Prepared:
    """A trading file staged and resolved before it was loaded (``early_staging``): the
    temporary table of its rows, and the reference values the database did not have then —
    their rows carry NULL ids until ``fill_in``."""

    resolved: str
    unresolved: dict[str, set[str]] = field(default_factory=dict)  # reference column → values


def resolve(spec: TradingSpec, staged: dict[str, str], cursor, keep_unresolved: bool = False) -> str:
    """The staged rows as the target's columns, account and product numbers resolved to ids, in
    a temporary table (returned). ``keep_unresolved``: a number the database does not have gives
    NULL ids and is kept in ``<column>_unresolved`` (the folder's master files may bring it)."""
    targets = _TARGETS[spec.name]
    select = [f"{expr.format(**staged)} AS {name}" for name, expr in targets.items()]
    join = "LEFT JOIN" if keep_unresolved else "JOIN"
    joins = f"{join} {Account._meta.db_table} a ON a.account_no = {staged['account_no']}"
    if "product_id" in targets:
        joins += f" {join} {Product._meta.db_table} p ON p.code = {staged['product_code']}"
    if keep_unresolved:
        aliases = {_ACCOUNT.column: "a", _PRODUCT.column: "p"}
        select += [
            f"CASE WHEN {aliases[ref.column]}.id IS NULL THEN {staged[ref.column]} END AS {ref.column}_unresolved"
            for ref in spec.references
        ]
    resolved = f"resolved_{spec.model._meta.db_table}"
    order = " ORDER BY a.client_id, a.id" if keep_unresolved else ""  # see ``_merge``
    cursor.execute(f"DROP TABLE IF EXISTS {resolved}")
    cursor.execute(
        f"CREATE TEMP TABLE {resolved} ON COMMIT DROP AS SELECT {', '.join(select)} FROM {staged['__from__']} "
        f"{joins}{order}"
    )
    return resolved


def unresolved_values(spec: TradingSpec, resolved: str, cursor) -> dict[str, set[str]]:
    """The reference values ``resolve(…, keep_unresolved=True)`` did not find, per column."""
    names = [f"{ref.column}_unresolved" for ref in spec.references]
    where = " OR ".join(f"{name} IS NOT NULL" for name in names)
    cursor.execute(f"SELECT DISTINCT {', '.join(names)} FROM {resolved} WHERE {where}")
    found: dict[str, set[str]] = {ref.column: set() for ref in spec.references}
    for row in cursor.fetchall():
        for ref, value in zip(spec.references, row, strict=True):
            if value is not None:
                found[ref.column].add(value)
    return {column: values for column, values in found.items() if values}


def fill_in(spec: TradingSpec, prepared: Prepared, ctx: Context, cursor) -> None:
    """Bring a prepared file's ids up to date with the master files this import has written
    since: numbers that were not in the database then, and accounts moved to another client."""
    resolved, accounts, products = prepared.resolved, Account._meta.db_table, Product._meta.db_table
    if prepared.unresolved.get("account_no"):
        cursor.execute(
            f"UPDATE {resolved} r SET account_id = a.id, client_id = a.client_id FROM {accounts} a "
            "WHERE r.account_id IS NULL AND a.account_no = r.account_no_unresolved"
        )
    if prepared.unresolved.get("product_code"):
        cursor.execute(
            f"UPDATE {resolved} r SET product_id = p.id FROM {products} p "
            "WHERE r.product_id IS NULL AND p.code = r.product_code_unresolved"
        )
    master = ctx.files.get(_ACCOUNT.target)
    if master is not None and master.report.updated:
        cursor.execute(
            f"UPDATE {resolved} r SET client_id = a.client_id FROM {accounts} a "
            "WHERE a.id = r.account_id AND a.client_id <> r.client_id"
        )


def _merge(spec: TradingSpec, parsed: BulkParsed, ctx: Context) -> Written:
    table = spec.model._meta.db_table
    targets = _TARGETS[spec.name]
    with connection.cursor() as cursor:
        # The join that resolves account and product numbers hashes 200,000 accounts: give it
        # memory for this transaction instead of spilling to disk in batches.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        hold_references(cursor)
        if parsed.prepared is not None:
            fill_in(spec, parsed.prepared, ctx, cursor)
            resolved = parsed.prepared.resolved
        else:
            resolved = resolve(spec, _staged(spec, parsed, cursor), cursor)
        ctx.advance(parsed, len(parsed) // 2)
        deleted, new_days = 0, False
        if "as_of" in spec.conflict:  # positions and balances: one file per day
            cursor.execute(f"SELECT DISTINCT as_of FROM {resolved}")
            days = [row[0] for row in cursor.fetchall()]
            # The days as values, not a subquery: the planner then reads them through the index
            # on (as_of, …) instead of scanning every position of every day (43 s at 15M rows).
            cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table} WHERE as_of = ANY(%s))", [days])
            new_days = cursor.fetchone()[0]
            ensure_months(days, [table])  # normally there already (``nightly.pipeline``)
        if spec.replaces_day and not new_days:
            match = " AND ".join(f"r.{name} = t.{name}" for name in spec.conflict)
            cursor.execute(
                f"DELETE FROM {table} t WHERE t.as_of = ANY(%s) "
                f"AND NOT EXISTS (SELECT 1 FROM {resolved} r WHERE {match})",
                [days],
            )
            deleted = cursor.rowcount
        names = list(targets)
        # A column the file leaves out keeps what is stored (the new rows get its default).
        left_out = absent(spec, parsed.header)
        changing = [name for name in names if name not in spec.conflict and name not in left_out]
        # In client order: the rows then reach the per-client indexes (a leaf page per client,
        # out of hundreds of megabytes) in key order instead of at random — a fifth faster. A
        # prepared file was sorted so as it was resolved, in the background: its table is read
        # in the order it was written (the rows ``fill_in`` updated excepted, which is harmless).
        ordered = f"SELECT {', '.join(names)} FROM {resolved}"
        if parsed.prepared is None:
            ordered += " ORDER BY client_id, account_id"
        if new_days:
            # The usual night: a day the table does not hold yet. A plain insert, without the
            # speculative insertion ON CONFLICT makes for every row (≈ 1.5 s of 800,000
            # positions). Imports take turns (``service``'s advisory lock), so the day stays new
            # until this one commits.
            cursor.execute(f"INSERT INTO {table} ({', '.join(names)}) {ordered}")
            created, updated = cursor.rowcount, 0
        else:
            created, updated = _upsert(cursor, spec, table, resolved, names, changing, ordered)
        cursor.execute(f"DROP TABLE {resolved}")
        if spec.replaces_day or "as_of" in spec.conflict:
            # A new day is outside the planner's statistics, which would then expect no row of
            # it: the nightly steps that read the day (snapshots, drift) would pick plans for a
            # handful of rows. A sample of the table (30,000 rows) takes about a second. Only the
            # month that holds the day, where the table is partitioned (``clients.partitions``).
            for name in holding(table, days) if "as_of" in spec.conflict else [table]:
                cursor.execute(f"ANALYZE {name}")
        if spec.replaces_day:
            # The latest day loaded or corrected: each client's highest risk level held, from it
            # (one UPDATE of the clients whose level changed; an older day changes nothing).
            # After ANALYZE, so the day's statistics are known to its plan.
            refresh_after_positions(days)
    ctx.advance(parsed, len(parsed) - len(parsed) // 2)
    details = {"deleted": deleted} if spec.replaces_day else {}
    return Written(created=created, updated=updated, unchanged=len(parsed) - created - updated, details=details)


def _upsert(cursor, spec: TradingSpec, table: str, resolved: str, names: list[str], changing: list[str], ordered: str):
    """Merge the resolved rows into a table that may hold some of them: insert the new, update
    the changed, leave the same; ``(created, updated)``."""
    merge = (
        f"INSERT INTO {table} ({', '.join(names)}) {ordered} "
        f"ON CONFLICT ({', '.join(spec.conflict)}) DO UPDATE SET "
        + ", ".join(f"{name} = EXCLUDED.{name}" for name in changing)
        + f" WHERE ({', '.join(f'{table}.{n}' for n in changing)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{n}' for n in changing)})"
    )
    if not is_partitioned(table):
        # A row's xmax is 0 when the statement inserted it, its locker's id when it updated it.
        cursor.execute(
            f"WITH written AS ({merge} RETURNING (xmax = 0) AS created) "
            "SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM written"
        )
        return cursor.fetchone()
    # A partitioned table does not return system columns such as xmax: count the new rows first.
    match = " AND ".join(f"t.{name} = r.{name}" for name in spec.conflict)
    cursor.execute(f"SELECT count(*) FROM {resolved} r WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})")
    created = cursor.fetchone()[0]
    cursor.execute(merge)
    return created, cursor.rowcount - created


def hold_references(cursor) -> None:
    """Keep the accounts (and products) the file refers to from being deleted until the import
    commits. The fact tables carry no foreign-key constraints (see
    ``clients.models.LOADED_REFERENCE``); the join that resolved the numbers proved every
    reference, and a ``SHARE`` lock — one statement, whatever the number of rows — keeps it
    true: other sessions may read these tables but not change them until the import commits.
    (Locking each referenced row ``FOR KEY SHARE`` cost 4–6 s a night at 200,000 accounts.)"""
    cursor.execute(f"LOCK TABLE {Account._meta.db_table}, {Product._meta.db_table} IN SHARE MODE")


# --- The four files ----------------------------------------------------------------------------

_ACCOUNT = Reference("account_no", "accounts.csv", Account, "account_no", "account")
_PRODUCT = Reference("product_code", "products.csv", Product, "code", "product")

POSITIONS = TradingSpec(
    name="positions.csv",
    columns=(
        Column("as_of", Date(required=True, past=True)),
        Column("account_no", Code()),
        Column("product_code", Code()),
        Column("quantity", Number(places=4, max_digits=20, required=True)),
        Column("market_value", Money(required=True)),
        Column("cost", Money(required=True)),
    ),
    key=("as_of", "account_no", "product_code"),
    references=(_ACCOUNT, _PRODUCT),
    model=Position,
    conflict=("as_of", "account_id", "product_id"),
    replaces_day=True,
)

BALANCES = TradingSpec(
    name="balances.csv",
    columns=(
        Column("as_of", Date(required=True, past=True)),
        Column("account_no", Code()),
        Column("cash", Money(required=True, negative=True)),  # a margin account may owe cash
    ),
    key=("as_of", "account_no"),
    references=(_ACCOUNT,),
    model=CashBalance,
    conflict=("as_of", "account_id"),
)

TRANSACTIONS = TradingSpec(
    name="transactions.csv",
    columns=(
        Column("trade_id", Code(max_length=40)),
        Column("account_no", Code()),
        Column("product_code", Code()),
        Column("trade_date", Date(required=True, past=True)),
        Column("side", Choice(choices=Transaction.Side)),
        Column("quantity", Number(places=4, max_digits=20, required=True)),
        Column("price", Number(places=4, max_digits=18, required=True)),
        Column("amount", Money(required=True)),
        Column("commission", Money(max_digits=14, blank=Decimal("0")), optional=True),
        Column(
            "channel",
            Choice(choices=Transaction.Channel, required=False, blank=Transaction.Channel.OTHER.value),
            optional=True,
        ),
    ),
    key=("trade_id",),
    references=(_ACCOUNT, _PRODUCT),
    model=Transaction,
    conflict=("trade_id",),
)

CASHFLOWS = TradingSpec(
    name="cashflows.csv",
    columns=(
        Column("flow_id", Code(max_length=40)),
        Column("account_no", Code()),
        Column("flow_date", Date(required=True, past=True)),
        Column("direction", Choice(choices=CashFlow.Direction)),
        Column("amount", Money(required=True)),
    ),
    key=("flow_id",),
    references=(_ACCOUNT,),
    model=CashFlow,
    conflict=("flow_id",),
    positive=("amount",),
)

FILES: tuple[TradingSpec, ...] = (POSITIONS, BALANCES, TRANSACTIONS, CASHFLOWS)
