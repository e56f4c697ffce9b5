"""CSV exports that a spreadsheet cannot turn against its reader.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is a formula to
Excel and WPS; a client name like ``=HYPERLINK(...)`` would run on the compliance officer's
machine. Such cells are prefixed with a single quote, which spreadsheets show as text. The
full-width forms (``＝＋－＠``, what a Chinese input method types) count too — WPS and Excel in
Chinese read ``＝SUM(…)`` as a formula — and so do those characters after leading spaces.
Numbers are not text: a negative amount (``-1234.50``) stays a number the spreadsheet can add,
exact and without the display's separators or ¥ (the pages' short forms, 万/亿, never reach an
export).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_safe(value) -> str:
    """The cell's text, neutralised if a spreadsheet would read it as a formula."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.lstrip(" \u3000").startswith(FORMULA_PREFIXES) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """A streamed CSV download (UTF-8 with BOM so Excel opens Chinese text correctly)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([csv_safe(cell) for cell in header])
        for row in rows:
            yield writer.writerow([csv_safe(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def in_chunks(queryset, size: int) -> Iterator[list]:
    """An export's rows read once through a server-side cursor, handed on in lists of ``size``
    (for wording a list of rows with one query per kind of record they name). Slicing with
    OFFSET instead would re-read every earlier row for each slice."""
    chunk = []
    for row in queryset.iterator(chunk_size=size):
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
