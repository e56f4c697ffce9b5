"""Escalation (升级) of tickets past their SLA due times.

The rule (``target_level``, a plain function over a ticket's facts and the time):

- **level 1 → the team lead** of the assignee's team (the branch manager when there is none):
  the first response is past due, or the resolution is;
- **level 2 → the branch manager** of the ticket's branch: the resolution has been past due for
  ``ticket_level2_after_hours`` (a threshold, default 4) calendar hours — or the ticket is a complaint from a
  high-net-worth or ultra-high-net-worth client still unresolved ``ticket_hnw_complaint_hours``
  (default 24) calendar hours after it was opened, which goes there straight from level 0.

Tickets waiting for the client are not escalated (their clock is paused; see ``workflow``);
resolved and closed tickets never are. Each step writes a timeline line (a note code and its
values: ``tickets.notes`` renders it in the reader's language), adds the people told as
watchers, raises a ``ticket_sla`` alert for each of them through ``alerts.raising`` and sends
one email after commit (in the site's language: it leaves the system).

**Idempotent.** A step is claimed with ``UPDATE … SET escalation_level = n WHERE id = … AND
escalation_level = <as read>``: a second run (or a concurrent one) finds the level already
raised and does nothing, so no step is taken, alerted or mailed twice; the alerts' key
(``AlertKey(ticket_sla, client, "<ticket>|L<level>|<advisor>")``) backs this up in the database.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from advisors.models import Advisor
from alerts import texts
from alerts.models import Alert
from alerts.raising import AlertKey, NewAlert, raise_alerts
from alerts.texts import escalation_reason
from core import thresholds
from core.choices import Tier
from tickets import notes, routing
from tickets.models import Ticket, TicketEvent

logger = logging.getLogger(__name__)

S = Ticket.Status
ESCALATING = (S.NEW, S.ASSIGNED, S.IN_PROGRESS)
HIGH_NET_WORTH = (Tier.HIGH_NET_WORTH, Tier.ULTRA_HIGH_NET_WORTH)
MAX_LEVEL = 2


@dataclass(frozen=True)
class TicketFacts:
    status: str
    escalation_level: int
    is_complaint: bool
    tier: str
    created_at: datetime.datetime
    response_due_at: datetime.datetime | None
    first_responded_at: datetime.datetime | None
    resolution_due_at: datetime.datetime | None

    @classmethod
    def of(cls, ticket: Ticket) -> TicketFacts:
        return cls(
            status=ticket.status,
            escalation_level=ticket.escalation_level,
            is_complaint=ticket.kind.is_complaint,
            tier=ticket.client.tier,
            created_at=ticket.created_at,
            response_due_at=ticket.response_due_at,
            first_responded_at=ticket.first_responded_at,
            resolution_due_at=ticket.resolution_due_at,
        )


@dataclass(frozen=True)
class Decision:
    level: int
    reason: str = ""


def target_level(
    facts: TicketFacts,
    now: datetime.datetime,
    *,
    level2_after: datetime.timedelta,
    hnw_complaint_after: datetime.timedelta,
) -> Decision:
    """The escalation level the ticket should be at now, with the reason (never lower than the
    level it is at)."""
    current = Decision(facts.escalation_level)
    if facts.status not in ESCALATING:
        return current
    wanted = Decision(0)
    resolution_late = facts.resolution_due_at is not None and now >= facts.resolution_due_at
    if resolution_late and now >= facts.resolution_due_at + level2_after:
        wanted = Decision(2, "resolution_overdue_long")
    elif facts.is_complaint and facts.tier in HIGH_NET_WORTH and now >= facts.created_at + hnw_complaint_after:
        wanted = Decision(2, "hnw_complaint_unresolved")
    elif resolution_late:
        wanted = Decision(1, "resolution_overdue")
    elif facts.first_responded_at is None and facts.response_due_at is not None and now >= facts.response_due_at:
        wanted = Decision(1, "response_overdue")
    return wanted if wanted.level > current.level else current


def reason_hours(reason: str, limits: dict) -> int | None:
    """The hours a reason names (``limits``: the thresholds in force, read once per run)."""
    return {
        "resolution_overdue_long": limits["ticket_level2_after_hours"],
        "hnw_complaint_unresolved": limits["ticket_hnw_complaint_hours"],
    }.get(reason)


def reason_text(reason: str, limits: dict) -> str:
    """The reason in the active language (``alerts.texts.escalation_reason``)."""
    return escalation_reason(reason, reason_hours(reason, limits))


@dataclass
class EscalationRun:
    checked: int = 0
    escalated: list[tuple[int, int]] = field(default_factory=list)  # (ticket id, new level)
    alerts: int = 0
    emails: int = 0

    def as_dict(self) -> dict:
        return {
            "checked": self.checked,
            "escalated": [list(step) for step in self.escalated],
            "alerts": self.alerts,
            "emails": self.emails,
        }


def candidates(now: datetime.datetime, hnw_complaint_hours: int):
    """Open tickets below the top level with a due time passed (or an HNW complaint old enough):
    one query; the rule itself is ``target_level``."""
    hnw_since = now - datetime.timedelta(hours=hnw_complaint_hours)
    return (
        Ticket.objects.filter(status__in=ESCALATING, escalation_level__lt=MAX_LEVEL)
        .filter(
            Q(resolution_due_at__lte=now)
            | Q(first_responded_at__isnull=True, response_due_at__lte=now)
            | Q(kind__is_complaint=True, client__tier__in=HIGH_NET_WORTH, created_at__lte=hnw_since)
        )
        .select_related("kind", "client", "branch", "assignee")
        .order_by("resolution_due_at", "pk")
    )


def escalate_overdue(now: datetime.datetime | None = None) -> EscalationRun:
    """Escalate every ticket whose level should rise; safe to run again at any time."""
    now = now or timezone.now()
    run = EscalationRun()
    limits = thresholds.current()  # the values in force for this run (core/thresholds.py)
    level2_after = datetime.timedelta(hours=limits["ticket_level2_after_hours"])
    hnw_after = datetime.timedelta(hours=limits["ticket_hnw_complaint_hours"])
    for ticket in candidates(now, limits["ticket_hnw_complaint_hours"]):
        run.checked += 1
        decision = target_level(TicketFacts.of(ticket), now, level2_after=level2_after, hnw_complaint_after=hnw_after)
        if decision.level > ticket.escalation_level:
            _escalate(ticket, decision, now, run, limits)
    return run


def _escalate(ticket: Ticket, decision: Decision, now: datetime.datetime, run: EscalationRun, limits: dict) -> None:
    with transaction.atomic():
        claimed = Ticket.objects.filter(
            pk=ticket.pk, escalation_level=ticket.escalation_level, status__in=ESCALATING
        ).update(escalation_level=decision.level, version=F("version") + 1, updated_at=now)
        if not claimed:
            return  # another run took this step, or the ticket moved on meanwhile
        recipients = routing.escalation_recipients(ticket, decision.level)
        hours = reason_hours(decision.reason, limits)
        TicketEvent.objects.create(
            ticket=ticket,
            kind=TicketEvent.Kind.ESCALATION,
            actor=None,
            note=notes.ESCALATED,
            data={
                "from_level": ticket.escalation_level,
                "to_level": decision.level,
                "reason": decision.reason,
                "hours": hours,
                "notified": [user.pk for user in recipients],
            },
        )
        LogEntry.objects.log_create(
            ticket,
            force_log=True,
            action=LogEntry.Action.UPDATE,
            changes={"escalation_level": [str(ticket.escalation_level), str(decision.level)]},
        )
        if recipients:
            ticket.watchers.add(*recipients)
        advisors = Advisor.objects.filter(user__in=recipients).values_list("pk", flat=True)
        params = {
            "ticket": ticket.pk,
            "number": ticket.number,
            "level": decision.level,
            "subject": ticket.subject,
            "reason": decision.reason,
            "hours": hours,
        }
        created = raise_alerts(
            NewAlert(
                key=AlertKey(Alert.Kind.TICKET_SLA, ticket.client_id, f"{ticket.pk}|L{decision.level}|{advisor_id}"),
                advisor_id=advisor_id,
                severity=Alert.Severity.CRITICAL if decision.level >= 2 else Alert.Severity.WARNING,
                params=params,
                payload={"ticket": ticket.pk, "number": ticket.number, "level": decision.level},
                due_on=timezone.localdate(now),
            )
            for advisor_id in advisors
        )
        run.alerts += created
        run.escalated.append((ticket.pk, decision.level))
        addresses = sorted({user.email for user in recipients if user.email})
        if addresses:
            run.emails += 1
            # An email leaves the system: written once, in the site's language.
            with translation.override(settings.LANGUAGE_CODE):
                title, reason = texts.render(Alert.Kind.TICKET_SLA, params)
                body = _email_body(ticket, title, reason)
            transaction.on_commit(
                lambda: send_mail(title, body, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=False)
            )
    logger.info("ticket %s escalated to level %s (%s)", ticket.number, decision.level, decision.reason)


def _email_body(ticket: Ticket, title: str, reason: str) -> str:
    due = (
        formats.date_format(timezone.localtime(ticket.resolution_due_at), "SHORT_DATETIME_FORMAT")
        if ticket.resolution_due_at
        else "—"
    )
    return "\n".join(
        [
            title,
            "",
            reason,
            _("Client: %(client)s") % {"client": ticket.client.client_no},
            _("Resolution due: %(due)s") % {"due": due},
        ]
    )
