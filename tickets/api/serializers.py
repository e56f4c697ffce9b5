from rest_framework import serializers

from tickets.models import Ticket


class TicketSerializer(serializers.ModelSerializer):
    client_no = serializers.CharField(source="client.client_no", read_only=True)
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True)
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Ticket
        fields = (
            "id",
            "number",
            "client",
            "client_no",
            "kind",
            "channel",
            "subject",
            "description",
            "priority",
            "status",
            "branch",
            "assignee",
            "response_due_at",
            "resolution_due_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "escalation_level",
            "satisfaction",
            "version",
            "created_at",
        )
        read_only_fields = fields
