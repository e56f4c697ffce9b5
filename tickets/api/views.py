"""``/api/v1/tickets/``: the same rules as the pages.

Rows come through the access layer (``ScopedViewSetMixin``: reads in the *view* scope, writes in
the *change* scope; out of scope is 404); the role's model permissions gate each method. The
workflow's refusals map to the API's error shape: a field problem → 400 ``invalid`` with
``fields``; a refused status move → 400 ``invalid_transition`` with the reason as ``message``;
a stale ``version`` → 409 ``conflict``; not allowed → 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api.errors import Conflict
from core.api.viewsets import ScopedViewSetMixin
from tickets import attachments, workflow
from tickets.api.serializers import (
    AssignSerializer,
    AttachmentUploadSerializer,
    CommentSerializer,
    SatisfactionSerializer,
    TicketAttachmentSerializer,
    TicketCreateSerializer,
    TicketEventSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    TransitionSerializer,
)
from tickets.models import Ticket, TicketAttachment
from tickets.views import attachment_response


class InvalidTransition(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_transition"
    default_detail = "This status change is not allowed."


def _run(call: Callable[[], Any]) -> Any:
    """Call the workflow; its exceptions as API errors."""
    try:
        return call()
    except workflow.StaleTicket as error:
        raise Conflict(str(error)) from error
    except DjangoPermissionDenied as error:
        raise exceptions.PermissionDenied(str(error) or None) from error
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise exceptions.ValidationError(error.message_dict) from error
        raise exceptions.ValidationError({"non_field_errors": error.messages}) from error


NESTED = {"pagination_class": None, "filter_backends": []}
CONFLICT = OpenApiResponse(description="The ticket changed since you read it (stale version): reload and retry.")


@extend_schema_view(
    create=extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer}),
    partial_update=extend_schema(request=TicketUpdateSerializer, responses={200: TicketSerializer, 409: CONFLICT}),
)
class TicketViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Service tickets on clients in the user's scope: list, read, open, change (with
    ``version``), and the workflow actions below."""

    queryset = Ticket.objects.select_related("client", "kind", "branch", "assignee").order_by("-created_at", "-id")
    serializer_class = TicketSerializer
    filterset_fields = {
        "status": ["exact"],
        "kind__code": ["exact"],
        "client": ["exact"],
        "priority": ["exact"],
        "escalation_level": ["exact", "gte"],
        "assignee__username": ["exact"],
    }
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        body = TicketCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ticket = _run(
            lambda: workflow.create_ticket(
                client=data["client"],
                kind=data["kind"],
                channel=data["channel"],
                subject=data["subject"],
                description=data["description"],
                priority=data.get("priority"),
                priority_reason=data["priority_override_reason"],
                by=request.user,
            )
        )
        return Response(self._fresh(ticket), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        ticket = self.get_object()
        body = TicketUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        version = fields.pop("version")
        ticket = _run(lambda: workflow.update_details(ticket, by=request.user, version=version, **fields))
        return Response(self._fresh(ticket))

    def _fresh(self, ticket: Ticket) -> dict:
        ticket = self.queryset.model.objects.select_related("client", "kind", "branch", "assignee").get(pk=ticket.pk)
        return TicketSerializer(ticket, context=self.get_serializer_context()).data

    @extend_schema(
        request=TransitionSerializer,
        responses={200: TicketSerializer, 400: OpenApiResponse(description="The move is not allowed."), 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the ticket: ``{to, version, note}``. A move the life cycle does not allow
        answers 400 ``invalid_transition`` with the reason; an old version 409."""
        ticket = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            ticket = _run(
                lambda: workflow.transition(
                    ticket, data["to"], by=request.user, version=data["version"], note=data["note"]
                )
            )
        except exceptions.ValidationError as error:
            reasons = error.detail.get("to") if isinstance(error.detail, dict) else None
            if reasons:
                raise InvalidTransition(" ".join(str(reason) for reason in reasons)) from error
            raise
        return Response(self._fresh(ticket))

    @extend_schema(request=AssignSerializer, responses={200: TicketSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Hand the ticket to someone (by username): team leads and branch managers within their
        unit; an advisor may take an unassigned ticket."""
        ticket = self.get_object()
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ticket = _run(
            lambda: workflow.assign(
                ticket, assignee=data["assignee"], by=request.user, version=data["version"], note=data["note"]
            )
        )
        return Response(self._fresh(ticket))

    @extend_schema(request=SatisfactionSerializer, responses={200: TicketSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def satisfaction(self, request, pk=None):
        """The client's satisfaction (1–5) and a note, once the ticket is resolved."""
        ticket = self.get_object()
        body = SatisfactionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ticket = _run(
            lambda: workflow.record_satisfaction(
                ticket, score=data["score"], note=data["note"], by=request.user, version=data["version"]
            )
        )
        return Response(self._fresh(ticket))

    # A ticket's timeline, comments and files are short: whole lists, without the list's filters
    # or pages (NESTED), and the schema says so.
    @extend_schema(responses={200: TicketEventSerializer(many=True)})
    @action(detail=True, methods=["get"], **NESTED)
    def events(self, request, pk=None):
        """The ticket's timeline, oldest first."""
        ticket = self.get_object()
        events = ticket.events.select_related("actor").order_by("created_at", "pk")
        return Response(TicketEventSerializer(events, many=True).data)

    @extend_schema(
        methods=["GET"], responses={200: TicketEventSerializer(many=True)}, description="The ticket's comments."
    )
    @extend_schema(methods=["POST"], request=CommentSerializer, responses={201: TicketEventSerializer})
    @action(detail=True, methods=["get", "post"], **NESTED)
    def comments(self, request, pk=None):
        """Comments: internal (staff only) or client-visible (``internal: false``)."""
        ticket = self.get_object()
        if request.method == "GET":
            events = ticket.events.filter(kind="comment").select_related("actor").order_by("created_at", "pk")
            return Response(TicketEventSerializer(events, many=True).data)
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = _run(
            lambda: workflow.add_comment(
                ticket, by=request.user, body=body.validated_data["body"], internal=body.validated_data["internal"]
            )
        )
        return Response(TicketEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"], responses={200: TicketAttachmentSerializer(many=True)}, description="The ticket's files."
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: TicketAttachmentSerializer},
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser], **NESTED)
    def attachments(self, request, pk=None):
        """Files on the ticket; upload one as multipart ``file`` (size and type checked)."""
        ticket = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            files = ticket.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk")
            return Response(TicketAttachmentSerializer(files, many=True, context=context).data)
        if not request.user.has_perm("tickets.add_ticketattachment"):
            raise exceptions.PermissionDenied()
        body = AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = _run(lambda: attachments.attach(ticket, body.validated_data["file"], by=request.user))
        return Response(TicketAttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_pk>[0-9]+)/download",
        url_name="attachment-download",
        **NESTED,
    )
    def attachment_download(self, request, pk=None, attachment_pk=None):
        """The file itself, as a download."""
        ticket = self.get_object()
        if not request.user.has_perm("tickets.view_ticketattachment"):
            raise exceptions.PermissionDenied()
        attachment = get_object_or_404(TicketAttachment, pk=attachment_pk, ticket=ticket)
        return attachment_response(attachment)
