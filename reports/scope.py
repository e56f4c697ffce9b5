"""Who may see which report — the reports' part of the access rules (``core.access`` decides
clients; this module decides org units and advisors, from the same access profile).

- The permission ``reports.view_report`` is needed for any report (403 without it). The roles
  table (``core.roles``) gives it to advisors, team leads, branch managers and compliance.
- **Compliance, HQ staff and superusers**: every unit, starting at the root (headquarters).
- **Branch manager** and **team lead**: their unit's subtree (a branch, a branch company, a team).
- **Advisor** (no managing role): their own advisor report only — their book, their figures.
- A unit or advisor outside the user's scope answers 404, so a report's existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from advisors.models import Advisor, OrgUnit
from core import access, roles

PERMISSION = "reports.view_report"


@dataclass(frozen=True)
class ReportScope:
    """The widest unit the user may report on (``root``), or their own advisor report."""

    root: OrgUnit | None = None
    own_advisor_id: int | None = None

    def covers(self, unit: OrgUnit) -> bool:
        return self.root is not None and unit.path.startswith(self.root.path)


def report_scope(user) -> ReportScope:
    """The user's reporting scope; PermissionDenied without the permission or a place to report on."""
    if not user.is_authenticated or not user.has_perm(PERMISSION):
        raise PermissionDenied
    profile = access.access_profile(user)
    sees_all = (
        profile.is_superuser
        or profile.has_role(roles.COMPLIANCE)
        or (profile.unit_is_headquarters and bool(profile.roles & access.CLIENT_FACING_ROLES))
    )
    if sees_all:
        root = OrgUnit.objects.get_root_nodes().first()
        if root is not None:
            return ReportScope(root=root)
    elif profile.unit_path and profile.roles & {roles.BRANCH_MANAGER, roles.TEAM_LEAD}:
        return ReportScope(root=OrgUnit.objects.get(path=profile.unit_path))
    elif profile.advisor_id is not None and profile.has_role(roles.ADVISOR):
        return ReportScope(own_advisor_id=profile.advisor_id)
    raise PermissionDenied


def unit_or_404(scope: ReportScope, code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not scope.covers(unit):
        raise Http404
    return unit


def advisor_or_404(scope: ReportScope, unit_code: str, code: str) -> tuple[OrgUnit, Advisor]:
    """The unit and an advisor whose unit lies in its subtree, the unit in the user's scope — or
    the user themself (an advisor's own report, under their own unit)."""
    advisor = Advisor.objects.select_related("org_unit").filter(code=code).first()
    if advisor is None:
        raise Http404
    if advisor.pk == scope.own_advisor_id and advisor.org_unit.code == unit_code:
        return advisor.org_unit, advisor
    unit = unit_or_404(scope, unit_code)
    if not advisor.org_unit.path.startswith(unit.path):
        raise Http404
    return unit, advisor
