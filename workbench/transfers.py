"""Workflows on the organisation: moving clients from one advisor to another.

A transfer ends the active primary assignment (history is kept), opens a new one, updates the
client's denormalised ``primary_advisor``, and moves the work that belongs to whoever serves the
client: open alerts (open or snoozed) and open tickets assigned to the old advisor's user (each
with an assignment line on the ticket's timeline).

Open follow-ups (``Interaction.next_follow_up_on`` with ``follow_up_done=False``) are *not*
rewritten: an interaction is the record of what the advisor who logged it said and promised,
and rewriting its author would falsify it. The duty moves with the client instead — the
workbench lists "open follow-ups on clients I serve" (through ``visible_to``), not "interactions
I logged", so the new advisor sees them and the old one, who no longer sees the client, does not.

Who may transfer: a branch manager, between advisors of their branch subtree, clients booked in
it; a team lead, between advisors of their team (both the advisor who gives the client up and
the one who takes it: the clients a team lead sees are those the team's advisors serve, so a
transfer inside the team never moves a client beyond the team); a superuser, anywhere.

Everything is set-based — a constant number of statements whatever the book's size (UPDATE …
WHERE … IN (subquery), INSERT … SELECT) — in one transaction. These bulk statements send no
model signals, so django-auditlog records no per-row entries for them.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from advisors.models import Advisor, Assignment
from alerts.models import Alert
from clients.models import Client
from core import access, roles
from tickets import notes
from tickets.models import Ticket, TicketEvent

OPEN_ALERT_STATUSES = (Alert.Status.OPEN, Alert.Status.SNOOZED)
TRANSFER_ROLES = frozenset({roles.BRANCH_MANAGER, roles.TEAM_LEAD})


def may_transfer(user) -> bool:
    """Whether the user transfers clients at all (the transfer page, the API): a superuser, or a
    branch manager or team lead with a place in the org tree. Which advisors: ``transferable_advisors``."""
    profile = access.access_profile(user)
    if profile.is_superuser:
        return True
    return (
        profile.unit_path is not None
        and bool(profile.roles & TRANSFER_ROLES)
        and user.has_perm("advisors.change_assignment")
    )


def transferable_advisors(user) -> QuerySet:
    """The advisors ``user`` may move clients from and to: those whose unit lies in the subtree
    of the user's unit (a branch manager's branch, a team lead's team); every advisor for a
    superuser; none for anyone else. One query, indexed prefix match on the unit path."""
    advisors = Advisor.objects.select_related("org_unit", "user")
    profile = access.access_profile(user)
    if profile.is_superuser:
        return advisors.all()
    if not may_transfer(user):
        return advisors.none()
    return advisors.filter(org_unit__path__startswith=profile.unit_path)


def _leads_team_of(profile: access.AccessProfile, *advisors: Advisor) -> bool:
    """Whether the user is a team lead whose unit holds every one of ``advisors``."""
    return (
        profile.has_role(roles.TEAM_LEAD)
        and profile.unit_path is not None
        and all(advisor.org_unit.path.startswith(profile.unit_path) for advisor in advisors)
    )


@dataclass(frozen=True)
class TransferResult:
    """What a transfer moved."""

    clients: int = 0
    alerts: int = 0
    tickets: int = 0
    shared_assignments_ended: int = 0


def transfer_client(
    *, client: Client, to_advisor: Advisor, reason: str, by, on: datetime.date | None = None
) -> TransferResult:
    """Make ``to_advisor`` the primary advisor of ``client`` from ``on`` (default today)."""
    current = (
        Assignment.objects.filter(client=client, role=Assignment.Role.PRIMARY, ended_on__isnull=True)
        .select_related("advisor")
        .first()
    )
    if current is None:
        raise ValidationError({"client": _("This client has no active primary advisor to transfer from.")})
    return transfer_book(
        from_advisor=current.advisor, to_advisor=to_advisor, reason=reason, by=by, clients=[client.pk], on=on
    )


@transaction.atomic
def transfer_book(
    *,
    from_advisor: Advisor,
    to_advisor: Advisor,
    reason: str,
    by,
    clients: QuerySet | list | None = None,
    on: datetime.date | None = None,
) -> TransferResult:
    """Move ``from_advisor``'s primary clients — all of them, or those among ``clients`` (a
    queryset, or clients or ids) — to ``to_advisor``, from ``on`` (default today).

    Only a superuser, a branch manager whose subtree holds the target advisor's unit and every
    moving client's branch, or a team lead whose team holds both advisors may do it (else
    ``PermissionDenied``, and nothing moves). A shared
    assignment the target advisor already holds on a moving client is ended first (one active
    assignment per client and advisor).
    """
    today = timezone.localdate()
    on = on or today
    advisors = Advisor.objects.select_related("org_unit", "user").in_bulk([from_advisor.pk, to_advisor.pk])
    source, target = advisors[from_advisor.pk], advisors[to_advisor.pk]

    errors: dict[str, str] = {}
    if reason not in Assignment.Reason.values:
        errors["reason"] = _("Choose a reason from the list.")
    if target.pk == source.pk:
        errors["to_advisor"] = _("The client already has this advisor.")
    elif not (target.is_active and target.user.is_active):
        errors["to_advisor"] = _("This advisor is inactive and cannot take clients.")
    if on > today:
        errors["on"] = _("A transfer cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)

    profile = access.access_profile(by)
    within_team = _leads_team_of(profile, source, target)
    if not (within_team or access.manages_unit(by, target.org_unit.path)):
        if profile.has_role(roles.TEAM_LEAD) and not profile.has_role(roles.BRANCH_MANAGER):
            raise PermissionDenied(_("A team lead transfers clients only between advisors of their own team."))
        raise PermissionDenied(_("Only a manager of the target advisor's branch can transfer clients to them."))

    moving = Assignment.objects.filter(advisor=source, role=Assignment.Role.PRIMARY, ended_on__isnull=True)
    if clients is not None:
        # The caller's selection is read once: a queryset that depends on what the transfer
        # changes (the primary advisor, the assignments) would change meaning half-way.
        if isinstance(clients, QuerySet):
            client_ids = list(clients.order_by().values_list("pk", flat=True))
        else:
            client_ids = [getattr(c, "pk", c) for c in clients]
        moving = moving.filter(client_id__in=client_ids)
    moving_ids = moving.values("client_id")

    checks = {"total": Count("pk"), "started_later": Count("pk", filter=Q(started_on__gt=on))}
    if not (profile.is_superuser or within_team):  # a team's clients are its advisors' (module docstring)
        checks["outside"] = Count("pk", filter=~Q(client__branch__path__startswith=profile.unit_path))
    counts = moving.aggregate(**checks)
    if counts.get("outside"):
        raise PermissionDenied(_("Some of these clients belong to a branch you do not manage."))
    if counts["started_later"]:
        raise ValidationError({"on": _("The current advisor started serving some of these clients after this date.")})
    if not counts["total"]:
        return TransferResult()

    now = timezone.now()
    client_nos = list(
        Client.objects.filter(pk__in=moving_ids).order_by("client_no").values_list("client_no", flat=True)
    )
    shared_ended = Assignment.objects.filter(advisor=target, ended_on__isnull=True, client_id__in=moving_ids).update(
        ended_on=Greatest(F("started_on"), Value(on))
    )
    alerts = Alert.objects.filter(advisor=source, status__in=OPEN_ALERT_STATUSES, client_id__in=moving_ids).update(
        advisor=target, updated_at=now
    )
    open_tickets = Ticket.objects.filter(
        assignee_id=source.user_id, status__in=Ticket.OPEN_STATUSES, client_id__in=moving_ids
    )
    _log_ticket_reassignment(open_tickets, source=source, target=target, by=by, now=now)
    tickets = open_tickets.update(assignee_id=target.user_id, version=F("version") + 1, updated_at=now)
    moved = Client.objects.filter(pk__in=moving_ids).update(primary_advisor=target, updated_at=now)
    moving.update(ended_on=on)
    _open_primary_assignments(source=source, target=target, on=on, reason=reason, by=by, now=now)
    _log_transfer(
        source=source, target=target, reason=reason, on=on, client_nos=client_nos, alerts=alerts, tickets=tickets
    )
    return TransferResult(clients=moved, alerts=alerts, tickets=tickets, shared_assignments_ended=shared_ended)


def _log_transfer(*, source, target, reason, on, client_nos, alerts, tickets) -> None:
    """One change-log entry for the whole transfer: the bulk statements above send no signals,
    so without it the change log would not know the book moved. Actor and source come from the
    audit context of the request or job."""
    LogEntry.objects.log_create(
        source,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes={
            "book transferred to": [source.code, target.code],
            "reason": ["", reason],
            "effective": ["", on.isoformat()],
            "clients": ["", ",".join(client_nos)],
            "open alerts moved": ["", str(alerts)],
            "open tickets moved": ["", str(tickets)],
        },
    )


def _insert_select(model, columns: list[str], select_sql: str, params: list) -> None:
    """``INSERT INTO model (columns) SELECT …``: one statement, however many rows."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) {select_sql}", params
        )


def _open_primary_assignments(*, source: Advisor, target: Advisor, on, reason: str, by, now) -> None:
    """The new primary assignments: for each client now carrying ``target`` as primary advisor
    whose primary assignment to ``source`` ended on ``on`` and which has no active primary."""
    active_primary = Assignment.objects.filter(
        client_id=OuterRef("pk"), role=Assignment.Role.PRIMARY, ended_on__isnull=True
    )
    just_ended = Assignment.objects.filter(advisor=source, role=Assignment.Role.PRIMARY, ended_on=on)
    receiving = (
        Client.objects.order_by()
        .filter(primary_advisor=target, pk__in=just_ended.values("client_id"))
        .exclude(Exists(active_primary))
        .values("pk")
    )
    ids_sql, ids_params = receiving.query.sql_with_params()
    ops = connection.ops
    qn = ops.quote_name
    _insert_select(
        Assignment,
        ["client_id", "advisor_id", "role", "started_on", "reason", "note", "created_by_id", "created_at"],
        f"SELECT c.{qn(Client._meta.pk.column)}, %s, %s, %s, %s, %s, %s, %s "
        f"FROM {qn(Client._meta.db_table)} c WHERE c.{qn(Client._meta.pk.column)} IN ({ids_sql})",
        [
            target.pk,
            Assignment.Role.PRIMARY.value,
            ops.adapt_datefield_value(on),
            reason,
            _("Transferred from %(advisor)s") % {"advisor": source.code},
            by.pk,
            ops.adapt_datetimefield_value(now),
            *ids_params,
        ],
    )


def _log_ticket_reassignment(tickets: QuerySet, *, source: Advisor, target: Advisor, by, now) -> None:
    """One assignment line on each moving ticket's timeline (before the tickets are updated)."""
    ids_sql, ids_params = tickets.order_by().values("pk").query.sql_with_params()
    ops = connection.ops
    qn = ops.quote_name
    data = json.dumps(
        {
            "from_user": source.user_id,
            "to_user": target.user_id,
            "reason": "client_transfer",
            "from_name": source.name,
            "to_name": target.name,
        }
    )
    _insert_select(
        TicketEvent,
        ["ticket_id", "kind", "actor_id", "from_status", "to_status", "body", "note", "internal", "data", "created_at"],
        f"SELECT t.{qn(Ticket._meta.pk.column)}, %s, %s, '', '', '', %s, %s, CAST(%s AS jsonb), %s "
        f"FROM {qn(Ticket._meta.db_table)} t WHERE t.{qn(Ticket._meta.pk.column)} IN ({ids_sql})",
        [
            TicketEvent.Kind.ASSIGNMENT.value,
            by.pk,
            notes.CLIENT_TRANSFERRED,
            True,
            data,
            ops.adapt_datetimefield_value(now),
            *ids_params,
        ],
    )
