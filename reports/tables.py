"""A report table as data — columns, rows, a totals row — rendered by the page and written to CSV
and XLSX from the same object, so an export always carries the page's numbers.

Values are what the page shows: integers, money as ``Decimal`` with 2 places, shares as a
percentage ``Decimal`` with 1 place (``85.2`` for 85.2%), dates, text. Text cells that a
spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@`` …) are escaped with
``core.exports.csv_safe`` in both formats; numbers are written as numbers.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import formats
from django.utils.html import conditional_escape as escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.exports import csv_safe
from core.money import number

TEXT, INTEGER, MONEY, PERCENT, NUMBER, DATE = "text", "int", "money", "percent", "number", "date"
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def share(part, whole) -> Decimal | None:
    """``part / whole`` as a percentage with one decimal; None when there is nothing to share."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(TENTH)


def change(now, before) -> Decimal | None:
    """Relative change in percent (one decimal); None from zero."""
    if not before:
        return None
    return ((Decimal(now or 0) - Decimal(before)) * 100 / abs(Decimal(before))).quantize(TENTH)


@dataclass
class Column:
    key: str
    label: str
    kind: str = INTEGER
    sortable: bool = False
    help: str = ""  # what the figure means, on the column's title (hover)
    nowrap: bool = False  # short text (a name, a date) kept on one line in a wide table

    @property
    def numeric(self) -> bool:
        return self.kind in (INTEGER, MONEY, PERCENT, NUMBER)


@dataclass
class Table:
    """``rows`` are dicts keyed by column key; a row may carry ``_link`` (its first cell links
    there), ``_muted`` (shown in grey, e.g. "no advisor") and ``_why`` (column key → why that
    figure is empty, shown instead of a bare dash: "no ticket resolved")."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    total: dict | None = None
    note: str = ""
    limit: int | None = None  # the page shows this many rows (the export all of them)
    link_key: str | None = None  # the column whose cell carries a row's link (default: the first)
    # A page's table kept written (``written``): its shown rows' HTML and how many rows it has,
    # with no rows of its own (``rows`` is empty). Only the page shows it; exports build rows.
    written: str | None = None
    count: int | None = None

    def write(self) -> Table:
        """This table as the page shows it, written: cheap to keep in the cache and to show."""
        return Table(
            self.name, self.title, self.columns, total=self.total, note=self.note, limit=self.limit,
            link_key=self.link_key, written=str(self.shown_html), count=self.row_count,
        )  # fmt: skip

    @property
    def row_count(self) -> int:
        return len(self.rows) if self.count is None else self.count

    def body(self, limit: int | None = None):
        """``[({link, muted}, [(text, css), …]), …]``: the rows formatted for the page (in Python:
        a ranking of a thousand advisors renders in a tenth of the time template filters take)."""
        rows = self.rows[:limit] if limit else self.rows
        return [
            (
                {"link": row.get("_link"), "muted": row.get("_muted", False)},
                [_explained(column, row) for column in self.columns],
            )
            for row in rows
        ]

    @property
    def shown_rows(self):
        return self.body(self.limit)

    @property
    def shown_html(self) -> str:
        """The shown rows as ``<tr>`` elements, written here rather than by the template: a
        firm-wide ranking is a hundred rows of seventeen cells, and the template's loop and
        conditions per cell cost several times the formatting itself. Every text is escaped."""
        if self.written is not None:
            return mark_safe(self.written)  # noqa: S308 — written by this method, escaped
        out = []
        keys = [column.key for column in self.columns]
        linked = keys.index(self.link_key) if self.link_key in keys else 0
        for row, cells in self.shown_rows:
            parts = ['<tr class="text-body-secondary">' if row["muted"] else "<tr>"]
            for n, (text, css) in enumerate(cells):
                text = escape(text)
                if n == linked and row["link"]:
                    text = f'<a href="{escape(row["link"])}">{text}</a>'
                if n == 0:
                    parts.append(f'<th scope="row" class="fw-normal">{text}</th>')
                else:
                    parts.append(f'<td class="{escape(css)}">{text}</td>' if css else f"<td>{text}</td>")
            parts.append("</tr>")
            out.append("".join(parts))
        return mark_safe("".join(out))  # noqa: S308 — built above from escaped parts only

    @property
    def cut(self) -> bool:
        return bool(self.limit) and self.row_count > self.limit

    def total_cells(self):
        if self.total is None:
            return []
        return [_explained(column, self.total) for column in self.columns]

    def header(self) -> list[str]:
        return [str(column.label) for column in self.columns]

    def records(self) -> list[list[Any]]:
        """The rows as the exports write them, the totals row last."""
        rows = [[row.get(column.key) for column in self.columns] for row in self.rows]
        if self.total is not None:
            rows.append([self.total.get(column.key) for column in self.columns])
        return rows


def format_cell(value, kind: str) -> str:
    """A value as the page shows it, in the active language: money with grouping and 2 decimals,
    shares as ``85.2%``, averages with 1 decimal, counts with grouping, dates short; empty
    figures as a dash."""
    if value is None or value == "":
        return "" if kind == TEXT else "—"
    # (core.money.number: Django's number_format to the character, in half the time — a
    # firm-wide ranking formats 1,500 figures)
    if kind == MONEY:
        return number(Decimal(value), 2)
    if kind == PERCENT:
        return number(Decimal(value), 1, grouping=False) + "%"
    if kind == NUMBER:
        return number(Decimal(value), 1, grouping=False)
    if kind == INTEGER:
        return number(int(value))
    if kind == DATE and isinstance(value, datetime.date):
        return _short_date(value, get_language())
    return str(value)


@functools.lru_cache(maxsize=4096)
def _short_date(day: datetime.date, language: str | None) -> str:
    """A day in the active language's short format (``language`` is that language: the key).
    A table's dates are few distinct days many times over — the lost clients' 200 rows fall on
    the period's twenty-odd trading days — and Django's formatter is the costliest cell."""
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _formatted(column: Column, value) -> tuple[str, str]:
    """(text, CSS classes) of a cell."""
    if not column.numeric:
        return format_cell(value, column.kind), "text-nowrap" if column.nowrap else ""
    negative = value is not None and value < 0
    return format_cell(value, column.kind), "num text-danger" if negative else "num"


def _explained(column: Column, row: dict) -> tuple[str, str]:
    """A cell, or for an empty figure the row's reason why (``_why``) in small grey words."""
    value = row.get(column.key)
    why = row.get("_why", {}).get(column.key) if value is None else None
    if why:
        return str(why), "num text-body-secondary small fst-italic"
    return _formatted(column, value)


def _cell(value):
    """A value for a spreadsheet: numbers stay numbers, dates ISO, text escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, Decimal, float)):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return csv_safe(str(value))


def csv_export(table: Table, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel opens UTF-8 Chinese text correctly with a BOM
    writer = csv.writer(buffer)
    writer.writerow([csv_safe(label) for label in table.header()])
    for record in table.records():
        writer.writerow([_cell(value) for value in record])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_export(table: Table, filename: str) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = table.name[:31]
    sheet.append([csv_safe(label) for label in table.header()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for record in table.records():
        sheet.append([_cell(value) for value in record])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    for index, column in enumerate(table.columns, start=1):
        if column.kind == MONEY:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "#,##0.00"
    if table.total is not None:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
