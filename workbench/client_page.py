"""What the client page shows, gathered in a constant number of queries (one per section),
whatever the size of the client's history. Plain function of a client and a user: the view only
renders it.

The page itself reads what a user opens it for: the profile, accounts and positions, the open
alerts and tickets, the risk assessment, the household and the assets chart, the shares. The
lower cards (``LATER``: recent transactions, the contacts logged, suitability checks, campaigns,
the advisor history) are fetched by the page once they come into view, each in a request of its
own (``workbench.client_views.client_section``): under a branch's load they were half of the
page's queries and a third of its rendering, for cards most views never scroll to."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from advisors.models import Assignment
from alerts.models import Alert
from campaigns.models import Campaign, CampaignTarget
from campaigns.texts import reason_text
from clients.models import (
    Account,
    AssetSnapshot,
    CashFlow,
    Client,
    ClientShare,
    Interaction,
    Position,
    Relationship,
    Transaction,
)
from clients.reveal import masked_pii
from core import access
from suitability.models import RiskAssessment, SuitabilityCheck
from suitability.shelf import product_shelf
from tickets.models import Ticket

RECENT_ROWS = 20
REASONS_SHOWN = 3
PAGE_SECTIONS = (
    "pii",
    "accounts",
    "household",
    "positions",
    "chart",
    "shares",
    "service",
    "suitability",
    "shelf",
)


@dataclass(frozen=True)
class LaterSection:
    """A card of the client page fetched once it comes into view: its name in the URL, its
    title (the heading of its page of its own, when opened without JavaScript or after a
    failed fetch) and the parts of ``client_profile`` it reads."""

    name: str
    title: str
    reads: tuple[str, ...]

    @property
    def template(self) -> str:
        return f"clients/sections/{self.name}.html"


LATER = {
    section.name: section
    for section in (
        LaterSection("activity", _("Recent transactions"), ("activity",)),
        LaterSection("contacts", _("Contacts"), ("interactions",)),
        LaterSection("checks", _("Suitability checks"), ("checks",)),
        LaterSection("campaigns", _("Campaigns"), ("campaigns",)),
        LaterSection("advisor-history", _("Advisor history"), ("assignments",)),
    )
}
CHART_DAYS = 366


def client_profile(client, user, sections: tuple[str, ...] = PAGE_SECTIONS) -> dict:
    context: dict = {"client": client}
    if "pii" in sections:
        context["pii"] = masked_pii(client)
        context["can_reveal"] = user.has_perm("clients.view_pii")
    if "accounts" in sections:
        context["accounts"] = list(Account.objects.filter(client=client).order_by("account_no"))
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
    if "assignments" in sections:
        context["assignments"] = list(
            Assignment.objects.filter(client=client).select_related("advisor").order_by("-started_on", "-id")
        )
    if "service" in sections:
        context["alerts"] = list(
            Alert.objects.filter(client=client, status__in=(Alert.Status.OPEN, Alert.Status.SNOOZED))
            .select_related("advisor", "client")
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
    if "checks" in sections:
        context["checks"] = list(
            SuitabilityCheck.objects.filter(client=client)
            .select_related("product")
            .order_by("-created_at")[:RECENT_ROWS]
        )
    if "shelf" in sections:
        # Each position's suitability for its holder (the full shelf of products on sale is
        # loaded after the page, by htmx, from ``suitability:shelf``: it runs the rules for
        # every product on sale, which is most of a client page's time).
        held = list({position.product_id: position.product for position in context.get("positions", [])}.values())
        rows = product_shelf(client, held, timezone.localdate()) if held else []
        by_product = {row.product.pk: row for row in rows}
        for position in context.get("positions", []):
            position.suitability = by_product.get(position.product_id)
    if "household" in sections:
        context["household"] = household(client, user)
    if "chart" in sections:
        since = timezone.localdate() - datetime.timedelta(days=CHART_DAYS)
        points = list(
            AssetSnapshot.objects.filter(client=client, as_of__gte=since)
            .order_by("as_of")
            .values_list("as_of", "total_assets")
        )
        context["assets_chart"] = {
            "labels": [day.isoformat() for day, _total in points],
            "values": [float(total) for _day, total in points],
            "label": str(_("Total assets")),
        }
    if "interactions" in sections:
        context["interactions"] = list(
            Interaction.objects.filter(client=client)
            .select_related("advisor", "campaign")
            .prefetch_related("products_discussed")
            .order_by("-occurred_at")[:RECENT_ROWS]
        )
    if "campaigns" in sections:
        context["campaign_targets"] = campaign_targets(client)
    return context


def campaign_targets(client) -> list[CampaignTarget]:
    """The client's targets in running and finished campaigns, newest first, with the score's
    reasons in words (``target.reason_words``). Never a control target: those are held out to
    measure the campaign's effect, and nobody in the workbench sees them. Drafts and cancelled
    campaigns are left out: their lists are not (or no longer) worked."""
    targets = list(
        CampaignTarget.objects.filter(
            client=client,
            control=False,
            campaign__status__in=(Campaign.Status.ACTIVE, Campaign.Status.FINISHED),
        )
        .select_related("campaign", "campaign__product")
        .order_by("-campaign__starts_on", "-campaign_id")
    )
    for target in targets:
        target.reason_words = [reason_text(reason) for reason in (target.reasons or [])[:REASONS_SHOWN]]
    return targets


def household(client, user) -> dict:
    """Related clients (spouse, parents, children …) with their assets and risk levels.

    Members in the user's scope are shown with their figures and counted in the combined assets;
    members outside it are only counted (``hidden``), so the panel never shows another book's
    client — the household may be served by several advisors.
    """
    links = list(
        Relationship.objects.filter(client=client, related_client__isnull=False)
        .select_related("related_client")
        .order_by("kind", "pk")
    )
    member_ids = [link.related_client_id for link in links]
    visible = set(Client.objects.visible_to(user).filter(pk__in=member_ids).values_list("pk", flat=True))
    members = [link for link in links if link.related_client_id in visible]
    combined = client.total_assets + sum((link.related_client.total_assets for link in members), Decimal("0"))
    trusted = list(Relationship.objects.filter(client=client, related_client__isnull=True).order_by("kind", "pk"))
    return {"members": members, "hidden": len(links) - len(members), "combined_assets": combined, "contacts": trusted}
