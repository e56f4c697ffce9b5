"""An advisor works a campaign target: the contact is logged (``clients.interactions``) against
the campaign, with the client's risk level at that moment, and the target takes the outcome —
in one transaction.

Only a worked target can take an outcome: never a control target (held out to measure uplift:
nobody may approach it for the campaign), never a target of a campaign that is not running.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignTarget
from clients.interactions import log_interaction
from clients.models import Client, Interaction

# What an advisor may record against a target, and the interaction outcome each one is.
INTERACTION_OUTCOME = {
    CampaignTarget.Status.CONTACTED: Interaction.Outcome.REACHED,
    CampaignTarget.Status.INTERESTED: Interaction.Outcome.INTERESTED,
    CampaignTarget.Status.DECLINED: Interaction.Outcome.NOT_INTERESTED,
    CampaignTarget.Status.UNREACHABLE: Interaction.Outcome.NO_ANSWER,
}
OUTCOME_CHOICES = [(status.value, status.label) for status in INTERACTION_OUTCOME]
# A target still to be worked (or worked again): a client who declined has answered.
OPEN_STATUSES = (
    CampaignTarget.Status.PENDING,
    CampaignTarget.Status.CONTACTED,
    CampaignTarget.Status.INTERESTED,
    CampaignTarget.Status.UNREACHABLE,
)
PERMISSION = "campaigns.change_campaigntarget"


def workable_targets(client: Client, user):
    """The client's targets ``user`` may log an outcome on: not control, of an active campaign,
    still open, in the user's scope (none without the permission to change targets)."""
    if not user.has_perm(PERMISSION):
        return CampaignTarget.objects.none()
    return (
        CampaignTarget.objects.visible_to(user, "change")
        .filter(client=client, control=False, campaign__status=Campaign.Status.ACTIVE, status__in=OPEN_STATUSES)
        .select_related("campaign", "campaign__product")
        .order_by("campaign__ends_on", "campaign_id")
    )


def refusal(target: CampaignTarget, client: Client | None = None) -> str | None:
    """Why no outcome may be logged on ``target`` (for ``client``), or None."""
    if client is not None and target.client_id != client.pk:
        return _("This campaign target is another client's.")
    if target.control:
        # Held out to measure the campaign's effect: not to be contacted for it. Said as for a
        # client who is no target at all, so a tampered form does not tell an advisor who is in
        # the control group (advisors never see it).
        return _("This client is not a target of that campaign.")
    if target.campaign.status != Campaign.Status.ACTIVE:
        return _("The campaign “%(campaign)s” is not running (%(status)s): no outcome can be logged on it.") % {
            "campaign": target.campaign.name,
            "status": target.campaign.get_status_display(),
        }
    return None


@transaction.atomic
def log_campaign_contact(
    *,
    target: CampaignTarget,
    by,
    channel: str,
    summary: str,
    outcome: str,
    client: Client | None = None,
    occurred_at: datetime.datetime | None = None,
    next_follow_up_on: datetime.date | None = None,
    products=(),
) -> Interaction:
    """Log a contact about ``target``'s campaign and set the target's status and contact time.

    The caller has checked that ``by`` may change the client (scope). ``client``, when given,
    is the client the form was for: a target of another client is refused. Raises
    ``ValidationError`` naming the field at fault (``campaign`` for a target that may not be
    worked, ``campaign_outcome`` for an unknown outcome) and ``PermissionDenied`` for a user who
    may not change campaign targets.
    """
    if not by.has_perm(PERMISSION):
        raise PermissionDenied(_("You may not record campaign outcomes."))
    # The target as it stands now, locked: a campaign finished or a target moved to the control
    # group since the form was shown is refused, and two advisors' outcomes do not interleave.
    locked = (
        CampaignTarget.objects.select_for_update(of=("self",)).select_related("campaign", "client").get(pk=target.pk)
    )
    reason = refusal(locked, client)
    if reason:
        raise ValidationError({"campaign": reason})
    if outcome not in INTERACTION_OUTCOME:
        raise ValidationError({"campaign_outcome": _("Choose the campaign outcome from the list.")})
    interaction = log_interaction(
        client=locked.client,
        by=by,
        channel=channel,
        summary=summary,
        outcome=INTERACTION_OUTCOME[outcome],
        occurred_at=occurred_at,
        next_follow_up_on=next_follow_up_on,
        products=products,
        campaign=locked.campaign,
    )
    CampaignTarget.objects.filter(pk=locked.pk).update(
        status=outcome,
        contacted_at=interaction.occurred_at,
        outcome=interaction.summary[:500],
        updated_at=timezone.now(),
    )
    target.refresh_from_db(fields=["status", "contacted_at", "outcome", "updated_at"])
    return interaction
