"""Run the generator: check the database, optionally flush the demo domain, generate every
stage inside one transaction, record an ImportBatch, and report what was written."""

from __future__ import annotations

import datetime as dt
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connections, transaction
from django.utils import timezone

from advisors.models import Advisor, Assignment, OrgUnit
from alerts.models import Alert
from campaigns.models import Campaign, CampaignTarget, Segment
from clients.models import (
    Account,
    AssetSnapshot,
    CashBalance,
    CashFlow,
    Client,
    ClientGroupObjectPermission,
    ClientUserObjectPermission,
    Interaction,
    Position,
    Relationship,
    SegmentChange,
    TierPolicy,
    Transaction,
)
from clients.partitions import ensure_months, months_between
from clients.recency import refresh_last_contact, refresh_risk_valid_until
from core.choices import Tier
from core.dates import add_months
from core.models import ImportBatch, TradingHoliday
from demo.assessments import write_assessments
from demo.context import Context, SeedOptions
from demo.dates import WINDOW_MONTHS, build_calendar
from demo.org import DEMO_USERNAMES, build_org
from demo.people import Book, assign_advisors, build_clients, open_accounts, write_clients
from demo.products import build_products
from demo.servicing import write_alerts, write_interactions, write_tickets
from demo.trading import Simulator, TradingResult
from demo.writer import Writer
from products.models import Product
from suitability.models import InvestorClassification, RiskAssessment, SuitabilityCheck, SuitabilityStep
from tickets.models import Ticket, TicketAttachment, TicketEvent

# What seed_demo owns and --flush empties. Reference data (ticket kinds, SLA and tier policies,
# questionnaires, trading holidays) and the import trail are left alone.
DEMO_MODELS = [
    ClientUserObjectPermission, ClientGroupObjectPermission, Relationship, Position, CashBalance, Transaction,
    CashFlow, AssetSnapshot, SegmentChange, Interaction, Interaction.products_discussed.through, Alert, Assignment,
    SuitabilityStep, SuitabilityCheck, RiskAssessment, InvestorClassification, CampaignTarget, Campaign, Segment,
    TicketAttachment, TicketEvent, Ticket.watchers.through, Ticket, Account, Client, Product, Advisor, OrgUnit,
]  # fmt: skip
# Large tables loaded with their constraints and indexes dropped (PostgreSQL).
BULK_MODELS = [
    Client, Account, Assignment, RiskAssessment, Transaction, CashFlow, Position, CashBalance, AssetSnapshot,
    Interaction, Alert,
]  # fmt: skip
EXPLICIT_ID_MODELS = [Advisor, Product, Client, Account, Ticket]
DEFAULT_TIER_FLOORS = {Tier.AFFLUENT: 500_000, Tier.HIGH_NET_WORTH: 6_000_000, Tier.ULTRA_HIGH_NET_WORTH: 30_000_000}


class DemoDataExists(Exception):
    """The database already holds demo-domain data and --flush was not given."""

    def __init__(self, found: dict[str, int]):
        self.found = found
        listed = ", ".join(f"{count} {name}" for name, count in found.items())
        super().__init__(
            f"The database already has data seed_demo would collide with ({listed}). seed_demo fills an empty "
            "database only; run it again with --flush to delete the demo domain first (clients and all their "
            "accounts, trades, positions and snapshots, assignments, alerts, interactions, assessments, tickets, "
            "campaigns, products, advisors, the org tree and the advisors' users). Reference data (ticket kinds, "
            "SLA and tier policies, questionnaires, trading holidays) and superusers are kept."
        )


@dataclass
class SeedResult:
    rows: dict[str, int]
    seconds: float
    stages: dict[str, float]
    demo_users: dict[str, str]  # role → "username — where they sit"
    password: str
    as_of: dt.date
    batch_id: int
    flushed: bool = False
    notes: list[str] = field(default_factory=list)
    rebuild_seconds: dict[str, float] = field(default_factory=dict)  # PostgreSQL: per rebuilt index/constraint

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def existing_data(using: str = "default") -> dict[str, int]:
    User = get_user_model()
    found = {
        "clients": Client.objects.using(using).count(),
        "org units": OrgUnit.objects.using(using).count(),
        "advisors": Advisor.objects.using(using).count(),
        "products": Product.objects.using(using).count(),
        "users with demo names": User.objects.using(using).filter(username__in=DEMO_USERNAMES.values()).count(),
    }
    return {name: count for name, count in found.items() if count}


def flush_demo_data(using: str = "default") -> None:
    """Delete the demo domain set-based (TRUNCATE … RESTART IDENTITY CASCADE), then the seeded
    users."""
    connection = connections[using]
    User = get_user_model()
    user_ids = set(Advisor.objects.using(using).values_list("user_id", flat=True))
    user_ids |= set(User.objects.using(using).filter(username__in=DEMO_USERNAMES.values()).values_list("id", flat=True))
    tables = [m._meta.db_table for m in DEMO_MODELS]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending trigger events
    sql = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    connection.ops.execute_sql_flush(sql)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    User.objects.using(using).filter(pk__in=user_ids, is_superuser=False).delete()


def _holidays(as_of: dt.date, using: str) -> list[dt.date]:
    start = add_months(as_of.replace(day=1), -WINDOW_MONTHS)
    return list(TradingHoliday.objects.using(using).filter(date__range=(start, as_of)).values_list("date", flat=True))


def seed_demo(options: SeedOptions, *, progress_file: IO[str] | None = None, using: str = "default") -> SeedResult:
    """Generate the demo data set. Raises DemoDataExists on a non-empty database without flush."""
    started = time.perf_counter()
    found = existing_data(using)
    if found and not options.flush:
        raise DemoDataExists(found)
    calendar = build_calendar(options.as_of, _holidays(options.as_of, using))
    stamp = dt.datetime.combine(calendar.as_of, dt.time(20, 0), tzinfo=timezone.get_fixed_timezone(8 * 60))
    writer = Writer(stamp=stamp, using=using)
    ctx = Context(options=options, calendar=calendar, writer=writer, progress_file=progress_file or sys.stderr)
    batch = ImportBatch.objects.using(using).create(
        source=ImportBatch.Source.SEED,
        path=f"seed_demo --clients {options.clients} --seed {options.seed} --as-of {calendar.as_of}",
    )
    stages: dict[str, float] = {}

    @contextmanager
    def stage(name: str, bar: bool = True):
        """Time a stage; stages without a progress bar of their own get a one-step bar."""
        t = time.perf_counter()
        progress = ctx.bar(name, total=1, unit="stage") if bar else None
        yield
        writer.wait()
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - t
        if progress is not None:
            progress.update(1)
            progress.close()

    notes = []
    if calendar.as_of != options.as_of:
        notes.append(f"{options.as_of} is not a trading day; the data is as of {calendar.as_of}.")
    try:
        with transaction.atomic(using=using), writer.session():
            if options.flush:
                with stage("flush"):
                    flush_demo_data(using)
            # Every month of the window its own partition of the daily tables (positions,
            # balances, snapshots), as the nightly run keeps them.
            ensure_months(months_between(calendar.start, calendar.as_of))
            with writer.bulk_load(BULK_MODELS, progress=lambda total: ctx.bar("indexes", total=total, unit="index")):
                with stage("org"):
                    org = build_org(ctx)
                with stage("products"):
                    shelf = build_products(ctx)
                with stage("clients"):
                    book = build_clients(ctx, org)
                    assign_advisors(ctx, org, book)
                    accounts = open_accounts(ctx, book)
                    assessed = write_assessments(ctx, org, book)
                with stage("trading", bar=False):
                    trading = Simulator(ctx, book, accounts, shelf).run()
                derived = derive_segments(ctx, book, trading, using)
                with stage("client rows", bar=False):
                    write_clients(ctx, org, book, derived)
                with stage("servicing"):
                    last_contact = write_interactions(ctx, org, book, shelf)
                    write_alerts(ctx, org, book, shelf, trading, assessed.valid_until, last_contact)
                    if not write_tickets(ctx, org, book, derived["tier"]):
                        notes.append("No ticket kinds configured: no tickets generated.")
                    # The client rows' copies of the latest contact and assessment dates, set-based
                    # while the clients table's indexes are still down.
                    writer.wait()
                    refresh_last_contact(using=using)
                    refresh_risk_valid_until(using=using)
                constraints_started = time.perf_counter()
            stages["constraints"] = time.perf_counter() - constraints_started
            with stage("finish"):
                writer.reset_sequences(EXPLICIT_ID_MODELS)
                writer.analyze(BULK_MODELS + [Product, Advisor, OrgUnit])
    except BaseException as exc:
        batch.status = ImportBatch.Status.FAILED
        batch.errors = [repr(exc)]
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "errors", "finished_at"])
        raise
    rows = dict(sorted(writer.rows.items()))
    places = _demo_user_places(org.demo_users, using)
    batch.status = ImportBatch.Status.SUCCEEDED
    batch.row_counts = rows
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "row_counts", "finished_at"])
    return SeedResult(
        rows=rows,
        seconds=time.perf_counter() - started,
        stages=stages,
        demo_users=places,
        password=settings.CRM_DEMO_PASSWORD,
        as_of=calendar.as_of,
        batch_id=batch.pk,
        flushed=options.flush,
        notes=notes,
        rebuild_seconds=writer.rebuild_seconds,
    )


def _demo_user_places(users: dict[str, str], using: str) -> dict[str, str]:
    staff = Advisor.objects.using(using).select_related("user", "org_unit")
    advisors = {a.user.username: a for a in staff.filter(user__username__in=users.values())}
    out = {}
    for role, username in users.items():
        if username not in advisors:  # the security administrator sits outside the org tree
            out[role] = f"{username:<15} administration only: grants privileged roles"
            continue
        advisor = advisors[username]
        book = Client.objects.using(using).filter(primary_advisor=advisor).count()
        where = f"{advisor.org_unit.name} ({advisor.org_unit.code})"
        out[role] = f"{username:<15} {where}" + (f", {book} clients" if book else "")
    return out


def derive_segments(ctx: Context, book: Book, trading: TradingResult, using: str) -> dict[str, np.ndarray]:
    """Tier (20-day average assets against the tier floors), lifecycle stage and behaviour
    segment, so the demo looks alive before the first nightly run recomputes them."""
    floors = dict(DEFAULT_TIER_FLOORS)
    for policy in TierPolicy.objects.using(using).all():
        if policy.tier != Tier.MASS:
            floors[policy.tier] = float(policy.min_assets)
    average = trading.average_assets / 100
    tier = np.full(len(book), Tier.MASS.value, dtype=object)
    for name in (Tier.AFFLUENT, Tier.HIGH_NET_WORTH, Tier.ULTRA_HIGH_NET_WORTH):
        tier[average >= floors[name]] = name.value
    as_of = np.datetime64(ctx.as_of, "D")
    opened_days = (as_of - book.opened).astype("float")
    stage = np.select(
        [
            np.isnat(book.opened),
            book.status == "closed",
            np.isin(book.status, ["dormant", "frozen"]),
            opened_days <= 90,
            opened_days <= 3 * 365,
        ],
        ["prospect", "churned", "dormant", "new", "growing"],
        "mature",
    )
    years = ctx.calendar.n / 250
    recent = ~np.isnat(trading.last_trade_day) & (trading.last_trade_day >= as_of - np.timedelta64(180, "D"))
    behaviour = np.select(
        [trading.trades / years >= 40, ~recent, trading.fund_share >= 0.6],
        ["active_trader", "inactive", "long_term"],
        "opportunistic",
    )
    return {
        "tier": tier.astype(str),
        "lifecycle_stage": stage,
        "behavior_segment": behaviour,
        "total_assets": trading.total_assets,
    }
