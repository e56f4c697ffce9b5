"""Service tickets (服务工单): complaints, inquiries and requests, with SLA due times,
escalation and an append-only timeline."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection, models
from django.db.models import Q
from django.dispatch import receiver
from django.utils import formats, timezone
from django.utils.functional import LazyObject, empty
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.access import ClientScopedQuerySet
from core.choices import Tier
from core.models import AppendOnlyModel, TimeStampedModel
from tickets import notes

# A ticket's description: the page, the API and the workflow allow this many characters.
DESCRIPTION_MAX_LENGTH = 4000


class TicketKind(models.Model):
    """A kind of ticket (complaint, inquiry, account change …), editable by operations."""

    class Routing(models.TextChoices):
        PRIMARY_ADVISOR = "primary_advisor", _("Client's primary advisor")
        BRANCH_QUEUE = "branch_queue", _("Branch queue")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    is_complaint = models.BooleanField(_("is a complaint"), default=False)
    routing = models.CharField(_("routed to"), max_length=16, choices=Routing.choices, default=Routing.BRANCH_QUEUE)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ticket kind")
        verbose_name_plural = _("ticket kinds")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the user's language (Chinese for zh-*, else English)."""
        return self.name_zh if (get_language() or "").startswith("zh") and self.name_zh else self.name


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class SlaPolicy(models.Model):
    """Kind × client tier → priority and the hours allowed for first response and resolution
    (business hours on trading days)."""

    kind = models.ForeignKey(TicketKind, verbose_name=_("kind"), on_delete=models.CASCADE, related_name="sla_policies")
    tier = models.CharField(_("client tier"), max_length=8, choices=Tier.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    response_hours = models.PositiveSmallIntegerField(_("first response within (hours)"))
    resolution_hours = models.PositiveSmallIntegerField(_("resolution within (hours)"))

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["kind", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "tier"], name="sla_policy_unique_kind_tier"),
            models.CheckConstraint(
                condition=Q(resolution_hours__gte=models.F("response_hours")),
                name="sla_resolution_after_response",
                violation_error_message=_("Resolution cannot be due before the first response."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} × {self.get_tier_display()}: {self.response_hours}h / {self.resolution_hours}h"


class Ticket(TimeStampedModel):
    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        APP = "app", _("Mobile app")
        COUNTER = "counter", _("Branch counter")
        EMAIL = "email", _("Email")
        WECHAT = "wechat", _("WeChat")
        WEB = "web", _("Web")

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("ticket status", "New")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING_CLIENT = "waiting_client", _("Waiting for client")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", pgettext_lazy("ticket status", "Closed")

    OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_CLIENT)

    number = models.CharField(_("number"), max_length=24, unique=True)
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="tickets"
    )
    kind = models.ForeignKey(TicketKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="tickets")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    priority_override_reason = models.CharField(_("reason for priority override"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    branch = models.ForeignKey(
        "advisors.OrgUnit", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("watchers"), blank=True, related_name="watched_tickets"
    )
    response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    sla_paused_at = models.DateTimeField(
        _("SLA clock paused at"),
        null=True,
        blank=True,
        help_text=_("Set while the ticket waits for the client; the resolution due time moves on by the pause."),
    )
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    satisfaction_note = models.CharField(_("satisfaction note"), max_length=500, blank=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Raised by every change; a change sent with an old version is refused.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="ticket_satisfaction_1_5",
                violation_error_message=_("Satisfaction is a score from 1 to 5."),
            ),
            models.CheckConstraint(
                condition=Q(escalation_level__lte=2),
                name="ticket_escalation_max_2",
                violation_error_message=_("Escalation goes to level 2 at most."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "resolution_due_at"], name="ticket_status_due"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["branch", "status"], name="ticket_branch_status"),
            models.Index(fields=["client", "-created_at"], name="ticket_client_latest"),
            models.Index(fields=["-created_at"], name="ticket_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @classmethod
    def reserve_number(cls, when) -> tuple[int, str]:
        """The id and the number (``TK`` + local date + id) of a ticket about to be created.

        The id is drawn from the table's own sequence *before* the INSERT, so the row is written
        with its real number at once. Numbering it after the insert (as once done, from the new
        id) left the change log's create entry — written by the INSERT's signal — under the
        placeholder number the row was inserted with.
        """
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))", [cls._meta.db_table, cls._meta.pk.column])
            (pk,) = cursor.fetchone()
        return pk, f"TK{timezone.localtime(when):%Y%m%d}{pk:06d}"


class TicketEvent(AppendOnlyModel):
    """One line of a ticket's timeline: created, a status move, a comment, an assignment, an
    escalation. Append-only. A line the system writes (escalation, routing, a client's transfer)
    stores a ``note`` code and its values in ``data``, never its words: ``text`` renders them in
    the reader's language. ``body`` holds what a person typed (and, on lines written before
    notes had codes, the system's words as they were written)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        TRANSITION = "transition", _("Status change")
        COMMENT = "comment", _("Comment")
        ASSIGNMENT = "assignment", _("Assignment")
        ESCALATION = "escalation", _("Escalation")
        PRIORITY = "priority", _("Priority change")
        ATTACHMENT = "attachment", _("Attachment")
        SATISFACTION = "satisfaction", _("Satisfaction recorded")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty for the system (escalation job)."),
    )
    from_status = models.CharField(_("from"), max_length=16, choices=Ticket.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Ticket.Status.choices, blank=True)
    body = models.TextField(_("text"), blank=True)
    note = models.CharField(
        _("system note"),
        max_length=24,
        blank=True,
        default="",
        db_default="",
        help_text=_("The code of a note the system wrote; its words are rendered in the reader's language."),
    )
    internal = models.BooleanField(_("internal only"), default=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["ticket", "created_at"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_event_timeline")]

    def __str__(self) -> str:
        when = formats.date_format(timezone.localtime(self.created_at), "SHORT_DATETIME_FORMAT")
        return f"{self.get_kind_display()} {when}"

    @property
    def text(self) -> str:
        """What the line says, in the reader's language: a system note rendered from its code and
        ``data`` (``tickets.notes``), followed by what a person typed (``body``)."""
        return notes.render(self)


class _AttachmentStorage(LazyObject):
    """``STORAGES["ticket_attachments"]``, looked up when first used (and again after the
    setting changes, as Django does for the default storage)."""

    def _setup(self):
        from django.core.files.storage import storages

        self._wrapped = storages["ticket_attachments"]


private_storage = _AttachmentStorage()


@receiver(setting_changed)
def _forget_storage(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        private_storage._wrapped = empty


def attachment_storage():
    """The private storage of attachments (``STORAGES["ticket_attachments"]``): a folder no URL
    serves; files leave only through the scoped download views."""
    return private_storage


def attachment_path(instance: TicketAttachment, filename: str) -> str:
    """A random stored name under the ticket's folder: the uploader's file name (kept in
    ``name``) never reaches the file system."""
    extension = Path(filename).suffix.lower()[:10]
    return f"{instance.ticket_id}/{uuid.uuid4().hex}{extension}"


class TicketAttachment(models.Model):
    """A file on a ticket: size and type checked on upload (``tickets.attachments``), stored
    under a random name in private storage, with its SHA-256."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, storage=attachment_storage, max_length=200)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True, on_delete=models.PROTECT
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["ticket", "uploaded_at"]

    def __str__(self) -> str:
        return self.name
