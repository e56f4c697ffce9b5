"""Campaign workflows: build the target list, start, finish. Plain functions (no request): the
pages, the API and the nightly run call them.

- ``build_targets`` (``campaigns.targeting``) with an audit entry on the campaign (the bulk
  writes send no signals);
- ``start_campaign``: a draft with built targets, on a day within its period (a campaign may
  start on its first day, today);
- ``finish_due_campaigns``: active campaigns whose period ended before the day → finished, one
  UPDATE (the nightly run calls it).
"""

from __future__ import annotations

import datetime

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import targeting
from campaigns.models import Campaign
from campaigns.targeting import BuildResult
from core.access import client_scope

__all__ = ["BuildResult", "build_targets", "finish_due_campaigns", "start_campaign"]


def _audit(campaign: Campaign, by, changes: dict[str, list]) -> None:
    LogEntry.objects.log_create(
        campaign,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes=changes,
        actor=by if getattr(by, "is_authenticated", False) else None,
    )


def build_targets(campaign: Campaign, *, by, today: datetime.date | None = None) -> BuildResult:
    """Build the draft campaign's target list (``targeting.build_targets``) and record who built
    it and what came out in the change log.

    The candidates are the segment in the scope of the campaign's creator (else the builder): a
    creator who sees no clients — operations staff keep campaigns' master data but serve no
    clients — would build an empty list, so that is refused with the reason instead."""
    creator = campaign.created_by or by
    if client_scope(creator) is None:
        raise ValidationError(
            {
                "created_by": _(
                    "%(user)s sees no clients, and a campaign's targets come from its creator's clients: "
                    "a branch manager or head office should create this campaign."
                )
                % {"user": creator.get_username()}
            }
        )
    with transaction.atomic():
        result = targeting.build_targets(campaign, by=by, today=today)
        _audit(campaign, by, {"build_summary": ["", str(campaign.build_summary)]})
    return result


def start_campaign(campaign: Campaign, *, by, today: datetime.date | None = None) -> Campaign:
    """Start a draft campaign whose targets are built, on a day from ``starts_on`` to
    ``ends_on`` (both included). Raises ``ValidationError`` naming the field otherwise."""
    today = today or timezone.localdate()
    with transaction.atomic():
        fresh = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if fresh.status != Campaign.Status.DRAFT:
            raise ValidationError(
                {"status": _("Only a draft campaign can start; this one is %(status)s.")
                 % {"status": fresh.get_status_display()}}
            )  # fmt: skip
        if fresh.targets_built_at is None:
            raise ValidationError({"targets": _("Build the target list before starting the campaign.")})
        if today < fresh.starts_on:
            raise ValidationError(
                {"starts_on": _("The campaign starts on %(day)s: it cannot start before.") % {"day": fresh.starts_on}}
            )
        if today > fresh.ends_on:
            raise ValidationError(
                {"ends_on": _("The campaign ended on %(day)s: it can no longer start.") % {"day": fresh.ends_on}}
            )
        fresh.status = Campaign.Status.ACTIVE
        fresh.started_at = timezone.now()
        fresh.save(update_fields=["status", "started_at", "updated_at"])
        _audit(fresh, by, {"status": [Campaign.Status.DRAFT.value, Campaign.Status.ACTIVE.value]})
    campaign.status, campaign.started_at = fresh.status, fresh.started_at
    return fresh


def finish_due_campaigns(day: datetime.date) -> int:
    """Mark finished every active campaign whose period ended before ``day`` (one UPDATE);
    returns how many."""
    return Campaign.objects.filter(status=Campaign.Status.ACTIVE, ends_on__lt=day).update(
        status=Campaign.Status.FINISHED, updated_at=timezone.now()
    )
