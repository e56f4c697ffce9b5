"""Org units and advisors over the API (reference data, read-only)."""

from __future__ import annotations

from advisors.api.serializers import AdvisorSerializer, OrgUnitSerializer
from advisors.models import Advisor, OrgUnit
from core.api.viewsets import ReferenceViewSet


class OrgUnitViewSet(ReferenceViewSet):
    queryset = OrgUnit.objects.order_by("path")
    serializer_class = OrgUnitSerializer
    filterset_fields = {"kind": ["exact"], "code": ["exact"], "is_active": ["exact"]}

    def get_serializer_context(self):
        context = super().get_serializer_context()
        # Every unit's parent code in one query (the tree is small: thousands of units at most).
        context["parent_codes"] = dict(OrgUnit.objects.values_list("path", "code"))
        return context


class AdvisorViewSet(ReferenceViewSet):
    queryset = Advisor.objects.select_related("org_unit", "user").order_by("code")
    serializer_class = AdvisorSerializer
    filterset_fields = {"org_unit__code": ["exact"], "category": ["exact"], "is_active": ["exact"]}
