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

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from advisors.models import Assignment
from alerts.models import Alert
from campaigns.models import Campaign, CampaignTarget
from campaigns.texts import reason_text
from clients.held_risk import client_position_day
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
from core.compiled import CompiledQuery
from suitability.models import RiskAssessment, SuitabilityCheck
from suitability.services import UNREAD, investor_profile
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


# The page's queries, each compiled to SQL once (``core.compiled.CompiledQuery``) and run with
# the client's id (and the day): building and compiling them cost Django more than PostgreSQL
# spent running them.
_ACCOUNTS = CompiledQuery(lambda client: Account.objects.filter(client_id=client).order_by("account_no"))


# The positions of one day of the client's (``latest_positions``).
_POSITIONS = CompiledQuery(
    lambda client, day: (
        Position.objects.filter(client_id=client, as_of=day)
        .select_related("product", "account")
        .order_by("-market_value", "pk")
    )
)


def latest_positions(client) -> list:
    """The client's positions on their latest day with positions (none without any): the day
    read first (``client_position_day``), so the rows' query is planned for its partition."""
    day = client_position_day(client)
    return _POSITIONS.rows(client=client.pk, day=day) if day else []


_TRANSACTIONS = CompiledQuery(
    lambda client: (
        Transaction.objects.filter(client_id=client)
        .select_related("product", "account")
        .order_by("-trade_date", "-id")[:RECENT_ROWS]
    )
)
_CASH_FLOWS = CompiledQuery(
    lambda client: (
        CashFlow.objects.filter(client_id=client).select_related("account").order_by("-flow_date", "-id")[:RECENT_ROWS]
    )
)
_SHARES = CompiledQuery(
    lambda client, today: (
        ClientShare.objects.filter(client_id=client, revoked_at__isnull=True, expires_on__gte=today)
        .select_related("shared_with", "granted_by")
        .order_by("expires_on", "pk")
    )
)
_ASSIGNMENTS = CompiledQuery(
    lambda client: Assignment.objects.filter(client_id=client).select_related("advisor").order_by("-started_on", "-id")
)
_ALERTS = CompiledQuery(
    lambda client: (
        Alert.objects.filter(client_id=client, status__in=(Alert.Status.OPEN, Alert.Status.SNOOZED))
        .select_related("advisor", "client")
        .order_by("due_on", "pk")
    )
)
_TICKETS = CompiledQuery(
    lambda client: (
        Ticket.objects.filter(client_id=client, status__in=Ticket.OPEN_STATUSES)
        .select_related("kind", "assignee")
        .order_by("-created_at", "-pk")
    )
)
_ASSESSMENT = CompiledQuery(
    lambda client: RiskAssessment.objects.filter(client_id=client).order_by("-assessed_at", "-pk")[:1]
)
_CHECKS = CompiledQuery(
    lambda client: (
        SuitabilityCheck.objects.filter(client_id=client)
        .select_related("product")
        .order_by("-created_at", "-pk")[:RECENT_ROWS]
    )
)
_CHART = CompiledQuery(
    lambda client, since: (
        AssetSnapshot.objects.filter(client_id=client, as_of__gte=since)
        .order_by("as_of")
        .values_list("as_of", "total_assets")
    )
)
_INTERACTIONS = CompiledQuery(
    lambda client: (
        Interaction.objects.filter(client_id=client)
        .select_related("advisor", "campaign")
        .prefetch_related("products_discussed")
        .order_by("-occurred_at", "-pk")[:RECENT_ROWS]
    )
)
_TARGETS = CompiledQuery(
    lambda client: (
        CampaignTarget.objects.filter(
            client_id=client,
            control=False,
            campaign__status__in=(Campaign.Status.ACTIVE, Campaign.Status.FINISHED),
        )
        .select_related("campaign", "campaign__product")
        .order_by("-campaign__starts_on", "-campaign_id")
    )
)
# Related clients and contact persons (no client of ours) in one read: the household card shows both.
_RELATIONSHIPS = CompiledQuery(
    lambda client: Relationship.objects.filter(client_id=client).select_related("related_client").order_by("kind", "pk")
)


def client_profile(client, user, sections: tuple[str, ...] = PAGE_SECTIONS) -> dict:
    context: dict = {"client": client}
    today = timezone.localdate()
    if "pii" in sections:
        context["pii"] = masked_pii(client)
        context["can_reveal"] = user.has_perm("clients.view_pii")
    if "accounts" in sections:
        context["accounts"] = _ACCOUNTS.rows(client=client.pk)
    if "positions" in sections:
        context["positions"] = latest_positions(client)
        context["positions_as_of"] = context["positions"][0].as_of if context["positions"] else None
    if "activity" in sections:
        context["transactions"] = _TRANSACTIONS.rows(client=client.pk)
        context["cash_flows"] = _CASH_FLOWS.rows(client=client.pk)
    if "shares" in sections:
        shares = _SHARES.rows(client=client.pk, today=today)
        can_change = access.can_change_client_directly(user, client)
        for share in shares:
            share.revocable = can_change or user.pk in (share.granted_by_id, share.shared_with_id)
        context["shares"] = shares
        context["can_share"] = can_change
    if "assignments" in sections:
        context["assignments"] = _ASSIGNMENTS.rows(client=client.pk)
    if "service" in sections:
        context["alerts"] = _ALERTS.rows(client=client.pk)
        context["tickets"] = _TICKETS.rows(client=client.pk)
    if "suitability" in sections:
        context["assessment"] = next(iter(_ASSESSMENT.rows(client=client.pk)), None)
        context["today"] = today
    if "checks" in sections:
        context["checks"] = _CHECKS.rows(client=client.pk)
    if "shelf" in sections:
        # Each position's suitability for its holder (the full shelf of products on sale is
        # loaded after the page, by htmx, from ``suitability:shelf``: it runs the rules for
        # every product on sale, which is most of a client page's time).
        held = list({position.product_id: position.product for position in context.get("positions", [])}.values())
        rows = []
        if held:
            # The assessment the page already read is the one the rules use (the latest).
            profile = investor_profile(client, today, context.get("assessment", UNREAD))
            rows = product_shelf(client, held, today, profile=profile)
        by_product = {row.product.pk: row for row in rows}
        for position in context.get("positions", []):
            position.suitability = by_product.get(position.product_id)
    if "household" in sections:
        context["household"] = household(client, user)
    if "chart" in sections:
        points = _CHART.rows(client=client.pk, since=today - datetime.timedelta(days=CHART_DAYS))
        context["assets_chart"] = {
            "labels": [day.isoformat() for day, _total in points],
            "values": [float(total) for _day, total in points],
            "label": str(_("Total assets")),
        }
    if "interactions" in sections:
        context["interactions"] = _INTERACTIONS.rows(client=client.pk)
    if "campaigns" in sections:
        context["campaign_targets"] = campaign_targets(client)
    return context


def campaign_targets(client) -> list[CampaignTarget]:
    """The client's targets in running and finished campaigns, newest first, with the score's
    reasons in words (``target.reason_words``). Never a control target: those are held out to
    measure the campaign's effect, and nobody in the workbench sees them. Drafts and cancelled
    campaigns are left out: their lists are not (or no longer) worked."""
    targets = _TARGETS.rows(client=client.pk)
    for target in targets:
        target.reason_words = [reason_text(reason) for reason in (target.reasons or [])[:REASONS_SHOWN]]
    return targets


def household(client, user) -> dict:
    """Related clients (spouse, parents, children …) with their assets and risk levels.

    Members in the user's scope are shown with their figures and counted in the combined assets;
    members outside it are only counted (``hidden``), so the panel never shows another book's
    client — the household may be served by several advisors.
    """
    relationships = _RELATIONSHIPS.rows(client=client.pk)
    links = [link for link in relationships if link.related_client_id is not None]
    member_ids = [link.related_client_id for link in links]
    visible = set(Client.objects.visible_to(user).filter(pk__in=member_ids).values_list("pk", flat=True))
    members = [link for link in links if link.related_client_id in visible]
    combined = client.total_assets + sum((link.related_client.total_assets for link in members), Decimal("0"))
    trusted = [link for link in relationships if link.related_client_id is None]
    return {"members": members, "hidden": len(links) - len(members), "combined_assets": combined, "contacts": trusted}
