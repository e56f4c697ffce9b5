"""The ticket life cycle: opening a ticket, status moves, assignment, comments, priority,
satisfaction. Service functions, keyword-only; views, the API and tasks call them.

**No lost updates.** Every change of a ticket's fields is one conditional statement,
``UPDATE ticket SET …, version = version + 1 WHERE id = %s AND version = %s``: a change made
from an old version (someone else changed the ticket since it was read) updates no row and
raises ``StaleTicket`` — the API answers 409, the page asks the user to reload. The checks
(is the move allowed?) are made against the ticket as it was at that version, so they cannot
be overtaken by a concurrent change either.

**The transition table** is data (``TRANSITIONS``); ``transition()`` refuses any other move with
a message naming the allowed ones. Moves out of *resolved* or *closed* are reopenings and need a
note, as does resolving.
"""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import Alert
from alerts.raising import close_conditions
from clients.models import Client
from core import thresholds
from tickets import notes, routing, sla
from tickets.models import DESCRIPTION_MAX_LENGTH, Priority, SlaPolicy, Ticket, TicketEvent, TicketKind

S = Ticket.Status

# from status → the statuses a ticket may move to. Everything else is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.NEW: (S.ASSIGNED,),
    S.ASSIGNED: (S.IN_PROGRESS, S.WAITING_CLIENT, S.RESOLVED),
    S.IN_PROGRESS: (S.WAITING_CLIENT, S.RESOLVED),
    S.WAITING_CLIENT: (S.IN_PROGRESS, S.RESOLVED),
    S.RESOLVED: (S.CLOSED, S.IN_PROGRESS),  # → in progress: reopen
    S.CLOSED: (S.IN_PROGRESS,),  # reopen
}
REOPEN_FROM = (S.RESOLVED, S.CLOSED)
# Reaching one of these is a first response to the client.
RESPONDING = (S.IN_PROGRESS, S.WAITING_CLIENT, S.RESOLVED)


class StaleTicket(Exception):
    """The ticket changed since the caller read it: reload and try again."""

    def __init__(self, message: str | None = None):
        super().__init__(message or _("This ticket was changed by someone else. Reload it and try again."))


def allowed_moves(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def refusal(ticket: Ticket, to: str, note: str = "") -> str | None:
    """Why ``ticket`` may not move to ``to`` now, or None."""
    if to not in S.values:
        return _("“%(to)s” is not a ticket status.") % {"to": to}
    allowed = allowed_moves(ticket.status)
    if to not in allowed:
        names = ", ".join(str(S(status).label) for status in allowed) or _("none")
        return _("A ticket that is “%(current)s” cannot move to “%(to)s”. Allowed: %(allowed)s.") % {
            "current": S(ticket.status).label,
            "to": S(to).label,
            "allowed": names,
        }
    if to == S.ASSIGNED and not ticket.assignee_id:
        return _("Assign the ticket to someone first.")
    if to == S.RESOLVED and not note.strip():
        return _("Say how the ticket was resolved (a note is required).")
    if ticket.status in REOPEN_FROM and to not in REOPEN_FROM and not note.strip():
        return _("Say why the ticket is reopened (a note is required).")
    return None


def _check_version(ticket: Ticket, version: int | None) -> None:
    if version is None or int(version) != ticket.version:
        raise StaleTicket()


def _apply(ticket: Ticket, *, version: int, by, changes: dict[str, Any], events: list[TicketEvent]) -> Ticket:
    """Write ``changes`` only if the ticket is still at ``version``; then the timeline lines and
    one change-log entry, in the same transaction. Returns the ticket as stored."""
    now = timezone.now()
    with transaction.atomic():
        updated = Ticket.objects.filter(pk=ticket.pk, version=version).update(
            **changes, version=F("version") + 1, updated_at=now
        )
        if not updated:
            raise StaleTicket()
        for event in events:
            event.ticket = ticket
            event.actor = by if getattr(by, "is_authenticated", False) else None
        TicketEvent.objects.bulk_create(events)
        fresh = Ticket.objects.get(pk=ticket.pk)
        audited = {
            name: [str(getattr(ticket, name)), str(getattr(fresh, name))]
            for name in changes
            if getattr(ticket, name) != getattr(fresh, name)
        }
        if audited:
            # The conditional UPDATE sends no signal; one change-log entry per change instead.
            LogEntry.objects.log_create(fresh, force_log=True, action=LogEntry.Action.UPDATE, changes=audited)
    return fresh


# --- Opening a ticket ------------------------------------------------------------------------


def policy_for(kind: TicketKind, tier: str) -> tuple[str, float, float]:
    """(priority, response hours, resolution hours) for a kind and client tier."""
    policy = SlaPolicy.objects.filter(kind=kind, tier=tier).first()
    if policy is None:
        limits = thresholds.current()
        return Priority.NORMAL, limits["ticket_default_response_hours"], limits["ticket_default_resolution_hours"]
    return policy.priority, policy.response_hours, policy.resolution_hours


def create_ticket(
    *,
    client: Client,
    kind: TicketKind,
    channel: str,
    subject: str,
    by,
    description: str = "",
    priority: str | None = None,
    priority_reason: str = "",
) -> Ticket:
    """Open a ticket: priority and due times from the SLA policy (kind × the client's tier),
    routed (``tickets.routing``), with the first lines of its timeline."""
    if not Client.objects.visible_to(by, "change").filter(pk=client.pk).exists():
        raise PermissionDenied(_("You cannot open tickets for this client."))
    errors = {}
    if not kind.is_active:
        errors["kind"] = _("This kind of ticket is no longer in use.")
    if channel not in Ticket.Channel.values:
        errors["channel"] = _("Choose a channel from the list.")
    if not subject.strip():
        errors["subject"] = _("A subject is required.")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = _description_too_long()
    derived, response_hours, resolution_hours = policy_for(kind, client.tier)
    if priority and priority != derived:
        if priority not in Priority.values:
            errors["priority"] = _("Choose a priority from the list.")
        elif not priority_reason.strip():
            errors["priority_override_reason"] = _("Give a reason for changing the priority.")
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    calendar_time = sla.runs_on_calendar_time(is_complaint=kind.is_complaint)
    due = sla.due_times(
        now,
        response_hours=response_hours,
        resolution_hours=resolution_hours,
        calendar=sla.business_calendar(timezone.localdate(now)),
        calendar_time=calendar_time,
    )
    destination = routing.route(client, kind)
    actor = by if getattr(by, "is_authenticated", False) else None
    with transaction.atomic():
        ticket_id, number = Ticket.reserve_number(now)
        ticket = Ticket.objects.create(
            id=ticket_id,
            number=number,
            client=client,
            kind=kind,
            channel=channel,
            subject=subject.strip(),
            description=description,
            priority=priority or derived,
            priority_override_reason=priority_reason.strip() if priority and priority != derived else "",
            status=S.ASSIGNED if destination.assignee else S.NEW,
            branch_id=client.branch_id,
            assignee=destination.assignee,
            response_due_at=due.response,
            resolution_due_at=due.resolution,
            created_by=actor,
        )
        if destination.watchers:
            ticket.watchers.add(*destination.watchers)
        events = [
            TicketEvent(
                ticket=ticket,
                kind=TicketEvent.Kind.CREATED,
                actor=actor,
                to_status=S.NEW,
                data={
                    "priority": ticket.priority,
                    "derived_priority": derived,
                    "calendar_time": calendar_time,
                    "response_due_at": due.response.isoformat(),
                    "resolution_due_at": due.resolution.isoformat(),
                },
            )
        ]
        if destination.assignee:
            events.append(
                TicketEvent(
                    ticket=ticket,
                    kind=TicketEvent.Kind.ASSIGNMENT,
                    actor=actor,
                    from_status=S.NEW,
                    to_status=S.ASSIGNED,
                    note=notes.ROUTED,
                    data={
                        "to_user": destination.assignee.pk,
                        "watchers": [user.pk for user in destination.watchers],
                        "reason": "routing",
                    },
                )
            )
        TicketEvent.objects.bulk_create(events)
    return ticket


# --- Changing a ticket -----------------------------------------------------------------------


def transition(ticket: Ticket, to: str, *, by, version: int, note: str = "") -> Ticket:
    """Move ``ticket`` to status ``to``; ``ValidationError`` (on ``to``) if the move is not
    allowed, ``StaleTicket`` if the ticket is no longer at ``version``."""
    _check_version(ticket, version)
    reason = refusal(ticket, to, note)
    if reason:
        raise ValidationError({"to": reason})
    now = timezone.now()
    changes: dict[str, Any] = {"status": to}
    if to in RESPONDING:
        changes["first_responded_at"] = Coalesce(F("first_responded_at"), Value(now))
    if to == S.RESOLVED:
        changes["resolved_at"] = now
    if to == S.CLOSED:
        changes["closed_at"] = now
    if ticket.status in REOPEN_FROM and to not in REOPEN_FROM:
        changes.update(resolved_at=None, closed_at=None, satisfaction=None, satisfaction_note="")
    if to == S.WAITING_CLIENT:
        changes["sla_paused_at"] = now
    elif ticket.status == S.WAITING_CLIENT:
        changes["sla_paused_at"] = None
        if ticket.sla_paused_at and ticket.resolution_due_at:
            changes["resolution_due_at"] = sla.extend_for_pause(
                ticket.resolution_due_at,
                ticket.sla_paused_at,
                now,
                calendar=sla.business_calendar(timezone.localdate(ticket.sla_paused_at)),
                calendar_time=sla.runs_on_calendar_time(is_complaint=ticket.kind.is_complaint),
            )
    event = TicketEvent(
        kind=TicketEvent.Kind.TRANSITION,
        from_status=ticket.status,
        to_status=to,
        body=note.strip(),
        internal=True,
        data={"reopened": ticket.status in REOPEN_FROM and to not in REOPEN_FROM},
    )
    with transaction.atomic():
        moved = _apply(ticket, version=version, by=by, changes=changes, events=[event])
        if to in REOPEN_FROM and ticket.status not in REOPEN_FROM:
            # Resolved: the escalation alerts (``ticket_sla``) have lost their cause.
            close_conditions(Alert.Kind.TICKET_SLA, ticket.client_id, f"{ticket.pk}|")
    return moved


def assign(ticket: Ticket, *, assignee, by, version: int, note: str = "") -> Ticket:
    """Hand ``ticket`` to ``assignee`` (a new ticket becomes *assigned*). ``PermissionDenied`` or
    ``ValidationError`` with the reason when not allowed (``tickets.routing``)."""
    _check_version(ticket, version)
    problem = routing.assignment_refusal(by, ticket, assignee)
    if problem:
        if "__all__" in problem and not routing.reassigns(by):
            raise PermissionDenied(problem["__all__"])
        raise ValidationError(problem)
    changes: dict[str, Any] = {"assignee_id": assignee.pk}
    events = [
        TicketEvent(
            kind=TicketEvent.Kind.ASSIGNMENT,
            body=note.strip(),
            data={"from_user": ticket.assignee_id, "to_user": assignee.pk, "reason": "reassigned"},
        )
    ]
    if ticket.status == S.NEW:
        changes["status"] = S.ASSIGNED
        events[0].from_status, events[0].to_status = S.NEW, S.ASSIGNED
    return _apply(ticket, version=version, by=by, changes=changes, events=events)


EDITABLE = ("subject", "description", "channel", "priority", "priority_override_reason")


def _description_too_long() -> str:
    return _("Keep the description to %(limit)d characters or fewer.") % {"limit": DESCRIPTION_MAX_LENGTH}


def update_details(ticket: Ticket, *, by, version: int, **fields: Any) -> Ticket:
    """Change subject, description, channel and priority. A priority other than the one the SLA
    policy gives needs ``priority_override_reason``."""
    _check_version(ticket, version)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    changes = {name: value for name, value in fields.items() if value is not None and getattr(ticket, name) != value}
    errors = {}
    if "subject" in changes and not str(changes["subject"]).strip():
        errors["subject"] = _("A subject is required.")
    if "channel" in changes and changes["channel"] not in Ticket.Channel.values:
        errors["channel"] = _("Choose a channel from the list.")
    if "description" in changes and len(str(changes["description"])) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = _description_too_long()
    events = []
    if "priority" in changes:
        if changes["priority"] not in Priority.values:
            errors["priority"] = _("Choose a priority from the list.")
        else:
            derived = policy_for(ticket.kind, ticket.client.tier)[0]
            reason = str(fields.get("priority_override_reason") or "").strip()
            if changes["priority"] != derived and not reason:
                errors["priority_override_reason"] = _("Give a reason for changing the priority.")
            changes["priority_override_reason"] = reason if changes["priority"] != derived else ""
            events.append(
                TicketEvent(
                    kind=TicketEvent.Kind.PRIORITY,
                    body=reason,
                    data={"from": ticket.priority, "to": changes["priority"], "derived": derived},
                )
            )
    elif "priority_override_reason" in changes:
        changes.pop("priority_override_reason")
    if errors:
        raise ValidationError(errors)
    if not changes:
        return ticket
    return _apply(ticket, version=version, by=by, changes=changes, events=events)


def record_satisfaction(ticket: Ticket, *, score: int, note: str = "", by, version: int) -> Ticket:
    """The client's satisfaction (1–5) and a note, once the ticket is resolved (or closed)."""
    _check_version(ticket, version)
    if ticket.status not in (S.RESOLVED, S.CLOSED):
        raise ValidationError({"__all__": _("Satisfaction is recorded once the ticket is resolved.")})
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": _("Satisfaction is a score from 1 to 5.")})
    event = TicketEvent(kind=TicketEvent.Kind.SATISFACTION, body=note.strip(), data={"score": score})
    return _apply(
        ticket,
        version=version,
        by=by,
        changes={"satisfaction": score, "satisfaction_note": note.strip()[:500]},
        events=[event],
    )


def add_comment(ticket: Ticket, *, by, body: str, internal: bool = True) -> TicketEvent:
    """A comment on the timeline: internal (staff only) or client-visible. A client-visible
    comment is a first response. Comments do not change the ticket's fields, so they need no
    version: two people commenting at once both keep their comment."""
    if not body.strip():
        raise ValidationError({"body": _("Write something first.")})
    with transaction.atomic():
        event = TicketEvent.objects.create(
            ticket=ticket,
            kind=TicketEvent.Kind.COMMENT,
            actor=by if getattr(by, "is_authenticated", False) else None,
            body=body.strip(),
            internal=internal,
        )
        if not internal:
            Ticket.objects.filter(pk=ticket.pk, first_responded_at__isnull=True).update(
                first_responded_at=event.created_at
            )
    return event
