from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from advisors.models import Advisor, Assignment
from workbench.transfers import NOTE_MAX_LENGTH


class TransferSerializer(serializers.Serializer):
    """Move one client, some clients, or a whole book to another advisor."""

    to_advisor = serializers.SlugRelatedField(slug_field="code", queryset=Advisor.objects.all())
    # A person's reasons; account opening and import are the system's own. ``transfer`` (no
    # reason given) is still accepted from callers written before the reasons were split.
    reason = serializers.ChoiceField(
        choices=[(value, label) for value, label in Assignment.Reason.choices if value not in Assignment.SYSTEM_REASONS]
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, help_text="why, in words (reason other)"
    )
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


class TransferPreviewClientSerializer(serializers.Serializer):
    client_no = serializers.CharField()
    name = serializers.CharField()
    total_assets = serializers.DecimalField(max_digits=18, decimal_places=2)
    advisor_code = serializers.CharField(source="primary_advisor__code")


class TransferPreviewSerializer(serializers.Serializer):
    """What a transfer would move (``workbench.transfers.TransferPreview``)."""

    to_advisor = serializers.CharField(source="to_advisor.code")
    from_advisors = serializers.SerializerMethodField(help_text="the codes of the advisors the clients leave")
    clients = serializers.IntegerField()
    total_assets = serializers.DecimalField(max_digits=20, decimal_places=2)
    listed = TransferPreviewClientSerializer(many=True, help_text="the first clients by name (at most 20)")
    alerts = serializers.IntegerField(help_text="open alerts that move with the clients")
    tickets = serializers.IntegerField(help_text="open tickets that move with the clients")
    follow_ups = serializers.IntegerField(help_text="open follow-ups on the clients (they stay)")
    shares = serializers.IntegerField(help_text="active shares of the clients with colleagues (they stay)")
    shared_assignments_ending = serializers.IntegerField(help_text="the new advisor's shared assignments that end")
    fingerprint = serializers.CharField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_from_advisors(self, preview) -> list[str]:
        return [advisor.code for advisor in preview.from_advisors]


class TransferClientMatchSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="the client number")
    code = serializers.CharField(help_text="the client number")
    client_no = serializers.CharField()
    name = serializers.CharField()
    label = serializers.CharField()
    advisor = serializers.CharField(help_text="the primary advisor's name")
    advisor_code = serializers.CharField()
    detail = serializers.CharField()


class TransferAdvisorMatchSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="the advisor code")
    code = serializers.CharField()
    name = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    is_active = serializers.BooleanField()
    detail = serializers.CharField()


class TransferClientMatchesSerializer(serializers.Serializer):
    results = TransferClientMatchSerializer(many=True)


class TransferAdvisorMatchesSerializer(serializers.Serializer):
    results = TransferAdvisorMatchSerializer(many=True)


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
