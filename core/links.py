"""A URL with one primary key in it, reversed once and filled in per row.

``reverse`` costs more than the rest of a list row (it resolves the pattern, quotes and joins
each time); a page of 50 rows with four links each would call it 200 times. ``pk_link(name)``
reverses once with a placeholder key and gives a function from a key to the path."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

_PK = 2147483647  # a key no row has; an integer, so every ``<int:pk>`` pattern accepts it


def pk_link(name: str) -> Callable[[int], str]:
    before, after = reverse(name, args=[_PK]).split(str(_PK))
    return lambda pk: f"{before}{pk}{after}"
