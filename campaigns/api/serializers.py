"""Campaigns API shapes: a campaign (read and write), its build and results figures, its targets
and its exclusions. Reasons are given as codes with parameters and as text in the request's
language (``campaigns.texts``)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from advisors.models import OrgUnit
from campaigns import services
from campaigns.access import creatable_units
from campaigns.models import Campaign, CampaignExclusion, CampaignTarget
from campaigns.texts import reason_text
from clients import segments as client_segments
from clients.models import Segment
from products.models import Product


class CampaignSerializer(serializers.ModelSerializer):
    org_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product_code = serializers.CharField(source="product.code", read_only=True, default=None)
    product = serializers.CharField(source="product.code", read_only=True, default=None)

    class Meta:
        model = Campaign
        fields = (
            "id",
            "code",
            "name",
            "description",
            "theme",
            "org_unit",
            "product",
            "product_code",
            "segment",
            "starts_on",
            "ends_on",
            "status",
            "target_amount",
            "target_limit",
            "control_share",
            "advisor_cap",
            "targets_built_at",
            "started_at",
            "build_summary",
            "model_kind",
            "model_auc",
            "model_top_decile_rate",
            "model_base_rate",
        )
        read_only_fields = fields


class UnitCodeField(serializers.SlugRelatedField):
    """A unit by its code, among the units the user may run campaigns for (the field's
    queryset): a unit that exists outside them is named as such, not "does not exist"."""

    default_error_messages = {
        "does_not_exist": _lazy("No unit has the code {value}."),
        "outside": _lazy("You may run campaigns only for your unit or a unit below it ({unit})."),
        "invalid": _lazy("Give a unit's code."),
    }

    def to_internal_value(self, data):
        try:
            return self.get_queryset().get(**{self.slug_field: data})
        except OrgUnit.DoesNotExist:
            if OrgUnit.objects.filter(**{self.slug_field: data}).exists():
                top = self.get_queryset().values_list("code", flat=True).first()
                self.fail("outside", unit=top or "—")
            self.fail("does_not_exist", value=str(data))
        except (TypeError, ValueError):
            self.fail("invalid")


class CampaignWriteSerializer(serializers.ModelSerializer):
    """Create (``POST``) or change while draft (``PATCH``). ``product`` is a product code (on
    sale) — or give a ``theme`` instead; ``segment`` a segment id you may use; ``org_unit`` the
    code of a unit in your own subtree; ``control_share`` a share from 0 to 0.5."""

    code = serializers.CharField(max_length=32)  # unique: checked in validate_code, naming the code
    product = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Product.objects.all(),
        required=False,
        allow_null=True,
        error_messages={
            "does_not_exist": _lazy("No product has the code {value}."),
            "invalid": _lazy("Give a product's code."),
        },
    )
    segment = serializers.PrimaryKeyRelatedField(
        queryset=Segment.objects.all(),
        required=False,
        allow_null=True,
        error_messages={
            "does_not_exist": _lazy("No segment {pk_value} that you may use."),
            "incorrect_type": _lazy("Give a segment's id (a whole number)."),
        },
    )
    org_unit = UnitCodeField(slug_field="code", queryset=OrgUnit.objects.all())
    control_share = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=Decimal(0), max_value=Decimal("0.5"), required=False
    )
    target_limit = serializers.IntegerField(min_value=1, max_value=10_000_000, required=False, allow_null=True)
    advisor_cap = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, allow_null=True)

    class Meta:
        model = Campaign
        fields = (
            "code",
            "name",
            "product",
            "theme",
            "segment",
            "org_unit",
            "starts_on",
            "ends_on",
            "target_limit",
            "control_share",
            "advisor_cap",
            "description",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None:
            self.fields["segment"].queryset = client_segments.segments_visible_to(user)
            self.fields["org_unit"].queryset = creatable_units(user)

    def validate_code(self, code: str) -> str:
        taken = Campaign.objects.filter(code=code)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(
                _("A campaign with the code %(code)s exists already.") % {"code": code}, code="unique"
            )
        return code

    def validate_product(self, product: Product | None) -> Product | None:
        if product is not None and product.status != Product.Status.ON_SALE:
            raise serializers.ValidationError(_("This product is not on sale."))
        return product

    def validate(self, attrs: dict) -> dict:
        instance = self.instance
        product = attrs.get("product", getattr(instance, "product", None))
        theme = attrs.get("theme", getattr(instance, "theme", ""))
        errors: dict[str, list[str]] = {}
        if product is None and not (theme or "").strip():
            errors["product"] = [_("Give a product code, or a theme for a campaign without a product.")]
        starts_on = attrs.get("starts_on", getattr(instance, "starts_on", None))
        ends_on = attrs.get("ends_on", getattr(instance, "ends_on", None))
        if starts_on and ends_on and ends_on < starts_on:
            errors["ends_on"] = [_("A campaign cannot end before it starts.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def update(self, instance: Campaign, validated_data: dict) -> Campaign:
        """Change a draft through ``services.update_draft``: a change to what its built target
        list came from clears the list (``targets_cleared`` says so)."""
        for name, value in validated_data.items():
            setattr(instance, name, value)
        user = getattr(self.context.get("request"), "user", None)
        try:
            self.targets_cleared = bool(services.update_draft(instance, by=user))
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)
        return instance


class BuildResultSerializer(serializers.Serializer):
    candidates = serializers.IntegerField(help_text="Clients of the segment in the creator's scope.")
    targets = serializers.IntegerField(help_text="Targets advisors work.")
    control = serializers.IntegerField(help_text="Targets held out as the control group.")
    excluded = serializers.DictField(child=serializers.IntegerField(), help_text="Excluded clients by reason code.")


class ResultsSerializer(serializers.Serializer):
    targets = serializers.IntegerField()
    contacted = serializers.IntegerField()
    interested = serializers.IntegerField()
    converted = serializers.IntegerField(help_text="Worked targets converted among the contacted (the funnel's end).")
    converted_all = serializers.IntegerField(help_text="Every converted worked target, contacted or not.")
    conversion_amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="Amount of every converted worked target (converted_all)."
    )
    hit_rate = serializers.FloatField(allow_null=True, help_text="converted ÷ contacted.")
    conversion_rate = serializers.FloatField(allow_null=True, help_text="converted_all ÷ targets (worked).")
    control_targets = serializers.IntegerField()
    control_converted = serializers.IntegerField()
    control_conversion_rate = serializers.FloatField(allow_null=True)
    uplift = serializers.FloatField(allow_null=True, help_text="Conversion rate − control conversion rate.")
    uplift_ratio = serializers.FloatField(allow_null=True, help_text="Conversion rate ÷ control conversion rate.")


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    params = serializers.DictField()
    text = serializers.CharField(help_text="In the request's language.")


class CampaignTargetSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="code", read_only=True)
    client_no = serializers.CharField(source="client.client_no", read_only=True)
    advisor = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reasons = serializers.SerializerMethodField()
    reasons_text = serializers.SerializerMethodField()

    class Meta:
        model = CampaignTarget
        fields = (
            "id",
            "campaign",
            "client",
            "client_no",
            "advisor",
            "score",
            "rank",
            "reasons",
            "reasons_text",
            "control",
            "status",
            "outcome",
            "contacted_at",
            "converted_on",
            "conversion_amount",
        )
        read_only_fields = fields

    @extend_schema_field(ReasonSerializer(many=True))
    def get_reasons(self, target: CampaignTarget) -> list[dict]:
        return [
            {"code": str(reason.get("code", "")), "params": reason.get("params") or {}, "text": reason_text(reason)}
            for reason in target.reasons or []
            if isinstance(reason, dict)
        ]

    def get_reasons_text(self, target: CampaignTarget) -> list[str]:
        return [reason_text(reason) for reason in target.reasons or [] if isinstance(reason, dict)]


class CampaignExclusionSerializer(serializers.ModelSerializer):
    client_no = serializers.CharField(source="client.client_no", read_only=True)
    reason_label = serializers.CharField(source="get_reason_display", read_only=True)

    class Meta:
        model = CampaignExclusion
        fields = ("client", "client_no", "reason", "reason_label", "all_reasons")
        read_only_fields = fields
