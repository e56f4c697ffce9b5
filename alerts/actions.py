"""What an advisor does with an alert: done (with a contact logged — see
``clients.interactions.log_interaction``), dismissed with a reason, or snoozed to a date; and
what a team lead or branch manager does with one: reassign it to an advisor of their unit.

Each change is one conditional UPDATE on a still-open alert, so two clicks (or two people)
cannot close an alert twice; the loser is told the alert was already handled.
"""

from __future__ import annotations

import datetime

from auditlog.models import LogEntry
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from advisors.models import Advisor, Assignment
from alerts.models import Alert
from core import access, roles

OPEN = (Alert.Status.OPEN, Alert.Status.SNOOZED)


def close_alert(alert: Alert, *, by, status: str, note: str = "") -> Alert:
    """Mark an open (or snoozed) alert done or dismissed."""
    if status not in (Alert.Status.DONE, Alert.Status.DISMISSED):
        raise ValueError(status)
    now = timezone.now()
    changed = Alert.objects.filter(pk=alert.pk, status__in=OPEN).update(
        status=status, closed_at=now, closed_by=by, close_note=note, snoozed_until=None, updated_at=now
    )
    if not changed:
        raise ValidationError({"alert": _("This alert has already been handled.")})
    alert.refresh_from_db()
    return alert


def dismiss_alert(alert: Alert, *, by, reason: str) -> Alert:
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError({"reason": _("Say why the alert needs no action (at least 3 characters).")})
    return close_alert(alert, by=by, status=Alert.Status.DISMISSED, note=reason[:500])


def snooze_alert(alert: Alert, *, by, until: datetime.date) -> Alert:
    today = timezone.localdate()
    if until is None or until <= today:
        raise ValidationError({"until": _("Snooze to a day after today.")})
    if until > today + datetime.timedelta(days=90):
        raise ValidationError({"until": _("Snooze for at most 90 days.")})
    now = timezone.now()
    changed = Alert.objects.filter(pk=alert.pk, status__in=OPEN).update(
        status=Alert.Status.SNOOZED, snoozed_until=until, updated_at=now
    )
    if not changed:
        raise ValidationError({"alert": _("This alert has already been handled.")})
    alert.refresh_from_db()
    return alert


def wake_snoozed_alerts(today: datetime.date | None = None) -> int:
    """Snoozed alerts whose day has come are open again (the dashboard also treats them so)."""
    today = today or timezone.localdate()
    return Alert.objects.filter(status=Alert.Status.SNOOZED, snoozed_until__lte=today).update(
        status=Alert.Status.OPEN, snoozed_until=None, updated_at=timezone.now()
    )


# --- Reassigning (a team lead's or branch manager's tool) --------------------------------------


def may_reassign(user) -> bool:
    """Whether ``user`` hands work to other advisors: a team lead or branch manager placed in
    the org tree (their unit is the scope), or a superuser."""
    profile = access.access_profile(user)
    if profile.is_superuser:
        return True
    return bool(profile.roles & {roles.TEAM_LEAD, roles.BRANCH_MANAGER}) and profile.unit_path is not None


def reassign_targets(user) -> QuerySet:
    """The advisors ``user`` may hand work to: the active advisors of their unit's subtree (a
    team lead's team, a branch manager's branch), by name; none for anyone else."""
    if not may_reassign(user):
        return Advisor.objects.none()
    advisors = Advisor.objects.filter(is_active=True).select_related("org_unit").order_by("name", "code")
    profile = access.access_profile(user)
    if profile.is_superuser and not profile.unit_path:
        return advisors
    return advisors.filter(org_unit__path__startswith=profile.unit_path)


def check_reassignment(*, client_id: int, current_advisor_id: int | None, to_advisor: Advisor, by) -> None:
    """Refuse a hand-over ``by`` may not make: ``PermissionDenied`` for someone without a team
    lead's or branch manager's scope, or a client outside it; ``ValidationError`` on
    ``to_advisor`` for an advisor outside their unit, inactive, or already the owner."""
    if not may_reassign(by):
        raise PermissionDenied(_("Only a team lead or a branch manager can reassign work."))
    from_scope = access.client_scope(by, "change")
    if from_scope is None:
        raise PermissionDenied(_("Only a team lead or a branch manager can reassign work."))
    # The client model sits above this app: looked up by name, as core.access does.
    clients = apps.get_model("clients", "Client").objects
    if from_scope is not access.EVERYTHING and not clients.filter(from_scope, pk=client_id).exists():
        raise PermissionDenied(_("This client is outside your team."))
    if to_advisor is None or not reassign_targets(by).filter(pk=to_advisor.pk).exists():
        raise ValidationError({"to_advisor": _("Choose an active advisor of your team.")})
    if current_advisor_id == to_advisor.pk:
        raise ValidationError({"to_advisor": _("This advisor already has it: choose another.")})


def ensure_serves(*, client_id: int, advisor: Advisor, by, note: str) -> bool:
    """Make sure ``advisor`` serves the client, so the work handed to them is in their scope:
    without an active assignment, a shared one (协办) is opened — recorded, audited and ended
    like any other, never a silent widening of access. Returns whether one was opened."""
    if Assignment.objects.filter(client_id=client_id, advisor=advisor, ended_on__isnull=True).exists():
        return False
    Assignment.objects.create(
        client_id=client_id,
        advisor=advisor,
        role=Assignment.Role.SHARED,
        started_on=timezone.localdate(),
        reason=Assignment.Reason.OTHER,
        note=note[:500],
        created_by=by,
    )
    return True


@transaction.atomic
def reassign_alert(alert: Alert, *, to_advisor: Advisor, by) -> Alert:
    """Hand an open (or snoozed) alert to ``to_advisor``, an active advisor of ``by``'s unit.

    If the new advisor does not serve the client yet, a shared assignment is opened in the same
    transaction (``ensure_serves``): an alert on a client they cannot open would be work they
    cannot do. The change is one conditional UPDATE (a closed alert is not moved) and one
    change-log entry naming both advisors, the actor and the source (the request's audit
    context), in the same transaction."""
    check_reassignment(client_id=alert.client_id, current_advisor_id=alert.advisor_id, to_advisor=to_advisor, by=by)
    previous = Advisor.objects.filter(pk=alert.advisor_id).values_list("code", flat=True).first() or ""
    now = timezone.now()
    changed = Alert.objects.filter(pk=alert.pk, status__in=OPEN).update(advisor=to_advisor, updated_at=now)
    if not changed:
        raise ValidationError({"alert": _("This alert has already been handled.")})
    shared = ensure_serves(
        client_id=alert.client_id, advisor=to_advisor, by=by, note=f"alert {alert.pk} reassigned by {by}"
    )
    alert.refresh_from_db()
    LogEntry.objects.log_create(
        alert,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes={"advisor": [previous, to_advisor.code], "shared assignment opened": ["", str(shared)]},
    )
    return alert
