"""Typed columns: what the generator's stages produce, whole columns as numpy arrays.

Money and other decimals are *scaled integers* (cents for two decimals, ten-thousandths for
four), so no float ever reaches the extract: ``demo.writer`` formats them as exact decimal
strings for the extract's CSV files. ``digits``, ``compact_dates`` and ``make_codes`` build
fixed-width codes (trade and flow ids) without a Python loop per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
