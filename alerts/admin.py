"""Admin for alerts: reassigned, snoozed or closed by hand; never typed in."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.utils.translation import gettext_lazy as _

from alerts.models import Alert
from core.admin_utils import ClientScopedAdminMixin, LargeTableAdmin


@admin.register(Alert)
class AlertAdmin(ClientScopedAdminMixin, LargeTableAdmin):
    """Alerts are raised by the nightly run's rules, never typed in; here one can be
    reassigned to another advisor, snoozed or closed by hand."""

    list_display = ("shown_title", "kind", "severity", "status", "due_on", "client", "advisor")
    list_filter = ("status", "kind", "severity", ("due_on", DateFieldListFilter))
    list_select_related = ("client", "advisor")
    search_fields = ("client__client_no__exact", "advisor__code__exact", "dedupe_key__exact")
    search_help_text = _("Exact client number, advisor code or dedupe key.")
    autocomplete_fields = ("advisor",)
    readonly_fields = (
        "shown_title",
        "shown_reason",
        "client",
        "kind",
        "condition",
        "params",
        "dedupe_key",
        "payload",
        "closed_at",
        "closed_by",
        "created_at",
        "updated_at",
    )
    fields = (
        ("kind", "severity"),
        "shown_title",
        "shown_reason",
        ("client", "advisor"),
        ("status", "due_on", "snoozed_until"),
        "params",
        "payload",
        ("dedupe_key", "condition"),
        ("closed_at", "closed_by"),
        "close_note",
        ("created_at", "updated_at"),
    )
    sortable_by = ()
    ordering = ("-id",)

    def has_add_permission(self, request):
        return False

    # The words in the reader's language (``alerts.texts``); the stored title and reason of
    # alerts raised before are shown by the same rendering, never edited.
    @admin.display(description=_("title"))
    def shown_title(self, alert: Alert) -> str:
        return alert.display_title

    @admin.display(description=_("reason"))
    def shown_reason(self, alert: Alert) -> str:
        return alert.display_reason
