"""Admin for the project-wide records (the import trail, the trading calendar) and for users.

Users: operations staff add users and give them roles, but are not superusers. Django's
``UserAdmin`` lets anyone with ``change_user`` tick "superuser status" or grant themselves any
permission, so for non-superusers those fields are read-only and superusers' accounts cannot be
changed (a password reset there would take the account over).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from crm.admin_utils import CrmModelAdmin, ReadOnlyAdminMixin
from crm.models import ImportBatch, TradingHoliday

User = get_user_model()


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdminMixin, CrmModelAdmin):
    list_display = ("started_at", "source", "status", "path", "actor", "finished_at", "total_rows")
    list_filter = ("status", "source")
    list_select_related = ("actor",)
    search_fields = ("path", "=fingerprint")
    date_hierarchy = "started_at"
    ordering = ("-started_at",)
    fields = (
        ("source", "status"),
        "path",
        "fingerprint",
        ("actor", "started_at", "finished_at"),
        "files",
        "row_counts",
        "errors",
    )

    @admin.display(description=_("rows"))
    def total_rows(self, obj: ImportBatch) -> int | None:
        counts = obj.row_counts if isinstance(obj.row_counts, dict) else {}
        numbers = [value for value in counts.values() if isinstance(value, int)]
        return sum(numbers) if numbers else None


@admin.register(TradingHoliday)
class TradingHolidayAdmin(CrmModelAdmin):
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("date",)


admin.site.unregister(User)


@admin.register(User)
class CrmUserAdmin(UserAdmin):
    """Django's user admin, safe in the hands of staff who are not superusers."""

    show_full_result_count = False
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    _superuser_only_fields = ("is_superuser", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [f for f in self._superuser_only_fields if f not in readonly]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)
