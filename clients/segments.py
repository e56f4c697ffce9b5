"""Saved segments (客群): criteria in the client list's filter vocabulary
(``clients.filters.ClientFilter``), applied within the reader's scope."""

from __future__ import annotations

from django.db.models import QuerySet

from clients.filters import ClientFilter
from clients.models import Client


def segment_clients(criteria: dict, user) -> QuerySet[Client]:
    """The clients in ``user``'s scope that meet ``criteria`` (``{}``: every client in scope)."""
    queryset = Client.objects.visible_to(user)
    if not criteria:
        return queryset
    return ClientFilter(data=criteria, queryset=queryset).qs
