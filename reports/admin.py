"""The report aggregates in the admin: read-only (the nightly run and ``build_report_aggregates``
write them), for operations to check what a report reads. Large tables: filtered by day, never
counted whole, sorted by indexed columns only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import DateFieldListFilter
from django.utils.translation import gettext_lazy as _

from alerts import texts as alert_texts
from alerts.models import Alert
from clients.models import Client
from core import admin_display as show
from core.admin_utils import CrmModelAdmin, LargeTableAdmin, ReadOnlyAdminMixin
from core.choices import Tier
from core.names import display_name
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


# A segment row's values are codes of its dimension: shown by their labels.
_SEGMENT_LABELS = {
    SegmentDay.Dimension.TIER: dict(Tier.choices),
    SegmentDay.Dimension.LIFECYCLE_STAGE: dict(Client.LifecycleStage.choices),
}


def _segment_label(row, code: str) -> str:
    return str(_SEGMENT_LABELS.get(row.dimension, {}).get(code, code or "—"))


@admin.register(SegmentDay)
class SegmentDayAdmin(_DayRowAdmin):
    list_display = ("day", "unit", "advisor", "dimension", "segment", "clients", "assets")

    @admin.display(description=_("value"))
    def segment(self, row: SegmentDay) -> str:
        return _segment_label(row, row.value)


@admin.register(SegmentMoveDay)
class SegmentMoveDayAdmin(_DayRowAdmin):
    list_display = ("day", "unit", "advisor", "dimension", "moved_from", "moved_to", "clients")

    @admin.display(description=_("from"))
    def moved_from(self, row: SegmentMoveDay) -> str:
        return _segment_label(row, row.from_value)

    @admin.display(description=_("to"))
    def moved_to(self, row: SegmentMoveDay) -> str:
        return _segment_label(row, row.to_value)


@admin.register(TicketDay)
class TicketDayAdmin(_DayRowAdmin):
    list_display = ("day", "unit", "advisor", "kind", "opened", "resolved", "resolved_in_sla", "rated")
    list_select_related = ("unit", "advisor", "kind")


@admin.register(ClientExit)
class ClientExitAdmin(show.RecordTitleMixin, _DayRowAdmin):
    list_display = ("day", "client", "unit", "advisor")
    list_select_related = ("client", "unit", "advisor")
    search_fields = ("client__client_no__exact", "unit__code__exact", "advisor__code__exact")
    # The churn reasons in the reader's language (as the report's lost-clients list says them),
    # not their codes.
    fields = (
        "day",
        "client",
        ("unit", "advisor"),
        "churn_score",
        "shown_churn_reason",
        ("first_warned_on", "last_warned_on"),
    )
    readonly_fields = ("shown_churn_reason",)

    def record_title(self, row: ClientExit) -> str:
        return f"{show.day(row.day)} · {display_name(row.client.name)}"

    @admin.display(description=_("last churn reasons"))
    def shown_churn_reason(self, row: ClientExit) -> str:
        return alert_texts.reason_text(Alert.Kind.CHURN_RISK, row.churn_params, row.churn_reason) or "—"
