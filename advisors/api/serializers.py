from __future__ import annotations

from rest_framework import serializers

from advisors.models import Advisor, OrgUnit


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()

    class Meta:
        model = OrgUnit
        fields = ("id", "code", "name", "kind", "city", "parent", "depth", "is_active")
        read_only_fields = fields

    def get_parent(self, unit: OrgUnit) -> str | None:
        # Parent's code from the materialized path, resolved in one query per page by the view.
        return self.context.get("parent_codes", {}).get(unit.path[: -OrgUnit.steplen])


class AdvisorSerializer(serializers.ModelSerializer):
    org_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Advisor
        fields = ("id", "code", "name", "username", "org_unit", "category", "level", "licence_no", "is_active")
        read_only_fields = fields
