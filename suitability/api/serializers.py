"""Suitability API shapes: questionnaires, assessments, checks and their steps."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from suitability import services
from suitability.models import (
    Choice,
    InvestorClassification,
    Question,
    Questionnaire,
    RiskAssessment,
    ScoreBand,
    SuitabilityCheck,
    SuitabilityStep,
)
from suitability.reasons import record_message
from suitability.validity import assessment_state


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class KeyField(serializers.Field):
    """A record named by its ``id`` (a number) or its natural key (``client_no``,
    ``product_code``); the view looks it up (within the user's scope for clients)."""

    default_error_messages = {"invalid": _("Give the id (a number) or the natural key (text).")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str) or str(data).strip() == "":
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class ChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Choice
        fields = ("label", "text", "text_zh", "score", "marks_lowest_category", "declares_horizon", "declares_variety")


class QuestionSerializer(serializers.ModelSerializer):
    choices = ChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ("number", "text", "text_zh", "category", "multiple", "choices")


class ScoreBandSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoreBand
        fields = ("risk_level", "min_score", "max_score", "lowest_category")


class QuestionnaireSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    bands = ScoreBandSerializer(many=True, read_only=True)

    class Meta:
        model = Questionnaire
        fields = (
            "id",
            "code",
            "version",
            "title",
            "title_zh",
            "audience",
            "is_active",
            "effective_from",
            "questions",
            "bands",
        )
        read_only_fields = fields


class RiskAssessmentSerializer(serializers.ModelSerializer):
    client_no = serializers.CharField(source="client.client_no", read_only=True)
    state = serializers.SerializerMethodField(help_text="valid, expiring (within the warning days) or expired")

    class Meta:
        model = RiskAssessment
        fields = (
            "id",
            "client",
            "client_no",
            "questionnaire",
            "answers",
            "contributions",
            "score",
            "risk_level",
            "lowest_category",
            "investor_type",
            "horizon",
            "varieties",
            "assessed_at",
            "valid_until",
            "state",
            "source",
            "assessed_by",
            "retain_until",
        )
        read_only_fields = fields

    def get_state(self, assessment: RiskAssessment) -> str:
        # The policy once per response (one query), not once per assessment of a list.
        if "suitability_policy" not in self.context:
            self.context["suitability_policy"] = services.policy()
        return assessment_state(assessment.valid_until, timezone.localdate(), self.context["suitability_policy"]).value


class TakeAssessmentSerializer(serializers.Serializer):
    client = KeyField(help_text="Client id or client_no")
    questionnaire = serializers.PrimaryKeyRelatedField(
        queryset=Questionnaire.objects.all(), required=False, help_text="Default: the one in use for individuals"
    )
    answers = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=4), allow_empty=False),
        help_text='{"<question number>": ["<label>", ...]}',
    )


class CheckRequestSerializer(serializers.Serializer):
    client = KeyField(help_text="Client id or client_no")
    product = KeyField(help_text="Product id or product_code")
    initiated_by = serializers.ChoiceField(choices=SuitabilityCheck.InitiatedBy.choices)
    channel = serializers.ChoiceField(
        choices=SuitabilityCheck.Channel.choices, default=SuitabilityCheck.Channel.ONLINE, required=False
    )


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = SuitabilityStep
        fields = ("kind", "done_at", "reference", "note", "recorded_by")
        read_only_fields = fields


class SuitabilityCheckSerializer(serializers.ModelSerializer):
    """A check as recorded. ``requires`` lists the steps still owed; ``required`` all the
    check asked for; ``steps`` those done. ``check_id`` repeats ``id`` (the check endpoint's name)."""

    check_id = serializers.IntegerField(source="id", read_only=True)
    client_no = serializers.CharField(source="client.client_no", read_only=True)
    product_code = serializers.CharField(source="product.code", read_only=True)
    reasons = serializers.SerializerMethodField()
    requires = serializers.SerializerMethodField()
    required = serializers.ListField(source="requires", child=serializers.CharField(), read_only=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = SuitabilityCheck
        fields = (
            "check_id",
            "id",
            "outcome",
            "reasons",
            "client_level",
            "product_level",
            "requires",
            "required",
            "steps",
            "client",
            "client_no",
            "product",
            "product_code",
            "investor_type",
            "client_lowest_category",
            "initiated_by",
            "channel",
            "assessment",
            "advisor",
            "checked_by",
            "created_at",
            "retain_until",
        )
        read_only_fields = fields

    def get_reasons(self, check: SuitabilityCheck) -> list[dict[str, str]]:
        language = get_language()
        return [{"code": reason["code"], "message": record_message(reason, language)} for reason in check.reasons]

    def get_requires(self, check: SuitabilityCheck) -> list[str]:
        done = {step.kind for step in check.steps.all()}
        return [step for step in check.requires if step not in done]


class ConfirmationSerializer(serializers.Serializer):
    reference = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="e.g. the signed confirmation's number"
    )
    recording_reference = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Required at a branch (art. 25)"
    )
    note = serializers.CharField(required=False, allow_blank=True)


class RecordStepSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SuitabilityStep.Kind.choices)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class InvestorClassificationSerializer(serializers.ModelSerializer):
    client_no = serializers.CharField(source="client.client_no", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = InvestorClassification
        fields = (
            "id",
            "client",
            "client_no",
            "investor_type",
            "status",
            "treat_as_ordinary",
            "evidence",
            "facts",
            "reasons",
            "application",
            "applied_on",
            "decided_on",
            "decided_by",
            "valid_until",
            "retain_until",
        )
        read_only_fields = fields


class FactsSerializer(serializers.Serializer):
    is_entity = serializers.BooleanField(default=False)
    is_class_a_institution = serializers.BooleanField(default=False)
    net_assets = serializers.DecimalField(max_digits=18, decimal_places=2, default=0, min_value=0)
    financial_assets = serializers.DecimalField(max_digits=18, decimal_places=2, default=0, min_value=0)
    average_income_3y = serializers.DecimalField(max_digits=18, decimal_places=2, default=0, min_value=0)
    experience_years = serializers.DecimalField(max_digits=5, decimal_places=1, default=0, min_value=0)
    relevant_work_years = serializers.DecimalField(max_digits=5, decimal_places=1, default=0, min_value=0)
    has_listed_qualification = serializers.BooleanField(default=False)


class ApplyProfessionalCSerializer(serializers.Serializer):
    client = KeyField(help_text="Client id or client_no")
    facts = FactsSerializer()
    evidence = serializers.CharField(max_length=4000, help_text="the written application and its proofs")


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)


class TreatAsOrdinarySerializer(serializers.Serializer):
    client = KeyField(help_text="Client id or client_no")
    evidence = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
