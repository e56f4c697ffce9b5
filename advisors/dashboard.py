"""The dashboard's figures for one user (and optionally one advisor inside a manager's scope).

A plain function of a user and a day: every section is one or two set-based queries over the
user's scope (``crm.access``), so the page costs the same number of queries whatever the size of
the book. Definitions (also in README, "Dashboard"):

- **alerts**: open alerts, and snoozed ones whose day has come. An advisor sees the alerts
  addressed to them; a team lead or branch manager those on the clients of their scope.
- **follow-ups due**: open follow-ups (``next_follow_up_on``) due within 7 days or overdue.
- **overdue for contact**: active clients whose last logged contact is older than their tier's coverage
  rule (``TierPolicy.contact_every_days``: by default UHNW 14, HNW 30, affluent 90, mass 180
  days); a client never contacted counts from the day the account was opened.
- **maturities**: positions on the latest position day in products maturing within 15 days.
- **expiring risk profiles**: clients whose latest risk assessment expires within 30 days or has
  expired (or who have none).
- **book**: clients, total assets, net flow this month against last month, tier mix, and assets
  at each of the last 12 month-ends (the last trading day on or before each month's end).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Max, Q, Sum, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from advisors.models import Advisor, Alert
from clients.models import AssetSnapshot, CashFlow, Client, Interaction, Position, TierPolicy
from crm import access, roles
from crm.choices import Tier
from crm.models import TradingHoliday
from tickets.models import Ticket

FOLLOW_UP_WINDOW_DAYS = 7
MATURITY_WINDOW_DAYS = 15
EXPIRY_WINDOW_DAYS = 30
ITEMS_PER_KIND = 5
LIST_ROWS = 10
# Counts on the dashboard stop at this many ("1,000+"): past it the number is not a to-do list,
# and counting a whole firm's overdue clients would cost a scan of the book on every page view.
COUNT_CAP = 1000
MONTHS = 12
ZERO = Decimal("0")
# Most severe first (the stored values sort alphabetically, which is not an order of urgency).
SEVERITY_RANK = Case(
    When(severity=Alert.Severity.CRITICAL, then=Value(0)),
    When(severity=Alert.Severity.WARNING, then=Value(1)),
    default=Value(2),
)


@dataclass
class DashboardScope:
    """Whose clients and alerts the dashboard covers."""

    clients: object  # QuerySet[Client]
    alerts: object  # QuerySet[Alert]
    tickets: object  # QuerySet[Ticket]
    advisor: Advisor | None = None  # the advisor filter, when a manager chose one
    advisors: list = field(default_factory=list)  # advisors a manager may filter by


def dashboard_scope(user, advisor_code: str | None = None) -> DashboardScope:
    profile = access.access_profile(user)
    clients = Client.objects.visible_to(user)
    alerts = Alert.objects.visible_to(user).filter(
        Q(status=Alert.Status.OPEN) | Q(status=Alert.Status.SNOOZED, snoozed_until__lte=timezone.localdate())
    )
    tickets = Ticket.objects.visible_to(user).filter(status__in=Ticket.OPEN_STATUSES)
    manages = (
        profile.is_superuser
        or bool(profile.roles & {roles.TEAM_LEAD, roles.BRANCH_MANAGER, roles.COMPLIANCE})
        or profile.unit_is_headquarters
    )
    scope = DashboardScope(clients=clients, alerts=alerts, tickets=tickets)
    if not manages:
        # An advisor's own work: alerts addressed to them, tickets assigned to them.
        scope.alerts = alerts.filter(advisor_id=profile.advisor_id)
        scope.tickets = tickets.filter(assignee=user)
        return scope
    advisors = Advisor.objects.filter(is_active=True).select_related("org_unit").order_by("code")
    if not profile.is_superuser and profile.unit_path and not profile.has_role(roles.COMPLIANCE):
        advisors = advisors.filter(org_unit__path__startswith=profile.unit_path)
    scope.advisors = advisors
    if advisor_code:
        chosen = advisors.filter(code=advisor_code).first()
        if chosen is not None:
            scope.advisor = chosen
            scope.clients = clients.filter(primary_advisor=chosen)
            scope.alerts = scope.alerts.filter(advisor=chosen)
            scope.tickets = scope.tickets.filter(assignee_id=chosen.user_id)
    return scope


def alerts_by_kind(alerts) -> list[dict]:
    """``[{kind, label, count, items}]``, most numerous first; ``items`` are the most urgent few."""
    counts = dict(alerts.order_by().values_list("kind").annotate(n=Count("pk")))
    # The few most urgent of each kind, in one query (a window numbering each kind's alerts).
    urgent = list(
        alerts.select_related("client")
        .annotate(
            place=Window(
                RowNumber(), partition_by=[F("kind")], order_by=[SEVERITY_RANK.asc(), F("due_on").asc(), F("pk").asc()]
            )
        )
        .filter(place__lte=ITEMS_PER_KIND)
        .order_by("kind", "place")
    )
    labels = dict(Alert.Kind.choices)
    groups = []
    for kind, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        items = [alert for alert in urgent if alert.kind == kind][:ITEMS_PER_KIND]
        groups.append({"kind": kind, "label": labels.get(kind, kind), "count": count, "items": items})
    return groups


def capped_count(rows) -> int:
    """How many rows, counted up to ``COUNT_CAP + 1`` (``SELECT count(*) FROM (… LIMIT n)``)."""
    return rows.order_by()[: COUNT_CAP + 1].count()


def follow_ups_due(clients, today: datetime.date):
    return list(
        Interaction.objects.filter(
            client__in=clients.order_by().values("pk"),
            follow_up_done=False,
            next_follow_up_on__lte=today + datetime.timedelta(days=FOLLOW_UP_WINDOW_DAYS),
        )
        .select_related("client")
        .order_by("next_follow_up_on", "pk")[:LIST_ROWS]
    )


def overdue_for_contact(clients, today: datetime.date) -> tuple[int, list]:
    policies = dict(TierPolicy.objects.values_list("tier", "contact_every_days"))
    if not policies:
        return 0, []
    overdue = Q()
    for tier, days in policies.items():
        cutoff = timezone.make_aware(datetime.datetime.combine(today - datetime.timedelta(days=days), datetime.time()))
        never = Q(last_contact_at__isnull=True) & (Q(opened_on__isnull=True) | Q(opened_on__lt=cutoff.date()))
        overdue |= Q(tier=tier) & (Q(last_contact_at__lt=cutoff) | never)
    # ``last_contact_at`` is kept on the client row (clients.recency), so this is an index
    # filter over the book rather than a lookup of every client's latest interaction.
    rows = clients.filter(status=Client.Status.ACTIVE).filter(overdue)
    count = capped_count(rows)
    listed = list(rows.order_by("-total_assets", "client_no")[:LIST_ROWS])
    for client in listed:
        client.contact_every_days = policies.get(client.tier)
    return count, listed


def maturities(clients, today: datetime.date) -> list:
    latest = Position.objects.aggregate(day=Max("as_of"))["day"]
    if latest is None:
        return []
    return list(
        Position.objects.filter(
            client__in=clients.order_by().values("pk"),
            as_of=latest,
            product__maturity_date__gte=today,
            product__maturity_date__lte=today + datetime.timedelta(days=MATURITY_WINDOW_DAYS),
        )
        .select_related("client", "product")
        .order_by("product__maturity_date", "-market_value")[: LIST_ROWS * 2]
    )


def expiring_risk_profiles(clients, today: datetime.date) -> tuple[int, list]:
    # ``risk_valid_until`` is the latest assessment's, kept on the client row (clients.recency);
    # the list shows the expired and soonest-expiring first (the index's order), then the
    # clients never assessed.
    rows = clients.filter(status=Client.Status.ACTIVE).filter(
        Q(risk_valid_until__isnull=True) | Q(risk_valid_until__lte=today + datetime.timedelta(days=EXPIRY_WINDOW_DAYS))
    )
    return capped_count(rows), list(rows.order_by(F("risk_valid_until").asc(nulls_last=True), "client_no")[:LIST_ROWS])


def month_ends(today: datetime.date, months: int = MONTHS) -> list[datetime.date]:
    """The last trading day on or before each of the last ``months`` month-ends (the current
    month counts up to today), oldest first."""
    first = today.replace(day=1)
    ends = []
    year, month = first.year, first.month
    for _ in range(months):
        last = datetime.date(year, month, calendar.monthrange(year, month)[1])
        ends.append(min(last, today))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    holidays = set(
        TradingHoliday.objects.filter(date__gte=min(ends) - datetime.timedelta(days=15), date__lte=today).values_list(
            "date", flat=True
        )
    )
    trading = []
    for day in ends:
        while day.weekday() >= 5 or day in holidays:
            day -= datetime.timedelta(days=1)
        trading.append(day)
    return sorted(trading)


def book_summary(clients, today: datetime.date) -> dict:
    money = DecimalField(max_digits=20, decimal_places=2)
    totals = clients.order_by().aggregate(
        clients=Count("pk"), assets=Coalesce(Sum("total_assets"), Value(ZERO), output_field=money)
    )
    tier_mix = dict(clients.order_by().values_list("tier").annotate(n=Count("pk")))
    this_month = today.replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    days = month_ends(today)
    flows, by_day = _book_series_by_date(clients, days, last_month, this_month)
    return {
        "clients": totals["clients"],
        "assets": totals["assets"],
        "tier_mix": [(label, tier_mix.get(tier, 0)) for tier, label in Tier.choices],
        "net_flow_this_month": (flows["in_this"] or ZERO) - (flows["out_this"] or ZERO),
        "net_flow_last_month": (flows["in_last"] or ZERO) - (flows["out_last"] or ZERO),
        "assets_by_month": [(day, by_day.get(day)) for day in days],
    }


def dashboard(user, *, advisor_code: str | None = None, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    scope = dashboard_scope(user, advisor_code)
    overdue_count, overdue = overdue_for_contact(scope.clients, today)
    expiring_count, expiring = expiring_risk_profiles(scope.clients, today)
    groups = alerts_by_kind(scope.alerts)
    return {
        "today": today,
        "scope": scope,
        "alert_groups": groups,
        "alert_count": sum(group["count"] for group in groups),
        "follow_ups": follow_ups_due(scope.clients, today),
        "overdue_count": overdue_count,
        "overdue": overdue,
        "maturities": maturities(scope.clients, today),
        "expiring_count": expiring_count,
        "expiring": expiring,
        "open_ticket_count": capped_count(scope.tickets),
        "count_cap": COUNT_CAP,
        "open_tickets": list(scope.tickets.select_related("client", "kind").order_by("resolution_due_at")[:LIST_ROWS]),
        "book": book_summary(scope.clients, today),
    }


def _book_series_by_date(clients, days, last_month, this_month):
    """The scope's cash flows since last month and its assets on the month-end days, in two
    statements. With the scope as one ``IN (… UNION …)`` the planner walks a small book's ids
    through the (client, day) indexes and a large scope's days through the date indexes
    (measured at 200,000 clients: 40 ms for an advisor's book, 1.5 s for the whole firm)."""
    scope = clients.order_by().values("pk")
    flows = CashFlow.objects.filter(client__in=scope, flow_date__gte=last_month).aggregate(
        in_this=Sum("amount", filter=Q(direction="in", flow_date__gte=this_month)),
        out_this=Sum("amount", filter=Q(direction="out", flow_date__gte=this_month)),
        in_last=Sum("amount", filter=Q(direction="in", flow_date__lt=this_month)),
        out_last=Sum("amount", filter=Q(direction="out", flow_date__lt=this_month)),
    )
    by_day = dict(
        AssetSnapshot.objects.filter(client__in=scope, as_of__in=days)
        .order_by()
        .values_list("as_of")
        .annotate(total=Sum("total_assets"))
    )
    return flows, by_day
