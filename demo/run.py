"""Run the generator: check the database, optionally flush the demo domain, generate the
brokerage's facts, write them as one extract folder and load it with the import
(``imports.service.import_folder``), then write what the extract does not carry through the
domain's models and services (``demo.details``), and record a seed ImportBatch.

Nothing derived is written: segments, asset snapshots, churn scores, alerts, segment history and
report figures come from the nightly run and the report builder run over the loaded history
(``manage.py backfill_demo``, ``run_nightly``, ``build_report_aggregates``; ``make demo`` runs
them in that order).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connections, transaction
from django.utils import timezone

from advisors.models import Advisor, Assignment, OrgUnit
from alerts.models import Alert
from campaigns.models import Campaign, CampaignTarget
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
    Segment,
    SegmentChange,
    Transaction,
)
from clients.partitions import ensure_months, months_between
from core.bulk.frames import analyze
from core.dates import add_months
from core.models import ImportBatch
from demo import details
from demo.assessments import write_assessments
from demo.context import CHINA, Context, SeedOptions
from demo.dates import WINDOW_MONTHS, build_calendar, holidays_between, resolve_as_of
from demo.extract import write_extract
from demo.org import DEMO_USERNAMES, build_org
from demo.people import assign_advisors, build_clients, open_accounts, plan_drift, write_clients
from demo.products import build_products
from demo.servicing import plan_households, plan_tickets, write_interactions
from demo.trading import Simulator
from demo.writer import Facts
from imports.service import Outcome, import_folder
from products.models import Product
from suitability.models import InvestorClassification, RiskAssessment, SuitabilityCheck, SuitabilityStep
from tickets.models import Ticket, TicketAttachment, TicketEvent, TicketKind

EXTRACT_PREFIX = "seed_demo-extract-"
LOADED_MODELS = [
    OrgUnit, Advisor, Product, Client, Account, Assignment, RiskAssessment, Position, CashBalance, Transaction,
    CashFlow, Interaction, Relationship, Ticket,
]  # fmt: skip

# What seed_demo owns and --flush empties. Reference data (ticket kinds, SLA and tier policies,
# questionnaires, trading holidays) and the import trail are left alone.
DEMO_MODELS = [
    ClientUserObjectPermission, ClientGroupObjectPermission, Relationship, Position, CashBalance, Transaction,
    CashFlow, AssetSnapshot, SegmentChange, Interaction, Interaction.products_discussed.through, Alert, Assignment,
    SuitabilityStep, SuitabilityCheck, RiskAssessment, InvestorClassification, CampaignTarget, Campaign, Segment,
    TicketAttachment, TicketEvent, Ticket.watchers.through, Ticket, Account, Client, Product, Advisor, OrgUnit,
]  # fmt: skip
# What the pipeline derived from a flushed book goes with it (runs, facts, models, report tables).
DERIVED_APPS = ("nightly", "reports")


class DemoImportRejected(Exception):
    """The import refused the generated extract: a bug in the generator."""


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
    import_batch_id: int | None = None
    flushed: bool = False
    notes: list[str] = field(default_factory=list)

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
    """Delete the demo domain set-based (TRUNCATE … RESTART IDENTITY CASCADE), what the pipeline
    derived from it, the imports of earlier demo extracts (the same extract would otherwise be
    recognised as imported already), then the seeded users."""
    connection = connections[using]
    User = get_user_model()
    user_ids = set(Advisor.objects.using(using).values_list("user_id", flat=True))
    user_ids |= set(User.objects.using(using).filter(username__in=DEMO_USERNAMES.values()).values_list("id", flat=True))
    derived = [model for app in DERIVED_APPS for model in apps.get_app_config(app).get_models()]
    tables = [m._meta.db_table for m in [*DEMO_MODELS, *derived]]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses pending trigger events
    sql = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    connection.ops.execute_sql_flush(sql)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    ImportBatch.objects.using(using).filter(source=ImportBatch.Source.IMPORT, path__contains=EXTRACT_PREFIX).delete()
    User.objects.using(using).filter(pk__in=user_ids, is_superuser=False).delete()


def seeded_as_of(using: str = "default") -> dt.date | None:
    """The as-of day of the demo in the database (the latest seed's), if any."""
    batch = (
        ImportBatch.objects.using(using)
        .filter(source=ImportBatch.Source.SEED, status=ImportBatch.Status.SUCCEEDED)
        .order_by("-pk")
        .values_list("path", flat=True)
        .first()
    )
    if batch and "--as-of " in batch:
        return dt.date.fromisoformat(batch.rsplit("--as-of ", 1)[1].split()[0])
    return None


def seed_demo(options: SeedOptions, *, progress_file: IO[str] | None = None, using: str = "default") -> SeedResult:
    """Generate the demo's facts and load them. Raises DemoDataExists on a non-empty database
    without flush, DemoImportRejected if the import refuses the generated extract."""
    started = time.perf_counter()
    found = existing_data(using)
    if found and not options.flush:
        raise DemoDataExists(found)
    as_of = resolve_as_of(options.as_of, using)
    start = add_months(as_of.replace(day=1), -WINDOW_MONTHS)
    calendar = build_calendar(as_of, holidays_between(start, as_of, using))
    facts = Facts()
    ctx = Context(options=options, calendar=calendar, writer=facts, progress_file=progress_file or sys.stderr)
    evening = dt.datetime.combine(calendar.as_of, dt.time(20, 0), tzinfo=CHINA)
    stages: dict[str, float] = {}

    @contextmanager
    def stage(name: str, bar: bool = True):
        t = time.perf_counter()
        progress = ctx.bar(name, total=1, unit="stage") if bar else None
        yield
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - t
        if progress is not None:
            progress.update(1)
            progress.close()

    notes = []
    if calendar.as_of != as_of:
        notes.append(f"{as_of} is not a trading day; the data is as of {calendar.as_of}.")
    with stage("generate"):
        org = build_org(ctx)
        shelf = build_products(ctx)
        book = build_clients(ctx, org)
        plan_drift(ctx, book)
        assign_advisors(ctx, org, book)
        accounts = open_accounts(ctx, book)
        write_assessments(ctx, org, book)
    with stage("trading", bar=False):
        Simulator(ctx, book, accounts, shelf).run()
    with stage("servicing"):
        write_clients(ctx, org, book)
        write_interactions(ctx, org, book, shelf)
        household = plan_households(ctx, book)
        kinds = list(
            TicketKind.objects.using(using).filter(is_active=True).order_by("code").values_list("code", "name_zh")
        )
        tickets = plan_tickets(ctx, book, kinds)
        if not kinds:
            notes.append("No ticket kinds configured: no tickets generated.")
    batch = ImportBatch.objects.using(using).create(
        source=ImportBatch.Source.SEED,
        path=f"seed_demo --clients {options.clients} --seed {options.seed} --as-of {calendar.as_of}",
    )
    rows: dict[str, int] = {}
    try:
        if options.flush:
            with stage("flush"), transaction.atomic(using=using):
                flush_demo_data(using)
        # The import and what follows run on the evening of the as-of day: the extract's dates
        # are not in the future, and what the apps stamp (assignments, tickets) is dated then.
        with time_machine.travel(evening, tick=True):
            with tempfile.TemporaryDirectory(prefix=EXTRACT_PREFIX) as tmp:
                folder = Path(tmp) / calendar.as_of.isoformat()
                with stage("extract files"):
                    files = write_extract(folder, facts, org, book, shelf)
                # Every month of the window its own partition of the daily tables, in short
                # transactions of their own (as the nightly run makes them).
                ensure_months(months_between(calendar.start, calendar.as_of))
                with stage("import"):
                    result = import_folder(folder)
            if result.status not in (Outcome.SUCCEEDED,):
                problems = "; ".join(str(error) for error in result.errors[:10])
                raise DemoImportRejected(f"the import refused the demo extract ({result.status}): {problems}")
            rows.update({f"extract {name}": count for name, count in files.items()})
            with stage("details"), transaction.atomic(using=using):
                rows.update(details.finish_org(org, calendar.as_of))
                details.finish_products(facts, shelf)
                maps = details.finish_clients(facts, book)
                client_id = maps["client_id"]
                rows["advisors.Assignment (history)"] = details.finish_assignments(facts, org, client_id)
                rows["clients.Interaction"] = details.write_interactions(facts, org, client_id)
                rows["clients.Relationship"] = details.write_households(household, book, client_id)
            with stage("tickets"), transaction.atomic(using=using):
                rows["tickets.Ticket"] = details.open_tickets(tickets, book, client_id)
        # Two years arrived at once: the planner's statistics, before anything reads them.
        with stage("analyze"):
            for model in LOADED_MODELS:
                analyze(model._meta.db_table)
    except BaseException as exc:
        batch.status = ImportBatch.Status.FAILED
        batch.errors = [repr(exc)]
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "errors", "finished_at"])
        raise
    rows = dict(sorted(rows.items()))
    places = _demo_user_places(org.demo_users, using)
    batch.status = ImportBatch.Status.SUCCEEDED
    batch.row_counts = {**rows, "import batch": result.batch_id}
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
        import_batch_id=result.batch_id,
        flushed=options.flush,
        notes=notes,
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
