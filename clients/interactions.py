"""Logging a contact with a client (服务记录).

An interaction records, beside what was said, the client's risk level at that moment and the
products discussed, so it stands on its own in a later review even after the client is
re-assessed. Logging one can close the alert that prompted it, in the same transaction.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from advisors.models import Advisor
from alerts.actions import close_alert
from alerts.models import Alert
from alerts.raising import close_for_clients
from clients.models import Client, Interaction
from core.choices import ContactChannel


def advisor_of(user) -> Advisor:
    """The user's Advisor profile — everyone who serves clients has one."""
    advisor = Advisor.objects.filter(user=user, is_active=True).first()
    if advisor is None:
        raise PermissionDenied(_("Only staff with an active advisor profile can log contacts."))
    return advisor


@transaction.atomic
def log_interaction(
    *,
    client: Client,
    by,
    channel: str,
    summary: str,
    outcome: str = Interaction.Outcome.REACHED,
    occurred_at: datetime.datetime | None = None,
    next_follow_up_on: datetime.date | None = None,
    products=(),
    alert: Alert | None = None,
    campaign=None,
) -> Interaction:
    """Record a contact. The caller has checked that ``by`` may change ``client`` (scope).

    With ``alert``, the alert is closed as done in the same transaction, linked to this record.
    With ``campaign`` (a ``campaigns.Campaign``), the contact is recorded against it; the
    campaign's target is worked by ``campaigns.outcomes.log_campaign_contact``, which calls this.
    Raises ``ValidationError`` naming the field at fault.
    """
    now = timezone.now()
    occurred_at = occurred_at or now
    errors: dict[str, str] = {}
    if channel not in ContactChannel.values:
        errors["channel"] = _("Choose how you contacted the client.")
    if not (summary or "").strip():
        errors["summary"] = _("Say what was discussed.")
    if outcome not in Interaction.Outcome.values:
        errors["outcome"] = _("Choose an outcome from the list.")
    if occurred_at > now + datetime.timedelta(minutes=5):
        errors["occurred_at"] = _("A contact cannot be logged in the future.")
    if next_follow_up_on is not None and next_follow_up_on < timezone.localdate():
        errors["next_follow_up_on"] = _("A follow-up date cannot be in the past.")
    if alert is not None and alert.client_id != client.pk:
        errors["alert"] = _("This alert is about another client.")
    if errors:
        raise ValidationError(errors)
    advisor = advisor_of(by)
    previous_contact = client.last_contact_at
    interaction = Interaction.objects.create(
        client=client,
        advisor=advisor,
        channel=channel,
        occurred_at=occurred_at,
        summary=summary.strip(),
        outcome=outcome,
        next_follow_up_on=next_follow_up_on,
        client_risk_level=client.risk_level,
        alert=alert,
        campaign=campaign,
        created_by=by,
    )
    if products:
        interaction.products_discussed.set(products)
    # Earlier follow-ups on this client are answered by this contact, and so are the follow-ups
    # a team lead handed to another advisor (raised to them as ``follow_up`` alerts).
    Interaction.objects.filter(client=client, follow_up_done=False, next_follow_up_on__isnull=False).exclude(
        pk=interaction.pk
    ).update(follow_up_done=True, updated_at=now)
    close_for_clients(Alert.Kind.FOLLOW_UP, [client.pk])
    if alert is not None:
        close_alert(alert, by=by, status=Alert.Status.DONE, note=summary.strip()[:500])
    if previous_contact is None or occurred_at > previous_contact:
        # The client's last contact is now this one: a contact-due alert naming the previous
        # one has lost its cause (``nightly.rules.contact_due`` raises anew if still due).
        close_for_clients(Alert.Kind.CONTACT_DUE, [client.pk])
    return interaction
