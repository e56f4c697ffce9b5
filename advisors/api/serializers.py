from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from advisors.models import Advisor, Assignment, OrgUnit
from alerts.models import Alert


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


class AlertSerializer(serializers.ModelSerializer):
    advisor = serializers.SlugRelatedField(slug_field="code", read_only=True)
    client_no = serializers.CharField(source="client.client_no", read_only=True)

    class Meta:
        model = Alert
        fields = ("id", "kind", "severity", "status", "title", "reason", "due_on", "snoozed_until", "payload")
        fields = ("id", "advisor", "client", "client_no", *fields[1:], "closed_at", "close_note")
        read_only_fields = fields


class TransferSerializer(serializers.Serializer):
    """Move one client, some clients, or a whole book to another advisor."""

    to_advisor = serializers.SlugRelatedField(slug_field="code", queryset=Advisor.objects.all())
    reason = serializers.ChoiceField(choices=Assignment.Reason.choices)
    client = serializers.IntegerField(required=False, help_text="one client's id")
    from_advisor = serializers.SlugRelatedField(
        slug_field="code", queryset=Advisor.objects.all(), required=False, help_text="move this advisor's book"
    )
    clients = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="only these of the book's clients (ids)"
    )
    on = serializers.DateField(required=False)

    def validate(self, data):
        if ("client" in data) == ("from_advisor" in data):
            raise serializers.ValidationError({"client": [_("Give either client or from_advisor.")]})
        return data


class TransferResultSerializer(serializers.Serializer):
    clients = serializers.IntegerField()
    alerts = serializers.IntegerField()
    tickets = serializers.IntegerField()
    shared_assignments_ended = serializers.IntegerField()
