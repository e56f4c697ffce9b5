"""The compliance workbench's queues: which suitability records need a compliance officer's eye.

- ``confirmations``: mismatch sales the client asked for (``mismatch_confirmable``) whose written
  confirmation (投资者确认书) is not recorded yet — until it is, the product may not be sold.
- ``steps``: the steps a check still owes after the sale — the audio/video recording's reference
  (双录), the end of the consideration period (冷静期) and the callback (回访) — one row per
  step, each with the time it is due (``step_due``), overdue ones first. A mismatch not yet
  confirmed owes nothing else yet: it is in ``confirmations``.
- ``assessments``: clients who hold a product of risk level R3 or above on the book's latest
  position day and whose risk assessment is missing or expired. Who holds what is
  ``Client.held_risk``, a column kept exact by the positions import and by product re-ratings
  (``clients.held_risk``), read through a partial index.
- ``checks``: every check, to sample and review (``compliance.reviews``).

Each queue is a queryset over the user's scope (``visible_to``) with its filters applied by
``compliance.filters``; a page of it costs the same few queries whatever the book's size —
conditions are ``EXISTS`` subqueries over indexed tables, never Python lists of ids.

The due times are the firm's practice, not the regulation's words, and live here so the page,
the export and the tests agree: a recording's reference is due a day after the check (it is
made during the sale); the consideration period is due when it ends (``consideration_ends_at``,
fixed on the check); the callback three days after the consideration period ends (or after the
check when it owes none).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from clients.held_risk import latest_position_day
from clients.models import Client, Position
from core import roles
from core.access import CLIENT_FACING_ROLES, access_profile
from suitability.models import SuitabilityCheck, SuitabilityStep
from suitability.rules import RISK_ORDER

CONFIRMATIONS, STEPS, ASSESSMENTS, CHECKS = "confirmations", "steps", "assessments", "checks"
QUEUES: dict[str, str] = {
    CONFIRMATIONS: _("Awaiting confirmation"),
    STEPS: _("Steps owed"),
    ASSESSMENTS: _("Assessments of R3+ holders"),
    CHECKS: _("All checks"),
}
# The steps the ``steps`` queue follows, in the order a sale owes them.
STEP_KINDS = ("dual_recording", "consideration_period", "callback")
RECORDING_WITHIN = datetime.timedelta(days=1)
CALLBACK_WITHIN = datetime.timedelta(days=3)
# The ``assessments`` queue: holders of products from this risk level up.
HOLDS_FROM_LEVEL = "R3"
HELD_LEVELS = RISK_ORDER[RISK_ORDER.index(HOLDS_FROM_LEVEL) :]
MISSING, EXPIRED = "missing", "expired"


def may_use_workbench(user) -> bool:
    """Compliance officers and head-office staff (a client-facing or compliance role at the
    headquarters, as ``core.access`` reads everything for them); superusers."""
    profile = access_profile(user)
    if profile.sees_nothing:
        return False
    if profile.is_superuser:
        return True
    head_office = profile.unit_is_headquarters and bool(profile.roles & (CLIENT_FACING_ROLES | {roles.COMPLIANCE}))
    return (profile.has_role(roles.COMPLIANCE) or head_office) and user.has_perm("suitability.view_suitabilitycheck")


def checks_for(user) -> QuerySet:
    """The checks the user may read (their scope), newest first."""
    return SuitabilityCheck.objects.visible_to(user).order_by("-created_at", "-pk")


def _step_done(kind: str) -> Exists:
    return Exists(SuitabilityStep.objects.filter(check_record=OuterRef("pk"), kind=kind))


def awaiting_confirmation(checks: QuerySet) -> QuerySet:
    """Mismatches the client asked for, without their written confirmation: waiting longest first."""
    return (
        checks.filter(outcome=SuitabilityCheck.Outcome.MISMATCH_CONFIRMABLE)
        .filter(~_step_done(SuitabilityStep.Kind.CLIENT_CONFIRMATION))
        .order_by("created_at", "pk")
    )


def step_due(
    kind: str,
    *,
    checked_at: datetime.datetime,
    consideration_ends_at: datetime.datetime | None,
    consideration_hours: int = 24,
) -> datetime.datetime:
    """When a step owed by a check made at ``checked_at`` is due (the module's docstring says why)."""
    if kind == "dual_recording":
        return checked_at + RECORDING_WITHIN
    period_end = consideration_ends_at or checked_at + datetime.timedelta(hours=consideration_hours)
    if kind == "consideration_period":
        return period_end
    if kind == "callback":
        return (consideration_ends_at or checked_at) + CALLBACK_WITHIN
    raise ValueError(f"the steps queue does not follow {kind!r}")


def due_expression(kind: str, consideration_hours: int = 24):
    """``step_due`` as SQL, on a check row."""
    if kind == "dual_recording":
        due = F("created_at") + RECORDING_WITHIN
    elif kind == "consideration_period":
        due = Coalesce(F("consideration_ends_at"), F("created_at") + datetime.timedelta(hours=consideration_hours))
    elif kind == "callback":
        due = Coalesce(F("consideration_ends_at"), F("created_at")) + CALLBACK_WITHIN
    else:
        raise ValueError(f"the steps queue does not follow {kind!r}")
    return ExpressionWrapper(due, output_field=DateTimeField())


def steps_owed(checks: QuerySet, consideration_hours: int = 24) -> QuerySet:
    """One row per step owed — ``{"pk": check id, "step": kind, "due": when}`` — earliest due
    first (so the overdue ones lead, the longest overdue at the top). One ``UNION ALL`` of a
    query per step kind; a page of it is read, then its checks (``rows_for_page``)."""
    unconfirmed = Q(outcome=SuitabilityCheck.Outcome.MISMATCH_CONFIRMABLE) & ~_step_done("client_confirmation")
    owing = (
        checks.exclude(requires=[])  # matches the partial index of the checks that owe anything
        .exclude(outcome=SuitabilityCheck.Outcome.PROHIBITED)
        .exclude(unconfirmed)
        .order_by()
    )
    parts = [
        owing.filter(requires__contains=[kind])
        .filter(~_step_done(kind))
        .annotate(step=Value(kind), due=due_expression(kind, consideration_hours))
        .values("pk", "step", "due")
        for kind in STEP_KINDS
    ]
    return parts[0].union(*parts[1:], all=True).order_by("due", "pk", "step")


def book_day(today: datetime.date, *, latest: datetime.date | None = None) -> datetime.date | None:
    """The book's latest position day up to ``today``: what the trading system last said is held.
    Almost always the book's latest day (``latest``, or ``max(as_of)`` read here: one read at the
    end of each partition's index); only a book holding days after ``today`` is searched again."""
    latest = latest or latest_position_day()
    if latest is None or latest <= today:
        return latest
    return Position.objects.filter(as_of__lte=today).order_by("-as_of").values_list("as_of", flat=True).first()


def _held(day: datetime.date | None) -> QuerySet:
    return Position.objects.filter(
        client=OuterRef("pk"), as_of=day, quantity__gt=0, product__risk_level__in=HELD_LEVELS
    ).order_by()


def assessments_due(
    clients: QuerySet,
    *,
    today: datetime.date,
    day: datetime.date | None,
    valued: bool = True,
    latest: datetime.date | None = None,
) -> QuerySet:
    """Clients holding an R3+ product on ``day`` whose assessment is missing or expired (valid
    through yesterday or earlier), missing first, then the longest expired; with the highest
    level they hold (``top_level``) and, unless ``valued`` is False, what their R3+ holdings are
    worth (``held_value``, a subquery per row read: the export's; a page values its own rows
    with ``value_holdings``, or the rows an OFFSET skips would be valued too).

    On the book's latest day (always, but for a book holding days after ``today``) who holds R3+
    is ``Client.held_risk``, kept exact by the import and by re-ratings (``clients.held_risk``):
    the queue is a walk of the partial index ``client_r3_holders_due`` in its order. Another day
    is read from its positions. ``latest``: the book's latest day when the caller has read it
    already (``book_day`` returns it), saving a query."""
    if day is None:
        return clients.none()
    held = _held(day)
    if day == (latest or latest_position_day()):
        holders = clients.filter(held_risk__in=HELD_LEVELS)  # the partial index's condition, as written
        top_level = F("held_risk")
    else:
        day_holders = Position.objects.filter(as_of=day, quantity__gt=0, product__risk_level__in=HELD_LEVELS)
        holders = clients.filter(pk__in=day_holders.values("client_id"))
        top_level = Subquery(held.order_by("-product__risk_level").values("product__risk_level")[:1])
    rows = (
        holders.filter(Q(risk_valid_until__isnull=True) | Q(risk_valid_until__lt=today))
        .annotate(top_level=top_level)
        .order_by(F("risk_valid_until").asc(nulls_first=True), "client_no")
    )
    if valued:
        rows = rows.annotate(
            held_value=Subquery(held.values("client").annotate(total=Sum("market_value")).values("total"))
        )
    return rows


def value_holdings(clients: list[Client], day: datetime.date | None) -> list[Client]:
    """``held_value`` (what their R3+ holdings are worth on ``day``) set on each of ``clients``,
    a page of ``assessments_due(…, valued=False)``: one query for the page."""
    rows = Position.objects.filter(
        client_id__in=[client.pk for client in clients],
        as_of=day,
        quantity__gt=0,
        product__risk_level__in=HELD_LEVELS,
    )
    totals = dict(
        rows.order_by().values("client_id").annotate(total=Sum("market_value")).values_list("client_id", "total")
    )
    for client in clients:
        client.held_value = totals.get(client.pk)
    return clients


def assessments_due_count(
    user, *, today: datetime.date, day: datetime.date | None, latest: datetime.date | None = None
) -> int:
    """The ``assessments`` tab's count in the user's scope (``assessments_due_ids``)."""
    return assessments_due_ids(user, today=today, day=day, latest=latest).count()


def assessments_due_ids(
    user, *, today: datetime.date, day: datetime.date | None, latest: datetime.date | None = None
) -> QuerySet:
    """The ids of the clients the ``assessments`` tab counts, in the user's scope (a query to
    count). Not cached: always exact — also right
    after a product is re-rated, which no cache key of imports and assessments would see.

    Counted as the missing ones plus the expired ones (``UNION ALL`` of two disjoint sets): each
    is one range of the partial index ``client_r3_holders_due`` (``risk_valid_until`` nulls
    first), so the count reads only the due holders' entries. Written as one ``IS NULL OR <``
    condition PostgreSQL reads the whole index and filters it — every R3+ holder, four times as
    many entries at 200,000 clients."""
    if day is None:
        return Client.objects.none()
    latest = latest or latest_position_day()
    clients = Client.objects.visible_to(user).order_by()
    if day != latest:
        return assessments_due(clients, today=today, day=day, valued=False, latest=latest).order_by().values("pk")
    missing = clients.filter(held_risk__in=HELD_LEVELS, risk_valid_until__isnull=True).values("pk")
    expired = clients.filter(held_risk__in=HELD_LEVELS, risk_valid_until__lt=today).values("pk")
    return missing.union(expired, all=True)


def tab_rows(
    user, *, today: datetime.date, hours: int, day: datetime.date | None, latest: datetime.date | None
) -> dict[str, QuerySet]:
    """Each queue's rows in the user's scope, as a query to count: the tabs' counts."""
    checks = checks_for(user).order_by()
    return {
        CONFIRMATIONS: awaiting_confirmation(checks).order_by().values("pk"),
        STEPS: steps_owed(checks, hours).order_by(),
        ASSESSMENTS: assessments_due_ids(user, today=today, day=day, latest=latest),
        CHECKS: checks.values("pk"),
    }


def assessment_state(valid_until: datetime.date | None) -> str:
    """The ``assessments`` queue holds only missing and expired ones."""
    return MISSING if valid_until is None else EXPIRED


@dataclass(frozen=True)
class OwedStep:
    """A row of the ``steps`` queue: a check, a step it owes and when that is due."""

    check: SuitabilityCheck
    step: str
    due: datetime.datetime
    now: datetime.datetime

    @property
    def overdue(self) -> bool:
        return self.due < self.now

    @property
    def overdue_by(self) -> datetime.timedelta:
        return self.now - self.due


def rows_for_page(page_rows: list[dict], checks: QuerySet, now: datetime.datetime) -> list[OwedStep]:
    """The ``steps`` queue's rows of one page, their checks read in one query."""
    by_pk = checks.in_bulk([row["pk"] for row in page_rows])
    return [OwedStep(by_pk[row["pk"]], row["step"], row["due"], now) for row in page_rows if row["pk"] in by_pk]
