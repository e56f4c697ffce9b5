"""What an advisor does with an alert: done (with a contact logged — see
``clients.interactions.log_interaction``), dismissed with a reason, or snoozed to a date.

Each change is one conditional UPDATE on a still-open alert, so two clicks (or two people)
cannot close an alert twice; the loser is told the alert was already handled.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import Alert

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
