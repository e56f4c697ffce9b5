"""The generator's facts, held in memory until they become the extract (``demo.extract``).

The stages write whole columns (see ``columns``) per model, as they always have; nothing goes
to the database from here. Ids in these columns are the generator's own handles (1, 2, … per
model, in generation order), never database ids: ``demo.extract`` turns them into the natural
keys the extract speaks (client numbers, account numbers, product codes, advisor codes), and
``demo.details`` into database ids after the import has run.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
from django.db import models

from demo.columns import Bools, Codes, Column, Dates, Decimals, Ints, Jsons, Labels, Stamps, Texts


class Facts:
    """Columns per model, appended chunk by chunk; ``rows`` counts what each model received."""

    def __init__(self) -> None:
        self.tables: dict[type[models.Model], list[dict[str, Column]]] = defaultdict(list)
        self.rows: Counter[str] = Counter()

    def write(self, model: type[models.Model], columns: dict[str, Column], *, background: bool = False) -> int:
        n = len(next(iter(columns.values())))
        self.rows[model._meta.label] += n
        if n:
            self.tables[model].append(columns)
        return n

    def next_id(self, model: type[models.Model]) -> int:
        """The first handle of a model (handles are per model, starting at 1)."""
        return 1

    def column(self, model: type[models.Model], name: str, kind: str = "text") -> np.ndarray:
        """One column of every chunk of ``model``, concatenated: ``text`` as strings ('' for
        NULL), ``raw`` as the numpy values (ints, datetime64, bools)."""
        parts = [chunk[name] for chunk in self.tables.get(model, [])]
        if not parts:
            return np.zeros(0, dtype=object)
        convert = text if kind == "text" else raw
        return np.concatenate([convert(part) for part in parts])

    def count(self, model: type[models.Model]) -> int:
        return sum(len(next(iter(chunk.values()))) for chunk in self.tables.get(model, []))


def decimal_text(values: np.ndarray, scale: int) -> np.ndarray:
    """Scaled integers → decimal strings (``12345``, scale 2 → ``123.45``), vectorised."""
    values = np.asarray(values, dtype=np.int64)
    magnitude = np.abs(values)
    unit = 10**scale
    out = (magnitude // unit).astype(str)
    if scale:
        out = np.char.add(np.char.add(out, "."), np.char.zfill((magnitude % unit).astype(str), scale))
    return np.where(values < 0, np.char.add("-", out), out).astype(object)


def text(column: Column) -> np.ndarray:
    """A column as the strings a CSV cell holds ('' for NULL)."""
    if isinstance(column, Ints):
        out = column.values.astype(np.int64).astype(str).astype(object)
    elif isinstance(column, Decimals):
        out = decimal_text(column.values, column.scale)
    elif isinstance(column, Dates):
        out = np.datetime_as_string(column.values.astype("datetime64[D]")).astype(object)
        out[np.isnat(column.values)] = ""
        return out
    elif isinstance(column, Labels):
        labels = np.array(["" if label is None else label for label in column.labels], dtype=object)
        return labels[column.codes]
    elif isinstance(column, Codes):
        return np.char.decode(column.values, "ascii").astype(object)
    elif isinstance(column, Bools):
        return np.where(column.values, "1", "0").astype(object)
    elif isinstance(column, Texts):
        return np.array(["" if v is None else v for v in column.values], dtype=object)
    else:
        raise TypeError(f"{type(column).__name__} has no CSV form")
    null = getattr(column, "null", None)
    if null is not None:
        out[null] = ""
    return out


def raw(column: Column) -> np.ndarray:
    if isinstance(column, Ints | Decimals | Dates | Stamps | Bools | Codes):
        return column.values
    if isinstance(column, Labels):
        return np.array(column.labels, dtype=object)[column.codes]
    if isinstance(column, Texts | Jsons):
        return np.array(column.values, dtype=object)
    raise TypeError(type(column))
