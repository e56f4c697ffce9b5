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

from django.db import connections
from django.db.models import OuterRef, Subquery


def _clients(client_ids: Iterable[int] | None, using: str):
    from clients.models import Client

    clients = Client.objects.using(using)
    return clients if client_ids is None else clients.filter(pk__in=list(client_ids))


# The whole book at once: one join with a GROUP BY rather than a lookup per client (which,
# while a bulk load has the indexes down, would read every interaction once per client).
_ALL_LAST_CONTACT = (
    "UPDATE clients_client SET last_contact_at = x.at FROM ("
    " SELECT client_id, MAX(occurred_at) AS at FROM clients_interaction GROUP BY client_id"
    ") x WHERE clients_client.id = x.client_id",
    "UPDATE clients_client SET last_contact_at = NULL WHERE last_contact_at IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM clients_interaction i WHERE i.client_id = clients_client.id)",
)
_ALL_RISK_VALID_UNTIL = (
    "UPDATE clients_client SET risk_valid_until = x.valid_until FROM ("
    " SELECT a.client_id, a.valid_until FROM suitability_riskassessment a JOIN ("
    "  SELECT client_id, MAX(assessed_at) AS at FROM suitability_riskassessment GROUP BY client_id"
    " ) m ON m.client_id = a.client_id AND m.at = a.assessed_at"
    ") x WHERE clients_client.id = x.client_id",
    "UPDATE clients_client SET risk_valid_until = NULL WHERE risk_valid_until IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM suitability_riskassessment a WHERE a.client_id = clients_client.id)",
)


def _run(statements: tuple[str, ...], using: str) -> int:
    written = 0
    with connections[using].cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            written += max(cursor.rowcount, 0)
    return written


def refresh_last_contact(client_ids: Iterable[int] | None = None, *, using: str = "default") -> int:
    """Set ``last_contact_at`` from the interactions (all clients when ``client_ids`` is None)."""
    from clients.models import Interaction

    if client_ids is None:
        return _run(_ALL_LAST_CONTACT, using)

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

    if client_ids is None:
        return _run(_ALL_RISK_VALID_UNTIL, using)

    latest = (
        RiskAssessment.objects.using(using)
        .filter(client=OuterRef("pk"))
        .order_by("-assessed_at")
        .values("valid_until")[:1]
    )
    return _clients(client_ids, using).update(risk_valid_until=Subquery(latest))
