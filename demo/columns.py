"""Typed columns for bulk writes, and their encodings.

The generator produces whole columns as numpy arrays; money and other decimals are *scaled
integers* (cents for two decimals, ten-thousandths for four), so no float ever reaches the
database. A column knows how to become

* fixed-width ASCII text for PostgreSQL ``COPY`` — built with array arithmetic, no Python loop
  per row (``encode_copy_text``); used when every column of a table is numeric, a date, a
  fixed-width code or one of a few labels (the fact tables);
* Python values for ``COPY … (FORMAT csv)`` (``to_python``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

TAB, NEWLINE = ord("\t"), ord("\n")


@dataclass
class Ints:
    values: np.ndarray  # int64
    null: np.ndarray | None = None  # bool mask, True = NULL

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Decimals:
    """Exact decimals as scaled integers: ``values / 10**scale``."""

    values: np.ndarray  # int64
    scale: int
    null: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Dates:
    values: np.ndarray  # datetime64[D]; NaT = NULL

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Stamps:
    """Aware datetimes, given in UTC."""

    values: np.ndarray  # datetime64[s] in UTC; NaT = NULL

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Labels:
    """A text column with few distinct values: codes into ``labels`` (``None`` = NULL)."""

    codes: np.ndarray
    labels: list[str | None]

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def const(cls, label: str | None, n: int) -> Labels:
        return cls(np.zeros(n, dtype=np.int64), [label])

    @classmethod
    def of(cls, values: np.ndarray) -> Labels:
        labels, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
        return cls(codes.astype(np.int64), list(labels))


@dataclass
class Codes:
    """Fixed-width ASCII codes (trade ids, account numbers): a ``bytes_`` array, all one width."""

    values: np.ndarray  # dtype S<w>

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Bools:
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Texts:
    values: list  # str or None

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Jsons:
    values: list

    def __len__(self) -> int:
        return len(self.values)


Column = Ints | Decimals | Dates | Stamps | Labels | Codes | Bools | Texts | Jsons
FIXED_WIDTH = (Ints, Decimals, Dates, Labels, Codes, Bools)


# --- building blocks -------------------------------------------------------------------------


def digits(values: np.ndarray, width: int | None = None) -> np.ndarray:
    """Non-negative integers → an (n, width) uint8 matrix of ASCII digits, zero-padded."""
    values = np.asarray(values, dtype=np.int64)
    if width is None:
        top = int(values.max()) if len(values) else 0
        width = max(1, len(str(top)))
    out = np.empty((len(values), width), dtype=np.uint8)
    rest = values.copy()
    for k in range(width - 1, -1, -1):
        out[:, k] = rest % 10 + 48
        rest //= 10
    return out


def date_parts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values = values.astype("datetime64[D]")
    years = values.astype("datetime64[Y]")
    months = values.astype("datetime64[M]")
    return (
        years.astype(np.int64) + 1970,
        (months - years.astype("datetime64[M]")).astype(np.int64) + 1,
        (values - months.astype("datetime64[D]")).astype(np.int64) + 1,
    )


def compact_dates(values: np.ndarray) -> np.ndarray:
    """Dates → (n, 8) ASCII ``YYYYMMDD``."""
    y, m, d = date_parts(values)
    return digits(y * 10000 + m * 100 + d, 8)


def make_codes(prefix: str, *parts: np.ndarray) -> np.ndarray:
    """Concatenate a constant prefix and (n, w) uint8 digit blocks into an ``S`` array."""
    n = len(parts[0])
    head = np.broadcast_to(np.frombuffer(prefix.encode("ascii"), dtype=np.uint8), (n, len(prefix)))
    matrix = np.ascontiguousarray(np.hstack([head, *parts]))
    return matrix.view(f"S{matrix.shape[1]}").ravel()


def _fixed_matrix(column: Column) -> np.ndarray:
    """One column as an (n, w) uint8 matrix; ``Labels``/``Bools`` are handled by grouping."""
    if isinstance(column, Ints):
        values = column.values.astype(np.int64)
        if (values < 0).any():
            sign = np.where(values < 0, ord("-"), ord("+")).astype(np.uint8)[:, None]
            return np.hstack([sign, digits(np.abs(values))])
        return digits(values)
    if isinstance(column, Decimals):
        values = column.values.astype(np.int64)
        sign = np.where(values < 0, ord("-"), ord("+")).astype(np.uint8)[:, None]
        magnitude = np.abs(values)
        unit = 10**column.scale
        whole = digits(magnitude // unit)
        if not column.scale:
            return np.hstack([sign, whole])
        dot = np.full((len(values), 1), ord("."), dtype=np.uint8)
        return np.hstack([sign, whole, dot, digits(magnitude % unit, column.scale)])
    if isinstance(column, Dates):
        y, m, d = date_parts(column.values)
        dash = np.full((len(y), 1), ord("-"), dtype=np.uint8)
        return np.hstack([digits(y, 4), dash, digits(m, 2), dash, digits(d, 2)])
    if isinstance(column, Codes):
        width = column.values.dtype.itemsize
        return np.ascontiguousarray(column.values).view(np.uint8).reshape(len(column.values), width)
    raise TypeError(type(column))


def _has_nulls(column: Column) -> bool:
    if isinstance(column, Ints | Decimals):
        return column.null is not None and bool(column.null.any())
    if isinstance(column, Dates):
        return bool(np.isnat(column.values).any())
    return False


def can_encode_fixed(columns: list[Column]) -> bool:
    return all(isinstance(c, FIXED_WIDTH) and not _has_nulls(c) for c in columns)


def encode_copy_text(columns: list[Column]) -> bytes:
    """Rows as PostgreSQL ``COPY`` text (tab-separated), built without a per-row loop.

    Numeric, date and code columns become fixed-width digit matrices (leading zeros and a sign
    are valid input for integer and numeric columns). Rows are grouped by their combination of
    labels, so that inside a group every row has the same width and the group is one matrix.
    Row order does not matter to a table.
    """
    n = len(columns[0])
    if n == 0:
        return b""
    columns = list(columns)
    label_cols = []
    for i, column in enumerate(columns):
        if isinstance(column, Bools):
            columns[i] = Labels(column.values.astype(np.int64), ["f", "t"])
        if isinstance(columns[i], Labels):
            label_cols.append(i)
    matrices = {i: _fixed_matrix(c) for i, c in enumerate(columns) if i not in label_cols}
    if label_cols:
        key = np.zeros(n, dtype=np.int64)
        for i in label_cols:
            key = key * len(columns[i].labels) + columns[i].codes
        order = np.argsort(key, kind="stable")
        key_sorted = key[order]
        bounds = np.flatnonzero(np.diff(key_sorted)) + 1
        groups = np.split(order, bounds)
    else:
        groups = [np.arange(n)]
    out = []
    for rows in groups:
        first = rows[0]
        parts: list[tuple[int, Any]] = []
        width = 0
        for i, column in enumerate(columns):
            if i in label_cols:
                label = column.labels[column.codes[first]]
                text = b"\\N" if label is None else label.encode("utf-8")
                parts.append((len(text), np.frombuffer(text, dtype=np.uint8)))
                width += len(text)
            else:
                parts.append((matrices[i].shape[1], matrices[i][rows]))
                width += matrices[i].shape[1]
            width += 1  # tab or newline
        block = np.empty((len(rows), width), dtype=np.uint8)
        pos = 0
        for w, part in parts:
            block[:, pos : pos + w] = part
            pos += w
            block[:, pos] = TAB
            pos += 1
        block[:, width - 1] = NEWLINE
        out.append(block.tobytes())
    return b"".join(out)


# --- Python values -----------------------------------------------------------------------------


def _decimal_strings(values: np.ndarray, scale: int) -> list[str]:
    unit = 10**scale
    out = []
    for v in values.tolist():
        sign = "-" if v < 0 else ""
        whole, frac = divmod(abs(v), unit)
        out.append(f"{sign}{whole}.{frac:0{scale}d}" if scale else f"{sign}{whole}")
    return out


def to_python(column: Column) -> list:
    """One column as a list of values the database driver takes (``None`` = NULL)."""
    if isinstance(column, Ints):
        values = column.values.tolist()
        return _apply_null(values, column.null)
    if isinstance(column, Decimals):
        return _apply_null(_decimal_strings(column.values, column.scale), column.null)
    if isinstance(column, Dates):
        text = np.datetime_as_string(column.values.astype("datetime64[D]"))
        return [None if t == "NaT" else t for t in text.tolist()]
    if isinstance(column, Stamps):
        text = np.datetime_as_string(column.values.astype("datetime64[s]"))
        return [None if t == "NaT" else t.replace("T", " ") + "+00:00" for t in text.tolist()]
    if isinstance(column, Labels):
        labels = column.labels
        return [labels[c] for c in column.codes.tolist()]
    if isinstance(column, Codes):
        return [v.decode("ascii") for v in column.values.tolist()]
    if isinstance(column, Bools):
        return ["t" if v else "f" for v in column.values.tolist()]
    if isinstance(column, Texts):
        return list(column.values)
    if isinstance(column, Jsons):
        return [None if v is None else json.dumps(v, ensure_ascii=False) for v in column.values]
    raise TypeError(type(column))


def _apply_null(values: list, null: np.ndarray | None) -> list:
    if null is None:
        return values
    return [None if isnull else v for v, isnull in zip(values, null.tolist(), strict=True)]


def constant(value: Any, n: int, *, scale: int | None = None) -> Column:
    """A column repeating one Python value (model defaults the generator does not set)."""
    if value is None:
        return Labels.const(None, n)
    if isinstance(value, bool):
        return Bools(np.full(n, value))
    if isinstance(value, int):
        return Ints(np.full(n, value, dtype=np.int64))
    if isinstance(value, float):
        return Texts([repr(value)] * n)
    if scale is not None:  # Decimal
        return Decimals(np.full(n, int(value.scaleb(scale)), dtype=np.int64), scale)
    if isinstance(value, dt.datetime):
        return Stamps(np.full(n, np.datetime64(value.astimezone(dt.UTC).replace(tzinfo=None), "s")))
    if isinstance(value, dt.date):
        return Dates(np.full(n, np.datetime64(value, "D")))
    if isinstance(value, dict | list):
        return Jsons([value] * n)
    return Labels.const(str(value), n)
