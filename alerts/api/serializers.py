from __future__ import annotations

from rest_framework import serializers

from alerts.models import Alert


class AlertSerializer(serializers.ModelSerializer):
    advisor = serializers.SlugRelatedField(slug_field="code", read_only=True)
    client_no = serializers.CharField(source="client.client_no", read_only=True)

    class Meta:
        model = Alert
        fields = ("id", "kind", "severity", "status", "title", "reason", "due_on", "snoozed_until", "payload")
        fields = ("id", "advisor", "client", "client_no", *fields[1:], "closed_at", "close_note")
        read_only_fields = fields
