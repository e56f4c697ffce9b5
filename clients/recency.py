"""Two dates kept on the client row so the workbench can filter a whole book on them with an
index instead of looking up every client's latest interaction and assessment:

- ``Client.last_contact_at`` — when the latest interaction took place;
- ``Client.risk_valid_until`` — until when the latest risk assessment (by ``assessed_at``) is
  valid.

Single records keep them current as they are written (``Interaction.save``/``delete`` and
``RiskAssessment.save`` call ``refresh_*`` for their client); loads that write many rows at once
(the master-data import, the demo seed) call the same functions once for the clients they
touched. Each is one set-based ``UPDATE`` whatever the number of clients.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery


def _clients(client_ids: Iterable[int] | None, using: str):
    from clients.models import Client

    clients = Client.objects.using(using)
    return clients if client_ids is None else clients.filter(pk__in=list(client_ids))


def refresh_last_contact(client_ids: Iterable[int] | None = None, *, using: str = "default") -> int:
    """Set ``last_contact_at`` from the interactions (all clients when ``client_ids`` is None)."""
    from clients.models import Interaction

    latest = (
        Interaction.objects.using(using)
        .filter(client=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return _clients(client_ids, using).update(last_contact_at=Subquery(latest))


def refresh_risk_valid_until(client_ids: Iterable[int] | None = None, *, using: str = "default") -> int:
    """Set ``risk_valid_until`` from each client's latest assessment (None: none on record)."""
    from suitability.models import RiskAssessment

    latest = (
        RiskAssessment.objects.using(using)
        .filter(client=OuterRef("pk"))
        .order_by("-assessed_at")
        .values("valid_until")[:1]
    )
    return _clients(client_ids, using).update(risk_valid_until=Subquery(latest))
