"""Campaigns API (``/api/v1/campaigns/``, ``/api/v1/campaign-targets/``).

Scoping (``campaigns.access``): a campaign outside the user's scope is a 404 — reads use the view
scope, writes (``PATCH``, build, start) the change scope; a role without the model permission is
a 403 first. Targets are rows about clients: the user's client scope, and control targets only
for head office and compliance. A refusal of the workflow (``build_targets`` / ``start_campaign``
raise Django's ``ValidationError`` naming the reason) is a 400 in the error shape, the reason on
the field it names; changing a campaign that is no longer a draft is a 409.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns import services
from campaigns.access import campaigns_visible_to, exclusions_visible_to, targets_visible_to
from campaigns.api.serializers import (
    BuildResultSerializer,
    CampaignExclusionSerializer,
    CampaignSerializer,
    CampaignTargetSerializer,
    CampaignWriteSerializer,
    ResultsSerializer,
)
from campaigns.models import Campaign, CampaignTarget
from campaigns.results import results
from core.api.errors import Conflict

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class NotDraft(Conflict):
    default_code = "not_draft"


def _service_errors(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})


def _refuse_without(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise exceptions.PermissionDenied()


@extend_schema_view(
    list=extend_schema(summary="Campaigns in your scope"),
    create=extend_schema(request=CampaignWriteSerializer, responses={201: CampaignSerializer}),
    partial_update=extend_schema(
        request=CampaignWriteSerializer,
        responses={200: CampaignSerializer, 409: OpenApiResponse(description="Only a draft campaign can be changed.")},
    ),
)
class CampaignViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Campaigns (营销活动): what is offered (a product, or a theme), by which unit, to which
    segment, when. You see your unit's subtree's campaigns and those of the units above it; you
    create and change (while draft) campaigns of units in your own subtree."""

    queryset = Campaign.objects.select_related("org_unit", "product").order_by("-starts_on", "code")
    serializer_class = CampaignSerializer
    filterset_fields = {"status": ["exact"], "org_unit__code": ["exact"]}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        scope = "view" if self.request.method in SAFE_METHODS else "change"
        return campaigns_visible_to(self.request.user, scope, super().get_queryset())

    def get_serializer_class(self):
        if self.action in ("create", "partial_update"):
            return CampaignWriteSerializer
        return super().get_serializer_class()

    def create(self, request, *args, **kwargs):
        serializer = CampaignWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        campaign = serializer.save(created_by=request.user)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        campaign = self.get_object()
        if campaign.status != Campaign.Status.DRAFT:
            raise NotDraft(_("Only a draft campaign can be changed."))
        serializer = CampaignWriteSerializer(
            campaign, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(CampaignSerializer(campaign).data)

    @extend_schema(request=None, responses={200: BuildResultSerializer})
    @action(detail=True, methods=["post"], url_path="build-targets")
    def build_targets(self, request, pk=None):
        """Build (or rebuild) the target list of a draft campaign: the segment's clients in the
        creator's scope through the suitability gate, scored, with the control group held out.
        Returns the counts, and the excluded clients by reason."""
        _refuse_without(request, "campaigns.change_campaign")
        campaign = self.get_object()
        try:
            with transaction.atomic():
                built = services.build_targets(campaign, by=request.user)
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        body = {
            "candidates": built.candidates,
            "targets": built.targets,
            "control": built.control,
            "excluded": dict(built.excluded),
        }
        return Response(BuildResultSerializer(body).data)

    @extend_schema(request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start a draft campaign whose targets are built (it may start today): its target
        list is frozen and goes to the advisors."""
        _refuse_without(request, "campaigns.change_campaign")
        campaign = self.get_object()
        try:
            with transaction.atomic():
                services.start_campaign(campaign, by=request.user)
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        campaign.refresh_from_db()
        return Response(CampaignSerializer(campaign).data)

    @extend_schema(responses={200: ResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """The funnel, hit rate, conversion amount, control group and uplift, over the targets
        of clients in your scope."""
        campaign = self.get_object()
        return Response(ResultsSerializer(results(campaign, request.user)).data)

    @extend_schema(responses={200: CampaignExclusionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def excluded(self, request, pk=None):
        """The segment's clients left out of the targets, and why (team leads, managers,
        compliance)."""
        _refuse_without(request, "campaigns.view_campaignexclusion")
        campaign = self.get_object()
        rows = (
            exclusions_visible_to(request.user, campaign)
            .select_related("client")
            .only("id", "client_id", "client__client_no", "reason", "all_reasons")
            .order_by("reason", "client_id")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(CampaignExclusionSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("campaign", int, description="A campaign's id: its targets (404 when outside your scope).")
        ]
    )
)
class CampaignTargetViewSet(viewsets.ReadOnlyModelViewSet):
    """Campaign targets: the clients of your scope a campaign targets, best-scored first, with
    the score's reasons. Control targets (``control: true``) only for head office and compliance."""

    serializer_class = CampaignTargetSerializer
    filterset_fields = {"campaign__code": ["exact"], "status": ["exact"], "client": ["exact"]}

    queryset = CampaignTarget.objects.all()

    def get_queryset(self):
        return (
            targets_visible_to(self.request.user)
            .select_related("campaign", "client", "advisor")
            .without_client_pii()
            .order_by("campaign_id", "control", "rank", "id")  # the index campaign_target_ranked
        )

    def list(self, request, *args, **kwargs):
        raw = request.query_params.get("campaign")
        if raw in (None, ""):
            return super().list(request, *args, **kwargs)
        if not raw.isdigit() or len(raw) > 12:
            raise exceptions.ValidationError({"campaign": [_("Give a campaign's id (a whole number).")]})
        if not campaigns_visible_to(request.user).filter(pk=int(raw)).exists():
            raise exceptions.NotFound()
        targets = self.filter_queryset(self.get_queryset()).filter(campaign_id=int(raw))
        page = self.paginate_queryset(targets)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
