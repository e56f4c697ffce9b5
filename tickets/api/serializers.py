"""Tickets over the API: a read shape with natural keys, and one input serializer per action
(open, change details, move, assign, comment, attach, satisfaction). Every change of a ticket's
fields carries the ``version`` the caller read; an old one answers 409."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from clients.models import Client
from tickets.models import DESCRIPTION_MAX_LENGTH, Priority, Ticket, TicketAttachment, TicketEvent, TicketKind


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
            "priority_override_reason",
            "status",
            "branch",
            "assignee",
            "response_due_at",
            "resolution_due_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "sla_paused_at",
            "escalation_level",
            "satisfaction",
            "satisfaction_note",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class TicketCreateSerializer(serializers.Serializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    kind = serializers.SlugRelatedField(slug_field="code", queryset=TicketKind.objects.filter(is_active=True))
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False, help_text="Leave out for the SLA policy's priority."
    )
    priority_override_reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        # Only clients the caller may change: any other id is "does not exist" (no leak).
        self.fields["client"].queryset = Client.objects.visible_to(getattr(request, "user", None), "change")


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The ticket's version as you read it.")


class TicketUpdateSerializer(VersionSerializer):
    subject = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    priority_override_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class TransitionSerializer(VersionSerializer):
    to = serializers.ChoiceField(choices=Ticket.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AssignSerializer(VersionSerializer):
    assignee = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True)
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class SatisfactionSerializer(VersionSerializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class CommentSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    internal = serializers.BooleanField(default=True, help_text="False: the client may see it (a first response).")


class TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    data = serializers.JSONField(read_only=True)
    body = serializers.CharField(
        source="text",
        read_only=True,
        help_text="The line's text in the request's language: a system note rendered from its code, then what "
        "a person typed.",
    )

    class Meta:
        model = TicketEvent
        fields = ("id", "kind", "actor", "from_status", "to_status", "body", "note", "internal", "data", "created_at")
        read_only_fields = fields


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class TicketAttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = TicketAttachment
        fields = ("id", "name", "size", "content_type", "sha256", "uploaded_by", "uploaded_at", "download")
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_download(self, attachment: TicketAttachment) -> str:
        return reverse(
            "ticket-attachment-download",
            kwargs={"pk": attachment.ticket_id, "attachment_pk": attachment.pk},
            request=self.context.get("request"),
        )
