"""Admin for compliance's own records: the check reviews, read-only for everyone (they are
written from the workbench, never edited or deleted)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.utils.translation import gettext_lazy as _

from compliance.models import CheckReview
from core.admin_utils import ClientScopedAdminMixin, LargeTableAdmin, ReadOnlyAdminMixin


@admin.register(CheckReview)
class CheckReviewAdmin(ClientScopedAdminMixin, ReadOnlyAdminMixin, LargeTableAdmin):
    list_display = ("created_at", "check_record", "verdict", "reviewed_by", "note")
    list_filter = ("verdict", ("created_at", DateFieldListFilter))
    list_select_related = ("check_record", "reviewed_by")
    search_fields = ("check_record__client__client_no__exact", "reviewed_by__username__exact")
    search_help_text = _("Exact client number or reviewer's username.")
    raw_id_fields = ("check_record",)
    sortable_by = ("created_at",)
    ordering = ("-created_at",)
