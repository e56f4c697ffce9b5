"""The report aggregates in the admin: read-only (the nightly run and ``build_report_aggregates``
write them), for operations to check what a report reads. Large tables: filtered by day, never
counted whole, sorted by indexed columns only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter

from core.admin_utils import CrmModelAdmin, LargeTableAdmin, ReadOnlyAdminMixin
from reports.models import AdvisorDay, ClientExit, ReportDay, SegmentDay, SegmentMoveDay, TicketDay


@admin.register(ReportDay)
class ReportDayAdmin(ReadOnlyAdminMixin, CrmModelAdmin):
    list_display = ("day", "has_snapshots", "clients", "refreshed_at")
    list_filter = ("has_snapshots",)
    date_hierarchy = "day"
    ordering = ("-day",)


class _DayRowAdmin(ReadOnlyAdminMixin, LargeTableAdmin):
    list_filter = (("day", DateFieldListFilter),)
    list_select_related = ("unit", "advisor")
    search_fields = ("unit__code__exact", "advisor__code__exact")
    sortable_by = ("day",)
    ordering = ("-day",)


@admin.register(AdvisorDay)
class AdvisorDayAdmin(_DayRowAdmin):
    list_display = ("day", "unit", "advisor", "clients", "assets", "net_inflow", "new_clients", "lost_clients")


@admin.register(SegmentDay)
class SegmentDayAdmin(_DayRowAdmin):
    list_display = ("day", "unit", "advisor", "dimension", "value", "clients", "assets")


@admin.register(SegmentMoveDay)
class SegmentMoveDayAdmin(_DayRowAdmin):
    list_display = ("day", "unit", "advisor", "dimension", "from_value", "to_value", "clients")


@admin.register(TicketDay)
class TicketDayAdmin(_DayRowAdmin):
    list_display = ("day", "unit", "advisor", "kind", "opened", "resolved", "resolved_in_sla", "rated")
    list_select_related = ("unit", "advisor", "kind")


@admin.register(ClientExit)
class ClientExitAdmin(_DayRowAdmin):
    list_display = ("day", "client", "unit", "advisor")
    list_select_related = ("client", "unit", "advisor")
    search_fields = ("client__client_no__exact", "unit__code__exact", "advisor__code__exact")
