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
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.aggregates import StringAgg
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from advisors.models import Advisor, Assignment
from alerts.models import Alert
from clients.models import Client, ClientShare, Interaction
from clients.search import LATIN_WORD, search_clients
from clients.search_keys import name_initials, name_pinyin
from core import access, roles
from core.audit import CLIENT_KEY, current_source
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


def taking_advisors(user) -> QuerySet:
    """The advisors of ``transferable_advisors(user)`` who may take clients: active, with an
    active user holding a client-facing role (a leaver's book moves *from* an inactive advisor,
    never to one)."""
    serving = Group.objects.filter(user=OuterRef("user_id"), name__in=access.CLIENT_FACING_ROLES)
    return transferable_advisors(user).filter(Exists(serving), is_active=True, user__is_active=True)


#: How many matches a type-ahead answers with.
SEARCH_LIMIT = 20
#: Longest term a type-ahead looks for.
SEARCH_TERM_MAX = 100
#: Pinyin initials or full pinyin shorter than this would match half the scope.
PINYIN_MIN = 2


def search_transferable_clients(user, term: str) -> list[dict]:
    """The transfer form's client type-ahead: clients ``user`` may move (changeable by them,
    served by one of ``transferable_advisors``) matching ``term`` by name, pinyin or client
    number (``clients.search``, names and numbers only: the term comes in a URL). At most
    ``SEARCH_LIMIT``, by name; one query."""
    term = (term or "").strip()[:SEARCH_TERM_MAX]
    if not term or not may_transfer(user):
        return []
    clients = (
        Client.objects.visible_to(user, "change")
        .without_pii()
        .filter(primary_advisor__in=transferable_advisors(user).values("pk"))
    )
    return list(
        search_clients(clients, term, personal_data=False)
        .order_by("name", "client_no")
        .values("client_no", "name", "primary_advisor__name", "primary_advisor__code")[:SEARCH_LIMIT]
    )


def search_transferable_advisors(user, term: str, *, taking: bool) -> list[Advisor]:
    """The transfer form's advisor type-ahead: advisors of the user's team or branch (those who
    may take clients when ``taking``) whose code starts with ``term`` or whose name holds it;
    for a latin term, also by pinyin initials or full pinyin of the name, worked out on the
    fly over the scope's advisor names (a team's or branch's few dozen; one query). At most
    ``SEARCH_LIMIT``, three queries at most."""
    term = (term or "").strip()[:SEARCH_TERM_MAX]
    if not term or not may_transfer(user):
        return []
    advisors = taking_advisors(user) if taking else transferable_advisors(user)
    found = list(advisors.filter(Q(code__istartswith=term) | Q(name__icontains=term)).order_by("code")[:SEARCH_LIMIT])
    if len(found) < SEARCH_LIMIT and len(term) >= PINYIN_MIN and LATIN_WORD.fullmatch(term):
        word = term.lower()
        by_pinyin = [
            pk
            for pk, name in advisors.exclude(pk__in=[a.pk for a in found]).order_by("code").values_list("pk", "name")
            if name_initials(name).startswith(word) or name_pinyin(name).startswith(word)
        ]
        if by_pinyin:
            found += list(advisors.filter(pk__in=by_pinyin[: SEARCH_LIMIT - len(found)]).order_by("code"))
    return found


def _leads_team_of(profile: access.AccessProfile, *advisors: Advisor) -> bool:
    """Whether the user is a team lead whose unit holds every one of ``advisors``."""
    return (
        profile.has_role(roles.TEAM_LEAD)
        and profile.unit_path is not None
        and all(advisor.org_unit.path.startswith(profile.unit_path) for advisor in advisors)
    )


def _check_may_move(by, profile: access.AccessProfile, source: Advisor, target: Advisor) -> bool:
    """Raise ``PermissionDenied`` unless ``by`` may move clients from ``source`` to ``target``;
    whether it is a team lead's move inside the team (then no client's branch is checked)."""
    within_team = _leads_team_of(profile, source, target)
    if not (within_team or access.manages_unit(by, target.org_unit.path)):
        if profile.has_role(roles.TEAM_LEAD) and not profile.has_role(roles.BRANCH_MANAGER):
            raise PermissionDenied(_("A team lead transfers clients only between advisors of their own team."))
        raise PermissionDenied(_("Only a manager of the target advisor's branch can transfer clients to them."))
    return within_team


@dataclass(frozen=True)
class TransferResult:
    """What a transfer moved."""

    clients: int = 0
    alerts: int = 0
    tickets: int = 0
    shared_assignments_ended: int = 0


def reason_errors(reason: str, note: str = "") -> dict[str, str]:
    """What is wrong with a transfer's reason: a system reason (account opening, import) is no
    person's reason for moving clients, and ``other`` must say what it was."""
    if reason not in Assignment.Reason.values or reason in Assignment.SYSTEM_REASONS:
        return {"reason": _("Choose a reason from the list.")}
    if reason == Assignment.Reason.OTHER and not (note or "").strip():
        return {"note": _("Say why the clients move: the reason is “Other”.")}
    return {}


def transfer_client(
    *,
    client: Client,
    to_advisor: Advisor,
    reason: str,
    by,
    note: str = "",
    on: datetime.date | None = None,
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
        from_advisor=current.advisor, to_advisor=to_advisor, reason=reason, note=note, by=by, clients=[client.pk], on=on
    )


@transaction.atomic
def transfer_book(
    *,
    from_advisor: Advisor,
    to_advisor: Advisor,
    reason: str,
    by,
    clients: QuerySet | list | None = None,
    note: str = "",
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

    errors = reason_errors(reason, note)
    if target.pk == source.pk:
        errors["to_advisor"] = _("The client already has this advisor.")
    elif not (target.is_active and target.user.is_active):
        errors["to_advisor"] = _("This advisor is inactive and cannot take clients.")
    if on > today:
        errors["on"] = _("A transfer cannot be dated in the future.")
    if errors:
        raise ValidationError(errors)

    profile = access.access_profile(by)
    within_team = _check_may_move(by, profile, source, target)

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
    moving_clients = list(Client.objects.filter(pk__in=moving_ids).order_by("client_no").values_list("client_no", "pk"))
    client_nos = [client_no for client_no, _pk in moving_clients]
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
    _open_primary_assignments(source=source, target=target, on=on, reason=reason, note=note, by=by, now=now)
    _log_transfer(
        source=source,
        target=target,
        reason=reason,
        note=note,
        on=on,
        client_nos=client_nos,
        alerts=alerts,
        tickets=tickets,
    )
    _log_clients_moved(moving_clients, source=source, target=target, by=by, now=now)
    return TransferResult(clients=moved, alerts=alerts, tickets=tickets, shared_assignments_ended=shared_ended)


def _log_transfer(*, source, target, reason, note, on, client_nos, alerts, tickets) -> None:
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
            "note": ["", note],
            "effective": ["", on.isoformat()],
            "clients": ["", ",".join(client_nos)],
            "open alerts moved": ["", str(alerts)],
            "open tickets moved": ["", str(tickets)],
        },
    )


def _log_clients_moved(moving_clients: list[tuple[str, int]], *, source, target, by, now) -> None:
    """One change-log entry on each client moved (its primary advisor, before → after), written
    in one INSERT: the client's own trail shows the transfer, however many clients moved with it.
    Written in bulk, so with what auditlog's signals would have added: the actor and the source."""
    client_type = ContentType.objects.get_for_model(Client)
    actor = by if getattr(by, "is_authenticated", False) else None
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                content_type=client_type,
                object_pk=str(pk),
                object_id=pk,
                object_repr=client_no,
                action=LogEntry.Action.UPDATE,
                changes={"primary_advisor": [str(source.pk), str(target.pk)]},
                actor=actor,
                timestamp=now,
                # "transfer": the client's history shows the move from the assignments already
                additional_data={"source": current_source() or "", CLIENT_KEY: pk, "transfer": True},
            )
            for client_no, pk in moving_clients
        ],
        batch_size=5000,
    )


def _insert_select(model, columns: list[str], select_sql: str, params: list) -> None:
    """``INSERT INTO model (columns) SELECT …``: one statement, however many rows."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) {select_sql}", params
        )


def _open_primary_assignments(*, source: Advisor, target: Advisor, on, reason: str, note: str, by, now) -> None:
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
            assignment_note(note),
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


#: What a transfer's note may hold.
NOTE_MAX_LENGTH = 300


def assignment_note(note: str = "") -> str:
    """The new assignment's note: the person's own words only. Where the client came from is the
    assignment history itself (the ended assignment), shown in the reader's language; stored
    words would stay in the language of whoever moved the client."""
    return (note or "").strip()[:NOTE_MAX_LENGTH]


@transaction.atomic
def transfer_clients(
    *,
    clients: list[int],
    to_advisor: Advisor,
    reason: str,
    by,
    note: str = "",
    on: datetime.date | None = None,
) -> TransferResult:
    """Move the clients named (ids) to ``to_advisor``, whoever serves each of them now: one
    ``transfer_book`` per current primary advisor, all in one transaction (a refusal for any of
    them moves nothing). The statements grow with the number of advisors the clients come from
    (a team's or branch's advisors at most), never with the number of clients."""
    by_source: dict[int, list[int]] = defaultdict(list)
    for client_id, advisor_id in Assignment.objects.filter(
        client_id__in=clients, role=Assignment.Role.PRIMARY, ended_on__isnull=True
    ).values_list("client_id", "advisor_id"):
        by_source[advisor_id].append(client_id)
    if len({getattr(c, "pk", c) for c in clients}) > sum(len(ids) for ids in by_source.values()):
        raise ValidationError({"client": _("Some of these clients have no active primary advisor to transfer from.")})
    sources = Advisor.objects.in_bulk(list(by_source))
    totals = TransferResult()
    for advisor_id, ids in sorted(by_source.items()):
        result = transfer_book(
            from_advisor=sources[advisor_id], to_advisor=to_advisor, reason=reason, note=note, by=by, clients=ids, on=on
        )
        totals = TransferResult(
            clients=totals.clients + result.clients,
            alerts=totals.alerts + result.alerts,
            tickets=totals.tickets + result.tickets,
            shared_assignments_ended=totals.shared_assignments_ended + result.shared_assignments_ended,
        )
    return totals


# --- The preview: what a transfer would move, before anything moves ---------------------------

#: A preview lists the moving clients by name up to this many; beyond, it gives the count only.
PREVIEW_LIST_LIMIT = 20


@dataclass(frozen=True)
class TransferPreview:
    """What a transfer would move, read without writing anything.

    ``fingerprint`` identifies the moving clients and the target: the confirmation carries the
    one its preview showed, and a transfer whose selection has changed since (a client joined
    or left the book in between) is shown again instead of made."""

    to_advisor: Advisor
    from_advisors: list[Advisor]
    clients: int
    total_assets: Decimal
    listed: list[dict] = field(default_factory=list)
    alerts: int = 0
    tickets: int = 0
    follow_ups: int = 0
    shares: int = 0
    shared_assignments_ending: int = 0
    fingerprint: str = ""

    @property
    def unlisted(self) -> int:
        return self.clients - len(self.listed)


def preview_transfer(*, by, to_advisor: Advisor, from_advisor: Advisor | None = None, clients=None) -> TransferPreview:
    """What moving ``from_advisor``'s whole book, or the ``clients`` named (ids, whoever serves
    them), to ``to_advisor`` would move: the clients (their number, total assets, the first
    ``PREVIEW_LIST_LIMIT`` by name), the open alerts and open tickets that go with them, the
    open follow-ups and colleagues' shares that stay on them, and the target's shared
    assignments that end. Reads only; a constant number of queries whatever the book's size.

    Refused (``PermissionDenied``) as ``transfer_book`` would refuse the transfer: a user who
    does not transfer, an advisor the clients would leave or join outside the user's team or
    branch, a client booked outside a branch manager's branch — so a preview reveals nothing
    beyond the user's scope, whatever an API caller names."""
    if not may_transfer(by):
        raise PermissionDenied(_("Only branch managers and team leads transfer clients."))
    moving = Assignment.objects.filter(role=Assignment.Role.PRIMARY, ended_on__isnull=True)
    if from_advisor is not None:
        moving = moving.filter(advisor=from_advisor)
    if clients is not None:
        moving = moving.filter(client_id__in=[getattr(c, "pk", c) for c in clients])
    moving_ids = moving.values("client_id")
    moving_clients = Client.objects.filter(pk__in=moving_ids).order_by()

    totals = moving_clients.aggregate(
        clients=Count("pk"),
        assets=Sum("total_assets"),
        ids=StringAgg(Cast("pk", CharField()), ",", order_by="pk", default=""),
    )
    listed = list(
        moving_clients.order_by("name", "client_no").values(
            "client_no", "name", "total_assets", "primary_advisor__name", "primary_advisor__code"
        )[:PREVIEW_LIST_LIMIT]
    )
    sources = list(
        Advisor.objects.filter(pk__in=moving.values("advisor_id")).select_related("org_unit").order_by("code")
    )
    # The refusals transfer_book would raise, raised now rather than at the confirmation.
    profile = access.access_profile(by)
    within_team = True
    for source in sources:  # every source checked: a team lead's advisors all in the team
        within_team = _check_may_move(by, profile, source, to_advisor) and within_team
    in_branch = Q(client__branch__path__startswith=profile.unit_path or "")
    if not (profile.is_superuser or within_team) and moving.exclude(in_branch).exists():
        # A branch manager moves clients booked in the branch only.
        raise PermissionDenied(_("Some of these clients belong to a branch you do not manage."))
    # The alerts and tickets transfer_book moves: the open ones of whoever serves the client now.
    alerts = Alert.objects.filter(
        client_id__in=moving_ids, status__in=OPEN_ALERT_STATUSES, advisor_id=F("client__primary_advisor_id")
    ).count()
    tickets = Ticket.objects.filter(
        client_id__in=moving_ids,
        status__in=Ticket.OPEN_STATUSES,
        assignee_id=F("client__primary_advisor__user_id"),
    ).count()
    follow_ups = Interaction.objects.filter(
        client_id__in=moving_ids, next_follow_up_on__isnull=False, follow_up_done=False
    ).count()
    shares = ClientShare.objects.filter(
        client_id__in=moving_ids, revoked_at__isnull=True, expires_on__gte=timezone.localdate()
    ).count()
    shared_ending = Assignment.objects.filter(
        advisor=to_advisor, ended_on__isnull=True, role=Assignment.Role.SHARED, client_id__in=moving_ids
    ).count()
    digest = hashlib.sha256(f"{to_advisor.pk}:{totals['ids']}".encode()).hexdigest()[:32]
    return TransferPreview(
        to_advisor=to_advisor,
        from_advisors=sources,
        clients=totals["clients"],
        total_assets=totals["assets"] or Decimal(0),
        listed=listed,
        alerts=alerts,
        tickets=tickets,
        follow_ups=follow_ups,
        shares=shares,
        shared_assignments_ending=shared_ending,
        fingerprint=digest if totals["clients"] else "",
    )
