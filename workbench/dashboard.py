"""The dashboard's figures for one user (and optionally one advisor inside a manager's scope).

A plain function of a user and a day: every section is one or two set-based queries over the
user's scope (``core.access``), so the page costs the same number of queries whatever the size of
the book. Definitions (also in README, "Dashboard"):

- **alerts**: open alerts, and snoozed ones whose day has come (``alerts.models.open_now``). An
  advisor sees the alerts addressed to them; a team lead or branch manager those on the clients
  of their scope. They are shown as the ranked today list (``alerts.ranking``): one row per
  client, the most valuable first, the client's alerts folded in; the kinds are filters.
- **follow-ups due**: open follow-ups (``next_follow_up_on``) due within 7 days or overdue.
- **overdue for contact**: active clients whose last logged contact is older than their tier's
  coverage rule (``TierPolicy.contact_every_days``: by default UHNW 14, HNW 30, affluent 90,
  mass 180 days); a client never contacted counts from the day the account was opened.
- **maturities**: positions on the latest position day in products maturing within 15 days.
- **expiring risk profiles**: clients whose latest risk assessment expires within 30 days or has
  expired (or who have none).
- **campaign tasks** (营销任务): targets of active campaigns still to work (pending) or to follow
  up (interested), best score first, never a control target (held out: nobody works them). An
  advisor sees the targets addressed to them; a team lead or branch manager those on the clients
  of their scope (``CampaignTarget.objects.visible_to``).
- **book**: the clients the user's book holds (an advisor's own, a manager's unit, the firm),
  from the aggregates the nightly run builds for the reports (``reports.models``): clients,
  total assets and tier mix as of the last night with asset snapshots, net inflow this month
  against last month, and assets at each of the last 12 months' last snapshot day.

Counts stop at ``COUNT_CAP`` ("1,000+"). ``dashboard`` gives the page (alerts and book);
the lists (``SECTIONS``) are read by ``dashboard_section``, one request each, after the page is
shown.
"""

from __future__ import annotations

import contextvars
import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db import connection
from django.db.models import Count, DecimalField, F, Max, Q, Sum, Window
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor
from alerts import ranking
from alerts.models import Alert, open_now
from campaigns.models import Campaign, CampaignTarget
from campaigns.texts import reason_text
from clients.models import Client, Interaction, Position, TierPolicy
from core import access, compiled, roles
from core.choices import Tier
from products.models import Product
from reports import cache as report_cache
from reports.figures import Slice
from reports.models import AdvisorDay, ReportDay, SegmentDay
from reports.periods import month_ends
from tickets.models import Ticket
from workbench.alert_rows import ROW_FIELDS

FOLLOW_UP_WINDOW_DAYS = 7
MATURITY_WINDOW_DAYS = 15
EXPIRY_WINDOW_DAYS = 30
TODAY_ROWS = 12  # clients on the ranked today list
LIST_ROWS = 10
REASONS_SHOWN = 3
# Counts on the dashboard stop at this many ("1,000+"): past it the number is not a to-do list,
# and counting a whole firm's overdue clients would cost a scan of the book on every page view.
COUNT_CAP = 1000
# From this many open alerts in the ranked list's scope (a firm's), its clients are chosen by
# ``alerts.ranking.ClientsOfMany``; below it (an advisor's, a team's, a branch's: up to a
# few thousand) the plain aggregate costs less than that query's first steps.
MANY_ALERTS = 40_000
ZERO = Decimal("0")
MONEY = DecimalField(max_digits=20, decimal_places=2)


@dataclass
class DashboardScope:
    """Whose clients and alerts the dashboard covers. The querysets are built when first read: a
    request reads only some of them (the page its alerts, a list its clients and tickets or
    targets), and each costs the user's scope conditions (``core.access``) to build."""

    user: object
    manages: bool = False  # a team lead, branch manager, compliance, head office: their scope's work
    own_advisor_id: int | None = None  # an advisor's own profile (their alerts, targets)
    advisor: Advisor | None = None  # the advisor filter, when a manager chose one
    # ``(code, name)`` of the advisors a manager may filter by (empty for an advisor): plain
    # tuples, since a firm has over a thousand and model objects would cost more than the page.
    advisors: object = field(default_factory=list)  # QuerySet of (code, name), or []
    book: Slice = field(default_factory=Slice)  # whose book the figures cover (the nightly aggregates)

    @cached_property
    def clients(self):  # QuerySet[Client]
        clients = Client.objects.visible_to(self.user)
        return clients.filter(primary_advisor=self.advisor) if self.advisor else clients

    @cached_property
    def alerts(self):  # QuerySet[Alert]: an advisor's are those addressed to them
        alerts = Alert.objects.visible_to(self.user).filter(open_now())
        if not self.manages:
            return alerts.filter(advisor_id=self.own_advisor_id)
        return alerts.filter(advisor=self.advisor) if self.advisor else alerts

    @cached_property
    def tickets(self):  # QuerySet[Ticket]: an advisor's are those assigned to them
        tickets = Ticket.objects.visible_to(self.user).filter(status__in=Ticket.OPEN_STATUSES)
        if not self.manages:
            return tickets.filter(assignee=self.user)
        return tickets.filter(assignee_id=self.advisor.user_id) if self.advisor else tickets

    @cached_property
    def targets(self):  # QuerySet[CampaignTarget]: campaign tasks (before the permission check)
        targets = campaign_targets_to_work(self.user)
        if not self.manages:
            return targets.filter(advisor_id=self.own_advisor_id)
        return targets.filter(advisor=self.advisor) if self.advisor else targets


def dashboard_scope(user, advisor_code: str | None = None) -> DashboardScope:
    profile = access.access_profile(user)
    manages = (
        profile.is_superuser
        or bool(profile.roles & {roles.TEAM_LEAD, roles.BRANCH_MANAGER, roles.COMPLIANCE})
        or profile.unit_is_headquarters
    )
    scope = DashboardScope(user=user, manages=manages, own_advisor_id=profile.advisor_id)
    if not manages:
        # An advisor's own work: alerts addressed to them, tickets assigned to them, their book.
        scope.book = Slice(advisor_id=profile.advisor_id or 0)
        return scope
    advisors = Advisor.objects.filter(is_active=True).order_by("code")
    if not profile.is_superuser and profile.unit_path and not profile.has_role(roles.COMPLIANCE):
        advisors = advisors.filter(org_unit__path__startswith=profile.unit_path)
        scope.book = Slice(path=profile.unit_path)
    scope.advisors = advisors.values_list("code", "name")  # lazy: only the pages with the filter read it
    if advisor_code:
        chosen = advisors.filter(code=advisor_code).first()
        if chosen is not None:
            scope.advisor = chosen
            scope.book = Slice(advisor_id=chosen.pk)
    return scope


def campaign_targets_to_work(user):
    """The campaign targets in ``user``'s scope still to work or follow up: of active campaigns,
    pending or interested, never control targets. (The right to view targets is checked by the
    section that reads them: the other sections need not load the user's permissions.)"""
    return CampaignTarget.objects.visible_to(user).filter(
        control=False,
        campaign__status=Campaign.Status.ACTIVE,
        status__in=(CampaignTarget.Status.PENDING, CampaignTarget.Status.INTERESTED),
    )


def campaign_tasks(targets) -> tuple[int, list]:
    """How many targets to work (capped) and the best-scored first few, with their client,
    campaign and product (one query each) and each target's top reasons in words."""
    rows = list(
        targets.select_related("client", "campaign", "campaign__product", "advisor")
        .without_client_pii()
        .order_by(F("score").desc(nulls_last=True), "campaign__ends_on", "pk")[:LIST_ROWS]
    )
    for target in rows:
        target.reason_words = [reason_text(reason) for reason in (target.reasons or [])[:REASONS_SHOWN]]
    return capped_count(targets), rows


@dataclass
class TodayRow:
    """One client on the ranked today list: the client, their best alert's score, how many
    alerts they have open in the list's scope, the most days one of them is overdue, and the
    best of them (``lead``). The others are read when the row is opened (the alerts page's
    rows of that client, ``/alerts/?client=``): a dashboard of twelve clients with ten alerts
    each spent most of its time writing rows nobody had opened yet."""

    client: object
    score: int
    count: int
    lead: object
    overdue_days: int = 0

    @property
    def more(self) -> int:
        return self.count - 1


def kind_counts(alerts, *, capped: bool = False) -> list[dict]:
    """``[{kind, label, count}]`` of the open alerts, most numerous first: the list's filters.

    ``capped``: each kind counted up to ``COUNT_CAP + 1`` only, for the whole firm's alerts (a
    compliance officer's or head office's dashboard). Counting all of them is a scan of every
    open alert — 150,000 at 200,000 clients, 46 ms on three processes — on every page view;
    each kind's first ``COUNT_CAP + 1`` are read from the ``alert_open_kind`` index alone, all
    kinds in one query (1 ms). A count past the cap shows as "1,000+", as every count of the
    dashboard does."""
    labels = dict(Alert.Kind.choices)
    if capped:
        counts = _capped_kind_counts(alerts)
    else:
        # count(*), not count(id): the open alerts' index (alert_open_client_kind) answers it alone
        counts = alerts.order_by().values_list("kind").annotate(n=Count("*"))
    return [
        {"kind": kind, "label": labels.get(kind, kind), "count": n}
        for kind, n in sorted(counts, key=lambda item: (-item[1], item[0]))
        if n
    ]


_KIND = "\x00kind"  # a value no kind has, replaced by each kind in the compiled query's parameters


def _capped_kind_counts(alerts) -> list[tuple[str, int]]:
    """``(kind, count up to COUNT_CAP + 1)`` for each kind with open alerts: one query, a
    ``UNION ALL`` of one index range per kind, compiled once (the kinds differ only in a
    parameter)."""
    sql, params = alerts.filter(kind=_KIND).order_by().values("kind")[: COUNT_CAP + 1].query.sql_with_params()
    if params.count(_KIND) != 1:  # the kind must be the one parameter to replace
        raise RuntimeError("the capped kind counts' query has no single kind parameter")
    parts, values = [], []
    for kind in Alert.Kind.values:
        parts.append(f"({sql})")
        values.extend(kind if value == _KIND else value for value in params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT kind, count(*) FROM ({' UNION ALL '.join(parts)}) k GROUP BY kind", values)
        return cursor.fetchall()


def ranked_today(
    alerts,
    today: datetime.date,
    *,
    kind: str = "",
    limit: int = TODAY_ROWS,
    wide: bool = False,
    compiled_as: tuple | None = None,
) -> list[TodayRow]:
    """The ranked today list (``alerts.ranking``): the ``limit`` clients whose best alert scores
    highest, one row each. The clients are chosen by an aggregate over the scope's alert rows
    (a subquery); then each one's best alert, with the number of their alerts and the most days
    one is overdue (windows over their alerts) — one query, which gives the leads' ids — and the
    leads are read with their clients and advisors by id.
    ``wide``: a scope of ``MANY_ALERTS`` or more, whose clients ``ranking.ClientsOfMany`` chooses
    first (its steps, compiled once for the same key).

    ``compiled_as``: the facts ``alerts`` was built from (``dashboard`` passes the user's access
    profile, the advisor chosen and the day). The first query is then built and compiled to SQL
    once per process for them and ``kind`` (5 ms of Django's work per page), as the scope's
    subquery is (``core.access``): the SQL reads the alerts when it runs, so it cannot go stale."""
    # (The scope's SQL also holds the day it was built on: a share lasts until a date.)
    key = (*compiled_as, kind, limit, wide, today, timezone.localdate()) if compiled_as is not None else None

    def of_kind():
        return alerts.filter(kind=kind) if kind else alerts

    sql = _compiled_rankings.sql(key, lambda: _lead_rows(of_kind(), today, limit, wide))
    if wide:

        def steps_of_many():
            return ranking.ClientsOfMany.of(of_kind(), limit, today)

        steps = _compiled_rankings.get((*key, "of many") if key is not None else None, steps_of_many)
        sql = compiled.filled(sql, chosen=steps.client_ids())
    leads = {pk: (score, count, overdue) for pk, score, count, overdue in compiled.fetch(sql)}
    if not leads:  # nothing open, or a scope with no clients
        return []
    # what a row shows (workbench.alert_rows), and the client's tier and assets in its head
    alerts_by_id = (
        Alert.objects.filter(pk__in=leads)
        .select_related("client", "advisor")
        .only(*ROW_FIELDS, "client__tier", "client__total_assets")
    )
    rows = [
        TodayRow(client=a.client, score=leads[a.pk][0], count=leads[a.pk][1], lead=a, overdue_days=leads[a.pk][2])
        for a in alerts_by_id
    ]
    return sorted(rows, key=lambda row: (-row.score, -row.count, row.client.pk))


_compiled_rankings = compiled.CompiledOnce()


def _lead_rows(alerts, today: datetime.date, limit: int, wide: bool):
    """``(alert id, score, the client's alert count, most days overdue)`` of each chosen
    client's best alert."""
    chosen = ranking.chosen_clients() if wide else ranking.top_clients(alerts, limit, today)
    per_client = {"partition_by": [F("client_id")]}
    # DISTINCT ON (client) keeps each client's first row in the score's order; the windows are
    # computed before it, over all of the client's alerts. (Filtering on a row-number window
    # instead costs Django a wrapping query to compile.)
    return (
        ranking.with_score(alerts.filter(client_id__in=chosen), today)
        .annotate(
            of_client=Window(Count("pk"), **per_client),
            most_overdue=Window(Max(ranking.overdue_days(today)), **per_client),
        )
        .order_by("client_id", F("score").desc(), "due_on", "pk")
        .distinct("client_id")
        .values_list("pk", "score", "of_client", "most_overdue")
    )


def of_clients(rows, clients):
    """``rows`` (interactions, positions …) of the clients in ``clients``; no filter when
    ``clients`` is the whole book (a semi-join with 200,000 client ids would cost a scan)."""
    if not clients.query.where:
        return rows
    return rows.filter(client__in=clients.order_by().values("pk"))


def capped_count(rows) -> int:
    """How many rows, counted up to ``COUNT_CAP + 1`` (``SELECT count(*) FROM (… LIMIT n)``)."""
    return rows.order_by()[: COUNT_CAP + 1].count()


def open_alert_badge(user) -> int:
    """The navigation badge: the open alerts ``user`` works (``DashboardScope.alerts``), counted
    up to ``COUNT_CAP + 1``. Shown on nearly every page, so its SQL is built and compiled once
    per process for the user's access profile and the day (``core.compiled``; 2–4 ms of
    Django's work a page); it counts the alerts as they are when it runs."""
    key = (access.access_profile(user), COUNT_CAP, timezone.localdate())
    return compiled.count(
        _compiled_badges.sql(key, lambda: dashboard_scope(user).alerts.order_by().values("pk")[: COUNT_CAP + 1])
    )


_compiled_badges = compiled.CompiledOnce()


def follow_ups_due(clients, today: datetime.date):
    return list(
        of_clients(Interaction.objects.all(), clients)
        .filter(
            follow_up_done=False,
            next_follow_up_on__lte=today + datetime.timedelta(days=FOLLOW_UP_WINDOW_DAYS),
        )
        .select_related("client", "advisor")  # a team lead sees whose promise it is
        .without_client_pii()
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
    # ``last_contact_at`` is kept on the client row (clients.models, suitability.models), so this is an index
    # filter over the book rather than a lookup of every client's latest interaction.
    rows = clients.filter(status=Client.Status.ACTIVE).filter(overdue)
    count = capped_count(rows)
    # Largest first: the band (indexed) then the assets, the same order as the assets alone.
    listed = list(rows.without_pii().order_by("-assets_band", "-total_assets", "client_no")[:LIST_ROWS])
    for client in listed:
        client.contact_every_days = policies.get(client.tier)
    return count, listed


def maturities(clients, today: datetime.date) -> list:
    # The newest day of the last two months' partitions when they hold one (it is then the
    # newest of all), which spares probing every month's; else of all of them.
    recent = Position.objects.filter(as_of__gte=today - datetime.timedelta(days=62))
    latest = recent.aggregate(day=Max("as_of"))["day"] or Position.objects.aggregate(day=Max("as_of"))["day"]
    if latest is None:
        return []
    # Driven by the few products maturing soon (the (product, day) index), then kept to the scope;
    # the first rows are chosen over the position rows alone and only they are read with their
    # client and product (joining clients first read 9,500 client rows for a firm: 90 ms).
    maturing = Product.objects.filter(
        maturity_date__gte=today, maturity_date__lte=today + datetime.timedelta(days=MATURITY_WINDOW_DAYS)
    ).values("pk")
    order = ("product__maturity_date", "-market_value", "pk")
    first = of_clients(Position.objects.filter(product__in=maturing, as_of=latest), clients).order_by(*order)
    # ``as_of``: the positions are partitioned by month, and without the day a read by id
    # probes every month's partition. ``only``: what a row shows (a client's fifty columns
    # and a product's twenty were read for three).
    return list(
        Position.objects.filter(pk__in=first.values("pk")[: LIST_ROWS * 2], as_of=latest)
        .select_related("client", "product")
        .only("client_id", "market_value", "as_of", "client__name", "product__name", "product__maturity_date")
        .order_by(*order)
    )


def expiring_risk_profiles(clients, today: datetime.date) -> tuple[int, list]:
    # ``risk_valid_until`` is the latest assessment's, kept on the client row (clients.models, suitability.models);
    # the list shows the expired and soonest-expiring first (the index's order), then the
    # clients never assessed.
    rows = clients.filter(status=Client.Status.ACTIVE).filter(
        Q(risk_valid_until__isnull=True) | Q(risk_valid_until__lte=today + datetime.timedelta(days=EXPIRY_WINDOW_DAYS))
    )
    return capped_count(rows), list(
        rows.without_pii().order_by(F("risk_valid_until").asc(nulls_last=True), "client_no")[:LIST_ROWS]
    )


def book_summary(book: Slice, today: datetime.date) -> dict:
    """The book at a glance from the aggregates the nightly run builds (``reports.models``), so
    it costs four small queries for an advisor's book and for the whole firm alike, and agrees
    with the reports. Stocks (clients, assets, tier mix) are as of the last day with asset
    snapshots; flows are summed over the days built so far this month and last month."""
    months = month_ends(today)
    snapshot_days = list(
        ReportDay.objects.filter(has_snapshots=True, day__gte=months[0][0], day__lte=today)
        .order_by("day")
        .values_list("day", flat=True)
    )
    # Each month's point is its last day with snapshots (None: the month has none built).
    points = [max((day for day in snapshot_days if start <= day <= end), default=None) for start, end in months]
    as_of = snapshot_days[-1] if snapshot_days else None
    rows = book.rows(AdvisorDay)
    by_day = {
        day: (clients, assets)
        for day, clients, assets in rows.filter(day__in=[day for day in points if day])
        .order_by()
        .values_list("day")
        .annotate(clients=Sum("clients"), assets=Sum("assets"))
    }
    this_month, (last_month, _end) = months[-1][0], months[-2]
    flows = rows.filter(day__gte=last_month, day__lte=today).aggregate(
        this=Coalesce(Sum("net_inflow", filter=Q(day__gte=this_month)), ZERO, output_field=MONEY),
        last=Coalesce(Sum("net_inflow", filter=Q(day__lt=this_month)), ZERO, output_field=MONEY),
    )
    tiers = dict(
        book.rows(SegmentDay)
        .filter(day=as_of, dimension=SegmentDay.Dimension.TIER)
        .order_by()
        .values_list("value")
        .annotate(clients=Sum("clients"))
    )
    clients, assets = by_day.get(as_of, (0, ZERO))
    return {
        "as_of": as_of,
        "clients": clients or 0,
        "assets": assets or ZERO,
        "tier_mix": [(label, tiers.get(tier, 0)) for tier, label in Tier.choices],
        "net_flow_this_month": flows["this"],
        "net_flow_last_month": flows["last"],
        "assets_by_month": [
            (day or end, by_day[day][1] if day in by_day else None)
            for day, (_start, end) in zip(points, months, strict=True)
        ],
    }


def remembered_book_summary(book: Slice, today: datetime.date, user) -> dict:
    """``book_summary`` kept in the cache under the build of the aggregates it reads
    (``reports.cache``: the newest built day, its build time and the number of built days, with
    the master data's generation and the language), so a nightly run or a rebuild is seen on
    the next request; one small query on ``ReportDay`` instead of four over the day tables."""
    build = report_cache.current_build()

    def read() -> dict:
        report_cache.read_under(build, user)
        parts = (book.path, book.advisor_id, today)
        return report_cache.remember("dashboard-book", parts, lambda: book_summary(book, today))

    # in a context of its own: the build read under ends here, as with a report view
    return contextvars.copy_context().run(read)


def dashboard(user, *, advisor_code: str | None = None, kind: str = "", today: datetime.date | None = None) -> dict:
    """The page itself: the ranked today list (``kind``: one kind of alert only) and the book.
    The lists beside them (``SECTIONS``) are read by ``dashboard_section``, each in a request of
    its own made once the page is shown, so a manager's page does not wait for six reads of a
    branch's clients in a row."""
    today = today or timezone.localdate()
    scope = dashboard_scope(user, advisor_code)
    firm_wide = scope.advisor is None and access.client_scope(user) is access.EVERYTHING
    kinds = kind_counts(scope.alerts, capped=firm_wide)
    kind = kind if kind in Alert.Kind.values else ""
    alert_count = sum(entry["count"] for entry in kinds)
    ranked_count = sum(entry["count"] for entry in kinds if entry["kind"] == kind) if kind else alert_count
    return {
        "today": today,
        "scope": scope,
        "kinds": kinds,
        "kind": kind,
        "today_rows": ranked_today(
            scope.alerts,
            today,
            kind=kind,
            wide=firm_wide or ranked_count >= MANY_ALERTS,
            compiled_as=(access.access_profile(user), scope.advisor.pk if scope.advisor else None),
        ),
        "alert_count": alert_count,
        "count_cap": COUNT_CAP,
        "book": remembered_book_summary(scope.book, today, user),
        "sections": SECTIONS,
    }


def _follow_ups(scope: DashboardScope, today: datetime.date) -> dict:
    return {"follow_ups": follow_ups_due(scope.clients, today)}


def _overdue(scope: DashboardScope, today: datetime.date) -> dict:
    count, rows = overdue_for_contact(scope.clients, today)
    return {"overdue_count": count, "overdue": rows}


def _maturities(scope: DashboardScope, today: datetime.date) -> dict:
    return {"maturities": maturities(scope.clients, today)}


def _expiring(scope: DashboardScope, today: datetime.date) -> dict:
    count, rows = expiring_risk_profiles(scope.clients, today)
    return {"expiring_count": count, "expiring": rows}


def _tickets(scope: DashboardScope, today: datetime.date) -> dict:
    return {
        "open_ticket_count": capped_count(scope.tickets),
        "open_tickets": list(
            scope.tickets.select_related("client", "kind")
            .without_client_pii()
            .order_by("resolution_due_at")[:LIST_ROWS]
        ),
    }


def _campaign_tasks(scope: DashboardScope, today: datetime.date) -> dict:
    if not scope.user.has_perm("campaigns.view_campaigntarget"):
        return {"campaign_task_count": 0, "campaign_tasks": []}
    count, rows = campaign_tasks(scope.targets)
    return {"campaign_task_count": count, "campaign_tasks": rows}


@dataclass(frozen=True)
class Section:
    """A list beside the alerts: its name in the URL, its heading, and what it reads."""

    name: str
    title: str
    read: object  # (DashboardScope, today) -> template context


SECTIONS = (
    Section("follow-ups", _("Follow-ups due"), _follow_ups),
    Section("campaign-tasks", _("Campaign tasks"), _campaign_tasks),
    Section("overdue", _("Overdue for contact"), _overdue),
    Section("maturities", _("Maturities in the next 15 days"), _maturities),
    Section("expiring", _("Risk profiles expiring or expired"), _expiring),
    Section("tickets", _("Open tickets"), _tickets),
)
SECTIONS_BY_NAME = {section.name: section for section in SECTIONS}


def dashboard_section(
    user, name: str, *, advisor_code: str | None = None, today: datetime.date | None = None
) -> dict | None:
    """One list of the dashboard (None for an unknown name), for the same scope as the page."""
    section = SECTIONS_BY_NAME.get(name)
    if section is None:
        return None
    today = today or timezone.localdate()
    scope = dashboard_scope(user, advisor_code)
    return {"today": today, "scope": scope, "section": section, "count_cap": COUNT_CAP, **section.read(scope, today)}
