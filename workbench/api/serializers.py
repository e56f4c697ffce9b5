from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from advisors.models import Advisor, Assignment


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


class RecommendationReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="stable reason code (campaigns.texts)")
    text = serializers.CharField(help_text="the reason in the request's language")


class RecommendationSerializer(serializers.Serializer):
    """A next-best product for a client (``campaigns.nextbest``)."""

    product_code = serializers.CharField()
    name = serializers.CharField()
    risk_level = serializers.CharField(help_text="R1 … R5")
    score = serializers.FloatField(help_text="the target-client model's score; higher is likelier to buy")
    reasons = RecommendationReasonSerializer(many=True)
