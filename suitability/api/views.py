"""Suitability endpoints: the check, confirmations and steps, assessments (read and take),
questionnaires (read). Every client is reached through the access layer: a client out of the
user's scope is 404, whether it exists or not."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.models import Client
from core.access import get_visible_or_404
from core.api.viewsets import ReferenceViewSet, ScopedReadOnlyViewSet, ScopedViewSetMixin
from products.models import Product
from suitability import services
from suitability.api.serializers import (
    ApplyProfessionalCSerializer,
    CheckRequestSerializer,
    ConfirmationSerializer,
    DecisionSerializer,
    InvestorClassificationSerializer,
    QuestionnaireSerializer,
    RecordStepSerializer,
    RiskAssessmentSerializer,
    SuitabilityCheckSerializer,
    TakeAssessmentSerializer,
    TreatAsOrdinarySerializer,
)
from suitability.classification import InvestorFacts
from suitability.models import InvestorClassification, Questionnaire, RiskAssessment, SuitabilityCheck

# Refusals that are about the request's data (400) rather than the record's state (409).
_BAD_REQUEST = {"invalid", "recording_reference_required", "not_required", "no_questionnaire", "bad_questionnaire"}


class Refused(exceptions.APIException):
    """A suitability workflow said no; ``code`` is the workflow's stable code."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "refused"


def api_error(error: services.SuitabilityError) -> exceptions.APIException:
    if error.fields:
        return exceptions.ValidationError(error.fields)
    refused = Refused(detail=error.message, code=error.code)
    if error.code in _BAD_REQUEST:
        refused.status_code = status.HTTP_400_BAD_REQUEST
    return refused


def has_perm(codename: str) -> type[BasePermission]:
    class HasPerm(BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.has_perm(codename))

    HasPerm.__name__ = f"Has_{codename.replace('.', '_')}"
    return HasPerm


def client_in_scope(user, key, action: str = "change") -> Client:
    """The client named by id (a JSON number) or client_no (a string), within the user's scope,
    else 404."""
    lookup = {"pk": key} if isinstance(key, int) else {"client_no": key}
    return get_visible_or_404(Client, user, action, **lookup)


def product_by_key(key) -> Product:
    lookup = {"pk": key} if isinstance(key, int) else {"code": key}
    try:
        return Product.objects.get(**lookup)
    except Product.DoesNotExist as exc:
        raise exceptions.ValidationError({"product": [_("No such product.")]}) from exc


class CheckView(APIView):
    """``POST /api/v1/suitability/check/`` — decide whether the client may buy the product and
    record the check: ``{client, product, initiated_by: client|advisor, channel?}`` →
    ``{outcome, reasons: [{code, message}], client_level, product_level, requires, check_id}``.
    Needs ``suitability.add_suitabilitycheck`` and the client in the user's change scope."""

    permission_classes = [IsAuthenticated, has_perm("suitability.add_suitabilitycheck")]

    @extend_schema(request=CheckRequestSerializer, responses={201: SuitabilityCheckSerializer})
    def post(self, request):
        body = CheckRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        client = client_in_scope(request.user, data["client"])
        product = product_by_key(data["product"])
        record, _decision = services.run_check(
            client=client,
            product=product,
            initiated_by=data["initiated_by"],
            channel=data.get("channel", SuitabilityCheck.Channel.ONLINE),
            user=request.user,
        )
        record = SuitabilityCheck.objects.select_related("client", "product").get(pk=record.pk)
        return Response(SuitabilityCheckSerializer(record).data, status=status.HTTP_201_CREATED)


class SuitabilityCheckViewSet(ScopedReadOnlyViewSet):
    """Recorded checks in the user's scope (newest first), their steps, and the actions that
    record the client's confirmation and the other steps owed."""

    queryset = SuitabilityCheck.objects.select_related("client", "product").prefetch_related("steps")
    serializer_class = SuitabilityCheckSerializer
    filterset_fields = {
        "client": ["exact"],
        "product": ["exact"],
        "outcome": ["exact"],
        "created_at": ["gte", "lte"],
    }
    ordering_fields = ("created_at",)
    ordering = ("-created_at",)

    def get_permissions(self):
        if self.action in ("confirm", "steps"):
            return [IsAuthenticated(), has_perm("suitability.add_suitabilitystep")()]
        return super().get_permissions()

    def _respond(self, record: SuitabilityCheck) -> Response:
        record = self.get_queryset().get(pk=record.pk)
        return Response(SuitabilityCheckSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConfirmationSerializer, responses={201: SuitabilityCheckSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Record the client's written confirmation of a mismatch they asked for (art. 19),
        with the special warning and, at a branch, the recording's reference (art. 25)."""
        record = self.get_object()
        body = ConfirmationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.record_confirmation(check_record=record, user=request.user, **body.validated_data)
        except services.SuitabilityError as error:
            raise api_error(error) from error
        return self._respond(record)

    @extend_schema(request=RecordStepSerializer, responses={201: SuitabilityCheckSerializer})
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        """Record one step the check requires: ``{kind, reference?, note?}``."""
        record = self.get_object()
        body = RecordStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.record_step(check_record=record, user=request.user, **body.validated_data)
        except services.SuitabilityError as error:
            raise api_error(error) from error
        return self._respond(record)


class RiskAssessmentViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Assessments in the user's scope (newest first); ``POST`` takes one: ``{client,
    answers: {"<number>": ["<label>"]}, questionnaire?}`` → the stored assessment with its
    score, level and each answer's contribution."""

    queryset = RiskAssessment.objects.select_related("client")
    serializer_class = RiskAssessmentSerializer
    filterset_fields = {
        "client": ["exact"],
        "risk_level": ["exact"],
        "lowest_category": ["exact"],
        "valid_until": ["lte", "gte"],
        "source": ["exact"],
    }
    ordering_fields = ("assessed_at", "valid_until")
    ordering = ("-assessed_at",)

    @extend_schema(request=TakeAssessmentSerializer, responses={201: RiskAssessmentSerializer})
    def create(self, request, *args, **kwargs):
        body = TakeAssessmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        client = client_in_scope(request.user, data["client"])
        try:
            taken = services.take_assessment(
                client=client,
                answers=data["answers"],
                questionnaire=data.get("questionnaire"),
                user=request.user,
                source=RiskAssessment.Source.API,
            )
        except services.SuitabilityError as error:
            raise api_error(error) from error
        assessment = get_object_or_404(self.get_queryset(), pk=taken.assessment.pk)
        return Response(RiskAssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


class QuestionnaireViewSet(ReferenceViewSet):
    """Questionnaire versions with their questions, choices and score bands. ``?is_active=true``
    gives the one in use."""

    queryset = Questionnaire.objects.prefetch_related("questions__choices", "bands")
    serializer_class = QuestionnaireSerializer
    filterset_fields = {"is_active": ["exact"], "audience": ["exact"], "code": ["exact"]}


class InvestorClassificationViewSet(ScopedReadOnlyViewSet):
    """Investor classification records (普通 / 专业 A, B, C) of clients in scope, and the
    workflows: an ordinary investor's written application to be treated as professional C
    (``apply/``), the firm's decision on it (``<id>/decide/`` — branch managers; never
    automatic, refused below the bar), and a professional investor asking to be treated as
    ordinary (``treat-as-ordinary/``; class A may not). Every step is a new append-only record
    with who decided and when."""

    queryset = InvestorClassification.objects.select_related("client", "decided_by").order_by("-id")
    serializer_class = InvestorClassificationSerializer
    filterset_fields = {"client": ["exact"], "status": ["exact"], "investor_type": ["exact"]}

    def get_permissions(self):
        needs = {
            "apply": "suitability.add_investorclassification",
            "treat_as_ordinary": "suitability.add_investorclassification",
            "decide": "suitability.change_investorclassification",
        }.get(self.action)
        if needs:
            return [IsAuthenticated(), has_perm(needs)()]
        return super().get_permissions()

    def scope_action(self) -> str:
        return "change" if self.action == "decide" else "view"

    def _created(self, record):
        return Response(InvestorClassificationSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ApplyProfessionalCSerializer, responses={201: InvestorClassificationSerializer})
    @action(detail=False, methods=["post"])
    def apply(self, request):
        body = ApplyProfessionalCSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client = client_in_scope(request.user, body.validated_data["client"])
        facts = InvestorFacts(**body.validated_data["facts"])
        record = services.apply_for_professional_c(
            client=client, facts=facts, evidence=body.validated_data["evidence"], user=request.user
        )
        return self._created(record)

    @extend_schema(request=DecisionSerializer, responses={201: InvestorClassificationSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        application = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            record = services.decide_professional_c(application=application, user=request.user, **body.validated_data)
        except services.SuitabilityError as error:
            raise api_error(error) from error
        return self._created(record)

    @extend_schema(request=TreatAsOrdinarySerializer, responses={201: InvestorClassificationSerializer})
    @action(detail=False, methods=["post"], url_path="treat-as-ordinary")
    def treat_as_ordinary(self, request):
        body = TreatAsOrdinarySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client = client_in_scope(request.user, body.validated_data["client"])
        try:
            record = services.treat_as_ordinary(
                client=client, user=request.user, evidence=body.validated_data["evidence"]
            )
        except services.SuitabilityError as error:
            raise api_error(error) from error
        return self._created(record)
