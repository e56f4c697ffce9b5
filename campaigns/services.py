"""Campaign workflows: build the target list, start, finish. Plain functions (no request): the
pages, the API and the nightly run call them.

- ``build_targets`` (``campaigns.targeting``) with an audit entry on the campaign (the bulk
  writes send no signals);
- ``start_campaign``: a draft with built targets, on a day within its period (a campaign may
  start on its first day, today);
- ``update_draft``: save a draft's edited settings; a change to what the target list is built
  from (product or theme, segment, unit, limits, control share, window) on a built draft clears
  the list in the same transaction, so it must be built again before the start;
- ``finish_due_campaigns``: active campaigns whose period ended before the day → finished, one
  UPDATE (the nightly run calls it).
"""

from __future__ import annotations

import datetime

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from campaigns import targeting
from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from campaigns.targeting import BuildResult
from core.access import client_scope

__all__ = ["BUILD_INPUTS", "BuildResult", "build_targets", "finish_due_campaigns", "start_campaign", "update_draft"]

#: The campaign's fields its target list is built from (attribute names: ids for the relations).
BUILD_INPUTS = (
    "product_id",
    "theme",
    "segment_id",
    "org_unit_id",
    "target_limit",
    "control_share",
    "advisor_cap",
    "starts_on",
    "ends_on",
)


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
                {
                    "starts_on": _("The campaign starts on %(day)s: it cannot start before.")
                    % {"day": formats.date_format(fresh.starts_on, "DATE_FORMAT")}
                }
            )
        if today > fresh.ends_on:
            raise ValidationError(
                {
                    "ends_on": _("The campaign ended on %(day)s: it can no longer start.")
                    % {"day": formats.date_format(fresh.ends_on, "DATE_FORMAT")}
                }
            )
        fresh.status = Campaign.Status.ACTIVE
        fresh.started_at = timezone.now()
        fresh.save(update_fields=["status", "started_at", "updated_at"])
        _audit(fresh, by, {"status": [Campaign.Status.DRAFT.value, Campaign.Status.ACTIVE.value]})
    campaign.status, campaign.started_at = fresh.status, fresh.started_at
    return fresh


def update_draft(campaign: Campaign, *, by) -> list[str]:
    """Save ``campaign`` (a draft, its edited settings set on the instance by a form or a
    serializer). When its targets were built and a field they are built from
    (``BUILD_INPUTS``) changed, the targets, the exclusions and the build's figures are cleared
    in the same transaction — the list was built for other settings, and ``start_campaign``
    then asks for a new build. Returns the changed build fields (empty: the list, if any,
    stands). Raises ``ValidationError`` when the campaign is no longer a draft."""
    with transaction.atomic():
        stored = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if stored.status != Campaign.Status.DRAFT:
            raise ValidationError({"status": _("Only a draft campaign can be changed.")})
        changed = [name for name in BUILD_INPUTS if getattr(stored, name) != getattr(campaign, name)]
        campaign.save()
        if stored.targets_built_at is None or not changed:
            return []
        CampaignTarget.objects.filter(campaign=campaign).delete()
        CampaignExclusion.objects.filter(campaign=campaign).delete()
        campaign.targets_built_at = None
        campaign.build_summary = {}
        campaign.model_kind = ""
        campaign.model_auc = campaign.model_top_decile_rate = campaign.model_base_rate = None
        campaign.model_details = {}
        campaign.save(
            update_fields=[
                "targets_built_at", "build_summary", "model_kind", "model_auc", "model_top_decile_rate",
                "model_base_rate", "model_details", "updated_at",
            ]
        )  # fmt: skip
        _audit(
            campaign,
            by,
            {"targets_built_at": [str(stored.targets_built_at), ""], "cleared_by": [",".join(changed), ""]},
        )
    return changed


def finish_due_campaigns(day: datetime.date) -> int:
    """Mark finished every active campaign whose period ended before ``day`` (one UPDATE);
    returns how many."""
    return Campaign.objects.filter(status=Campaign.Status.ACTIVE, ends_on__lt=day).update(
        status=Campaign.Status.FINISHED, updated_at=timezone.now()
    )
