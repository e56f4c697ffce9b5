"""Nightly runs in the admin: read-only (the pipeline writes them; ops read them)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from nightly.models import NightlyChunk, NightlyRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NightlyChunkInline(admin.TabularInline):
    model = NightlyChunk
    extra = 0
    can_delete = False
    fields = ("index", "first_client_id", "last_client_id", "done", "seconds", "rows", "finished_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(NightlyRun)
class NightlyRunAdmin(ReadOnlyAdmin):
    list_display = ("date", "status", "started_at", "finished_at", "published_at", "duration", "attempts")
    list_filter = ("status",)
    date_hierarchy = "date"
    readonly_fields = (
        "date",
        "status",
        "extract_path",
        "chunks_expected",
        "steps",
        "error",
        "started_at",
        "finished_at",
        "published_at",
        "lease_until",
        "attempts",
    )
    fields = readonly_fields
    inlines = [NightlyChunkInline]

    @admin.display(description=_("seconds"))
    def duration(self, run: NightlyRun):
        return None if run.seconds is None else round(run.seconds, 1)
