"""Which campaigns a user sees and runs, and which of their targets — the one place campaign
scoping is decided. Pages, the API, exports and the admin all call ``campaigns_visible_to``.

- **view**: a campaign whose unit lies in the user's unit's subtree, or is an ancestor of it (an
  advisor of a team sees their branch's, their branch company's and head office's campaigns);
  compliance, head office (a role-holder whose unit is the headquarters root), operations and
  superusers see every campaign. A user without a unit or a role sees none.
- **change** (edit, build targets, start): the model permission (``campaigns.change_campaign``:
  branch managers and operations, ``core.roles``) *and* the campaign's unit inside the user's
  own subtree (head office's subtree is the whole tree). Creating needs ``add_campaign`` and a
  unit of the user's subtree (``creatable_units``).
- **targets** are rows about clients: a user reads those of clients in their client scope
  (``core.access``), and **control** targets only when head office or compliance
  (``sees_control``) — an advisor, a team lead or a branch manager never gets a control row.

Cost: the profile is one query cached on the user; each scope is a filter on the materialized
path (prefix, or one of the path's few ancestor prefixes), never a list of ids.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from advisors.models import OrgUnit
from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from core import roles
from core.access import EVERYTHING, access_profile, client_scope

_READ_ALL_ROLES = frozenset({roles.COMPLIANCE, roles.OPS})
_HEAD_OFFICE_ROLES = frozenset({roles.BRANCH_MANAGER, roles.COMPLIANCE, roles.OPS})


def _ancestor_paths(path: str) -> list[str]:
    step = OrgUnit.steplen
    return [path[:length] for length in range(step, len(path) + 1, step)]


def _reads_every_campaign(user: Any) -> bool:
    profile = access_profile(user)
    if profile.is_superuser:
        return True
    if profile.sees_nothing:
        return False
    return bool(profile.roles & _READ_ALL_ROLES) or (profile.unit_is_headquarters and bool(profile.roles))


def _changes_every_campaign(user: Any) -> bool:
    profile = access_profile(user)
    if profile.is_superuser:
        return True
    # Operations staff keep the master data of every unit; head office's subtree is everything.
    return profile.has_role(roles.OPS) or (profile.unit_is_headquarters and profile.has_role(roles.BRANCH_MANAGER))


def campaign_scope(user: Any, action: str = "view") -> Q | None:
    """The condition on ``Campaign`` rows the user may see (``view``) or change (``change``):
    ``Q()`` for every row, ``None`` for none."""
    profile = access_profile(user)
    if profile.sees_nothing:
        return None
    if action == "change":
        if not user.has_perm("campaigns.change_campaign"):
            return None
        if _changes_every_campaign(user):
            return Q()
        if profile.unit_path is None:
            return None
        return Q(org_unit__path__startswith=profile.unit_path)
    if _reads_every_campaign(user):
        return Q()
    if profile.unit_path is None:
        return None
    return Q(org_unit__path__startswith=profile.unit_path) | Q(org_unit__path__in=_ancestor_paths(profile.unit_path))


def campaigns_visible_to(user: Any, action: str = "view", queryset: QuerySet | None = None) -> QuerySet:
    """Campaigns in the user's scope (``queryset`` narrows a given queryset of campaigns)."""
    queryset = Campaign.objects.all() if queryset is None else queryset
    scope = campaign_scope(user, action)
    return queryset.none() if scope is None else queryset.filter(scope)


def creatable_units(user: Any) -> QuerySet:
    """Units the user may run a campaign for: their subtree (every unit for head office and
    operations), if they hold ``add_campaign`` at all."""
    units = OrgUnit.objects.filter(is_active=True).order_by("path")
    if not user.has_perm("campaigns.add_campaign"):
        return units.none()
    if _changes_every_campaign(user):
        return units
    profile = access_profile(user)
    if profile.unit_path is None:
        return units.none()
    return units.filter(path__startswith=profile.unit_path)


def can_change(user: Any, campaign: Campaign) -> bool:
    """Whether the user may edit, build or start this campaign (its status aside)."""
    return campaigns_visible_to(user, "change").filter(pk=campaign.pk).exists()


def sees_control(user: Any) -> bool:
    """Head office and compliance see the control group; no one else ever does."""
    profile = access_profile(user)
    if profile.is_superuser:
        return True
    if profile.sees_nothing:
        return False
    return profile.has_role(roles.COMPLIANCE) or (
        profile.unit_is_headquarters and bool(profile.roles & _HEAD_OFFICE_ROLES)
    )


def targets_visible_to(user: Any, campaign: Campaign | None = None, *, with_control: bool = True) -> QuerySet:
    """The targets the user may read: their clients' targets, control ones only for head office
    and compliance (``with_control=False`` leaves control out for everyone)."""
    targets = CampaignTarget.objects.visible_to(user)
    if campaign is not None:
        targets = targets.filter(campaign=campaign)
    if not (with_control and sees_control(user)):
        targets = targets.filter(control=False)
    return targets


def exclusions_visible_to(user: Any, campaign: Campaign | None = None) -> QuerySet:
    """The exclusions the user may read (``view_campaignexclusion``: team leads and above)."""
    if not user.has_perm("campaigns.view_campaignexclusion"):
        return CampaignExclusion.objects.none()
    exclusions = CampaignExclusion.objects.visible_to(user)
    return exclusions if campaign is None else exclusions.filter(campaign=campaign)


def target_client_q(user: Any, prefix: str = "") -> Q | None:
    """A condition on ``<prefix>client_id`` for the user's client scope (``Q()`` for all,
    ``None`` for none): lets a campaign query count only the targets the user may see."""
    scope = client_scope(user)
    if scope is EVERYTHING:
        return Q()
    if scope is None:
        return None
    (_lookup, ids) = scope.children[0]
    return Q(**{f"{prefix}client_id__in": ids})
