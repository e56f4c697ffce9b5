"""Reading an extract file: its checksum, its encoding, its rows as columns of strings.

The files come from systems we do not control: UTF-8 (with or without a byte-order mark) or
GB18030. We decode strictly — first UTF-8, then GB18030 — and refuse a file that is neither,
instead of loading mangled names.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from imports.errors import ExtractError, FileProblem

ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class RawFile:
    """A file's name, bytes and checksum, before anything is decoded."""

    name: str
    content: bytes
    sha256: str

    @classmethod
    def read(cls, path) -> RawFile:
        content = path.read_bytes()
        return cls(name=path.name, content=content, sha256=hashlib.sha256(content).hexdigest())


def _line_at(content: bytes, offset: int) -> int:
    return content.count(b"\n", 0, offset) + 1


def decode(content: bytes) -> tuple[str, str]:
    """The text and a label for its encoding; ``FileProblem`` if neither encoding fits, on the
    line of the first byte that does not decode in the encoding that read furthest."""
    furthest = (-1, "")
    for encoding in ENCODINGS:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError as exc:
            furthest = max(furthest, (exc.start, "UTF-8" if encoding == "utf-8-sig" else "GB18030"))
            continue
        if "\x00" in text:
            raise FileProblem(
                "the file contains NUL bytes (is it UTF-16?); save it as UTF-8 or GB18030",
                line=_line_at(content, content.index(b"\x00")),
            )
        if encoding == "utf-8-sig":
            return text, "UTF-8 with BOM" if content.startswith(codecs.BOM_UTF8) else "UTF-8"
        return text, "GB18030"
    offset, encoding = furthest
    raise FileProblem(
        f"cannot read the file: it is neither UTF-8 nor GB18030 text (byte {offset + 1} does not decode as "
        f"{encoding}); save it in one of these encodings",
        line=_line_at(content, offset),
    )


@dataclass
class Table:
    """A CSV file read into columns of stripped strings, one entry per data row.

    ``lines[i]`` is the physical line on which row ``i`` starts (the header is line 1), so a
    quoted value spanning several lines does not shift the numbers reported for later rows.
    """

    name: str
    encoding: str
    header: list[str]
    columns: dict[str, list[str]]
    lines: list[int]
    errors: list[ExtractError] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)


def read_table(name: str, text: str, wanted: Iterable[str], encoding: str = "") -> Table:
    """Parse CSV text into the ``wanted`` columns that the header has (others are ignored).

    Header names are matched case-insensitively, surrounding blanks ignored. Blank lines are
    skipped. A row with fewer fields than the header is an error (reported, row left out); extra
    fields are tolerated only when empty (a trailing comma).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header_row = next(reader, None)
    except csv.Error as exc:
        raise FileProblem(f"broken CSV in the header: {exc}", line=1) from exc
    if header_row is None or not any(cell.strip() for cell in header_row):
        raise FileProblem("the file is empty (expected a header row)")
    header = [cell.strip().lstrip("\ufeff").strip().lower() for cell in header_row]
    seen: set[str] = set()
    for cell in header:
        if cell and cell in seen:
            raise FileProblem(f"column {cell!r} appears twice in the header", line=1)
        seen.add(cell)

    positions = {column: header.index(column) for column in wanted if column in seen}
    columns: dict[str, list[str]] = {column: [] for column in positions}
    lines: list[int] = []
    errors: list[ExtractError] = []
    width = len(header)
    previous_end = reader.line_num
    while True:
        start = previous_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise FileProblem(f"broken CSV: {exc}", line=reader.line_num) from exc
        previous_end = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < width or (len(row) > width and any(cell.strip() for cell in row[width:])):
            errors.append(ExtractError(name, start, None, f"the row has {len(row)} fields but the header has {width}"))
            continue
        lines.append(start)
        for column, position in positions.items():
            columns[column].append(row[position].strip())
    return Table(name=name, encoding=encoding, header=header, columns=columns, lines=lines, errors=errors)
