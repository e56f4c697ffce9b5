"""The campaign list's filters (``CampaignFilterForm``): status, a product/theme/code/name search,
the unit (its subtree) and a day the window covers. ``data`` is the form's cleaned data (the
valid fields only); the form refuses an unknown unit code, and the list is then empty."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from advisors.models import OrgUnit


def filter_campaigns(campaigns: QuerySet, data: dict) -> QuerySet:
    if data.get("status"):
        campaigns = campaigns.filter(status=data["status"])
    text = (data.get("q") or "").strip()
    if text:
        campaigns = campaigns.filter(
            Q(code__icontains=text)
            | Q(name__icontains=text)
            | Q(theme__icontains=text)
            | Q(product__code__iexact=text)
            | Q(product__name__icontains=text)
        )
    unit = (data.get("unit") or "").strip()
    if unit:
        path = _path_of(unit)
        if path is None:
            return campaigns.none()
        campaigns = campaigns.filter(org_unit__path__startswith=path)
    if data.get("on"):
        campaigns = campaigns.filter(starts_on__lte=data["on"], ends_on__gte=data["on"])
    return campaigns


def _path_of(code: str) -> str | None:
    """The unit's tree path, ``None`` for an unknown code (the list is then empty)."""
    return OrgUnit.objects.filter(code__iexact=code).values_list("path", flat=True).first()
