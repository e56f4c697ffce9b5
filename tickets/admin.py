"""Admin for service tickets: kinds and SLA policies are configured here; tickets are corrected
here (kind, subject, routing); their status, SLA clock and timeline belong to the ticket
workflow, so those fields are read-only and the timeline is append-only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from alerts.texts import escalation_reason
from core import admin_display as show
from core.admin_utils import (
    ClientScopedAdminMixin,
    CrmModelAdmin,
    LargeTableAdmin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
)
from core.names import user_name
from tickets.models import Priority, SlaPolicy, Ticket, TicketAttachment, TicketEvent, TicketKind

# A timeline line's details (``tickets.workflow``, ``tickets.escalation``, ``tickets.attachments``).
_DETAIL_LABELS = {
    "priority": _("priority"),
    "derived_priority": _("priority by the SLA policy"),
    "derived": _("priority by the SLA policy"),
    "from": _("from"),
    "to": _("to"),
    "calendar_time": _("SLA in calendar time"),
    "response_due_at": _("response due"),
    "resolution_due_at": _("resolution due"),
    "reopened": _("reopened"),
    "from_user": _("from"),
    "to_user": _("to"),
    "watchers": _("watchers"),
    "notified": _("notified"),
    "reason": _("reason"),
    "from_level": _("from level"),
    "to_level": _("to level"),
    "hours": _("hours"),
    "score": _("satisfaction"),
    "attachment": _("attachment (id)"),
    "sha256": _("SHA-256"),
    "size": _("size (bytes)"),
    "from_name": _("from"),
    "to_name": _("to"),
}
_PEOPLE = ("from_user", "to_user", "watchers", "notified")
_ASSIGNMENT_REASONS = {"reassigned": _("reassigned by hand"), "routing": _("routed automatically")}
_PRIORITIES = dict(Priority.choices)


def _reason(code) -> str:
    if code in _ASSIGNMENT_REASONS:
        return str(_ASSIGNMENT_REASONS[code])
    return escalation_reason(code) if code else show.DASH


def details_table(data: dict | None):
    """A timeline line's details: people by name, priorities and reasons in words."""
    if not data:
        return show.DASH
    ids = set()
    for key in _PEOPLE:
        value = data.get(key)
        ids.update(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, int))
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=ids)} if ids else {}

    def person(pk) -> str:
        return user_name(users[pk]) if pk in users else (show.DASH if pk is None else str(pk))

    priority = show.choice(_PRIORITIES)
    formats = {
        **{key: show.each(person) for key in _PEOPLE},
        "reason": _reason,
        "priority": priority,
        "derived_priority": priority,
        "derived": priority,
        "size": show.number,
    }
    if data.get("from") in _PRIORITIES or data.get("to") in _PRIORITIES:
        formats.update({"from": priority, "to": priority})
    return show.table(data, _DETAIL_LABELS, formats)


class SlaPolicyInline(admin.TabularInline):
    model = SlaPolicy
    fields = ("tier", "priority", "response_hours", "resolution_hours")
    extra = 0


@admin.register(TicketKind)
class TicketKindAdmin(CrmModelAdmin):
    list_display = ("code", "name", "name_zh", "is_complaint", "routing", "is_active")
    list_filter = ("is_complaint", "routing", "is_active")
    search_fields = ("=code", "name", "name_zh")
    ordering = ("code",)
    inlines = (SlaPolicyInline,)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(CrmModelAdmin):
    list_display = ("kind", "tier", "priority", "response_hours", "resolution_hours")
    list_editable = ("priority", "response_hours", "resolution_hours")
    list_filter = ("kind", "tier", "priority")  # ticket kinds are a short list
    list_select_related = ("kind",)
    ordering = ("kind__code", "tier")


class TicketEventInline(ReadOnlyTabularInline):
    model = TicketEvent
    fields = ("created_at", "kind", "actor", "from_status", "to_status", "shown_text", "internal")
    readonly_fields = fields
    ordering = ("created_at",)
    show_change_link = False

    @admin.display(description=_("text"))
    def shown_text(self, event: TicketEvent) -> str:
        """The line in the reader's language (``tickets.notes``)."""
        return event.text

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class TicketAttachmentInline(ReadOnlyTabularInline):
    model = TicketAttachment
    fields = ("name", "file", "size", "content_type", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


@admin.register(Ticket)
class TicketAdmin(ClientScopedAdminMixin, LargeTableAdmin):
    list_display = (
        "number",
        "subject",
        "client",
        "kind",
        "status",
        "priority",
        "branch",
        "assignee",
        "escalation_level",
        "resolution_due_at",
        "created_at",
    )
    list_filter = (
        "status",
        "priority",
        "kind",
        "channel",
        "escalation_level",
        ("created_at", DateFieldListFilter),
    )
    list_select_related = ("client", "kind", "branch", "assignee")
    search_fields = ("number__exact", "client__client_no__exact")
    search_help_text = _("Exact ticket number or client number.")
    autocomplete_fields = ("client", "branch", "assignee", "watchers")
    workflow_fields = (
        "number",
        "client",
        "status",
        "escalation_level",
        "sla_paused_at",
        "response_due_at",
        "resolution_due_at",
        "first_responded_at",
        "resolved_at",
        "closed_at",
        "satisfaction",
        "satisfaction_note",
        "version",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = workflow_fields
    fieldsets = (
        (None, {"fields": (("number", "status"), "client", ("kind", "channel"), "subject", "description")}),
        (_("Routing"), {"fields": (("priority", "priority_override_reason"), "branch", "assignee", "watchers")}),
        (
            _("Service level"),
            {
                "fields": (
                    ("escalation_level", "sla_paused_at"),
                    ("response_due_at", "first_responded_at"),
                    ("resolution_due_at", "resolved_at"),
                    "closed_at",
                    ("satisfaction", "satisfaction_note"),
                )
            },
        ),
        (None, {"fields": (("created_by", "created_at", "updated_at", "version"),)}),
    )
    sortable_by = ()
    ordering = ("-id",)
    inlines = (TicketEventInline, TicketAttachmentInline)

    def has_add_permission(self, request):
        return False  # tickets are opened through the ticket workflow, which starts the SLA clock

    def save_model(self, request, obj, form, change):
        # Every change raises the version, so a workbench form opened before this edit is refused.
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    list_display = ("ticket", "kind", "created_at", "actor", "from_status", "to_status", "shown_text", "internal")
    fields = (
        "ticket",
        ("kind", "created_at"),
        "actor",
        ("from_status", "to_status"),
        "shown_text",
        "internal",
        "shown_data",
    )
    readonly_fields = ("shown_text", "created_at", "shown_data")
    list_filter = ("kind", "internal", ("created_at", DateFieldListFilter))
    list_select_related = ("ticket", "actor")
    search_fields = ("ticket__number__exact",)
    search_help_text = _("Exact ticket number.")
    autocomplete_fields = ("ticket", "actor")
    sortable_by = ()
    ordering = ("-created_at",)

    @admin.display(description=_("text"))
    def shown_text(self, event: TicketEvent) -> str:
        """The line in the reader's language (``tickets.notes``)."""
        return event.text

    @admin.display(description=_("details"))
    def shown_data(self, event: TicketEvent):
        return details_table(event.data)


@admin.register(TicketAttachment)
class TicketAttachmentAdmin(LargeTableAdmin):
    list_display = ("name", "ticket", "content_type", "size", "uploaded_by", "uploaded_at")
    list_select_related = ("ticket", "uploaded_by")
    search_fields = ("ticket__number__exact", "sha256__exact")
    search_help_text = _("Exact ticket number or SHA-256.")
    autocomplete_fields = ("ticket", "uploaded_by")
    readonly_fields = ("uploaded_at",)
    sortable_by = ()
    ordering = ("-id",)
