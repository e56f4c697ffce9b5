"""``/api/v1/segments/``: saved client segments (客群).

Criteria are the client list's filter names (``docs/segments.md``); a segment is read by those
it is visible to (``clients.segments.segments_visible_to``) and changed or deleted only by its
owner. ``count`` is always the number of matching clients in the *requester's* scope, whoever
made the segment. ``GET /api/v1/clients/?segment=<id>`` lists them (a segment the requester
cannot see is a 400 naming ``segment``, as any bad filter value).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from advisors.models import OrgUnit
from clients import segments
from clients.models import Segment
from core.api.permissions import RoleModelPermissions


class CriterionSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()


class SegmentSerializer(serializers.ModelSerializer):
    criteria = serializers.JSONField(
        required=False,
        help_text='Client list filters by name, e.g. {"tier": ["hnw", "uhnw"], "assets_min": 1000000}; '
        "{} is every client in the reader's scope. See docs/segments.md.",
    )
    org_unit = serializers.SlugRelatedField(
        slug_field="code",
        queryset=OrgUnit.objects.all(),
        required=False,
        allow_null=True,
        help_text="Code of the unit the segment is shared with (null: only the owner).",
    )
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    count = serializers.SerializerMethodField(help_text="Matching clients in the requester's scope (detail only).")
    described = serializers.SerializerMethodField(help_text="The criteria in words, in the request's language.")

    class Meta:
        model = Segment
        fields = ("id", "name", "description", "criteria", "org_unit", "owner", "count", "described")
        read_only_fields = ("id", "owner", "count", "described")

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_count(self, segment: Segment) -> int | None:
        if not self.context.get("with_count"):
            return None
        return segments.count_clients(segment.criteria or {}, self.context["request"].user)

    @extend_schema_field(CriterionSerializer(many=True))
    def get_described(self, segment: Segment) -> list[dict]:
        described = self.context.get("described", {}).get(segment.pk)
        if described is None:
            described = segments.describe_criteria(segment.criteria or {})
        return [{"label": label, "value": value} for label, value in described]


def _api_errors(error: DjangoValidationError) -> exceptions.ValidationError:
    """The service's errors, each criterion named ``criteria.<name>``."""
    return exceptions.ValidationError(error.message_dict)


class SegmentViewSet(viewsets.ModelViewSet):
    """Saved segments visible to the requester: their own, those shared with their unit or a
    unit above it (compliance, head office and operations: all). ``POST`` creates one
    (``clients.add_segment``); ``PATCH``/``PUT``/``DELETE`` only by the owner (else 403; a
    segment the requester cannot see is 404). ``count`` (detail, create, update) is the number
    of matching clients in the requester's scope; invalid criteria are a 400 naming
    ``criteria.<name>``."""

    serializer_class = SegmentSerializer
    permission_classes = [IsAuthenticated, RoleModelPermissions]
    queryset = Segment.objects.none()  # the model for the permissions and the schema
    filterset_fields = {"owner__username": ["exact"], "org_unit__code": ["exact"]}

    def get_queryset(self):
        return segments.segments_visible_to(self.request.user).order_by("name", "pk")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["with_count"] = self.action != "list"
        return context

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = self.get_serializer_context()
        context["described"] = dict(
            zip((s.pk for s in page), segments.describe_many(s.criteria for s in page), strict=True)
        )
        data = SegmentSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def _save(self, serializer, segment: Segment | None):
        data = serializer.validated_data
        current = segment or Segment()
        try:
            return segments.save_segment(
                user=self.request.user,
                name=data.get("name", current.name),
                criteria=data.get("criteria", current.criteria if segment else {}),
                description=data.get("description", current.description),
                org_unit=data.get("org_unit", current.org_unit if segment else None),
                segment=segment,
            )
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        except DjangoValidationError as error:
            raise _api_errors(error) from error

    @extend_schema(responses={201: SegmentSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        segment = self._save(serializer, None)
        return Response(self.get_serializer(segment).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        segment = self.get_object()
        serializer = self.get_serializer(segment, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        segment = self._save(serializer, segment)
        return Response(self.get_serializer(segment).data)

    def destroy(self, request, *args, **kwargs):
        segment = self.get_object()
        try:
            segments.delete_segment(user=request.user, segment=segment)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        return Response(status=status.HTTP_204_NO_CONTENT)
