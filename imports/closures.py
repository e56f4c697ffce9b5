"""Alerts whose cause an import takes away, closed in the import's transaction.

A day's positions file replaces that day whole (DESIGN.md), so a holding absent from the latest
position day has been sold. A ``suitability_drift`` alert names its holding in its condition
(``<product>|<assessment>|<rating>``, ``suitability.services.drift_condition``): once the
import brings the day without that product for that client, the alert has lost its cause and
closes at once — not the next night — through the one closing path (``alerts.raising``).
"""

from __future__ import annotations

from django.db.models import Exists, F, Func, OuterRef, TextField, Value
from django.db.models.functions import Cast

from alerts.models import Alert
from alerts.raising import ALIVE, close_alerts
from clients.models import Position


def close_drift_on_sold_holdings() -> int:
    """Close the open (or snoozed) drift alerts whose holding is not held (quantity above zero)
    on the latest position day; returns how many. Two statements whatever the book's size: the
    alive drift alerts (a few thousand at most; the ``(kind, status, due_on)`` index) each probe
    the positions through the ``(client, as_of)`` index."""
    latest = Position.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    if latest is None:
        return 0
    held = Position.objects.annotate(product_text=Cast("product_id", TextField())).filter(
        client_id=OuterRef("client_id"),
        as_of=latest,
        quantity__gt=0,
        product_text=OuterRef("product_text"),
    )
    sold = (
        Alert.objects.filter(kind=Alert.Kind.SUITABILITY_DRIFT, status__in=ALIVE)
        # The product is the condition's first part, compared as text (a condition is never cast).
        .annotate(
            product_text=Func(F("condition"), Value("|"), Value(1), function="split_part", output_field=TextField())
        )
        .exclude(Exists(held))
        .values_list("pk", flat=True)
    )
    return close_alerts(list(sold))
