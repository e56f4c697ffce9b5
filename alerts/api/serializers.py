from __future__ import annotations

from rest_framework import serializers

from alerts import ranking
from alerts.models import Alert


class AlertSerializer(serializers.ModelSerializer):
    """An alert with its words rendered in the request's language (``alerts.texts``), and the
    kind and parameters they are made of."""

    advisor = serializers.SlugRelatedField(slug_field="code", read_only=True)
    client_no = serializers.CharField(source="client.client_no", read_only=True)
    title = serializers.CharField(source="display_title", read_only=True)
    reason = serializers.CharField(source="display_reason", read_only=True)
    close_note = serializers.CharField(source="display_close_note", read_only=True)
    params = serializers.JSONField(
        read_only=True,
        allow_null=True,
        help_text="What the title and reason are made of (amounts in cents, ISO dates); null for alerts "
        "raised before their words were rendered.",
    )

    score = serializers.SerializerMethodField(
        help_text="The alert's place in the order of the day (alerts.ranking: severity + tier + assets + days "
        "overdue); null unless the list is ranked (`ordering=rank`, the default with `mine=1`)."
    )
    overdue_days = serializers.SerializerMethodField(help_text="Days past the due date (0 when not yet due).")

    def get_score(self, alert) -> int | None:
        return getattr(alert, "score", None)

    def get_overdue_days(self, alert) -> int:
        annotated = getattr(alert, "overdue_days", None)
        if annotated is not None:
            return annotated
        return ranking.days_overdue(alert.due_on)

    class Meta:
        model = Alert
        fields = ("id", "kind", "severity", "status", "title", "reason", "due_on", "snoozed_until", "payload")
        fields = ("id", "advisor", "client", "client_no", *fields[1:], "params", "closed_at", "close_note")
        fields = (*fields, "score", "overdue_days")
        read_only_fields = fields
