"""What the client page shows, gathered in a constant number of queries (one per section),
whatever the size of the client's history. Plain function of a client and a user: the view only
renders it."""

from __future__ import annotations

from django.db.models import Max
from django.utils import timezone

from advisors.models import Alert, Assignment
from clients.models import Account, CashFlow, ClientShare, Position, Relationship, Transaction
from clients.reveal import masked_pii
from crm import access
from suitability.models import RiskAssessment
from tickets.models import Ticket

RECENT_ROWS = 20
ALL_SECTIONS = ("pii", "accounts", "positions", "activity", "shares", "service", "suitability")


def client_profile(client, user, sections: tuple[str, ...] = ALL_SECTIONS) -> dict:
    context: dict = {"client": client}
    if "pii" in sections:
        context["pii"] = masked_pii(client)
        context["can_reveal"] = user.has_perm("clients.view_pii")
    if "accounts" in sections:
        context["accounts"] = list(Account.objects.filter(client=client).order_by("account_no"))
        context["relationships"] = list(
            Relationship.objects.filter(client=client).select_related("related_client").order_by("kind", "id")
        )
    if "positions" in sections:
        latest = Position.objects.filter(client=client).aggregate(day=Max("as_of"))["day"]
        context["positions_as_of"] = latest
        context["positions"] = (
            list(
                Position.objects.filter(client=client, as_of=latest)
                .select_related("product", "account")
                .order_by("-market_value")
            )
            if latest
            else []
        )
    if "activity" in sections:
        context["transactions"] = list(
            Transaction.objects.filter(client=client)
            .select_related("product", "account")
            .order_by("-trade_date", "-id")[:RECENT_ROWS]
        )
        context["cash_flows"] = list(
            CashFlow.objects.filter(client=client).select_related("account").order_by("-flow_date", "-id")[:RECENT_ROWS]
        )
    if "shares" in sections:
        today = timezone.localdate()
        shares = list(
            ClientShare.objects.filter(client=client, revoked_at__isnull=True, expires_on__gte=today)
            .select_related("shared_with", "granted_by")
            .order_by("expires_on")
        )
        can_change = access.can_change_client_directly(user, client)
        for share in shares:
            share.revocable = can_change or user.pk in (share.granted_by_id, share.shared_with_id)
        context["shares"] = shares
        context["can_share"] = can_change
        context["assignments"] = list(
            Assignment.objects.filter(client=client).select_related("advisor").order_by("-started_on", "-id")
        )
    if "service" in sections:
        context["alerts"] = list(
            Alert.objects.filter(client=client, status__in=(Alert.Status.OPEN, Alert.Status.SNOOZED))
            .select_related("advisor")
            .order_by("due_on")
        )
        context["tickets"] = list(
            Ticket.objects.filter(client=client, status__in=Ticket.OPEN_STATUSES)
            .select_related("kind", "assignee")
            .order_by("-created_at")
        )
    if "suitability" in sections:
        context["assessment"] = RiskAssessment.objects.filter(client=client).order_by("-assessed_at").first()
        context["today"] = timezone.localdate()
    return context
